"""Session numbers from dates, for sources that name a session only in words."""

from __future__ import annotations

import datetime as dt

import polars as pl


def regular_session(on: dt.date) -> int:
    """The regular session sitting on a date: session N opens in September of 1945 + N.

    Emergency special and special sessions meet during a regular session and are numbered
    under it, as Voeten does (the first emergency special session, November 1956, is in 11).
    """
    opened = on.month > 9 or (on.month == 9 and on.day >= OPENING_DAY)
    return on.year - 1945 if opened else on.year - 1946


# Sessions open on the third Tuesday of September (the 15th to the 21st); votes of early
# September belong to the session that is closing.
OPENING_DAY = 15


def regular_session_expr(date: pl.Expr) -> pl.Expr:
    opened = (date.dt.month() > 9) | ((date.dt.month() == 9) & (date.dt.day() >= OPENING_DAY))
    return (
        pl.when(opened).then(date.dt.year() - 1945).otherwise(date.dt.year() - 1946).cast(pl.Int64)
    )
