"""Benchmark: how long `alignment --help` takes to start, against a bare `import click`.

    python benchmarks/startup.py [--runs 30]

Goal (issue 11): `alignment --help` within 3 times `python -c "import click"`: scripted calls
pay the start-up every time, so commands import only what they use. Each command runs ``runs``
times in a fresh process; the figures are the median and the best wall time. The result is
written to benchmarks/results/startup.md, which docs/reference/figures.md quotes.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from measured import alignment_command, measured_with, publish

RESULTS = Path(__file__).parent / "results" / "startup.md"


def timed(command: list[str], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    exe = alignment_command()
    bare = timed([sys.executable, "-c", "import click"], args.runs)
    helped = timed([exe, "--help"], args.runs)
    ratio = helped[0] / bare[0]
    lines = [
        f"`alignment --help`: median {helped[0] * 1000:.0f} ms (best {helped[1] * 1000:.0f} ms); "
        f'`python -c "import click"`: median {bare[0] * 1000:.0f} ms (best '
        f"{bare[1] * 1000:.0f} ms); ratio {ratio:.2f} (goal: at most 3).",
        "",
        measured_with("startup.py", ["--runs", str(args.runs)]),
    ]
    publish(RESULTS, "\n".join(lines))


if __name__ == "__main__":
    main()
