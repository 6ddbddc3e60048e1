"""A gallery: a set of reports written into one folder with an ``index.html`` linking them,
so that a team can publish the folder as it is (every file opens offline). The reports share
one ``plotly.min.js`` beside them (PLOTLY_FILE) instead of carrying 4.8 MB of it each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import duckdb
import plotly.offline

from alignment.reports.build import Report, environment, write_report
from alignment.reports.resolve import resolve
from alignment.reports.spec import ReportSpec, flagship

PLOTLY_FILE = "plotly.min.js"

# (kind, key, options): the flagship comes first, then these.
CHOICES: tuple[tuple[str, str, dict], ...] = (
    ("country", "USA", {}),
    ("country", "KAZ", {"topic": "syria", "start_year": 2015}),
    ("bloc", "eu", {}),
    ("bloc", "csto", {"topic": "ukraine"}),
)


def specs(con: duckdb.DuckDBPyConnection) -> list[ReportSpec]:
    """The flagship and the states and blocs of ``CHOICES``."""
    return [flagship(), *(resolve(con, kind, key, **options) for kind, key, options in CHOICES)]


def write_gallery(
    db: Path | str,
    specs: list[ReportSpec],
    output: Path,
    *,
    progress: Callable[[str], None] | None = None,
    **options: object,
) -> tuple[Path, list[tuple[Path, Report]]]:
    """Write each report into ``output`` and an ``index.html`` linking them; returns the
    index's path and each report's (path, report); the reports load ``plotly.min.js``, written
    beside them. ``options`` go to
    :func:`alignment.reports.build.build_report`."""
    entries = []
    written = []
    output.mkdir(parents=True, exist_ok=True)
    shared = output / PLOTLY_FILE
    tmp = shared.with_name(PLOTLY_FILE + ".tmp")
    tmp.write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")
    tmp.replace(shared)
    for spec in specs:
        path, report = write_report(db, spec, output, plotly_src=PLOTLY_FILE, **options)
        written.append((path, report))
        entries.append(
            {
                "file": path.name,
                "title": spec.title,
                "kind": spec.kind,
                "topic": spec.topic,
                "summary": report.summary[:2],
                "size": path.stat().st_size,
            }
        )
        if progress is not None:
            progress(f"{path}: {path.stat().st_size / 1e6:.1f} MB")
    page = (
        environment()
        .get_template("index.html.j2")
        .render(entries=entries, generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))
    )
    index = output / "index.html"
    tmp = index.with_name("index.html.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(index)
    return index, written
