"""``alignment refresh`` from upstream: fetch into a cache, rebuild the store only if needed.

1. Under the store's lock, read the per-URL fetch state (ETag, Last-Modified, sha256, size,
   local mtime) from the store's ``fetch_state`` table. The state lives in the store file itself,
   written in the same build and swapped in with the same rename as the data it describes, so
   it can never claim a version the store does not hold.
2. Fetch every planned file (:mod:`alignment.fetch`) into the cache directory (default
   ``cache/`` beside the store, laid out as a mirror) with conditional requests.
3. If no file changed (every answer a 304, or the same mtime, size or checksum), the refresh is a
   no-op: outcome ``current``, the store file is not touched (not even rewritten identically),
   and only ``<store>.last-refresh.json`` records the attempt. Otherwise the store is rebuilt
   from the cached files with :func:`alignment.store.build`, validated and swapped in.

``refresh_log`` in the store lists the builds; the status file holds the last attempt, whatever
its outcome (``updated``, ``current``, ``bad_data``, ``temporary_failure``, ``error``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import httpx
import polars as pl

from alignment import countries as countries_module
from alignment import fetch, store
from alignment.errors import AlignmentError, BadDataError, TemporaryFailure
from alignment.faults import fault_point

LOG = logging.getLogger("alignment.refresh")

Progress = Callable[[int, int, str], None]  # (done, total, what is being fetched)

OFFLINE_HINT = (
    "to build without the network, point the refresh at local files "
    "(`alignment refresh --from ../shared/data`) or at a mirror "
    "(`alignment refresh --mirror URL|DIR`, or ALIGNMENT_MIRROR)"
)

FETCH_STATE_SCHEMA: dict[str, Any] = {
    "url": pl.String,
    "source": pl.String,
    "name": pl.String,
    "etag": pl.String,
    "last_modified": pl.String,
    "sha256": pl.String,
    "size": pl.Int64,
    "mtime_ns": pl.Int64,
    "status": pl.Int32,
    "absent": pl.Boolean,
    "fetched_at": pl.Datetime("us"),
    "checked_at": pl.Datetime("us"),
}
_STATE_KEYS = ("etag", "last_modified", "sha256", "size", "mtime_ns")
LIST_SOURCE = "undl_list"  # the UN DL file list (or a mirror's undl/files.json)


@dataclass
class RefreshResult:
    outcome: str  # "updated" or "current"
    message: str
    summary: store.BuildSummary | None = None
    downloaded: list[str] = field(default_factory=list)  # URLs transferred (content changed)
    unchanged: int = 0
    absent: int = 0


def default_cache_dir(db: Path) -> Path:
    return db.parent / "cache"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def read_fetch_state(db: Path) -> dict[str, dict[str, Any]]:
    """URL -> the row of ``fetch_state`` in the current store; empty if none (or no table)."""
    if not db.exists():
        return {}
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            rows = con.sql("SELECT * FROM fetch_state").pl().to_dicts()
    except duckdb.Error:
        return {}  # a store built by `--from`, or before fetch_state existed
    return {row["url"]: row for row in rows}


def _state_of(row: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``fetch`` state (validators and checksum) out of a ``fetch_state`` row."""
    if not row or row.get("absent"):
        return {}
    return {k: row[k] for k in _STATE_KEYS if row.get(k) is not None}


def describe(upstream: fetch.Upstream) -> str:
    if upstream.mirror is not None:
        return f"mirror {upstream.mirror}"
    parts = [f"{upstream.undl_base} (record {upstream.undl_recid})", upstream.unxml_base]
    if upstream.history is not None:
        parts.append(f"history {upstream.history}")
    return " ".join(parts)


def refresh_from_upstream(
    db: Path,
    upstream: fetch.Upstream,
    *,
    cache_dir: Path | None = None,
    sessions: Sequence[str] | None = None,
    data_dir: Path | None = None,
    force: bool = False,
    timeout: float = 60.0,
    fetch_opts: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> RefreshResult:
    """Fetch upstream into ``cache_dir`` and rebuild the store at ``db`` if anything changed."""
    started = _now()
    db.parent.mkdir(parents=True, exist_ok=True)
    cache_dir = cache_dir or default_cache_dir(db)
    origin = describe(upstream)
    with _locked(db):
        store.remove_leftovers(db)
        LOG.info("refresh start db=%s from=%s cache=%s", db, origin, cache_dir)
        try:
            result = _refresh(
                db, upstream, cache_dir, started=started, origin=origin,
                sessions=list(sessions) if sessions is not None else fetch.default_sessions(),
                data_dir=data_dir, force=force, timeout=timeout, fetch_opts=dict(fetch_opts or {}),
                progress=progress,
            )  # fmt: skip
        except AlignmentError as exc:
            outcome = store._outcome(exc)
            LOG.error("refresh failed outcome=%s: %s", outcome, exc)
            store.write_status(db, _status(started, outcome, str(exc), origin))
            raise
        except Exception as exc:
            LOG.exception("refresh failed outcome=error (a bug): %s", exc)
            store.write_status(
                db, _status(started, "error", f"{type(exc).__name__}: {exc}", origin)
            )
            raise
        store.write_status(
            db,
            _status(started, result.outcome, result.message, origin,
                    downloaded=result.downloaded, unchanged=result.unchanged, absent=result.absent),
        )  # fmt: skip
        LOG.info("refresh done outcome=%s: %s", result.outcome, result.message)
        return result


@contextlib.contextmanager
def _locked(db: Path) -> Iterator[None]:
    """The store's refresh lock; a held lock is logged, then exits 75 (TemporaryFailure)."""
    try:
        lock = store.refresh_lock(db)
        lock.__enter__()
    except TemporaryFailure as exc:
        LOG.error("refresh refused outcome=temporary_failure: %s", exc)
        raise
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


def _status(started: dt.datetime, outcome: str, message: str, origin: str, **more: Any) -> dict:
    return {
        "started_at": started,
        "finished_at": _now(),
        "outcome": outcome,
        "message": message,
        "sources": origin,
        **more,
    }


def _refresh(
    db: Path,
    upstream: fetch.Upstream,
    cache_dir: Path,
    *,
    started: dt.datetime,
    origin: str,
    sessions: list[str],
    data_dir: Path | None,
    force: bool,
    timeout: float,
    fetch_opts: dict[str, Any],
    progress: Progress | None,
) -> RefreshResult:
    previous = read_fetch_state(db)
    states = {url: _state_of(row) for url, row in previous.items()}
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0))) as client:
            results = _fetch_everything(
                upstream, cache_dir, sessions, states, client, fetch_opts, progress
            )
    except TemporaryFailure as exc:
        raise TemporaryFailure(f"{exc}. {OFFLINE_HINT}") from exc

    # The UN DL file list only names the bulk file: its changes alone do not call for a build.
    data = [(item, res) for item, res in results if item.source != LIST_SOURCE]
    present = {res.url for _, res in data if not res.absent}
    before = {
        url
        for url, row in previous.items()
        if not row.get("absent") and row.get("source") != LIST_SOURCE
    }
    changed = [res.url for _, res in data if res.changed]
    unchanged = sum(1 for _, res in data if not res.changed and not res.absent)
    absent = sum(1 for _, res in data if res.absent)
    gone = sorted(before - present)

    reasons = []
    if force:
        reasons.append("--force")
    if not db.exists():
        reasons.append("no store yet")
    elif not previous:
        reasons.append("the store has no fetch state (built with --from or by an older version)")
    if changed:
        reasons.append(f"{len(changed)} changed: {_some(changed)}")
    if gone:
        reasons.append(f"{len(gone)} no longer upstream: {_some(gone)}")
    if not reasons:
        message = f"all {unchanged} upstream files unchanged ({absent} absent); store not rebuilt"
        LOG.info("current: %s", message)
        return RefreshResult("current", message, None, [], unchanged, absent)

    LOG.info("rebuild: %s", "; ".join(reasons))
    if progress is not None:
        progress(1, 1, "building the store")
    checked_at = _now()
    _verify_cache(results, cache_dir, client_opts=(timeout, fetch_opts))
    fault_point("after-download")
    summary = _build(db, results, previous, upstream, started, origin, data_dir, checked_at)
    fault_point("after-swap")
    message = (
        f"{summary.roll_calls} roll calls, {summary.votes} votes, {summary.first_date} to "
        f"{summary.last_date}; downloaded {len(changed)} of {unchanged + len(changed)} files"
    )
    return RefreshResult("updated", message, summary, changed, unchanged, absent)


def _fetch_everything(
    upstream: fetch.Upstream,
    cache_dir: Path,
    sessions: list[str],
    states: dict[str, dict[str, Any]],
    client: httpx.Client,
    fetch_opts: dict[str, Any],
    progress: Progress | None,
) -> list[tuple[fetch.Item, fetch.FetchResult]]:
    """Every file of the plan, fetched with :func:`fetch.fetch_all`, and the UN DL file list.

    The first result is the UN DL file list (source ``undl_list``), read while planning, so
    that its state is kept too. Every file is kept on disk: a rebuild reads them all.
    """
    listed: list[fetch.FetchResult] = []
    results = fetch.fetch_all(
        upstream, cache_dir, sessions=sessions, states=states, client=client, need_files=True,
        listed=listed, progress=progress, **fetch_opts,
    )  # fmt: skip
    list_item = fetch.Item(
        source=LIST_SOURCE, url=upstream.undl_list_url(), name=fetch.MIRROR_UNDL_LIST,
        expected="json", max_bytes=fetch.MAX_BYTES["undl_list"], optional=True,
    )  # fmt: skip
    return [(list_item, res) for res in listed] + results


def _verify_cache(
    results: list[tuple[fetch.Item, fetch.FetchResult]],
    cache_dir: Path,
    *,
    client_opts: tuple[float, dict[str, Any]],
) -> None:
    """Before a rebuild, check that each unchanged cached file is still the version recorded.

    A cached file edited or replaced behind our back is fetched again without conditions.
    """
    timeout, fetch_opts = client_opts
    for index, (item, res) in enumerate(results):
        if res.absent or res.changed:
            continue
        path = res.path
        if path is not None and res.sha256 and store.file_digest(path) == res.sha256:
            continue
        LOG.warning(
            "cached copy of %s differs from its recorded version; fetching it again", res.url
        )
        results[index] = (
            item,
            fetch.fetch(
                item.url, cache_dir, state={}, expected=item.expected, max_bytes=item.max_bytes,
                name=item.name, missing_ok=item.optional, need_file=True, timeout=timeout,
                **fetch_opts,
            ),
        )  # fmt: skip


def _some(urls: list[str], shown: int = 3) -> str:
    more = f" and {len(urls) - shown} more" if len(urls) > shown else ""
    return ", ".join(urls[:shown]) + more


def _modified(res: fetch.FetchResult) -> dt.datetime | None:
    if res.last_modified:
        with contextlib.suppress(TypeError, ValueError):
            when = email.utils.parsedate_to_datetime(res.last_modified)
            return when.astimezone(dt.UTC).replace(tzinfo=None)
    if res.mtime_ns is not None:
        return dt.datetime.fromtimestamp(res.mtime_ns / 1e9, dt.UTC).replace(tzinfo=None)
    return None


def _build(
    db: Path,
    results: list[tuple[fetch.Item, fetch.FetchResult]],
    previous: dict[str, dict[str, Any]],
    upstream: fetch.Upstream,
    started: dt.datetime,
    origin: str,
    data_dir: Path | None,
    checked_at: dt.datetime,
) -> store.BuildSummary:
    by_path: dict[str, fetch.FetchResult] = {}
    for item, res in results:
        if res.path is not None and not res.absent and item.source != LIST_SOURCE:
            by_path[str(res.path.resolve())] = res
    if not by_path:
        raise BadDataError(f"no upstream file could be fetched from {origin}")
    changed = [res.url for item, res in results if res.changed and item.source != LIST_SOURCE]
    data_dir = data_dir or store.DATA_DIR
    try:
        crosswalk = countries_module.Crosswalk.load(data_dir)
        rows = store.read_paths([Path(p) for p in by_path], crosswalk)
        files = []
        for r in rows:
            for f in r.files:
                res = by_path[str(Path(f).resolve())]
                files.append({
                    "source": r.source, "location": res.url, "path": str(Path(f).resolve()),
                    "sha256": res.sha256, "size": res.size, "modified": _modified(res),
                    "etag": res.etag,
                })  # fmt: skip
        fetch_state = _fetch_state_frame(results, previous, checked_at)
        matches = next((Path(p) for p in by_path if Path(p).name == "Matches.csv"), None)
        return store.build(
            db, rows, provenance=store.Provenance(files), data_dir=data_dir, started_at=started,
            origin=origin, matches_path=matches, extra_tables={"fetch_state": fetch_state},
        )  # fmt: skip
    except BadDataError as exc:
        raise _naming_url(exc, by_path, changed) from exc


def _naming_url(
    exc: BadDataError, by_path: Mapping[str, fetch.FetchResult], changed: list[str]
) -> BadDataError:
    """The same error, saying which URL the offending cached file was downloaded from."""
    text = str(exc)
    for path, res in by_path.items():
        if path in text or (exc.path and str(Path(exc.path).resolve()) == path):
            return BadDataError(f"bad data from {res.url}: {text}")
    if changed:
        return BadDataError(f"{text} (files changed upstream: {', '.join(changed)})")
    return exc


def _fetch_state_frame(
    results: list[tuple[fetch.Item, fetch.FetchResult]],
    previous: Mapping[str, Mapping[str, Any]],
    checked_at: dt.datetime,
) -> pl.DataFrame:
    rows = []
    for item, res in results:
        before = previous.get(res.url) or {}
        fetched_at = checked_at if res.changed else before.get("fetched_at") or checked_at
        rows.append({
            "url": res.url, "source": item.source, "name": item.name, "etag": res.etag,
            "last_modified": res.last_modified, "sha256": res.sha256, "size": res.size,
            "mtime_ns": res.mtime_ns, "status": res.status, "absent": res.absent,
            "fetched_at": None if res.absent else fetched_at, "checked_at": checked_at,
        })  # fmt: skip
    return pl.DataFrame(rows, schema=FETCH_STATE_SCHEMA)


__all__ = [
    "OFFLINE_HINT",
    "RefreshResult",
    "default_cache_dir",
    "read_fetch_state",
    "refresh_from_upstream",
]
