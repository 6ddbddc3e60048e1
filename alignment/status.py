"""``alignment status``: how fresh the store is, what it was built from, how the last refresh went.

Reads the store read-only (a refresh in progress builds another file, so this never waits) and
the status file ``<store>.last-refresh.json`` that every refresh attempt writes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from alignment import store
from alignment.schema import TABLES

# Tables whose row counts the status shows, in schema order (store_meta is shown as facts).
COUNTED = tuple(t.name for t in TABLES if t.name != "store_meta")


def report(db: Path) -> dict[str, Any]:
    """Everything ``alignment status`` shows, as plain data (JSON-serialisable with str)."""
    out: dict[str, Any] = {
        "store": str(db),
        "exists": db.exists(),
        "size": db.stat().st_size if db.exists() else None,
        "meta": {},
        "last_attempt": store.read_status(db),
        "last_build": None,
        "builds": 0,
        "rows": {},
        "sources": [],
    }
    if not db.exists():
        return out
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
        out["meta"] = dict(con.sql("SELECT key, value FROM store_meta ORDER BY key").fetchall())
        out["rows"] = {
            t: con.sql(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in COUNTED if t in tables
        }
        log = _dicts(con, "SELECT * FROM refresh_log ORDER BY refresh_id")
        out["builds"] = len(log)
        out["last_build"] = log[-1] if log else None
        fetched = (
            {r["url"]: r for r in _dicts(con, "SELECT * FROM fetch_state")}
            if "fetch_state" in tables
            else {}
        )
        freshness = {
            r["source"]: r
            for r in _dicts(
                con,
                "SELECT source, max(date) AS newest_vote, min(date) AS oldest_vote, "
                "count(*) AS roll_calls FROM roll_call_sources GROUP BY source",
            )
        }
        files = _dicts(
            con, "SELECT source, location, sha256, size, modified, etag FROM source_files"
        )
    by_source: dict[str, list[dict[str, Any]]] = {}
    for f in files:
        state = fetched.get(f["location"], {})
        f["last_modified"] = state.get("last_modified")
        f["fetched_at"] = state.get("fetched_at")
        f["checked_at"] = state.get("checked_at")
        by_source.setdefault(f.pop("source"), []).append(f)
    for source in sorted(set(by_source) | set(freshness)):
        fresh = freshness.get(source, {})
        out["sources"].append({
            "source": source, "newest_vote": fresh.get("newest_vote"),
            "oldest_vote": fresh.get("oldest_vote"), "roll_calls": fresh.get("roll_calls", 0),
            "files": sorted(by_source.get(source, []), key=lambda f: f["location"]),
        })  # fmt: skip
    return out


def _dicts(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    rel = con.sql(sql)
    names = rel.columns
    return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


def _when(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat(sep=" ") + " UTC"
    return str(value)


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    return f"{n:,} bytes"


def render(rep: dict[str, Any]) -> str:
    """The text form of :func:`report`: stable lines, one fact per line where it matters."""
    lines = []
    if not rep["exists"]:
        lines.append(f"store: {rep['store']} (missing)")
    else:
        meta = rep["meta"]
        lines.append(f"store: {rep['store']} ({_size(rep['size'])})")
        lines.append(
            f"built: {_when(meta.get('built_at'))} by alignment {meta.get('alignment_version')}, "
            f"schema {meta.get('schema_version')}, storage {meta.get('storage_version')}"
        )
    attempt = rep["last_attempt"]
    if attempt is None:
        lines.append("last refresh: none recorded")
    else:
        lines.append(
            f"last refresh: {attempt.get('outcome')} at {_when(attempt.get('started_at'))}: "
            f"{attempt.get('message')}"
        )
    build = rep["last_build"]
    if build is not None:
        lines.append(
            f"last build: #{build['refresh_id']} {build['outcome']} at "
            f"{_when(build['finished_at'])} from {build['sources']}: {build['message']}"
        )
    if not rep["exists"]:
        return "\n".join(lines) + "\n"
    lines.append("rows:")
    width = max(len(t) for t in rep["rows"])
    lines += [f"  {t:<{width}} {n:>12,}" for t, n in rep["rows"].items()]
    lines.append("sources:")
    for s in rep["sources"]:
        lines.append(
            f"  {s['source']}: newest vote {s['newest_vote'] or '-'}, "
            f"oldest {s['oldest_vote'] or '-'}, {s['roll_calls']:,} roll call"
            + ("" if s["roll_calls"] == 1 else "s")
        )
        for f in s["files"]:
            version = []
            if f["etag"]:
                version.append(f"etag {f['etag']}")
            if f["last_modified"]:
                version.append(f"last-modified {f['last_modified']}")
            elif f["modified"]:
                version.append(f"modified {_when(f['modified'])}")
            version.append(_size(f["size"]))
            lines.append(f"    {f['location']}")
            lines.append(f"      version: {', '.join(version)}")
            lines.append(f"      sha256:  {f['sha256']}")
            if f["fetched_at"] is not None:
                lines.append(
                    f"      fetched: {_when(f['fetched_at'])} (checked {_when(f['checked_at'])})"
                )
    return "\n".join(lines) + "\n"
