"""``alignment status``: how fresh the store is, what it was built from, how the last refresh went.

Reads the store read-only (a refresh in progress builds another file, so this never waits) and
the record ``<store>.last-refresh.json`` that every refresh attempt writes. Every time it
reports is in UTC and says so (``+00:00`` in JSON, ``UTC`` in text).

:func:`freshness` answers a monitor's question, "is the store older than it should be?": the
last successful refresh (one that updated the store or found it current) against a maximum age,
and whether the last attempt failed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path
from typing import Any

import duckdb

from alignment import attempt
from alignment.errors import StaleStore, UsageError, first_line
from alignment.schema import TABLES
from alignment.store import schema_problem
from alignment.symbols import SERIES_ORDER_SQL
from alignment.vocabulary import PERIOD_TYPES, VOTE_SETS, ideal_points_meta_prefix

# Tables whose row counts the status shows, in schema order (store_meta is shown as facts).
COUNTED = tuple(t.name for t in TABLES if t.name != "store_meta")


def report(db: Path, chosen: str | None = None) -> dict[str, Any]:
    """Everything ``alignment status`` shows, as plain data. ``chosen`` says why this store
    was opened (``alignment.location``)."""
    out: dict[str, Any] = {
        "store": str(db),
        "chosen": chosen,
        "exists": db.exists(),
        "size": db.stat().st_size if db.exists() else None,
        "meta": {},
        "last_attempt": attempt.read(db),
        "last_build": None,
        "builds": 0,
        "rows": {},
        "sources": [],
        "coverage": [],
    }
    if not db.exists():
        return out
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            read = _read(con, out)
    except duckdb.Error as exc:
        # A damaged file, or one that is not an alignment store: described, then the command
        # exits with StoreUnreadable (alignment.errors).
        out["unreadable"] = (
            f"{first_line(exc)}; rebuild it with `alignment refresh --force` (a file that is "
            "not a store is refused, not replaced, unless --force)"
        )
        return out
    if read is None:  # built by another version: its tables are not read
        return out
    fetched, freshness, files = read
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


def _read(con: duckdb.DuckDBPyConnection, out: dict[str, Any]) -> tuple | None:
    """Fill ``out`` from the store; None (and ``out["outdated"]``) for a store of another
    schema, whose tables this version does not read."""
    out["meta"] = dict(con.sql("SELECT key, value FROM store_meta ORDER BY key").fetchall())
    problem = schema_problem(out["meta"])
    if problem is not None:
        out["outdated"] = problem
        return None
    out["rows"] = {t: con.sql(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in COUNTED}
    log = _dicts(con, "SELECT * FROM refresh_log ORDER BY refresh_id")
    out["builds"] = len(log)
    out["last_build"] = log[-1] if log else None
    fetched = {r["url"]: r for r in _dicts(con, "SELECT * FROM fetch_state")}
    freshness = {
        r["source"]: r
        for r in _dicts(
            con,
            "SELECT source, max(date) AS newest_vote, min(date) AS oldest_vote, "
            "count(*) AS roll_calls FROM roll_call_sources GROUP BY source",
        )
    }
    files = _dicts(con, "SELECT source, location, sha256, size, modified, etag FROM source_files")
    out["coverage"] = _dicts(
        con,
        "SELECT series, series_kind, first_vote, last_vote, roll_calls, resolutions, "
        "without_vote, highest_number, numbering_gaps, gaps, last_record, complete_through "
        f"FROM coverage WHERE source = 'store' ORDER BY {SERIES_ORDER_SQL}, series_number",
    )
    return fetched, freshness, files


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
    if rep["exists"] and not rep.get("unreadable"):
        lines.append(
            f"built: {_when(meta.get('built_at'))} by alignment {meta.get('alignment_version')}, "
            f"schema {meta.get('schema_version')}, storage {meta.get('storage_version')}"
        )
    last = rep["last_attempt"]
    if last is None:
        lines.append("last refresh: none recorded")
    else:
        lines.append(
            f"last refresh: {last.get('outcome')} at {_when(last.get('started_at'))}: "
            f"{last.get('message')}"
        )

    build = rep["last_build"]
    if build is not None:
        lines.append(
            f"last build: #{build['refresh_id']} {build['outcome']} at "
            f"{_when(build['finished_at'])} from {build['sources']}: {build['message']}"
        )
    success = last_success(rep)
    if success is not None:
        lines.append(f"last success: {_when(success)}")
    if rep.get("chosen"):
        lines.append(f"opened: {rep['chosen']}")
    if rep.get("check"):
        lines.append(f"check: {rep['check']}")
    if not rep["exists"] or rep.get("unreadable") or rep.get("outdated"):
        return "\n".join(lines) + "\n"
    lines += _ideal_point_lines(rep["meta"])
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
    lines += coverage_lines(rep["coverage"])
    return "\n".join(lines) + "\n"


RECENT_SESSIONS = 5  # regular sessions the text shows one by one (--json: all of them)


def coverage_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The coverage section: the regular sessions in one line and the latest one by one, every
    emergency special and special session (`alignment coverage` shows all, per source)."""
    if not rows:
        return []
    lines = ["coverage (series: votes from - to, complete through; `alignment coverage`):"]
    regular = [r for r in rows if r["series_kind"] == "regular"]
    if len(regular) > RECENT_SESSIONS:
        older = regular[:-RECENT_SESSIONS]
        lines.append(
            f"  sessions {older[0]['series']}-{older[-1]['series']}: "
            f"{sum(r['roll_calls'] for r in older):,} roll calls, "
            f"{older[0]['first_vote'] or '-'} to {older[-1]['last_vote'] or '-'}"
        )
    for r in regular[-RECENT_SESSIONS:] + [r for r in rows if r["series_kind"] != "regular"]:
        known = (
            "without a vote: unknown" if r["without_vote"] is None
            else f"{r['without_vote']:,} without a vote, {r['numbering_gaps'] or 0} number"
            f"{'' if r['numbering_gaps'] == 1 else 's'} missing"
        )  # fmt: skip
        lines.append(
            f"  {r['series']}: {r['roll_calls']:,} roll calls {r['first_vote'] or '-'} - "
            f"{r['last_vote'] or '-'}, complete through {r['complete_through'] or '-'} ({known})"
        )
    return lines


def _ideal_point_lines(meta: dict[str, str]) -> list[str]:
    """One line per stored ideal point series (store_meta, written by the build): its method
    and that method's diagnostics, e.g. "EM, 47 iterations, 50 bootstrap replicates" or the
    sampler's verdict against the publication standard."""
    lines = []
    for period_type, vote_set in itertools.product(PERIOD_TYPES, VOTE_SETS):
        prefix = ideal_points_meta_prefix(period_type, vote_set)
        head = f"ideal points by {period_type}, {vote_set} votes: "
        if meta.get(f"{prefix}method") == "em":
            n = int(meta.get(f"{prefix}replicates", "0"))
            lines.append(
                f"{head}EM, {meta.get(f'{prefix}iterations')} iterations (last change "
                f"{meta.get(f'{prefix}final_change')}), {n} bootstrap replicate"
                f"{'' if n == 1 else 's'}"
            )
            continue
        if f"{prefix}converged" not in meta:
            continue  # not a stored series
        share = float(meta.get(f"{prefix}converged_share", "nan"))
        verdict = "converged" if meta[f"{prefix}converged"] == "true" else "NOT converged"
        lines.append(
            f"{head}MCMC, {verdict} to the publication standard ({share:.1%} of estimates meet "
            f"it); R-hat median {meta.get(f'{prefix}rhat_median')}, max "
            f"{meta.get(f'{prefix}rhat_max')}; smallest ESS bulk "
            f"{meta.get(f'{prefix}ess_bulk_min')}, tail {meta.get(f'{prefix}ess_tail_min')}"
        )
    return lines


# --- freshness for monitors ------------------------------------------------------------------

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> dt.timedelta:
    """``90m``, ``6h``, ``2d``, ``1w``, or a sum such as ``1d12h``."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise UsageError(
            f"{text!r} is not a duration: write a number and a unit (s, m, h, d, w), e.g. 2d "
            "or 1d12h"
        )
    return dt.timedelta(seconds=sum(float(n) * _UNIT_SECONDS[u] for n, u in parts))


def _as_utc(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def last_success(rep: dict[str, Any]) -> dt.datetime | None:
    """When a refresh last succeeded: the attempt record's, or the store's last build."""
    times = [_as_utc((rep["last_attempt"] or {}).get("last_success_at"))]
    if rep["last_build"] is not None:
        times.append(_as_utc(rep["last_build"].get("finished_at")))
    known = [t for t in times if t is not None]
    return max(known) if known else None


def freshness(rep: dict[str, Any], max_age: dt.timedelta, now: dt.datetime | None = None) -> None:
    """Raise :class:`StaleStore` (exit 3) when the last success is older than ``max_age``, or
    there is none, or the last attempt failed."""
    now = now or dt.datetime.now(dt.UTC)
    success = last_success(rep)
    problems = []
    if success is None:
        problems.append("no successful refresh is recorded")
    elif now - success > max_age:
        problems.append(
            f"the last successful refresh was at {_when(success)}, {_age(now - success)} ago, "
            f"more than {_age(max_age)}"
        )
    last = rep["last_attempt"] or {}
    if last and last.get("outcome") not in attempt.SUCCESSFUL:
        problems.append(
            f"the last refresh attempt ({_when(last.get('started_at'))}) ended "
            f"{last.get('outcome')}: {last.get('message')}"
        )
    if problems:
        raise StaleStore(f"{rep['store']}: " + "; ".join(problems))


def _age(delta: dt.timedelta) -> str:
    """A duration as people say it: 1 second, 45 minutes, 6.5 hours, 3.0 days."""
    seconds = delta.total_seconds()
    for unit, size, limit in (
        ("second", 1, 120),
        ("minute", 60, 120 * 60),
        ("hour", 3600, 48 * 3600),
    ):
        if seconds < limit:
            value = seconds / size
            text = f"{value:.0f}" if unit in ("second", "minute") else f"{value:.1f}"
            return f"{text} {unit}" + ("" if text == "1" else "s")
    return f"{seconds / 86400:.1f} days"


def as_json(rep: dict[str, Any]) -> Any:
    """The report with every time as ISO 8601 in UTC with its offset."""
    if isinstance(rep, dict):
        return {k: as_json(v) for k, v in rep.items()}
    if isinstance(rep, list):
        return [as_json(v) for v in rep]
    if isinstance(rep, dt.datetime):
        return _as_utc(rep).isoformat(timespec="seconds")  # type: ignore[union-attr]
    if isinstance(rep, dt.date):
        return rep.isoformat()
    if isinstance(rep, str) and _as_utc(rep) is not None and "T" in rep:
        return _as_utc(rep).isoformat(timespec="seconds")  # type: ignore[union-attr]
    return rep
