"""The DuckDB store file: written whole as a new file, validated, then swapped in with one rename.

Readers that hold the old file open keep a consistent view (the rename does not touch the old
inode); a refresh killed at any moment leaves the previous file in place. This module knows the
schema and the file, nothing of formats, sources or analyses: it is given every table as a frame
and the statements that create the views and macros.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import duckdb
import polars as pl
from filelock import FileLock, Timeout

from alignment.errors import AlignmentError, BadDataError, StoreMissingError, TemporaryFailure
from alignment.faults import fault_point
from alignment.schema import BY_NAME, SCHEMA_VERSION, TABLES

# Written so that DuckDB 1.0 and later (R duckdb >= 1.0, the 1.x CLI) can open the store;
# the newer v2 storage format would lock out every 1.x client. (No PRIMARY KEY constraints
# for the same reason: see schema.Table.primary_key.)
STORAGE_VERSION = "v1.0.0"


# DuckDB's own sandbox for every reader of the store: the file opened read-only, no access to
# any other file or to the network (read_csv, COPY ... TO, ATTACH, INSTALL all refused), no
# extension loaded or installed behind the user's back, and the settings locked so that no
# statement can lift any of this. The guarantee comes from the engine, not from parsing SQL.
SANDBOX: dict[str, object] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}


def connect(db: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """The store (``$ALIGNMENT_DB`` or the default when ``db`` is None), opened read-only inside
    DuckDB's sandbox (:data:`SANDBOX`): analysis never writes, and nothing a query says can
    write a file, read one outside the store or reach the network."""
    from alignment.location import locate

    path = locate(db).path
    if not path.exists():
        raise StoreMissingError(
            f"no store at {path}: build one with `alignment refresh --from ../shared/data` "
            "(or set ALIGNMENT_DB / --db to an existing store)"
        )
    con = duckdb.connect(str(path), read_only=True, config=SANDBOX)
    try:
        _check_schema(con, path)
    except AlignmentError:
        con.close()
        raise
    return con


def _check_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A store written by an older version lacks tables, views or macros this one reads: say so
    once, on opening, rather than fail deep inside a query."""
    try:
        rows = con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchall()
    except duckdb.Error:
        return  # no store_meta: not a store, which the first query says
    version = rows[0][0] if rows else None
    if version is not None and version.isdigit() and int(version) < SCHEMA_VERSION:
        raise AlignmentError(
            f"{path} was built by an older alignment (schema {version}; this one reads schema "
            f"{SCHEMA_VERSION}): rebuild it with `alignment refresh`"
        )


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- reading what the store being replaced holds ---------------------------------------------


def read_previous(db: Path, sql: str) -> pl.DataFrame | None:
    """Rows of the current store for the next build (its log, its fetch state, its estimates);
    None when there is no store or it cannot answer (an older layout, a damaged file)."""
    if not db.exists():
        return None
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            return con.sql(sql).pl()
    except duckdb.Error:
        return None


def is_store(db: Path) -> bool:
    """Whether the file is an alignment store (a DuckDB file with our ``store_meta``)."""
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            found = con.execute(
                "SELECT count(*) FROM store_meta WHERE key = 'schema_version'"
            ).fetchone()
    except duckdb.Error:
        return False
    return bool(found and found[0])


# --- writing ---------------------------------------------------------------------------------


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    columns = [c.name for c in BY_NAME[table].columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AlignmentError(f"internal: {table} rows lack columns {missing}")
    rows = frame.select(columns).to_arrow()  # noqa: F841 - read by DuckDB's replacement scan
    quoted = ", ".join(f'"{c}"' for c in columns)
    con.execute(f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM rows")


def write_store(
    db: Path, tables: Mapping[str, pl.DataFrame], statements: Sequence[str] = ()
) -> Path:
    """Write a complete new store beside ``db`` and return its path (not yet swapped in).

    Every table of the schema is created with its comments and filled from ``tables`` (a table
    not given stays empty); ``statements`` (views, macros) run after; the file is validated.
    """
    unknown = sorted(set(tables) - set(BY_NAME))
    if unknown:
        raise AlignmentError(f"internal: no table {unknown} in the schema")
    tmp = db.with_name(f"{db.name}.new-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{tmp}' AS store (STORAGE_VERSION '{STORAGE_VERSION}')")
        con.execute("USE store")
        for table in TABLES:
            con.execute(table.ddl())
            for statement in table.comments():
                con.execute(statement)
            if table.name in tables:
                _insert(con, table.name, tables[table.name])
            if table.name == "source_files":
                fault_point("during-build")  # crash tests only (alignment.faults)
        con.execute("BEGIN")  # one catalog commit for the views, macros and their comments
        for statement in statements:
            con.execute(statement)
        con.execute("COMMIT")
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


def replace_series(
    db: Path,
    table: str,
    key: Mapping[str, object],
    rows: pl.DataFrame,
    meta: Mapping[str, str],
    meta_prefix: str,
) -> None:
    """Replace the rows of ``table`` that match ``key`` (column -> value) by ``rows``, and the
    store_meta keys that begin with ``meta_prefix`` by ``meta``: a series computed after the
    build (an ideal point series run to convergence). As a build does, on a copy of the store
    swapped in with one rename under the store's lock: readers keep their view, a failure
    leaves the store as it was."""
    if not db.exists():
        raise StoreMissingError(f"no store at {db}: build one with `alignment refresh` first")
    known = {c.name for c in BY_NAME[table].columns}
    if set(key) - known:
        raise AlignmentError(f"internal: {table} has no columns {sorted(set(key) - known)}")
    with lock(db):
        tmp = db.with_name(f"{db.name}.new-{os.getpid()}")
        shutil.copyfile(db, tmp)
        try:
            with duckdb.connect(str(tmp)) as con:
                where = " AND ".join(f'"{c}" = ?' for c in key)
                con.execute("BEGIN")
                con.execute(f"DELETE FROM {table} WHERE {where}", list(key.values()))
                _insert(con, table, rows)
                con.execute(
                    "DELETE FROM store_meta WHERE starts_with(key, ?)", [meta_prefix]
                )  # fmt: skip
                if meta:
                    entries = pl.DataFrame({"key": list(meta), "value": list(meta.values())})
                    _insert(con, "store_meta", entries)
                con.execute("COMMIT")
                validate(con)
                con.execute("CHECKPOINT")
            swap_in(tmp, db)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise


def validate(con: duckdb.DuckDBPyConnection) -> None:
    """Checks a new store must pass before it replaces the old one."""
    if con.execute("SELECT count(*) FROM roll_calls").fetchone()[0] == 0:
        raise BadDataError("the new store would hold no roll calls; store unchanged")
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
def lock(db: Path) -> Iterator[None]:
    """One refresh at a time per store; the second fails at once (TemporaryFailure, exit 75)."""
    held = FileLock(str(db) + ".lock", timeout=0)
    try:
        held.acquire()
    except Timeout as exc:
        raise TemporaryFailure(
            f"another refresh of {db} is running (lock {held.lock_file} is held); try again later"
        ) from exc
    try:
        yield
    finally:
        held.release()


def remove_leftovers(db: Path) -> list[Path]:
    """New-store files of refreshes that died before their rename (call with the lock held)."""
    removed = []
    for path in db.parent.glob(f"{db.name}.new-*"):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed
