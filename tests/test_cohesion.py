"""alignment.cohesion on hand-worked cases: the agreement index, cohesion per roll call and
per period, defections, and bloc majorities (ties included)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from frames import hand_frames

from alignment import cohesion
from alignment.cohesion import agreement_index, bloc_cohesion, defections, roll_call_cohesion
from alignment.reports.inputs import majority_votes

# Bloc "a": A, B, C, D on every roll call; bloc "b": C and E on roll calls 1 and 3 only.
# F belongs to no bloc and must never count.
MEMBERS = pl.DataFrame(
    [(rc, "a", s) for rc in (1, 2, 3, 4) for s in "ABCD"]
    + [(rc, "b", s) for rc in (1, 3) for s in "CE"],
    schema={"roll_call_id": pl.Int64, "bloc": pl.String, "iso3": pl.String},
    orient="row",
)
VOTES = pl.DataFrame(
    [
        # rc 1: a = Y Y N A -> 2 yes, 1 no, 1 abstain: yes. b = N N: no.
        (1, "A", "Y"), (1, "B", "Y"), (1, "C", "N"), (1, "D", "A"), (1, "E", "N"), (1, "F", "N"),
        # rc 2: a = Y N X (D has no row) -> 1 yes, 1 no: a tie, no majority (X); 2 no vote.
        (2, "A", "Y"), (2, "B", "N"), (2, "C", "X"), (2, "F", "Y"),
        # rc 3: a = nobody voted -> X, 4 no vote. b = E abstains, C has no row -> abstain.
        (3, "A", "X"), (3, "E", "A"),
        # rc 4: a = A A Y Y -> a tie of yes and abstain: X.
        (4, "A", "A"), (4, "B", "A"), (4, "C", "Y"), (4, "D", "Y"),
    ],
    schema={"roll_call_id": pl.Int64, "iso3": pl.String, "vote": pl.String},
    orient="row",
)  # fmt: skip

EXPECTED = [
    # roll_call_id, bloc, vote, n_yes, n_no, n_abstain, n_none
    (1, "a", "Y", 2, 1, 1, 0),
    (1, "b", "N", 0, 2, 0, 0),
    (2, "a", "X", 1, 1, 0, 2),
    (3, "a", "X", 0, 0, 0, 4),
    (3, "b", "A", 0, 0, 1, 1),
    (4, "a", "X", 2, 0, 2, 0),
]


def test_hand_worked_majorities_and_ties() -> None:
    got = cohesion.bloc_majority_votes(VOTES, MEMBERS)
    assert got.columns == ["roll_call_id", "bloc", "vote", "n_yes", "n_no", "n_abstain", "n_none"]
    assert got.rows() == EXPECTED


def test_majority_agrees_with_defections() -> None:
    """Where there is a majority it is the plurality the defections are measured against."""
    maj = cohesion.bloc_majority_votes(VOTES, MEMBERS).filter(pl.col("vote") != "X")
    lines = cohesion.defections(VOTES, MEMBERS)
    for rc, bloc, plurality in lines.select("roll_call_id", "bloc", "bloc_plurality_vote").rows():
        assert maj.filter(roll_call_id=rc, bloc=bloc)["vote"].item() == plurality
    # Only roll call 1 has a bloc line that members left: C and D of bloc a.
    assert lines.select("roll_call_id", "bloc", "iso3").rows() == [(1, "a", "C"), (1, "a", "D")]


def test_duplicate_membership_rows_count_once() -> None:
    doubled = pl.concat([MEMBERS, MEMBERS])
    assert cohesion.bloc_majority_votes(VOTES, doubled).rows() == EXPECTED


def test_empty_inputs() -> None:
    got = cohesion.bloc_majority_votes(VOTES, MEMBERS.head(0))
    assert got.is_empty() and got.columns[2] == "vote"


def test_report_majority_is_the_public_function() -> None:
    got = majority_votes(VOTES, MEMBERS, "b")
    assert got.columns == ["roll_call_id", "iso3", "vote", "n_yes", "n_no", "n_abstain", "n_none"]
    assert got.rows() == [(1, "bloc:b", "N", 0, 2, 0, 0), (3, "bloc:b", "A", 0, 0, 1, 1)]


def test_agreement_index_by_hand():
    got = agreement_index([5, 3, 2, 0, 4], [1, 0, 2, 0, 2], [0, 0, 2, 0, 0])
    # (5 - .5·1)/6; all alike; equal three-way split; nobody voted; (4 - .5·2)/6.
    np.testing.assert_allclose(got, [0.75, 1.0, 0.0, np.nan, 0.5])


def memberships() -> pl.DataFrame:
    rows = [(rc, "EU", s) for rc in range(1, 6) for s in ("AAA", "BBB", "CCC")]
    rows += [(5, "G", "AAA"), (5, "G", "DDD")]
    return pl.DataFrame(rows, schema=["roll_call_id", "bloc", "iso3"], orient="row")


def test_cohesion_by_hand():
    votes, rcs = hand_frames()
    per_rc = roll_call_cohesion(votes, memberships())
    # EU: rc 1 YYY -> 1; rc 2 YNY -> (2 - .5)/3; rc 3 YA (CCC X) -> (1 - .5)/2; rc 4 NNY -> .5;
    # rc 5 YYY -> 1. G on rc 5: Y N -> (1 - .5)/2.
    assert per_rc.select("roll_call_id", "bloc").rows() == [
        (1, "EU"), (2, "EU"), (3, "EU"), (4, "EU"), (5, "EU"), (5, "G"),
    ]  # fmt: skip
    np.testing.assert_allclose(per_rc["ai"].to_numpy(), [1, 0.5, 0.25, 0.5, 1, 0.25])
    by_session = bloc_cohesion(votes, rcs, memberships(), by="session")
    assert by_session.rows() == [
        ("EU", 55, pytest.approx(1.75 / 3), 3),
        ("EU", 56, pytest.approx(0.75), 2),
        ("G", 56, pytest.approx(0.25), 1),
    ]
    whole = bloc_cohesion(votes, rcs, memberships(), by=None)
    assert whole.filter(pl.col("bloc") == "EU")["cohesion"][0] == pytest.approx(3.25 / 5)


def test_defections_by_hand():
    votes, _ = hand_frames()
    got = defections(votes, memberships())
    # rc 2: BBB voted N against the EU's Y; rc 4: CCC Y against N. rc 3 (Y/A) and G on rc 5
    # (Y/N) are ties: no plurality, so no defection.
    assert got.rows() == [(2, "EU", "BBB", "N", "Y"), (4, "EU", "CCC", "Y", "N")]
    assert got.columns == ["roll_call_id", "bloc", "iso3", "vote", "bloc_plurality_vote"]
