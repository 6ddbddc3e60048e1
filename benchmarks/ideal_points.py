"""Benchmark and correctness check of the dynamic ideal points against Voeten's estimates.

Estimates every state in every session (1946-2026) from a built store with two seeds, then
prints the machine's load, wall and CPU time and peak memory of the first run (diagnostics
included), the distribution of the convergence diagnostics (rank-normalised split-R̂, bulk and
tail ESS: quantiles, share meeting the publication standard, worst), the mean absolute
difference between the two seeds' estimates, the per-session Pearson correlation with
Voeten's published estimates (``IdealpointestimatesAll_Apr2020.csv``, sessions 1-74, sessions
with at least 30 states), the correlation over all country-sessions and how wide the 90%
intervals are next to the published ones (Q5%-Q95%). The figures are also written to
benchmarks/results/ideal_points.md (the lines printed) and ideal_points.json (the numbers, with
every session's r), which docs/reference/figures.md quotes.

    .venv/bin/python benchmarks/ideal_points.py [--db STORE] [--data ../shared/data]
        [--draws N] [--burn-in N] [--chains N] [--seed N] [--one-seed] [--no-write]

Without ``--db`` (or when the file is missing) the store is built first from ``--data`` with
the project's own refresh; the build is not part of the timed estimate. The sampler's
compiled code is cached on disk: run once before timing (the first run compiles it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from alignment import refresh, store
from alignment.analyses import ideal_point_posterior
from alignment.convergence import (
    CONVERGED_SHARE,
    ESS_TARGET,
    RHAT_LIMIT,
    RHAT_TARGET,
    check_convergence,
)

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
RESULTS_DIR = Path(__file__).parent / "results"
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


class Workers:
    """CPU time and memory of the processes this one started (the convergence diagnostics run
    in a pool under a fork server, which ``getrusage`` does not see): every process below this
    one in /proc, sampled every 0.1 s while in use. CPU is each worker's last sample; memory
    the largest sum of resident sets of this process and its workers (shared pages counted in
    each: an upper bound)."""

    def __init__(self) -> None:
        self.cpu_s: dict[int, float] = {}
        self.peak_mb = 0.0
        self._start: dict[int, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _processes() -> dict[int, tuple[int, float, float]]:
        """pid: (parent, CPU s, RSS MB) of every process in /proc."""
        tick, page = os.sysconf("SC_CLK_TCK"), resource.getpagesize() / 2**20
        out = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):  # not a process, or gone
                continue
            cpu = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            out[int(entry.name)] = (int(fields[1]), cpu, int(fields[21]) * page)
        return out

    def _sample(self) -> None:
        procs = self._processes()
        tree, grown = {os.getpid()}, True
        while grown:
            below = {pid for pid, (parent, _, _) in procs.items() if parent in tree}
            grown = not below <= tree
            tree |= below
        self.peak_mb = max(self.peak_mb, sum(procs[pid][2] for pid in tree if pid in procs))
        for pid in tree - {os.getpid()}:
            self.cpu_s[pid] = procs[pid][1] - self._start.get(pid, 0.0)

    def _run(self) -> None:
        while not self._done.wait(0.1):
            self._sample()

    def __enter__(self) -> Workers:
        self._sample()
        self._start, self.cpu_s = dict(self.cpu_s), {}
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self._sample()


def _quantiles(values: np.ndarray) -> str:
    q = np.nanquantile(values, [0.01, 0.1, 0.5, 0.9, 0.99])
    return " ".join(
        f"{p}% {v:.3f}" if v < 10 else f"{p}% {v:.0f}"
        for p, v in zip((1, 10, 50, 90, 99), q, strict=True)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=None, help="a built store (default: build)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--quiet", action="store_true", help="summary only")
    parser.add_argument("--draws", type=int, default=None, help="draws per chain (default)")
    parser.add_argument("--burn-in", type=int, default=None, help="burn-in sweeps (default)")
    parser.add_argument("--thin", type=int, default=None, help="keep one sweep in THIN (1)")
    parser.add_argument("--chains", type=int, default=None, help="chains (default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--one-seed", action="store_true", help="skip the second seed's run")
    parser.add_argument("--no-write", action="store_true", help="write no results files")
    parser.add_argument(
        "--results", default="ideal_points", help="results/NAME.md and .json (ideal_points)"
    )
    args = parser.parse_args(argv)
    options = {
        k: v
        for k, v in (
            ("draws", args.draws),
            ("burn_in", args.burn_in),
            ("thin", args.thin),
            ("chains", args.chains),
        )
        if v is not None
    }
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None or not db.exists():
            db = db or Path(tmp) / "alignment.duckdb"
            print(f"building {db} from {args.data} ...", flush=True)
            refresh.refresh_from_paths(db, [args.data])
        with store.connect(db) as con:
            # The sampler is compiled on its first use (numba caches it beside the module):
            # a few sweeps of one session compile it, timed apart from the run.
            compile_start = time.perf_counter()
            ideal_point_posterior(con, from_session=80, draws=4, burn_in=0, chains=1)
            compile_s = time.perf_counter() - compile_start
            load_before = os.getloadavg()
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            start, cpu = time.perf_counter(), time.process_time()
            with Workers() as workers:
                est = ideal_point_posterior(con, seed=args.seed, **options).summary()
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            worker_cpu = sum(workers.cpu_s.values())
            load_after = os.getloadavg()
            other = None
            if not args.one_seed:
                other = ideal_point_posterior(con, seed=args.seed + 1, **options).summary()
            ref = reference(con, args.data)
    table = compare(est, ref)
    r = table["r"].to_numpy()
    if not args.quiet:
        with pl.Config(tbl_rows=200):
            print(table)
    worst = table.sort("r").head(5)
    sessions = est["session"]
    c = check_convergence(est)
    rhat, bulk, tail = (est[k].to_numpy() for k in ("rhat", "ess_bulk", "ess_tail"))
    lines = [
        f"sessions {sessions.min()}-{sessions.max()}; votes used: {int(est['n_votes'].sum()):,}; "
        f"country-sessions: {est.height:,}",
        f"options: {options or 'defaults'}, seed {args.seed}",
        f"load average (1, 5, 15 min) before {', '.join(f'{v:.2f}' for v in load_before)}, "
        f"after {', '.join(f'{v:.2f}' for v in load_after)}; {os.cpu_count()} cores",
        f"estimate with diagnostics: wall {wall:.1f} s, CPU {cpu + worker_cpu:.1f} s "
        f"({worker_cpu:.1f} s in {len(workers.cpu_s)} worker processes); peak RSS (whole "
        f"process): {peak_mb:.0f} MB ({before:.0f} MB before the estimate), with the workers "
        f"{max(workers.peak_mb, peak_mb):.0f} MB",
        f"before it, compiling or loading the sampler (numba, cached beside the module after its "
        f"first use) and a few sweeps of one session: {compile_s:.1f} s",
        f"R-hat: {_quantiles(rhat)}; max {c.rhat_max:.3f}; share <= {RHAT_TARGET}: "
        f"{np.mean(rhat <= RHAT_TARGET):.3f}, above {RHAT_LIMIT}: {int((rhat > RHAT_LIMIT).sum()):,}",
        f"ESS bulk: {_quantiles(bulk)}; min {c.ess_bulk_min:.0f}; share >= {ESS_TARGET:.0f}: "
        f"{np.mean(bulk >= ESS_TARGET):.3f}",
        f"ESS tail: {_quantiles(tail)}; min {c.ess_tail_min:.0f}; share >= {ESS_TARGET:.0f}: "
        f"{np.mean(tail >= ESS_TARGET):.3f}",
        f"all three met: {c.share_converged:.3f} of estimates (standard: {CONVERGED_SHARE})",
    ]
    diff = None
    if other is not None:
        diff = est.join(other, on=["iso3", "period"], suffix="_2").select(
            (pl.col("ideal_point") - pl.col("ideal_point_2")).abs().alias("d")
        )["d"]
        lines.append(
            f"seed {args.seed} against seed {args.seed + 1}: mean absolute difference "
            f"{diff.mean():.4f}, 99th percentile {diff.quantile(0.99):.4f}, max {diff.max():.4f}"
        )
    widths = est.join(ref, on=["iso3", "session"]).select(
        (pl.col("upper") - pl.col("lower")).mean().alias("ours"),
        pl.col("reference_width").mean().alias("published"),
    )
    lines += [
        f"per-session r against Voeten (sessions with >= 30 states, n={len(r)}): min "
        f"{np.min(r):.3f}, median {np.median(r):.3f}, below 0.95: {int((r < 0.95).sum())}; "
        "worst 5: "
        + ", ".join(f"{s}: {v:.3f}" for s, v in worst.select("session", "r").iter_rows()),
        f"overall r over {est.join(ref, on=['iso3', 'session']).height:,} country-sessions: "
        f"{overall(est, ref):.4f}",
        "mean width of the 90% intervals, sessions 1-74: "
        f"{widths['ours'][0]:.3f} (published Q5%-Q95%: {widths['published'][0]:.3f})",
    ]
    print("\n".join(lines))
    if not args.no_write:
        command = " ".join(["python benchmarks/ideal_points.py", *(argv or sys.argv[1:])])
        figures = {
            "command": command,
            "options": options,
            "seed": args.seed,
            "cores": os.cpu_count(),
            "load_before": list(load_before),
            "load_after": list(load_after),
            "estimates": est.height,
            "wall_s": wall,
            "compile_s": compile_s,
            "cpu_s": cpu + worker_cpu,
            "worker_cpu_s": worker_cpu,
            "peak_rss_mb": peak_mb,
            "peak_rss_with_workers_mb": max(workers.peak_mb, peak_mb),
            "rhat_median": c.rhat_median,
            "rhat_max": c.rhat_max,
            "share_rhat_ok": float(np.mean(rhat <= RHAT_TARGET)),
            "above_rhat_limit": int((rhat > RHAT_LIMIT).sum()),
            "ess_bulk_median": float(np.nanmedian(bulk)),
            "ess_tail_median": float(np.nanmedian(tail)),
            "share_converged": c.share_converged,
            "converged": c.ok,
            "seed_mean_abs_difference": None if diff is None else float(diff.mean()),
            "overall_r": overall(est, ref),
            "session_r": dict(zip(table["session"].to_list(), table["r"].to_list(), strict=True)),
        }
        (RESULTS_DIR / f"{args.results}.json").write_text(json.dumps(figures, indent=1) + "\n")
        (RESULTS_DIR / f"{args.results}.md").write_text(
            "```text\n" + "\n".join(lines) + "\n```\n\n"
            f"Measured with `{command}` on {os.cpu_count()} cores, Python "
            f"{platform.python_version()}.\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
