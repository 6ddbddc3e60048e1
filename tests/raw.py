"""Counts taken straight from the publishers' files with plain polars, independently of the
readers, so that tests compare what the store holds with what the files say rather than with
numbers pinned to today's data."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl

SHARED_DATA = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data").resolve()


@cache
def voeten() -> pl.DataFrame:
    """Voeten's complete vote file: rcid, session, vote (1 yes 2 abstain 3 no 8 absent 9 not
    a member), ccode."""
    return pl.read_csv(
        SHARED_DATA / "voeten" / "completeVotes_1946-2015.csv.gz",
        columns=["rcid", "session", "vote", "ccode"],
    )


@cache
def unvotes_roll_calls() -> pl.DataFrame:
    return pl.read_csv(SHARED_DATA / "unvotes" / "roll_calls.csv.gz", infer_schema=False)


def voeten_roll_calls() -> int:
    return voeten()["rcid"].n_unique()


def voeten_member_rows() -> int:
    """Rows of states that were members (vote codes other than 9, "not a member")."""
    return voeten().filter(pl.col("vote") != 9).height


def voeten_cast() -> int:
    """Yes, abstain and no votes."""
    return voeten().filter(pl.col("vote").is_in([1, 2, 3])).height


def unvotes_amendments() -> int:
    """Roll calls unvotes flags as amendments (amend = 1)."""
    return unvotes_roll_calls().filter(pl.col("amend") == "1").height
