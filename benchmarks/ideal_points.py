"""Benchmark and correctness check of the dynamic ideal points against Voeten's estimates.

Estimates every state in every session (1946-2026) from a built store, then prints wall time,
peak memory, the per-session Pearson correlation with Voeten's published estimates
(``IdealpointestimatesAll_Apr2020.csv``, sessions 1-74, sessions with at least 30 states), the
correlation over all country-sessions, the split-R̂ of the chains and how wide the 90%
intervals are next to the published ones (Q5%-Q95%).

    .venv/bin/python benchmarks/ideal_points.py [--db STORE] [--data ../shared/data]
        [--draws N] [--burn-in N] [--chains N] [--seed N]

Without ``--db`` (or when the file is missing) the store is built first from ``--data`` with
the project's own refresh; the build is not part of the timed estimate.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from alignment import refresh, store
from alignment.analyses import ideal_point_posterior

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REFERENCE = Path("voeten") / "ideal_points" / "IdealpointestimatesAll_Apr2020.csv"


def reference(con: duckdb.DuckDBPyConnection, data: Path) -> pl.DataFrame:
    """Voeten's published estimates as ``iso3, session, reference``.

    Voeten's ``iso3c`` is ambiguous (YAR for both Yemens, YUG for Serbia after 2000), so the
    rows are keyed by his Correlates of War ``ccode``, mapped to the store's seats through the
    store's ``country_codes`` (scheme ``cow``, with its validity dates; a session is dated by
    its December)."""
    ref = pl.read_csv(data / REFERENCE, encoding="latin1", infer_schema_length=10000).select(
        pl.col("ccode").cast(pl.Int64),
        pl.col("session").cast(pl.Int64),
        pl.col("IdealPoint").cast(pl.Float64).alias("reference"),
        (pl.col("Q95%") - pl.col("Q5%")).cast(pl.Float64).alias("reference_width"),
    )
    codes = con.sql(
        "SELECT CAST(code AS BIGINT) AS ccode, iso3, valid_from, valid_to "
        "FROM country_codes WHERE scheme = 'cow'"
    ).pl()
    day = pl.date(1945 + pl.col("session"), 12, 1)
    joined = ref.join(codes, on="ccode", how="inner").filter(
        (pl.col("valid_from").is_null() | (pl.col("valid_from") <= day))
        & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= day))
    )
    return joined.select("iso3", "session", "reference", "reference_width")


def compare(estimates: pl.DataFrame, ref: pl.DataFrame, min_states: int = 30) -> pl.DataFrame:
    """Per-session Pearson correlation of our estimates with Voeten's."""
    joined = estimates.join(ref, on=["iso3", "session"], how="inner")
    return (
        joined.group_by("session")
        .agg(pl.len().alias("n"), pl.corr("ideal_point", "reference").alias("r"))
        .filter(pl.col("n") >= min_states)
        .sort("session")
    )


def overall(estimates: pl.DataFrame, ref: pl.DataFrame) -> float:
    """Correlation over all country-sessions both have."""
    joined = estimates.join(ref, on=["iso3", "session"], how="inner")
    return float(joined.select(pl.corr("ideal_point", "reference")).item())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=None, help="a built store (default: build)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--quiet", action="store_true", help="summary only")
    parser.add_argument("--draws", type=int, default=None, help="draws per chain (default)")
    parser.add_argument("--burn-in", type=int, default=None, help="burn-in sweeps (default)")
    parser.add_argument("--chains", type=int, default=None, help="chains (default)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    options = {
        k: v
        for k, v in (("draws", args.draws), ("burn_in", args.burn_in), ("chains", args.chains))
        if v is not None
    }
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None or not db.exists():
            db = db or Path(tmp) / "alignment.duckdb"
            print(f"building {db} from {args.data} ...", flush=True)
            refresh.refresh_from_paths(db, [args.data])
        with store.connect(db) as con:
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            start = time.perf_counter()
            posterior = ideal_point_posterior(con, seed=args.seed, **options)
            wall = time.perf_counter() - start
            est = posterior.summary()
            rhat = posterior.rhat()["rhat"].drop_nans()
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            ref = reference(con, args.data)
    table = compare(est, ref)
    r = table["r"].to_numpy()
    if not args.quiet:
        with pl.Config(tbl_rows=200):
            print(table)
    worst = table.sort("r").head(5)
    sessions = est["session"]
    print(
        f"sessions {sessions.min()}-{sessions.max()}; votes used: {int(est['n_votes'].sum()):,}; "
        f"country-sessions: {est.height:,}"
    )
    print(
        f"estimate wall time: {wall:.1f} s; peak RSS (whole process): {peak_mb:.0f} MB "
        f"({before:.0f} MB before the estimate)"
    )
    print(
        f"per-session r (sessions with >= 30 states, n={len(r)}): min {np.min(r):.3f}, "
        f"median {np.median(r):.3f}, below 0.95: {int((r < 0.95).sum())}; worst 5: "
        + ", ".join(f"{s}: {v:.3f}" for s, v in worst.select("session", "r").iter_rows())
    )
    print(f"overall r over country-sessions: {overall(est, ref):.4f}")
    print(
        f"split-R̂: median {rhat.median():.3f}, 99th percentile {rhat.quantile(0.99):.3f}, "
        f"max {rhat.max():.3f}; above 1.1: {(rhat > 1.1).sum():,} of {rhat.len():,}"
    )
    widths = est.join(ref, on=["iso3", "session"]).select(
        (pl.col("upper") - pl.col("lower")).mean().alias("ours"),
        pl.col("reference_width").mean().alias("published"),
    )
    print(
        "mean width of the 90% intervals, sessions 1-74: "
        f"{widths['ours'][0]:.3f} (published Q5%-Q95%: {widths['published'][0]:.3f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
