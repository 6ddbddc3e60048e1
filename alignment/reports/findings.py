"""The rules that choose what a report claims, each returning typed facts
(:mod:`alignment.reports.facts`); :mod:`alignment.reports.sentences` words them.

Agreement is :func:`alignment.metrics.dyadic_scores`' throughout: over the roll calls where
both voted Y/A/N, dropping roll calls on which every voting state voted alike.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from typing import cast

import polars as pl

from alignment import cohesion as cohesion_module
from alignment import metrics, shifts
from alignment.changepoints import change_point
from alignment.reports import facts
from alignment.reports.inputs import Inputs
from alignment.reports.spec import MAJORITY_PREFIX, ReportSpec
from alignment.sessions import opening_year
from alignment.vocabulary import VOTE_CODES

# A share resting on fewer contested roll calls is not a finding: the summary and the world map
# leave such pairs out, and the charts draw such points hollow without their band.
MIN_VOTES = 5
CHANGE_THRESHOLD = 0.10  # a session-to-session move in agreement that counts as a change
# "Most / least alike" ranks only states that voted on at least this share of the contested
# votes the focus voted on: a state absent from a fifth of them (Turkmenistan on 413 of 1,479)
# shares too few of its votes to speak for it.
SHARE_OF_FOCUS = shifts.MIN_SHARE
# The largest change: resamples of the bootstrap interval of the change, and its level.
CHANGE_BOOTSTRAP = 1000
CHANGE_LEVEL = 0.95


def _per_call_agreement(votes: pl.DataFrame, a: str, b: str, ids: Sequence[int]) -> pl.DataFrame:
    """roll_call_id, vote_a, vote_b for the roll calls where both voted Y/A/N."""
    cast = votes.filter(pl.col("vote").is_in(list(VOTE_CODES)))
    x = cast.filter(pl.col("iso3") == a, pl.col("roll_call_id").is_in(list(ids))).select(
        "roll_call_id", pl.col("vote").alias("vote_a")
    )
    y = cast.filter(pl.col("iso3") == b).select("roll_call_id", pl.col("vote").alias("vote_b"))
    return x.join(y, on="roll_call_id", how="inner").sort("roll_call_id")


def _unanimous(votes: pl.DataFrame, ids: Sequence[int]) -> set[int]:
    """Roll calls on which every state (pseudo-states aside) that voted Y/A/N voted alike."""
    real = votes.filter(
        ~pl.col("iso3").str.starts_with(MAJORITY_PREFIX),
        pl.col("vote").is_in(list(VOTE_CODES)),
        pl.col("roll_call_id").is_in(list(ids)),
    )
    split = real.group_by("roll_call_id").agg(pl.col("vote").n_unique().alias("k"))
    return set(split.filter(pl.col("k") == 1)["roll_call_id"].to_list())


def key_vote(inputs: Inputs, spec: ReportSpec) -> facts.KeyVote | None:
    """How the members of ``key_bloc`` voted on ``key_roll_call`` (or, when the spec names no
    roll call, on the topic roll call that divided the bloc most: the lowest agreement index,
    the latest on a tie)."""
    bloc = spec.key_bloc
    if bloc is None:
        return None
    rc = inputs.topic_roll_calls
    if spec.key_roll_call:
        rc = rc.filter(pl.col("symbol") == spec.key_roll_call, pl.col("kind") == "resolution")
        chosen_by = "named"
    else:
        per = cohesion_module.roll_call_cohesion(
            inputs.votes.filter(pl.col("roll_call_id").is_in(inputs.topic_ids)),
            inputs.on_date.filter(pl.col("bloc") == bloc),
        )
        if per.is_empty():
            return None
        low = per.sort(["ai", "roll_call_id"], descending=[False, True]).head(1)
        rc = rc.filter(pl.col("roll_call_id") == low["roll_call_id"].item())
        chosen_by = "least_cohesive"
    if rc.is_empty():
        return None
    row = rc.row(0, named=True)
    members = sorted(
        inputs.on_date.filter(
            pl.col("bloc") == bloc, pl.col("roll_call_id") == row["roll_call_id"]
        )["iso3"].to_list()
    )
    if not members:
        return None
    cast = dict(
        inputs.votes.filter(pl.col("roll_call_id") == row["roll_call_id"])
        .select("iso3", "vote")
        .iter_rows()
    )
    member_votes = {m: cast.get(m) for m in members}
    return facts.KeyVote(
        roll_call_id=row["roll_call_id"],
        symbol=row["symbol"],
        date=row["date"],
        title=row["title"],
        tally=(row["yes"], row["no"], row["abstain"]),
        kind=row["kind"],
        undl_id=row["undl_id"],
        bloc=bloc,
        chosen_by=chosen_by,
        members=members,
        votes=member_votes,
        voted_no=[m for m in members if member_votes[m] == "N"],
        voted_yes=[m for m in members if member_votes[m] == "Y"],
        abstained=[m for m in members if member_votes[m] == "A"],
        no_vote=[m for m in members if member_votes[m] in (None, "X")],
    )


def differences(inputs: Inputs, votes: pl.DataFrame, a: str, b: str) -> facts.Differences:
    """Topic roll calls where both a and b voted Y/A/N and their votes differ."""
    both = _per_call_agreement(votes, a, b, inputs.topic_ids)
    diff = both.filter(pl.col("vote_a") != pl.col("vote_b")).join(
        inputs.roll_calls.select("roll_call_id", "symbol", "date", "title", "kind", "undl_id"),
        on="roll_call_id",
    )
    rows = diff.sort("date", "roll_call_id").select(
        "roll_call_id", "symbol", "date", "title", "kind", "vote_a", "vote_b", "undl_id"
    )
    return facts.Differences(
        a, b, both.height, [facts.DifferentVote(**r) for r in rows.iter_rows(named=True)]
    )


def position_change(
    inputs: Inputs, spec: ReportSpec, votes: pl.DataFrame, partner: str
) -> facts.PositionChange:
    """When the focus's position on the topic changed, relative to ``partner``.

    Per session: the agreement index of focus and partner over the session's topic roll calls
    (both voted Y/A/N, roll calls where every state voted alike dropped, as in dyadic_scores).
    A *change* is a session whose agreement differs by at least CHANGE_THRESHOLD from the
    previous session with such roll calls. The *change point* is the roll call before which
    the per-roll-call agreement (1 - |x - y| / 2) in date order shifts most (the split that
    maximises the standardised difference of means, at least 3 roll calls on each side).
    """
    scores = metrics.dyadic_scores(
        votes,
        inputs.roll_calls,
        by="session",
        metrics=["agree"],
        countries=[spec.focus, partner],
        roll_call_ids=inputs.topic_ids,
    ).sort("period")
    sessions = [
        facts.SessionAgreement(int(s), float(v), int(n))
        for s, v, n in scores.select("period", "value", "n").iter_rows()
    ]
    changes = [
        facts.SessionChange(cur.session, prev.session, prev.agree, cur.agree)
        for prev, cur in itertools.pairwise(sessions)
        if abs(cur.agree - prev.agree) >= CHANGE_THRESHOLD - 1e-12
    ]
    unanimous = _unanimous(votes, inputs.topic_ids)
    per = (
        _per_call_agreement(votes, spec.focus, partner, inputs.topic_ids)
        .filter(~pl.col("roll_call_id").is_in(list(unanimous)))
        .join(
            inputs.roll_calls.select("roll_call_id", "date", "symbol", "title", "kind", "undl_id"),
            on="roll_call_id",
        )
        .sort("date", "roll_call_id")
    )
    values = metrics.agreement_per_roll_call(
        per["vote_a"].replace_strict(VOTE_CODES).to_numpy(),
        per["vote_b"].replace_strict(VOTE_CODES).to_numpy(),
    )
    point = None
    cp = change_point(values)
    if cp is not None:
        k = cp[0]
        row = per.row(k, named=True)
        point = facts.ChangePoint(
            roll_call_id=row["roll_call_id"],
            symbol=row["symbol"],
            date=row["date"],
            before=float(values[:k].mean()),
            after=float(values[k:].mean()),
            n_before=k,
            n_after=len(values) - k,
            title=row["title"],
            kind=row["kind"],
            undl_id=row["undl_id"],
        )
    events = []
    for day, label in spec.events:
        before = values[(per["date"] < day).to_numpy()]
        after = values[(per["date"] >= day).to_numpy()]
        events.append(
            facts.EventSplit(
                date=day,
                label=label,
                before=float(before.mean()) if len(before) else None,
                after=float(after.mean()) if len(after) else None,
                n_before=len(before),
                n_after=len(after),
            )
        )
    return facts.PositionChange(partner, CHANGE_THRESHOLD, sessions, changes, point, events)


def defections(inputs: Inputs, bloc: str) -> list[facts.Defection]:
    """How often each member voted against the bloc's majority on the report's roll calls,
    most often first."""
    d = cohesion_module.defections(
        inputs.votes.filter(pl.col("roll_call_id").is_in(inputs.topic_ids)),
        inputs.on_date.filter(pl.col("bloc") == bloc),
    )
    counted = (
        d.group_by("iso3").agg(pl.len().alias("n")).sort(["n", "iso3"], descending=[True, False])
    )
    return [facts.Defection(iso3, int(n)) for iso3, n in counted.iter_rows()]


def bloc_unity(inputs: Inputs, bloc: str) -> facts.Unity:
    """On how many of the report's roll calls with at least two members voting (yes, no or
    abstain, members on the day) all of them cast the same vote."""
    per = cohesion_module.roll_call_cohesion(
        inputs.votes.filter(pl.col("roll_call_id").is_in(inputs.topic_ids)),
        inputs.on_date.filter(pl.col("bloc") == bloc),
    )
    voting = pl.col("yes") + pl.col("no") + pl.col("abstain")
    per = per.filter(voting >= 2)
    alike = per.filter(pl.max_horizontal("yes", "no", "abstain") == voting)
    return facts.Unity(n=per.height, alike=alike.height)


def _share(row: dict) -> facts.StateShare:
    return facts.StateShare(row["iso3"], row["exact"], row["n"])


def percent(share: float) -> int:
    """A share as the whole percentage a sentence prints, halves rounded up (0.125 is 13)."""
    return math.floor(100 * share + 0.5)


def focus_contested(inputs: Inputs, votes: pl.DataFrame, focus: str) -> int:
    """The report's contested roll calls on which the focus voted yes, no or abstain."""
    ids = shifts.contested(
        votes.filter(~pl.col("iso3").str.starts_with(MAJORITY_PREFIX)), inputs.topic_ids
    )
    cast = votes.filter(
        pl.col("iso3") == focus,
        pl.col("vote").is_in(list(VOTE_CODES)),
        pl.col("roll_call_id").is_in(ids),
    )
    return cast.height


def extremes(
    inputs: Inputs, spec: ReportSpec, world: pl.DataFrame, focus_n: int
) -> facts.Extremes | None:
    """The states (outside the bloc, for a bloc report) most and least often voting like the
    focus, among those that share at least SHARE_OF_FOCUS of the ``focus_n`` contested roll
    calls the focus voted on (and at least MIN_VOTES): a state absent from a fifth of them does
    not top the list. Every state at the printed percentage of the first is tied with it
    (the report's partners first, then most votes in common).
    ``world``: every key against the focus (iso3, exact, n)."""
    states = world.filter(~pl.col("iso3").str.starts_with(MAJORITY_PREFIX))
    if spec.kind == "bloc":
        members = inputs.on_date.filter(pl.col("bloc") == spec.subject)["iso3"].unique()
        states = states.filter(~pl.col("iso3").is_in(members.to_list()))
    least = max(MIN_VOTES, math.ceil(SHARE_OF_FOCUS * focus_n - 1e-9))
    eligible = states.filter(pl.col("n") >= least, pl.col("exact").is_not_nan())
    if eligible.height < 2:
        return None
    shares = [_share(r) for r in eligible.iter_rows(named=True)]

    # Tied states the report compares with come first: they are the ones a reader knows.
    known = {p: i for i, p in enumerate(spec.partners)}

    def tied(best: facts.StateShare) -> list[facts.StateShare]:
        same = [s for s in shares if percent(s.exact) == percent(best.exact)]
        return sorted(same, key=lambda s: (known.get(s.iso3, len(known)), -s.n, s.iso3))

    top = max(shares, key=lambda s: (s.exact, s.n, _neg(s.iso3)))
    bottom = min(shares, key=lambda s: (s.exact, -s.n, s.iso3))
    if percent(top.exact) == percent(bottom.exact):
        return None
    return facts.Extremes(focus_n, SHARE_OF_FOCUS, least, eligible.height, tied(top), tied(bottom))


def _neg(text: str) -> tuple[int, ...]:
    """A key that sorts strings backwards (for max with the earlier ISO3 first)."""
    return tuple(-ord(c) for c in text)


def largest_change(
    inputs: Inputs, spec: ReportSpec, votes: pl.DataFrame, *, bootstrap: int = CHANGE_BOOTSTRAP
) -> facts.Move | None:
    """The largest move in the share alike with a partner between two successive sessions
    of the report that passes the rule: at least shifts.MIN_VOTES contested roll calls in
    common in each, and a 95% bootstrap interval of the change
    (:func:`alignment.metrics.score_change`) that excludes no change. Ties: the earlier
    partner, then the earlier session."""
    real = votes.filter(~pl.col("iso3").str.starts_with(MAJORITY_PREFIX))
    ids = shifts.contested(real, inputs.topic_ids)
    rc = inputs.roll_calls.filter(pl.col("roll_call_id").is_in(ids))
    sessions = sorted(rc["session"].drop_nulls().unique().to_list())
    windows = {
        s: (cast(dt.date, d["date"].min()), cast(dt.date, d["date"].max()))
        for s in sessions
        for d in [rc.filter(pl.col("session") == s)]
    }
    best: tuple | None = None
    for order, partner in enumerate(spec.partners):
        pair = votes.filter(
            pl.col("iso3").is_in([spec.focus, partner]), pl.col("roll_call_id").is_in(ids)
        )
        for a, b in itertools.pairwise(sessions):
            change = metrics.score_change(
                pair, rc, target=spec.focus, first=windows[a], second=windows[b],
                metric="exact", bootstrap=bootstrap, level=CHANGE_LEVEL,
                selection=metrics.Selection(drop_unanimous=False),
            ).filter(pl.col("iso3") == partner)  # fmt: skip
            if change.is_empty():
                continue
            r = change.row(0, named=True)
            if min(r["n_from"], r["n_to"]) < shifts.MIN_VOTES or r["lower"] is None:
                continue
            if not (r["lower"] > 0 or r["upper"] < 0):
                continue
            key = (abs(r["change"]), -order, -a)
            if best is None or key > best[0]:
                best = (key, facts.Move(partner, a, r["value_from"], r["n_from"], b, r["value_to"],
                                  r["n_to"], r["lower"], r["upper"], CHANGE_LEVEL))  # fmt: skip
    return None if best is None else best[1]


def latest(
    inputs: Inputs, spec: ReportSpec, votes: pl.DataFrame, *, bootstrap: int = CHANGE_BOOTSTRAP
) -> facts.Latest | None:
    """What changed in the report's latest session (:func:`alignment.shifts.session_shifts`
    over the report's roll calls): None when no state's share alike with the focus shifted
    notably, or there is no earlier session."""
    found = shifts.session_shifts(
        votes, inputs.roll_calls, spec.focus, roll_call_ids=inputs.topic_ids, bootstrap=bootstrap
    )
    if found is None:
        return None
    states = found.frame.filter(~pl.col("iso3").str.starts_with(MAJORITY_PREFIX))
    if spec.kind == "bloc":
        members = inputs.on_date.filter(pl.col("bloc") == spec.subject)["iso3"].unique()
        states = states.filter(~pl.col("iso3").is_in(members.to_list()))
    both = states.filter(pl.col("n_from") >= shifts.MIN_VOTES, pl.col("n_to") >= shifts.MIN_VOTES)
    notable = both.filter(pl.col("notable")).sort(
        pl.col("change").abs(), "iso3", descending=[True, False]
    )
    if notable.is_empty():
        return None
    largest = [
        facts.Move(r["iso3"], found.previous, r["value_from"], r["n_from"], found.session,
             r["value_to"], r["n_to"], r["lower"], r["upper"], found.level)
        for r in notable.head(3).iter_rows(named=True)
    ]  # fmt: skip
    session_end = dt.date(opening_year(found.session) + 1, 9, 1)
    return facts.Latest(
        session=found.session,
        previous=found.previous,
        first_day=found.first_day,
        last_day=found.last_day,
        sitting=session_end > found.last_day >= cast(dt.date, inputs.roll_calls["date"].max()),
        n_roll_calls=found.n_roll_calls,
        n_states=both.height,
        falls=notable.filter(pl.col("change") < 0).height,
        rises=notable.filter(pl.col("change") > 0).height,
        largest=largest,
        level=found.level,
        min_votes=shifts.MIN_VOTES,
        min_change=shifts.MIN_CHANGE,
        min_share=shifts.MIN_SHARE,
    )


def gaps(coverage_rows: pl.DataFrame, last_day: dt.date) -> list[facts.Gap]:
    """The emergency special sessions among ``coverage_rows`` (the report's series,
    :func:`alignment.analyses.read_coverage`) whose records stop before ``last_day`` (the report's
    last vote) while the store runs on: any later votes of them are missing."""
    store = coverage_rows.filter(pl.col("source") == "store")
    if store.is_empty():
        return []
    until = min(last_day, cast(dt.date, store["last_record"].max()))
    stopped = store.filter(
        pl.col("series_kind") == "emergency special", pl.col("last_record") < until
    ).sort("series_number")
    return [facts.Gap(r["series"], r["last_record"]) for r in stopped.iter_rows(named=True)]


def summary_facts(
    inputs: Inputs,
    spec: ReportSpec,
    votes: pl.DataFrame,
    world: pl.DataFrame,
    topic_label: str | None,
    coverage_rows: pl.DataFrame | None = None,
    *,
    bootstrap: int = CHANGE_BOOTSTRAP,
) -> facts.SummaryFacts:
    """The numbers of the summary: the window and its gaps, who votes most and least alike,
    the share alike with each partner, a bloc's unity and defectors, the key vote, the
    largest change, and what changed in the latest session."""
    topic_rc = inputs.topic_roll_calls
    by_key = {r["iso3"]: r for r in world.iter_rows(named=True)}
    bloc = spec.kind == "bloc"
    last = cast(dt.date, topic_rc["date"].max())
    return facts.SummaryFacts(
        kind=spec.kind,
        subject=spec.subject,
        focus=spec.focus,
        topic_label=topic_label,
        n_roll_calls=topic_rc.height,
        first_date=cast(dt.date, topic_rc["date"].min()),
        last_date=last,
        key_vote=key_vote(inputs, spec),
        extremes=extremes(inputs, spec, world, focus_contested(inputs, votes, spec.focus)),
        partners=[_share(by_key[p]) for p in spec.partners if p in by_key],
        largest_change=largest_change(inputs, spec, votes, bootstrap=bootstrap),
        unity=bloc_unity(inputs, spec.subject) if bloc else None,
        defectors=defections(inputs, spec.subject) if bloc else None,
        gaps=gaps(coverage_rows, last) if coverage_rows is not None else [],
        latest=latest(inputs, spec, votes, bootstrap=bootstrap),
    )
