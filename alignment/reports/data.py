"""The numbers behind a report, computed from the store with the library's public functions.

Nothing here writes: the store is opened read-only by the caller. Each part is a polars frame
or a plain dict, so tests can check them against SQL without parsing HTML.

Definitions used throughout (also stated on the page):

- Vote codes are the store's: Y yes, A abstain, N no, X present or absent without a vote.
- A bloc's *majority* on a roll call is the plurality among its members on that day (status
  ``member`` in ``bloc_memberships``) who voted Y, A or N; a tie between two votes, or no
  member voting, gives no majority vote (X). It stands in the matrix and the metrics as one
  pseudo-state, e.g. "EU members' majority".
- Agreement is :func:`alignment.metrics.dyadic_scores` per session: ``agree`` (1 - |x - y|/2),
  ``s_abs`` (Signorino and Ritter's S) and ``kappa_abs`` (Cohen's kappa, Häge), over the roll
  calls where both voted Y/A/N, dropping roll calls on which every voting state voted alike;
  intervals are percentile bootstraps of those roll calls.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import itertools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from alignment import analyses, clusters, metrics, resources
from alignment import blocs as blocs_module
from alignment import cohesion as cohesion_module
from alignment.changes import change_point
from alignment.convergence import Convergence, check_convergence
from alignment.errors import AlignmentError
from alignment.ideal_points import SUMMARY_SCHEMA
from alignment.reports.spec import (
    MAJORITY_PREFIX,
    ReportSpec,
    is_majority,
    majority_key,
)
from alignment.sessions import regular_session
from alignment.vocabulary import VOTE_CODES, ideal_points_meta_prefix

log = logging.getLogger("alignment.reports")

METRICS = ("agree", "s_abs", "kappa_abs")
METRIC_LABELS = {
    "agree": "Agreement index (1 − |x − y| / 2)",
    "s_abs": "Signorino–Ritter S",
    "kappa_abs": "Cohen's kappa (Häge)",
}
VOTE_WORDS = {"Y": "yes", "N": "no", "A": "abstain", "X": "no vote"}
BOOTSTRAP = 200
# A point resting on fewer votes is drawn hollow without its band; the world map and the summary
# leave such pairs out.
MIN_VOTES = 5
MAX_MATRIX_ROLL_CALLS = 150  # rows the vote matrix chart draws; the CSV holds every one
MAX_MATRIX_CELLS = 2_400
CHANGE_THRESHOLD = 0.10  # a session-to-session move in agreement that counts as a change
SHORT_BLOC_NAMES = {
    "customs_union": "Customs Union",
    "union_state": "Union State",
    "arab_league": "Arab League",
}


class ReportError(AlignmentError):
    """The report cannot be built (unknown state, bloc or topic, or no votes)."""


# Blocs named without an article ("NATO", not "the NATO").
NO_ARTICLE = {"nato", "brics", "guam"}


def bloc_short_name(bloc: str) -> str:
    return SHORT_BLOC_NAMES.get(bloc, bloc.upper())


def the_bloc(bloc: str) -> str:
    """How a sentence names a bloc: "the CSTO", "the EU", "NATO"."""
    name = bloc_short_name(bloc)
    return name if bloc in NO_ARTICLE else f"the {name}"


@dataclass
class Inputs:
    """What the report reads from the store, once."""

    roll_calls: pl.DataFrame  # every roll call in the window
    votes: pl.DataFrame  # every vote on them (roll_call_id, iso3, vote)
    topic_ids: list[int]  # roll calls of the topic in the window (all when no topic)
    memberships: pl.DataFrame  # bloc_memberships
    on_date: pl.DataFrame  # roll_call_id, date, bloc, iso3, status (members only)
    names: dict[str, str]  # iso3 -> name, and majority keys -> label
    blocs: pl.DataFrame


def load_inputs(con: duckdb.DuckDBPyConnection, spec: ReportSpec) -> Inputs:
    params: dict[str, Any] = {
        "start": spec.start or dt.date(1900, 1, 1),
        "end": spec.end or dt.date(9999, 12, 31),
    }
    roll_calls = con.sql(
        """SELECT roll_call_id, symbol, date, session, title, kind, important, yes, no, abstain,
                  non_voting, rcid
           FROM roll_calls WHERE date BETWEEN $start AND $end ORDER BY date, roll_call_id""",
        params=params,
    ).pl()
    if roll_calls.is_empty():
        raise ReportError("the store has no roll calls in the chosen years")
    votes = con.sql(
        """SELECT v.roll_call_id, v.iso3, v.vote FROM votes v JOIN roll_calls r USING (roll_call_id)
           WHERE r.date BETWEEN $start AND $end""",
        params=params,
    ).pl()
    if spec.topic:
        topic_ids = analyses.topic_roll_calls(con, spec.topic, params["start"], params["end"])
        if not topic_ids:
            raise ReportError(f"no roll call of topic {spec.topic!r} in the chosen years")
    else:
        topic_ids = roll_calls["roll_call_id"].to_list()
    memberships = con.sql('SELECT bloc, iso3, joined, "left", status FROM bloc_memberships').pl()
    on_date = blocs_module.membership_on_dates(
        memberships, roll_calls.select("roll_call_id", "date"), statuses=("member",)
    )
    countries = con.sql("SELECT iso3, name FROM countries").pl()
    names = dict(countries.iter_rows())
    bloc_rows = con.sql("SELECT bloc, name, source FROM blocs ORDER BY bloc").pl()
    for b in bloc_rows["bloc"]:
        names[majority_key(b)] = f"{bloc_short_name(b)} members' majority"
    return Inputs(roll_calls, votes, sorted(topic_ids), memberships, on_date, names, bloc_rows)


# --------------------------------------------------------------------------- majorities


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


# --------------------------------------------------------------------------- vote matrix


@dataclass
class VoteMatrix:
    columns: list[str]  # row keys (ISO3 or majority keys), in display order
    frame: pl.DataFrame  # one row per roll call: info columns + one column per key
    majority_counts: pl.DataFrame
    member_of: dict[str, list[str]]  # key -> blocs it is shown for ([] when always shown)

    @property
    def shown(self) -> pl.DataFrame:
        """The rows the chart draws: the latest :func:`matrix_rows` (the CSV has them all)."""
        return self.frame.tail(matrix_rows(len(self.columns)))


def matrix_rows(n_columns: int) -> int:
    """How many roll calls the vote matrix chart draws: MAX_MATRIX_ROLL_CALLS, fewer when
    there are so many columns that the cells would pass MAX_MATRIX_CELLS (each cell carries
    its hover text), never under 40."""
    return min(MAX_MATRIX_ROLL_CALLS, max(40, MAX_MATRIX_CELLS // max(n_columns, 1)))


INFO_COLUMNS = (
    "roll_call_id",
    "symbol",
    "date",
    "session",
    "kind",
    "title",
    "yes",
    "no",
    "abstain",
)


def vote_matrix(
    inputs: Inputs, spec: ReportSpec, votes: pl.DataFrame, maj: pl.DataFrame
) -> VoteMatrix:
    """Roll calls of the topic by the spec's states; bloc members only while members.

    A state listed only through ``matrix_blocs`` has a value on the roll calls where it was a
    member of one of them on the day of the vote, and null elsewhere.
    """
    rc = inputs.roll_calls.filter(pl.col("roll_call_id").is_in(inputs.topic_ids))
    ids = rc["roll_call_id"].to_list()
    in_bloc = inputs.on_date.filter(
        pl.col("bloc").is_in(list(spec.matrix_blocs)), pl.col("roll_call_id").is_in(ids)
    )
    fixed = list(dict.fromkeys([spec.focus, *spec.matrix_states]))
    present = set(inputs.votes.filter(pl.col("roll_call_id").is_in(ids))["iso3"].unique())
    fixed = [s for s in fixed if s in present or is_majority(s)]
    members = sorted(
        set(in_bloc["iso3"].unique()) - set(fixed), key=lambda s: inputs.names.get(s, s)
    )
    majority_rows = [majority_key(b) for b in spec.majority_blocs if majority_key(b) not in fixed]
    columns = list(dict.fromkeys([*fixed, *members, *majority_rows]))
    member_of = {k: [] for k in [*fixed, *majority_rows]}
    for s in members:
        member_of[s] = sorted(in_bloc.filter(pl.col("iso3") == s)["bloc"].unique().to_list())
    sub = votes.filter(pl.col("roll_call_id").is_in(ids), pl.col("iso3").is_in(columns))
    # Bloc-only columns: keep the vote only on days of membership.
    allowed = pl.concat(
        [
            in_bloc.filter(pl.col("iso3").is_in(members)).select("roll_call_id", "iso3"),
            pl.DataFrame(
                {"roll_call_id": [r for r in ids for _ in fixed], "iso3": fixed * len(ids)},
                schema={"roll_call_id": pl.Int64, "iso3": pl.String},
            ),
            pl.DataFrame(
                {
                    "roll_call_id": [r for r in ids for _ in majority_rows],
                    "iso3": majority_rows * len(ids),
                },
                schema={"roll_call_id": pl.Int64, "iso3": pl.String},
            ),
        ]
    ).unique()
    sub = sub.join(allowed, on=["roll_call_id", "iso3"], how="semi")
    wide = sub.pivot(on="iso3", index="roll_call_id", values="vote", aggregate_function="first")
    for c in columns:
        if c not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.String).alias(c))
    frame = (
        rc.select(INFO_COLUMNS)
        .join(wide, on="roll_call_id", how="left")
        .select(*INFO_COLUMNS, *columns)
    )
    return VoteMatrix(columns, frame, maj, member_of)


# --------------------------------------------------------------------------- agreement


def agreement(
    inputs: Inputs, spec: ReportSpec, votes: pl.DataFrame, *, bootstrap: int = BOOTSTRAP
) -> pl.DataFrame:
    """Focus against each partner per session, on the topic and on all votes.

    Columns: scope ('topic' | 'all'), partner, session, metric, value, n, lower, upper.
    """
    keys = list(dict.fromkeys([spec.focus, *spec.partners]))
    out = []
    scopes = [("topic", inputs.topic_ids)] if spec.topic else []
    scopes.append(("all", None))
    for scope, ids in scopes:
        scores = metrics.dyadic_scores(
            votes,
            inputs.roll_calls,
            by="session",
            metrics=[*METRICS, "exact"],
            countries=keys,
            roll_call_ids=ids,
            bootstrap=bootstrap,
        )
        mine = scores.filter((pl.col("iso3_a") == spec.focus) | (pl.col("iso3_b") == spec.focus))
        out.append(
            mine.select(
                pl.lit(scope).alias("scope"),
                pl.when(pl.col("iso3_a") == spec.focus)
                .then(pl.col("iso3_b"))
                .otherwise(pl.col("iso3_a"))
                .alias("partner"),
                pl.col("period").alias("session"),
                "metric",
                "value",
                "n",
                "lower",
                "upper",
            )
        )
    return pl.concat(out).sort("scope", "partner", "metric", "session")


# --------------------------------------------------------------------------- findings


def _per_call_agreement(votes: pl.DataFrame, a: str, b: str, ids: Sequence[int]) -> pl.DataFrame:
    """roll_call_id, vote_a, vote_b for the roll calls where both voted Y/A/N."""
    cast = votes.filter(pl.col("vote").is_in(list(VOTE_CODES)))
    x = cast.filter(pl.col("iso3") == a, pl.col("roll_call_id").is_in(list(ids))).select(
        "roll_call_id", pl.col("vote").alias("vote_a")
    )
    y = cast.filter(pl.col("iso3") == b).select("roll_call_id", pl.col("vote").alias("vote_b"))
    return x.join(y, on="roll_call_id", how="inner").sort("roll_call_id")


def _unanimous(votes: pl.DataFrame, ids: Sequence[int]) -> set[int]:
    """Roll calls on which every state (pseudo-states aside) that voted Y/A/N voted alike."""
    real = votes.filter(
        ~pl.col("iso3").str.starts_with("bloc:"),
        pl.col("vote").is_in(list(VOTE_CODES)),
        pl.col("roll_call_id").is_in(list(ids)),
    )
    split = real.group_by("roll_call_id").agg(pl.col("vote").n_unique().alias("k"))
    return set(split.filter(pl.col("k") == 1)["roll_call_id"].to_list())


def key_vote(inputs: Inputs, spec: ReportSpec) -> dict[str, Any] | None:
    """How the members of ``key_bloc`` voted on ``key_roll_call`` (or, when the spec names no
    roll call, on the topic roll call that divided the bloc most)."""
    bloc = spec.key_bloc
    if bloc is None:
        return None
    rc = inputs.roll_calls.filter(pl.col("roll_call_id").is_in(inputs.topic_ids))
    if spec.key_roll_call:
        rc = rc.filter(pl.col("symbol") == spec.key_roll_call, pl.col("kind") == "resolution")
        chosen_by = "named"
    else:
        per = cohesion_module.roll_call_cohesion(
            inputs.votes.filter(pl.col("roll_call_id").is_in(inputs.topic_ids)),
            inputs.on_date.filter(pl.col("bloc") == bloc),
        )
        if per.is_empty():
            return None
        low = per.sort(["ai", "roll_call_id"], descending=[False, True]).head(1)
        rc = rc.filter(pl.col("roll_call_id") == low["roll_call_id"].item())
        chosen_by = "least_cohesive"
    if rc.is_empty():
        return None
    row = rc.row(0, named=True)
    members = sorted(
        inputs.on_date.filter(
            pl.col("bloc") == bloc, pl.col("roll_call_id") == row["roll_call_id"]
        )["iso3"].to_list()
    )
    if not members:
        return None
    cast = dict(
        inputs.votes.filter(pl.col("roll_call_id") == row["roll_call_id"])
        .select("iso3", "vote")
        .iter_rows()
    )
    member_votes = {m: cast.get(m) for m in members}
    return {
        "roll_call_id": row["roll_call_id"],
        "symbol": row["symbol"],
        "date": row["date"],
        "title": row["title"],
        "tally": (row["yes"], row["no"], row["abstain"]),
        "bloc": bloc,
        "chosen_by": chosen_by,
        "members": members,
        "votes": member_votes,
        "voted_no": [m for m in members if member_votes[m] == "N"],
        "voted_yes": [m for m in members if member_votes[m] == "Y"],
        "abstained": [m for m in members if member_votes[m] == "A"],
        "no_vote": [m for m in members if member_votes[m] in (None, "X")],
    }


def differences(inputs: Inputs, votes: pl.DataFrame, a: str, b: str) -> dict[str, Any]:
    """Topic roll calls where both a and b voted Y/A/N and their votes differ."""
    both = _per_call_agreement(votes, a, b, inputs.topic_ids)
    diff = both.filter(pl.col("vote_a") != pl.col("vote_b")).join(
        inputs.roll_calls.select("roll_call_id", "symbol", "date", "title", "kind"),
        on="roll_call_id",
    )
    return {
        "a": a,
        "b": b,
        "n_common": both.height,
        "roll_calls": diff.sort("date", "roll_call_id").to_dicts(),
    }


def position_change(
    inputs: Inputs, spec: ReportSpec, votes: pl.DataFrame, partner: str
) -> dict[str, Any]:
    """When the focus's position on the topic changed, relative to ``partner``.

    Per session: the agreement index of focus and partner over the session's topic roll calls
    (both voted Y/A/N, roll calls where every state voted alike dropped, as in dyadic_scores).
    A *change* is a session whose agreement differs by at least CHANGE_THRESHOLD from the
    previous session with such roll calls. The *change point* is the roll call before which
    the per-roll-call agreement (1 - |x - y| / 2) in date order shifts most (the split that
    maximises the standardised difference of means, at least 3 roll calls on each side).
    """
    scores = metrics.dyadic_scores(
        votes,
        inputs.roll_calls,
        by="session",
        metrics=["agree"],
        countries=[spec.focus, partner],
        roll_call_ids=inputs.topic_ids,
    ).sort("period")
    sessions = [
        {"session": int(s), "agree": float(v), "n": int(n)}
        for s, v, n in scores.select("period", "value", "n").iter_rows()
    ]
    changes = [
        {
            "session": cur["session"],
            "previous_session": prev["session"],
            "before": prev["agree"],
            "after": cur["agree"],
        }
        for prev, cur in itertools.pairwise(sessions)
        if abs(cur["agree"] - prev["agree"]) >= CHANGE_THRESHOLD - 1e-12
    ]
    unanimous = _unanimous(votes, inputs.topic_ids)
    per = (
        _per_call_agreement(votes, spec.focus, partner, inputs.topic_ids)
        .filter(~pl.col("roll_call_id").is_in(list(unanimous)))
        .join(inputs.roll_calls.select("roll_call_id", "date", "symbol"), on="roll_call_id")
        .sort("date", "roll_call_id")
    )
    values = metrics.agreement_per_roll_call(
        per["vote_a"].replace_strict(VOTE_CODES).to_numpy(),
        per["vote_b"].replace_strict(VOTE_CODES).to_numpy(),
    )
    point = None
    cp = change_point(values)
    if cp is not None:
        k = cp[0]
        row = per.row(k, named=True)
        point = {
            "roll_call_id": row["roll_call_id"],
            "symbol": row["symbol"],
            "date": row["date"],
            "before": float(values[:k].mean()),
            "after": float(values[k:].mean()),
            "n_before": k,
            "n_after": len(values) - k,
        }
    events = []
    for day, label in spec.events:
        before = values[(per["date"] < day).to_numpy()]
        after = values[(per["date"] >= day).to_numpy()]
        events.append(
            {
                "date": day,
                "label": label,
                "before": float(before.mean()) if len(before) else None,
                "after": float(after.mean()) if len(after) else None,
                "n_before": len(before),
                "n_after": len(after),
            }
        )
    return {
        "partner": partner,
        "threshold": CHANGE_THRESHOLD,
        "sessions": sessions,
        "changes": changes,
        "change_point": point,
        "events": events,
    }


def findings(inputs: Inputs, spec: ReportSpec, votes: pl.DataFrame) -> dict[str, Any]:
    """Every finding of the report as data; the sentences are rendered from this."""
    topic_rc = inputs.roll_calls.filter(pl.col("roll_call_id").is_in(inputs.topic_ids))
    out: dict[str, Any] = {
        "focus": spec.focus,
        "topic": spec.topic,
        "n_roll_calls": topic_rc.height,
        "first_date": topic_rc["date"].min(),
        "last_date": topic_rc["date"].max(),
        "key_vote": key_vote(inputs, spec),
        "differences": [
            differences(inputs, votes, spec.focus, p) for p in spec.change_partners[:1]
        ],
        "changes": [position_change(inputs, spec, votes, p) for p in spec.change_partners],
    }
    if spec.kind == "bloc":
        d = cohesion_module.defections(
            inputs.votes.filter(pl.col("roll_call_id").is_in(inputs.topic_ids)),
            inputs.on_date.filter(pl.col("bloc") == spec.subject),
        )
        out["defections"] = (
            d.group_by("iso3")
            .agg(pl.len().alias("n"))
            .sort(["n", "iso3"], descending=[True, False])
            .to_dicts()
        )
    return out


# --------------------------------------------------------------------------- other parts


def ideal_point_states(inputs: Inputs, spec: ReportSpec) -> list[str]:
    """The spec's states and the members of its ideal-point blocs at any time in the window."""
    states = set(spec.ideal_states) | set(
        inputs.on_date.filter(pl.col("bloc").is_in(list(spec.ideal_blocs)))["iso3"].to_list()
    )
    return sorted(s for s in states if not is_majority(s))


# The stored series' columns, with the period named for what it is here: a calendar year.
IDEAL_SCHEMA = {
    ("year" if k == "period" else k): SUMMARY_SCHEMA[k]
    for k in ("iso3", "period", "ideal_point", "lower", "upper", "n_votes", "rhat", "ess_bulk",
              "ess_tail")
}  # fmt: skip


@dataclass
class IdealPaths:
    """The ideal point paths shown (by calendar year), where they come from, and how
    converged they are.

    ``source``: ``"store"`` (the all-votes estimates by year the refresh materialised in table
    ``ideal_points``), ``"topic"`` (estimated for the report from the topic's roll calls),
    ``"estimated"`` (estimated for the report from all votes: the store predates the table)
    or ``"none"`` (the table holds no such series: nothing to show)."""

    frame: pl.DataFrame  # IDEAL_SCHEMA
    source: str
    topic: str | None = None
    years: tuple[int, int] | None = None
    convergence: Convergence | None = None  # of the estimates shown
    series: dict[str, str] = field(default_factory=dict)  # store_meta ideal_points_year_all_*


SERIES_META = ideal_points_meta_prefix("year", "all")


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.sql(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = $name",
        params={"name": name},
    ).fetchall()
    return rows[0][0] > 0


def ideal_point_paths(
    con: duckdb.DuckDBPyConnection,
    years: tuple[int, int],
    states: Sequence[str],
    *,
    topic: str | None = None,
    options: dict[str, Any] | None = None,
) -> IdealPaths:
    """Ideal points of ``states`` by calendar year, ``years`` (first, last), with their 90%
    intervals and convergence diagnostics.

    All-votes paths are read from the store's ``ideal_points`` table (the series
    ``period_type = 'year'``, ``vote_set = 'all'`` the refresh materialises with
    :func:`alignment.ideal_points.ideal_points` and its default options). Only a
    topic-specific path (``topic``), or a store without that table, is estimated here, with
    ``options``."""
    first, last = years
    wanted = sorted(set(states))
    columns = "iso3, period AS year, ideal_point, lower, upper, n_votes, rhat, ess_bulk, ess_tail"
    if topic is None and _has_table(con, "ideal_points"):
        series = "period_type = 'year' AND vote_set = 'all'"
        n_rows = con.sql(f"SELECT count(*) FROM ideal_points WHERE {series}").fetchall()[0][0]
        frame = con.sql(
            f"""SELECT {columns} FROM ideal_points
               WHERE {series} AND period BETWEEN $first AND $last AND list_contains($states, iso3)
               ORDER BY iso3, period""",
            params={"first": first, "last": last, "states": wanted},
        ).pl()
        meta = dict(
            con.sql(
                "SELECT key, value FROM store_meta WHERE starts_with(key, $p) ORDER BY key",
                params={"p": SERIES_META},
            ).fetchall()
        )
        source = "store" if n_rows else "none"
    else:
        est = analyses.ideal_points(
            con, topic=topic, by="year", from_session=regular_session(dt.date(first, 1, 1)),
            to_session=regular_session(dt.date(last, 12, 31)), **dict(options or {}),
        )  # fmt: skip
        frame = est.filter(pl.col("iso3").is_in(wanted), pl.col("period").is_between(first, last))
        frame = frame.rename({"period": "year"}).select(list(IDEAL_SCHEMA))
        meta, source = {}, "topic" if topic else "estimated"
    frame = (
        frame.cast(IDEAL_SCHEMA).sort("iso3", "year")
        if frame.height
        else pl.DataFrame(schema=IDEAL_SCHEMA)
    )
    shown = check_convergence(frame) if frame.height else None
    return IdealPaths(frame, source, topic, years, shown, meta)


def bloc_labels(inputs: Inputs, spec: ReportSpec, on: dt.date) -> pl.DataFrame:
    """iso3, bloc: the first of ``spec.map_blocs`` each state belonged to on ``on``."""
    rows: dict[str, str] = {}
    for b in spec.map_blocs:
        try:
            members = blocs_module.members_on(inputs.memberships, b, on)
        except ValueError:
            continue
        for m in members:
            rows.setdefault(m, b)
    return pl.DataFrame(
        {"iso3": list(rows), "bloc": list(rows.values())},
        schema={"iso3": pl.String, "bloc": pl.String},
    )


# Bootstrap resamples of the map's cluster stability: each costs about as much as the map
# itself, which grows with the roll calls, so long windows get fewer (never under MIN_BOOT).
MAX_BOOT, MIN_BOOT, BOOT_BUDGET = 20, 5, 30_000  # resamples x roll calls


def map_resamples(n_roll_calls: int) -> int:
    """How many resamples the map's stability rests on: 20 up to 1,500 roll calls, fewer
    beyond (30,000 roll calls resampled in all), at least 5."""
    return max(MIN_BOOT, min(MAX_BOOT, BOOT_BUDGET // max(n_roll_calls, 1)))


def state_map(inputs: Inputs, spec: ReportSpec, *, n_boot: int | None = None) -> clusters.StateMap:
    """The map of states (:func:`alignment.clusters.state_map`) from the report's roll calls,
    with ``n_boot`` resamples (default :func:`map_resamples`)."""
    ids = inputs.topic_ids
    n_boot = map_resamples(len(ids)) if n_boot is None else n_boot
    last = inputs.roll_calls.filter(pl.col("roll_call_id").is_in(ids))["date"].max()
    labels = bloc_labels(inputs, spec, last)
    result = clusters.state_map(
        inputs.votes, roll_call_ids=ids, k=4, labels=labels, n_boot=n_boot, min_n=5
    )
    result.points = result.points.with_columns(pl.col("bloc").fill_null("other"))
    return result


def cohesion(inputs: Inputs, spec: ReportSpec) -> pl.DataFrame:
    """Each cohesion bloc's mean agreement index per session: scope 'topic' and 'all'."""
    if not spec.cohesion_blocs:
        return pl.DataFrame(
            schema={"scope": pl.String, "bloc": pl.String, "period": pl.Int64,
                    "cohesion": pl.Float64, "n": pl.Int64}
        )  # fmt: skip
    mod = inputs.on_date.filter(pl.col("bloc").is_in(list(spec.cohesion_blocs)))
    out = []
    scopes = [("topic", inputs.topic_ids)] if spec.topic else []
    scopes.append(("all", None))
    for scope, ids in scopes:
        rc = inputs.roll_calls
        if ids is not None:
            rc = rc.filter(pl.col("roll_call_id").is_in(ids))
        c = cohesion_module.bloc_cohesion(inputs.votes, rc, mod, by="session")
        out.append(c.select(pl.lit(scope).alias("scope"), "bloc", "period", "cohesion", "n"))
    return pl.concat(out)


# --------------------------------------------------------------------------- the world


def world_agreement(inputs: Inputs, spec: ReportSpec, votes: pl.DataFrame) -> pl.DataFrame:
    """Every state (and bloc majority: ``votes`` holds them) against the focus over the
    report's roll calls (the topic's, when it has one): iso3, exact (share of the common roll calls on which both cast the same vote), agree
    (the agreement index), n (common roll calls; unanimous ones left out, as everywhere).
    Sorted from most to least alike."""
    wide = metrics.dyadic_scores(
        votes, inputs.roll_calls, by=None, metrics=["exact", "agree"], countries=[spec.focus],
        roll_call_ids=inputs.topic_ids, layout="wide",
    )  # fmt: skip
    return (
        metrics.orient(wide, spec.focus)
        .select(pl.col("iso3_b").alias("iso3"), "exact", "agree", "n")
        .filter(pl.col("exact").is_not_nan())
        .sort(["exact", "n", "iso3"], descending=[True, True, False])
    )


def bloc_unity(inputs: Inputs, bloc: str) -> dict[str, int]:
    """On how many of the report's roll calls with at least two members voting (yes, no or
    abstain, members on the day) all of them cast the same vote: {"n", "alike"}."""
    per = cohesion_module.roll_call_cohesion(
        inputs.votes.filter(pl.col("roll_call_id").is_in(inputs.topic_ids)),
        inputs.on_date.filter(pl.col("bloc") == bloc),
    )
    voting = pl.col("yes") + pl.col("no") + pl.col("abstain")
    per = per.filter(voting >= 2)
    alike = per.filter(pl.max_horizontal("yes", "no", "abstain") == voting)
    return {"n": per.height, "alike": alike.height}


def summary_facts(
    inputs: Inputs,
    spec: ReportSpec,
    world: pl.DataFrame,
    agree: pl.DataFrame,
    found: dict[str, Any],
    topic_label: str | None,
) -> dict[str, Any]:
    """The numbers of the summary (:func:`alignment.reports.sentences.summary`).

    ``closest`` / ``farthest``: the states (outside the bloc, for a bloc report) most and least
    often voting like the focus, among those sharing at least half as many contested roll
    calls with it as the state sharing most (and at least MIN_VOTES), so that a state that
    voted a few times does not top the list. ``partners``: the share alike with each partner.
    ``largest_change``: the largest move in that share with a change partner between two
    successive sessions with at least MIN_VOTES contested roll calls (ties: the earlier
    partner, then the earlier session)."""
    topic_rc = inputs.roll_calls.filter(pl.col("roll_call_id").is_in(inputs.topic_ids))
    out: dict[str, Any] = {
        "kind": spec.kind,
        "subject": spec.subject,
        "focus": spec.focus,
        "topic_label": topic_label,
        "n_roll_calls": topic_rc.height,
        "first_date": topic_rc["date"].min(),
        "last_date": topic_rc["date"].max(),
        "key_vote": found["key_vote"],
        "closest": None,
        "farthest": None,
    }
    states = world.filter(~pl.col("iso3").str.starts_with(MAJORITY_PREFIX))
    if spec.kind == "bloc":
        members = inputs.on_date.filter(pl.col("bloc") == spec.subject)["iso3"].unique()
        states = states.filter(~pl.col("iso3").is_in(members.to_list()))
        out["unity"] = bloc_unity(inputs, spec.subject)
        out["defectors"] = found.get("defections", [])
    if states.height:
        least = max(MIN_VOTES, -(-int(states["n"].max()) // 2))
        eligible = states.filter(pl.col("n") >= least)
        if eligible.height:
            out["closest"] = eligible.row(0, named=True)
            out["farthest"] = eligible.sort(
                ["exact", "n", "iso3"], descending=[False, True, False]
            ).row(0, named=True)
    by_key = {r["iso3"]: r for r in world.iter_rows(named=True)}
    out["partners"] = [
        {"key": p, "exact": by_key[p]["exact"], "n": by_key[p]["n"]}
        for p in spec.partners
        if p in by_key
    ]
    out["largest_change"] = None
    moves = []
    for order, partner in enumerate(spec.change_partners):
        series = agree.filter(
            pl.col("scope") == ("topic" if spec.topic else "all"),
            pl.col("partner") == partner,
            pl.col("metric") == "exact",
            pl.col("n") >= MIN_VOTES,
            pl.col("value").is_not_nan(),
        ).sort("session")
        rows = series.select("session", "value", "n").rows()
        moves += [
            (abs(b[1] - a[1]), -order, -a[0], partner, a, b)
            for a, b in itertools.pairwise(rows)
            if b[1] != a[1]
        ]
    if moves:
        *_, partner, a, b = max(moves)
        out["largest_change"] = {
            "partner": partner,
            "session_before": a[0],
            "before": a[1],
            "n_before": a[2],
            "session_after": b[0],
            "after": b[1],
            "n_after": b[2],
        }
    return out


@functools.cache
def world_outline() -> dict[str, Any]:
    """The world map's outline: Natural Earth 1:110m countries as GeoJSON, each feature's
    ``id`` its ISO3 code (``data/world_110m.geojson``; data/README.md says where it is from)."""
    return json.loads(resources.data_file("world_110m.geojson").read_text(encoding="utf-8"))


KIND_WORDS = {
    "resolution": "on a text as a whole",
    "amendment": "on amendments",
    "paragraph": "on single paragraphs",
    "procedural": "on procedure",
}


def coverage(inputs: Inputs) -> list[str]:
    """What the report's roll calls are, in sentences (the "What the data cover" section)."""
    rc = inputs.roll_calls.filter(pl.col("roll_call_id").is_in(inputs.topic_ids))
    kinds = dict(rc.group_by("kind").len().iter_rows())
    parts = [f"{kinds[k]:,} {w}" for k, w in KIND_WORDS.items() if kinds.get(k)]
    dated = rc.filter(pl.col("symbol").is_null()).height
    out = [f"Of the {rc.height:,} recorded votes in this report, " + ", ".join(parts) + "."]
    if dated:
        out.append(f"{dated:,} of them have no document symbol in any source.")
    return out


@dataclass
class StoreCoverage:
    """What the store holds of the series the report's window touches (the ``coverage``
    table; with a topic, the series that hold any roll call of it), what it lacks there, and
    where its sources differ on what the report shows."""

    rows: pl.DataFrame  # coverage rows of the store (all sources reconciled)
    notes: list[str]  # analyses.coverage_notes: series that stop early, numbering gaps
    stops: list[str]  # the notes on series that stop early (beside the charts over time)
    differences: str | None  # analyses.differences_sentence over the report's roll calls


def store_coverage(
    con: duckdb.DuckDBPyConnection, spec: ReportSpec, inputs: Inputs
) -> StoreCoverage:
    rows = analyses.coverage(con, spec.start, spec.end)
    if spec.topic:
        series = con.sql(
            "SELECT DISTINCT series FROM roll_calls WHERE list_contains($ids, roll_call_id)",
            params={"ids": analyses.topic_roll_calls(con, spec.topic)},
        ).pl()["series"]
        rows = rows.filter(pl.col("series").is_in(series.to_list()))
    sentence = analyses.differences_sentence(analyses.differences(con, inputs.topic_ids))
    return StoreCoverage(
        rows,
        analyses.coverage_notes(rows, spec.end),
        analyses.coverage_notes(rows, spec.end, gaps=False),
        sentence,
    )


# --------------------------------------------------------------------------- provenance


def credits() -> dict[str, str]:
    """Source (a reader's name, or ``world_outline``) -> the credit it requires, from
    ``data/sources.csv`` (the README quotes the same file)."""
    with resources.data_file("sources.csv").open(encoding="utf-8", newline="") as f:
        return {key: row["credit"] for row in csv.DictReader(f) for key in row["sources"].split()}


@dataclass
class Provenance:
    sources: list[dict[str, Any]]
    refresh: dict[str, Any] | None
    meta: dict[str, str]
    blocs: list[dict[str, Any]] = field(default_factory=list)


def provenance(con: duckdb.DuckDBPyConnection, spec: ReportSpec, inputs: Inputs) -> Provenance:
    files = con.sql(
        """SELECT source, location, sha256, size, modified, roll_calls, votes
           FROM source_files ORDER BY source, location"""
    ).pl()
    sources = []
    credit = credits()
    for (source,), group in files.group_by(["source"], maintain_order=True):
        sources.append(
            {
                "source": source,
                "credit": credit.get(source, "See the source's own terms."),
                "files": [
                    {
                        "name": str(r["location"]).replace("\\", "/").rsplit("/", 1)[-1],
                        "sha256": (r["sha256"] or "")[:16],
                        "size": r["size"],
                        "modified": r["modified"],
                    }
                    for r in group.iter_rows(named=True)
                ],
                "roll_calls": int(group["roll_calls"].fill_null(0).sum()),
                "votes": int(group["votes"].fill_null(0).sum()),
            }
        )
    log_rows = con.sql(
        """SELECT refresh_id, started_at, finished_at, outcome, message, roll_calls, votes
           FROM refresh_log ORDER BY refresh_id DESC LIMIT 1"""
    ).pl()
    meta = dict(con.sql("SELECT key, value FROM store_meta ORDER BY key").pl().iter_rows())
    used = {
        *spec.matrix_blocs,
        *spec.majority_blocs,
        *spec.ideal_blocs,
        *spec.cohesion_blocs,
        *spec.map_blocs,
    }
    blocs = [r for r in inputs.blocs.to_dicts() if r["bloc"] in used]
    return Provenance(sources, log_rows.to_dicts()[0] if log_rows.height else None, meta, blocs)
