"""Downloading one file robustly: conditional requests, retries, caps, atomic writes.

Generic mechanics, knowing nothing of the UN (its addresses and which files to fetch are
``alignment.upstream``).

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
import logging
import os
import random
import re
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

import httpx

from alignment.errors import BadDataError, TemporaryFailure

LOG = logging.getLogger("alignment.download")

Expected = Literal["csv", "json", "jsonl", "xml", "gzip"]

DEFAULT_RETRIES = 4  # attempts = retries + 1
DEFAULT_BACKOFF = 2.0  # seconds before the first retry, doubled each time
MAX_WAIT = 120.0  # cap on any single wait, including a server's Retry-After
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=15.0)
USER_AGENT = "alignment-refresh/0.1 (UN General Assembly votes; scheduled, polite)"
CHUNK = 1024 * 1024
SNIFF_BYTES = 1024

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
class Retry:
    """How a failing transfer is tried again: ``retries`` after the first attempt, waiting
    ``backoff`` · 2^(n-1) seconds (with jitter; a server's Retry-After exactly), never more than
    ``max_wait``. ``sleep`` and ``rng`` let tests retry without waiting."""

    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF
    max_wait: float = MAX_WAIT
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random | None = None


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
    retry: Retry | None = None,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    log: logging.Logger = LOG,
) -> FetchResult:
    """Fetch ``url`` into ``dest_dir/name`` (default name: the URL's last path segment).

    ``state`` is this URL's entry from the last run (``FetchResult.state``). Unchanged upstream
    (304, or same mtime+size for a local file) gives ``changed=False`` and no transfer; ``path``
    is then the cached file if it is still in dest_dir, else None. ``need_file=True`` makes a
    missing cached copy count as "no state" so the file is downloaded again.
    ``sha256``: a known checksum to verify. ``missing_ok``: a 404 returns ``absent=True``.
    ``retry``: how failures are retried (:class:`Retry`'s defaults when None).
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
    request = _Request(url, dest, state, _Checks(url, expected, max_bytes, sha256), missing_ok, log)
    local = local_path(url)
    if local is not None:
        return _fetch_local(local, request)
    with client_scope(client, timeout) as c:
        return _fetch_http(c, request, retry or Retry())


@dataclass(frozen=True)
class _Request:
    """One file to fetch: where from, where to, what was held, what it must pass."""

    url: str
    dest: Path
    state: dict[str, Any]
    check: _Checks
    missing_ok: bool
    log: logging.Logger


# --- HTTP ---------------------------------------------------------------------------------------

# Hosts a download may be redirected to besides its own (comma-separated; e.g. a CDN the UN
# Library starts using). A redirect elsewhere is refused before it is followed.
REDIRECT_HOSTS_VARIABLE = "ALIGNMENT_REDIRECT_HOSTS"
MAX_REDIRECTS = 10


class _Retry(Exception):
    """An attempt failed in a way worth retrying; ``wait`` is the server's wish, if any."""

    def __init__(self, reason: str, status: int | None = None, wait: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.wait = wait


class _Truncated(Exception):
    pass


def _fetch_http(client: httpx.Client, request: _Request, retry: Retry) -> FetchResult:
    url, state, log = request.url, request.state, request.log
    rng = retry.rng or random.Random()
    headers = {"User-Agent": USER_AGENT}
    if state.get("etag"):
        headers["If-None-Match"] = str(state["etag"])
    if state.get("last_modified"):
        headers["If-Modified-Since"] = str(state["last_modified"])
    attempts = retry.retries + 1
    last: _Retry | None = None
    for attempt in range(1, attempts + 1):
        try:
            return _attempt(client, request, headers, attempt)
        except _Retry as exc:
            last = exc
        except BadDataError as exc:
            log.error("bad data url=%s attempt=%d: %s", url, attempt, exc)
            raise
        if attempt == attempts:
            break
        # Full-ish jitter so parallel cron jobs do not retry in lockstep; Retry-After is exact.
        wait = last.wait if last.wait is not None else retry.backoff * 2 ** (attempt - 1)
        if last.wait is None:
            wait *= rng.uniform(0.5, 1.0)
        wait = min(wait, retry.max_wait)
        log.warning(
            "retry url=%s attempt=%d status=%s reason=%s wait=%.1fs",
            url,
            attempt,
            last.status if last.status is not None else "-",
            last.reason,
            wait,
        )
        retry.sleep(wait)
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
    client: httpx.Client, request: _Request, headers: dict[str, str], attempt: int
) -> FetchResult:
    url, dest, state, check, log = (
        request.url, request.dest, request.state, request.check, request.log
    )  # fmt: skip
    try:
        with _stream(client, url, headers) as resp:
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
            if status == 404 and request.missing_ok:
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


@contextlib.contextmanager
def _stream(client: httpx.Client, url: str, headers: dict[str, str]) -> Iterator[httpx.Response]:
    """GET, following redirects only to the same host (or an allowed one), at most
    MAX_REDIRECTS; a redirect elsewhere, or a loop, is bad data: the address is wrong."""
    allowed = {urllib.parse.urlsplit(url).hostname} | {
        h.strip().lower()
        for h in os.environ.get(REDIRECT_HOSTS_VARIABLE, "").split(",")
        if h.strip()
    }
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        with client.stream("GET", current, headers=headers, follow_redirects=False) as resp:
            if not resp.has_redirect_location:
                yield resp
                return
            target = str(resp.url.join(resp.headers.get("Location", "")))
        host = urllib.parse.urlsplit(target).hostname
        if urllib.parse.urlsplit(target).scheme not in ("http", "https"):
            raise BadDataError(f"{url} redirects to {target}, not an http(s) address; refused")
        if host not in allowed:
            raise BadDataError(
                f"{url} redirects to {target}, another host; refused. If that host is the "
                f"publisher's, allow it with {REDIRECT_HOSTS_VARIABLE}={host}"
            )
        current = target
    raise BadDataError(f"{url}: more than {MAX_REDIRECTS} redirects (a loop); check the address")


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
def client_scope(
    client: httpx.Client | None, timeout: httpx.Timeout | float = DEFAULT_TIMEOUT
) -> Iterator[httpx.Client]:
    if client is not None:
        yield client
        return
    with httpx.Client(timeout=timeout) as own:
        yield own


# --- local mirror -------------------------------------------------------------------------------


def _fetch_local(src: Path, request: _Request) -> FetchResult:
    url, dest, state, check, log = (
        request.url, request.dest, request.state, request.check, request.log
    )  # fmt: skip
    try:
        st = src.stat()
    except FileNotFoundError:
        if request.missing_ok:
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


def local_path(url: str) -> Path | None:
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
            "or more); if the file really grew, raise the cap in alignment.upstream.MAX_BYTES"
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


def _default_name(url: str) -> str:
    path = urllib.parse.urlsplit(url).path if "://" in url else url
    base = path.rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9._-]", "_", base) or "download"
