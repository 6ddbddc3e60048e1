"""The tables a build computes from the votes, and the views and macros stored beside them.

Frames in, frames out: :func:`derive` takes the reconciled votes, roll calls, bloc
memberships and Voeten's bridging pairs and returns the derived tables by name, computed with
the analyses users call themselves (``alignment.metrics``, ``alignment.cohesion``,
``alignment.ideal_points``). :func:`statements` gives the SQL that creates the views and macros
over them, generated from the metric definitions (``metrics.METRIC_SQL``) and documented from
``alignment.schema``. The store writes both; nothing here opens a database.

- ``agreement_counts``: every pair's table of votes per session and per year, Voeten's defaults
  (unanimous roll calls dropped, every kind of vote kept); the views ``agreement_scores`` and
  ``agreement_pairs`` compute every metric from it when read.
- ``roll_call_cohesion``, ``bloc_cohesion``, ``bloc_defections``: members are the states with
  status ``member`` on the day of each vote.
- ``ideal_points``: the all-votes estimates; carried over from the previous store when what
  they depend on (:func:`ideal_points_input`) has not changed; left empty when the caller
  asks for a store without them (``with_ideal_points=False``: the estimation is most of a
  build's time, and work that never reads them need not wait for it).
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from alignment import blocs, cohesion, metrics, progress, spells
from alignment.schema import MACROS, VIEWS
from alignment.vocabulary import (
    CELL_COLUMNS,
    METRICS,
    PERIOD_TYPES,
    VOTE_CODES,
    ideal_points_meta_prefix,
)

# The ideal point series a build stores: by session (the legacy series) and by calendar year,
# both from all votes, by the default method (EM, with its bootstrap); others are estimated on
# demand.
STORED_IDEAL_POINTS: tuple[tuple[str, str], ...] = (("session", "all"), ("year", "all"))
IDEAL_POINTS_INPUT = "ideal_points_input"


def ideal_points_meta(estimates: pl.DataFrame) -> dict[str, str]:
    """store_meta rows of each stored series: its method and that method's diagnostics (EM:
    iterations, final change, bootstrap replicates; MCMC: the worst convergence diagnostics
    and the verdict)."""
    from alignment.convergence import check_convergence

    out: dict[str, str] = {}
    for (period_type, vote_set), part in estimates.group_by(
        "period_type", "vote_set", maintain_order=True
    ):
        prefix = ideal_points_meta_prefix(period_type, vote_set)  # type: ignore[arg-type]
        method = part["method"][0]
        out[f"{prefix}method"] = method
        if method == "em":
            out |= {
                f"{prefix}iterations": str(part["iterations"][0]),
                f"{prefix}final_change": f"{part['final_change'][0]:.2g}",
                f"{prefix}replicates": str(part["replicates"][0]),
            }
            continue
        c = check_convergence(part)
        out |= {
            f"{prefix}rhat_median": f"{c.rhat_median:.3f}",
            f"{prefix}rhat_max": f"{c.rhat_max:.3f}",
            f"{prefix}ess_bulk_min": f"{c.ess_bulk_min:.0f}",
            f"{prefix}ess_tail_min": f"{c.ess_tail_min:.0f}",
            f"{prefix}converged_share": f"{c.share_converged:.4f}",
            f"{prefix}converged": "true" if c.ok else "false",
        }
    return out


@dataclass
class Derived:
    tables: dict[str, pl.DataFrame]
    meta: dict[str, str] = field(default_factory=dict)  # store_meta rows
    ideal_points: str = "computed"  # or "carried", or "skipped" (none asked for)


@dataclass
class PreviousIdealPoints:
    """The estimates of the store being replaced, with their store_meta rows."""

    estimates: pl.DataFrame
    meta: dict[str, str]


def agreement_counts(votes: pl.DataFrame, roll_calls: pl.DataFrame) -> pl.DataFrame:
    """Every pair's table of votes per session and per year, with ``period_type``."""
    coded = metrics.coded_votes(votes)  # coded once for both period types
    return pl.concat(
        [
            metrics.agreement_tables(coded, roll_calls, by=by).with_columns(  # type: ignore[arg-type]
                period_type=pl.lit(by)
            )
            for by in PERIOD_TYPES
        ],
        how="vertical_relaxed",
    )


def bloc_tables(
    votes: pl.DataFrame, roll_calls: pl.DataFrame, memberships: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """roll_call_cohesion, bloc_cohesion (per session and per year) and bloc_defections."""
    members = blocs.membership_on_dates(
        memberships, roll_calls.select("roll_call_id", "date"), statuses=("member",)
    )
    per_call = cohesion.roll_call_cohesion(votes, members)
    per_period = pl.concat(
        [
            cohesion.bloc_cohesion(votes, roll_calls, members, by=by).with_columns(  # type: ignore[arg-type]
                period_type=pl.lit(by)
            )
            for by in PERIOD_TYPES
        ]
    )
    return {
        "roll_call_cohesion": per_call.with_columns(
            members_voting=pl.col("yes") + pl.col("no") + pl.col("abstain"),
            cohesion=pl.col("ai"),
        ),
        "bloc_cohesion": per_period.rename({"n": "n_roll_calls"}).sort(
            "period_type", "bloc", "period"
        ),
        "bloc_defections": cohesion.defections(votes, members, per_call),
    }


def ideal_points_input(votes: pl.DataFrame, roll_calls: pl.DataFrame, matches: pl.DataFrame) -> str:
    """A digest of everything the all-votes estimates depend on: each vote with its roll
    call's session, date, kind, rcid and symbol, the bridging pairs, the estimator version.

    Built on polars' row hashes, which may change with polars' version: that only costs one
    recomputation."""
    from alignment.ideal_points import ESTIMATOR_VERSION

    # Fixed types, so that frames read back from a store hash as the ones it was built from.
    rows = votes.select(
        pl.col("roll_call_id").cast(pl.Int64), pl.col("iso3", "vote").cast(pl.String)
    ).join(
        roll_calls.select(
            pl.col("roll_call_id", "session", "rcid").cast(pl.Int64),
            pl.col("date").cast(pl.Date),
            pl.col("kind", "symbol").cast(pl.String),
        ),
        on="roll_call_id",
    )
    matches = matches.select(pl.col("rcid1", "rcid2").cast(pl.Int64))
    digest = hashlib.sha256(ESTIMATOR_VERSION.encode())
    for frame in (rows.drop("roll_call_id"), matches):
        hashes = frame.hash_rows(seed=0).sort()  # order-free
        digest.update(f"{frame.height}:".encode())
        digest.update(hashes.to_numpy().tobytes())
    return digest.hexdigest()


def ideal_points(
    votes: pl.DataFrame,
    roll_calls: pl.DataFrame,
    matches: pl.DataFrame,
    previous: PreviousIdealPoints | None = None,
) -> tuple[pl.DataFrame, dict[str, str], str]:
    """(estimates of every stored series, store_meta rows, "carried" or "computed")."""
    from alignment import ideal_points as estimator  # the sampler loads scipy

    digest = ideal_points_input(votes, roll_calls, matches)
    if previous is not None and previous.meta.get(IDEAL_POINTS_INPUT) == digest:
        meta = {k: v for k, v in previous.meta.items() if k.startswith("ideal_points_")}
        return previous.estimates, meta, "carried"

    def one(series: tuple[str, str]) -> pl.DataFrame:
        by, vote_set = series
        return estimator.estimate_ideal_points(
            votes, roll_calls, by=by, vote_set=vote_set, matches=matches
        )

    from threadpoolctl import threadpool_limits

    # The compiled estimator is loaded here, before the threads: a thread loading an extension
    # module (dlopen) while another scans the loaded libraries (threadpoolctl's
    # dl_iterate_phdr, whose callback needs the GIL) deadlocks the process.
    import alignment.em  # noqa: F401

    # The series in parallel threads (the estimator's loops release the GIL); each is
    # deterministic, so the result does not depend on the threads. BLAS is held at one thread
    # here, once for both: a limit set and lifted inside each thread would let one thread's
    # exit give the other's small solves more threads, and other last bits.
    with (
        threadpool_limits(1, user_api="blas"),
        ThreadPoolExecutor(max_workers=len(STORED_IDEAL_POINTS)) as pool,
    ):
        estimates = pl.concat(list(pool.map(one, STORED_IDEAL_POINTS)))
    return estimates, {IDEAL_POINTS_INPUT: digest, **ideal_points_meta(estimates)}, "computed"


def derive(
    votes: pl.DataFrame,
    roll_calls: pl.DataFrame,
    memberships: pl.DataFrame,
    matches: pl.DataFrame,
    *,
    previous: PreviousIdealPoints | None = None,
    with_ideal_points: bool = True,
) -> Derived:
    """Every derived table of a store from its base tables (see the module docstring);
    without ``ideal_points`` rows when ``with_ideal_points`` is false."""
    with progress.stage("agreement_counts") as current:
        tables = {"agreement_counts": agreement_counts(votes, roll_calls)}
        current.done(progress.count(tables["agreement_counts"].height, "row"))
    with progress.stage("bloc tables") as current:
        tables.update(bloc_tables(votes, roll_calls, memberships))
        current.done(", ".join(f"{name} {tables[name].height:,} rows" for name in
                               ("roll_call_cohesion", "bloc_cohesion", "bloc_defections")))  # fmt: skip
    if not with_ideal_points:
        return Derived(tables, {}, "skipped")  # the table stays empty (store.write_store)
    with progress.stage("ideal points") as current:
        estimates, meta, outcome = ideal_points(votes, roll_calls, matches, previous)
        current.done(f"{outcome}, {progress.count(estimates.height, 'estimate')}")
    tables["ideal_points"] = estimates
    return Derived(tables, meta, outcome)


# --------------------------------------------------------------------------- views and macros


def _view_sql() -> dict[str, str]:
    """The SELECT of each view of schema.VIEWS."""
    flipped = {f"{x}_{y}": f"{y}_{x}" for x, y in (c.split("_") for c in CELL_COLUMNS)}
    keys = "period_type, period, n"
    computed = ",\n    ".join(f"{metrics.METRIC_SQL[m]} AS {m}" for m in METRICS)
    return {
        "agreement_scores": (
            f"SELECT iso3_a, iso3_b, {keys}, {', '.join(CELL_COLUMNS)},\n    {computed}\n"
            "FROM agreement_counts"
        ),
        # Both orders, so that "closest partners of BLR" is WHERE iso3_a = 'BLR'; every
        # metric is symmetric, the cells are transposed.
        "agreement_pairs": (
            "SELECT * FROM agreement_scores\nUNION ALL\n"
            f"SELECT iso3_b AS iso3_a, iso3_a AS iso3_b, {keys}, "
            f"{', '.join(f'{flipped[c]} AS {c}' for c in CELL_COLUMNS)}, {', '.join(METRICS)}\n"
            "FROM agreement_scores"
        ),
        # The metric as a value: curated queries take it as a parameter, bound, never pasted.
        "agreement_long": (
            f"UNPIVOT (SELECT iso3_a, iso3_b, {keys}, {', '.join(METRICS)} FROM agreement_pairs)\n"
            f"ON {', '.join(METRICS)} INTO NAME metric VALUE value"
        ),
        "source_differences": """SELECT 'vote' AS kind, d.roll_call_id, r.symbol, r.date, d.iso3,
       d.kept_source || ': ' || d.kept_vote AS kept,
       d.other_source || ': ' || d.other_vote AS other, NULL::VARCHAR AS finding
FROM vote_disagreements d JOIN roll_calls r USING (roll_call_id)
UNION ALL
SELECT 'tally', t.roll_call_id, r.symbol, r.date, NULL,
       t.source || ' rows: ' || t.yes || '-' || t.no || '-' || t.abstain,
       t.tally_source || ' tally: ' || t.tally_yes || '-' || t.tally_no || '-' || t.tally_abstain,
       t.finding || ' by ' || (t.missing + t.excess)
FROM tally_checks t JOIN roll_calls r USING (roll_call_id)
WHERE t.finding <> 'match'""",
    }


def _code(column: str) -> str:
    cases = " ".join(f"WHEN '{v}' THEN {c}" for v, c in VOTE_CODES.items())
    return f"CASE {column} {cases} END"


def _macro_sql() -> dict[str, str]:
    """The body of each macro of schema.MACROS (after ``AS TABLE``, or ``AS`` for a scalar
    one)."""
    letters = ", ".join(f"'{v}'" for v in VOTE_CODES)
    cells = ",\n           ".join(
        f"count_if(x = {VOTE_CODES[a]} AND y = {VOTE_CODES[b]})::INTEGER AS {name}"
        for name, (a, b) in zip(
            CELL_COLUMNS,
            [(a, b) for a in ("Y", "A", "N") for b in ("Y", "A", "N")],
            strict=True,
        )
    )
    computed = ",\n    ".join(f"{metrics.METRIC_SQL[m]} AS {m}" for m in METRICS)
    return {
        "alignment_pair_votes": f"""
WITH cast_votes AS (
    SELECT v.roll_call_id, v.iso3, {_code("v.vote")} AS code
    FROM votes v JOIN roll_calls r USING (roll_call_id)
    WHERE v.vote IN ({letters})
      AND (start_date IS NULL OR r.date >= CAST(start_date AS DATE))
      AND (end_date IS NULL OR r.date <= CAST(end_date AS DATE))
),
split AS (  -- the roll calls either state voted on, less the unanimous ones if asked
    SELECT roll_call_id FROM cast_votes
    WHERE roll_call_id IN (SELECT roll_call_id FROM cast_votes WHERE iso3 IN (a, b))
    GROUP BY roll_call_id
    HAVING NOT drop_unanimous OR count(DISTINCT code) > 1
)
SELECT x.roll_call_id, x.code AS x, y.code AS y
FROM cast_votes x JOIN cast_votes y USING (roll_call_id)
WHERE x.iso3 = a AND y.iso3 = b AND x.roll_call_id IN (SELECT roll_call_id FROM split)""",
        "agreement": f"""
WITH cells AS (
    SELECT count(*)::INTEGER AS n,
           {cells}
    FROM alignment_pair_votes(a, b, start_date := start_date, end_date := end_date,
                              drop_unanimous := drop_unanimous)
),
s AS (
    SELECT n,
    {computed}
    FROM cells
)
SELECT metric, CASE WHEN n > 0 THEN value END AS value, n
FROM s UNPIVOT INCLUDE NULLS (value FOR metric IN ({", ".join(METRICS)}))""",
        "active_on": f"\n{spells.active_on_sql('day', 'first_day', 'last_day')}",
        # A topic means the roll calls about it; mentions are a column, never the default.
        "topic_roll_calls": """
SELECT roll_call_id FROM roll_call_topics
WHERE topic = topic_name AND strength = 'primary'""",
        "alignment_metric": f"""
CASE WHEN name IN ({", ".join(_quote(m) for m in METRICS)}) THEN name
     ELSE error('unknown metric ''' || name || '''; known: {", ".join(METRICS)}') END""",
    }


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def view_statements() -> list[str]:
    """CREATE VIEW statements of the views over agreement_counts, with their comments."""
    out = []
    views = _view_sql()
    for view in VIEWS:
        out.append(f"CREATE OR REPLACE VIEW {view.name} AS\n{views[view.name]}")
        out += [s.replace("COMMENT ON TABLE", "COMMENT ON VIEW", 1) for s in view.comments()]
    return out


def macro_statements() -> list[str]:
    """CREATE MACRO statements of the macros over votes and roll_calls, with their comments."""
    out = []
    bodies = _macro_sql()
    for macro in MACROS:
        kind = " TABLE" if macro.table else ""
        out.append(f"CREATE OR REPLACE MACRO {macro.signature} AS{kind}{bodies[macro.name]}")
        out.append(f"COMMENT ON MACRO{kind} {macro.name} IS {_quote(macro.comment)}")
    return out


def statements() -> list[str]:
    """Every view and macro of the store, with their comments, in dependency order."""
    return view_statements() + macro_statements()
