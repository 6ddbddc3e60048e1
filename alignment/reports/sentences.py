"""Every sentence a report builds from its facts (never typed in by hand): the summary at the
top, what changed in the latest session, the findings in detail, what the data cover, and the
phrases the page's fixed text repeats (who the report is about, which votes).

Each reads right with and without a topic, for a state and for a bloc (whose sentences speak
of the majority of its members), for every state and bloc of the crosswalk
(tests/test_report_wording.py sweeps them). Sentences that cite a vote are HTML
(:class:`markupsafe.Markup`: data escaped, the vote's symbol linked to its UN record); the
others plain text, which the template escapes. The facts come from
:mod:`alignment.reports.findings`; the names of states and blocs from
:mod:`alignment.reports.names`; how a vote is cited from :mod:`alignment.reports.citation`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

from alignment.reports import facts
from alignment.reports.citation import cite
from alignment.reports.findings import percent
from alignment.reports.names import (
    VOTE_WORDS,
    bloc_members,
    capital,
    in_text,
    the_bloc,
)
from alignment.reports.spec import ReportSpec
from alignment.sessions import opening_year


def _date(day: dt.date | None) -> str:
    return "" if day is None else f"{day.day} {day:%B %Y}"


def and_list(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c" (never called with none: a sentence with nothing to list
    is not written)."""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def _pct(share: float) -> str:
    """A share as a whole percentage, halves rounded up (0.125 is 13%)."""
    return f"{percent(share)}%"


def _points(x: float) -> str:
    return f"{abs(percent(x))}"


def _session(session: int) -> str:
    return f"session {session} (opened {opening_year(session)})"


def _singular(topic_label: str | None) -> str:
    return f"vote on {topic_label}" if topic_label else "vote"


def _times(k: int) -> str:
    return "once" if k == 1 else "twice" if k == 2 else f"{k} times"


_SLOT = "\x00"


def _html(text: str, *cites: Markup) -> Markup:
    """``text`` escaped, each ``_SLOT`` in it replaced by the next citation."""
    parts = str(escape(text)).split(_SLOT)
    out = Markup(parts[0])
    for c, rest in zip(cites, parts[1:], strict=True):
        out += c + Markup(rest)
    return out


def subject_phrase(kind: str, subject: str, names: dict[str, str]) -> str:
    """Who the report is about, mid-sentence: "Belarus", "the United States", "the majority of
    CSTO members"."""
    if kind == "bloc":
        return f"the majority of {bloc_members(subject)}"
    return in_text(subject, names)


def votes_on(topic_label: str | None) -> str:
    """ "votes on Syria", or "votes" when the report has no topic."""
    return f"votes on {topic_label}" if topic_label else "votes"


@dataclass(frozen=True)
class Phrases:
    """The phrases the page's fixed text repeats."""

    focus_phrase: str  # "Belarus", "the majority of CSTO members"
    the_subject: str  # "Belarus", "the United States", "the CSTO"
    what: str  # "votes on Syria", "votes"

    @property
    def focus_start(self) -> str:
        """The focus at the start of a sentence: "The United States"."""
        return capital(self.focus_phrase)


def phrases(spec: ReportSpec, names: dict[str, str], topic_label: str | None) -> Phrases:
    return Phrases(
        focus_phrase=subject_phrase(spec.kind, spec.subject, names),
        the_subject=the_bloc(spec.subject) if spec.kind == "bloc" else in_text(spec.subject, names),
        what=votes_on(topic_label),
    )


def blocs_phrase(blocs: tuple[str, ...] | list[str]) -> str:
    """ "the CSTO, the Customs Union and the EAEU"."""
    return and_list([the_bloc(b) for b in blocs]) if blocs else ""


def gaps_clause(gaps: list[facts.Gap]) -> str:
    """ "it holds no vote of the emergency special session ES-11 after 23 February 2023, so
    any later ones are missing from every figure below"."""
    parts = [f"{g.series} after {_date(g.last_record)}" for g in gaps]
    sessions = "session" if len(gaps) == 1 else "sessions"
    return (
        f"it holds no vote of the emergency special {sessions} {and_list(parts)}, so any later "
        "ones are missing from every figure below"
    )


def window(found: facts.SummaryFacts) -> str:
    """The first sentence: how many votes, between which days, and what the store lacks."""
    votes = votes_on(found.topic_label)
    span = f"between {_date(found.first_date)} and {_date(found.last_date)}"
    if found.gaps:
        return (
            f"The store holds {found.n_roll_calls:,} recorded {votes} {span}; "
            f"{gaps_clause(found.gaps)}."
        )
    return f"The General Assembly held {found.n_roll_calls:,} recorded {votes} {span}."


def _sort_name(phrase: str) -> str:
    """A name's place in an alphabetical list: "the Netherlands" under N."""
    return phrase.removeprefix("the ").casefold()


def _who_list(shares: list[facts.StateShare], n: Callable[[str], str]) -> str:
    """Tied states: all of them up to three, else the count and the two with most votes."""
    if len(shares) <= 3:
        return and_list([n(s.iso3) for s in shares])
    return f"{len(shares)} states, among them {n(shares[0].iso3)} and {n(shares[1].iso3)},"


def extremes(
    e: facts.Extremes, who: str, votes: str, outside: str | None, n: Callable[[str], str]
) -> str:
    """Who voted most and least often like the focus, ties named as ties."""
    states = f"states outside {outside}" if outside else "states"
    among = (
        f"Of the {e.n_eligible:,} {states} that voted on at least {e.share:.0%} of the "
        f"{e.focus_n:,} contested {votes} that {who} voted on"
    )
    top, bottom = e.top, e.bottom
    if len(top) == 1:
        best = (
            f"{n(top[0].iso3)} voted the same way as {who} most often "
            f"({_pct(top[0].exact)} of the {top[0].n:,} both voted on)"
        )
    elif percent(top[0].exact) == 100:
        best = f"{_who_list(top, n)} voted the same way as {who} on every one they both voted on"
    else:
        best = f"{_who_list(top, n)} voted the same way as {who} most often ({_pct(top[0].exact)} each)"
    if len(bottom) == 1:
        worst = f"{n(bottom[0].iso3)} least often ({_pct(bottom[0].exact)} of {bottom[0].n:,})"
    elif percent(bottom[0].exact) == 0:
        worst = f"{_who_list(bottom, n)} never did"
    else:
        worst = f"{_who_list(bottom, n)} least often ({_pct(bottom[0].exact)} each)"
    return f"{among}, {best}; {worst}."


def partners(shares: list[facts.StateShare], who: str, votes: str, n: Callable[[str], str]) -> str:
    first, *rest = shares
    parts = [f"{n(first.iso3)} on {_pct(first.exact)} of {first.n:,} contested {votes}"]
    parts += [f"{n(p.iso3)} on {_pct(p.exact)} of {p.n:,}" for p in rest]
    return f"{capital(who)} voted the same way as {and_list(parts)}."


def change(move: facts.Move, who: str, votes: str, n: Callable[[str], str]) -> str:
    """The largest session-to-session change that the votes bear out, with its interval."""
    way = "fall" if move.after < move.before else "rise"
    lo, hi = sorted([abs(move.lower or 0.0), abs(move.upper or 0.0)])
    return (
        f"The largest change from one session to the next: {who} voted the same way as "
        f"{n(move.partner)} on {_pct(move.before)} of {move.n_before:,} contested {votes} in the "
        f"session that opened in {opening_year(move.session_before)} and on {_pct(move.after)} "
        f"of {move.n_after:,} in the one that opened in {opening_year(move.session_after)} (a "
        f"{way} of {_points(move.after - move.before)} points, {move.level:.0%} interval "
        f"{_points(lo)} to {_points(hi)} points)."
    )


def summary(found: facts.SummaryFacts, names: dict[str, str]) -> list[str | Markup]:
    """The summary: a few sentences of plain language, each with its number."""

    def n(key: str) -> str:
        return in_text(key, names)

    gapped = bool(found.gaps)
    votes = votes_on(found.topic_label) + (" held here" if gapped else "")
    bloc = found.subject if found.kind == "bloc" else None
    who = subject_phrase(found.kind, found.subject, names)
    out: list[str | Markup] = [window(found)]
    if found.extremes:
        outside = the_bloc(bloc) if bloc else None
        out.append(extremes(found.extremes, who, votes, outside, n))
    if found.partners:
        out.append(partners(found.partners, who, votes, n))
    unity = found.unity
    if bloc and unity and unity.n:
        out.append(
            f"All {bloc_members(bloc)} that voted cast the same vote on "
            f"{unity.alike:,} of {unity.n:,} {votes} ({_pct(unity.alike / unity.n)})."
        )
    if bloc and found.defectors is not None:
        top = found.defectors[:3]
        if top:
            listed = [f"{n(top[0].iso3)} ({top[0].n:,} {votes})"] + [
                f"{n(r.iso3)} ({r.n:,})" for r in top[1:]
            ]
            out.append(
                f"The {bloc_members(bloc)} that most often voted against their majority: "
                f"{and_list(listed)}."
            )
        else:
            out.append(
                f"No member of {the_bloc(bloc)} voted against the majority of its members on "
                f"any of the {found.n_roll_calls:,} {votes}."
            )
    if found.key_vote:
        out.append(key_vote(found.key_vote, n, found.topic_label))
    if found.largest_change:
        out.append(change(found.largest_change, who, votes, n))
    return out


def key_vote(kv: facts.KeyVote, n: Callable[[str], str], topic_label: str | None) -> Markup:
    """How a bloc's members voted on one vote: counts and names of each group, none empty."""
    how = (
        ""
        if kv.chosen_by == "named"
        else f", the {_singular(topic_label)} that divided {the_bloc(kv.bloc)} most"
    )

    def names(keys: list[str]) -> str:
        return and_list([n(k) for k in sorted(keys, key=lambda k: _sort_name(n(k)))])

    groups = [
        (kv.voted_no, "voted no", "no"),
        (kv.voted_yes, "voted yes", "yes"),
        (kv.abstained, "abstained", "abstained"),
    ]
    present = [(keys, first, later) for keys, first, later in groups if keys]
    members = bloc_members(kv.bloc)
    if len(present) == 1 and not kv.no_vote:
        keys, first, _ = present[0]
        said = f"all {len(keys)} {members} {first}"
    else:
        parts = [
            f"{len(keys)} {first if i == 0 else later} ({names(keys)})"
            for i, (keys, first, later) in enumerate(present)
        ]
        said = f"{members} split: {and_list(parts)}" if parts else f"no {members[:-1]} voted"
        if kv.no_vote:
            said += f"; {names(kv.no_vote)} cast no vote"
    text = f"On {_SLOT}{how}, {said}."
    return _html(text, cite(kv.symbol, kv.date, kv.title, kv.kind, kv.undl_id))


def latest(lt: facts.Latest, who: str, votes: str, n: Callable[[str], str]) -> list[str]:
    """What changed in the latest session: how many states moved, and the largest moves."""
    sitting = "; the session is still sitting" if lt.sitting else ""
    head = (
        f"In the session that opened in {opening_year(lt.session)} ({lt.n_roll_calls:,} "
        f"contested {votes} from {_date(lt.first_day)} to {_date(lt.last_day)}{sitting}), "
        f"{who} voted the same way as "
    )
    parts = []
    if lt.falls:
        parts.append(f"{lt.falls:,} of the {lt.n_states:,} states compared less often")
    if lt.rises:
        rises = f"{lt.rises:,}" if lt.falls else f"{lt.rises:,} of the {lt.n_states:,} states"
        parts.append(f"{rises} more often")
    out = [f"{head}{and_list(parts)} than in the session before."]
    moves = [
        f"{n(m.partner)}, from {_pct(m.before)} of {m.n_before:,} to {_pct(m.after)} of {m.n_after:,}"
        for m in lt.largest
    ]
    out.append(f"The largest changes: {'; '.join(moves)}.")
    out.append(
        f"A change counts here when it is at least {_points(lt.min_change)} points, its "
        f"{lt.level:.0%} bootstrap interval excludes no change, and in each session the state "
        f"voted on at least {lt.min_share:.0%} of the contested votes {who} voted on (and on "
        f"at least {lt.min_votes})."
    )
    return out


def details(
    focus: str,
    differences: list[facts.Differences],
    changes: list[facts.PositionChange],
    names: dict[str, str],
    topic_label: str | None,
) -> list[str | Markup]:
    """The longer findings: where two states voted differently, when the focus's agreement
    with a partner moved, and around the report's marked dates."""

    def n(key: str) -> str:
        return in_text(key, names)

    votes = votes_on(topic_label)
    who = n(focus)
    out: list[str | Markup] = []
    for d in differences:
        rcs = d.roll_calls
        if not rcs:
            out.append(
                f"{capital(n(d.a))} and {n(d.b)} cast the same vote on every one of the "
                f"{d.n_common:,} {votes} on which both voted."
            )
            continue
        shown = rcs[:6]
        examples = "; ".join(
            f"{_SLOT}: {n(d.a)} {VOTE_WORDS[r.vote_a]}, {n(d.b)} {VOTE_WORDS[r.vote_b]}"
            for r in shown
        )
        more = f"; and {len(rcs) - 6:,} more listed below" if len(rcs) > 6 else ""
        out.append(
            _html(
                f"{capital(n(d.a))} and {n(d.b)} voted differently on {len(rcs):,} of the "
                f"{d.n_common:,} {votes} on which both voted: {examples}{more}.",
                *(cite(r.symbol, r.date, r.title, r.kind, r.undl_id) for r in shown),
            )
        )
    for c in changes:
        partner = n(c.partner)
        index = f"The agreement index of {who} with {partner} on {votes}"
        if c.changes:
            moves = "; ".join(
                f"{_session(x.session)}: {x.before:.2f} to {x.after:.2f}" for x in c.changes
            )
            out.append(
                f"{index} moved by {c.threshold:.2f} or more from one session to the next "
                f"{_times(len(c.changes))}: {moves}."
            )
        else:
            out.append(
                f"{index} never moved by {c.threshold:.2f} or more from one session to the next."
            )
        cp = c.change_point
        if cp:
            out.append(
                _html(
                    f"The largest shift in the vote-by-vote agreement of {who} with {partner} "
                    f"comes at {_SLOT}: {cp.before:.2f} on average over the {cp.n_before:,} "
                    f"earlier {votes}, {cp.after:.2f} over the {cp.n_after:,} from then on.",
                    cite(cp.symbol, cp.date, cp.title, cp.kind, cp.undl_id),
                )
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


def coverage_sentences(n_roll_calls: int, kinds: dict[str, int], without_symbol: int) -> list[str]:
    """What the report's roll calls are ("What the data cover"): how many of each kind, and
    how many have no document symbol."""
    parts = [f"{kinds[k]:,} {w}" for k, w in KIND_WORDS.items() if kinds.get(k)]
    out = [f"Of the {n_roll_calls:,} recorded votes in this report, " + ", ".join(parts) + "."]
    if without_symbol:
        out.append(f"{without_symbol:,} of them have no document symbol in any source.")
    return out
