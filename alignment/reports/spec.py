"""What a report is about: the state or bloc, the topic, the window and who it is compared with.

The flagship (``belarus-syria``) is one :class:`ReportSpec`; ``alignment report country`` and
``alignment report bloc`` build the same kind of spec for any state or bloc, so every report has
the same parts, computed by the same code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Pseudo-states: a bloc's majority vote on each roll call is a row of its own, keyed like this.
MAJORITY_PREFIX = "bloc:"

# Default window start: the flagship's question starts with the Syrian war (2011).
DEFAULT_START_YEAR = 2011

# Major powers compared with in generic reports.
POWERS = ("USA", "RUS", "CHN")

# Blocs larger than this are shown as one majority row rather than member by member.
MAX_BLOC_COLUMNS = 12

# Blocs whose members colour the map, in priority order (a state in two gets the first).
MAP_BLOCS = ("csto", "eaeu", "eu", "nato", "arab_league", "oic", "nam")


def majority_key(bloc: str) -> str:
    return f"{MAJORITY_PREFIX}{bloc}"


def is_majority(key: str) -> bool:
    return key.startswith(MAJORITY_PREFIX)


def majority_bloc(key: str) -> str:
    return key[len(MAJORITY_PREFIX) :]


@dataclass(frozen=True)
class ReportSpec:
    """Everything that differs between reports; the computations are shared."""

    slug: str  # file name without .html
    title: str
    kind: str  # "country" or "bloc"
    subject: str  # ISO3 or bloc id
    focus: str  # the row every comparison is made from: an ISO3 or majority_key(bloc)
    topic: str | None = None
    start_year: int | None = DEFAULT_START_YEAR
    end_year: int | None = None
    matrix_states: tuple[str, ...] = ()  # always shown in the vote matrix
    matrix_blocs: tuple[str, ...] = ()  # members at the date of each vote are shown
    majority_blocs: tuple[str, ...] = ("eu",)  # shown as one row: the members' majority
    partners: tuple[str, ...] = ()  # agreement over time with the focus
    change_partners: tuple[str, ...] = ()  # position-change findings against these
    ideal_states: tuple[str, ...] = ()
    ideal_blocs: tuple[str, ...] = ()  # members at any time in the window
    # None: the all-votes ideal points materialised in the store; a topic: estimated for the
    # report from that topic's roll calls only (alignment.ideal_points.ideal_points).
    ideal_topic: str | None = None
    cohesion_blocs: tuple[str, ...] = ()
    map_blocs: tuple[str, ...] = MAP_BLOCS
    key_roll_call: str | None = None  # symbol of the roll call of the "who voted no" finding
    key_bloc: str | None = None
    events: tuple[tuple[dt.date, str], ...] = field(default_factory=tuple)
    intro: str = ""

    @property
    def start(self) -> dt.date | None:
        return None if self.start_year is None else dt.date(self.start_year, 1, 1)

    @property
    def end(self) -> dt.date | None:
        return None if self.end_year is None else dt.date(self.end_year, 12, 31)


ASSAD_FALL = dt.date(2024, 12, 8)


def flagship() -> ReportSpec:
    """Belarus and Syria: the report ``alignment report belarus-syria`` writes."""
    return ReportSpec(
        slug="belarus-syria",
        title="Belarus and Syria in the UN General Assembly",
        kind="country",
        subject="BLR",
        focus="BLR",
        topic="syria",
        start_year=2011,
        end_year=None,
        matrix_states=("BLR", "SYR", "RUS", "CHN", "IRN", "USA"),
        matrix_blocs=("csto", "customs_union", "eaeu"),
        majority_blocs=("eu",),
        partners=("RUS", "SYR", "USA", majority_key("eu")),
        change_partners=("RUS", "SYR"),
        ideal_states=("BLR", "RUS", "SYR"),
        ideal_blocs=("csto",),
        cohesion_blocs=("csto",),
        key_roll_call="A/RES/66/253",
        key_bloc="csto",
        events=((ASSAD_FALL, "the end of the Assad government"),),
        intro=(
            "Is Belarus following Russia, its blocs, or its own line on Syria, and how did that "
            "change from 2011 to the end of the Assad government and after?"
        ),
    )


def country(
    iso3: str,
    *,
    name: str,
    topic: str | None,
    start_year: int | None,
    end_year: int | None,
    small_blocs: tuple[str, ...],
    large_blocs: tuple[str, ...],
) -> ReportSpec:
    """Any state: compared with the major powers, its small blocs member by member and the
    majorities of its large blocs and of the EU."""
    powers = tuple(p for p in POWERS if p != iso3)
    majorities = tuple(dict.fromkeys((*large_blocs, "eu")))
    about = f" on {topic}" if topic else ""
    return ReportSpec(
        slug=_slug("country", iso3.lower(), topic, start_year, end_year),
        title=f"{name} in the UN General Assembly{about}",
        kind="country",
        subject=iso3,
        focus=iso3,
        topic=topic,
        start_year=start_year,
        end_year=end_year,
        matrix_states=(iso3, *powers),
        matrix_blocs=small_blocs,
        majority_blocs=majorities,
        partners=(*powers, *(majority_key(b) for b in majorities)),
        change_partners=powers[:2],
        ideal_states=(iso3, *powers),
        ideal_blocs=small_blocs[:1],
        cohesion_blocs=(*small_blocs, *large_blocs)[:3],
        key_roll_call=None,
        key_bloc=(*small_blocs, *large_blocs)[0] if (small_blocs or large_blocs) else None,
    )


def bloc(
    bloc_id: str,
    *,
    name: str,
    topic: str | None,
    start_year: int | None,
    end_year: int | None,
    small: bool,
) -> ReportSpec:
    """Any bloc: its majority is the focus row; members are shown one by one when few."""
    focus = majority_key(bloc_id)
    majorities = tuple(dict.fromkeys((bloc_id, "eu")))
    about = f" on {topic}" if topic else ""
    return ReportSpec(
        slug=_slug("bloc", bloc_id, topic, start_year, end_year),
        title=f"{name} in the UN General Assembly{about}",
        kind="bloc",
        subject=bloc_id,
        focus=focus,
        topic=topic,
        start_year=start_year,
        end_year=end_year,
        matrix_states=POWERS,
        matrix_blocs=(bloc_id,) if small else (),
        majority_blocs=majorities,
        partners=(*POWERS, *(majority_key(b) for b in majorities if b != bloc_id)),
        change_partners=POWERS[:2],
        ideal_states=POWERS,
        ideal_blocs=(bloc_id,),
        cohesion_blocs=(bloc_id,),
        key_roll_call=None,
        key_bloc=bloc_id,
    )


def _slug(kind: str, subject: str, topic: str | None, start: int | None, end: int | None) -> str:
    parts = [kind, subject]
    if topic:
        parts.append(topic)
    if (start is not None and start != DEFAULT_START_YEAR) or end is not None:
        parts.append(f"{start or 'first'}-{end or 'latest'}")
    return "-".join(p.replace("_", "-").replace("/", "-") for p in parts)
