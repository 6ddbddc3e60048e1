"""Small hand-made frames and store meta shared by the tests."""

from __future__ import annotations

import datetime as dt

import polars as pl

# The store meta of two ideal-point series, one by EM and one by MCMC, as
# alignment.derived.ideal_points_meta writes it and alignment.status reads it.
IDEAL_POINTS_META = {
    "ideal_points_session_all_method": "em",
    "ideal_points_session_all_iterations": "47",
    "ideal_points_session_all_final_change": "0.00085",
    "ideal_points_session_all_replicates": "50",
    "ideal_points_year_all_method": "mcmc",
    "ideal_points_year_all_rhat_median": "1.016",
    "ideal_points_year_all_rhat_max": "1.030",
    "ideal_points_year_all_ess_bulk_min": "380",
    "ideal_points_year_all_ess_tail_min": "410",
    "ideal_points_year_all_converged_share": "0.5000",
    "ideal_points_year_all_converged": "false",
}


def hand_frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Five roll calls over two years and sessions (see the comments on each)."""
    roll_calls = pl.DataFrame(
        {
            "roll_call_id": [1, 2, 3, 4, 5],
            "date": [
                dt.date(2000, 10, 1),
                dt.date(2000, 11, 1),
                dt.date(2001, 3, 1),
                dt.date(2001, 10, 1),
                dt.date(2001, 11, 1),
            ],
            "session": [55, 55, 55, 56, 56],
            "kind": ["resolution", "amendment", "resolution", "paragraph", "resolution"],
            "important": [True, False, False, True, False],
            "w": [1.0, 2.0, 1.0, 1.0, 1.0],
        }
    )
    rows = [
        (1, "AAA", "Y"), (1, "BBB", "Y"), (1, "CCC", "Y"),  # unanimous
        (2, "AAA", "Y"), (2, "BBB", "N"), (2, "CCC", "Y"),  # majority share 2/3
        (3, "AAA", "Y"), (3, "BBB", "A"), (3, "CCC", "X"),  # CCC non-voting: 1/2
        (4, "AAA", "N"), (4, "BBB", "N"), (4, "CCC", "Y"),  # 2/3
        (5, "AAA", "Y"), (5, "BBB", "Y"), (5, "CCC", "Y"), (5, "DDD", "N"),  # 3/4
    ]  # fmt: skip
    votes = pl.DataFrame(rows, schema=["roll_call_id", "iso3", "vote"], orient="row")
    return votes, roll_calls
