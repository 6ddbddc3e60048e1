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

import datetime as dt
import itertools
from collections.abc import Collection, Sequence
from typing import Literal

import duckdb
import numpy as np
import polars as pl

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


def _pair_tables(blocks: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """(9, pairs) tables of the pairs (ia, ib), cell k * 3 + l, from ``_block_product``."""
    out = np.empty((9, len(ia)))
    for k in range(3):
        for cell_l in range(3):
            out[k * 3 + cell_l] = blocks[k, :, cell_l, :][ia, ib]
    return out


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

    Written cell by cell on contiguous rows: BLAS products with inner dimension 3 or 9 were
    slower than these few vector operations.
    """
    c = t
    total = c.sum(axis=0)
    # Disagreements one step apart (yes/abstain, abstain/no) and two apart (yes/no).
    near = c[1] + c[3] + c[5] + c[7]
    far = c[2] + c[6]
    with np.errstate(invalid="ignore", divide="ignore"):
        # Sums over counts first, one division last: keeps e.g. agree of identical votes at
        # exactly 1 rather than 1 + 2e-16.
        observed = {
            "abs": (0.5 * near + far) / total,
            "sq": (0.25 * near + far) / total,
            "nominal": (near + far) / total,
        }
        p = [(c[3 * k] + c[3 * k + 1] + c[3 * k + 2]) / total for k in range(3)]  # a's shares
        q = [(c[k] + c[k + 3] + c[k + 6]) / total for k in range(3)]  # b's shares
        out: dict[str, np.ndarray] = {}
        for name in wanted:
            if name == "exact":
                out[name] = (c[0] + c[4] + c[8]) / total
            elif name == "agree":
                out[name] = 1 - observed["abs"]
            elif name == "s_abs":
                out[name] = 1 - 2 * (near + 2 * far) / (2 * total)
            elif name == "s_sq":
                out[name] = 1 - 2 * (near + 4 * far) / (4 * total)
            else:
                family, kind = name.split("_")
                if family == "kappa":
                    u, v = p, q
                else:
                    u = v = [(p[k] + q[k]) / 2 for k in range(3)]
                # Expected disagreement Σ u_k v_l δ(k, l), split as the observed one.
                e_near = u[0] * v[1] + u[1] * v[0] + u[1] * v[2] + u[2] * v[1]
                e_far = u[0] * v[2] + u[2] * v[0]
                weight_near = {"abs": 0.5, "sq": 0.25, "nominal": 1.0}[kind]
                expected = weight_near * e_near + e_far
                value = 1 - observed[kind] / expected
                out[name] = np.where(expected > 0, value, np.nan)
    return out


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


def _coded_votes(
    votes: pl.DataFrame,
    roll_calls: pl.DataFrame,
    *,
    by: Period,
    drop_unanimous: bool,
    lopsided_threshold: float | None,
    include_amendments: bool,
    important_only: bool,
    roll_call_ids: Collection[int] | None,
    weights_column: str | None,
    start: dt.date | None,
    end: dt.date | None,
) -> pl.DataFrame:
    """Votes cast (code 1/2/3) on the selected roll calls, with period and weight."""
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
    if by == "session":
        period = pl.col("session").cast(pl.Int64)
    elif by == "year":
        period = pl.col("date").dt.year().cast(pl.Int64)
    elif by is None:
        period = pl.lit(None, dtype=pl.Int64)
    else:
        raise ValueError(f"by must be 'session', 'year' or None, not {by!r}")
    weight = pl.lit(1.0) if weights_column is None else pl.col(weights_column).cast(pl.Float64)
    rc = rc.select("roll_call_id", period.alias("period"), weight.alias("weight"))
    v = (
        votes.lazy()
        .select(
            "roll_call_id",
            "iso3",
            pl.col("vote")
            .cast(pl.String)
            .replace_strict(VOTE_CODES, default=None, return_dtype=pl.Int8),
        )
        .drop_nulls(["vote", "iso3"])
        .join(rc, on="roll_call_id", how="inner")
    )
    if drop_unanimous or lopsided_threshold is not None:
        # Voeten drops unanimous roll calls by default: they say nothing about alignment and
        # only inflate every pair's agreement.
        counts = v.group_by("roll_call_id", "vote").agg(pl.len().alias("c"))
        shape = counts.group_by("roll_call_id").agg(
            pl.len().alias("options"), (pl.col("c").max() / pl.col("c").sum()).alias("share")
        )
        keep = pl.lit(True)
        if drop_unanimous:
            keep = keep & (pl.col("options") > 1)
        if lopsided_threshold is not None:
            keep = keep & (pl.col("share") <= lopsided_threshold)
        v = v.join(shape.filter(keep).select("roll_call_id"), on="roll_call_id", how="semi")
    return v.collect()


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
) -> pl.DataFrame:
    """Agreement of every pair of states per period, long format.

    ``votes``: roll_call_id, iso3, vote ('Y' | 'N' | 'A' | 'X'); ``roll_calls``: roll_call_id,
    date, session, kind, important (+ ``weights_column`` if given).

    Returns iso3_a, iso3_b, period (Int64: the session or the year; null when ``by`` is None,
    i.e. the whole window, and for roll calls without a session / date, sorted last), metric,
    value (Float64, NaN where undefined), n (common roll calls), with iso3_a < iso3_b, sorted
    by period, iso3_a, iso3_b, then metric in the requested order (``METRICS`` by default).
    Pairs without a common roll call in a period are left out.

    ``countries``: one state gives that state against every other; two or more give the pairs
    among them only. Roll call filters: ``drop_unanimous`` (every state that voted cast the same
    vote), ``lopsided_threshold`` (drop when the largest of yes / no / abstain exceeds this
    share of votes cast), ``include_amendments=False`` drops kinds 'amendment' and 'paragraph',
    ``important_only``, ``roll_call_ids`` (topic selection by the caller), ``start`` / ``end``
    (inclusive dates). ``weights_column`` names a roll_calls column of weights (weighted S and
    weighted means; see the module docstring). ``bootstrap`` > 0 adds percentile ``lower`` / ``upper`` columns from
    that many resamples of each pair's common roll calls (cost grows with the number of pairs:
    restrict ``countries`` for large windows).
    """
    wanted = _check_metrics(metrics)
    if bootstrap > 0 and not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    v = _coded_votes(
        votes,
        roll_calls,
        by=by,
        drop_unanimous=drop_unanimous,
        lopsided_threshold=lopsided_threshold,
        include_amendments=include_amendments,
        important_only=important_only,
        roll_call_ids=roll_call_ids,
        weights_column=weights_column,
        start=start,
        end=end,
    )
    focus = None if countries is None else sorted(set(countries))
    names = np.array(sorted(v["iso3"].unique().to_list()), dtype=object)
    n_states = len(names)
    # Dense indices computed once in polars: state (iso3 order) and roll call, numbered so
    # that each period's roll calls are consecutive (null period last); then numpy slices.
    period_key = pl.col("period").fill_null(pl.col("period").max() + 1).fill_null(0)
    rc_key = period_key * (1 << 32) + pl.col("roll_call_id")
    v = v.with_columns(
        pl.col("iso3").cast(pl.Enum(names.tolist())).to_physical().cast(pl.Int64).alias("s"),
        (rc_key.rank("dense").cast(pl.Int64) - 1).alias("r"),
    ).sort("r")
    s_all = v["s"].to_numpy()
    r_all = v["r"].to_numpy()
    code_all = v["vote"].to_numpy()
    w_all = v["weight"].to_numpy()
    per_all = v["period"].fill_null(0).to_numpy()
    null_all = v["period"].is_null().to_numpy()
    change = (per_all[1:] != per_all[:-1]) | (null_all[1:] != null_all[:-1])
    bounds_ix = [*np.flatnonzero(np.r_[True, change]).tolist(), len(v)] if len(v) else [0]

    ia, ib = _select_pairs(names, focus)
    in_pairs = np.zeros(n_states, dtype=bool)
    in_pairs[ia] = in_pairs[ib] = True
    pos = np.empty(n_states, dtype=np.int64)  # state -> row of the period's code matrix
    k = len(wanted)
    chunks: list[tuple[np.ndarray, np.ndarray, int | None, np.ndarray, np.ndarray]] = []
    boot: list[np.ndarray] = []
    for lo, hi in itertools.pairwise(bounds_ix):
        s_p, r_p, code_p = s_all[lo:hi], r_all[lo:hi] - r_all[lo], code_all[lo:hi]
        n_rc = r_p[-1] + 1
        # Only states that voted in the period and belong to a selected pair get a row: the
        # product costs states², and early sessions had a quarter of today's membership.
        present = np.zeros(n_states, dtype=bool)
        present[s_p] = True
        rows = np.flatnonzero(present & in_pairs)
        pos.fill(-1)
        pos[rows] = np.arange(len(rows))
        sel = np.flatnonzero(present[ia] & present[ib])
        pa, pb = pos[ia[sel]], pos[ib[sel]]
        ok = pos[s_p] >= 0
        codes = np.zeros((len(rows), n_rc), dtype=np.int8)
        codes[pos[s_p[ok]], r_p[ok]] = code_p[ok]
        w = None
        if weights_column is not None:
            w = np.zeros(n_rc)
            w[r_p] = w_all[lo:hi]
        tables = _pair_tables(_block_product(codes, w), pa, pb)
        if w is None:
            n = tables.sum(axis=0)
        else:
            cast = (codes > 0).astype(np.float64)
            n = (cast @ cast.T)[pa, pb]
        keep = np.flatnonzero(n > 0)  # pairs that never voted together in the period
        sc = _scores_flat(tables[:, keep], wanted)
        values = np.empty((len(keep), k))
        for j, m in enumerate(wanted):
            values[:, j] = sc[m]
        period = None if null_all[lo] else int(per_all[lo])
        chunks.append((ia[sel[keep]], ib[sel[keep]], period, np.rint(n[keep]), values))
        if bootstrap > 0:
            boot.append(
                _bootstrap_many(codes, w, pa[keep], pb[keep], wanted, bootstrap, level, seed)
            )

    a = np.concatenate([c[0] for c in chunks]) if chunks else np.zeros(0, np.int64)
    b = np.concatenate([c[1] for c in chunks]) if chunks else np.zeros(0, np.int64)
    per = np.concatenate([np.full(len(c[0]), c[2] or 0) for c in chunks]) if chunks else a
    has_null = any(c[2] is None for c in chunks)
    cnt = np.concatenate([c[3] for c in chunks]) if chunks else a
    val = np.concatenate([c[4] for c in chunks]) if chunks else np.zeros((0, k))
    # Long format: every pair row repeated once per metric, metrics in the requested order.
    # The pair columns are built once per pair, then repeated by one polars gather that runs
    # the columns in parallel (the string columns dominate the cost of a large result).
    name_series = pl.Series("iso3", names.tolist(), dtype=pl.String)
    pairs = pl.DataFrame(
        {
            "iso3_a": name_series.gather(a),
            "iso3_b": name_series.gather(b),
            "period": pl.Series(per, dtype=pl.Int64),
            "n": pl.Series(cnt, dtype=pl.Int64),
        }
    )
    if has_null:
        # Roll calls without a session / date (or by=None) have a null period.
        is_null = np.concatenate([np.full(len(c[0]), c[2] is None) for c in chunks])
        pairs = pairs.with_columns(period=pl.Series(per).set(pl.Series(is_null), None))
    long = pairs.select(pl.all().gather(pl.int_range(0, pl.len() * k) // k))
    metric_ix = pl.Series(np.tile(np.arange(k, dtype=np.int64), len(a)))
    extra = {
        "metric": pl.Series("metric", wanted, dtype=pl.String).gather(metric_ix),
        "value": pl.Series("value", val.ravel(), dtype=pl.Float64),
    }
    if bootstrap > 0:
        bd = np.concatenate(boot) if boot else np.zeros((0, k, 2))
        extra["lower"] = pl.Series("lower", bd[:, :, 0].ravel(), dtype=pl.Float64)
        extra["upper"] = pl.Series("upper", bd[:, :, 1].ravel(), dtype=pl.Float64)
    # NaN (kappa / pi without variation) stays NaN rather than null, like the numpy results.
    columns = ["iso3_a", "iso3_b", "period", "metric", "value", "n"]
    columns += [c for c in ("lower", "upper") if c in extra]
    return long.with_columns(**extra).select(columns)


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
    if by == "session":
        period = pl.col("session").cast(pl.Int64)
    elif by == "year":
        period = pl.col("date").dt.year().cast(pl.Int64)
    elif by is None:
        period = pl.lit(None, dtype=pl.Int64)
    else:
        raise ValueError(f"by must be 'session', 'year' or None, not {by!r}")
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
