"""Hostile and careless input at the command line: every case ends in a one-line message and
a documented exit code, never a traceback, and nothing stored is lost or changed.

The table below is the issue's list of what used to break (readers' own cases are in
tests/test_sources_hostile.py). `python tests/test_hostile_cli.py STORE` prints it as a
Markdown table of exit codes and first lines.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from alignment import resources
from alignment.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared" / "data").resolve()


@dataclass(frozen=True)
class Case:
    name: str
    args: Callable[[Path, Path], list[str]]  # (the real store, a scratch folder) -> argv
    exit: int
    first: str  # the start of the message's first line (after "Error: " / "Warning: ")


def _not_duckdb(tmp: Path) -> Path:
    (tmp / "bad.duckdb").write_text("not a duckdb file")
    return tmp / "bad.duckdb"


def _truncated(store: Path, tmp: Path) -> Path:
    (tmp / "cut.duckdb").write_bytes(store.read_bytes()[:100_000])
    return tmp / "cut.duckdb"


def _no_vote_json(tmp: Path) -> Path:
    for line in (SHARED / "unxml" / "data_extract" / "80.json").read_text().splitlines():
        if json.loads(line).get("voting_type") == "adoptedWithoutVote":
            (tmp / "80.json").write_text(line + "\n")
            return tmp / "80.json"
    raise AssertionError("80.json has no resolution adopted without a vote")


def _many_partners() -> str:
    """300 codes: every state of the crosswalk, then repeats."""
    with resources.data_file("countries.csv").open(encoding="utf-8") as f:
        codes = [row["iso3"] for row in csv.DictReader(f)]
    return ",".join((codes * 2)[:300])


def _copy(store: Path, tmp: Path) -> Path:
    shutil.copy(store, tmp / "copy.duckdb")
    return tmp / "copy.duckdb"


def _corrupt_attempt(store: Path, tmp: Path) -> Path:
    db = _copy(store, tmp)
    (tmp / "copy.duckdb.last-refresh.json").write_text("{not json")
    return db


def _under_a_file(tmp: Path) -> Path:
    (tmp / "plain").write_text("x")
    return tmp / "plain" / "alignment.duckdb"


CASES = [
    Case("status: a file that is not DuckDB", lambda s, t: ["status", "--db", str(_not_duckdb(t))],
         0, "store: "),
    Case("sql: a file that is not DuckDB", lambda s, t: ["sql", "SELECT 1", "--db", str(_not_duckdb(t))],
         1, "Error: "),
    Case("report: a truncated store", lambda s, t: ["report", "country", "BLR", "--db", str(_truncated(s, t)),
         "-o", str(t)], 1, "Error: "),
    Case("sql: a truncated store", lambda s, t: ["sql", "SELECT 1", "--db", str(_truncated(s, t))],
         1, "Error: "),
    Case("status: a corrupt .last-refresh.json", lambda s, t: ["status", "--db", str(_corrupt_attempt(s, t))],
         0, "store: "),
    Case("status --max-age: not a duration", lambda s, t: ["status", "--max-age", "2 days", "--db", str(s)],
         2, "Error: '2 days' is not a duration"),
    Case("refresh: a file with no roll call", lambda s, t: ["refresh", "--from", str(_no_vote_json(t)),
         "--db", str(t / "new.duckdb")], 65, "Error: the files hold no recorded vote"),
    Case("refresh: --db names a file that is not a store", lambda s, t: ["refresh", "--from",
         str(_no_vote_json(t)), "--db", str(_not_duckdb(t))], 2, "Error: "),
    Case("refresh: --db under a plain file", lambda s, t: ["refresh", "--from", str(_no_vote_json(t)),
         "--db", str(_under_a_file(t))], 1, "Error: cannot write beside the store"),
    Case("ideal-points --from-session 200", lambda s, t: ["ideal-points", "--from-session", "200",
         "--db", str(s)], 2, "Error: no roll call in the sessions asked"),
    Case("ideal-points --from-session 500", lambda s, t: ["ideal-points", "--from-session", "500",
         "--db", str(s)], 2, "Error: Invalid value for '--from-session'"),
    Case("report --from -5", lambda s, t: ["report", "country", "BLR", "--from", "-5", "--db", str(s)],
         2, "Error: Invalid value for '--from'"),
    Case("metrics --bootstrap 100000000", lambda s, t: ["metrics", "--countries", "BLR,RUS",
         "--bootstrap", "100000000", "--db", str(s)], 2, "Error: Invalid value for '--bootstrap'"),
    Case("sql --format csv with a list column", lambda s, t: ["sql", "SELECT [1, 2] AS l, 'x' AS s",
         "--format", "csv", "--db", str(s)], 0, "l,s"),
    Case("sql -o into a folder that does not exist", lambda s, t: ["sql", "SELECT 1", "-o",
         str(t / "no" / "such" / "out.csv"), "--db", str(s)], 1, "Error: "),
    Case("sql starting with a -- comment", lambda s, t: ["sql", "-- why\nSELECT 1 AS one",
         "--format", "csv", "--db", str(s)], 0, "one"),
    Case("sql: a 20 MB name is cut in the message", lambda s, t: ["metrics", "--countries",
         "X" * 20_000_000, "--db", str(s)], 2, "Error: unknown country code 'XXXX"),
    Case("report country YUG (a seat that ended)", lambda s, t: ["report", "country", "YUG",
         "--db", str(s), "-o", str(t)], 2, "Error: Yugoslavia (YUG) cast no recorded vote from 2011"),
    Case("report country SSD --from 1990 --to 2005 (before the state)", lambda s, t: ["report",
         "country", "SSD", "--from", "1990", "--to", "2005", "--db", str(s), "-o", str(t)], 2,
         "Error: South Sudan (SSD) cast no recorded vote from 1990 to 2005"),
    Case("report country BRA --partners BRA", lambda s, t: ["report", "country", "BRA",
         "--partners", "BRA", "--db", str(s), "-o", str(t)], 2,
         "Error: --partners names BRA, the report's own state"),
    Case("report country PSE (an observer)", lambda s, t: ["report", "country", "PSE", "--db",
         str(s), "-o", str(t)], 2, "Error: State of Palestine (PSE) cast no recorded vote"),
    Case("report --partners with 300 states", lambda s, t: ["report", "country", "BRA",
         "--partners", _many_partners(), "--db", str(s), "-o", str(t)], 2,
         "Error: --partners names 218 states; a report compares with at most 6"),
    Case("metrics: an unknown topic", lambda s, t: ["metrics", "--countries", "BLR", "--topic",
         "nothing", "--db", str(s)], 2, "Error: unknown topic 'nothing'"),
]  # fmt: skip


def run(case: Case, store: Path, tmp: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, case.args(store, tmp))
    text = result.output
    lines = [ln for ln in text.splitlines() if ln.strip()]
    # The message is the line that says Error (after log lines, or click's usage lines).
    said = [ln for ln in lines if ln.startswith(("Error: ", "Warning: "))]
    return result.exit_code, (said or lines or [""])[0], text


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input_ends_in_a_message(case: Case, built_store: Path, tmp_path: Path) -> None:
    before = hashlib.sha256(built_store.read_bytes()).hexdigest()
    code, first, text = run(case, built_store, tmp_path)
    assert "Traceback" not in text, text
    assert code == case.exit, text[:2000]
    assert first.startswith(case.first), first[:300]
    assert len(first) < 3000 and "X" * 100 not in first  # a message, not an echo of the input
    assert hashlib.sha256(built_store.read_bytes()).hexdigest() == before


def test_non_store_is_not_replaced_unless_forced(tmp_path: Path, shared_data: Path) -> None:
    target = _not_duckdb(tmp_path)
    source = shared_data / "undl" / "ga_voting_excerpt_2026-02-06_layout.csv"
    refused = CliRunner().invoke(cli, ["refresh", "--from", str(source), "--db", str(target)])
    assert refused.exit_code == 2 and "is not an alignment store" in refused.output
    assert target.read_text() == "not a duckdb file"
    forced = CliRunner().invoke(
        cli, ["refresh", "--from", str(source), "--db", str(target), "--force"]
    )
    assert forced.exit_code == 0, forced.output
    assert target.read_bytes()[:100] != b"not a duckdb file"


def test_a_linked_store_is_refreshed_through_the_link(tmp_path: Path, shared_data: Path) -> None:
    real = tmp_path / "real" / "alignment.duckdb"
    real.parent.mkdir()
    link = tmp_path / "link.duckdb"
    link.symlink_to(real)
    source = shared_data / "undl" / "ga_voting_excerpt_2026-02-06_layout.csv"
    for _ in range(2):
        result = CliRunner().invoke(cli, ["refresh", "--from", str(source), "--db", str(link)])
        assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.is_file() and not real.is_symlink()
    # The lock and the record of the attempt sit beside the real file.
    assert (real.parent / "alignment.duckdb.last-refresh.json").is_file()
    assert not (tmp_path / "link.duckdb.last-refresh.json").exists()


def main(store: Path) -> None:
    """The table of the cases, for the closing note: input, exit code, first line."""
    import tempfile

    print("| input | exit | first line of the message |\n| --- | --- | --- |")
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            code, first, _ = run(case, store, Path(tmp))
        print(f"| {case.name} | {code} | `{first[:160].replace('|', '/')}` |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
