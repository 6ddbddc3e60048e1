"""Dynamic one-dimensional ordinal ideal points (Bailey, Strezhnev & Voeten 2017).

Model. Each recorded vote of state ``i`` in session ``t`` on roll call ``j`` is an ordered
category no < abstain < yes, drawn from an ordered probit

    P(no) = Φ(c1_j - β_j x_it),  P(abstain) = Φ(c2_j - β_j x_it) - P(no),  P(yes) = 1 - ...

with two cutpoints ``c1_j < c2_j`` and one discrimination ``β_j`` per roll call (roll calls
without abstentions are binary probits, ``c1 = c2``). Roll calls paired in Voeten's
``Matches.csv`` (the same text voted in two sessions, transitively) are one item: they share
``β`` and both cutpoints, which with the random walk makes positions comparable across time.
Each state's position follows a Gaussian random walk over the sessions it belongs to,
``x_it ~ N(x_i,t-1, evolution_sd²)``, its first position ``N(0, prior_sd²)``. Proper priors
close the model: ``β_j ~ N(0, beta_sd²)``, ``c_j ~ N(0, cut_sd²)`` (so a roll call nobody voted
no on cannot send a cutpoint, or the abstain band, to infinity), and, within each session,
``x_it ~ N(μ_t, session_sd²)``. The session centres follow their own random walk,
``μ_t ~ N(μ_t-1, centre_walk_sd²)``, the first with a flat prior (``centre_sd=None``; a number
makes it ``N(0, centre_sd²)``); ``centre_walk_sd=None`` makes the centres independent
``N(0, centre_sd²)`` instead (flat when ``centre_sd`` is None too).

Defaults: ``evolution_sd=0.3``, ``prior_sd=1``, ``beta_sd=0.5``, ``cut_sd=10``,
``session_sd=1``, ``centre_sd=None``, ``centre_walk_sd=0.02``. Only ratios matter for the shape of
the estimate (positions × k, discriminations / k is a reparametrisation): ``beta_sd ·
session_sd``, and ``evolution_sd``, ``prior_sd``, ``centre_walk_sd`` relative to ``session_sd``.
Measured against the published estimates (overall r; every session stays >= 0.979):
independent centres N(0, 0.5²) 0.9740, flat independent centres 0.9755, centre walk sd 0.1
0.9756, 0.05 0.9763, 0.02 or 0.03 0.9770, 0.005 0.9729. With independent centres,
``evolution_sd`` 0.15 or 0.5, ``beta_sd`` 0.25 or 1, ``prior_sd`` 0.5, 1.5 or none and a
Student-t (4 df) discrimination prior all lowered it (0.959-0.975; ``evolution_sd=0.15`` also
puts session 1 below 0.95). The remaining gap to the published estimates is the spread of
sessions 30-45 and of the isolated minorities (the United States at about 5 where the
published estimate has 2.7): a mode runs further out than a posterior mean.

Why the session prior. The pure random walk leaves two directions nearly free: the spread of
a session (positions out, discriminations in) and its level (positions and cutpoints together);
only the few bridges of early decades and the walk hold them. Run to its optimum without the
session prior the estimate lets cohesive minorities run away (the Soviet bloc at -9 in the
1960s while the United States sits at +1) and the spread and level drift; MCMC output such as
the published estimates does not. The session prior bounds the spread; its centre moves slowly
from session to session and has no prior level, so the level of each session comes from the
data (walk, bridges and the entry prior of each state's first position). It is a prior, not a
normalisation: estimates stay comparable across sessions. Defaults were chosen by
agreement with the published estimates (see ``benchmarks/ideal_points.py``).

Estimation. The posterior mode, by blockwise Newton ascent: all positions at once (the Hessian
is tridiagonal per state: one vectorised Thomas solve, the information-form Kalman smoother),
the session centres (closed form: a tridiagonal solve), all items at once (a 3×3 Newton step per item), then exact
maximisation along the two directions the likelihood cannot see (a common shift of positions
and cutpoints, a common rescaling of positions against discriminations), where only the priors
change. Every block step raises the log posterior (step halving where a Newton step would not),
so the iteration converges; SQUAREM extrapolation (Varadhan & Roland 2008), kept only when it
raises the log posterior further, cuts the number of sweeps about tenfold. It stops when the
relative gain of the log posterior falls below ``tol`` and no position moves by 1e-3.

Intervals. ``lower``/``upper`` are the Laplace approximation: normal quantiles of the inverse
negative Hessian of the log posterior in the positions at the mode (the observed information of
the ordered probit, not the augmented-data information, which is too large), given the item
parameters. The test on data simulated from the model measures their coverage (about 0.87 for
nominal 0.9).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
from scipy.special import log_ndtr, ndtri

from alignment.errors import AlignmentError

__all__ = [
    "estimate_ideal_points",
    "ideal_points",
    "load_matches",
    "materialise",
    "prepare_votes",
]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
# Vote codes of the store, and their order on the latent scale.
_CATEGORY = {"N": 0, "A": 1, "Y": 2}
_DROPPED_KINDS = ("amendment", "paragraph")
# Part of the digest that decides whether the refresh recomputes the stored estimates.
ESTIMATOR_VERSION = "map-newton-2"
OUTPUT_SCHEMA = {
    "iso3": pl.String,
    "session": pl.Int64,
    "ideal_point": pl.Float64,
    "lower": pl.Float64,
    "upper": pl.Float64,
    "n_votes": pl.Int64,
}


def load_matches(path: str | Path) -> pl.DataFrame:
    """Read Voeten's ``Matches.csv`` (bridging pairs) as a frame of ``rcid1, rcid2``."""
    frame = pl.read_csv(path, columns=["rcid1", "rcid2"], schema_overrides=None)
    return frame.select(pl.col("rcid1").cast(pl.Int64), pl.col("rcid2").cast(pl.Int64))


@dataclass(frozen=True)
class _Data:
    """The vote vector in integer form, ready for the estimator."""

    item: np.ndarray  # item group (bridged roll calls share one) of each vote
    state: np.ndarray  # state index of each vote
    period: np.ndarray  # compressed session index of each vote
    category: np.ndarray  # 0 no, 1 abstain, 2 yes
    states: list[str]
    sessions: np.ndarray  # session number of each period index
    n_items: int


def prepare_votes(
    votes: pl.DataFrame,
    roll_calls: pl.DataFrame,
    *,
    sessions: tuple[int, int] | None = None,
    drop_sessions: tuple[int, ...] = (19,),
    drop_amendments_from_year: int | None = 1990,
    drop_unanimous: bool = True,
) -> pl.DataFrame:
    """Apply the data rules of the published estimates; return ``roll_call_id, iso3, session,
    category`` (0 no, 1 abstain, 2 yes) for the votes that enter the model."""
    rc = roll_calls.select("roll_call_id", "session", "date", "kind")
    if sessions is not None:
        rc = rc.filter(pl.col("session").is_between(sessions[0], sessions[1]))
    if drop_sessions:
        rc = rc.filter(~pl.col("session").is_in(list(drop_sessions)))
    if drop_amendments_from_year is not None:
        # The published estimates keep amendment and paragraph votes before 1990 only.
        late = pl.col("date").dt.year() >= drop_amendments_from_year
        rc = rc.filter(~(late & pl.col("kind").is_in(_DROPPED_KINDS)).fill_null(False))
    out = (
        votes.select("roll_call_id", "iso3", "vote")
        .filter(pl.col("vote").is_in(list(_CATEGORY)))
        .join(rc.select("roll_call_id", "session"), on="roll_call_id", how="inner")
        .with_columns(
            pl.col("vote").replace_strict(_CATEGORY, return_dtype=pl.Int8).alias("category")
        )
        .drop("vote")
        .unique(["roll_call_id", "iso3"], keep="first", maintain_order=True)
    )
    if drop_unanimous:
        split = out.group_by("roll_call_id").agg(pl.col("category").n_unique().alias("n"))
        keep = split.filter(pl.col("n") > 1).select("roll_call_id")
        out = out.join(keep, on="roll_call_id", how="semi")
    return out


def _item_groups(
    roll_call_ids: np.ndarray, roll_calls: pl.DataFrame, matches: pl.DataFrame | None
) -> np.ndarray:
    """Item-group index of each roll call id: bridged roll calls (transitively) share one."""
    n = len(roll_call_ids)
    parent = np.arange(n)
    if matches is not None and matches.height and "rcid" in roll_calls.columns:
        pos = {int(r): k for k, r in enumerate(roll_call_ids)}
        rcid_to_pos = {
            int(rcid): pos[int(rid)]
            for rid, rcid in roll_calls.select("roll_call_id", "rcid").drop_nulls().iter_rows()
            if int(rid) in pos
        }

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for r1, r2 in matches.select("rcid1", "rcid2").iter_rows():
            a, b = rcid_to_pos.get(int(r1)), rcid_to_pos.get(int(r2))
            if a is not None and b is not None:
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        for k in range(n):
            parent[k] = find(k)
    return np.unique(parent, return_inverse=True)[1]


def _encode(
    prepared: pl.DataFrame, roll_calls: pl.DataFrame, matches: pl.DataFrame | None
) -> _Data:
    rc_ids, rc_index = np.unique(prepared["roll_call_id"].to_numpy(), return_inverse=True)
    groups = _item_groups(rc_ids, roll_calls, matches)
    states, state = np.unique(prepared["iso3"].to_numpy().astype(str), return_inverse=True)
    sessions, period = np.unique(prepared["session"].to_numpy(), return_inverse=True)
    return _Data(
        item=groups[rc_index].astype(np.int64),
        state=state.astype(np.int64),
        period=period.astype(np.int64),
        category=prepared["category"].to_numpy().astype(np.int64),
        states=[str(s) for s in states],
        sessions=sessions,
        n_items=int(groups.max()) + 1 if len(groups) else 0,
    )


def _thomas(diag: np.ndarray, off: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve tridiagonal systems, one per row of the (states, periods) arrays.

    ``diag`` (S, T), ``off`` (S, T-1) the symmetric off-diagonal, ``rhs`` (S, T)."""
    t = diag.shape[1]
    d = np.empty_like(diag)
    y = np.empty_like(rhs)
    d[:, 0] = diag[:, 0]
    y[:, 0] = rhs[:, 0]
    for k in range(1, t):
        m = off[:, k - 1] / d[:, k - 1]
        d[:, k] = diag[:, k] - m * off[:, k - 1]
        y[:, k] = rhs[:, k] - m * y[:, k - 1]
    out = np.empty_like(rhs)
    out[:, t - 1] = y[:, t - 1] / d[:, t - 1]
    for k in range(t - 2, -1, -1):
        out[:, k] = (y[:, k] - off[:, k] * out[:, k + 1]) / d[:, k]
    return out


def _tridiag_inverse_diag(diag: np.ndarray, off: np.ndarray) -> np.ndarray:
    """Diagonal of the inverse of symmetric positive definite tridiagonal matrices (one per row):
    the posterior variances of the Kalman smoother in information form."""
    t = diag.shape[1]
    d = np.empty_like(diag)
    d[:, 0] = diag[:, 0]
    for k in range(1, t):
        d[:, k] = diag[:, k] - off[:, k - 1] ** 2 / d[:, k - 1]
    var = np.empty_like(diag)
    var[:, t - 1] = 1.0 / d[:, t - 1]
    for k in range(t - 2, -1, -1):
        ell = off[:, k] / d[:, k]
        var[:, k] = 1.0 / d[:, k] + ell * ell * var[:, k + 1]
    return var


def _ordinal_pieces(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
    """For a standard normal e and bounds a < b (a may be -inf, b +inf): log P(a < e < b), the
    ratios r_a = φ(a)/P and r_b = φ(b)/P, and the first and second derivatives of log P with
    respect to a shift η of the mean (bounds a - η, b - η). Stable in both tails."""
    flip = a > 0  # mirror intervals in the right tail: Φ(-a) - Φ(-b) keeps precision
    lo = np.where(flip, -b, a)
    hi = np.where(flip, -a, b)
    lhi = log_ndtr(hi)
    llo = log_ndtr(lo)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logp = lhi + np.log1p(-np.exp(np.minimum(llo - lhi, -1e-12)))
        fa = np.isfinite(a)
        fb = np.isfinite(b)
        ra = np.where(fa, np.exp(-0.5 * a * a - _LOG_SQRT_2PI - logp), 0.0)
        rb = np.where(fb, np.exp(-0.5 * b * b - _LOG_SQRT_2PI - logp), 0.0)
        ara = np.where(fa, a * ra, 0.0)
        brb = np.where(fb, b * rb, 0.0)
    g = ra - rb  # d log P / d η
    h = ara - brb - g * g  # d² log P / d η², in [-1, 0]
    return logp, ra, rb, ara, brb, g, np.minimum(h, 0.0)


def _solve3(h: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Newton steps -H⁻¹g for stacks of 3×3 negative definite Hessians."""
    return -np.linalg.solve(h, g[..., None])[..., 0]


class _Model:
    """Posterior mode of the dynamic ordered probit by blockwise Newton ascent; see the module
    doc. Every block step increases the log posterior (step halving where a full Newton step
    does not), so the iterations converge to a stationary point."""

    def __init__(
        self,
        data: _Data,
        *,
        evolution_sd: float,
        prior_sd: float | None,
        beta_sd: float,
        cut_sd: float,
        session_sd: float | None = None,
        centre_sd: float | None = None,
        centre_walk_sd: float | None = None,
    ) -> None:
        self.data = data
        n_states, n_periods = len(data.states), len(data.sessions)
        self.shape = (n_states, n_periods)
        self.cell = data.state * n_periods + data.period
        self.size = n_states * n_periods
        self.n_votes = np.bincount(self.cell, minlength=self.size).reshape(self.shape)
        # Each state's chain runs from its first to its last session with votes; cells outside
        # it are inert (unit diagonal, no coupling) so one vectorised solve covers all states.
        has = self.n_votes > 0
        idx = np.arange(n_periods)
        first = np.where(has.any(1), np.argmax(has, 1), n_periods)
        last = np.where(has.any(1), n_periods - 1 - np.argmax(has[:, ::-1], 1), -1)
        self.inside = (idx[None, :] >= first[:, None]) & (idx[None, :] <= last[:, None])
        self.start = (idx[None, :] == first[:, None]) & self.inside
        link = self.inside[:, 1:] & self.inside[:, :-1]  # random-walk step k -> k+1
        self.walk = link / evolution_sd**2
        self.p0 = 0.0 if prior_sd is None else 1.0 / prior_sd**2
        self.prior_diag = self.p0 * self.start.astype(float)
        # Within each session, positions scatter around the session's centre μ_t (a free
        # parameter) with sd session_sd: bounds the spread of a session, not its level.
        self.ps = 0.0 if session_sd is None else 1.0 / session_sd**2
        self.prior_diag += self.ps * self.inside
        self.n_inside = np.maximum(self.inside.sum(0), 1)
        self.mu = np.zeros(n_periods)
        # Prior of the centres: μ_t ~ N(0, centre_sd²); None: flat; 0: fixed at 0.
        self.pm = 0.0 if centre_sd is None else (np.inf if centre_sd == 0 else 1.0 / centre_sd**2)
        # Precision matrix Q of the centres (prior -½ μ'Qμ), tridiagonal: iid N(0, centre_sd²)
        # or, with centre_walk_sd, a random walk μ_t ~ N(μ_t-1, centre_walk_sd²) from
        # μ_1 ~ N(0, centre_sd²).
        if centre_walk_sd is None:
            self.q_diag = np.full(n_periods, self.pm)
            self.q_off = np.zeros(max(n_periods - 1, 0))
        else:
            pw = 1.0 / centre_walk_sd**2
            self.q_diag = np.zeros(n_periods)
            self.q_diag[0] = self.pm
            self.q_diag[1:] += pw
            self.q_diag[:-1] += pw
            self.q_off = np.full(max(n_periods - 1, 0), -pw)
        self.prior_diag[:, 1:] += self.walk
        self.prior_diag[:, :-1] += self.walk
        self.pb = 1.0 / beta_sd**2
        self.pc = 1.0 / cut_sd**2
        n = data.n_items
        self.n_items = n
        cats = np.zeros((n, 3), dtype=np.int64)
        np.add.at(cats, (data.item, data.category), 1)
        self.cats = cats
        # Items with abstentions have two cutpoints (no | abstain | yes); items without are
        # binary probits with one (c1 = c2).
        self.ordinal = cats[:, 1] > 0
        ordv = self.ordinal[data.item]
        cat = data.category
        # Index of the lower and upper cut of each vote in the item's (-inf, c1, c2, +inf).
        lo = np.where(cat == 0, 0, np.where(cat == 1, 1, np.where(ordv, 2, 1)))
        hi = np.where((cat == 0), 1, np.where(cat == 1, 2, 3))
        self.lo_at = data.item * 4 + lo
        self.hi_at = data.item * 4 + hi
        self.lo = lo
        self.hi = hi
        total = np.maximum(cats.sum(1), 1)
        p_no = np.clip(cats[:, 0] / total, 0.01, 0.99)
        p_not_yes = np.clip((cats[:, 0] + cats[:, 1]) / total, 0.01, 0.99)
        c1 = ndtri(p_no)
        c2 = np.where(self.ordinal, np.maximum(ndtri(p_not_yes), c1 + 0.05), c1)
        self.c = np.column_stack([c1, c2])
        self.beta = np.zeros(n)
        self.x = np.zeros(self.shape)

    # --- pieces ---------------------------------------------------------------------------

    def _cuts(self, c: np.ndarray) -> np.ndarray:
        n = len(c)
        return np.column_stack([np.full(n, -np.inf), c[:, 0], c[:, 1], np.full(n, np.inf)]).ravel()

    def _pieces(self, x: np.ndarray, beta: np.ndarray, c: np.ndarray, sel=None):
        d = self.data
        cuts = self._cuts(c)
        if sel is None:
            item, cell, lo_at, hi_at = d.item, self.cell, self.lo_at, self.hi_at
        else:
            item, cell, lo_at, hi_at = d.item[sel], self.cell[sel], self.lo_at[sel], self.hi_at[sel]
        xv = x.ravel()[cell]
        eta = beta[item] * xv
        return xv, _ordinal_pieces(cuts[lo_at] - eta, cuts[hi_at] - eta)

    def _x_prior(self, x: np.ndarray) -> np.ndarray:
        """Log prior of the positions per state: -½ x'Px + x'b - ½ Σ μ_t²/session_sd² (P: the
        first-session prior, the walk and the session spread; b = μ_t/session_sd²)."""
        q = self.prior_diag * x * x
        q[:, 1:] -= self.walk * x[:, 1:] * x[:, :-1]
        q[:, :-1] -= self.walk * x[:, 1:] * x[:, :-1]
        centre = self.ps * self.inside * self.mu[None, :]
        return -0.5 * q.sum(1) + (x * centre).sum(1) - 0.5 * (centre * self.mu[None, :]).sum(1)

    def _grad_prior(self, x: np.ndarray) -> np.ndarray:
        """Gradient of the log prior in the positions: b - Px."""
        out = self.prior_diag * x
        out[:, 1:] -= self.walk * x[:, :-1]
        out[:, :-1] -= self.walk * x[:, 1:]
        return self.ps * self.inside * self.mu[None, :] - out

    def _centre(self) -> None:
        """The session centres that maximise the prior given the positions (means shrunk
        towards 0 by their own prior)."""
        if not np.isfinite(self.pm) or self.ps == 0:
            self.mu = np.zeros(self.shape[1])
            return
        total = (self.x * self.inside).sum(0) * self.ps
        diag = self.n_inside * self.ps + self.q_diag
        self.mu = _thomas(diag[None, :], self.q_off[None, :], total[None, :])[0]

    def _q_mu(self, mu: np.ndarray) -> np.ndarray:
        out = self.q_diag * mu
        out[1:] += self.q_off * mu[:-1]
        out[:-1] += self.q_off * mu[1:]
        return out

    def _mu_prior(self) -> float:
        if not np.isfinite(self.pm):
            return 0.0
        return -0.5 * float(self.mu @ self._q_mu(self.mu))

    def _item_prior(self, beta: np.ndarray, c: np.ndarray) -> np.ndarray:
        cc = c[:, 0] ** 2 + np.where(self.ordinal, c[:, 1] ** 2, 0.0)
        return -0.5 * (self.pb * beta**2 + self.pc * cc)

    def log_posterior(self) -> float:
        _, (logp, *_) = self._pieces(self.x, self.beta, self.c)
        return float(
            logp.sum()
            + self._x_prior(self.x).sum()
            + self._mu_prior()
            + self._item_prior(self.beta, self.c).sum()
        )

    # --- blocks ---------------------------------------------------------------------------

    def _info(self, h: np.ndarray) -> np.ndarray:
        """Observed information of each cell's position (likelihood part)."""
        d = self.data
        w = -(self.beta * self.beta)[d.item] * h
        return np.bincount(self.cell, weights=w, minlength=self.size).reshape(self.shape)

    def positions_step(self) -> None:
        """One Newton step for all positions (tridiagonal per state), with step halving."""
        d = self.data
        _, (logp, _, _, _, _, g, h) = self._pieces(self.x, self.beta, self.c)
        grad = np.bincount(self.cell, weights=self.beta[d.item] * g, minlength=self.size)
        grad = grad.reshape(self.shape) + self._grad_prior(self.x)
        diag = np.where(self.inside, self._info(h) + self.prior_diag, 1.0)
        step = np.where(
            self.inside, _thomas(diag, -self.walk, np.where(self.inside, grad, 0.0)), 0.0
        )
        n_states = self.shape[0]
        old = np.bincount(d.state, weights=logp, minlength=n_states) + self._x_prior(self.x)
        scale = np.ones(n_states)
        todo = np.ones(n_states, dtype=bool)
        x = self.x
        for _ in range(8):
            trial = np.where(todo[:, None], self.x + scale[:, None] * step, self.x)
            sel = todo[d.state]
            _, (lp, *_) = self._pieces(trial, self.beta, self.c, sel)
            new = np.bincount(d.state[sel], weights=lp, minlength=n_states) + self._x_prior(trial)
            ok = todo & (new >= old - 1e-9 * np.abs(old))
            x = np.where(ok[:, None], trial, x)
            todo &= ~ok
            if not todo.any():
                break
            scale = np.where(todo, scale * 0.5, scale)
        self.x = x

    def items_step(self) -> None:
        """One Newton step for every item's (c1, c2, β), with step halving."""
        d = self.data
        n = self.n_items
        xv, (logp, ra, rb, ara, brb, g, h) = self._pieces(self.x, self.beta, self.c)
        lo, hi, item = self.lo, self.hi, d.item
        hab = ra * rb
        haa = ara - ra * ra
        hbb = -brb - rb * rb

        def tot(w: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
            if mask is not None:
                return np.bincount(item[mask], weights=w[mask], minlength=n)
            return np.bincount(item, weights=w, minlength=n)

        # Gradient and Hessian in (c1, c2, β).
        gc = np.zeros((n, 2))
        hcc = np.zeros((n, 2, 2))
        hcb = np.zeros((n, 2))
        for k in (1, 2):
            up = hi == k  # this cut bounds the vote from above
            dn = lo == k  # ... from below
            gc[:, k - 1] = tot(rb, up) - tot(ra, dn)
            hcc[:, k - 1, k - 1] = tot(hbb, up) + tot(haa, dn)
            hcb[:, k - 1] = -(tot(xv * (hbb + hab), up) + tot(xv * (haa + hab), dn))
        both = (lo == 1) & (hi == 2)
        hcc[:, 0, 1] = hcc[:, 1, 0] = tot(hab, both)
        gb = tot(xv * g)
        hb = tot(xv * xv * h)
        grad = np.column_stack([gc, gb]) - np.column_stack(
            [self.pc * self.c[:, 0], self.pc * self.c[:, 1], self.pb * self.beta]
        )
        hess = np.zeros((n, 3, 3))
        hess[:, :2, :2] = hcc
        hess[:, :2, 2] = hess[:, 2, :2] = hcb
        hess[:, 2, 2] = hb
        hess[:, 0, 0] -= self.pc
        hess[:, 1, 1] -= self.pc
        hess[:, 2, 2] -= self.pb
        # Binary items: c2 is not a parameter (tied to c1).
        binary = ~self.ordinal
        hess[binary, 1, :] = 0.0
        hess[binary, :, 1] = 0.0
        hess[binary, 1, 1] = -1.0
        grad[binary, 1] = 0.0
        step = _solve3(hess, grad)
        old = tot(logp) + self._item_prior(self.beta, self.c)
        scale = np.ones(n)
        todo = np.ones(n, dtype=bool)
        beta, c = self.beta, self.c
        for _ in range(12):
            tb = np.where(todo, self.beta + scale * step[:, 2], self.beta)
            tc = np.where(todo[:, None], self.c + scale[:, None] * step[:, :2], self.c)
            tc[binary, 1] = tc[binary, 0]
            valid = tc[:, 1] - tc[:, 0] > 1e-6
            valid |= binary
            sel = todo[item]
            _, (lp, *_) = self._pieces(self.x, tb, tc, sel)
            new = np.bincount(item[sel], weights=lp, minlength=n) + self._item_prior(tb, tc)
            ok = todo & valid & (new >= old - 1e-9 * np.abs(old))
            beta = np.where(ok, tb, beta)
            c = np.where(ok[:, None], tc, c)
            todo &= ~ok
            if not todo.any():
                break
            scale = np.where(todo, scale * 0.5, scale)
        self.beta, self.c = beta, c

    def invariant_step(self) -> None:
        """Exact maximisation along the two directions the likelihood cannot see: a common
        shift of all positions (cutpoints move with it) and a common rescaling of positions
        against discriminations. Only the priors change along them, in closed form."""
        ord_ = self.ordinal
        # Shift: x + s, μ + s, c + β s (only the first-session and cutpoint priors see it).
        csum = self.c[:, 0] + np.where(ord_, self.c[:, 1], 0.0)
        ncut = 1.0 + ord_
        num = self.p0 * (self.x * self.start).sum() + self.pc * (self.beta * csum).sum()
        den = self.p0 * self.start.sum() + self.pc * (ncut * self.beta**2).sum()
        if np.isfinite(self.pm):  # the centres move with the positions
            num += float(self._q_mu(self.mu).sum())
            den += float(self._q_mu(np.ones_like(self.mu)).sum())
        else:  # centres fixed at 0: the session prior sees the shift
            num += self.ps * (self.x * self.inside).sum()
            den += self.ps * self.inside.sum()
        s = -num / den
        self.x = np.where(self.inside, self.x + s, 0.0)
        if np.isfinite(self.pm):
            self.mu = self.mu + s
        self.c = self.c + self.beta[:, None] * s
        # Scale: x k, β / k.
        q = -2.0 * (self._x_prior(self.x).sum() + self._mu_prior())
        b = self.pb * (self.beta**2).sum()
        if q > 0 and b > 0:
            k = (b / q) ** 0.25
            self.x = self.x * k
            self.mu = self.mu * k
            self.beta = self.beta / k

    def position_variance(self) -> np.ndarray:
        """Laplace: diagonal of the inverse of the negative Hessian of the log posterior in the
        positions (tridiagonal per state), at the current item parameters."""
        _, (*_, h) = self._pieces(self.x, self.beta, self.c)
        diag = np.where(self.inside, self._info(h) + self.prior_diag, 1.0)
        return np.where(self.inside, _tridiag_inverse_diag(diag, -self.walk), 0.0)

    def initialise(self) -> None:
        """Start from per-session principal components of the yes/abstain/no matrix, signs
        chained from session to session, then fit the items to them."""
        d = self.data
        n_states, n_periods = self.shape
        score = d.category.astype(float) - 1.0
        x = np.zeros(self.shape)
        prev: np.ndarray | None = None
        for t in range(n_periods):
            sel = d.period == t
            items, col = np.unique(d.item[sel], return_inverse=True)
            mat = np.zeros((n_states, len(items)))
            seen = np.zeros((n_states, len(items)), dtype=bool)
            mat[d.state[sel], col] = score[sel]
            seen[d.state[sel], col] = True
            rows = seen.any(1)
            if rows.sum() < 2:
                continue
            sub = mat[rows]
            cnt = np.maximum(seen[rows].sum(0), 1)
            sub = np.where(seen[rows], sub - sub.sum(0) / cnt, 0.0)
            u, sv, _ = np.linalg.svd(sub, full_matrices=False)
            vec = u[:, 0] * sv[0]
            vec = (vec - vec.mean()) / (vec.std() + 1e-12)
            if prev is not None:
                common = rows & (prev != 0)
                if common.sum() > 1 and np.dot(vec[common[rows]], prev[common]) < 0:
                    vec = -vec
            x[rows, t] = vec
            prev = x[:, t].copy()
        self.x = np.where(self.inside, x, 0.0)
        self._centre()
        for _ in range(3):
            self.items_step()

    def step(self) -> None:
        self.positions_step()
        self._centre()
        self.items_step()
        self.invariant_step()

    def _get(self) -> np.ndarray:
        return np.concatenate([self.x.ravel(), self.beta, self.c.ravel()])

    def _set(self, theta: np.ndarray) -> None:
        k, n = self.size, self.n_items
        self.x = np.where(self.inside, theta[:k].reshape(self.shape), 0.0)
        self._centre()
        self.beta = theta[k : k + n].copy()
        c = theta[k + n :].reshape(n, 2).copy()
        c[:, 1] = np.where(self.ordinal, np.maximum(c[:, 1], c[:, 0] + 1e-3), c[:, 0])
        self.c = c

    def _map(self, theta: np.ndarray) -> np.ndarray:
        self._set(theta)
        self.step()
        return self._get()

    def fit(self, *, max_iter: int, tol: float, trace: bool = False) -> int:
        """Iterate the block steps to convergence, accelerated by SQUAREM (Varadhan & Roland
        2008) with a monotonicity safeguard: an extrapolated point is kept only when it raises
        the log posterior above that of the two plain steps it was built from."""
        theta = self._get()
        last = self.log_posterior()
        for it in range(max_iter):
            t1 = self._map(theta)
            t2 = self._map(t1)
            l2 = self.log_posterior()
            r = t1 - theta
            v = t2 - 2 * t1 + theta
            nv = float(np.sqrt(v @ v))
            alpha = -float(np.sqrt(r @ r)) / nv if nv > 0 else -1.0
            alpha = min(alpha, -1.0)
            new, lnew = t2, l2
            if alpha < -1.0:
                t3 = self._map(theta - 2 * alpha * r + alpha * alpha * v)
                l3 = self.log_posterior()
                if np.isfinite(l3) and l3 >= l2:
                    new, lnew = t3, l3
            dx = float(np.abs(new[: self.size] - theta[: self.size]).max())
            if trace:
                print(
                    f"iter {it} logpost {lnew:.3f} gain {lnew - last:.3g} alpha {alpha:.2f} max|dx| {dx:.2e}"
                )
            theta = new
            done = abs(lnew - last) < tol * abs(lnew) and dx < 1e-3
            last = lnew
            if done:
                break
        self._set(theta)
        return it + 1


def estimate_ideal_points(
    votes: pl.DataFrame,
    roll_calls: pl.DataFrame,
    *,
    matches: pl.DataFrame | None = None,
    sessions: tuple[int, int] | None = None,
    drop_sessions: tuple[int, ...] = (19,),
    drop_amendments_from_year: int | None = 1990,
    drop_unanimous: bool = True,
    anchor: str = "USA",
    interval: float = 0.9,
    max_iter: int = 500,
    tol: float = 1e-6,
    seed: int = 0,
    evolution_sd: float = 0.3,
    prior_sd: float | None = 1.0,
    beta_sd: float = 0.5,
    cut_sd: float = 10.0,
    session_sd: float | None = 1.0,
    centre_sd: float | None = None,
    centre_walk_sd: float | None = 0.02,
    trace: bool = False,
) -> pl.DataFrame:
    """Dynamic ordinal ideal points of every state in every session it voted in.

    ``votes``: ``roll_call_id, iso3, vote`` ('Y'|'N'|'A'|'X'); ``roll_calls``:
    ``roll_call_id, rcid, session, date, kind``; ``matches``: ``rcid1, rcid2`` bridging pairs
    (Voeten rcids). Returns ``iso3, session, ideal_point, lower, upper, n_votes``, with
    ``lower``/``upper`` the central ``interval`` Laplace posterior interval (see module doc).
    The sign is chosen so that ``anchor`` has a positive mean position. ``seed`` is accepted
    for interface stability; the estimator is deterministic.
    """
    del seed  # deterministic: no random starts
    prepared = prepare_votes(
        votes,
        roll_calls,
        sessions=sessions,
        drop_sessions=drop_sessions,
        drop_amendments_from_year=drop_amendments_from_year,
        drop_unanimous=drop_unanimous,
    )
    schema = OUTPUT_SCHEMA
    if prepared.height == 0:
        return pl.DataFrame(schema=schema)
    data = _encode(prepared, roll_calls, matches)
    model = _Model(
        data,
        evolution_sd=evolution_sd,
        prior_sd=prior_sd,
        beta_sd=beta_sd,
        cut_sd=cut_sd,
        session_sd=session_sd,
        centre_sd=centre_sd,
        centre_walk_sd=centre_walk_sd,
    )
    model.initialise()
    model.fit(max_iter=max_iter, tol=tol, trace=trace)
    sd = np.sqrt(model.position_variance())
    x = model.x
    if anchor in data.states:
        a = data.states.index(anchor)
        if x[a][model.n_votes[a] > 0].mean() < 0:
            x = -x  # β flips with x, so the likelihood is unchanged
    z = float(ndtri(0.5 + interval / 2.0))
    rows, cols = np.nonzero(model.n_votes)
    return pl.DataFrame(
        {
            "iso3": np.asarray(data.states, dtype=object)[rows].astype(str),
            "session": data.sessions[cols].astype(np.int64),
            "ideal_point": x[rows, cols],
            "lower": x[rows, cols] - z * sd[rows, cols],
            "upper": x[rows, cols] + z * sd[rows, cols],
            "n_votes": model.n_votes[rows, cols].astype(np.int64),
        },
        schema=schema,
    ).sort("iso3", "session")


def _store_frames(
    con: duckdb.DuckDBPyConnection, topic: str | None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(votes, roll_calls, matches) from the store, roll calls restricted to ``topic``."""
    roll_calls = con.sql("SELECT roll_call_id, rcid, session, date, kind FROM roll_calls").pl()
    if topic is not None:
        ids = con.sql(
            "SELECT DISTINCT roll_call_id FROM roll_call_topics WHERE topic = $topic",
            params={"topic": topic},
        ).pl()
        if ids.height == 0:
            known = con.sql(
                "SELECT topic FROM roll_call_topics WHERE scheme IN ('voeten', 'named') "
                "GROUP BY topic ORDER BY count(*) DESC"
            ).pl()["topic"]
            raise AlignmentError(
                f"no roll calls have the topic {topic!r}; topics include "
                + ", ".join(known.to_list())
                + " and the UN Digital Library subjects (roll_call_topics)"
            )
        roll_calls = roll_calls.join(ids, on="roll_call_id", how="semi")
    votes = con.sql("SELECT roll_call_id, iso3, vote FROM votes").pl()
    matches = con.sql("SELECT rcid1, rcid2 FROM voeten_matches").pl()
    return votes, roll_calls, matches


def ideal_points(
    con: duckdb.DuckDBPyConnection,
    topic: str | None = None,
    from_session: int | None = None,
    to_session: int | None = None,
    **options: object,
) -> pl.DataFrame:
    """Dynamic ideal points from the store: ``iso3, session, ideal_point, lower, upper,
    n_votes``, one row per state and session with votes in the model.

    Reads ``votes``, ``roll_calls`` and Voeten's bridging pairs ``voeten_matches``; ``topic``
    (a ``roll_call_topics.topic``: ``hr``, ``me``, ``syria`` ...) keeps that topic's roll calls
    only; ``from_session``/``to_session`` bound the sessions. Other ``options`` (data rules,
    priors, ``interval``) are those of :func:`estimate_ideal_points`.
    """
    votes, roll_calls, matches = _store_frames(con, topic)
    if from_session is not None or to_session is not None:
        first = from_session if from_session is not None else -(10**9)
        last = to_session if to_session is not None else 10**9
        options["sessions"] = (first, last)
    return estimate_ideal_points(votes, roll_calls, matches=matches, **options)  # type: ignore[arg-type]


def _input_digest(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of everything the all-votes estimate depends on: the votes with their roll
    calls' session, date, kind and rcid, the bridging pairs, and the estimator version."""
    votes = con.execute(
        "SELECT count(*), sum(hash(r.session, r.date, r.kind, r.rcid, r.symbol, v.iso3, v.vote)"
        "::HUGEINT) FROM votes v JOIN roll_calls r USING (roll_call_id)"
    ).fetchall()[0]
    matches = con.execute(
        "SELECT count(*), sum(hash(rcid1, rcid2)::HUGEINT) FROM voeten_matches"
    ).fetchall()[0]
    return f"{ESTIMATOR_VERSION}:{votes[0]}:{votes[1]}:{matches[0]}:{matches[1]}"


def materialise(con: duckdb.DuckDBPyConnection, previous_db: Path | None = None) -> str:
    """Fill the store's ``ideal_points`` table with the all-votes estimates (default options).

    Called by the refresh on the new store before it is validated. When ``previous_db`` holds
    estimates made from the same votes (same digest in ``store_meta``), they are carried over
    instead of recomputed. Returns ``'carried'`` or ``'computed'``."""
    digest = _input_digest(con)
    carried: pl.DataFrame | None = None
    if previous_db is not None and Path(previous_db).exists():
        try:
            with duckdb.connect(str(previous_db), read_only=True) as old:
                rows = old.execute(
                    "SELECT value FROM store_meta WHERE key = 'ideal_points_input'"
                ).fetchall()
                if rows and rows[0][0] == digest:
                    carried = old.sql("SELECT * FROM ideal_points").pl()
        except duckdb.Error:
            carried = None
    if carried is not None:
        estimates, outcome = carried, "carried"
    else:
        estimates, outcome = ideal_points(con), "computed"
    columns = [c for c in OUTPUT_SCHEMA]
    view = estimates.select(columns).to_arrow()  # noqa: F841 - read by DuckDB's replacement scan
    con.execute("INSERT INTO ideal_points SELECT * FROM view")
    con.execute("INSERT INTO store_meta VALUES ('ideal_points_input', $digest)", {"digest": digest})
    return outcome
