"""Bloc memberships over time, from facts the project keeps itself in ``data/``.

Two hand-maintained CSV files (UTF-8, one header row, no comment lines):

``blocs.csv``
    ``bloc`` (short lowercase id), ``name``, ``founded``, ``dissolved`` (empty while active),
    ``description``, ``source``.

``bloc_memberships.csv``
    One row per membership spell: ``bloc``, ``iso3`` (the ISO3 code of the UN seat: USSR = RUS,
    Byelorussian SSR = BLR, FRG = DEU, YAR = YEM; SFRY = YUG, South Yemen = YMD ...), ``joined``,
    ``left``, ``status``, ``date_precision``, ``source``, ``note``.

Date conventions:

* ``joined`` is the first day and ``left`` the **last day** of the spell, both inclusive: a spell
  is active on day ``d`` when ``joined <= d`` and (``left`` is empty or ``d <= left``): the rule
  of ``alignment.spells``. A state whose withdrawal "takes effect" on day X therefore has
  ``left`` = X - 1; the UK, which left the EU at the end of 2020-01-31, has ``left`` =
  2020-01-31.
* A change of status (suspension, freeze, associate membership) closes one spell and opens the
  next the following day, so at most one spell per bloc and state is active on any day; the loader
  rejects overlaps.
* ``date_precision`` (``day``, ``month`` or ``year``) is the precision of the least certain date
  in the row; when only a year is known the row says in ``note`` which day stands in for it.

Statuses: ``member``; ``associate`` (e.g. Turkmenistan in the CIS); ``suspended`` (by the
organisation, or at the state's request); ``frozen`` (the state stopped taking part without
leaving, e.g. Armenia in the CSTO from 2024-02-22); ``invited`` (accepted an invitation only in
part, e.g. Saudi Arabia in BRICS). Analyses normally count only ``member``.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from alignment import resources
from alignment.errors import BadDataError, UniqueKeys
from alignment.spells import active_on, join_active

BLOCS_FILE = "blocs.csv"
MEMBERSHIPS_FILE = "bloc_memberships.csv"

BLOC_COLUMNS = ("bloc", "name", "founded", "dissolved", "description", "source")
MEMBERSHIP_COLUMNS = (
    "bloc",
    "iso3",
    "joined",
    "left",
    "status",
    "date_precision",
    "source",
    "note",
)
STATUSES = ("member", "associate", "suspended", "frozen", "invited")
PRECISIONS = ("day", "month", "year")

BLOCS_SCHEMA: dict[str, pl.DataType] = {
    "bloc": pl.String(),
    "name": pl.String(),
    "founded": pl.Date(),
    "dissolved": pl.Date(),
    "description": pl.String(),
    "source": pl.String(),
}
MEMBERSHIPS_SCHEMA: dict[str, pl.DataType] = {
    "bloc": pl.String(),
    "iso3": pl.String(),
    "joined": pl.Date(),
    "left": pl.Date(),
    "status": pl.String(),
    "date_precision": pl.String(),
    "source": pl.String(),
    "note": pl.String(),
}

_BLOC_ID = re.compile(r"[a-z][a-z0-9_]*")
_ISO3 = re.compile(r"[A-Z]{3}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number where the record starts, row) after checking the header."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise BadDataError(f"cannot read: {exc.strerror}", path=path) from exc
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise BadDataError("empty file", path=path, line=1)
        missing = [c for c in columns if c not in header]
        if missing:
            raise BadDataError(f"missing column(s): {', '.join(missing)}", path=path, line=1)
        start = reader.line_num + 1
        for record in reader:
            line = start
            # A quoted field may span lines; the next record starts after this one ends.
            start = reader.line_num + 1
            if not record or all(not field.strip() for field in record):
                continue
            if len(record) != len(header):
                raise BadDataError(
                    f"expected {len(header)} fields, found {len(record)}", path=path, line=line
                )
            yield line, {name: value.strip() for name, value in zip(header, record, strict=True)}


def _date(value: str, column: str, path: Path, line: int, *, required: bool) -> dt.date | None:
    if not value:
        if required:
            raise BadDataError(f"{column} is empty", path=path, line=line)
        return None
    # fromisoformat alone would also take 20120216 and 2012-W07; the files use YYYY-MM-DD only.
    if _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise BadDataError(f"{column} {value!r} is not a valid YYYY-MM-DD date", path=path, line=line)


def _required_date(value: str, column: str, path: Path, line: int) -> dt.date:
    parsed = _date(value, column, path, line, required=True)
    assert parsed is not None  # _date raises on an empty required value
    return parsed


def _require(value: str, column: str, path: Path, line: int) -> str:
    if not value:
        raise BadDataError(f"{column} is empty", path=path, line=line)
    return value


def load_blocs(data_dir: Path | None = None) -> pl.DataFrame:
    """Read and validate ``blocs.csv``; one row per bloc, dates parsed."""
    path = (data_dir or resources.folder("data")) / BLOCS_FILE
    records: list[dict[str, Any]] = []
    blocs = UniqueKeys("bloc id", _BLOC_ID, "must be lowercase letters, digits and _", path)
    for line, row in _rows(path, BLOC_COLUMNS):
        bloc = blocs.add(_require(row["bloc"], "bloc", path, line), line)
        founded = _required_date(row["founded"], "founded", path, line)
        dissolved = _date(row["dissolved"], "dissolved", path, line, required=False)
        if dissolved is not None and dissolved < founded:
            raise BadDataError(
                f"dissolved {dissolved} is before founded {founded}", path=path, line=line
            )
        records.append(
            {
                "bloc": bloc,
                "name": _require(row["name"], "name", path, line),
                "founded": founded,
                "dissolved": dissolved,
                "description": row["description"],
                "source": _require(row["source"], "source", path, line),
            }
        )
    return pl.DataFrame(records, schema=BLOCS_SCHEMA, orient="row")


def load_memberships(data_dir: Path | None = None) -> pl.DataFrame:
    """Read and validate ``bloc_memberships.csv`` against ``blocs.csv`` in the same directory.

    Returns one row per spell with ``joined``/``left`` as dates (``left`` null while ongoing),
    sorted by bloc, iso3 and joined. Raises :class:`BadDataError` naming the file and line for an
    unknown bloc, status or precision, a malformed date or ISO3 code, ``left`` before ``joined``, a
    spell outside the bloc's lifetime, overlapping spells of one state in one bloc, or an empty
    source.
    """
    data_dir = data_dir or resources.folder("data")
    blocs = {
        row["bloc"]: (row["founded"], row["dissolved"])
        for row in load_blocs(data_dir).iter_rows(named=True)
    }
    path = data_dir / MEMBERSHIPS_FILE
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    for line, row in _rows(path, MEMBERSHIP_COLUMNS):
        bloc = row["bloc"]
        if bloc not in blocs:
            raise BadDataError(f"unknown bloc {bloc!r} (not in {BLOCS_FILE})", path=path, line=line)
        iso3 = row["iso3"]
        if not _ISO3.fullmatch(iso3):
            raise BadDataError(f"iso3 {iso3!r} is not three capital letters", path=path, line=line)
        joined = _required_date(row["joined"], "joined", path, line)
        left = _date(row["left"], "left", path, line, required=False)
        if left is not None and left < joined:
            raise BadDataError(f"left {left} is before joined {joined}", path=path, line=line)
        founded, dissolved = blocs[bloc]
        if joined < founded:
            raise BadDataError(
                f"joined {joined} is before {bloc} was founded ({founded})",
                path=path,
                line=line,
            )
        if dissolved is not None and (left is None or left > dissolved):
            raise BadDataError(
                f"spell runs past the dissolution of {bloc} ({dissolved}); set left",
                path=path,
                line=line,
            )
        if row["status"] not in STATUSES:
            raise BadDataError(
                f"unknown status {row['status']!r} (expected one of {', '.join(STATUSES)})",
                path=path,
                line=line,
            )
        if row["date_precision"] not in PRECISIONS:
            raise BadDataError(
                f"unknown date_precision {row['date_precision']!r} "
                f"(expected one of {', '.join(PRECISIONS)})",
                path=path,
                line=line,
            )
        records.append(
            {
                "bloc": bloc,
                "iso3": iso3,
                "joined": joined,
                "left": left,
                "status": row["status"],
                "date_precision": row["date_precision"],
                "source": _require(row["source"], "source", path, line),
                "note": row["note"],
            }
        )
        lines.append(line)
    _check_overlaps(records, lines, path)
    return pl.DataFrame(records, schema=MEMBERSHIPS_SCHEMA, orient="row").sort(
        "bloc", "iso3", "joined"
    )


def _check_overlaps(records: list[dict[str, Any]], lines: list[int], path: Path) -> None:
    """One state has at most one active spell per bloc on any day, whatever the statuses."""
    order = sorted(
        range(len(records)),
        key=lambda i: (records[i]["bloc"], records[i]["iso3"], records[i]["joined"]),
    )
    for prev, cur in itertools.pairwise(order):
        a, b = records[prev], records[cur]
        if (a["bloc"], a["iso3"]) != (b["bloc"], b["iso3"]):
            continue
        if a["left"] is None or a["left"] >= b["joined"]:
            line = max(lines[prev], lines[cur])
            other = min(lines[prev], lines[cur])
            raise BadDataError(
                f"{b['iso3']} in {b['bloc']}: spell from {b['joined']} overlaps the spell "
                f"from {a['joined']} on line {other}",
                path=path,
                line=line,
            )


def members_on(
    memberships: pl.DataFrame,
    bloc: str,
    on: dt.date,
    *,
    statuses: tuple[str, ...] = ("member",),
) -> list[str]:
    """Sorted ISO3 codes of the states in ``bloc`` with one of ``statuses`` on day ``on``.

    Raises ValueError when ``memberships`` has no row for ``bloc`` at all.
    """
    if memberships.filter(pl.col("bloc") == bloc).is_empty():
        # An unknown id is almost always a typo; an empty answer would hide it.
        raise ValueError(f"no memberships recorded for bloc {bloc!r}")
    active = memberships.filter(
        pl.col("bloc") == bloc,
        pl.col("status").is_in(list(statuses)),
        active_on(on, first="joined", last="left"),
    )
    return sorted(active["iso3"].unique().to_list())


def membership_on_dates(
    memberships: pl.DataFrame,
    dates: pl.DataFrame,
    *,
    statuses: tuple[str, ...] | None = None,
) -> pl.DataFrame:
    """Every membership active on each row's ``date``, for all blocs at once.

    ``dates`` has a ``date`` column (Date or Datetime) and any other columns, e.g.
    ``roll_call_id``; the result has those columns followed by ``bloc``, ``iso3`` and ``status``,
    one row per input row and active spell (input rows with a null date match nothing).
    ``statuses`` keeps only those statuses; None keeps them all.
    """
    if "date" not in dates.columns:
        raise ValueError("dates needs a 'date' column")
    spells = memberships.select("bloc", "iso3", "status", "joined", "left")
    if statuses is not None:
        spells = spells.filter(pl.col("status").is_in(list(statuses)))
    dates = dates.with_columns(pl.col("date").cast(pl.Date))
    # Range-join the distinct days only (a few thousand), then fan back out to the input rows:
    # many roll calls share a day.
    days = dates.select("date").drop_nulls().unique()
    active = join_active(days, spells, day="date", first="joined", last="left").select(
        "date", "bloc", "iso3", "status"
    )
    return dates.join(active, on="date", how="inner", maintain_order="left")
