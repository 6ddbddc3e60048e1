"""Benchmark: the sampler run to the publication standard (``ideal-points --method mcmc``).

    .venv/bin/python benchmarks/mcmc.py --db STORE [--from-session 60] [--to-session 80]
        [--max-minutes 10] [--check-every 500] [--warmup 1000] [--no-write]

Runs :func:`alignment.mcmc.run_to_standard` on a built store (all sessions by default), logs
every check (sweeps, the share of estimates that meet the standard, the worst R-hat, the
projected time left), then prints the wall and CPU time, the seconds per sweep, the peak memory
and the machine's load before and after; writes the lines printed to benchmarks/results/mcmc.md.
The machine's two cores are shared: the load says how much of them the run had. The sampler's
compiled code is cached on disk: run once before timing (the first run compiles it).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

from measured import load_average, results_text

from alignment import store
from alignment.analyses import ideal_points_mcmc
from alignment.mcmc import Check

RESULTS = Path(__file__).parent / "results" / "mcmc.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--from-session", type=int, default=None)
    parser.add_argument("--to-session", type=int, default=None)
    parser.add_argument("--max-minutes", type=float, default=10.0)
    parser.add_argument("--check-every", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--no-write", action="store_true", help="write no results file")
    args = parser.parse_args(argv)
    lines = [f"load average before: {load_average()}"]

    def on_check(check: Check) -> None:
        lines.append(check.line())
        print(lines[-1], flush=True)

    start, start_cpu = time.perf_counter(), time.process_time()
    with store.connect(args.db) as con:
        run = ideal_points_mcmc(
            con, from_session=args.from_session, to_session=args.to_session,
            max_minutes=args.max_minutes, check_every=args.check_every, warmup=args.warmup,
            on_check=on_check,
        )  # fmt: skip
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += [
        f"{run.estimates.height:,} estimates; {run.convergence.message()}",
        f"wall {wall:.0f} s, CPU {cpu:.0f} s, {wall / run.last.sweeps:.3f} s a sweep of every "
        f"chain (diagnostics included); peak RSS {peak:.0f} MB; load average after: {load_average()}",
    ]
    print("\n".join(lines[-2:]))
    sessions = f"sessions {args.from_session or 'first'}-{args.to_session or 'last'}"
    text = f"{sessions}:\n\n" + results_text(lines, "mcmc.py", argv)
    if not args.no_write:
        RESULTS.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
