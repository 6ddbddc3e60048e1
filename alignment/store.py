"""The DuckDB store file: written whole as a new file, validated, then swapped in with one rename.

Readers that hold the old file open keep a consistent view (the rename does not touch the old
inode); a refresh killed at any moment leaves the previous file in place. This module knows the
schema and the file, nothing of formats, sources or analyses: it is given every table as a frame
and the statements that create the views and macros.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import duckdb
import polars as pl
from filelock import FileLock, Timeout

from alignment.errors import (
    AlignmentError,
    BadDataError,
    StoreMissingError,
    StoreOutdated,
    StoreUnreadable,
    TemporaryFailure,
    UsageError,
    first_line,
)
from alignment.faults import fault_point
from alignment.schema import BY_NAME, MACROS, SCHEMA_VERSION, TABLES, VIEWS

LOG = logging.getLogger("alignment.store")

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


# The name the store is attached under: queries see its tables unqualified (``USE``).
CATALOG = "store"
# The first bytes of every DuckDB file: a checksum, then this magic at byte 8.
DUCKDB_MAGIC = b"DUCK"


def sql_string(path: Path) -> str:
    """A path as an SQL string literal, quotes doubled: for ATTACH, which takes no bound
    parameter before DuckDB 2.0. The one place a path enters SQL text."""
    return "'" + str(path).replace("'", "''") + "'"


def is_duckdb_file(path: Path) -> bool:
    """Whether the file is a DuckDB database (its magic bytes), whatever its name."""
    try:
        with path.open("rb") as handle:
            return handle.read(12)[8:12] == DUCKDB_MAGIC
    except OSError:
        return False


def connect(
    db: Path | str | None = None,
    *,
    timeout: float | None = None,
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """The store (``$ALIGNMENT_DB`` or the default when ``db`` is None), opened read-only inside
    DuckDB's sandbox (:data:`SANDBOX`): analysis never writes, and nothing a query says can
    write a file, read one outside the store or reach the network.

    ``timeout`` (seconds; None: none) and ``memory_limit`` ("4GB"; None: half the RAM) are the
    engine's limits on every query (``alignment.limits``); spill files go to a temporary folder
    removed at close. The store is attached to a private in-memory database, so a connection of
    your own to the same file (``duckdb.connect(path, read_only=True)``) works beside it.

    Raises :class:`StoreMissingError`, :class:`StoreUnreadable` (not a store, or damaged) or
    :class:`StoreOutdated` (built by another version: run ``alignment refresh``).
    """
    from alignment import limits
    from alignment.location import locate

    path = locate(db).path
    if not path.exists():
        raise StoreMissingError(
            f"no store at {path}: build one with `alignment refresh --from ../shared/data` "
            "(or set ALIGNMENT_DB / --db to an existing store)"
        )
    try:
        con = duckdb.connect(config=limits.config(memory_limit))
    except duckdb.Error as exc:  # the only value the user gives here is the memory limit
        raise UsageError(
            f"memory limit {memory_limit!r} is not a size DuckDB reads ({first_line(exc)}); "
            "write e.g. 2GB or 500MB"
        ) from None
    try:
        con.execute(f"ATTACH {sql_string(path)} AS {CATALOG} (READ_ONLY)")
        con.execute(f"USE {CATALOG}")
        check_schema(con, path)
        # No DuckDB progress bar: it would print into the output of scripts and commands.
        con.execute("SET enable_progress_bar = false")
        if not limits.set_timeout(con, timeout):
            LOG.warning(
                "DuckDB %s has no max_execution_time (2.0 has): the %g s time limit holds only "
                "for queries run through alignment.limits.interruptible", duckdb.__version__,
                timeout,
            )  # fmt: skip
        for name, value in SANDBOX.items():  # lock_configuration last: it freezes the rest
            con.execute(f"SET {name} = {'true' if value else 'false'}")
    except duckdb.Error as exc:
        con.close()
        if "file handle conflict" in str(exc):
            raise UsageError(
                f"{path} is already open in this process through another DuckDB connection, "
                f"and DuckDB {duckdb.__version__} opens a file once per process (2.0 lifts "
                "this): close that connection first, or use this one for both, or upgrade "
                "duckdb to 2.0"
            ) from None
        raise StoreUnreadable(
            f"{path} cannot be opened as an alignment store ({first_line(exc)}); rebuild it "
            "with `alignment refresh` (add --force to replace a file that is not a store)"
        ) from None
    except BaseException:
        con.close()
        raise
    return con


def schema_fingerprint() -> str:
    """A digest of the public schema this version writes (every table's columns and types,
    every view's columns, every macro's signature), kept in ``store_meta``: a store whose
    fingerprint differs was built by another version, even one that forgot to raise
    ``SCHEMA_VERSION``."""
    parts = [table.ddl() for table in TABLES]
    parts += [f"VIEW {v.name} ({', '.join(c.name for c in v.columns)})" for v in VIEWS]
    parts += [f"MACRO {m.signature}" for m in MACROS]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def schema_problem(meta: Mapping[str, str]) -> str | None:
    """Why a store with these ``store_meta`` rows cannot be read by this version (None: it
    can), as the end of a one-line message."""
    version = meta.get("schema_version")
    if version is not None and version.isdigit() and int(version) > SCHEMA_VERSION:
        return (
            f"was built by a newer alignment (schema {version}; this one reads "
            f"{SCHEMA_VERSION}): upgrade alignment, or rebuild the store with `alignment refresh`"
        )
    if version != str(SCHEMA_VERSION) or meta.get("schema_fingerprint") != schema_fingerprint():
        return (
            f"was built by an older alignment (schema {version or 'unknown'}, tables of another "
            "layout): run `alignment refresh` to rebuild it"
        )
    return None


def check_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a store whose schema is not the one this version reads."""
    ((found,),) = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND table_name = 'store_meta'"
    ).fetchall()
    if not found:
        raise StoreUnreadable(
            f"{path} is a DuckDB file but not an alignment store (no store_meta table); build "
            "one with `alignment refresh --db` another path"
        )
    meta = dict(con.execute("SELECT key, value FROM store_meta").fetchall())
    problem = schema_problem(meta)
    if problem is not None:
        raise StoreOutdated(f"{path} {problem}")


# Files beside a store that belong to it: DuckDB's write-ahead log, the refresh's lock, the
# record of the last attempt, a new store being written.
SIDECARS = (".wal", ".lock", ".last-refresh.json")


def refuse_overwrite(output: Path, db: Path) -> None:
    """Refuse to write ``output`` when it is the store, a file of the store's (:data:`SIDECARS`,
    a new store being built) or any DuckDB database: ``-o`` must never destroy data."""
    target = Path(os.path.realpath(output))
    store_path = Path(os.path.realpath(db))
    own = {store_path, *(store_path.with_name(store_path.name + s) for s in SIDECARS)}
    if target in own or target.name.startswith(store_path.name + ".new-"):
        raise UsageError(
            f"--output {output} is the store or one of its files; refusing to overwrite it. "
            "Write to another file"
        )
    if is_duckdb_file(target):
        raise UsageError(
            f"--output {output} is a DuckDB database; refusing to overwrite it. Write to "
            "another file"
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


def not_a_store(db: Path) -> str | None:
    """Why the existing file ``db`` is not an alignment store a refresh may replace, as the
    one-line refusal (None when it is one)."""
    if db.is_dir():
        return f"{db} is a folder; name the store file itself with --db or ALIGNMENT_DB"
    if not is_duckdb_file(db):
        return (
            f"{db} exists and is not an alignment store (not a DuckDB file); refusing to replace "
            "it. Give another --db, or add --force to replace it"
        )
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            ((found,),) = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                "AND table_name = 'store_meta'"
            ).fetchall()
            if found:
                ((found,),) = con.execute(
                    "SELECT count(*) FROM store_meta WHERE key = 'schema_version'"
                ).fetchall()
    except duckdb.Error as exc:
        return (
            f"{db} is a DuckDB file that cannot be read as an alignment store "
            f"({first_line(exc)}); if it is a damaged store, rebuild it: run this refresh again "
            "with --force"
        )
    if not found:
        return (
            f"{db} is a DuckDB database but not an alignment store; refusing to replace it. "
            "Give another --db, or add --force to replace it"
        )
    return None


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
        con.execute(f"ATTACH {sql_string(tmp)} AS store (STORAGE_VERSION '{STORAGE_VERSION}')")
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


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The one number a ``SELECT count(*) ...`` returns."""
    row = con.execute(sql).fetchone()
    assert row is not None  # an aggregate always returns its row
    return int(row[0])


def validate(con: duckdb.DuckDBPyConnection) -> None:
    """Checks a new store must pass before it replaces the old one."""
    if _count(con, "SELECT count(*) FROM roll_calls") == 0:
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
        count = _count(con, sql)
        if count:
            raise BadDataError(f"the new store failed validation: {count} {what}; store unchanged")
    for table in TABLES:
        if table.primary_key:
            key = ", ".join(f'"{c}"' for c in table.primary_key)
            repeated = _count(con, f"SELECT count(*) - count(DISTINCT ({key})) FROM {table.name}")
            if repeated:
                raise BadDataError(
                    f"the new store failed validation: {repeated} repeated keys ({key}) in "
                    f"{table.name}; store unchanged"
                )


def check(con: duckdb.DuckDBPyConnection) -> str:
    """Read every row of every table, so that DuckDB verifies the checksum of each block it
    stores (its integrity check: a damaged block fails the read), bind every view and macro,
    then run the checks a new store must pass (:func:`validate`). Returns what was checked;
    raises :class:`StoreUnreadable` on damage."""
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "ORDER BY table_name"
    ).fetchall()]  # fmt: skip
    views = [r[0] for r in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() "
        "AND NOT internal ORDER BY view_name"
    ).fetchall()]  # fmt: skip
    rows = 0
    try:
        for name in tables:
            # hash() of the whole row reads every column's data, not only its statistics.
            ((count, _),) = con.execute(
                f'SELECT count(*), bit_xor(hash(t)) FROM "{name}" AS t'
            ).fetchall()
            rows += count
        for name in views:
            con.execute(f'SELECT * FROM "{name}" LIMIT 0').fetchall()
        validate(con)
    except (duckdb.Error, BadDataError) as exc:
        raise StoreUnreadable(
            f"the store is damaged ({first_line(exc)}); rebuild it with `alignment refresh --force`"
        ) from None
    return (
        f"{len(tables)} tables ({rows:,} rows) read with every block's checksum verified, "
        f"{len(views)} views bound, the build's validation passed"
    )


def swap_in(tmp: Path, db: Path) -> None:
    """Replace the store in one rename, then make the rename durable."""
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    fault_point("before-swap")  # crash tests only (alignment.faults)
    try:
        os.replace(tmp, db)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise AlignmentError(
            f"cannot replace the store {db}: {exc.strerror}; the new store was discarded and "
            "the old one is unchanged. Make the store's file and folder writable, or choose "
            "another --db"
        ) from None
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
