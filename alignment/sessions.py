"""The periods votes are grouped in: the Assembly's regular session of a date, calendar years.

The one definition of "the session of a date": readers that name a session only in words, the
refresh that decides which sessions to fetch, and every analysis by session use it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import polars as pl

Period = Literal["session", "year"] | None  # None: one window for all

# Rule 1 of the Assembly's rules of procedure: a regular session opens on "the Tuesday of the
# third week in September, counting from the first week that contains at least one working
# day"; from the 78th session (2023) the opening moved a week earlier, to the second such week
# (78th: 5 September 2023, 79th: 10 September 2024, 80th: 9 September 2025). Votes of early
# September before the opening belong to the session that is closing.
EARLIER_OPENING_FROM = 2023


def opening_day(year: int) -> dt.date:
    """The day the regular session of ``year`` opened (or opens)."""
    first = dt.date(year, 9, 1)
    # Week 1 is the Monday-to-Sunday week holding September's first working day.
    first_working = first + dt.timedelta(
        days=max(0, 7 - first.weekday()) if first.weekday() >= 5 else 0
    )
    week_one = first_working - dt.timedelta(days=first_working.weekday())
    week = 2 if year >= EARLIER_OPENING_FROM else 3
    return week_one + dt.timedelta(weeks=week - 1, days=1)  # its Tuesday


def regular_session(on: dt.date) -> int:
    """The regular session sitting on a date: session N opens in September of 1945 + N.

    Emergency special and special sessions meet during a regular session and are numbered
    under it, as Voeten does (the first emergency special session, November 1956, is in 11).
    The first session opened on 10 January 1946: every date before the second's opening (16
    September 1947) is in session 1.
    """
    return max(1, on.year - 1945 if on >= opening_day(on.year) else on.year - 1946)


def regular_session_expr(date: pl.Expr) -> pl.Expr:
    """:func:`regular_session` as a polars expression."""
    openings = pl.DataFrame(
        {"year": range(1946, 2200), "opening": [opening_day(y) for y in range(1946, 2200)]}
    )
    opened = date >= date.dt.year().replace_strict(
        openings["year"], openings["opening"], default=None, return_dtype=pl.Date
    )
    session = pl.when(opened).then(date.dt.year() - 1945).otherwise(date.dt.year() - 1946)
    return pl.when(session < 1).then(1).otherwise(session).cast(pl.Int64)


def current_session(today: dt.date | None = None) -> int:
    """The regular session in progress (or about to open) today."""
    return regular_session(today or dt.date.today())


def opening_year(session: int) -> int:
    """The calendar year in which a regular session opened: how reports label a session."""
    return session + 1945


def period_expr(by: Period) -> pl.Expr:
    """The period of a roll call (columns session, date): its session, its calendar year, or
    one window for all (null)."""
    if by == "session":
        return pl.col("session").cast(pl.Int64)
    if by == "year":
        return pl.col("date").dt.year().cast(pl.Int64)
    if by is None:
        return pl.lit(None, dtype=pl.Int64)
    raise ValueError(f"by must be 'session', 'year' or None, not {by!r}")
