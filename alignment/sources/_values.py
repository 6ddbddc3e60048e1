"""What a record of the Assembly can hold: the bounds every reader applies to dates and tallies.

Each rule is defined here once, as a scalar check (JSON, MARCXML) and as a polars expression
(CSV), so that every format refuses the same impossible values.
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

# The Assembly first met on 10 January 1946; a vote dated after tomorrow (a time zone away
# from today) has not happened yet.
FIRST_DATE = dt.date(1946, 1, 1)
# No tally can exceed the Assembly's seats (193 today); the margin leaves room for new members
# without tracking the membership here, and still catches overflows and negative numbers.
MAX_TALLY = 1000

_WHOLE = re.compile(r"[0-9]{1,9}")  # ASCII digits only: str.isdigit() also takes "²" and "١"


def last_date() -> dt.date:
    return dt.date.today() + dt.timedelta(days=1)


def date_bounds_text() -> str:
    return f"between {FIRST_DATE.isoformat()} and {last_date().isoformat()} (tomorrow)"


def date_ok(value: dt.date) -> bool:
    return FIRST_DATE <= value <= last_date()


def date_ok_expr(date: pl.Expr) -> pl.Expr:
    """True where a Date is within the Assembly's lifetime (null stays null)."""
    return date.is_between(pl.lit(FIRST_DATE), pl.lit(last_date()))


TALLY_TEXT = f"a count (a whole number from 0 to {MAX_TALLY})"


def tally(text: str) -> int | None:
    """A count written as ASCII digits within the bounds; None for anything else."""
    if not _WHOLE.fullmatch(text):
        return None
    value = int(text)
    return value if value <= MAX_TALLY else None


def tally_expr(text: pl.Expr) -> pl.Expr:
    """A count written as a number (the UN's CSV writes ``159.0``) within the bounds: null for
    negative, fractional, non-finite or oversized values as for text that is not a number."""
    number = text.str.strip_chars().cast(pl.Float64, strict=False)
    whole = number.is_finite() & (number >= 0) & (number <= MAX_TALLY) & (number == number.floor())
    return pl.when(whole).then(number.cast(pl.Int64, strict=False)).otherwise(None)
