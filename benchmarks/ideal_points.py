"""Benchmark and correctness check of the dynamic ideal points against Voeten's estimates.

Runs the full estimate on Voeten's complete vote file (sessions 1-70), prints wall time, peak
memory and the per-session Pearson correlation with ``IdealpointestimatesAll_Apr2020.csv``.

    .venv/bin/python benchmarks/ideal_points.py [--data ../shared/data]

The frames are built here from the shared development data in the shape of the store's
``votes`` and ``roll_calls`` tables (a development adapter, not part of the library).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from alignment.ideal_points import estimate_ideal_points, load_matches

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# Voeten gives one iso3 to two states; these codes keep the pairs apart (comparison only).
_ISO3_FIXES = {680: "YMD", 511: "EAZ"}
_VOTE = {1: "Y", 2: "A", 3: "N", 8: "X"}  # 9 (not a member) gets no row, as in the store


def ccode_iso3(data: Path) -> pl.DataFrame:
    """ccode -> iso3 from Voeten's estimates file (with the fixes above)."""
    ref = reference(data)
    pairs = ref.select("ccode", "iso3").unique("ccode")
    fixes = pl.DataFrame(
        {"ccode": list(_ISO3_FIXES), "iso3": list(_ISO3_FIXES.values())},
        schema={"ccode": pl.Int64, "iso3": pl.String},
    )
    return pl.concat([pairs.filter(~pl.col("ccode").is_in(list(_ISO3_FIXES))), fixes])


def reference(data: Path) -> pl.DataFrame:
    """Voeten's published estimates: ccode, iso3, session, reference."""
    path = data / "voeten" / "ideal_points" / "IdealpointestimatesAll_Apr2020.csv"
    ref = pl.read_csv(path, encoding="latin1", infer_schema_length=10000)
    ref = ref.select(
        pl.col("ccode").cast(pl.Int64),
        pl.col("iso3c").alias("iso3"),
        pl.col("session").cast(pl.Int64),
        pl.col("IdealPoint").cast(pl.Float64).alias("reference"),
    )
    return ref.with_columns(
        pl.col("ccode").replace_strict(_ISO3_FIXES, default=pl.col("iso3")).alias("iso3")
    )


def voeten_frames(data: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(votes, roll_calls) in the store's shape, from Voeten's complete file plus the
    amendment/paragraph flags of the unvotes roll_calls table."""
    raw = pl.read_csv(
        data / "voeten" / "completeVotes_1946-2015.csv.gz",
        columns=["rcid", "session", "vote", "ccode", "date", "unres", "importantvote"],
        infer_schema_length=10000,
    )
    flags = pl.read_csv(
        data / "unvotes" / "roll_calls.csv.gz",
        columns=["rcid", "amend", "para"],
        infer_schema_length=10000,
    )
    roll_calls = (
        raw.unique("rcid")
        .join(flags, on="rcid", how="left")
        .select(
            pl.col("rcid").alias("roll_call_id"),
            pl.col("rcid"),
            pl.col("unres").alias("symbol"),
            pl.col("date").str.to_date("%m/%d/%Y"),
            pl.col("session"),
            pl.when(pl.col("amend") == 1)
            .then(pl.lit("amendment"))
            .when(pl.col("para") == 1)
            .then(pl.lit("paragraph"))
            .otherwise(pl.lit("resolution"))
            .alias("kind"),
            (pl.col("importantvote") == 1).alias("important"),
        )
        .sort("roll_call_id")
    )
    votes = (
        raw.filter(pl.col("vote") != 9)
        .join(ccode_iso3(data), on="ccode", how="left")
        .select(
            pl.col("rcid").alias("roll_call_id"),
            pl.col("iso3"),
            pl.col("vote").replace_strict(_VOTE, return_dtype=pl.String),
        )
        .unique(["roll_call_id", "iso3"], keep="first", maintain_order=True)
    )
    return votes, roll_calls


def compare(estimates: pl.DataFrame, ref: pl.DataFrame, min_states: int = 30) -> pl.DataFrame:
    """Per-session Pearson correlation of our estimates with Voeten's."""
    joined = estimates.join(ref, on=["iso3", "session"], how="inner")
    return (
        joined.group_by("session")
        .agg(
            pl.len().alias("n"),
            pl.corr("ideal_point", "reference").alias("r"),
        )
        .filter(pl.col("n") >= min_states)
        .sort("session")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--evolution-sd", type=float, default=None)
    parser.add_argument("--quiet", action="store_true", help="summary only")
    args = parser.parse_args(argv)
    votes, roll_calls = voeten_frames(args.data)
    matches = load_matches(args.data / "voeten" / "Matches.csv")
    options = {} if args.evolution_sd is None else {"evolution_sd": args.evolution_sd}
    start = time.perf_counter()
    est = estimate_ideal_points(votes, roll_calls, matches=matches, **options)
    wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ref = reference(args.data)
    table = compare(est, ref)
    overall = est.join(ref, on=["iso3", "session"]).select(pl.corr("ideal_point", "reference"))
    r = table["r"].to_numpy()
    if not args.quiet:
        with pl.Config(tbl_rows=200):
            print(table)
    print(f"votes used: {int(est['n_votes'].sum()):,}; country-sessions: {est.height:,}")
    print(f"estimate wall time: {wall:.1f} s; peak RSS (whole process): {peak_mb:.0f} MB")
    print(
        f"per-session r (sessions with >= 30 states): min {np.min(r):.3f} "
        f"(session {int(table['session'][int(np.argmin(r))])}), median {np.median(r):.3f}, "
        f"sessions below 0.95: {int((r < 0.95).sum())}"
    )
    print(f"overall r over country-sessions: {overall.item():.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
