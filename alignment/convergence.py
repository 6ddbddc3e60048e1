"""Convergence of Markov chains: the diagnostics of every estimate, and the publication
standard a set of estimates is judged against.

:func:`diagnostics` gives the rank-normalised split-R̂ and the bulk and tail effective sample
sizes of Vehtari et al. (2021) for every column of a (chains, draws, cells) array, computed for
all cells at once in numpy (blocks of cells bound the memory of the autocovariances). They are
the numbers of ArviZ (``arviz_stats.base.array_stats``: its ``rhat(method="rank")`` and
``ess(method="bulk"|"tail")``), which the tests hold equal to 1e-9; ArviZ computes one cell at a
time in Python, so it is not used here. :func:`check_convergence` judges a frame of them against
the publication standard (``RHAT_TARGET``, ``RHAT_LIMIT``, ``ESS_TARGET``, ``CONVERGED_SHARE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "CONVERGED_SHARE",
    "ESS_TARGET",
    "RHAT_LIMIT",
    "RHAT_TARGET",
    "Convergence",
    "check_convergence",
    "diagnostics",
]

# Publication standard of convergence (Vehtari et al. 2021): rank-normalised split-R-hat at
# most 1.01 and bulk and tail ESS at least 400 for at least 99% of the estimates, none above
# R-hat 1.05.
RHAT_TARGET = 1.01
RHAT_LIMIT = 1.05
ESS_TARGET = 400.0
CONVERGED_SHARE = 0.99
# The tail ESS is the smaller of those of the 5% and 95% quantiles (ArviZ's default).
TAIL_PROB = (0.05, 0.95)
# Blom's offset of the normal scores of ranks (Vehtari et al. 2021, eq. 14).
_BLOM = 3.0 / 8.0
# Bytes of the complex autocovariance transform of one block of cells.
_BLOCK_BYTES = 64 * 2**20


def _split(x: np.ndarray) -> np.ndarray:
    """(cells, chains, draws) -> (cells, 2 chains, draws // 2): each chain's first and last
    halves, the middle draw of an odd chain left out."""
    half = x.shape[2] // 2
    return np.concatenate([x[:, :, :half], x[:, :, x.shape[2] - half :]], axis=1)


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks (1..n) of the values of every row, ties given their average rank (as
    ``scipy.stats.rankdata(method="average")``, whose per-row Python overhead this avoids)."""
    k, n = x.shape
    order = np.argsort(x, axis=1)
    ordered = np.take_along_axis(x, order, axis=1)
    position = np.arange(n, dtype=float)
    starts = np.ones((k, n), dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    ends = np.ones((k, n), dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    if starts.all():  # no ties (draws of a continuous distribution): ranks are positions
        ranks = np.empty((k, n))
        np.put_along_axis(ranks, order, np.broadcast_to(position + 1.0, (k, n)), axis=1)
        return ranks
    first = np.maximum.accumulate(np.where(starts, position, 0.0), axis=1)
    last = np.minimum.accumulate(np.where(ends, position, n)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty((k, n))
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=1)
    return ranks


def _normal_scores(x: np.ndarray) -> np.ndarray:
    """Rank-normalised values of every cell of (cells, chains, draws): the normal quantile of
    each value's average rank among all the cell's values, with Blom's offset."""
    from scipy.special import ndtri

    k, m, n = x.shape
    size = m * n
    ranks = _average_ranks(x.reshape(k, size)).reshape(k, m, n)
    # Average ranks are whole or half numbers: the normal quantile of each of the 2 size - 1
    # possible ones, computed once, then looked up (the same numbers, a fraction of the work).
    possible = np.arange(2 * size - 1) / 2.0 + 1.0
    quantiles = ndtri((possible - _BLOM) / (size - 2 * _BLOM + 1))
    return quantiles[(2.0 * ranks - 2.0).astype(np.intp)]


def _rhat(z: np.ndarray) -> np.ndarray:
    """Gelman-Rubin R̂ of every cell of (cells, chains, draws)."""
    n = z.shape[2]
    between = n * np.var(z.mean(axis=2), axis=1, ddof=1)
    within = np.var(z, axis=2, ddof=1).mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt((between / within + n - 1) / n)


def _ess(x: np.ndarray) -> np.ndarray:
    """Effective sample size of every cell of (cells, chains, draws), from the
    autocorrelations summed over Geyer's initial monotone sequence (Vehtari et al. 2021,
    section 3.2); a constant cell counts all its draws."""
    k, m, n = x.shape
    size = m * n
    constant = x.max(axis=(1, 2)) - x.min(axis=(1, 2)) < np.finfo(float).resolution
    centred = x - x.mean(axis=2, keepdims=True)
    length = _fast_length(2 * n)
    spectrum = np.fft.rfft(centred, n=length, axis=2)
    spectrum *= np.conjugate(spectrum)
    mean_acov = np.fft.irfft(spectrum, n=length, axis=2)[:, :, :n].mean(axis=1) / n
    mean_var = mean_acov[:, 0] * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if m > 1:
        var_plus = var_plus + np.var(x.mean(axis=2), axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        # The autocorrelation of every lag (rows) and cell (columns).
        rho_of = np.ascontiguousarray((1.0 - (mean_var[:, None] - mean_acov) / var_plus[:, None]).T)
    rho = np.zeros((n, k))
    rho[0] = 1.0
    rho[1] = rho_of[1]
    even, odd = np.ones(k), rho_of[1].copy()
    # Geyer's initial positive sequence: pairs of lags (t+1, t+2) while the previous pair's sum
    # is positive; every cell walks the same lags, so a mask says which cells still go on.
    last = np.full(k, -1)  # the t at which a cell's sequence ended
    going = even + odd > 0
    t = 1
    while going.any():
        if not t < n - 3:
            last[going] = t - 2
            break
        e, o = rho_of[t + 1, going], rho_of[t + 2, going]
        kept = e + o >= 0
        cells = np.flatnonzero(going)
        rho[t + 1, cells[kept]], rho[t + 2, cells[kept]] = e[kept], o[kept]
        even[going], odd[going] = e, o
        stops = cells[~(e + o > 0)]
        last[stops] = t
        going[stops] = False
        t += 2
    cells = np.arange(k)
    tail = even > 0
    rho[last[tail] + 1, cells[tail]] = even[tail]
    # Geyer's initial monotone sequence: no pair's sum above the one before.
    for t in range(1, int(last.max(initial=-1)) - 1, 2):
        active = t <= last - 2
        before = rho[t - 1] + rho[t]
        fix = active & (rho[t + 1] + rho[t + 2] > before)
        rho[t + 1, fix] = rho[t + 2, fix] = before[fix] / 2.0
    lags = np.arange(n)[:, None]
    tau = -1.0 + 2.0 * np.where(lags <= last, rho, 0.0).sum(axis=0)
    tau += np.where(lags == last + 1, rho, 0.0).sum(axis=0)
    tau = np.maximum(tau, 1.0 / np.log10(size))
    ess = size / tau
    ess[np.isnan(rho[1])] = np.nan
    ess[constant] = size
    return ess


def _fast_length(n: int) -> int:
    """The least 2^a 3^b 5^c >= n: a length the FFT is fast for (ArviZ pads to the same)."""
    best = 1 << max(n - 1, 0).bit_length()
    five = 1
    while five < best:
        three = five
        while three < best:
            length = three
            while length < n:
                length *= 2
            best = min(best, length)
            three *= 3
        five *= 5
    return best


def _diagnose(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rhat, ess_bulk, ess_tail) of every cell of one block, float64 (cells, chains, draws)."""
    k, chains, _ = x.shape
    split = _split(x)
    scores = _normal_scores(split)
    if chains > 1:
        folded = np.abs(split - np.median(split.reshape(k, -1), axis=1)[:, None, None])
        bulk_rhat, folded_rhat = _rhat(scores), _rhat(_normal_scores(folded))
        # The larger of the two, as Python's max(bulk, folded): NaN when the bulk one is.
        rhat = np.where(folded_rhat > bulk_rhat, folded_rhat, bulk_rhat)
    else:
        rhat = np.full(k, np.nan)
    bulk = _ess(scores)
    tails = []
    for prob in TAIL_PROB:
        quantile = np.quantile(x.reshape(k, -1), prob, axis=1)
        tails.append(_ess(_split((x <= quantile[:, None, None]).astype(float))))
    low, high = tails
    return rhat, bulk, np.where(high < low, high, low)  # as Python's min(low, high)


def diagnostics(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rhat, ess_bulk, ess_tail) of every column of ``draws`` (chains, draws, cells).

    ArviZ's numbers (Vehtari et al. 2021): ``rhat`` the rank-normalised split-R̂ (the larger
    of the bulk and the folded one), ``ess_bulk`` the effective sample size of the
    rank-normalised split chains, ``ess_tail`` the smaller of those of the 5% and 95% quantile
    indicators. R̂ needs two chains and four draws (NaN otherwise), ESS four draws; a cell with
    a NaN draw has NaN for all three; a constant cell has R̂ NaN and ESS the number of draws
    (less one a chain when odd: the split leaves the middle one out)."""
    draws = np.asarray(draws)
    if draws.ndim != 3:
        raise ValueError(f"draws must be (chains, draws, cells), not of shape {draws.shape}")
    chains, n, k = draws.shape
    rhat, bulk, tail = np.full(k, np.nan), np.full(k, np.nan), np.full(k, np.nan)
    if n < 4 or k == 0:
        return rhat, bulk, tail
    valid = np.flatnonzero(~np.isnan(draws).any(axis=(0, 1)))
    transform = 2 * chains * (_fast_length(2 * (n // 2)) // 2 + 1) * 16
    block = max(1, _BLOCK_BYTES // transform)
    for lo in range(0, len(valid), block):
        cells = valid[lo : lo + block]
        block_draws = np.ascontiguousarray(draws[:, :, cells].transpose(2, 0, 1), dtype=float)
        rhat[cells], bulk[cells], tail[cells] = _diagnose(block_draws)
    return rhat, bulk, tail


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
                else "; run longer (ideal-points --method mcmc with more --max-minutes; "
                "--checkpoint lets a run go on where it stopped) or see each estimate's rhat "
                "and ess"
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
