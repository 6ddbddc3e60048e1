"""The sweep of the ideal point sampler, compiled (numba): one chain of the hybrid
Gibbs/Metropolis scheme that :mod:`alignment.ideal_points` describes and runs.

Each step is one pass over the votes in compiled code, so that no step builds the large
temporary arrays a vectorised version needs (a sweep over 910,000 votes takes about a quarter
of the time it took in numpy). The scheme and its target are those of the published code; the
truncated normal draws are exact rejection samplers (Robert 1995) instead of inverse CDFs, the
same distributions at a fraction of the cost, and the Metropolis ratio of the cutpoints is summed
from log-probabilities that keep their precision far into the tails.

Functions release the GIL, so chains run in parallel threads of one process; each takes a numpy
``Generator`` and its result depends only on that generator's state.

numba is the package's optional ``mcmc`` extra: importing this module without it raises
:class:`alignment.errors.MissingExtra`, whose message gives the command that installs it.
Nothing else in the package imports numba, and this module is imported only when sampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alignment.errors import MissingExtra

try:
    import numba as nb
except ModuleNotFoundError as error:  # numba, or its llvmlite
    raise MissingExtra("the ideal point sampler", "mcmc", error.name or "numba") from error

_SQRT1_2 = 0.7071067811865476
_LOG_SQRT_2PI = 0.9189385332046728
_INF = np.inf
# Bounds of the published code: positions before standardising, latent utilities.
POSITION_BOUND = 5.0
UTILITY_BOUND = 9.0

_jit = nb.njit(cache=True, nogil=True)
_inline = nb.njit(cache=True, nogil=True, inline="always")


@_inline
def _cdf(u: float) -> float:
    return 0.5 * math.erfc(-u * _SQRT1_2)


@_jit
def _log_cdf(u: float) -> float:
    """log Φ(u), with the asymptotic series far in the lower tail (A&S 26.2.12)."""
    if u > -37.0:
        return math.log(0.5 * math.erfc(-u * _SQRT1_2))
    u2 = u * u
    return -0.5 * u2 - math.log(-u) - _LOG_SQRT_2PI + math.log1p(-1.0 / u2 + 3.0 / (u2 * u2))


@_jit
def _log_mass(lo: float, hi: float) -> float:
    """log P(lo < e < hi) for a standard normal e, lo < hi (either may be infinite)."""
    if lo == -_INF:
        return _log_cdf(hi)
    if hi == _INF:
        return _log_cdf(-lo)
    if lo > 0.0:  # the upper tail, mirrored so that the difference keeps its precision
        lo, hi = -hi, -lo
    a = _cdf(hi)
    d = a - _cdf(lo)
    if d > 1e-300 and d > 1e-12 * a:
        return math.log(d)
    la = _log_cdf(hi)
    lb = _log_cdf(lo)
    return la + math.log1p(-math.exp(lb - la)) if lb < la else -_INF


@_inline
def _from_normal(rng: np.random.Generator, lo: float, hi: float) -> float:
    """Standard normal proposals until one falls in (lo, hi): for wide intervals near 0."""
    while True:
        e = rng.standard_normal()
        if lo < e < hi:
            return e


@_inline
def _from_uniform(rng: np.random.Generator, lo: float, hi: float, peak: float) -> float:
    """Uniform proposals on (lo, hi), finite, accepted with φ(e)/φ(peak): ``peak`` is the point
    of the interval nearest 0, where the density is highest."""
    w = hi - lo
    while True:
        e = lo + w * rng.random()
        if rng.random() < math.exp(0.5 * (peak * peak - e * e)):
            return e


@_inline
def _tn_positive(rng: np.random.Generator, lo: float, hi: float) -> float:
    """Standard normal on (lo, hi), 0 <= lo < hi <= inf: exact rejection (Robert 1995)."""
    w = hi - lo
    if lo < 0.5:
        return _from_normal(rng, lo, hi) if w > 2.0 else _from_uniform(rng, lo, hi, lo)
    if w * lo > 1.5:  # exponential proposal, rate at its optimum
        lam = 0.5 * (lo + math.sqrt(lo * lo + 4.0))
        while True:
            e = lo + rng.standard_exponential() / lam
            d = e - lam
            if e < hi and rng.random() < math.exp(-0.5 * d * d):
                return e
    return _from_uniform(rng, lo, hi, lo)


@_inline
def truncated_normal(rng: np.random.Generator, lo: float, hi: float) -> float:
    """A standard normal draw restricted to (lo, hi), lo < hi, exactly."""
    if lo >= 0.0:
        return _tn_positive(rng, lo, hi)
    if hi <= 0.0:
        return -_tn_positive(rng, -hi, -lo)
    return _from_normal(rng, lo, hi) if hi - lo > 2.5 else _from_uniform(rng, lo, hi, 0.0)


@_inline
def _bounds(category: int, g1: float, g2: float, m: float) -> tuple[float, float]:
    """Bounds of a vote's error e = z - m: no below γ1, abstain between, yes above γ2."""
    if category == 0:
        return -_INF, g1 - m
    if category == 2:
        return g2 - m, _INF
    return g1 - m, g2 - m


@_jit
def tridiagonal_draw(diag, step, rhs, noise, state_ptr, x, chol, sub) -> None:
    """One draw from N(Q⁻¹ rhs, Q⁻¹) for every state's block of cells (``state_ptr``): Q is
    tridiagonal with diagonal ``diag`` and ``-step[c]`` coupling cell c to c-1 within a block,
    positive definite. With Q = L Lᵀ (Cholesky), x = L⁻ᵀ (L⁻¹ rhs + noise); ``noise`` is
    standard normal (zeros: the mean). ``rhs`` is overwritten."""
    for i in range(len(state_ptr) - 1):
        a, e = state_ptr[i], state_ptr[i + 1]
        for c in range(a, e):  # forward: L y = rhs, y kept in rhs
            if c == a:
                chol[c] = math.sqrt(diag[c])
                rhs[c] = rhs[c] / chol[c]
            else:
                sub[c] = -step[c] / chol[c - 1]
                chol[c] = math.sqrt(diag[c] - sub[c] * sub[c])
                rhs[c] = (rhs[c] - sub[c] * rhs[c - 1]) / chol[c]
        for c in range(a, e):
            rhs[c] += noise[c]
        for c in range(e - 1, a - 1, -1):  # backward: Lᵀ x = y + noise
            v = rhs[c] if c == e - 1 else rhs[c] - sub[c + 1] * x[c + 1]
            x[c] = v / chol[c]


@_jit
def _positions(
    rng, item, cell, z, x, beta, state_ptr, prior_diag, step, diag, rhs, noise, chol, sub
) -> None:
    """All positions given the utilities: per state a Gaussian with tridiagonal precision (the
    random walk plus Σβ² on the diagonal); then clipped and standardised as published."""
    n = len(x)
    diag[:] = prior_diag
    rhs[:] = 0.0
    for k in range(len(item)):
        c = cell[k]
        b = beta[item[k]]
        diag[c] += b * b
        rhs[c] += b * z[k]
    for c in range(n):
        noise[c] = rng.standard_normal()
    tridiagonal_draw(diag, step, rhs, noise, state_ptr, x, chol, sub)
    total = 0.0
    for c in range(n):
        x[c] = min(max(x[c], -POSITION_BOUND), POSITION_BOUND)
        total += x[c]
    mean = total / n
    ss = 0.0
    for c in range(n):
        ss += (x[c] - mean) ** 2
    spread = math.sqrt(ss / (n - 1)) if n > 1 else 0.0
    for c in range(n):
        x[c] = (x[c] - mean) / spread if spread > 0.0 else x[c] - mean


@_inline
def _probability(lo: float, hi: float) -> float:
    """P(lo < e < hi) for a standard normal e, or -1 where it has too little precision left
    (below 1e-280, or a difference of nearly equal tail values): the caller then takes logs."""
    if lo == -_INF:
        p = _cdf(hi)
    elif hi == _INF:
        p = _cdf(-lo)
    else:
        if lo > 0.0:  # the upper tail, mirrored so that the difference keeps its precision
            lo, hi = -hi, -lo
        a = _cdf(hi)
        p = a - _cdf(lo)
        if p <= 1e-12 * a:
            return -1.0
    return p if p > 1e-280 else -1.0


@_jit
def _item_log_ratio(ptr_lo, ptr_hi, cell, category, x, b, a1, a2, c1, c2) -> float:
    """log P(votes | γ1', γ2') - log P(votes | γ1, γ2) for one item's votes. Ratios of
    probabilities are multiplied and their log taken once per block (a log per vote would
    double the cost of the step); votes with a tiny probability go through logs."""
    log_r = 0.0
    product = 1.0
    for k in range(ptr_lo, ptr_hi):
        m = b * x[cell[k]]
        cat = category[k]
        lo_new, hi_new = _bounds(cat, c1, c2, m)
        lo_old, hi_old = _bounds(cat, a1, a2, m)
        new = _probability(lo_new, hi_new)
        old = _probability(lo_old, hi_old)
        if new < 0.0 or old < 0.0:
            log_r += _log_mass(lo_new, hi_new) - _log_mass(lo_old, hi_old)
            continue
        product *= new / old
        if not 1e-100 < product < 1e100:
            log_r += math.log(product)
            product = 1.0
    return log_r + math.log(product)


@_inline
def _mass(mean: float, lo: float, hi: float, s: float) -> float:
    return _cdf((hi - mean) / s) - _cdf((lo - mean) / s)


@_jit
def _cutpoints(rng, ptr, cell, category, x, beta, g1, g2, bound, s) -> float:
    """Metropolis step for every item's (γ1, γ2), the utilities integrated out (Cowles 1996):
    γ1' from N(γ1, s²) on (-bound, γ2), then γ2' from N(γ2, s²) on (γ1', bound); the proposal
    ratio exact. Returns the share of items accepted."""
    accepted = 0
    n_items = len(ptr) - 1
    for j in range(n_items):
        a1, a2 = g1[j], g2[j]
        c1 = a1 + s * truncated_normal(rng, (-bound - a1) / s, (a2 - a1) / s)
        c1 = min(max(c1, -bound), a2)
        c2 = a2 + s * truncated_normal(rng, (c1 - a2) / s, (bound - a2) / s)
        c2 = min(max(c2, c1), bound)
        log_r = math.log(_mass(a1, -bound, a2, s) * _mass(a2, c1, bound, s)) - math.log(
            _mass(c1, -bound, c2, s) * _mass(c2, a1, bound, s)
        )
        log_r += _item_log_ratio(ptr[j], ptr[j + 1], cell, category, x, beta[j], a1, a2, c1, c2)
        if math.log(rng.random()) < log_r:
            g1[j], g2[j] = c1, c2
            accepted += 1
    return accepted / max(n_items, 1)


@_jit
def _utilities(rng, ptr, cell, category, x, beta, g1, g2, z) -> None:
    """Every vote's latent utility from its truncated normal, clipped as published."""
    for j in range(len(ptr) - 1):
        b = beta[j]
        for k in range(ptr[j], ptr[j + 1]):
            m = b * x[cell[k]]
            lo, hi = _bounds(category[k], g1[j], g2[j], m)
            v = m + truncated_normal(rng, lo, hi)
            z[k] = min(max(v, -UTILITY_BOUND), UTILITY_BOUND)


@_jit
def _discriminations(rng, ptr, cell, x, z, beta, beta_precision) -> None:
    """Every item's discrimination by conjugate regression of its utilities on the positions."""
    for j in range(len(ptr) - 1):
        sxx = beta_precision
        sxz = 0.0
        for k in range(ptr[j], ptr[j + 1]):
            v = x[cell[k]]
            sxx += v * v
            sxz += v * z[k]
        beta[j] = sxz / sxx + rng.standard_normal() / math.sqrt(sxx)


@_jit
def _run(
    rng, burn_in, draws, thin, out, ptr, item, cell, category, state_ptr, prior_diag, step,
    x, beta, g1, g2, z, beta_precision, cut_bound, cut_step,
) -> float:  # fmt: skip
    n = len(x)
    diag = np.empty(n)
    rhs = np.empty(n)
    noise = np.empty(n)
    chol = np.empty(n)
    sub = np.zeros(n)
    accepted = 0.0
    for sweep in range(burn_in + draws * thin):
        _positions(
            rng, item, cell, z, x, beta, state_ptr, prior_diag, step, diag, rhs, noise, chol, sub
        )
        accepted += _cutpoints(rng, ptr, cell, category, x, beta, g1, g2, cut_bound, cut_step)
        _utilities(rng, ptr, cell, category, x, beta, g1, g2, z)
        _discriminations(rng, ptr, cell, x, z, beta, beta_precision)
        kept = sweep - burn_in
        if kept >= 0 and kept % thin == thin - 1:
            for c in range(n):
                out[kept // thin, c] = x[c]
    return accepted / max(burn_in + draws * thin, 1)


@dataclass
class Chain:
    """The state of one chain: votes sorted by item (``ptr`` delimits each item's votes), the
    prior of the positions, and the current parameters. ``run`` advances it in place."""

    ptr: np.ndarray  # votes of item j: ptr[j]:ptr[j+1]
    item: np.ndarray  # item of each vote
    cell: np.ndarray  # cell (country-period) of each vote
    category: np.ndarray  # 0 no, 1 abstain, 2 yes
    state_ptr: np.ndarray  # cells of state i: state_ptr[i]:state_ptr[i+1], in period order
    prior_diag: np.ndarray  # diagonal of the positions' prior precision
    step: np.ndarray  # precision of each cell's step from the state's previous cell (0: first)
    x: np.ndarray
    beta: np.ndarray
    g1: np.ndarray
    g2: np.ndarray
    z: np.ndarray
    beta_precision: float
    cut_bound: float
    cut_step: float
    rng: np.random.Generator
    acceptance: float = float("nan")

    def run(self, burn_in: int, draws: int, thin: int = 1) -> np.ndarray:
        """Positions after ``burn_in`` sweeps, kept every ``thin``-th sweep ``draws`` times:
        (draws, cells), float32."""
        out = np.empty((draws, len(self.x)), dtype=np.float32)
        self.acceptance = _run(
            self.rng, burn_in, draws, thin, out, self.ptr, self.item, self.cell, self.category,
            self.state_ptr, self.prior_diag, self.step, self.x, self.beta, self.g1, self.g2,
            self.z, self.beta_precision, self.cut_bound, self.cut_step,
        )  # fmt: skip
        return out

    def draw_utilities(self) -> None:
        """Draw every vote's utility given the current parameters (the start of a chain)."""
        _utilities(self.rng, self.ptr, self.cell, self.category, self.x, self.beta, self.g1,
                   self.g2, self.z)  # fmt: skip
