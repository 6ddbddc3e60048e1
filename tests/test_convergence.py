"""Tests of the convergence diagnostics (ArviZ's, spread over processes) and of the standard
a run is judged against. The expected values are worked from the definitions of Vehtari et
al. (2021) and of the AR(1) process, not taken from ArviZ itself."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

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


def test_pooled_and_in_process_numbers_are_the_same() -> None:
    draws = _mixed_cells()
    alone = diagnostics(draws, workers=1)
    pooled = diagnostics(draws, workers=2)
    for a, b in zip(alone, pooled, strict=True):
        np.testing.assert_array_equal(a, b)
    assert alone[0][3] > 1.5 and np.isnan(alone[0][10])
    # From a thread (the CLI and the build run the estimates in one): the same again.
    with ThreadPoolExecutor(1) as thread:
        threaded = thread.submit(diagnostics, draws, workers=2).result()
    for a, b in zip(alone, threaded, strict=True):
        np.testing.assert_array_equal(a, b)


def test_large_inputs_go_to_a_pool_of_the_usable_cores(monkeypatch) -> None:
    used = []
    monkeypatch.setattr(convergence, "_pooled", lambda d, w: used.append(w) or ("pooled",))
    monkeypatch.setattr(convergence, "_workers", lambda: 2)
    monkeypatch.setattr(convergence, "POOL_FROM", 10)
    draws = np.random.default_rng(0).standard_normal((2, 8, 10))
    assert diagnostics(draws) == ("pooled",) and used == [2]
    assert diagnostics(draws[:, :, :9])[0].shape == (9,) and used == [2]  # in this process
    monkeypatch.setattr(convergence, "_workers", lambda: 1)
    assert diagnostics(draws)[0].shape == (10,) and used == [2]  # one core: no pool


def test_a_pool_that_fails_falls_back_to_this_process(monkeypatch, caplog) -> None:
    def broken(draws, workers):
        raise BrokenProcessPool("a worker died")

    monkeypatch.setattr(convergence, "_pooled", broken)
    draws = _mixed_cells()
    fallback = diagnostics(draws, workers=2)
    for a, b in zip(diagnostics(draws, workers=1), fallback, strict=True):
        np.testing.assert_array_equal(a, b)
    assert "the pool failed (a worker died)" in caplog.text


_SCRIPT = """
import numpy as np
from alignment import convergence
draws = np.random.default_rng(0).standard_normal((2, 40, convergence.POOL_FROM))
pooled = []
real = convergence._pooled
convergence._pooled = lambda d, w: pooled.append(w) or real(d, w)
rhat, bulk, tail = convergence.diagnostics(draws, workers=2)
print(len(rhat), pooled, BODY)
"""


@pytest.mark.parametrize("guarded", [False, True])
def test_a_script_without_an_entry_point_guard_is_computed_in_its_process(
    tmp_path, guarded: bool
) -> None:
    # Workers import the caller's main module (multiprocessing's rule): an unguarded script
    # would run again in each and fail with a traceback. It gets its numbers in its own process.
    body = _SCRIPT.replace("BODY", "'runs'")
    if guarded:
        body = "if __name__ == '__main__':\n" + "".join(
            f"    {line}\n" for line in body.split("\n")
        )
    script = tmp_path / "user_script.py"
    script.write_text(body)
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert "Traceback" not in out.stderr and "pool failed" not in out.stderr
    pooled = "[2]" if guarded else "[]"
    assert out.stdout.split() == [str(convergence.POOL_FROM), *pooled.split(), "runs"]


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
