"""What the store holds of each session series, per source: the ``coverage`` table.

A series is what a resolution's symbol numbers it in: a regular session (``78``), an
emergency special session (``ES-11``) or a special session (``S-32``), written as in modern
symbols (:func:`alignment.symbols.series`); a roll call without a symbol counts in its regular
session. For the store as reconciled (source ``store``) and for each source: the first and
last vote, the roll calls and the resolutions voted on, the resolutions the source lists as
adopted without a vote (null where no source says: then the share of decisions taken without
a vote is unknown), the gaps in the resolution numbering (numbers with neither a recorded
vote nor a decision without a vote; where decisions without a vote are unknown most gaps are
such decisions), and the date through which the holdings are complete: the last record,
unless the numbering has a gap where every decision is known, then the date of the last
resolution numbered before the first gap.

Frames in, frame out; :mod:`alignment.derived` stores it, :func:`alignment.analyses.read_coverage`
reads it for reports.
"""

from __future__ import annotations

import polars as pl

from alignment.reconcile import STORE
from alignment.symbols import LAST_ROMAN_SESSION, SERIES_KINDS, parse

GAPS_SHOWN = 160  # characters of the gap list kept in the table

SCHEMA = {
    "series": pl.String, "series_kind": pl.String, "series_number": pl.Int64,
    "source": pl.String, "first_vote": pl.Date, "last_vote": pl.Date, "roll_calls": pl.Int64,
    "resolutions": pl.Int64, "without_vote": pl.Int64, "highest_number": pl.Int64,
    "numbering_gaps": pl.Int64, "gaps": pl.String, "last_record": pl.Date,
    "complete_through": pl.Date,
}  # fmt: skip


def _parsed(symbols: pl.Series) -> pl.DataFrame:
    """symbol -> series, number, modern (numbered within its series) for distinct symbols."""
    rows = []
    for symbol in symbols.drop_nulls().unique():
        found = parse(symbol)
        if found is not None:
            rows.append(
                {"symbol": symbol, "p_series": found[0], "number": found[1],
                 "modern": "(" not in symbol}
            )  # fmt: skip
    return pl.DataFrame(
        rows,
        schema={"symbol": pl.String, "p_series": pl.String, "number": pl.Int64,
                "modern": pl.Boolean},
    )  # fmt: skip


def with_series(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (columns symbol, session) with series, number and modern (null when the
    symbol has no known form; the series then is the regular session). A regular series
    more than a session away from the roll call's session is a slip in the source's symbol
    (unvotes writes ``R/677/46`` for ``R/67/46``): the session is taken instead."""
    parsed = _parsed(frame["symbol"])
    regular = pl.col("p_series").str.contains(r"^\d+$")
    slip = regular & (
        (pl.col("p_series").cast(pl.Int64, strict=False) - pl.col("session")).abs() > 1
    )
    return (
        frame.join(parsed, on="symbol", how="left")
        .with_columns(
            pl.when(slip).then(None).otherwise(pl.col("p_series")).alias("p_series"),
            pl.when(slip).then(None).otherwise(pl.col("number")).alias("number"),
        )
        .with_columns(
            pl.coalesce("p_series", pl.col("session").cast(pl.String)).alias("series"),
            # Sessions 1-30 numbered resolutions across sessions: no gaps within one.
            (pl.col("modern") & (pl.col("session") > LAST_ROMAN_SESSION)).alias("modern"),
        )
        .drop("p_series")
    )


def _ranges(numbers: list[int]) -> str:
    """``[3, 4, 5, 9]`` -> ``3-5, 9``, cut to :data:`GAPS_SHOWN` characters."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and runs[-1][1] + 1 == n:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    text = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
    return text if len(text) <= GAPS_SHOWN else text[: GAPS_SHOWN - 1].rsplit(", ", 1)[0] + ", …"


def _series_rows(source: str, votes: pl.DataFrame, decisions: pl.DataFrame | None) -> list[dict]:
    """One row per series of one source: ``votes`` (series, number, modern, date, symbol,
    roll_call_id), ``decisions`` (series, number, modern, date) or None when the source lists
    no decisions without a vote."""
    rows = []
    known = decisions is not None
    listed = (
        decisions
        if decisions is not None
        else votes.head(0).select("series", "number", "modern", "date")
    )
    names = set(votes["series"].drop_nulls()) | set(listed["series"].drop_nulls())
    for name in names:
        v = votes.filter(pl.col("series") == name)
        d = listed.filter(pl.col("series") == name)
        numbered = pl.concat(
            [v.select("number", "modern", "date"), d.select("number", "modern", "date")]
        ).drop_nulls("number")
        highest = numbered["number"].max() if numbered.height else None
        # Numbers within the series (from session 31): the gaps can be counted.
        counted = bool(numbered.height) and bool(numbered["modern"].all())
        seen = set(numbered["number"].to_list())
        gaps = [n for n in range(1, int(highest) + 1) if n not in seen] if counted else []  # type: ignore[arg-type]
        last_record = max(
            [x for x in (v["date"].max(), d["date"].max() if d.height else None) if x is not None],
            default=None,
        )
        complete = last_record
        if known and gaps:
            before = numbered.filter(pl.col("number") < gaps[0])
            complete = before["date"].max() if before.height else None
        prefix = name.split("-")[0] if "-" in name else ""
        rows.append({
            "series": name, "series_kind": SERIES_KINDS[prefix],
            "series_number": int(name.split("-")[-1]), "source": source,
            "first_vote": v["date"].min(), "last_vote": v["date"].max(),
            "roll_calls": v["roll_call_id"].n_unique(), "resolutions": v["symbol"].drop_nulls().n_unique(),
            "without_vote": d.height if known else None,
            "highest_number": highest,
            "numbering_gaps": len(gaps) if counted else None,
            "gaps": _ranges(gaps) if gaps else None,
            "last_record": last_record, "complete_through": complete,
        })  # fmt: skip
    return rows


def coverage_table(
    roll_calls: pl.DataFrame,
    roll_call_sources: pl.DataFrame,
    decisions: pl.DataFrame,
    listing_sources: set[str] | frozenset[str] = frozenset(),
) -> pl.DataFrame:
    """The coverage table: one row per series and source (``store``: all sources reconciled).

    ``roll_calls`` (roll_call_id, symbol, date, session), ``roll_call_sources`` (roll_call_id,
    source, symbol, date), ``decisions`` (source, symbol, date, session: resolutions adopted
    without a vote), ``listing_sources``: the sources that list every resolution of the
    series they cover, with or without a vote (the UN's per-session JSON)."""
    sessions = roll_calls.select("roll_call_id", "session")
    store = with_series(roll_calls.select("roll_call_id", "symbol", "date", "session"))
    per_source = with_series(
        roll_call_sources.select("roll_call_id", "source", "symbol", "date").join(
            sessions, on="roll_call_id"
        )
    )
    listed = with_series(decisions.select("source", "symbol", "date", "session"))
    rows: list[dict] = []
    for source in sorted(set(per_source["source"]) | set(listed["source"])):
        d = listed.filter(pl.col("source") == source)
        rows += _series_rows(
            source,
            per_source.filter(pl.col("source") == source),
            d if source in listing_sources else None,
        )
    # The store: decisions are known for a series a listing source covers.
    covered = {r["series"] for r in rows if r["without_vote"] is not None}
    store_rows = _series_rows(STORE, store, listed)
    for row in store_rows:
        if row["series"] not in covered:
            row["without_vote"] = None
            row["complete_through"] = row["last_record"]
    rows += store_rows
    return (
        pl.DataFrame(rows, schema=SCHEMA)
        .with_columns(
            pl.col("series_kind")
            .replace_strict(
                {k: i for i, k in enumerate(SERIES_KINDS.values())}, return_dtype=pl.Int8
            )
            .alias("_kind"),
            (pl.col("source") != STORE).alias("_source"),
        )
        .sort("_kind", "series_number", "_source", "source")
        .drop("_kind", "_source")
    )
