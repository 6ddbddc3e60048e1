"""What a refresh changed, worked by hand on two tiny stores."""

from __future__ import annotations

import datetime as dt

import polars as pl

from alignment import revisions

D1, D2, D3 = dt.date(2024, 12, 17), dt.date(2025, 12, 18), dt.date(2025, 12, 19)


# The columns of roll_calls and votes that revisions reads.
CALLS = {"roll_call_id": pl.Int64, "rcid": pl.Int64, "symbol": pl.String, "date": pl.Date,
         "title": pl.String}  # fmt: skip
VOTES = {"roll_call_id": pl.Int64, "iso3": pl.String, "vote": pl.String, "source": pl.String}


def _frame(schema: dict[str, type[pl.DataType]], rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def test_keys_rcid_else_symbol_and_date_repeats_numbered() -> None:
    calls = _frame(CALLS, [
        (1, 5135, "A/RES/66/176", D1, "t"), (2, None, "A/RES/80/224", D2, "t"),
        (3, None, "A/RES/80/224", D2, "t"), (4, None, None, D3, "t"),
    ])  # fmt: skip
    assert revisions.keys(calls)["key"].to_list() == [
        "rcid:5135", "A/RES/80/224|2025-12-18", "A/RES/80/224|2025-12-18#2", "|2025-12-19",
    ]  # fmt: skip


def test_new_corrected_removed_and_earlier_rows_carried_with_new_ids() -> None:
    # Before: roll calls 1 (rcid 7), 2 (A/RES/79/185) and 3 (A/RES/79/999, gone after).
    # After the ids are renumbered: A/RES/79/185 is 1, rcid 7 is 2, A/RES/80/224 (3) is new.
    before = _frame(CALLS, [
        (1, 7, None, D1, "amendment"), (2, None, "A/RES/79/185", D1, "Syria"),
        (3, None, "A/RES/79/999", D1, "gone"),
    ])  # fmt: skip
    old_votes = _frame(VOTES, [
        (1, "BLR", "N", "voeten"), (2, "BLR", "N", "unxml_json"), (2, "RUS", "N", "unxml_json"),
        (2, "FRA", "Y", "unxml_json"), (3, "BLR", "Y", "unxml_json"),
    ]).drop("source")  # fmt: skip
    earlier = pl.DataFrame(
        [{"refresh_id": 4, "change": "new", "key": "A/RES/79/185|2024-12-17", "roll_call_id": 2,
          "symbol": "A/RES/79/185", "date": D1, "title": "Syria", "iso3": None, "before": None,
          "after": None, "source": None}],
        schema=revisions.CHANGES_SCHEMA,
    )  # fmt: skip
    after = _frame(CALLS, [
        (1, None, "A/RES/79/185", D1, "Syria"), (2, 7, None, D1, "amendment"),
        (3, None, "A/RES/80/224", D2, "Syria"),
    ])  # fmt: skip
    new_votes = _frame(VOTES, [
        (1, "BLR", "N", "unxml_json"), (1, "RUS", "A", "undl_csv"),  # RUS corrected N -> A
        (1, "USA", "Y", "undl_csv"),  # a row the store lacked; FRA's row is gone
        (2, "BLR", "N", "voeten"), (3, "BLR", "A", "unxml_json"),
    ])  # fmt: skip
    out = revisions.record(revisions.Previous(before, old_votes, earlier), after, new_votes, 5)
    rows = out.select("refresh_id", "change", "key", "roll_call_id", "iso3", "before", "after")
    assert rows.rows() == [
        (4, "new", "A/RES/79/185|2024-12-17", 1, None, None, None),  # carried, id now 1
        (5, "corrected", "A/RES/79/185|2024-12-17", 1, "FRA", "Y", None),
        (5, "corrected", "A/RES/79/185|2024-12-17", 1, "RUS", "N", "A"),
        (5, "corrected", "A/RES/79/185|2024-12-17", 1, "USA", None, "Y"),
        (5, "new", "A/RES/80/224|2025-12-18", 3, None, None, None),
        (5, "removed", "A/RES/79/999|2024-12-17", None, None, None, None),
    ]
    assert out.filter(pl.col("iso3") == "RUS")["source"].to_list() == ["undl_csv"]


def test_no_previous_store_records_nothing() -> None:
    calls = _frame(CALLS, [(1, None, "A/RES/80/224", D2, "Syria")])
    out = revisions.record(None, calls, _frame(VOTES, [(1, "BLR", "A", "unxml_json")]), 1)
    assert out.is_empty() and out.schema == pl.Schema(revisions.CHANGES_SCHEMA)
