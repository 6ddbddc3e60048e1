"""The tables of a page: cells with their full text as a tooltip, the first ``MAX_ROWS`` rows
shown until the reader asks for all, sortable by any column and searchable (the page's own few
lines of script, no library), and every row in a CSV download built in the page from data
embedded in it, under the same plain headings. Tables over time list the newest first."""

from __future__ import annotations

import base64
import gzip
import json
import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from alignment.reports.citation import short_title

MAX_ROWS = 50  # a longer table shows its first rows; its CSV download has them all
# Rows a table carries into the page for sorting and searching; a longer one's CSV has the rest.
MAX_RENDERED = 1_000


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no '</', '<!--' or '>' can appear in it."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def csv_cell(value: Any) -> Any:
    """A cell of the CSV download, safe to open in a spreadsheet.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be read as
    a formula (CSV / formula injection, OWASP): it gets a leading ``'``. Numbers, and text
    that is a number (``-3``, ``-0.5``), are left alone."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value


# A cell: its text, its full text as a tooltip when the text is cut, and the key it sorts by
# when that is not its text (a number).
Cell = tuple[str, str | None, str | None]


@dataclass
class Table:
    """A table of the page: ``rows`` of cells, the first MAX_RENDERED carried into the page
    (MAX_ROWS of them shown at first); the CSV download (``csv_columns``, ``csv_rows``) holds
    every row, built in the page."""

    id: str
    columns: list[str]
    rows: list[list[Cell]]
    csv_columns: list[str]
    csv_rows: list[list[Any]]
    csv_name: str

    @property
    def shown(self) -> list[list[Cell]]:
        """The rows shown before the reader asks for more."""
        return self.rows[:MAX_ROWS]

    @property
    def rendered(self) -> list[list[Cell]]:
        """The rows in the page (sorting and searching reach these)."""
        return self.rows[:MAX_RENDERED]

    def data(self) -> dict[str, Any]:
        """The CSV's header and rows, every cell made safe for a spreadsheet."""
        return {
            "columns": [csv_cell(c) for c in self.csv_columns],
            "rows": [[csv_cell(v) for v in r] for r in self.csv_rows],
        }

    def json(self) -> str:
        """:meth:`data` as gzip-compressed JSON in base64, inside a JSON string safe in a
        <script> element: a long table's titles repeat, and compressed they take a tenth of
        the page's size. The page inflates it with the browser's DecompressionStream."""
        raw = json.dumps(self.data(), default=str, ensure_ascii=False).encode()
        packed = base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode()
        return script_json({"encoding": "gzip+base64", "data": packed})


def _cell(value: Any, fmt: str = "") -> Cell:
    text = "" if value is None else format(value, fmt)
    key = repr(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    short = short_title(text)
    return (short, text, key) if len(short) < len(text) else (text, None, key)


def frame_table(
    frame: pl.DataFrame,
    id_: str,
    labels: list[str],
    slug: str,
    formats: dict[str, str] | None = None,
) -> Table:
    """A table of ``frame``'s rows under the headings ``labels`` (the page's and the CSV's),
    cells shown with ``formats`` (column -> format spec); the CSV keeps the values as they
    are."""
    csv_frame = frame.with_columns(pl.col(pl.Date).cast(pl.String))
    fmts = [(formats or {}).get(c, "") for c in frame.columns]
    rows = [[_cell(v, f) for v, f in zip(r, fmts, strict=True)] for r in csv_frame.iter_rows()]
    return Table(id_, labels, rows, list(labels), [list(r) for r in csv_frame.iter_rows()],
                 f"{slug}-{id_}.csv")  # fmt: skip
