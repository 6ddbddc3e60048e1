"""The UN Digital Library's bulk "General Assembly Voting Data" CSV (record 4060887).

One row per Member State per resolution. The Library has changed the layout between versions,
so the layout is recognised by its header:

- 2024 (September 2024): ``ms_codes``/``ms_names``/``ms_votes`` (``NV`` = non-voting),
  ``resolutions``, ``modality``, tallies ``yes``/``no``/``abstentions``/``non-voting``/``total-voting``;
- 2025 (versions 2-4): ``ms_code``/``ms_name``/``ms_vote`` (``X`` = non-voting), ``resolution``,
  tallies ``total_yes``/``total_no``/``total_abstentions``/``total_non_voting``/``total_ms``;
- 2026 (version 5, February 2026): the 2025 layout plus ``vote_note``.

Tallies are written as floats (``159.0``); ``subjects`` and ``draft`` hold several values
separated by ``|``; ``agenda_title`` (where the layout has it) is the agenda item's title. Only
adopted resolutions are in the file (no amendment or paragraph votes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from alignment.countries import Crosswalk
from alignment.errors import BadDataError, shorten
from alignment.sessions import regular_session_expr
from alignment.sources import _csv
from alignment.sources.reader import Sample
from alignment.sources.rows import ROLL_CALL_SCHEMA, VOTE_SCHEMA, SourceRows
from alignment.symbols import tidy
from alignment.titles import tidy_title

NAME = "undl_csv"
AGENDA = "agenda_title"  # optional in every layout


@dataclass(frozen=True)
class Layout:
    name: str
    required: frozenset[str]
    absent: frozenset[str]  # columns whose presence rules the layout out
    columns: dict[str, str]  # canonical -> this layout's column
    votes: dict[str, str]  # this layout's vote codes -> Y/N/A/X


_COMMON = {"undl_id": "undl_id", "date": "date", "session": "session", "title": "title",
           "subjects": "subjects"}  # fmt: skip
_2025 = {
    **_COMMON,
    "ms_code": "ms_code", "ms_name": "ms_name", "ms_vote": "ms_vote", "symbol": "resolution",
    "yes": "total_yes", "no": "total_no", "abstain": "total_abstentions",
    "non_voting": "total_non_voting",
}  # fmt: skip
_2024 = {
    **_COMMON,
    "ms_code": "ms_codes", "ms_name": "ms_names", "ms_vote": "ms_votes", "symbol": "resolutions",
    "yes": "yes", "no": "no", "abstain": "abstentions", "non_voting": "non-voting",
}  # fmt: skip
LAYOUTS = (
    Layout("2026", frozenset({*_2025.values(), "vote_note"}), frozenset(), _2025,
           {"Y": "Y", "N": "N", "A": "A", "X": "X"}),
    Layout("2025", frozenset(_2025.values()), frozenset({"vote_note"}), _2025,
           {"Y": "Y", "N": "N", "A": "A", "X": "X"}),
    Layout("2024", frozenset({*_2024.values(), "modality", "total-voting"}), frozenset(), _2024,
           {"Y": "Y", "N": "N", "A": "A", "NV": "X"}),
)  # fmt: skip


def layout_of(header: list[str]) -> Layout | None:
    names = set(header)
    for layout in LAYOUTS:
        if layout.required <= names and not (layout.absent & names):
            return layout
    return None


def recognises(sample: Sample) -> bool:
    """A CSV whose header is this layout's."""
    return not sample.looks_json and matches(sample.header)


def matches(header: list[str]) -> bool:
    return layout_of(header) is not None or bool({"ms_code", "ms_codes"} & set(header))


def read(path: Path, crosswalk: Crosswalk) -> SourceRows:
    data = _csv.read_csv_bytes(path)
    header = _csv.header_of(path, data)
    layout = layout_of(header)
    if layout is None:
        raise BadDataError(
            "header is none of the UN Digital Library layouts (2024 ms_codes/ms_votes, 2025, "
            f"2026 with vote_note): {shorten(','.join(header), 400)}",
            path=path,
            line=1,
        )
    used = [theirs for ours, theirs in layout.columns.items() if ours != "ms_name"]
    frame = _csv.read_csv_strings(path, data, [*used, AGENDA]).rename(
        {theirs: ours for ours, theirs in layout.columns.items()}, strict=False
    )
    del data  # the file's bytes (hundreds of MB for the whole record): no longer needed
    _csv.require(frame, ["undl_id", "ms_code", "ms_vote", "date", "symbol"], path)
    frame = _csv.cast_checked(frame, "undl_id", pl.Int64(), path, "an integer record number")
    _csv.check_values(frame, "ms_vote", set(layout.votes), path, "vote code")
    date = pl.col("date").str.strip_chars()
    frame = _csv.parse_checked(
        frame, "date",
        pl.coalesce(date.str.to_date("%Y-%m-%d", strict=False),
                    date.str.to_date("%Y%m%d", strict=False)),
        path, "a date YYYY-MM-DD",
    )  # fmt: skip
    _csv.check_dates(frame, "date", path)
    _csv.check_one_value(frame, "undl_id", "date", path, "record")
    frame = _csv.parse_tallies(frame, ["yes", "no", "abstain", "non_voting"], path)
    frame = frame.with_columns(
        pl.col("session").str.strip_chars().cast(pl.Int64, strict=False)
        .fill_null(regular_session_expr(pl.col("date")))
    )  # fmt: skip
    frame = frame.with_columns(
        crosswalk.resolve(
            frame["ms_code"], "iso3", path=str(path), dates=frame["date"], lines=frame[_csv.LINE]
        ).alias("iso3")
    )
    _csv.check_unique(frame, ["undl_id", "iso3"], path, "vote of a state on a resolution")

    if AGENDA not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias(AGENDA))
    per_call = frame.group_by("undl_id").agg(
        pl.col(c).first()
        for c in ("symbol", "date", "session", "title", "subjects", AGENDA, "yes", "no",
                  "abstain", "non_voting", _csv.LINE)
    )  # fmt: skip
    roll_calls = per_call.select(
        pl.lit(NAME).alias("source"),
        pl.col("undl_id").cast(pl.String).alias("source_id"),
        pl.lit(None, pl.Int64).alias("rcid"),
        pl.col("undl_id"),
        pl.col("symbol").map_elements(tidy, return_dtype=pl.String),
        pl.col("date"),
        pl.col("session"),
        tidy_title(pl.col("title")).alias("title"),
        pl.lit("resolution").alias("kind"),
        pl.lit(None, pl.Boolean).alias("important"),
        pl.col("yes"),
        pl.col("no"),
        pl.col("abstain"),
        pl.col("non_voting"),
        pl.lit([], pl.List(pl.String)).alias("topics"),
        pl.col("subjects")
        .str.split("|")
        .list.eval(pl.element().str.strip_chars())
        .list.filter(pl.element() != "")
        .fill_null([])
        .alias("subjects"),
        pl.concat_list(pl.col(AGENDA).str.strip_chars().str.strip_chars_end("."))
        .list.filter(pl.element().is_not_null() & (pl.element() != ""))
        .alias("agenda"),
    ).sort("date", "undl_id")
    votes = frame.select(
        pl.lit(NAME).alias("source"),
        pl.col("undl_id").cast(pl.String).alias("source_id"),
        pl.col("iso3"),
        pl.col("ms_vote").str.strip_chars().replace_strict(layout.votes).alias("vote"),
    )
    return SourceRows(
        NAME,
        str(path),
        roll_calls.cast(ROLL_CALL_SCHEMA),  # type: ignore[arg-type]
        votes.cast(VOTE_SCHEMA),  # type: ignore[arg-type]
        notes=[f"layout {layout.name}"],
    )
