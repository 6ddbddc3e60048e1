"""Tests of the sampler run to the publication standard (alignment.mcmc): its stopping rules,
its thinning, its checkpoints (a resumed run makes the draws of an uninterrupted one; a killed
command resumes), its start and its projection of the time left."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from test_ideal_points import simulate

from alignment import mcmc, refresh
from alignment.cli import cli
from alignment.convergence import Convergence
from alignment.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    return simulate(n_states=20, n_sessions=3, n_roll_calls=90, seed=4)


class Interrupted(Exception):
    pass


def _run(small, **options) -> mcmc.McmcRun:
    votes, roll_calls, _ = small
    settings = {"warmup": 40, "check_every": 30, "keep": 16, "max_minutes": 10.0, **options}
    return mcmc.run_to_standard(votes, roll_calls, **settings)


def test_a_resumed_run_makes_the_draws_of_an_uninterrupted_one(small, tmp_path) -> None:
    # 16 draws kept per chain: ESS cannot reach 400, so both runs stop at max_sweeps; the
    # thinning doubles on the way (check_every 30 keeps 30, then 15... draws a check).
    whole = _run(small, max_sweeps=400)
    assert not whole.converged and whole.last.sweeps >= 400 and whole.resumed_from == 0
    checkpoint = tmp_path / "run.npz"
    checks: list[mcmc.Check] = []

    def stop_at_the_third(check: mcmc.Check) -> None:
        checks.append(check)
        if len(checks) == 3:  # after the checkpoint of the third check was written
            raise Interrupted

    with pytest.raises(Interrupted):
        _run(small, max_sweeps=400, checkpoint=checkpoint, on_check=stop_at_the_third)
    assert checkpoint.exists() and checks[-1].sweeps < 400
    resumed = _run(small, max_sweeps=400, checkpoint=checkpoint)
    assert resumed.resumed_from == checks[-1].sweeps
    assert resumed.last.sweeps == whole.last.sweeps and resumed.last.thin == whole.last.thin
    np.testing.assert_array_equal(resumed.posterior.draws, whole.posterior.draws)
    assert resumed.estimates.equals(whole.estimates)


def test_kept_draws_are_the_multiples_of_the_thinning_and_at_most_keep(small) -> None:
    run = _run(small, max_sweeps=700, warmup=10)
    last = run.last
    sampled = last.sweeps - last.warmup
    # The thinning doubled each time the kept draws passed 16: 1, 2, 4 ... 64 for 690 sweeps.
    assert last.thin & (last.thin - 1) == 0 and last.thin >= 32
    assert 8 < last.kept <= 16 and run.posterior.draws.shape[1] == last.kept
    assert last.kept * last.thin <= sampled < (last.kept + 1) * last.thin


def test_stops_at_the_first_check_that_meets_the_standard(small, monkeypatch) -> None:
    verdicts = iter([False, False, True])
    real = mcmc.check_convergence

    def judged(estimates: pl.DataFrame) -> Convergence:
        c = real(estimates)
        return Convergence(**{**c.__dict__, "ok": next(verdicts)})

    monkeypatch.setattr(mcmc, "check_convergence", judged)
    run = _run(small, check_every=20, keep=1000)
    assert run.converged and run.last.sweeps == 40 + 3 * 20 and run.last.thin == 1
    assert run.posterior.draws.shape == (2, 60, run.estimates.height)


def test_stops_when_the_time_is_spent_after_one_check(small) -> None:
    seen: list[mcmc.Check] = []
    run = _run(small, max_minutes=1e-9, on_check=seen.append)
    # The warm-up (2 blocks of 30 and 10 sweeps) and one check always run.
    assert [c.convergence is None for c in seen] == [True, True, False]
    assert not run.converged and run.last.sweeps == 40 + 30
    line = run.last.line()
    assert "left (projected), but the time allowed ends in 0 s" in line and "R-hat <= 1.01" in line


def test_a_checkpoint_of_another_run_is_refused(small, tmp_path) -> None:
    checkpoint = tmp_path / "run.npz"
    _run(small, max_sweeps=1, checkpoint=checkpoint)
    with pytest.raises(UsageError, match="a checkpoint of another run"):
        _run(small, max_sweeps=1, checkpoint=checkpoint, seed=1)
    checkpoint.write_bytes(b"not a checkpoint")
    with pytest.raises(UsageError, match="not a readable checkpoint"):
        _run(small, checkpoint=checkpoint)


def test_the_start_is_the_given_positions_standardised() -> None:
    states = ["AAA", "BBB", "USA"]
    periods = np.array([1, 2])
    cell_state, cell_period = np.array([0, 0, 1, 2]), np.array([0, 1, 0, 1])
    fallback = np.array([10.0, 20.0, 30.0, 40.0])
    given = pl.DataFrame({"iso3": ["AAA", "USA", "XXX"], "period": [2, 2, 1],
                          "ideal_point": [-1.0, 3.0, 9.0]})  # fmt: skip
    start = mcmc._start(states, periods, cell_state, cell_period, fallback, given)
    # Cells (AAA 1, AAA 2, BBB 1, USA 2): 10 (no estimate), -1, 30 (none), 3; then mean 0, sd 1.
    raw = np.array([10.0, -1.0, 30.0, 3.0])
    np.testing.assert_allclose(start, (raw - raw.mean()) / raw.std())
    np.testing.assert_allclose(
        mcmc._start(states, periods, cell_state, cell_period, fallback, None),
        (fallback - 25.0) / fallback.std(),
    )


def test_chains_start_from_the_initial_positions(small) -> None:
    # Started from the truth (USA made positive), the first draws after a short warm-up
    # correlate with it nearly as well as a long run's estimates do.
    *_, truth = small
    initial = truth.select("iso3", pl.col("session").alias("period"), -pl.col("truth").alias(
        "ideal_point"))  # fmt: skip
    run = _run(small, warmup=0, check_every=4, max_sweeps=1, initial_positions=initial)
    joined = run.estimates.join(initial, on=["iso3", "period"])
    r = np.corrcoef(joined["ideal_point"], joined["ideal_point_right"])[0, 1]
    assert r > 0.97


def test_projected_factor_worked_by_hand() -> None:
    def frame(rhat: list[float], ess: list[float]) -> pl.DataFrame:
        return pl.DataFrame({"rhat": rhat, "ess_bulk": ess, "ess_tail": [1e9] * len(ess)})

    # 100 estimates at ESS 200: twice the sweeps.
    assert mcmc._projected_factor(frame([1.0] * 100, [200.0] * 100)) == pytest.approx(2.0)
    # R-hat 1.03 for all: (1.03 - 1) / 0.01 = 3 times.
    assert mcmc._projected_factor(frame([1.03] * 100, [1e4] * 100)) == pytest.approx(3.0)
    # One worst R-hat 1.2 of 1,000 (below the 99% quantile) still needs (0.2 / 0.05) = 4 times.
    assert mcmc._projected_factor(frame([1.0] * 999 + [1.2], [1e4] * 1000)) == pytest.approx(4.0)
    # Met: no more.
    assert mcmc._projected_factor(frame([1.0] * 10, [500.0] * 10)) == 1.0


@pytest.fixture(scope="module")
def few_sessions(tmp_path_factory, shared_data: Path) -> Path:
    """A store of sessions 78 and 79."""
    db = tmp_path_factory.mktemp("mcmc") / "few.duckdb"
    folder = shared_data / "unxml" / "data_extract"
    refresh.refresh_from_paths(db, [folder / "78.json", folder / "79.json"])
    return db


@pytest.mark.slow
def test_command_resumes_a_killed_run(few_sessions: Path, tmp_path: Path) -> None:
    checkpoint = tmp_path / "mcmc.checkpoint"
    exe = Path(sys.executable).parent / "alignment"
    args = [str(exe), "ideal-points", "--method", "mcmc", "--db", str(few_sessions),
            "--max-minutes", "1", "--checkpoint", str(checkpoint), "--warmup", "50",
            "--check-every", "50", "--format", "json"]  # fmt: skip
    first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert checkpoint.exists(), first.communicate()[1]
    os.kill(first.pid, signal.SIGKILL)
    first.communicate()
    again = subprocess.run([*args, "--max-sweeps", "1"], capture_output=True, text=True,
                           timeout=300)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert f"resumed from {checkpoint}" in again.stderr and "Traceback" not in again.stderr
    # Not a terminal: one log line per check.
    assert "ideal points (mcmc): " in again.stderr and " sweeps (" in again.stderr
    rows = pl.read_json(again.stdout.encode())
    assert rows.height > 300 and set(rows["period"]) == {78, 79}


def test_command_refuses_one_chain(tmp_path: Path) -> None:
    # Before the store is opened (there is none here).
    result = CliRunner().invoke(
        cli, ["ideal-points", "--method", "mcmc", "--chains", "1", "--db", str(tmp_path / "x")]
    )
    assert result.exit_code == 2 and "at least 2 chains" in result.output


def test_without_numba_the_sampler_names_the_extra(tmp_path: Path) -> None:
    # numba unimportable (as in an install without the mcmc extra): exit 2 and the command
    # that installs it, before any store is opened.
    code = (
        "import sys; sys.modules['numba'] = None\n"
        "from click.testing import CliRunner\n"
        "from alignment.cli import cli\n"
        "r = CliRunner().invoke(cli, ['ideal-points', '--method', 'mcmc', '--db', 'none.duckdb'])\n"
        "print(r.exit_code, r.output)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, check=True)  # fmt: skip
    assert out.stdout.startswith("2 Error: the ideal point sampler needs numba")
    assert "pip install 'alignment[mcmc]'" in out.stdout and "Traceback" not in out.stdout


@pytest.mark.slow
def test_store_writes_the_series_that_status_then_shows(few_sessions: Path, tmp_path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(few_sessions, db)
    before = _table(db, "SELECT * FROM ideal_points WHERE period_type = 'year'")
    args = ["ideal-points", "--method", "mcmc", "--db", str(db), "--warmup", "20",
            "--check-every", "20", "--max-sweeps", "1", "--format", "json", "--store"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    shown = pl.read_json(result.stdout.encode())
    stored = _table(db, "SELECT * FROM ideal_points WHERE period_type = 'session' ORDER BY ALL")
    assert stored.height == shown.height
    np.testing.assert_array_equal(stored["rhat"].to_numpy(), shown.sort("iso3", "period")["rhat"])
    # The other series is untouched; the series' store_meta rows are the sampler's verdict.
    assert _table(db, "SELECT * FROM ideal_points WHERE period_type = 'year'").equals(before)
    meta = dict(_table(db, "SELECT key, value FROM store_meta").iter_rows())
    assert meta["ideal_points_session_all_converged"] == "false"
    assert float(meta["ideal_points_session_all_rhat_max"]) == pytest.approx(
        shown["rhat"].max(), abs=5e-4
    )
    status = CliRunner().invoke(cli, ["status", "--db", str(db)])
    assert "ideal points by session, all votes: " in status.output
    assert "NOT converged to the publication standard" in status.output
    # Not a whole series: refused before any sampling.
    refused = CliRunner().invoke(cli, [*args, "--from-session", "79"])
    assert refused.exit_code == 2 and "--store keeps whole series" in refused.output


def _table(db: Path, sql: str) -> pl.DataFrame:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).pl()
