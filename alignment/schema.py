"""The public schema of the store: tables, views, macros and the comments that document them.

SQL users and their scripts depend on these names. Each is declared once, as data, in
``schema.toml`` beside this module; the store creates every table and view with ``COMMENT ON``
for it and every column, so ``alignment schema`` and ``duckdb_columns()`` document the store
without our code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from alignment import formulas
from alignment.vocabulary import CELL_COLUMNS, METRICS

# 3: the changes table, the view source_differences, the macros active_on and topic_roll_calls.
SCHEMA_VERSION = 3


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    comment: str
    constraint: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    comment: str
    columns: tuple[Column, ...]
    # Unique key, checked by the build. Not declared as a PRIMARY KEY: DuckDB 1.0 cannot read
    # a v1.0.0-format file whose tables carry one, and an index would only slow the build.
    primary_key: tuple[str, ...] = ()

    def ddl(self) -> str:
        # Quoted: the public contract names a column "left", a reserved word in SQL.
        cols = [f'"{c.name}" {c.type} {c.constraint}'.rstrip() for c in self.columns]
        return f"CREATE TABLE {self.name} (\n  " + ",\n  ".join(cols) + "\n)"

    def comments(self) -> list[str]:
        def quote(text: str) -> str:
            return "'" + text.replace("'", "''") + "'"

        out = [f"COMMENT ON TABLE {self.name} IS {quote(self.comment)}"]
        out += [
            f'COMMENT ON COLUMN {self.name}."{c.name}" IS {quote(c.comment)}' for c in self.columns
        ]
        return out


def _agreement_columns(first: str, second: str) -> tuple[Column, ...]:
    """Pair, period, n and the pair's table of votes: agreement_counts and its views."""
    cells = tuple(
        Column(
            name,
            "INTEGER",
            f"Roll calls on which iso3_a voted {name.split('_')[0]} and iso3_b voted "
            f"{name.split('_')[1]} (one cell of the pair's table of votes).",
        )
        for name in CELL_COLUMNS
    )
    return (
        Column("iso3_a", "VARCHAR", first),
        Column("iso3_b", "VARCHAR", second),
        Column(
            "period_type",
            "VARCHAR",
            "session (regular session of the General Assembly) or year (calendar year of the "
            "vote).",
            "CHECK (period_type IN ('session', 'year'))",
        ),
        Column("period", "INTEGER", "The session number or the year."),
        Column(
            "n",
            "INTEGER",
            "Roll calls counted: both states voted yes, no or abstain (absence and "
            "non-membership are missing data, not disagreement); unanimous ones left out.",
        ),
        *cells,
    )


# The metric columns of the views agreement_scores and agreement_pairs: their SQL and their
# words come from the one table of formulas.
METRIC_COMMENTS = {m: formulas.comment(m) for m in METRICS}
_METRIC_COLUMNS = tuple(Column(m, "DOUBLE", METRIC_COMMENTS[m]) for m in METRICS)


@dataclass(frozen=True)
class Macro:
    """A macro stored in the file, so the DuckDB shell and R have it too: a table macro (used
    in FROM) or, with ``table=False``, a scalar one."""

    name: str
    signature: str  # name and parameters, as in CREATE MACRO
    comment: str
    table: bool = True

    def parameters(self) -> list[tuple[str, str | None]]:
        """(name, default) of each parameter of the signature; None: no default."""
        inside = self.signature[self.signature.index("(") + 1 : self.signature.rindex(")")]
        out: list[tuple[str, str | None]] = []
        for part in inside.split(","):
            name, _, default = part.partition(":=")
            out.append((name.strip(), default.strip() or None))
        return out


def _declared(entry: dict[str, Any]) -> Table:
    """A table or view of ``schema.toml``: its own columns, after the pair, period and counts
    of agreement_counts where it names a ``pair`` (without the cells of the table of votes
    where ``cells`` is false), and before the metrics where ``metrics`` is true."""
    columns: list[Column] = []
    if "pair" in entry:
        pair = _agreement_columns(*entry["pair"])
        columns += pair if entry.get("cells", True) else pair[: -len(CELL_COLUMNS)]
    columns += [Column(**c) for c in entry.get("columns", ())]
    if entry.get("metrics", False):
        columns += _METRIC_COLUMNS
    comment = entry["comment"].replace("{metrics}", ", ".join(METRICS))
    return Table(entry["name"], comment, tuple(columns), tuple(entry.get("primary_key", ())))


_DECLARED = tomllib.loads(files("alignment").joinpath("schema.toml").read_text(encoding="utf-8"))
TABLES: tuple[Table, ...] = tuple(_declared(t) for t in _DECLARED["tables"])
# Views the build creates over the tables (their SQL: alignment.derived).
VIEWS: tuple[Table, ...] = tuple(_declared(v) for v in _DECLARED["views"])
MACROS: tuple[Macro, ...] = tuple(Macro(**m) for m in _DECLARED["macros"])

BY_NAME = {t.name: t for t in TABLES}
