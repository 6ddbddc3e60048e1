"""Helpers of the report tests: a tiny store built from code, with hostile titles."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from alignment import build
from alignment.countries import Crosswalk
from alignment.sources.rows import ROLL_CALL_SCHEMA, VOTE_SCHEMA, SourceRows

XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '"><img src=x onerror="window.__xss=2">'
XSS_TITLE = f"Situation in Syria {XSS_SCRIPT} {XSS_IMG}"
# Titles a spreadsheet would run as formulas if the CSV download did not defuse them.
FORMULA_TITLES = {
    5: '=HYPERLINK("http://example.invalid/x","Syria")',
    7: "-2+3 Syria",
    9: "@SUM(1) Syria",
}

# Eighteen states with distinct patterns over twelve roll calls on Syria (2012-2015) and three
# on other matters (2016: topic reports leave them out); BLR differs from RUS on the hostile
# roll call.
STATES = ["BLR", "RUS", "SYR", "KAZ", "ARM", "KGZ", "TJK", "CHN", "IRN", "USA", "FRA", "DEU",
          "GBR", "ITA", "POL", "BRA", "IND", "ZAF"]  # fmt: skip
N_SYRIA, N_OTHER = 12, 3
PATTERNS = {
    "BLR": "NNYANNYNNAYNYNA",
    "RUS": "NNYNNNYNNNYNYNN",
    "SYR": "NNYNNNYNNNYNNNN",
    "KAZ": "AYYAAYYAAYYAYYA",
    "ARM": "AAYAAAYAAAYAYAA",
    "KGZ": "ANYAANYAANYAYNA",
    "TJK": "ANYAXNYAANYAYNA",
    "CHN": "NNYNANYNANYNYNA",
    "IRN": "NNYNNNYNNNYNNNN",
    "USA": "YYNYYYNYYYNYNYY",
    "FRA": "YYNYYYNYYYNYNYY",
    "DEU": "YYNYYYAYYYNYNYY",
    "GBR": "YYNYYYNYYYNYNYY",
    "ITA": "YYAYYYNYYYNYNYY",
    "POL": "YYNYYYNYYYNYNYY",
    "BRA": "AYYAYAYYAYYAYYA",
    "IND": "AAYAAAYAAAYAYAA",
    "ZAF": "AAYYAAYYAAYAYYA",
}


def build_tiny_store(db: Path) -> Path:
    calls = []
    votes = []
    for j in range(N_SYRIA + N_OTHER):
        year = 2012 + j // 3
        date = dt.date(year, 12, 1 + j % 3)
        session = year - 1945
        title = XSS_TITLE if j == 3 else FORMULA_TITLES.get(j, f"Syria resolution number {j}")
        if j >= N_SYRIA:
            title = f"Cooperation between the United Nations and regional organisations {j}"
        symbol = f"A/RES/{session}/{100 + j}"
        sid = f"rc{j}"
        letters = [PATTERNS[s][j] for s in STATES]
        calls.append({
            "source": "unxml_json", "source_id": sid, "rcid": None, "undl_id": None,
            "symbol": symbol, "date": date, "session": session, "title": title,
            "kind": "resolution", "important": None, "yes": letters.count("Y"),
            "no": letters.count("N"), "abstain": letters.count("A"), "non_voting": letters.count("X"),
            "topics": [], "subjects": [],
        })  # fmt: skip
        votes += [
            {"source": "unxml_json", "source_id": sid, "iso3": s, "vote": v}
            for s, v in zip(STATES, letters, strict=True)
        ]
    rows = SourceRows(
        "unxml_json",
        "tiny.json",
        pl.DataFrame(calls, schema=ROLL_CALL_SCHEMA),
        pl.DataFrame(votes, schema=VOTE_SCHEMA),
        absent_listed=True,
    )
    files = [{"source": "unxml_json", "location": "tiny.json", "sha256": "0" * 64, "size": 1,
              "modified": dt.datetime(2026, 1, 1), "etag": None}]  # fmt: skip
    build.build_store(
        db, [rows], crosswalk=Crosswalk.load(), files=files, origin="tests",
        started_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    return db
