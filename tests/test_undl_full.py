"""The UN Digital Library's bulk file beside the other sources: one vote is one roll call
whatever form each source writes its symbol in, the UN's value wins and every changed vote is
a disagreement naming both sources, a resolution only the UN holds arrives whole, and the
tally checks say where unvotes' rows fall short of the UN's tallies.

The file is written by the benchmark's generator (benchmarks/undl_full.py) from the store built
from ../shared/data, for sessions 65-71, and read with every real source but the Library's
excerpt, which it stands in for."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import polars as pl
import pytest

from alignment import store
from alignment.countries import Crosswalk
from alignment.errors import BadDataError
from alignment.reconcile import Reconciled, combine, fill_absent, reconcile
from alignment.sources import undl_csv
from alignment.sources.registry import read_all

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"


def generator():
    spec = importlib.util.spec_from_file_location("undl_full", ROOT / "benchmarks" / "undl_full.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="module")
def with_un(
    built_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Reconciled, dict, Path]:
    path = tmp_path_factory.mktemp("undl") / "2026_02_06_ga_voting.csv"
    con = store.connect(built_store)
    try:
        written = generator().generate(con, path, sessions=(65, 71))
    finally:
        con.close()
    crosswalk = Crosswalk.load()
    others = [SHARED / "voeten", SHARED / "unvotes", SHARED / "unxml", SHARED / "undl" / "marcxml"]
    rows = [fill_absent(r, crosswalk) for r in combine(read_all([*others, path], crosswalk))]
    return reconcile(rows), written, path


def calls_of(rec: Reconciled, symbol_prefix: str) -> pl.DataFrame:
    return rec.roll_calls.filter(pl.col("symbol").str.starts_with(symbol_prefix)).sort("date")


@pytest.mark.slow
def test_the_flagship_vote_is_one_roll_call_in_the_uns_form(with_un, con) -> None:
    rec, written, _ = with_un
    (before,) = con.execute("SELECT count(*) FROM roll_calls").fetchall()[0]
    # Every resolution of the file is one already held, but for the two only the UN holds.
    assert rec.roll_calls.height == before + written["only_un"] == before + 2
    flagship = calls_of(rec, "A/RES/66/253")
    assert flagship.select("symbol", "yes", "no", "abstain").rows() == [
        ("A/RES/66/253 A", 137, 12, 17),
        ("A/RES/66/253 B", 133, 12, 31),
    ]
    assert flagship["sources"].to_list() == [["undl_csv", "voeten", "unvotes"], ["undl_csv"]]
    assert any("A/RES/66/253 A (2012-02-16) is Voeten's A/RES/66/253" in n for n in rec.notes)
    # Every symbol the file gave a part letter to is matched, not doubled.
    parted = rec.roll_call_sources.filter(
        (pl.col("source") == "undl_csv") & pl.col("symbol").str.ends_with(" A")
    )
    assert parted.height == written["with_part"]
    history = rec.roll_call_sources.filter(pl.col("source").is_in(["voeten", "unvotes"]))
    assert parted.join(history, on="roll_call_id", how="semi").height == parted.height


@pytest.mark.slow
def test_resolutions_only_the_un_holds_arrive_whole(with_un) -> None:
    rec, _, _ = with_un
    for symbol, yes, no, abstain in (
        ("A/RES/66/253 B", 133, 12, 31),
        ("A/RES/67/262", 107, 12, 59),
    ):
        (row,) = rec.roll_calls.filter(pl.col("symbol") == symbol).iter_rows(named=True)
        assert (row["yes"], row["no"], row["abstain"], row["tally_source"]) == (
            yes,
            no,
            abstain,
            "undl_csv",
        )
        votes = rec.votes.filter(pl.col("roll_call_id") == row["roll_call_id"])
        counted = dict(votes.group_by("vote").len().iter_rows())
        assert (counted["Y"], counted["N"], counted["A"]) == (yes, no, abstain)
        cast = dict(votes.select("iso3", "vote").iter_rows())
        assert cast["BLR"] == cast["RUS"] == "N"
        assert not votes["inferred"].any()


@pytest.mark.slow
def test_the_uns_value_wins_and_each_change_names_both_sources(with_un) -> None:
    rec, written, _ = with_un
    ids = rec.roll_calls.select("roll_call_id", "symbol")
    found = rec.vote_disagreements.join(ids, on="roll_call_id")
    un = rec.roll_call_sources.filter(pl.col("source") == "undl_csv").with_columns(
        pl.col("symbol").str.replace(r" A$", "").alias("written")
    )
    # Each changed vote: kept from the UN, disagreed with by every source that published it.
    expected = set()
    for (symbol, iso3), new in written["changed_votes"]:
        for roll_call_id in un.filter(pl.col("written") == symbol)["roll_call_id"]:
            kept = rec.votes.filter(
                (pl.col("roll_call_id") == roll_call_id) & (pl.col("iso3") == iso3)
            )
            assert kept.select("vote", "source", "inferred").row(0) == (new, "undl_csv", False)
            published = rec.roll_call_sources.filter(pl.col("roll_call_id") == roll_call_id)
            for source in set(published["source"]) - {"undl_csv"}:
                if symbol == "A/RES/71/130" and source == "unvotes":
                    continue  # unvotes has no row for Zimbabwe here: nothing to disagree with
                expected.add((symbol, iso3, source))
    written_as = dict(un.select("roll_call_id", "written").iter_rows())
    got = {
        (written_as[r], i, o)
        for r, i, k, o in found.select("roll_call_id", "iso3", "kept_source", "other_source").rows()
        if k == "undl_csv"
    }
    assert got == expected and len(expected) >= written["changed"] - 1
    greece = found.filter(pl.col("iso3") == "GRC")
    assert greece.select("kept_vote", "other_source", "other_vote").sort("other_source").rows() == [
        ("N", "unvotes", "Y"),
        ("N", "voeten", "Y"),
    ]


@pytest.mark.slow
def test_unvotes_rows_fall_short_of_the_uns_tally(with_un) -> None:
    rec, _, _ = with_un
    (a130,) = calls_of(rec, "A/RES/71/130")["roll_call_id"].to_list()
    checks = rec.tally_checks.filter(pl.col("roll_call_id") == a130)
    rows = {(r["source"], r["tally_source"]): r for r in checks.iter_rows(named=True)}
    unvotes = rows[("unvotes", "undl_csv")]
    assert (unvotes["no"], unvotes["tally_no"], unvotes["finding"]) == (12, 13, "rows short")
    assert rows[("store", "undl_csv")]["finding"] == "match"


def test_two_versions_of_the_librarys_file_are_refused(tmp_path: Path) -> None:
    header = ",".join(undl_csv._2025.values()) + ",vote_note"
    columns = header.split(",")

    def line(undl_id: str, code: str) -> str:
        values = {"undl_id": undl_id, "ms_code": code, "ms_name": code, "ms_vote": "Y",
                  "date": "2012-02-16", "session": "66", "resolution": "A/RES/66/253 A",
                  "title": "t", "subjects": "", "total_yes": "2.0", "total_no": "0.0",
                  "total_abstentions": "0.0", "total_non_voting": "0.0", "vote_note": ""}  # fmt: skip
        return ",".join(values.get(c, "") for c in columns)

    for name, undl_id in (("a.csv", "1"), ("b.csv", "2")):
        (tmp_path / name).write_text(
            "\n".join([header, line(undl_id, "BLR"), line(undl_id, "RUS")]) + "\n"
        )
    crosswalk = Crosswalk.load()
    rows = combine(read_all([tmp_path], crosswalk))
    with pytest.raises(BadDataError, match=r"undl_csv holds A/RES/66/253 A of 2012-02-16 twice"):
        reconcile(rows)
