"""The wheel as a user installs it: built from the checkout, installed into a fresh virtual
environment in a folder outside the checkout, with HOME pointing at an empty folder, and run
from there. Nothing of the checkout is on the path; the store goes to the user data folder."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=900)


# `wheel` and `installed`, the wheel installed into a fresh environment, are fixtures of
# conftest.py, shared with the hostile tests (tests/test_hostile_cli.py).


def test_wheel_carries_the_data_and_queries_and_no_store(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    queries = {f"alignment/queries/{p.name}" for p in (ROOT / "queries").glob("*.sql")}
    data = {f"alignment/data/{p.name}" for p in (ROOT / "data").glob("*.csv")}
    assert len(queries) >= 15 and queries <= names
    assert "alignment/data/countries.csv" in data and data <= names
    assert not [n for n in names if n.endswith((".duckdb", ".lock")) or "/cache/" in n]


@pytest.mark.slow
def test_installed_tool_works_from_any_folder(installed, shared_data: Path) -> None:
    exe, env, cwd, _ = installed
    source = shared_data / "unxml" / "data_extract" / "79.json"
    built = run([str(exe), "refresh", "--from", str(source)], env, cwd)
    assert built.returncode == 0, built.stderr
    default = Path(env["HOME"]) / ".local" / "share" / "alignment" / "alignment.duckdb"
    assert default.is_file()
    assert built.stdout.startswith(f"{default}: ")

    listed = run([str(exe), "queries", "list", "--format", "json"], env, cwd)
    assert listed.returncode == 0, listed.stderr
    names = {q["name"] for q in json.loads(listed.stdout)}
    assert names == {p.stem for p in (ROOT / "queries").glob("*.sql")}

    first = run(
        [str(exe), "sql", "SELECT symbol FROM roll_calls ORDER BY date, symbol LIMIT 1",
         "--format", "json"], env, cwd,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    (symbol,) = [r["symbol"] for r in json.loads(first.stdout)]
    votes = run(
        [str(exe), "queries", "run", "resolution_votes", "-p", f"symbol={symbol}",
         "--format", "json"], env, cwd,
    )  # fmt: skip
    assert votes.returncode == 0, votes.stderr
    rows = json.loads(votes.stdout)
    assert len(rows) > 150 and {r["symbol"] for r in rows} == {symbol}

    report = run([str(exe), "report", "country", "BLR", "--from", "2024"], env, cwd)
    assert report.returncode == 0, report.stderr
    assert (cwd / "reports").is_dir() and list((cwd / "reports").glob("*.html"))

    status = run([str(exe), "status", "--json", "--max-age", "1h"], env, cwd)
    assert status.returncode == 0, status.stderr
    doc = json.loads(status.stdout)
    assert doc["store"] == str(default)
    assert doc["chosen"].startswith(f"{default} (the default")
    assert doc["last_attempt"]["outcome"] == "updated"
    assert doc["last_attempt"]["started_at"].endswith("+00:00")

    # The default estimate from a plain install, with none of the test extra's libraries: the
    # wheel was installed without extras.
    python = str(exe.parent / "python")
    assert run([python, "-c", "import arviz_stats"], env, cwd).returncode == 1
    estimated = run(
        [str(exe), "ideal-points", "--from-session", "79", "--format", "json"], env, cwd
    )
    assert estimated.returncode == 0, estimated.stderr
    rows = json.loads(estimated.stdout)
    assert len(rows) > 150 and {r["period"] for r in rows} == {79}
    assert "Traceback" not in estimated.stderr
    # Nothing was written into the installed package.
    site = exe.parent.parent / "lib"
    assert not list(site.rglob("*.duckdb"))


def _requirements(wheel: Path) -> list[str]:
    """The wheel's Requires-Dist lines."""
    with zipfile.ZipFile(wheel) as z:
        (meta,) = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        text = z.read(meta).decode()
    return [line.split(":", 1)[1].strip() for line in text.splitlines()
            if line.startswith("Requires-Dist:")]  # fmt: skip


def test_numba_is_core_while_the_default_estimate_needs_it(wheel: Path) -> None:
    # The EM (alignment.em) is compiled with numba, so a plain install carries it; the mcmc
    # extra names it too, for the day the EM needs it no more. The message a missing extra
    # gives is tested in test_mcmc with numba made unimportable.
    requires = _requirements(wheel)
    assert any(re.match(r"numba\b.*; extra == .mcmc.$", r) for r in requires), requires
    assert any(re.fullmatch(r"numba[<>=!~.,0-9 ]*", r) for r in requires), requires
