"""`alignment refresh` from upstream, through the command line, against a real HTTP server.

The server (tests/httpserver.py) serves a small mirror assembled in tmp_path from the shared data:
the UN DL excerpt and MARCXML record, two UNxml sessions (80, ES-11), and Voeten's and unvotes'
files cut down to session 70. Every session the refresh asks for that is not there answers 404,
as a session that has not opened yet does upstream. One test uses all of ../shared/data, as a
local folder mirror.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner, Result
from httpserver import CHALLENGE_PAGE, SHARED_DATA, DataServer, Reply

from alignment import attempt, store, upstream
from alignment.cli import cli
from alignment.schema import SCHEMA_VERSION

# Every refresh here reads the real files of ../shared/data, through a mirror.
pytestmark = pytest.mark.store

ALIGNMENT = Path(sys.executable).parent / "alignment"  # the venv's console script
BULK = "undl/ga_voting_excerpt_2026-02-06_layout.csv"
ES11 = "unxml/data_extract/ES-11.json"
S80 = "unxml/data_extract/80.json"
COPIED = (
    BULK,
    "undl/marcxml/4040686.xml",
    S80,
    ES11,
    "voeten/COW_country_codes.csv",
    "voeten/Matches.csv",
    "voeten/ideal_points/IdealpointestimatesAll_Apr2020.csv",
)
FILE_LIST = "undl/files.json"  # a mirror's stand-in for the UN DL file list API
# Every file of the small mirror, as the refresh fetches them (the rest of its plan is 404s).
MIRROR_FILES = sorted(
    (*COPIED, FILE_LIST, "voeten/completeVotes_1946-2015.csv.gz",
     *(f"unvotes/{t}.csv.gz" for t in ("unvotes", "roll_calls", "issues")))
)  # fmt: skip
FAST = ["--retries", "1", "--backoff", "0.01", "--timeout", "5"]


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small mirror, made once: real files, history cut to session 70 (a few seconds)."""
    root = tmp_path_factory.mktemp("mirror-template")
    for rel in COPIED:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHARED_DATA / rel, root / rel)
    # Over HTTP a mirror names its MARCXML records in the file list (see alignment.upstream).
    listing = [{"name": BULK.removeprefix("undl/")}, {"name": "marcxml/4040686.xml"}]
    (root / FILE_LIST).write_text(json.dumps(listing))
    (root / "unvotes").mkdir()
    complete = pl.read_csv(
        SHARED_DATA / "voeten/completeVotes_1946-2015.csv.gz", infer_schema=False
    )
    _write_gz(
        root / "voeten/completeVotes_1946-2015.csv.gz", complete.filter(pl.col("session") == "70")
    )
    calls = pl.read_csv(SHARED_DATA / "unvotes/roll_calls.csv.gz", infer_schema=False)
    calls = calls.filter(pl.col("session") == "70")
    _write_gz(root / "unvotes/roll_calls.csv.gz", calls)
    for table in ("unvotes", "issues"):
        frame = pl.read_csv(SHARED_DATA / f"unvotes/{table}.csv.gz", infer_schema=False)
        _write_gz(
            root / f"unvotes/{table}.csv.gz",
            frame.filter(pl.col("rcid").is_in(calls["rcid"].implode())),
        )
    return root


def _write_gz(path: Path, frame: pl.DataFrame) -> None:
    with gzip.open(path, "wb") as handle:
        frame.write_csv(handle)


@pytest.fixture
def mirror(template: Path, tmp_path: Path) -> Path:
    """A private copy of the small mirror, which a test may change."""
    return Path(shutil.copytree(template, tmp_path / "mirror"))


@pytest.fixture
def server(mirror: Path) -> Iterator[DataServer]:
    with DataServer(mirror) as s:
        yield s


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store" / "alignment.duckdb"


def refresh(server: DataServer, db: Path, *args: str, **kw) -> Result:
    return CliRunner().invoke(
        cli, [*args, "refresh", "--mirror", server.base_url, "--db", str(db), *FAST], **kw
    )


def refreshed(server: DataServer, db: Path) -> None:
    """A first, successful refresh: the store the faults must not touch."""
    result = refresh(server, db)
    assert result.exit_code == 0, result.output
    assert ": updated: " in result.stdout


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).fetchall()


def counts(db: Path) -> tuple[int, int, int]:
    return query(
        db,
        "SELECT (SELECT count(*) FROM roll_calls), (SELECT count(*) FROM votes), "
        "(SELECT count(*) FROM roll_call_sources WHERE source = 'unxml_json')",
    )[0]


def drop_es11_5(mirror: Path) -> None:
    """Change one upstream file: the last line of ES-11.json, recorded vote A/RES/ES-11/5."""
    path = mirror / ES11
    lines = path.read_text().splitlines(keepends=True)
    assert json.loads(lines[-1])["symbol"] == "A/RES/ES-11/5"
    path.write_text("".join(lines[:-1]))


def last_status(db: Path) -> dict:
    status = attempt.read(db)
    assert status is not None
    return status


def no_leftovers(db: Path) -> None:
    assert not list(db.parent.glob("*.new-*"))
    assert not list((db.parent / "cache").rglob("*.part"))


# --- loads, no-op, change ---------------------------------------------------------------


def test_first_refresh_loads_second_downloads_nothing_change_is_picked_up(server, mirror, db):
    first = refresh(server, db)
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith(f"{db}: updated: 249 roll calls, 47578 votes, ")
    assert counts(db) == (249, 47578, 172)
    assert (db.parent / "cache" / BULK).read_bytes() == (mirror / BULK).read_bytes()
    # Provenance: URL, checksum, size, ETag and Last-Modified of each file read.
    rows = query(db, "SELECT location, sha256, size, etag, modified FROM source_files "
                     "WHERE location LIKE '%/ES-11.json'")  # fmt: skip
    body = (mirror / ES11).read_bytes()
    assert rows == [(server.url(ES11), hashlib.sha256(body).hexdigest(), len(body),
                     '"' + hashlib.sha256(body).hexdigest()[:20] + '"', rows[0][4])]  # fmt: skip
    assert rows[0][4] is not None
    states = dict(query(db, "SELECT name, absent FROM fetch_state"))
    assert sorted(n for n, absent in states.items() if not absent) == MIRROR_FILES
    assert states[S80] is False and states["unxml/data_extract/74.json"] is True

    before, inode, seen = digest(db), db.stat().st_ino, len(server.requests)
    started = time.monotonic()
    second = refresh(server, db)
    elapsed = time.monotonic() - started
    assert second.exit_code == 0, second.output
    assert second.stdout.startswith(f"{db}: current: all 11 upstream files unchanged (")
    assert second.stdout.endswith("absent); store not rebuilt\n")
    new = server.requests[seen:]
    # Nothing downloaded: every file answered 304 to a conditional request; the rest are 404s
    # (the mirror's optional files.json and sessions that do not exist).
    assert not [r for r in new if r.status not in (304, 404)]
    not_modified = sorted(r.path.lstrip("/") for r in new if r.status == 304)
    assert not_modified == MIRROR_FILES
    assert all("If-None-Match" in r.headers for r in new if r.status == 304)
    assert digest(db) == before and db.stat().st_ino == inode  # not even rewritten
    assert last_status(db)["outcome"] == "current"
    assert query(db, "SELECT count(*) FROM refresh_log") == [(1,)]
    assert elapsed < 5, elapsed  # about a second on an idle machine

    drop_es11_5(mirror)
    seen = len(server.requests)
    third = refresh(server, db)
    assert third.exit_code == 0, third.output
    assert ": updated: " in third.stdout and "downloaded 1 of 11 files" in third.stdout
    assert [r.path for r in server.requests[seen:] if r.status == 200] == ["/" + ES11]
    assert counts(db)[2] == 171
    new_sha = hashlib.sha256((mirror / ES11).read_bytes()).hexdigest()
    assert query(db, f"SELECT sha256 FROM source_files WHERE location = '{server.url(ES11)}'") == [
        (new_sha,)
    ]
    assert query(db, "SELECT refresh_id, outcome FROM refresh_log ORDER BY 1") == [
        (1, "updated"),
        (2, "updated"),
    ]
    no_leftovers(db)


def test_500_then_200_and_empty_202_recover_with_json_logs(server, db):
    server.script("/" + S80, Reply(500, b"oops"))
    server.script("/" + ES11, Reply(202, b""))
    result = refresh(server, db, "--log-format", "json")
    assert result.exit_code == 0, result.output
    assert [r.status for r in server.hits(S80)] == [500, 200]
    assert [r.status for r in server.hits(ES11)] == [202, 200]
    events = [json.loads(line) for line in result.stderr.splitlines()]  # every line is JSON
    assert all(e["logger"].startswith("alignment") for e in events)
    retries = [e["message"] for e in events if e["message"].startswith("retry ")]
    assert retries == [
        f"retry url={server.url(S80)} attempt=1 status=500 reason=HTTP 500 wait=0.0s",
        f"retry url={server.url(ES11)} attempt=1 status=202 reason=empty 202 (content being "
        "prepared) wait=0.0s",
    ]
    done = [e for e in events if e["message"].startswith("refresh done outcome=updated")]
    assert len(done) == 1 and done[0]["level"] == "info"
    assert counts(db) == (249, 47578, 172)


# --- faults that must leave the store as it was ----------------------------------------


def _html(server: DataServer, monkeypatch) -> str:
    server.script("/" + BULK, Reply(200, CHALLENGE_PAGE, {"Content-Type": "text/html"}))
    return BULK


def _truncated(server: DataServer, monkeypatch) -> str:
    # Cut short on both attempts (--retries 1): a body that never arrives whole is bad data.
    server.script("/" + S80, Reply(200, None, truncate_to=5000), Reply(200, None, truncate_to=5000))
    return S80


def _oversized(server: DataServer, monkeypatch) -> str:
    monkeypatch.setitem(upstream.MAX_BYTES, "unxml", 100_000)  # 80.json is 765,886 bytes
    server.script("/" + S80, Reply(200, None))  # served whole, whatever the request said
    return S80


def _malformed_csv(server: DataServer, monkeypatch) -> str:
    text = (server.root / BULK).read_text()
    header, first, rest = text.split("\n", 2)
    bad = first.replace(",Y,", ",MAYBE,", 1)
    assert bad != first
    server.put("/" + BULK, f"{header}\n{bad}\n{rest}".encode())
    return BULK


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (_html, "the server sent an HTML page instead of CSV"),
        (_truncated, "the body was cut short on each of 2 attempts"),
        (_oversized, "the body is larger than the 100,000-byte cap"),
        (_malformed_csv, ":2: unknown vote code 'MAYBE' in column 'ms_vote'"),
    ],
    ids=["html-challenge", "truncated", "oversized", "malformed-csv"],
)
def test_bad_upstream_data_exits_65_naming_url_store_unchanged(
    server, db, monkeypatch, fault, expected
):
    refreshed(server, db)
    before, status_before = digest(db), counts(db)
    path = fault(server, monkeypatch)
    result = refresh(server, db)
    assert result.exit_code == 65, result.output
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: ") and server.url(path) in error and expected in error
    assert digest(db) == before and counts(db) == status_before
    status = last_status(db)
    assert status["outcome"] == "bad_data" and server.url(path) in status["message"]
    no_leftovers(db)


def test_offline_without_mirror_exits_75_saying_how_to_work_offline(db, monkeypatch):
    import socket

    def no_dns(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    result = CliRunner().invoke(
        cli, ["refresh", "--db", str(db), "--retries", "0"], env={"ALIGNMENT_MIRROR": None}
    )
    assert result.exit_code == 75, result.output
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith(
        f"Error: could not fetch {upstream.UNDL_BASE}/api/v1/file?recid=4060887 "
    )
    assert "`alignment refresh --from ../shared/data`" in error and "--mirror URL|DIR" in error
    assert not db.exists() and last_status(db)["outcome"] == "temporary_failure"


# --- kill -9, concurrency, readers: real processes ----------------------------------------


def start(server: DataServer, db: Path, tmp_path: Path, fault: str | None) -> subprocess.Popen:
    env = {**os.environ, "ALIGNMENT_FAULT_MARKER": str(tmp_path / "marker")}
    env.pop("ALIGNMENT_FAULT", None)
    if fault:
        env["ALIGNMENT_FAULT"] = fault
    return subprocess.Popen(
        [str(ALIGNMENT), "refresh", "--mirror", server.base_url, "--db", str(db), *FAST],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for_marker(proc: subprocess.Popen, marker: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"refresh ended before the fault point: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the refresh never reached the fault point")
        time.sleep(0.05)


@pytest.mark.parametrize("point", ["after-download", "during-build", "before-swap"])
def test_kill_9_at_any_point_leaves_the_old_store_valid(server, mirror, db, tmp_path, point):
    refreshed(server, db)
    before, rows = digest(db), counts(db)
    drop_es11_5(mirror)  # so the killed refresh has something to build
    proc = start(server, db, tmp_path, f"{point}:pause")
    wait_for_marker(proc, tmp_path / "marker")
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    # The old store is untouched, opens, and answers (a full scan of every table).
    assert digest(db) == before and counts(db) == rows
    assert query(db, "SELECT count(*) FROM refresh_log") == [(1,)]
    with duckdb.connect(str(db), read_only=True) as con:
        store.validate(con)
    if point == "before-swap":
        assert [p.name for p in db.parent.glob("*.new-*")] == [f"{db.name}.new-{proc.pid}"]
    # The next refresh is not blocked by the dead one's lock, cleans up, and builds.
    again = refresh(server, db)
    assert again.exit_code == 0, again.output
    assert ": updated: " in again.stdout and counts(db)[2] == rows[2] - 1
    no_leftovers(db)


def test_second_concurrent_refresh_exits_75_at_once(server, mirror, db, tmp_path):
    refreshed(server, db)
    drop_es11_5(mirror)
    proc = start(server, db, tmp_path, "after-download:pause")
    try:
        wait_for_marker(proc, tmp_path / "marker")
        status_before = last_status(db)
        started = time.monotonic()
        second = refresh(server, db)
        elapsed = time.monotonic() - started
        assert second.exit_code == 75, second.output
        assert elapsed < 3, elapsed
        error = second.stderr.strip().splitlines()[-1]
        assert error == (
            f"Error: another refresh of {db} is running (lock {db}.lock is held); try again later"
        )
        # The refusal is an attempt like any other: recorded, with the last success kept.
        refused = last_status(db)
        assert refused["outcome"] == "temporary_failure"
        assert refused["message"] == error.removeprefix("Error: ")
        assert refused["last_success_at"] == status_before["last_success_at"] is not None
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_reader_keeps_old_data_until_it_reopens(server, mirror, db, tmp_path):
    refreshed(server, db)
    drop_es11_5(mirror)
    sql = "SELECT count(*) FROM roll_call_sources WHERE source = 'unxml_json'"
    reader = duckdb.connect(str(db), read_only=True)
    try:
        assert reader.sql(sql).fetchall() == [(172,)]
        proc = start(server, db, tmp_path, None)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert ": updated: " in out
        # Same connection: still the old file, whole (the rename does not touch its inode).
        assert reader.sql(sql).fetchall() == [(172,)]
        assert reader.sql("SELECT count(*) FROM votes").fetchall() == [(47578,)]
    finally:
        reader.close()
    assert query(db, sql) == [(171,)]


def test_from_paths_and_a_mirror_are_refused_together(db):
    # --from with a mirror in the environment builds from the paths: test_cli_refresh_local.
    both = CliRunner().invoke(
        cli, ["refresh", "--from", str(SHARED_DATA), "--mirror", str(SHARED_DATA), "--db", str(db)]
    )
    assert both.exit_code == 2 and "give either --from" in both.stderr


# --- status ---------------------------------------------------------------------------------


def test_status_shows_freshness_versions_outcome_and_rows(server, mirror, db):
    refreshed(server, db)
    assert refresh(server, db).exit_code == 0  # a no-op: the last attempt is "current"
    result = CliRunner().invoke(cli, ["status", "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"store: {db} ({db.stat().st_size:,} bytes)"
    assert lines[1].startswith("built: ") and lines[1].endswith(
        f" UTC by alignment 0.1.0, schema {SCHEMA_VERSION}, storage v1.0.0"
    )
    assert lines[2].startswith("last refresh: current at ")
    assert lines[2].endswith(": all 11 upstream files unchanged (" + lines[2].split("(")[-1])
    assert lines[3].startswith("last build: #1 updated at ")
    assert lines[3].endswith(
        f" from mirror {server.base_url}: built 249 roll calls and 47578 votes from 8 files"
    )
    start_rows = lines.index("rows:")
    # The stored ideal point series: EM, with the iterations, last change and bootstrap size the
    # build wrote to store_meta.
    meta = dict(query(db, "SELECT key, value FROM store_meta WHERE key LIKE 'ideal_points_%'"))
    for period_type in ("session", "year"):
        p = f"ideal_points_{period_type}_all"
        assert meta[f"{p}_method"] == "em"
        assert (
            f"ideal points by {period_type}, all votes: EM, {meta[f'{p}_iterations']} iterations "
            f"(last change {meta[f'{p}_final_change']}), 50 bootstrap replicates"
        ) in lines[:start_rows]
    assert [line.split() for line in lines[start_rows + 1 : start_rows + 3]] == [
        ["roll_calls", "249"],
        ["votes", "47,578"],
    ]
    body = (mirror / BULK).read_bytes()
    sha = hashlib.sha256(body).hexdigest()
    modified = email.utils.formatdate((mirror / BULK).stat().st_mtime, usegmt=True)
    i = lines.index("  undl_csv: newest vote 2025-12-01, oldest 2003-12-03, 4 roll calls")
    assert lines[i + 1 : i + 4] == [
        f"    {server.url(BULK)}",
        f'      version: etag "{sha[:20]}", last-modified {modified}, {len(body):,} bytes',
        f"      sha256:  {sha}",
    ]
    assert lines[i + 4].startswith("      fetched: ")
    assert "  unxml_json: newest vote 2026-06-04, oldest 2022-03-02, 172 roll calls" in lines

    as_json = CliRunner().invoke(cli, ["status", "--json", "--db", str(db)])
    assert as_json.exit_code == 0
    doc = json.loads(as_json.stdout)
    assert doc["last_attempt"]["outcome"] == "current"
    assert doc["last_build"]["refresh_id"] == 1 and doc["builds"] == 1
    assert (
        doc["rows"]["roll_calls"] == 249
        and doc["rows"]["fetch_state"] == len(upstream.default_sessions()) + len(MIRROR_FILES) - 2
    )
    undl = next(s for s in doc["sources"] if s["source"] == "undl_csv")
    assert undl["newest_vote"] == "2025-12-01"
    assert undl["files"][0]["sha256"] == sha and undl["files"][0]["last_modified"] == modified


def test_status_without_a_store(tmp_path):
    db = tmp_path / "none.duckdb"
    result = CliRunner().invoke(cli, ["status", "--db", str(db)])
    assert result.exit_code == 1
    assert result.stdout == (
        f"store: {db} (missing)\nlast refresh: none recorded\nopened: {db} (given with --db)\n"
    )


# --- a folder as the mirror, named by ALIGNMENT_MIRROR; a real process for the no-op -------


def test_folder_mirror_from_environment_then_no_op_process_in_seconds(mirror, db, monkeypatch):
    monkeypatch.setenv("ALIGNMENT_MIRROR", str(mirror))
    first = CliRunner().invoke(cli, ["refresh", "--db", str(db)])
    assert first.exit_code == 0, first.output
    assert ": updated: 249 roll calls, 47578 votes, " in first.stdout
    assert query(db, "SELECT count(*) FROM source_files WHERE location LIKE '/%'") == [(8,)]
    before = digest(db)
    started = time.monotonic()
    proc = subprocess.run(
        [str(ALIGNMENT), "refresh", "--db", str(db)], capture_output=True, text=True, timeout=60
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert ": current: all 11 upstream files unchanged (" in proc.stdout
    assert digest(db) == before
    assert elapsed < 10, elapsed  # a whole process, imports included; about a second idle
