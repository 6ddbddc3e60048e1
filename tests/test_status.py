"""`alignment status --max-age` and `--json`: the monitor's questions."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from frames import IDEAL_POINTS_META

from alignment import attempt, status
from alignment.cli import cli
from alignment.errors import StaleStore, UsageError

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("6h", 21600), ("2d", 172800), ("1w", 604800), ("1d12h", 129600),
     ("1.5h", 5400), ("90s", 90)],
)  # fmt: skip
def test_durations(text: str, seconds: float) -> None:
    assert status.parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "2", "two days", "2 days", "d", "2x", "-1d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError, match="is not a duration"):
        status.parse_duration(text)


def report(success: str | None, outcome: str | None, built: str | None = None) -> dict:
    last = None if outcome is None else {
        "started_at": "2026-11-30T11:00:00+00:00", "outcome": outcome, "message": "m",
        "last_success_at": success,
    }  # fmt: skip
    return {
        "store": "s.duckdb",
        "last_attempt": last,
        "last_build": None if built is None else {"finished_at": built},
    }


def test_fresh_store_passes() -> None:
    status.freshness(report("2026-11-30T06:00:00+00:00", "current"), dt.timedelta(days=1), NOW)


def test_old_success_is_stale() -> None:
    rep = report("2026-11-27T06:00:00+00:00", "current")
    with pytest.raises(
        StaleStore, match=r"at 2026-11-27 06:00:00 UTC, 3\.2 days ago, more than 2\.0 days"
    ):
        status.freshness(rep, dt.timedelta(days=2), NOW)


def test_a_failed_last_attempt_is_stale_however_recent_the_success() -> None:
    rep = report("2026-11-30T06:00:00+00:00", "temporary_failure")
    with pytest.raises(StaleStore, match="ended temporary_failure"):
        status.freshness(rep, dt.timedelta(days=2), NOW)


def test_the_store_s_own_last_build_counts_when_no_attempt_is_recorded() -> None:
    # A store copied elsewhere without its record: its refresh_log says when it was built
    # (naive UTC, as the store keeps times).
    status.freshness(report(None, None, built="2026-11-30T01:00:00"), dt.timedelta(hours=12), NOW)
    with pytest.raises(StaleStore, match="no successful refresh"):
        status.freshness(report(None, None), dt.timedelta(days=1), NOW)


def test_cli_exit_codes_and_json_times(built_store: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(built_store, db)
    fresh = CliRunner().invoke(cli, ["status", "--json", "--max-age", "1d", "--db", str(db)])
    assert fresh.exit_code == 0, fresh.output
    doc = json.loads(fresh.stdout)
    times = [doc["last_build"]["started_at"], doc["last_build"]["finished_at"]]
    assert all(t.endswith("+00:00") for t in times), times
    # The last attempt failed: exit 3, one line on stderr saying why.
    attempt.write_attempt(db, {"started_at": attempt.now(), "outcome": "bad_data", "message": "x.csv:3: bad",
                       "last_success_at": attempt.now()})  # fmt: skip
    failed = CliRunner().invoke(cli, ["status", "--max-age", "1d", "--db", str(db)])
    assert failed.exit_code == 3
    assert failed.stderr.startswith(f"Error: {db}: the last refresh attempt (")
    assert "ended bad_data: x.csv:3: bad" in failed.stderr


def test_ideal_point_lines_say_each_series_method() -> None:
    meta = IDEAL_POINTS_META
    assert status._ideal_point_lines(meta) == [
        "ideal points by session, all votes: EM, 47 iterations (last change 0.00085), 50 "
        "bootstrap replicates",
        "ideal points by year, all votes: MCMC, NOT converged to the publication standard "
        "(50.0% of estimates meet it); R-hat median 1.016, max 1.030; smallest ESS bulk 380, "
        "tail 410",
    ]
