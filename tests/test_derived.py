"""The derived tables of a build, the views and macros over them, on the real store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from frames import IDEAL_POINTS_META, hand_frames

from alignment import derived, metrics, refresh, store
from alignment.schema import TABLES
from alignment.vocabulary import CELL_COLUMNS, METRICS


def test_ideal_points_meta_describes_each_series_by_its_method() -> None:
    """EM series: iterations, final change, replicates; sampled series: the worst
    diagnostics and the verdict."""
    rows = {
        "period_type": ["session", "session", "year", "year"],
        "vote_set": ["all"] * 4,
        "method": ["em", "em", "mcmc", "mcmc"],
        "iterations": [47, 47, 400, 400],
        "final_change": [0.00085, 0.00085, None, None],
        "replicates": [50, 50, None, None],
        "rhat": [None, None, 1.002, 1.03],
        "ess_bulk": [None, None, 500.0, 380.0],
        "ess_tail": [None, None, 450.0, 410.0],
    }
    meta = derived.ideal_points_meta(pl.DataFrame(rows))
    assert meta == IDEAL_POINTS_META


def _stored(db: Path) -> tuple[pl.DataFrame, dict[str, str]]:
    """The store's ideal_points rows and its store_meta rows about them."""
    with store.connect(db) as con:
        estimates = con.sql("SELECT * FROM ideal_points").pl()
        meta = dict(con.sql("SELECT key, value FROM store_meta").fetchall())
    return estimates, {k: v for k, v in meta.items() if k.startswith("ideal_points_")}


def test_ideal_points_are_estimated_on_request_and_carried_over_while_their_inputs_hold(
    shared_data: Path, tmp_path: Path
) -> None:
    """A build without ideal points leaves their table empty; the next build estimates them
    (nothing to carry over), and the one after carries them over, with their store_meta rows,
    since the digest of their inputs, computed again from the frames read back from the store,
    is the stored one. One vote changed, or one more bridging pair, changes that digest."""
    db, source = tmp_path / "store.duckdb", [shared_data / "unxml" / "data_extract" / "79.json"]
    without = refresh.refresh_from_paths(db, source, with_ideal_points=False)
    assert without.summary is not None and without.summary.ideal_points == "skipped"
    assert _stored(db)[0].is_empty() and _stored(db)[1] == {}
    computed = refresh.refresh_from_paths(db, source)
    assert computed.summary is not None and computed.summary.ideal_points == "computed"
    stored, meta = _stored(db)
    carried = refresh.refresh_from_paths(db, source)
    assert carried.summary is not None and carried.summary.ideal_points == "carried"
    assert _stored(db)[0].equals(stored) and _stored(db)[1] == meta
    for period_type, vote_set in derived.STORED_IDEAL_POINTS:
        prefix = f"ideal_points_{period_type}_{vote_set}"
        assert meta[f"{prefix}_method"] == "em"
        assert meta[f"{prefix}_replicates"] == "50"
        assert 0 < int(meta[f"{prefix}_iterations"]) <= 500
        assert float(meta[f"{prefix}_final_change"]) < 1e-3
        series = (pl.col("period_type") == period_type) & (pl.col("vote_set") == vote_set)
        assert stored.filter(series).height > 150  # every state voting in session 79
    with store.connect(db) as con:
        votes = con.sql("SELECT roll_call_id, iso3, vote FROM votes").pl()
        roll_calls = con.sql("SELECT * FROM roll_calls").pl()
        matches = con.sql("SELECT rcid1, rcid2 FROM voeten_matches").pl()
    digest = derived.ideal_points_input(votes, roll_calls, matches)
    assert digest == meta[derived.IDEAL_POINTS_INPUT]
    flipped = votes.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.when(pl.col("vote") == "Y").then(pl.lit("N")).otherwise(pl.lit("Y")))
        .otherwise(pl.col("vote"))
        .alias("vote")
    )
    assert derived.ideal_points_input(flipped, roll_calls, matches) != digest
    pair = pl.DataFrame({"rcid1": [1], "rcid2": [2]}, schema=matches.schema)
    assert derived.ideal_points_input(votes, roll_calls, pl.concat([matches, pair])) != digest
    # Row order does not matter.
    assert derived.ideal_points_input(votes.reverse(), roll_calls, matches) == digest


def _store(**frames: pl.DataFrame) -> duckdb.DuckDBPyConnection:
    """An in-memory store: every table of the schema (these frames' rows, the others empty)
    and every view and macro over them."""
    con = duckdb.connect()
    for table in TABLES:
        con.execute(table.ddl())
    for name, frame in frames.items():
        con.register("frame", frame)
        con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM frame")
        con.unregister("frame")
    for statement in derived.statements():
        if not statement.startswith("COMMENT"):
            con.execute(statement)
    return con


def test_views_and_macro_compute_what_the_kernel_computes() -> None:
    """agreement_scores (the view's SQL) and the agreement macro against the numpy kernel, on
    hand-made votes: the SQL is generated from the kernel's formulas, and this holds the two
    equal, NaN where kappa and pi are undefined included."""
    rng = np.random.default_rng(3)
    rows = []
    for rc in range(1, 41):
        for state in ("AAA", "BBB", "CCC"):
            rows.append((rc, state, str(rng.choice(["Y", "N", "A", "X"], p=[0.5, 0.2, 0.2, 0.1]))))
        rows += [(rc, "DDD", "Y"), (rc, "EEE", "Y")]  # one vote throughout: kappa undefined
    votes = pl.DataFrame(rows, schema=["roll_call_id", "iso3", "vote"], orient="row")
    roll_calls = pl.DataFrame(
        {
            "roll_call_id": list(range(1, 41)),
            "date": [dt.date(2000 + rc // 20, 3, 1) for rc in range(1, 41)],
            "session": [55 + rc // 20 for rc in range(1, 41)],
            "kind": ["resolution"] * 40,
            "important": [False] * 40,
        }
    )
    con = _store(
        agreement_counts=derived.agreement_counts(votes, roll_calls),
        votes=votes,
        roll_calls=roll_calls,
    )
    view = con.sql(
        "SELECT * FROM agreement_scores ORDER BY period_type, period, iso3_a, iso3_b"
    ).pl()
    assert view.height > 0
    expected = metrics.scores_from_tables(view.select(CELL_COLUMNS).to_numpy().reshape(-1, 3, 3))
    for m in METRICS:
        np.testing.assert_allclose(view[m].to_numpy(), expected[m], rtol=1e-12, equal_nan=True)
    constant = view.filter((pl.col("iso3_a") == "DDD") & (pl.col("iso3_b") == "EEE"))
    assert constant.height > 0 and constant["kappa_abs"].is_nan().all()
    assert (constant["agree"] == 1.0).all()
    # The macro over one window equals dyadic_scores over the same window.
    for a, b in (("AAA", "BBB"), ("BBB", "DDD"), ("DDD", "EEE")):
        macro = {m: v for m, v, _ in con.sql(f"SELECT * FROM agreement('{a}', '{b}')").fetchall()}
        frame = metrics.dyadic_scores(votes, roll_calls, by=None, countries=[a, b])
        assert set(macro) == set(METRICS)
        for m, v in zip(frame["metric"], frame["value"], strict=True):
            np.testing.assert_allclose(macro[m], v, rtol=1e-12, equal_nan=True)


def test_agreement_long_and_the_metric_check() -> None:
    """agreement_long is agreement_pairs with the metric as a value, NaN kept; alignment_metric
    passes a metric's name through and turns any other text into an error naming them."""
    votes, roll_calls = hand_frames()
    con = _store(agreement_counts=derived.agreement_counts(votes, roll_calls))
    wide = con.sql("SELECT * FROM agreement_pairs").pl()
    long = con.sql("SELECT * FROM agreement_long").pl()
    assert long.columns == ["iso3_a", "iso3_b", "period_type", "period", "n", "metric", "value"]
    assert long.height == wide.height * len(METRICS) > 0
    keys = ["iso3_a", "iso3_b", "period_type", "period"]
    for m in METRICS:
        got = long.filter(pl.col("metric") == m).sort(keys)
        want = wide.sort(keys)
        assert got.select(*keys, "n").equals(want.select(*keys, "n"))
        np.testing.assert_array_equal(got["value"].to_numpy(), want[m].to_numpy())
    # BBB-AAA in session 55, the unanimous roll call 1 left out: N against Y on 2 (agreement
    # 0), A against Y on 3 (0.5): agree = 0.25 over n = 2.
    ((value, n),) = con.sql(
        "SELECT value, n FROM agreement_long WHERE iso3_a = 'BBB' AND iso3_b = 'AAA' "
        "AND period_type = 'session' AND period = 55 AND metric = alignment_metric('agree')"
    ).fetchall()
    assert (value, n) == (0.25, 2)
    with pytest.raises(duckdb.InvalidInputException, match="unknown metric 'agre'; known: exact"):
        con.sql("SELECT alignment_metric('agre')").fetchall()
