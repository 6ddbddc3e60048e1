"""Dyadic agreement metrics between states and the cohesion of voting blocs.

Votes are coded 1 = yes, 2 = abstain, 3 = no (Voeten's coding, so that abstaining sits half way
between yes and no). For a pair of states a roll call counts only when both cast one of those
three votes: absence and non-membership are missing data, not disagreement.

With n such roll calls and d_t = |x_t - y_t| in {0, 1, 2}:

- ``exact``: share of roll calls with x_t = y_t.
- ``agree``: mean of 1 - d_t / 2 (Voeten's agreement index; equal to Lijphart's index).
- ``s_abs`` / ``s_sq``: Signorino & Ritter's S = 1 - 2 Σ w_t δ_t / (Σ w_t · d_max) with
  δ_t = d_t, d_max = 2 (absolute) or δ_t = d_t², d_max = 4 (squared). Unweighted,
  s_abs = 2 · agree - 1.
- ``kappa_*`` / ``pi_*`` (Häge 2011): 1 - D_o / D_e with D_o the mean of δ(x_t, y_t) and D_e the
  disagreement expected by chance, Σ_k Σ_l p_k q_l δ(k, l). Cohen's kappa uses each state's own
  vote shares p, q over the n common roll calls; Scott's pi uses the pooled shares (p + q) / 2
  for both. δ(k, l) = |k - l| / 2 (``abs``), (|k - l| / 2)² (``sq``) or [k != l] (``nominal``).

Undefined values are NaN: every metric when n = 0, and kappa / pi when D_e = 0 (both states cast
the same single vote on every common roll call, e.g. always yes: there is no variation for chance
agreement to be measured against; D_o is then 0 too and 0/0 has no meaningful value).

Weights (optional, one per roll call) turn every mean and share above into a weighted one; for
S this is exactly Signorino & Ritter's weighted S. ``n`` always stays the unweighted count.

Every unweighted metric is a function of the pair's 3x3 contingency table C[k, l] (number of
common roll calls where a voted k and b voted l). For all pairs of a period at once,
C_kl = A_k · diag(w) · A_lᵀ where A_k is the (states x roll calls) indicator of voting k: one
BLAS product instead of a self-join of the votes on roll call. Counts stay exact (integers in
float32 / float64 below 2**24), so the matrix path equals ``pair_scores`` to rounding.

Every metric is one row of ``alignment.formulas.FORMULAS``: the float form (``_scores_flat``,
weighted tables), the exact count form (``_scores_counts``) and ``METRIC_SQL`` (each metric as
SQL over the cells of ``agreement_tables``, what the store keeps) are evaluated or generated
from it, and ``pair_scores`` restates the definitions plainly for the tests to hold the three
equal to.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import itertools
import math
import os
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from alignment import formulas
from alignment.sessions import Period, period_expr
from alignment.vocabulary import CELL_COLUMNS, METRICS, VOTE_CODES

# Periods computed side by side by dyadic_scores (the machine this was tuned on has 2 cores).
_THREADS = max(1, min(4, os.cpu_count() or 1))


def _check_metrics(metrics: Sequence[str] | None) -> list[str]:
    if metrics is None:
        return list(METRICS)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; known: {', '.join(METRICS)}")
    return list(dict.fromkeys(metrics))


# --------------------------------------------------------------------------- reference path


def pair_scores(
    x: np.ndarray | Sequence[int],
    y: np.ndarray | Sequence[int],
    weights: np.ndarray | Sequence[float] | None = None,
) -> dict[str, float]:
    """Every metric for one pair, written plainly from the definitions (the test oracle).

    ``x`` and ``y`` are aligned per roll call; values other than 1, 2, 3 are missing.
    Returns NaN for every metric when the pair has no common roll call.
    """
    xa = np.asarray(x)
    ya = np.asarray(y)
    if xa.shape != ya.shape or xa.ndim != 1:
        raise ValueError("x and y must be 1-D arrays of the same length")
    wa = np.ones(len(xa)) if weights is None else np.asarray(weights, dtype=np.float64)
    both = np.isin(xa, (1, 2, 3)) & np.isin(ya, (1, 2, 3))
    xs = xa[both].astype(np.float64)
    ys = ya[both].astype(np.float64)
    w = wa[both]
    total = w.sum()
    if len(xs) == 0 or total == 0:
        return dict.fromkeys(METRICS, float("nan"))
    d = np.abs(xs - ys)
    out = {
        "exact": float(np.sum(w * (d == 0)) / total),
        "agree": float(1 - np.sum(w * d / 2) / total),
        "s_abs": float(1 - 2 * np.sum(w * d) / (total * 2)),
        "s_sq": float(1 - 2 * np.sum(w * d**2) / (total * 4)),
    }
    p = np.array([np.sum(w * (xs == k)) for k in (1, 2, 3)]) / total
    q = np.array([np.sum(w * (ys == k)) for k in (1, 2, 3)]) / total
    m = (p + q) / 2
    for name in ("abs", "sq", "nominal"):
        if name == "abs":
            observed = np.sum(w * d / 2) / total
        elif name == "sq":
            observed = np.sum(w * (d / 2) ** 2) / total
        else:
            observed = np.sum(w * (d != 0)) / total
        exp_kappa = 0.0
        exp_pi = 0.0
        for i, vote_a in enumerate((1, 2, 3)):
            for j, vote_b in enumerate((1, 2, 3)):
                if name == "nominal":
                    delta = float(vote_a != vote_b)
                else:
                    delta = (abs(vote_a - vote_b) / 2) ** (1 if name == "abs" else 2)
                exp_kappa += p[i] * q[j] * delta
                exp_pi += m[i] * m[j] * delta
        out[f"kappa_{name}"] = float(1 - observed / exp_kappa) if exp_kappa > 0 else float("nan")
        out[f"pi_{name}"] = float(1 - observed / exp_pi) if exp_pi > 0 else float("nan")
    return {k: out[k] for k in METRICS}


def agreement_per_roll_call(
    x: np.ndarray | Sequence[int], y: np.ndarray | Sequence[int]
) -> np.ndarray:
    """Voeten's agreement of a pair on each roll call, 1 - |x - y| / 2 (codes 1, 2, 3): the
    terms whose mean is ``agree``; for series of a pair's votes in date order."""
    return 1 - np.abs(np.asarray(x, dtype=np.float64) - np.asarray(y, dtype=np.float64)) / 2


# --------------------------------------------------------------------------- matrix path


def _one_hot(codes: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    """(3 * states, roll calls) stack of the indicators A_1, A_2, A_3."""
    return np.concatenate([(codes == k) for k in (1, 2, 3)], axis=0).astype(dtype)


def _block_product(codes: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """[A_1; A_2; A_3] diag(w) [A_1; A_2; A_3]ᵀ viewed as (3, states, 3, states).

    One product of (3S x R) by (R x 3S) computes all nine A_k diag(w) A_lᵀ blocks at once.
    Unweighted, the entries are integer counts below 2**24, which float32 holds exactly (FMA
    or not), at twice float64's speed; weighted sums need float64.
    """
    exact32 = weights is None and codes.shape[1] < 2**24
    a = _one_hot(codes, np.float32 if exact32 else np.float64)
    aw = a if weights is None else a * np.asarray(weights, dtype=np.float64)[None, :]
    n = codes.shape[0]
    return (aw @ a.T).reshape(3, n, 3, n)


def _one_blas_thread() -> contextlib.AbstractContextManager:
    """Limit BLAS to one thread (threadpoolctl comes with scikit-learn; no-op without it)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def contingency_tables(codes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Every pair's 3x3 table of votes, (states, states, 3, 3) float64.

    ``codes`` is (states x roll calls), 0 = missing, 1/2/3 = yes/abstain/no. ``tables[a, b, k,
    l]`` is the (weighted) number of roll calls where state a voted k+1 and state b voted l+1.
    """
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise ValueError("codes must be a (states x roll calls) matrix")
    if weights is not None and len(weights) != codes.shape[1]:
        raise ValueError("one weight per roll call (column of codes) is needed")
    blocks = _block_product(codes, weights).transpose(1, 3, 0, 2)
    return np.ascontiguousarray(blocks, dtype=np.float64)


def scores_from_tables(
    tables: np.ndarray, metrics: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """Every metric from contingency tables of shape (..., 3, 3), e.g. (states, states, 3, 3).

    NaN where a table is empty (n = 0), and for kappa / pi where the expected disagreement is 0
    (both states cast one and the same vote on every common roll call).
    """
    wanted = _check_metrics(metrics)
    t = np.asarray(tables, dtype=np.float64)
    shape = t.shape[:-2]
    flat = np.ascontiguousarray(t.reshape(-1, 9).T)
    out = {m: v.reshape(shape) for m, v in _scores_flat(flat, wanted).items()}
    return out


def _scores_flat(t: np.ndarray, wanted: Sequence[str]) -> dict[str, np.ndarray]:
    """The float form: metrics of (9, N) tables, weighted or not; row k * 3 + l holds the cell
    (a's vote k, b's vote l)."""
    return _evaluate(np.ascontiguousarray(t, dtype=np.float64), wanted)


# Largest table total the int32 count form holds (16384 with today's formulas: 8 T² < 2**31).
_INT32_TOTAL = math.isqrt((2**31 - 1) // formulas.count_bound())


def _scores_counts(
    c: np.ndarray, wanted: Sequence[str], out: dict[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """The count form: unweighted (9, N) tables of counts in exact integer arithmetic.

    Every metric is 1 - (integer) / (integer) (``formulas.RATIOS``), evaluated as one integer
    ratio (y - x) / y, so each value is correctly rounded. Written into ``out`` (one float64
    array per metric) when given.
    """
    c = np.ascontiguousarray(c, dtype=np.int32)
    if c.shape[1] and int(c.sum(axis=0).max()) >= _INT32_TOTAL:
        c = c.astype(np.int64)
    return _evaluate(c, wanted, out)


def _evaluate(
    c: np.ndarray, wanted: Sequence[str], out: dict[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Every wanted metric of (9, N) tables from ``formulas.RATIOS``, one division each.

    Integer tables give exact integers up to that division; float tables (weighted) the same
    operations in floats. Sums shared by several metrics are computed once, with ``out=`` into
    reused buffers: the arrays of one period stay in cache. 0 / 0 (no common roll call, or no
    expected disagreement: one shared vote throughout) is NaN.
    """
    size = c.shape[1]
    floats = c.dtype.kind == "f"
    out = {} if out is None else out
    for m in wanted:
        if m not in out:
            out[m] = np.empty(size)

    def buf() -> np.ndarray:
        return np.empty(size, dtype=c.dtype)

    def add(*rows: np.ndarray) -> np.ndarray:
        acc = buf()
        np.add(rows[0], rows[1], out=acc)
        for r in rows[2:]:
            np.add(acc, r, out=acc)
        return acc

    scratch = buf()
    cache: dict[tuple, np.ndarray] = {}

    def combination(
        name: str, coefficients: tuple[int, ...], rows: Sequence[np.ndarray]
    ) -> np.ndarray:
        """Σ a_i row_i of the rows called ``name``, computed once per distinct combination."""
        key = (name, *coefficients)
        if key not in cache:
            acc = buf()
            first = True
            for a, row in zip(coefficients, rows, strict=True):
                if not a:
                    continue
                term = row if a == 1 else np.multiply(row, a, out=scratch)
                if first:
                    np.copyto(acc, term)
                else:
                    np.add(acc, term, out=acc)
                first = False
            cache[key] = acc
        return cache[key]

    total = add(*c)
    steps = [add(*(c[i] for i in cells)) for cells in formulas.STEP_CELLS]
    chance: dict[str, list[np.ndarray]] = {}

    def expected_sums(baseline: str) -> list[np.ndarray]:
        if baseline not in chance:
            p = [add(c[3 * k], c[3 * k + 1], c[3 * k + 2]) for k in range(3)]  # a's counts
            q = [add(c[k], c[k + 3], c[k + 6]) for k in range(3)]  # b's counts
            if baseline == "pooled":
                p = q = [add(p[k], q[k]) for k in range(3)]
            sums = []
            for pairs in formulas.CHANCE_PAIRS[baseline]:
                # Σ_k p_k (Σ_j q_j): one product per vote k of the first state.
                partners: dict[int, list[int]] = {}
                for k, j in pairs:
                    partners.setdefault(k, []).append(j)
                acc = np.zeros(size, dtype=c.dtype)
                for k, js in partners.items():
                    inner = q[js[0]] if len(js) == 1 else add(*(q[j] for j in js))
                    np.multiply(p[k], inner, out=scratch)
                    np.add(acc, scratch, out=acc)
                sums.append(acc)
            chance[baseline] = sums
        return chance[baseline]

    with np.errstate(invalid="ignore", divide="ignore"):
        for m in wanted:
            f, r = formulas.FORMULAS[m], formulas.RATIOS[m]
            num = combination("steps", r.observed, steps)
            times = total if r.times_total == 1 else combination("total", (r.times_total,), [total])
            # 1 - x / y as (y - x) / y: the subtraction is exact on counts, so the one
            # division rounds correctly (1 - 20 / 25 would give 0.19999999999999996).
            if f.baseline == "none":
                np.subtract(times, num, out=scratch)
                np.divide(scratch, times, out=out[m])
            else:
                den = combination(f.baseline, r.expected, expected_sums(f.baseline))
                np.multiply(num, times, out=scratch)
                np.subtract(den, scratch, out=scratch)
                np.divide(scratch, den, out=out[m])
                if floats:  # rounding must not turn "no expected disagreement" into a value
                    np.copyto(out[m], np.nan, where=den <= 0)
    return {m: out[m] for m in wanted}


# --------------------------------------------------------------------------- bootstrap


def _pair_cells(codes_a: np.ndarray, codes_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mask of the pair's common roll calls and the table cell (0..8) of each one."""
    a = np.asarray(codes_a)
    b = np.asarray(codes_b)
    both = np.isin(a, (1, 2, 3)) & np.isin(b, (1, 2, 3))
    return both, (a[both].astype(np.int64) - 1) * 3 + (b[both].astype(np.int64) - 1)


def _bootstrap_tables(
    cells: np.ndarray, weights: np.ndarray | None, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """(n_boot, 3, 3) tables of the pair's common roll calls resampled with replacement."""
    n = len(cells)
    draws = rng.integers(0, n, size=(n_boot, n))
    # Offset each replicate's cells so that one bincount fills all replicates' tables.
    flat = (cells[draws] + 9 * np.arange(n_boot)[:, None]).ravel()
    w = None if weights is None else weights[draws].ravel()
    return np.bincount(flat, weights=w, minlength=9 * n_boot).reshape(n_boot, 3, 3)


def _bootstrap_bounds(
    cells: np.ndarray,
    weights: np.ndarray | None,
    metrics: Sequence[str],
    n_boot: int,
    level: float,
    seed: int,
) -> dict[str, tuple[float, float]]:
    """Percentile bounds of each metric, or (NaN, NaN) where the percentile interval is not
    valid.

    It is not valid when more than the tail share (1 - level) / 2 of the replicates leave the
    metric undefined (kappa / pi of a resample in which both states cast one vote throughout):
    those are the resamples without a disagreement, so dropping them cuts the distribution on
    one side. Nor when the estimate sits at an end of an interval of some width: the
    resamples cannot move it one way (e.g. kappa at the least its margins allow), and the
    interval would claim a certainty on that side the data do not give. So an interval
    either has no width or holds the estimate strictly inside it.
    """
    nan = (float("nan"), float("nan"))
    if len(cells) == 0:
        return dict.fromkeys(metrics, nan)
    full = np.bincount(cells, weights=weights, minlength=9).reshape(3, 3)
    estimate = scores_from_tables(full, metrics)
    rng = np.random.default_rng(seed)
    reps = scores_from_tables(_bootstrap_tables(cells, weights, n_boot, rng), metrics)
    alpha = (1 - level) / 2
    out = {}
    for m in metrics:
        defined = ~np.isnan(reps[m])
        theta = float(estimate[m])
        if np.isnan(theta) or (n_boot - defined.sum()) > alpha * n_boot:
            out[m] = nan
            continue
        lo, hi = (float(b) for b in np.quantile(reps[m][defined], [alpha, 1 - alpha]))
        # Equal to the estimate up to rounding of the replicates' sums.
        tol = 1e-12 * max(1.0, abs(theta))
        if hi - lo > tol and not (lo + tol < theta < hi - tol):
            out[m] = nan
        else:
            out[m] = (lo, hi)
    return out


def bootstrap_interval(
    codes_a: np.ndarray | Sequence[int],
    codes_b: np.ndarray | Sequence[int],
    metric: str,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    weights: np.ndarray | Sequence[float] | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap interval of one metric, resampling the pair's common roll calls.

    (NaN, NaN) where a percentile interval is not valid: the estimate at one of its ends, or
    too many resamples in which kappa / pi is undefined (see ``_bootstrap_bounds``).
    """
    _check_metrics([metric])
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    both, cells = _pair_cells(np.asarray(codes_a), np.asarray(codes_b))
    w = None if weights is None else np.asarray(weights, dtype=np.float64)[both]
    return _bootstrap_bounds(cells, w, [metric], n_boot, level, seed)[metric]


# --------------------------------------------------------------------------- data frames

Layout = Literal["long", "wide"]


@dataclass(frozen=True)
class Selection:
    """Which roll calls count, Voeten's defaults unless changed: ``drop_unanimous`` (every
    state that voted cast the same vote), ``lopsided_threshold`` (drop when the largest of
    yes / no / abstain exceeds this share of votes cast), ``include_amendments=False`` drops
    kinds 'amendment' and 'paragraph', ``important_only``, ``roll_call_ids`` (a topic's, chosen
    by the caller), ``start`` / ``end`` (inclusive dates)."""

    drop_unanimous: bool = True
    lopsided_threshold: float | None = None
    include_amendments: bool = True
    important_only: bool = False
    roll_call_ids: Collection[int] | None = None
    start: dt.date | None = None
    end: dt.date | None = None


def _selected_roll_calls(
    roll_calls: pl.DataFrame, *, by: Period, selection: Selection, weights_column: str | None
) -> pl.DataFrame:
    """roll_call_id, period, weight of the roll calls the filters keep, by period then id.

    Roll calls without a period (no session / date, or ``by`` None) come last.
    """
    rc = roll_calls.lazy()
    if selection.start is not None:
        rc = rc.filter(pl.col("date") >= selection.start)
    if selection.end is not None:
        rc = rc.filter(pl.col("date") <= selection.end)
    if not selection.include_amendments:
        rc = rc.filter(~pl.col("kind").is_in(["amendment", "paragraph"]))
    if selection.important_only:
        rc = rc.filter(pl.col("important").fill_null(False))
    if selection.roll_call_ids is not None:
        rc = rc.filter(pl.col("roll_call_id").is_in(list(selection.roll_call_ids)))
    period = period_expr(by)
    weight = pl.lit(1.0) if weights_column is None else pl.col(weights_column).cast(pl.Float64)
    return (
        rc.select(
            pl.col("roll_call_id").cast(pl.Int64), period.alias("period"), weight.alias("weight")
        )
        .drop_nulls("roll_call_id")
        .sort("period", "roll_call_id", nulls_last=True)
        .collect()
    )


def _positions(keys: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Position of each key in ``ids`` (distinct int64), -1 where absent."""
    if len(ids) == 0:
        return np.full(len(keys), -1, dtype=np.int64)
    lo, hi = int(ids.min()), int(ids.max())
    if hi - lo < 4 * len(ids) + 4096:
        # Store keys are dense: one lookup table beats a binary search per vote.
        table = np.full(hi - lo + 1, -1, dtype=np.int64)
        table[ids - lo] = np.arange(len(ids))
        inside = (keys >= lo) & (keys <= hi)
        return np.where(inside, table[np.clip(keys - lo, 0, hi - lo)], -1)
    order = np.argsort(ids, kind="stable")
    at = np.clip(np.searchsorted(ids[order], keys), 0, len(ids) - 1)
    return np.where(ids[order][at] == keys, order[at], -1)


@dataclass
class _CodedVotes:
    """The votes as integers, computed once: sorted iso3 names, then per vote row its roll call
    key, state index (-1: none) and code (1/2/3 yes/abstain/no, 0: anything else)."""

    names: list[str]
    keys: pl.Series
    state: np.ndarray
    code: np.ndarray

    @classmethod
    def of(cls, votes: pl.DataFrame | _CodedVotes) -> _CodedVotes:
        if isinstance(votes, _CodedVotes):
            return votes
        iso = votes["iso3"].cast(pl.String)
        names = iso.drop_nulls().unique().sort().to_list()
        state = iso.cast(pl.Enum(names)).to_physical().cast(pl.Int64).fill_null(-1).to_numpy()
        letter = votes["vote"].cast(pl.String)
        code = np.zeros(votes.height, dtype=np.int8)  # X and anything else: 0
        for value, number in VOTE_CODES.items():
            code[(letter == value).fill_null(False).to_numpy()] = number
        return cls(names, votes["roll_call_id"].cast(pl.Int64), state, code)


def coded_votes(votes: pl.DataFrame) -> _CodedVotes:
    """The votes coded once, to be passed to several calls over the same votes."""
    return _CodedVotes.of(votes)


def _vote_matrix(
    votes: pl.DataFrame | _CodedVotes,
    rc: pl.DataFrame,
    *,
    drop_unanimous: bool,
    lopsided_threshold: float | None,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The states (sorted iso3), their (states x kept roll calls) int8 codes and kept rows of rc.

    Codes 1/2/3 = yes/abstain/no, 0 = missing. Columns follow ``rc``'s order, less the roll
    calls nobody voted on and those the unanimity / lopsidedness filters drop.
    """
    coded = _CodedVotes.of(votes)
    ids = rc["roll_call_id"].to_numpy()
    names = coded.names
    if len(ids) == 0 or not names:
        return names, np.zeros((len(names), 0), dtype=np.int8), np.zeros(0, dtype=np.int64)
    col = _positions(coded.keys.fill_null(int(ids.min()) - 1).to_numpy(), ids)
    state, code = coded.state, coded.code
    ok = (code > 0) & (col >= 0) & (state >= 0)
    # Every selected roll call's column first (one scatter), then the counts and the filters.
    full = np.zeros((len(names), len(ids)), dtype=np.int8)
    full.reshape(-1)[(state * len(ids) + col)[ok]] = code[ok]
    counts = np.stack([(full == k).sum(axis=0) for k in (1, 2, 3)], axis=1)
    cast = counts.sum(axis=1)
    keep = cast > 0
    if drop_unanimous:
        # Voeten drops unanimous roll calls by default: they say nothing about alignment and
        # only inflate every pair's agreement.
        keep &= (counts > 0).sum(axis=1) > 1
    if lopsided_threshold is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            keep &= counts.max(axis=1) / cast <= lopsided_threshold
    codes = full if keep.all() else full[:, keep]
    return names, codes, np.flatnonzero(keep)


def _pair_tables(blocks: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """(9, pairs) tables of the pairs (ia, ib), cell k * 3 + l, from ``_block_product``.

    One gather from the flat (3, S, 3, S) array: entry [k, a, l, b] sits at
    k·3S² + a·3S + l·S + b.
    """
    s = blocks.shape[1]
    base = ia * (3 * s) + ib
    offsets = (np.arange(3)[:, None] * (3 * s * s) + np.arange(3)[None, :] * s).reshape(9, 1)
    return np.take(blocks.reshape(-1), base[None, :] + offsets)


@dataclass
class _Dyads:
    """Every reported pair and period with integer state indices (names only at the end)."""

    names: list[str]
    a: np.ndarray  # state index of iso3_a (a < b)
    b: np.ndarray
    period: np.ndarray  # int64, 0 where null
    period_null: np.ndarray  # bool
    n: np.ndarray  # int64 common roll calls
    values: dict[str, np.ndarray]  # metric -> float64 per pair
    bounds: np.ndarray | None  # (pairs, metrics, 2) bootstrap bounds
    tables: np.ndarray | None = None  # (9, pairs) contingency tables, when asked for


def _dyads(
    votes: pl.DataFrame | _CodedVotes,
    roll_calls: pl.DataFrame,
    *,
    by: Period,
    wanted: list[str],
    countries: Sequence[str] | None,
    selection: Selection,
    weights_column: str | None = None,
    bootstrap: int = 0,
    level: float = 0.95,
    seed: int = 0,
    keep_tables: bool = False,
) -> _Dyads:
    rc = _selected_roll_calls(roll_calls, by=by, selection=selection, weights_column=weights_column)
    names, codes, kept = _vote_matrix(
        votes,
        rc,
        drop_unanimous=selection.drop_unanimous,
        lopsided_threshold=selection.lopsided_threshold,
    )
    focus = None if countries is None else sorted(set(countries))
    n_states = len(names)
    per_all = rc["period"].fill_null(0).to_numpy()[kept]
    null_all = rc["period"].is_null().to_numpy()[kept]
    w_all = rc["weight"].to_numpy()[kept] if weights_column is not None else None
    change = (per_all[1:] != per_all[:-1]) | (null_all[1:] != null_all[:-1])
    bounds_ix = [*np.flatnonzero(np.r_[True, change]).tolist(), len(kept)] if len(kept) else [0]

    ia, ib = _select_pairs(np.array(names, dtype=object), focus)
    in_pairs = np.zeros(n_states, dtype=bool)
    in_pairs[ia] = in_pairs[ib] = True

    def one_period(bounds: tuple[int, int]) -> tuple:
        lo, hi = bounds
        sub = codes[:, lo:hi]
        # Only states that voted in the period and belong to a selected pair get a row: the
        # product costs states², and early sessions had a quarter of today's membership.
        present = (sub != 0).any(axis=1)
        rows = np.flatnonzero(present & in_pairs)
        pos = np.full(n_states, -1, dtype=np.int64)  # state -> row of the period's matrix
        pos[rows] = np.arange(len(rows))
        sel = np.flatnonzero(present[ia] & present[ib])
        pa, pb = pos[ia[sel]], pos[ib[sel]]
        period_codes = sub[rows]
        w = None if w_all is None else w_all[lo:hi]
        tables = _pair_tables(_block_product(period_codes, w), pa, pb)
        if w is None:
            n = tables.sum(axis=0, dtype=np.float64)
        else:
            voted = (period_codes > 0).astype(np.float64)
            n = (voted @ voted.T)[pa, pb]
        keep = np.flatnonzero(n > 0)  # pairs that never voted together in the period
        if len(keep) < len(n):
            tables, n, sel, pa, pb = tables[:, keep], n[keep], sel[keep], pa[keep], pb[keep]
        if w is None:  # counts: exact integers (float32 products below 2**24)
            tables = tables.astype(np.int32)
        boot = (
            _bootstrap_many(period_codes, w, pa, pb, wanted, bootstrap, level, seed)
            if bootstrap > 0
            else None
        )
        return ia[sel], ib[sel], np.rint(n).astype(np.int64), tables, boot

    # Many small products (a few hundred states by a few hundred roll calls): BLAS threads
    # cost more than they bring; periods run side by side instead (numpy releases the GIL).
    periods = list(itertools.pairwise(bounds_ix))
    threads = min(_THREADS, len(periods)) if bootstrap == 0 else 1
    with _one_blas_thread(), ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
        parts = list(pool.map(one_period, periods))
        sizes = [len(p[0]) for p in parts]
        offsets = np.r_[0, np.cumsum(sizes)].astype(np.int64)
        # Every metric is written in place into one (metrics, pairs) array, period by period.
        values = np.empty((len(wanted), int(offsets[-1])))

        def score(i: int) -> None:
            tables = parts[i][3]
            dst = {m: values[j, offsets[i] : offsets[i + 1]] for j, m in enumerate(wanted)}
            if tables.dtype == np.int32:
                _scores_counts(tables, wanted, out=dst)
            else:
                for m, v in _scores_flat(tables, wanted).items():
                    dst[m][:] = v

        if wanted:
            list(pool.map(score, range(len(parts))))

    def cat(items: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(items) if items else np.zeros(0, dtype=dtype)

    starts = [lo for lo, _ in periods]
    return _Dyads(
        names=names,
        a=cat([p[0] for p in parts], np.int64),
        b=cat([p[1] for p in parts], np.int64),
        period=np.repeat(per_all[starts].astype(np.int64), sizes),
        period_null=np.repeat(null_all[starts], sizes),
        n=cat([p[2] for p in parts], np.int64),
        values={m: values[j] for j, m in enumerate(wanted)},
        bounds=(
            cat([p[4] for p in parts], np.float64).reshape(-1, len(wanted), 2)
            if bootstrap > 0
            else None
        ),
        tables=(
            (np.concatenate([p[3] for p in parts], axis=1) if parts else np.zeros((9, 0)))
            if keep_tables
            else None
        ),
    )


def _pair_columns(d: _Dyads, *, categorical: bool = False) -> dict[str, pl.Series]:
    """iso3_a, iso3_b, period, n of every pair row: names looked up once per row at the end."""
    dtype = pl.Enum(d.names) if categorical else pl.String
    name_series = pl.Series("iso3", d.names, dtype=dtype)
    period = pl.Series("period", d.period, dtype=pl.Int64)
    if d.period_null.any():
        # Roll calls without a session / date (or by=None) have a null period.
        period = period.set(pl.Series(d.period_null), None)
    return {
        "iso3_a": name_series.gather(d.a).alias("iso3_a"),
        "iso3_b": name_series.gather(d.b).alias("iso3_b"),
        "period": period,
        "n": pl.Series("n", d.n, dtype=pl.Int64),
    }


def _wide_frame(d: _Dyads, wanted: list[str], *, categorical: bool = False) -> pl.DataFrame:
    columns = _pair_columns(d, categorical=categorical)
    for j, m in enumerate(wanted):
        columns[m] = pl.Series(m, d.values[m], dtype=pl.Float64)
        if d.bounds is not None:
            columns[f"{m}_lower"] = pl.Series(d.bounds[:, j, 0], dtype=pl.Float64)
            columns[f"{m}_upper"] = pl.Series(d.bounds[:, j, 1], dtype=pl.Float64)
    return pl.DataFrame(columns)


def _long_frame(d: _Dyads, wanted: list[str]) -> pl.DataFrame:
    k = len(wanted)
    pairs = pl.DataFrame(_pair_columns(d))
    # Long format: every pair row repeated once per metric, metrics in the requested order.
    # The pair columns are built once per pair, then repeated by one polars gather that runs
    # the columns in parallel (the string columns dominate the cost of a large result).
    long = pairs.select(pl.all().gather(pl.int_range(0, pl.len() * k) // k))
    metric_ix = pl.Series(np.tile(np.arange(k, dtype=np.int64), len(d.a)))
    values = np.stack([d.values[m] for m in wanted], axis=1) if k else np.zeros((0, 0))
    extra = {
        "metric": pl.Series("metric", wanted, dtype=pl.String).gather(metric_ix),
        "value": pl.Series("value", values.ravel(), dtype=pl.Float64),
    }
    if d.bounds is not None:
        extra["lower"] = pl.Series("lower", d.bounds[:, :, 0].ravel(), dtype=pl.Float64)
        extra["upper"] = pl.Series("upper", d.bounds[:, :, 1].ravel(), dtype=pl.Float64)
    # NaN (kappa / pi without variation) stays NaN rather than null, like the numpy results.
    columns = ["iso3_a", "iso3_b", "period", "metric", "value", "n"]
    columns += [c for c in ("lower", "upper") if c in extra]
    return long.with_columns(**extra).select(columns)


def dyadic_scores(
    votes: pl.DataFrame,
    roll_calls: pl.DataFrame,
    *,
    by: Period = "session",
    metrics: Sequence[str] | None = None,
    countries: Sequence[str] | None = None,
    drop_unanimous: bool = True,
    lopsided_threshold: float | None = None,
    include_amendments: bool = True,
    important_only: bool = False,
    roll_call_ids: Collection[int] | None = None,
    weights_column: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    bootstrap: int = 0,
    level: float = 0.95,
    seed: int = 0,
    layout: Layout = "long",
) -> pl.DataFrame:
    """Agreement of every pair of states per period, long (default) or wide.

    ``votes``: roll_call_id, iso3, vote ('Y' | 'N' | 'A' | 'X'); ``roll_calls``: roll_call_id,
    date, session, kind, important (+ ``weights_column`` if given).

    ``layout="long"`` returns iso3_a, iso3_b, period (Int64: the session or the year; null when
    ``by`` is None, i.e. the whole window, and for roll calls without a session / date, sorted
    last), metric, value (Float64, NaN where undefined), n (common roll calls), with iso3_a <
    iso3_b, sorted by period, iso3_a, iso3_b, then metric in the requested order (``METRICS``
    by default). ``layout="wide"`` returns one row per pair and period: iso3_a, iso3_b, period,
    n, then one Float64 column per metric (and ``<metric>_lower`` / ``<metric>_upper`` with
    ``bootstrap``), in the same row order; it is the fast layout for all pairs (a tenth of the
    rows). Pairs without a common roll call in a period are left out.

    ``countries``: one state gives that state against every other; two or more give the pairs
    among them only. Roll call filters: ``drop_unanimous`` (every state that voted cast the same
    vote), ``lopsided_threshold`` (drop when the largest of yes / no / abstain exceeds this
    share of votes cast), ``include_amendments=False`` drops kinds 'amendment' and 'paragraph',
    ``important_only``, ``roll_call_ids`` (topic selection by the caller), ``start`` / ``end``
    (inclusive dates). ``weights_column`` names a roll_calls column of weights (weighted S and
    weighted means; see the module docstring). ``bootstrap`` > 0 adds percentile ``lower`` /
    ``upper`` columns from that many resamples of each pair's common roll calls (cost grows
    with the number of pairs: restrict ``countries`` for large windows).
    """
    wanted = _check_metrics(metrics)
    if bootstrap > 0 and not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    if layout not in ("long", "wide"):
        raise ValueError(f"layout must be 'long' or 'wide', not {layout!r}")
    selection = Selection(
        drop_unanimous, lopsided_threshold, include_amendments, important_only, roll_call_ids,
        start, end,
    )  # fmt: skip
    d = _dyads(
        votes, roll_calls, by=by, wanted=wanted, countries=countries, selection=selection,
        weights_column=weights_column, bootstrap=bootstrap, level=level, seed=seed,
    )  # fmt: skip
    return _wide_frame(d, wanted) if layout == "wide" else _long_frame(d, wanted)


def _select_pairs(present: np.ndarray, focus: list[str] | None) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (into ``present``, sorted by iso3) of the a < b pairs to report."""
    ia, ib = np.triu_indices(len(present), k=1)
    if focus is None:
        return ia, ib
    in_focus = np.isin(present, focus)
    # One state: it against everyone; several: only the pairs among them.
    keep = (in_focus[ia] | in_focus[ib]) if len(focus) == 1 else (in_focus[ia] & in_focus[ib])
    return ia[keep], ib[keep]


def _bootstrap_many(
    codes: np.ndarray,
    weights: np.ndarray | None,
    ia: np.ndarray,
    ib: np.ndarray,
    metrics: Sequence[str],
    n_boot: int,
    level: float,
    seed: int,
) -> np.ndarray:
    """(pairs, metrics, 2) bounds; each pair uses ``seed`` so it matches bootstrap_interval."""
    out = np.empty((len(ia), len(metrics), 2))
    for i, (a, b) in enumerate(zip(ia, ib, strict=True)):
        both, cells = _pair_cells(codes[a], codes[b])
        w = None if weights is None else weights[both]
        res = _bootstrap_bounds(cells, w, metrics, n_boot, level, seed)
        out[i] = [res[m] for m in metrics]
    return out


# --------------------------------------------------------------------------- per-pair tables and SQL


def agreement_tables(
    votes: pl.DataFrame | _CodedVotes, roll_calls: pl.DataFrame, *, by: Period = "session"
) -> pl.DataFrame:
    """Every pair's table of votes per period, with Voeten's defaults (as agreement_scores).

    Columns iso3_a, iso3_b, period, n, then ``CELL_COLUMNS`` (yes_yes, yes_abstain, ... no_no:
    roll calls on which iso3_a cast the first vote and iso3_b the second), Int32. Every metric
    is a function of these cells (``scores_from_tables``, or ``METRIC_SQL`` in SQL).
    """
    d = _dyads(
        votes, roll_calls, by=by, wanted=[], countries=None, selection=Selection(),
        keep_tables=True,
    )  # fmt: skip
    assert d.tables is not None
    columns = _pair_columns(d)
    counts = np.rint(d.tables).astype(np.int32)
    for i, name in enumerate(CELL_COLUMNS):
        columns[name] = pl.Series(name, counts[i], dtype=pl.Int32)
    return pl.DataFrame(columns).with_columns(pl.col("period", "n").cast(pl.Int32))


# Each metric as SQL over the cell columns and n (generated from formulas.FORMULAS).
METRIC_SQL: dict[str, str] = formulas.metric_sql()


# --------------------------------------------------------------------------- pair frames


def orient(frame: pl.DataFrame, state: str) -> pl.DataFrame:
    """The pair rows with ``state`` as iso3_a: a row (X, state) becomes (state, X).

    Every metric and n are symmetric in the two states; cell columns (``CELL_COLUMNS``), when
    present, are transposed with the pair (yes_no becomes no_yes).
    """
    flip = pl.col("iso3_b") == state
    swapped = {"iso3_a": "iso3_b", "iso3_b": "iso3_a"}
    swapped |= {c: "_".join(reversed(c.split("_"))) for c in CELL_COLUMNS if c in frame.columns}
    return frame.with_columns(
        pl.when(flip).then(pl.col(other)).otherwise(pl.col(name)).alias(name)
        for name, other in swapped.items()
    )


def top_rows(
    frame: pl.DataFrame, k: int, *, value: str = "value", within: Sequence[str] = ()
) -> pl.DataFrame:
    """The ``k`` rows with the highest ``value`` within each group of ``within`` (every row one
    group when empty), highest first; with ``k`` < 0 the ``-k`` lowest, lowest first.

    Rows whose value is undefined (NaN or null) are not ranked. Ties are broken by the other
    columns in order, so the rows kept do not depend on the frame's order.
    """
    if k == 0:
        raise ValueError(
            "k must not be 0: a positive count keeps the highest, a negative one the lowest"
        )
    ranked = frame.filter(pl.col(value).is_not_null() & pl.col(value).is_not_nan())
    others = [c for c in frame.columns if c not in (*within, value)]
    order = [*within, value, *others]
    descending = [False] * len(within) + [k > 0] + [False] * len(others)
    ranked = ranked.sort(order, descending=descending, nulls_last=True)
    if within:
        return ranked.group_by(list(within), maintain_order=True).head(abs(k)).select(frame.columns)
    return ranked.head(abs(k))


# --------------------------------------------------------------------------- change between windows


def _window_codes(
    coded: _CodedVotes,
    roll_calls: pl.DataFrame,
    window: tuple[dt.date, dt.date],
    selection: Selection,
) -> np.ndarray:
    """(states x roll calls) codes of the roll calls dated within ``window`` (inclusive)."""
    rc = _selected_roll_calls(
        roll_calls,
        by=None,
        selection=dataclasses.replace(selection, start=window[0], end=window[1]),
        weights_column=None,
    )
    _, codes, _ = _vote_matrix(
        coded,
        rc,
        drop_unanimous=selection.drop_unanimous,
        lopsided_threshold=selection.lopsided_threshold,
    )
    return codes


CHANGE_SCHEMA = {
    "iso3": pl.String,
    "value_from": pl.Float64,
    "n_from": pl.Int64,
    "value_to": pl.Float64,
    "n_to": pl.Int64,
    "change": pl.Float64,
    "lower": pl.Float64,
    "upper": pl.Float64,
}


def score_change(
    votes: pl.DataFrame | _CodedVotes,
    roll_calls: pl.DataFrame,
    *,
    target: str,
    first: tuple[dt.date, dt.date],
    second: tuple[dt.date, dt.date],
    metric: str = "agree",
    selection: Selection | None = None,
    bootstrap: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> pl.DataFrame:
    """Every state's score with ``target`` over two windows of dates, and the change.

    Each window (``first``, ``second``: inclusive first and last days) is one pool of roll
    calls, chosen as in ``dyadic_scores`` (``selection``: Voeten's defaults unless given; its
    start / end are ignored), and each score is that of ``dyadic_scores(..., by=None)`` over the
    window. Columns ``CHANGE_SCHEMA``: iso3, value_from and n_from (the first window's score and
    common roll calls), value_to, n_to, change = value_to - value_from, and lower / upper, the
    percentile bootstrap interval (``level``) of the change: each replicate resamples the
    pair's common roll calls of each window with replacement, independently, and takes the
    difference of the two scores (replicates where the metric is undefined are skipped; one
    generator seeded with ``seed`` per state, the first window drawn first). ``bootstrap`` = 0
    leaves the bounds null. States without a common roll call with the target in either window
    are left out. Sorted by change, largest first (undefined last), then iso3.
    """
    (metric,) = _check_metrics([metric])
    if bootstrap > 0 and not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    selection = selection or Selection()
    coded = _CodedVotes.of(votes)
    if target not in coded.names:
        return pl.DataFrame(schema=CHANGE_SCHEMA)
    t = coded.names.index(target)
    windows = [_window_codes(coded, roll_calls, w, selection) for w in (first, second)]
    alpha = (1 - level) / 2
    rows = []
    for s, name in enumerate(coded.names):
        if s == t:
            continue
        cells = [_pair_cells(codes[s], codes[t])[1] for codes in windows]
        if min(len(c) for c in cells) == 0:
            continue
        tables = np.stack([np.bincount(c, minlength=9).reshape(3, 3) for c in cells])
        before, after = scores_from_tables(tables, [metric])[metric]
        lower = upper = None
        if bootstrap > 0:
            rng = np.random.default_rng(seed)
            reps = [
                scores_from_tables(_bootstrap_tables(c, None, bootstrap, rng), [metric])[metric]
                for c in cells
            ]
            diff = reps[1] - reps[0]
            diff = diff[~np.isnan(diff)]
            if len(diff):
                lower, upper = (float(v) for v in np.quantile(diff, [alpha, 1 - alpha]))
        rows.append(
            (name, float(before), len(cells[0]), float(after), len(cells[1]),
             float(after - before), lower, upper)
        )  # fmt: skip
    frame = pl.DataFrame(rows, schema=CHANGE_SCHEMA, orient="row")
    return frame.sort(
        pl.col("change").fill_nan(None), "iso3", descending=[True, False], nulls_last=True
    )
