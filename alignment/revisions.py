"""What a refresh changed in the store: the roll calls it added, the votes a source corrected and
the roll calls no source holds any more, against the store it replaces (the ``changes`` table).

``roll_call_id`` is renumbered by every build, so a roll call is followed across builds by its
:func:`keys`: Voeten's ``rcid`` where it has one (his amendment and paragraph votes have no
symbol of their own), else its symbol and date, the pair the UN's sources are matched on. The
rows of earlier refreshes are carried into each new store with ``roll_call_id`` looked up again
by key (null once the roll call is gone).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

NEW, CORRECTED, REMOVED = "new", "corrected", "removed"

CHANGES_SCHEMA: dict[str, pl.DataType] = {
    "refresh_id": pl.Int32(),
    "change": pl.String(),
    "key": pl.String(),
    "roll_call_id": pl.Int64(),
    "symbol": pl.String(),
    "date": pl.Date(),
    "title": pl.String(),
    "iso3": pl.String(),
    "before": pl.String(),
    "after": pl.String(),
    "source": pl.String(),
}


@dataclass(frozen=True)
class Previous:
    """What the store being replaced holds: its roll calls (roll_call_id, rcid, symbol, date,
    title), votes (roll_call_id, iso3, vote) and changes table (:data:`CHANGES_SCHEMA`)."""

    roll_calls: pl.DataFrame
    votes: pl.DataFrame
    changes: pl.DataFrame


def keys(roll_calls: pl.DataFrame) -> pl.DataFrame:
    """roll_call_id and key of each roll call (columns roll_call_id, rcid, symbol, date):
    ``rcid:<rcid>``, else ``<symbol>|<date>``; a key repeated within one store gets ``#2``,
    ``#3`` ... in roll_call_id order, so that each is unique."""
    base = (
        pl.when(pl.col("rcid").is_not_null())
        .then(pl.lit("rcid:") + pl.col("rcid").cast(pl.String))
        .otherwise(
            pl.col("symbol").fill_null("")
            + pl.lit("|")
            + pl.col("date").cast(pl.String).fill_null("")
        )
    )
    out = roll_calls.sort("roll_call_id").with_columns(key=base)
    rank = pl.col("roll_call_id").rank("ordinal").over("key")
    return out.select(
        "roll_call_id",
        pl.when(rank > 1)
        .then(pl.col("key") + "#" + rank.cast(pl.String))
        .otherwise("key")
        .alias("key"),
    )


def record(
    previous: Previous | None,
    roll_calls: pl.DataFrame,
    votes: pl.DataFrame,
    refresh_id: int,
) -> pl.DataFrame:
    """The ``changes`` table of a new store: the previous store's rows (roll_call_id looked up
    again by key) and this refresh's, against ``previous`` (None: no store to compare with,
    nothing recorded). ``roll_calls``: roll_call_id, rcid, symbol, date, title; ``votes``:
    roll_call_id, iso3, vote, source."""
    if previous is None:
        return pl.DataFrame(schema=CHANGES_SCHEMA)
    after = keys(roll_calls).join(
        roll_calls.select("roll_call_id", "symbol", "date", "title"), on="roll_call_id"
    )
    before = keys(previous.roll_calls).join(
        previous.roll_calls.select("roll_call_id", "symbol", "date", "title"), on="roll_call_id"
    )
    carried = (
        previous.changes.drop("roll_call_id")
        .join(after.select("key", "roll_call_id"), on="key", how="left")
        .select(list(CHANGES_SCHEMA))
    )
    added = after.join(before, on="key", how="anti").with_columns(change=pl.lit(NEW))
    removed = before.join(after, on="key", how="anti").with_columns(
        change=pl.lit(REMOVED), roll_call_id=pl.lit(None, pl.Int64)
    )
    both = before.select("key", old_id="roll_call_id").join(
        after.select("key", "roll_call_id", "symbol", "date", "title"), on="key"
    )
    old_votes = previous.votes.select("roll_call_id", "iso3", "vote").join(
        both.select(roll_call_id="old_id", new_id="roll_call_id"), on="roll_call_id"
    )
    new_votes = votes.select("roll_call_id", "iso3", "vote", "source").filter(
        pl.col("roll_call_id").is_in(both["roll_call_id"].implode())
    )
    differ = (
        old_votes.select(roll_call_id="new_id", iso3="iso3", before="vote")
        .join(new_votes.rename({"vote": "after"}), on=["roll_call_id", "iso3"], how="full",
              coalesce=True)
        .filter(pl.col("before").ne_missing(pl.col("after")))
        .join(both.drop("old_id"), on="roll_call_id")
        .with_columns(change=pl.lit(CORRECTED))
    )  # fmt: skip
    rows = pl.concat(
        [
            frame.with_columns(refresh_id=pl.lit(refresh_id, pl.Int32))
            for frame in (added, differ, removed)
        ],
        how="diagonal_relaxed",
    )
    fresh = pl.DataFrame(schema=CHANGES_SCHEMA).vstack(
        rows.select([pl.col(c).cast(t) if c in rows.columns else pl.lit(None, t).alias(c)
                     for c, t in CHANGES_SCHEMA.items()])
    )  # fmt: skip
    return pl.concat([carried.cast(CHANGES_SCHEMA), fresh]).sort(  # type: ignore[arg-type]
        "refresh_id", "change", "date", "key", "iso3", nulls_last=True
    )
