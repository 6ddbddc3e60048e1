"""The record of the last refresh attempt, whatever its outcome: ``<store>.last-refresh.json``.

A refresh that fails, finds nothing new or is refused by the lock never touches the store
(which lists only its builds, in ``refresh_log``); this small file beside it says what the last
attempt did, for ``alignment status`` and for monitors. Times are written in UTC with their
offset (ISO 8601), so that no reader has to guess the zone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

SUCCESSFUL = ("updated", "current")


def now() -> dt.datetime:
    """The time of an event of the refresh: UTC, to the second, zone attached."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def path_of(db: Path) -> Path:
    return db.with_name(db.name + ".last-refresh.json")


def write_attempt(db: Path, record: dict[str, Any]) -> None:
    """Replace the record beside the store in one rename."""
    path = path_of(db)
    tmp = path.with_name(path.name + f".{os.getpid()}")
    tmp.write_text(json.dumps(record, indent=2, default=_iso) + "\n")
    os.replace(tmp, path)


def read(db: Path) -> dict[str, Any] | None:
    """The last attempt; None when none is recorded. A damaged record is reported as such
    rather than raised: it must not stop ``status`` from describing the store."""
    path = path_of(db)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        return {"outcome": "unreadable", "message": f"{path}: {exc.strerror}"}
    try:
        record = json.loads(text)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        return {"outcome": "unreadable", "message": f"{path} is not a refresh record; the next "
                "refresh replaces it"}  # fmt: skip
    return record


def _iso(value: Any) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # naive times in this project are UTC
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat(timespec="seconds")
    return str(value)
