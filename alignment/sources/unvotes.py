"""The ``unvotes`` R package's three tables (``unvotes``, ``roll_calls``, ``issues``).

Voeten's data redistributed, extended to January 2020. Absences and non-membership are both
missing rows, so the store marks the absent members itself (``absent_listed=False``);
``country_code`` is ISO2 (empty for a few historical states), so states are resolved by name,
with the date, which also settles ``Yugoslavia`` before 1992 and after 2000.

The roll call table's ``descr`` usually holds the title (or, for sessions before about 2000,
a description of the motion; for a separate vote from 2008 on, the meeting record), and
``short`` a short heading. For sessions 71-73 the two trade places: ``short`` holds the title
and ``descr`` the agenda lines of the UN's index (``A/71/251 68c - Human rights situations and
reports of special rapporteurs and representatives. - HUMAN RIGHTS--REPORTS;A/71/251 68c[12] -
HUMAN RIGHTS--UKRAINE``), read as the agenda items' titles and the index's subject headings.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from alignment.countries import Crosswalk
from alignment.errors import BadDataError, shorten
from alignment.sources import _csv
from alignment.sources.reader import Sample
from alignment.sources.rows import SourceRows, votes_by_rcid
from alignment.sources.voeten import symbols_of
from alignment.titles import tidy_title

NAME = "unvotes"
FILES = ("unvotes.csv.gz", "roll_calls.csv.gz", "issues.csv.gz")
VOTE_COLUMNS = ["rcid", "country", "country_code", "vote"]
ROLL_CALL_COLUMNS = [
    "rcid",
    "session",
    "importantvote",
    "date",
    "unres",
    "amend",
    "para",
    "short",
    "descr",
]
ISSUE_COLUMNS = ["rcid", "short_name", "issue"]
VOTES = {"yes": "Y", "no": "N", "abstain": "A"}
# An agenda line of the UN's index: "A/71/251 68c - <agenda item>. - <SUBJECT>" (';'-separated)
AGENDA_LINE = r"^A/\d+/\d+ \S+ - "


def index_lines(descr: str | None) -> dict[str, list[str]]:
    """The agenda items' titles and the subject headings of ``descr`` when it holds agenda lines
    of the UN's index (sessions 71-73); empty lists otherwise."""
    agenda: list[str] = []
    subjects: list[str] = []
    for line in (descr or "").split(";"):
        parts = [p.strip() for p in line.split(" - ")]
        if len(parts) < 2 or not parts[0].startswith("A/"):
            continue
        if len(parts) >= 3 and parts[1].rstrip(" .") not in agenda:
            agenda.append(parts[1].rstrip(" ."))
        if parts[-1] and parts[-1] not in subjects:
            subjects.append(parts[-1])
    return {"agenda": agenda, "subjects": subjects}


def _text(column: str) -> pl.Expr:
    return pl.when(pl.col(column).str.strip_chars() != "").then(pl.col(column))


def recognises(sample: Sample) -> bool:
    """A CSV whose header is this layout's."""
    return not sample.looks_json and matches(sample.header)


def matches(header: list[str]) -> bool:
    return header in (VOTE_COLUMNS, ROLL_CALL_COLUMNS, ISSUE_COLUMNS)


def companions(path: Path) -> dict[str, Path]:
    """The three tables that belong together, found beside any one of them."""
    found = {}
    for name in FILES:
        for candidate in (path.parent / name, path.parent / name.removesuffix(".gz")):
            if candidate.exists():
                found[name.split(".")[0]] = candidate
                break
    for needed in ("unvotes", "roll_calls"):
        if needed not in found:
            raise BadDataError(
                f"the unvotes tables come together: {needed}.csv(.gz) is not beside this file",
                path=path,
            )
    return found


def _table(path: Path, columns: list[str]) -> pl.DataFrame:
    data = _csv.read_csv_bytes(path)
    header = _csv.header_of(path, data)
    if header != columns:
        raise BadDataError(
            f"header {shorten(','.join(header))} is not the unvotes layout {','.join(columns)}",
            path=path,
            line=1,
        )
    return _csv.read_csv_strings(path, data)


def read(path: Path, crosswalk: Crosswalk) -> SourceRows:
    files = companions(path)
    calls_path, votes_path = files["roll_calls"], files["unvotes"]

    calls = _table(calls_path, ROLL_CALL_COLUMNS)
    _csv.require(calls, ["rcid", "session", "date"], calls_path)
    calls = _csv.cast_checked(calls, "rcid", pl.Int64(), calls_path, "an integer")
    calls = _csv.cast_checked(calls, "session", pl.Int64(), calls_path, "an integer")
    calls = _csv.parse_checked(
        calls,
        "date",
        pl.col("date").str.to_date("%Y-%m-%d", strict=False),
        calls_path,
        "a date YYYY-MM-DD",
    )
    _csv.check_dates(calls, "date", calls_path)
    _csv.check_unique(calls, ["rcid"], calls_path, "roll call")

    topics = pl.DataFrame(schema={"rcid": pl.Int64, "topics": pl.List(pl.String)})
    if "issues" in files:
        issues = _table(files["issues"], ISSUE_COLUMNS)
        _csv.require(issues, ["rcid", "short_name"], files["issues"])
        issues = _csv.cast_checked(issues, "rcid", pl.Int64(), files["issues"], "an integer")
        topics = issues.group_by("rcid").agg(pl.col("short_name").unique().sort().alias("topics"))

    symbols = symbols_of(calls, calls_path)
    kind = (
        pl.when(pl.col("amend") == "1").then(pl.lit("amendment"))
        .when(pl.col("para") == "1").then(pl.lit("paragraph"))
        .when(pl.col("symbol").is_null()).then(pl.lit("procedural"))
        .otherwise(pl.lit("resolution"))
    )  # fmt: skip
    agenda_line = pl.col("descr").fill_null("").str.contains(AGENDA_LINE)
    title = (
        pl.when(agenda_line)
        .then(_text("short"))
        .otherwise(pl.coalesce(_text("descr"), _text("short")))
    )
    index = pl.col("descr").map_elements(
        index_lines,
        return_dtype=pl.Struct({"agenda": pl.List(pl.String), "subjects": pl.List(pl.String)}),
    )
    roll_calls = (
        calls.with_columns(pl.Series("symbol", symbols, pl.String))
        .with_columns(pl.when(agenda_line).then(index).alias("index"))
        .join(topics, on="rcid", how="left")
        .select(
            pl.lit(NAME).alias("source"),
            pl.col("rcid").cast(pl.String).alias("source_id"),
            pl.col("rcid"),
            pl.lit(None, pl.Int64).alias("undl_id"),
            pl.col("symbol"),
            pl.col("date"),
            pl.col("session"),
            tidy_title(title).alias("title"),
            kind.alias("kind"),
            pl.when(pl.col("importantvote").is_null())
            .then(None)
            .otherwise(pl.col("importantvote") == "1")
            .alias("important"),
            *[pl.lit(None, pl.Int64).alias(c) for c in ("yes", "no", "abstain", "non_voting")],
            pl.col("topics").fill_null([]),
            pl.col("index").struct.field("subjects").fill_null([]).alias("subjects"),
            pl.col("index").struct.field("agenda").fill_null([]).alias("agenda"),
        )
        .sort("rcid")
    )

    votes = _table(votes_path, VOTE_COLUMNS)
    _csv.require(votes, ["rcid", "country", "vote"], votes_path)
    votes = _csv.cast_checked(votes, "rcid", pl.Int64(), votes_path, "an integer")
    _csv.check_values(votes, "vote", set(VOTES), votes_path, "vote")
    unknown = votes.join(calls.select("rcid"), on="rcid", how="anti").sort(_csv.LINE)
    if not unknown.is_empty():
        row = unknown.row(0, named=True)
        raise BadDataError(
            f"rcid {row['rcid']} is not in {calls_path.name}: the tables do not belong together; "
            "download them again",
            path=votes_path,
            line=row[_csv.LINE],
        )
    votes = votes.join(calls.select("rcid", "date"), on="rcid", how="left").sort(_csv.LINE)
    votes = votes.with_columns(
        crosswalk.resolve(
            votes["country"],
            "name",
            path=str(votes_path),
            dates=votes["date"],
            lines=votes[_csv.LINE],
        ).alias("iso3")
    )
    _csv.check_unique(votes, ["rcid", "iso3"], votes_path, "vote of a state on a roll call")
    votes = votes_by_rcid(votes, NAME, pl.col("vote").replace_strict(VOTES))
    return SourceRows(
        NAME,
        str(votes_path),
        roll_calls,
        votes,
        absent_listed=False,
        files=[str(p) for p in files.values()],
    )
