"""What the store knows it holds: session series and their coverage, decisions taken without a
vote, inferred absences, and every source's rows against every published tally. Unit tests on
hand-made rows; the store built from ../shared/data checked against counts taken from the raw
files."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from functools import cache
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from alignment import analyses, coverage, metrics, symbols
from alignment.cli import cli

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
D = dt.date


# --- symbols and series ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "parsed", "base"),
    [
        ("A/RES/66/253 A", ("66", 253, "A"), "A/RES/66/253"),
        ("A/RES/ES-11/4", ("ES-11", 4, None), "A/RES/ES-11/4"),
        ("A/RES/S-32/1", ("S-32", 1, None), "A/RES/S-32/1"),
        ("A/RES/66(I)", ("1", 66, None), "A/RES/66(I)"),
        ("A/RES/997(ES-I) B", ("ES-1", 997, "B"), "A/RES/997(ES-I)"),
        ("A/RES/3379(XXX)", ("30", 3379, None), "A/RES/3379(XXX)"),
        ("A/RES/79/259 A-C", ("79", 259, "A-C"), "A/RES/79/259"),
        ("A/RES/50/38 B IV", ("50", 38, "B IV"), "A/RES/50/38"),
        ("not a symbol", None, "not a symbol"),
    ],
)
def test_symbols_say_their_series_number_and_part(symbol, parsed, base) -> None:
    assert symbols.parse(symbol) == parsed
    assert symbols.base(symbol) == base
    assert symbols.series(symbol) == (parsed[0] if parsed else None)


def test_roman_numerals_both_ways() -> None:
    for n in (1, 4, 9, 14, 19, 30, 40, 49):
        assert symbols.from_roman(symbols.roman(n)) == n


def frames(rows: list[tuple]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(roll_calls, roll_call_sources) from (id, source, symbol, date, session) rows."""
    sources = pl.DataFrame(
        rows, schema=["roll_call_id", "source", "symbol", "date", "session"], orient="row"
    )
    calls = sources.unique("roll_call_id", keep="first").select(
        "roll_call_id", "symbol", "date", "session"
    )
    return calls, sources.drop("session")


def test_coverage_of_hand_made_series() -> None:
    calls, sources = frames([
        (1, "json", "A/RES/80/1", D(2025, 9, 20), 80),
        (2, "json", "A/RES/80/3", D(2025, 10, 1), 80),
        (3, "json", "A/RES/ES-11/1", D(2022, 3, 2), 76),
        (4, "json", "A/RES/ES-11/2", D(2022, 3, 24), 76),
        (5, "unvotes", "A/RES/71/1", D(2016, 10, 1), 71),
        (6, "unvotes", "A/RES/71/5", D(2016, 11, 1), 71),
        (7, "unvotes", "A/RES/677/46", D(2012, 12, 3), 67),  # a slip for A/RES/67/46
        (8, "unvotes", None, D(2015, 10, 1), 70),  # a procedural vote: its session
        (9, "unvotes", "A/RES/66(I)", D(1946, 12, 1), 1),
        (1, "unvotes", "A/RES/80/1", D(2025, 9, 20), 80),
    ])  # fmt: skip
    decisions = pl.DataFrame(
        [("json", "A/RES/80/4", D(2025, 10, 2), 80), ("json", "A/RES/80/5", D(2025, 10, 9), 80)],
        schema=["source", "symbol", "date", "session"], orient="row",
    )  # fmt: skip
    table = coverage.coverage_table(calls, sources, decisions, {"json"})
    row = {(r["series"], r["source"]): r for r in table.iter_rows(named=True)}
    s80 = row[("80", "store")]
    assert (s80["roll_calls"], s80["resolutions"], s80["without_vote"]) == (2, 2, 2)
    assert (s80["highest_number"], s80["numbering_gaps"], s80["gaps"]) == (5, 1, "2")
    # Every decision of 80 is listed, and number 2 is in no source: complete through the
    # last resolution numbered before it.
    assert (s80["last_record"], s80["complete_through"]) == (D(2025, 10, 9), D(2025, 9, 20))
    assert row[("80", "json")]["without_vote"] == 2
    assert row[("80", "unvotes")]["without_vote"] is None  # unvotes lists votes only
    es11 = row[("ES-11", "store")]
    assert (es11["series_kind"], es11["without_vote"], es11["numbering_gaps"]) == (
        "emergency special", 0, 0,
    )  # fmt: skip
    assert es11["complete_through"] == D(2022, 3, 24)
    s71 = row[("71", "store")]
    # No source lists session 71's decisions: gaps are counted but do not cut completeness.
    assert (s71["without_vote"], s71["numbering_gaps"], s71["gaps"]) == (None, 3, "2-4")
    assert s71["complete_through"] == D(2016, 11, 1)
    assert row[("67", "store")]["roll_calls"] == 1 and ("677", "store") not in row
    assert row[("70", "store")]["resolutions"] == 0
    assert row[("1", "store")]["numbering_gaps"] is None  # sessions 1-30 number across
    assert table["series"].to_list()[:2] == ["1", "1"]  # regular first, by number


def test_gap_ranges_are_cut() -> None:
    assert coverage._ranges([2, 3, 4, 9, 11, 12]) == "2-4, 9, 11-12"
    text = coverage._ranges(list(range(1, 400, 2)))
    assert len(text) <= coverage.GAPS_SHOWN and text.endswith(", …")


# --- the raw files ---------------------------------------------------------------------------


@cache
def raw_json() -> pl.DataFrame:
    """Every line of the UN's per-session JSON: file, symbol, date, adoption type, voters."""
    from alignment.sources.unxml_json import parse_date

    rows = []
    for path in sorted((SHARED / "unxml" / "data_extract").glob("*.json")):
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            voters = len(r["MS_in_favour"]) + len(r["MS_against"]) + len(r["MS_abstaining"])
            rows.append({
                "file": path.stem, "symbol": " ".join(r["symbol"].split()),
                "date": parse_date(r["adoption_date"]), "adoption": r["adoption_type"].lower(),
                "voters": voters, "abstaining": len(set(r["MS_abstaining"])),
                "abstaining_count": r["MS_abstaining_count"],
            })  # fmt: skip
    return pl.DataFrame(rows)


def number(symbol: str) -> int | None:
    found = re.match(r"^A/RES/(?:(?:ES|S)-)?\d+/(\d+)", symbol)
    return int(found[1]) if found else None


def store_row(con: duckdb.DuckDBPyConnection, series: str) -> dict:
    rel = con.sql(
        "SELECT * FROM coverage WHERE series = $s AND source = 'store'", params={"s": series}
    )
    return dict(zip(rel.columns, rel.fetchall()[0], strict=True))


def test_es_11_stops_where_its_file_does(con: duckdb.DuckDBPyConnection) -> None:
    lines = raw_json().filter(pl.col("file") == "ES-11")
    voted = lines.filter((pl.col("adoption") == "by a recorded vote") & (pl.col("voters") > 0))
    row = store_row(con, "ES-11")
    assert row["roll_calls"] == voted["symbol"].n_unique() == 6
    assert (row["first_vote"], row["last_vote"]) == (voted["date"].min(), voted["date"].max())
    assert row["without_vote"] == lines.filter(pl.col("adoption") == "without a vote").height
    assert row["complete_through"] == voted["date"].max() == D(2023, 2, 23)
    # The regular sessions run on: the store's last record is far later.
    (last,) = con.execute(
        "SELECT max(last_record) FROM coverage WHERE source = 'store'"
    ).fetchall()[0]
    assert last > D(2026, 1, 1)
    notes = analyses.coverage_notes(
        analyses.read_coverage(con, D(2024, 1, 1), D(2026, 12, 31)), D(2026, 12, 31)
    )
    assert any(n.startswith("ES-11 (emergency special session): the sources here hold its "
                            "records only through 23 February 2023") for n in notes)  # fmt: skip
    # Without the numbering gaps: only the notes on where records stop.
    rows = analyses.read_coverage(con, D(2024, 1, 1), D(2026, 12, 31))
    stops = analyses.coverage_notes(rows, D(2026, 12, 31), gaps=False)
    assert stops == [n for n in notes if "resolution number" not in n]
    assert any(n.startswith("ES-11") for n in stops)
    assert any("resolution number" in n for n in notes)


@pytest.mark.parametrize("session", ["78", "79", "80"])
def test_sessions_78_to_80_against_their_json(con: duckdb.DuckDBPyConnection, session: str) -> None:
    lines = raw_json().filter(pl.col("file") == session)
    without = lines.filter(pl.col("adoption") == "without a vote").unique(["symbol", "date"])
    voted = lines.filter((pl.col("adoption") == "by a recorded vote") & (pl.col("voters") > 0))
    row = store_row(con, session)
    assert row["without_vote"] == without.height
    # Every number the JSON accounts for: recorded with its voters, or without a vote. The
    # excerpt of the Library's file adds none the JSON lacks.
    known = {number(s) for s in (*without["symbol"], *voted["symbol"])}
    highest = max(number(s) for s in lines["symbol"] if number(s))
    gaps = [n for n in range(1, highest + 1) if n not in known]
    assert (row["highest_number"], row["numbering_gaps"]) == (highest, len(gaps))
    assert row["resolutions"] == voted["symbol"].n_unique()
    if gaps:
        before = lines.filter(
            pl.col("symbol").map_elements(lambda s: (number(s) or 0) < gaps[0], pl.Boolean)
        )
        assert row["complete_through"] == before["date"].max()
    else:
        assert row["complete_through"] == row["last_record"]


def test_decisions_without_a_vote_and_their_share(con: duckdb.DuckDBPyConnection) -> None:
    without = raw_json().filter(pl.col("adoption") == "without a vote").unique(["symbol", "date"])
    (stored,) = con.execute("SELECT count(*) FROM decisions_without_vote").fetchall()[0]
    assert stored == without.height > 1000
    # Their topics come from the same rules: the Chernobyl texts only mention Ukraine.
    (mentions,) = con.execute(
        "SELECT list(DISTINCT topic_mentions) FROM decisions_without_vote "
        "WHERE title ILIKE '%Chernobyl%'"
    ).fetchall()[0]
    assert mentions == [["ukraine"]]
    from alignment import workbench

    share = workbench.run_query(con, "share_adopted_without_vote", {})
    calls = con.sql(
        "SELECT series, symbol FROM roll_calls WHERE kind = 'resolution' AND symbol IS NOT NULL"
    ).pl()
    decisions = con.sql("SELECT series FROM decisions_without_vote").pl()
    for row in share.iter_rows(named=True):
        voted = calls.filter(pl.col("series") == row["series"])["symbol"].n_unique()
        listed = decisions.filter(pl.col("series") == row["series"]).height
        assert (row["recorded_vote"], row["without_vote"]) == (voted, listed)
        assert row["share_without_vote"] == pytest.approx(listed / (voted + listed), abs=5e-4)
    assert {"74", "80", "ES-11"} <= set(share["series"]) and "73" not in set(share["series"])


def test_coverage_command_and_status(built_store: Path) -> None:
    result = CliRunner().invoke(
        cli, ["coverage", "--from", "2022", "--format", "csv", "--db", str(built_store)]
    )
    assert result.exit_code == 0, result.output
    rows = pl.read_csv(result.stdout.encode())
    assert {"77", "80", "ES-10", "ES-11"} <= set(rows["series"].cast(pl.String))
    assert "ES-11 (emergency special session): the sources here hold" in result.stderr
    every = CliRunner().invoke(
        cli, ["coverage", "--source", "all", "--format", "json", "--db", str(built_store)]
    )
    assert {"store", "unvotes", "voeten", "unxml_json"} <= {
        r["source"] for r in json.loads(every.stdout)
    }
    status = CliRunner().invoke(cli, ["status", "--db", str(built_store)])
    assert "coverage (series: votes from - to, complete through" in status.output
    assert (
        "  ES-11: 6 roll calls 2022-03-02 - 2023-02-23, complete through 2023-02-23"
        in status.output
    )
    doc = json.loads(CliRunner().invoke(cli, ["status", "--json", "--db", str(built_store)]).output)
    es11 = next(r for r in doc["coverage"] if r["series"] == "ES-11")
    assert (es11["last_vote"], es11["complete_through"]) == ("2023-02-23", "2023-02-23")


# --- inferred absences and tallies -----------------------------------------------------------


def test_inferred_absences_are_flagged(con: duckdb.DuckDBPyConnection) -> None:
    with gzip.open(SHARED / "unvotes" / "unvotes.csv.gz") as handle:
        rows = pl.read_csv(
            handle.read(), columns=["rcid", "country_code"], schema_overrides={"rcid": pl.Int64}
        )
    with gzip.open(SHARED / "unvotes" / "roll_calls.csv.gz") as handle:
        sessions = pl.read_csv(handle.read(), columns=["rcid", "session"])
    zimbabwe = rows.filter(pl.col("country_code") == "ZW").join(sessions, on="rcid")
    published = zimbabwe.filter(pl.col("session") == 71).height
    stored, inferred = con.execute(
        """SELECT count(*), count_if(v.inferred) FROM votes v JOIN roll_calls r USING (roll_call_id)
           WHERE v.iso3 = 'ZWE' AND r.session = 71"""
    ).fetchall()[0]
    assert inferred == stored - published > 0  # unvotes holds 40 of the 119
    (wrong,) = con.execute(
        "SELECT count(*) FROM votes WHERE inferred AND (vote <> 'X' OR source NOT IN ('unvotes', 'unxml_json'))"
    ).fetchall()[0]
    assert wrong == 0
    # Voeten's recorded absences (code 8) are absences, not inferences: sessions 1-57, before
    # any source of higher precedence overlaps his.
    voeten = pl.read_csv(
        SHARED / "voeten" / "completeVotes_1946-2015.csv.gz", columns=["vote", "session"]
    )
    (recorded,) = con.execute(
        """SELECT count(*) FROM votes v JOIN roll_calls r USING (roll_call_id)
           WHERE v.vote = 'X' AND v.source = 'voeten' AND NOT v.inferred AND r.session <= 57"""
    ).fetchall()[0]
    assert recorded == voeten.filter((pl.col("vote") == 8) & (pl.col("session") <= 57)).height


def test_metrics_take_inferred_absences_as_missing(con: duckdb.DuckDBPyConnection) -> None:
    votes = con.sql(
        """SELECT v.roll_call_id, v.iso3, v.vote, v.inferred FROM votes v
           JOIN roll_calls r USING (roll_call_id) WHERE r.session = 71"""
    ).pl()
    calls = con.sql(
        "SELECT roll_call_id, date, session, kind, important FROM roll_calls WHERE session = 71"
    ).pl()
    pairs = ["ZWE", "ZAF", "BLR"]
    every = metrics.dyadic_scores(votes, calls, by="session", countries=pairs)
    recorded = metrics.dyadic_scores(
        votes.filter(~pl.col("inferred")), calls, by="session", countries=pairs
    )
    assert every.equals(recorded)


def test_a_sources_rows_short_of_its_own_tally(con: duckdb.DuckDBPyConnection) -> None:
    short = raw_json().filter(
        (pl.col("adoption") == "by a recorded vote")
        & (
            pl.col("abstaining_count").str.replace("N.A.", "0").cast(pl.Int64)
            != pl.col("abstaining")
        )
        & (pl.col("voters") > 0)
    )
    assert short.height >= 1  # A/RES/77/293: 59 counted, 58 listed
    for row in short.iter_rows(named=True):
        found = con.execute(
            """SELECT t.abstain, t.tally_abstain, t.missing, t.finding FROM tally_checks t
               JOIN roll_calls r USING (roll_call_id)
               WHERE r.symbol = ? AND t.source = 'unxml_json' AND t.tally_source = 'unxml_json'""",
            [row["symbol"]],
        ).fetchall()[0]
        count = int(row["abstaining_count"])
        assert found == (row["abstaining"], count, count - row["abstaining"], "rows short")
    # The Library's excerpt holds some rows of each of its resolutions: short of its tallies.
    excerpt = pl.read_csv(
        SHARED / "undl" / "ga_voting_excerpt_2026-02-06_layout.csv", infer_schema=False
    )
    (flagged,) = con.execute(
        "SELECT count(DISTINCT roll_call_id) FROM tally_checks WHERE source = 'undl_csv' "
        "AND tally_source = 'undl_csv' AND finding = 'rows short'"
    ).fetchall()[0]
    assert flagged == excerpt["resolution"].n_unique()


def test_differences_touching_the_roll_calls_shown(con: duckdb.DuckDBPyConnection) -> None:
    from alignment import workbench

    every = con.sql("SELECT roll_call_id FROM roll_calls").pl()["roll_call_id"].to_list()
    found = analyses.differences(con, every)
    (disagreements,) = con.execute("SELECT count(*) FROM vote_disagreements").fetchall()[0]
    (mismatches,) = con.execute(
        "SELECT count(*) FROM tally_checks WHERE finding <> 'match'"
    ).fetchall()[0]
    assert found.filter(pl.col("kind") == "vote").height == disagreements
    assert found.filter(pl.col("kind") == "tally").height == mismatches > 0
    assert workbench.run_query(con, "source_differences_in_view", {}).height == found.height
    one = con.sql("SELECT roll_call_id FROM roll_calls WHERE symbol = 'A/RES/77/293'").pl()
    sentence = analyses.differences_sentence(
        analyses.differences(con, one["roll_call_id"].to_list())
    )
    assert sentence == (
        "On 1 roll call shown here a source's rows do not add up to a published tally "
        "(tally_checks)."
    )
    assert analyses.differences_sentence(analyses.differences(con, [])) is None


def test_differences_sentence_counts_votes_and_roll_calls() -> None:
    rows = pl.DataFrame({"kind": ["vote", "vote", "vote", "tally"], "roll_call_id": [1, 1, 2, 2]})
    assert analyses.differences_sentence(rows) == (
        "The sources differ on 3 votes shown here, on 2 roll calls (the official record's vote "
        "is shown; vote_disagreements lists them); on 1 roll call shown here a source's rows do "
        "not add up to a published tally (tally_checks)."
    )
