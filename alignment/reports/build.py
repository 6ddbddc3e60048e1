"""Build a report: read the store (read-only), build each section, render one HTML file.

The file is self-contained: plotly.js is inlined once in the head (or, for a gallery, one
``plotly.min.js`` beside its reports is loaded by every one of them), every chart is a div and a
script calling it, each table's rows are embedded as JSON for its CSV download (a Blob built in
the page), and nothing refers to the network (no CDN, no web fonts, no MathJax). The layout is
``templates/report.html.j2``; each section has its template in ``templates/sections/``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

import duckdb
import jinja2
import plotly.offline
import polars as pl

from alignment import store
from alignment.reports import citation, findings, palette, sentences
from alignment.reports import inputs as inputs_module
from alignment.reports.context import Context
from alignment.reports.sections import (
    agreement,
    cohesion,
    coverage,
    details,
    ideal,
    sources,
    state_map,
    summary,
    votes,
    world,
)
from alignment.reports.spec import ReportSpec, is_majority, majority_bloc, majority_key, topic_label
from alignment.reports.tables import MAX_ROWS, Table

log = logging.getLogger("alignment.reports")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("alignment.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["linkify"] = citation.linkify
    return env


@dataclass(frozen=True)
class Sections:
    """Every section of a report, in the order of the page (cohesion is None when the report
    draws no bloc's cohesion)."""

    summary: summary.Summary
    coverage: coverage.Coverage
    world: world.World
    agreement: agreement.Agreement
    ideal: ideal.Ideal
    state_map: state_map.StateMapSection
    cohesion: cohesion.Cohesion | None
    votes: votes.Votes
    details: details.Details
    sources: sources.Sources

    @property
    def charts(self) -> list[str]:
        """The charts' HTML, in the order of the page."""
        shown: list[Any] = [
            self.world,
            self.agreement,
            self.ideal,
            self.state_map,
            self.cohesion,
            self.votes,
        ]
        return [s.html for s in shown if s is not None]

    @property
    def tables(self) -> list[Table]:
        """Every table whose rows the page embeds for its CSV download."""
        found = [self.world.table, self.votes.table, self.coverage.table, self.details.table]
        return [t for t in found if t is not None]


@dataclass
class Report:
    spec: ReportSpec
    html: str
    sections: Sections
    colours: dict[str, str]  # key -> colour in every chart
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def matrix(self) -> pl.DataFrame:
        """The vote matrix: every roll call of the report by the states shown."""
        return self.sections.votes.matrix.frame

    @property
    def n_figures(self) -> int:
        return len(self.sections.charts)

    @property
    def summary(self) -> list[str]:
        """The summary's sentences, as plain text."""
        return self.sections.summary.text


def _colours(ctx: Context, matrix: votes.VoteMatrix, paths: ideal.IdealPaths) -> dict[str, str]:
    """One colour per state for the whole report: the subject, its partners, the states of the
    vote matrix and of the ideal points, then the blocs whose cohesion is drawn."""
    spec = ctx.spec
    return palette.state_colours(
        [
            spec.focus,
            *spec.partners,
            *(k for k in matrix.columns if not is_majority(k)),
            *spec.ideal_states,
            *(s for s in paths.frame["iso3"].unique(maintain_order=True) if s not in ctx.ever),
            *(majority_key(b) for b in spec.cohesion_blocs),
            *(k for k in matrix.columns if is_majority(k)),
        ],
        spec.focus,
    )


def build_report(
    con: duckdb.DuckDBPyConnection,
    spec: ReportSpec,
    *,
    bootstrap: int = agreement.BOOTSTRAP,
    ideal_options: dict[str, Any] | None = None,
    plotly_src: str | None = None,
) -> Report:
    """Build every section of the report from an open (read-only) connection and render it.

    The ideal point paths are read from the store's ``ideal_points`` table; ``ideal_options``
    (e.g. ``draws``) go to :func:`alignment.ideal_points.ideal_points` only when the spec asks
    for a topic's ideal points (``ideal_topic``). ``plotly_src``: the address of a plotly.js
    file beside the report (a gallery's ``plotly.min.js``) instead of plotly.js inlined.
    """
    t: dict[str, float] = {}
    t0 = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        t[name] = now - t0
        t0 = now

    inputs = inputs_module.load_inputs(con, spec)
    majority_blocs = [*spec.majority_blocs, *spec.cohesion_blocs]
    for key in (spec.focus, *spec.partners, *spec.matrix_states):
        if is_majority(key):
            majority_blocs.append(majority_bloc(key))
    all_votes, majorities = inputs_module.augmented_votes(inputs, majority_blocs)
    # A bloc report's members: on its last day (outlined on the world map) and at any time
    # (drawn in the subject's colour on the map of states and the ideal points).
    members: list[str] = []
    ever: list[str] = []
    if spec.kind == "bloc":
        mine = inputs.on_date.filter(pl.col("bloc") == spec.subject)
        members = mine.filter(pl.col("date") == mine["date"].max())["iso3"].to_list()
        ever = sorted(set(mine["iso3"]))
    label = topic_label(spec.topic) if spec.topic else None
    ctx = Context(spec, inputs, all_votes, majorities, label,
                  sentences.phrases(spec, inputs.names, label), bootstrap, members, ever)  # fmt: skip
    lap("load")
    dates = inputs.roll_calls["date"]
    first, last = cast(dt.date, dates.min()), cast(dt.date, dates.max())
    paths = ideal.paths(con, (first.year, last.year), ideal.states(inputs, spec),
                        topic=spec.ideal_topic, options=ideal_options)  # fmt: skip
    lap("ideal_points")
    matrix = votes.compute(ctx)
    lap("matrix")
    colours = _colours(ctx, matrix, paths)
    where = agreement.periods(ctx)
    agree = agreement.compute(ctx, where)
    lap("agreement")
    every = world.compute(ctx)
    lap("world")
    smap = state_map.compute(ctx)
    lap("map")
    covered = coverage.build(con, ctx)
    said = summary.build(ctx, every, covered.rows)
    found = details.build(ctx)
    lap("findings")
    drawn_cohesion = cohesion.build(ctx, colours, where)
    lap("cohesion")
    credited = sources.build(con, ctx)
    lap("provenance")
    sections = Sections(
        summary=said,
        coverage=covered,
        world=world.build(ctx, every),
        agreement=agreement.build(ctx, agree, colours, where),
        ideal=ideal.build(ctx, paths, colours),
        state_map=state_map.build(ctx, smap, colours, matrix.columns),
        cohesion=drawn_cohesion,
        votes=votes.build(ctx, matrix, colours),
        details=found,
        sources=credited,
    )
    lap("figures")
    page = (
        environment()
        .get_template("report.html.j2")
        .render(
            spec=spec,
            s=sections,
            w=ctx.phrases,
            names=inputs.names,
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            window=(dates.min(), dates.max()),
            plotly_js="" if plotly_src else plotly.offline.get_plotlyjs(),
            plotly_src=plotly_src,
            no_data_id=palette.NO_DATA_ID,
            no_data_fill=palette.NO_DATA,
            no_data_hatch=palette.NO_DATA_HATCH,
            topojson_name=world.TOPOJSON_NAME,
            max_rows=MAX_ROWS,
            min_votes=findings.MIN_VOTES,
        )
    )
    lap("render")
    return Report(spec, page, sections, colours, t)


def write_report(
    db: Path | str, spec: ReportSpec, output: Path, **options: Any
) -> tuple[Path, Report]:
    """Build the report from the store at ``db`` (opened read-only) and write it.

    ``output`` is a file ending in .html, or a directory (the file is ``<slug>.html`` there).
    """
    con = store.connect(db)
    try:
        report = build_report(con, spec, **options)
    finally:
        con.close()
    path = output if output.suffix.lower() == ".html" else output / f"{spec.slug}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(report.html, encoding="utf-8")
    tmp.replace(path)
    return path, report
