"""Build a report: read the store (read-only), compute the parts, render one HTML file.

The file is self-contained: plotly.js is inlined once in the head, every figure is a div and a
script calling it, the vote-matrix table is embedded as JSON for the CSV download (a Blob built
in the page), and nothing refers to the network (no CDN, no web fonts, no MathJax).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import gzip
import json
import logging
import re
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import plotly.io as pio
import plotly.offline
import polars as pl

from alignment import store
from alignment.convergence import CONVERGED_SHARE, ESS_TARGET, RHAT_TARGET
from alignment.reports import data, figures, palette, sentences
from alignment.reports.figures import short_title
from alignment.reports.spec import (
    MAJORITY_PREFIX,
    ReportSpec,
    is_majority,
    majority_bloc,
    majority_key,
    topic_label,
)

log = logging.getLogger("alignment.reports")

# Plotly options that could reach the network are switched off; the mode bar keeps the
# "download as PNG" button, which works offline.
PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "showSendToCloud": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["sendDataToCloud", "select2d", "lasso2d"],
}


@dataclass
class Report:
    spec: ReportSpec
    html: str
    findings: dict[str, Any]
    matrix: pl.DataFrame  # the table of the CSV download
    timings: dict[str, float] = field(default_factory=dict)
    n_figures: int = 0
    ideal: data.IdealPaths | None = None  # the ideal point paths shown, and their source
    facts: dict[str, Any] = field(default_factory=dict)  # the numbers of the summary
    colours: dict[str, str] = field(default_factory=dict)  # key -> colour in every figure
    summary: list[str] = field(default_factory=list)  # the summary's sentences


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


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("alignment.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _figure_html(fig: Any, div_id: str) -> str:
    return pio.to_html(
        fig,
        include_plotlyjs=False,
        include_mathjax=False,
        full_html=False,
        config=PLOTLY_CONFIG,
        div_id=div_id,
        default_height=f"{fig.layout.height or 450}px",
        validate=False,  # a go.Figure is validated as it is built
    )


MAX_ROWS = 50  # a longer table shows its first rows; its CSV download has them all


@dataclass
class Table:
    """A table of the page: ``rows`` of (text, tooltip) cells, shown up to MAX_ROWS; the CSV
    download (``csv_columns``, ``csv_rows``) holds every row, built in the page."""

    id: str
    columns: list[str]
    rows: list[list[tuple[str, str | None]]]
    csv_columns: list[str]
    csv_rows: list[list[Any]]
    csv_name: str

    @property
    def shown(self) -> list[list[tuple[str, str | None]]]:
        return self.rows[:MAX_ROWS]

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


def _cell(value: Any, fmt: str = "") -> tuple[str, str | None]:
    text = "" if value is None else format(value, fmt)
    short = short_title(text)
    return (short, text) if len(short) < len(text) else (text, None)


def _frame_table(
    frame: pl.DataFrame,
    id_: str,
    labels: list[str],
    slug: str,
    formats: dict[str, str] | None = None,
) -> Table:
    """A table of ``frame``'s rows, cells shown with ``formats`` (column -> format spec); the
    CSV keeps the values as they are."""
    csv_frame = frame.with_columns(pl.col(pl.Date).cast(pl.String))
    fmts = [(formats or {}).get(c, "") for c in frame.columns]
    rows = [[_cell(v, f) for v, f in zip(r, fmts, strict=True)] for r in csv_frame.iter_rows()]
    return Table(id_, labels, rows, frame.columns, [list(r) for r in csv_frame.iter_rows()],
                 f"{slug}-{id_}.csv")  # fmt: skip


def _differences_table(found: dict[str, Any], inputs: data.Inputs, slug: str) -> Table | None:
    if not found["differences"]:
        return None
    d = found["differences"][0]
    a, b = (inputs.names.get(k, k) for k in (d["a"], d["b"]))
    frame = pl.DataFrame(
        [
            {
                "date": r["date"],
                "symbol": (r["symbol"] or "")
                + ("" if r["kind"] == "resolution" else f" ({r['kind']})"),
                "title": r["title"],
                d["a"]: data.VOTE_WORDS[r["vote_a"]],
                d["b"]: data.VOTE_WORDS[r["vote_b"]],
            }
            for r in d["roll_calls"]
        ],
        schema={"date": pl.Date, "symbol": pl.String, "title": pl.String, d["a"]: pl.String,
                d["b"]: pl.String},
    )  # fmt: skip
    return _frame_table(frame, "differences", ["Date", "Symbol", "Title", a, b], slug)


def _world_table(world: pl.DataFrame, inputs: data.Inputs, slug: str) -> Table:
    states = world.filter(~pl.col("iso3").str.starts_with(MAJORITY_PREFIX))
    frame = states.select(
        "iso3",
        pl.col("iso3").replace_strict(inputs.names, default=pl.col("iso3")).alias("name"),
        (pl.col("exact") * 100).round(1).alias("percent_alike"),
        pl.col("agree").round(3).alias("agreement_index"),
        pl.col("n").alias("contested_votes"),
    )
    labels = ["ISO3", "State", "% of votes alike", "Agreement index", "Contested votes in common"]
    formats = {"percent_alike": ".1f", "agreement_index": ".3f", "contested_votes": ","}
    return _frame_table(frame, "every-state", labels, slug, formats)


# The coverage table's columns a reader needs, with their headings.
COVERAGE_COLUMNS = {
    "series": "Series",
    "series_kind": "Kind",
    "first_vote": "First vote",
    "last_vote": "Last vote",
    "roll_calls": "Roll calls",
    "resolutions": "Resolutions voted on",
    "without_vote": "Adopted without a vote (if listed)",
    "numbering_gaps": "Resolution numbers missing",
    "last_record": "Last record",
    "complete_through": "Complete through",
}


def _coverage_table(rows: pl.DataFrame, slug: str) -> Table:
    frame = rows.select(list(COVERAGE_COLUMNS))
    formats = {"roll_calls": ",", "resolutions": ",", "without_vote": ","}
    return _frame_table(frame, "series-coverage", list(COVERAGE_COLUMNS.values()), slug, formats)


def _matrix_table(matrix: data.VoteMatrix, names: dict[str, str], slug: str) -> Table:
    """The vote matrix as a table: offered as CSV only (the chart shows it)."""
    labels = [*data.INFO_COLUMNS, *(names.get(c, c) for c in matrix.columns)]
    return _frame_table(matrix.frame, "vote-matrix", labels, slug)


def build(
    con: duckdb.DuckDBPyConnection,
    spec: ReportSpec,
    *,
    bootstrap: int = data.BOOTSTRAP,
    ideal_options: dict[str, Any] | None = None,
) -> Report:
    """Compute every part of the report from an open (read-only) connection and render it.

    The ideal point paths are read from the store's ``ideal_points`` table; ``ideal_options``
    (e.g. ``draws``) go to :func:`alignment.ideal_points.ideal_points` when the spec asks
    for a topic's ideal points (``ideal_topic``) or the store has no such table.
    """
    t: dict[str, float] = {}
    t0 = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        t[name] = now - t0
        t0 = now

    inputs = data.load_inputs(con, spec)
    lap("load")
    dates = inputs.roll_calls["date"]
    ideal = data.ideal_point_paths(
        con,
        (dates.min().year, dates.max().year),
        data.ideal_point_states(inputs, spec),
        topic=spec.ideal_topic,
        options=ideal_options,
    )
    lap("ideal_points")
    majority_blocs = [*spec.majority_blocs, *spec.cohesion_blocs]
    for key in (spec.focus, *spec.partners, *spec.matrix_states):
        if is_majority(key):
            majority_blocs.append(majority_bloc(key))
    votes, maj = data.augmented_votes(inputs, majority_blocs)
    matrix = data.vote_matrix(inputs, spec, votes, maj)
    lap("matrix")
    found = data.findings(inputs, spec, votes)
    lap("findings")
    agree = data.agreement(inputs, spec, votes, bootstrap=bootstrap)
    lap("agreement")
    world = data.world_agreement(inputs, spec, votes)
    lap("world")
    smap = data.state_map(inputs, spec)
    lap("map")
    coh = data.cohesion(inputs, spec)
    lap("cohesion")
    prov = data.provenance(con, spec, inputs)
    covered = data.store_coverage(con, spec, inputs)
    lap("provenance")

    names = inputs.names
    label = topic_label(spec.topic) if spec.topic else None
    facts = data.summary_facts(inputs, spec, world, agree, found, label)
    # A bloc report's members: on its last day (outlined on the world map) and at any time
    # (drawn in the subject's colour on the map of states and the ideal points).
    members, ever = [], []
    if spec.kind == "bloc":
        mine = inputs.on_date.filter(pl.col("bloc") == spec.subject)
        members = mine.filter(pl.col("date") == mine["date"].max())["iso3"].to_list()
        ever = sorted(set(mine["iso3"]))
    # One colour per state for the whole report: the subject, its partners, the states of
    # the vote matrix and of the ideal points, then the blocs whose cohesion is drawn.
    colours = palette.state_colours(
        [
            spec.focus,
            *spec.partners,
            *(k for k in matrix.columns if not is_majority(k)),
            *spec.ideal_states,
            *(s for s in ideal.frame["iso3"].unique(maintain_order=True) if s not in ever),
            *(majority_key(b) for b in spec.cohesion_blocs),
            *(k for k in matrix.columns if is_majority(k)),
        ],
        spec.focus,
    )
    what = f"votes on {label}" if label else "votes"
    drawn = {f["id"] for f in data.world_outline()["features"]}
    not_drawn = [
        names.get(s, s)
        for s in world.filter(pl.col("n") >= data.MIN_VOTES)["iso3"]
        if not is_majority(s) and s not in drawn
    ]
    shown_matrix = dataclasses.replace(matrix, frame=matrix.shown)
    figs = {
        "world": figures.world_map_figure(world, data.world_outline(), spec, names, members, what),
        "agreement": figures.agreement_figure(agree, spec, names, colours, label),
        "ideal_points": figures.ideal_points_figure(ideal.frame, spec, names, colours, ever),
        "map": figures.map_figure(smap, spec, names, colours, matrix.columns, ever),
        "cohesion": figures.cohesion_figure(coh, spec, colours, label),
        "matrix": figures.vote_matrix_figure(shown_matrix, names, colours),
    }
    if not spec.cohesion_blocs:
        del figs["cohesion"]
    divs = {k: _figure_html(f, f"fig-{k}") for k, f in figs.items()}
    lap("figures")

    tables = {
        "world": _world_table(world, inputs, spec.slug),
        "matrix": _matrix_table(matrix, names, spec.slug),
        "coverage": _coverage_table(covered.rows, spec.slug),
    }
    diff = _differences_table(found, inputs, spec.slug)
    if diff is not None:
        tables["differences"] = diff
    context = {
        "spec": spec,
        "title": spec.title,
        "intro": spec.intro,
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "what": what,
        "plotly_js": plotly.offline.get_plotlyjs(),
        "topojson_name": figures.TOPOJSON_NAME,
        "divs": divs,
        "summary": sentences.summary(facts, names),
        "details": sentences.details(found, names, label),
        "coverage": data.coverage(inputs),
        "store_coverage": covered,
        "diff_pair": (names.get(diff.csv_columns[3]), names.get(diff.csv_columns[4]))
        if diff is not None
        else None,
        "matrix": matrix,
        "tables": tables,
        "max_rows": MAX_ROWS,
        "map": smap,
        "not_drawn": not_drawn,
        "outline_credit": data.credits()["world_outline"],
        "min_votes": data.MIN_VOTES,
        "prov": prov,
        "n_agree_boot": bootstrap,
        "change_threshold": data.CHANGE_THRESHOLD,
        "window": (dates.min(), dates.max()),
        "names": names,
        "focus_phrase": sentences.subject_phrase(spec.kind, spec.subject, names),
        "the_subject": data.the_bloc(spec.subject) if spec.kind == "bloc" else names[spec.subject],
        "cohesion_blocs": sentences.and_list([data.the_bloc(b) for b in spec.cohesion_blocs]),
        "matrix_blocs": sentences.and_list([data.the_bloc(b) for b in spec.matrix_blocs]),
        "bloc_short_name": data.bloc_short_name,
        "ideal": ideal,
        "ideal_targets": (RHAT_TARGET, ESS_TARGET, CONVERGED_SHARE),
        "n_ideal_states": ideal.frame["iso3"].n_unique() if ideal.frame.height else 0,
    }
    page = environment().get_template("report.html.j2").render(**context)
    lap("render")
    return Report(
        spec, page, found, matrix.frame, t, len(figs), ideal, facts, colours, context["summary"]
    )


def write(db: Path | str, spec: ReportSpec, output: Path, **options: Any) -> tuple[Path, Report]:
    """Build the report from the store at ``db`` (opened read-only) and write it.

    ``output`` is a file ending in .html, or a directory (the file is ``<slug>.html`` there).
    """
    con = store.connect(db)
    try:
        report = build(con, spec, **options)
    finally:
        con.close()
    path = output if output.suffix.lower() == ".html" else output / f"{spec.slug}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(report.html, encoding="utf-8")
    tmp.replace(path)
    return path, report
