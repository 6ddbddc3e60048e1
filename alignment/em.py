"""Variational EM of the dynamic ordinal ideal point model, compiled (numba): a deterministic
estimate in seconds, with intervals from a parametric bootstrap.

The model is the one :mod:`alignment.ideal_points` describes (Bailey, Strezhnev & Voeten
2017), in the ordinal reparametrisation of emIRT's ``ordIRT`` (Imai, Lo & Olmsted 2016): each
item's cutpoints are fixed at 0 and 1 and its latent utility is ``z = a_j + c_j x + e / D_j``
(no below 0, abstain between, yes above 1), with ``a_j = -γ1/D``, ``c_j = β/D`` and the
precision ``τ_j = D²`` (``D = γ2 - γ1``). Priors: ``c_j ~ N(0, c_sd²)``, ``τ_j ~
Gamma(tau_shape, tau_rate)``, and the intercepts ``a_j`` flat (``a_sd`` infinite), as the
published model's cutpoints are: a prior on the intercepts is one of the few things that hold a
period's location (see the shift step below), and a normal one of sd 5 puts the first sessions'
means about 0.7 above the sampler's (``docs/guides/ideal-points.md``). Positions follow one of
two priors (``prior``):

- ``"walk"``: the random walk, ``x_it ~ N(x_i,prev, step_sd² · periods elapsed)``, the first
  position vague; each state's positions are estimated jointly (Kalman filter and RTS
  smoother, as emIRT's ``dynIRT``, written in information form: a tridiagonal solve and the
  diagonal of its inverse).
- ``"forward"``: the published code's scheme (Voeten's ``UN_Ideal_Rcpp.R``): each position's
  prior centres on the state's previous position (the first borrows the second) with variance
  ``0.5 · n_t / (n_t + n_prev)`` for ``n`` votes in the two periods.

One iteration is two passes over the votes (sorted by item): the truncated normal moments of
every utility (tail-safe forms) with each cell's pseudo-observation summed on the way; the
positions; then each item's 2x2 regression and its precision from the Gamma posterior. Each
iteration ends with the exact reparametrisation that keeps the likelihood unchanged and puts
the positions at mean 0, sd 1 over all cells, as the published code standardises every draw.

The location of each period is a near-flat direction of the objective (a period's positions
can shift with its items' intercepts at no cost in the likelihood; only the prior of the
positions and the bridged items hold it): plain EM hardly moves along it. Two steps move it:
after every iteration a *shift step* (parameter expansion, Liu, Rubin & Wu 1998) moves every
period's positions by the shift that best fits the prior of the positions and the bridged
votes, its own items' intercepts compensating exactly; and SQUAREM (Varadhan & Roland 2008)
extrapolates the sequence of iterates. Everything is deterministic: the same arrays give the
same numbers, bit for bit.

Intervals: variational variances are far too small, so :func:`bootstrap` simulates every
recorded vote from the fitted model (same states, same items, same periods) with a generator
seeded from the data, refits from the fit, and returns the replicates' positions.
"""

from __future__ import annotations

import hashlib
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import Literal

import numba as nb
import numpy as np

__all__ = [
    "PRIORS",
    "Fit",
    "Problem",
    "bootstrap",
    "data_seed",
    "fit",
    "flip",
    "intervals",
    "problem",
]

PRIORS = ("walk", "forward")
Prior = Literal["walk", "forward"]

_jit = nb.njit(cache=True, nogil=True)
_inline = nb.njit(cache=True, nogil=True, inline="always")
_SQRT1_2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327
_INF = np.inf
# Iterations of each bootstrap replicate, refitted from the fit: 3 give 90% intervals covering
# 0.86-0.91 of simulated positions, 10 give 0.88-0.93 (tests/test_em.py simulates).
REPLICATE_ITER = 3
# Prior precision of a state's first position under the walk: vague; the standardisation sets
# the location and scale.
FIRST_PRECISION = 1e-4


@dataclass(frozen=True)
class Problem:
    """The votes and the cells (country-periods with votes) in integer form.

    Votes are sorted by item: item ``j``'s votes are ``ptr[j]:ptr[j+1]``. Cells are sorted by
    state then period: state ``i``'s cells are ``state_ptr[i]:state_ptr[i+1]``."""

    ptr: np.ndarray  # (items + 1,) int64
    cell: np.ndarray  # cell of each vote
    category: np.ndarray  # 0 no, 1 abstain, 2 yes
    state_ptr: np.ndarray  # (states + 1,) int64
    period: np.ndarray  # period index of each cell (0 .. periods - 1)
    elapsed: np.ndarray  # periods since the state's previous cell (0: its first)
    n_votes: np.ndarray  # votes of each cell
    bridged: np.ndarray  # (items,) bool: the item's votes span more than one period

    @property
    def n_items(self) -> int:
        return len(self.ptr) - 1

    @property
    def n_cells(self) -> int:
        return len(self.period)

    @property
    def n_periods(self) -> int:
        return int(self.period.max()) + 1 if len(self.period) else 0


def problem(
    item: np.ndarray,
    cell: np.ndarray,
    category: np.ndarray,
    cell_state: np.ndarray,
    cell_period: np.ndarray,
    cell_when: np.ndarray,
) -> Problem:
    """A :class:`Problem` from one row per vote (item, cell, category 0-2) and one row per cell
    (state index, period index, and its period's number, session or year, for the gaps),
    cells sorted by state then period."""
    order = np.lexsort((cell, item))
    item, cell, category = item[order], cell[order], category[order]
    n_items = int(item.max()) + 1 if len(item) else 0
    counts = np.bincount(item, minlength=n_items)
    ptr = np.r_[0, np.cumsum(counts)].astype(np.int64)
    n_states = int(cell_state.max()) + 1 if len(cell_state) else 0
    state_ptr = np.r_[0, np.cumsum(np.bincount(cell_state, minlength=n_states))].astype(np.int64)
    linked = np.r_[False, cell_state[1:] == cell_state[:-1]]
    when = cell_when.astype(float)
    elapsed = np.where(linked, np.maximum(when - np.r_[when[:1], when[:-1]], 1.0), 0.0)
    period_of_vote = cell_period[cell]
    lo = np.full(n_items, np.iinfo(np.int64).max)
    hi = np.full(n_items, -1)
    np.minimum.at(lo, item, period_of_vote)
    np.maximum.at(hi, item, period_of_vote)
    return Problem(
        ptr=ptr,
        cell=cell.astype(np.int64),
        category=category.astype(np.int64),
        state_ptr=state_ptr,
        period=cell_period.astype(np.int64),
        elapsed=elapsed,
        n_votes=np.bincount(cell, minlength=len(cell_state)).astype(np.int64),
        bridged=hi > lo,
    )


@dataclass(frozen=True)
class Settings:
    prior: str = "walk"
    step_sd: float = 0.5
    forward_scale: float = 0.5
    a_sd: float = math.inf
    c_sd: float = 1.0
    tau_shape: float = 5.0
    tau_rate: float = 5.0
    shift: bool = True


@dataclass(frozen=True)
class Fit:
    """The estimate: every cell's position (mean and variational variance) and every item's
    parameters, with the iterations run and the largest change of a position in the last."""

    x: np.ndarray
    v: np.ndarray
    a: np.ndarray
    c: np.ndarray
    vaa: np.ndarray
    vac: np.ndarray
    vcc: np.ndarray
    tau: np.ndarray
    iterations: int = 0
    final_change: float = float("nan")
    converged: bool = False
    settings: Settings = Settings()


# --------------------------------------------------------------------------- kernels


@_inline
def _mills(u: float) -> float:
    """φ(u) / (1 - Φ(u)), the inverse Mills ratio, accurate far into the upper tail."""
    if u < 8.0:
        return _INV_SQRT_2PI * math.exp(-0.5 * u * u) / (0.5 * math.erfc(u * _SQRT1_2))
    # (1 - Φ)/φ as a continued fraction: u + 1/(u + 2/(u + 3/(u + ...))) inverted.
    f = u
    for k in range(30, 0, -1):
        f = u + k / f
    return f


@_jit
def _standard_moments(lo: float, hi: float) -> tuple[float, float]:
    """Mean and variance of a standard normal truncated to (lo, hi), lo < hi, stable in the
    tails."""
    if hi == _INF:
        lam = _mills(lo)
        return lam, max(1.0 - lam * (lam - lo), 0.0)
    if lo == -_INF:
        lam = _mills(-hi)
        return -lam, max(1.0 - lam * (lam + hi), 0.0)
    sign = 1.0
    if hi <= 0.0:  # mirror into the upper half
        lo, hi, sign = -hi, -lo, -1.0
    if lo >= 0.0:
        la, lb = _mills(lo), _mills(hi)
        # Q(hi)/Q(lo), with Q = φ/λ: no cancellation however far out the interval lies.
        r = math.exp(0.5 * (lo * lo - hi * hi)) * la / lb
        d = 1.0 - r
        mean = (la - r * lb) / d
        var = 1.0 + (lo * la - hi * r * lb) / d - mean * mean
    else:
        z = 0.5 * (math.erfc(-hi * _SQRT1_2) - math.erfc(-lo * _SQRT1_2))
        pa = _INV_SQRT_2PI * math.exp(-0.5 * lo * lo)
        pb = _INV_SQRT_2PI * math.exp(-0.5 * hi * hi)
        mean = (pa - pb) / z
        var = 1.0 + (lo * pa - hi * pb) / z - mean * mean
    w = hi - lo
    return sign * mean, min(max(var, 0.0), w * w / 4.0)


@_inline
def _interval(category: int, m: float, s: float) -> tuple[float, float]:
    """The vote's interval of the standardised utility (z - m)/s: no below 0, yes above 1."""
    if category == 0:
        return -_INF, -m / s
    if category == 2:
        return (1.0 - m) / s, _INF
    return -m / s, (1.0 - m) / s


@_jit
def _utilities(ptr, cell, category, x, a, c, vac, vcc, tau, ez, szz, prec, info) -> None:
    """E-step of the utilities: every vote's E[z]; each item's Σ E[z²]; each cell's
    pseudo-observation (precision Σ τ E[c²], information Σ τ (E[c] E[z] - E[ac]))."""
    prec[:] = 0.0
    info[:] = 0.0
    for j in range(len(ptr) - 1):
        t = tau[j]
        s = 1.0 / math.sqrt(t)
        ec2 = c[j] * c[j] + vcc[j]
        eac = a[j] * c[j] + vac[j]
        total = 0.0
        for k in range(ptr[j], ptr[j + 1]):
            q = cell[k]
            m = a[j] + c[j] * x[q]
            lo, hi = _interval(category[k], m, s)
            mu, var = _standard_moments(lo, hi)
            z = m + s * mu
            ez[k] = z
            total += s * s * var + z * z
            prec[q] += t * ec2
            info[q] += t * (c[j] * z - eac)
        szz[j] = total


@_jit
def _walk(state_ptr, elapsed, step_precision, prec, info, x, v, diag, sub) -> None:
    """Positions under the random walk: per state the Gaussian with tridiagonal precision (walk
    plus pseudo-observations), its mean by Cholesky and its variances by the recursion for the
    diagonal of the inverse (Takahashi)."""
    for i in range(len(state_ptr) - 1):
        lo, hi = state_ptr[i], state_ptr[i + 1]
        for q in range(lo, hi):
            d = prec[q] + (step_precision / elapsed[q] if q > lo else FIRST_PRECISION)
            if q + 1 < hi:
                d += step_precision / elapsed[q + 1]
            if q == lo:
                diag[q] = math.sqrt(d)
                x[q] = info[q] / diag[q]
            else:
                sub[q] = -step_precision / elapsed[q] / diag[q - 1]
                diag[q] = math.sqrt(d - sub[q] * sub[q])
                x[q] = (info[q] - sub[q] * x[q - 1]) / diag[q]
        for q in range(hi - 1, lo - 1, -1):
            if q == hi - 1:
                x[q] = x[q] / diag[q]
                v[q] = 1.0 / (diag[q] * diag[q])
            else:
                x[q] = (x[q] - sub[q + 1] * x[q + 1]) / diag[q]
                cov = -sub[q + 1] * v[q + 1] / diag[q]  # Σ(q, q+1)
                v[q] = 1.0 / (diag[q] * diag[q]) - sub[q + 1] * cov / diag[q]


@_jit
def _forward(state_ptr, n_votes, scale, prec, info, x, v) -> None:
    """Positions under the published scheme: each position's prior centres on the state's
    previous position as just updated (the first on the second's current value), variance
    ``scale · n_t / (n_t + n_neighbour)``; a state with one cell has a vague prior."""
    for i in range(len(state_ptr) - 1):
        lo, hi = state_ptr[i], state_ptr[i + 1]
        for q in range(lo, hi):
            if hi - lo == 1:
                p, centre = FIRST_PRECISION, 0.0
            else:
                r = q - 1 if q > lo else q + 1
                p = (n_votes[q] + n_votes[r]) / (scale * n_votes[q])
                centre = x[r]
            v[q] = 1.0 / (prec[q] + p)
            x[q] = v[q] * (info[q] + p * centre)


@_jit
def _items(
    ptr, cell, ez, szz, x, v, a_precision, c_precision, shape, rate, a, c, vaa, vac, vcc, tau
) -> None:
    """M-step of the items: each item's (a, c) by its 2x2 regression of E[z] on the positions
    (prior precision plus τ Σ [1, x; x, x² + V]), then τ from its Gamma posterior."""
    for j in range(len(ptr) - 1):
        n = ptr[j + 1] - ptr[j]
        sx = sxx = sz = sxz = 0.0
        for k in range(ptr[j], ptr[j + 1]):
            xq = x[cell[k]]
            sx += xq
            sxx += xq * xq + v[cell[k]]
            sz += ez[k]
            sxz += xq * ez[k]
        t = tau[j]
        l11 = a_precision + t * n
        l12 = t * sx
        l22 = c_precision + t * sxx
        det = l11 * l22 - l12 * l12
        r1, r2 = t * sz, t * sxz
        aj = (l22 * r1 - l12 * r2) / det
        cj = (l11 * r2 - l12 * r1) / det
        a[j], c[j] = aj, cj
        vaa[j], vac[j], vcc[j] = l22 / det, -l12 / det, l11 / det
        ea2 = aj * aj + vaa[j]
        eac = aj * cj + vac[j]
        ec2 = cj * cj + vcc[j]
        ss = szz[j] - 2.0 * (aj * sz + cj * sxz) + n * ea2 + 2.0 * eac * sx + ec2 * sxx
        tau[j] = (shape + 0.5 * n) / (rate + 0.5 * max(ss, 0.0))


@_jit
def _simulate(ptr, cell, x, a, c, tau, noise, out) -> None:
    """Votes drawn from the fitted model: category of a + c x + noise / sqrt(τ)."""
    for j in range(len(ptr) - 1):
        s = 1.0 / math.sqrt(tau[j])
        for k in range(ptr[j], ptr[j + 1]):
            z = a[j] + c[j] * x[cell[k]] + s * noise[k]
            out[k] = 0 if z < 0.0 else (1 if z < 1.0 else 2)


# --------------------------------------------------------------------------- one iteration


class _Work:
    """Scratch arrays of one problem, reused by every iteration."""

    def __init__(self, p: Problem) -> None:
        n_votes, n_cells, n_items = len(p.cell), p.n_cells, p.n_items
        self.ez = np.zeros(n_votes)
        self.szz = np.zeros(n_items)
        self.prec = np.zeros(n_cells)
        self.info = np.zeros(n_cells)
        self.diag = np.zeros(n_cells)
        self.sub = np.zeros(n_cells)


def _standardise(f: Fit) -> Fit:
    """Positions to mean 0, sd 1 over all cells; items reparametrised so that a + c x, and so
    the likelihood, is unchanged."""
    mu, sd = float(f.x.mean()), float(f.x.std())
    if not sd > 0:
        return f
    return replace(
        f,
        x=(f.x - mu) / sd,
        v=f.v / sd**2,
        a=f.a + f.c * mu,
        c=f.c * sd,
        vaa=f.vaa + 2 * mu * f.vac + mu * mu * f.vcc,
        vac=sd * (f.vac + mu * f.vcc),
        vcc=sd * sd * f.vcc,
    )


def _step(p: Problem, f: Fit, s: Settings, w: _Work) -> Fit:
    """One EM iteration: utilities, positions, items, then the standardisation."""
    x, v = f.x.copy(), f.v.copy()
    a, c, vaa, vac, vcc, tau = (f.a.copy(), f.c.copy(), f.vaa.copy(), f.vac.copy(),
                                f.vcc.copy(), f.tau.copy())  # fmt: skip
    _utilities(p.ptr, p.cell, p.category, x, a, c, vac, vcc, tau, w.ez, w.szz, w.prec, w.info)
    if s.prior == "walk":
        step_precision = 1.0 / s.step_sd**2
        _walk(p.state_ptr, p.elapsed, step_precision, w.prec, w.info, x, v, w.diag, w.sub)
    else:
        _forward(p.state_ptr, p.n_votes, s.forward_scale, w.prec, w.info, x, v)
    _items(p.ptr, p.cell, w.ez, w.szz, x, v, 1.0 / s.a_sd**2, 1.0 / s.c_sd**2, s.tau_shape,
           s.tau_rate, a, c, vaa, vac, vcc, tau)  # fmt: skip
    out = replace(f, x=x, v=v, a=a, c=c, vaa=vaa, vac=vac, vcc=vcc, tau=tau)
    return _standardise(out)


def _initial(p: Problem, start: np.ndarray, s: Settings, w: _Work) -> Fit:
    """Items fitted to the start positions, utilities set to a point inside each vote's
    interval."""
    n_cells, n_items = p.n_cells, p.n_items
    x = (start - start.mean()) / (start.std() or 1.0)
    v = np.zeros(n_cells)
    w.ez[:] = np.array([-0.5, 0.5, 1.5])[p.category]
    counts = np.diff(p.ptr).astype(float)
    w.szz[:] = np.add.reduceat(w.ez**2, p.ptr[:-1]) if len(w.ez) else 0.0
    w.szz[counts == 0] = 0.0
    zero = np.zeros(n_items)
    f = Fit(x=x, v=v, a=zero.copy(), c=zero.copy(), vaa=zero.copy(), vac=zero.copy(),
            vcc=zero.copy(), tau=np.ones(n_items))  # fmt: skip
    _items(p.ptr, p.cell, w.ez, w.szz, f.x, f.v, 1.0 / s.a_sd**2, 1.0 / s.c_sd**2,
           s.tau_shape, s.tau_rate, f.a, f.c, f.vaa, f.vac, f.vcc, f.tau)  # fmt: skip
    return f


@_jit
def _shift_system(
    ptr, cell, category, period, bridged, n_periods, x, ez, a, c, vac, vcc, tau, a_precision,
    link_from, link_to, link_weight,
):  # fmt: skip
    """The quadratic in the periods' shifts δ that the shift step minimises, with each bridged
    item's own intercept shift η eliminated (Schur complement): (H, g) of ½ δᵀHδ + gᵀδ, and for
    each bridged item (h_ηη, g_η) to recover η. Terms: the prior of the positions (links between
    cells, weights ``link_weight``), the items' prior on the intercepts, the bridged votes."""
    h = np.zeros((n_periods, n_periods))
    g = np.zeros(n_periods)
    for e in range(len(link_from)):
        t1, t2 = period[link_from[e]], period[link_to[e]]
        if t1 == t2:
            continue
        wgt = link_weight[e]
        d = x[link_from[e]] - x[link_to[e]]
        h[t1, t1] += wgt
        h[t2, t2] += wgt
        h[t1, t2] -= wgt
        h[t2, t1] -= wgt
        g[t1] += wgt * d
        g[t2] -= wgt * d
    n_items = len(ptr) - 1
    h_eta = np.zeros(n_items)
    g_eta = np.zeros(n_items)
    big_a = np.zeros(n_periods)
    big_b = np.zeros(n_periods)
    for j in range(n_items):
        ec2 = c[j] * c[j] + vcc[j]
        eac = a[j] * c[j] + vac[j]
        if not bridged[j]:
            t = period[cell[ptr[j]]]
            h[t, t] += a_precision * ec2
            g[t] -= a_precision * eac
            continue
        big_a[:] = 0.0
        big_b[:] = 0.0
        tj = tau[j]
        for k in range(ptr[j], ptr[j + 1]):
            q = cell[k]
            t = period[q]
            big_a[t] += tj * ec2
            big_b[t] += tj * (c[j] * ez[k] - eac - ec2 * x[q])
        hh = a_precision * ec2
        gg = -a_precision * eac
        for t in range(n_periods):
            if big_a[t] != 0.0:
                h[t, t] += big_a[t]
                g[t] -= big_b[t]
                hh += big_a[t]
                gg += big_b[t]
        for t1 in range(n_periods):
            if big_a[t1] == 0.0:
                continue
            g[t1] -= -big_a[t1] * gg / hh
            for t2 in range(n_periods):
                if big_a[t2] != 0.0:
                    h[t1, t2] -= big_a[t1] * big_a[t2] / hh
        h_eta[j] = hh
        g_eta[j] = gg
    return h, g, h_eta, g_eta


@_jit
def _eta(ptr, cell, period, bridged, delta, tau, c, vcc, h_eta, g_eta, eta) -> None:
    """Each bridged item's intercept shift given the periods' shifts."""
    for j in range(len(ptr) - 1):
        if not bridged[j]:
            eta[j] = 0.0
            continue
        ec2 = c[j] * c[j] + vcc[j]
        cross = 0.0  # H_δη · δ, H_δη[t] = -τ E[c²] n_jt
        for k in range(ptr[j], ptr[j + 1]):
            cross -= tau[j] * ec2 * delta[period[cell[k]]]
        eta[j] = -(g_eta[j] + cross) / h_eta[j]


class _Links:
    """The pairs of cells the positions' prior ties, with their weights: consecutive cells of a
    state (the walk), or each cell and the neighbour its prior centres on (the forward
    scheme)."""

    def __init__(self, p: Problem, s: Settings) -> None:
        q = np.arange(p.n_cells)
        first = np.zeros(p.n_cells, dtype=bool)
        first[p.state_ptr[:-1][np.diff(p.state_ptr) > 0]] = True
        if s.prior == "walk":
            keep = ~first
            self.src, self.dst = q[keep], q[keep] - 1
            self.weight = 1.0 / (s.step_sd**2 * p.elapsed[keep])
        else:
            single = np.zeros(p.n_cells, dtype=bool)
            sizes = np.diff(p.state_ptr)
            single[p.state_ptr[:-1][sizes == 1]] = True
            keep = ~single
            neighbour = np.where(first, q + 1, q - 1)
            self.src, self.dst = q[keep], neighbour[keep]
            n = p.n_votes.astype(float)
            self.weight = (n[self.src] + n[self.dst]) / (s.forward_scale * n[self.src])


def _shift(p: Problem, f: Fit, s: Settings, w: _Work, links: _Links) -> Fit:
    """The shift step: every period's positions moved by the δ_t that minimises the prior of
    the positions plus the bridged votes' expected loss, its own items' intercepts moved so
    that their votes' likelihood is unchanged (a bridged item's by its own best η)."""
    n_periods = p.n_periods
    if n_periods < 2:
        return f
    h, g, h_eta, g_eta = _shift_system(
        p.ptr, p.cell, p.category, p.period, p.bridged, n_periods, f.x, w.ez, f.a, f.c, f.vac,
        f.vcc, f.tau, 1.0 / s.a_sd**2, links.src, links.dst, links.weight,
    )  # fmt: skip
    # The system is singular along a common shift of all periods (of each group of periods
    # that nothing ties together) when the intercepts are flat: the least-norm solution leaves
    # that shift to the standardisation.
    delta = -np.linalg.lstsq(h, g, rcond=None)[0]
    if not np.all(np.isfinite(delta)):
        return f
    eta = np.zeros(p.n_items)
    _eta(p.ptr, p.cell, p.period, p.bridged, delta, f.tau, f.c, f.vcc, h_eta, g_eta, eta)
    first = p.cell[p.ptr[:-1]]  # a cell of each item (items have votes)
    u = np.where(p.bridged, eta, delta[p.period[first]])
    return replace(
        f,
        x=f.x + delta[p.period],
        a=f.a - f.c * u,
        vaa=f.vaa - 2 * u * f.vac + u * u * f.vcc,
        vac=f.vac - u * f.vcc,
    )


def _map(p: Problem, f: Fit, s: Settings, w: _Work, links: _Links) -> Fit:
    """One iteration of the estimator: EM, then the shift step and the standardisation."""
    f = _step(p, f, s, w)
    if s.shift:
        f = _standardise(_shift(p, f, s, w, links))
    return f


# --------------------------------------------------------------------------- the fit


def _pack(f: Fit) -> np.ndarray:
    return np.concatenate([f.x, f.a, f.c, np.log(f.tau)])


def _unpack(theta: np.ndarray, like: Fit) -> Fit:
    n, m = len(like.x), len(like.a)
    return replace(
        like,
        x=theta[:n],
        a=theta[n : n + m],
        c=theta[n + m : n + 2 * m],
        tau=np.exp(np.clip(theta[n + 2 * m :], -30.0, 30.0)),
    )


def _run(
    p: Problem, f: Fit, s: Settings, *, max_iter: int, tol: float, accelerate: bool = True
) -> Fit:
    """Iterate the map from ``f`` until no position moves by more than ``tol`` in one
    iteration, or ``max_iter`` iterations (map evaluations), accelerated by SQUAREM (SqS3,
    Varadhan & Roland 2008): from θ0, θ1 = F(θ0), θ2 = F(θ1), step α = -|r|/|v| (at most -1,
    the norms over the positions) along r = θ1 - θ0, v = θ2 - 2θ1 + θ0, then F of the
    extrapolated point; the plain θ2 when the extrapolation does worse (figures:
    docs/reference/figures.md)."""
    w = _Work(p)
    links = _Links(p, s)
    done, change = 0, float("inf")

    def apply(g: Fit) -> Fit:
        nonlocal done
        done += 1
        return _map(p, g, s, w, links)

    while done < max_iter:
        f1 = apply(f)
        change = float(np.max(np.abs(f1.x - f.x))) if len(f.x) else 0.0
        if change < tol or done >= max_iter:
            f = f1
            break
        if not accelerate or done + 2 > max_iter:
            f = f1
            continue
        f2 = apply(f1)
        t0, t1, t2 = _pack(f), _pack(f1), _pack(f2)
        r, v = t1 - t0, t2 - 2 * t1 + t0
        # The step length from the positions alone: the items' parameters (a few near
        # unanimous items drift far on their own) would shorten it to nothing.
        n = len(f.x)
        nv = float(np.sqrt(v[:n] @ v[:n]))
        alpha = min(-float(np.sqrt(r[:n] @ r[:n])) / nv, -1.0) if nv > 0 else -1.0
        alpha = max(alpha, -50.0)
        jump = _unpack(t0 - 2 * alpha * r + alpha * alpha * v, f2)
        f3 = apply(_standardise(jump))
        change2 = float(np.max(np.abs(f2.x - f1.x)))
        change3 = float(np.max(np.abs(f3.x - jump.x)))
        if np.isfinite(change3) and change3 <= 2 * change2:
            f = f3
        else:
            f = apply(f2) if done < max_iter else f2
    return replace(f, iterations=done, final_change=change, converged=change < tol)


def fit(
    p: Problem,
    start: np.ndarray,
    *,
    prior: Prior = "walk",
    step_sd: float = 0.5,
    a_sd: float = math.inf,
    c_sd: float = 1.0,
    tau_shape: float = 5.0,
    tau_rate: float = 5.0,
    shift: bool = True,
    accelerate: bool = True,
    max_iter: int = 500,
    tol: float = 1e-6,
) -> Fit:
    """The estimate from starting positions ``start`` (one per cell): positions at mean 0 and
    sd 1 over all cells, sign as the start's. Stops when no position moves by ``tol`` in an
    iteration, or after ``max_iter`` iterations."""
    if prior not in PRIORS:
        raise ValueError(f"prior must be one of {', '.join(PRIORS)}, not {prior!r}")
    s = Settings(prior, step_sd, 0.5, a_sd, c_sd, tau_shape, tau_rate, shift)
    f = _initial(p, np.asarray(start, dtype=float), s, _Work(p))
    out = _run(p, f, s, max_iter=max_iter, tol=tol, accelerate=accelerate)
    return replace(out, settings=s)


def data_seed(p: Problem) -> int:
    """A seed derived from the votes themselves: the bootstrap of one data set is always the
    same, with no seed to choose."""
    digest = hashlib.sha256()
    for arr in (p.ptr, p.cell, p.category, p.period):
        digest.update(np.ascontiguousarray(arr).tobytes())
    return int.from_bytes(digest.digest()[:8], "little")


def _replicate(p: Problem, f: Fit, seed: int, r: int, max_iter: int, tol: float) -> np.ndarray:
    """One bootstrap replicate: votes simulated from the fit, refitted from it."""
    rng = np.random.default_rng([seed, r])
    noise = rng.standard_normal(len(p.cell))
    category = np.empty(len(p.cell), dtype=np.int64)
    _simulate(p.ptr, p.cell, f.x, f.a, f.c, f.tau, noise, category)
    out = _run(replace(p, category=category), f, f.settings, max_iter=max_iter, tol=tol)
    return out.x


def bootstrap(
    p: Problem,
    f: Fit,
    replicates: int,
    *,
    seed: int | None = None,
    max_iter: int = REPLICATE_ITER,
    tol: float = 1e-3,
    threads: int = 2,
) -> np.ndarray:
    """Positions of ``replicates`` parametric bootstrap replicates, (replicates, cells): each
    simulates every recorded vote from the fit ``f`` and refits from ``f`` (at most
    ``max_iter`` iterations: the first moves the positions to the new votes, the rest change
    the intervals little). ``seed`` defaults to :func:`data_seed`; replicate ``r`` draws
    from ``default_rng([seed, r])``, so the result does not depend on ``threads``."""
    if replicates < 1:
        return np.zeros((0, p.n_cells))
    seed = data_seed(p) if seed is None else seed

    def one(r: int) -> np.ndarray:
        return _replicate(p, f, seed, r, max_iter, tol)

    if threads <= 1:
        return np.stack([one(r) for r in range(replicates)])
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return np.stack(list(pool.map(one, range(replicates))))


def intervals(
    f: Fit, replicates: np.ndarray, interval: float = 0.9
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(se, lower, upper) of every position from the bootstrap replicates.

    The replicates give the estimate's sampling spread around its own value; each position
    also carries its variational variance given the items, which the replicates' point
    estimates leave out. The standard error adds the two; the interval is the estimate plus
    the central ``interval`` of the replicates' deviations from their mean, widened by the
    same factor. On data simulated from the model (``tests/test_em.py``) the 90% intervals
    cover 0.86-0.91 of the true positions; the replicates' spread alone, 0.77-0.88. Without
    replicates, the variational variance alone (normal quantiles), which is far too small."""
    tail = (1.0 - interval) / 2.0
    if len(replicates) < 2:
        se = np.sqrt(f.v)
        z = NormalDist().inv_cdf(1.0 - tail)
        return se, f.x - z * se, f.x + z * se
    dev = replicates - replicates.mean(0)
    spread = dev.std(0)
    se = np.sqrt(spread**2 + f.v)
    widen = np.divide(se, spread, out=np.ones_like(se), where=spread > 0)
    lo, hi = np.quantile(dev, [tail, 1.0 - tail], axis=0)
    return se, f.x + widen * lo, f.x + widen * hi


def flip(f: Fit) -> Fit:
    """The mirror image of a fit (the model cannot tell them apart): positions and slopes
    negated, the likelihood unchanged."""
    return replace(f, x=-f.x, c=-f.c, vac=-f.vac)
