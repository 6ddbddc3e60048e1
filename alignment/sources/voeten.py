"""Voeten's complete vote file (``completeVotes_1946-2015.csv.gz``).

One row per state per roll call: vote 1 yes, 2 abstain, 3 no, 8 absent, 9 not a member;
states by Correlates of War code; dates as ``m/d/YYYY``; six issue flags (me, nu, di, hr, co,
ec). The file has no titles, tallies, or amendment/paragraph flags: those come from the
``unvotes`` roll call table, which shares Voeten's ``rcid``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from alignment.countries import Crosswalk
from alignment.errors import BadDataError, shorten
from alignment.sources import _csv
from alignment.sources._values import FIRST_DATE, last_date
from alignment.sources.reader import Sample
from alignment.sources.rows import SourceRows, votes_by_rcid
from alignment.symbols import from_voeten

NAME = "voeten"
ISSUE_CODES = ("me", "nu", "di", "hr", "co", "ec")
COLUMNS = [
    "rcid",
    "session",
    "vote",
    "ccode",
    "importantvote",
    "date",
    "unres",
    *ISSUE_CODES,
    "year",
]
VOTE_CODES = {"1": "Y", "2": "A", "3": "N", "8": "X"}  # 9 = not a member: no row


def recognises(sample: Sample) -> bool:
    """A CSV whose header is this layout's."""
    return not sample.looks_json and matches(sample.header)


def matches(header: list[str]) -> bool:
    return {"rcid", "ccode", "vote", "unres", "member"} <= set(header)


def symbols_of(calls: pl.DataFrame, path: Path) -> list[str | None]:
    """Official symbols of the ``unres`` column (with ``session`` and the line)."""
    symbols = []
    for unres, session, line in calls.select("unres", "session", _csv.LINE).iter_rows():
        try:
            symbols.append(from_voeten(unres, session))
        except ValueError as exc:  # R/0/5: no roman numeral for session 0
            raise BadDataError(
                f"unres {shorten(unres)} is no resolution symbol ({exc}); correct the record",
                path=path,
                line=line,
            ) from exc
    return symbols


def read(path: Path, crosswalk: Crosswalk) -> SourceRows:
    data = _csv.read_csv_bytes(path)
    header = _csv.header_of(path, data)
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise BadDataError(
            f"not Voeten's complete vote file: columns {missing} missing from header "
            f"{shorten(','.join(header))}",
            path=path,
            line=1,
        )
    frame = _csv.read_csv_strings(path, data)
    _csv.require(frame, ["rcid", "session", "vote", "ccode", "year"], path)
    _csv.check_values(frame, "vote", {*VOTE_CODES, "9"}, path, "vote code")
    for column in ("rcid", "session", "ccode"):
        frame = _csv.cast_checked(frame, column, pl.Int64(), path, "an integer")
    frame = _csv.parse_checked(
        frame,
        "date",
        pl.col("date").str.strip_chars().str.to_date("%m/%d/%Y", strict=False),
        path,
        "a date m/d/YYYY",
    )
    _csv.check_dates(frame, "date", path)
    _csv.check_one_value(frame, "rcid", "date", path, "roll call")
    _csv.check_unique(frame, ["rcid", "ccode"], path, "vote of a state on a roll call")
    year = pl.col("year").str.strip_chars().cast(pl.Int64, strict=False)
    first, last = FIRST_DATE.year, last_date().year
    frame = _csv.parse_checked(
        frame, "year", pl.when(year.is_between(first, last)).then(year), path,
        f"a year from {first} to {last}",
    )  # fmt: skip
    # One roll call (rcid 4592) has neither date nor symbol, only a year: codes are resolved
    # at mid-year and the date is left to unvotes, which has it.
    undated = (
        frame.filter(pl.col("date").is_null())
        .group_by("rcid")
        .agg(pl.col(_csv.LINE).min())
        .sort("rcid")
    )
    resolve_on = pl.coalesce(pl.col("date"), pl.date(pl.col("year"), 7, 1))
    frame = frame.with_columns(
        crosswalk.resolve(
            frame["ccode"], "cow", path=str(path),
            dates=frame.select(resolve_on)[:, 0], lines=frame[_csv.LINE],
        ).alias("iso3")
    )  # fmt: skip
    _csv.check_unique(frame, ["rcid", "iso3"], path, "vote of a seat on a roll call")

    per_call = frame.group_by("rcid").agg(
        pl.col("session").first(),
        pl.col("date").first(),
        pl.col("unres").first(),
        pl.col("importantvote").first(),
        *[(pl.col(code) == "1").any().alias(code) for code in ISSUE_CODES],
        pl.col(_csv.LINE).min(),
    )
    symbols = symbols_of(per_call, path)
    roll_calls = per_call.select(
        pl.lit(NAME).alias("source"),
        pl.col("rcid").cast(pl.String).alias("source_id"),
        pl.col("rcid"),
        pl.lit(None, pl.Int64).alias("undl_id"),
        pl.Series("symbol", symbols, pl.String),
        pl.col("date"),
        pl.col("session"),
        pl.lit(None, pl.String).alias("title"),
        pl.lit(None, pl.String).alias("kind"),  # only unvotes flags amendments/paragraphs
        (pl.col("importantvote") == "1").alias("important"),
        *[pl.lit(None, pl.Int64).alias(c) for c in ("yes", "no", "abstain", "non_voting")],
        pl.concat_list(
            pl.when(pl.col(code)).then(pl.lit(code)).otherwise(None) for code in ISSUE_CODES
        )
        .list.drop_nulls()
        .alias("topics"),
        pl.lit([], pl.List(pl.String)).alias("subjects"),
    ).sort("rcid")
    votes = votes_by_rcid(
        frame.filter(pl.col("vote") != "9"), NAME, pl.col("vote").replace_strict(VOTE_CODES)
    )
    return SourceRows(
        NAME,
        str(path),
        roll_calls,
        votes,
        notes=[
            f"rcid {rcid} (first on line {line}) has no date; the other sources may date it"
            for rcid, line in undated.iter_rows()
        ],
    )
