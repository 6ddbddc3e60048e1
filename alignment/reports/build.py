"""Build a report: read the store (read-only), compute the parts, render one HTML file.

The file is self-contained: plotly.js is inlined once in the head, every figure is a div and a
script calling it, the vote-matrix table is embedded as JSON for the CSV download (a Blob built
in the page), and nothing refers to the network (no CDN, no web fonts, no MathJax).
"""

from __future__ import annotations

import datetime as dt
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
from alignment.reports import data, figures
from alignment.reports.figures import short_title
from alignment.reports.sentences import sentences
from alignment.reports.spec import ReportSpec, is_majority

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
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("alignment.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["short_title"] = short_title
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
    sessions = (int(inputs.roll_calls["session"].min()), int(inputs.roll_calls["session"].max()))
    ideal = data.ideal_point_paths(
        con,
        sessions,
        data.ideal_point_states(inputs, spec),
        topic=spec.ideal_topic,
        options=ideal_options,
    )
    lap("ideal_points")
    majority_blocs = [*spec.majority_blocs]
    for key in (spec.focus, *spec.partners, *spec.matrix_states):
        if is_majority(key):
            majority_blocs.append(key.split(":", 1)[1])
    votes, maj = data.augmented_votes(inputs, majority_blocs)
    matrix = data.vote_matrix(inputs, spec, votes, maj)
    lap("matrix")
    found = data.findings(inputs, spec, votes)
    lap("findings")
    agree = data.agreement(inputs, spec, votes, bootstrap=bootstrap)
    lap("agreement")
    smap = data.state_map(inputs, spec)
    lap("map")
    coh = data.cohesion(inputs, spec)
    lap("cohesion")
    prov = data.provenance(con, spec, inputs)
    lap("provenance")

    names = inputs.names
    topic_label = spec.topic.replace("_", " ").title() if spec.topic else "all"
    topic_label_lower = f"{spec.topic.replace('_', ' ').title()}" if spec.topic else "recorded"
    highlight = [k for k in matrix.columns if not is_majority(k)]
    figs = {
        "matrix": figures.vote_matrix_figure(matrix, names, spec),
        "agreement": figures.agreement_figure(agree, spec, names, topic_label),
        "ideal_points": figures.ideal_points_figure(ideal.frame, spec, names),
        "map": figures.map_figure(smap, spec, names, highlight),
        "cohesion": figures.cohesion_figure(coh, spec, topic_label),
    }
    divs = {k: _figure_html(f, f"fig-{k}") for k, f in figs.items()}
    lap("figures")

    csv_table = matrix.frame.with_columns(pl.col("date").cast(pl.String))
    headers = [*data.INFO_COLUMNS, *matrix.columns]
    table_json = script_json(
        {
            "columns": [csv_cell(c) for c in headers],
            "labels": [names.get(c, c) if c in matrix.columns else c for c in headers],
            "rows": [[csv_cell(v) for v in r] for r in csv_table.iter_rows()],
        }
    )
    diff_rows = [r for d in found["differences"] for r in d["roll_calls"]]
    context = {
        "spec": spec,
        "title": spec.title,
        "intro": spec.intro,
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "topic_label": topic_label,
        "plotly_js": plotly.offline.get_plotlyjs(),
        "divs": divs,
        "sentences": sentences(found, names, topic_label_lower),
        "findings": found,
        "diff_rows": diff_rows,
        "diff_pair": (
            names.get(found["differences"][0]["a"]),
            names.get(found["differences"][0]["b"]),
        )
        if found["differences"]
        else None,
        "vote_words": data.VOTE_WORDS,
        "matrix": matrix,
        "matrix_keys": [(k, names.get(k, k)) for k in matrix.columns],
        "table_json": table_json,
        "csv_name": f"{spec.slug}-vote-matrix.csv",
        "map": smap,
        "prov": prov,
        "n_agree_boot": bootstrap,
        "change_threshold": data.CHANGE_THRESHOLD,
        "window": (inputs.roll_calls["date"].min(), inputs.roll_calls["date"].max()),
        "names": names,
        "metric_labels": data.METRIC_LABELS,
        "bloc_short_name": data.bloc_short_name,
        "ideal": ideal,
        "n_ideal_states": ideal.frame["iso3"].n_unique() if ideal.frame.height else 0,
    }
    page = _environment().get_template("report.html.j2").render(**context)
    lap("render")
    return Report(spec, page, found, matrix.frame, t, len(figs), ideal)


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
