"""Each reader on the real files, and on hand-made bad input built from them."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from pathlib import Path

import polars as pl
import pytest
import raw

from alignment.countries import Crosswalk
from alignment.errors import BadDataError
from alignment.sources import undl_csv, undl_marcxml, unvotes, unxml_json, voeten
from alignment.sources.registry import discover, reader_for


@pytest.fixture(scope="module")
def crosswalk() -> Crosswalk:
    return Crosswalk.load()


def votes_of(rows, source_id: str) -> dict[str, str]:
    frame = rows.votes.filter(pl.col("source_id") == source_id)
    return dict(zip(frame["iso3"], frame["vote"], strict=True))


# --- real files ---------------------------------------------------------------------------


def test_voeten_real_file(shared_data: Path, crosswalk: Crosswalk) -> None:
    rows = voeten.read(shared_data / "voeten" / "completeVotes_1946-2015.csv.gz", crosswalk)
    assert rows.roll_calls.height == raw.voeten_roll_calls() == 5429
    # Every row of the file less the "not a member" rows (code 9), which are no rows at all.
    assert rows.votes.height == raw.voeten_member_rows() == 1_066_613 - 254_521
    call = rows.roll_calls.filter(pl.col("rcid") == 5180).row(0, named=True)
    assert (call["symbol"], call["date"], call["session"]) == (
        "A/RES/66/253",
        dt.date(2012, 2, 16),
        66,
    )
    assert call["topics"] == ["me"]
    votes = votes_of(rows, "5180")
    assert (votes["BLR"], votes["RUS"], votes["USA"], votes["SYR"]) == ("N", "N", "Y", "N")
    counts = pl.Series(list(votes.values())).value_counts().sort("")
    assert dict(counts.iter_rows()) == {"A": 17, "N": 12, "X": 27, "Y": 137}


def test_voeten_first_session_symbol_is_roman(shared_data: Path, crosswalk: Crosswalk) -> None:
    rows = voeten.read(shared_data / "voeten" / "completeVotes_1946-2015.csv.gz", crosswalk)
    assert rows.roll_calls.filter(pl.col("rcid") == 3)["symbol"].item() == "A/RES/66(I)"


def test_unvotes_real_tables(shared_data: Path, crosswalk: Crosswalk) -> None:
    rows = unvotes.read(shared_data / "unvotes" / "unvotes.csv.gz", crosswalk)
    assert rows.roll_calls.height == 6203
    assert rows.votes.height == 870_109
    assert not rows.absent_listed
    kinds = dict(rows.roll_calls["kind"].value_counts().iter_rows())
    assert kinds["amendment"] == raw.unvotes_amendments()  # amend = 1 (some also para = 1)
    assert kinds["paragraph"] == 991 - 157  # para = 1 without amend = 1
    call = rows.roll_calls.filter(pl.col("rcid") == 5180).row(0, named=True)
    assert call["title"] == "The situation in the Syrian Arab Republic"
    assert votes_of(rows, "5180")["BLR"] == "N"


def test_undl_csv_2026_excerpt(shared_data: Path, crosswalk: Crosswalk) -> None:
    path = shared_data / "undl" / "ga_voting_excerpt_2026-02-06_layout.csv"
    rows = undl_csv.read(path, crosswalk)
    assert rows.notes == ["layout 2026"]
    assert rows.votes.height == 109
    first = rows.roll_calls.filter(pl.col("undl_id") == 507407).row(0, named=True)
    assert first["symbol"] == "A/RES/58/20"
    assert (first["yes"], first["no"], first["abstain"], first["non_voting"]) == (159, 6, 6, 20)
    assert first["subjects"] == ["PALESTINE QUESTION"]
    assert first["title"].startswith("Special information programme on the question of Palestine")
    assert not first["title"].endswith("General Assembly")


def test_marcxml_real_record(shared_data: Path, crosswalk: Crosswalk) -> None:
    rows = undl_marcxml.read(shared_data / "undl" / "marcxml" / "4040686.xml", crosswalk)
    call = rows.roll_calls.row(0, named=True)
    assert (call["symbol"], call["date"], call["undl_id"]) == (
        "A/RES/78/264",
        dt.date(2024, 3, 15),
        4040686,
    )
    assert (call["yes"], call["no"], call["abstain"], call["non_voting"]) == (115, 0, 44, 34)
    counts = dict(rows.votes["vote"].value_counts().iter_rows())
    assert counts == {"Y": 115, "A": 44, "X": 34}
    assert call["title"] == "Measures to combat Islamophobia"


def test_unxml_session_80(shared_data: Path, crosswalk: Crosswalk) -> None:
    rows = unxml_json.read(shared_data / "unxml" / "data_extract" / "80.json", crosswalk)
    assert not rows.absent_listed
    call = rows.roll_calls.filter(pl.col("symbol") == "A/RES/80/224").row(0, named=True)
    assert call["date"].year == 2025 and call["date"].month == 12
    assert call["session"] == 80
    assert "BLR" in votes_of(rows, "A/RES/80/224")
    cuba = rows.roll_calls.filter(pl.col("symbol") == "A/RES/80/4").row(0, named=True)
    assert (cuba["yes"], cuba["no"], cuba["abstain"]) == (165, 7, 12)
    assert votes_of(rows, "A/RES/80/4")["USA"] == "N"


def test_unxml_repeats_kept_once(shared_data: Path, crosswalk: Crosswalk) -> None:
    rows = unxml_json.read(shared_data / "unxml" / "data_extract" / "79.json", crosswalk)
    assert rows.roll_calls.filter(pl.col("symbol") == "A/RES/79/266").height == 1
    assert any("A/RES/79/266 repeated with the same votes" in n for n in rows.notes)
    # A/RES/75/290 A lists every name twice in its source line: counted once.
    rows75 = unxml_json.read(shared_data / "unxml" / "data_extract" / "75.json", crosswalk)
    votes = rows75.votes.filter(pl.col("source_id") == "A/RES/75/290 A")
    assert dict(votes["vote"].value_counts().iter_rows()) == {"Y": 90, "A": 47}


def test_discover_whole_folder(shared_data: Path) -> None:
    found = {(p.name, m.NAME) for p, m in discover([shared_data])}
    assert ("completeVotes_1946-2015.csv.gz", "voeten") in found
    assert ("unvotes.csv.gz", "unvotes") in found
    assert ("ga_voting_excerpt_2026-02-06_layout.csv", "undl_csv") in found
    assert ("4040686.xml", "undl_marcxml") in found
    assert ("ES-11.json", "unxml_json") in found
    assert len(found) == 1 + 1 + 1 + 1 + 10  # the unvotes tables count once; aux files skipped


# --- other layouts, built from the real excerpt ---------------------------------------------


def excerpt(shared_data: Path) -> str:
    return (shared_data / "undl" / "ga_voting_excerpt_2026-02-06_layout.csv").read_text("utf-8")


def test_undl_csv_2025_layout(shared_data: Path, crosswalk: Crosswalk, tmp_path: Path) -> None:
    frame = pl.read_csv(
        shared_data / "undl" / "ga_voting_excerpt_2026-02-06_layout.csv", infer_schema=False
    )
    path = tmp_path / "2025_9_19_ga_voting.csv"
    frame.drop("vote_note").write_csv(path)
    rows = undl_csv.read(path, crosswalk)
    assert rows.notes == ["layout 2025"] and rows.votes.height == 109


def test_undl_csv_2024_layout(shared_data: Path, crosswalk: Crosswalk, tmp_path: Path) -> None:
    frame = pl.read_csv(
        shared_data / "undl" / "ga_voting_excerpt_2026-02-06_layout.csv", infer_schema=False
    )
    renamed = frame.drop("vote_note").rename({
        "ms_code": "ms_codes", "ms_name": "ms_names", "ms_vote": "ms_votes",
        "resolution": "resolutions", "total_yes": "yes", "total_no": "no",
        "total_abstentions": "abstentions", "total_non_voting": "non-voting",
        "total_ms": "total-voting",
    }).with_columns(
        pl.lit("Voting").alias("modality"), pl.col("ms_votes").replace({"X": "NV"})
    )  # fmt: skip
    path = tmp_path / "2024_9_ga_voting.csv"
    renamed.write_csv(path)
    rows = undl_csv.read(path, crosswalk)
    assert rows.notes == ["layout 2024"]
    original = undl_csv.read(
        shared_data / "undl" / "ga_voting_excerpt_2026-02-06_layout.csv", crosswalk
    )
    assert rows.votes.sort("source_id", "iso3").equals(original.votes.sort("source_id", "iso3"))


def test_marcxml_968_969_and_compact_date(
    shared_data: Path, crosswalk: Crosswalk, tmp_path: Path
) -> None:
    text = (shared_data / "undl" / "marcxml" / "4040686.xml").read_text("utf-8")
    text = text.replace(
        '<subfield code="a">2024-03-15</subfield>', '<subfield code="a">20240315</subfield>'
    )
    count = 0

    def retag(match: re.Match) -> str:
        nonlocal count
        count += 1
        return f'tag="{("967", "968", "969")[count % 3]}"'

    text = re.sub(r'tag="967"', retag, text)
    path = tmp_path / "spread.xml"
    path.write_text(text, "utf-8")
    rows = undl_marcxml.read(path, crosswalk)
    assert rows.roll_calls["date"].item() == dt.date(2024, 3, 15)
    assert rows.votes.height == 193


# --- bad input: each fails naming the file and the line -----------------------------------


def expect_bad(read, path: Path, crosswalk: Crosswalk, *, line: int | None, words: str) -> None:
    with pytest.raises(BadDataError) as info:
        read(path, crosswalk)
    message = str(info.value)
    assert str(path) in message
    if line is not None:
        assert f":{line}:" in message, message
    assert words in message, message


VOETEN_HEADER = "rcid,session,vote,ccode,member,importantvote,date,unres,me,nu,di,hr,co,ec,year\n"
VOETEN_ROW = "5180,66,3,370,1,0,2/16/2012,R/66/253,0,0,0,1,0,0,2012\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_voeten_unknown_vote_code(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = write(
        tmp_path / "v.csv", VOETEN_HEADER + VOETEN_ROW + VOETEN_ROW.replace(",3,370", ",7,365")
    )
    expect_bad(voeten.read, path, crosswalk, line=3, words="unknown vote code '7'")


def test_voeten_unknown_country(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = write(tmp_path / "v.csv", VOETEN_HEADER + VOETEN_ROW.replace(",370,", ",999,"))
    expect_bad(voeten.read, path, crosswalk, line=2, words="999")


def test_voeten_duplicate_rows(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = write(tmp_path / "v.csv", VOETEN_HEADER + VOETEN_ROW + VOETEN_ROW)
    expect_bad(voeten.read, path, crosswalk, line=2, words="lines 2, 3")


def test_voeten_truncated_row(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = write(tmp_path / "v.csv", VOETEN_HEADER + VOETEN_ROW + "5180,66,1,365,1,0,2/16")
    expect_bad(voeten.read, path, crosswalk, line=3, words="truncated")


def test_voeten_truncated_gzip(tmp_path: Path, crosswalk: Crosswalk) -> None:
    blob = gzip.compress((VOETEN_HEADER + VOETEN_ROW * 50).encode())
    path = tmp_path / "v.csv.gz"
    path.write_bytes(blob[: len(blob) // 2])
    expect_bad(voeten.read, path, crosswalk, line=None, words="truncated")


def test_voeten_wrong_header(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = write(tmp_path / "v.csv", VOETEN_HEADER.replace("ccode", "country") + VOETEN_ROW)
    expect_bad(voeten.read, path, crosswalk, line=1, words="['ccode'] missing")


def test_voeten_wrong_encoding(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = write(
        tmp_path / "v.csv",
        VOETEN_HEADER + VOETEN_ROW + VOETEN_ROW.replace("R/66/253", "Résolution"),
        "latin-1",
    )
    expect_bad(voeten.read, path, crosswalk, line=3, words="not valid UTF-8")


UNDL_HEADER = (
    "undl_id,ms_code,ms_name,ms_vote,date,session,resolution,draft,committee_report,meeting,title,"
    "agenda_title,subjects,vote_note,total_yes,total_no,total_abstentions,total_non_voting,total_ms,undl_link\n"
)


def undl_row(code: str = "BLR", vote: str = "N", undl_id: str = "1") -> str:
    return (f"{undl_id},{code},NAME,{vote},2012-02-16,66,A/RES/66/253,,,,The situation in Syria,,,,"
            "137.0,12.0,17.0,27.0,193.0,x\n")  # fmt: skip


def test_undl_unknown_vote(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = write(tmp_path / "u.csv", UNDL_HEADER + undl_row() + undl_row("RUS", "Q"))
    expect_bad(undl_csv.read, path, crosswalk, line=3, words="unknown vote code 'Q'")


def test_undl_unknown_country(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = write(tmp_path / "u.csv", UNDL_HEADER + undl_row() + undl_row("QQQ"))
    expect_bad(undl_csv.read, path, crosswalk, line=3, words="QQQ")


def test_undl_duplicate(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = write(tmp_path / "u.csv", UNDL_HEADER + undl_row() + undl_row())
    expect_bad(undl_csv.read, path, crosswalk, line=2, words="duplicate")


def test_undl_unknown_header_prints_it(tmp_path: Path) -> None:
    path = write(tmp_path / "u.csv", "undl_id,ms_code,member,how\n1,BLR,Belarus,N\n")
    assert reader_for(path) is undl_csv
    with pytest.raises(BadDataError, match=r"u\.csv:1: .*undl_id,ms_code,member,how"):
        undl_csv.read(path, Crosswalk.load())


def test_undl_truncated(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = write(tmp_path / "u.csv", UNDL_HEADER + undl_row() + undl_row("RUS")[:40])
    expect_bad(undl_csv.read, path, crosswalk, line=3, words="truncated")


def test_undl_wrong_encoding(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = write(tmp_path / "u.csv", UNDL_HEADER + undl_row().replace("NAME", "CÔTE"), "cp1252")
    expect_bad(undl_csv.read, path, crosswalk, line=2, words="UTF-8")


def test_unvotes_unknown_country(tmp_path: Path, crosswalk: Crosswalk) -> None:
    write(
        tmp_path / "roll_calls.csv",
        ",".join(unvotes.ROLL_CALL_COLUMNS) + "\n5180,66,0,2012-02-16,R/66/253,0,0,SYRIA,Syria\n",
    )
    path = write(
        tmp_path / "unvotes.csv",
        "rcid,country,country_code,vote\n5180,Belarus,BY,no\n5180,Ruritania,RU,no\n",
    )
    expect_bad(unvotes.read, path, crosswalk, line=3, words="Ruritania")


def test_unvotes_unknown_vote_and_duplicate(tmp_path: Path, crosswalk: Crosswalk) -> None:
    write(
        tmp_path / "roll_calls.csv",
        ",".join(unvotes.ROLL_CALL_COLUMNS) + "\n5180,66,0,2012-02-16,R/66/253,0,0,SYRIA,Syria\n",
    )
    path = write(tmp_path / "unvotes.csv", "rcid,country,country_code,vote\n5180,Belarus,BY,nay\n")
    expect_bad(unvotes.read, path, crosswalk, line=2, words="unknown vote 'nay'")
    write(path, "rcid,country,country_code,vote\n5180,Belarus,BY,no\n5180,Belarus,BY,no\n")
    expect_bad(unvotes.read, path, crosswalk, line=2, words="duplicate")


def json_line(
    symbol: str = "A/RES/80/1", favour: str = '"BELARUS"', date: str = "2025-12-01 00:00:00"
) -> str:
    record = {
        "symbol": symbol, "title": "T", "adoption_date": date,
        "adoption_type": "By a recorded vote", "session": "Eightieth session",
        "MS_in_favour": json.loads(f"[{favour}]"), "MS_against": ["UNITED STATES"],
        "MS_abstaining": [], "MS_in_favour_count": "1", "MS_against_count": "1",
        "MS_abstaining_count": "N.A.",
    }  # fmt: skip
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def test_unxml_unknown_member(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = write(tmp_path / "80.json", json_line() + json_line("A/RES/80/2", '"NARNIA"'))
    expect_bad(unxml_json.read, path, crosswalk, line=2, words="NARNIA")


def test_unxml_truncated(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = write(tmp_path / "80.json", json_line() + json_line("A/RES/80/2")[:60])
    expect_bad(unxml_json.read, path, crosswalk, line=2, words="truncated")


def test_unxml_conflicting_repeat(tmp_path: Path, crosswalk: Crosswalk) -> None:
    other = json_line().replace('"MS_against":["UNITED STATES"]', '"MS_against":["CANADA"]')
    path = write(tmp_path / "80.json", json_line() + other)
    expect_bad(unxml_json.read, path, crosswalk, line=1, words="different votes")


def test_unxml_bad_date_and_encoding(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = write(tmp_path / "80.json", json_line(date="the first of December"))
    expect_bad(unxml_json.read, path, crosswalk, line=1, words="not a date")
    path = write(
        tmp_path / "80.json", json_line() + json_line("A/RES/80/2", '"TÜRKIYE"'), "latin-1"
    )
    expect_bad(unxml_json.read, path, crosswalk, line=2, words="UTF-8")


def test_marcxml_truncated_and_unknown(
    shared_data: Path, tmp_path: Path, crosswalk: Crosswalk
) -> None:
    text = (shared_data / "undl" / "marcxml" / "4040686.xml").read_text("utf-8")
    path = write(tmp_path / "cut.xml", text[: len(text) // 2])
    expect_bad(undl_marcxml.read, path, crosswalk, line=None, words="not well-formed XML")
    path = write(
        tmp_path / "bad.xml",
        text.replace(
            '<subfield code="d">A</subfield>\n    <subfield code="e">ANDORRA',
            '<subfield code="d">Z</subfield>\n    <subfield code="e">ANDORRA',
        ),
    )
    line = text[: text.index('<subfield code="e">ANDORRA')].count("\n")
    expect_bad(undl_marcxml.read, path, crosswalk, line=None, words="$d vote 'Z'")
    assert line > 0
    path = write(
        tmp_path / "who.xml",
        text.replace('<subfield code="c">AND</subfield>', '<subfield code="c">ZZZ</subfield>'),
    )
    expect_bad(undl_marcxml.read, path, crosswalk, line=None, words="ZZZ")


UNVOTES_CALLS = (
    ",".join(unvotes.ROLL_CALL_COLUMNS) + "\n5180,66,0,2012-02-16,R/66/253,0,0,SYRIA,Syria\n"
)


def test_unvotes_truncated_header_and_encoding(tmp_path: Path, crosswalk: Crosswalk) -> None:
    write(tmp_path / "roll_calls.csv", UNVOTES_CALLS)
    path = write(
        tmp_path / "unvotes.csv", "rcid,country,country_code,vote\n5180,Belarus,BY,no\n5180,Rus"
    )
    expect_bad(unvotes.read, path, crosswalk, line=3, words="truncated")
    write(path, "rcid,state,code,vote\n5180,Belarus,BY,no\n")
    expect_bad(unvotes.read, path, crosswalk, line=1, words="not the unvotes layout")
    write(
        path,
        "rcid,country,country_code,vote\n5180,Belarus,BY,no\n5180,Côte d'Ivoire,CI,yes\n",
        "latin-1",
    )
    expect_bad(unvotes.read, path, crosswalk, line=3, words="UTF-8")


def test_marcxml_duplicates_not_marc_and_encoding(
    shared_data: Path, tmp_path: Path, crosswalk: Crosswalk
) -> None:
    text = (shared_data / "undl" / "marcxml" / "4040686.xml").read_text("utf-8")
    record = text[text.index("<record>") : text.index("</record>") + len("</record>")]
    twice = text.replace(record, record + "\n" + record)
    path = write(tmp_path / "twice.xml", twice)
    expect_bad(undl_marcxml.read, path, crosswalk, line=None, words="record 4040686 appears twice")
    same_state = text.replace(
        '<subfield code="c">AND</subfield>', '<subfield code="c">ALB</subfield>'
    )
    path = write(tmp_path / "state.xml", same_state)
    expect_bad(undl_marcxml.read, path, crosswalk, line=None, words="lists ALB twice")
    path = write(tmp_path / "nosymbol.xml", text.replace('tag="791"', 'tag="792"'))
    expect_bad(undl_marcxml.read, path, crosswalk, line=None, words="no 791 $a symbol")
    latin = text.replace("Measures to combat Islamophobia", "Mesures contre l’islamophobie é")
    path = tmp_path / "latin.xml"
    path.write_bytes(latin.encode("cp1252", errors="replace"))
    expect_bad(undl_marcxml.read, path, crosswalk, line=None, words="not well-formed XML")


def test_unxml_missing_fields(tmp_path: Path, crosswalk: Crosswalk) -> None:
    line = json.loads(json_line())
    del line["MS_against"]
    path = write(tmp_path / "80.json", json_line() + json.dumps(line) + "\n")
    expect_bad(unxml_json.read, path, crosswalk, line=2, words="fields ['MS_against'] missing")
