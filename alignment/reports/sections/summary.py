"""The summary at the top of the page: what changed in the latest session (a box that leads
when the latest session differs), a few sentences of plain language, each with its number,
and the three takeaways the first screen shows, from the facts
:mod:`alignment.reports.findings` establishes."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from markupsafe import Markup

from alignment.reports import findings, sentences
from alignment.reports.context import Context
from alignment.reports.facts import SummaryFacts
from alignment.reports.names import in_text


@dataclass(frozen=True)
class Summary:
    facts: SummaryFacts
    sentences: list[str | Markup]
    latest: list[str]  # the "What changed in the latest session" box; empty when nothing did
    takeaways: list[str | Markup]  # three of the sentences, for the first screen

    @property
    def text(self) -> list[str]:
        """The sentences as plain text (citations without their links)."""
        return [Markup(s).striptags() if isinstance(s, Markup) else s for s in self.sentences]


def takeaways(facts: SummaryFacts, said: list[str | Markup], latest: list[str]) -> list:
    """Three sentences for the first screen: the window when it has gaps (they qualify every
    number), the latest session's change when there is one, who votes most and least alike,
    and the largest change or else the partners; the first three of those there are."""
    picked: list[str | Markup] = []
    if facts.gaps:
        picked.append(said[0])
    if latest:
        picked.append(latest[0])
    rest = said[1:]
    picked += rest[:1] if facts.extremes else []
    if facts.largest_change:
        picked.append(said[-1])
    picked += [s for s in rest if s not in picked]
    return picked[:3]


def build(ctx: Context, world: pl.DataFrame, coverage_rows: pl.DataFrame | None = None) -> Summary:
    """``world``: the world section's frame (every state against the focus);
    ``coverage_rows``: the coverage section's rows (the series of the window)."""
    facts = findings.summary_facts(
        ctx.inputs, ctx.spec, ctx.votes, world, ctx.topic_label, coverage_rows,
        bootstrap=findings.CHANGE_BOOTSTRAP if ctx.bootstrap >= 100 else ctx.bootstrap,
    )  # fmt: skip
    said = sentences.summary(facts, ctx.names)
    votes = sentences.votes_on(ctx.topic_label)
    latest = (
        sentences.latest(facts.latest, ctx.phrases.focus_phrase, votes,
                         lambda k: in_text(k, ctx.names))
        if facts.latest else []
    )  # fmt: skip
    return Summary(facts, said, latest, takeaways(facts, said, latest))
