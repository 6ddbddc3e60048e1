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
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import duckdb
import numpy as np
import polars as pl

from alignment.errors import EXIT_USAGE, AlignmentError

METRICS: tuple[str, ...] = (
    "exact",
    "agree",
    "s_abs",
    "s_sq",
    "kappa_abs",
    "kappa_sq",
    "kappa_nominal",
    "pi_abs",
    "pi_sq",
    "pi_nominal",
)

# Code of each vote letter; 'X' (non-voting) and anything else are missing.
VOTE_CODES: dict[str, int] = {"Y": 1, "A": 2, "N": 3}

Period = Literal["session", "year"] | None

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
    """Metrics of (9, N) tables: row k * 3 + l holds the cell (a's vote k, b's vote l).

    Written on the counts, cell by cell on contiguous rows (BLAS products with inner dimension
    3 or 9 were slower than these few vector operations), with one division per metric: the
    chance-corrected ones use the margins P (a's counts), Q (b's counts) and M = P + Q, so that
    kappa = 1 - T · O / (Σ_kl P_k Q_l δ(k, l)) and pi = 1 - 2T · O / (Σ_{k<l} M_k M_l δ(k, l)),
    O being the table's summed disagreement Σ C_kl δ(k, l) and T its total.
    """
    c = t
    total = c.sum(axis=0)
    # Disagreements one step apart (yes/abstain, abstain/no) and two apart (yes/no).
    near = c[1] + c[3] + c[5] + c[7]
    far = c[2] + c[6]
    want = set(wanted)
    kinds = {m.split("_")[1] for m in want if m.startswith(("kappa_", "pi_"))}
    # Weight of a one-step disagreement; a two-step one weighs 1 (abs, sq) and so does any
    # disagreement under nominal.
    near_weight = {"abs": 0.5, "sq": 0.25, "nominal": 1.0}
    out: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        # Sums over counts first, one division last: keeps e.g. agree of identical votes at
        # exactly 1 rather than 1 + 2e-16.
        if "exact" in want:
            out["exact"] = (c[0] + c[4] + c[8]) / total
        if "agree" in want:
            out["agree"] = 1 - (0.5 * near + far) / total
        if "s_abs" in want:
            out["s_abs"] = 1 - (near + 2 * far) / total
        if "s_sq" in want:
            out["s_sq"] = 1 - (near + 4 * far) / (2 * total)
        if kinds:
            observed = {k: near_weight[k] * near + far for k in kinds}
        if any(m.startswith("kappa_") for m in want):
            p = [c[3 * k] + c[3 * k + 1] + c[3 * k + 2] for k in range(3)]  # a's counts
            q = [c[k] + c[k + 3] + c[k + 6] for k in range(3)]  # b's counts
            e_near = p[0] * q[1] + p[1] * (q[0] + q[2]) + p[2] * q[1]
            e_far = p[0] * q[2] + p[2] * q[0]
            scaled = {k: total * observed[k] for k in kinds}
            for k in kinds:
                if f"kappa_{k}" in want:
                    expected = near_weight[k] * e_near + e_far
                    value = 1 - scaled[k] / expected
                    # No expected disagreement (one shared vote throughout): undefined.
                    out[f"kappa_{k}"] = np.where(expected > 0, value, np.nan)
        if any(m.startswith("pi_") for m in want):
            m0 = 2 * c[0] + c[1] + c[2] + c[3] + c[6]  # pooled yes count (a's + b's)
            m2 = c[2] + c[5] + c[6] + c[7] + 2 * c[8]  # pooled no count
            m1 = c[1] + c[3] + 2 * c[4] + c[5] + c[7]  # pooled abstentions
            e_near = m1 * (m0 + m2)
            e_far = m0 * m2
            for k in kinds:
                if f"pi_{k}" in want:
                    expected = near_weight[k] * e_near + e_far
                    value = 1 - 2 * total * observed[k] / expected
                    out[f"pi_{k}"] = np.where(expected > 0, value, np.nan)
    return {m: out[m] for m in wanted}


def _scores_counts(
    c: np.ndarray, wanted: Sequence[str], out: dict[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """``_scores_flat`` for unweighted (9, N) tables of counts, in exact integer arithmetic.

    Every metric is 1 - (integer) / (integer): one-step disagreements weigh 1 and two-step ones
    f = 2 (abs), 4 (sq) or 1 (nominal) once numerator and denominator are scaled alike, so each
    value is the correctly rounded ratio. Written with ``out=`` into reused buffers (and into
    ``out``, one float64 array per metric, when given): the arrays of one period stay in cache.
    """
    c = np.ascontiguousarray(c, dtype=np.int32)
    size = c.shape[1]
    if size and int(c.sum(axis=0).max()) >= 16384:  # 8 T² must stay below 2**31
        c = c.astype(np.int64)
    dt_ = c.dtype
    out = {} if out is None else out
    for m in wanted:
        if m not in out:
            out[m] = np.empty(size)

    def buf() -> np.ndarray:
        return np.empty(size, dtype=dt_)

    def add(*rows: np.ndarray) -> np.ndarray:
        acc = buf()
        np.add(rows[0], rows[1], out=acc)
        for r in rows[2:]:
            np.add(acc, r, out=acc)
        return acc

    def one_minus(num: np.ndarray, den: np.ndarray, dst: np.ndarray) -> None:
        np.divide(num, den, out=dst)
        np.subtract(1.0, dst, out=dst)

    total = add(*c)
    near = add(c[1], c[3], c[5], c[7])
    far = add(c[2], c[6])
    want = set(wanted)
    tmp, tmp2 = buf(), buf()
    weights = {"abs": 2, "sq": 4, "nominal": 1}
    with np.errstate(invalid="ignore", divide="ignore"):
        if "exact" in want:
            np.divide(add(c[0], c[4], c[8]), total, out=out["exact"])
        if want & {"agree", "s_abs"}:
            np.multiply(far, 2, out=tmp)
            np.add(tmp, near, out=tmp)  # near + 2 far
            if "agree" in want:
                np.multiply(total, 2, out=tmp2)
                one_minus(tmp, tmp2, out["agree"])
            if "s_abs" in want:
                one_minus(tmp, total, out["s_abs"])
        if "s_sq" in want:
            np.multiply(far, 4, out=tmp)
            np.add(tmp, near, out=tmp)
            np.multiply(total, 2, out=tmp2)
            one_minus(tmp, tmp2, out["s_sq"])
        kappa = [k for k in weights if f"kappa_{k}" in want]
        pi = [k for k in weights if f"pi_{k}" in want]
        if not (kappa or pi):
            return {m: out[m] for m in wanted}
        p = [add(c[3 * k], c[3 * k + 1], c[3 * k + 2]) for k in range(3)]  # a's counts
        q = [add(c[k], c[k + 3], c[k + 6]) for k in range(3)]  # b's counts
        e_near, e_far = buf(), buf()

        def chance_corrected(name: str, scale: np.ndarray) -> None:
            # 1 - scale · (near + f far) / (e_near + f e_far); 0 / 0 (one shared vote
            # throughout, no expected disagreement) is NaN.
            f = weights[name.split("_")[1]]
            np.multiply(far, f, out=tmp)
            np.add(tmp, near, out=tmp)
            np.multiply(tmp, scale, out=tmp)
            np.multiply(e_far, f, out=tmp2)
            np.add(tmp2, e_near, out=tmp2)
            one_minus(tmp, tmp2, out[name])

        if kappa:
            # Σ_kl p_k q_l over one-step pairs: q1 (p0 + p2) + p1 (q0 + q2); two-step: p0 q2 + p2 q0
            np.add(p[0], p[2], out=e_near)
            np.multiply(e_near, q[1], out=e_near)
            np.add(q[0], q[2], out=e_far)
            np.multiply(e_far, p[1], out=e_far)
            np.add(e_near, e_far, out=e_near)
            np.multiply(p[0], q[2], out=e_far)
            np.multiply(p[2], q[0], out=tmp)
            np.add(e_far, tmp, out=e_far)
            for k in kappa:
                chance_corrected(f"kappa_{k}", total)
        if pi:
            # Pooled counts m = p + q: one-step m1 (m0 + m2), two-step m0 m2 (halved, hence 2T).
            for k in range(3):
                np.add(p[k], q[k], out=p[k])
            np.add(p[0], p[2], out=e_near)
            np.multiply(e_near, p[1], out=e_near)
            np.multiply(p[0], p[2], out=e_far)
            twice = buf()
            np.multiply(total, 2, out=twice)
            for k in pi:
                chance_corrected(f"pi_{k}", twice)
    return {m: out[m] for m in wanted}


# --------------------------------------------------------------------------- bootstrap


def _pair_cells(codes_a: np.ndarray, codes_b: np.ndarray) -> np.ndarray:
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
    if len(cells) == 0:
        return {m: (float("nan"), float("nan")) for m in metrics}
    rng = np.random.default_rng(seed)
    reps = scores_from_tables(_bootstrap_tables(cells, weights, n_boot, rng), metrics)
    alpha = (1 - level) / 2
    out = {}
    for m in metrics:
        v = reps[m][~np.isnan(reps[m])]  # replicates where kappa / pi is undefined are skipped
        if len(v) == 0:
            out[m] = (float("nan"), float("nan"))
        else:
            lo, hi = np.quantile(v, [alpha, 1 - alpha])
            out[m] = (float(lo), float(hi))
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

    Replicates where the metric is undefined (kappa / pi with no variation) are left out.
    """
    _check_metrics([metric])
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    both, cells = _pair_cells(np.asarray(codes_a), np.asarray(codes_b))
    w = None if weights is None else np.asarray(weights, dtype=np.float64)[both]
    return _bootstrap_bounds(cells, w, [metric], n_boot, level, seed)[metric]


# --------------------------------------------------------------------------- data frames

Layout = Literal["long", "wide"]


def _selected_roll_calls(
    roll_calls: pl.DataFrame,
    *,
    by: Period,
    include_amendments: bool,
    important_only: bool,
    roll_call_ids: Collection[int] | None,
    weights_column: str | None,
    start: dt.date | None,
    end: dt.date | None,
) -> pl.DataFrame:
    """roll_call_id, period, weight of the roll calls the filters keep, by period then id.

    Roll calls without a period (no session / date, or ``by`` None) come last.
    """
    rc = roll_calls.lazy()
    if start is not None:
        rc = rc.filter(pl.col("date") >= start)
    if end is not None:
        rc = rc.filter(pl.col("date") <= end)
    if not include_amendments:
        rc = rc.filter(~pl.col("kind").is_in(["amendment", "paragraph"]))
    if important_only:
        rc = rc.filter(pl.col("important").fill_null(False))
    if roll_call_ids is not None:
        rc = rc.filter(pl.col("roll_call_id").is_in(list(roll_call_ids)))
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
    drop_unanimous: bool,
    lopsided_threshold: float | None,
    include_amendments: bool,
    important_only: bool,
    roll_call_ids: Collection[int] | None,
    weights_column: str | None,
    start: dt.date | None,
    end: dt.date | None,
    bootstrap: int,
    level: float,
    seed: int,
    keep_tables: bool = False,
) -> _Dyads:
    rc = _selected_roll_calls(
        roll_calls,
        by=by,
        include_amendments=include_amendments,
        important_only=important_only,
        roll_call_ids=roll_call_ids,
        weights_column=weights_column,
        start=start,
        end=end,
    )
    names, codes, kept = _vote_matrix(
        votes, rc, drop_unanimous=drop_unanimous, lopsided_threshold=lopsided_threshold
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


def period_expr(by: str | None) -> pl.Expr:
    """The period of a roll call: its session, its calendar year, or one window (null)."""
    if by == "session":
        return pl.col("session").cast(pl.Int64)
    if by == "year":
        return pl.col("date").dt.year().cast(pl.Int64)
    if by is None:
        return pl.lit(None, dtype=pl.Int64)
    raise ValueError(f"by must be 'session', 'year' or None, not {by!r}")


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
    d = _dyads(
        votes,
        roll_calls,
        by=by,
        wanted=wanted,
        countries=countries,
        drop_unanimous=drop_unanimous,
        lopsided_threshold=lopsided_threshold,
        include_amendments=include_amendments,
        important_only=important_only,
        roll_call_ids=roll_call_ids,
        weights_column=weights_column,
        start=start,
        end=end,
        bootstrap=bootstrap,
        level=level,
        seed=seed,
    )
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


# --------------------------------------------------------------------------- bloc cohesion


def agreement_index(
    yes: np.ndarray | Sequence[float],
    no: np.ndarray | Sequence[float],
    abstain: np.ndarray | Sequence[float],
) -> np.ndarray:
    """Hix, Noury & Roland's agreement index, elementwise; NaN where nobody voted.

    AI = (max(Y, N, A) - 0.5 · (Y + N + A - max(Y, N, A))) / (Y + N + A): 1 when all vote alike,
    0 when the votes split equally three ways.
    """
    y = np.asarray(yes, dtype=np.float64)
    n = np.asarray(no, dtype=np.float64)
    a = np.asarray(abstain, dtype=np.float64)
    total = y + n + a
    top = np.maximum(np.maximum(y, n), a)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (top - 0.5 * (total - top)) / total, np.nan)


def _bloc_counts(votes: pl.DataFrame, memberships_on_date: pl.DataFrame) -> pl.DataFrame:
    """Yes / no / abstain counts of each bloc's members on each roll call."""
    return (
        votes.lazy()
        .filter(pl.col("vote").is_in(list(VOTE_CODES)))
        .join(
            memberships_on_date.lazy().select("roll_call_id", "bloc", "iso3"),
            on=["roll_call_id", "iso3"],
            how="inner",
        )
        .group_by("roll_call_id", "bloc")
        .agg(
            (pl.col("vote") == "Y").sum().cast(pl.Int64).alias("yes"),
            (pl.col("vote") == "N").sum().cast(pl.Int64).alias("no"),
            (pl.col("vote") == "A").sum().cast(pl.Int64).alias("abstain"),
        )
        .collect()
    )


def roll_call_cohesion(votes: pl.DataFrame, memberships_on_date: pl.DataFrame) -> pl.DataFrame:
    """Agreement index of each bloc on each roll call where at least one member voted.

    Columns: roll_call_id, bloc, yes, no, abstain, ai. Sorted by roll_call_id, bloc.
    """
    c = _bloc_counts(votes, memberships_on_date)
    ai = agreement_index(c["yes"].to_numpy(), c["no"].to_numpy(), c["abstain"].to_numpy())
    return c.with_columns(pl.Series("ai", ai, dtype=pl.Float64)).sort("roll_call_id", "bloc")


def bloc_cohesion(
    votes: pl.DataFrame,
    roll_calls: pl.DataFrame,
    memberships_on_date: pl.DataFrame,
    *,
    by: Period = "session",
) -> pl.DataFrame:
    """Mean agreement index of each bloc per period.

    ``memberships_on_date``: roll_call_id, bloc, iso3 (who belonged to which bloc on that day).
    Only roll calls listed in ``roll_calls`` count (filter it for topics or dates). Columns:
    bloc, period (Int64 session or year; null for the whole window when ``by`` is None),
    cohesion (mean of the roll calls' AI), n (roll calls where a member voted). For the per
    roll call values see ``roll_call_cohesion``.
    """
    period = period_expr(by)
    per_rc = roll_call_cohesion(votes, memberships_on_date).join(
        roll_calls.select("roll_call_id", period.alias("period")), on="roll_call_id", how="inner"
    )
    return (
        per_rc.group_by("bloc", "period")
        .agg(pl.col("ai").mean().alias("cohesion"), pl.len().cast(pl.Int64).alias("n"))
        .sort("bloc", "period")
    )


def defections(votes: pl.DataFrame, memberships_on_date: pl.DataFrame) -> pl.DataFrame:
    """Members who voted Y / N / A against their bloc's plurality on a roll call.

    The plurality is the most common vote among the bloc's members who voted Y / N / A. When two
    votes tie for most common there is no bloc line to defect from, so nobody is listed for that
    bloc and roll call. Absence and 'X' are not defections. Columns: roll_call_id, bloc, iso3,
    vote, bloc_plurality_vote.
    """
    member_votes = (
        votes.lazy()
        .filter(pl.col("vote").is_in(list(VOTE_CODES)))
        .join(
            memberships_on_date.lazy().select("roll_call_id", "bloc", "iso3"),
            on=["roll_call_id", "iso3"],
            how="inner",
        )
    )
    plurality = (
        member_votes.group_by("roll_call_id", "bloc", "vote")
        .agg(pl.len().alias("c"))
        .filter(pl.col("c") == pl.col("c").max().over("roll_call_id", "bloc"))
        # A tie leaves more than one vote at the maximum: no plurality.
        .filter(pl.len().over("roll_call_id", "bloc") == 1)
        .select("roll_call_id", "bloc", pl.col("vote").alias("bloc_plurality_vote"))
    )
    return (
        member_votes.join(plurality, on=["roll_call_id", "bloc"], how="inner")
        .filter(pl.col("vote") != pl.col("bloc_plurality_vote"))
        .select("roll_call_id", "bloc", "iso3", "vote", "bloc_plurality_vote")
        .sort("roll_call_id", "bloc", "iso3")
        .collect()
    )


def bloc_majority_votes(votes: pl.DataFrame, memberships_on_date: pl.DataFrame) -> pl.DataFrame:
    """Each bloc's majority vote on each roll call, to treat a bloc as one pseudo-state.

    ``votes``: roll_call_id, iso3, vote; ``memberships_on_date``: roll_call_id, bloc, iso3 (who
    belonged to which bloc on the day of the vote, e.g. from
    :func:`alignment.blocs.membership_on_dates`). The majority is the plurality among the
    members who voted Y, A or N; a tie between the most common votes, or no member voting,
    gives ``'X'`` (no majority vote), as in :func:`defections`. A member with no row in
    ``votes`` or with ``'X'`` counts in ``n_none``.

    Columns: roll_call_id, bloc, vote, n_yes, n_no, n_abstain, n_none; one row per roll call
    and bloc with at least one member that day. Sorted by roll_call_id, bloc.
    """
    members = memberships_on_date.lazy().select("roll_call_id", "bloc", "iso3").unique()
    cast = votes.lazy().select("roll_call_id", "iso3", "vote")
    counts = (
        members.join(cast, on=["roll_call_id", "iso3"], how="left")
        .with_columns(pl.col("vote").fill_null("X"))
        .group_by("roll_call_id", "bloc")
        .agg(
            (pl.col("vote") == "Y").sum().cast(pl.Int64).alias("n_yes"),
            (pl.col("vote") == "N").sum().cast(pl.Int64).alias("n_no"),
            (pl.col("vote") == "A").sum().cast(pl.Int64).alias("n_abstain"),
            (~pl.col("vote").is_in(list(VOTE_CODES))).sum().cast(pl.Int64).alias("n_none"),
        )
    )
    top = pl.max_horizontal("n_yes", "n_no", "n_abstain")
    at_top = (
        (pl.col("n_yes") == top).cast(pl.Int64)
        + (pl.col("n_no") == top).cast(pl.Int64)
        + (pl.col("n_abstain") == top).cast(pl.Int64)
    )
    vote = (
        pl.when((top == 0) | (at_top > 1))
        .then(pl.lit("X"))
        .when(pl.col("n_yes") == top)
        .then(pl.lit("Y"))
        .when(pl.col("n_no") == top)
        .then(pl.lit("N"))
        .otherwise(pl.lit("A"))
    )
    return (
        counts.with_columns(vote.alias("vote"))
        .select("roll_call_id", "bloc", "vote", "n_yes", "n_no", "n_abstain", "n_none")
        .sort("roll_call_id", "bloc")
        .collect()
    )


# --------------------------------------------------------------------------- DuckDB macros

_MACROS_SQL = """
CREATE OR REPLACE MACRO alignment_pair_votes(
    a, b, start_date := NULL, end_date := NULL, drop_unanimous := true
) AS TABLE
WITH cast_votes AS (
    SELECT v.roll_call_id, v.iso3,
           CASE v.vote WHEN 'Y' THEN 1 WHEN 'A' THEN 2 WHEN 'N' THEN 3 END AS code
    FROM votes v JOIN roll_calls r USING (roll_call_id)
    WHERE v.vote IN ('Y', 'A', 'N')
      AND (start_date IS NULL OR r.date >= CAST(start_date AS DATE))
      AND (end_date IS NULL OR r.date <= CAST(end_date AS DATE))
),
kept AS (
    SELECT roll_call_id FROM cast_votes
    WHERE iso3 IN (a, b)
    GROUP BY roll_call_id
),
split AS (
    SELECT roll_call_id FROM cast_votes
    WHERE roll_call_id IN (SELECT roll_call_id FROM kept)
    GROUP BY roll_call_id
    HAVING NOT drop_unanimous OR count(DISTINCT code) > 1
)
SELECT x.roll_call_id, x.code AS x, y.code AS y
FROM cast_votes x JOIN cast_votes y USING (roll_call_id)
WHERE x.iso3 = a AND y.iso3 = b AND x.roll_call_id IN (SELECT roll_call_id FROM split);

CREATE OR REPLACE MACRO agreement(
    a, b, start_date := NULL, end_date := NULL, drop_unanimous := true
) AS TABLE
WITH t AS (
    SELECT count(*) AS n,
           avg(CAST(x = y AS DOUBLE)) AS exact,
           avg(abs(x - y) / 2.0) AS d_abs,
           avg(power(abs(x - y) / 2.0, 2)) AS d_sq,
           avg(CAST(x <> y AS DOUBLE)) AS d_nom,
           avg(CAST(x = 1 AS DOUBLE)) AS p1, avg(CAST(x = 2 AS DOUBLE)) AS p2,
           avg(CAST(x = 3 AS DOUBLE)) AS p3,
           avg(CAST(y = 1 AS DOUBLE)) AS q1, avg(CAST(y = 2 AS DOUBLE)) AS q2,
           avg(CAST(y = 3 AS DOUBLE)) AS q3
    FROM alignment_pair_votes(a, b, start_date := start_date, end_date := end_date,
                              drop_unanimous := drop_unanimous)
),
e AS (
    SELECT *,
        -- chance disagreement Σ p_k q_l δ(k, l): adjacent votes differ by 1/2, yes/no by 1
        0.5 * (p1 * q2 + p2 * q1 + p2 * q3 + p3 * q2) + (p1 * q3 + p3 * q1) AS ek_abs,
        0.25 * (p1 * q2 + p2 * q1 + p2 * q3 + p3 * q2) + (p1 * q3 + p3 * q1) AS ek_sq,
        1 - (p1 * q1 + p2 * q2 + p3 * q3) AS ek_nom,
        (p1 + q1) / 2 AS m1, (p2 + q2) / 2 AS m2, (p3 + q3) / 2 AS m3
    FROM t
),
f AS (
    SELECT *,
        2 * (0.5 * (m1 * m2 + m2 * m3) + m1 * m3) AS ep_abs,
        2 * (0.25 * (m1 * m2 + m2 * m3) + m1 * m3) AS ep_sq,
        1 - (m1 * m1 + m2 * m2 + m3 * m3) AS ep_nom
    FROM e
),
s AS (
    SELECT n,
        exact,
        1 - d_abs AS agree,
        1 - 2 * d_abs AS s_abs,
        1 - 2 * d_sq AS s_sq,
        -- undefined (no variation in either state's votes) is NaN, as in Python
        CASE WHEN ek_abs > 0 THEN 1 - d_abs / ek_abs ELSE 'NaN'::DOUBLE END AS kappa_abs,
        CASE WHEN ek_sq > 0 THEN 1 - d_sq / ek_sq ELSE 'NaN'::DOUBLE END AS kappa_sq,
        CASE WHEN ek_nom > 0 THEN 1 - d_nom / ek_nom ELSE 'NaN'::DOUBLE END AS kappa_nominal,
        CASE WHEN ep_abs > 0 THEN 1 - d_abs / ep_abs ELSE 'NaN'::DOUBLE END AS pi_abs,
        CASE WHEN ep_sq > 0 THEN 1 - d_sq / ep_sq ELSE 'NaN'::DOUBLE END AS pi_sq,
        CASE WHEN ep_nom > 0 THEN 1 - d_nom / ep_nom ELSE 'NaN'::DOUBLE END AS pi_nominal
    FROM f
)
SELECT metric, CASE WHEN n > 0 THEN value END AS value, n
FROM s UNPIVOT INCLUDE NULLS (value FOR metric IN (
    exact, agree, s_abs, s_sq, kappa_abs, kappa_sq, kappa_nominal, pi_abs, pi_sq, pi_nominal
));
"""


def register_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the SQL table macros on a DuckDB connection with ``votes`` and ``roll_calls``.

    ``agreement(a, b, start_date := NULL, end_date := NULL, drop_unanimous := true)`` returns
    one row (metric, value, n) per name in ``METRICS`` for the pair over the inclusive window,
    the same numbers as ``dyadic_scores(..., by=None)``; value is NULL when n = 0 and NaN where
    kappa / pi are undefined. ``alignment_pair_votes`` (same arguments) lists the pair's
    common roll calls (roll_call_id, x, y) with codes 1/2/3.
    """
    for statement in _MACROS_SQL.split(";"):
        if statement.strip():
            con.execute(statement)


# --------------------------------------------------------------------------- the store's tables


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Insert the columns of a schema table from a frame."""
    from alignment.schema import BY_NAME

    columns = [c.name for c in BY_NAME[table].columns]
    rows = frame.select(columns).to_arrow()  # noqa: F841 - read by DuckDB's replacement scan
    quoted = ", ".join(f'"{c}"' for c in columns)
    con.execute(f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM rows")


def agreement_tables(
    votes: pl.DataFrame | _CodedVotes, roll_calls: pl.DataFrame, *, by: Period = "session"
) -> pl.DataFrame:
    """Every pair's table of votes per period, with Voeten's defaults (as agreement_scores).

    Columns iso3_a, iso3_b, period, n, then ``CELL_COLUMNS`` (yes_yes, yes_abstain, ... no_no:
    roll calls on which iso3_a cast the first vote and iso3_b the second), Int32. Every metric
    is a function of these cells (``scores_from_tables``, or ``METRIC_SQL`` in SQL).
    """
    d = _dyads(
        votes, roll_calls, by=by, wanted=[], countries=None, drop_unanimous=True,
        lopsided_threshold=None, include_amendments=True, important_only=False,
        roll_call_ids=None, weights_column=None, start=None, end=None, bootstrap=0,
        level=0.95, seed=0, keep_tables=True,
    )  # fmt: skip
    assert d.tables is not None
    columns = _pair_columns(d)
    counts = np.rint(d.tables).astype(np.int32)
    for i, name in enumerate(CELL_COLUMNS):
        columns[name] = pl.Series(name, counts[i], dtype=pl.Int32)
    return pl.DataFrame(columns).with_columns(pl.col("period", "n").cast(pl.Int32))


def _with_period_type(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(
        [f.with_columns(pl.lit(kind).alias("period_type")) for kind, f in frames.items()],
        how="vertical_relaxed",
    )


def _view_sql() -> dict[str, str]:
    """CREATE VIEW statements of agreement_scores and agreement_pairs (see schema.VIEWS)."""
    flipped = {f"{x}_{y}": f"{y}_{x}" for x, y in (c.split("_") for c in CELL_COLUMNS)}
    keys = "period_type, period, n"
    metrics = ", ".join(METRICS)
    computed = ",\n    ".join(f"{METRIC_SQL[m]} AS {m}" for m in METRICS)
    return {
        "agreement_scores": (
            f"SELECT iso3_a, iso3_b, {keys}, {', '.join(CELL_COLUMNS)},\n    {computed}\n"
            "FROM agreement_counts"
        ),
        # Both orders, so that "closest partners of BLR" is WHERE iso3_a = 'BLR'; every
        # metric is symmetric, the cells are transposed.
        "agreement_pairs": (
            "SELECT * FROM agreement_scores\nUNION ALL\n"
            f"SELECT iso3_b AS iso3_a, iso3_a AS iso3_b, {keys}, "
            f"{', '.join(f'{flipped[c]} AS {c}' for c in CELL_COLUMNS)}, {metrics}\n"
            "FROM agreement_scores"
        ),
    }


def _create_views(con: duckdb.DuckDBPyConnection) -> None:
    from alignment.schema import VIEWS

    sql = _view_sql()
    con.execute("BEGIN")  # one catalog commit for the views and their fifty comments
    for view in VIEWS:
        con.execute(f"CREATE OR REPLACE VIEW {view.name} AS\n{sql[view.name]}")
        for statement in view.comments():
            con.execute(statement.replace("COMMENT ON TABLE", "COMMENT ON VIEW", 1))
    con.execute("COMMIT")


# Bloc cohesion and defections of the store, in SQL inside the build (the data are already
# there; a range join in DuckDB beats fanning memberships out to every roll call in polars).
# Same definitions as roll_call_cohesion, bloc_cohesion and defections (tests compare them).
_BLOC_SQL = """
CREATE OR REPLACE TEMP TABLE _member_votes AS
SELECT v.roll_call_id, m.bloc, v.iso3, v.vote
FROM votes v
JOIN roll_calls r USING (roll_call_id)
JOIN bloc_memberships m
  ON m.iso3 = v.iso3 AND m.status = 'member'
 AND r.date >= m.joined AND (m."left" IS NULL OR r.date <= m."left")
WHERE v.vote IN ('Y', 'N', 'A');

CREATE OR REPLACE TEMP TABLE _bloc_counts AS
SELECT roll_call_id, bloc,
       count_if(vote = 'Y') AS yes, count_if(vote = 'N') AS no, count_if(vote = 'A') AS abstain
FROM _member_votes
GROUP BY ALL;

INSERT INTO roll_call_cohesion
SELECT roll_call_id, bloc, yes, no, abstain, yes + no + abstain,
       (greatest(yes, no, abstain) - 0.5 * (yes + no + abstain - greatest(yes, no, abstain)))
       / (yes + no + abstain)
FROM _bloc_counts
ORDER BY roll_call_id, bloc;

INSERT INTO bloc_cohesion
SELECT c.bloc, p.period_type, p.period, avg(c.cohesion), count(*)
FROM roll_call_cohesion c
JOIN (SELECT roll_call_id, 'session' AS period_type, session AS period FROM roll_calls
      UNION ALL
      SELECT roll_call_id, 'year', year(date) FROM roll_calls) p USING (roll_call_id)
GROUP BY ALL
ORDER BY 2, 1, 3;

INSERT INTO bloc_defections
WITH plurality AS (  -- the bloc's most common vote, when no other vote ties with it
    SELECT roll_call_id, bloc,
           CASE greatest(yes, no, abstain) WHEN yes THEN 'Y' WHEN no THEN 'N' ELSE 'A' END
               AS line
    FROM _bloc_counts
    WHERE (yes = greatest(yes, no, abstain))::INT + (no = greatest(yes, no, abstain))::INT
          + (abstain = greatest(yes, no, abstain))::INT = 1
)
SELECT mv.roll_call_id, mv.bloc, mv.iso3, mv.vote, p.line
FROM _member_votes mv JOIN plurality p USING (roll_call_id, bloc)
WHERE mv.vote <> p.line
ORDER BY 1, 2, 3;

DROP TABLE _bloc_counts;
DROP TABLE _member_votes
"""


def materialise(con: duckdb.DuckDBPyConnection) -> None:
    """Fill the metric tables of a store being built, from its votes, roll_calls and blocs.

    Called by the build (``store.write_store``) once the base tables are in: writes
    ``agreement_counts`` (every pair's table of votes per session and per year, Voeten's
    defaults), ``roll_call_cohesion``, ``bloc_cohesion`` (per session and per year) and
    ``bloc_defections`` (members: status 'member' on the day of each vote); creates the views
    ``agreement_scores`` (every metric, computed from the counts when read: the file holds
    small integers rather than ten doubles per pair) and ``agreement_pairs`` (both orders),
    and the macros of ``register_macros``, all in the store file, so that any DuckDB client
    opening it has them.
    """

    votes = con.sql("SELECT roll_call_id, iso3, vote FROM votes").pl()
    roll_calls = con.sql("SELECT roll_call_id, date, session, kind, important FROM roll_calls").pl()
    coded = _CodedVotes.of(votes)  # once for both period types
    tables = {by: agreement_tables(coded, roll_calls, by=by) for by in ("session", "year")}
    _insert_rows(con, "agreement_counts", _with_period_type(tables))

    for statement in _BLOC_SQL.split(";"):
        if statement.strip():
            con.execute(statement)
    _create_views(con)
    register_macros(con)


# The contingency table of a pair as stored: cell k * 3 + l counts the roll calls on which
# iso3_a cast vote k and iso3_b vote l (yes, abstain, no).
CELL_COLUMNS: tuple[str, ...] = tuple(
    f"{x}_{y}" for x in ("yes", "abstain", "no") for y in ("yes", "abstain", "no")
)


def _metric_sql() -> dict[str, str]:
    """Each metric as a SQL expression of the cell columns and n, the formulas of _scores_flat.

    The same operations in the same order as the numpy path, so the values agree to rounding.
    """

    def d(*cells: str) -> str:
        return f"CAST({' + '.join(cells)} AS DOUBLE)"

    yy, ya, yn, ay, aa, an, ny, na, nn = CELL_COLUMNS
    total = "CAST(n AS DOUBLE)"
    near = d(ya, ay, an, na)
    far = d(yn, ny)
    p = [d(yy, ya, yn), d(ay, aa, an), d(ny, na, nn)]
    q = [d(yy, ay, ny), d(ya, aa, na), d(yn, an, nn)]
    m0 = d(f"2 * {yy}", ya, yn, ay, ny)
    m2 = d(yn, an, ny, na, f"2 * {nn}")
    m1 = d(ya, ay, f"2 * {aa}", an, na)
    out = {
        "exact": f"{d(yy, aa, nn)} / {total}",
        "agree": f"1 - (0.5 * {near} + {far}) / {total}",
        "s_abs": f"1 - ({near} + 2 * {far}) / {total}",
        "s_sq": f"1 - ({near} + 4 * {far}) / (2 * {total})",
    }
    kappa_near = f"({p[0]} * {q[1]} + {p[1]} * ({q[0]} + {q[2]}) + {p[2]} * {q[1]})"
    kappa_far = f"({p[0]} * {q[2]} + {p[2]} * {q[0]})"
    pi_near = f"({m1} * ({m0} + {m2}))"
    pi_far = f"({m0} * {m2})"
    for kind, w in (("abs", "0.5"), ("sq", "0.25"), ("nominal", "1.0")):
        observed = f"({w} * {near} + {far})"
        for family, e_near, e_far, scale in (
            ("kappa", kappa_near, kappa_far, total),
            ("pi", pi_near, pi_far, f"2 * {total}"),
        ):
            expected = f"({w} * {e_near} + {e_far})"
            out[f"{family}_{kind}"] = (
                f"CASE WHEN {expected} > 0 THEN 1 - {scale} * {observed} / {expected} "
                "ELSE 'NaN'::DOUBLE END"
            )
    return {m: out[m] for m in METRICS}


METRIC_SQL: dict[str, str] = _metric_sql()


# --------------------------------------------------------------------------- from the store


class InvalidChoice(AlignmentError):
    """A country code, topic or option value the store does not know (a usage error)."""

    exit_code = EXIT_USAGE


def _check_countries(con: duckdb.DuckDBPyConnection, countries: Sequence[str]) -> list[str]:
    known = con.sql("SELECT iso3 FROM countries ORDER BY iso3").pl()["iso3"].to_list()
    wanted = [c.strip().upper() for c in countries if c.strip()]
    unknown = [c for c in wanted if c not in set(known)]
    if unknown:
        raise InvalidChoice(
            f"unknown country code(s) {', '.join(repr(c) for c in unknown)}: give ISO3 codes of "
            f"the countries table, one of {', '.join(known)}"
        )
    if not wanted:
        raise InvalidChoice("no country code given")
    return sorted(set(wanted))


def _topic_roll_calls(con: duckdb.DuckDBPyConnection, topic: str) -> list[int]:
    ids = con.sql(
        "SELECT DISTINCT roll_call_id FROM roll_call_topics WHERE topic = $topic",
        params={"topic": topic},
    ).pl()["roll_call_id"]
    if ids.is_empty():
        known = con.sql(
            "SELECT topic FROM roll_call_topics WHERE scheme IN ('voeten', 'named') "
            "GROUP BY topic ORDER BY topic"
        ).pl()["topic"]
        raise InvalidChoice(
            f"no roll calls have the topic {topic!r}; topics: {', '.join(known.to_list())}, "
            "or a UN Digital Library subject (roll_call_topics.topic)"
        )
    return ids.to_list()


def _has_agreement_table(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.sql(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = 'agreement_scores' "
        "AND database_name = current_database()"
    ).fetchall()[0][0]
    return bool(found)


def store_scores(
    con: duckdb.DuckDBPyConnection,
    *,
    metric: str = "agree",
    by: Literal["session", "year"] = "session",
    countries: Sequence[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    topic: str | None = None,
    important_only: bool = False,
    include_amendments: bool = True,
    drop_unanimous: bool = True,
    lopsided_threshold: float | None = None,
    bootstrap: int = 0,
    seed: int = 0,
) -> pl.DataFrame:
    """One metric for pairs of the store per session or year (``alignment metrics``).

    Columns iso3_a, iso3_b, period, metric, value, n (and lower, upper with ``bootstrap``),
    sorted by period, iso3_a, iso3_b; ``countries`` as in ``dyadic_scores`` (one: that state
    against every other; several: the pairs among them; None: every pair). With the default
    options the rows come from the store's ``agreement_scores``; any filter computes them.
    Raises InvalidChoice for an unknown metric, country code or topic.
    """
    if metric not in METRICS:
        raise InvalidChoice(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    if by not in ("session", "year"):
        raise InvalidChoice(f"by must be session or year, not {by!r}")
    focus = None if countries is None else _check_countries(con, countries)
    defaults = (
        start is None
        and end is None
        and topic is None
        and not important_only
        and include_amendments
        and drop_unanimous
        and lopsided_threshold is None
        and bootstrap == 0
    )
    if defaults and _has_agreement_table(con):
        where = ["period_type = $by"]
        if focus is not None and len(focus) == 1:
            where.append("(iso3_a = $one OR iso3_b = $one)")
        elif focus is not None:
            where.append("list_contains($focus, iso3_a) AND list_contains($focus, iso3_b)")
        params: dict[str, object] = {"by": by}
        if focus is not None:
            params.update({"one": focus[0]} if len(focus) == 1 else {"focus": focus})
        return con.sql(
            f"SELECT iso3_a, iso3_b, CAST(period AS BIGINT) AS period, '{metric}' AS metric, "
            f"{metric} AS value, CAST(n AS BIGINT) AS n FROM agreement_scores "
            f"WHERE {' AND '.join(where)} ORDER BY period NULLS LAST, iso3_a, iso3_b",
            params=params,
        ).pl()
    ids = None if topic is None else _topic_roll_calls(con, topic)
    votes = con.sql("SELECT roll_call_id, iso3, vote FROM votes").pl()
    roll_calls = con.sql("SELECT roll_call_id, date, session, kind, important FROM roll_calls").pl()
    return dyadic_scores(
        votes,
        roll_calls,
        by=by,
        metrics=[metric],
        countries=focus,
        drop_unanimous=drop_unanimous,
        lopsided_threshold=lopsided_threshold,
        include_amendments=include_amendments,
        important_only=important_only,
        roll_call_ids=ids,
        start=start,
        end=end,
        bootstrap=bootstrap,
        seed=seed,
    )
