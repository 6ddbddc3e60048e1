"""Dynamic one-dimensional ordinal ideal points (Bailey, Strezhnev & Voeten 2017).

Model. Each recorded vote of state ``i`` in session ``t`` on roll call ``j`` is an ordered
category no < abstain < yes, drawn from an ordered probit

    P(no) = Φ(c1_j - β_j x_it),  P(abstain) = Φ(c2_j - β_j x_it) - P(no),  P(yes) = 1 - ...

with two cutpoints ``c1_j <= c2_j`` and one discrimination ``β_j`` per roll call. Each state's
position follows a Gaussian random walk over the sessions it belongs to,
``x_i,first ~ N(0, prior_sd²)`` and ``x_it ~ N(x_i,t-1, evolution_sd²)``. Roll calls paired
in Voeten's ``Matches.csv`` (the same text voted in two sessions) share all item parameters;
these bridges, with the random walk, make positions comparable across time. Item parameters
have weak normal priors (sd ``item_prior_sd``).

Estimation. Instead of the published MCMC we use variational EM in the style of Imai, Lo &
Olmsted (2016) ``dynIRT``/``ordIRT``: the latent utility of each vote is a truncated normal
(E-step 1, closed form); positions get Gaussian posteriors from the resulting pseudo-observations
and the random walk, computed for all states at once by a vectorised information-form Kalman
smoother (tridiagonal solve, E-step 2); item parameters are ridge regressions on those moments
(M-step). Items with abstentions use the ordIRT scaling (cuts at 0 and 1, item-specific latent
variance); items without are binary probits. Each iteration is a few numpy passes over the votes.

Convergence caveat: run to a fixed point, the estimates drift away from the published ones
(blocs that vote together push outwards, since only the first-session prior anchors the level);
the default ``max_iter`` stops early, where agreement with the MCMC estimates is highest.

Intervals. ``lower``/``upper`` are normal quantiles of the variational posterior of each
position: the Kalman smoother's posterior variance given the item parameters. They ignore the
uncertainty of the item parameters and the mean-field approximation, so they run narrow for cells
with few votes; the test on simulated data measures their coverage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
from scipy.special import log_ndtr, ndtri

__all__ = ["estimate_ideal_points", "ideal_points", "load_matches", "prepare_votes"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
# Vote codes of the store, and their order on the latent scale.
_CATEGORY = {"N": 0, "A": 1, "Y": 2}
_DROPPED_KINDS = ("amendment", "paragraph")


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


def _truncated_moments(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of a standard normal truncated to (lo, hi), stable in the tails."""
    right = lo > 0  # both ends in the right tail: the mirror image keeps precision
    a = np.where(right, -hi, lo)
    b = np.where(right, -lo, hi)
    lb = log_ndtr(b)
    la = log_ndtr(a)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logp = lb + np.log1p(-np.exp(np.minimum(la - lb, 0.0)))
        logp = np.maximum(logp, -700.0)
        ra = np.where(np.isfinite(a), np.exp(-0.5 * a * a - _LOG_SQRT_2PI - logp), 0.0)
        rb = np.where(np.isfinite(b), np.exp(-0.5 * b * b - _LOG_SQRT_2PI - logp), 0.0)
        aa = np.where(np.isfinite(a), a * ra, 0.0)
        bb = np.where(np.isfinite(b), b * rb, 0.0)
    mean = ra - rb
    var = np.maximum(1.0 + aa - bb - mean * mean, 1e-12)
    return np.where(right, -mean, mean), var


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


class _Model:
    """Variational EM (Imai, Lo & Olmsted 2016, ``dynIRT``/``ordIRT``); see the module doc."""

    def __init__(
        self,
        data: _Data,
        *,
        evolution_sd: float,
        prior_sd: float,
        item_prior_sd: float,
    ) -> None:
        self.data = data
        n_states, n_periods = len(data.states), len(data.sessions)
        self.shape = (n_states, n_periods)
        self.flat = data.state * n_periods + data.period
        self.size = n_states * n_periods
        self.n_votes = np.bincount(self.flat, minlength=self.size).reshape(self.shape)
        # Each state's chain runs from its first to its last session with votes; cells outside
        # it are inert (unit diagonal, no coupling) so one vectorised solve covers all states.
        has = self.n_votes > 0
        idx = np.arange(n_periods)
        first = np.where(has.any(1), np.argmax(has, 1), n_periods)
        last = np.where(has.any(1), n_periods - 1 - np.argmax(has[:, ::-1], 1), -1)
        self.inside = (idx[None, :] >= first[:, None]) & (idx[None, :] <= last[:, None])
        self.start = idx[None, :] == first[:, None]
        link = self.inside[:, 1:] & self.inside[:, :-1]  # random-walk step k -> k+1
        self.walk = link / evolution_sd**2
        self.p0 = 1.0 / prior_sd**2
        self.ip = 1.0 / item_prior_sd**2
        n_items = data.n_items
        cats = np.zeros((n_items, 3), dtype=np.int64)
        np.add.at(cats, (data.item, data.category), 1)
        self.n_item = cats.sum(1)
        # Items with abstentions: latent z ~ N(α + βx, σ²) cut at 0 and 1 (the ordIRT scaling,
        # which turns the second cutpoint into the variance σ²). Items without abstentions are
        # binary probits: σ = 1 and a single cut at 0.
        self.ordinal = cats[:, 1] > 0
        upper = np.where(self.ordinal, 1.0, 0.0)
        n = n_items
        self.cuts = np.column_stack([np.full(n, -np.inf), np.zeros(n), upper, np.full(n, np.inf)])
        self.lo = self.cuts[data.item, data.category]
        self.hi = self.cuts[data.item, data.category + 1]
        self.alpha = np.zeros(n_items)
        self.beta = np.zeros(n_items)
        self.sigma2 = np.ones(n_items)
        self.m = np.zeros(self.shape)
        self.v = np.zeros(self.shape)

    def _items_from(self, ez: np.ndarray, ezz: np.ndarray) -> None:
        """M-step: ridge regression of E[z] on the positions' moments, item by item."""
        d = self.data
        n = d.n_items
        m = self.m.ravel()[self.flat]
        mm = m * m + self.v.ravel()[self.flat]

        def tot(w: np.ndarray) -> np.ndarray:
            return np.bincount(d.item, weights=w, minlength=n)

        s1, sx, sxx = self.n_item.astype(float), tot(m), tot(mm)
        sz, szx, szz = tot(ez), tot(ez * m), tot(ezz)
        lam = self.ip * self.sigma2  # prior precision on the scale of the noise
        a11, a12, a22 = s1 + lam, sx, sxx + lam
        det = a11 * a22 - a12 * a12
        alpha = (a22 * sz - a12 * szx) / det
        beta = (a11 * szx - a12 * sz) / det
        rss = (
            szz
            - 2 * alpha * sz
            - 2 * beta * szx
            + alpha**2 * s1
            + 2 * alpha * beta * sx
            + beta**2 * sxx
        )
        # σ² only for ordinal items; one pseudo-observation of 1 keeps near-binary items finite.
        sigma2 = np.maximum((rss + 1.0) / (s1 + 1.0), 1e-4)
        self.alpha, self.beta = alpha, beta
        self.sigma2 = np.where(self.ordinal, sigma2, 1.0)

    def _latent(self) -> tuple[np.ndarray, np.ndarray]:
        """E-step for the latent utilities: truncated-normal mean and second moment."""
        d = self.data
        s = np.sqrt(self.sigma2)[d.item]
        mu = self.alpha[d.item] + self.beta[d.item] * self.m.ravel()[self.flat]
        mean, var = _truncated_moments((self.lo - mu) / s, (self.hi - mu) / s)
        ez = mu + s * mean
        return ez, ez * ez + s * s * var

    def _positions(self, ez: np.ndarray) -> None:
        """E-step for the positions: Gaussian pseudo-observations and the random-walk prior,
        solved per state by the information-form Kalman smoother (tridiagonal)."""
        d = self.data
        prec = (self.beta * self.beta / self.sigma2)[d.item]
        info = np.bincount(self.flat, weights=prec, minlength=self.size).reshape(self.shape)
        w = (self.beta / self.sigma2)[d.item] * (ez - self.alpha[d.item])
        rhs = np.bincount(self.flat, weights=w, minlength=self.size).reshape(self.shape)
        diag = info + self.p0 * self.start
        diag[:, 1:] += self.walk
        diag[:, :-1] += self.walk
        diag = np.where(self.inside, diag, 1.0)
        rhs = np.where(self.inside, rhs, 0.0)
        self.m = _thomas(diag, -self.walk, rhs)
        self.v = np.where(self.inside, _tridiag_inverse_diag(diag, -self.walk), 0.0)

    def initialise(self) -> None:
        """Start from per-session principal components of the yes/abstain/no matrix, signs
        chained from session to session, and items fitted to category scores."""
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
        self.m = np.where(self.inside, x, 0.0)
        # Category midpoints as the first latent values (no, abstain, yes).
        mid = np.where(self.ordinal[d.item], np.array([-0.5, 0.5, 1.5])[d.category], score)
        self._items_from(mid, mid * mid + 1.0)

    def step(self) -> float:
        ez, ezz = self._latent()
        old = self.m
        self._positions(ez)
        self._items_from(ez, ezz)
        return float(np.abs(self.m - old).max(initial=0.0))


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
    max_iter: int = 40,
    tol: float = 1e-3,
    seed: int = 0,
    evolution_sd: float = 0.3,
    prior_sd: float = 1.0,
    item_prior_sd: float = 1.0,
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
    schema = {
        "iso3": pl.String,
        "session": pl.Int64,
        "ideal_point": pl.Float64,
        "lower": pl.Float64,
        "upper": pl.Float64,
        "n_votes": pl.Int64,
    }
    if prepared.height == 0:
        return pl.DataFrame(schema=schema)
    data = _encode(prepared, roll_calls, matches)
    model = _Model(data, evolution_sd=evolution_sd, prior_sd=prior_sd, item_prior_sd=item_prior_sd)
    model.initialise()
    for _ in range(max_iter):
        if model.step() < tol:
            break
    sd = np.sqrt(model.v)
    x = model.m
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


def ideal_points(
    con: duckdb.DuckDBPyConnection,
    *,
    topic: str | None = None,
    matches: pl.DataFrame | None = None,
    **options: object,
) -> pl.DataFrame:
    """Estimate ideal points from the store's ``votes`` and ``roll_calls`` tables (restricted
    to the roll calls of ``topic`` in ``roll_call_topics`` when given). ``options`` are passed
    to :func:`estimate_ideal_points`."""
    roll_calls = con.execute("SELECT roll_call_id, rcid, session, date, kind FROM roll_calls").pl()
    if topic is not None:
        ids = con.execute(
            "SELECT DISTINCT roll_call_id FROM roll_call_topics WHERE topic = ?", [topic]
        ).pl()
        roll_calls = roll_calls.join(ids, on="roll_call_id", how="semi")
    votes = con.execute("SELECT roll_call_id, iso3, vote FROM votes").pl()
    return estimate_ideal_points(votes, roll_calls, matches=matches, **options)  # type: ignore[arg-type]
