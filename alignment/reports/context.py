"""What every section of a report is built from: the spec, the inputs read once, the votes
with the bloc majorities, names, the phrases of the page and the colours of its keys."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from alignment.reports.inputs import Inputs
from alignment.reports.sentences import Phrases
from alignment.reports.spec import ReportSpec


@dataclass(frozen=True)
class Context:
    spec: ReportSpec
    inputs: Inputs
    votes: pl.DataFrame  # the inputs' votes and the majority pseudo-states
    majorities: pl.DataFrame  # the pseudo-states with their members' counts
    topic_label: str | None
    phrases: Phrases
    bootstrap: int  # resamples of the agreement intervals
    members: list[str]  # a bloc report's members on its last day (outlined on the world map)
    ever: list[str]  # ... at any time in the window (drawn in the subject's colour)

    @property
    def names(self) -> dict[str, str]:
        return self.inputs.names

    @property
    def slug(self) -> str:
        return self.spec.slug
