"""What changed, in words: the text, Markdown, JSON and Atom forms of a change feed
(:class:`alignment.feed.Feed`), each notable vote with its reason in one plain sentence and the
earlier votes that make it notable. ``alignment changes`` prints one; ``alignment refresh
--changes-to FOLDER`` writes the Markdown digest and the Atom feed (:func:`write`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from markupsafe import escape

from alignment.feed import Break, Cast, Feed, First, RollCall, Shift, changes, refreshes
from alignment.reports.names import capital, state_names, the_bloc
from alignment.reports.sections.sources import credits

DIGEST_FILE = "changes.md"
FEED_FILE = "changes.atom"
# The Atom feed keeps the entries of this many latest refreshes, so that a reader polling less
# often than the store is refreshed misses none.
FEED_REFRESHES = 10
# Corrected votes named per roll call; the rest are counted.
CORRECTIONS_SHOWN = 8

VERB = {"Y": "voted yes", "N": "voted no", "A": "abstained", "X": "did not vote"}
NOUN = {"Y": "yes vote", "N": "no vote", "A": "abstention"}
SHORT = {"Y": "yes", "N": "no", "A": "abstain", "X": "absent"}
# Feed and entry ids: UUIDs derived from what they stand for, so that they never change.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "alignment:changes")


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def state(iso3: str, names: dict[str, str]) -> str:
    """A state as a sentence names it: "the United States", "Belarus"."""
    known = state_names().get(iso3)
    return known.in_text if known is not None else names.get(iso3, iso3)


def cite(call: RollCall) -> str:
    """'A/RES/80/224 “Situation of human rights in the Syrian Arab Republic” (18 December
    2025)'; a vote on part of a text says so."""
    kind = {"paragraph": "part of ", "amendment": "an amendment to ", "procedural": "a motion on "}
    title = f" “{call.title}”" if call.title else ""
    name = call.symbol or "a vote without symbol"
    return f"{kind.get(call.kind, '')}{name}{title} ({_day(call.date)})"


def _span(earlier: tuple[Cast, ...]) -> str:
    first, last = earlier[0].roll_call.date.year, earlier[-1].roll_call.date.year
    return str(first) if first == last else f"{first} to {last}"


def reason(item: First | Break | Shift, names: dict[str, str]) -> str:
    """The plain sentence saying why a vote is notable."""
    who = capital(state(item.iso3, names))
    if isinstance(item, First):
        counts = item.counts
        n = len(item.earlier)
        if len(counts) == 1:
            (only,) = counts
            before = f"it {VERB[only]} all {n} times it voted on it, {_span(item.earlier)}"
        else:
            parts = [f"{k} {NOUN[v]}{'s' if k > 1 else ''}" for v, k in counts.items()]
            before = f"its {n} earlier votes on it, {_span(item.earlier)}: " + ", ".join(parts)
        return (
            f"{who} {VERB[item.vote]} on {cite(item.roll_call)}, its first {NOUN[item.vote]} on "
            f"this text: {before}."
        )
    if isinstance(item, Break):
        return (
            f"{who} {VERB[item.vote]} on {cite(item.roll_call)}, breaking with "
            f"{the_bloc(item.bloc)}: {item.with_line} of its {item.voting} members voting "
            f"{VERB[item.line]}."
        )
    partner = state(item.partner, names)
    return (
        f"{who} cast the same vote as {partner} on {item.value_to:.0%} of {item.n_to} contested "
        f"votes in session {item.session}, against {item.value_from:.0%} of {item.n_from} in "
        f"session {item.previous}: {100 * item.change:+.0f} points ({item.level:.0%} interval "
        f"{100 * item.lower:+.0f} to {100 * item.upper:+.0f})."
    )


def headline(item: First | Break | Shift, names: dict[str, str]) -> str:
    """A notable vote in a few words (a feed entry's title)."""
    who = capital(state(item.iso3, names))
    if isinstance(item, Shift):
        return (
            f"{who} and {state(item.partner, names)}: votes alike {100 * item.change:+.0f} "
            f"points in session {item.session}"
        )
    symbol = item.roll_call.symbol or "a vote without symbol"
    if isinstance(item, First):
        return f"{who} {VERB[item.vote]} on {symbol}: its first {NOUN[item.vote]} on this text"
    return f"{who} {VERB[item.vote]} on {symbol}, breaking with {the_bloc(item.bloc)}"


def _earlier(item: First | Break) -> str:
    return ", ".join(
        f"{c.roll_call.symbol or c.roll_call.date} ({c.roll_call.date.year}) {SHORT[c.vote]}"
        for c in item.earlier
    )


def notable(feed: Feed) -> list[tuple[str, First | Break | Shift]]:
    """(heading, item) of every notable vote, in the order the digest gives them."""
    out: list[tuple[str, First | Break | Shift]] = [("first", f) for f in feed.firsts]
    out += [("bloc", b) for b in feed.breaks]
    out += [("shift", s) for s in feed.shifts]
    return out


HEADINGS = {
    "first": "First votes of a kind on a recurring text",
    "bloc": "Breaks with a bloc's majority",
    "shift": "Shifts of agreement with a partner",
}


def summary(feed: Feed) -> str:
    """One sentence on the refreshes chosen and what they changed."""
    if not feed.refreshes:
        return "No refresh in the period asked for."
    ids = [r.refresh_id for r in feed.refreshes]
    last = feed.refreshes[-1]
    when = f"{_day(last.finished_at.date())} {last.finished_at:%H:%M} UTC"
    which = (
        f"Refresh {ids[0]} ({when})"
        if len(ids) == 1
        else f"Refreshes {ids[0]} to {ids[-1]} (the last {when})"
    )
    unrecorded = [r.refresh_id for r in feed.refreshes if not r.recorded]
    note = ""
    if unrecorded:
        which_ones = ", ".join(map(str, unrecorded))
        note = (
            f" For refresh {which_ones} nothing is recorded as new: a store's first build has "
            "no earlier store to compare with, and a store built before the changes table "
            "recorded nothing."
        )
    corrected = feed.corrected.height
    return (
        f"{which}: {len(feed.new)} new roll calls, {corrected} "
        f"{'vote' if corrected == 1 else 'votes'} corrected by a source, "
        f"{feed.removed.height} roll calls removed.{note}"
    )


def text(feed: Feed) -> str:
    """The plain-text listing ``alignment changes`` prints."""
    lines = [summary(feed), ""]
    if feed.new:
        lines.append(f"New roll calls ({len(feed.new)})")
        for call in feed.new:
            lines.append(
                f"  {call.symbol or '(no symbol)':<16} {call.date}  {call.tally:<11} "
                f"{call.title or ''}"
            )
            extra = _country_votes(feed, call)
            if extra:
                lines.append(f"  {'':<16} {extra}")
            if call.url:
                lines.append(f"  {'':<16} {call.url}")
        lines.append("")
    if not feed.corrected.is_empty():
        lines.append(f"Votes corrected by a source ({feed.corrected.height})")
        lines += [f"  {line}" for line in corrections(feed)]
        lines.append("")
    if not feed.removed.is_empty():
        lines.append(f"Roll calls removed ({feed.removed.height})")
        for r in feed.removed.iter_rows(named=True):
            lines.append(f"  {r['symbol'] or '(no symbol)'} {r['date']} {r['title'] or ''}")
        lines.append("")
    items = notable(feed)
    for kind, heading in HEADINGS.items():
        mine = [item for k, item in items if k == kind]
        if not mine:
            continue
        lines.append(f"{heading} ({len(mine)})")
        for item in mine:
            lines.append(f"  {reason(item, feed.names)}")
            if not isinstance(item, Shift) and item.earlier:
                lines.append(f"    earlier: {_earlier(item)}")
        lines.append("")
    if feed.new and not feed.partners:
        lines.append("Shifts of agreement: give --partner ISO3 to list them.")
    return "\n".join(lines).rstrip() + "\n"


def corrections(feed: Feed) -> list[str]:
    """One line per roll call whose votes a source corrected: 'A/RES/80/57 (2025-12-01), from
    unxml_json: AFG no row -> absent, AGO no row -> yes, ... and 170 more'."""
    out = []
    for (symbol, day), rows in feed.corrected.group_by(["symbol", "date"], maintain_order=True):
        changed = [
            f"{r['iso3']} {SHORT.get(r['before'], 'no row')} -> {SHORT.get(r['after'], 'no row')}"
            for r in rows.iter_rows(named=True)
        ]
        more = (
            f" and {len(changed) - CORRECTIONS_SHOWN} more"
            if len(changed) > CORRECTIONS_SHOWN
            else ""
        )
        sources = ", ".join(sorted({s for s in rows["source"].to_list() if s}))
        by = f", from {sources}" if sources else ""
        out.append(
            f"{symbol or '(no symbol)'} ({day}){by}: {', '.join(changed[:CORRECTIONS_SHOWN])}{more}"
        )
    return out


def _country_votes(feed: Feed, call: RollCall) -> str:
    votes = feed.country_votes.get(call.roll_call_id, {})
    return ", ".join(f"{iso3} {SHORT[votes[iso3]]}" for iso3 in feed.countries if iso3 in votes)


def _md_link(call: RollCall) -> str:
    name = call.symbol or "(no symbol)"
    return f"[{name}]({call.url})" if call.url else name


def markdown(feed: Feed) -> str:
    """The Markdown digest: the summary, the notable votes with their reasons and earlier
    votes (linked), then the new roll calls as a table."""
    lines = ["# What changed in the UN General Assembly votes", "", summary(feed), ""]
    items = notable(feed)
    for kind, heading in HEADINGS.items():
        mine = [item for k, item in items if k == kind]
        if not mine:
            continue
        lines += [f"## {heading}", ""]
        for item in mine:
            lines.append(f"- {reason(item, feed.names)}")
            if not isinstance(item, Shift) and item.earlier:
                cited = ", ".join(
                    f"{_md_link(c.roll_call)} ({c.roll_call.date.year}) {SHORT[c.vote]}"
                    for c in item.earlier
                )
                lines.append(f"  Earlier votes: {cited}.")
        lines.append("")
    if feed.new:
        lines += [f"## New roll calls ({len(feed.new)})", ""]
        head = "| symbol | date | yes-no-abstain | title |"
        if feed.countries:
            head = head[:-1] + " votes |"
        lines += [head, "|" + " --- |" * (head.count("|") - 1)]
        for call in feed.new:
            title = (call.title or "").replace("|", "\\|")
            row = f"| {_md_link(call)} | {call.date} | {call.tally} | {title} |"
            if feed.countries:
                row += f" {_country_votes(feed, call)} |"
            lines.append(row)
        lines.append("")
    if not feed.corrected.is_empty():
        lines += [f"## Votes corrected by a source ({feed.corrected.height})", ""]
        lines += [f"- {line}" for line in corrections(feed)]
        lines.append("")
    if not feed.removed.is_empty():
        lines += [f"## Roll calls removed ({feed.removed.height})", ""]
        lines += [f"- {r['symbol'] or '(no symbol)'} ({r['date']})" for r in feed.removed.iter_rows(named=True)]  # fmt: skip
        lines.append("")
    lines.append("Sources: " + " ".join(_credits(feed)))
    return "\n".join(lines) + "\n"


def _credits(feed: Feed) -> list[str]:
    """The credit each of the store's sources requires (``data/sources.csv``), once each."""
    known = credits()
    return list(dict.fromkeys(known[s] for s in feed.sources if s in known))


def _call_json(call: RollCall) -> dict[str, Any]:
    return {
        "symbol": call.symbol, "date": call.date.isoformat(), "title": call.title,
        "kind": call.kind, "yes": call.yes, "no": call.no, "abstain": call.abstain,
        "url": call.url,
    }  # fmt: skip


def as_json(feed: Feed) -> str:
    """Everything in the feed as one JSON object."""
    out: dict[str, Any] = {
        "summary": summary(feed),
        "refreshes": [
            {"refresh_id": r.refresh_id, "finished_at": r.finished_at.isoformat(),
             "sources": r.sources, "recorded": r.recorded}
            for r in feed.refreshes
        ],
        "new": [
            {**_call_json(c), "votes": feed.country_votes.get(c.roll_call_id, {})}
            if feed.countries else _call_json(c)
            for c in feed.new
        ],
        "corrected": [
            {**r, "date": str(r["date"])} for r in feed.corrected.iter_rows(named=True)
        ],
        "removed": [{**r, "date": str(r["date"])} for r in feed.removed.iter_rows(named=True)],
        "notable": [],
    }  # fmt: skip
    for kind, item in notable(feed):
        entry: dict[str, Any] = {
            "kind": kind,
            "iso3": item.iso3,
            "reason": reason(item, feed.names),
        }
        if isinstance(item, Shift):
            entry.update({k: getattr(item, k) for k in (
                "partner", "metric", "session", "previous", "value_from", "n_from", "value_to",
                "n_to", "change", "lower", "upper", "level")})  # fmt: skip
        else:
            entry.update({"vote": item.vote, "roll_call": _call_json(item.roll_call),
                          "earlier": [{**_call_json(c.roll_call), "vote": c.vote}
                                      for c in item.earlier]})  # fmt: skip
            if isinstance(item, Break):
                entry.update({"bloc": item.bloc, "line": item.line,
                              "with_line": item.with_line, "voting": item.voting})  # fmt: skip
        out["notable"].append(entry)
    return json.dumps(out, ensure_ascii=False, indent=2) + "\n"


def _entry_id(*parts: object) -> str:
    return uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts)).urn


def atom(feed: Feed, *, feed_id: str = "store", link: str | None = None) -> str:
    """The feed as Atom 1.0 (feedgen): one entry per refresh (its new roll calls) and one per
    notable vote, each dated by the refresh that brought it; ``feed_id`` names the store (its
    path) so that two stores' feeds differ."""
    from feedgen.feed import FeedGenerator

    def when(refresh_id: int) -> dt.datetime:
        at = {r.refresh_id: r.finished_at for r in feed.refreshes}.get(refresh_id)
        at = at or (feed.refreshes[-1].finished_at if feed.refreshes else dt.datetime(1970, 1, 1))
        return at.replace(tzinfo=dt.UTC)

    gen = FeedGenerator()
    gen.id(_entry_id("feed", feed_id))
    gen.title("What changed in the UN General Assembly votes")
    gen.author({"name": "alignment"})
    gen.link(href=link or "https://digitallibrary.un.org/record/4060887", rel="alternate")
    gen.subtitle(summary(feed))
    gen.language("en")
    latest = when(feed.refreshes[-1].refresh_id) if feed.refreshes else when(0)
    gen.updated(latest)
    for r in reversed(feed.refreshes):  # newest first
        calls = [c for c in feed.new if feed.refresh_of.get(c.roll_call_id) == r.refresh_id]
        entry = gen.add_entry(order="append")
        entry.id(_entry_id("refresh", feed_id, r.refresh_id))
        entry.title(
            f"Refresh {r.refresh_id}: {len(calls)} new roll calls"
            if r.recorded
            else f"Refresh {r.refresh_id}: nothing recorded (no earlier store to compare with)"
        )
        entry.updated(when(r.refresh_id))
        items = "".join(
            f"<li>{_html_call(c)}: {escape(c.tally)}</li>" for c in calls
        )  # fmt: skip
        entry.content(f"<p>{escape(r.message)}</p><ul>{items}</ul>", type="html")
    for kind, item in notable(feed):
        entry = gen.add_entry(order="append")
        sentence = reason(item, feed.names)
        key: tuple[object, ...]
        if isinstance(item, Shift):
            key = ("shift", item.iso3, item.partner, item.session)
            refresh_id = feed.refreshes[-1].refresh_id if feed.refreshes else 0
            url = None
        else:
            key = (kind, item.iso3, item.roll_call.symbol, item.roll_call.date,
                   getattr(item, "bloc", ""))  # fmt: skip
            refresh_id = feed.refresh_of.get(item.roll_call.roll_call_id, 0)
            url = item.roll_call.url
        entry.id(_entry_id(feed_id, *key))
        entry.title(headline(item, feed.names))
        entry.updated(when(refresh_id))
        if url:
            entry.link(href=url, rel="alternate")
        earlier = ""
        if not isinstance(item, Shift) and item.earlier:
            earlier = "<p>Earlier votes: " + ", ".join(
                f"{_html_link(c.roll_call)} ({c.roll_call.date.year}) {escape(SHORT[c.vote])}"
                for c in item.earlier
            ) + "</p>"  # fmt: skip
        entry.content(f"<p>{escape(sentence)}</p>{earlier}", type="html")
    return gen.atom_str(pretty=True).decode("utf-8")


def _html_link(call: RollCall) -> str:
    name = escape(call.symbol or "a vote without symbol")
    return f'<a href="{escape(call.url)}">{name}</a>' if call.url else str(name)


def _html_call(call: RollCall) -> str:
    title = f" “{escape(call.title)}”" if call.title else ""
    return f"{_html_link(call)}{title} ({escape(_day(call.date))})"


RENDER: dict[str, Callable[[Feed], str]] = {
    "text": text, "json": as_json, "md": markdown, "atom": atom,
}  # fmt: skip


def write(con: duckdb.DuckDBPyConnection, folder: Path, *, feed_id: str) -> list[Path]:
    """Write ``changes.md`` (the latest refresh) and ``changes.atom`` (the latest
    :data:`FEED_REFRESHES` refreshes) of the store into ``folder``, each replaced in one rename
    so that a web server never serves half a file."""
    history = refreshes(con)
    latest = changes(con, since="last")
    recent = changes(con, since=str(history[-FEED_REFRESHES:][0].refresh_id))
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, content in (
        (DIGEST_FILE, markdown(latest)),
        (FEED_FILE, atom(recent, feed_id=feed_id)),
    ):
        path = folder / name
        tmp = folder / f".{name}.tmp"
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(path)
        out.append(path)
    return out
