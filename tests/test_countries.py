"""The country crosswalk against every name and code in the real files (../shared/data)."""

from __future__ import annotations

import datetime as dt
import glob
import io
import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest

from alignment.countries import Crosswalk, load_countries, normalise_name
from alignment.errors import BadDataError

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
UNVOTES = SHARED / "unvotes"
VOETEN = SHARED / "voeten"


@pytest.fixture(scope="module")
def cw() -> Crosswalk:
    return Crosswalk.load()


@pytest.fixture(scope="module")
def unvotes() -> pl.DataFrame:
    votes = pl.read_csv(UNVOTES / "unvotes.csv.gz")
    calls = pl.read_csv(UNVOTES / "roll_calls.csv.gz", try_parse_dates=True)
    return votes.join(calls.select("rcid", "date"), on="rcid", how="left", maintain_order="left")


@pytest.fixture(scope="module")
def voeten() -> pl.DataFrame:
    frame = pl.read_csv(VOETEN / "completeVotes_1946-2015.csv.gz").with_columns(
        pl.col("date").str.to_date("%m/%d/%Y", strict=False)
    )
    # One roll call (rcid 4592, 2004) has no date; its session's other votes date it.
    return frame.with_columns(pl.col("date").fill_null(strategy="forward"))


# --- (1) every name and code in every real file resolves ------------------------------------


def test_unvotes_names_and_codes(cw: Crosswalk, unvotes: pl.DataFrame) -> None:
    assert unvotes["date"].null_count() == 0
    by_name = cw.resolve(unvotes["country"], "name", path="unvotes.csv", dates=unvotes["date"])
    assert by_name.null_count() == 0 and len(by_name) == unvotes.height == 870_109
    coded = unvotes.with_columns(by_name).filter(pl.col("country_code").is_not_null())
    by_code = cw.resolve(coded["country_code"], "iso2", path="unvotes.csv", dates=coded["date"])
    # Name and ISO2 agree on every row, and no seat votes twice on one roll call.
    assert (by_code == coded["iso3"]).all()
    assert (
        not unvotes.with_columns(by_name)
        .select(pl.struct("rcid", "iso3").is_duplicated().any())
        .item()
    )
    # The three states unvotes leaves without a code are resolved by name.
    uncoded = unvotes.with_columns(by_name).filter(pl.col("country_code").is_null())
    assert set(uncoded["iso3"]) == {"DEU", "YEM", "XZN"}


def test_unvotes_yu_follows_the_date(cw: Crosswalk, unvotes: pl.DataFrame) -> None:
    yu = unvotes.filter(pl.col("country_code") == "YU")
    iso3 = cw.resolve(yu["country_code"], "iso2", path="unvotes.csv", dates=yu["date"])
    spans = (
        yu.with_columns(iso3)
        .group_by("iso3")
        .agg(pl.col("date").min().alias("first"), pl.col("date").max().alias("last"))
    )
    got = {r["iso3"]: r for r in spans.iter_rows(named=True)}
    assert set(got) == {"YUG", "SRB"}
    assert got["YUG"]["last"] <= dt.date(1992, 9, 22) and got["SRB"]["first"] >= dt.date(
        2000, 11, 1
    )


def test_voeten_ccodes(cw: Crosswalk, voeten: pl.DataFrame) -> None:
    iso3 = cw.resolve(voeten["ccode"], "cow", path="completeVotes.csv", dates=voeten["date"])
    frame = voeten.with_columns(iso3)
    assert frame.height == 1_066_613
    # One seat, one vote per roll call, even where two ccodes share an ISO3 (255/260, 678/679).
    assert not frame.select(pl.struct("rcid", "iso3").is_duplicated().any()).item()
    voters = frame.filter(pl.col("vote") != 9)
    assert set(voters.filter(pl.col("ccode") == 713)["iso3"]) == {"TWN"}
    assert set(voters.filter(pl.col("ccode") == 680)["iso3"]) == {"YMD"}
    assert set(voters.filter(pl.col("ccode").is_in([678, 679]))["iso3"]) == {"YEM"}


def test_cow_code_list(cw: Crosswalk) -> None:
    cow = pl.read_csv(VOETEN / "COW_country_codes.csv")
    codes = cw.resolve(
        cow["CCode"],
        "cow",
        path="COW_country_codes.csv",
        dates=pl.Series([dt.date(1980, 1, 1)] * cow.height),
    )
    names = cw.resolve(
        cow["StateNme"],
        "name",
        path="COW_country_codes.csv",
        dates=pl.Series([dt.date(1980, 1, 1)] * cow.height),
    )
    # The code and the name of each row stand for the same state.
    assert (codes == names).all()
    assert codes[cow["CCode"].to_list().index(365)] == "RUS"


def test_voeten_ideal_point_names(cw: Crosswalk) -> None:
    # The file is Windows-1252 (its curly apostrophe is byte 0x92).
    text = (
        (VOETEN / "ideal_points" / "IdealpointestimatesAll_Apr2020.csv")
        .read_bytes()
        .decode("cp1252")
    )
    ideal = pl.read_csv(io.StringIO(text))
    # A day inside each session (session 1 is 1946-47), for China and Yugoslavia.
    days = pl.Series([dt.date(1946 + s, 6, 30) for s in ideal["session"]])
    by_name = cw.resolve(ideal["Countryname"], "name", path="Idealpoints.csv", dates=days)
    by_code = cw.resolve(ideal["ccode"], "cow", path="Idealpoints.csv", dates=days)
    assert (by_name == by_code).all()
    # Voeten's iso3c agrees except for his Yemen bug (both Yemens YAR) and Serbia (YUG).
    differ = ideal.with_columns(by_code).filter(pl.col("iso3c") != pl.col("iso3"))
    assert set(differ["ccode"]) == {678, 680, 345}
    # Serbia's sessions (55-74) and session 47 (1992-93), whose mid-session day falls after
    # GA res. 47/1 although the estimate rests on votes before it.
    assert set(differ.filter(pl.col("ccode") == 345)["session"]) == {47, *range(55, 75)}


def _unxml_names() -> pl.DataFrame:
    rows: list[tuple[str, int, str]] = []
    files = sorted(glob.glob(str(SHARED / "unxml" / "data_extract" / "*.json")))
    assert len(files) == 10
    for file in files:
        with open(file, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                record = json.loads(line)
                for key in ("MS_in_favour", "MS_against", "MS_abstaining"):
                    rows.extend((file, number, name) for name in record.get(key) or [])
    return pl.DataFrame(rows, schema=["file", "line", "name"], orient="row")


def test_unxml_member_names(cw: Crosswalk) -> None:
    names = _unxml_names()
    assert names.height > 100_000
    iso3 = cw.resolve(
        names["name"],
        "name",
        path="unxml",
        lines=names["line"],
        dates=pl.Series([dt.date(2020, 1, 1)] * names.height),
    )
    # Sessions 74 to 80: every spelling lands on one of the 193 members of the time.
    assert set(iso3) <= cw.un_members(dt.date(2020, 1, 1))
    assert len(set(iso3)) == 193
    pairs = names.with_columns(iso3).unique(["name", "iso3"])
    assert set(pairs.filter(pl.col("iso3") == "TUR")["name"]) >= {"TURKEY", "TÜRKİYE", "TÜRKÝYE"}
    assert set(pairs.filter(pl.col("iso3") == "NLD")["name"]) == {
        "NETHERLANDS",
        "NETHERLANDS (KINGDOM OF THE)",
    }


def test_undl_csv_codes_and_names(cw: Crosswalk) -> None:
    frame = pl.read_csv(
        SHARED / "undl" / "ga_voting_excerpt_2026-02-06_layout.csv", try_parse_dates=True
    )
    by_code = cw.resolve(frame["ms_code"], "iso3", path="undl.csv", dates=frame["date"])
    by_name = cw.resolve(frame["ms_name"], "name", path="undl.csv", dates=frame["date"])
    assert (by_code == by_name).all() and (by_code == frame["ms_code"]).all()


def test_undl_marcxml(cw: Crosswalk) -> None:
    root = ET.parse(SHARED / "undl" / "marcxml" / "4040686.xml").getroot()
    codes, names = [], []
    for field in root.iter():
        if field.tag.endswith("datafield") and field.get("tag") in ("967", "968", "969"):
            sub = {s.get("code"): s.text for s in field}
            codes.append(sub["c"])
            names.append(sub["e"])
    assert len(codes) == 193
    day = pl.Series([dt.date(2024, 3, 15)] * len(codes))
    by_code = cw.resolve(pl.Series(codes), "iso3", path="4040686.xml", dates=day)
    by_name = cw.resolve(pl.Series(names), "name", path="4040686.xml", dates=day)
    assert (by_code == by_name).all()
    assert set(by_code) == cw.un_members(dt.date(2024, 3, 15))


# --- (2) unknown values fail loudly -------------------------------------------------------


def test_unknown_name_names_file_line_and_value(cw: Crosswalk) -> None:
    values = pl.Series(["France", "Freedonia", "Germany"])
    with pytest.raises(BadDataError) as caught:
        cw.resolve(values, "name", path="votes.csv")
    error = caught.value
    assert error.path == "votes.csv" and error.line == 3
    assert "votes.csv:3:" in str(error) and "'Freedonia'" in str(error)
    assert "data/country_codes.csv" in str(error)
    with pytest.raises(BadDataError) as caught:
        cw.resolve(values, "name", path="x.json", lines=pl.Series([10, 20, 30]))
    assert caught.value.line == 20


def test_unknown_code_null_and_missing_date(cw: Crosswalk) -> None:
    with pytest.raises(BadDataError, match="unknown cow 999"):
        cw.resolve(pl.Series([2, 999]), "cow", path="v.csv")
    with pytest.raises(BadDataError, match="empty iso2") as caught:
        cw.resolve(pl.Series(["US", None]), "iso2", path="v.csv")
    assert caught.value.line == 3
    # COW 345 means two seats: without a date it cannot be resolved; COW 713 (Taiwan) is
    # not in the COW list before 1945... but our mapping has no bounds, so use CS, which
    # meant Czechoslovakia and later Serbia and Montenegro, and nothing in between.
    with pytest.raises(BadDataError, match="different states at different dates"):
        cw.resolve(pl.Series([345]), "cow", path="v.csv")
    with pytest.raises(BadDataError, match="no UN seat on 1995-06-01"):
        cw.resolve(pl.Series(["CS"]), "iso2", path="v.csv", dates=pl.Series([dt.date(1995, 6, 1)]))
    with pytest.raises(BadDataError, match="needs a date"):
        cw.resolve(
            pl.Series(["US", "YU"]),
            "iso2",
            path="v.csv",
            dates=pl.Series([dt.date(1990, 1, 1), None]),
        )


# --- (3) known answers ------------------------------------------------------------------


def test_known_answers(cw: Crosswalk) -> None:
    assert (
        list(cw.resolve(pl.Series(["USSR", "Russian Federation", "Russia"]), "name", path="t"))
        == ["RUS"] * 3
    )
    assert cw.resolve(pl.Series(["CÔTE D’IVOIRE"]), "name", path="t")[0] == "CIV"
    days = pl.Series([dt.date(1980, 1, 1), dt.date(2005, 1, 1)])
    assert list(cw.resolve(pl.Series([345, 345]), "cow", path="t", dates=days)) == ["YUG", "SRB"]
    assert list(cw.resolve(pl.Series(["680", "678", "679"]), "cow", path="t")) == [
        "YMD",
        "YEM",
        "YEM",
    ]
    china = pl.Series(["CHINA", "CHINA"])
    assert list(
        cw.resolve(
            china, "name", path="t", dates=pl.Series([dt.date(1960, 1, 1), dt.date(1980, 1, 1)])
        )
    ) == ["TWN", "CHN"]
    countries = load_countries()
    belarus = countries.filter(pl.col("iso3") == "BLR").row(0, named=True)
    assert belarus["un_member_from"] == dt.date(1945, 10, 24)
    assert countries.filter(pl.col("iso3") == "SSD")["un_member_from"].item() == dt.date(
        2011, 7, 14
    )
    assert countries.filter(pl.col("iso3") == "MNE")["un_member_from"].item() == dt.date(
        2006, 6, 28
    )


def test_membership_counts(cw: Crosswalk) -> None:
    assert len(cw.un_members(dt.date(2012, 2, 16))) == 193
    assert len(cw.un_members(dt.date(1945, 10, 24))) == 29  # members ratified by the day of entry
    assert len(cw.un_members(dt.date(1946, 1, 10))) == 51  # the first General Assembly
    assert len(cw.un_members(dt.date(2006, 6, 27))) == 191
    assert len(cw.un_members(dt.date(2011, 7, 13))) == 192
    assert "SYR" not in cw.un_members(dt.date(1960, 1, 1))
    assert {"SYR", "EGY"} <= cw.un_members(dt.date(1962, 1, 1))
    assert "TWN" in cw.un_members(dt.date(1971, 10, 25))
    assert "CHN" not in cw.un_members(dt.date(1971, 10, 25))
    assert {"DDR", "YMD", "CSK", "YUG"} <= cw.un_members(dt.date(1989, 1, 1))
    assert not {"DDR", "YMD", "CSK", "YUG"} & cw.un_members(dt.date(1995, 1, 1))


def test_members_on_is_vectorised(cw: Crosswalk) -> None:
    days = pl.DataFrame({"date": [dt.date(2012, 2, 16), dt.date(1960, 1, 1), dt.date(2012, 2, 16)]})
    members = cw.members_on(days)
    counts = dict(members.group_by("date").len().iter_rows())
    assert counts == {
        dt.date(2012, 2, 16): 193,
        dt.date(1960, 1, 1): len(cw.un_members(dt.date(1960, 1, 1))),
    }


def _outside_membership(cw: Crosswalk, votes: pl.DataFrame) -> pl.DataFrame:
    """Rows (date, iso3, ...) of states that were not UN members in the month of the date.

    By month, because before about 2000 the day in Voeten's and unvotes' dates is not the day
    of the month (it is never above 7; R/47/1 of 1992-09-22 is dated 1992-09-03)."""
    spells = cw.membership.with_columns(
        pl.col("member_from").dt.month_start(), pl.col("member_to").dt.month_end()
    )
    months = votes.with_columns(pl.col("date").dt.month_start().alias("month"))
    within = (pl.col("month") >= pl.col("member_from")) & (pl.col("month") <= pl.col("member_to"))
    inside = months.select("month").unique().join_where(spells, within).select("month", "iso3")
    return months.join(inside, on=["month", "iso3"], how="anti")


def test_membership_against_voeten(cw: Crosswalk, voeten: pl.DataFrame) -> None:
    iso3 = cw.resolve(voeten["ccode"], "cow", path="completeVotes.csv", dates=voeten["date"])
    frame = voeten.with_columns(iso3)
    outside = _outside_membership(cw, frame.filter(pl.col("vote") != 9))
    # Voeten codes Syria absent (8) while it sat inside the United Arab Republic (1958-1961),
    # and dates two of Fiji's votes in September 1970, before its admission on 1970-10-13.
    assert set(outside.filter(pl.col("iso3") == "SYR")["vote"]) == {8}
    assert outside.filter(pl.col("iso3") == "SYR")["month"].max() == dt.date(1961, 9, 1)
    assert outside.filter(pl.col("iso3") == "FJI").height == 2
    assert set(outside["iso3"]) == {"SYR", "FJI"}
    # And "not a member" (9) for a member happens once: Yemen, December 2010.
    members = frame.filter(pl.col("vote") == 9).join(
        _outside_membership(cw, frame.filter(pl.col("vote") == 9)), on=["rcid", "iso3"], how="anti"
    )
    assert members.select("iso3", "rcid").rows() == [("YEM", members["rcid"][0])]


def test_membership_against_unvotes(cw: Crosswalk, unvotes: pl.DataFrame) -> None:
    iso3 = cw.resolve(unvotes["country"], "name", path="unvotes.csv", dates=unvotes["date"])
    outside = _outside_membership(cw, unvotes.with_columns(iso3))
    assert set(outside["iso3"]) == {"FJI"}


# --- (4) the tables hang together -------------------------------------------------------


def test_predecessors_and_successors_exist(cw: Crosswalk) -> None:
    countries = cw.countries
    known = set(countries["iso3"])
    aliases = cw.codes.filter(pl.col("scheme") == "iso3")
    alias_of = dict(zip(aliases["code"], aliases["iso3"], strict=False))
    for row in countries.iter_rows(named=True):
        for successor in (row["successors"] or "").split("|"):
            if successor:
                assert successor in known, (row["iso3"], successor)
                assert row["iso3"] in (
                    countries.filter(pl.col("iso3") == successor)["predecessors"].item() or ""
                )
        for predecessor in (row["predecessors"] or "").split("|"):
            if predecessor:
                # A row of its own, or a historical code of this very seat (SUN for RUS).
                assert predecessor in known or alias_of.get(predecessor) == row["iso3"], (
                    row["iso3"],
                    predecessor,
                )
    assert countries.filter(pl.col("iso3") == "YUG")["successors"].item() == "SVN|HRV|BIH|MKD|SRB"
    assert countries.filter(pl.col("iso3") == "RUS")["predecessors"].item() == "SUN"


def test_codes_are_stored_normalised() -> None:
    codes = pl.read_csv(ROOT / "data" / "country_codes.csv", schema_overrides={"code": pl.String})
    names = codes.filter(pl.col("scheme") == "name")["code"]
    assert all(normalise_name(n) == n for n in names)
    assert names.n_unique() == names.len() - 2  # china and yugoslavia: two date ranges each


def test_normalise_name() -> None:
    assert normalise_name("  CÔTE D’IVOIRE ") == normalise_name("Côte d'Ivoire") == "côte d'ivoire"
    assert (
        normalise_name("Bolivia\u00a0(Plurinational  State of)")
        == "bolivia (plurinational state of)"
    )


def test_resolve_is_fast(cw: Crosswalk, unvotes: pl.DataFrame) -> None:
    names = pl.concat([unvotes["country"], unvotes["country"][:130_000]])
    days = pl.concat([unvotes["date"], unvotes["date"][:130_000]])
    start = time.perf_counter()
    cw.resolve(names, "name", path="unvotes.csv", dates=days)
    assert time.perf_counter() - start < 1.0
