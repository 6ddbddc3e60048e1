"""Hostile and careless input, one table per reader: each case ends in one BadDataError line
naming the file (and the line where there is one) and the offending value, cut when long.

Every input is hand-written here; the first test of each reader reads the untouched input, so
that each case fails for the damage it adds, not for the fixture.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from alignment.countries import Crosswalk
from alignment.errors import BadDataError
from alignment.sources import _text, undl_csv, undl_marcxml, unvotes, unxml_json, voeten
from alignment.sources.registry import reader_for

MiB = 1024 * 1024
BIG = 20 * MiB  # "an unknown name of 20 MB"
UTF16_BOM = "\ufeff".encode("utf-16-le")
TOMORROW_PLUS = (dt.date.today() + dt.timedelta(days=2)).isoformat()
Data = bytes | Callable[[], bytes]


@dataclass(frozen=True)
class Case:
    data: Data | dict[str, Data]  # the file's bytes, or file name -> bytes for a folder
    fragment: str  # a part of the message that only this damage gives
    line: int | None = None
    file_cap: int | None = None  # a smaller MAX_FILE_BYTES, so that a bomb stays small


def table(cases: dict[str, Case]) -> list:
    return [pytest.param(case, id=name) for name, case in cases.items()]


@pytest.fixture(scope="module")
def crosswalk() -> Crosswalk:
    return Crosswalk.load()


def materialise(data: Data) -> bytes:
    return data() if callable(data) else data


def write_case(tmp_path: Path, case: Case, name: str) -> Path:
    files = case.data if isinstance(case.data, dict) else {name: case.data}
    for file_name, data in files.items():
        (tmp_path / file_name).write_bytes(materialise(data))
    return tmp_path / name


def assert_refused(read, path: Path, crosswalk: Crosswalk, case: Case, monkeypatch) -> None:
    if case.file_cap is not None:
        monkeypatch.setattr(_text, "MAX_FILE_BYTES", case.file_cap)
    with pytest.raises(BadDataError) as info:
        read(path, crosswalk)
    message = str(info.value)
    assert case.fragment in message, message
    assert message.startswith(str(path.parent)), message  # names the file
    if case.line is not None:
        assert f":{case.line}: " in message, message
    assert "\n" not in message, message  # one line
    assert len(message) < len(str(path)) + 400, message[:500]  # values cut, never echoed whole


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def bomb() -> bytes:
    """8 MiB of CSV lines from a few kilobytes of gzip (with a 4 MiB cap on the file)."""
    return gz(VOETEN_HEADER + VOETEN_ROW * (8 * MiB // len(VOETEN_ROW)))


# --- Voeten's complete votes ----------------------------------------------------------------

VOETEN_HEADER = b"rcid,session,vote,ccode,member,importantvote,date,unres,me,nu,di,hr,co,ec,year\n"
VOETEN_ROW = b"5180,66,3,370,1,0,2/16/2012,R/66/253,0,0,0,1,0,0,2012\n"
VOETEN_ROW2 = b"5180,66,3,365,1,0,2/16/2012,R/66/253,0,0,0,1,0,0,2012\n"
VOETEN = VOETEN_HEADER + VOETEN_ROW + VOETEN_ROW2


def voeten_with(row2: bytes) -> bytes:
    return VOETEN_HEADER + VOETEN_ROW + row2


VOETEN_CASES = {
    # A prepended copy of `vote` with yes and no swapped inverted every vote.
    "repeated column": Case(
        b"vote," + VOETEN_HEADER.replace(b"\n", b"") + b"\n1," + VOETEN_ROW,
        "column 'vote' is named twice in the header (columns 1 and 4)", 1,
    ),
    "cut inside the last field": Case(voeten_with(VOETEN_ROW2[:-3]), "truncated", 3),
    "cut inside the last line": Case(voeten_with(VOETEN_ROW2[:20]), "truncated", 3),
    "gzip cut short": Case(gz(VOETEN * 40)[:-30], "gzip stream is truncated"),
    "gzip whole, CSV cut": Case(gz(voeten_with(VOETEN_ROW2[:-3])), "truncated", 3),
    "date in 1900": Case(
        voeten_with(VOETEN_ROW2.replace(b"2/16/2012", b"2/16/1900")).replace(b"2/16/2012", b"2/16/1900"),
        "date 1900-02-16, impossible for the General Assembly", 2,
    ),
    "date after tomorrow": Case(
        VOETEN_HEADER + VOETEN_ROW.replace(b"2/16/2012", b"1/1/2999"), "date 2999-01-01", 2
    ),
    "year in 1900": Case(voeten_with(VOETEN_ROW2.replace(b",2012\n", b",1900\n")),
                         "'1900', expected a year from 1946", 3),
    "two dates for one roll call": Case(
        voeten_with(VOETEN_ROW2.replace(b"2/16/2012", b"2/17/2012")),
        "roll call rcid 5180 has date 2012-02-16 on line 2 and 2012-02-17 on line 3", 3,
    ),
    "UTF-16 byte-order mark": Case(UTF16_BOM + VOETEN.decode().encode("utf-16-le"),
                                   "UTF-16/UTF-32 byte-order mark", 1),
    "field over 128 KiB on an unterminated last line": Case(
        voeten_with(b"5180,66,3,365,1,0,2/16/2012,R/66/253,0,0,0,1,0,0," + b"9" * 200_000),
        "truncated", 3,
    ),
    "field over the cap": Case(
        voeten_with(VOETEN_ROW2.replace(b"R/66/253", b"R" * 100_000)),
        "column 'unres' holds 100,000 bytes ('RRRRR", 3,
    ),
    "unknown code of 20 MB": Case(
        lambda: voeten_with(VOETEN_ROW2.replace(b",365,", b"," + b"9" * BIG + b",")),
        "over the 64 KiB cap", 3,
    ),
    "unclosed quote": Case(
        voeten_with(VOETEN_ROW2.replace(b"R/66/253", b'"R/66/253')) + VOETEN_ROW,
        "a quote opens on this line and is not closed on it", 3,
    ),
    "record over two lines": Case(
        voeten_with(VOETEN_ROW2.replace(b"R/66/253", b'"R/66\n/253"')),
        "a quote opens on this line", 3,
    ),
    "a line with an extra field": Case(
        voeten_with(VOETEN_ROW2.replace(b"\n", b",1\n")), "has 16 fields, the header 15", 3
    ),
    "blank line": Case(voeten_with(b"\n" + VOETEN_ROW2), "column 'rcid' is empty", 3),
    "session 0 in the symbol": Case(VOETEN.replace(b"R/66/253", b"R/0/5"),
                                    "unres 'R/0/5' is no resolution symbol", 2),
    "gzip bomb": Case(bomb, "decompresses to more than 4 MiB", file_cap=4 * MiB),
    "year column missing": Case(VOETEN.replace(b",year\n", b",yr\n"), "columns ['year'] missing", 1),
    "not UTF-8": Case(voeten_with(VOETEN_ROW2.replace(b"R/66", b"R\xe9/66")), "not valid UTF-8", 3),
}  # fmt: skip


def test_voeten_fixture_reads(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = tmp_path / "votes.csv"
    path.write_bytes(VOETEN)
    assert voeten.read(path, crosswalk).votes.height == 2


@pytest.mark.parametrize("case", table(VOETEN_CASES))
def test_voeten_hostile(case: Case, tmp_path: Path, crosswalk: Crosswalk, monkeypatch) -> None:
    path = write_case(tmp_path, case, "votes.csv")
    assert_refused(voeten.read, path, crosswalk, case, monkeypatch)


def test_gzip_bomb_refused_while_streaming(tmp_path: Path, crosswalk: Crosswalk, monkeypatch):
    """Refused at the cap, never decompressed whole: 200 MiB of zeros from 200 KB of gzip."""
    monkeypatch.setattr(_text, "MAX_FILE_BYTES", 4 * MiB)
    path = tmp_path / "votes.csv.gz"
    with gzip.open(path, "wb") as out:
        out.write(VOETEN_HEADER)
        for _ in range(200):
            out.write(b"0" * MiB)
    tracemalloc.start()
    try:
        with pytest.raises(BadDataError, match="decompresses to more than 4 MiB"):
            voeten.read(path, crosswalk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * MiB, peak


# --- unvotes: three tables in one folder ----------------------------------------------------

UNVOTES_CALLS = (
    ",".join(unvotes.ROLL_CALL_COLUMNS) + "\n5180,66,0,2012-02-16,R/66/253,0,0,SYRIA,Syria\n"
).encode()
UNVOTES_VOTES = b"rcid,country,country_code,vote\n5180,Belarus,BY,no\n5180,Russia,RU,no\n"


def unvotes_files(calls: Data = UNVOTES_CALLS, votes: Data = UNVOTES_VOTES) -> dict[str, Data]:
    return {"roll_calls.csv": calls, "unvotes.csv": votes}


UNVOTES_CASES = {
    "repeated column": Case(
        unvotes_files(votes=b"vote,rcid,country,country_code,vote\nyes,5180,Belarus,BY,no\n"),
        "column 'vote' is named twice", 1,
    ),
    "date in 1900": Case(unvotes_files(UNVOTES_CALLS.replace(b"2012-02-16", b"1900-02-16")),
                         "date 1900-02-16, impossible for the General Assembly", 2),
    "date after tomorrow": Case(
        unvotes_files(UNVOTES_CALLS.replace(b"2012-02-16", TOMORROW_PLUS.encode())),
        f"date {TOMORROW_PLUS}", 2,
    ),
    "roll calls cut inside the last field": Case(unvotes_files(UNVOTES_CALLS[:-4]), "truncated", 2),
    "votes cut inside the last field": Case(unvotes_files(votes=UNVOTES_VOTES[:-2]),
                                            "truncated", 3),
    "gzip cut short": Case(
        {"roll_calls.csv.gz": gz(UNVOTES_CALLS * 200)[:-20], "unvotes.csv": UNVOTES_VOTES},
        "gzip stream is truncated",
    ),
    "UTF-16 byte-order mark": Case(
        unvotes_files(votes=UTF16_BOM + UNVOTES_VOTES.decode().encode("utf-16-le")),
        "UTF-16/UTF-32 byte-order mark", 1,
    ),
    "unknown name of 20 MB": Case(
        unvotes_files(votes=lambda: UNVOTES_VOTES.replace(b"Russia", b"R" * BIG)),
        "over the 64 KiB cap", 3,
    ),
    "unclosed quote": Case(
        unvotes_files(UNVOTES_CALLS.replace(b"SYRIA,Syria", b'"SYRIA,Syria')), "a quote opens", 2
    ),
    "session 0 in the symbol": Case(unvotes_files(UNVOTES_CALLS.replace(b"R/66/253", b"R/0/5")),
                                    "unres 'R/0/5' is no resolution symbol", 2),
    "vote missing": Case(unvotes_files(votes=UNVOTES_VOTES.replace(b"RU,no", b"RU,")),
                         "column 'vote' is empty", 3),
}  # fmt: skip


def test_unvotes_fixture_reads(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = write_case(tmp_path, Case(unvotes_files(), ""), "unvotes.csv")
    assert unvotes.read(path, crosswalk).votes.height == 2


@pytest.mark.parametrize("case", table(UNVOTES_CASES))
def test_unvotes_hostile(case: Case, tmp_path: Path, crosswalk: Crosswalk, monkeypatch) -> None:
    path = write_case(tmp_path, case, "unvotes.csv")
    assert_refused(unvotes.read, path, crosswalk, case, monkeypatch)


# --- UN Digital Library bulk CSV (2026 layout) ------------------------------------------------

UNDL_HEADER = (
    b"undl_id,ms_code,ms_name,ms_vote,date,session,resolution,draft,committee_report,meeting,"
    b"title,agenda_title,subjects,vote_note,total_yes,total_no,total_abstentions,"
    b"total_non_voting,total_ms,undl_link\n"
)


def undl_row(
    code: str = "BLR",
    vote: str = "N",
    date: str = "2012-02-16",
    yes: str = "137.0",
    title: str = "The situation in Syria",
) -> bytes:
    return (f"1,{code},NAME,{vote},{date},66,A/RES/66/253,,,,{title},,,,{yes},12.0,17.0,27.0,"
            "193.0,https://digitallibrary.un.org/record/1\n").encode()  # fmt: skip


UNDL = UNDL_HEADER + undl_row() + undl_row("RUS")


def undl_with(row2: bytes) -> bytes:
    return UNDL_HEADER + undl_row() + row2


UNDL_CASES = {
    "repeated column": Case(
        UNDL_HEADER.replace(b"undl_id,", b"ms_vote,undl_id,", 1) + b"Y," + undl_row(),
        "column 'ms_vote' is named twice in the header (columns 1 and 5)", 1,
    ),
    **{
        f"tally {value}": Case(undl_with(undl_row("RUS", yes=value)),
                               f"column 'yes' has '{value}', expected a count", 3)
        for value in ("-1", "1e30", "inf", "NaN", "12.5", "many")
    },
    "date in 1900": Case(UNDL_HEADER + undl_row(date="1900-01-01") + undl_row("RUS", date="1900-01-01"),
                         "date 1900-01-01, impossible", 2),
    "date after tomorrow": Case(
        UNDL_HEADER + undl_row(date="2999-12-31") + undl_row("RUS", date="2999-12-31"),
        "date 2999-12-31", 2,
    ),
    "two dates for one record": Case(
        undl_with(undl_row("RUS", date="2012-02-17")),
        "record undl_id 1 has date 2012-02-16 on line 2 and 2012-02-17 on line 3", 3,
    ),
    "cut inside the last field": Case(undl_with(undl_row("RUS")[:-3]), "truncated", 3),
    "unclosed quote": Case(undl_with(undl_row("RUS", title='"The situation')) + undl_row("USA"),
                           "a quote opens on this line", 3),
    "UTF-16 byte-order mark": Case(UTF16_BOM + UNDL.decode().encode("utf-16-le"),
                                   "UTF-16/UTF-32 byte-order mark", 1),
    "field over 128 KiB on an unterminated last line": Case(
        undl_with(undl_row("RUS")[:-1] + b"x" * 200_000), "truncated", 3
    ),
    "unknown code of 20 MB": Case(lambda: undl_with(undl_row("Q" * BIG)), "over the 64 KiB cap", 3),
    "gzip bomb": Case(lambda: gz(UNDL_HEADER + undl_row() * (8 * MiB // 150)),
                      "decompresses to more than 4 MiB", file_cap=4 * MiB),
    "vote missing": Case(undl_with(undl_row("RUS", vote="")), "column 'ms_vote' is empty", 3),
}  # fmt: skip


def test_undl_fixture_reads(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = tmp_path / "ga_voting.csv"
    path.write_bytes(UNDL)
    rows = undl_csv.read(path, crosswalk)
    assert rows.roll_calls["yes"].to_list() == [137]


@pytest.mark.parametrize("case", table(UNDL_CASES))
def test_undl_csv_hostile(case: Case, tmp_path: Path, crosswalk: Crosswalk, monkeypatch) -> None:
    path = write_case(tmp_path, case, "ga_voting.csv")
    assert_refused(undl_csv.read, path, crosswalk, case, monkeypatch)


# --- UN Digital Library MARCXML ---------------------------------------------------------------

MARC_VOTE = (
    '  <datafield tag="967" ind1=" " ind2=" ">\n'
    '    <subfield code="c">{code}</subfield>\n    <subfield code="d">{vote}</subfield>\n'
    '    <subfield code="e">{name}</subfield>\n  </datafield>\n'
)
MARC = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<collection xmlns="http://www.loc.gov/MARC21/slim">\n<record>\n'
    '  <controlfield tag="001">1000001</controlfield>\n'
    '  <datafield tag="269" ind1=" " ind2=" "><subfield code="a">2024-03-15</subfield></datafield>\n'
    '  <datafield tag="791" ind1=" " ind2=" "><subfield code="a">A/RES/78/264</subfield></datafield>\n'
    '  <datafield tag="245" ind1=" " ind2=" "><subfield code="a">A title</subfield></datafield>\n'
    '  <datafield tag="996" ind1=" " ind2=" "><subfield code="b">1</subfield>'
    '<subfield code="c">0</subfield><subfield code="d">1</subfield></datafield>\n'
    + MARC_VOTE.format(code="BLR", vote="Y", name="BELARUS")
    + MARC_VOTE.format(code="RUS", vote="A", name="RUSSIAN FEDERATION")
    + "</record>\n</collection>\n"
)  # fmt: skip
ENTITY_DOCTYPE = '<!DOCTYPE collection [<!ENTITY v "N">]>\n'
LAUGHS = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10))


def marc(*replacements: tuple[str, str], prolog: str = "") -> bytes:
    text = MARC
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    if prolog:
        text = text.replace("\n", "\n" + prolog, 1)
    return text.encode()


MARC_CASES = {
    "vote through a declared entity": Case(
        marc(("<subfield code=\"d\">Y</subfield>", "<subfield code=\"d\">&v;</subfield>"),
             prolog=ENTITY_DOCTYPE),
        "declares a document type",
    ),
    "billion laughs": Case(
        marc(("A title", "&l9;"), prolog=f"<!DOCTYPE collection [{LAUGHS}]>\n"),
        "declares a document type", 1,
    ),
    "external entity (XXE)": Case(
        marc(("A title", "&x;"),
             prolog='<!DOCTYPE collection [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'),
        "declares a document type",
    ),
    "markup inside a vote": Case(marc(("<subfield code=\"d\">Y</subfield>",
                                       "<subfield code=\"d\"><b>Y</b></subfield>")),
                                 "tag 967 $d holds markup '<b", 11),
    "truncated": Case(marc()[:-40], "not well-formed XML"),
    "date in 1900": Case(marc(("2024-03-15", "1900-03-15")), "impossible for the General Assembly", 5),
    "date after tomorrow": Case(marc(("2024-03-15", "29990315")), "tag 269 date '29990315'", 5),
    "two dates for one record": Case(
        marc(("</record>", '<datafield tag="269"><subfield code="a">2024-03-16</subfield>'
                           "</datafield>\n</record>")),
        "record 1000001 has two 269 dates (2024-03-15 on line 5, 2024-03-16)",
    ),
    **{
        f"tally {value}": Case(marc(('<subfield code="b">1</subfield>',
                                     f'<subfield code="b">{value}</subfield>')),
                               f"996 $b tally {value!r} is not a count", 8)
        for value in ("-1", "1e30", "inf", "NaN", "99999", "²")
    },
    "record number not ASCII digits": Case(marc(("1000001", "¹²")), "numeric 001 control number"),
    "record number overflows": Case(marc(("1000001", "9" * 30)), "numeric 001 control number"),
    "one code twice with two votes": Case(
        marc(('<subfield code="d">Y</subfield>',
              '<subfield code="d">Y</subfield><subfield code="d">N</subfield>')),
        "tag 967 has $d twice with different values ('Y', 'N')", 11,
    ),
    "UTF-16 byte-order mark": Case(UTF16_BOM + MARC.replace("UTF-8", "UTF-16").encode("utf-16-le"),
                                   "UTF-16/UTF-32 byte-order mark", 1),
    "name of 1 MB": Case(marc(("<subfield code=\"c\">RUS</subfield>", ""),
                              ("RUSSIAN FEDERATION", "R" * MiB)),
                         "tag 967 $e is 1,048,576 bytes long ('RRRR"),
    "name of 20 MB": Case(lambda: marc(("RUSSIAN FEDERATION", "R" * BIG)),
                          "XML parser's limits (Resource limit exceeded: Text node too long)"),
    "no symbol": Case(marc(('tag="791"', 'tag="792"')), "record 1000001 has no 791 $a symbol"),
}  # fmt: skip


def test_marcxml_fixture_reads(tmp_path: Path, crosswalk: Crosswalk) -> None:
    path = tmp_path / "record.xml"
    path.write_bytes(MARC.encode())
    rows = undl_marcxml.read(path, crosswalk)
    assert sorted(rows.votes["vote"].to_list()) == ["A", "Y"]


@pytest.mark.parametrize("case", table(MARC_CASES))
def test_marcxml_hostile(case: Case, tmp_path: Path, crosswalk: Crosswalk, monkeypatch) -> None:
    path = write_case(tmp_path, case, "record.xml")
    assert_refused(undl_marcxml.read, path, crosswalk, case, monkeypatch)


# --- UN DGACM JSON lines ----------------------------------------------------------------------


def json_record(**changes: object) -> dict:
    record = {
        "symbol": "A/RES/80/1", "title": "T", "adoption_date": "2025-12-01 00:00:00",
        "adoption_type": "By a recorded vote", "session": "Eightieth session",
        "MS_in_favour": ["BELARUS"], "MS_against": ["UNITED STATES"], "MS_abstaining": [],
        "MS_in_favour_count": "1", "MS_against_count": "1", "MS_abstaining_count": "N.A.",
        "subjects": [["SYRIA", "UNBIS Thesaurus"]],
    }  # fmt: skip
    return {**record, **changes}


def jl(*records: dict) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


def jl_with(**changes: object) -> bytes:
    return jl(json_record(symbol="A/RES/80/2"), json_record(**changes))


JSON = jl(json_record(), json_record(symbol="A/RES/80/2"))

JSON_CASES = {
    "null symbol": Case(jl_with(symbol=None), "field 'symbol' is null, expected text", 2),
    "voters with an unknown adoption_type": Case(
        jl_with(adoption_type="By a roll-call vote"),
        "lists voters but its adoption_type 'by a roll-call vote' is neither", 2,
    ),
    "a state named twice in one list": Case(
        jl_with(MS_in_favour=["BELARUS", "CUBA", "BELARUS"], MS_in_favour_count="3"),
        "names 'BELARUS' 2 times in MS_in_favour (3 names, 2 distinct, count 3)", 2,
    ),
    "a doubled list whose count is the doubled length": Case(
        jl_with(MS_in_favour=["BELARUS", "CUBA"] * 2, MS_in_favour_count="4"),
        "names 'BELARUS' 2 times in MS_in_favour (4 names, 2 distinct, count 4)", 2,
    ),
    "a list two names short of its count": Case(
        jl_with(MS_in_favour=["BELARUS"], MS_in_favour_count="3"),
        "MS_in_favour_count is 3 but MS_in_favour lists 1: the list and its count disagree", 2,
    ),
    "number for the symbol": Case(jl_with(symbol=5), "field 'symbol' is the number 5", 2),
    "null title": Case(jl_with(title=None), "field 'title' is null", 2),
    "null list of voters": Case(jl_with(MS_against=None), "'MS_against' is null, expected a list", 2),
    "number for a voter": Case(jl_with(MS_against=[5]), "'MS_against' lists the number 5", 2),
    "list for a voter": Case(jl_with(MS_against=[["X"]]), "'MS_against' lists a list", 2),
    "number for a count": Case(jl_with(MS_in_favour_count=1),
                               "'MS_in_favour_count' is the number 1, expected text", 2),
    **{
        f"count {value}": Case(jl_with(MS_in_favour_count=value),
                               f"'MS_in_favour_count' is {value!r}, expected a count", 2)
        for value in ("-1", "1e30", "inf", "NaN", "1001", "²")
    },
    "number for the session": Case(jl_with(session=80), "'session' is the number 80", 2),
    "number for a subject": Case(jl_with(subjects=[[5, "UNBIS Thesaurus"]]),
                                 "a subject heading is the number 5", 2),
    "repeated key": Case(
        jl(json_record(symbol="A/RES/80/2")) + b'{"symbol": "A/RES/80/3", ' + jl(json_record())[1:],
        "key 'symbol' appears twice in one object", 2,
    ),
    "last line cut": Case(JSON[:-30], "truncated", 2),
    "last line cut after its line break": Case(JSON + jl(json_record())[:20], "truncated", 3),
    "two dates for one symbol": Case(
        jl(json_record(), json_record(adoption_date="2025-12-02 00:00:00")),
        "A/RES/80/1' is adopted on 2025-12-01 on line 1 and on 2025-12-02 on this line", 2,
    ),
    "date in 1900": Case(jl_with(adoption_date="1 January 1900"),
                         "'1 January 1900' is impossible for the General Assembly", 2),
    "date after tomorrow": Case(jl_with(adoption_date="2999-01-01"), "'2999-01-01' is impossible", 2),
    "UTF-16 byte-order mark": Case(UTF16_BOM + JSON.decode().encode("utf-16-le"),
                                   "UTF-16/UTF-32 byte-order mark", 1),
    "unknown name of 20 MB": Case(lambda: jl_with(MS_against=["N" * BIG]),
                                  "a name in 'MS_against' is 20,971,520 bytes long", 2),
    "deep nesting": Case(b"[" * 100_000 + b"]" * 100_000 + b"\n", "nesting too deep", 1),
    "integer of 5000 digits": Case(jl_with(subjects=[]).replace(b'"subjects": []',
                                                                b'"n": ' + b"9" * 5000),
                                   "not a JSON object (a number of thousands of digits)", 2),
    "half a surrogate pair": Case(jl_with(MS_against=["AXB"]).replace(b"AXB", b"A\\ud800B"),
                                  "a name in 'MS_against' holds 'A\\ud800B', half of a surrogate", 2),
    "a line that is a list": Case(JSON + b"[1, 2]\n", "the line is a list, not a JSON object", 3),
}  # fmt: skip


def test_json_fixture_reads(tmp_path: Path, crosswalk: Crosswalk) -> None:
    # U+2028 is valid inside JSON text: lines end at \n only.
    path = tmp_path / "80.json"
    path.write_bytes(JSON.replace(b'"T"', '"T\u2028U"'.encode()))
    rows = unxml_json.read(path, crosswalk)
    assert rows.roll_calls.height == 2 and rows.roll_calls["subjects"][0].to_list() == ["SYRIA"]


def test_json_records_kept_or_skipped_are_noted(tmp_path: Path, crosswalk: Crosswalk) -> None:
    """What the reader accepts from the UN's own quirks, each with a note: a line without
    voters or adoption type, a list given twice over, a list one name short of its count."""
    path = tmp_path / "80.json"
    path.write_bytes(jl(
        json_record(),
        json_record(symbol="A/RES/80/2 A-C", adoption_type="", MS_in_favour=[], MS_against=[],
                    MS_in_favour_count="0", MS_against_count="0"),
        json_record(symbol="A/RES/80/3", MS_in_favour=["BELARUS", "CUBA"] * 2,
                    MS_in_favour_count="2"),
        json_record(symbol="A/RES/80/4", MS_in_favour=["BELARUS"], MS_in_favour_count="2"),
    ))  # fmt: skip
    rows = unxml_json.read(path, crosswalk)
    assert sorted(rows.roll_calls["symbol"]) == ["A/RES/80/1", "A/RES/80/3", "A/RES/80/4"]
    assert rows.votes.filter(pl.col("source_id") == "A/RES/80/3").height == 3  # BLR, CUB, USA
    assert rows.notes == [
        "line 2: 'A/RES/80/2 A-C' has adoption_type '' and no voters listed; skipped",
        "line 3: A/RES/80/3 lists every name of MS_in_favour 2 times; counted once",
        "line 4: A/RES/80/4 MS_in_favour_count is 2, 1 listed",
    ]


@pytest.mark.parametrize("case", table(JSON_CASES))
def test_json_hostile(case: Case, tmp_path: Path, crosswalk: Crosswalk, monkeypatch) -> None:
    path = write_case(tmp_path, case, "80.json")
    assert_refused(unxml_json.read, path, crosswalk, case, monkeypatch)


# --- the byte-order mark, the same in every reader ---------------------------------------------

UTF8_BOM = "\ufeff".encode()
BOM_FILES = {
    "voeten": ("votes.csv", VOETEN, voeten),
    "undl_csv": ("ga_voting.csv", UNDL, undl_csv),
    "undl_marcxml": ("record.xml", MARC.encode(), undl_marcxml),
    "unxml_json": ("80.json", JSON, unxml_json),
}


@pytest.mark.parametrize("reader", BOM_FILES)
def test_utf8_bom_accepted_everywhere(reader: str, tmp_path: Path, crosswalk: Crosswalk) -> None:
    """A UTF-8 mark is dropped: the file is recognised and reads as without it."""
    name, data, module = BOM_FILES[reader]
    plain, marked = tmp_path / name, tmp_path / "bom" / name
    marked.parent.mkdir()
    plain.write_bytes(data)
    marked.write_bytes(UTF8_BOM + data)
    assert reader_for(marked) is module
    assert module.read(marked, crosswalk).votes.equals(module.read(plain, crosswalk).votes)


def test_unvotes_utf8_bom_accepted(tmp_path: Path, crosswalk: Crosswalk) -> None:
    files = unvotes_files(UTF8_BOM + UNVOTES_CALLS, UTF8_BOM + UNVOTES_VOTES)
    path = write_case(tmp_path, Case(files, ""), "unvotes.csv")
    assert reader_for(path) is unvotes
    assert unvotes.read(path, crosswalk).votes.height == 2


@pytest.mark.parametrize("reader", ["voeten", "undl_csv", "unxml_json"])
def test_utf16_bom_refused_when_recognising(reader: str, tmp_path: Path) -> None:
    """Recognising a file by its content refuses the mark too (XML goes by its name)."""
    name, data, _ = BOM_FILES[reader]
    path = tmp_path / name
    path.write_bytes(UTF16_BOM + data.decode().encode("utf-16-le"))
    with pytest.raises(BadDataError, match="UTF-16/UTF-32 byte-order mark"):
        reader_for(path)


def test_long_line_of_values_under_the_field_cap_reads(tmp_path: Path, crosswalk: Crosswalk):
    """The cap is on one value, not on a line: two 40 KB titles on one line are read."""
    calls = UNVOTES_CALLS.replace(b"SYRIA,Syria", b"S" * 40_000 + b"," + b"s" * 40_000)
    path = write_case(tmp_path, Case(unvotes_files(calls), ""), "unvotes.csv")
    assert unvotes.read(path, crosswalk).roll_calls["title"].str.len_bytes().item() == 40_000


@pytest.mark.parametrize("read", [_text.read_bytes, _text.read_head])
def test_unreadable_file_is_a_message(read, tmp_path: Path) -> None:
    """A path that cannot be opened (here a folder; for users, often permissions)."""
    with pytest.raises(BadDataError, match=r"cannot be read \(Is a directory\); check the path"):
        read(tmp_path)
