"""Download layer against a real HTTP server on 127.0.0.1 (see tests/httpserver.py)."""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import hashlib
import json
import logging
import os
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from httpserver import CHALLENGE_PAGE, SHARED_DATA, DataServer, Reply

from alignment import download, sessions, upstream
from alignment.errors import BadDataError, TemporaryFailure

SESSION = "/unxml/data_extract/80.json"
GZ = "/unvotes/issues.csv.gz"


@pytest.fixture
def server() -> Iterator[DataServer]:
    # Same as httpserver.data_server, which conftest.py may import for other test files.
    with DataServer(SHARED_DATA) as s:
        yield s


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def opts(sleeps: list[float]) -> dict:
    """Fast, deterministic retry settings: no real sleeping, short timeouts."""
    return {
        "retries": 2,
        "backoff": 1.0,
        "sleep": sleeps.append,
        "timeout": 2.0,
    }


def settings(opts: dict) -> dict:
    """``opts`` as download.fetch and upstream.fetch_all take them: a Retry and a timeout."""
    fields = {"retries", "backoff", "max_wait", "sleep", "rng"}
    retry = download.Retry(**{k: v for k, v in opts.items() if k in fields})
    return {"retry": retry, **{k: v for k, v in opts.items() if k not in fields}}


def leftovers(dest: Path) -> list[Path]:
    return [p for p in dest.rglob("*") if p.name.endswith(".part")]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def get(
    server: DataServer, tmp_path: Path, opts: dict, path: str = SESSION, **kw
) -> download.FetchResult:
    kw.setdefault("expected", "jsonl")
    kw.setdefault("max_bytes", 64 * upstream.MiB)
    return download.fetch(server.url(path), tmp_path, **settings(opts), **kw)


# --- conditional GET ----------------------------------------------------------------------------


def test_first_fetch_downloads_then_304_downloads_nothing(server, tmp_path, opts):
    first = get(server, tmp_path, opts)
    original = SHARED_DATA / SESSION.lstrip("/")
    assert first.changed and first.status == 200 and first.attempts == 1
    assert first.path == tmp_path / "80.json"
    assert first.sha256 == sha(original) == sha(first.path)
    assert first.size == original.stat().st_size
    assert first.etag and first.last_modified

    second = get(server, tmp_path, opts, state=first.state)
    assert not second.changed and second.status == 304
    assert second.path == first.path  # the cached copy is still valid
    assert second.sha256 == first.sha256 and second.etag == first.etag
    assert server.hits(SESSION)[-1].headers["If-None-Match"] == first.etag
    assert server.hits(SESSION)[-1].status == 304
    assert leftovers(tmp_path) == []


def test_if_modified_since_alone_gives_304(server, tmp_path, opts):
    first = get(server, tmp_path, opts)
    state = {k: v for k, v in first.state.items() if k != "etag"}
    again = get(server, tmp_path, opts, state=state)
    assert again.status == 304 and not again.changed


def test_changed_file_is_picked_up(server, tmp_path, opts):
    first = get(server, tmp_path, opts)
    new = (SHARED_DATA / SESSION.lstrip("/")).read_bytes() + b'{"symbol": "A/RES/80/999"}\n'
    server.put(SESSION, new)
    second = get(server, tmp_path, opts, state=first.state)
    assert second.changed and second.status == 200
    assert second.etag != first.etag
    assert second.path.read_bytes() == new


def test_need_file_refetches_when_cache_is_gone(server, tmp_path, opts):
    first = get(server, tmp_path, opts)
    first.path.unlink()
    lazy = get(server, tmp_path, opts, state=first.state)
    assert lazy.status == 304 and lazy.path is None  # the caller said it keeps the data
    again = get(server, tmp_path, opts, state=first.state, need_file=True)
    assert again.status == 200 and again.path.is_file() and not again.changed


# --- retries ------------------------------------------------------------------------------------


def test_500_then_200_recovers_with_two_logged_attempts(server, tmp_path, opts, sleeps, caplog):
    server.script(SESSION, Reply(500, b"oops"))
    with caplog.at_level(logging.INFO, logger="alignment.download"):
        result = get(server, tmp_path, opts)
    assert result.changed and result.attempts == 2
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0  # backoff 1 s with jitter
    lines = [r.getMessage() for r in caplog.records if r.name == "alignment.download"]
    assert len(lines) == 2
    assert "attempt=1" in lines[0] and "status=500" in lines[0] and "wait=" in lines[0]
    assert "attempt=2" in lines[1] and "status=200" in lines[1]
    assert all(server.url(SESSION) in line for line in lines)


def test_429_honours_retry_after_seconds(server, tmp_path, opts, sleeps):
    server.script(SESSION, Reply(429, headers={"Retry-After": "2"}))
    result = get(server, tmp_path, opts)
    assert result.attempts == 2 and sleeps == [2.0]


def test_retry_after_http_date_and_cap(server, tmp_path, opts, sleeps):
    soon = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30), True)
    server.script(
        SESSION,
        Reply(503, headers={"Retry-After": soon}),
        Reply(429, headers={"Retry-After": "86400"}),
    )
    result = get(server, tmp_path, {**opts, "max_wait": 60.0})
    assert result.attempts == 3
    assert 25 <= sleeps[0] <= 30 and sleeps[1] == 60.0


def test_empty_202_then_200_recovers(server, tmp_path, opts, sleeps):
    server.script(SESSION, Reply(202, b""), Reply(202, b""))
    result = get(server, tmp_path, opts)
    assert result.changed and result.attempts == 3 and len(sleeps) == 2
    assert sleeps[1] > sleeps[0] / 2  # exponential: 2nd base is twice the 1st


def test_202_forever_is_a_temporary_failure(server, tmp_path, opts):
    server.script(SESSION, *[Reply(202)] * 3)
    with pytest.raises(TemporaryFailure, match="empty 202") as err:
        get(server, tmp_path, opts)
    assert server.url(SESSION) in str(err.value) and err.value.exit_code == 75


def test_404_is_not_retried(server, tmp_path, opts, sleeps):
    missing = "/unxml/data_extract/99.json"
    absent = get(server, tmp_path, opts, path=missing, missing_ok=True)
    assert absent.absent and absent.path is None and not absent.changed
    with pytest.raises(BadDataError, match="HTTP 404") as err:
        get(server, tmp_path, opts, path=missing)
    assert server.url(missing) in str(err.value)
    assert len(server.hits(missing)) == 2 and sleeps == []  # one request per call
    assert not (tmp_path / "99.json").exists()


def test_other_4xx_is_an_error_without_retry(server, tmp_path, opts, sleeps):
    server.script(SESSION, Reply(403, b"forbidden"))
    with pytest.raises(BadDataError, match="HTTP 403"):
        get(server, tmp_path, opts, missing_ok=True)
    assert len(server.hits(SESSION)) == 1 and sleeps == []


def test_connection_refused_is_temporary_after_retries(tmp_path, opts, sleeps, caplog):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/unxml/data_extract/80.json"
    with (
        caplog.at_level(logging.INFO, logger="alignment.download"),
        pytest.raises(TemporaryFailure, match="after 3 attempts") as err,
    ):
        download.fetch(url, tmp_path, expected="jsonl", max_bytes=1000, **settings(opts))
    assert url in str(err.value) and "--mirror" in str(err.value)
    assert len(sleeps) == 2
    assert sum("give up" in r.getMessage() for r in caplog.records) == 1
    assert list(tmp_path.iterdir()) == []


def test_timeout_is_temporary_after_retries(server, tmp_path, opts, sleeps):
    server.script(SESSION, Reply(hang=True), Reply(hang=True))
    with pytest.raises(TemporaryFailure, match="timeout"):
        get(server, tmp_path, {**opts, "retries": 1, "timeout": 0.05})
    assert len(sleeps) == 1 and leftovers(tmp_path) == []


# --- bad bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, CHALLENGE_PAGE, {"Content-Type": "text/html; charset=utf-8"}),
        Reply(200, CHALLENGE_PAGE, {"Content-Type": "application/json"}),  # lying header
        Reply(200, b"\n  <html><body>Please wait</body></html>", {"Content-Type": "text/plain"}),
    ],
)
def test_html_challenge_page_is_bad_data(server, tmp_path, opts, reply, caplog):
    previous = get(server, tmp_path, opts)
    server.script(SESSION, reply)
    with (
        caplog.at_level(logging.INFO, logger="alignment.download"),
        pytest.raises(BadDataError, match=r"HTML page.*anti-bot challenge.*--mirror") as err,
    ):
        get(server, tmp_path, opts)
    assert server.url(SESSION) in str(err.value) and err.value.exit_code == 65
    assert sha(previous.path) == previous.sha256  # the cached good copy is untouched
    assert "bad data" in caplog.records[-1].getMessage()
    assert leftovers(tmp_path) == []


def test_truncated_body_is_bad_data(server, tmp_path, opts, sleeps):
    previous = get(server, tmp_path, opts)
    server.script(SESSION, *[Reply(200, None, truncate_to=1000)] * 3)
    with pytest.raises(BadDataError, match="cut short") as err:
        get(server, tmp_path, opts)
    assert server.url(SESSION) in str(err.value)
    assert len(sleeps) == 2  # a cut transfer is retried first: it is usually the network
    assert sha(previous.path) == previous.sha256 and leftovers(tmp_path) == []


def test_truncated_once_then_complete_recovers(server, tmp_path, opts):
    server.script(SESSION, Reply(200, None, truncate_to=10))
    result = get(server, tmp_path, opts)
    assert result.attempts == 2 and result.sha256 == sha(SHARED_DATA / SESSION.lstrip("/"))


@pytest.mark.parametrize("no_length", [False, True])
def test_oversized_body_is_bad_data_and_leaves_no_file(server, tmp_path, opts, no_length):
    server.script(SESSION, Reply(200, None, no_length=no_length))
    with pytest.raises(BadDataError, match="larger than the 1,000-byte cap") as err:
        get(server, tmp_path, opts, max_bytes=1000)
    assert server.url(SESSION) in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_wrong_format_is_bad_data(server, tmp_path, opts):
    csv = "/voeten/Matches.csv"
    with pytest.raises(BadDataError, match="expected GZIP"):
        get(server, tmp_path, opts, path=csv, expected="gzip")
    with pytest.raises(BadDataError, match="expected JSON"):
        get(server, tmp_path, opts, path=csv, expected="json")
    with pytest.raises(BadDataError, match="expected CSV"):
        get(server, tmp_path, opts, path=GZ, expected="csv")
    server.script(SESSION, Reply(200, b"", {"Content-Type": "application/json"}))
    with pytest.raises(BadDataError, match="empty body"):
        get(server, tmp_path, opts)
    assert list(tmp_path.iterdir()) == []


def test_gzip_and_xml_accepted(server, tmp_path, opts):
    gz = get(server, tmp_path, opts, path=GZ, expected="gzip")
    assert gzip.decompress(gz.path.read_bytes()).startswith(b"rcid")
    xml = get(server, tmp_path, opts, path="/undl/marcxml/4040686.xml", expected="xml")
    assert xml.changed and xml.path.name == "4040686.xml"


def test_checksum_mismatch_is_bad_data(server, tmp_path, opts):
    good = sha(SHARED_DATA / SESSION.lstrip("/"))
    assert get(server, tmp_path, opts, sha256=good.upper()).sha256 == good
    with pytest.raises(BadDataError, match="sha256"):
        get(server, tmp_path, opts, sha256="0" * 64, name="other.json")
    assert not (tmp_path / "other.json").exists() and leftovers(tmp_path) == []


def test_unsafe_name_is_refused(server, tmp_path, opts):
    with pytest.raises(BadDataError, match="unsafe file name"):
        get(server, tmp_path / "d", opts, name="../escape.json")
    assert server.requests == []


def test_retry_after_parsing():
    assert download._retry_after("7") == 7.0
    assert download._retry_after(None) is None and download._retry_after("soon") is None
    past = email.utils.format_datetime(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), True)
    assert download._retry_after(past) == 0.0


# --- local mirror -------------------------------------------------------------------------------


def test_local_file_copy_then_no_op(tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(SHARED_DATA / "unxml", mirror / "unxml")
    src = mirror / "unxml/data_extract/79.json"
    dest = tmp_path / "cache"
    first = download.fetch(str(src), dest, expected="jsonl", max_bytes=upstream.MAX_BYTES["unxml"])
    assert first.changed and first.path.read_bytes() == src.read_bytes()
    assert first.mtime_ns == src.stat().st_mtime_ns and first.status is None

    url = src.as_uri()  # file:// works the same
    second = download.fetch(
        url, dest, state=first.state, expected="jsonl", max_bytes=10**8, name="79.json"
    )
    assert not second.changed and second.path == first.path and second.sha256 == first.sha256

    os.utime(src, ns=(src.stat().st_atime_ns, src.stat().st_mtime_ns + 10**9))  # touched only
    touched = download.fetch(url, dest, state=first.state, expected="jsonl", max_bytes=10**8)
    assert not touched.changed and touched.mtime_ns != first.mtime_ns

    src.write_bytes(src.read_bytes() + b'{"symbol": "x"}\n')
    third = download.fetch(url, dest, state=touched.state, expected="jsonl", max_bytes=10**8)
    assert third.changed and third.size == first.size + 16


def test_local_file_checks(tmp_path):
    page = tmp_path / "page.json"
    page.write_bytes(CHALLENGE_PAGE)
    with pytest.raises(BadDataError, match="HTML page"):
        download.fetch(str(page), tmp_path / "out", expected="json", max_bytes=10**6)
    with pytest.raises(BadDataError, match="cap"):
        download.fetch(
            str(SHARED_DATA / GZ.lstrip("/")), tmp_path / "out", expected="gzip", max_bytes=10
        )
    with pytest.raises(BadDataError, match="no such file"):
        download.fetch(str(tmp_path / "nope.csv"), tmp_path / "out", expected="csv", max_bytes=10)
    absent = download.fetch(
        str(tmp_path / "no.json"), tmp_path, expected="json", max_bytes=1, missing_ok=True
    )
    assert absent.absent
    assert not (tmp_path / "out").exists() or leftovers(tmp_path / "out") == []


# --- upstream description and planning ----------------------------------------------------------


def test_newest_bulk_file_by_parsed_date():
    entries = [
        {"name": "2025_9_19_ga_voting.csv", "format": "csv"},
        {"name": "2026_02_06_ga_voting.csv", "format": "csv"},
        {"name": "2026_02_06_ga_voting_md.md", "format": "md"},
        {"name": "2025_10_1_ga_voting.csv", "format": "csv"},
        {"name": "2024_13_40_ga_voting.csv", "format": "csv"},  # not a date: ignored
    ]
    assert upstream.select_newest_bulk(entries)["name"] == "2026_02_06_ga_voting.csv"
    # As text, "2025_9_30" > "2025_10_1"; as dates it is older.
    older = [{"name": "2025_9_30_ga_voting.csv"}, {"name": "2025_10_1_ga_voting.csv"}]
    assert upstream.select_newest_bulk(older)["name"] == "2025_10_1_ga_voting.csv"
    assert upstream.select_newest_bulk([{"name": "readme.md"}]) is None
    assert upstream.bulk_date("2025_9_19_ga_voting.csv") == dt.date(2025, 9, 19)


def test_sessions_and_default_addresses():
    assert sessions.current_session(dt.date(2025, 9, 9)) == 80
    assert sessions.current_session(dt.date(2026, 6, 1)) == 80
    names = upstream.default_sessions(dt.date(2026, 2, 1))
    assert names[0] == "74" and "80" in names and "81" in names and "ES-11" in names
    up = upstream.Upstream()
    assert up.undl_list_url() == "https://digitallibrary.un.org/api/v1/file?recid=4060887"
    assert (
        up.undl_file_url("2026_02_06_ga_voting.csv")
        == "https://digitallibrary.un.org/record/4060887/files/2026_02_06_ga_voting.csv"
    )
    assert up.unxml_url("ES-10") == (
        "https://raw.githubusercontent.com/UNxml/GAresolutions/main/data_extract/ES-10.json"
    )
    assert up.history_items() == []  # no public default for the history files


def test_un_dl_api_picks_newest_and_fetches_all(server, tmp_path, opts):
    files = [
        {
            "name": n,
            "url": f"https://digitallibrary.un.org/record/4060887/files/{n}",
            "format": "csv",
        }
        for n in ("2025_9_19_ga_voting.csv", "2026_02_06_ga_voting.csv", "2025_3_1_ga_voting.csv")
    ]
    server.put("/api/v1/file?recid=4060887", json.dumps(files).encode(), "application/json")
    excerpt = (SHARED_DATA / "undl/ga_voting_excerpt_2026-02-06_layout.csv").read_bytes()
    server.put("/record/4060887/files/2026_02_06_ga_voting.csv", excerpt)
    server.put("/record/4060887/files/2025_9_19_ga_voting.csv", b"old")
    up = upstream.Upstream(undl_base=server.base_url, unxml_base=server.url("/unxml/data_extract"))

    results = upstream.fetch_all(up, tmp_path, sessions=["80", "81"], **settings(opts)).data
    by_name = {item.name: res for item, res in results}
    assert by_name["undl/2026_02_06_ga_voting.csv"].path.read_bytes() == excerpt
    assert by_name["unxml/data_extract/80.json"].changed
    assert by_name["unxml/data_extract/81.json"].absent
    assert server.hits("/record/4060887/files/2025_9_19_ga_voting.csv") == []

    states = {res.url: res.state for _, res in results}
    again = upstream.fetch_all(
        up, tmp_path, sessions=["80", "81"], states=states, **settings(opts)
    ).data
    assert [res.changed for _, res in again] == [False, False, False]
    assert [res.status for _, res in again] == [304, 304, 404]


def test_http_mirror_without_file_list(server, tmp_path, opts):
    up = upstream.Upstream.from_mirror(server.base_url)
    results = upstream.fetch_all(up, tmp_path, sessions=["ES-10"], **settings(opts)).data
    names = [item.name for item, _ in results]
    assert "undl/ga_voting_excerpt_2026-02-06_layout.csv" in names
    assert "voeten/completeVotes_1946-2015.csv.gz" in names and "unvotes/unvotes.csv.gz" in names
    assert all(res.changed for _, res in results)
    # The download directory is a mirror itself.
    again = upstream.fetch_all(
        upstream.Upstream.from_mirror(tmp_path), tmp_path / "c2", sessions=["ES-10"]
    ).data
    assert {item.name for item, _ in again} >= set(names)


def test_local_mirror_is_the_shared_data_folder(tmp_path):
    up = upstream.Upstream.from_mirror(SHARED_DATA)
    items = upstream.plan(up, tmp_path, sessions=["79", "S-32", "99"]).items
    by_source = {}
    for item in items:
        by_source.setdefault(item.source, []).append(item)
    assert [i.name for i in by_source["undl"]] == ["undl/ga_voting_excerpt_2026-02-06_layout.csv"]
    assert [i.name for i in by_source["marcxml"]] == ["undl/marcxml/4040686.xml"]
    assert len(by_source["voeten"]) == 4 and len(by_source["unvotes"]) == 3
    results = upstream.fetch_all(up, tmp_path, sessions=["79", "99"]).data
    absent = [item.name for item, res in results if res.absent]
    assert absent == ["unxml/data_extract/99.json"]
    states = {res.url: res.state for _, res in results}
    again = upstream.fetch_all(up, tmp_path, sessions=["79", "99"], states=states).data
    assert not any(res.changed for _, res in again)


def test_fetch_all_keeps_the_file_list_apart(tmp_path):
    """The file list comes first among the results (its fetch state is kept) and is no data."""
    fetched = upstream.fetch_all(upstream.Upstream.from_mirror(SHARED_DATA), tmp_path, sessions=[])
    first, listing = fetched.results[0]
    assert first.source == upstream.LIST_SOURCE and not first.is_data
    assert listing.absent  # the shared folder has no undl/files.json: a mirror may lack one
    assert fetched.data == fetched.results[1:]
    assert {item.source for item, _ in fetched.data} >= {"undl", "voeten", "unvotes"}


def test_file_list_with_files_json_in_mirror(tmp_path):
    mirror = tmp_path / "m"
    (mirror / "undl").mkdir(parents=True)
    excerpt = SHARED_DATA / "undl/ga_voting_excerpt_2026-02-06_layout.csv"
    shutil.copy(excerpt, mirror / "undl/2026_02_06_ga_voting.csv")
    (mirror / "undl/2025_9_19_ga_voting.csv").write_text("old\n")
    (mirror / "undl/files.json").write_text(
        json.dumps([{"name": "2025_9_19_ga_voting.csv"}, {"name": "2026_02_06_ga_voting.csv"}])
    )
    planned = upstream.plan(upstream.Upstream.from_mirror(mirror), tmp_path / "cache", sessions=[])
    items = planned.items
    assert [i.name for i in items if i.source == "undl"] == ["undl/2026_02_06_ga_voting.csv"]
    (mirror / "undl/files.json").write_text('{"oops": 1}')
    with pytest.raises(BadDataError, match="not a list"):
        upstream.plan(upstream.Upstream.from_mirror(mirror), tmp_path / "cache2", sessions=[])


def test_injected_client_is_used(server, tmp_path, opts):
    seen = []
    with httpx.Client(event_hooks={"request": [seen.append]}) as client:
        get(server, tmp_path, opts, client=client)
    assert len(seen) == 1


# --- redirects and file lists -------------------------------------------------------------------


def test_redirect_on_the_same_host_is_followed(server, tmp_path, opts):
    server.script("/moved.json", Reply(302, headers={"Location": SESSION}))
    result = get(server, tmp_path, opts, path="/moved.json", name="80.json")
    assert (
        result.status == 200
        and result.path.read_bytes() == (SHARED_DATA / SESSION[1:]).read_bytes()
    )


@pytest.mark.parametrize(
    ("location", "words"),
    [
        ("http://example.org/80.json", "redirects to http://example.org/80.json, another host"),
        ("file:///etc/passwd", "redirects to file:/etc/passwd, not an http(s) address"),
    ],
)
def test_redirect_to_another_host_is_bad_data_and_not_followed(
    server, tmp_path, opts, location, words
):
    server.script(SESSION, Reply(301, headers={"Location": location}))
    with pytest.raises(BadDataError, match=re.escape(words)):
        get(server, tmp_path, opts)
    assert len(server.requests) == 1  # nothing was asked of the other host (nor retried)


def test_allowed_redirect_host(server, tmp_path, opts, monkeypatch):
    # 127.0.0.1 and localhost are two names: the second is allowed by the variable.
    monkeypatch.setenv(download.REDIRECT_HOSTS_VARIABLE, "localhost")
    target = server.url(SESSION).replace("127.0.0.1", "localhost")
    server.script("/elsewhere.json", Reply(307, headers={"Location": target}))
    assert get(server, tmp_path, opts, path="/elsewhere.json", name="80.json").status == 200


def test_redirect_loop_is_bad_data(server, tmp_path, opts):
    server.script("/a", *[Reply(302, headers={"Location": "/a"})] * 12)
    with pytest.raises(BadDataError, match="more than 10 redirects"):
        get(server, tmp_path, opts, path="/a", name="a.json")


@pytest.mark.parametrize(
    "name", ["file:///etc/passwd", "https://evil.example/x.csv", "../../x.csv", "/abs.csv", ""]
)
def test_file_list_naming_no_file_of_the_record_is_bad_data(name):
    data = json.dumps([{"name": name, "url": "x", "format": "csv"}]).encode()
    with pytest.raises(BadDataError, match="not a file of the record"):
        upstream.parse_file_list(data, "https://digitallibrary.un.org/api/v1/file?recid=1")
