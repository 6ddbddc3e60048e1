"""The canonical rows every reader returns: :class:`SourceRows`, two polars DataFrames in the
layouts below. Readers know their format and these layouts; the store knows these layouts and
nothing about formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

# Canonical roll call columns. `symbol` is the official UN form (A/RES/66/253, A/RES/66(I),
# A/RES/66/253 B, A/RES/ES-10/21); `kind` is resolution / amendment / paragraph / procedural;
# tallies are as published (null where the source publishes none); `topics` are the source's
# own issue codes (Voeten's me/nu/di/hr/co/ec), `subjects` its subject headings and `agenda`
# the titles of the agenda items the vote was taken under (the Assembly's own classification).
ROLL_CALL_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "source_id": pl.String(),
    "rcid": pl.Int64(),  # Voeten's roll call id where the source carries it
    "undl_id": pl.Int64(),  # UN Digital Library record where the source carries it
    "symbol": pl.String(),
    "date": pl.Date(),
    "session": pl.Int64(),
    "title": pl.String(),
    "kind": pl.String(),
    "important": pl.Boolean(),
    "yes": pl.Int64(),
    "no": pl.Int64(),
    "abstain": pl.Int64(),
    "non_voting": pl.Int64(),
    "topics": pl.List(pl.String()),
    "subjects": pl.List(pl.String()),
    "agenda": pl.List(pl.String()),
}
# Columns a reader may leave out (older readers, hand-made rows): filled empty.
OPTIONAL_ROLL_CALL_COLUMNS = ("agenda",)

# One row per state per roll call. vote is Y/N/A/X (X = absent or non-voting: present in the
# membership but cast no vote). Non-members have no row.
VOTE_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "source_id": pl.String(),
    "iso3": pl.String(),
    "vote": pl.String(),
}

# Resolutions a source lists as adopted without a vote (the UN's per-session JSON lists every
# resolution of a session with how it was adopted): no roll call, no votes, but the share of
# the Assembly's decisions taken without a vote, and complete resolution numbering, need them.
DECISION_SCHEMA: dict[str, pl.DataType] = {
    c: ROLL_CALL_SCHEMA[c]
    for c in ("source", "symbol", "date", "session", "title", "subjects", "agenda")
}


@dataclass
class SourceRows:
    """What one reader read from one file."""

    source: str  # the format's name, e.g. "voeten"
    path: str
    roll_calls: pl.DataFrame
    votes: pl.DataFrame
    # False where the source lists only the states that voted: the store then marks the other
    # UN members of the day as absent (X), from data/countries.csv.
    absent_listed: bool = True
    files: list[str] = field(default_factory=list)  # every file read, for provenance
    notes: list[str] = field(default_factory=list)
    # Resolutions the source lists as adopted without a vote (DECISION_SCHEMA); None when the
    # source does not say which resolutions were adopted so (most sources list votes only).
    decisions: pl.DataFrame | None = None

    def __post_init__(self) -> None:
        if not self.files:
            self.files = [self.path]
        missing = [c for c in OPTIONAL_ROLL_CALL_COLUMNS if c not in self.roll_calls.columns]
        self.roll_calls = self.roll_calls.with_columns(
            pl.lit([], pl.List(pl.String)).alias(c) for c in missing
        )
        # Every reader's rows in the canonical types and order, whatever it computed them in.
        self.roll_calls = self.roll_calls.select(list(ROLL_CALL_SCHEMA)).cast(ROLL_CALL_SCHEMA)  # type: ignore[arg-type]
        self.votes = self.votes.cast(VOTE_SCHEMA)  # type: ignore[arg-type]
        if self.decisions is not None:
            self.decisions = self.decisions.select(list(DECISION_SCHEMA)).cast(DECISION_SCHEMA)  # type: ignore[arg-type]


def votes_by_rcid(frame: pl.DataFrame, source: str, vote: pl.Expr) -> pl.DataFrame:
    """The canonical votes of a source keyed by Voeten's rcid (Voeten's file, unvotes)."""
    return frame.select(
        pl.lit(source).alias("source"),
        pl.col("rcid").cast(pl.String).alias("source_id"),
        pl.col("iso3"),
        vote.alias("vote"),
    )
