"""Stage lines of the long runs (a refresh, an ideal point estimate), for a person and a job.

Each stage logs one line when it ends, with what it produced and how long it took
(``stage write: 27 tables, 32.0 MB (4.1 s)``), so that a scheduled job's log never goes quiet
for minutes. A display (the CLI's rich progress on a terminal) may :func:`watch` the stages:
it hears each one start and end.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator

LOG = logging.getLogger("alignment.progress")

# (event, stage, detail): event is "start" or "end"; detail the end line's counts.
Listener = Callable[[str, str, str], None]
_listeners: list[Listener] = []


class Stage:
    """What a running stage reports: :meth:`done` sets the counts its end line shows."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.detail = ""

    def done(self, detail: str) -> None:
        self.detail = detail


@contextlib.contextmanager
def stage(name: str) -> Iterator[Stage]:
    """Time a stage; log its end line (also when it fails, so that a log shows where)."""
    current = Stage(name)
    for listener in list(_listeners):
        listener("start", name, "")
    started = time.perf_counter()
    ok = False
    try:
        yield current
        ok = True
    finally:
        elapsed = time.perf_counter() - started
        detail = current.detail if ok else "failed"
        LOG.info("stage %s: %s (%.1f s)", name, detail or "done", elapsed,
                 extra={"fields": {"stage": name, "seconds": round(elapsed, 3)}})  # fmt: skip
        for listener in list(_listeners):
            listener("end", name, detail)


@contextlib.contextmanager
def watch(listener: Listener) -> Iterator[None]:
    """Tell ``listener`` of every stage that starts or ends inside the block."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def count(n: int, word: str) -> str:
    """``1 roll call``, ``6,843 roll calls``."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")
