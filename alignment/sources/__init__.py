"""Readers of upstream formats, one module per format.

Every reader returns a :class:`SourceRows`: two polars DataFrames in the canonical layout below,
and knows nothing about the store. The store knows these layouts and nothing about formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import polars as pl

from alignment.vocabulary import KINDS, VOTES

if TYPE_CHECKING:
    from alignment.countries import Crosswalk

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

__all__ = [
    "DECISION_SCHEMA",
    "KINDS",
    "ROLL_CALL_SCHEMA",
    "VOTES",
    "VOTE_SCHEMA",
    "SourceRows",
    "discover",
    "read_all",
]


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


# --- finding the reader for a file -------------------------------------------------------

# Files that travel with the vote files but hold no votes: read elsewhere or not at all.
AUXILIARY = {
    "COW_country_codes.csv": "Voeten's list of COW codes (the crosswalk is data/country_codes.csv)",
    "Matches.csv": "Voeten's bridging pairs (loaded as table voeten_matches)",
    "IdealpointestimatesAll_Apr2020.csv": "Voeten's published ideal points (a reference, not votes)",
}
DATA_SUFFIXES = (".csv", ".csv.gz", ".json", ".jsonl", ".xml")


def _is_data_file(path: Path) -> bool:
    return path.name.endswith(DATA_SUFFIXES)


def reader_for(path: Path) -> ModuleType | None:
    """The reader module for one file, recognised by its content; None for auxiliary files."""
    from alignment.errors import BadDataError, shorten
    from alignment.sources import undl_csv, undl_marcxml, unvotes, unxml_json, voeten
    from alignment.sources._csv import header_of
    from alignment.sources._text import read_head

    if path.name in AUXILIARY:
        return None
    if path.name.endswith(".xml"):
        return undl_marcxml
    head = read_head(path)
    first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    if path.name.endswith((".json", ".jsonl")) or first.startswith("{"):
        if unxml_json.matches_first_line(first):
            return unxml_json
        raise BadDataError(
            "JSON that is not the UN's per-session resolution extract (no MS_in_favour)",
            path=str(path),
            line=1,
        )
    header = header_of(path, head)
    for module in (voeten, unvotes, undl_csv):
        if module.matches(header):
            return module
    raise BadDataError(
        "a CSV of no known layout (Voeten's complete votes, unvotes, UN Digital Library "
        f"2024/2025/2026). Its header: {shorten(','.join(header), 400)}",
        path=str(path),
        line=1,
    )


def discover(paths: list[Path]) -> list[tuple[Path, ModuleType]]:
    """Every vote file under the given files and folders with its reader, in a stable order.

    A folder is searched recursively; its auxiliary files and prose are skipped. The three
    unvotes tables are read once, as a group.
    """
    from alignment.errors import BadDataError
    from alignment.sources import unvotes

    found: list[tuple[Path, ModuleType]] = []
    seen_unvotes: set[Path] = set()
    for given in paths:
        if not given.exists():
            raise BadDataError(
                "no such file or folder; check the path given to --from", path=str(given)
            )
        files = (
            sorted(p for p in given.rglob("*") if p.is_file() and _is_data_file(p))
            if given.is_dir()
            else [given]
        )
        for path in files:
            module = reader_for(path)
            if module is None:
                continue
            if module is unvotes:
                folder = path.parent.resolve()
                if folder in seen_unvotes:
                    continue
                seen_unvotes.add(folder)
                path = unvotes.companions(path)["unvotes"]
            found.append((path, module))
    return found


def read_all(paths: list[Path], crosswalk: Crosswalk) -> list[SourceRows]:
    """Every vote file under ``paths``, read by its reader; bad data if there is none."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    from alignment.errors import BadDataError

    found = discover([Path(p) for p in paths])
    if not found:
        raise BadDataError(
            "no vote files found (Voeten's completeVotes, unvotes tables, UN Digital Library CSV "
            "or MARCXML, UN per-session JSON)",
            path=", ".join(str(p) for p in paths),
        )
    # Polars and the gzip module release the GIL: files are read side by side.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(lambda item: item[1].read(item[0], crosswalk), found))
