"""How blocs vote together: Hix, Noury & Roland's agreement index of a bloc's members on each
roll call and per period, the members who broke from the bloc's plurality, and a bloc's majority
vote as a pseudo-state.

Frames in, frames out. Members are given by the caller as ``memberships_on_date``
(roll_call_id, bloc, iso3: who belonged to which bloc on the day of each vote, e.g. from
:func:`alignment.blocs.membership_on_dates`); only Y, N and A count as votes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from alignment.sessions import Period, period_expr
from alignment.vocabulary import VOTE_CODES


def agreement_index(
    yes: np.ndarray | Sequence[float],
    no: np.ndarray | Sequence[float],
    abstain: np.ndarray | Sequence[float],
) -> np.ndarray:
    """Hix, Noury & Roland's agreement index, elementwise; NaN where nobody voted.

    AI = (max(Y, N, A) - 0.5 · (Y + N + A - max(Y, N, A))) / (Y + N + A): 1 when all vote alike,
    0 when the votes split equally three ways.
    """
    y = np.asarray(yes, dtype=np.float64)
    n = np.asarray(no, dtype=np.float64)
    a = np.asarray(abstain, dtype=np.float64)
    total = y + n + a
    top = np.maximum(np.maximum(y, n), a)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (top - 0.5 * (total - top)) / total, np.nan)


def plurality(yes: pl.Expr, no: pl.Expr, abstain: pl.Expr) -> pl.Expr:
    """The bloc's line: its most common vote among Y, N and A; null when two votes tie for
    most common (there is no line to defect from) or nobody voted."""
    top = pl.max_horizontal(yes, no, abstain)
    at_top = (yes == top).cast(pl.Int8) + (no == top).cast(pl.Int8) + (abstain == top).cast(pl.Int8)
    return (
        pl.when((top == 0) | (at_top > 1))
        .then(pl.lit(None, pl.String))
        .when(yes == top)
        .then(pl.lit("Y"))
        .when(no == top)
        .then(pl.lit("N"))
        .otherwise(pl.lit("A"))
    )


def _member_votes(votes: pl.DataFrame, memberships_on_date: pl.DataFrame) -> pl.LazyFrame:
    """The Y / N / A votes of each bloc's members: roll_call_id, iso3, vote, bloc."""
    return (
        votes.lazy()
        .select("roll_call_id", "iso3", "vote")
        .filter(pl.col("vote").is_in(list(VOTE_CODES)))
        .join(
            memberships_on_date.lazy().select("roll_call_id", "bloc", "iso3"),
            on=["roll_call_id", "iso3"],
            how="inner",
        )
    )


def roll_call_cohesion(votes: pl.DataFrame, memberships_on_date: pl.DataFrame) -> pl.DataFrame:
    """Agreement index of each bloc on each roll call where at least one member voted.

    Columns: roll_call_id, bloc, yes, no, abstain, ai, plurality (the bloc's line, null on a
    tie: :func:`plurality`). Sorted by roll_call_id, bloc.
    """
    c = (
        _member_votes(votes, memberships_on_date)
        .group_by("roll_call_id", "bloc")
        .agg(
            (pl.col("vote") == "Y").sum().cast(pl.Int64).alias("yes"),
            (pl.col("vote") == "N").sum().cast(pl.Int64).alias("no"),
            (pl.col("vote") == "A").sum().cast(pl.Int64).alias("abstain"),
        )
        .collect()
    )
    ai = agreement_index(c["yes"].to_numpy(), c["no"].to_numpy(), c["abstain"].to_numpy())
    return c.with_columns(
        pl.Series("ai", ai, dtype=pl.Float64),
        plurality(pl.col("yes"), pl.col("no"), pl.col("abstain")).alias("plurality"),
    ).sort("roll_call_id", "bloc")


def bloc_cohesion(
    votes: pl.DataFrame,
    roll_calls: pl.DataFrame,
    memberships_on_date: pl.DataFrame,
    *,
    by: Period = "session",
) -> pl.DataFrame:
    """Mean agreement index of each bloc per period.

    ``memberships_on_date``: roll_call_id, bloc, iso3 (who belonged to which bloc on that day).
    Only roll calls listed in ``roll_calls`` count (filter it for topics or dates). Columns:
    bloc, period (Int64 session or year; null for the whole window when ``by`` is None),
    cohesion (mean of the roll calls' AI), n (roll calls where a member voted). For the per
    roll call values see ``roll_call_cohesion``.
    """
    period = period_expr(by)
    per_rc = roll_call_cohesion(votes, memberships_on_date).join(
        roll_calls.select("roll_call_id", period.alias("period")), on="roll_call_id", how="inner"
    )
    return (
        per_rc.group_by("bloc", "period")
        .agg(pl.col("ai").mean().alias("cohesion"), pl.len().cast(pl.Int64).alias("n"))
        .sort("bloc", "period")
    )


def defections(
    votes: pl.DataFrame,
    memberships_on_date: pl.DataFrame,
    per_call: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Members who voted Y / N / A against their bloc's line (:func:`plurality`) on a roll call.

    When two votes tie for most common there is no line, so nobody is listed for that bloc and
    roll call. Absence and 'X' are not defections. ``per_call``: the bloc's
    :func:`roll_call_cohesion`, when the caller has it already. Columns: roll_call_id, bloc,
    iso3, vote, bloc_plurality_vote.
    """
    if per_call is None:
        per_call = roll_call_cohesion(votes, memberships_on_date)
    lines = per_call.lazy().select("roll_call_id", "bloc", pl.col("plurality").alias("line"))
    return (
        _member_votes(votes, memberships_on_date)
        .join(lines.drop_nulls("line"), on=["roll_call_id", "bloc"], how="inner")
        .filter(pl.col("vote") != pl.col("line"))
        .select("roll_call_id", "bloc", "iso3", "vote", pl.col("line").alias("bloc_plurality_vote"))
        .sort("roll_call_id", "bloc", "iso3")
        .collect()
    )


def bloc_majority_votes(votes: pl.DataFrame, memberships_on_date: pl.DataFrame) -> pl.DataFrame:
    """Each bloc's majority vote on each roll call, to treat a bloc as one pseudo-state.

    ``votes``: roll_call_id, iso3, vote; ``memberships_on_date``: roll_call_id, bloc, iso3 (who
    belonged to which bloc on the day of the vote, e.g. from
    :func:`alignment.blocs.membership_on_dates`). The majority is the plurality among the
    members who voted Y, A or N; a tie between the most common votes, or no member voting,
    gives ``'X'`` (no majority vote), as in :func:`defections`. A member with no row in
    ``votes`` or with ``'X'`` counts in ``n_none``.

    Columns: roll_call_id, bloc, vote, n_yes, n_no, n_abstain, n_none; one row per roll call
    and bloc with at least one member that day. Sorted by roll_call_id, bloc.
    """
    members = memberships_on_date.lazy().select("roll_call_id", "bloc", "iso3").unique()
    cast = votes.lazy().select("roll_call_id", "iso3", "vote")
    counts = (
        members.join(cast, on=["roll_call_id", "iso3"], how="left")
        .with_columns(pl.col("vote").fill_null("X"))
        .group_by("roll_call_id", "bloc")
        .agg(
            (pl.col("vote") == "Y").sum().cast(pl.Int64).alias("n_yes"),
            (pl.col("vote") == "N").sum().cast(pl.Int64).alias("n_no"),
            (pl.col("vote") == "A").sum().cast(pl.Int64).alias("n_abstain"),
            (~pl.col("vote").is_in(list(VOTE_CODES))).sum().cast(pl.Int64).alias("n_none"),
        )
    )
    vote = plurality(pl.col("n_yes"), pl.col("n_no"), pl.col("n_abstain")).fill_null("X")
    return (
        counts.with_columns(vote.alias("vote"))
        .select("roll_call_id", "bloc", "vote", "n_yes", "n_no", "n_abstain", "n_none")
        .sort("roll_call_id", "bloc")
        .collect()
    )
