"""Clusters of states and a 2-D map of them, from how they vote.

Distances. For states a, b the distance is ``1 - agree(a, b)``, with ``agree`` the agreement
index of :mod:`alignment.metrics` (mean of 1 - |x - y| / 2 over the roll calls where both cast
yes, abstain or no). States sharing fewer than ``min_n`` such roll calls with too many others
are left out (see :func:`distance_matrix`); remaining missing pairs get the mean distance.

Methods (scikit-learn, on the precomputed distances):

- ``hierarchical``: agglomerative clustering, average linkage (UPGMA) on ``1 - agree``;
- ``spectral``: spectral clustering on the affinity ``agree = 1 - distance``.

Map. Classical MDS (principal coordinates) of the distance matrix: deterministic, the first two
axes; each axis is signed so that its coordinate of largest magnitude is positive, which keeps
maps of the same data identical from run to run.

Stability. Roll calls are resampled with replacement ``n_boot`` times; each replicate recomputes
the distances of the same states (from the same library code) and re-clusters them; the adjusted
Rand index (ARI) between the replicate's clusters and those of the full data measures how much
the clusters depend on the particular roll calls (1 = always the same partition).

Frames are polars in and out; a bloc label per state (any column) travels with the points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from alignment.metrics import contingency_tables, scores_from_tables
from alignment.vocabulary import VOTE_CODES

# scikit-learn is imported where it is used: importing it takes seconds, which every command
# line call importing this module (through alignment.reports) would otherwise pay.

METHODS = ("hierarchical", "spectral")


def vote_codes(
    votes: pl.DataFrame, roll_call_ids: Sequence[int] | None = None
) -> tuple[list[str], list[int], np.ndarray]:
    """(states, roll calls, codes): a states x roll calls matrix, 1 yes, 2 abstain, 3 no, 0 none.

    ``votes``: roll_call_id, iso3, vote (Y/N/A/X); X and missing rows are 0.
    """
    v = votes.select("roll_call_id", "iso3", "vote")
    if roll_call_ids is not None:
        v = v.filter(pl.col("roll_call_id").is_in(list(roll_call_ids)))
    v = v.filter(pl.col("vote").is_in(list(VOTE_CODES)))
    states = sorted(v["iso3"].unique().to_list())
    calls = sorted(v["roll_call_id"].unique().to_list())
    codes = np.zeros((len(states), len(calls)), dtype=np.int8)
    if v.height:
        rows = v["iso3"].replace_strict(states, list(range(len(states))), return_dtype=pl.Int64)
        cols = v["roll_call_id"].replace_strict(
            calls, list(range(len(calls))), return_dtype=pl.Int64
        )
        code = v["vote"].replace_strict(VOTE_CODES, return_dtype=pl.Int8)
        codes[rows.to_numpy(), cols.to_numpy()] = code.to_numpy()
    return states, calls, codes


def agreement_from_codes(
    codes: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(agree, n): the agreement index and the (weighted) number of common roll calls of every
    pair."""
    tables = contingency_tables(codes, weights)
    n = tables.sum(axis=(2, 3))
    agree = scores_from_tables(tables, ["agree"])["agree"]
    return agree, n


def _distance(agree: np.ndarray, n: np.ndarray, min_n: int) -> np.ndarray:
    """``1 - agree``, symmetric, 0 on the diagonal; a pair with fewer than ``min_n`` common
    roll calls gets the mean distance of the other pairs (the diagonal left out of it)."""
    d = 1.0 - agree
    d[n < min_n] = np.nan
    np.fill_diagonal(d, 0.0)
    if np.isnan(d).any():
        off = d[~np.eye(len(d), dtype=bool)]
        fill = float(np.nanmean(off)) if len(d) > 1 and not np.isnan(off).all() else 0.0
        d = np.where(np.isnan(d), fill, d)
    return (d + d.T) / 2


def distance_matrix(
    codes: np.ndarray, *, min_n: int = 5, min_share: float = 0.9
) -> tuple[np.ndarray, np.ndarray]:
    """(distance, kept): ``1 - agree`` among the states kept, and the boolean mask of those.

    A state is kept when it shares at least ``min_n`` roll calls with at least ``min_share`` of
    the other states (dropping, one at a time, the state with the fewest such partners).
    """
    agree, n = agreement_from_codes(codes)
    ok = n >= min_n
    kept = np.ones(len(codes), dtype=bool)
    while kept.sum() > 1:
        idx = np.flatnonzero(kept)
        sub = ok[np.ix_(idx, idx)]
        partners = sub.sum(axis=1) - sub.diagonal()
        worst = int(np.argmin(partners))
        if partners[worst] >= min_share * (len(idx) - 1):
            break
        kept[idx[worst]] = False
    idx = np.flatnonzero(kept)
    return _distance(agree[np.ix_(idx, idx)], n[np.ix_(idx, idx)], min_n), kept


def cluster(
    distance: np.ndarray, k: int, *, method: str = "hierarchical", seed: int = 0
) -> np.ndarray:
    """Cluster labels (0..k-1, numbered by first appearance) from a distance matrix."""
    n = len(distance)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    k = max(1, min(k, n))
    if k == 1:
        return np.zeros(n, dtype=np.int64)
    from sklearn.cluster import AgglomerativeClustering, SpectralClustering

    if method == "hierarchical":
        model = AgglomerativeClustering(n_clusters=k, metric="precomputed", linkage="average")
        labels = model.fit_predict(distance)
    else:
        affinity = np.clip(1.0 - distance, 0.0, 1.0)
        model = SpectralClustering(
            n_clusters=k,
            affinity="precomputed",
            random_state=seed,
            assign_labels="discretize",
            eigen_solver="lobpcg",  # 3x faster than ARPACK's shift-invert on ~200 states
        )
        labels = model.fit_predict(affinity)
    return _renumber(labels)


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Labels numbered 0, 1, ... in order of first appearance (stable across methods)."""
    order: dict[int, int] = {}
    for lab in labels:
        order.setdefault(int(lab), len(order))
    return np.array([order[int(lab)] for lab in labels], dtype=np.int64)


def embed(distance: np.ndarray) -> np.ndarray:
    """(states, 2) classical MDS coordinates; each axis signed so its largest |value| is > 0."""
    n = len(distance)
    if n < 3:
        # Two points: the distance on the first axis; one point: the origin.
        out = np.zeros((n, 2))
        if n == 2:
            out[1, 0] = distance[0, 1]
        return out
    from sklearn.manifold import ClassicalMDS

    coords = ClassicalMDS(n_components=2, metric="precomputed").fit_transform(distance)
    coords = np.asarray(coords, dtype=np.float64)
    for j in range(coords.shape[1]):
        if coords[np.argmax(np.abs(coords[:, j])), j] < 0:
            coords[:, j] = -coords[:, j]
    return coords


def bootstrap_stability(
    codes: np.ndarray,
    labels: np.ndarray,
    k: int,
    *,
    method: str = "hierarchical",
    n_boot: int = 50,
    min_n: int = 5,
    seed: int = 0,
) -> np.ndarray:
    """ARI of each of ``n_boot`` replicates (roll calls resampled) with ``labels``.

    ``codes``: the states x roll calls matrix of the states that ``labels`` describe. Each
    replicate's distance is made as the map's (:func:`distance_matrix`, same ``min_n``), from
    the roll calls weighted by how often each was drawn.
    """
    return _stability(codes, {method: labels}, k, n_boot=n_boot, min_n=min_n, seed=seed)[method]


def _stability(
    codes: np.ndarray,
    labels: dict[str, np.ndarray],
    k: int,
    *,
    n_boot: int,
    min_n: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """:func:`bootstrap_stability` of several methods' ``labels`` (method -> labels) on the
    same replicates: each replicate's distance is built once and clustered by every method."""
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(seed)
    n_calls = codes.shape[1]
    out = {method: np.empty(n_boot) for method in labels}
    for b in range(n_boot):
        w = np.bincount(rng.integers(0, n_calls, size=n_calls), minlength=n_calls)
        d = _distance(*agreement_from_codes(codes, w.astype(np.float64)), min_n)
        for method, lab in labels.items():
            out[method][b] = adjusted_rand_score(lab, cluster(d, k, method=method, seed=seed))
    return out


@dataclass
class StateMap:
    """The map: one row per state, and the stability of its clusters."""

    points: pl.DataFrame  # iso3, x, y, cluster, cluster_spectral, + label columns
    k: int
    stability: dict[str, float] = field(default_factory=dict)  # method -> mean ARI
    stability_sd: dict[str, float] = field(default_factory=dict)
    n_roll_calls: int = 0
    n_boot: int = 0  # bootstrap resamples behind ``stability`` (0: not computed)


def state_map(
    votes: pl.DataFrame,
    *,
    roll_call_ids: Sequence[int] | None = None,
    k: int = 4,
    labels: pl.DataFrame | None = None,
    n_boot: int = 50,
    min_n: int = 5,
    seed: int = 0,
) -> StateMap:
    """Cluster and embed the states from their votes on ``roll_call_ids`` (all when None).

    ``labels``: a frame with ``iso3`` and any columns (e.g. ``bloc``) joined onto the points.
    Returns :class:`StateMap` with points ``iso3, x, y, cluster, cluster_spectral`` (+ labels)
    and the mean bootstrap ARI of each method.

    BLAS and OpenMP run on one thread here: the matrices are small (states x states), and on a
    busy machine a multi-threaded BLAS waits on its own threads (measured in the design notes).
    """
    # Load scikit-learn (and with it SciPy's own BLAS) first: a limit set before a BLAS
    # library is loaded does not apply to it.
    import importlib

    from threadpoolctl import threadpool_limits

    for module in ("sklearn.cluster", "sklearn.manifold", "sklearn.metrics"):
        importlib.import_module(module)

    with threadpool_limits(1):
        return _state_map(votes, roll_call_ids, k, labels, n_boot, min_n, seed)


def _state_map(
    votes: pl.DataFrame,
    roll_call_ids: Sequence[int] | None,
    k: int,
    labels: pl.DataFrame | None,
    n_boot: int,
    min_n: int,
    seed: int,
) -> StateMap:
    states, calls, codes = vote_codes(votes, roll_call_ids)
    d, kept = distance_matrix(codes, min_n=min_n)
    kept_states = [s for s, keep in zip(states, kept, strict=True) if keep]
    codes = codes[kept]
    coords = embed(d)
    hier = cluster(d, k, method="hierarchical", seed=seed)
    spec = cluster(d, k, method="spectral", seed=seed) if len(kept_states) > k else hier
    points = pl.DataFrame(
        {
            "iso3": kept_states,
            "x": coords[:, 0] if len(coords) else [],
            "y": coords[:, 1] if len(coords) else [],
            "cluster": hier,
            "cluster_spectral": spec,
        },
        schema={
            "iso3": pl.String,
            "x": pl.Float64,
            "y": pl.Float64,
            "cluster": pl.Int64,
            "cluster_spectral": pl.Int64,
        },
    )
    if labels is not None:
        points = points.join(labels, on="iso3", how="left", maintain_order="left")
    stability: dict[str, float] = {}
    spread: dict[str, float] = {}
    if n_boot > 0 and len(kept_states) > k:
        labelled = {"hierarchical": hier, "spectral": spec}
        for method, ari in _stability(
            codes, labelled, k, n_boot=n_boot, min_n=min_n, seed=seed
        ).items():
            stability[method] = float(np.mean(ari))
            spread[method] = float(np.std(ari))
    return StateMap(
        points,
        min(k, len(kept_states)),
        stability,
        spread,
        len(calls),
        n_boot if stability else 0,
    )
