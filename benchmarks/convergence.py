"""Benchmark: ArviZ's convergence diagnostics of an all-votes run, in one process and pooled.

    python benchmarks/convergence.py [--cells 11623] [--draws 800] [--phi 0.9 0.97]

``alignment.convergence.diagnostics`` hands every estimate to ArviZ, which loops over them in
Python; from ``POOL_FROM`` cells on they are spread over a pool of processes, one per core.
This times both ways on draws shaped like those of the default all-votes run (2 chains of 800
draws of 11,623 country-sessions), each cell an AR(1) chain with coefficient ``phi`` (the
slower a chain mixes, the longer ArviZ's ESS sums its autocorrelations), checks that they give
the same numbers, and writes the lines printed to benchmarks/results/convergence.md, with the
machine's load: the two cores are shared, and a busy machine leaves the pool less to use.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from alignment.convergence import diagnostics

RESULTS = Path(__file__).parent / "results" / "convergence.md"


def ar1(phi: float, shape: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    """Stationary AR(1) chains along axis 1, as float32 (the sampler's draws are)."""
    rng = np.random.default_rng(seed)
    out = np.empty(shape, np.float32)
    x = rng.standard_normal((shape[0], shape[2])) / np.sqrt(1.0 - phi**2)
    for t in range(shape[1]):
        out[:, t] = x
        x = phi * x + rng.standard_normal((shape[0], shape[2]))
    return out


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", type=int, default=11623)
    parser.add_argument("--draws", type=int, default=800, help="draws per chain")
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--phi", type=float, nargs="+", default=[0.9, 0.97])
    parser.add_argument("--no-write", action="store_true", help="write no results file")
    args = parser.parse_args(argv)
    shape = (args.chains, args.draws, args.cells)
    lines = [f"draws {shape[0]} chains x {shape[1]:,} x {shape[2]:,} cells, AR(1)"]
    for phi in args.phi:
        draws = ar1(phi, shape)
        load = _load()
        times, results = {}, {}
        for way, workers in (("one process", 1), ("pooled", None)):
            start = time.perf_counter()
            results[way] = diagnostics(draws, workers=workers)
            times[way] = time.perf_counter() - start
        same = all(
            np.array_equal(a, b, equal_nan=True) for a, b in zip(*results.values(), strict=True)
        )
        rhat, bulk, tail = results["pooled"]
        lines.append(
            f"phi {phi}: one process {times['one process']:.1f} s, pooled "
            f"{times['pooled']:.1f} s ({'same' if same else 'DIFFERENT'} numbers; median R-hat "
            f"{np.median(rhat):.3f}, ESS bulk {np.median(bulk):.0f}, tail "
            f"{np.median(tail):.0f}); load average before {load}, after {_load()}"
        )
        print(lines[-1], flush=True)
    command = " ".join(["python benchmarks/convergence.py", *(argv or sys.argv[1:])])
    text = (
        "```text\n" + "\n".join(lines) + "\n```\n\n"
        f"Measured with `{command}` on {os.cpu_count()} cores, Python "
        f"{platform.python_version()}.\n"
    )
    if not args.no_write:
        RESULTS.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
