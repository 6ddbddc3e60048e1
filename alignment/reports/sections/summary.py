"""The summary at the top of the page: a few sentences of plain language, each with its
number, from the facts :mod:`alignment.reports.findings` establishes."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from alignment.reports import findings, sentences
from alignment.reports.context import Context
from alignment.reports.facts import SummaryFacts


@dataclass(frozen=True)
class Summary:
    facts: SummaryFacts
    sentences: list[str]


def build(ctx: Context, world: pl.DataFrame, agree: pl.DataFrame) -> Summary:
    """``world``: the world section's frame (every state against the focus); ``agree``: the
    agreement section's (per session and partner)."""
    facts = findings.summary_facts(ctx.inputs, ctx.spec, world, agree, ctx.topic_label)
    return Summary(facts, sentences.summary(facts, ctx.names))
