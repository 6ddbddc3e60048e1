"""What the data cover: what the report's roll calls are, what the store holds of the series
the window touches (the ``coverage`` table; with a topic, the series that hold any roll call of
it), what it lacks there, and where its sources differ on the votes shown."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from alignment import analyses
from alignment.reports import sentences
from alignment.reports.context import Context
from alignment.reports.tables import Table, frame_table

# The coverage table's columns a reader needs, with their headings.
COLUMNS = {
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


@dataclass(frozen=True)
class Coverage:
    sentences: list[str]  # what the report's roll calls are
    rows: pl.DataFrame  # coverage rows of the store (all sources reconciled)
    notes: list[str]  # analyses.coverage_notes: series that stop early, numbering gaps
    stops: list[str]  # the notes on series that stop early (beside the charts over time)
    differences: str | None  # analyses.differences_sentence over the report's roll calls
    table: Table


def build(con: duckdb.DuckDBPyConnection, ctx: Context) -> Coverage:
    spec, inputs = ctx.spec, ctx.inputs
    rc = inputs.topic_roll_calls
    kinds = dict(rc.group_by("kind").len().iter_rows())
    said = sentences.coverage_sentences(
        rc.height, kinds, rc.filter(pl.col("symbol").is_null()).height
    )
    rows = analyses.read_coverage(con, spec.start, spec.end)
    if spec.topic:
        series = con.sql(
            "SELECT DISTINCT series FROM roll_calls WHERE list_contains($ids, roll_call_id)",
            params={"ids": analyses.topic_roll_calls(con, spec.topic)},
        ).pl()["series"]
        rows = rows.filter(pl.col("series").is_in(series.to_list()))
    differences = analyses.differences_sentence(analyses.differences(con, inputs.topic_ids))
    formats = {"roll_calls": ",", "resolutions": ",", "without_vote": ","}
    newest = rows.select(list(COLUMNS)).sort("last_vote", descending=True, nulls_last=True)
    table = frame_table(newest, "series-coverage", list(COLUMNS.values()),
                        ctx.slug, formats)  # fmt: skip
    return Coverage(
        said,
        rows,
        analyses.coverage_notes(rows, spec.end),
        analyses.coverage_notes(rows, spec.end, gaps=False),
        differences,
        table,
    )
