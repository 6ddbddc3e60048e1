"""How a report cites a vote: today its title cut to a readable length.

Unvotes describes a paragraph vote by the meeting's transcript, which can run to pages; the
symbol, short title, date and link to the UN record of every vote a report names belong here.
"""

from __future__ import annotations

TITLE_CHARS = 200  # longer titles are cut in tables and hover text


def short_title(text: object, limit: int = TITLE_CHARS) -> str:
    """``text`` (not escaped) cut to at most ``limit`` characters at a word boundary, with an
    ellipsis; white space runs become one space."""
    text = " ".join(("" if text is None else str(text)).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"
