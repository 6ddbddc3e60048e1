"""Benchmark and correctness check of the default ideal points (variational EM, bootstrap).

Estimates the two series the refresh stores (all votes, by session and by year, 50 bootstrap
replicates each, in parallel threads: ``alignment.derived.ideal_points``) from a built store,
and prints the machine's load, wall and CPU time and peak memory; then, for the series by
session, the agreement with Voeten's published estimates (``IdealpointestimatesAll_Apr2020``,
sessions 1-74): the correlation over all country-sessions, per session (sessions with at least
30 states), of the per-session means, the ratio of per-session spreads, and where the two differ
most; the same figures for the alternatives (``VARIANTS``: the published code's forward prior,
a normal prior on the intercepts; point estimates, no bootstrap); whether a second run gives the
same bits; the time of a topic's series (human rights by year, as a topic report estimates it);
and, with ``--refresh``, the time of a whole ``alignment refresh --from DATA`` into a temporary
store. The figures are written to benchmarks/results/ideal_points_em.md (the lines printed)
and ideal_points_em.json, which docs/reference/figures.md quotes.

    .venv/bin/python benchmarks/ideal_points_em.py --db STORE [--data ../shared/data]
        [--refresh [--refresh-into NEW_STORE]] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from alignment import analyses, derived
from alignment.analyses import ideal_point_frames
from alignment.ideal_points import fit_em

sys.path.insert(0, str(Path(__file__).parent))
from ideal_points import compare, overall, reference  # the sampler's benchmark

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
RESULTS_DIR = Path(__file__).parent / "results"
# The stored series' estimator and the alternatives measured beside it: a label and fit_em's
# options for each.
VARIANTS: dict[str, tuple[str, dict]] = {
    "default": ("default (random walk, flat intercepts)", {}),
    "forward": ("published forward prior", {"prior": "forward"}),
    "intercept_sd_5": ("walk, intercepts N(0, 5^2)", {"intercept_sd": 5.0}),
    "forward_intercept_sd_5": (
        "forward prior, intercepts N(0, 5^2)",
        {"prior": "forward", "intercept_sd": 5.0},
    ),
}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def agreement(est: pl.DataFrame, ref: pl.DataFrame) -> dict:
    """Overall r, per-session r (median, min, worst 5), r of the per-session means, range of
    the ratio of per-session sds, the mean distance of the per-session means and the sessions
    whose means differ most."""
    per = compare(est, ref)
    joined = est.join(ref, on=["iso3", "session"], how="inner")
    sessions = (
        joined.group_by("session")
        .agg(
            pl.len().alias("n"),
            pl.col("ideal_point").mean().alias("mean"),
            pl.col("reference").mean().alias("ref_mean"),
            pl.col("ideal_point").std().alias("sd"),
            pl.col("reference").std().alias("ref_sd"),
        )
        .filter(pl.col("n") >= 30)
        .with_columns(
            gap=pl.col("mean") - pl.col("ref_mean"), ratio=pl.col("sd") / pl.col("ref_sd")
        )
        .sort("session")
    )
    worst = per.sort("r").head(5)
    far = sessions.sort(pl.col("gap").abs(), descending=True).head(5)
    # The country-sessions furthest from Voeten's after the overall linear fit.
    slope, intercept = np.polyfit(joined["reference"], joined["ideal_point"], 1)
    resid = joined.with_columns(
        diff=pl.col("ideal_point") - (intercept + slope * pl.col("reference"))
    ).sort(pl.col("diff").abs(), descending=True)
    return {
        "overall_r": overall(est, ref),
        "country_sessions": joined.height,
        "sessions": per.height,
        "session_r_median": float(per["r"].median()),
        "session_r_min": float(per["r"].min()),
        "worst_sessions": [
            [int(s), round(float(r), 4)] for s, r in worst.select("session", "r").iter_rows()
        ],
        "means_r": float(sessions.select(pl.corr("mean", "ref_mean")).item()),
        "sd_ratio": [float(sessions["ratio"].min()), float(sessions["ratio"].max())],
        "mean_gap": float(sessions["gap"].abs().mean()),
        "mean_gaps": [
            [int(s), round(float(g), 3)] for s, g in far.select("session", "gap").iter_rows()
        ],
        "furthest": [
            [i, int(s), round(float(d), 2)]
            for i, s, d in resid.head(8).select("iso3", "session", "diff").iter_rows()
        ],
    }


def _agreement_lines(name: str, a: dict) -> list[str]:
    worst = ", ".join(f"{s}: {r:.3f}" for s, r in a["worst_sessions"])
    gaps = ", ".join(f"{s}: {g:+.2f}" for s, g in a["mean_gaps"])
    far = ", ".join(f"{i} {s} {d:+.2f}" for i, s, d in a["furthest"])
    return [
        f"{name}: overall r {a['overall_r']:.4f} over {a['country_sessions']:,} country-sessions; "
        f"per-session r median {a['session_r_median']:.4f}, min {a['session_r_min']:.3f} "
        f"(n={a['sessions']}; worst: {worst})",
        f"{name}: per-session means r {a['means_r']:.3f} with Voeten's; per-session sd ratio "
        f"{a['sd_ratio'][0]:.2f}-{a['sd_ratio'][1]:.2f}; largest mean gaps (ours - his): {gaps}",
        f"{name}: furthest from his after the overall linear fit: {far}",
    ]


def _refresh(data: Path, into: Path | None) -> dict:
    """Wall and CPU time and peak memory of a whole refresh from ``data`` into a new store
    (``into``, kept, or a temporary one)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = into or Path(tmp) / "alignment.duckdb"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).parent / "alignment"), "refresh", "--from", str(data),
             "--db", str(db)],
            check=True, capture_output=True,
        )  # fmt: skip
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": after.ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--refresh", action="store_true", help="also time a whole refresh")
    parser.add_argument("--refresh-into", type=Path, help="keep the refreshed store here")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    con = duckdb.connect(str(args.db), read_only=True)
    votes, roll_calls, matches = ideal_point_frames(con)
    ref = reference(con, args.data)
    # Load the compiled kernels (numba caches them beside the module) outside the timing.
    fit_em(votes, roll_calls, matches=matches, sessions=(60, 61), bootstrap=2)

    load_before = os.getloadavg()
    rss_before = _rss_mb()
    cpu0, t0 = time.process_time(), time.perf_counter()
    every_column = con.sql("SELECT * FROM roll_calls").pl()  # the digest reads symbols too
    estimates, meta, _ = derived.ideal_points(votes, every_column, matches)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    load_after = os.getloadavg()
    figures: dict = {
        "command": "python benchmarks/ideal_points_em.py " + " ".join(argv or sys.argv[1:]),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_before": load_before,
        "load_after": load_after,
        "both_series": {
            "wall_s": wall,
            "cpu_s": cpu,
            "peak_rss_mb": _rss_mb(),
            "rss_before_mb": rss_before,
        },
        "series": {},
    }
    for period_type, vote_set in derived.STORED_IDEAL_POINTS:
        prefix = f"ideal_points_{period_type}_{vote_set}_"
        part = estimates.filter(pl.col("period_type") == period_type)
        figures["series"][period_type] = {
            "cells": part.height,
            "iterations": int(meta[prefix + "iterations"]),
            "final_change": float(meta[prefix + "final_change"]),
            "replicates": int(meta[prefix + "replicates"]),
            "mean_width": float((part["upper"] - part["lower"]).mean()),
        }
    session = estimates.filter(pl.col("period_type") == "session")
    figures["default"] = agreement(session, ref)
    early = session.filter(pl.col("session") <= 74)
    published = ref.select(pl.col("reference_width").mean()).item()
    figures["width_1_74"] = float((early["upper"] - early["lower"]).mean())
    figures["published_width_1_74"] = float(published)

    # The other choices of prior (point estimates), and a second default run for the bits.
    priors = {}
    for name, (_, options) in VARIANTS.items():
        c0, w0 = time.process_time(), time.perf_counter()
        res = fit_em(votes, roll_calls, matches=matches, bootstrap=0, **options)
        part = res.summary()
        priors[name] = {
            "wall_s": time.perf_counter() - w0,
            "cpu_s": time.process_time() - c0,
            "iterations": res.fit.iterations,  # type: ignore[union-attr]
            "frame": part,
        }
    for name in VARIANTS:
        if name != "default":
            figures[name] = agreement(priors[name].pop("frame"), ref)
    again = priors["default"].pop("frame")
    figures["identical"] = bool(
        np.array_equal(
            again.sort("iso3", "period")["ideal_point"].to_numpy(),
            session.sort("iso3", "period")["ideal_point"].to_numpy(),
        )
    )
    figures["point_fits"] = priors
    # A topic's series, as a topic report estimates it: human rights, the largest topic.
    c0, w0 = time.process_time(), time.perf_counter()
    topic = analyses.ideal_points(con, topic="hr", by="year")
    figures["topic_hr"] = {
        "wall_s": time.perf_counter() - w0,
        "cpu_s": time.process_time() - c0,
        "cells": topic.height,
        "votes": int(topic["n_votes"].sum()),
        "iterations": int(topic["iterations"][0]),
    }
    if args.refresh:
        figures["refresh"] = _refresh(args.data, args.refresh_into)

    b = figures["both_series"]
    lines = [
        f"votes used: {len(votes):,} in the store; series by session {figures['series']['session']['cells']:,} "
        f"country-sessions, by year {figures['series']['year']['cells']:,} country-years",
        f"load average (1, 5, 15 min) before {', '.join(f'{v:.2f}' for v in load_before)}, after "
        f"{', '.join(f'{v:.2f}' for v in load_after)}; {figures['cores']} cores",
        f"both stored series with 50 bootstrap replicates each: wall {b['wall_s']:.1f} s, CPU "
        f"{b['cpu_s']:.1f} s; peak RSS {b['peak_rss_mb']:.0f} MB ({b['rss_before_mb']:.0f} MB before)",
    ]
    for name, s in figures["series"].items():
        lines.append(
            f"by {name}: {s['iterations']} iterations, last change {s['final_change']:.2g}, "
            f"{s['replicates']} replicates; mean 90% interval width {s['mean_width']:.3f}"
        )
    for name, (label, _) in VARIANTS.items():
        lines += _agreement_lines(label, figures[name])
    for name, p in priors.items():
        lines.append(
            f"point estimate by session, {VARIANTS[name][0]}, no bootstrap: {p['iterations']} "
            f"iterations, wall {p['wall_s']:.1f} s, CPU {p['cpu_s']:.1f} s"
        )
    lines.append(
        f"mean width of the 90% intervals, sessions 1-74: {figures['width_1_74']:.3f} "
        f"(published Q5%-Q95%: {figures['published_width_1_74']:.3f})"
    )
    lines.append(f"a second run gives the same bits: {figures['identical']}")
    t = figures["topic_hr"]
    lines.append(
        f"topic hr by year (as a topic report), 50 replicates: {t['votes']:,} votes, "
        f"{t['cells']:,} country-years, {t['iterations']} iterations; wall {t['wall_s']:.1f} s, "
        f"CPU {t['cpu_s']:.1f} s"
    )
    if "refresh" in figures:
        r = figures["refresh"]
        lines.append(
            f"alignment refresh --from {args.data.name}/ (whole build): wall {r['wall_s']:.1f} s, "
            f"CPU {r['cpu_s']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB"
        )
    print("\n".join(lines))
    if not args.no_write:
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / "ideal_points_em.json").write_text(json.dumps(figures, indent=1) + "\n")
        (RESULTS_DIR / "ideal_points_em.md").write_text(
            "```text\n"
            + "\n".join(lines)
            + "\n```\n\nMeasured with `"
            + figures["command"].replace(str(args.db), "STORE")
            + f"` on {figures['cores']} cores, Python {figures['python']}.\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
