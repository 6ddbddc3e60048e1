"""Titles as users read them: the sources' catalogue suffixes removed, spacing tidied."""

from __future__ import annotations

import polars as pl

# The UN Digital Library catalogues a resolution as "<title> : resolution / adopted by the
# General Assembly"; the suffix says nothing a user needs and differs between sources.
_SUFFIX = r"\s*:\s*resolution\s*(/\s*adopted by the General Assembly\.?)?\s*$"


def tidy_title(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.replace_all("\u00a0", " ")
        .str.replace(_SUFFIX, "")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


# unvotes describes many separate votes from 2008 on by the meeting record around them ("The
# Acting President: Draft resolution XXX is entitled ..."): text that names every draft, sponsor
# and speaker of the meeting, not what the vote is about.
TRANSCRIPT = (
    r"^(?:The (?:Acting )?President|The Chair(?:man|person)?)\b"
    r"|^(?:Mr|Mrs|Ms)\.\s+\w+[^:]{0,80}:|\(spoke in \w+\)"
)


def is_transcript(expr: pl.Expr) -> pl.Expr:
    """Whether a title is a meeting record rather than the title of a text."""
    return expr.fill_null("").str.contains(TRANSCRIPT)


# A meeting record names the text it puts to the vote: "Draft resolution XIV is entitled
# _Nuclear disarmament<d3>" (unvotes writes the quotation marks as "_" and "<d3>").
_ENTITLED = r"entitled\s*(?:_|\"|“)([^_\"”<]{3,300}?)(?:<d3>|\"|”)"


def readable_titles(roll_calls: pl.DataFrame) -> pl.Series:
    """The title a reader is shown for each roll call (``symbol``, ``title``): its own, unless
    that is a meeting record (:func:`is_transcript`); then the title of another roll call on
    the same text (the vote on the text as a whole), else the one title the record quotes
    ("is entitled ..."), else null. Named ``title``, in the frame's order."""
    transcript = is_transcript(pl.col("title"))
    clean = (
        roll_calls.filter(~transcript, pl.col("symbol").is_not_null(), pl.col("title") != "")
        .group_by("symbol")
        .agg(pl.col("title").first().alias("_sibling"))
    )
    quoted = pl.col("title").str.extract_all(_ENTITLED)
    out = (
        roll_calls.select("symbol", "title")
        .with_row_index("_i")
        .join(clean, on="symbol", how="left")
        .with_columns(
            _quoted=pl.when(quoted.list.len() == 1)
            .then(quoted.list.first().str.extract(_ENTITLED))
            .otherwise(None)
        )
        .sort("_i")
    )
    return out.select(
        pl.when(~transcript)
        .then(pl.col("title"))
        .otherwise(pl.coalesce("_sibling", pl.col("_quoted").str.strip_chars()))
        .alias("title")
    ).to_series()
