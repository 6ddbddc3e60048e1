"""Benchmark: how fast the engine's limits act on a runaway query, and what `status --check`
costs.

    python benchmarks/limits.py [--db data/alignment.duckdb] [--runs 5]

Goals (issue 22): Ctrl-C stops a query within a second (exit 130); `--timeout` stops it at its
limit (exit 124). Each run starts `alignment sql` on a query that would run for hours (every
pair of votes), sends SIGINT after 3 s, and times the command's end from the signal; then runs
it with `--timeout 2` and times it whole; then times `alignment status --check` on the store (by default `make demo`'s). The
result is written to benchmarks/results/limits.md, which docs/reference/figures.md quotes.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import time
from pathlib import Path

from measured import alignment_command, measured_with, publish

RESULTS = Path(__file__).parent / "results" / "limits.md"
RUNAWAY = "SELECT count(*) FROM votes a, votes b WHERE a.iso3 < b.iso3"


def interrupted(exe: str, store: str) -> float:
    """Seconds from SIGINT to the command's end."""
    process = subprocess.Popen(
        [exe, "sql", RUNAWAY, "--timeout", "0", "--db", store],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(3)
    start = time.perf_counter()
    process.send_signal(signal.SIGINT)
    code = process.wait(timeout=600)
    assert code == 130, code
    return time.perf_counter() - start


def timed(command: list[str], expected: int) -> float:
    start = time.perf_counter()
    code = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    assert code == expected, (command, code)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", dest="store", default="data/alignment.duckdb",
                        help="a store built from ../shared/data (default: make demo's)")  # fmt: skip
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    exe = alignment_command()
    stops = [interrupted(exe, args.store) for _ in range(args.runs)]
    limited = [
        timed([exe, "sql", RUNAWAY, "--timeout", "2", "--db", args.store], 124)
        for _ in range(args.runs)
    ]
    checks = [timed([exe, "status", "--check", "--db", args.store], 0) for _ in range(args.runs)]
    lines = [
        f"- Ctrl-C on a runaway query: the command ends {statistics.median(stops):.2f} s after "
        f"the signal (median; worst {max(stops):.2f} s; goal: within 1 s), exit 130.",
        f"- `--timeout 2` on it: the command ends after {statistics.median(limited):.1f} s in all "
        f"(median, start-up included; worst {max(limited):.1f} s), exit 124.",
        f"- `alignment status --check` on the full store: {statistics.median(checks):.1f} s "
        f"(median; worst {max(checks):.1f} s).",
        "",
        measured_with("limits.py", ["--runs", str(args.runs)], load=os.getloadavg()[0]),
    ]
    publish(RESULTS, "\n".join(lines))


if __name__ == "__main__":
    main()
