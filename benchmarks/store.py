"""Benchmark: rebuild the whole store from ../shared/data; prints wall time and peak memory.

    python benchmarks/store.py [DATA_DIR]

Goal (issue 2): under 10 s on the 2-core machine for the votes, peak memory under 2 GB. The
build also derives the analyses' tables (agreement counts, bloc cohesion, ideal points); their
stage is printed apart, since a fresh build must estimate the ideal points that a refresh with
unchanged votes carries over. The figures go to benchmarks/results/store.md.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from alignment import refresh

DATA = Path(__file__).parents[1] / ".." / "shared" / "data"
RESULTS = Path(__file__).parent / "results" / "store.md"


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA.resolve()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "alignment.duckdb"
        runs, stages = [], []
        for _ in range(3):
            db.unlink(missing_ok=True)
            start = time.perf_counter()
            summary = refresh.refresh_from_paths(db, [data]).summary
            assert summary is not None
            runs.append(time.perf_counter() - start)
            stages.append(summary.seconds)
        size = db.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    best = stages[runs.index(min(runs))]
    votes_only = sum(v for k, v in best.items() if k != "derived tables")
    lines = [
        f"Store rebuild from `{data.name}/`: {summary.roll_calls:,} roll calls, "
        f"{summary.votes:,} votes, a file of {size / 1e6:.0f} MB.",
        f"Wall time: best {min(runs):.1f} s of {len(runs)} runs ("
        + ", ".join(f"{r:.1f}" for r in runs)
        + " s); stages of the best: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in best.items())
        + f"; the vote store alone (read, reconcile, write) {votes_only:.1f} s. "
        f"Peak memory {peak:.0f} MB. Load average when it started: {load[0]:.1f} "
        f"({os.cpu_count()} cores).",
        "",
        "Measured with `python benchmarks/store.py`.",
    ]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
