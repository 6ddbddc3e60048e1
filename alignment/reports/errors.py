"""Why a report cannot be built: one kind, :class:`ReportError`, a usage mistake of
:mod:`alignment.errors` (exit 2), with the one-line messages of each case.

Every case is a choice of state, bloc, topic, years or partners that gives nothing to compare:
the message names the value and says what to choose instead.
"""

from __future__ import annotations

import datetime as dt

from alignment.errors import UsageError


class ReportError(UsageError):
    """The report cannot be built from the choices given (exit 2, as every usage mistake)."""


def _years(start_year: int | None, end_year: int | None) -> str:
    first = "the first vote" if start_year is None else str(start_year)
    last = "the latest vote" if end_year is None else str(end_year)
    return f"from {first} to {last}"


def window_reversed(start_year: int, end_year: int) -> ReportError:
    return ReportError(f"--to {end_year} is before --from {start_year}")


def no_roll_calls() -> ReportError:
    return ReportError("the store has no roll calls in the chosen years")


def no_topic_roll_calls(topic: str) -> ReportError:
    return ReportError(f"no roll call of topic {topic!r} in the chosen years")


def bloc_without_members(bloc: str) -> ReportError:
    return ReportError(f"bloc {bloc!r} had no members in the chosen years")


def never_voted(iso3: str, name: str, note: str | None) -> ReportError:
    """A state with no recorded vote at all: an observer (the State of Palestine, the Holy
    See) or a code the sources never use."""
    why = f" ({note})" if note else ""
    return ReportError(
        f"{name} ({iso3}) cast no recorded vote in the store{why}: a report compares the votes "
        "a state cast; choose a member state"
    )


def no_votes_in_window(
    iso3: str,
    name: str,
    start_year: int | None,
    end_year: int | None,
    topic: str | None,
    span: tuple[dt.date, dt.date],
) -> ReportError:
    """A state whose recorded votes all fall outside the window (a seat that ended, a state
    not yet founded), or that cast none on the topic there."""
    first, last = span
    on = f" on topic {topic!r}" if topic else ""
    return ReportError(
        f"{name} ({iso3}) cast no recorded vote{on} {_years(start_year, end_year)}; its recorded "
        f"votes run from {first.year} to {last.year}: choose years in that span "
        f"(--from {first.year} --to {last.year})"
    )


def partner_is_subject(iso3: str) -> ReportError:
    return ReportError(
        f"--partners names {iso3}, the report's own state: name the states to compare it with"
    )


def too_many_partners(n: int, limit: int) -> ReportError:
    return ReportError(
        f"--partners names {n} states; a report compares with at most {limit}, each in a colour "
        "of its own (the world map and the table of every state compare with all states)"
    )
