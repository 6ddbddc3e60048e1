"""The rules that choose what a report claims, each returning typed facts
(:mod:`alignment.reports.facts`); :mod:`alignment.reports.sentences` words them.

Agreement is :func:`alignment.metrics.dyadic_scores`' throughout: over the roll calls where
both voted Y/A/N, dropping roll calls on which every voting state voted alike.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import polars as pl

from alignment import cohesion as cohesion_module
from alignment import metrics
from alignment.changes import change_point
from alignment.reports.facts import (
    ChangePoint,
    Defection,
    Differences,
    DifferentVote,
    EventSplit,
    KeyVote,
    Move,
    PositionChange,
    SessionAgreement,
    SessionChange,
    StateShare,
    SummaryFacts,
    Unity,
)
from alignment.reports.inputs import Inputs
from alignment.reports.spec import MAJORITY_PREFIX, ReportSpec
from alignment.vocabulary import VOTE_CODES

# A share resting on fewer contested roll calls is not a finding: the summary and the world map
# leave such pairs out, and the charts draw such points hollow without their band.
MIN_VOTES = 5
CHANGE_THRESHOLD = 0.10  # a session-to-session move in agreement that counts as a change


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


def key_vote(inputs: Inputs, spec: ReportSpec) -> KeyVote | None:
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
    return KeyVote(
        roll_call_id=row["roll_call_id"],
        symbol=row["symbol"],
        date=row["date"],
        title=row["title"],
        tally=(row["yes"], row["no"], row["abstain"]),
        bloc=bloc,
        chosen_by=chosen_by,
        members=members,
        votes=member_votes,
        voted_no=[m for m in members if member_votes[m] == "N"],
        voted_yes=[m for m in members if member_votes[m] == "Y"],
        abstained=[m for m in members if member_votes[m] == "A"],
        no_vote=[m for m in members if member_votes[m] in (None, "X")],
    )


def differences(inputs: Inputs, votes: pl.DataFrame, a: str, b: str) -> Differences:
    """Topic roll calls where both a and b voted Y/A/N and their votes differ."""
    both = _per_call_agreement(votes, a, b, inputs.topic_ids)
    diff = both.filter(pl.col("vote_a") != pl.col("vote_b")).join(
        inputs.roll_calls.select("roll_call_id", "symbol", "date", "title", "kind"),
        on="roll_call_id",
    )
    rows = diff.sort("date", "roll_call_id").select(
        "roll_call_id", "symbol", "date", "title", "kind", "vote_a", "vote_b"
    )
    return Differences(a, b, both.height, [DifferentVote(**r) for r in rows.iter_rows(named=True)])


def position_change(
    inputs: Inputs, spec: ReportSpec, votes: pl.DataFrame, partner: str
) -> PositionChange:
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
        SessionAgreement(int(s), float(v), int(n))
        for s, v, n in scores.select("period", "value", "n").iter_rows()
    ]
    changes = [
        SessionChange(cur.session, prev.session, prev.agree, cur.agree)
        for prev, cur in itertools.pairwise(sessions)
        if abs(cur.agree - prev.agree) >= CHANGE_THRESHOLD - 1e-12
    ]
    unanimous = _unanimous(votes, inputs.topic_ids)
    per = (
        _per_call_agreement(votes, spec.focus, partner, inputs.topic_ids)
        .filter(~pl.col("roll_call_id").is_in(list(unanimous)))
        .join(inputs.roll_calls.select("roll_call_id", "date", "symbol"), on="roll_call_id")
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
        point = ChangePoint(
            roll_call_id=row["roll_call_id"],
            symbol=row["symbol"],
            date=row["date"],
            before=float(values[:k].mean()),
            after=float(values[k:].mean()),
            n_before=k,
            n_after=len(values) - k,
        )
    events = []
    for day, label in spec.events:
        before = values[(per["date"] < day).to_numpy()]
        after = values[(per["date"] >= day).to_numpy()]
        events.append(
            EventSplit(
                date=day,
                label=label,
                before=float(before.mean()) if len(before) else None,
                after=float(after.mean()) if len(after) else None,
                n_before=len(before),
                n_after=len(after),
            )
        )
    return PositionChange(partner, CHANGE_THRESHOLD, sessions, changes, point, events)


def defections(inputs: Inputs, bloc: str) -> list[Defection]:
    """How often each member voted against the bloc's majority on the report's roll calls,
    most often first."""
    d = cohesion_module.defections(
        inputs.votes.filter(pl.col("roll_call_id").is_in(inputs.topic_ids)),
        inputs.on_date.filter(pl.col("bloc") == bloc),
    )
    counted = (
        d.group_by("iso3").agg(pl.len().alias("n")).sort(["n", "iso3"], descending=[True, False])
    )
    return [Defection(iso3, int(n)) for iso3, n in counted.iter_rows()]


def bloc_unity(inputs: Inputs, bloc: str) -> Unity:
    """On how many of the report's roll calls with at least two members voting (yes, no or
    abstain, members on the day) all of them cast the same vote."""
    per = cohesion_module.roll_call_cohesion(
        inputs.votes.filter(pl.col("roll_call_id").is_in(inputs.topic_ids)),
        inputs.on_date.filter(pl.col("bloc") == bloc),
    )
    voting = pl.col("yes") + pl.col("no") + pl.col("abstain")
    per = per.filter(voting >= 2)
    alike = per.filter(pl.max_horizontal("yes", "no", "abstain") == voting)
    return Unity(n=per.height, alike=alike.height)


def _share(row: dict) -> StateShare:
    return StateShare(row["iso3"], row["exact"], row["n"])


def closest_and_farthest(
    inputs: Inputs, spec: ReportSpec, world: pl.DataFrame
) -> tuple[StateShare | None, StateShare | None]:
    """The states (outside the bloc, for a bloc report) most and least often voting like the
    focus, among those sharing at least half as many contested roll calls with it as the state
    sharing most (and at least MIN_VOTES), so that a state that voted a few times does not top
    the list. ``world`` is sorted from most to least alike (ties: more votes, then ISO3)."""
    states = world.filter(~pl.col("iso3").str.starts_with(MAJORITY_PREFIX))
    if spec.kind == "bloc":
        members = inputs.on_date.filter(pl.col("bloc") == spec.subject)["iso3"].unique()
        states = states.filter(~pl.col("iso3").is_in(members.to_list()))
    if not states.height:
        return None, None
    least = max(MIN_VOTES, -(-int(states["n"].max()) // 2))
    eligible = states.filter(pl.col("n") >= least)
    if not eligible.height:
        return None, None
    farthest = eligible.sort(["exact", "n", "iso3"], descending=[False, True, False])
    return _share(eligible.row(0, named=True)), _share(farthest.row(0, named=True))


def largest_change(spec: ReportSpec, agree: pl.DataFrame) -> Move | None:
    """The largest move in the share alike with a change partner between two successive
    sessions with at least MIN_VOTES contested roll calls (ties: the earlier partner, then
    the earlier session). ``agree``: the agreement section's frame."""
    moves = []
    for order, partner in enumerate(spec.change_partners):
        series = agree.filter(
            pl.col("scope") == ("topic" if spec.topic else "all"),
            pl.col("partner") == partner,
            pl.col("metric") == "exact",
            pl.col("n") >= MIN_VOTES,
            pl.col("value").is_not_nan(),
        ).sort("session")
        rows = series.select("session", "value", "n").rows()
        moves += [
            (abs(b[1] - a[1]), -order, -a[0], partner, a, b)
            for a, b in itertools.pairwise(rows)
            if b[1] != a[1]
        ]
    if not moves:
        return None
    *_, partner, a, b = max(moves)
    return Move(partner, a[0], a[1], a[2], b[0], b[1], b[2])


def summary_facts(
    inputs: Inputs,
    spec: ReportSpec,
    world: pl.DataFrame,
    agree: pl.DataFrame,
    topic_label: str | None,
) -> SummaryFacts:
    """The numbers of the summary: the window, who votes most and least alike, the share
    alike with each partner, a bloc's unity and defectors, the key vote, the largest change."""
    topic_rc = inputs.topic_roll_calls
    closest, farthest = closest_and_farthest(inputs, spec, world)
    by_key = {r["iso3"]: r for r in world.iter_rows(named=True)}
    bloc = spec.kind == "bloc"
    return SummaryFacts(
        kind=spec.kind,
        subject=spec.subject,
        focus=spec.focus,
        topic_label=topic_label,
        n_roll_calls=topic_rc.height,
        first_date=topic_rc["date"].min(),
        last_date=topic_rc["date"].max(),
        key_vote=key_vote(inputs, spec),
        closest=closest,
        farthest=farthest,
        partners=[_share(by_key[p]) for p in spec.partners if p in by_key],
        largest_change=largest_change(spec, agree),
        unity=bloc_unity(inputs, spec.subject) if bloc else None,
        defectors=defections(inputs, spec.subject) if bloc else None,
    )
