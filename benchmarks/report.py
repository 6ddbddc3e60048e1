"""Benchmark: build every kind of report from a built store and write the figures.

    .venv/bin/python benchmarks/report.py --db data/alignment.duckdb [--output /tmp/bench-reports]

Builds the reports of ``alignment report gallery``: the flagship (Belarus and Syria), a state
and a bloc without a topic (USA, the EU), a state and a bloc with one (Kazakhstan on Syria from
2015, the CSTO on Ukraine), and the largest (Russia, every vote since 1946). Prints, for each,
the wall time of the build (goal: under 20 s, counting the imports a command pays once:
plotly, jinja2, scikit-learn), the time of each part and the size of the HTML (goal: under
10 MB), and writes the table to
``benchmarks/results/report.md`` (docs/reference/figures.md quotes it). Build a store first:
``.venv/bin/alignment refresh --from ../shared/data --db data/alignment.duckdb``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "report.md"
BUILD_GOAL, SIZE_GOAL = 20.0, 10e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="A built store.")
    parser.add_argument("--output", type=Path, default=None, help="Directory for the HTML.")
    args = parser.parse_args()
    out = args.output or Path(tempfile.mkdtemp(prefix="alignment-report-"))
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    reports = importlib.import_module("alignment.reports")
    gallery = importlib.import_module("alignment.reports.gallery")
    store = importlib.import_module("alignment.store")
    for name in ("sklearn.cluster", "sklearn.manifold", "sklearn.metrics"):
        importlib.import_module(name)  # imported by the map's first use (alignment.clusters)
    imported = time.perf_counter() - start
    with store.connect(args.db) as con:
        # The gallery, and the largest report: every vote since 1946, Russia (whose small blocs
        # give the vote matrix most columns).
        specs = [*gallery.specs(con), reports.resolve(con, "country", "RUS", start_year=1946)]
    rows = []
    for spec in specs:
        start = time.perf_counter()
        path, report = reports.write_report(args.db, spec, out)
        wall = time.perf_counter() - start
        size = path.stat().st_size
        rows.append((spec, wall, size, report))
        print(f"{spec.slug}: {wall:.1f} s, {wall + imported:.1f} s with the imports, "
              f"{size / 1e6:.2f} MB  ({path})")  # fmt: skip
        for part, seconds in report.timings.items():
            print(f"  {part:14s} {seconds:6.2f} s")
    load_after = os.getloadavg()[0]
    worst = max(w for _, w, _, _ in rows) + imported
    largest = max(s for _, _, s, _ in rows)
    ok = worst < BUILD_GOAL and largest < SIZE_GOAL
    lines = [
        "| report | kind | topic | roll calls | build | with the imports | size |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for spec, wall, size, report in rows:
        lines.append(
            f"| `{spec.slug}` | {spec.kind} | {spec.topic or '(none)'} | "
            f"{report.matrix.height:,} | {wall:.1f} s | {wall + imported:.1f} s | "
            f"{size / 1e6:.1f} MB |"
        )
    lines += [
        "",
        f"Worst: {worst:.1f} s with the imports ({imported:.1f} s: plotly, jinja2, "
        f"scikit-learn), largest file {largest / 1e6:.1f} MB (goals: under "
        f"{BUILD_GOAL:.0f} s and {SIZE_GOAL / 1e6:.0f} MB: {'met' if ok else 'NOT met'}).",
        "",
        f"Measured with `python benchmarks/report.py --db data/alignment.duckdb` on "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, load average "
        f"{load_before:.1f} before and {load_after:.1f} after (other work on the machine).",
    ]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
