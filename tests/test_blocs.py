"""Bloc memberships: real dates from data/, and the loader's refusals of bad files."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from alignment import resources
from alignment.blocs import (
    BLOCS_FILE,
    MEMBERSHIPS_FILE,
    load_blocs,
    load_memberships,
    members_on,
    membership_on_dates,
)
from alignment.errors import BadDataError

D = dt.date.fromisoformat

EU27_2012 = {
    "AUT", "BEL", "BGR", "CYP", "CZE", "DEU", "DNK", "ESP", "EST", "FIN", "FRA", "GBR", "GRC",
    "HUN", "IRL", "ITA", "LTU", "LUX", "LVA", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN",
    "SWE",
}  # fmt: skip


@pytest.fixture(scope="module")
def memberships() -> pl.DataFrame:
    return load_memberships()


# --- real values -------------------------------------------------------------------------------


def test_csto_2012_still_has_uzbekistan(memberships: pl.DataFrame) -> None:
    assert members_on(memberships, "csto", D("2012-02-16")) == [
        "ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "UZB",
    ]  # fmt: skip


def test_csto_2013_without_uzbekistan(memberships: pl.DataFrame) -> None:
    assert members_on(memberships, "csto", D("2013-06-01")) == [
        "ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK",
    ]  # fmt: skip


def test_uzbekistan_csto_suspension_spell(memberships: pl.DataFrame) -> None:
    assert "UZB" in members_on(memberships, "csto", D("2012-06-27"))
    assert "UZB" not in members_on(memberships, "csto", D("2012-06-28"))
    assert members_on(memberships, "csto", D("2012-09-01"), statuses=("suspended",)) == ["UZB"]


def test_armenia_csto_frozen_from_february_2024(memberships: pl.DataFrame) -> None:
    assert "ARM" in members_on(memberships, "csto", D("2024-02-21"))
    assert "ARM" not in members_on(memberships, "csto", D("2024-06-01"))
    assert members_on(memberships, "csto", D("2024-06-01"), statuses=("frozen",)) == ["ARM"]
    both = members_on(memberships, "csto", D("2024-06-01"), statuses=("member", "frozen"))
    assert both == ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"]


def test_customs_union_and_eaeu(memberships: pl.DataFrame) -> None:
    assert members_on(memberships, "customs_union", D("2012-02-16")) == ["BLR", "KAZ", "RUS"]
    assert members_on(memberships, "eaeu", D("2012-02-16")) == []
    assert members_on(memberships, "eaeu", D("2015-01-01")) == ["BLR", "KAZ", "RUS"]
    assert members_on(memberships, "eaeu", D("2015-01-02")) == ["ARM", "BLR", "KAZ", "RUS"]
    assert members_on(memberships, "eaeu", D("2016-01-01")) == ["ARM", "BLR", "KAZ", "KGZ", "RUS"]
    assert members_on(memberships, "customs_union", D("2015-06-01")) == []


def test_cis_georgia_ukraine_turkmenistan(memberships: pl.DataFrame) -> None:
    assert "GEO" in members_on(memberships, "cis", D("2009-08-17"))
    assert "GEO" not in members_on(memberships, "cis", D("2009-08-18"))
    assert "UKR" in members_on(memberships, "cis", D("2012-02-16"))
    assert "UKR" not in members_on(memberships, "cis", D("2015-01-01"))
    assert members_on(memberships, "cis", D("2010-01-01"), statuses=("associate",)) == ["TKM"]


def test_eu_2012_has_27(memberships: pl.DataFrame) -> None:
    assert set(members_on(memberships, "eu", D("2012-02-16"))) == EU27_2012


def test_eu_after_brexit(memberships: pl.DataFrame) -> None:
    on_last_day = members_on(memberships, "eu", D("2020-01-31"))
    after = members_on(memberships, "eu", D("2020-02-01"))
    assert "GBR" in on_last_day
    assert set(after) == (EU27_2012 - {"GBR"}) | {"HRV"}
    assert len(after) == 27


def test_eu_croatia(memberships: pl.DataFrame) -> None:
    assert "HRV" not in members_on(memberships, "eu", D("2013-06-30"))
    assert "HRV" in members_on(memberships, "eu", D("2013-07-01"))
    assert len(members_on(memberships, "eu", D("2013-07-01"))) == 28


def test_eu_founders(memberships: pl.DataFrame) -> None:
    assert members_on(memberships, "eu", D("1960-01-01")) == [
        "BEL", "DEU", "FRA", "ITA", "LUX", "NLD",
    ]  # fmt: skip


def test_nato_enlargements(memberships: pl.DataFrame) -> None:
    assert "SWE" not in members_on(memberships, "nato", D("2024-03-06"))
    assert "SWE" in members_on(memberships, "nato", D("2024-03-07"))
    assert "FIN" in members_on(memberships, "nato", D("2023-04-04"))
    assert len(members_on(memberships, "nato", D("2024-03-07"))) == 32
    assert "FRA" in members_on(memberships, "nato", D("1975-01-01"))  # 1966 was not an exit


def test_arab_league_syria_suspended(memberships: pl.DataFrame) -> None:
    members = members_on(memberships, "arab_league", D("2012-02-16"))
    assert "SYR" not in members
    assert "PSE" in members
    assert members_on(memberships, "arab_league", D("2012-02-16"), statuses=("suspended",)) == [
        "SYR"
    ]
    assert "SYR" in members_on(memberships, "arab_league", D("2023-05-07"))
    assert "EGY" not in members_on(memberships, "arab_league", D("1985-01-01"))


def test_current_sizes(memberships: pl.DataFrame) -> None:
    today = D("2025-06-01")
    sizes = {
        "arab_league": 22,
        "brics": 10,
        "nam": 120,
        "nato": 32,
        "oic": 56,  # 57 members, Syria suspended
        "sco": 10,
        "eaeu": 5,
        "cis": 9,  # plus Turkmenistan as associate
    }
    for bloc, size in sizes.items():
        assert len(members_on(memberships, bloc, today)) == size, bloc


def test_every_bloc_is_defined_and_has_members(memberships: pl.DataFrame) -> None:
    blocs = load_blocs()
    assert set(memberships["bloc"].unique()) == set(blocs["bloc"])
    assert memberships["source"].str.strip_chars().str.len_chars().min() > 0


def test_unknown_bloc_in_query(memberships: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="nato2"):
        members_on(memberships, "nato2", D("2020-01-01"))


def test_membership_on_dates_matches_members_on(memberships: pl.DataFrame) -> None:
    days = [D("1960-01-01"), D("2012-02-16"), D("2013-06-01"), D("2024-06-01")]
    # Two roll calls on one day, one with no date, and a Datetime column as stores often give.
    dates = pl.DataFrame(
        {
            "roll_call_id": [1, 2, 3, 4, 5, 6],
            "date": [*days, days[1], None],
        }
    ).with_columns(pl.col("date").cast(pl.Datetime("us")))
    out = membership_on_dates(memberships, dates)
    assert out.columns == ["roll_call_id", "date", "bloc", "iso3", "status"]
    assert 6 not in out["roll_call_id"].to_list()
    for rc, day in [(1, days[0]), (2, days[1]), (3, days[2]), (4, days[3]), (5, days[1])]:
        for bloc in ["csto", "eu", "arab_league", "nam", "g77"]:
            got = out.filter(
                pl.col("roll_call_id") == rc, pl.col("bloc") == bloc, pl.col("status") == "member"
            )
            assert sorted(got["iso3"].to_list()) == members_on(memberships, bloc, day)
    frozen = out.filter(
        pl.col("roll_call_id") == 4, pl.col("bloc") == "csto", pl.col("iso3") == "ARM"
    )
    assert frozen["status"].to_list() == ["frozen"]
    only_members = membership_on_dates(memberships, dates, statuses=("member",))
    assert set(only_members["status"].unique()) == {"member"}


def test_membership_on_dates_many_dates(memberships: pl.DataFrame) -> None:
    days = pl.date_range(D("1946-01-01"), D("2024-12-31"), "4d", eager=True)
    dates = pl.DataFrame({"roll_call_id": range(days.len()), "date": days})
    out = membership_on_dates(memberships, dates)
    per_call = out.group_by("roll_call_id", "bloc").len()
    # No state is ever counted twice in one bloc on one day.
    assert out.select("roll_call_id", "bloc", "iso3").is_duplicated().sum() == 0
    assert per_call["len"].max() <= 134


def test_iso3_codes_exist_in_countries_csv(memberships: pl.DataFrame) -> None:
    path = resources.data_file("countries.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and "iso3" in rows[0], "countries.csv has no iso3 column"
    known = {row["iso3"] for row in rows}
    missing = sorted(set(memberships["iso3"]) - known)
    assert missing == []


# --- validation --------------------------------------------------------------------------------

HEADER = "bloc,iso3,joined,left,status,date_precision,source,note\n"
GOOD = "nato,USA,1949-08-24,,member,day,NATO member countries,\n"


def _data_dir(tmp_path: Path, memberships: str) -> Path:
    shutil.copy(resources.folder("data") / BLOCS_FILE, tmp_path / BLOCS_FILE)
    (tmp_path / MEMBERSHIPS_FILE).write_text(memberships, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("natoo,CAN,1949-08-24,,member,day,NATO,\n", "unknown bloc 'natoo'"),
        ("nato,CAN,1949-8-24,,member,day,NATO,\n", "joined '1949-8-24'"),
        ("nato,CAN,1949-02-30,,member,day,NATO,\n", "joined '1949-02-30'"),
        ("nato,CAN,1949-08-24,24/08/1960,member,day,NATO,\n", "left '24/08/1960'"),
        ("nato,CAN,1960-01-01,1959-12-31,member,day,NATO,\n", "left 1959-12-31 is before joined"),
        ("nato,CAN,1949-08-24,,member,day,,\n", "source is empty"),
        ("nato,CAN,1949-08-24,,member,day,   ,\n", "source is empty"),
        ("nato,CAN,1949-08-24,,ally,day,NATO,\n", "unknown status 'ally'"),
        ("nato,CAN,1949-08-24,,member,week,NATO,\n", "unknown date_precision 'week'"),
        ("nato,Can,1949-08-24,,member,day,NATO,\n", "iso3 'Can'"),
        ("nato,CAN,1940-01-01,,member,day,NATO,\n", "before nato was founded"),
        ("cst,CAN,1993-01-01,,member,day,CST,\n", "runs past the dissolution of cst"),
        ("nato,CAN,1949-08-24,,member,day,NATO\n", "expected 8 fields, found 7"),
    ],
)
def test_bad_row_names_file_and_line(tmp_path: Path, bad: str, message: str) -> None:
    data_dir = _data_dir(tmp_path, HEADER + GOOD + bad + GOOD.replace("USA", "GBR"))
    with pytest.raises(BadDataError, match=message) as info:
        load_memberships(data_dir)
    assert info.value.path == str(tmp_path / MEMBERSHIPS_FILE)
    assert info.value.line == 3
    assert f"{MEMBERSHIPS_FILE}:3: " in str(info.value)


def test_overlapping_spells(tmp_path: Path) -> None:
    rows = (
        HEADER
        + "arab_league,SYR,1945-03-22,2011-11-16,member,day,Arab League,\n"
        + GOOD
        + "arab_league,SYR,2011-11-16,2023-05-06,suspended,day,Arab League,\n"
    )
    with pytest.raises(BadDataError, match="overlaps the spell from 1945-03-22 on line 2") as info:
        load_memberships(_data_dir(tmp_path, rows))
    assert info.value.line == 4
    assert info.value.path == str(tmp_path / MEMBERSHIPS_FILE)


def test_open_spell_overlaps_later_one(tmp_path: Path) -> None:
    rows = HEADER + GOOD + "nato,USA,1990-01-01,,member,day,NATO,\n"
    with pytest.raises(BadDataError, match="overlaps") as info:
        load_memberships(_data_dir(tmp_path, rows))
    assert info.value.line == 3


def test_adjacent_spells_are_fine(tmp_path: Path) -> None:
    rows = (
        HEADER
        + "arab_league,SYR,1945-03-22,2011-11-15,member,day,Arab League,\n"
        + "arab_league,SYR,2011-11-16,2023-05-06,suspended,day,Arab League,\n"
        + "arab_league,SYR,2023-05-07,,member,day,Arab League,\n"
    )
    loaded = load_memberships(_data_dir(tmp_path, rows))
    assert loaded.height == 3
    assert loaded["left"].null_count() == 1
    assert members_on(loaded, "arab_league", D("2011-11-15")) == ["SYR"]
    assert members_on(loaded, "arab_league", D("2011-11-16")) == []


def test_line_numbers_count_multiline_fields(tmp_path: Path) -> None:
    rows = (
        HEADER
        + 'nato,USA,1949-08-24,,member,day,NATO,"two\nlines"\n'
        + "nato,CAN,x,,member,day,N,\n"
    )
    with pytest.raises(BadDataError, match="joined 'x'") as info:
        load_memberships(_data_dir(tmp_path, rows))
    assert info.value.line == 4


def test_missing_column(tmp_path: Path) -> None:
    rows = (
        "bloc,iso3,joined,left,status,date_precision,note\n" + "nato,USA,1949-08-24,,member,day,\n"
    )
    with pytest.raises(BadDataError, match=r"missing column.*source") as info:
        load_memberships(_data_dir(tmp_path, rows))
    assert info.value.line == 1


def test_bad_blocs_file(tmp_path: Path) -> None:
    (tmp_path / BLOCS_FILE).write_text(
        "bloc,name,founded,dissolved,description,source\n"
        "nato,NATO,1949-04-04,,,https://www.nato.int/\n"
        "eu,EU,1958-13-01,,,https://europa.eu/\n",
        encoding="utf-8",
    )
    (tmp_path / MEMBERSHIPS_FILE).write_text(HEADER + GOOD, encoding="utf-8")
    with pytest.raises(BadDataError, match="founded '1958-13-01'") as info:
        load_memberships(tmp_path)
    assert info.value.path == str(tmp_path / BLOCS_FILE)
    assert info.value.line == 3


def test_duplicate_bloc_and_missing_bloc_source(tmp_path: Path) -> None:
    path = tmp_path / BLOCS_FILE
    path.write_text(
        "bloc,name,founded,dissolved,description,source\n"
        "nato,NATO,1949-04-04,,,x\n"
        "nato,NATO,1949-04-04,,,x\n",
        encoding="utf-8",
    )
    with pytest.raises(BadDataError, match=r"nato appears twice \(first on line 2\)") as info:
        load_blocs(tmp_path)
    assert info.value.line == 3
    path.write_text(
        "bloc,name,founded,dissolved,description,source\nnato,NATO,1949-04-04,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(BadDataError, match="source is empty") as info:
        load_blocs(tmp_path)
    assert info.value.line == 2


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadDataError, match="cannot read") as info:
        load_blocs(tmp_path)
    assert info.value.path == str(tmp_path / BLOCS_FILE)
