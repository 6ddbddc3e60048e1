"""Benchmark: every metric, every pair of states, every year 1946-2026, against a DuckDB self-join.

    .venv/bin/python benchmarks/metrics.py [--db STORE] [--data ../shared/data] [--runs 3]

Without ``--db`` a store is built from ``--data`` into a temporary folder first (not timed).
Then, in the same run and on the same store:

1. ``dyadic_scores(..., by="year", layout="wide")``: the matrix path, 10 metrics, one row per
   pair and year; timed with and without reading ``votes`` / ``roll_calls`` out of the store.
2. The way users compute it today: a self-join of the votes on roll call in DuckDB (pairs
   iso3_a < iso3_b, both Y/A/N, unanimous roll calls dropped, per calendar year), with SQL
   aggregates for the pair's counts and the same formulas for exact, agree, S, kappa and pi.

It checks that both give the same rows and n, and every value within 1e-9 (NaN in the same
places), then prints both times and their ratio (best of ``--runs``). Goal (issue 4): >= 10x.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from alignment import refresh
from alignment.metrics import dyadic_scores
from alignment.vocabulary import METRICS

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TOLERANCE = 1e-9
RESULTS = Path(__file__).parent / "results" / "metrics.md"

# One row per pair and year, the same columns as dyadic_scores(layout="wide"). Written as a
# competent user would: the votes coded once, unanimous roll calls dropped before the join,
# integer counts in the join's aggregate, the ratios computed once per pair afterwards.
SELF_JOIN_SQL = """
WITH coded AS (
    SELECT v.roll_call_id, v.iso3, year(r.date) AS period,
           CASE v.vote WHEN 'Y' THEN 1 WHEN 'A' THEN 2 ELSE 3 END AS x
    FROM votes v JOIN roll_calls r USING (roll_call_id)
    WHERE v.vote IN ('Y', 'A', 'N')
),
contested AS (  -- Voeten: drop roll calls on which every state voted alike
    SELECT roll_call_id FROM coded GROUP BY roll_call_id HAVING min(x) < max(x)
),
cv AS (SELECT * FROM coded SEMI JOIN contested USING (roll_call_id)),
counts AS (
    SELECT a.iso3 AS iso3_a, b.iso3 AS iso3_b, a.period,
           count(*) AS n,
           count_if(a.x = b.x) AS same,
           count_if(abs(a.x - b.x) = 1) AS near,
           count_if(abs(a.x - b.x) = 2) AS far,
           count_if(a.x = 1) AS p1, count_if(a.x = 2) AS p2, count_if(a.x = 3) AS p3,
           count_if(b.x = 1) AS q1, count_if(b.x = 2) AS q2, count_if(b.x = 3) AS q3
    FROM cv a JOIN cv b ON a.roll_call_id = b.roll_call_id AND a.iso3 < b.iso3
    GROUP BY ALL
),
shares AS (
    SELECT iso3_a, iso3_b, period, n, same / n AS exact,
           (0.5 * near + far) / n AS d_abs, (0.25 * near + far) / n AS d_sq,
           (near + far) / n AS d_nom,
           p1 / n AS p1, p2 / n AS p2, p3 / n AS p3, q1 / n AS q1, q2 / n AS q2, q3 / n AS q3,
           (p1 + q1) / (2 * n) AS m1, (p2 + q2) / (2 * n) AS m2, (p3 + q3) / (2 * n) AS m3
    FROM counts
),
expected AS (  -- chance disagreement Σ u_k v_l δ(k, l) for kappa (p, q) and pi (m, m)
    SELECT *,
        p1 * q2 + p2 * q1 + p2 * q3 + p3 * q2 AS k_near, p1 * q3 + p3 * q1 AS k_far,
        2 * (m1 * m2 + m2 * m3) AS p_near, 2 * m1 * m3 AS p_far
    FROM shares
)
SELECT iso3_a, iso3_b, period, n,
    exact,
    1 - d_abs AS agree,
    1 - 2 * d_abs AS s_abs,
    1 - 2 * d_sq AS s_sq,
    CASE WHEN 0.5 * k_near + k_far > 0 THEN 1 - d_abs / (0.5 * k_near + k_far)
         ELSE 'NaN'::DOUBLE END AS kappa_abs,
    CASE WHEN 0.25 * k_near + k_far > 0 THEN 1 - d_sq / (0.25 * k_near + k_far)
         ELSE 'NaN'::DOUBLE END AS kappa_sq,
    CASE WHEN k_near + k_far > 0 THEN 1 - d_nom / (k_near + k_far)
         ELSE 'NaN'::DOUBLE END AS kappa_nominal,
    CASE WHEN 0.5 * p_near + p_far > 0 THEN 1 - d_abs / (0.5 * p_near + p_far)
         ELSE 'NaN'::DOUBLE END AS pi_abs,
    CASE WHEN 0.25 * p_near + p_far > 0 THEN 1 - d_sq / (0.25 * p_near + p_far)
         ELSE 'NaN'::DOUBLE END AS pi_sq,
    CASE WHEN p_near + p_far > 0 THEN 1 - d_nom / (p_near + p_far)
         ELSE 'NaN'::DOUBLE END AS pi_nominal
FROM expected
"""


def best_of(runs: int, fn: Callable[[], pl.DataFrame]) -> tuple[float, pl.DataFrame]:
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    assert out is not None
    return min(times), out


def read_frames(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    votes = con.sql("SELECT roll_call_id, iso3, vote FROM votes").pl()
    roll_calls = con.sql("SELECT roll_call_id, date, session, kind, important FROM roll_calls").pl()
    return votes, roll_calls


def compare(fast: pl.DataFrame, sql: pl.DataFrame) -> float:
    """Largest absolute difference over every value; raises if rows, n or NaNs differ."""
    keys = ["iso3_a", "iso3_b", "period"]
    fast = fast.sort(keys)
    sql = sql.with_columns(pl.col("period").cast(pl.Int64), pl.col("n").cast(pl.Int64)).sort(keys)
    if fast.height != sql.height or not fast.select(keys).equals(sql.select(keys)):
        raise SystemExit(f"different pairs and years: {fast.height} rows against {sql.height}")
    if not fast["n"].equals(sql["n"]):
        raise SystemExit("different n (common roll calls)")
    worst = 0.0
    for m in METRICS:
        a, b = fast[m].to_numpy(), sql[m].to_numpy()
        if not np.array_equal(np.isnan(a), np.isnan(b)):
            raise SystemExit(f"{m}: undefined (NaN) in different places")
        diff = float(np.nanmax(np.abs(a - b))) if len(a) else 0.0
        if not diff <= TOLERANCE:
            raise SystemExit(f"{m}: values differ by up to {diff:.3g} (> {TOLERANCE})")
        worst = max(worst, diff)
    return worst


def run(db: Path, runs: int) -> None:
    con = duckdb.connect(str(db), read_only=True)
    first, last = con.sql("SELECT min(year(date)), max(year(date)) FROM roll_calls").fetchall()[0]
    votes, roll_calls = read_frames(con)

    def fast() -> pl.DataFrame:
        return dyadic_scores(votes, roll_calls, by="year", layout="wide")

    def fast_from_store() -> pl.DataFrame:
        v, r = read_frames(con)
        return dyadic_scores(v, r, by="year", layout="wide")

    load = os.getloadavg()
    fast()  # warm-up (imports, first allocations)
    t_fast, wide = best_of(runs, fast)
    t_store, _ = best_of(runs, fast_from_store)
    t_sql, sql = best_of(runs, lambda: con.sql(SELF_JOIN_SQL).pl())
    worst = compare(wide, sql)
    con.close()

    pairs = wide.select("iso3_a", "iso3_b").unique().height
    text = (
        f"Every metric ({len(METRICS)}) for every pair and every year {first}-{last}: "
        f"{wide.height:,} pair-years ({pairs:,} pairs), {wide.height * len(METRICS):,} values. "
        f"`dyadic_scores(layout='wide')` {t_fast:.2f} s ({t_store:.2f} s reading the votes "
        f"from the store), against {t_sql:.2f} s for a DuckDB self-join of the votes on roll "
        f"call, the way users write it: **{t_sql / t_fast:.1f}x faster** "
        f"({t_sql / t_store:.1f}x with the read); the largest difference between the two is "
        f"{worst:.1e}. Best of {runs} runs each; load average {load[0]:.1f} on "
        f"{os.cpu_count()} cores.\n\nMeasured with `python benchmarks/metrics.py`.\n"
    )
    print(text, end="")
    if not math.isfinite(worst):
        raise SystemExit("no values compared")
    RESULTS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, help="an existing store (default: build one)")
    parser.add_argument("--data", type=Path, default=DATA, help="vote files for the build")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each side")
    args = parser.parse_args()
    if args.db is not None:
        run(args.db, args.runs)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "alignment.duckdb"
        start = time.perf_counter()
        refresh.refresh_from_paths(db, [args.data.resolve()])
        print(f"(store built from {args.data} in {time.perf_counter() - start:.1f} s)")
        run(db, args.runs)


if __name__ == "__main__":
    main()
