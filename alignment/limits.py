"""The limits every reader of the store runs under: time, memory, spill files, Ctrl-C.

The engine enforces them, not this code: DuckDB's ``max_execution_time`` stops a query that runs
too long (DuckDB 2.0 on; before it, :func:`interruptible` interrupts the query at its deadline),
``memory_limit`` caps its memory, and what does not fit spills into
``temp_directory``, a fresh folder in the system's temporary folder that DuckDB creates when it
first spills and removes when the connection closes (never beside the store). The settings are
locked with the rest of the sandbox (``alignment.store.SANDBOX``), so no statement can lift them.

Ctrl-C: a query runs in DuckDB's C++ code, where Python's signal handler cannot run until it
returns. :func:`interruptible` therefore runs the query in a worker thread while the main thread
waits, and turns Ctrl-C into ``con.interrupt()``: the query stops within a second and the
command ends with :class:`~alignment.errors.Interrupted` (exit 130).
"""

from __future__ import annotations

import os
import tempfile
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from alignment.errors import Interrupted, QueryTimeout

if TYPE_CHECKING:
    import duckdb

T = TypeVar("T")

DEFAULT_TIMEOUT = 60.0  # seconds, for `alignment sql` and `alignment queries run`
MEMORY_SHARE = 0.5  # of the machine's RAM, when no --memory-limit is given
# DuckDB's words when max_execution_time stops a query (an InterruptException either way).
TIMEOUT_WORDS = "maximum execution time"


def physical_memory() -> int | None:
    """Bytes of RAM, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def default_memory_limit() -> str | None:
    """:data:`MEMORY_SHARE` of the RAM, in DuckDB's size text; None leaves DuckDB's default."""
    total = physical_memory()
    return None if total is None else f"{int(total * MEMORY_SHARE) // (1 << 20)}MiB"


def spill_folder() -> str:
    """A folder for DuckDB's spill files that does not exist yet: DuckDB creates it on first
    spill and removes it at close."""
    return os.path.join(tempfile.gettempdir(), f"alignment-spill-{os.getpid()}-{uuid.uuid4().hex}")


def config(memory_limit: str | None = None) -> dict[str, str | bool | int | float | list[str]]:
    """DuckDB's settings at connection for the memory: ``memory_limit`` as DuckDB reads it
    ("4GB", "500MiB"; None: :func:`default_memory_limit`) and the spill folder."""
    settings: dict[str, str | bool | int | float | list[str]] = {"temp_directory": spill_folder()}
    memory = memory_limit or default_memory_limit()
    if memory is not None:
        settings["memory_limit"] = memory
    return settings


def set_timeout(con: duckdb.DuckDBPyConnection, timeout: float | None) -> bool:
    """Give the engine the time limit (seconds; None or 0: none). False when this DuckDB has
    no ``max_execution_time`` (before 2.0): then only :func:`interruptible` enforces it."""
    if not timeout:
        return True
    # fetchall, not fetchone: DuckDB 2.0 refuses other work while a result is unfinished.
    ((known,),) = con.execute(
        "SELECT count(*) FROM duckdb_settings() WHERE name = 'max_execution_time'"
    ).fetchall()
    if not known:
        return False
    con.execute(f"SET max_execution_time = {max(1, round(timeout * 1000))}")  # milliseconds
    return True


def timeout_seconds(con: duckdb.DuckDBPyConnection) -> float | None:
    """The engine's time limit on the connection, for messages; None when it has none."""
    try:
        ((value,),) = con.execute("SELECT current_setting('max_execution_time')").fetchall()
    except Exception:  # a DuckDB without the setting
        return None
    return int(value) / 1000 if value else None


def timed_out(con: duckdb.DuckDBPyConnection, exc: BaseException) -> QueryTimeout | None:
    """The error to raise when ``exc`` is the engine stopping a query at its time limit."""
    if TIMEOUT_WORDS not in str(exc):
        return None
    return too_long(timeout_seconds(con))


def too_long(seconds: float | None) -> QueryTimeout:
    limit = f"{seconds:g} s" if seconds is not None else "its time limit"
    return QueryTimeout(
        f"the query ran longer than {limit} and was stopped; give it more time with "
        "--timeout SECONDS (0: no limit), or narrow it"
    )


def interruptible(
    con: duckdb.DuckDBPyConnection, work: Callable[[], T], timeout: float | None = None
) -> T:
    """``work()`` (queries on ``con``) in a worker thread; Ctrl-C in the main thread interrupts
    the connection and raises :class:`Interrupted` once the worker has stopped. ``timeout``
    (seconds) is enforced here too when the engine cannot (:func:`set_timeout`)."""
    import time

    import duckdb

    deadline = None
    if timeout and timeout_seconds(con) is None:
        deadline = time.monotonic() + timeout

    outcome: dict[str, object] = {}
    # An Event, not Thread.is_alive(): a join() cut by KeyboardInterrupt can leave a live thread
    # marked stopped (CPython gh-90882).
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc
        finally:
            done.set()

    def stop() -> None:
        # Interrupt until the worker notices: an interrupt that lands before the query starts
        # executing is dropped by DuckDB.
        while not done.is_set():
            con.interrupt()
            done.wait(0.05)

    threading.Thread(target=run, name="alignment-query", daemon=True).start()
    try:
        while not done.wait(0.1):
            if deadline is not None and time.monotonic() > deadline:
                stop()
                raise too_long(timeout)
    except KeyboardInterrupt:
        stop()
        raise Interrupted("interrupted (Ctrl-C); the query was stopped") from None
    error = outcome.get("error")
    if error is not None:
        if isinstance(error, duckdb.InterruptException):
            raise timed_out(con, error) or Interrupted("the query was interrupted") from None
        raise error  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
