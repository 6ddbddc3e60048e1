"""Change between two periods (alignment.metrics.score_change), pair frames turned toward one
state (orient) and ranked (top_rows): values worked by hand."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from alignment.metrics import CHANGE_SCHEMA, orient, score_change, top_rows

Y2021 = (dt.date(2021, 1, 1), dt.date(2021, 12, 31))
Y2023 = (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
CODE = {"Y": 1, "A": 2, "N": 3}


def two_years() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Roll calls of 2021, 2022 and 2023; TTT is the target, CCC always votes yes but on r4,
    DDD votes in 2023 only."""
    ballots = {  # roll call: (date, {state: vote})
        1: (dt.date(2021, 3, 1), {"AAA": "Y", "BBB": "Y", "TTT": "N", "CCC": "Y"}),
        2: (dt.date(2021, 6, 1), {"AAA": "N", "BBB": "Y", "TTT": "N", "CCC": "Y"}),
        3: (dt.date(2021, 12, 31), {"AAA": "A", "BBB": "X", "TTT": "Y", "CCC": "Y"}),
        # 2022: outside both periods; it would move every score.
        7: (dt.date(2022, 5, 1), {"AAA": "Y", "BBB": "Y", "TTT": "N", "CCC": "N"}),
        # unanimous: dropped (Voeten's default), though AAA and TTT agree on it.
        4: (dt.date(2023, 1, 1), {"AAA": "N", "BBB": "N", "TTT": "N", "CCC": "N", "DDD": "N"}),
        5: (dt.date(2023, 2, 1), {"AAA": "N", "BBB": "A", "TTT": "N", "CCC": "Y", "DDD": "Y"}),
        6: (dt.date(2023, 9, 1), {"AAA": "Y", "BBB": "N", "TTT": "N", "CCC": "Y", "DDD": "N"}),
    }
    roll_calls = pl.DataFrame(
        {
            "roll_call_id": list(ballots),
            "date": [d for d, _ in ballots.values()],
            "session": [75, 75, 76, 76, 77, 77, 78],
            "kind": ["resolution"] * len(ballots),
            "important": [False] * len(ballots),
        }
    )
    votes = pl.DataFrame(
        [(rc, iso3, v) for rc, (_, row) in ballots.items() for iso3, v in row.items()],
        schema=["roll_call_id", "iso3", "vote"],
        orient="row",
    )
    return votes, roll_calls


def test_scores_of_each_period_and_the_change_by_hand() -> None:
    votes, roll_calls = two_years()
    got = score_change(votes, roll_calls, target="TTT", first=Y2021, second=Y2023, bootstrap=0)
    # agree = mean of 1 - |x - y| / 2 over the common roll calls, unanimous r4 and 2022's r7 out.
    # AAA: 2021 r1 Y-N 0, r2 N-N 1, r3 A-Y 0.5 -> 1.5 / 3; 2023 r5 N-N 1, r6 Y-N 0 -> 0.5.
    # BBB: 2021 r1 0, r2 0 (absent on r3) -> 0; 2023 r5 A-N 0.5, r6 N-N 1 -> 0.75.
    # CCC: 2021 r1 0, r2 0, r3 Y-Y 1 -> 1/3; 2023 r5 0, r6 0 -> 0.
    # DDD: no vote in 2021, so no change: left out.
    assert got.schema == pl.Schema(CHANGE_SCHEMA)
    assert got.select("iso3", "value_from", "n_from", "value_to", "n_to").rows() == [
        ("BBB", 0.0, 2, 0.75, 2),
        ("AAA", 0.5, 3, 0.5, 2),
        ("CCC", pytest.approx(1 / 3), 3, 0.0, 2),
    ]
    assert got["change"].to_list() == [0.75, 0.0, pytest.approx(-1 / 3)]
    assert got["lower"].is_null().all() and got["upper"].is_null().all()


def test_a_span_of_years_pools_its_roll_calls() -> None:
    votes, roll_calls = two_years()
    # 2021-2022 as one period: r7 (2022) joins. AAA: Y-N on r7 adds 0 -> 1.5 / 4.
    got = score_change(
        votes, roll_calls, target="TTT", first=(dt.date(2021, 1, 1), dt.date(2022, 12, 31)),
        second=Y2023, bootstrap=0,
    )  # fmt: skip
    row = got.filter(pl.col("iso3") == "AAA").row(0, named=True)
    assert (row["value_from"], row["n_from"], row["change"]) == (0.375, 4, 0.125)


def test_other_metrics_by_hand() -> None:
    votes, roll_calls = two_years()
    got = score_change(
        votes, roll_calls, target="TTT", first=Y2021, second=Y2023, metric="exact", bootstrap=0
    )
    # exact: AAA 2021 1 of 3 the same vote, 2023 1 of 2; BBB 0 of 2, 1 of 2.
    values = {r[0]: r[1:] for r in got.select("iso3", "value_from", "value_to").rows()}
    assert values["AAA"] == (pytest.approx(1 / 3), 0.5)
    assert values["BBB"] == (0.0, 0.5)


def test_bootstrap_interval_by_hand() -> None:
    votes, roll_calls = two_years()
    got = score_change(
        votes, roll_calls, target="TTT", first=Y2021, second=Y2023, bootstrap=2000, seed=3
    )
    bbb = got.filter(pl.col("iso3") == "BBB").row(0, named=True)
    # BBB disagrees fully with TTT on both roll calls of 2021: every resample scores 0. In 2023
    # a resample of its two roll calls (0.5 and 1) scores 0.5, 0.75 or 1 with chances 1/4,
    # 1/2, 1/4: the 2.5% and 97.5% quantiles of the change are 0.5 and 1.
    assert (bbb["lower"], bbb["upper"]) == (0.5, 1.0)


def test_bootstrap_resamples_each_period_independently() -> None:
    """The interval of AAA against a plain re-implementation of the documented procedure:
    one generator seeded with the seed, the first period's resamples drawn first."""
    votes, roll_calls = two_years()
    got = score_change(
        votes, roll_calls, target="TTT", first=Y2021, second=Y2023, bootstrap=500, seed=11
    )
    aaa = got.filter(pl.col("iso3") == "AAA").row(0, named=True)
    terms = [  # 1 - |x - y| / 2 on the common roll calls of each period, in roll call order
        np.array([0.0, 1.0, 0.5]),
        np.array([1.0, 0.0]),
    ]
    rng = np.random.default_rng(11)
    means = [t[rng.integers(0, len(t), size=(500, len(t)))].mean(axis=1) for t in terms]
    lower, upper = np.quantile(means[1] - means[0], [0.025, 0.975])
    assert aaa["lower"] == pytest.approx(lower, abs=1e-12)
    assert aaa["upper"] == pytest.approx(upper, abs=1e-12)
    assert aaa["lower"] <= aaa["change"] <= aaa["upper"]


def test_unknown_target_and_metric() -> None:
    votes, roll_calls = two_years()
    assert score_change(votes, roll_calls, target="ZZZ", first=Y2021, second=Y2023).is_empty()
    with pytest.raises(ValueError, match="unknown metric"):
        score_change(votes, roll_calls, target="TTT", first=Y2021, second=Y2023, metric="x")


def test_orient_puts_the_state_first_and_transposes_cells() -> None:
    frame = pl.DataFrame(
        {
            "iso3_a": ["BLR", "AFG"],
            "iso3_b": ["RUS", "BLR"],
            "value": [0.9, 0.7],
            "yes_no": [1, 2],
            "no_yes": [3, 4],
            "yes_yes": [5, 6],
        }
    )
    got = orient(frame, "BLR")
    assert got.rows() == [("BLR", "RUS", 0.9, 1, 3, 5), ("BLR", "AFG", 0.7, 4, 2, 6)]
    assert orient(frame, "RUS").rows()[0] == ("RUS", "BLR", 0.9, 3, 1, 5)


def test_top_rows_per_period_both_ends_nan_not_ranked() -> None:
    frame = pl.DataFrame(
        {
            "period": [1, 1, 1, 1, 2, 2],
            "iso3_b": ["A", "B", "C", "D", "A", "B"],
            "value": [0.5, float("nan"), 0.9, 0.5, 0.1, 0.2],
        }
    )
    high = top_rows(frame, 2, within=["period"])
    assert high.rows() == [(1, "C", 0.9), (1, "A", 0.5), (2, "B", 0.2), (2, "A", 0.1)]
    low = top_rows(frame, -2, within=["period"])  # ties (A, D at 0.5) broken by iso3_b
    assert low.rows() == [(1, "A", 0.5), (1, "D", 0.5), (2, "A", 0.1), (2, "B", 0.2)]
    assert top_rows(frame, 1).rows() == [(1, "C", 0.9)]
    assert math.isnan(frame["value"][1])  # the input is left as it was
    with pytest.raises(ValueError):
        top_rows(frame, 0)
