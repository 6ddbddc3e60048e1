"""The DuckDB store: built whole into a new file, validated, then swapped in with one rename.

Readers that hold the old file open keep a consistent view (the rename does not touch the old
inode); a refresh killed at any moment leaves the previous file in place. Failures never write
into the store: the outcome of the last attempt goes to ``<store>.last-refresh.json``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import duckdb
import polars as pl
from filelock import FileLock, Timeout

from alignment import blocs as blocs_module
from alignment import countries as countries_module
from alignment import ideal_points, metrics, topics
from alignment.errors import AlignmentError, BadDataError, StoreMissingError, TemporaryFailure
from alignment.faults import fault_point
from alignment.reconcile import Reconciled, reconcile
from alignment.schema import BY_NAME, SCHEMA_VERSION, TABLES
from alignment.sources import SourceRows, discover

log = logging.getLogger("alignment.store")
PROJECT_DIR = Path(__file__).parents[1]
DATA_DIR = PROJECT_DIR / "data"
DEFAULT_DB = DATA_DIR / "alignment.duckdb"
# Written so that DuckDB 1.0 and later (R duckdb >= 1.0, the 1.x CLI) can open the store;
# the newer v2 storage format would lock out every 1.x client. (No PRIMARY KEY constraints
# for the same reason: see schema.Table.primary_key.)
STORAGE_VERSION = "v1.0.0"


def default_db_path() -> Path:
    return Path(os.environ.get("ALIGNMENT_DB") or DEFAULT_DB)


def connect(db: Path | str | None = None, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection to the store, read-only unless asked: analysis never writes."""
    path = Path(db) if db is not None else default_db_path()
    if not path.exists():
        raise StoreMissingError(
            f"no store at {path}: build one with `alignment refresh --from ../shared/data` "
            "(or set ALIGNMENT_DB / --db to an existing store)"
        )
    return duckdb.connect(str(path), read_only=read_only)


# --- reading ---------------------------------------------------------------------------


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_paths(paths: Sequence[Path], crosswalk: countries_module.Crosswalk) -> list[SourceRows]:
    found = discover([Path(p) for p in paths])
    if not found:
        raise BadDataError(
            "no vote files found (Voeten's completeVotes, unvotes tables, UN Digital Library CSV "
            "or MARCXML, UN per-session JSON)",
            path=", ".join(str(p) for p in paths),
        )
    # Polars and the gzip module release the GIL: files are read side by side.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(lambda item: item[1].read(item[0], crosswalk), found))


def fill_absent(rows: SourceRows, crosswalk: countries_module.Crosswalk) -> SourceRows:
    """Mark absent (X) the UN members of the day that a voters-only source does not list."""
    if rows.absent_listed or rows.roll_calls.is_empty():
        return rows
    members = crosswalk.members_on(rows.roll_calls["date"])
    expected = rows.roll_calls.select("source_id", "date").join(members, on="date")
    absent = expected.join(rows.votes, on=["source_id", "iso3"], how="anti").select(
        pl.lit(rows.source).alias("source"), "source_id", "iso3", pl.lit("X").alias("vote"),
        pl.lit(False).alias("published"),
    )  # fmt: skip
    votes = pl.concat([rows.votes.with_columns(published=True), absent], how="vertical_relaxed")
    return SourceRows(rows.source, rows.path, rows.roll_calls, votes, True, rows.files, rows.notes)


def combine(rows: list[SourceRows]) -> list[SourceRows]:
    """Merge the files of one source (one JSON file per session) into one set of rows."""
    by_source: dict[str, list[SourceRows]] = {}
    for r in rows:
        by_source.setdefault(r.source, []).append(r)
    out = []
    for source, parts in by_source.items():
        calls = pl.concat([p.roll_calls for p in parts], how="vertical_relaxed")
        dup = calls.filter(pl.col("source_id").is_duplicated())
        if not dup.is_empty():
            sid = dup["source_id"][0]
            paths = [p.path for p in parts if sid in set(p.roll_calls["source_id"])]
            raise BadDataError(
                f"{source} roll call {sid!r} is in more than one file: {', '.join(paths)}; "
                "give each file once",
                path=paths[0],
            )
        out.append(
            SourceRows(
                source,
                parts[0].path,
                calls,
                pl.concat([p.votes for p in parts], how="vertical_relaxed"),
                all(p.absent_listed for p in parts),
                [f for p in parts for f in p.files],
                [f"{Path(p.path).name}: {n}" for p in parts for n in p.notes],
            )
        )
    return out


# --- writing ---------------------------------------------------------------------------


@dataclass
class BuildSummary:
    roll_calls: int
    votes: int
    first_date: dt.date | None
    last_date: dt.date | None
    disagreements: int
    sources: dict[str, int]  # roll calls per source
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time of each stage


@dataclass
class Provenance:
    """Where each file came from: filled by the local or network refresh."""

    files: list[dict] = field(default_factory=list)

    @classmethod
    def of_paths(cls, rows: list[SourceRows]) -> Provenance:
        files = []
        for r in rows:
            for f in r.files:
                path = Path(f)
                stat = path.stat()
                files.append({
                    "source": r.source, "location": str(path.resolve()), "sha256": file_digest(path),
                    "size": stat.st_size,
                    "modified": dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).replace(tzinfo=None),
                    "etag": None,
                })  # fmt: skip
        return cls(files)


def _create_schema(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES:
        con.execute(table.ddl())
        for statement in table.comments():
            con.execute(statement)


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    columns = [c.name for c in BY_NAME[table].columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AlignmentError(f"internal: {table} rows lack columns {missing}")
    view = frame.select(columns).to_arrow()  # noqa: F841 - read by DuckDB's replacement scan
    con.execute(f"INSERT INTO {table} SELECT * FROM view")


def previous_log(db: Path) -> pl.DataFrame:
    """The refresh history of the current store, carried into the next one."""
    empty = pl.DataFrame(schema={c.name: pl.String for c in BY_NAME["refresh_log"].columns})
    if not db.exists():
        return empty
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            return con.sql("SELECT * FROM refresh_log ORDER BY refresh_id").pl()
    except duckdb.Error:
        return empty


def write_store(
    db: Path,
    reconciled: Reconciled,
    *,
    data_dir: Path,
    provenance: Provenance,
    per_file: dict[str, dict],
    log_entry: dict,
    extra_tables: dict[str, pl.DataFrame],
    seconds: dict[str, float] | None = None,
) -> Path:
    """Write a complete new store beside ``db`` and return its path (not yet swapped in)."""
    tmp = db.with_name(f"{db.name}.new-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{tmp}' AS store (STORAGE_VERSION '{STORAGE_VERSION}')")
        con.execute("USE store")
        _create_schema(con)
        _insert(con, "roll_calls", reconciled.roll_calls)
        _insert(con, "votes", reconciled.votes)
        _insert(con, "roll_call_sources", reconciled.roll_call_sources)
        _insert(con, "vote_disagreements", reconciled.vote_disagreements)
        _insert(con, "source_agreement", reconciled.source_agreement)
        for name, frame in extra_tables.items():
            _insert(con, name, frame)
        files = pl.DataFrame(
            [{**f, **per_file.get(f.get("path", f["location"]),
                                 {"roll_calls": None, "votes": None, "notes": None})}
             for f in provenance.files],
            schema={"source": pl.String, "location": pl.String, "sha256": pl.String,
                    "size": pl.Int64, "modified": pl.Datetime("us"), "etag": pl.String,
                    "roll_calls": pl.Int64, "votes": pl.Int64, "notes": pl.String},
        )  # fmt: skip
        _insert(con, "source_files", files)
        fault_point("during-build")  # crash tests only (alignment.faults)
        log = previous_log(db)
        next_id = 1 if log.is_empty() else int(log["refresh_id"].cast(pl.Int64).max()) + 1
        if not log.is_empty():
            con.execute("INSERT INTO refresh_log SELECT * FROM log")
        entry = {**log_entry, "refresh_id": next_id}
        _insert(con, "refresh_log", pl.DataFrame([entry]))
        meta = {
            "schema_version": str(SCHEMA_VERSION),
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "alignment_version": version("alignment"),
            "duckdb_version": duckdb.__version__,
            "storage_version": STORAGE_VERSION,
            "data_dir": str(data_dir),
        }
        _insert(con, "store_meta", pl.DataFrame({"key": list(meta), "value": list(meta.values())}))
        seconds = {} if seconds is None else seconds
        with _timed(seconds, "metrics"):
            metrics.materialise(con)  # agreement_scores, bloc cohesion, defections, macros
        with _timed(seconds, "ideal points"):
            ideal_points.materialise(con, db)  # carried over when the votes are unchanged
        validate(con)
        con.execute("CHECKPOINT")
        con.execute("USE memory")
        con.execute("DETACH store")
    except BaseException:
        con.close()
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    con.close()
    return tmp


def validate(con: duckdb.DuckDBPyConnection) -> None:
    """Checks a new store must pass before it replaces the old one."""
    checks = {
        "votes of unknown roll calls": "SELECT count(*) FROM votes v ANTI JOIN roll_calls r USING (roll_call_id)",
        "votes of states missing from countries": "SELECT count(*) FROM votes v ANTI JOIN countries c USING (iso3)",
        "bloc members missing from countries": "SELECT count(*) FROM bloc_memberships m ANTI JOIN countries c USING (iso3)",
        "memberships of unknown blocs": "SELECT count(*) FROM bloc_memberships m ANTI JOIN blocs b USING (bloc)",
        "roll calls without a date": "SELECT count(*) FROM roll_calls WHERE date IS NULL",
        "roll calls without votes": "SELECT count(*) FROM roll_calls r ANTI JOIN votes v USING (roll_call_id)",
    }  # fmt: skip
    for what, sql in checks.items():
        count = con.execute(sql).fetchone()[0]
        if count:
            raise BadDataError(f"the new store failed validation: {count} {what}; store unchanged")
    for table in TABLES:
        if table.primary_key:
            key = ", ".join(f'"{c}"' for c in table.primary_key)
            repeated = con.execute(
                f"SELECT count(*) - count(DISTINCT ({key})) FROM {table.name}"
            ).fetchone()[0]
            if repeated:
                raise BadDataError(
                    f"the new store failed validation: {repeated} repeated keys ({key}) in "
                    f"{table.name}; store unchanged"
                )
    if con.execute("SELECT count(*) FROM roll_calls").fetchone()[0] == 0:
        raise BadDataError("the new store would hold no roll calls; store unchanged")


def swap_in(tmp: Path, db: Path) -> None:
    """Replace the store in one rename, then make the rename durable."""
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    fault_point("before-swap")  # crash tests only (alignment.faults)
    os.replace(tmp, db)
    fd = os.open(db.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def refresh_lock(db: Path) -> Iterator[None]:
    """One refresh at a time per store; the second exits at once (exit 75)."""
    lock = FileLock(str(db) + ".lock", timeout=0)
    try:
        lock.acquire()
    except Timeout as exc:
        raise TemporaryFailure(
            f"another refresh of {db} is running (lock {lock.lock_file} is held); try again later"
        ) from exc
    try:
        yield
    finally:
        lock.release()


def status_path(db: Path) -> Path:
    return db.with_name(db.name + ".last-refresh.json")


def write_status(db: Path, status: dict) -> None:
    """The outcome of the last refresh attempt, beside the store (failures never touch it)."""
    path = status_path(db)
    tmp = path.with_name(path.name + f".{os.getpid()}")
    tmp.write_text(json.dumps(status, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def read_status(db: Path) -> dict | None:
    path = status_path(db)
    return json.loads(path.read_text()) if path.exists() else None


# --- the whole build -----------------------------------------------------------------


def build(
    db: Path,
    rows: list[SourceRows],
    *,
    provenance: Provenance,
    data_dir: Path | None = None,
    started_at: dt.datetime | None = None,
    origin: str = "",
    matches_path: Path | None = None,
    extra_tables: dict[str, pl.DataFrame] | None = None,
) -> BuildSummary:
    """Reconcile the rows read from every source and replace the store at ``db``."""
    data_dir = data_dir or DATA_DIR
    started_at = started_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    clock = time.perf_counter()
    crosswalk = countries_module.Crosswalk.load(data_dir)
    countries = crosswalk.countries
    rows = [fill_absent(r, crosswalk) for r in combine(rows)]
    reconciled = reconcile(rows)
    calls = reconciled.roll_calls
    topic_rows = topics.tag(calls, topics.load_rules(data_dir))
    per_file = {}
    for r in rows:
        # One figure per source, attributed to its first file (a source's files are merged).
        per_file[str(Path(r.files[0]).resolve())] = {
            "roll_calls": r.roll_calls.height,
            "votes": r.votes.height,
            "notes": "\n".join(r.notes) or None,
        }
    matches = (
        pl.read_csv(
            matches_path,
            columns=["rcid1", "rcid2"],
            schema_overrides={"rcid1": pl.Int64, "rcid2": pl.Int64},
        )
        if matches_path is not None
        else pl.DataFrame(schema={"rcid1": pl.Int64, "rcid2": pl.Int64})
    )
    extra = {
        "countries": countries,
        "country_codes": pl.read_csv(
            data_dir / "country_codes.csv", infer_schema=False, comment_prefix="#"
        ).with_columns(pl.col("valid_from", "valid_to").str.to_date("%Y-%m-%d", strict=False)),
        "blocs": blocs_module.load_blocs(data_dir),
        "bloc_memberships": blocs_module.load_memberships(data_dir),
        "roll_call_topics": topic_rows,
        "voeten_matches": matches,
        **(extra_tables or {}),  # e.g. fetch_state from the network refresh
    }
    for name in ("countries", "bloc_memberships"):
        for column in BY_NAME[name].columns:
            if column.name not in extra[name].columns:
                extra[name] = extra[name].with_columns(pl.lit(None, pl.String).alias(column.name))
    finished = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    log_entry = {
        "started_at": started_at, "finished_at": finished, "outcome": "updated",
        "message": f"built {calls.height} roll calls and {reconciled.votes.height} votes "
                   f"from {len(provenance.files)} files",
        "sources": origin, "roll_calls": calls.height, "votes": reconciled.votes.height,
    }  # fmt: skip
    seconds = {"reconcile": time.perf_counter() - clock}
    clock = time.perf_counter()
    tmp = write_store(
        db, reconciled, data_dir=data_dir, provenance=provenance, per_file=per_file,
        log_entry=log_entry, extra_tables=extra, seconds=seconds,
    )  # fmt: skip
    swap_in(tmp, db)
    seconds["write"] = time.perf_counter() - clock - seconds["metrics"] - seconds["ideal points"]
    for stage, spent in seconds.items():
        log.info("build stage %s took %.1f s", stage, spent)
    return BuildSummary(
        roll_calls=calls.height,
        votes=reconciled.votes.height,
        first_date=calls["date"].min(),  # type: ignore[arg-type]
        last_date=calls["date"].max(),  # type: ignore[arg-type]
        disagreements=reconciled.vote_disagreements.height,
        sources={r.source: r.roll_calls.height for r in rows},
        notes=reconciled.notes + [n for r in rows for n in r.notes],
        seconds=seconds,
    )


@contextlib.contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = time.perf_counter() - start


def find_matches(paths: Sequence[Path]) -> Path | None:
    """Voeten's Matches.csv, when it is among (or under) the given paths."""
    for given in paths:
        given = Path(given)
        if given.is_file() and given.name == "Matches.csv":
            return given
        if given.is_dir():
            found = sorted(given.rglob("Matches.csv"))
            if found:
                return found[0]
    return None


def remove_leftovers(db: Path) -> list[Path]:
    """New-store files of refreshes that died before their rename (call with the lock held)."""
    removed = []
    for path in db.parent.glob(f"{db.name}.new-*"):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
            log.warning("removed %s, left by an interrupted refresh", path)
    return removed


def refresh_from_paths(
    db: Path, paths: Sequence[Path], *, data_dir: Path | None = None
) -> BuildSummary:
    """Build the store from local files and folders (``alignment refresh --from``)."""
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    data_dir = data_dir or DATA_DIR
    db.parent.mkdir(parents=True, exist_ok=True)
    with refresh_lock(db):
        remove_leftovers(db)
        try:
            clock = time.perf_counter()
            crosswalk = countries_module.Crosswalk.load(data_dir)
            rows = read_paths(paths, crosswalk)
            read_seconds = time.perf_counter() - clock
            summary = build(
                db, rows, provenance=Provenance.of_paths(rows), data_dir=data_dir,
                started_at=started, origin=" ".join(str(p) for p in paths),
                matches_path=find_matches(paths),
            )  # fmt: skip
            summary.seconds = {"read": read_seconds, **summary.seconds}
        except AlignmentError as exc:
            write_status(db, {"started_at": started, "outcome": _outcome(exc), "message": str(exc)})
            raise
        write_status(
            db,
            {"started_at": started, "outcome": "updated", "message":
             f"{summary.roll_calls} roll calls, {summary.votes} votes"},
        )  # fmt: skip
        return summary


def _outcome(exc: AlignmentError) -> str:
    if isinstance(exc, BadDataError):
        return "bad_data"
    if isinstance(exc, TemporaryFailure):
        return "temporary_failure"
    return "error"
