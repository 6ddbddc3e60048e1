"""Clusters and the 2-D map, on hand-worked cases."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from alignment import clusters


def frame(rows: dict[str, str]) -> pl.DataFrame:
    """Votes from {iso3: 'YNA...'}: one letter per roll call 1, 2, ..."""
    out = [
        {"roll_call_id": j + 1, "iso3": iso3, "vote": v}
        for iso3, letters in rows.items()
        for j, v in enumerate(letters)
    ]
    return pl.DataFrame(out)


def test_vote_codes_orders_states_and_calls_and_skips_x():
    states, calls, codes = clusters.vote_codes(frame({"BBB": "YX", "AAA": "NA"}))
    assert states == ["AAA", "BBB"]
    assert calls == [1, 2]
    assert codes.tolist() == [[3, 2], [1, 0]]


def test_distance_is_one_minus_agree_by_hand():
    # A and B: Y/Y, Y/A, N/Y, A/A -> d = 0, 1, 2, 0 -> agree = 1 - (0 + .5 + 1 + 0) / 4 = 0.625
    _, _, codes = clusters.vote_codes(frame({"A": "YYNA", "B": "YAYA"}))
    d, kept = clusters.distance_matrix(codes, min_n=1)
    assert kept.tolist() == [True, True]
    assert d[0, 1] == pytest.approx(0.375)
    assert d[0, 0] == 0


def test_state_with_too_few_common_votes_is_left_out():
    votes = frame({"A": "YYNNY", "B": "YYNNA", "C": "NNYYY", "D": "XXXXY"})
    _, _, codes = clusters.vote_codes(votes)
    _, kept = clusters.distance_matrix(codes, min_n=3)
    assert kept.tolist() == [True, True, True, False]


def two_camps() -> pl.DataFrame:
    return frame(
        {
            "A1": "YYYNNY",
            "A2": "YYYNNY",
            "A3": "YYANNY",
            "B1": "NNNYYN",
            "B2": "NNNYYN",
            "B3": "NNNYAN",
        }
    )


@pytest.mark.parametrize("method", clusters.METHODS)
def test_two_camps_are_two_clusters(method):
    _, _, codes = clusters.vote_codes(two_camps())
    d, _ = clusters.distance_matrix(codes, min_n=1)
    labels = clusters.cluster(d, 2, method=method)
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]


def test_embedding_keeps_the_camps_apart_and_is_deterministic():
    _, _, codes = clusters.vote_codes(two_camps())
    d, _ = clusters.distance_matrix(codes, min_n=1)
    xy = clusters.embed(d)
    assert xy.shape == (6, 2)
    # Identical voters sit on the same point; the camps sit on opposite sides of the first axis.
    assert np.allclose(xy[0], xy[1], atol=1e-6)
    assert np.sign(xy[0, 0]) == -np.sign(xy[3, 0])
    assert xy[np.argmax(np.abs(xy[:, 0])), 0] > 0
    assert np.allclose(clusters.embed(d), xy)
    # Classical MDS of distances that are Euclidean in 1-D recovers them on the first axis.
    line = np.abs(np.subtract.outer([0.0, 1.0, 3.0], [0.0, 1.0, 3.0]))
    flat = clusters.embed(line)
    assert np.abs(flat[:, 0][:, None] - flat[:, 0][None, :]) == pytest.approx(line)
    assert flat[:, 1] == pytest.approx(0, abs=1e-6)


def test_stability_is_one_for_clear_camps():
    _, _, codes = clusters.vote_codes(two_camps())
    d, _ = clusters.distance_matrix(codes, min_n=1)
    labels = clusters.cluster(d, 2)
    ari = clusters.bootstrap_stability(codes, labels, 2, n_boot=20, seed=1)
    # Every resample keeps A's and B's votes opposite on most calls: the same partition.
    assert ari.min() == pytest.approx(1.0)


def test_state_map_carries_bloc_labels():
    labels = pl.DataFrame({"iso3": ["A1", "B1"], "bloc": ["west", "east"]})
    m = clusters.state_map(two_camps(), k=2, labels=labels, n_boot=5, min_n=1)
    pts = m.points
    assert pts.columns == ["iso3", "x", "y", "cluster", "cluster_spectral", "bloc"]
    assert pts["iso3"].to_list() == ["A1", "A2", "A3", "B1", "B2", "B3"]
    assert pts.filter(pl.col("iso3") == "A1")["bloc"].item() == "west"
    assert pts.filter(pl.col("iso3") == "A2")["bloc"].item() is None
    assert pts["cluster"].to_list() == [0, 0, 0, 1, 1, 1]
    assert set(m.stability) == {"hierarchical", "spectral"}
    assert m.n_roll_calls == 6


def test_roll_call_selection():
    votes = two_camps()
    m = clusters.state_map(votes, roll_call_ids=[1, 2, 3], k=2, n_boot=0, min_n=1)
    assert m.n_roll_calls == 3
    assert m.stability == {}


def test_missing_pairs_get_the_mean_distance_of_the_others() -> None:
    # Pairs (0, 1) agree 0.8 and (0, 2) 0.6 on 10 roll calls; (1, 2) share 2, under min_n:
    # its distance is the mean of the other pairs' (0.2 and 0.4: 0.3), the zero diagonal
    # left out of that mean.
    agree = np.array([[1.0, 0.8, 0.6], [0.8, 1.0, 0.5], [0.6, 0.5, 1.0]])
    n = np.array([[10, 10, 10], [10, 10, 2], [10, 2, 10]])
    d = clusters._distance(agree, n, min_n=5)
    np.testing.assert_allclose(d, [[0, 0.2, 0.4], [0.2, 0, 0.3], [0.4, 0.3, 0]])


def test_a_replicate_of_unit_weights_is_the_map_distance() -> None:
    """The bootstrap builds each replicate's distance as the map does: drawing every roll call
    once gives the map's own distance, min_n included."""
    rng = np.random.default_rng(4)
    codes = rng.choice([0, 1, 2, 3], size=(12, 40), p=[0.3, 0.4, 0.15, 0.15]).astype(np.int8)
    codes[0, 5:] = 0  # state 0 votes on five roll calls only: below min_n with most partners
    d, kept = clusters.distance_matrix(codes, min_n=5, min_share=0.0)
    assert kept.all()
    agree, n = clusters.agreement_from_codes(codes, np.ones(codes.shape[1]))
    np.testing.assert_allclose(clusters._distance(agree, n, 5), d)
    assert (n[0, 1:] < 5).any()  # the fill was exercised
