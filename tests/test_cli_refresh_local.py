"""`alignment refresh --from`: the local build through the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from alignment import store
from alignment.cli import cli


def test_refresh_from_folder_prints_what_it_built(tmp_path: Path, shared_data: Path) -> None:
    """What the build holds, on stdout; a file left by a killed build is removed and said;
    a mirror named in the environment is not used (nothing fetched, no fetch state)."""
    db = tmp_path / "s.duckdb"
    leftover = tmp_path / "s.duckdb.new-4242"
    leftover.write_bytes(b"half a store")
    result = CliRunner().invoke(
        cli, ["refresh", "--from", str(shared_data / "undl"), "--db", str(db)],
        env={"ALIGNMENT_MIRROR": "http://127.0.0.1:9/never-used"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # The excerpt: 109 votes of 4 resolutions; the MARCXML record: 193 votes of A/RES/78/264.
    assert result.stdout == (
        f"{db}: 5 roll calls, 302 votes, 2003-12-03 to 2025-12-01; "
        "0 votes on which sources disagree\n"
    )
    assert not leftover.exists()
    assert "left by an interrupted refresh" in result.stderr
    with store.connect(db) as con:
        assert con.execute("SELECT count(*) FROM fetch_state").fetchall() == [(0,)]


def test_refresh_db_from_environment(tmp_path: Path, shared_data: Path) -> None:
    db = tmp_path / "env.duckdb"
    result = CliRunner().invoke(
        cli,
        ["refresh", "--from", str(shared_data / "undl" / "marcxml")],
        env={"ALIGNMENT_DB": str(db)},
    )
    assert result.exit_code == 0, result.output
    assert db.exists()


def test_refresh_bad_file_exits_65_naming_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "votes.csv"
    bad.write_text(
        "rcid,session,vote,ccode,member,importantvote,date,unres,me,nu,di,hr,co,ec,year\n"
        "5180,66,3,370,1,0,2/16/2012,R/66/253,0,0,0,1,0,0,2012\n"
        "5180,66,3,9999,1,0,2/16/2012,R/66/253,0,0,0,1,0,0,2012\n"
    )
    db = tmp_path / "s.duckdb"
    result = CliRunner().invoke(cli, ["refresh", "--from", str(bad), "--db", str(db)])
    assert result.exit_code == 65
    # Log lines (start, outcome) come first, as for any refresh; the error is the last line.
    assert result.stderr.strip().splitlines()[-1].startswith(f"Error: {bad}:3: ")
    assert "9999" in result.stderr and "data/country_codes.csv" in result.stderr
    assert not db.exists()
