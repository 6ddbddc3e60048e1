"""The default EM estimate against a long sampler run of the same model.

Reads the store's EM series by session (all votes) and a sampler run written by
``alignment ideal-points --method mcmc --format parquet -o RUN`` (from the same store), and
prints: how far the run got towards the publication standard (from its log, if given), the
correlation of the two over all country-sessions and per session (sessions with at least 30
states), and each one's agreement with Voeten's published estimates (sessions 1-74). The
figures are written to benchmarks/results/em_vs_sampler.md, which docs/reference/figures.md
quotes.

    .venv/bin/python benchmarks/em_vs_sampler.py --db STORE --run RUN.parquet [--log RUN.log]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from ideal_points import compare, overall, reference  # the sampler's benchmark
from measured import results_text

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
RESULTS = Path(__file__).parent / "results" / "em_vs_sampler.md"


def pair(em: pl.DataFrame, run: pl.DataFrame) -> tuple[float, pl.DataFrame]:
    """Overall r of the two estimates, and r per session with at least 30 states."""
    as_ref = run.rename({"ideal_point": "reference"})
    return overall(em, as_ref), compare(em, as_ref)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--run", type=Path, required=True, help="the sampler run (parquet)")
    parser.add_argument("--log", type=Path, help="the run's log: its last check is quoted")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    con = duckdb.connect(str(args.db), read_only=True)
    em = con.sql(
        "SELECT iso3, period AS session, ideal_point FROM ideal_points "
        "WHERE period_type = 'session' AND vote_set = 'all' AND method = 'em'"
    ).pl()
    run = pl.read_parquet(args.run).select("iso3", pl.col("period").alias("session"), "ideal_point")
    ref = reference(con, args.data)
    lines = []
    if args.log and args.log.exists():
        checks = [s for s in args.log.read_text().splitlines() if "sweeps" in s and "R-hat" in s]
        if checks:
            lines.append(
                "sampler run, last check: " + checks[-1].split("ideal points (mcmc): ")[-1]
            )
    r, per = pair(em, run)
    lines.append(
        f"EM against the sampler: overall r {r:.4f} over {em.join(run, on=['iso3', 'session']).height:,} "
        f"country-sessions; per-session r median {per['r'].median():.4f}, min {per['r'].min():.4f} "
        f"(n={per.height})"
    )
    for name, est in (("EM", em), ("sampler", run)):
        by_session = compare(est, ref)
        lines.append(
            f"{name} against Voeten: overall r {overall(est, ref):.4f}; per-session r median "
            f"{by_session['r'].median():.4f}"
        )
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        command = ["--db", "STORE", "--run", "RUN.parquet", "--log", "RUN.log"]
        RESULTS.write_text(results_text(lines, "em_vs_sampler.py", command))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
