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
