"""Benchmark: the convergence diagnostics of an all-votes run, vectorised numpy against ArviZ.

    python benchmarks/convergence.py [--cells 11623] [--draws 800] [--phi 0.9 0.97]

``alignment.convergence.diagnostics`` computes every estimate's R-hat and bulk and tail ESS in
numpy, all cells at once; ArviZ (``arviz_stats``, the mcmc extra) loops over them in Python.
This times both (CPU and wall) on draws shaped like those of the default all-votes run (2
chains of 800 draws of 11,623 country-sessions), each cell an AR(1) chain with coefficient
``phi`` (the slower a chain mixes, the longer the ESS sums its autocorrelations), checks that
they give the same numbers (to 1e-9), and writes the lines printed to
benchmarks/results/convergence.md, with the machine's load (two shared cores).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from measured import load_average, results_text

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
    from arviz_stats.base import array_stats

    def arviz(draws: np.ndarray) -> tuple[np.ndarray, ...]:
        values = draws.astype(float)
        axes = {"chain_axis": 0, "draw_axis": 1}
        return (
            array_stats.rhat(values, method="rank", **axes),
            array_stats.ess(values, method="bulk", **axes),
            array_stats.ess(values, method="tail", prob=(0.05, 0.95), **axes),
        )

    diagnostics(ar1(0.5, (2, 8, 2)))  # imports, once
    arviz(ar1(0.5, (2, 8, 2)))
    for phi in args.phi:
        draws = ar1(phi, shape)
        load = load_average()
        cpu, wall, results = {}, {}, {}
        for way, compute in (("numpy", diagnostics), ("ArviZ", arviz)):
            start, start_cpu = time.perf_counter(), time.process_time()
            results[way] = compute(draws)
            wall[way] = time.perf_counter() - start
            cpu[way] = time.process_time() - start_cpu
        same = all(
            np.allclose(a, b, rtol=1e-9, atol=0, equal_nan=True)
            for a, b in zip(*results.values(), strict=True)
        )
        rhat, bulk, tail = results["numpy"]
        lines.append(
            f"phi {phi}: numpy {cpu['numpy']:.1f} s CPU ({wall['numpy']:.1f} s wall), ArviZ "
            f"{cpu['ArviZ']:.1f} s CPU ({wall['ArviZ']:.1f} s wall): "
            f"{cpu['ArviZ'] / cpu['numpy']:.0f}x less CPU ({'same' if same else 'DIFFERENT'} "
            f"numbers; median R-hat {np.median(rhat):.3f}, ESS bulk {np.median(bulk):.0f}, tail "
            f"{np.median(tail):.0f}); load average before {load}, after {load_average()}"
        )
        print(lines[-1], flush=True)
    text = results_text(lines, "convergence.py", argv)
    if not args.no_write:
        RESULTS.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
