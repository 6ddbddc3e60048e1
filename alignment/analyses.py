"""Analyses of a store: the rows each one needs, selected from the store's tables and handed
as frames to the module that computes (``alignment.metrics``, ``alignment.ideal_points``).

This is the layer that knows table names; the computing modules take frames and know none.
Names a user gives (a state, a topic, a bloc) are checked here against the store, and an unknown
one is an :class:`~alignment.errors.UnknownName` listing the known ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

import duckdb
import polars as pl

from alignment import metrics
from alignment.errors import UnknownName, UsageError
from alignment.symbols import SERIES_ORDER_SQL
from alignment.vocabulary import METRICS, PERIOD_TYPES

if TYPE_CHECKING:
    from alignment.ideal_points import Posterior
    from alignment.mcmc import McmcRun


# --------------------------------------------------------------------------- names


def check_countries(con: duckdb.DuckDBPyConnection, countries: Sequence[str]) -> list[str]:
    """The ISO3 codes given, upper-cased, sorted and checked against ``countries``."""
    known = con.sql("SELECT iso3 FROM countries ORDER BY iso3").pl()["iso3"].to_list()
    wanted = [c.strip().upper() for c in countries if c.strip()]
    unknown = [c for c in wanted if c not in set(known)]
    if unknown:
        raise UnknownName(
            "country code",
            ", ".join(unknown),
            known,
            "ISO3 codes of the countries table; `alignment queries run find_country -p name=...`",
        )
    if not wanted:
        raise UsageError("no country code given")
    return sorted(set(wanted))


def check_bloc(con: duckdb.DuckDBPyConnection, bloc: str) -> str:
    """A bloc id of the ``blocs`` table (case-insensitive)."""
    known = con.sql("SELECT bloc FROM blocs ORDER BY bloc").pl()["bloc"].to_list()
    if bloc.lower() not in known:
        raise UnknownName("bloc", bloc, known)
    return bloc.lower()


MENTIONS = "+mentions"  # topic suffix: also the roll calls that only mention the topic


def known_topics(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Voeten's issue codes and the named topics (the UN Digital Library's subjects are
    topics too, but too many to list)."""
    return (
        con.sql(
            "SELECT topic FROM roll_call_topics WHERE scheme IN ('voeten', 'named') "
            "GROUP BY topic ORDER BY topic"
        )
        .pl()["topic"]
        .to_list()
    )


def parse_topic(text: str) -> tuple[str, bool]:
    """(topic, with mentions) of a topic as users write it: ``ukraine`` means the roll calls
    about Ukraine (strength primary); ``ukraine+mentions`` adds those that only mention it.
    The one rule for --topic, reports and :func:`topic_roll_calls`."""
    name = text.strip()
    if name.lower().endswith(MENTIONS):
        return name[: -len(MENTIONS)].strip(), True
    return name, False


def topic_roll_calls(
    con: duckdb.DuckDBPyConnection,
    topic: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[int]:
    """The roll calls of a topic (:func:`parse_topic`: primary ones, or with ``+mentions``
    those that only mention it too), within ``start`` and ``end`` when given (may be none);
    UnknownName when no roll call of the store carries it."""
    name, mentions = parse_topic(topic)
    exists = con.sql(
        "SELECT count(*) FROM roll_call_topics WHERE topic = $topic", params={"topic": name}
    ).fetchall()[0][0]
    if not exists:
        raise UnknownName(
            "topic",
            topic,
            known_topics(con),
            f"or a UN Digital Library subject heading; add {MENTIONS} for the roll calls that "
            "only mention a topic",
        )
    return (
        con.sql(
            """SELECT roll_call_id FROM roll_calls
               WHERE date BETWEEN $start AND $end
                 AND (roll_call_id IN (SELECT roll_call_id FROM topic_roll_calls($topic))
                      OR $mentions AND roll_call_id IN (SELECT roll_call_id FROM roll_call_topics
                                                         WHERE topic = $topic))
               ORDER BY 1""",
            params={
                "topic": name,
                "mentions": mentions,
                "start": start or dt.date(1, 1, 1),
                "end": end or dt.date(9999, 12, 31),
            },
        )
        .pl()["roll_call_id"]
        .to_list()
    )


def explain_topics(
    con: duckdb.DuckDBPyConnection, symbol: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Why the roll calls of a symbol carry each topic: (verdicts, evidence). Verdicts: one
    row per roll call and topic (roll_call_topics with the roll call's date, kind and
    title); evidence: every rule or list entry that matched a named topic, with the text it
    matched. UnknownName when no roll call has the symbol."""
    calls = con.sql(
        "SELECT roll_call_id, symbol, date, kind, title FROM roll_calls "
        "WHERE symbol = $symbol ORDER BY date, roll_call_id",
        params={"symbol": symbol.strip()},
    ).pl()
    if calls.is_empty():
        near = (
            con.sql(
                "SELECT DISTINCT symbol FROM roll_calls WHERE symbol ILIKE $like ORDER BY 1 LIMIT 10",
                params={"like": symbol.strip().split(" ")[0] + "%"},
            )
            .pl()["symbol"]
            .to_list()
        )
        raise UnknownName(
            "symbol", symbol, near, "symbols as in roll_calls.symbol, e.g. A/RES/66/253"
        )
    ids = calls["roll_call_id"].to_list()
    verdicts = con.sql(
        """SELECT t.roll_call_id, t.topic, t.scheme, t.strength, t.basis, t.rule
           FROM roll_call_topics t WHERE list_contains($ids, t.roll_call_id)
           ORDER BY t.roll_call_id, t.scheme DESC, t.strength DESC, t.topic""",
        params={"ids": ids},
    ).pl()
    evidence = con.sql(
        """SELECT roll_call_id, topic, strength, basis, rule, matched, note
           FROM topic_evidence WHERE list_contains($ids, roll_call_id)
           ORDER BY roll_call_id, topic, strength DESC, basis, rule""",
        params={"ids": ids},
    ).pl()
    return calls.join(verdicts, on="roll_call_id", how="left"), evidence


# --------------------------------------------------------------------------- coverage

# An emergency special session can be resumed years after its last meeting (ES-10: 1997 to
# 2024); one with a record this many years before a window may have met in it.
RESUMED_WITHIN_YEARS = 10


def as_day(value: dt.date | str | int | None, *, end: bool = False) -> dt.date | None:
    """A day from what a user writes: a date, ``YYYY-MM-DD``, or a year (its first day, or its
    last with ``end``); None stays None. Anything else is a :class:`UsageError`."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    text = str(value).strip()
    try:
        if text.isdigit() and len(text) == 4:
            return dt.date(int(text), 12, 31) if end else dt.date(int(text), 1, 1)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{value!r} is not a date (YYYY-MM-DD) or a year (YYYY)") from None


def read_coverage(
    con: duckdb.DuckDBPyConnection,
    start: dt.date | str | int | None = None,
    end: dt.date | str | int | None = None,
    *,
    source: str = "store",
) -> pl.DataFrame:
    """The ``coverage`` rows of the series a window touches (all when no window): those with
    a record in it, and the emergency special sessions with a record in the ten years before
    it, which may have been resumed in it. ``source``: ``store`` (all sources
    reconciled) or one source; ``all`` for every row. Dates may be given as text or years
    (:func:`as_day`)."""
    first = as_day(start) or dt.date(1, 1, 1)
    last = as_day(end, end=True) or dt.date(9999, 12, 31)
    return con.sql(
        """SELECT * FROM coverage
           WHERE ($source = 'all' OR source = $source)
             AND coalesce(first_vote, last_record) <= $last
             AND (last_record >= $first
                  OR (series_kind = 'emergency special'
                      AND last_record >= $first - to_years($within)))
           ORDER BY """
        + SERIES_ORDER_SQL
        + ", series_number, source",
        params={"source": source, "first": first, "last": last, "within": RESUMED_WITHIN_YEARS},
    ).pl()


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def _series_name(row: dict) -> str:
    if row["series_kind"] == "regular":
        return f"session {row['series']}"
    return f"{row['series']} ({row['series_kind']} session)"


def coverage_notes(
    rows: pl.DataFrame, end: dt.date | str | int | None = None, *, gaps: bool = True
) -> list[str]:
    """Sentences on what the store lacks within a window ending at ``end`` (None: the last
    record), from :func:`read_coverage` rows of the store: an emergency special session whose
    records stop before the window ends while the store runs on (it may have been resumed),
    and resolution numbers with no recorded vote that no source lists as adopted without a
    vote, where the sources list every other decision of the series (left out with
    ``gaps=False``: what a chart over time needs is where records stop). Empty when nothing is
    missing."""
    end = as_day(end, end=True)
    store = rows.filter(pl.col("source") == "store")
    if store.is_empty():
        return []
    latest = cast(dt.date, store["last_record"].max())
    until = min(end, latest) if end is not None else latest
    notes = []
    for row in store.iter_rows(named=True):
        name = _series_name(row)
        if row["series_kind"] == "emergency special" and row["last_record"] < until:
            notes.append(
                f"{name}: the sources here hold its records only through "
                f"{_day(row['last_record'])}; later votes of it, if any, are in none of them."
            )
        missing = row["numbering_gaps"] if gaps and row["without_vote"] is not None else None
        if missing:
            through = row["complete_through"]
            complete = (
                f"complete through {_day(through)}" if through is not None
                else "incomplete from its first resolution"
            )  # fmt: skip
            plural = "" if missing == 1 else "s"
            notes.append(
                f"{name[0].upper()}{name[1:]}: {missing} resolution number{plural} "
                f"({row['gaps']}) with no recorded vote here and not listed as adopted "
                f"without a vote; {complete}."
            )
    if end is not None and latest < end:
        notes.append(f"The store's last record is of {_day(latest)}.")
    return notes


# --------------------------------------------------------------------------- sources differ


def differences(con: duckdb.DuckDBPyConnection, roll_call_ids: Sequence[int]) -> pl.DataFrame:
    """The rows of the view ``source_differences`` (the votes on which the sources differ and
    the tallies the rows do not match) among ``roll_call_ids``: kind ('vote' or 'tally'),
    roll_call_id, symbol, date, iso3 (votes), kept, other, finding (tallies)."""
    return con.sql(
        """SELECT * FROM source_differences WHERE list_contains($ids, roll_call_id)
           ORDER BY date, roll_call_id, kind DESC, iso3""",
        params={"ids": list(roll_call_ids)},
    ).pl()


def differences_sentence(rows: pl.DataFrame) -> str | None:
    """``the sources differ on N votes shown here`` (with the roll calls, and the tallies the
    rows do not match), from :func:`differences`; None when they agree throughout."""
    votes = rows.filter(pl.col("kind") == "vote")
    tallies = rows.filter(pl.col("kind") == "tally")
    parts = []
    if votes.height:
        calls = votes["roll_call_id"].n_unique()
        parts.append(
            f"the sources differ on {votes.height} vote{'' if votes.height == 1 else 's'} "
            f"shown here, on {calls} roll call{'' if calls == 1 else 's'} (the official "
            "record's vote is shown; vote_disagreements lists them)"
        )
    if tallies.height:
        calls = tallies["roll_call_id"].n_unique()
        parts.append(
            f"on {calls} roll call{'' if calls == 1 else 's'} shown here a source's rows do "
            "not add up to a published tally (tally_checks)"
        )
    if not parts:
        return None
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


# --------------------------------------------------------------------------- agreement


def _has_agreement_table(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.sql(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = 'agreement_scores' "
        "AND database_name = current_database()"
    ).fetchall()[0][0]
    return bool(found)


def _year_window(by: str, start: dt.date | None, end: dt.date | None) -> tuple[int, int] | None:
    """The stored years a date window covers exactly (by year, from a 1 January to a 31
    December, either end open), or None when the window cuts a period."""
    if by != "year":
        return None
    if start is not None and (start.month, start.day) != (1, 1):
        return None
    if end is not None and (end.month, end.day) != (12, 31):
        return None
    return (start.year if start else -(10**9), end.year if end else 10**9)


def scores(
    con: duckdb.DuckDBPyConnection,
    *,
    metric: str = "agree",
    by: Literal["session", "year"] = "session",
    countries: Sequence[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    topic: str | None = None,
    important_only: bool = False,
    include_amendments: bool = True,
    drop_unanimous: bool = True,
    lopsided_threshold: float | None = None,
    bootstrap: int = 0,
    seed: int = 0,
    min_n: int = 0,
    top: int | None = None,
) -> pl.DataFrame:
    """One metric for pairs of the store per session or year (``alignment metrics``).

    Columns iso3_a, iso3_b, period, metric, value, n (and lower, upper with ``bootstrap``).
    ``countries`` as in ``dyadic_scores``: several give the pairs among them (iso3_a <
    iso3_b); one gives that state against every other, always as iso3_a (every metric is
    symmetric); None gives every pair. ``min_n`` drops pairs with fewer common roll calls;
    ``top`` keeps the ``top`` highest values of each period (or the ``-top`` lowest when
    negative, undefined values not ranked: ``metrics.top_rows``). Sorted by period, then by
    value with ``top``, else by iso3_a, iso3_b.

    With Voeten's defaults the rows come from the store's views (``agreement_pairs``), and so
    do windows of whole calendar years by year; any other filter computes them. Raises
    UnknownName for an unknown metric, country code or topic.
    """
    if metric not in METRICS:
        raise UnknownName("metric", metric, METRICS)
    if by not in PERIOD_TYPES:
        raise UnknownName("period type", by, PERIOD_TYPES)
    if top == 0:
        raise UsageError("top takes a count of rows: K for the highest, -K for the lowest, not 0")
    focus = None if countries is None else check_countries(con, countries)
    years = _year_window(by, start, end)
    stored = (
        (years is not None or (start is None and end is None))
        and topic is None
        and not important_only
        and include_amendments
        and drop_unanimous
        and lopsided_threshold is None
        and bootstrap == 0
        and _has_agreement_table(con)
    )
    if stored:
        frame = _stored_scores(con, metric, by, focus, years, min_n)
    else:
        ids = None if topic is None else topic_roll_calls(con, topic)
        votes = con.sql("SELECT roll_call_id, iso3, vote FROM votes").pl()
        roll_calls = con.sql(
            "SELECT roll_call_id, date, session, kind, important FROM roll_calls"
        ).pl()
        frame = metrics.dyadic_scores(
            votes,
            roll_calls,
            by=by,
            metrics=[metric],
            countries=focus,
            drop_unanimous=drop_unanimous,
            lopsided_threshold=lopsided_threshold,
            include_amendments=include_amendments,
            important_only=important_only,
            roll_call_ids=ids,
            start=start,
            end=end,
            bootstrap=bootstrap,
            seed=seed,
        ).filter(pl.col("n") >= min_n)
        if focus is not None and len(focus) == 1:
            frame = metrics.orient(frame, focus[0]).sort(
                "period", "iso3_a", "iso3_b", nulls_last=True
            )
    if top is not None:
        frame = metrics.top_rows(frame, top, within=["period"])
    return frame


def _stored_scores(
    con: duckdb.DuckDBPyConnection,
    metric: str,
    by: str,
    focus: list[str] | None,
    years: tuple[int, int] | None,
    min_n: int,
) -> pl.DataFrame:
    """``scores`` read from ``agreement_pairs`` (one state: its rows as iso3_a) or
    ``agreement_scores`` (pairs once, iso3_a < iso3_b)."""
    view = "agreement_scores"
    where = ["period_type = $by", "n >= $min_n"]
    params: dict[str, object] = {"by": by, "min_n": min_n}
    if focus is not None and len(focus) == 1:
        view = "agreement_pairs"
        where.append("iso3_a = $one")
        params["one"] = focus[0]
    elif focus is not None:
        where.append("list_contains($focus, iso3_a) AND list_contains($focus, iso3_b)")
        params["focus"] = focus
    if years is not None:
        where.append("period BETWEEN $first AND $last")
        params.update(first=years[0], last=years[1])
    # metric is one of METRICS (checked by the caller): a column name, never user text.
    return con.sql(
        f"SELECT iso3_a, iso3_b, CAST(period AS BIGINT) AS period, '{metric}' AS metric, "
        f"{metric} AS value, CAST(n AS BIGINT) AS n FROM {view} "
        f"WHERE {' AND '.join(where)} ORDER BY period NULLS LAST, iso3_a, iso3_b",
        params=params,
    ).pl()


# --------------------------------------------------------------------------- movers

YearSpan = int | tuple[int, int]


def _label(window: tuple[dt.date, dt.date]) -> str:
    first, last = window[0].year, window[1].year
    return str(first) if first == last else f"{first}-{last}"


def _span(years: YearSpan) -> tuple[dt.date, dt.date]:
    first, last = (years, years) if isinstance(years, int) else years
    if first > last:
        raise UsageError(f"the years {first}-{last} run backwards: write the earlier year first")
    return dt.date(first, 1, 1), dt.date(last, 12, 31)


def movers(
    con: duckdb.DuckDBPyConnection,
    toward: str,
    first: YearSpan,
    second: YearSpan,
    *,
    metric: str = "agree",
    min_n: int = 0,
    top: int | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
) -> pl.DataFrame:
    """How every state's agreement with ``toward`` changed between two periods (``alignment
    movers``).

    A period is a calendar year (2021) or a span of years, first and last included ((2019,
    2020)); its roll calls form one pool, with Voeten's defaults (unanimous roll calls
    dropped, every kind of vote kept), so a one-year period gives the agreement_pairs value of
    that year. Columns iso3, name, value_from, n_from, value_to, n_to, change (value_to -
    value_from) and lower / upper, its 95% bootstrap interval from ``bootstrap`` resamples of
    the roll calls of each period (``metrics.score_change``). ``min_n`` drops states with
    fewer common roll calls in either period; ``top`` keeps the ``top`` largest changes (the
    ``-top`` largest falls when negative). Sorted by change, largest first (smallest first
    with a negative ``top``).
    """
    if metric not in METRICS:
        raise UnknownName("metric", metric, METRICS)
    if top == 0:
        raise UsageError("top takes a count of rows: K for the largest, -K for the smallest, not 0")
    (target,) = check_countries(con, [toward])
    windows = [_span(first), _span(second)]
    (a, b), (c, d) = windows
    if a <= d and c <= b:
        raise UsageError(
            f"the periods {_label(windows[0])} and {_label(windows[1])} overlap: a change is "
            "measured between two separate periods"
        )
    roll_calls = con.sql(
        """SELECT roll_call_id, date, session, kind, important FROM roll_calls
           WHERE date BETWEEN $a AND $b OR date BETWEEN $c AND $d""",
        params={"a": a, "b": b, "c": c, "d": d},
    ).pl()
    for start, end in windows:
        if roll_calls.filter(pl.col("date").is_between(start, end)).is_empty():
            first, last = con.sql("SELECT min(date), max(date) FROM roll_calls").fetchall()[0]
            raise UsageError(
                f"no roll call in {_label((start, end))}: the store holds votes from {first} "
                f"to {last}"
            )
    votes = con.sql(
        """SELECT v.roll_call_id, v.iso3, v.vote FROM votes v JOIN roll_calls r USING (roll_call_id)
           WHERE r.date BETWEEN $a AND $b OR r.date BETWEEN $c AND $d""",
        params={"a": a, "b": b, "c": c, "d": d},
    ).pl()
    change = metrics.score_change(
        votes, roll_calls, target=target, first=windows[0], second=windows[1], metric=metric,
        bootstrap=bootstrap, seed=seed,
    ).filter((pl.col("n_from") >= min_n) & (pl.col("n_to") >= min_n))  # fmt: skip
    if top is not None:
        change = metrics.top_rows(change, top, value="change")
    names = con.sql("SELECT iso3, name FROM countries").pl()
    return change.join(names, on="iso3", how="left", maintain_order="left").select(
        "iso3", "name", *[c for c in change.columns if c != "iso3"]
    )


# --------------------------------------------------------------------------- ideal points


def ideal_point_frames(
    con: duckdb.DuckDBPyConnection, topic: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(votes, roll_calls, matches) for the estimator, roll calls restricted to ``topic``."""
    roll_calls = con.sql("SELECT roll_call_id, rcid, session, date, kind FROM roll_calls").pl()
    if topic is not None:
        ids = pl.DataFrame(
            {"roll_call_id": topic_roll_calls(con, topic)}, schema={"roll_call_id": pl.Int64}
        )
        roll_calls = roll_calls.join(ids, on="roll_call_id", how="semi")
    votes = con.sql("SELECT roll_call_id, iso3, vote FROM votes").pl()
    matches = con.sql("SELECT rcid1, rcid2 FROM voeten_matches").pl()
    return votes, roll_calls, matches


def _ideal_point_options(
    con: duckdb.DuckDBPyConnection,
    topic: str | None,
    from_session: int | None,
    to_session: int | None,
    options: dict[str, Any],
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    votes, roll_calls, matches = ideal_point_frames(con, topic)
    options = {"matches": matches, **options}
    if from_session is not None or to_session is not None:
        first = from_session if from_session is not None else -(10**9)
        last = to_session if to_session is not None else 10**9
        options["sessions"] = (first, last)
        held = roll_calls.filter(pl.col("session").is_between(first, last))
        if held.is_empty():
            span = roll_calls.select(
                pl.col("session").min().alias("first"), pl.col("session").max().alias("last")
            ).row(0)
            asked = f"{from_session or span[0]} to {to_session or span[1]}"
            raise UsageError(
                f"no roll call in the sessions asked ({asked}"
                f"{f', topic {topic!r}' if topic else ''}): the store holds sessions {span[0]} "
                f"to {span[1]}"
            )
    return votes, roll_calls, options


def ideal_points(
    con: duckdb.DuckDBPyConnection,
    topic: str | None = None,
    from_session: int | None = None,
    to_session: int | None = None,
    **options: Any,
) -> pl.DataFrame:
    """Dynamic ideal points from the store: one row per state and period with votes in the
    model (``alignment.ideal_points.SUMMARY_SCHEMA``: period, method, ideal_point, se, 90%
    interval, n_votes and the method's diagnostics); ``by="year"`` and
    ``vote_set="final-passage"`` choose the series, ``method`` ("em", the default, or "mcmc")
    the estimator.

    Reads ``votes``, ``roll_calls`` and Voeten's bridging pairs ``voeten_matches``; ``topic``
    (a ``roll_call_topics.topic``: ``hr``, ``me``, ``syria`` ...) keeps that topic's roll calls
    only; ``from_session``/``to_session`` bound the sessions. Other ``options`` (``interval``,
    data rules, ``bootstrap``, ``prior``, ``step_sd`` and ``intercept_sd`` for EM, ``priors``, ``burn_in``,
    ``draws``, ``chains``, ``seed`` for the sampler) are those of
    :func:`alignment.ideal_points.estimate_ideal_points`.
    """
    from alignment.ideal_points import estimate_ideal_points

    votes, roll_calls, options = _ideal_point_options(con, topic, from_session, to_session, options)
    return estimate_ideal_points(votes, roll_calls, **options)


def ideal_points_mcmc(
    con: duckdb.DuckDBPyConnection,
    topic: str | None = None,
    from_session: int | None = None,
    to_session: int | None = None,
    **options: Any,
) -> McmcRun:
    """The sampler run to the publication standard on the store's votes
    (:func:`alignment.mcmc.run_to_standard`; ``topic`` and sessions as :func:`ideal_points`);
    ``options`` are those of ``run_to_standard`` (``initial_positions``, ``max_minutes``,
    ``checkpoint``...)."""
    from alignment.mcmc import run_to_standard

    votes, roll_calls, options = _ideal_point_options(con, topic, from_session, to_session, options)
    return run_to_standard(votes, roll_calls, **options)


def ideal_point_posterior(
    con: duckdb.DuckDBPyConnection,
    topic: str | None = None,
    from_session: int | None = None,
    to_session: int | None = None,
    **options: Any,
) -> Posterior:
    """The draws behind :func:`ideal_points`, for convergence checks (``.rhat``,
    ``.convergence()``) or other summaries (``.summary(interval)``)."""
    from alignment.ideal_points import sample_posterior

    votes, roll_calls, options = _ideal_point_options(con, topic, from_session, to_session, options)
    return sample_posterior(votes, roll_calls, **options)
