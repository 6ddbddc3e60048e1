"""Analyses of a store: names checked against it, frames handed to the computing modules."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from alignment import analyses
from alignment.cli import cli
from alignment.convergence import check_convergence
from alignment.errors import UnknownName


@pytest.mark.slow
def test_cli_ideal_points(built_store: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["ideal-points", "--from-session", "70", "--to-session", "80", "--format", "csv",
         "--db", str(built_store)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(result.stdout.encode())
    assert frame.columns == [
        "iso3", "period_type", "period", "vote_set", "ideal_point", "lower", "upper", "n_votes",
        "rhat", "ess_bulk", "ess_tail",
    ]  # fmt: skip
    assert set(frame["period_type"]) == {"session"} and set(frame["vote_set"]) == {"all"}
    assert sorted(frame["period"].unique().to_list()) == list(range(70, 81))
    assert frame.height > 190 * 10
    # A run that misses the publication standard says so on stderr, and only then.
    verdict = check_convergence(frame)
    assert result.stderr == ("" if verdict.ok else f"Warning: {verdict.message()}\n")
    usa = frame.filter(pl.col("iso3") == "USA")
    assert (usa["ideal_point"] > 0).all()
    table = CliRunner().invoke(cli, ["ideal-points", "--topic", "syria", "--db", str(built_store)])
    assert table.exit_code == 0, table.output
    assert "ideal_point" in table.output and "USA" in table.output
    bad = CliRunner().invoke(cli, ["ideal-points", "--topic", "nope", "--db", str(built_store)])
    assert bad.exit_code != 0
    assert bad.exit_code == 2
    assert "unknown topic 'nope'; known: " in bad.output
    zero = CliRunner().invoke(cli, ["ideal-points", "--draws", "0", "--db", str(built_store)])
    assert zero.exit_code == 2
    assert "Invalid value for '--draws': 0 is not in the range 1<=x<=100000." in zero.output
    # Options reach the sampler: another seed, other estimates.
    args = ["ideal-points", "--topic", "syria", "--draws", "50", "--burn-in", "20",
            "--chains", "1", "--format", "csv", "--db", str(built_store)]  # fmt: skip
    seeded = [CliRunner().invoke(cli, [*args, "--seed", seed]) for seed in ("1", "1", "2")]
    assert all(r.exit_code == 0 for r in seeded), [r.output for r in seeded]
    assert seeded[0].stdout == seeded[1].stdout != seeded[2].stdout


@pytest.mark.slow
@pytest.mark.parametrize("topic", ["syria", "hr"])
def test_topic_estimates_are_plausible(con: duckdb.DuckDBPyConnection, topic: str) -> None:
    est = analyses.ideal_points(con, topic=topic)
    assert est.height > 100
    assert est["ideal_point"].is_finite().all()
    assert ((est["lower"] < est["ideal_point"]) & (est["ideal_point"] < est["upper"])).all()
    mean = dict(est.group_by("iso3").agg(pl.col("ideal_point").mean()).iter_rows())
    assert mean["USA"] > 0  # the sign is identified by the anchor
    # Those who vote against the West on human rights and Syria sit on the other side.
    for state in ("SYR", "IRN", "PRK"):
        assert mean[state] < 0, (state, mean[state])
    assert mean["GBR"] > 0 and mean["ISR"] > 0


def test_unknown_topic_is_an_error(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UnknownName, match=r"unknown topic 'no-such-topic'; known: .*syria"):
        analyses.ideal_points(con, topic="no-such-topic")
