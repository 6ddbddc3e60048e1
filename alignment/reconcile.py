"""One roll call per vote of the Assembly, whatever the number of sources that publish it.

Sources are matched in two steps:

1. Voeten's complete file and ``unvotes`` share Voeten's ``rcid``: same rcid, same roll call.
   Their amendment, paragraph and procedural votes stay roll calls of their own.
2. The UN's own sources (Digital Library CSV and MARCXML, DGACM JSON) publish adopted
   resolutions only. They are matched with each other and with step 1 on the official symbol
   and the date; where the dates differ, on the symbol alone when it names exactly one
   resolution vote on each side within :data:`DATE_TOLERANCE_DAYS`.
3. One vote is one roll call whatever form each source writes its symbol in: the UN writes
   the part letter of a resolution adopted in parts (``A/RES/66/253 A``) where Voeten writes
   none (``R/66/253``). Still unmatched, a UN roll call is matched on the symbol without its
   part (:func:`alignment.symbols.base`) when that names exactly one roll call on each side
   within the tolerance; UN roll calls of two UN sources likewise. The UN's form is kept.

Each field of a roll call, and each state's vote, is taken from the first source in
:data:`PRECEDENCE` that has it. A vote a source *published* always beats an absence the store
*inferred* for a source that lists only voters; a vote kept from an inference is flagged
(``inferred``). Every published vote that differs from the one kept is recorded in
``vote_disagreements``, and :func:`tally_checks` compares every source's rows, and the votes
kept, with every tally a source publishes.

Before that, :func:`combine` merges the files of one source (the JSON comes one file per
session) and :func:`fill_absent` marks absent the members a voters-only source leaves out.
A roll call that no source dates (one in Voeten's file) takes a date by the rule of
:func:`infer_dates`, flagged in ``date_inferred``, rather than failing the build.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from alignment.countries import Crosswalk
from alignment.errors import BadDataError
from alignment.sources.rows import DECISION_SCHEMA, SourceRows
from alignment.symbols import base

# The UN Digital Library is the Assembly's official record; the DGACM extract comes from the
# same Secretariat; Voeten's file is hand-coded from the records and lists absences;
# unvotes redistributes Voeten without absences.
PRECEDENCE = ("undl_csv", "undl_marcxml", "unxml_json", "voeten", "unvotes")
DATE_TOLERANCE_DAYS = 31
TALLY_COLUMNS = ("yes", "no", "abstain", "non_voting")


@dataclass
class Reconciled:
    roll_calls: pl.DataFrame  # one row per roll call, public columns
    votes: pl.DataFrame  # roll_call_id, iso3, vote, source, inferred
    roll_call_sources: pl.DataFrame  # how each source saw each roll call
    vote_disagreements: pl.DataFrame
    source_agreement: pl.DataFrame  # per pair of sources: shared and differing votes
    tally_checks: pl.DataFrame  # every source's rows and the votes kept against every tally
    decisions: pl.DataFrame  # resolutions adopted without a vote (DECISION_SCHEMA)
    notes: list[str] = field(default_factory=list)


def combine(rows: list[SourceRows]) -> list[SourceRows]:
    """Merge the files of one source (one JSON file per session) into one set of rows."""
    by_source: dict[str, list[SourceRows]] = {}
    for r in rows:
        by_source.setdefault(r.source, []).append(r)
    out = []
    for source, parts in by_source.items():
        calls = pl.concat([p.roll_calls for p in parts], how="vertical_relaxed")
        dup = calls.filter(pl.col("source_id").is_duplicated())
        if not dup.is_empty():
            sid = dup["source_id"][0]
            paths = [p.path for p in parts if sid in set(p.roll_calls["source_id"])]
            raise BadDataError(
                f"{source} roll call {sid!r} is in more than one file: {', '.join(paths)}; "
                "give each file once",
                path=paths[0],
            )
        listed = [p.decisions for p in parts if p.decisions is not None]
        out.append(
            SourceRows(
                source,
                parts[0].path,
                calls,
                pl.concat([p.votes for p in parts], how="vertical_relaxed"),
                all(p.absent_listed for p in parts),
                [f for p in parts for f in p.files],
                [f"{Path(p.path).name}: {n}" for p in parts for n in p.notes],
                pl.concat(listed, how="vertical_relaxed") if listed else None,
            )
        )
    return out


def fill_absent(rows: SourceRows, crosswalk: Crosswalk) -> SourceRows:
    """Mark absent (X) the UN members of the day that a voters-only source does not list."""
    if rows.absent_listed or rows.roll_calls.is_empty():
        return rows
    members = crosswalk.members_on(rows.roll_calls["date"])
    expected = rows.roll_calls.select("source_id", "date").join(members, on="date")
    absent = expected.join(rows.votes, on=["source_id", "iso3"], how="anti").select(
        pl.lit(rows.source).alias("source"), "source_id", "iso3", pl.lit("X").alias("vote"),
        pl.lit(False).alias("published"),
    )  # fmt: skip
    votes = pl.concat([rows.votes.with_columns(published=True), absent], how="vertical_relaxed")
    return dataclasses.replace(rows, votes=votes, absent_listed=True)


def infer_dates(calls: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    """Date the roll calls no source dates, and flag them (``date_inferred``).

    The rule: Voeten numbers roll calls (rcid) in the order they were held, so an undated one
    takes the date of the nearest earlier roll call of the same session, or, when it is the
    session's first, of the nearest later one. A roll call with neither (no rcid, or alone in
    its session) cannot be dated, and is bad data.
    """
    calls = calls.with_columns(date_inferred=pl.col("date").is_null())
    undated = calls.filter(pl.col("date_inferred"))
    if undated.is_empty():
        return calls
    dated = calls.filter(pl.col("date").is_not_null() & pl.col("rcid").is_not_null())
    found: dict[str, object] = {}
    for row in undated.iter_rows(named=True):
        same = dated.filter(pl.col("session") == row["session"])
        rcid = row["rcid"]
        before = same.filter(pl.col("rcid") < rcid).sort("rcid").tail(1) if rcid else same[:0]
        after = same.filter(pl.col("rcid") > rcid).sort("rcid").head(1) if rcid else same[:0]
        neighbour = before if before.height else after
        what = f"rcid {rcid}" if rcid else f"{row['symbol'] or 'a roll call'}"
        if neighbour.is_empty():
            raise BadDataError(
                f"{what} (session {row['session']}, sources {', '.join(row['sources'])}) has "
                "no date and no dated roll call beside it in its session; give a source that "
                "dates it"
            )
        found[row["key"]] = neighbour["date"][0]
        notes.append(
            f"{what} ({row['symbol'] or 'no symbol'}, session {row['session']}) has no date in "
            f"any source; dated {neighbour['date'][0]} from rcid {neighbour['rcid'][0]}, "
            f"the nearest {'earlier' if before.height else 'later'} roll call of its session "
            "(date_inferred)"
        )
    fill = pl.DataFrame({"key": list(found), "_date": list(found.values())})
    return (
        calls.join(fill, on="key", how="left")
        .with_columns(pl.coalesce("date", "_date").alias("date"))
        .drop("_date")
    )


def rank_of(source: pl.Expr) -> pl.Expr:
    return source.replace_strict(
        {name: rank for rank, name in enumerate(PRECEDENCE)}, return_dtype=pl.Int32
    )


def _cluster_keys(calls: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    """Give every source roll call the key of its cluster (``rcid:N`` or ``un:SYMBOL@DATE``)."""
    voeten = calls.filter(pl.col("rcid").is_not_null())
    un = calls.filter(pl.col("rcid").is_null())
    keyed_voeten = voeten.with_columns(
        pl.concat_str(pl.lit("rcid:"), pl.col("rcid").cast(pl.String)).alias("key")
    )
    if un.is_empty():
        return keyed_voeten

    # Candidates on the Voeten side: votes on a resolution as a whole, by symbol. Voeten's
    # kind comes from unvotes; a roll call known only to Voeten's file counts as a resolution.
    kinds = voeten.group_by("rcid").agg(
        pl.col("kind").drop_nulls().first(),
        pl.col("symbol").drop_nulls().first(),
        pl.col("date").drop_nulls().first(),  # Voeten's file leaves one undated (rcid 4592)
    )
    candidates = kinds.filter(
        pl.col("symbol").is_not_null() & pl.col("kind").fill_null("resolution").eq("resolution")
    ).select(
        "symbol",
        "rcid",
        pl.col("date").alias("v_date"),
        pl.concat_str(pl.lit("rcid:"), pl.col("rcid").cast(pl.String)).alias("v_key"),
    )
    # Several Voeten roll calls can carry one symbol and date (repeated votes): take the first,
    # by rcid as a number (as text, "rcid:1000" would come before "rcid:999").
    exact = (
        candidates.sort("rcid").unique(["symbol", "v_date"], keep="first", maintain_order=True)
    ).drop("rcid")
    candidates = candidates.drop("rcid")
    un_calls = un.select("symbol", "date").unique()
    matched = un_calls.join(
        exact, left_on=["symbol", "date"], right_on=["symbol", "v_date"], how="left"
    )
    # Same symbol, other date: only when the symbol is unambiguous on both sides.
    unmatched = matched.filter(pl.col("v_key").is_null()).select("symbol", "date")
    near = _unique_pairs(unmatched, candidates, "symbol")
    for row in near.iter_rows(named=True):
        notes.append(
            f"{row['symbol']}: the UN sources date it {row['date']}, Voeten {row['v_date']}; "
            "matched on the symbol, the UN date kept"
        )
    # The same text with and without its part letter (A/RES/66/253 A, R/66/253): on the same
    # day first, then within the tolerance. A roll call Voeten's side shares with another UN
    # source (the JSON's A/RES/74/10) may take the Library's A/RES/74/10 A too.
    unmatched = unmatched.join(near, on=["symbol", "date"], how="anti").with_columns(
        _base("symbol")
    )
    based = candidates.rename({"symbol": "v_symbol"}).with_columns(_base("v_symbol"))
    # As for the symbol itself: of several roll calls of one text on one day, the first.
    first_of_day = (
        exact.rename({"symbol": "v_symbol"})  # in rcid order
        .with_columns(_base("v_symbol"))
        .unique(["base", "v_date"], keep="first", maintain_order=True)
    )
    same_day = _unique_pairs(unmatched, first_of_day, "base", days=0)
    later = _unique_pairs(
        unmatched.join(same_day, on=["symbol", "date"], how="anti"),
        based.join(same_day, on="v_key", how="anti"),
        "base",
    )
    parts = pl.concat([same_day, later]).filter(pl.col("symbol") != pl.col("v_symbol"))
    for row in parts.iter_rows(named=True):
        notes.append(
            f"{row['symbol']} ({row['date']}) is Voeten's {row['v_symbol']} ({row['v_date']}): "
            "one vote, matched on the symbol without its part; the UN's form kept"
        )
    links = pl.concat(
        [
            matched.filter(pl.col("v_key").is_not_null()).select("symbol", "date", "v_key"),
            near.select("symbol", "date", "v_key"),
            parts.select("symbol", "date", "v_key"),
        ]
    )
    keyed_un = un.join(links, on=["symbol", "date"], how="left")
    own = _un_keys(
        keyed_un.filter(pl.col("v_key").is_null()).select("symbol", "date", "source"), notes
    )
    keyed_un = keyed_un.join(own, on=["symbol", "date"], how="left").with_columns(
        pl.coalesce("v_key", "un_key").alias("key")
    )
    return pl.concat([keyed_voeten, keyed_un.drop("v_key", "un_key")], how="vertical_relaxed")


def _base(column: str) -> pl.Expr:
    return pl.col(column).map_elements(base, return_dtype=pl.String).alias("base")


def _unique_pairs(
    un: pl.DataFrame, candidates: pl.DataFrame, on: str, days: int = DATE_TOLERANCE_DAYS
) -> pl.DataFrame:
    """UN (symbol, date) pairs and Voeten candidates that share ``on`` within ``days`` of each
    other, kept where the pair is the only one for each of its two sides."""
    near = un.join(candidates, on=on).filter(
        (pl.col("date") - pl.col("v_date")).dt.total_days().abs() <= days
    )
    return near.filter((pl.len().over("symbol", "date") == 1) & (pl.len().over("v_key") == 1))


def _un_keys(un: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    """Keys of the roll calls only the UN's sources hold: one per symbol and date, except that
    one source's ``X A`` and another's ``X`` of the same day are one roll call when no other
    part of X was voted that day (a source that writes both holds two resolutions)."""
    un = (
        un.group_by("symbol", "date")
        .agg(pl.col("source").unique().sort())
        .with_columns(_base("symbol"))
    )
    parted = un.filter(pl.col("symbol") != pl.col("base"))
    whole = un.filter(pl.col("symbol") == pl.col("base"))
    pairs = (
        whole.join(parted, on=["base", "date"], suffix="_part")
        .filter(pl.len().over("base", "date") == 1)
        .filter(pl.col("source").list.set_intersection("source_part").list.len() == 0)
    )
    for row in pairs.iter_rows(named=True):
        notes.append(
            f"{row['symbol_part']} and {row['symbol']} ({row['date']}): one vote, written with "
            "and without its part by two UN sources; the form with the part kept"
        )
    rename = pairs.select("symbol", "date", pl.col("symbol_part").alias("keyed"))
    return un.join(rename, on=["symbol", "date"], how="left").select(
        "symbol",
        "date",
        pl.concat_str(
            pl.lit("un:"),
            pl.coalesce("keyed", "symbol"),
            pl.lit("@"),
            pl.col("date").cast(pl.String),
        ).alias("un_key"),
    )


def reconcile(sources: list[SourceRows]) -> Reconciled:
    notes: list[str] = []
    calls = pl.concat([s.roll_calls for s in sources], how="vertical_relaxed")
    votes = pl.concat(
        [
            s.votes if "published" in s.votes.columns else s.votes.with_columns(published=True)
            for s in sources
        ],
        how="vertical_relaxed",
    )
    calls = _cluster_keys(calls, notes).with_columns(rank_of(pl.col("source")).alias("rank"))
    twice = calls.filter(pl.struct("key", "source").is_duplicated()).sort("source", "source_id")
    if not twice.is_empty():
        row = twice.row(0, named=True)
        raise BadDataError(
            f"{row['source']} holds {row['symbol']} of {row['date']} twice (ids "
            f"{', '.join(twice.filter(pl.col('key') == row['key'])['source_id'].to_list())}): "
            "two versions of one file given together? Give one"
        )

    # A field of the roll call: the first non-null value in source precedence.
    def first(column: str) -> pl.Expr:
        return pl.col(column).sort_by("rank").drop_nulls().first()

    def union(column: str) -> pl.Expr:
        return (
            pl.col(column).list.explode(keep_nulls=False, empty_as_null=False).unique().sort()
            .alias(column)
        )  # fmt: skip

    tally_source = (
        pl.col("source")
        .filter(pl.col("yes").is_not_null())
        .sort_by(pl.col("rank").filter(pl.col("yes").is_not_null()))
        .first()
    )
    merged = calls.group_by("key").agg(
        *[first(c) for c in ("symbol", "date", "session", "title", "kind", "important",
                             "rcid", "undl_id")],
        *[pl.col(c).filter(pl.col("yes").is_not_null()).sort_by(
            pl.col("rank").filter(pl.col("yes").is_not_null())).first() for c in TALLY_COLUMNS],
        tally_source.alias("tally_source"),
        union("topics"), union("subjects"), union("agenda"),
        pl.col("source").sort_by("rank").unique(maintain_order=True).alias("sources"),
    )  # fmt: skip
    merged = (
        infer_dates(merged, notes)
        .with_columns(pl.col("kind").fill_null("resolution"))
        .sort("date", pl.col("symbol").fill_null(""), pl.col("rcid").fill_null(0), "key")
        .with_row_index("roll_call_id", offset=1)
        .with_columns(pl.col("roll_call_id").cast(pl.Int64))
    )
    ids = merged.select("key", "roll_call_id")
    calls = calls.join(ids, on="key")
    roll_call_sources = calls.select(
        "roll_call_id", "source", "source_id", "symbol", "date", "title", "kind",
        *TALLY_COLUMNS,
    ).sort("roll_call_id", rank_of(pl.col("source")))  # fmt: skip

    votes = votes.join(
        calls.select("source", "source_id", "roll_call_id"), on=["source", "source_id"]
    ).with_columns(rank_of(pl.col("source")).alias("rank"))
    # Published votes first, then precedence: an inferred absence never hides a cast vote.
    # (priority is unique within a (roll call, state): one source, one row.)
    votes = votes.with_columns(
        (pl.col("rank") + pl.when(pl.col("published")).then(0).otherwise(100)).alias("priority")
    )
    kept = votes.filter(
        pl.col("priority") == pl.col("priority").min().over("roll_call_id", "iso3")
    ).sort("roll_call_id", "iso3")
    kept_votes = kept.select(
        "roll_call_id", "iso3", "vote", "source", (~pl.col("published")).alias("inferred")
    )
    disagreements = (
        votes.filter(pl.col("published"))
        .join(
            kept.select(
                "roll_call_id",
                "iso3",
                pl.col("vote").alias("kept_vote"),
                pl.col("source").alias("kept_source"),
            ),
            on=["roll_call_id", "iso3"],
        )
        .filter(
            (pl.col("source") != pl.col("kept_source")) & (pl.col("vote") != pl.col("kept_vote"))
        )
        .select(
            "roll_call_id",
            "iso3",
            "kept_source",
            "kept_vote",
            pl.col("source").alias("other_source"),
            pl.col("vote").alias("other_vote"),
        )
        .sort("roll_call_id", "iso3", "other_source")
    )
    published = votes.filter(pl.col("published")).select("roll_call_id", "iso3", "source", "vote")
    agreement = source_agreement(published)
    # Where no source published tallies, count the kept votes.
    counted = _count(kept_votes, "roll_call_id").select(
        "roll_call_id", *[pl.col(c).alias(f"c_{c}") for c in TALLY_COLUMNS]
    )
    merged = (
        merged.join(counted, on="roll_call_id", how="left")
        .with_columns(
            pl.col("tally_source").fill_null(pl.lit("counted")),
            *[pl.coalesce(c, f"c_{c}").alias(c) for c in ("yes", "no", "abstain")],
            # Sources that publish yes/no/abstain but not non-voting: count those from the votes.
            pl.coalesce("non_voting", "c_non_voting").alias("non_voting"),
        )
        .drop("c_yes", "c_no", "c_abstain", "c_non_voting", "key")
    )
    checks = tally_checks(published, kept_votes, roll_call_sources)
    decisions = _decisions(sources, merged, notes)
    return Reconciled(
        merged, kept_votes, roll_call_sources, disagreements, agreement, checks, decisions, notes
    )


def source_agreement(published: pl.DataFrame) -> pl.DataFrame:
    """Per pair of sources (alphabetical): the roll calls and votes both publish and how many
    of those votes differ. One column per source, not a self-join of millions of votes."""
    wide = published.pivot(on="source", index=["roll_call_id", "iso3"], values="vote")
    names = sorted(c for c in wide.columns if c not in ("roll_call_id", "iso3"))
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            both = pl.col(a).is_not_null() & pl.col(b).is_not_null()
            shared, votes, differing = wide.select(
                pl.col("roll_call_id").filter(both).n_unique().alias("shared"),
                both.sum().alias("votes"),
                (both & (pl.col(a) != pl.col(b))).sum().alias("differing"),
            ).row(0)
            if votes:
                rows.append((a, b, shared, votes, differing))
    return pl.DataFrame(
        rows,
        schema={"source_a": pl.String, "source_b": pl.String, "shared_roll_calls": pl.Int64,
                "shared_votes": pl.Int64, "differing_votes": pl.Int64},
        orient="row",
    )  # fmt: skip


def _count(votes: pl.DataFrame, *keys: str) -> pl.DataFrame:
    """Yes, no, abstain and non-voting rows per ``keys``."""
    return votes.group_by(*keys).agg(
        *[
            (pl.col("vote") == letter).sum().cast(pl.Int64).alias(name)
            for name, letter in zip(TALLY_COLUMNS, ("Y", "N", "A", "X"), strict=True)
        ]
    )


STORE = "store"  # tally_checks: the rows of the votes kept, all sources together


def tally_checks(
    published: pl.DataFrame, kept: pl.DataFrame, roll_call_sources: pl.DataFrame
) -> pl.DataFrame:
    """Each source's published rows, and the votes kept (``store``), counted and set against
    every yes/no/abstain tally a source publishes for the roll call: one row per roll call,
    rows and tally. ``missing`` counts the votes the rows lack to reach the tally (summed over
    yes, no, abstain), ``excess`` those they hold beyond it; ``finding`` is ``match``, ``rows
    short`` (lacking only), ``rows over`` (beyond only) or ``rows differ`` (both). Inferred
    absences are no rows (a source that omits absentees says nothing of them)."""
    rows = pl.concat(
        [
            _count(published, "roll_call_id", "source"),
            _count(kept.filter(~pl.col("inferred")), "roll_call_id").with_columns(
                source=pl.lit(STORE)
            ),
        ],
        how="diagonal_relaxed",
    ).drop("non_voting")
    tallies = roll_call_sources.filter(pl.col("yes").is_not_null()).select(
        "roll_call_id",
        pl.col("source").alias("tally_source"),
        *[pl.col(c).cast(pl.Int64).alias(f"tally_{c}") for c in ("yes", "no", "abstain")],
    )
    diffs = [pl.col(f"tally_{c}") - pl.col(c) for c in ("yes", "no", "abstain")]
    missing = pl.sum_horizontal(d.clip(lower_bound=0) for d in diffs)
    excess = pl.sum_horizontal((-d).clip(lower_bound=0) for d in diffs)
    return (
        rows.join(tallies, on="roll_call_id")
        .with_columns(missing.alias("missing"), excess.alias("excess"))
        .with_columns(
            pl.when((pl.col("missing") == 0) & (pl.col("excess") == 0))
            .then(pl.lit("match"))
            .when(pl.col("excess") == 0)
            .then(pl.lit("rows short"))
            .when(pl.col("missing") == 0)
            .then(pl.lit("rows over"))
            .otherwise(pl.lit("rows differ"))
            .alias("finding")
        )
        .sort("roll_call_id", (pl.col("source") != STORE), "source", "tally_source")
    )


def _decisions(sources: list[SourceRows], merged: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    """The resolutions sources list as adopted without a vote, once each (by precedence);
    one a source holds a recorded vote of (same symbol and date) is no such decision."""
    listed = [s.decisions for s in sources if s.decisions is not None]
    if not listed:
        return pl.DataFrame(schema=DECISION_SCHEMA)
    frame = (
        pl.concat(listed, how="vertical_relaxed")
        .sort(rank_of(pl.col("source")))
        .unique(["symbol", "date"], keep="first", maintain_order=True)
    )
    voted = merged.filter(pl.col("symbol").is_not_null()).select("symbol", "date")
    clash = frame.join(voted, on=["symbol", "date"], how="semi")
    for row in clash.iter_rows(named=True):
        notes.append(
            f"{row['symbol']} ({row['date']}): {row['source']} lists it as adopted without a "
            "vote, another source holds its recorded vote; kept as a roll call"
        )
    return frame.join(voted, on=["symbol", "date"], how="anti").sort("date", "symbol")
