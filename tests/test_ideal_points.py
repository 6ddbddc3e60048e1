"""Tests of the dynamic ordinal ideal point model: its data rules, the sampler (method mcmc),
and the estimates of either method (the EM's own tests: tests/test_em.py)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from scipy.special import ndtr

from alignment import analyses, sampler
from alignment.convergence import diagnostics
from alignment.ideal_points import (
    PRIORS,
    SUMMARY_SCHEMA,
    Posterior,
    Priors,
    _cells,
    _chain,
    _Data,
    _encode,
    _orient,
    estimate_ideal_points,
    prepare_votes,
    sample_posterior,
)

_CODES = np.array(["N", "A", "Y"])


def simulate(
    n_states: int = 60, n_sessions: int = 8, n_roll_calls: int = 300, seed: int = 1
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Votes drawn from the model: random-walk positions (first N(0, 1), steps N(0, 0.3²)),
    discriminations from the model's prior N(0, 1), an ordered probit with two cutpoints."""
    rng = np.random.default_rng(seed)
    start = rng.normal(0.0, 1.0, n_states)
    steps = rng.normal(0.0, 0.3, (n_states, n_sessions - 1))
    x = np.column_stack([start, start[:, None] + np.cumsum(steps, axis=1)])
    x[0] = -np.abs(x[0]) - 0.5  # USA placed on the negative side: the sign must flip
    states = ["USA", *[f"S{i:02d}" for i in range(1, n_states)]]
    session = np.sort(rng.integers(0, n_sessions, n_roll_calls)) + 1
    beta = rng.normal(0.0, 1.0, n_roll_calls)
    mid = rng.normal(0.0, 1.0, n_roll_calls)
    half = rng.uniform(0.1, 0.6, n_roll_calls)
    eta = beta[None, :] * x[:, session - 1]
    u = rng.uniform(size=eta.shape)
    p_no = ndtr(mid - half - eta)
    p_not_yes = ndtr(mid + half - eta)
    cat = np.where(u < p_no, 0, np.where(u < p_not_yes, 1, 2))
    member = rng.uniform(size=eta.shape) > 0.05  # a few absences
    rows, cols = np.nonzero(member)
    votes = pl.DataFrame(
        {
            "roll_call_id": cols.astype(np.int64),
            "iso3": np.array(states)[rows],
            "vote": _CODES[cat[rows, cols]],
        }
    )
    roll_calls = pl.DataFrame(
        {
            "roll_call_id": np.arange(n_roll_calls, dtype=np.int64),
            "rcid": np.arange(n_roll_calls, dtype=np.int64),
            "session": session.astype(np.int64),
            "date": [dt.date(1950 + int(s), 10, 1) for s in session],
            "kind": ["resolution"] * n_roll_calls,
        }
    )
    truth = pl.DataFrame(
        {
            "iso3": np.repeat(states, n_sessions),
            "session": np.tile(np.arange(1, n_sessions + 1), n_states).astype(np.int64),
            "truth": x.ravel(),
        }
    )
    return votes, roll_calls, truth


def _coverage(est: pl.DataFrame, truth: pl.DataFrame) -> tuple[float, float, int]:
    """Correlation with the truth and coverage of the intervals, the truth put on the
    estimate's scale first (the standardisation of the draws fixes location and scale)."""
    joined = est.join(truth, on=["iso3", "session"])
    t = -joined["truth"].to_numpy()  # the truth puts USA negative; the estimate flips it
    x = joined["ideal_point"].to_numpy()
    slope, intercept = np.polyfit(t, x, 1)
    t = intercept + slope * t
    covered = (joined["lower"].to_numpy() <= t) & (t <= joined["upper"].to_numpy())
    return float(np.corrcoef(x, t)[0, 1]), float(covered.mean()), joined.height


def test_recovers_simulated_positions_with_calibrated_intervals() -> None:
    # Measured over seeds 1-3 (1,440 positions): r 0.971-0.974, 90% intervals cover 0.90-0.92
    # (mean 0.91), 50% intervals 0.50-0.52; over seeds 1-10: r 0.972, coverage 0.905 and 0.496.
    covered90, covered50 = [], []
    for seed in (1, 2, 3):
        votes, roll_calls, truth = simulate(seed=seed)
        posterior = sample_posterior(votes, roll_calls, drop_sessions=())
        est = posterior.summary(0.9)
        r, cover, n = _coverage(est, truth)
        assert n == 60 * 8
        assert r > 0.95, r
        covered90.append(cover)
        covered50.append(_coverage(posterior.summary(0.5), truth)[1])
        assert (est["lower"] < est["ideal_point"]).all()
        assert (est["ideal_point"] < est["upper"]).all()
    assert 0.85 <= np.mean(covered90) <= 0.95, covered90
    assert 0.42 <= np.mean(covered50) <= 0.58, covered50


def _tridiagonal(noise: np.ndarray) -> np.ndarray:
    # Q = [[2,-1,0],[-1,2,-1],[0,-1,2]] (one state's three cells), b = (1, 0, 1).
    x, chol, sub = np.zeros(3), np.zeros(3), np.zeros(3)
    diag, step, rhs = np.full(3, 2.0), np.array([0.0, 1.0, 1.0]), np.array([1.0, 0.0, 1.0])
    sampler.tridiagonal_draw(diag, step, rhs, noise, np.array([0, 3]), x, chol, sub)
    return x


def test_tridiagonal_draw_has_the_precision_matrix_inverse_as_covariance() -> None:
    # Q⁻¹ = [[3,2,1],[2,4,2],[1,2,3]] / 4, worked by hand; the mean Q⁻¹b = (1, 1, 1).
    mean = _tridiagonal(np.zeros(3))
    np.testing.assert_allclose(mean, [1.0, 1.0, 1.0])
    # x(e_k) - x(0) is the k-th column of L⁻ᵀ; their outer products sum to Q⁻¹.
    columns = [_tridiagonal(np.eye(3)[k]) - mean for k in range(3)]
    covariance = sum(np.outer(c, c) for c in columns)
    np.testing.assert_allclose(covariance, np.array([[3, 2, 1], [2, 4, 2], [1, 2, 3]]) / 4)


def _data(state: list[int], period: list[int], category: list[int], item: list[int]) -> _Data:
    return _Data(
        item=np.array(item),
        state=np.array(state),
        period=np.array(period),
        category=np.array(category),
        states=["AAA", "BBB"],
        periods=np.array([18, 20, 21]),
        n_items=max(item) + 1,
    )


def test_random_walk_links_a_states_sessions_by_the_sessions_elapsed() -> None:
    # AAA votes in sessions 18 (twice), 20 and 21; BBB in 20 only.
    data = _data([0, 0, 0, 0, 1], [0, 0, 1, 2, 1], [0, 2, 2, 1, 0], [0, 1, 2, 3, 2])
    cells, vote_cell = _cells(data, step_sd=0.5)
    assert vote_cell.tolist() == [0, 0, 1, 2, 3]
    assert cells.state.tolist() == [0, 0, 0, 1]
    assert cells.n_votes.tolist() == [2, 1, 1, 1]
    # 18 -> 20 spans two sessions (variance 2 x 0.25), 20 -> 21 one (0.25); first cells: 0.
    assert cells.step_precision.tolist() == [0.0, 2.0, 4.0, 0.0]


def _one_item_chain(category: int, n: int) -> sampler.Chain:
    data = _Data(
        item=np.zeros(n, dtype=np.int64),
        state=np.arange(n),
        period=np.zeros(n, dtype=np.int64),
        category=np.full(n, category),
        states=[f"S{i}" for i in range(n)],
        periods=np.array([1]),
        n_items=1,
    )
    cells, vote_cell = _cells(data, step_sd=0.5)
    return _chain(data, cells, vote_cell, np.zeros(n), priors=PRIORS, seed=3)


@pytest.mark.parametrize(
    ("category", "g1", "g2", "lo", "hi"),
    [(2, -1.0, 1.0, 1.0, np.inf), (0, -1.0, 1.0, -np.inf, -1.0), (1, -1.0, 1.0, -1.0, 1.0),
     (1, 3.0, 4.0, 3.0, 4.0), (2, -7.0, 6.0, 6.0, np.inf), (0, -6.5, 7.0, -np.inf, -6.5)],
)  # fmt: skip
def test_latent_utilities_are_truncated_normals(category, g1, g2, lo, hi) -> None:
    # E[e | lo < e < hi] = (φ(lo) - φ(hi)) / (Φ(hi) - Φ(lo)) for a standard normal e; the
    # positions are 0, so the utilities are the errors themselves. The last two cases lie in
    # the tails (expected 6.158 and -6.652), where the sampler switches to its exponential
    # proposal.
    chain = _one_item_chain(category, 200_000)
    chain.g1[:], chain.g2[:] = g1, g2
    chain.draw_utilities()
    z = chain.z
    assert (z >= lo).all() and (z <= hi).all()

    def pdf(v: float) -> float:
        return 0.0 if np.isinf(v) else float(np.exp(-v * v / 2) / np.sqrt(2 * np.pi))

    expected = (pdf(lo) - pdf(hi)) / (ndtr(hi) - ndtr(lo))
    assert z.mean() == pytest.approx(expected, abs=0.005)
    # The spread too: Var = 1 + (lo φ(lo) - hi φ(hi)) / P - mean², (0·∞ taken as 0).
    term = lambda v: 0.0 if np.isinf(v) else v * pdf(v)  # noqa: E731
    variance = 1 + (term(lo) - term(hi)) / (ndtr(hi) - ndtr(lo)) - expected**2
    assert z.var() == pytest.approx(variance, rel=0.02)


def test_cutpoint_step_samples_the_cutpoints_posterior() -> None:
    # One item, positions 0: P(no) = Φ(γ1), P(abstain) = Φ(γ2) - Φ(γ1). With 2,000 votes
    # (500 no, 300 abstain, 1,200 yes) under the flat prior the posterior sits at the
    # maximum likelihood, γ1 = Φ⁻¹(0.25) = -0.674, γ2 = Φ⁻¹(0.40) = -0.253, with sd
    # sqrt(p(1-p)/n)/φ(γ) = 0.030 and 0.028: the Metropolis chain's mean must land there.
    category = np.repeat([0, 1, 2], [500, 300, 1200])
    chain = _one_item_chain(0, len(category))
    chain.category[:] = category
    chain.g1[:], chain.g2[:] = -2.0, 2.0  # far from the posterior: the chain must travel
    draws = []
    for sweep in range(20_000):  # proposals of sd 0.2 against a posterior sd of 0.03: slow
        sampler._cutpoints(chain.rng, chain.ptr, chain.cell, chain.category, chain.x,
                           chain.beta, chain.g1, chain.g2, 7.0, 0.2)  # fmt: skip
        if sweep >= 500:
            draws.append((chain.g1[0], chain.g2[0]))
    mean, sd = np.mean(draws, axis=0), np.std(draws, axis=0)
    np.testing.assert_allclose(mean, [-0.674, -0.253], atol=0.01)
    np.testing.assert_allclose(sd, [0.030, 0.028], rtol=0.15)


def test_thinning_keeps_every_thin_th_sweep() -> None:
    votes, roll_calls, _ = simulate(n_states=20, n_sessions=3, n_roll_calls=40, seed=5)
    data = _encode(prepare_votes(votes, roll_calls, drop_sessions=()), roll_calls, None)
    cells, vote_cell = _cells(data, step_sd=0.5)
    start = np.linspace(-1, 1, len(cells.state))

    def chain() -> sampler.Chain:
        return _chain(data, cells, vote_cell, start, priors=PRIORS, seed=7)

    every = chain().run(2, 9)  # sweeps 3..11
    thinned = chain().run(2, 3, thin=3)  # sweeps 5, 8, 11
    np.testing.assert_array_equal(thinned, every[[2, 5, 8]])


def test_sweeps_keep_every_utility_on_its_votes_side_and_cutpoints_ordered() -> None:
    votes, roll_calls, _ = simulate(n_states=30, n_sessions=3, n_roll_calls=60, seed=4)
    data = _encode(prepare_votes(votes, roll_calls, drop_sessions=()), roll_calls, None)
    cells, vote_cell = _cells(data, step_sd=0.5)
    start = np.linspace(-1, 1, len(cells.state))
    chain = _chain(data, cells, vote_cell, start, priors=PRIORS, seed=0)
    accepted = []
    for _ in range(30):
        chain.run(0, 1)
        g1, g2 = chain.g1[chain.item], chain.g2[chain.item]
        inside = np.where(
            chain.category == 0,
            chain.z <= g1,
            np.where(chain.category == 1, (g1 <= chain.z) & (chain.z <= g2), chain.z >= g2),
        )
        assert inside.all()
        assert (chain.g1 <= chain.g2).all() and (np.abs(chain.g1) <= 7).all()
        assert abs(chain.x.mean()) < 1e-12 and chain.x.std(ddof=1) == pytest.approx(1.0)
        accepted.append(chain.acceptance)
    # The cutpoint proposals are neither all taken nor none.
    assert 0.2 < np.mean(accepted) < 0.95


def test_posterior_summary_is_the_mean_and_central_quantiles_of_all_draws() -> None:
    draws = np.arange(102, dtype=np.float32).reshape(2, 51, 1)  # chains 0-50 and 51-101
    posterior = Posterior(np.array(["AAA"]), np.array([1]), np.array([7]), draws)
    summary = posterior.summary(0.9)
    assert summary.schema == pl.Schema(SUMMARY_SCHEMA)
    row = summary.row(0, named=True)
    # Quantiles of 0..101 at 0.05 and 0.95 (linear): 101·0.05 = 5.05, 101·0.95 = 95.95.
    assert {k: row[k] for k in ("iso3", "period_type", "period", "session", "vote_set",
                                "ideal_point", "lower", "upper", "n_votes")} == {
        "iso3": "AAA", "period_type": "session", "period": 1, "session": 1, "vote_set": "all",
        "ideal_point": 50.5, "lower": pytest.approx(5.05), "upper": pytest.approx(95.95),
        "n_votes": 7}  # fmt: skip
    rhat, bulk, tail = diagnostics(draws)
    assert (row["rhat"], row["ess_bulk"], row["ess_tail"]) == (rhat[0], bulk[0], tail[0])
    assert row["rhat"] > 1.5  # the two chains never overlap
    with pytest.raises(ValueError, match="interval must be between 0 and 1"):
        posterior.summary(1.5)
    years = Posterior(np.array(["AAA"]), np.array([1990]), np.array([7]), draws, "year", "all")
    assert years.summary().row(0, named=True)["session"] is None


def test_chains_are_oriented_alike_and_the_anchor_positive() -> None:
    chain = np.array([[1.0, -2.0, 0.5], [1.2, -1.8, 0.4]])
    oriented = _orient(np.stack([chain, -chain]), anchor_cells=np.array([1]))
    np.testing.assert_allclose(oriented, np.stack([-chain, -chain]))


def test_same_seed_same_estimates_another_seed_close() -> None:
    votes, roll_calls, _ = simulate(n_states=30, n_sessions=3, n_roll_calls=90, seed=3)
    options = {"method": "mcmc", "drop_sessions": ()}
    first = estimate_ideal_points(votes, roll_calls, seed=5, **options)
    assert first.equals(estimate_ideal_points(votes, roll_calls, seed=5, **options))
    other = estimate_ideal_points(votes, roll_calls, seed=6, **options)
    assert not first.equals(other)
    assert np.corrcoef(first["ideal_point"], other["ideal_point"])[0, 1] > 0.98


@pytest.mark.parametrize(
    ("option", "message"),
    [({"method": "mcmc", "draws": 0}, "draws must be at least 1"),
     ({"method": "mcmc", "chains": 0}, "chains must be at least 1"),
     ({"method": "mcmc", "burn_in": -1}, "burn_in must be at least 0"),
     ({"step_sd": 0}, "step_sd must be positive"),
     ({"bootstrap": -1}, "bootstrap must be at least 0"),
     ({"draws": 10}, "options of the sampler only, not of method em: draws"),
     ({"method": "gibbs"}, "method must be one of em, mcmc, not 'gibbs'"),
     ({"interval": 1.0}, "interval must be between 0 and 1")],
)  # fmt: skip
def test_bad_options_are_refused_before_estimating(option, message) -> None:
    votes, roll_calls, _ = simulate(n_states=5, n_sessions=2, n_roll_calls=10, seed=1)
    with pytest.raises(ValueError, match=message):
        estimate_ideal_points(votes, roll_calls, **option)


@pytest.mark.parametrize("name", ["step_sd", "beta_sd", "cut_step"])
def test_priors_of_no_width_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match=f"{name} must be positive, not 0"):
        Priors(**{name: 0})


def test_em_estimates_do_not_depend_on_the_order_of_the_rows() -> None:
    """The same votes in another order (a store may return them so) and bridged roll calls
    in one session: the same estimates, bit for bit."""
    votes, roll_calls, _ = simulate(n_states=30, n_sessions=3, n_roll_calls=90, seed=3)
    matches = pl.DataFrame({"rcid1": [0, 1, 40], "rcid2": [2, 60, 85]})  # 0-2 in one session
    options = {"drop_sessions": (), "matches": matches, "bootstrap": 5}
    first = estimate_ideal_points(votes, roll_calls, **options)
    shuffled = votes.sample(fraction=1.0, shuffle=True, seed=1)
    again = estimate_ideal_points(shuffled, roll_calls.reverse(), **options)
    assert first.equals(again)


def test_bridged_roll_calls_share_item_parameters() -> None:
    votes, roll_calls, _ = simulate(n_states=20, n_sessions=3, n_roll_calls=30, seed=2)
    prepared = prepare_votes(votes, roll_calls, drop_sessions=(), drop_unanimous=False)
    matches = pl.DataFrame({"rcid1": [0, 3, 4], "rcid2": [25, 4, 29]})  # 3-4-29 chain
    data = _encode(prepared, roll_calls, matches)
    item = dict(zip(prepared["roll_call_id"].to_list(), data.item.tolist(), strict=True))
    assert item[0] == item[25]
    assert item[3] == item[4] == item[29]
    assert len({item[0], item[3], item[1]}) == 3
    assert data.n_items == 30 - 3


@pytest.mark.parametrize("method", ["em", "mcmc"])
def test_anchor_is_positive(method: str) -> None:
    votes, roll_calls, _ = simulate(n_states=30, n_sessions=3, n_roll_calls=90, seed=3)
    for anchor in ("USA", "S05"):
        est = estimate_ideal_points(
            votes, roll_calls, method=method, drop_sessions=(), anchor=anchor
        )
        assert est.filter(pl.col("iso3") == anchor)["ideal_point"].mean() > 0
        assert est["method"].unique().to_list() == [method]


def _frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    rows = [
        (1, 10, 18, dt.date(1963, 10, 1), "amendment"),
        (2, 20, 19, dt.date(1965, 1, 1), "resolution"),
        (3, 30, 20, dt.date(1965, 10, 1), "paragraph"),
        (4, 40, 45, dt.date(1990, 10, 1), "amendment"),
        (5, 50, 45, dt.date(1989, 10, 1), "paragraph"),
        (6, None, 20, dt.date(1965, 10, 2), "resolution"),
    ]
    columns = ["roll_call_id", "rcid", "session", "date", "kind"]
    roll_calls = pl.DataFrame(rows, schema=columns, orient="row")
    split = [("USA", "Y"), ("FRA", "N"), ("IND", "A"), ("BRA", "X")]
    rows = [(rc, s, v) for rc in (1, 2, 3, 4, 5) for s, v in split]
    rows += [(6, s, "Y") for s in ("USA", "FRA", "IND")] + [(6, "BRA", "X")]  # unanimous
    votes = pl.DataFrame(rows, schema=["roll_call_id", "iso3", "vote"], orient="row")
    return votes, roll_calls


def test_data_rules_defaults() -> None:
    votes, roll_calls = _frames()
    kept = prepare_votes(votes, roll_calls)
    # 2: session 19; 4: amendment from 1990; 6: unanimous (absences do not count).
    # 1 (amendment, 1963), 3 (paragraph, 1965) and 5 (paragraph dated 1989) stay.
    assert sorted(kept["roll_call_id"].unique().to_list()) == [1, 3, 5]
    assert "BRA" not in kept["iso3"].to_list()  # 'X' (absent) is missing, not a category
    assert kept.height == 9


def test_data_rules_options() -> None:
    votes, roll_calls = _frames()
    kept = prepare_votes(
        votes, roll_calls, drop_sessions=(), drop_amendments_from_year=None, drop_unanimous=False
    )
    assert sorted(kept["roll_call_id"].unique().to_list()) == [1, 2, 3, 4, 5, 6]
    only = prepare_votes(votes, roll_calls, sessions=(45, 45), drop_amendments_from_year=1989)
    assert only.height == 0  # both session-45 votes are amendment/paragraph from 1989 on


def test_topic_subset_and_bridges_run() -> None:
    votes, roll_calls, _ = simulate(n_states=30, n_sessions=4, n_roll_calls=120, seed=5)
    subset = roll_calls.filter(pl.col("roll_call_id") % 2 == 0)
    matches = pl.DataFrame({"rcid1": [0, 2], "rcid2": [118, 116]})
    est = estimate_ideal_points(
        votes, subset, matches=matches, drop_sessions=(), drop_unanimous=False
    )
    assert (
        est["n_votes"].sum()
        == votes.filter(pl.col("roll_call_id").is_in(subset["roll_call_id"].implode())).height
    )
    assert est["ideal_point"].is_finite().all()


def _bench():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "ideal_points.py"
    spec = importlib.util.spec_from_file_location("_ideal_points_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_stored_estimates_match_voeten_published_estimates(
    ideal_points_con: duckdb.DuckDBPyConnection, shared_data: Path
) -> None:
    """The refresh's ideal_points table (all votes, default options) against Voeten's
    published estimates: r >= 0.95 within every session 1-74 with >= 30 states, >= 0.98 over
    all country-sessions."""
    bench, con = _bench(), ideal_points_con
    est = con.sql("SELECT * FROM ideal_points").pl()
    assert est["session"].min() == 1 and est["session"].max() >= 80
    assert con.execute("SELECT count(*) FROM voeten_matches").fetchall()[0][0] == 955
    ref = bench.reference(con, shared_data)
    table = bench.compare(est, ref)
    assert table["session"].to_list() == [s for s in range(1, 75) if s != 19]
    low = table.filter(pl.col("r") < 0.95)
    assert low.height == 0, low
    assert bench.overall(est, ref) >= 0.98
    usa = est.filter(pl.col("iso3") == "USA")
    assert (usa["ideal_point"] > 0).all()
    assert ((est["lower"] < est["ideal_point"]) & (est["ideal_point"] < est["upper"])).all()


def test_periods_by_year_and_final_passage_votes() -> None:
    votes, roll_calls = _frames()
    # Final passage: resolutions only (2 and 6); 2 is in session 19, 6 unanimous.
    final = prepare_votes(votes, roll_calls, vote_set="final-passage")
    assert final.height == 0
    kept = prepare_votes(
        votes, roll_calls, vote_set="final-passage", drop_sessions=(), drop_unanimous=False
    )
    assert sorted(kept["roll_call_id"].unique().to_list()) == [2, 6]
    # By year: the calendar year of the vote, whatever the session (2: session 19, 1965).
    years = prepare_votes(votes, roll_calls, by="year", drop_sessions=(), drop_unanimous=False)
    period = dict(zip(years["roll_call_id"], years["period"], strict=False))
    assert period == {1: 1963, 2: 1965, 3: 1965, 5: 1989, 6: 1965}  # 4: amendment from 1990
    with pytest.raises(ValueError, match="by must be one of session, year, not 'month'"):
        prepare_votes(votes, roll_calls, by="month")
    with pytest.raises(ValueError, match="vote_set must be one of all, final-passage"):
        prepare_votes(votes, roll_calls, vote_set="final")


def test_random_walk_steps_by_years_elapsed() -> None:
    data = _data([0, 0, 0], [0, 1, 2], [0, 2, 1], [0, 1, 2])
    data = _Data(**{**data.__dict__, "periods": np.array([1990, 1991, 1995])})
    cells, _ = _cells(data, step_sd=0.5)
    # 1990 -> 1991: one year (variance 0.25); 1991 -> 1995: four (variance 1).
    assert cells.step_precision.tolist() == [0.0, 4.0, 1.0]


@pytest.mark.parametrize(
    "options",
    [{"bootstrap": 5}, {"method": "mcmc", "draws": 20, "burn_in": 5, "seed": 4}],
)
def test_year_periods_are_labels_of_the_same_model(options: dict) -> None:
    # simulate() dates session s in 1950 + s: by year, the same cells one to one, the same
    # steps, so the same estimates (the same draws with the same seed), labelled by year.
    votes, roll_calls, _ = simulate(n_states=20, n_sessions=3, n_roll_calls=60, seed=2)
    options = {"drop_sessions": (), **options}
    by_session = estimate_ideal_points(votes, roll_calls, **options)
    by_year = estimate_ideal_points(votes, roll_calls, by="year", **options)
    assert by_year["period"].to_list() == [s + 1950 for s in by_session["session"]]
    assert by_year["period_type"].unique().to_list() == ["year"]
    assert by_year["session"].null_count() == by_year.height
    assert by_year["ideal_point"].to_list() == by_session["ideal_point"].to_list()
    final = estimate_ideal_points(votes, roll_calls, vote_set="final-passage", **options)
    assert final["vote_set"].unique().to_list() == ["final-passage"]  # all are resolutions
    assert final["ideal_point"].to_list() == by_session["ideal_point"].to_list()


@pytest.mark.slow
def test_year_and_final_passage_estimates_from_the_store(con: duckdb.DuckDBPyConnection) -> None:
    est = analyses.ideal_points(con, topic="syria", by="year", vote_set="final-passage")
    assert est["period_type"].unique().to_list() == ["year"]
    assert est["vote_set"].unique().to_list() == ["final-passage"]
    assert est["session"].null_count() == est.height
    years = est["period"]
    assert years.min() >= 1946 and years.max() >= 2024
    kinds = con.sql(
        "SELECT DISTINCT r.kind FROM roll_calls r JOIN roll_call_topics t USING (roll_call_id) "
        "WHERE t.topic = 'syria'"
    ).fetchall()
    assert ("paragraph",) in kinds or ("amendment",) in kinds  # something was left out
    all_votes = analyses.ideal_points(con, topic="syria", by="year", bootstrap=0)
    assert all_votes["n_votes"].sum() > est["n_votes"].sum()
    mean = dict(est.group_by("iso3").agg(pl.col("ideal_point").mean()).iter_rows())
    assert mean["USA"] > 0 and mean["SYR"] < 0 and mean["RUS"] < 0
    assert est["method"].unique().to_list() == ["em"] and (est["se"] > 0).all()
    assert est["replicates"].unique().to_list() == [50]
