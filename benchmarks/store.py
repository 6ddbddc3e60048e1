"""Benchmark: rebuild the whole store from ../shared/data; prints wall time and peak memory.

    python benchmarks/store.py [DATA_DIR]

Goal (issue 2): under 10 s on the 2-core machine, peak memory under 2 GB. The build also
materialises the analyses (agreement counts, bloc cohesion, ideal points); their stages are
printed apart, since a fresh build must estimate the ideal points that a refresh with
unchanged votes carries over.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from alignment import refresh

DATA = Path(__file__).parents[1] / ".." / "shared" / "data"


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "alignment.duckdb"
        runs, stages = [], []
        for _ in range(3):
            db.unlink(missing_ok=True)
            start = time.perf_counter()
            summary = refresh.refresh_from_paths(db, [data])
            runs.append(time.perf_counter() - start)
            stages.append(summary.seconds)
        size = db.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"store rebuild from {data}")
    print(f"  roll calls {summary.roll_calls}, votes {summary.votes}, file {size / 1e6:.1f} MB")
    print(f"  wall time: best {min(runs):.2f} s, runs " + ", ".join(f"{r:.2f}" for r in runs))
    best = stages[runs.index(min(runs))]
    votes_only = sum(v for k, v in best.items() if k not in ("metrics", "ideal points"))
    print("  stages of the best run: " + ", ".join(f"{k} {v:.2f} s" for k, v in best.items()))
    print(f"  the vote store alone (read, reconcile, write): {votes_only:.2f} s")
    print(f"  peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
