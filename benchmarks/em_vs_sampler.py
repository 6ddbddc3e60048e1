"""The EM estimate against a long sampler run of the same model.

Fits the EM series by session (all votes; the default and each alternative of
``ideal_points_em.VARIANTS``, point estimates) and reads a sampler run written by
``alignment ideal-points --method mcmc --format parquet -o RUN`` (from the same store), and
prints: how far the run got towards the publication standard (from its log, if given), the
correlation of each EM series with the run over all country-sessions and per session (sessions
with at least 30 states) and of their per-session means, and each one's agreement with Voeten's
published estimates (sessions 1-74). The figures are written to
benchmarks/results/em_vs_sampler.md and .json, which the docs quote.

    .venv/bin/python benchmarks/em_vs_sampler.py --db STORE --run RUN.parquet [--log RUN.log]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb
import polars as pl

from alignment.analyses import ideal_point_frames
from alignment.ideal_points import fit_em

sys.path.insert(0, str(Path(__file__).parent))
from ideal_points import reference  # the sampler's benchmark
from ideal_points_em import VARIANTS, agreement
from measured import results_text

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
RESULTS = Path(__file__).parent / "results" / "em_vs_sampler.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--run", type=Path, required=True, help="the sampler run (parquet)")
    parser.add_argument("--log", type=Path, help="the run's log: its last check is quoted")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    con = duckdb.connect(str(args.db), read_only=True)
    votes, roll_calls, matches = ideal_point_frames(con)
    fits = {
        name: fit_em(votes, roll_calls, matches=matches, bootstrap=0, **options)
        .summary()
        .select("iso3", pl.col("period").alias("session"), "ideal_point")
        for name, (_, options) in VARIANTS.items()
    }
    run = pl.read_parquet(args.run).select("iso3", pl.col("period").alias("session"), "ideal_point")
    ref = reference(con, args.data)
    lines = []
    if args.log and args.log.exists():
        checks = [s for s in args.log.read_text().splitlines() if "sweeps" in s and "R-hat" in s]
        if checks:
            lines.append(
                "sampler run, last check: " + checks[-1].split("ideal points (mcmc): ")[-1]
            )
    figures: dict = {"sampler": {}, "voeten": {}}
    n = fits["default"].join(run, on=["iso3", "session"]).height
    lines.append(f"{n:,} country-sessions in both; per-session figures over sessions of 30+ states")
    as_ref = run.rename({"ideal_point": "reference"})
    for name, em in fits.items():
        a = agreement(em, as_ref)
        gaps = a["mean_gaps"][:3]
        figures["sampler"][name] = {
            "overall_r": a["overall_r"],
            "session_r_median": a["session_r_median"],
            "mean_gap": a["mean_gap"],
            "largest_gaps": gaps,
        }
        top = ", ".join(f"{s}: {g:+.2f}" for s, g in gaps)
        lines.append(
            f"EM {VARIANTS[name][0]} against the sampler: overall r {a['overall_r']:.4f}; "
            f"per-session r median {a['session_r_median']:.4f}, min {a['session_r_min']:.4f}; "
            f"session means apart by {a['mean_gap']:.2f} on average (largest {top})"
        )
    for name, est in [*fits.items(), ("sampler", run)]:
        a = agreement(est, ref)
        figures["voeten"][name] = {
            k: a[k] for k in ("overall_r", "session_r_median", "means_r", "mean_gaps")
        }
        label = "sampler" if name == "sampler" else f"EM {VARIANTS[name][0]}"
        lines.append(
            f"{label} against Voeten: overall r {a['overall_r']:.4f}; per-session r median "
            f"{a['session_r_median']:.4f}; per-session means r {a['means_r']:.3f}"
        )
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        command = ["--db", "STORE", "--run", "RUN.parquet", "--log", "RUN.log"]
        RESULTS.write_text(results_text(lines, "em_vs_sampler.py", command))
        RESULTS.with_suffix(".json").write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
