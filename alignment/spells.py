"""Spells: a stretch of days something holds (a UN seat, a bloc membership, a code's meaning),
from a first day to a last day, both inclusive, the last day empty while it lasts.

One rule says when a spell is active on a day: ``first <= day`` and (``last`` is empty or
``day <= last``). :func:`active_on` states it for polars, :func:`join_active` range-joins days
to the spells active on them, and :func:`active_on_sql` writes it as SQL (the store's macro
``active_on``, which curated queries call rather than restate it).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

# Stands in for "still active" in range joins; no vote will ever be dated later.
OPEN_END = dt.date(9999, 12, 31)


def active_on(day: dt.date | pl.Expr, *, first: str, last: str) -> pl.Expr:
    """True on the rows whose spell (columns ``first``, ``last``) holds on ``day``."""
    on = pl.lit(day) if isinstance(day, dt.date) else day
    return (pl.col(first) <= on) & (pl.col(last).is_null() | (on <= pl.col(last)))


def join_active(
    days: pl.DataFrame, spells: pl.DataFrame, *, day: str, first: str, last: str
) -> pl.DataFrame:
    """Every row of ``days`` beside every spell active on its ``day`` (a range join).

    Rows with a null day match nothing. The columns are those of ``days`` then ``spells``.
    """
    bounded = spells.with_columns(pl.col(last).fill_null(OPEN_END).alias("_last"))
    return days.join_where(
        bounded, pl.col(day) >= pl.col(first), pl.col(day) <= pl.col("_last")
    ).drop("_last")


def active_on_sql(day: str, first: str, last: str) -> str:
    """The rule as a SQL condition on expressions ``day``, ``first`` and ``last``."""
    return f"{first} <= {day} AND ({last} IS NULL OR {day} <= {last})"
