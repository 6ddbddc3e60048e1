"""Every sentence a report builds from its facts (never typed in by hand): the summary at the
top, the findings in detail, what the data cover, and the phrases the page's fixed text
repeats (who the report is about, which votes).

Each reads right with and without a topic, for a state and for a bloc (whose sentences speak
of its members' majority). Plain text: the template escapes it. The facts come from
:mod:`alignment.reports.findings`; the names of states and blocs from
:mod:`alignment.reports.names`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from alignment.reports.facts import Differences, KeyVote, PositionChange, SummaryFacts
from alignment.reports.names import VOTE_WORDS, bloc_short_name, the_bloc
from alignment.reports.spec import ReportSpec
from alignment.sessions import opening_year


def _date(day: dt.date | None) -> str:
    return "" if day is None else f"{day.day} {day:%B %Y}"


def and_list(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if not items:
        return "none"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def _pct(share: float) -> str:
    """A share as a whole percentage, halves rounded up (0.125 is 13%)."""
    return f"{math.floor(100 * share + 0.5)}%"


def _session(session: int) -> str:
    return f"session {session} (opened {opening_year(session)})"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _singular(topic_label: str | None) -> str:
    return f"vote on {topic_label}" if topic_label else "vote"


def _times(k: int) -> str:
    return "once" if k == 1 else "twice" if k == 2 else f"{k} times"


def _symbol(symbol: str | None) -> str:
    return symbol or "a vote without symbol"


def subject_phrase(kind: str, subject: str, names: dict[str, str]) -> str:
    """Who the report is about, in a sentence: "Belarus", "the majority of the CSTO's
    members"."""
    if kind == "bloc":
        return f"the majority of {the_bloc(subject)}'s members"
    return names.get(subject, subject)


def votes_on(topic_label: str | None) -> str:
    """ "votes on Syria", or "votes" when the report has no topic."""
    return f"votes on {topic_label}" if topic_label else "votes"


@dataclass(frozen=True)
class Phrases:
    """The phrases the page's fixed text repeats."""

    focus_phrase: str  # "Belarus", "the majority of the CSTO's members"
    focus_name: str  # the focus row's name: "Belarus", "CSTO members' majority"
    the_subject: str  # "Belarus", "the CSTO"
    what: str  # "votes on Syria", "votes"


def phrases(spec: ReportSpec, names: dict[str, str], topic_label: str | None) -> Phrases:
    return Phrases(
        focus_phrase=subject_phrase(spec.kind, spec.subject, names),
        focus_name=names.get(spec.focus, spec.focus),
        the_subject=the_bloc(spec.subject) if spec.kind == "bloc" else names[spec.subject],
        what=votes_on(topic_label),
    )


def blocs_phrase(blocs: tuple[str, ...] | list[str]) -> str:
    """ "the CSTO, the Customs Union and the EAEU"."""
    return and_list([the_bloc(b) for b in blocs])


def summary(facts: SummaryFacts, names: dict[str, str]) -> list[str]:
    """The summary: a few sentences of plain language, each with its number."""

    def n(key: str) -> str:
        return names.get(key, key)

    votes = votes_on(facts.topic_label)
    bloc = the_bloc(facts.subject) if facts.kind == "bloc" else None
    who = subject_phrase(facts.kind, facts.subject, names)
    out = [
        f"The General Assembly held {facts.n_roll_calls:,} recorded {votes} between "
        f"{_date(facts.first_date)} and {_date(facts.last_date)}."
    ]
    near, far = facts.closest, facts.farthest
    if near and far:
        among = "Of all states" if bloc is None else f"Of the states outside {bloc}"
        out.append(
            f"{among}, {n(near.iso3)} voted most often like {who}: the same way on "
            f"{_pct(near.exact)} of the {near.n:,} contested {votes} both cast; "
            f"{n(far.iso3)} least often, on {_pct(far.exact)} of {far.n:,}."
        )
    if facts.partners:
        first, *rest = facts.partners
        parts = [f"{n(first.iso3)} on {_pct(first.exact)} of {first.n:,} contested {votes}"]
        parts += [f"{n(p.iso3)} on {_pct(p.exact)} of {p.n:,}" for p in rest]
        out.append(f"{_capital(who)} voted the same way as {and_list(parts)}.")
    unity = facts.unity
    if unity and unity.n:
        out.append(
            f"All {bloc_short_name(facts.subject)} members that voted cast the same vote on "
            f"{unity.alike:,} of {unity.n:,} {votes} ({_pct(unity.alike / unity.n)})."
        )
    if facts.defectors is not None:
        top = facts.defectors[:3]
        if top:
            listed = [f"{n(top[0].iso3)} ({top[0].n:,} {votes})"] + [
                f"{n(r.iso3)} ({r.n:,})" for r in top[1:]
            ]
            out.append(
                f"The members that most often voted against the majority of {bloc}: "
                f"{and_list(listed)}."
            )
        else:
            out.append(f"No member ever voted against the majority of {bloc}.")
    if facts.key_vote:
        out.append(_key_vote(facts.key_vote, n, facts.topic_label))
    move = facts.largest_change
    if move:
        out.append(
            f"The largest change from one session to the next: {who} voted the same way "
            f"as {n(move.partner)} on {_pct(move.before)} of {move.n_before:,} "
            f"contested {votes} in the session that opened in {opening_year(move.session_before)}, "
            f"and on {_pct(move.after)} of {move.n_after:,} in the one that opened in "
            f"{opening_year(move.session_after)}."
        )
    return out


def _key_vote(kv: KeyVote, n: Callable[[str], str], topic_label: str | None) -> str:
    how = (
        ""
        if kv.chosen_by == "named"
        else f" (the {_singular(topic_label)} that divided {the_bloc(kv.bloc)} most)"
    )

    def names(keys: list[str]) -> str:
        return and_list(sorted(n(k) for k in keys))

    parts = [
        f"On {_symbol(kv.symbol)} ({_date(kv.date)}){how}, the "
        f"{bloc_short_name(kv.bloc)} members that voted no were {names(kv.voted_no)}"
    ]
    others = (
        (kv.voted_yes, "voted yes"),
        (kv.abstained, "abstained"),
        (kv.no_vote, "cast no vote"),
    )
    parts += [f"{names(keys)} {words}" for keys, words in others if keys]
    return "; ".join(parts) + "."


def details(
    focus: str,
    differences: list[Differences],
    changes: list[PositionChange],
    names: dict[str, str],
    topic_label: str | None,
) -> list[str]:
    """The longer findings: where two states voted differently, when the focus's agreement
    with a partner moved, and around the report's marked dates."""

    def n(key: str) -> str:
        return names.get(key, key)

    votes = votes_on(topic_label)
    who = n(focus)
    out = []
    for d in differences:
        rcs = d.roll_calls
        if not rcs:
            out.append(
                f"{n(d.a)} and {n(d.b)} cast the same vote on every one of the "
                f"{d.n_common:,} {votes} on which both voted."
            )
            continue
        examples = "; ".join(
            f"{_symbol(r.symbol)} ({_date(r.date)}: "
            f"{n(d.a)} {VOTE_WORDS[r.vote_a]}, {n(d.b)} {VOTE_WORDS[r.vote_b]})"
            for r in rcs[:6]
        )
        more = f", and {len(rcs) - 6:,} more listed below" if len(rcs) > 6 else ""
        out.append(
            f"{n(d.a)} and {n(d.b)} voted differently on {len(rcs):,} of the "
            f"{d.n_common:,} {votes} on which both voted: {examples}{more}."
        )
    for c in changes:
        partner = n(c.partner)
        if c.changes:
            moves = "; ".join(
                f"{_session(x.session)}: {x.before:.2f} to {x.after:.2f}" for x in c.changes
            )
            out.append(
                f"{who}'s agreement index with {partner} on {votes} moved by "
                f"{c.threshold:.2f} or more from one session to the next "
                f"{_times(len(c.changes))}: {moves}."
            )
        else:
            out.append(
                f"{who}'s agreement index with {partner} on {votes} never moved by "
                f"{c.threshold:.2f} or more from one session to the next."
            )
        cp = c.change_point
        if cp:
            out.append(
                f"The largest shift in {who}'s vote-by-vote agreement with {partner} comes at "
                f"{_symbol(cp.symbol)} ({_date(cp.date)}): "
                f"{cp.before:.2f} on average over the {cp.n_before:,} earlier {votes}, "
                f"{cp.after:.2f} over the {cp.n_after:,} from then on."
            )
        for e in c.events:
            if e.before is None or e.after is None:
                continue
            out.append(
                f"Before {_date(e.date)}, {e.label}, {who} agreed with {partner} at "
                f"{e.before:.2f} on average over {e.n_before:,} {votes}; "
                f"from then on at {e.after:.2f} over {e.n_after:,}."
            )
    return out


KIND_WORDS = {
    "resolution": "on a text as a whole",
    "amendment": "on amendments",
    "paragraph": "on single paragraphs",
    "procedural": "on procedure",
}


def coverage(n_roll_calls: int, kinds: dict[str, int], without_symbol: int) -> list[str]:
    """What the report's roll calls are ("What the data cover"): how many of each kind, and
    how many have no document symbol."""
    parts = [f"{kinds[k]:,} {w}" for k, w in KIND_WORDS.items() if kinds.get(k)]
    out = [f"Of the {n_roll_calls:,} recorded votes in this report, " + ", ".join(parts) + "."]
    if without_symbol:
        out.append(f"{without_symbol:,} of them have no document symbol in any source.")
    return out
