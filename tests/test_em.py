"""The variational EM of the ideal point model (alignment.em), on values worked out by other
means (numerical integration, a dense matrix inverse) and on votes simulated from the model."""

from __future__ import annotations

import numpy as np
import pytest

from alignment import em


def simulate(
    seed: int, states: int = 80, periods: int = 6, items_per: int = 40, bridged: int = 40
) -> tuple[em.Problem, np.ndarray]:
    """Votes drawn from the model: positions a random walk (sd 0.5 a period), standardised;
    items with a ~ N(0.5, 1), c ~ N(0, 1), τ ~ Gamma(5, rate 2.5); ``bridged`` items voted on
    in two periods; 10% of votes missing. Returns the problem and the true positions."""
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(0, 0.5, (states, periods)), axis=1) + rng.normal(0, 1, (states, 1))
    x = (x - x.mean()) / x.std()
    n_items = items_per * periods + bridged
    a, c = rng.normal(0.5, 1.0, n_items), rng.normal(0.0, 1.0, n_items)
    tau = rng.gamma(5.0, 1 / 2.5, n_items)
    spans = [[j // items_per] for j in range(items_per * periods)]
    spans += [sorted(rng.choice(periods, 2, replace=False)) for _ in range(bridged)]
    item, cell, category = [], [], []
    for j, span in enumerate(spans):
        for t in span:
            for i in range(states):
                if rng.random() < 0.1:
                    continue
                z = a[j] + c[j] * x[i, t] + rng.normal() / np.sqrt(tau[j])
                item.append(j)
                cell.append(i * periods + t)
                category.append(0 if z < 0 else (1 if z < 1 else 2))
    cell_state = np.repeat(np.arange(states), periods)
    cell_period = np.tile(np.arange(periods), states)
    p = em.problem(
        np.array(item), np.array(cell), np.array(category), cell_state, cell_period,
        cell_period + 1,
    )  # fmt: skip
    return p, x.ravel()


def fitted(seed: int, prior: str = "forward") -> tuple[em.Problem, np.ndarray, em.Fit]:
    p, truth = simulate(seed)
    start = truth + np.random.default_rng(seed + 100).normal(0, 0.5, len(truth))
    f = em.fit(p, start, prior=prior, tol=1e-4)  # type: ignore[arg-type]
    return p, truth, f


def _integrated_moments(lo: float, hi: float) -> tuple[float, float]:
    """Mean and variance of the standard normal on (lo, hi) by Simpson's rule, the density
    taken relative to its value at the interval's point nearest 0 (no underflow far out),
    infinite ends cut 40 sds beyond it."""
    peak = min(max(0.0, lo), hi)
    a, b = max(lo, peak - 40.0), min(hi, peak + 40.0)
    t = np.linspace(a, b, 400_001)
    w = np.exp(-0.5 * (t * t - peak * peak))
    simpson = np.ones_like(t)
    simpson[1:-1:2], simpson[2:-1:2] = 4.0, 2.0
    w *= simpson
    mean = float((w * t).sum() / w.sum())
    return mean, float((w * (t - mean) ** 2).sum() / w.sum())


@pytest.mark.parametrize(
    ("lo", "hi"),
    [(-np.inf, 0.3), (1.2, np.inf), (-0.4, 0.7), (2.0, 3.0), (-9.0, -8.0), (30.0, 31.0),
     (-np.inf, -35.0), (38.0, np.inf), (-0.2, 40.0)],
)  # fmt: skip
def test_truncated_normal_moments_match_integration(lo: float, hi: float) -> None:
    mean, var = em._standard_moments(lo, hi)
    want_mean, want_var = _integrated_moments(lo, hi)
    assert mean == pytest.approx(want_mean, rel=1e-7, abs=1e-9)
    assert var == pytest.approx(want_var, rel=1e-5, abs=1e-9)


def test_walk_gives_the_mean_and_variances_of_the_tridiagonal_gaussian() -> None:
    """Two states (3 cells and 2, one gap of two periods): the kernel's means and variances
    against a dense inverse of the precision (walk plus pseudo-observations)."""
    state_ptr = np.array([0, 3, 5])
    elapsed = np.array([0.0, 1.0, 2.0, 0.0, 1.0])
    prec = np.array([2.0, 0.5, 3.0, 1.0, 4.0])
    info = np.array([1.0, -0.5, 2.0, 0.3, -1.0])
    step = 4.0
    x, v = np.zeros(5), np.zeros(5)
    em._walk(state_ptr, elapsed, step, prec, info, x, v, np.zeros(5), np.zeros(5))
    q = np.diag(prec)
    for lo, hi in ((0, 3), (3, 5)):
        q[lo, lo] += em.FIRST_PRECISION
        for k in range(lo + 1, hi):
            w = step / elapsed[k]
            q[k, k] += w
            q[k - 1, k - 1] += w
            q[k, k - 1] = q[k - 1, k] = -w
    cov = np.linalg.inv(q)
    np.testing.assert_allclose(x, cov @ info, rtol=1e-10)
    np.testing.assert_allclose(v, np.diag(cov), rtol=1e-10)


def test_forward_prior_centres_on_the_previous_position() -> None:
    """One state, two cells of 10 and 30 votes: the first centres on the second's current
    value with variance 0.5·10/40, then the second on the first's new value, 0.5·30/40."""
    x = np.array([0.0, 1.0])
    v = np.zeros(2)
    prec, info = np.array([4.0, 2.0]), np.array([2.0, -1.0])
    em._forward(np.array([0, 2]), np.array([10, 30]), 0.5, prec, info, x, v)
    p1 = 1 / (0.5 * 10 / 40)
    x1 = (2.0 + p1 * 1.0) / (4.0 + p1)
    p2 = 1 / (0.5 * 30 / 40)
    assert x[0] == pytest.approx(x1)
    assert v[0] == pytest.approx(1 / (4.0 + p1))
    assert x[1] == pytest.approx((-1.0 + p2 * x1) / (2.0 + p2))


def test_standardise_and_shift_leave_the_likelihood_unchanged() -> None:
    p, _, f = fitted(1)
    g = em._standardise(em.replace(f, x=f.x * 1.7 + 0.4))
    assert g.x.mean() == pytest.approx(0, abs=1e-12) and g.x.std() == pytest.approx(1)
    cells = p.cell[p.ptr[:-1]]
    before = f.a + f.c * (f.x * 1.7 + 0.4)[cells]
    np.testing.assert_allclose(g.a + g.c * g.x[cells], before, atol=1e-12)
    # The shift step moves each period; a vote's mean a + c x changes only on bridged items.
    w = em._Work(p)
    em._utilities(p.ptr, p.cell, p.category, f.x, f.a, f.c, f.vac, f.vcc, f.tau, w.ez, w.szz,
                  w.prec, w.info)  # fmt: skip
    shifted = em._shift(p, em.replace(f, x=f.x + 0.3 * (p.period == 2)), f.settings, w,
                        em._Links(p, f.settings))  # fmt: skip
    item = np.repeat(np.arange(p.n_items), np.diff(p.ptr))
    mean = f.a[item] + f.c[item] * (f.x + 0.3 * (p.period == 2))[p.cell]
    moved = shifted.a[item] + shifted.c[item] * shifted.x[p.cell]
    plain = ~p.bridged[item]
    np.testing.assert_allclose(moved[plain], mean[plain], atol=1e-10)
    # It moves the period back: with flat intercepts (the default) the system is singular
    # along a common shift of all periods, which the least-norm solve leaves to the
    # standardisation; relative to the others, period 2 is back where it was.
    assert f.settings.a_sd == np.inf
    d = shifted.x - f.x
    assert d[p.period == 2].mean() - d[p.period != 2].mean() == pytest.approx(0, abs=1e-3)


@pytest.mark.parametrize("prior", ["forward", "walk"])
def test_recovers_simulated_positions(prior: str) -> None:
    _, truth, f = fitted(2, prior)
    assert f.converged and f.iterations < 300
    assert np.corrcoef(f.x, truth)[0, 1] > 0.97
    assert f.x.mean() == pytest.approx(0, abs=1e-9) and f.x.std() == pytest.approx(1)


def test_deterministic_bit_for_bit() -> None:
    p, truth = simulate(3, states=30, periods=3)
    start = truth + 0.3
    one, two = em.fit(p, start), em.fit(p, start)
    for name in ("x", "v", "a", "c", "tau"):
        assert np.array_equal(getattr(one, name), getattr(two, name))
    assert (one.iterations, one.final_change) == (two.iterations, two.final_change)
    # The bootstrap's generator is seeded from the votes; threads do not change it.
    serial = em.bootstrap(p, one, 6, threads=1)
    parallel = em.bootstrap(p, one, 6, threads=2)
    assert np.array_equal(serial, parallel)
    assert em.data_seed(p) == em.data_seed(simulate(3, states=30, periods=3)[0])
    assert em.data_seed(p) != em.data_seed(simulate(4, states=30, periods=3)[0])


def test_bootstrap_intervals_are_calibrated() -> None:
    """On data simulated from the model, the 90% intervals hold the true position 85-95% of
    the time (two data sets of 480 country-periods each, pooled)."""
    covered = []
    for seed in (1, 2):
        p, truth, f = fitted(seed)
        truth = truth * np.sign(np.corrcoef(f.x, truth)[0, 1])
        reps = em.bootstrap(p, f, 50)
        se, lower, upper = em.intervals(f, reps, 0.9)
        assert (se > 0).all() and (lower < f.x).all() and (f.x < upper).all()
        covered.append((lower <= truth) & (truth <= upper))
    share = np.concatenate(covered).mean()
    assert 0.85 <= share <= 0.95, share


def test_intervals_without_replicates_use_the_variational_variance() -> None:
    f = em.Fit(*(np.array([0.5, -1.0]) for _ in range(2)), *(np.zeros(1) for _ in range(6)))
    f = em.replace(f, v=np.array([0.04, 0.01]))
    se, lower, upper = em.intervals(f, np.zeros((0, 2)), 0.9)
    np.testing.assert_allclose(se, [0.2, 0.1])
    np.testing.assert_allclose(upper - f.x, 1.6448536269514722 * se)
    np.testing.assert_allclose(f.x - lower, 1.6448536269514722 * se)
