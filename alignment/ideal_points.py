"""Dynamic one-dimensional ordinal ideal points (Bailey, Strezhnev & Voeten 2017).

The model and its choices follow the authors' replication code (``UN_Ideal_Rcpp.R`` and
``UN_DataProcessing.R`` in Erik Voeten's repository
*United-Nations-General-Assembly-Votes-and-Ideal-Points*), which produced the published
estimates this module is held to (``benchmarks/ideal_points.py``, ``tests/test_ideal_points.py``).

Model. State ``i`` in period ``t`` votes on item ``j`` through a latent utility
``z = β_j x_it + ε``, ``ε ~ N(0, 1)``: no below the cutpoint ``γ1_j``, abstain between
``γ1_j`` and ``γ2_j``, yes above ``γ2_j``. Roll calls paired in Voeten's ``Matches.csv``
(transitively) are one item and share ``β`` and both cutpoints; with the positions' prior this
makes positions comparable across periods. Priors as published: ``β_j ~ N(0, beta_sd²)``
(1), cutpoints flat on ``[-cut_bound, cut_bound]`` (7). A state's positions follow a random
walk over its periods with votes, ``x_it ~ N(x_i,prev, step_sd² · periods elapsed)``
(``step_sd`` 0.5), its first position vague, or the published code's forward scheme (each
position centred on the state's previous one). Location and scale: the positions are
standardised to mean 0 and sd 1 over all country-periods, as in the published code; the sign
is set afterwards so that ``anchor`` (the United States) is positive.

Periods and vote sets. ``by="session"`` (the published series) or ``by="year"``: the calendar
year of the vote, as in Voeten's current releases; the walk steps once per session or year
elapsed. ``vote_set="all"`` (the published data rules below) or ``"final-passage"``: the votes
on a resolution or decision as a whole only (``roll_calls.kind`` 'resolution'; amendment,
paragraph and procedural votes left out). Other data rules as published: yes, no and abstain
only; session 19 and unanimous roll calls dropped; amendment and paragraph votes dropped from
1990 on.

Estimation, by default (``method="em"``, :func:`fit_em`): the deterministic variational EM of
:mod:`alignment.em`, started from each period's first principal component, with intervals and
``se`` from a parametric bootstrap of ``bootstrap`` replicates seeded from the data: the same
store gives the same numbers bit for bit.

Estimation with ``method="mcmc"`` (:func:`sample_posterior`; :mod:`alignment.mcmc` runs it to
the publication standard): the hybrid Gibbs/Metropolis sampler of the published code (Johnson
& Albert 1999), compiled (:mod:`alignment.sampler`), ``chains`` chains in parallel threads.
Estimates are posterior means of the standardised draws; ``lower``/``upper`` quantiles of the
draws; every estimate carries R̂ and bulk and tail ESS (:mod:`alignment.convergence`).

Where each estimator departs from the published code, what was tried and the figures:
``docs/reference/design.md`` (lab notes) and ``docs/guides/ideal-points.md``.
"""

from __future__ import annotations

import inspect
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, Unpack, cast

import numpy as np
import polars as pl

from alignment.convergence import Convergence, check_convergence, diagnostics
from alignment.sessions import period_expr
from alignment.vocabulary import IDEAL_POINT_METHODS, PERIOD_TYPES, VOTE_SETS

if TYPE_CHECKING:
    from alignment.em import Fit
    from alignment.sampler import Chain

__all__ = [
    "Posterior",
    "Priors",
    "estimate_ideal_points",
    "fit_em",
    "load_matches",
    "prepare_votes",
    "sample_posterior",
]

# Vote codes of the store, and their order on the latent scale.
_CATEGORY = {"N": 0, "A": 1, "Y": 2}
_DROPPED_KINDS = ("amendment", "paragraph")
# EM defaults: the iteration cap and stop rule of a fit, and the bootstrap replicates.
EM_MAX_ITER = 500
EM_TOL = 1e-3
BOOTSTRAP = 50
# Periods a position is estimated for, and the vote sets it is estimated from: all recorded
# votes, or final passage only (the vote on a resolution or decision as a whole, roll_calls.kind
# 'resolution'; amendment, paragraph and procedural votes left out).
_FINAL_PASSAGE_KINDS = ("resolution",)
# Part of the digest that decides whether the refresh recomputes the stored estimates.
ESTIMATOR_VERSION = "bsv-em-1"
# Columns of Posterior.summary(), estimate_ideal_points and ideal_points: one row per state and
# period; session is the period for by="session" (null for years).
SUMMARY_SCHEMA = {
    "iso3": pl.String,
    "period_type": pl.String,
    "period": pl.Int64,
    "session": pl.Int64,
    "vote_set": pl.String,
    "method": pl.String,
    "ideal_point": pl.Float64,
    "se": pl.Float64,
    "lower": pl.Float64,
    "upper": pl.Float64,
    "n_votes": pl.Int64,
    "iterations": pl.Int64,
    "final_change": pl.Float64,
    "replicates": pl.Int64,
    "rhat": pl.Float64,
    "ess_bulk": pl.Float64,
    "ess_tail": pl.Float64,
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
    period: np.ndarray  # compressed period index of each vote
    category: np.ndarray  # 0 no, 1 abstain, 2 yes
    states: list[str]
    periods: np.ndarray  # period (session number or year) of each period index
    n_items: int


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")


class DataRules(TypedDict, total=False):
    """The keyword options of :func:`prepare_votes` (which holds their defaults), taken by
    every estimator and passed on unchanged."""

    by: str
    vote_set: str
    sessions: tuple[int, int] | None
    drop_sessions: tuple[int, ...]
    drop_amendments_from_year: int | None
    drop_unanimous: bool


def prepare_votes(
    votes: pl.DataFrame,
    roll_calls: pl.DataFrame,
    *,
    by: str = "session",
    vote_set: str = "all",
    sessions: tuple[int, int] | None = None,
    drop_sessions: tuple[int, ...] = (19,),
    drop_amendments_from_year: int | None = 1990,
    drop_unanimous: bool = True,
) -> pl.DataFrame:
    """Apply the data rules of the published estimates; return ``roll_call_id, iso3, period,
    category`` (0 no, 1 abstain, 2 yes) for the votes that enter the model.

    ``period`` is the session (``by="session"``) or the calendar year of the vote
    (``by="year"``). ``vote_set="final-passage"`` keeps the votes on resolutions and decisions
    as a whole only (``kind`` 'resolution'); ``"all"`` keeps every kind, less amendment and
    paragraph votes from ``drop_amendments_from_year`` on. ``sessions`` bounds the sessions
    whatever the period. Rows come sorted by roll call and state."""
    _check_choice("by", by, PERIOD_TYPES)
    _check_choice("vote_set", vote_set, VOTE_SETS)
    rc = roll_calls.select("roll_call_id", "session", "date", "kind")
    if sessions is not None:
        rc = rc.filter(pl.col("session").is_between(sessions[0], sessions[1]))
    if drop_sessions:
        rc = rc.filter(~pl.col("session").is_in(list(drop_sessions)))
    if vote_set == "final-passage":
        rc = rc.filter(pl.col("kind").is_in(_FINAL_PASSAGE_KINDS).fill_null(False))
    elif drop_amendments_from_year is not None:
        # The published estimates keep amendment and paragraph votes before 1990 only.
        late = pl.col("date").dt.year() >= drop_amendments_from_year
        rc = rc.filter(~(late & pl.col("kind").is_in(_DROPPED_KINDS)).fill_null(False))
    rc = rc.select("roll_call_id", period_expr(by).alias("period")).drop_nulls("period")  # type: ignore[arg-type]
    out = (
        votes.select("roll_call_id", "iso3", "vote")
        .filter(pl.col("vote").is_in(list(_CATEGORY)))
        .join(rc, on="roll_call_id", how="inner")
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
    # One order whatever the order of the rows read: the estimates depend on it in their last
    # bits (sums, and the start where two bridged roll calls fall in one period).
    return out.sort("roll_call_id", "iso3")


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
    periods, period = np.unique(prepared["period"].to_numpy(), return_inverse=True)
    return _Data(
        item=groups[rc_index].astype(np.int64),
        state=state.astype(np.int64),
        period=period.astype(np.int64),
        category=prepared["category"].to_numpy().astype(np.int64),
        states=[str(s) for s in states],
        periods=periods,
        n_items=int(groups.max()) + 1 if len(groups) else 0,
    )


@dataclass(frozen=True)
class Priors:
    """The sampler's model beyond the data (see the module doc), as published: the random walk's
    step sd per period elapsed, the sd of the discriminations' normal prior, the bound of the
    cutpoints' flat prior, and the sd of the cutpoints' Metropolis proposal."""

    step_sd: float = 0.5
    beta_sd: float = 1.0
    cut_bound: float = 7.0
    cut_step: float = 0.2

    def __post_init__(self) -> None:
        for name in ("step_sd", "beta_sd", "cut_step"):
            size = getattr(self, name)
            if not size > 0:
                raise ValueError(f"{name} must be positive, not {size}")


PRIORS = Priors()  # the published ones: the default of every sampler run


@dataclass(frozen=True)
class _Cells:
    """The country-periods with votes (cells), sorted by state then period, and the random
    walk that links each state's consecutive cells."""

    state: np.ndarray  # state index of each cell
    period: np.ndarray  # period index of each cell
    n_votes: np.ndarray  # votes of each cell
    step_precision: np.ndarray  # precision of the step from the state's previous cell (0: first)


# Prior precision of a state's first position: vague, N(0, 100²); the standardisation of every
# draw, not this prior, sets the location of the scale.
_FIRST_PRECISION = 1e-4


def _cells(data: _Data, step_sd: float) -> tuple[_Cells, np.ndarray]:
    """Cells (country-periods with votes) and the cell index of every vote.

    A state's consecutive cells are linked by a random-walk step of variance ``step_sd²``
    per period (session or year) elapsed: two sessions across the dropped session 19, twenty
    across South Africa's absence of 1974-1994."""
    n_periods = len(data.periods)
    flat = data.state * n_periods + data.period
    keys, vote_cell, n_votes = np.unique(flat, return_inverse=True, return_counts=True)
    state, period = keys // n_periods, keys % n_periods
    linked = np.r_[False, state[1:] == state[:-1]]
    when = data.periods[period].astype(float)
    elapsed = np.where(linked, when - np.r_[when[0], when[:-1]], 1.0)
    step_precision = np.where(linked, 1.0 / (step_sd**2 * np.maximum(elapsed, 1.0)), 0.0)
    cells = _Cells(state, period, n_votes, step_precision)
    return cells, vote_cell.astype(np.int64)


def _start_positions(data: _Data, cells: _Cells, vote_cell: np.ndarray) -> np.ndarray:
    """Starting positions: each period's first principal component of the centred
    yes/abstain/no scores, signs chained from period to period so that states keep their
    side, standardised over all cells."""
    from threadpoolctl import threadpool_limits

    score = data.category.astype(float) - 1.0
    x = np.zeros(len(cells.state))
    n_states = len(data.states)
    previous = np.zeros(n_states)  # last position of each state (0: not seen yet)
    # One BLAS thread: the matrices are small, and OpenBLAS's threads, spinning on a busy
    # machine, took 40 times the CPU of the SVDs themselves (8.9 s against 0.2 s here).
    with threadpool_limits(1, user_api="blas"):
        _principal_components(data, vote_cell, score, previous, x)
    return (x - x.mean()) / (x.std() + 1e-12)


def _principal_components(
    data: _Data, vote_cell: np.ndarray, score: np.ndarray, previous: np.ndarray, x: np.ndarray
) -> None:
    for t in range(len(data.periods)):
        sel = data.period == t
        items, col = np.unique(data.item[sel], return_inverse=True)
        rows, first, row = np.unique(data.state[sel], return_index=True, return_inverse=True)
        if len(rows) < 2:
            continue
        mat = np.zeros((len(rows), len(items)))
        seen = np.zeros_like(mat, dtype=bool)
        mat[row, col] = score[sel]
        seen[row, col] = True
        mat = np.where(seen, mat - mat.sum(0) / np.maximum(seen.sum(0), 1), 0.0)
        u, sv, _ = np.linalg.svd(mat, full_matrices=False)
        vec = u[:, 0] * sv[0]
        vec = (vec - vec.mean()) / (vec.std() + 1e-12)
        if np.dot(vec, previous[rows]) < 0:
            vec = -vec
        previous[rows] = vec
        x[vote_cell[sel][first]] = vec


def _chain(
    data: _Data,
    cells: _Cells,
    vote_cell: np.ndarray,
    start: np.ndarray,
    *,
    priors: Priors,
    seed: np.random.SeedSequence | int,
) -> Chain:
    """A chain at its start: positions given; cutpoints from the shares of no and abstain votes
    on the scale of standardised positions, as the published code starts them; discriminations
    ±1 by the side the item's yes votes sit on; utilities drawn given those."""
    from alignment.sampler import Chain  # numba: loaded (and compiled) only when sampling

    order = np.lexsort((vote_cell, data.item))  # votes by item: each item's votes one slice
    item, cell, category = data.item[order], vote_cell[order], data.category[order]
    n_items = data.n_items
    counts = np.zeros((n_items, 3))
    np.add.at(counts, (item, category), 1)
    share = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    g1 = -1.0 + 2.0 * share[:, 0]
    g2 = np.maximum(-1.0 + 2.0 * (share[:, 0] + share[:, 1]), g1 + 1e-6)
    xv = start[cell]
    score = category.astype(float) - 1.0
    n = np.bincount(item, minlength=n_items)
    slope = np.bincount(item, xv * score, n_items) - (
        np.bincount(item, xv, n_items) * np.bincount(item, score, n_items)
    ) / np.maximum(n, 1)
    # Prior precision of the positions (random walk, tridiagonal): its diagonal, and the step
    # precision coupling each cell to the state's previous one.
    step = cells.step_precision.astype(float)
    chain = Chain(
        ptr=np.r_[0, np.cumsum(n)].astype(np.int64),
        item=item.astype(np.int64),
        cell=cell.astype(np.int64),
        category=category.astype(np.int64),
        state_ptr=np.r_[np.flatnonzero(step == 0), len(step)].astype(np.int64),
        prior_diag=step + np.r_[step[1:], 0.0] + np.where(step > 0, 0.0, _FIRST_PRECISION),
        step=step,
        x=start.astype(float),
        beta=np.where(slope >= 0, 1.0, -1.0),
        g1=g1,
        g2=g2,
        z=np.zeros(len(item)),
        beta_precision=1.0 / priors.beta_sd**2,
        cut_bound=priors.cut_bound,
        cut_step=priors.cut_step,
        rng=np.random.default_rng(seed),
    )
    chain.draw_utilities()
    return chain


# Cells per block of Posterior.summary: bounds the memory of the float64 copies of the draws.
_SUMMARY_BLOCK = 2048


def _sample(
    data: _Data, priors: Priors, burn_in: int, draws: int, thin: int, chains: int, seed: int
) -> tuple[_Cells, np.ndarray]:
    """Draws of every cell's position from ``chains`` chains run in parallel threads (numpy
    and scipy release the GIL in the per-vote work): (chains, draws, cells), unsigned."""
    cells, vote_cell = _cells(data, priors.step_sd)
    start = _start_positions(data, cells, vote_cell)
    seeds = np.random.SeedSequence(seed).spawn(chains)

    def one(s: np.random.SeedSequence) -> np.ndarray:
        chain = _chain(data, cells, vote_cell, start, priors=priors, seed=s)
        return chain.run(burn_in, draws, thin)

    if chains == 1:
        return cells, one(seeds[0])[None]
    with ThreadPoolExecutor(max_workers=chains) as pool:
        return cells, np.stack(list(pool.map(one, seeds)))


def _check_interval(interval: float) -> None:
    if not 0.0 < interval < 1.0:
        raise ValueError(f"interval must be between 0 and 1, not {interval}")


@dataclass(frozen=True)
class Posterior:
    """Draws of every country-period's position, oriented so that the anchor is positive.

    ``draws`` is (chains, draws, cells); cell ``k`` is ``iso3[k]`` in ``period[k]`` (a session
    or a year, ``period_type``) with ``n_votes[k]`` votes of ``vote_set`` in the model.
    ``rhat``, ``ess_bulk`` and ``ess_tail`` are the convergence diagnostics of every cell
    (:func:`alignment.convergence.diagnostics`), computed once when first read."""

    iso3: np.ndarray
    period: np.ndarray
    n_votes: np.ndarray
    draws: np.ndarray
    period_type: str = "session"
    vote_set: str = "all"

    @property
    def session(self) -> np.ndarray | None:
        """The periods when they are sessions."""
        return self.period if self.period_type == "session" else None

    @cached_property
    def _diagnostics(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return diagnostics(self.draws)

    @property
    def rhat(self) -> np.ndarray:
        """Rank-normalised split-R̂ of every cell (NaN with one chain)."""
        return self._diagnostics[0]

    @property
    def ess_bulk(self) -> np.ndarray:
        """Bulk effective sample size of every cell."""
        return self._diagnostics[1]

    @property
    def ess_tail(self) -> np.ndarray:
        """Tail effective sample size (5% and 95% quantiles) of every cell."""
        return self._diagnostics[2]

    def summary(self, interval: float = 0.9) -> pl.DataFrame:
        """One row per cell (``SUMMARY_SCHEMA``): posterior mean and sd, the central
        ``interval`` of the draws of all chains, votes, draws kept per chain (``iterations``),
        and the cell's R̂ and ESS."""
        _check_interval(interval)
        pooled = self.draws.reshape(-1, self.draws.shape[-1])
        tail = (1.0 - interval) / 2.0
        k = pooled.shape[1]
        mean, sd, lower, upper = np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k)
        for lo in range(0, k, _SUMMARY_BLOCK):  # blocks: a float64 copy of all draws is large
            block = slice(lo, min(lo + _SUMMARY_BLOCK, k))
            values = pooled[:, block].astype(float)
            mean[block] = values.mean(0)
            sd[block] = values.std(0, ddof=1) if len(values) > 1 else np.nan
            lower[block], upper[block] = np.quantile(values, [tail, 1.0 - tail], axis=0)
        n = len(self.iso3)
        return pl.DataFrame(
            {
                "iso3": self.iso3,
                "period_type": [self.period_type] * n,
                "period": self.period,
                "session": self.session if self.session is not None else [None] * n,
                "vote_set": [self.vote_set] * n,
                "method": ["mcmc"] * n,
                "ideal_point": mean,
                "se": sd,
                "lower": lower,
                "upper": upper,
                "n_votes": self.n_votes,
                "iterations": [self.draws.shape[1]] * n,
                "final_change": [None] * n,
                "replicates": [None] * n,
                "rhat": self.rhat,
                "ess_bulk": self.ess_bulk,
                "ess_tail": self.ess_tail,
            },
            schema=SUMMARY_SCHEMA,
        ).sort("iso3", "period")

    def convergence(self) -> Convergence:
        """The worst diagnostics and whether they meet the publication standard."""
        return check_convergence(self.summary())


def _orient(draws: np.ndarray, anchor_cells: np.ndarray) -> np.ndarray:
    """Flip chains so that they agree with the first one, then all of them so that the
    anchor's mean position is positive (the model cannot tell a scale from its mirror)."""
    means = draws.mean(axis=1)
    signs = np.where((means * means[0]).sum(1) < 0, -1.0, 1.0)
    draws = draws * signs[:, None, None].astype(draws.dtype)
    if len(anchor_cells) and draws[:, :, anchor_cells].mean() < 0:
        draws = -draws
    return draws


def sample_posterior(
    votes: pl.DataFrame,
    roll_calls: pl.DataFrame,
    *,
    matches: pl.DataFrame | None = None,
    anchor: str = "USA",
    priors: Priors = PRIORS,
    burn_in: int = 100,
    draws: int = 400,
    thin: int = 1,
    chains: int = 2,
    seed: int = 0,
    **rules: Unpack[DataRules],
) -> Posterior:
    """Run the sampler (see the module doc) on the votes that pass the data rules.

    ``votes``: ``roll_call_id, iso3, vote`` ('Y'|'N'|'A'|'X'); ``roll_calls``:
    ``roll_call_id, rcid, session, date, kind``; ``matches``: ``rcid1, rcid2`` bridging pairs
    (Voeten rcids). ``rules``: ``by`` ("session" or "year"), ``vote_set`` ("all" or
    "final-passage") and the other data rules of :func:`prepare_votes`; the random walk steps
    once per period elapsed (``priors``: :class:`Priors`). Each chain keeps ``draws`` sweeps
    after ``burn_in``, one every ``thin`` (long runs in bounded memory). The result depends only
    on the data, the options and ``seed`` (not on the number of cores)."""
    bounds = (
        ("burn_in", burn_in, 0),
        ("draws", draws, 1),
        ("thin", thin, 1),
        ("chains", chains, 1),
    )
    for name, value, least in bounds:
        if value < least:
            raise ValueError(f"{name} must be at least {least}, not {value}")
    data, full = _prepared(votes, roll_calls, matches, rules)
    if data is None:
        return Posterior(**_labels(full), draws=np.zeros((chains, draws, 0), np.float32))
    cells, samples = _sample(data, priors, burn_in, draws, thin, chains, seed)
    labels = _labels(full, data, cells)
    return Posterior(**labels, draws=_orient(samples, np.flatnonzero(labels["iso3"] == anchor)))


def _prepared(
    votes: pl.DataFrame,
    roll_calls: pl.DataFrame,
    matches: pl.DataFrame | None,
    rules: DataRules,
) -> tuple[_Data | None, DataRules]:
    """The votes that pass ``rules``, encoded for an estimator (None when none pass), and all
    the rules they were prepared by (the defaults of :func:`prepare_votes` filled in)."""
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(prepare_votes).parameters.items()
        if parameter.kind is parameter.KEYWORD_ONLY
    }
    full = cast(DataRules, defaults | dict(rules))
    prepared = prepare_votes(votes, roll_calls, **full)
    return (_encode(prepared, roll_calls, matches) if prepared.height else None), full


def _labels(
    rules: DataRules, data: _Data | None = None, cells: _Cells | None = None
) -> dict[str, Any]:
    """What Posterior and EMResult say of their cells: ``iso3``, ``period`` and ``n_votes`` of
    each (none without data), and the ``period_type`` and ``vote_set`` of the series."""
    labels: dict[str, Any] = {"period_type": rules["by"], "vote_set": rules["vote_set"]}
    if data is None or cells is None:
        none = np.array([], dtype=np.int64)
        return labels | {"iso3": none.astype(str), "period": none, "n_votes": none}
    return labels | {
        "iso3": np.asarray(data.states, dtype=str)[cells.state],
        "period": data.periods[cells.period].astype(np.int64),
        "n_votes": cells.n_votes.astype(np.int64),
    }


@dataclass(frozen=True)
class EMResult:
    """An EM fit on the cells of ``iso3`` and ``period``, its bootstrap replicates
    (replicates, cells), oriented so that the anchor is positive."""

    iso3: np.ndarray
    period: np.ndarray
    n_votes: np.ndarray
    fit: Fit | None
    replicates: np.ndarray
    period_type: str = "session"
    vote_set: str = "all"

    def summary(self, interval: float = 0.9) -> pl.DataFrame:
        """One row per cell (``SUMMARY_SCHEMA``): the estimate, its bootstrap se and
        ``interval``, the iterations and final change of the fit."""
        from alignment.em import intervals

        _check_interval(interval)
        n = len(self.iso3)
        if self.fit is None or n == 0:
            return pl.DataFrame(schema=SUMMARY_SCHEMA)
        se, lower, upper = intervals(self.fit, self.replicates, interval)
        none = [None] * n
        return pl.DataFrame(
            {
                "iso3": self.iso3,
                "period_type": [self.period_type] * n,
                "period": self.period,
                "session": self.period if self.period_type == "session" else none,
                "vote_set": [self.vote_set] * n,
                "method": ["em"] * n,
                "ideal_point": self.fit.x,
                "se": se,
                "lower": lower,
                "upper": upper,
                "n_votes": self.n_votes,
                "iterations": [self.fit.iterations] * n,
                "final_change": [self.fit.final_change] * n,
                "replicates": [len(self.replicates)] * n,
                "rhat": none,
                "ess_bulk": none,
                "ess_tail": none,
            },
            schema=SUMMARY_SCHEMA,
        ).sort("iso3", "period")


def fit_em(
    votes: pl.DataFrame,
    roll_calls: pl.DataFrame,
    *,
    matches: pl.DataFrame | None = None,
    anchor: str = "USA",
    prior: str = "walk",
    step_sd: float = 0.5,
    intercept_sd: float = math.inf,
    bootstrap: int = BOOTSTRAP,
    max_iter: int = EM_MAX_ITER,
    tol: float = EM_TOL,
    replicate_iter: int | None = None,
    threads: int = 2,
    **rules: Unpack[DataRules],
) -> EMResult:
    """The EM estimate (see the module doc) on the votes that pass the data rules, with
    ``bootstrap`` replicates (0: none). Options as :func:`sample_posterior`; ``prior``
    "walk" (the random walk, ``step_sd`` per period: the sampler's model) or "forward" (the
    published code's scheme); ``intercept_sd`` the sd of a normal prior on the roll calls'
    intercepts (infinite: flat, as the published cutpoints); ``threads`` run replicates in
    parallel without changing them."""
    from threadpoolctl import threadpool_limits

    if bootstrap < 0:
        raise ValueError(f"bootstrap must be at least 0, not {bootstrap}")
    if not step_sd > 0:
        raise ValueError(f"step_sd must be positive, not {step_sd}")
    if not intercept_sd > 0:
        raise ValueError(f"intercept_sd must be positive, not {intercept_sd}")
    data, full = _prepared(votes, roll_calls, matches, rules)
    if data is None:
        return EMResult(**_labels(full), fit=None, replicates=np.zeros((0, 0)))
    with threadpool_limits(1, user_api="blas"):  # the same bits wherever it runs
        return _fit_em(data, full, anchor, prior, step_sd, intercept_sd, bootstrap, max_iter,
                       tol, replicate_iter, threads)  # fmt: skip


def _fit_em(
    data: _Data, rules: DataRules, anchor: str, prior: str, step_sd: float,
    intercept_sd: float, bootstrap: int, max_iter: int, tol: float, replicate_iter: int | None, threads: int,
) -> EMResult:  # fmt: skip
    from alignment import em

    cells, vote_cell = _cells(data, step_sd)
    start = _start_positions(data, cells, vote_cell)
    problem = em.problem(
        data.item, vote_cell, data.category, cells.state, cells.period,
        data.periods[cells.period],
    )  # fmt: skip
    fit = em.fit(
        problem,
        start,
        prior=prior,  # type: ignore[arg-type]
        step_sd=step_sd,
        a_sd=intercept_sd,
        max_iter=max_iter,
        tol=tol,
    )
    labels = _labels(rules, data, cells)
    anchored = labels["iso3"] == anchor
    if anchored.any() and fit.x[anchored].mean() < 0:
        fit = em.flip(fit)
    reps = em.bootstrap(
        problem, fit, bootstrap, max_iter=replicate_iter or em.REPLICATE_ITER, threads=threads
    )
    return EMResult(**labels, fit=fit, replicates=reps)


_EM_OPTIONS = DataRules.__optional_keys__ | {
    "matches", "anchor", "prior", "step_sd", "intercept_sd", "bootstrap", "max_iter", "tol", "replicate_iter",
    "threads",
}  # fmt: skip


def estimate_ideal_points(
    votes: pl.DataFrame,
    roll_calls: pl.DataFrame,
    *,
    method: str = "em",
    interval: float = 0.9,
    **options: object,
) -> pl.DataFrame:
    """Dynamic ordinal ideal points of every state in every period it voted in (columns
    ``SUMMARY_SCHEMA``): the estimate, its ``se`` and central ``interval``, the votes, and
    the diagnostics of the method: ``iterations``, ``final_change`` and bootstrap
    ``replicates`` for ``method="em"`` (:func:`fit_em`, the default); draws kept per chain
    (``iterations``), ``rhat``, ``ess_bulk``, ``ess_tail`` for ``method="mcmc"``
    (:func:`sample_posterior`; judge them with
    :func:`alignment.convergence.check_convergence`). ``options`` are those of the method's
    function."""
    _check_choice("method", method, IDEAL_POINT_METHODS)
    _check_interval(interval)
    if method == "em":
        unknown = sorted(set(options) - _EM_OPTIONS)
        if unknown:
            raise ValueError(f"options of the sampler only, not of method em: {', '.join(unknown)}")
        return fit_em(votes, roll_calls, **options).summary(interval)  # type: ignore[arg-type]
    return sample_posterior(votes, roll_calls, **options).summary(interval)  # type: ignore[arg-type]
