"""Download layer of ``alignment refresh``: fetch upstream files robustly, or copy a mirror.

Sources and their addresses (:class:`Upstream`)
-----------------------------------------------
- UN Digital Library (UN DL), record 4060887, "General Assembly Voting Data". The file list is
  ``https://digitallibrary.un.org/api/v1/file?recid=4060887`` (JSON ``[{name, url, format}]``);
  the bulk CSV is the newest ``YYYY_M_D_ga_voting.csv`` by its date prefix (month and day are
  not always zero-padded, so the date is parsed, never compared as text), downloaded from
  ``https://digitallibrary.un.org/record/4060887/files/<name>``.
- UNxml (UN DGACM): one JSON-lines file per session,
  ``https://raw.githubusercontent.com/UNxml/GAresolutions/main/data_extract/<session>.json``
  (``74`` ... current, ``ES-10``, ``ES-11``, ``S-32``; the caller passes the list). A 404 for a
  session is not an error: the session has no file yet; it is logged and skipped.
- History (Voeten's files and the ``unvotes`` tables). Their Harvard Dataverse file-access
  addresses are not known here, so there is no internet default: history comes from a mirror
  (``Upstream.history``, or all of ``--mirror``) laid out like ``../shared/data``, or is skipped.

Mirrors (``--mirror URL|DIR``)
------------------------------
A mirror is an ``http(s)://`` base URL, a ``file://`` URL or a local directory, laid out exactly
like ``../shared/data``::

    voeten/completeVotes_1946-2015.csv.gz, voeten/COW_country_codes.csv, voeten/Matches.csv,
    voeten/ideal_points/IdealpointestimatesAll_Apr2020.csv
    unvotes/unvotes.csv.gz, unvotes/roll_calls.csv.gz, unvotes/issues.csv.gz
    undl/<bulk csv>, undl/marcxml/<id>.xml, optional undl/files.json
    unxml/data_extract/<session>.json

A mirror has no file-list API. If it has ``undl/files.json`` (same JSON shape as the UN DL API,
names relative to ``undl/``) that list is used; otherwise a local mirror is searched for
``undl/*_ga_voting.csv`` (newest date wins), and failing that (or for an HTTP mirror) the known
file names :data:`MIRROR_UNDL_FALLBACK` are used. MARCXML records (``undl/marcxml/*.xml``) are
taken from a local mirror by listing, and from an HTTP mirror only when ``files.json`` names them.

The download directory is itself laid out as a mirror (``dest_dir/undl/...``), so a cache
directory can later be passed as ``--mirror``.

Fetching (:func:`fetch`)
------------------------
Conditional GET (``If-None-Match`` / ``If-Modified-Since`` from the per-URL ``state`` the caller
persists with the data); streaming into a temporary file next to the destination, renamed only
once every check passed (size cap while streaming, ``Content-Length``, sniffed first bytes,
optional known sha256). Local mirror files are "fetched" by stat and copy with the same checks,
and their state is keyed on mtime + size + sha256 so an unchanged file is a no-op too.

Errors: :class:`~alignment.errors.BadDataError` (exit 65) when the body is not what was asked for
(HTML challenge page, truncated, oversized, wrong format, checksum mismatch, a 4xx other than an
allowed 404); :class:`~alignment.errors.TemporaryFailure` (exit 75) when the server could not be
reached or kept failing (timeouts, refused connections, 5xx, 429, empty 202) after the retries.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import hashlib
import json
import logging
import os
import random
import re
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

import httpx

from alignment.errors import BadDataError, TemporaryFailure

LOG = logging.getLogger("alignment.fetch")

Expected = Literal["csv", "json", "jsonl", "xml", "gzip"]

UNDL_BASE = "https://digitallibrary.un.org"
UNDL_RECID = 4060887
UNXML_BASE = "https://raw.githubusercontent.com/UNxml/GAresolutions/main/data_extract"

# Relative paths of the history files in the mirror layout (no public default address).
VOETEN_FILES: tuple[str, ...] = (
    "voeten/completeVotes_1946-2015.csv.gz",
    "voeten/COW_country_codes.csv",
    "voeten/Matches.csv",
    "voeten/ideal_points/IdealpointestimatesAll_Apr2020.csv",
)
UNVOTES_FILES: tuple[str, ...] = (
    "unvotes/unvotes.csv.gz",
    "unvotes/roll_calls.csv.gz",
    "unvotes/issues.csv.gz",
)
# Bulk CSV names looked for in a mirror that has no undl/files.json (the shared data folder).
MIRROR_UNDL_FALLBACK: tuple[str, ...] = ("ga_voting_excerpt_2026-02-06_layout.csv",)
MIRROR_UNDL_LIST = "undl/files.json"

# Special and emergency special sessions with resolutions after the bulk file's coverage.
EXTRA_SESSIONS: tuple[str, ...] = ("ES-10", "ES-11", "S-32")
FIRST_UNXML_SESSION = 74

# Size caps: generous multiples of today's sizes, small enough to stop a runaway response.
MiB = 1024 * 1024
MAX_BYTES: dict[str, int] = {
    "undl_list": 8 * MiB,
    "undl_bulk": 2048 * MiB,  # about 360 MB in 2026
    "marcxml": 16 * MiB,
    "unxml": 128 * MiB,  # a few MB per session
    "history": 512 * MiB,
}

DEFAULT_RETRIES = 4  # attempts = retries + 1
DEFAULT_BACKOFF = 2.0  # seconds before the first retry, doubled each time
MAX_WAIT = 120.0  # cap on any single wait, including a server's Retry-After
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=15.0)
USER_AGENT = "alignment-refresh/0.1 (UN General Assembly votes; scheduled, polite)"
CHUNK = 1024 * 1024
SNIFF_BYTES = 1024

_BULK_RE = re.compile(r"^(\d{4})_(\d{1,2})_(\d{1,2})_ga_voting\.csv$", re.IGNORECASE)
_RETRY_STATUS = frozenset({202, 408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class FetchResult:
    """What one fetch did. ``state`` is what the caller persists for the next run."""

    url: str
    path: Path | None  # the file in dest_dir; None when absent or unchanged and not cached
    changed: bool
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    size: int | None = None
    attempts: int = 0
    status: int | None = None  # last HTTP status; None for a local mirror
    absent: bool = False  # an allowed 404 (session without a file yet)
    mtime_ns: int | None = None  # local mirror files only

    @property
    def state(self) -> dict[str, Any]:
        """The per-URL state to store with the data (JSON-serialisable)."""
        out: dict[str, Any] = {}
        for key in ("etag", "last_modified", "sha256", "size", "mtime_ns"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class Item:
    """One file the refresh wants: where it comes from and where it goes."""

    source: str  # reader name: "undl", "marcxml", "unxml", "voeten", "unvotes"
    url: str
    name: str  # path under dest_dir, in the mirror layout
    expected: Expected
    max_bytes: int
    optional: bool = False  # a 404 means "absent", not an error


@dataclass(frozen=True)
class Upstream:
    """Addresses of the sources. ``mirror`` replaces all of them with one mirror layout."""

    undl_base: str = UNDL_BASE
    undl_recid: int = UNDL_RECID
    unxml_base: str = UNXML_BASE
    history: str | None = None  # mirror base for voeten/ and unvotes/; None = skip history
    mirror: str | None = None

    @classmethod
    def from_mirror(cls, mirror: str | os.PathLike[str]) -> Upstream:
        """Every source from one mirror (URL, file:// URL or directory)."""
        base = os.fspath(mirror).rstrip("/")
        return cls(
            undl_base=_join(base, "undl"),
            unxml_base=_join(base, "unxml/data_extract"),
            history=base,
            mirror=base,
        )

    def undl_list_url(self) -> str:
        if self.mirror is not None:
            return _join(self.mirror, MIRROR_UNDL_LIST)
        return f"{self.undl_base}/api/v1/file?recid={self.undl_recid}"

    def undl_file_url(self, name: str) -> str:
        if self.mirror is not None:
            return _join(self.undl_base, name)
        return f"{self.undl_base}/record/{self.undl_recid}/files/{urllib.parse.quote(name)}"

    def unxml_url(self, session: str) -> str:
        return _join(self.unxml_base, f"{session}.json")

    def history_items(self) -> list[Item]:
        if self.history is None:
            return []
        return [
            Item(
                source=rel.split("/", 1)[0],
                url=_join(self.history, rel),
                name=rel,
                expected=_expected_for(rel),
                max_bytes=MAX_BYTES["history"],
            )
            for rel in (*VOETEN_FILES, *UNVOTES_FILES)
        ]


def current_session(today: dt.date | None = None) -> int:
    """The GA session in progress: session N opens in September of 1945 + N."""
    today = today or dt.date.today()
    return today.year - 1945 if today.month >= 9 else today.year - 1946


def default_sessions(today: dt.date | None = None) -> list[str]:
    """UNxml session names after the bulk file's base coverage, plus the next one (may 404)."""
    last = current_session(today) + 1  # the next session's file appears on opening day
    return [str(s) for s in range(FIRST_UNXML_SESSION, last + 1)] + list(EXTRA_SESSIONS)


def bulk_date(name: str) -> dt.date | None:
    """Date of a bulk file name ``YYYY_M_D_ga_voting.csv``; None for any other name."""
    m = _BULK_RE.match(name)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def select_newest_bulk(entries: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The entry of the file list whose name carries the latest date (not the latest text)."""
    dated = [(d, str(e.get("name"))) for e in entries if (d := bulk_date(str(e.get("name", ""))))]
    if not dated:
        return None
    _, best = max(dated)
    return next(e for e in entries if str(e.get("name")) == best)


def parse_file_list(data: bytes, url: str) -> list[Mapping[str, Any]]:
    """The ``[{name, url, format}]`` list of the UN DL API (or a mirror's files.json)."""
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise BadDataError(
            f"the file list from {url} is not valid JSON ({exc}); try later or use --mirror"
        ) from None
    if isinstance(doc, dict) and isinstance(doc.get("files"), list):
        doc = doc["files"]  # tolerate a wrapped list
    if not isinstance(doc, list) or not all(isinstance(e, dict) and "name" in e for e in doc):
        raise BadDataError(
            f"the file list from {url} is not a list of {{name, url, format}}; "
            "the API may have changed: check Upstream or use --mirror"
        )
    return doc


def plan(
    upstream: Upstream,
    dest_dir: str | os.PathLike[str],
    *,
    sessions: Sequence[str],
    states: Mapping[str, Mapping[str, Any]] | None = None,
    client: httpx.Client | None = None,
    listed: list[FetchResult] | None = None,
    **fetch_opts: Any,
) -> list[Item]:
    """The files to fetch. Reads the UN DL file list (one small request) to name the bulk CSV.

    ``listed``: a list to which the fetch result of the file list is appended, so that the
    caller can persist its state too (the list is then fetched conditionally next time).
    """
    states = states or {}
    items: list[Item] = list(upstream.history_items())
    items.extend(
        _undl_items(upstream, dest_dir, states=states, client=client, listed=listed, **fetch_opts)
    )
    for session in sessions:
        items.append(
            Item(
                source="unxml",
                url=upstream.unxml_url(session),
                name=f"unxml/data_extract/{session}.json",
                expected="jsonl",
                max_bytes=MAX_BYTES["unxml"],
                optional=True,
            )
        )
    return items


def fetch_all(
    upstream: Upstream,
    dest_dir: str | os.PathLike[str],
    *,
    sessions: Sequence[str],
    states: Mapping[str, Mapping[str, Any]] | None = None,
    client: httpx.Client | None = None,
    need_files: bool = False,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    listed: list[FetchResult] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    **fetch_opts: Any,
) -> list[tuple[Item, FetchResult]]:
    """Plan, then fetch every item in turn (one at a time: the UN site throttles eager clients).

    ``states`` maps URL -> the ``FetchResult.state`` saved by the last successful refresh.
    ``listed`` receives the fetch result of the UN DL file list (see :func:`plan`);
    ``progress(done, total, name)`` is called before each file and once at the end.
    Any failure raises; nothing is half-renamed, and the caller's states are not modified.
    """
    states = states or {}
    with _client_scope(client, timeout) as c:
        items = plan(
            upstream, dest_dir, sessions=sessions, states=states, client=c, listed=listed,
            **fetch_opts,
        )  # fmt: skip
        LOG.info("plan: %d files to check", len(items))
        out = []
        for done, item in enumerate(items):
            if progress is not None:
                progress(done, len(items), item.name)
            result = fetch(
                item.url,
                dest_dir,
                state=states.get(item.url, {}),
                expected=item.expected,
                max_bytes=item.max_bytes,
                name=item.name,
                missing_ok=item.optional,
                need_file=need_files,
                client=c,
                **fetch_opts,
            )
            out.append((item, result))
        if progress is not None:
            progress(len(items), len(items), "")
        return out


def fetch(
    url: str,
    dest_dir: str | os.PathLike[str],
    *,
    state: Mapping[str, Any] | None = None,
    expected: Expected,
    max_bytes: int,
    name: str | None = None,
    sha256: str | None = None,
    missing_ok: bool = False,
    need_file: bool = False,
    client: httpx.Client | None = None,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    max_wait: float = MAX_WAIT,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    log: logging.Logger = LOG,
) -> FetchResult:
    """Fetch ``url`` into ``dest_dir/name`` (default name: the URL's last path segment).

    ``state`` is this URL's entry from the last run (``FetchResult.state``). Unchanged upstream
    (304, or same mtime+size for a local file) gives ``changed=False`` and no transfer; ``path``
    is then the cached file if it is still in dest_dir, else None. ``need_file=True`` makes a
    missing cached copy count as "no state" so the file is downloaded again.
    ``sha256``: a known checksum to verify. ``missing_ok``: a 404 returns ``absent=True``.
    """
    state = dict(state or {})
    dest = Path(dest_dir) / (name or _default_name(url))
    if ".." in Path(name or "").parts or Path(name or "").is_absolute():
        # Names can come from a file list; one must not write outside the download directory.
        raise BadDataError(f"{url}: unsafe file name {name!r}; check the file list")
    if need_file and not dest.is_file():
        # A conditional request would answer 304 and leave us without the file; the checksum
        # stays so `changed` still tells whether the content differs from what was stored.
        state = {k: v for k, v in state.items() if k in ("sha256", "size")}
    check = _Checks(url, expected, max_bytes, sha256)
    local = _local_path(url)
    if local is not None:
        return _fetch_local(local, url, dest, state, check, missing_ok, log)
    with _client_scope(client, timeout) as c:
        return _fetch_http(
            c, url, dest, state, check, missing_ok, retries, backoff, max_wait, sleep, rng, log
        )


# --- HTTP ---------------------------------------------------------------------------------------


class _Retry(Exception):
    """An attempt failed in a way worth retrying; ``wait`` is the server's wish, if any."""

    def __init__(self, reason: str, status: int | None = None, wait: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.wait = wait


class _Truncated(Exception):
    pass


def _fetch_http(
    client: httpx.Client,
    url: str,
    dest: Path,
    state: dict[str, Any],
    check: _Checks,
    missing_ok: bool,
    retries: int,
    backoff: float,
    max_wait: float,
    sleep: Callable[[float], None],
    rng: random.Random | None,
    log: logging.Logger,
) -> FetchResult:
    rng = rng or random.Random()
    headers = {"User-Agent": USER_AGENT}
    if state.get("etag"):
        headers["If-None-Match"] = str(state["etag"])
    if state.get("last_modified"):
        headers["If-Modified-Since"] = str(state["last_modified"])
    attempts = retries + 1
    last: _Retry | None = None
    for attempt in range(1, attempts + 1):
        try:
            return _attempt(client, url, dest, state, check, missing_ok, headers, attempt, log)
        except _Retry as exc:
            last = exc
        except BadDataError as exc:
            log.error("bad data url=%s attempt=%d: %s", url, attempt, exc)
            raise
        if attempt == attempts:
            break
        # Full-ish jitter so parallel cron jobs do not retry in lockstep; Retry-After is exact.
        wait = last.wait if last.wait is not None else backoff * 2 ** (attempt - 1)
        if last.wait is None:
            wait *= rng.uniform(0.5, 1.0)
        wait = min(wait, max_wait)
        log.warning(
            "retry url=%s attempt=%d status=%s reason=%s wait=%.1fs",
            url,
            attempt,
            last.status if last.status is not None else "-",
            last.reason,
            wait,
        )
        sleep(wait)
    assert last is not None
    log.error(
        "give up url=%s attempts=%d status=%s reason=%s",
        url,
        attempts,
        last.status if last.status is not None else "-",
        last.reason,
    )
    if last.reason.startswith("truncated"):
        raise BadDataError(
            f"{url}: the body was cut short on each of {attempts} attempts ({last.reason}); "
            "try later or use --mirror"
        )
    raise TemporaryFailure(
        f"could not fetch {url} after {attempts} attempts: {last.reason}; "
        "the refresh can be run again later, or use --mirror"
    )


def _attempt(
    client: httpx.Client,
    url: str,
    dest: Path,
    state: dict[str, Any],
    check: _Checks,
    missing_ok: bool,
    headers: dict[str, str],
    attempt: int,
    log: logging.Logger,
) -> FetchResult:
    try:
        with client.stream("GET", url, headers=headers, follow_redirects=True) as resp:
            status = resp.status_code
            if status == 304:
                log.info("unchanged url=%s attempt=%d status=304", url, attempt)
                return FetchResult(
                    url=url,
                    path=_cached(dest, state),
                    changed=False,
                    etag=state.get("etag"),
                    last_modified=state.get("last_modified"),
                    sha256=state.get("sha256"),
                    size=state.get("size"),
                    attempts=attempt,
                    status=304,
                )
            if status in _RETRY_STATUS:
                wait = _retry_after(resp.headers.get("Retry-After"))
                reason = "empty 202 (content being prepared)" if status == 202 else f"HTTP {status}"
                raise _Retry(reason, status=status, wait=wait)
            if status >= 500:
                raise _Retry(f"HTTP {status}", status=status)
            if status == 404 and missing_ok:
                log.info("absent url=%s attempt=%d status=404 (skipped)", url, attempt)
                return FetchResult(
                    url=url, path=None, changed=False, attempts=attempt, status=404, absent=True
                )
            if not 200 <= status < 300:
                raise BadDataError(
                    f"{url} answered HTTP {status} {resp.reason_phrase}; "
                    "check the address (Upstream / --mirror) or try later"
                )
            check.content_type(resp.headers.get("Content-Type", ""))
            length = _content_length(resp, check)

            def complete() -> None:
                # Encoded bytes on the wire against the announced length (httpx decodes gzip).
                if length is not None and resp.num_bytes_downloaded != length:
                    raise _Truncated(f"got {resp.num_bytes_downloaded} of {length} bytes")

            digest, size = _write_atomically(dest, resp.iter_bytes(CHUNK), check, complete)
    except _Truncated as exc:
        log.warning("truncated url=%s attempt=%d %s", url, attempt, exc)
        raise _Retry(f"truncated body: {exc}") from None
    except httpx.RemoteProtocolError as exc:
        # h11 reports a body shorter than Content-Length this way; retried, then bad data.
        text = str(exc)
        if "incomplete" in text or "without sending complete" in text:
            raise _Retry(f"truncated body: {text}") from None
        raise _Retry(f"protocol error: {text}") from None
    except httpx.TimeoutException as exc:
        raise _Retry(f"timeout ({type(exc).__name__})") from None
    except httpx.TransportError as exc:
        raise _Retry(f"connection error: {exc or type(exc).__name__}") from None
    etag = resp.headers.get("ETag")
    last_modified = resp.headers.get("Last-Modified")
    changed = digest != state.get("sha256")
    log.info(
        "fetched url=%s attempt=%d status=%d size=%d changed=%s",
        url,
        attempt,
        status,
        size,
        changed,
    )
    return FetchResult(
        url=url,
        path=dest,
        changed=changed,
        etag=etag,
        last_modified=last_modified,
        sha256=digest,
        size=size,
        attempts=attempt,
        status=status,
    )


def _content_length(resp: httpx.Response, check: _Checks) -> int | None:
    raw = resp.headers.get("Content-Length")
    if raw is None or not raw.strip().isdigit():
        return None
    length = int(raw)
    # Abort before reading a byte when the server announces more than the cap (identity only:
    # a compressed length says nothing about the decoded size, which the stream check covers).
    if length > check.max_bytes and not resp.headers.get("Content-Encoding"):
        check.too_big(length)
    return length


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


@contextlib.contextmanager
def _client_scope(
    client: httpx.Client | None, timeout: httpx.Timeout | float = DEFAULT_TIMEOUT
) -> Iterator[httpx.Client]:
    if client is not None:
        yield client
        return
    with httpx.Client(timeout=timeout, follow_redirects=True) as own:
        yield own


# --- local mirror -------------------------------------------------------------------------------


def _fetch_local(
    src: Path,
    url: str,
    dest: Path,
    state: dict[str, Any],
    check: _Checks,
    missing_ok: bool,
    log: logging.Logger,
) -> FetchResult:
    try:
        st = src.stat()
    except FileNotFoundError:
        if missing_ok:
            log.info("absent url=%s (skipped)", url)
            return FetchResult(url=url, path=None, changed=False, absent=True)
        raise BadDataError(
            f"{url}: no such file in the mirror; check the --mirror layout"
        ) from None
    except OSError as exc:
        raise TemporaryFailure(f"cannot read {url}: {exc}; try again later") from None
    if not src.is_file():
        raise BadDataError(f"{url}: not a regular file; check the --mirror layout")
    if (
        state.get("sha256")
        and state.get("mtime_ns") == st.st_mtime_ns
        and state.get("size") == st.st_size
    ):
        log.info("unchanged url=%s (same mtime and size)", url)
        return FetchResult(
            url=url,
            path=_cached(dest, state),
            changed=False,
            sha256=state["sha256"],
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
        )
    if st.st_size > check.max_bytes:
        check.too_big(st.st_size)
    same_file = dest.exists() and dest.resolve() == src.resolve()
    with src.open("rb") as fh:
        if same_file:
            # The cache is its own mirror: hash in place; renaming over the source would be moot.
            digest, size = _consume(_chunks(fh), check, None)
        else:
            digest, size = _write_atomically(dest, _chunks(fh), check)
    changed = digest != state.get("sha256")
    log.info("copied url=%s size=%d changed=%s", url, size, changed)
    return FetchResult(
        url=url,
        path=dest,
        changed=changed,
        sha256=digest,
        size=size,
        mtime_ns=st.st_mtime_ns,
    )


def _chunks(fh: BinaryIO) -> Iterator[bytes]:
    while chunk := fh.read(CHUNK):
        yield chunk


def _local_path(url: str) -> Path | None:
    if url.startswith("file://"):
        return Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
    if "://" in url:
        return None
    return Path(url)


# --- checks and atomic writing ------------------------------------------------------------------


@dataclass
class _Checks:
    url: str
    expected: Expected
    max_bytes: int
    sha256: str | None
    _head: bytearray = field(default_factory=bytearray)

    def reset(self) -> None:
        self._head.clear()  # one _Checks serves every attempt

    def content_type(self, value: str) -> None:
        if value.split(";", 1)[0].strip().lower() in ("text/html", "application/xhtml+xml"):
            self.html()

    def html(self) -> None:
        raise BadDataError(
            f"{self.url}: the server sent an HTML page instead of {self.expected.upper()}, "
            "probably an anti-bot challenge; try later or use --mirror"
        )

    def too_big(self, size: int) -> None:
        raise BadDataError(
            f"{self.url}: the body is larger than the {self.max_bytes:,}-byte cap ({size:,} bytes "
            "or more); if the file really grew, raise the cap in alignment.fetch.MAX_BYTES"
        )

    def feed(self, chunk: bytes) -> None:
        """Sniff once the first bytes are in, so a wrong body is stopped early."""
        if len(self._head) < SNIFF_BYTES:
            self._head += chunk[: SNIFF_BYTES - len(self._head)]
            if len(self._head) >= SNIFF_BYTES:
                self.sniff()

    def finish(self, size: int, digest: str) -> None:
        if size == 0:
            raise BadDataError(f"{self.url}: empty body; try later or use --mirror")
        if len(self._head) < SNIFF_BYTES:
            self.sniff()
        if self.sha256 and digest != self.sha256.lower():
            raise BadDataError(
                f"{self.url}: sha256 {digest} differs from the expected {self.sha256}; "
                "the download is corrupt or the file was replaced: check the source"
            )

    def sniff(self) -> None:
        head = bytes(self._head)
        text = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
        if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text[:256]:
            self.html()
        if not head:
            return
        ok = True
        if self.expected == "gzip":
            ok = head.startswith(b"\x1f\x8b")
        elif self.expected == "json":
            ok = text[:1] in (b"{", b"[")
        elif self.expected == "jsonl":
            ok = text[:1] == b"{"
        elif self.expected == "xml":
            ok = text[:1] == b"<"
        elif self.expected == "csv":
            # A CSV is text: NUL bytes or a gzip header mean something else was sent.
            ok = b"\x00" not in head and not head.startswith(b"\x1f\x8b")
        if not ok:
            shown = head[:40].decode("latin-1").encode("unicode_escape").decode("ascii")
            raise BadDataError(
                f"{self.url}: expected {self.expected.upper()} but the body starts with "
                f"'{shown}'; check the address or use --mirror"
            )


def _consume(chunks: Iterator[bytes], check: _Checks, out: BinaryIO | None) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    check.reset()
    for chunk in chunks:
        if not chunk:
            continue
        size += len(chunk)
        if size > check.max_bytes:
            check.too_big(size)
        check.feed(chunk)
        h.update(chunk)
        if out is not None:
            out.write(chunk)
    digest = h.hexdigest()
    check.finish(size, digest)
    return digest, size


def _write_atomically(
    dest: Path,
    chunks: Iterator[bytes],
    check: _Checks,
    verify: Callable[[], None] | None = None,
) -> tuple[str, int]:
    """Stream into a temp file beside ``dest``; rename only if every check passed."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest, size = _consume(chunks, check, out)
            out.flush()
            os.fsync(out.fileno())  # the store may commit right after; the bytes must be there
        if verify is not None:
            verify()
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return digest, size


def _cached(dest: Path, state: Mapping[str, Any]) -> Path | None:
    """The cached copy if present and of the recorded size (else the caller has no file)."""
    try:
        size = dest.stat().st_size
    except OSError:
        return None
    return dest if state.get("size") in (None, size) else None


# --- UN DL bulk file ----------------------------------------------------------------------------


def _undl_items(
    upstream: Upstream,
    dest_dir: str | os.PathLike[str],
    *,
    states: Mapping[str, Mapping[str, Any]],
    client: httpx.Client | None,
    listed: list[FetchResult] | None = None,
    **fetch_opts: Any,
) -> list[Item]:
    list_url = upstream.undl_list_url()
    listing = fetch(
        list_url,
        dest_dir,
        state=states.get(list_url, {}),
        expected="json",
        max_bytes=MAX_BYTES["undl_list"],
        name=MIRROR_UNDL_LIST,
        missing_ok=upstream.mirror is not None,  # a mirror may have no files.json
        need_file=True,  # the list's content is needed even when unchanged
        client=client,
        **fetch_opts,
    )
    if listed is not None:
        listed.append(listing)
    entries: list[Mapping[str, Any]] = []
    if listing.path is not None:
        entries = parse_file_list(listing.path.read_bytes(), list_url)
    items: list[Item] = []
    bulk = select_newest_bulk(entries) if entries else None
    bulk_name = str(bulk["name"]) if bulk else None
    local = _local_path(upstream.undl_base) if upstream.mirror is not None else None
    if bulk_name is None and upstream.mirror is not None:
        bulk_name = _mirror_bulk_name(local)
    if bulk_name is None:
        raise BadDataError(
            f"no *_ga_voting.csv file in the list at {list_url}; "
            "the record may have changed: check it in a browser or use --mirror"
        )
    items.append(
        Item(
            source="undl",
            url=upstream.undl_file_url(bulk_name),
            name=f"undl/{bulk_name}",
            expected="csv",
            max_bytes=MAX_BYTES["undl_bulk"],
        )
    )
    if upstream.mirror is not None:
        xml_names = sorted(str(e["name"]) for e in entries if str(e["name"]).endswith(".xml"))
        if not entries and local is not None and (local / "marcxml").is_dir():
            xml_names = sorted(f"marcxml/{p.name}" for p in (local / "marcxml").glob("*.xml"))
        items.extend(
            Item(
                source="marcxml",
                url=upstream.undl_file_url(n),
                name=f"undl/{n}",
                expected="xml",
                max_bytes=MAX_BYTES["marcxml"],
            )
            for n in xml_names
        )
    return items


def _mirror_bulk_name(local: Path | None) -> str:
    """Bulk CSV of a mirror without files.json: newest dated file, else the known names."""
    if local is not None and local.is_dir():
        entries = [{"name": p.name} for p in local.glob("*_ga_voting.csv")]
        newest = select_newest_bulk(entries)
        if newest is not None:
            return str(newest["name"])
        for known in MIRROR_UNDL_FALLBACK:
            if (local / known).is_file():
                return known
    return MIRROR_UNDL_FALLBACK[0]


def _expected_for(name: str) -> Expected:
    if name.endswith(".gz"):
        return "gzip"
    if name.endswith(".xml"):
        return "xml"
    if name.endswith(".json"):
        return "json"
    return "csv"


def _default_name(url: str) -> str:
    path = urllib.parse.urlsplit(url).path if "://" in url else url
    base = path.rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9._-]", "_", base) or "download"


def _join(base: str, rel: str) -> str:
    return f"{base.rstrip('/')}/{rel.lstrip('/')}"


__all__ = [
    "EXTRA_SESSIONS",
    "MAX_BYTES",
    "MIRROR_UNDL_FALLBACK",
    "UNDL_BASE",
    "UNVOTES_FILES",
    "UNXML_BASE",
    "VOETEN_FILES",
    "Expected",
    "FetchResult",
    "Item",
    "Upstream",
    "bulk_date",
    "current_session",
    "default_sessions",
    "fetch",
    "fetch_all",
    "parse_file_list",
    "plan",
    "select_newest_bulk",
]
