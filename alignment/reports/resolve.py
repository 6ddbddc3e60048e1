"""Specs for any state or bloc, from what the store knows about them."""

from __future__ import annotations

import datetime as dt

import duckdb

from alignment import analyses
from alignment.reports import spec as spec_module
from alignment.reports.data import ReportError
from alignment.reports.spec import MAX_BLOC_COLUMNS, ReportSpec


def _window(start_year: int | None, end_year: int | None) -> tuple[dt.date, dt.date]:
    if start_year is not None and end_year is not None and end_year < start_year:
        raise ReportError(f"--to {end_year} is before --from {start_year}")
    return (
        dt.date(start_year or 1, 1, 1),
        dt.date(end_year, 12, 31) if end_year is not None else dt.date(9999, 12, 31),
    )


def _bloc_sizes(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> dict[str, int]:
    """Most states that were members of each bloc at once (approximated by members whose
    spells overlap the window)."""
    rows = con.sql(
        """SELECT bloc, count(DISTINCT iso3) FROM bloc_memberships
           WHERE status = 'member' AND joined <= $end AND coalesce("left", DATE '9999-12-31') >= $start
           GROUP BY bloc""",
        params={"start": start, "end": end},
    ).fetchall()
    return {b: int(n) for b, n in rows}


def resolve_country(
    con: duckdb.DuckDBPyConnection,
    iso3: str,
    *,
    topic: str | None = None,
    start_year: int | None = spec_module.DEFAULT_START_YEAR,
    end_year: int | None = None,
) -> ReportSpec:
    (iso3,) = analyses.check_countries(con, [iso3])
    found = con.sql(
        "SELECT name FROM countries WHERE iso3 = $iso3", params={"iso3": iso3}
    ).fetchall()
    start, end = _window(start_year, end_year)
    sizes = _bloc_sizes(con, start, end)
    mine = [
        b
        for (b,) in con.sql(
            """SELECT DISTINCT bloc FROM bloc_memberships
               WHERE iso3 = $iso3 AND status = 'member' AND joined <= $end
                 AND coalesce("left", DATE '9999-12-31') >= $start ORDER BY bloc""",
            params={"iso3": iso3, "start": start, "end": end},
        ).fetchall()
    ]
    small = tuple(b for b in mine if sizes.get(b, 0) <= MAX_BLOC_COLUMNS)
    large = tuple(b for b in mine if sizes.get(b, 0) > MAX_BLOC_COLUMNS)
    return spec_module.country(
        iso3,
        name=found[0][0],
        topic=topic,
        start_year=start_year,
        end_year=end_year,
        small_blocs=small,
        large_blocs=large,
    )


def resolve_bloc(
    con: duckdb.DuckDBPyConnection,
    bloc_id: str,
    *,
    topic: str | None = None,
    start_year: int | None = spec_module.DEFAULT_START_YEAR,
    end_year: int | None = None,
) -> ReportSpec:
    bloc_id = analyses.check_bloc(con, bloc_id)
    found = con.sql("SELECT name FROM blocs WHERE bloc = $b", params={"b": bloc_id}).fetchall()
    start, end = _window(start_year, end_year)
    size = _bloc_sizes(con, start, end).get(bloc_id, 0)
    if size == 0:
        raise ReportError(f"bloc {bloc_id!r} had no members in the chosen years")
    return spec_module.bloc(
        bloc_id,
        name=found[0][0],
        topic=topic,
        start_year=start_year,
        end_year=end_year,
        small=size <= MAX_BLOC_COLUMNS,
    )
