"""Hostile and careless input at the command line and in Python: every case ends in a one-line
message and a documented exit code (alignment.errors; docs/reference/commands.md), never a
traceback; the error is printed once; nothing stored is lost or changed, and a refused ``--db``
gets nothing written beside it.

The table below is the issue's list of what used to break (readers' own cases are in
tests/test_sources_hostile.py). Each case runs against the checkout (click's CliRunner, or the
checkout's interpreter for Ctrl-C and Python cases) and against the installed wheel (the
``installed`` fixture of conftest.py). `python tests/test_hostile_cli.py STORE [ALIGNMENT]`
prints the table (input, exit code, first line) for the checkout, or for an installed
``alignment`` command.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from alignment import resources
from alignment.cli import cli
from alignment.schema import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared" / "data").resolve()
EXCERPT = SHARED / "undl" / "ga_voting_excerpt_2026-02-06_layout.csv"
# A query that would run for hours: every pair of votes.
RUNAWAY = "SELECT count(*) FROM votes a, votes b WHERE a.iso3 < b.iso3"
# A window over ten hashes of every vote: more than 150 MB of keys to sort, so 60 MB spills.
SPILLS = ("SELECT max(r) AS n FROM (SELECT row_number() OVER (ORDER BY h) AS r FROM "
          "(SELECT hash(roll_call_id, iso3, i) AS h FROM votes, range(10) t(i)))")  # fmt: skip
BLOCK_HEADERS, BLOCK_SIZE = 3 * 4096, 262144  # DuckDB's file layout: headers, then blocks


@dataclass(frozen=True)
class Case:
    name: str
    args: Callable[[Path, Path], list[str]]  # (the real store, a scratch folder) -> argv
    exit: int
    first: str  # the start of the message's first line (after log lines)
    contains: str = ""  # and a part of it
    env: Callable[[Path, Path], dict[str, str]] = field(default=lambda s, t: {})
    stdin: bytes | None = None
    interrupt_after: float | None = None  # seconds, then SIGINT (Ctrl-C)
    python: str | None = None  # a script run with sys.argv[1:] = args, instead of the CLI
    leaves_nothing: bool = False  # no new file in the scratch folder (a refused --db)


# --- the inputs ---------------------------------------------------------------------------


def _text_file(tmp: Path, name: str = "bad.duckdb") -> Path:
    (tmp / name).write_text("not a duckdb file")
    return tmp / name


def _empty(tmp: Path) -> Path:
    (tmp / "empty.duckdb").write_bytes(b"")
    return tmp / "empty.duckdb"


def _truncated(store: Path, tmp: Path) -> Path:
    (tmp / "cut.duckdb").write_bytes(store.read_bytes()[:100_000])
    return tmp / "cut.duckdb"


def _copy(store: Path, tmp: Path, name: str = "copy.duckdb") -> Path:
    shutil.copy(store, tmp / name)
    return tmp / name


def _damaged_block(store: Path, tmp: Path) -> Path:
    """A copy whose blocks holding votes are overwritten in their middle: it opens (the
    catalog is intact), but a read of those blocks fails DuckDB's checksum."""
    db = _copy(store, tmp, "damaged.duckdb")
    with duckdb.connect(str(store), read_only=True) as con:
        blocks = [b for (b,) in con.execute(
            "SELECT DISTINCT block_id FROM pragma_storage_info('votes') WHERE block_id >= 0"
        ).fetchall()]  # fmt: skip
    with db.open("r+b") as handle:
        for block in blocks:
            handle.seek(BLOCK_HEADERS + block * BLOCK_SIZE + BLOCK_SIZE // 2)
            handle.write(b"\xde\xad\xbe\xef" * 16)
    return db


def _older(store: Path, tmp: Path) -> Path:
    """A copy that says it was built with the previous schema."""
    db = _copy(store, tmp, "older.duckdb")
    with duckdb.connect(str(db)) as con:
        con.execute(
            "UPDATE store_meta SET value = $v WHERE key = 'schema_version'",
            {"v": str(SCHEMA_VERSION - 1)},
        )
    return db


def _unmarked(store: Path, tmp: Path) -> Path:
    """A copy with this schema's version but no fingerprint of its tables: built by a version
    whose tables differ although it did not raise SCHEMA_VERSION."""
    db = _copy(store, tmp, "unmarked.duckdb")
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM store_meta WHERE key = 'schema_fingerprint'")
    return db


def _other_duckdb(tmp: Path) -> Path:
    with duckdb.connect(str(tmp / "other.duckdb")) as con:
        con.execute("CREATE TABLE mine AS SELECT 42 AS answer")
    return tmp / "other.duckdb"


def _corrupt_attempt(store: Path, tmp: Path) -> Path:
    db = _copy(store, tmp)
    (tmp / "copy.duckdb.last-refresh.json").write_text("{not json")
    return db


def _under_a_file(tmp: Path) -> Path:
    (tmp / "plain").write_text("x")
    return tmp / "plain" / "alignment.duckdb"


def _link_to_text(tmp: Path) -> Path:
    target = _text_file(tmp, "notes.txt")
    (tmp / "link.duckdb").symlink_to(target)
    return tmp / "link.duckdb"


def _folder(tmp: Path) -> Path:
    (tmp / "folder.duckdb").mkdir()
    return tmp / "folder.duckdb"


def _json_lines(tmp: Path, change: Callable[[dict], dict] | None = None) -> Path:
    """The first recorded vote of the UN's 80.json, changed by ``change``."""
    for line in (SHARED / "unxml" / "data_extract" / "80.json").read_text().splitlines():
        record = json.loads(line)
        if record.get("adoption_type", "").lower() == "by a recorded vote":
            break
    (tmp / "80.json").write_text(json.dumps(change(record) if change else record) + "\n")
    return tmp / "80.json"


def _no_vote_json(tmp: Path) -> Path:
    for line in (SHARED / "unxml" / "data_extract" / "80.json").read_text().splitlines():
        if json.loads(line).get("voting_type") == "adoptedWithoutVote":
            (tmp / "80.json").write_text(line + "\n")
            return tmp / "80.json"
    raise AssertionError("80.json has no resolution adopted without a vote")


def _reworded(record: dict) -> dict:
    return {**record, "adoption_type": "By a roll-call vote"}


def _padded(record: dict) -> dict:
    """300 names for a count of 300, from the record's own distinct voters repeated."""
    names = record["MS_in_favour"]
    return {**record, "MS_in_favour": (names * 3)[:300], "MS_in_favour_count": "300"}


def _short(record: dict) -> dict:
    return {**record, "MS_in_favour": record["MS_in_favour"][:-5]}


def _named_twice(record: dict) -> dict:
    names = record["MS_in_favour"]
    return {**record, "MS_in_favour": [*names, names[0]],
            "MS_in_favour_count": str(len(names) + 1)}  # fmt: skip


def _many_partners() -> str:
    """300 codes: every state of the crosswalk, then repeats."""
    with resources.data_file("countries.csv").open(encoding="utf-8") as f:
        codes = [row["iso3"] for row in csv.DictReader(f)]
    return ",".join((codes * 2)[:300])


def _sql_file(tmp: Path, data: bytes) -> str:
    (tmp / "query.sql").write_bytes(data)
    return str(tmp / "query.sql")


# Python cases: a script given the store and the scratch folder; it prints one line and exits
# with the code the error carries (what a user's script sees is the exception).
PY_PRELUDE = """
import sys
from pathlib import Path
import duckdb
import alignment
from alignment import analyses
from alignment.errors import AlignmentError
store, tmp = Path(sys.argv[1]), Path(sys.argv[2])
try:
"""
PY_CODA = """
except AlignmentError as exc:
    print(f"{type(exc).__name__}: {exc}")
    sys.exit(exc.exit_code)
"""


def script(body: str) -> str:
    return PY_PRELUDE + textwrap.indent(textwrap.dedent(body).strip(), "    ") + PY_CODA


def py_args(store: Path, tmp: Path) -> list[str]:
    return [str(store), str(tmp)]


CASES = [
    # The store: missing pieces, damage, another program's file, another version's schema.
    Case("status: a text file", lambda s, t: ["status", "--db", str(_text_file(t))],
         66, "Error: ", "cannot be opened as an alignment store"),
    Case("status: an empty file", lambda s, t: ["status", "--db", str(_empty(t))],
         66, "Error: ", "cannot be opened as an alignment store"),
    Case("status: a truncated store", lambda s, t: ["status", "--db", str(_truncated(s, t))],
         66, "Error: ", "cannot be opened as an alignment store"),
    Case("status: a DuckDB file that is not a store", lambda s, t: ["status", "--db",
         str(_other_duckdb(t))], 66, "Error: ", "store_meta"),
    Case("status --check: a store with a damaged block", lambda s, t: ["status", "--check",
         "--db", str(_damaged_block(s, t))], 66, "Error: the store is damaged (Corrupt database file"),
    Case("status --check: the intact store", lambda s, t: ["status", "--check", "--db",
         str(_copy(s, t))], 0, "store: "),
    Case("status: a store of an older schema", lambda s, t: ["status", "--db", str(_older(s, t))],
         2, "Error: ", "run `alignment refresh`"),
    Case("status: a corrupt .last-refresh.json", lambda s, t: ["status", "--db",
         str(_corrupt_attempt(s, t))], 0, "store: "),
    Case("status --max-age: not a duration", lambda s, t: ["status", "--max-age", "2 days",
         "--db", str(s)], 2, "Error: '2 days' is not a duration"),
    Case("status --max-age 1s", lambda s, t: ["status", "--max-age", "1s", "--db",
         str(_copy(s, t))], 3, "Error: ", "more than 1 second"),
    Case("sql: a text file", lambda s, t: ["sql", "SELECT 1", "--db", str(_text_file(t))],
         66, "Error: ", "cannot be opened as an alignment store"),
    Case("sql: a truncated store", lambda s, t: ["sql", "SELECT 1", "--db", str(_truncated(s, t))],
         66, "Error: ", "cannot be opened as an alignment store"),
    Case("sql: a DuckDB file that is not a store", lambda s, t: ["sql", "SELECT 1", "--db",
         str(_other_duckdb(t))], 66, "Error: ", "not an alignment store"),
    Case("sql: a store of an older schema", lambda s, t: ["sql", "SELECT 1", "--db",
         str(_older(s, t))], 2, "Error: ", "was built by an older alignment"),
    Case("sql: a store of this schema version with other tables", lambda s, t: ["sql",
         "SELECT 1", "--db", str(_unmarked(s, t))], 2, "Error: ", "tables of another layout"),
    Case("report: a truncated store", lambda s, t: ["report", "country", "BLR", "--db",
         str(_truncated(s, t)), "-o", str(t)], 66, "Error: "),
    # -o never overwrites the store, its files or any DuckDB database.
    Case("sql -o the store", lambda s, t: ["sql", "SELECT 1", "-o", str(s), "--db", str(s)],
         2, "Error: --output", "is the store or one of its files"),
    Case("sql -o the store's write-ahead log", lambda s, t: ["sql", "SELECT 1", "-o",
         str(s) + ".wal", "--db", str(s)], 2, "Error: --output", "is the store or one of its"),
    Case("sql -o the store's lock", lambda s, t: ["sql", "SELECT 1", "-o", str(s) + ".lock",
         "--db", str(s)], 2, "Error: --output", "is the store or one of its files"),
    Case("metrics -o the store", lambda s, t: ["metrics", "--countries", "BLR,RUS", "-o", str(s),
         "--db", str(s)], 2, "Error: --output", "is the store or one of its files"),
    Case("report -o a DuckDB database named .html", lambda s, t: ["report", "country", "BLR",
         "--from", "2024", "-o", str(_copy(s, t, "page.html")), "--db", str(s)], 2,
         "Error: --output", "is a DuckDB database"),
    Case("sql -o another DuckDB database", lambda s, t: ["sql", "SELECT 1", "-o",
         str(_other_duckdb(t)), "--db", str(s)], 2, "Error: --output", "is a DuckDB database"),
    # SQL: limits by the engine.
    Case("sql --timeout 1: a runaway query", lambda s, t: ["sql", RUNAWAY, "--timeout", "1",
         "--db", str(s)], 124, "Error: the query ran longer than 1 s"),
    Case("sql: Ctrl-C on a runaway query", lambda s, t: ["sql", RUNAWAY, "--timeout", "0",
         "--db", str(s)], 130, "Error: interrupted (Ctrl-C)", interrupt_after=3.0),
    Case("sql --memory-limit lots", lambda s, t: ["sql", "SELECT 1", "--memory-limit", "lots",
         "--db", str(s)], 2, "Error: memory limit 'lots' is not a size"),
    Case("sql --memory-limit 60MB: a window over every vote spills", lambda s, t: ["sql",
         SPILLS, "--memory-limit", "60MB", "--format", "csv", "--db", str(s)], 0, "n"),
    Case("sql --memory-limit 5MB: too little", lambda s, t: ["sql", SPILLS, "--memory-limit",
         "5MB", "--db", str(s)], 1, "Error: the query needs more memory than its limit"),
    # SQL text that is not text.
    Case("sql: a binary file", lambda s, t: ["sql", _sql_file(t, b"SELECT 1\x00\x01\x02"),
         "--db", str(s)], 65, "Error: ", "holds a NUL character"),
    Case("sql: a file that is not UTF-8", lambda s, t: ["sql", _sql_file(t, b"SELECT '\xff'"),
         "--db", str(s)], 65, "Error: ", "is not UTF-8 text (byte 0xff at offset 8)"),
    Case("sql: an argument that is not UTF-8", lambda s, t: ["sql", "SELECT '\udcff'", "--db",
         str(s)], 65, "Error: the SQL argument is not UTF-8 text"),
    Case("sql: standard input that is not UTF-8", lambda s, t: ["sql", "-", "--db", str(s)],
         65, "Error: standard input is not UTF-8 text", stdin=b"SELECT '\xfe'"),
    Case("sql ANALYZE", lambda s, t: ["sql", "ANALYZE", "--db", str(s)],
         1, "Error: refused: ANALYZE statement"),
    Case("sql 'SELECT 1; SELECT 2'", lambda s, t: ["sql", "SELECT 1 AS one; SELECT 2 AS two",
         "--format", "csv", "--db", str(s)], 0, "Warning: the SQL holds 2 statements"),
    Case("sql --format csv with a list column", lambda s, t: ["sql", "SELECT [1, 2] AS l, 'x' AS s",
         "--format", "csv", "--db", str(s)], 0, "l,s"),
    Case("sql -o into a folder that does not exist", lambda s, t: ["sql", "SELECT 1", "-o",
         str(t / "no" / "such" / "out.csv"), "--db", str(s)], 1, "Error: "),
    Case("sql starting with a -- comment", lambda s, t: ["sql", "-- why\nSELECT 1 AS one",
         "--format", "csv", "--db", str(s)], 0, "one"),
    # (20 MB through click's runner; an argument of a real process is capped at 128 kB.)
    Case("metrics: a long name is cut in the message", lambda s, t: ["metrics", "--countries",
         "X" * 120_000, "--db", str(s)], 2, "Error: unknown country code 'XXXX"),
    # refresh: bad data, refused --db, stores that cannot be replaced.
    Case("refresh: a file with no roll call", lambda s, t: ["refresh", "--from",
         str(_no_vote_json(t)), "--db", str(t / "new.duckdb")], 65,
         "Error: the files hold no recorded vote"),
    Case("refresh: voters under an unknown adoption_type", lambda s, t: ["refresh", "--from",
         str(_json_lines(t, _reworded)), "--db", str(t / "new.duckdb")], 65, "Error: ",
         "lists voters but its adoption_type 'by a roll-call vote' is neither"),
    Case("refresh: 300 names for a count of 300, each state listed 2 or 3 times", lambda s, t: [
         "refresh", "--from", str(_json_lines(t, _padded)), "--db", str(t / "new.duckdb")], 65,
         "Error: ", "times in MS_in_favour (300 names"),
    Case("refresh: a vote list 5 names short of its count", lambda s, t: ["refresh", "--from",
         str(_json_lines(t, _short)), "--db", str(t / "new.duckdb")], 65, "Error: ",
         "the list and its count disagree"),
    Case("refresh: a state named twice in a vote list", lambda s, t: ["refresh", "--from",
         str(_json_lines(t, _named_twice)), "--db", str(t / "new.duckdb")], 65, "Error: ",
         "2 times in MS_in_favour"),
    Case("refresh: --db a file that is not a store", lambda s, t: ["refresh", "--from",
         str(EXCERPT), "--db", str(_text_file(t))], 2, "Error: ", "is not an alignment store",
         leaves_nothing=True),
    Case("refresh: --db a link to a text file", lambda s, t: ["refresh", "--from", str(EXCERPT),
         "--db", str(_link_to_text(t))], 2, "Error: ", "is not an alignment store",
         leaves_nothing=True),
    Case("refresh: --db a truncated store", lambda s, t: ["refresh", "--from", str(EXCERPT),
         "--db", str(_truncated(s, t))], 2, "Error: ", "run this refresh again with --force",
         leaves_nothing=True),
    Case("refresh: --db another program's DuckDB file", lambda s, t: ["refresh", "--from",
         str(EXCERPT), "--db", str(_other_duckdb(t))], 2, "Error: ",
         "is a DuckDB database but not an alignment store", leaves_nothing=True),
    Case("refresh: --db under a plain file", lambda s, t: ["refresh", "--from", str(EXCERPT),
         "--db", str(_under_a_file(t))], 1, "Error: cannot write beside the store", "is a file, not a folder",
         leaves_nothing=True),
    Case("refresh: ALIGNMENT_DB a folder", lambda s, t: ["refresh", "--from", str(EXCERPT)],
         2, "Error: ", "is a folder", env=lambda s, t: {"ALIGNMENT_DB": str(_folder(t))},
         leaves_nothing=True),
    Case("refresh --force: a store that cannot be replaced (a folder)", lambda s, t: [
         "refresh", "--force", "--from", str(EXCERPT)], 1, "Error: cannot replace the store",
         "the new store was discarded", env=lambda s, t: {"ALIGNMENT_DB": str(_folder(t))}),
    Case("refresh: --db a path with an apostrophe", lambda s, t: ["refresh", "--from",
         str(EXCERPT), "--db", str(t / "it's.duckdb")], 0, "", "it's.duckdb"),
    Case("sql: --db a path with an apostrophe", lambda s, t: ["sql", "SELECT 1 AS one",
         "--format", "csv", "--db", str(_copy(s, t, "it's.duckdb"))], 0, "one"),
    # Reports the store cannot give.
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
    Case("report --from -5", lambda s, t: ["report", "country", "BLR", "--from", "-5", "--db",
         str(s)], 2, "Error: Invalid value for '--from'"),
    # Other commands' options.
    Case("ideal-points --from-session 200", lambda s, t: ["ideal-points", "--from-session", "200",
         "--db", str(s)], 2, "Error: no roll call in the sessions asked"),
    Case("ideal-points --from-session 500", lambda s, t: ["ideal-points", "--from-session", "500",
         "--db", str(s)], 2, "Error: Invalid value for '--from-session'"),
    Case("metrics --bootstrap 100000000", lambda s, t: ["metrics", "--countries", "BLR,RUS",
         "--bootstrap", "100000000", "--db", str(s)], 2, "Error: Invalid value for '--bootstrap'"),
    Case("metrics: an unknown topic", lambda s, t: ["metrics", "--countries", "BLR", "--topic",
         "nothing", "--db", str(s)], 2, "Error: unknown topic 'nothing'"),
    Case("coverage --from yesterday", lambda s, t: ["coverage", "--from", "yesterday", "--db",
         str(s)], 2, "Error: Invalid value for '--from'", "'yesterday' is not a date"),
    # Python: what a script sees.
    Case("python: connect() beside the user's own duckdb.connect(read_only=True)", py_args, 0,
         "both read", python=script("""
         mine = duckdb.connect(str(store), read_only=True)
         con = alignment.connect(store)
         same = mine.execute("SELECT count(*) FROM votes").fetchall() == con.execute(
             "SELECT count(*) FROM votes").fetchall()
         print("both read" if same else "they differ")
         """)),
    Case("python: connect() to a store of an older schema", lambda s, t: [str(_older(s, t)),
         str(t)], 2, "StoreOutdated: ", "was built by an older alignment", python=script("""
         alignment.connect(store)
         """)),
    Case("python: connect(timeout=1) on a runaway query", py_args, 0, "InterruptException",
         "maximum execution time", python=script(f"""
         con = alignment.connect(store, timeout=1)
         try:
             con.sql("{RUNAWAY}").fetchall()
         except duckdb.InterruptException as exc:
             print(f"InterruptException: {{exc}}")
         """)),
    Case("python: connect(memory_limit='1000MiB') is the engine's", py_args, 0, "1000.0 MiB",
         python=script("""
         con = alignment.connect(store, memory_limit="1000MiB")
         print(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])
         """)),
    Case("python: analyses.read_coverage with dates as text", py_args, 0, "coverage: ok",
         python=script("""
         con = alignment.connect(store)
         rows = analyses.read_coverage(con, "2020-01-01", "2021")
         notes = analyses.coverage_notes(rows, "2021-12-31")
         print("coverage: ok" if rows.height and isinstance(notes, list) else "coverage: empty")
         """)),
    Case("python: analyses.read_coverage with a date that is none", py_args, 2, "UsageError: ",
         "'yesterday' is not a date", python=script("""
         analyses.read_coverage(alignment.connect(store), "yesterday")
         """)),
]  # fmt: skip


# --- running a case -----------------------------------------------------------------------

Runner = Callable[[Case, list[str], dict[str, str], Path], tuple[int, str]]


def first_line(text: str) -> str:
    """The message's line: the first that says Error or Warning (after log lines and click's
    usage lines), else the first line."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    said = [ln for ln in lines if ln.startswith(("Error: ", "Warning: "))]
    return (said or lines or [""])[0]


def in_checkout(case: Case, argv: list[str], env: dict[str, str], tmp: Path) -> tuple[int, str]:
    if case.python is not None or case.interrupt_after is not None:
        return in_subprocess(case, argv, env, tmp, Path(sys.executable).parent)
    result = CliRunner().invoke(cli, argv, input=case.stdin, env=env)
    return result.exit_code, result.output


def in_subprocess(
    case: Case, argv: list[str], env: dict[str, str], tmp: Path, bin_dir: Path,
    base_env: dict[str, str] | None = None,
) -> tuple[int, str]:  # fmt: skip
    """Run with the `alignment` command (or python) of ``bin_dir``; stdout and stderr."""
    command = (
        [str(bin_dir / "python"), "-c", case.python, *argv]
        if case.python is not None
        else [str(bin_dir / "alignment"), *argv]
    )
    full_env = {**(base_env or os.environ), **env}
    if "ALIGNMENT_DB" not in env:  # only the store a case names
        full_env.pop("ALIGNMENT_DB", None)
    process = subprocess.Popen(
        command, env=full_env, cwd=tmp, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    if case.interrupt_after is not None:
        time.sleep(case.interrupt_after)
        process.send_signal(signal.SIGINT)
    out, err = process.communicate(case.stdin, timeout=600)
    return process.returncode, (out + err).decode("utf-8", "replace")


def check(case: Case, store: Path, tmp: Path, runner: Runner) -> tuple[int, str]:
    before = hashlib.sha256(store.read_bytes()).hexdigest()
    argv = case.args(store, tmp)
    env = case.env(store, tmp)
    present = set(tmp.rglob("*"))
    code, text = runner(case, argv, env, tmp)
    first = first_line(text)
    assert "Traceback" not in text, text[-3000:]
    assert code == case.exit, text[-2000:]
    assert first.startswith(case.first), first[:300]
    assert case.contains in first, first[:300]
    assert len(first) < 3000 and "X" * 100 not in first  # a message, not an echo of the input
    if first.startswith("Error: "):  # printed once, not also in a log line
        assert text.count(first.removeprefix("Error: ")) == 1, text[-3000:]
    assert hashlib.sha256(store.read_bytes()).hexdigest() == before
    if case.leaves_nothing:
        assert set(tmp.rglob("*")) == present, sorted(set(tmp.rglob("*")) - present)
    assert not list(tmp.rglob("*.new-*")), "a half-built store was left behind"
    return code, first


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_in_the_checkout(case: Case, built_store: Path, tmp_path: Path) -> None:
    check(case, built_store, tmp_path, in_checkout)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_with_the_installed_wheel(case: Case, built_store: Path, tmp_path: Path, installed) -> None:
    exe, env, _, _ = installed

    def runner(case: Case, argv: list[str], more: dict[str, str], tmp: Path) -> tuple[int, str]:
        return in_subprocess(case, argv, more, tmp, exe.parent, base_env=env)

    check(case, built_store, tmp_path, runner)


def test_a_store_that_cannot_be_replaced_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rename that swaps a new store in fails (a read-only mount, a busy file): one line,
    the new file removed, the old store untouched."""
    db = tmp_path / "alignment.duckdb"
    assert (
        CliRunner().invoke(cli, ["refresh", "--from", str(EXCERPT), "--db", str(db)]).exit_code == 0
    )
    before = db.read_bytes()

    rename = os.replace

    def busy(src: object, dst: object) -> None:
        if Path(dst) == db:
            raise OSError(16, "Device or resource busy")
        rename(src, dst)

    monkeypatch.setattr(os, "replace", busy)
    result = CliRunner().invoke(
        cli, ["refresh", "--force", "--from", str(EXCERPT), "--db", str(db)]
    )
    assert result.exit_code == 1, result.output
    assert first_line(result.output).startswith(
        f"Error: cannot replace the store {db}: Device or resource busy"
    )
    assert db.read_bytes() == before
    assert not list(tmp_path.glob("*.new-*"))


def test_refresh_says_each_stage_and_its_notes_before_the_outcome(tmp_path: Path) -> None:
    """A job's log: a line per stage with counts and seconds, the readers' notes before the
    outcome line."""
    source = SHARED / "unxml" / "data_extract" / "79.json"
    result = CliRunner().invoke(
        cli, ["--log-format", "json", "refresh", "--from", str(source), "--db",
              str(tmp_path / "a.duckdb")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    entries = [json.loads(ln) for ln in result.output.splitlines() if ln.startswith("{")]
    stages = [e["stage"] for e in entries if "stage" in e]  # in the order they end
    assert stages == ["read", "reconcile", "agreement_counts", "bloc tables", "ideal points",
                      "derived tables", "write", "swap"]  # fmt: skip
    assert all(re.search(r"\(\d+\.\d s\)$", e["message"]) for e in entries if "stage" in e)
    messages = [e["message"] for e in entries]
    done = next(i for i, m in enumerate(messages) if m.startswith("refresh done"))
    notes = [i for i, m in enumerate(messages) if m.startswith("note: ")]
    assert notes and max(notes) < done
    assert any("repeated with the same votes" in messages[i] for i in notes)


def test_a_terminal_sees_the_stage_running(tmp_path: Path) -> None:
    """On a terminal (a pseudo-terminal here) the refresh draws a display: a spinner, the
    stage running, its elapsed time; log lines print above it."""
    main_end, child_end = os.openpty()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "alignment"), "refresh", "--from", str(EXCERPT),
         "--db", str(tmp_path / "a.duckdb")],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=child_end,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"},
    )  # fmt: skip
    os.close(child_end)
    chunks = []
    deadline = time.monotonic() + 300  # a hung refresh fails the test, not the whole run
    while time.monotonic() < deadline:
        if not select.select([main_end], [], [], 1.0)[0]:
            continue
        try:
            data = os.read(main_end, 1 << 16)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    else:
        process.kill()
    os.close(main_end)
    assert process.wait(timeout=10) == 0
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))
    assert re.search(r"reconcile\s+0:00:\d\d", drawn), drawn[-2000:]  # the stage, its time
    assert "INFO alignment.progress: stage reconcile:" in drawn


def test_the_guides_name_only_documented_exit_codes() -> None:
    """alignment.errors is the one place an error becomes an exit code (its table is generated
    into docs/reference/commands.md); the guides may only name those codes."""
    from alignment import errors

    documented = {0} | {
        kind.exit_code
        for kind in vars(errors).values()
        if isinstance(kind, type) and issubclass(kind, errors.AlignmentError)
    }
    for page in ("guides/refresh.md", "guides/sql-python.md", "guides/store.md"):
        text = (ROOT / "docs" / page).read_text()
        named = {int(n) for n in re.findall(r"^\| (\d+) \|", text, re.MULTILINE)}
        named |= {int(n) for n in re.findall(r"\bexits?(?: with)?(?: code)? \**(\d+)", text)}
        assert named <= documented, (page, sorted(named - documented))


def main(store: Path, exe: Path | None = None) -> None:
    """The table of the cases, for the closing note: input, exit code, first line."""
    import tempfile

    print("| input | exit | first line of the message |\n| --- | --- | --- |")
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            argv, env = case.args(store, Path(tmp)), case.env(store, Path(tmp))
            if exe is None:
                code, text = in_checkout(case, argv, env, Path(tmp))
            else:
                code, text = in_subprocess(case, argv, env, Path(tmp), exe.parent)
        first = first_line(text)[:160].replace("|", "/")
        print(f"| {case.name} | {code} | `{first}` |")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
