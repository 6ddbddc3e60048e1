"""Tests of alignment.spells: the one rule of a spell active on a day, in polars and in SQL."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from alignment import derived, spells

D = dt.date
# Uzbekistan in the CSTO from 2006-08-16 to 2012-06-27 (both inclusive); Belarus since 1994.
SPELLS = pl.DataFrame(
    {
        "iso3": ["UZB", "BLR"],
        "joined": [D(2006, 8, 16), D(1994, 4, 20)],
        "left": [D(2012, 6, 27), None],
    }
)
DAYS = [D(2006, 8, 15), D(2006, 8, 16), D(2012, 6, 27), D(2012, 6, 28), D(1994, 4, 19)]
# Worked by hand from the rule: first <= day and (last empty or day <= last).
ACTIVE = {
    D(2006, 8, 15): ["BLR"],
    D(2006, 8, 16): ["BLR", "UZB"],
    D(2012, 6, 27): ["BLR", "UZB"],
    D(2012, 6, 28): ["BLR"],
    D(1994, 4, 19): [],
}


def test_active_on_by_hand() -> None:
    for day, want in ACTIVE.items():
        got = SPELLS.filter(spells.active_on(day, first="joined", last="left"))["iso3"]
        assert sorted(got) == want, day


def test_join_active_is_the_same_rule() -> None:
    days = pl.DataFrame({"date": [*DAYS, None]}, schema={"date": pl.Date})
    joined = spells.join_active(days, SPELLS, day="date", first="joined", last="left")
    assert joined.columns == ["date", "iso3", "joined", "left"]
    got = {day: sorted(joined.filter(pl.col("date") == day)["iso3"]) for day in DAYS}
    assert got == ACTIVE  # a null day matches nothing


def test_the_store_macro_is_the_same_rule() -> None:
    con = duckdb.connect()
    (statement,) = [s for s in derived.macro_statements() if "MACRO active_on(" in s]
    con.execute(statement)
    con.register("spells", SPELLS)
    for day, want in ACTIVE.items():
        rows = con.execute(
            'SELECT iso3 FROM spells WHERE active_on(joined, "left", $day) ORDER BY iso3',
            {"day": day},
        ).fetchall()
        assert [r[0] for r in rows] == want, day
