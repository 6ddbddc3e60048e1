"""Every colour of a report, in one place: one colour per state (or bloc majority) for all the
charts of a report, the votes, and the map's scale.

Colours come from Okabe and Ito's palette (distinguishable with every common form of colour
blindness). The subject is black and drawn thicker; up to ``MAX_COLOURED`` other keys get a
colour of their own (well-known states keep the same colour in every report when it is free);
the rest are grey, still named on hover and in the legend, which toggles them.
"""

from __future__ import annotations

from collections.abc import Iterable

SUBJECT = "#000000"
GREY = "#b4b4b4"
# Okabe & Ito (2008), without black (the subject's) and yellow (too light for a line).
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00")
MAX_COLOURED = len(COLOURS)
# Keys that keep their colour from report to report when it is free.
PREFERRED = {
    "USA": "#0072B2",
    "RUS": "#D55E00",
    "CHN": "#CC79A7",
    "bloc:eu": "#56B4E9",
    "SYR": "#009E73",
    "BLR": "#E69F00",
}

# Votes: green yes, magenta no (the ends of ColorBrewer's PiYG, told apart with every common
# colour blindness and in lightness), sand abstain, light grey no vote; none of them is a
# state's colour, so a vote is never read as a state.
VOTE_COLOURS = {"X": "#e6e6e6", "Y": "#4d9221", "A": "#dfc27d", "N": "#c51b7d"}
# Agreement on the world map: light (little) to dark (much), readable in grey scale too, over
# one fixed range in every report (MAP_RANGE, in percent) so that two maps compare.
MAP_SCALE = "Cividis"
MAP_RANGE = (0, 100)
# States without enough votes: hatched (the page's CSS fills them with the pattern NO_DATA_ID),
# never a shade of the scale. NO_DATA is the plain fill under the hatching.
NO_DATA = "#ffffff"
NO_DATA_ID = "no-data-hatch"
NO_DATA_HATCH = "#9a9a9a"


def state_colours(keys: Iterable[str], subject: str) -> dict[str, str]:
    """A colour for each key, in priority order: the subject black, then the first
    ``MAX_COLOURED`` others coloured (a preferred colour when still free), the rest grey."""
    out = {subject: SUBJECT}
    ordered = [k for k in dict.fromkeys(keys) if k != subject]
    coloured = ordered[:MAX_COLOURED]
    used: set[str] = set()
    for k in coloured:
        if PREFERRED.get(k) and PREFERRED[k] not in used:
            out[k] = PREFERRED[k]
            used.add(out[k])
    free = [c for c in COLOURS if c not in used]
    for k in coloured:
        if k not in out:
            out[k] = free.pop(0)
    for k in ordered[MAX_COLOURED:]:
        out[k] = GREY
    return out


def alpha(hex_colour: str, a: float) -> str:
    """``#rrggbb`` as ``rgba(r,g,b,a)``."""
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{a})"
