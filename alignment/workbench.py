"""The SQL workbench: run read-only SQL against the store, and the curated queries in ``queries/``.

Modelled on Datasette's canned queries (a title, a description and named parameters for each
query) and on ``sqlite-utils query`` (SQL on the command line, ``-p`` for parameters, output as a
table, CSV or JSON).

Safety comes from the engine: the store is opened inside DuckDB's sandbox
(``alignment.store.SANDBOX``: read-only, no other file, no network, no extensions, settings
locked), so no statement, in whatever form, can write a file or reach out. Before anything runs,
statements that would write (INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, ATTACH, COPY, EXPORT,
LOAD, INSTALL, ...) are refused with a message saying how the data do change (``alignment
refresh``); the sandbox's own refusals get the same kind of message. Parameters are always bound
by DuckDB (``$name`` in the SQL), never pasted into the text.

Query files
-----------
A curated query is a ``.sql`` file in ``queries/``; its name is the file name without ``.sql``.
The file opens with a header: the leading block of ``--`` comment lines, in this form::

    -- title: Resolutions on which a state broke with a partner
    -- description: Roll calls on which both states cast a vote (yes, no or abstain) and the
    --   votes differ. A line indented under a key continues it.
    -- parameters:
    --   country = BLR: ISO3 code of the state
    --   partner = RUS: ISO3 code of the partner
    --   year: a parameter without a default must be given with -p year=...

Keys are ``title``, ``description`` and ``parameters`` (case-insensitive). Under
``parameters:`` each line is ``name = default: description`` or ``name: description`` (no
default). A default is the text up to the first colon; quote it (``"..."``) to give an empty
default or one with a colon. Parameter values are text, as on a command line: the SQL casts them
where it needs another type (``$year::INTEGER``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from alignment import limits, resources
from alignment.errors import (
    EXIT_USAGE,
    AlignmentError,
    BadDataError,
    Interrupted,
    UnknownName,
    first_line,
)
from alignment.schema import MACROS, TABLES, VIEWS

# Statement types refused before they run, for a clear message (the sandbox refuses them anyway;
# PIVOT, which parses as MULTI, and every read form run). INSTALL parses as LOAD.
WRITE_STATEMENTS = frozenset({
    "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "ATTACH", "DETACH", "COPY",
    "COPY_DATABASE", "EXPORT", "LOAD", "VACUUM", "UPDATE_EXTENSIONS",
})  # fmt: skip
SANDBOX_HINT = (
    "the workbench reads the store only: it cannot read or write other files, reach the "
    "network, load extensions or change settings (DuckDB's sandbox). To combine the store with "
    "files of your own, open it from Python, R or the DuckDB shell"
)

REFRESH_HINT = (
    "The store is opened read-only: the data changes only through `alignment refresh`, which "
    "rebuilds it from the vote sources (`alignment refresh --from ../shared/data`). To keep "
    "derived tables of your own, read the store from Python, R or the DuckDB shell and write "
    "them to another file."
)


class WorkbenchError(AlignmentError):
    """A query that cannot run: the message says why."""

    exit_code = 1


class SqlError(WorkbenchError):
    """DuckDB refused the SQL; the message is DuckDB's, with the LINE and caret it points at."""


class ReadOnlyError(WorkbenchError):
    """The SQL would write: the store is read-only."""


class ParameterError(WorkbenchError):
    """Parameters missing, unknown or malformed."""

    exit_code = EXIT_USAGE


# --- query files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    name: str
    default: str | None  # None: the value must be given
    description: str = ""


@dataclass(frozen=True)
class Query:
    name: str
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    sql: str  # the whole text, header included (DuckDB skips comments)
    header: str
    path: Path | None = None

    def defaults(self) -> dict[str, str]:
        return {p.name: p.default for p in self.parameters if p.default is not None}


_KEY = re.compile(r"^(title|description|parameters)\s*:\s*(.*)$", re.IGNORECASE)
_PARAM = re.compile(
    r"""^\$?(?P<name>[A-Za-z_]\w*)\s*
        (?:=\s*(?P<default>"[^"]*"|'[^']*'|[^:]*?))?\s*
        (?::\s*(?P<description>.*))?$""",
    re.VERBOSE,
)


def split_header(text: str) -> tuple[list[str], str]:
    """The leading ``--`` comment lines (without the dashes) and the rest of the text."""
    lines = text.splitlines(keepends=True)
    header: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped.startswith("--"):
            break
        header.append(stripped[2:].rstrip())
    return header, "".join(lines[len(header) :])


def parse_header(text: str, *, source: str = "<sql>") -> tuple[str, str, tuple[Parameter, ...]]:
    """(title, description, parameters) from a query's header; empty when there is none."""
    header, _ = split_header(text)
    fields: dict[str, list[str]] = {"title": [], "description": [], "parameters": []}
    key: str | None = None
    for raw in header:
        body = raw[1:] if raw.startswith(" ") else raw
        match = _KEY.match(body)
        if match and not body.startswith(" "):
            key = match.group(1).lower()
            if match.group(2).strip():
                fields[key].append(match.group(2).strip())
        elif key is not None and body.startswith(" ") and body.strip():
            fields[key].append(body.strip())
        else:
            key = None  # a blank or free comment line ends the field
    params = []
    for line in fields["parameters"]:
        match = _PARAM.match(line)
        if not match:
            raise WorkbenchError(
                f"{source}: cannot read the parameter line {line!r}; "
                "write `name = default: description` or `name: description`"
            )
        default = match.group("default")
        if default is not None:
            default = default.strip()
            if len(default) >= 2 and default[0] == default[-1] and default[0] in "\"'":
                default = default[1:-1]
        params.append(Parameter(match.group("name"), default, match.group("description") or ""))
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise WorkbenchError(f"{source}: a parameter is declared twice in {names}")
    return " ".join(fields["title"]), " ".join(fields["description"]), tuple(params)


def load_query(path: Path) -> Query:
    text = path.read_text(encoding="utf-8")
    title, description, params = parse_header(text, source=str(path))
    header, _ = split_header(text)
    return Query(
        name=path.stem,
        title=title,
        description=description,
        parameters=params,
        sql=text,
        header="\n".join("--" + line for line in header),
        path=path,
    )


def list_queries(directory: Path | None = None) -> list[Query]:
    """Every curated query, by name. None found means a broken install, not an empty list."""
    directory = directory or resources.folder("queries")
    found = [load_query(p) for p in sorted(directory.glob("*.sql"))]
    if not found:
        raise WorkbenchError(
            f"no curated query (*.sql) in {directory}: the installation is incomplete; "
            "reinstall alignment (its wheel carries the queries)"
        )
    return found


def get_query(name: str, directory: Path | None = None) -> Query:
    directory = directory or resources.folder("queries")
    path = directory / f"{name.removesuffix('.sql')}.sql"
    if "/" in name or not path.is_file():
        raise UnknownName("query", name, [q.name for q in list_queries(directory)])
    return load_query(path)


# --- running SQL ---------------------------------------------------------------------------


def read_sql_argument(argument: str) -> str:
    """The SQL text of a command-line argument: ``-`` reads stdin, a ``.sql`` file is read.

    Text that is not UTF-8, or holds NUL characters (a binary file), is refused with the
    offset of the first bad byte (:class:`BadDataError`, exit 65)."""
    if argument == "-":
        return sql_text(sys.stdin.buffer.read(), "standard input")
    if argument.rstrip().lower().endswith(".sql") and "\n" not in argument:
        path = Path(argument)
        if not path.is_file():
            raise WorkbenchError(f"no SQL file at {path}")
        return sql_text(path.read_bytes(), str(path))
    # An argument that is not UTF-8 arrives with its bad bytes as surrogates (PEP 383).
    try:
        data = argument.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = argument.encode("utf-8", "surrogatepass")  # refused as not UTF-8 below
    return sql_text(data, "the SQL argument")


def sql_text(data: bytes, where: str) -> str:
    """``data`` as SQL text, or a one-line refusal naming ``where`` and the first bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadDataError(
            f"{where} is not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start}); "
            "save the SQL as UTF-8"
        ) from None
    if "\x00" in text:
        raise BadDataError(
            f"{where} holds a NUL character at offset {text.index(chr(0))}: a binary file, "
            "not SQL text"
        )
    return text


def _statements(con: duckdb.DuckDBPyConnection, sql: str) -> list:
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise SqlError(str(exc)) from None
    if not statements:
        raise WorkbenchError("no SQL statement given")
    return statements


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> list:
    """Refuse any statement that would write, before anything runs; returns the statements."""
    statements = _statements(con, sql)
    for statement in statements:
        try:
            kind = statement.type.name
        except ValueError:  # a type the Python binding cannot name (UPDATE EXTENSIONS)
            kind = "UPDATE_EXTENSIONS"
        if kind in WRITE_STATEMENTS:
            first = " ".join(statement.query.split())[:60]
            if kind == "VACUUM":  # DuckDB parses ANALYZE as a VACUUM statement
                kind = first.split(" ", 1)[0].upper() or kind
            raise ReadOnlyError(
                f"refused: {kind} statement ({first!r}). Only queries that read run here "
                f"(SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN); nothing was run and "
                f"the store is unchanged. {REFRESH_HINT}"
            )
    return statements


def statement_count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """How many statements the SQL holds (:func:`run_sql` returns the last one's rows)."""
    return len(_statements(con, sql))


def sql_parameters(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """Names of the ``$name`` parameters the SQL uses, in order of first use."""
    names: dict[str, None] = {}
    for statement in _statements(con, sql):
        for name in sorted(statement.named_parameters):
            names.setdefault(name, None)
    return list(names)


def parse_assignments(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``["country=BLR", ...]`` as a mapping; the value is everything after the first ``=``."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip().lstrip("$")
        if not sep or not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise ParameterError(f"parameter {pair!r}: write -p name=value (e.g. -p country=BLR)")
        values[name] = value
    return values


def _describe(params: tuple[Parameter, ...], used: list[str]) -> str:
    declared = {p.name: p for p in params}
    parts = []
    for name in used:
        p = declared.get(name)
        if p is not None and p.default is not None:
            parts.append(f"{name} (default {p.default!r})")
        else:
            parts.append(f"{name} (no default)")
    return ", ".join(parts)


def bind_values(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    given: Mapping[str, str] | None = None,
    parameters: tuple[Parameter, ...] = (),
) -> dict[str, str]:
    """Defaults, then the given values, for exactly the parameters the SQL uses."""
    given = dict(given or {})
    used = sql_parameters(con, sql)
    folded = {n.lower(): n for n in used}
    unknown = sorted(n for n in given if n.lower() not in folded)
    if unknown:
        takes = _describe(parameters, used) if used else "no parameters"
        raise ParameterError(f"unknown parameter(s) {', '.join(unknown)}; this SQL takes {takes}")
    values = {p.name: p.default for p in parameters if p.default is not None}
    values.update({folded[n.lower()]: v for n, v in given.items()})
    values = {n: values[n] for n in used if n in values}
    missing = [n for n in used if n not in values]
    if missing:
        raise ParameterError(
            f"missing value for parameter(s) {', '.join(missing)} (no default); "
            f"give them with -p NAME=VALUE. This SQL takes {_describe(parameters, used)}"
        )
    return values


def run_sql(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Run read-only SQL with named parameters bound by DuckDB; the last statement's rows.

    Parameters declared in a header comment (see the module docstring) give their defaults.
    """
    check_read_only(con, sql)
    _, _, declared = parse_header(sql)
    values = bind_values(con, sql, params, declared)
    try:
        relation = con.sql(sql, params=values or None)
        if relation is None:
            return pl.DataFrame()
        return relation.pl()
    except duckdb.InterruptException as exc:
        raise limits.timed_out(con, exc) or Interrupted("the query was interrupted") from None
    except duckdb.OutOfMemoryException as exc:
        raise WorkbenchError(
            f"the query needs more memory than its limit ({first_line(exc)}); raise it with "
            "--memory-limit, or narrow the query"
        ) from None
    except duckdb.PermissionException as exc:
        raise ReadOnlyError(f"refused: {first_line(exc)}; {SANDBOX_HINT}") from None
    except duckdb.InvalidInputException as exc:
        text = str(exc)
        if "read-only mode" in text or "configuration has been locked" in text:
            raise ReadOnlyError(
                f"refused: {first_line(exc)}. Nothing was changed. {REFRESH_HINT}"
            ) from None
        raise SqlError(text) from None
    except duckdb.Error as exc:
        raise SqlError(str(exc)) from None


def run_query(
    con: duckdb.DuckDBPyConnection,
    query: Query | str,
    params: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Run a curated query by name (or a loaded :class:`Query`): defaults, then ``params``."""
    q = get_query(query) if isinstance(query, str) else query
    try:
        return run_sql(con, q.sql, params)
    except SqlError as exc:
        raise SqlError(f"query {q.name}: {exc}") from None


# --- the schema, from the database itself --------------------------------------------------

# Tables and views with their columns, then macros with their parameters: one row per column or
# parameter, read from DuckDB's catalog (the comments are the store's own COMMENT ONs).
SCHEMA_SQL = """
WITH objects AS (
    SELECT database_name, schema_name, table_name AS name, 'table' AS kind, comment
    FROM duckdb_tables() WHERE NOT internal AND NOT temporary
    UNION ALL
    SELECT database_name, schema_name, view_name, 'view', comment
    FROM duckdb_views() WHERE NOT internal AND NOT temporary
)
SELECT o.name AS "table", o.kind, c.column_name AS "column", c.data_type AS "type",
       c.comment AS comment, o.comment AS table_comment, c.column_index AS position
FROM objects o
JOIN duckdb_columns() c
  ON c.database_name = o.database_name AND c.schema_name = o.schema_name
 AND c.table_name = o.name
WHERE o.database_name = current_database() AND ($name = '' OR o.name = $name)
UNION ALL
SELECT f.function_name, replace(f.function_type, '_', ' '), p.parameter, NULL, NULL,
       f.comment, p.position
FROM duckdb_functions() f,
     unnest(f.parameters) WITH ORDINALITY AS p(parameter, position)
WHERE f.function_type IN ('macro', 'table_macro') AND NOT f.internal
  AND f.database_name = current_database() AND ($name = '' OR f.function_name = $name)
"""
KINDS = ("table", "view", "table macro", "macro")


def schema_rows(con: duckdb.DuckDBPyConnection, name: str | None = None) -> pl.DataFrame:
    """One row per column of every table and view of the store, and per parameter of every
    macro (or of one of them): table, kind (table, view, table macro, macro), column, type,
    comment (a macro parameter's: its default, from ``alignment.schema.MACROS``; DuckDB's
    catalog does not keep defaults), table_comment."""
    frame = con.sql(SCHEMA_SQL, params={"name": name or ""}).pl()
    if name and frame.is_empty():
        raise WorkbenchError(f"no table, view or macro {name!r} in the store; {_names(con)}")
    defaults = {(m.name, p): d for m in MACROS for p, d in m.parameters()}
    frame = frame.with_columns(
        comment=pl.when(pl.col("kind").str.ends_with("macro"))
        .then(
            pl.struct("table", "column").map_elements(
                lambda r: _default_note(defaults.get((r["table"], r["column"]))),
                return_dtype=pl.String,
            )
        )
        .otherwise(pl.col("comment"))
    )
    # The public objects in the order schema.toml declares them (roll_calls, votes first), then
    # any other of the same kind by name.
    declared: list[Any] = [*TABLES, *VIEWS, *MACROS]
    order = {t.name: i for i, t in enumerate(declared)}
    return (
        frame.with_columns(
            _kind=pl.col("kind").replace_strict(
                {k: i for i, k in enumerate(KINDS)}, return_dtype=pl.Int64
            ),
            _order=pl.col("table").replace_strict(order, default=len(order), return_dtype=pl.Int64),
        )
        .sort("_kind", "_order", "table", "position")
        .drop("_kind", "_order", "position")
    )


def _default_note(default: str | None) -> str:
    return "" if default is None else f"optional, default {default}"


def _names(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.sql(SCHEMA_SQL, params={"name": ""}).pl().unique(["table", "kind"])
    parts = []
    for kind in KINDS:
        names = sorted(rows.filter(pl.col("kind") == kind)["table"])
        if names:
            parts.append(f"{kind}s: {', '.join(names)}")
    return "; ".join(parts)


def render_schema(frame: pl.DataFrame, width: int = 100) -> str:
    """Tables, views and macros with their columns or parameters, as indented text for a
    terminal."""
    import textwrap

    out: list[str] = []
    for (name, kind), group in frame.group_by("table", "kind", maintain_order=True):
        comment = group["table_comment"][0] or ""
        if str(kind).endswith("macro"):
            params = [
                c if not note else f"{c} := {note.removeprefix('optional, default ')}"
                for c, note in group.select("column", "comment").iter_rows()
            ]
            out.append(f"{name} ({kind})")
            out += textwrap.wrap(comment, width, initial_indent="  ", subsequent_indent="  ")
            out += textwrap.wrap(
                f"{name}({', '.join(params)})", width, initial_indent="    ",
                subsequent_indent="        ",
            )  # fmt: skip
            out.append("")
            continue
        out.append(str(name) if kind == "table" else f"{name} ({kind})")
        out += textwrap.wrap(comment, width, initial_indent="  ", subsequent_indent="  ")
        name_w = max(len(c) for c in group["column"])
        type_w = max(len(t) for t in group["type"])
        indent = " " * (4 + name_w + 2 + type_w + 2)
        for column, type_, col_comment in group.select("column", "type", "comment").iter_rows():
            lead = f"    {column:<{name_w}}  {type_:<{type_w}}  "
            lines = textwrap.wrap(
                col_comment or "", max(width - len(lead), 30), subsequent_indent=""
            ) or [""]
            out.append((lead + lines[0]).rstrip())
            out += [indent + line for line in lines[1:]]
        out.append("")
    return "\n".join(out)
