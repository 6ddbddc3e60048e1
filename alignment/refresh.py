"""``alignment refresh``: bring the store up to date, from local files or from upstream.

Both routes run through :func:`_attempt`, the one outcome path: take the store's lock (a second
refresh is refused at once, exit 75, and the refusal is recorded), remove files left by a killed
refresh, run, and record the attempt in ``<store>.last-refresh.json`` whatever its outcome
(``updated``, ``current``, ``bad_data``, ``temporary_failure``, ``error``). A failure never
touches the store.

- Local (:func:`refresh_from_paths`, ``--from``): read the files given and rebuild.
- Upstream (:func:`refresh_from_upstream`): read the per-URL fetch state (ETag,
  Last-Modified, sha256, size, local mtime) from the store's ``fetch_state`` table, which is
  written in the same build and swapped in with the same rename as the data it describes, so it
  can never claim a version the store does not hold; fetch every planned file
  (``alignment.upstream``) into the cache (default ``cache/`` beside the store, laid out as a
  mirror) with conditional requests; when no file changed the refresh is a no-op (outcome
  ``current``: the store file is not even rewritten), otherwise the store is rebuilt from the
  cached files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import polars as pl

from alignment import attempt, build, download, progress, store, upstream
from alignment.countries import Crosswalk
from alignment.errors import AlignmentError, BadDataError, TemporaryFailure, UsageError
from alignment.faults import fault_point
from alignment.sources.registry import read_all
from alignment.sources.rows import SourceRows

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


@dataclass
class RefreshResult:
    outcome: str  # "updated" or "current"
    message: str
    summary: build.BuildSummary | None = None
    downloaded: list[str] = field(default_factory=list)  # URLs transferred (content changed)
    unchanged: int = 0
    absent: int = 0


def outcome_of(exc: BaseException) -> str:
    """The outcome an exception ends an attempt with (docs/guides/refresh.md lists the outcomes)."""
    if isinstance(exc, BadDataError):
        return "bad_data"
    if isinstance(exc, TemporaryFailure):
        return "temporary_failure"
    return "error"


def _attempt(
    db: Path, origin: str, run: Callable[[dt.datetime], RefreshResult], *, force: bool = False
) -> RefreshResult:
    """Lock, run, record: the one outcome path of every refresh.

    A file at ``db`` that is not an alignment store is never replaced unless ``force``: a
    mistyped ``--db`` must not overwrite someone's data."""
    started = attempt.now()

    def record(outcome: str, message: str, **more: Any) -> None:
        previous = attempt.read(db) or {}
        last_success = previous.get("last_success_at")
        finished = attempt.now()
        if outcome in attempt.SUCCESSFUL:
            last_success = finished
        attempt.write_attempt(db, {
            "started_at": started, "finished_at": finished, "outcome": outcome,
            "message": message, "sources": origin, "last_success_at": last_success, **more,
        })  # fmt: skip

    def refusal() -> UsageError | None:
        problem = None if force or not db.exists() else store.not_a_store(db)
        return None if problem is None else UsageError(problem)

    # A --db that must not be replaced is refused before anything is written beside it (no lock
    # file, no record of the attempt), and again under the lock.
    refused = refusal()
    if refused is not None:
        LOG.error("refresh refused outcome=refused; nothing was written")
        raise refused
    clock = time.perf_counter()
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        held = store.lock(db)
        held.__enter__()
    except TemporaryFailure as exc:
        LOG.error("refresh refused outcome=temporary_failure", extra=_error_fields(exc))
        with contextlib.suppress(OSError):
            record("temporary_failure", str(exc))
        raise
    except OSError as exc:
        blocked = next((p for p in db.parents if p.exists() and not p.is_dir()), None)
        why = f"{blocked} is a file, not a folder" if blocked is not None else exc.strerror
        raise AlignmentError(
            f"cannot write beside the store {db}: {why}; choose a folder you can write to "
            "with --db or ALIGNMENT_DB"
        ) from exc
    try:
        for path in store.remove_leftovers(db):
            LOG.warning("removed %s, left by an interrupted refresh", path)
        LOG.info("refresh start db=%s from=%s", db, origin)
        try:
            refused = refusal()
            if refused is not None:
                raise refused
            result = run(started)
        except AlignmentError as exc:
            # The message itself is printed once, by the caller (the CLI's "Error:" line);
            # JSON logs carry it as a field.
            LOG.error(
                "refresh failed outcome=%s after %.1f s; the store is unchanged",
                outcome_of(exc), time.perf_counter() - clock, extra=_error_fields(exc),
            )  # fmt: skip
            record(outcome_of(exc), str(exc))
            raise
        except Exception as exc:
            LOG.exception("refresh failed outcome=error (a bug): %s", exc)
            record("error", f"{type(exc).__name__}: {exc}")
            raise
        record(
            result.outcome, result.message, downloaded=result.downloaded,
            unchanged=result.unchanged, absent=result.absent,
        )  # fmt: skip
        LOG.info(
            "refresh done outcome=%s after %.1f s", result.outcome, time.perf_counter() - clock
        )
        return result
    finally:
        held.__exit__(None, None, None)


def _error_fields(exc: BaseException) -> dict[str, Any]:
    return {"fields": {"error": str(exc), "exit_code": getattr(exc, "exit_code", 1)}}


# --- the local route -------------------------------------------------------------------------


def refresh_from_paths(
    db: Path,
    paths: Sequence[Path],
    *,
    data_dir: Path | None = None,
    force: bool = False,
    with_ideal_points: bool = True,
) -> RefreshResult:
    """Build the store from local files and folders (``alignment refresh --from``);
    ``force`` replaces a file at ``db`` that is not a store; ``with_ideal_points=False``
    leaves its ``ideal_points`` table empty (:func:`alignment.build.build_store`)."""
    origin = " ".join(str(p) for p in paths)

    def run(started: dt.datetime) -> RefreshResult:
        clock = time.perf_counter()
        crosswalk = Crosswalk.load(data_dir)
        rows = _read([Path(p) for p in paths], crosswalk)
        read = time.perf_counter() - clock
        summary = build.build_store(
            db, rows, crosswalk=crosswalk, files=build.local_files(rows), origin=origin, started_at=started,
            matches_path=build.find_matches(paths), data_dir=data_dir,
            with_ideal_points=with_ideal_points,
        )  # fmt: skip
        summary.seconds = {"read": read, **summary.seconds}
        return RefreshResult("updated", _built(summary), summary)

    return _attempt(db, origin, run, force=force)


def _read(paths: list[Path], crosswalk: Crosswalk) -> list[SourceRows]:
    """Every source's rows, with the stage line of the reading."""
    with progress.stage("read") as current:
        rows = read_all(paths, crosswalk)
        files = sum(len(r.files) for r in rows)
        current.done(
            f"{progress.count(files, 'file')}: "
            + ", ".join(
                f"{r.source} {r.roll_calls.height:,} roll calls, {r.votes.height:,} votes"
                for r in rows
            )
        )
    return rows


def _built(summary: build.BuildSummary) -> str:
    return (
        f"{summary.roll_calls} roll calls, {summary.votes} votes, {summary.first_date} to "
        f"{summary.last_date}"
    )


# --- the upstream route ----------------------------------------------------------------------


def default_cache_dir(db: Path) -> Path:
    return db.parent / "cache"


def read_fetch_state(db: Path) -> dict[str, dict[str, Any]]:
    """URL -> the row of ``fetch_state`` in the current store; empty if none (or no table)."""
    rows = store.read_previous(db, "SELECT * FROM fetch_state")
    return {} if rows is None else {row["url"]: row for row in rows.to_dicts()}


def _state_of(row: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``download`` state (validators and checksum) out of a ``fetch_state`` row."""
    if not row or row.get("absent"):
        return {}
    return {k: row[k] for k in _STATE_KEYS if row.get(k) is not None}


def describe(source: upstream.Upstream) -> str:
    if source.mirror is not None:
        return f"mirror {source.mirror}"
    parts = [f"{source.undl_base} (record {source.undl_recid})", source.unxml_base]
    if source.history is not None:
        parts.append(f"history {source.history}")
    return " ".join(parts)


def refresh_from_upstream(
    db: Path,
    source: upstream.Upstream,
    *,
    cache_dir: Path | None = None,
    sessions: Sequence[str] | None = None,
    data_dir: Path | None = None,
    force: bool = False,
    timeout: float = 60.0,
    retry: download.Retry | None = None,
    progress: Progress | None = None,
) -> RefreshResult:
    """Fetch upstream into ``cache_dir`` and rebuild the store at ``db`` if anything changed;
    ``retry``: how failed transfers are retried (``download.Retry``)."""
    cache = cache_dir or default_cache_dir(db)
    wanted = list(sessions) if sessions is not None else upstream.default_sessions()

    def run(started: dt.datetime) -> RefreshResult:
        LOG.info("cache=%s", cache)
        return _refresh(
            db, source, cache, started=started, sessions=wanted, data_dir=data_dir, force=force,
            timeout=timeout, retry=retry or download.Retry(), progress=progress,
        )  # fmt: skip

    return _attempt(db, describe(source), run, force=force)


def _refresh(
    db: Path,
    source: upstream.Upstream,
    cache_dir: Path,
    *,
    started: dt.datetime,
    sessions: list[str],
    data_dir: Path | None,
    force: bool,
    timeout: float,
    retry: download.Retry,
    progress: Progress | None,
) -> RefreshResult:
    previous = read_fetch_state(db)
    states = {url: _state_of(row) for url, row in previous.items()}
    http_timeout = httpx.Timeout(timeout, connect=min(timeout, 15.0))
    try:
        # Every file is kept on disk (need_files): a rebuild reads them all.
        with httpx.Client(timeout=http_timeout) as client:
            fetched = upstream.fetch_all(
                source, cache_dir, sessions=sessions, states=states, client=client,
                need_files=True, retry=retry, progress=progress,
            )  # fmt: skip
    except TemporaryFailure as exc:
        raise TemporaryFailure(f"{exc}. {OFFLINE_HINT}") from exc

    data = fetched.data
    present = {res.url for _, res in data if not res.absent}
    before = {
        url
        for url, row in previous.items()
        if not row.get("absent") and upstream.is_data(row.get("source"))
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
        reasons.append("the store has no fetch state (built with --from)")
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
    checked_at = attempt.now().replace(tzinfo=None)
    _verify_cache(fetched, cache_dir, retry=retry, timeout=http_timeout)
    fault_point("after-download")
    summary = _build(db, fetched, previous, started, describe(source), data_dir, checked_at)
    fault_point("after-swap")
    message = f"{_built(summary)}; downloaded {len(changed)} of {unchanged + len(changed)} files"
    return RefreshResult("updated", message, summary, changed, unchanged, absent)


def _verify_cache(
    fetched: upstream.Fetched,
    cache_dir: Path,
    *,
    retry: download.Retry,
    timeout: httpx.Timeout,
) -> None:
    """Before a rebuild, check that each unchanged cached file is still the version recorded.

    A cached file edited or replaced behind our back is fetched again without conditions.
    """
    results = fetched.results
    for index, (item, res) in enumerate(results):
        if res.absent or res.changed:
            continue
        path = res.path
        if path is not None and res.sha256 and store.file_digest(path) == res.sha256:
            continue
        LOG.warning(
            "cached copy of %s differs from its recorded version; fetching it again", res.url
        )
        again = upstream.fetch_item(
            item, cache_dir, state={}, need_file=True, retry=retry, timeout=timeout
        )
        results[index] = (item, again)


def _some(urls: list[str], shown: int = 3) -> str:
    more = f" and {len(urls) - shown} more" if len(urls) > shown else ""
    return ", ".join(urls[:shown]) + more


def _modified(res: download.FetchResult) -> dt.datetime | None:
    if res.last_modified:
        with contextlib.suppress(TypeError, ValueError):
            when = email.utils.parsedate_to_datetime(res.last_modified)
            return when.astimezone(dt.UTC).replace(tzinfo=None)
    if res.mtime_ns is not None:
        return dt.datetime.fromtimestamp(res.mtime_ns / 1e9, dt.UTC).replace(tzinfo=None)
    return None


def _build(
    db: Path,
    fetched: upstream.Fetched,
    previous: dict[str, dict[str, Any]],
    started: dt.datetime,
    origin: str,
    data_dir: Path | None,
    checked_at: dt.datetime,
) -> build.BuildSummary:
    by_path: dict[str, download.FetchResult] = {}
    for _, res in fetched.data:
        if res.path is not None and not res.absent:
            by_path[str(res.path.resolve())] = res
    if not by_path:
        raise BadDataError(f"no upstream file could be fetched from {origin}")
    changed = [res.url for _, res in fetched.data if res.changed]
    try:
        crosswalk = Crosswalk.load(data_dir)
        rows = _read([Path(p) for p in by_path], crosswalk)
        files = []
        for r in rows:
            for f in r.files:
                res = by_path[str(Path(f).resolve())]
                files.append({
                    "source": r.source, "location": res.url, "path": str(Path(f).resolve()),
                    "sha256": res.sha256, "size": res.size, "modified": _modified(res),
                    "etag": res.etag,
                })  # fmt: skip
        matches = next((Path(p) for p in by_path if Path(p).name == build.MATCHES_FILE), None)
        return build.build_store(
            db, rows, crosswalk=crosswalk, files=files, origin=origin, started_at=started, matches_path=matches,
            extra_tables={"fetch_state": _fetch_state_frame(fetched, previous, checked_at)},
            data_dir=data_dir,
        )  # fmt: skip
    except BadDataError as exc:
        raise _naming_url(exc, by_path, changed) from exc


def _naming_url(
    exc: BadDataError, by_path: Mapping[str, download.FetchResult], changed: list[str]
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
    fetched: upstream.Fetched,
    previous: Mapping[str, Mapping[str, Any]],
    checked_at: dt.datetime,
) -> pl.DataFrame:
    rows = []
    for item, res in fetched.results:
        before = previous.get(res.url) or {}
        fetched_at = checked_at if res.changed else before.get("fetched_at") or checked_at
        rows.append({
            "url": res.url, "source": item.source, "name": item.name, "etag": res.etag,
            "last_modified": res.last_modified, "sha256": res.sha256, "size": res.size,
            "mtime_ns": res.mtime_ns, "status": res.status, "absent": res.absent,
            "fetched_at": None if res.absent else fetched_at, "checked_at": checked_at,
        })  # fmt: skip
    return pl.DataFrame(rows, schema=FETCH_STATE_SCHEMA)
