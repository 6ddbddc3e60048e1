"""How a report cites a vote: its symbol, short title and date, the symbol linked to the UN
Digital Library's record when the store has one (``undl_id``); and titles cut to a readable
length. Titles reach here readable already (:func:`alignment.titles.readable_titles`: a
meeting record gives way to the text's own title).
"""

from __future__ import annotations

import datetime as dt
import re

from markupsafe import Markup, escape

from alignment.links import record_url

TITLE_CHARS = 200  # longer titles are cut in tables and hover text
CITED_TITLE_CHARS = 80  # ... and in a sentence

# How a vote that is not on a text as a whole is cited: "a separate vote on part of".
KIND_PREFIX = {
    "paragraph": "a separate vote on part of ",
    "amendment": "a vote on an amendment to ",
    "procedural": "a procedural vote on ",
}


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


def _date(day: dt.date | None) -> str:
    return "" if day is None else f"{day.day} {day:%B %Y}"


def cite(
    symbol: str | None,
    date: dt.date | None,
    title: str | None,
    kind: str = "resolution",
    undl_id: int | None = None,
) -> Markup:
    """A vote in a sentence: 'A/RES/71/46 “Humanitarian consequences of nuclear weapons” (5
    December 2016)', the symbol a link to the UN record when there is one; a vote on part of a
    text or an amendment says so first."""
    name = symbol or "a vote without symbol"
    url = record_url(undl_id)
    linked = Markup('<a href="{}">{}</a>').format(url, name) if url else escape(name)
    quoted = Markup(" “{}”").format(short_title(title, CITED_TITLE_CHARS)) if title else ""
    when = Markup(" ({})").format(_date(date)) if date else ""
    return Markup("{}{}{}{}").format(KIND_PREFIX.get(kind, ""), linked, quoted, when)


_URL = re.compile(r"https?://[^\s<>\"')]+[^\s<>\"').,;:]")


def linkify(text: object) -> Markup:
    """Text (escaped) with every http(s) address made a link: sources name their pages."""
    text = "" if text is None else str(text)
    out, at = [], 0
    for m in _URL.finditer(text):
        out.append(escape(text[at : m.start()]))
        out.append(Markup('<a href="{0}">{0}</a>').format(m.group(0)))
        at = m.end()
    out.append(escape(text[at:]))
    return Markup("").join(out)
