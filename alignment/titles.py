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
