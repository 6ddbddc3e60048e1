"""Specs for any state or bloc, from what the store knows about them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb

from alignment import analyses
from alignment.reports import errors
from alignment.reports import spec as spec_module
from alignment.reports.names import short_names
from alignment.reports.spec import (
    MAX_BLOC_COLUMNS,
    MAX_IDEAL_MEMBERS,
    MAX_PARTNERS,
    POWERS,
    ReportSpec,
)

KINDS = ("country", "bloc")


def _window(start_year: int | None, end_year: int | None) -> tuple[dt.date, dt.date]:
    if start_year is not None and end_year is not None and end_year < start_year:
        raise errors.window_reversed(start_year, end_year)
    return (
        dt.date(start_year or 1, 1, 1),
        dt.date(end_year, 12, 31) if end_year is not None else dt.date(9999, 12, 31),
    )


# Members of each bloc whose spells overlap the window (an upper bound of its size at once),
# and the blocs a state belonged to in the window.
_SIZES = """SELECT bloc, count(DISTINCT iso3) FROM bloc_memberships
            WHERE status = 'member' AND joined <= $end AND coalesce("left", DATE '9999-12-31') >= $start
            GROUP BY bloc"""
_OWN = """SELECT DISTINCT bloc FROM bloc_memberships
          WHERE iso3 = $iso3 AND status = 'member' AND joined <= $end
            AND coalesce("left", DATE '9999-12-31') >= $start ORDER BY bloc"""


def resolve(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    key: str,
    *,
    topic: str | None = None,
    start_year: int | None = spec_module.DEFAULT_START_YEAR,
    end_year: int | None = None,
    partners: Sequence[str] | None = None,
    blocs: Sequence[str] | None = None,
) -> ReportSpec:
    """The spec of a country report (``key`` an ISO3 code) or a bloc report (a bloc id).

    ``partners``: the states compared with (default: the United States, Russia and China), at
    most MAX_PARTNERS and never the state itself; ``blocs``: the blocs compared with (default:
    a state's own blocs in the window and the EU; for a bloc, the EU). Unknown codes are errors
    naming them."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    start, end = _window(start_year, end_year)
    params = {"start": start, "end": end}
    sizes = {b: int(n) for b, n in con.sql(_SIZES, params=params).fetchall()}
    if kind == "country":
        (key,) = analyses.check_countries(con, [key])
        table, column = "countries", "iso3"
        own = [b for (b,) in con.sql(_OWN, params={**params, "iso3": key}).fetchall()]
        # The small blocs first: the key vote is about the first bloc.
        own.sort(key=lambda b: (sizes.get(b, 0) > MAX_BLOC_COLUMNS, b))
    else:
        key = analyses.check_bloc(con, key)
        table, column = "blocs", "bloc"
        if not sizes.get(key):
            raise errors.bloc_without_members(key)
        own = [key]
    # The default powers leave out the subject itself (USA's report compares with RUS, CHN);
    # a subject named in --partners is a mistake to say.
    chosen_partners = _in_order(con, partners) if partners else POWERS
    if partners and kind == "country" and key in chosen_partners:
        raise errors.partner_is_subject(key)
    (name,) = con.sql(
        f"SELECT name FROM {table} WHERE {column} = $key", params={"key": key}
    ).fetchall()[0]
    if kind == "country":  # the name as people write it: "Netherlands", not its UN form
        name = short_names({key: name})[key]
    chosen_blocs = (
        [analyses.check_bloc(con, b) for b in blocs] if blocs is not None else [*own, "eu"]
    )
    if kind == "bloc":
        chosen_blocs = [key, *chosen_blocs]
    return spec_module.subject(
        kind,
        key,
        name=name,
        topic=topic,
        start_year=start_year,
        end_year=end_year,
        partners=chosen_partners,
        blocs=tuple(b for b in dict.fromkeys(chosen_blocs) if sizes.get(b)),
        small=frozenset(b for b, n in sizes.items() if n <= MAX_BLOC_COLUMNS),
        ideal_bloc=frozenset(b for b, n in sizes.items() if n <= MAX_IDEAL_MEMBERS),
    )


def _in_order(con: duckdb.DuckDBPyConnection, codes: Sequence[str]) -> tuple[str, ...]:
    """The ISO3 codes checked, upper-cased, in the order given (it sets their colours).

    At most MAX_PARTNERS: each partner is a line of its own colour in the charts, a column of
    the vote matrix and a clause of the summary, and its agreement intervals are bootstrapped
    pair by pair; past a handful they are unreadable and slow (300 took 141 s and 32 MB). The
    world map and the table of every state already compare the subject with every state."""
    chosen = tuple(dict.fromkeys(c.strip().upper() for c in codes if c.strip()))
    if len(chosen) > MAX_PARTNERS:
        raise errors.too_many_partners(len(chosen), MAX_PARTNERS)
    analyses.check_countries(con, chosen)
    return chosen


def resolve_country(con: duckdb.DuckDBPyConnection, iso3: str, **options: Any) -> ReportSpec:
    """:func:`resolve` for a state."""
    return resolve(con, "country", iso3, **options)


def resolve_bloc(con: duckdb.DuckDBPyConnection, bloc: str, **options: Any) -> ReportSpec:
    """:func:`resolve` for a bloc."""
    return resolve(con, "bloc", bloc, **options)
