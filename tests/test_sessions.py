"""The one rule for the session of a date, on the days around each opening."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from alignment.sessions import opening_day, period_expr, regular_session, regular_session_expr

# Openings recorded by the UN (the first plenary meeting of each regular session).
OPENINGS = {
    2014: dt.date(2014, 9, 16),
    2015: dt.date(2015, 9, 15),
    2016: dt.date(2016, 9, 13),
    2017: dt.date(2017, 9, 12),
    2018: dt.date(2018, 9, 18),
    2019: dt.date(2019, 9, 17),
    2020: dt.date(2020, 9, 15),
    2021: dt.date(2021, 9, 14),
    2022: dt.date(2022, 9, 13),
    2023: dt.date(2023, 9, 5),  # the opening moved a week earlier from the 78th session
    2024: dt.date(2024, 9, 10),
    2025: dt.date(2025, 9, 9),
}


@pytest.mark.parametrize(("year", "opened"), sorted(OPENINGS.items()))
def test_opening_days(year: int, opened: dt.date) -> None:
    assert opening_day(year) == opened


# September days around each opening -> session. Early September belongs to the session that is
# closing (votes in the store: 2015-09-10 Voeten's 69, 2017-09-11 unvotes' 71, 2025-09-05 the
# UN's 79).
SEPTEMBER = {
    2015: {10: 69, 14: 69, 15: 70},
    2017: {11: 71, 12: 72},
    2024: {9: 78, 10: 79, 18: 79},
    2025: {1: 79, 5: 79, 9: 80, 14: 80},
}
DAYS = [(dt.date(y, 9, d), s) for y, days in SEPTEMBER.items() for d, s in days.items()]
DAYS += [(dt.date(2012, 2, 16), 66), (dt.date(1946, 1, 10), 1)]  # A/RES/66/253; session 1


@pytest.mark.parametrize(("day", "session"), DAYS)
def test_session_of_a_date(day: dt.date, session: int) -> None:
    assert regular_session(day) == session
    frame = pl.DataFrame({"date": [day]})
    assert frame.select(regular_session_expr(pl.col("date"))).item() == session


def test_every_september_day_agrees_between_python_and_polars() -> None:
    days = [dt.date(y, 9, d) for y in range(1946, 2030) for d in range(1, 31)]
    frame = pl.DataFrame({"date": days})
    got = frame.select(regular_session_expr(pl.col("date")).alias("session"))["session"].to_list()
    assert got == [regular_session(d) for d in days]


def test_period_expression() -> None:
    frame = pl.DataFrame({"session": [66], "date": [dt.date(2012, 2, 16)]})
    assert frame.select(period_expr("session")).item() == 66
    assert frame.select(period_expr("year")).item() == 2012
    assert frame.select(period_expr(None)).item() is None
    with pytest.raises(ValueError, match="by must be"):
        period_expr("decade")  # type: ignore[arg-type]
