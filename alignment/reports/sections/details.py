"""Findings in detail: the votes on which the subject and its first change partner differed
(and their table), and when its agreement with each change partner moved (between sessions,
at the largest shift, around the report's marked dates)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from alignment.reports import findings, sentences
from alignment.reports.citation import record_url
from alignment.reports.context import Context
from alignment.reports.facts import Differences, PositionChange
from alignment.reports.names import VOTE_WORDS, name_of
from alignment.reports.tables import Table, frame_table


@dataclass(frozen=True)
class Details:
    sentences: list[str]
    differences: list[Differences]  # with the first change partner (none without one)
    changes: list[PositionChange]  # one per change partner
    table: Table | None  # the votes of the first differences, when there are any
    threshold: float = findings.CHANGE_THRESHOLD


def build(ctx: Context) -> Details:
    spec = ctx.spec
    diffs = [findings.differences(ctx.inputs, ctx.votes, spec.focus, p)
             for p in spec.change_partners[:1]]  # fmt: skip
    changes = [findings.position_change(ctx.inputs, spec, ctx.votes, p)
               for p in spec.change_partners]  # fmt: skip
    said = sentences.details(spec.focus, diffs, changes, ctx.names, ctx.topic_label)
    table = differences_table(diffs[0], ctx.names, ctx.slug) if diffs else None
    return Details(said, diffs, changes, table)


def differences_table(d: Differences, names: dict[str, str], slug: str) -> Table | None:
    if not d.roll_calls:
        return None
    frame = pl.DataFrame(
        [
            {
                "date": r.date,
                "symbol": (r.symbol or "") + ("" if r.kind == "resolution" else f" ({r.kind})"),
                "title": r.title,
                d.a: VOTE_WORDS[r.vote_a],
                d.b: VOTE_WORDS[r.vote_b],
                "un_record": record_url(r.undl_id),
            }
            for r in reversed(d.roll_calls)  # newest first
        ],
        schema={"date": pl.Date, "symbol": pl.String, "title": pl.String, d.a: pl.String,
                d.b: pl.String, "un_record": pl.String},
    )  # fmt: skip
    labels = ["Date", "Symbol", "Title", name_of(d.a, names), name_of(d.b, names), "UN record"]
    if frame["un_record"].null_count() == frame.height:  # no record known: no empty column
        frame, labels = frame.drop("un_record"), labels[:-1]
    return frame_table(frame, "differences", labels, slug)
