"""What a report reads from the store, once: the roll calls and votes of its window, the
topic's roll calls, bloc memberships and names; and the bloc majorities as pseudo-states.

Nothing here writes: the store is opened read-only by the caller. Vote codes are the store's:
Y yes, A abstain, N no, X present or absent without a vote. A bloc's *majority* on a roll call
is the plurality among its members on that day (status ``member`` in ``bloc_memberships``) who
voted Y, A or N; a tie between two votes, or no member voting, gives no majority vote (X). It
stands in the matrix and the metrics as one pseudo-state, e.g. "EU majority".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl

from alignment import analyses
from alignment import blocs as blocs_module
from alignment import cohesion as cohesion_module
from alignment.reports import errors
from alignment.reports.names import majority_name, short_names
from alignment.reports.spec import ReportSpec, is_majority, majority_key
from alignment.titles import readable_titles
from alignment.vocabulary import VOTE_CODES


@dataclass
class Inputs:
    """What the report reads from the store, once."""

    roll_calls: pl.DataFrame  # every roll call in the window
    votes: pl.DataFrame  # every vote on them (roll_call_id, iso3, vote)
    topic_ids: list[int]  # roll calls of the topic in the window (all when no topic)
    memberships: pl.DataFrame  # bloc_memberships
    on_date: pl.DataFrame  # roll_call_id, date, bloc, iso3, status (members only)
    names: dict[str, str]  # iso3 -> short name, and majority keys -> label
    blocs: pl.DataFrame

    @property
    def topic_roll_calls(self) -> pl.DataFrame:
        """The report's roll calls: the topic's in the window (all of them without a topic)."""
        return self.roll_calls.filter(pl.col("roll_call_id").is_in(self.topic_ids))


def load_inputs(con: duckdb.DuckDBPyConnection, spec: ReportSpec) -> Inputs:
    """Read the window; a state that cast no vote on the report's roll calls is an error
    naming the years it did vote in (a seat that ended, a state not yet founded, an
    observer)."""
    params: dict[str, Any] = {
        "start": spec.start or dt.date(1900, 1, 1),
        "end": spec.end or dt.date(9999, 12, 31),
    }
    roll_calls = con.sql(
        """SELECT roll_call_id, symbol, date, session, title, kind, important, yes, no, abstain,
                  non_voting, rcid, undl_id
           FROM roll_calls WHERE date BETWEEN $start AND $end ORDER BY date, roll_call_id""",
        params=params,
    ).pl()
    if roll_calls.is_empty():
        raise errors.no_roll_calls()
    # A meeting record is no title: the text's own title stands for it (null when none is known).
    roll_calls = roll_calls.with_columns(readable_titles(roll_calls))
    votes = con.sql(
        """SELECT v.roll_call_id, v.iso3, v.vote FROM votes v JOIN roll_calls r USING (roll_call_id)
           WHERE r.date BETWEEN $start AND $end""",
        params=params,
    ).pl()
    if spec.topic:
        topic_ids = analyses.topic_roll_calls(con, spec.topic, params["start"], params["end"])
        if not topic_ids:
            raise errors.no_topic_roll_calls(spec.topic)
    else:
        topic_ids = roll_calls["roll_call_id"].to_list()
    if not is_majority(spec.focus):
        _check_focus_voted(con, spec, votes, topic_ids)
    memberships = con.sql('SELECT bloc, iso3, joined, "left", status FROM bloc_memberships').pl()
    on_date = blocs_module.membership_on_dates(
        memberships, roll_calls.select("roll_call_id", "date"), statuses=("member",)
    )
    countries = con.sql("SELECT iso3, name FROM countries").pl()
    names = short_names(dict(countries.iter_rows()))
    bloc_rows = con.sql("SELECT bloc, name, source FROM blocs ORDER BY bloc").pl()
    for b in bloc_rows["bloc"]:
        names[majority_key(b)] = majority_name(b)
    return Inputs(roll_calls, votes, sorted(topic_ids), memberships, on_date, names, bloc_rows)


def _check_focus_voted(
    con: duckdb.DuckDBPyConnection, spec: ReportSpec, votes: pl.DataFrame, ids: list[int]
) -> None:
    cast = votes.filter(
        pl.col("iso3") == spec.focus,
        pl.col("vote").is_in(list(VOTE_CODES)),
        pl.col("roll_call_id").is_in(ids),
    )
    if cast.height:
        return
    named = con.sql(
        "SELECT name, note FROM countries WHERE iso3 = $iso3", params={"iso3": spec.focus}
    ).fetchall()
    name, note = named[0] if named else (spec.focus, None)
    ((first, last),) = con.sql(
        """SELECT min(r.date), max(r.date) FROM votes v JOIN roll_calls r USING (roll_call_id)
           WHERE v.iso3 = $iso3 AND v.vote IN ('Y', 'A', 'N')""",
        params={"iso3": spec.focus},
    ).fetchall()
    if first is None:
        raise errors.never_voted(spec.focus, name, note)
    raise errors.no_votes_in_window(
        spec.focus, name, spec.start_year, spec.end_year, spec.topic, (first, last)
    )


def majority_votes(votes: pl.DataFrame, on_date: pl.DataFrame, bloc: str) -> pl.DataFrame:
    """The bloc's majority (:func:`alignment.cohesion.bloc_majority_votes`) as a pseudo-state:
    roll_call_id, iso3 (= majority_key), vote, and the members' yes / no / abstain / no-vote
    counts. One row per roll call on which the bloc had members."""
    maj = cohesion_module.bloc_majority_votes(votes, on_date.filter(pl.col("bloc") == bloc))
    return maj.select(
        "roll_call_id",
        pl.lit(majority_key(bloc)).alias("iso3"),
        "vote",
        "n_yes",
        "n_no",
        "n_abstain",
        "n_none",
    )


def augmented_votes(inputs: Inputs, blocs: Sequence[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(votes with the majority pseudo-states appended, the majorities with their counts)."""
    majorities = [majority_votes(inputs.votes, inputs.on_date, b) for b in dict.fromkeys(blocs)]
    if not majorities:
        empty = pl.DataFrame(
            schema={"roll_call_id": pl.Int64, "iso3": pl.String, "vote": pl.String}
        )
        return inputs.votes, empty
    maj = pl.concat(majorities)
    votes = pl.concat([inputs.votes, maj.select(inputs.votes.columns)])
    return votes, maj
