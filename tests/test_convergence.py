"""Tests of the convergence diagnostics and of the standard a run is judged against. The
expected values are worked from the definitions of Vehtari et al. (2021) and of the AR(1)
process; one test holds them equal to ArviZ's (arviz-stats, in the mcmc extra)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import integrate
from scipy.special import ndtri

from alignment import convergence
from alignment.convergence import check_convergence, diagnostics


def _ar1(rng: np.random.Generator, phi: float, shape: tuple[int, int, int]) -> np.ndarray:
    """Stationary AR(1) chains of unit innovations along axis 1 (chains, draws, cells)."""
    noise = rng.standard_normal(shape)
    out = np.empty(shape)
    out[:, 0] = noise[:, 0] / np.sqrt(1.0 - phi**2)
    for t in range(1, shape[1]):
        out[:, t] = phi * out[:, t - 1] + noise[:, t]
    return out


def _tail_ess(n: int, phi: float, p: float = 0.05) -> float:
    """ESS of the indicator x <= q_p of a Gaussian AR(1) of n draws: n / τ, τ = 1 + 2 Σ ρ_k,
    where the indicators of two draws of correlation r = φ^k have covariance
    Φ₂(q, q; r) - p² = (1/2π) ∫₀^r exp(-q² / (1 + s)) / √(1 - s²) ds (Sheppard's formula,
    the derivative of the bivariate normal cdf in its correlation), over variance p(1 - p)."""
    q = ndtri(p)
    tau = 1.0
    for k in range(1, 200):
        r = phi**k
        cov = integrate.quad(lambda s: np.exp(-q * q / (1 + s)) / np.sqrt(1 - s * s), 0, r)[0]
        tau += 2 * cov / (2 * np.pi) / (p * (1 - p))
    return n / tau


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9])
def test_bulk_ess_of_ar1_chains_is_n_times_1_minus_phi_over_1_plus_phi(phi: float) -> None:
    # The asymptotic variance of the mean of an AR(1) is σ²(1 + φ) / (1 - φ): ESS = N(1-φ)/(1+φ).
    # 40 cells of 4 chains × 1,000 draws: one cell's estimate is off by up to 15% (φ 0.9),
    # their median by 5%; iid draws (φ 0) give about N. Without Geyer's truncation the ESS
    # would be many times N, without autocorrelations N for every φ.
    chains, n = 4, 1000
    draws = _ar1(np.random.default_rng(11), phi, (chains, n, 40))
    rhat, bulk, tail = diagnostics(draws)
    expected = chains * n * (1 - phi) / (1 + phi)
    assert np.median(bulk) == pytest.approx(expected, rel=0.06)
    # R̂² = (h-1)/h + (B/h)/W over the 8 half chains of h = 500 draws; B/h estimates the
    # variance of a half chain's mean, (1+φ)/(1-φ)/h of W: R̂ 1.000, 1.002 and 1.018.
    h = n // 2
    assert np.median(rhat) == pytest.approx(
        np.sqrt((h - 1) / h + (1 + phi) / (1 - phi) / h), abs=0.005
    )
    # Tail ESS: that of the 5% (and 95%) quantile indicators, worked above: 4,000 for φ 0,
    # 2,372 for φ 0.5 (the indicators forget faster than the values), 467 for φ 0.9.
    assert np.median(tail) == pytest.approx(_tail_ess(chains * n, phi), rel=0.1)


def test_ess_does_not_see_a_monotone_transformation() -> None:
    # Rank normalisation: heavy tails (exp of 3 sd) leave the bulk ESS as it was, to the last
    # bit (computed on the values themselves, the ESS of exp(3x) would not be that of x), and
    # the quantile indicators of the tail ESS are the same draws. (R̂ is not invariant: its
    # folded half measures distances from the median.)
    draws = _ar1(np.random.default_rng(2), 0.8, (2, 400, 6))
    _, bulk, tail = diagnostics(draws)
    _, skewed_bulk, skewed_tail = diagnostics(np.exp(3 * draws))
    np.testing.assert_array_equal(bulk, skewed_bulk)
    np.testing.assert_array_equal(tail, skewed_tail)


def test_rhat_of_chains_in_different_places_and_of_a_trend() -> None:
    # R̂ = √(V / W), V = (n-1)/n · W + B/n, over the 4 half chains (split) of n = 500 draws.
    rng = np.random.default_rng(5)
    n = 1000
    noise = rng.standard_normal((2, n, 40))
    half = n // 2
    # Chains 1 apart: half-chain means 0, 0, 1, 1 (B/n = 1/3), W = 1: R̂ = √(0.998 + 1/3).
    apart = noise + np.array([0.0, 1.0])[:, None, None]
    rhat = diagnostics(apart)[0]
    assert np.median(rhat) == pytest.approx(np.sqrt((half - 1) / half + 1 / 3), abs=0.01)
    assert rhat.min() > 1.1
    # Both chains drifting from -1 to 1: equal chain means, so only the split sees it; halves
    # have means ∓1/2 (B/n = 1/3) and W = 1 + 1/12 (the drift within a half), R̂ ≈ 1.143.
    drifting = noise + np.linspace(-1, 1, n)[None, :, None]
    rhat = diagnostics(drifting)[0]
    expected = np.sqrt((half - 1) / half + (1 / 3) / (1 + 1 / 12))
    assert np.median(rhat) == pytest.approx(expected, abs=0.01)
    assert rhat.min() > 1.1


def test_constant_one_chain_and_too_few_draws() -> None:
    # A constant cell: ESS is the number of (split) draws, R̂ undefined, as ArviZ has it.
    rhat, bulk, tail = diagnostics(np.ones((2, 11, 1)))
    assert np.isnan(rhat[0]) and bulk[0] == 20 and tail[0] == 20
    # One chain: no R̂; the ESS of 1,000 iid draws is about 1,000.
    rhat, bulk, tail = diagnostics(np.random.default_rng(3).standard_normal((1, 1000, 3)))
    assert np.isnan(rhat).all()
    assert ((bulk > 850) & (bulk < 1150)).all() and ((tail > 850) & (tail < 1150)).all()
    # Fewer than four draws: nothing to say.
    assert all(np.isnan(d).all() for d in diagnostics(np.zeros((2, 3, 5))))
    assert all(len(d) == 0 for d in diagnostics(np.zeros((2, 100, 0))))
    with pytest.raises(ValueError, match=r"\(chains, draws, cells\)"):
        diagnostics(np.zeros((100, 5)))


def _mixed_cells() -> np.ndarray:
    """Cells of every kind, float32 as the sampler stores them: mixing, stuck apart, constant,
    slowly mixing."""
    rng = np.random.default_rng(8)
    draws = _ar1(rng, 0.7, (2, 60, 37))
    draws[1, :, 3] += 5.0
    draws[:, :, 10] = 1.5
    draws[:, :, 20:] = _ar1(rng, 0.97, (2, 60, 17))
    return draws.astype(np.float32)


@pytest.mark.parametrize(
    ("shape", "phi"),
    [((2, 60, 37), 0.7), ((4, 1001, 23), 0.97), ((1, 50, 9), 0.3), ((2, 7, 5), 0.99)],
)
def test_numbers_are_arviz_numbers(shape: tuple[int, int, int], phi: float) -> None:
    # ArviZ (the mcmc extra) computes one cell at a time; these are its numbers for every kind
    # of cell: mixing, stuck apart, constant, tied (three values), slowly mixing, odd draws,
    # one chain, fewer draws than lags.
    array_stats = pytest.importorskip("arviz_stats.base").array_stats
    draws = _ar1(np.random.default_rng(8), phi, shape).astype(np.float32)
    draws[-1, :, 3] += 5.0
    draws[:, :, 2] = 1.5
    draws[:, :, 4] = np.random.default_rng(1).integers(0, 3, draws[:, :, 4].shape)
    axes = {"chain_axis": 0, "draw_axis": 1}
    values = draws.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = (
            array_stats.rhat(values, method="rank", **axes) if shape[0] > 1 else [np.nan] * 9,
            array_stats.ess(values, method="bulk", **axes),
            array_stats.ess(values, method="tail", prob=(0.05, 0.95), **axes),
        )
    for ours, theirs in zip(diagnostics(draws), expected, strict=True):
        np.testing.assert_allclose(ours, np.asarray(theirs, float), rtol=1e-9, atol=0)


def test_a_cell_with_a_missing_draw_has_no_diagnostics() -> None:
    draws = _ar1(np.random.default_rng(4), 0.5, (2, 100, 3))
    draws[1, 50, 1] = np.nan
    rhat, bulk, tail = diagnostics(draws)
    assert np.isnan([rhat[1], bulk[1], tail[1]]).all()
    assert not np.isnan([rhat[0], bulk[2], tail[0]]).any()


def test_blocks_of_cells_give_the_numbers_of_one_block(monkeypatch) -> None:
    # The cells are computed in blocks that bound the memory; a block of one cell (the
    # smallest) gives the numbers of a block of all of them (to rounding: the FFT of a longer
    # batch may add in another order).
    draws = _ar1(np.random.default_rng(6), 0.8, (3, 101, 30))
    whole = diagnostics(draws)
    monkeypatch.setattr(convergence, "_BLOCK_BYTES", 1)
    for a, b in zip(whole, diagnostics(draws), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_average_ranks_are_scipys() -> None:
    from scipy.stats import rankdata

    rng = np.random.default_rng(3)
    values = np.round(rng.standard_normal((5, 200)), 1)  # many ties
    np.testing.assert_array_equal(
        convergence._average_ranks(values), rankdata(values, method="average", axis=1)
    )
    continuous = rng.standard_normal((4, 50))
    np.testing.assert_array_equal(
        convergence._average_ranks(continuous), rankdata(continuous, axis=1)
    )


def _diagnostic_frame(rhat: list[float], bulk: list[float], tail: list[float]) -> pl.DataFrame:
    return pl.DataFrame({"rhat": rhat, "ess_bulk": bulk, "ess_tail": tail})


def test_convergence_standard() -> None:
    fine = _diagnostic_frame([1.0] * 99 + [1.04], [500.0] * 100, [450.0] * 100)
    c = check_convergence(fine)
    assert c.ok and c.n == 100 and c.share_converged == 0.99 and c.rhat_max == 1.04
    assert c.ess_bulk_min == 500 and c.ess_tail_min == 450 and c.rhat_median == 1.0
    assert "ideal points converged" in c.message()
    # One estimate above the limit 1.05 fails the run even at 99% converged.
    assert not check_convergence(fine.with_row_index().with_columns(
        pl.when(pl.col("index") == 99).then(1.06).otherwise(pl.col("rhat")).alias("rhat")
    )).ok  # fmt: skip
    # Two of 100 with too few tail draws: 98% < 99%.
    short = _diagnostic_frame([1.0] * 100, [500.0] * 100, [300.0, 399.0] + [450.0] * 98)
    c = check_convergence(short)
    assert not c.ok and c.share_converged == 0.98 and c.ess_tail_min == 300
    assert "NOT converged" in c.message()
    # A missing R̂ (one chain) counts as not converged.
    missing = check_convergence(_diagnostic_frame([float("nan")] * 3, [900.0] * 3, [900.0] * 3))
    assert not missing.ok and missing.share_converged == 0.0
