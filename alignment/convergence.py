"""Convergence of Markov chains: ArviZ's diagnostics of every estimate, and the publication
standard a set of estimates is judged against.

:func:`diagnostics` gives the rank-normalised split-R̂ and the bulk and tail effective sample
sizes of Vehtari et al. (2021), computed by ArviZ (``arviz_stats.base.array_stats``, the array
interface of ``arviz-stats``), for every column of a (chains, draws, cells) array.
:func:`check_convergence` judges a frame of them against the publication standard
(``RHAT_TARGET``, ``RHAT_LIMIT``, ``ESS_TARGET``, ``CONVERGED_SHARE``).

ArviZ computes one cell at a time in Python (about 2 ms a cell for 2 chains of 800 draws, more
when the chains mix slowly), and threads do not help (the loops hold the GIL). Inputs of
``POOL_FROM`` cells or more are therefore spread in blocks over a pool of processes, one per
core the process may use: the numbers are ArviZ's for each cell wherever it is computed. The
pool starts its workers with "forkserver" (POSIX) or "spawn", never by forking the caller, which
may be running threads (the CLI and the build call this from a worker thread). Workers import
the caller's main module, as ``multiprocessing`` does: a script whose top level would run again
there (no ``if __name__ == "__main__":`` guard) gets its diagnostics computed in its own
process instead, more slowly but the same numbers (see :func:`_main_is_importable`).
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "CONVERGED_SHARE",
    "ESS_TARGET",
    "POOL_FROM",
    "RHAT_LIMIT",
    "RHAT_TARGET",
    "Convergence",
    "check_convergence",
    "diagnostics",
]

log = logging.getLogger(__name__)

# Publication standard of convergence (Vehtari et al. 2021): rank-normalised split-R-hat at
# most 1.01 and bulk and tail ESS at least 400 for at least 99% of the estimates, none above
# R-hat 1.05.
RHAT_TARGET = 1.01
RHAT_LIMIT = 1.05
ESS_TARGET = 400.0
CONVERGED_SHARE = 0.99
# The tail ESS is the smaller of those of the 5% and 95% quantiles (ArviZ's default).
TAIL_PROB = (0.05, 0.95)

# Fewer cells than this are computed in the calling process: starting the workers (a Python
# with numpy and scipy each, about a second) would cost more than it saves.
POOL_FROM = 2000
# Blocks per worker: several, so that a worker given slow cells does not leave the others idle.
_BLOCKS_PER_WORKER = 4


def _diagnose(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rhat, ess_bulk, ess_tail) of every column of ``draws`` (chains, draws, cells), by
    ArviZ, in this process."""
    from arviz_stats.base import array_stats  # loads scipy.stats: only when computing

    chains, n, k = draws.shape
    nan = np.full(k, np.nan)
    if n < 4 or k == 0:  # ArviZ's minimum; it would log a line for every cell
        return nan, nan.copy(), nan.copy()
    draws = np.asarray(draws, dtype=float)
    axes = {"chain_axis": 0, "draw_axis": 1}
    # A constant cell's R-hat is 0/0: NaN, as documented, without a warning.
    with np.errstate(divide="ignore", invalid="ignore"):
        # R-hat needs two chains (NaN otherwise, without ArviZ's log line for every cell).
        rhat = array_stats.rhat(draws, method="rank", **axes) if chains > 1 else nan
        bulk = array_stats.ess(draws, method="bulk", **axes)
        tail = array_stats.ess(draws, method="tail", prob=TAIL_PROB, **axes)
    return np.asarray(rhat, float), np.asarray(bulk, float), np.asarray(tail, float)


def _workers() -> int:
    """The cores this process may use (``os.process_cpu_count`` from Python 3.13)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def _main_is_importable() -> bool:
    """Whether workers may import the caller's main module: an interactive session or notebook
    (no file), or a script that guards its entry point (multiprocessing's rule; the text is
    read because the guard cannot be seen from here). A script without the guard would run
    again in every worker."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None:
        return True
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "__main__" in text


def _context() -> multiprocessing.context.BaseContext:
    """Workers that do not inherit the caller's threads: a fork server where there is one."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The fork server (one per process, started on first use) imports ArviZ once, so the
    # workers of later calls start without importing it again (it takes a second or more).
    context.set_forkserver_preload(["__main__", __name__, "arviz_stats.base"])
    return context


def _pooled(draws: np.ndarray, workers: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = draws.shape[2]
    bounds = np.linspace(0, k, min(workers * _BLOCKS_PER_WORKER, k) + 1).astype(int)
    # Each block is sent to a worker as a contiguous copy of its cells (the caller's dtype:
    # float32 draws travel at half the size).
    blocks = [np.ascontiguousarray(draws[:, :, lo:hi]) for lo, hi in itertools.pairwise(bounds)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        parts = list(pool.map(_diagnose, blocks))
    rhat, bulk, tail = (np.concatenate(column) for column in zip(*parts, strict=True))
    return rhat, bulk, tail


def diagnostics(
    draws: np.ndarray, *, workers: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rhat, ess_bulk, ess_tail) of every column of ``draws`` (chains, draws, cells).

    ArviZ's numbers (Vehtari et al. 2021): ``rhat`` the rank-normalised split-R̂ (method
    "rank": the larger of the bulk and the folded one), ``ess_bulk`` the effective sample size
    of the rank-normalised split chains, ``ess_tail`` the smaller of those of the 5% and 95%
    quantile indicators. R̂ needs two chains and four draws (NaN otherwise), ESS four draws;
    a constant cell has R̂ NaN and ESS the number of draws (less one a chain when odd: the
    split leaves the middle one out).

    ``workers``: processes to spread the cells over; by default one per usable core when there
    are ``POOL_FROM`` cells or more, else none (computed in this process). The numbers do not
    depend on it. Should the pool fail to start, or the caller's script lack the entry-point
    guard the workers need, the cells are computed here."""
    draws = np.asarray(draws)
    if draws.ndim != 3:
        raise ValueError(f"draws must be (chains, draws, cells), not of shape {draws.shape}")
    k = draws.shape[2]
    if workers is None:
        workers = _workers() if k >= POOL_FROM else 1
    workers = max(1, min(workers, os.cpu_count() or 1, k))
    if workers == 1 or draws.shape[1] < 4 or not _main_is_importable():
        return _diagnose(draws)
    try:
        return _pooled(draws, workers)
    except (BrokenProcessPool, OSError) as error:  # e.g. no processes allowed, a dead worker
        log.warning("convergence diagnostics computed in one process: the pool failed (%s)", error)
        return _diagnose(draws)


@dataclass(frozen=True)
class Convergence:
    """How converged a set of estimates is, against the publication standard (``RHAT_TARGET``,
    ``RHAT_LIMIT``, ``ESS_TARGET``, ``CONVERGED_SHARE``)."""

    n: int  # estimates
    rhat_median: float
    rhat_max: float
    ess_bulk_min: float
    ess_tail_min: float
    share_converged: float  # R-hat <= 1.01 and bulk and tail ESS >= 400 (NaN counts as not)
    ok: bool

    def message(self) -> str:
        """One line for the user: the worst values and whether the standard is met."""
        verdict = "converged" if self.ok else "NOT converged to the publication standard"
        return (
            f"ideal points {verdict}: R-hat <= {RHAT_TARGET} and bulk and tail ESS >= "
            f"{ESS_TARGET:.0f} for {self.share_converged:.1%} of {self.n:,} estimates (needed: "
            f"{CONVERGED_SHARE:.0%}); R-hat median {self.rhat_median:.3f}, max "
            f"{self.rhat_max:.3f} (limit {RHAT_LIMIT}); smallest ESS bulk "
            f"{self.ess_bulk_min:.0f}, tail {self.ess_tail_min:.0f}"
            + (
                ""
                if self.ok
                else "; run longer chains (--burn-in, --draws, --thin: the README's "
                "'Ideal points' gives a run that meets it) or see each estimate's rhat and ess"
            )
        )


def check_convergence(estimates: pl.DataFrame) -> Convergence:
    """Convergence of ``estimates`` (a frame with ``rhat, ess_bulk, ess_tail``, as
    ``alignment.ideal_points`` returns them): met when at least ``CONVERGED_SHARE`` of the
    estimates have R-hat <= ``RHAT_TARGET`` and bulk and tail ESS >= ``ESS_TARGET``, and none
    has R-hat above ``RHAT_LIMIT`` (a missing value fails)."""
    rhat = estimates["rhat"].to_numpy().astype(float)
    bulk = estimates["ess_bulk"].to_numpy().astype(float)
    tail = estimates["ess_tail"].to_numpy().astype(float)
    n = len(rhat)
    if n == 0:
        return Convergence(0, np.nan, np.nan, np.nan, np.nan, 1.0, True)
    good = (rhat <= RHAT_TARGET) & (bulk >= ESS_TARGET) & (tail >= ESS_TARGET)
    share = float(good.mean())
    worst = float(np.max(np.where(np.isnan(rhat), np.inf, rhat)))
    return Convergence(
        n=n,
        rhat_median=float(np.median(rhat)),
        rhat_max=worst,
        ess_bulk_min=float(np.min(np.where(np.isnan(bulk), -np.inf, bulk))),
        ess_tail_min=float(np.min(np.where(np.isnan(tail), -np.inf, tail))),
        share_converged=share,
        ok=share >= CONVERGED_SHARE and worst <= RHAT_LIMIT,
    )
