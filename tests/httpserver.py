"""A real HTTP server on 127.0.0.1 for download tests: static files plus scripted faults.

Serves files from a root directory (the shared data folder) with ETag and Last-Modified and
honours If-None-Match / If-Modified-Since, so conditional GETs behave like on a real server.
Faults are queued per path and consumed one per request, after which the file is served
normally; this is how "500 then 200" or "empty 202 then 200" is scripted::

    with DataServer(SHARED_DATA) as server:
        server.script("/unxml/data_extract/80.json", Reply(500))
        url = server.url("/unxml/data_extract/80.json")

A plain ``http.server`` handler (not werkzeug) is used because some faults need control of the
raw socket: a body shorter than its Content-Length, a hang past the client's timeout.
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".gz": "application/gzip",
    ".xml": "application/xml",
    ".md": "text/markdown",
}

CHALLENGE_PAGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    b"<body>Checking your browser before accessing digitallibrary.un.org.</body></html>"
)


@dataclass
class Reply:
    """One scripted answer. ``body=None`` serves the real file (useful with ``truncate_to``)."""

    status: int = 200
    body: bytes | None = b""
    headers: dict[str, str] = field(default_factory=dict)
    truncate_to: int | None = None  # announce the full length, send this many bytes, close
    no_length: bool = False  # no Content-Length: the body ends when the connection closes
    hang: bool = False  # send nothing until the server stops (client timeout test)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class _Doc:
    body: bytes
    content_type: str
    mtime: float


class DataServer:
    """Threaded HTTP server; use as a context manager. ``requests`` records every answer."""

    def __init__(self, root: Path | None = SHARED_DATA) -> None:
        self.root = root
        self.requests: list[Recorded] = []
        self._faults: dict[str, deque[Reply]] = defaultdict(deque)
        self._docs: dict[str, _Doc] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True  # a hung handler must not block shutdown
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def put(
        self, path: str, body: bytes, content_type: str | None = None, mtime: float | None = None
    ) -> None:
        """Serve ``body`` at ``path`` (query string included, if any) instead of the root."""
        ctype = content_type or _content_type(path.split("?", 1)[0])
        with self._lock:
            self._docs["/" + path.lstrip("/")] = _Doc(body, ctype, mtime or time.time())

    def script(self, path: str, *replies: Reply) -> None:
        with self._lock:
            self._faults["/" + path.lstrip("/")].extend(replies)

    def hits(self, path: str) -> list[Recorded]:
        path = "/" + path.lstrip("/")
        return [r for r in self.requests if r.path == path]

    def __enter__(self) -> DataServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # -- used by the handler --

    def _next_fault(self, path: str) -> Reply | None:
        with self._lock:
            queue = self._faults.get(path)
            return queue.popleft() if queue else None

    def _doc(self, path: str) -> _Doc | None:
        with self._lock:
            doc = self._docs.get(path) or self._docs.get(path.split("?", 1)[0])
        if doc is not None:
            return doc
        if self.root is None:
            return None
        rel = path.split("?", 1)[0].lstrip("/")
        file = (self.root / rel).resolve()
        if not file.is_relative_to(self.root.resolve()) or not file.is_file():
            return None
        return _Doc(file.read_bytes(), _content_type(rel), file.stat().st_mtime)


@pytest.fixture
def data_server() -> Iterator[DataServer]:
    """A running :class:`DataServer` over the shared data; import it into a conftest.py."""
    with DataServer(SHARED_DATA) as server:
        yield server


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that give up mid-answer (timeouts, size caps) are what the tests provoke.
        pass


def _content_type(path: str) -> str:
    for suffix, ctype in CONTENT_TYPES.items():
        if path.endswith(suffix):
            return ctype
    return "application/octet-stream"


def _handler_for(server: DataServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are separate writes

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean; `server.requests` is the record

        def do_GET(self) -> None:
            fault = server._next_fault(self.path)
            if fault is None:
                self._serve_file()
            else:
                self._serve_fault(fault)

        def _record(self, status: int) -> None:
            server.requests.append(
                Recorded(self.command, self.path, dict(self.headers.items()), status)
            )

        def _serve_file(self) -> None:
            doc = server._doc(self.path)
            if doc is None:
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            etag = '"' + hashlib.sha256(doc.body).hexdigest()[:20] + '"'
            last_modified = email.utils.formatdate(doc.mtime, usegmt=True)
            headers = {"ETag": etag, "Last-Modified": last_modified}
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            if inm is not None:
                fresh = etag in [t.strip() for t in inm.split(",")]
            elif ims is not None:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
                fresh = int(doc.mtime) <= since
            else:
                fresh = False
            if fresh:
                self._send(304, b"", headers, length=False)
                return
            self._send(200, doc.body, {"Content-Type": doc.content_type, **headers})

        def _serve_fault(self, fault: Reply) -> None:
            if fault.hang:
                self._record(0)
                server._stop.wait(timeout=10)
                self.close_connection = True
                return
            body = fault.body
            headers = dict(fault.headers)
            if body is None:
                doc = server._doc(self.path)
                assert doc is not None, f"no file for {self.path}"
                body = doc.body
                headers.setdefault("Content-Type", doc.content_type)
            if fault.truncate_to is not None:
                self._record(fault.status)
                self.send_response(fault.status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: fault.truncate_to])
                self.wfile.flush()
                self.close_connection = True  # the client sees EOF before the announced end
                return
            self._send(fault.status, body, headers, length=not fault.no_length)

        def _send(
            self, status: int, body: bytes, headers: dict[str, str], length: bool = True
        ) -> None:
            self._record(status)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if length:
                self.send_header("Content-Length", str(len(body)))
            elif status != 304:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if body and status != 304:
                self.wfile.write(body)

    return Handler
