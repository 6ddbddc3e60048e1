"""Benchmark: build the flagship report (Belarus and Syria) from a built store.

    .venv/bin/python benchmarks/report.py --db /tmp/rep.duckdb [--output /tmp/bench-reports]

Prints the wall time of the build (goal: under 10 s), the same with the imports the command
``alignment report belarus-syria`` pays besides (plotly, jinja2, scikit-learn: about 2 s, more
on a busy machine), the time of each part,
and the size of the HTML (goal: under 10 MB). Build a store first:
``.venv/bin/alignment refresh --from ../shared/data --db /tmp/rep.duckdb``.
"""

from __future__ import annotations

import argparse
import importlib
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="A built store.")
    parser.add_argument("--output", type=Path, default=None, help="Directory for the HTML.")
    args = parser.parse_args()
    out = args.output or Path(tempfile.mkdtemp(prefix="alignment-report-"))
    start = time.perf_counter()
    reports = importlib.import_module("alignment.reports")
    for name in ("sklearn.cluster", "sklearn.manifold", "sklearn.metrics"):
        importlib.import_module(name)  # imported by the map's first use (alignment.clusters)
    imported = time.perf_counter() - start
    start = time.perf_counter()
    path, report = reports.write(args.db, reports.flagship(), out)
    wall = time.perf_counter() - start
    size = path.stat().st_size
    print(f"flagship report: {wall:.1f} s (goal < 10 s), {size / 1e6:.2f} MB (goal < 10 MB)")
    print(
        f"  with the imports (plotly, jinja2, scikit-learn: {imported:.1f} s): {wall + imported:.1f} s"
    )
    print(f"  file: {path}")
    for part, seconds in report.timings.items():
        print(f"  {part:22s} {seconds:6.2f} s")
    if report.ideal is not None:
        print(f"  ideal points: {report.ideal.source} ({report.ideal.frame.height} rows)")


if __name__ == "__main__":
    main()
