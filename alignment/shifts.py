"""What changed from one session to the next: every state's agreement with a target state in a
session against the session before, with the bootstrap interval of the change
(:func:`alignment.metrics.score_change`, the computation behind ``alignment movers``).

A shift is *notable* when in both sessions the pair shares at least ``min_votes`` contested roll
calls and at least ``min_share`` of those the target voted on, the change is at least
``min_change`` and its interval excludes no change. The reports'
"What changed in the latest session" box lists the notable shifts of the latest session; a
change feed can ask the same of any session.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import cast

import polars as pl

from alignment import metrics

# Fewest contested roll calls in common in each session: a share of a handful of votes moves
# by tens of points on one vote.
MIN_VOTES = 20
# ... and at least this share of the target's: a state absent from a fifth of them (arrears,
# a boycott) shares too few of its votes to speak for it.
MIN_SHARE = 0.8
# Smallest change worth a sentence: ten points of the share cast alike.
MIN_CHANGE = 0.10
# Scanning every state, one in twenty would pass a 95% interval by chance: the scan asks 99%.
LEVEL = 0.99


@dataclass(frozen=True)
class SessionShifts:
    """Every state's score with ``target`` in ``session`` against ``previous``."""

    target: str
    metric: str
    session: int
    previous: int
    first_day: dt.date  # the session's first and last roll call
    last_day: dt.date
    n_roll_calls: int  # roll calls of the session counted (the contested ones among those given)
    level: float
    frame: pl.DataFrame  # metrics.CHANGE_SCHEMA, enough and notable (bool), largest change first
    least: tuple[int, int]  # contested votes in common a state needs, before and now

    @property
    def notable(self) -> pl.DataFrame:
        """The notable shifts, largest (in absolute value) first."""
        return self.frame.filter(pl.col("notable")).sort(
            pl.col("change").abs(), "iso3", descending=[True, False]
        )


def contested(votes: pl.DataFrame, roll_call_ids: Collection[int] | None = None) -> list[int]:
    """The roll calls (of ``roll_call_ids``, all when None) on which the states that voted
    yes, no or abstain did not all cast the same vote."""
    cast = votes.filter(pl.col("vote").is_in(["Y", "A", "N"]))
    if roll_call_ids is not None:
        cast = cast.filter(pl.col("roll_call_id").is_in(list(roll_call_ids)))
    split = cast.group_by("roll_call_id").agg(pl.col("vote").n_unique().alias("k"))
    return sorted(split.filter(pl.col("k") > 1)["roll_call_id"].to_list())


def session_shifts(
    votes: pl.DataFrame,
    roll_calls: pl.DataFrame,
    target: str,
    *,
    session: int | None = None,
    roll_call_ids: Collection[int] | None = None,
    metric: str = "exact",
    min_votes: int = MIN_VOTES,
    min_share: float = MIN_SHARE,
    min_change: float = MIN_CHANGE,
    bootstrap: int = 1000,
    level: float = LEVEL,
    seed: int = 0,
) -> SessionShifts | None:
    """Every state's ``metric`` with ``target`` in ``session`` (default: the latest session of
    the roll calls) against the previous session that has roll calls, over ``roll_call_ids``
    (all when None), unanimous roll calls left out; None when there is no earlier session.

    ``votes``: roll_call_id, iso3, vote; ``roll_calls``: roll_call_id, date, session, kind,
    important. The states' rows come from :func:`alignment.metrics.score_change` (its
    ``level`` interval from ``bootstrap`` resamples) with ``notable`` added."""
    rc = roll_calls
    if roll_call_ids is not None:
        rc = rc.filter(pl.col("roll_call_id").is_in(list(roll_call_ids)))
    sessions = sorted(rc["session"].drop_nulls().unique().to_list())
    if session is None and sessions:
        session = sessions[-1]
    earlier = [s for s in sessions if session is not None and s < session]
    if session is None or session not in sessions or not earlier:
        return None
    previous = earlier[-1]

    def window(s: int) -> tuple[dt.date, dt.date]:
        days = rc.filter(pl.col("session") == s)["date"]
        return cast(dt.date, days.min()), cast(dt.date, days.max())

    now, before = window(session), window(previous)
    ids = rc.filter(pl.col("session").is_in([previous, session]))["roll_call_id"].to_list()
    frame = metrics.score_change(
        votes.filter(pl.col("roll_call_id").is_in(ids)), roll_calls, target=target,
        first=before, second=now, metric=metric, bootstrap=bootstrap, level=level, seed=seed,
        selection=metrics.Selection(roll_call_ids=ids),
    )  # fmt: skip
    # The target's contested votes in each session: the pair must share ``min_share`` of them.
    own = votes.filter(pl.col("iso3") == target, pl.col("vote").is_in(["Y", "A", "N"]))
    mine = [
        len(set(contested(votes, rc.filter(pl.col("session") == s)["roll_call_id"]))
            & set(own["roll_call_id"].to_list()))
        for s in (previous, session)
    ]  # fmt: skip
    least = [max(min_votes, math.ceil(min_share * k - 1e-9)) for k in mine]
    enough = (pl.col("n_from") >= least[0]) & (pl.col("n_to") >= least[1])
    apart = (pl.col("lower") > 0) | (pl.col("upper") < 0)
    frame = frame.with_columns(
        notable=(enough & apart & (pl.col("change").abs() >= min_change - 1e-12)).fill_null(False)
    )
    counted = contested(votes, rc.filter(pl.col("session") == session)["roll_call_id"])
    return SessionShifts(
        target, metric, session, previous, now[0], now[1], len(counted), level,
        frame.with_columns(enough=enough), (least[0], least[1]),
    )  # fmt: skip
