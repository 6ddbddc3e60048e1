"""Topics that mean their subject: rules and a curated list as data, primary or mention, and
`alignment topics explain` saying why. Unit tests on hand-made rows; the real roll calls both
ways (in the topic, out of it) on the store built from ../shared/data, with the lists of
titles derived from the raw files."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from alignment import analyses, topics
from alignment.cli import cli
from alignment.errors import BadDataError, UnknownName
from alignment.symbols import from_voeten

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
RULES = """topic,field,pattern,from_date,strength,note
syria,title,(?i)\\bsyria\\b,,primary,title names Syria
syria,subject,(?i)^syrian arab republic,,mention,a heading
syria,title,(?i)chemical weapons,2013-09-01,mention,CW
ukraine,symbol,^A/RES/ES-11/,,primary,the session on Ukraine
ukraine,agenda,(?i)ukraine,,primary,an agenda item on Ukraine
"""
LISTS = """topic,symbol,strength,source,note
ukraine,A/RES/99/1,mention,https://undocs.org/A/RES/99/1,said to be about something else
syria,A/RES/99/2,primary,https://undocs.org/A/RES/99/2,missed by the rules
"""


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "topic_rules.csv").write_text(RULES)
    (tmp_path / "topic_lists.csv").write_text(LISTS)
    return tmp_path


def calls(*rows: dict) -> pl.DataFrame:
    base = {"roll_call_id": 0, "symbol": None, "date": dt.date(2020, 1, 1), "session": 74,
            "kind": "resolution", "title": "", "topics": [], "subjects": [], "agenda": []}  # fmt: skip
    return pl.DataFrame([{**base, **r} for r in rows])


def verdict(frame: pl.DataFrame, roll_call_id: int, topic: str) -> tuple[str, str] | None:
    hit = frame.filter((pl.col("roll_call_id") == roll_call_id) & (pl.col("topic") == topic))
    return None if hit.is_empty() else (hit["strength"][0], hit["basis"][0])


def test_primary_mention_and_the_list_decide(data_dir: Path) -> None:
    rules, lists = topics.load_rules(data_dir), topics.load_lists(data_dir)
    rows = calls(
        {"roll_call_id": 1, "symbol": "A/RES/74/1", "title": "Situation in Syria"},
        {"roll_call_id": 2, "symbol": "A/RES/74/2", "title": "Oil slick",
         "subjects": ["SYRIAN ARAB REPUBLIC"]},
        {"roll_call_id": 3, "symbol": "A/RES/ES-11/3", "title": "Suspension of rights",
         "subjects": ["SYRIAN ARAB REPUBLIC"]},
        {"roll_call_id": 4, "symbol": "A/RES/99/1", "title": "x",
         "agenda": ["The situation in Ukraine"]},
        {"roll_call_id": 5, "symbol": "A/RES/99/2", "title": "Not named"},
        # Chemical weapons before the rule's from_date: no evidence.
        {"roll_call_id": 6, "symbol": "A/RES/67/1", "title": "Chemical weapons",
         "date": dt.date(2012, 12, 1)},
        {"roll_call_id": 7, "symbol": "A/RES/74/7", "title": "Chemical weapons"},
    )  # fmt: skip
    tagged, evidence = topics.tag(rows, rules, lists)
    assert verdict(tagged, 1, "syria") == ("primary", "title")
    assert verdict(tagged, 2, "syria") == ("mention", "subject")
    assert verdict(tagged, 3, "ukraine") == ("primary", "symbol")
    assert verdict(tagged, 3, "syria") == ("mention", "subject")
    # The list speaks last: the agenda says primary, the list says mention.
    assert verdict(tagged, 4, "ukraine") == ("mention", "list")
    assert evidence.filter(pl.col("roll_call_id") == 4)["basis"].sort().to_list() == [
        "agenda",
        "list",
    ]
    assert verdict(tagged, 5, "syria") == ("primary", "list")
    assert verdict(tagged, 6, "syria") is None
    assert verdict(tagged, 7, "syria") == ("mention", "title")
    listed = evidence.filter(pl.col("basis") == "list")
    assert set(listed["rule"]) == {"topic_lists.csv line 2", "topic_lists.csv line 3"}
    assert listed["note"].str.starts_with("https://undocs.org/").all()


def test_a_meeting_record_is_a_mention_and_a_separate_vote_takes_its_texts_topics(
    data_dir: Path,
) -> None:
    rules, lists = topics.load_rules(data_dir), topics.load_lists(data_dir)
    transcript = (
        "The President: We turn first to draft resolution A/72/L.22, entitled _Safety and "
        "security of humanitarian personnel<d3>. Sponsors: Armenia, Syria, Zambia."
    )
    rows = calls(
        {"roll_call_id": 1, "symbol": "A/RES/72/131", "kind": "paragraph", "title": transcript},
        {"roll_call_id": 2, "symbol": "A/RES/72/5", "title": "Human rights in Syria"},
        {"roll_call_id": 3, "symbol": "A/RES/72/5", "kind": "paragraph",
         "title": "The Acting President: I shall now put to the vote operative paragraph 2."},
        {"roll_call_id": 4, "symbol": "A/RES/72/5", "kind": "amendment", "session": 73,
         "title": "An amendment"},
    )  # fmt: skip
    tagged, evidence = topics.tag(rows, rules, lists)
    assert verdict(tagged, 1, "syria") == ("mention", "meeting record")
    (shown,) = evidence.filter(pl.col("roll_call_id") == 1)["matched"].to_list()
    assert "Syria" in shown and shown.startswith("…") is False  # short: the whole title
    assert verdict(tagged, 3, "syria") == ("primary", "resolution")
    assert verdict(tagged, 4, "syria") is None  # another session: another text


def test_voeten_codes_and_subject_headings_are_topics_of_their_own(data_dir: Path) -> None:
    rows = calls({"roll_call_id": 1, "topics": ["hr", "me"], "subjects": ["ISRAEL"]})
    tagged, _ = topics.tag(rows, topics.load_rules(data_dir), topics.load_lists(data_dir))
    assert tagged.select("topic", "scheme", "strength", "basis").sort("topic").rows() == [
        ("ISRAEL", "subject", "primary", "subject"),
        ("hr", "voeten", "primary", "voeten"),
        ("me", "voeten", "primary", "voeten"),
    ]


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("topic_rules.csv", "topic,field,pattern,from_date,strength,note\n"
         "syria,body,x,,primary,n\n", "field 'body' must be one of"),
        ("topic_rules.csv", "topic,field,pattern,from_date,strength,note\n"
         "syria,title,(,,primary,n\n", "is not a regular expression"),
        ("topic_rules.csv", "topic,field,pattern,from_date,strength,note\n"
         "syria,title,x,,strong,n\n", "strength 'strong' must be primary or mention"),
        ("topic_lists.csv", "topic,symbol,strength,source,note\n"
         "syria,66/253,primary,https://x,n\n", "is not an official symbol"),
        ("topic_lists.csv", "topic,symbol,strength,source,note\n"
         "syria,A/RES/66/253,primary,,n\n", "every entry needs its source"),
        ("topic_lists.csv", "topic,symbol,strength,source,note\n"
         "syria,A/RES/66/253,primary,s,n\nsyria,A/RES/66/253,mention,s,n\n", "listed twice"),
    ],
)  # fmt: skip
def test_bad_rules_and_lists_name_the_file_and_line(
    data_dir: Path, file: str, text: str, message: str
) -> None:
    (data_dir / file).write_text(text)
    with pytest.raises(BadDataError, match=message) as caught:
        topics.load_rules(data_dir) if file == "topic_rules.csv" else topics.load_lists(data_dir)
    assert caught.value.path.endswith(file) and caught.value.line in (2, 3)


def test_the_shipped_rules_and_list_load() -> None:
    rules, lists = topics.load_rules(), topics.load_lists()
    assert {"syria", "ukraine", "palestine", "country_human_rights"} <= set(rules["topic"])
    assert set(rules["strength"]) == {"primary", "mention"}
    assert lists["source"].str.starts_with("https://").all()


def test_parse_topic() -> None:
    assert analyses.parse_topic("ukraine") == ("ukraine", False)
    assert analyses.parse_topic(" ukraine+mentions ") == ("ukraine", True)
    assert analyses.parse_topic("SYRIAN ARAB REPUBLIC") == ("SYRIAN ARAB REPUBLIC", False)


# --- the real roll calls ---------------------------------------------------------------------


def raw_titles() -> pl.DataFrame:
    """symbol and title of every recorded vote in the raw files: unvotes' roll call table
    (title in descr, or short where descr holds the agenda lines of sessions 71-73) and the
    UN's JSON (recorded votes only)."""
    with gzip.open(SHARED / "unvotes" / "roll_calls.csv.gz") as handle:
        unvotes = pl.read_csv(handle.read(), infer_schema=False)
    agenda = unvotes["descr"].fill_null("").str.contains(r"^A/\d+/\d+ ")
    titles = unvotes.select(
        pl.struct("unres", "session")
        .map_elements(lambda r: from_voeten(r["unres"], int(r["session"])), return_dtype=pl.String)
        .alias("symbol"),
        pl.when(agenda).then(pl.col("short")).otherwise(pl.col("descr")).alias("title"),
    )
    rows = []
    for path in sorted((SHARED / "unxml" / "data_extract").glob("*.json")):
        for line in path.read_text().splitlines():
            if line.strip():
                record = json.loads(line)
                if record["adoption_type"].lower() == "by a recorded vote":
                    rows.append({"symbol": record["symbol"], "title": record["title"]})
    return pl.concat([titles, pl.DataFrame(rows)]).drop_nulls()


def topic_symbols(con: duckdb.DuckDBPyConnection, topic: str, strength: str) -> set[str]:
    return {
        s
        for (s,) in con.execute(
            "SELECT DISTINCT r.symbol FROM roll_call_topics t JOIN roll_calls r USING "
            "(roll_call_id) WHERE t.topic = ? AND t.strength = ? AND r.kind = 'resolution'",
            [topic, strength],
        ).fetchall()
    }


def test_ukraine_is_the_texts_on_ukraine(con: duckdb.DuckDBPyConnection) -> None:
    primary = topic_symbols(con, "ukraine", "primary")
    # Every resolution of the emergency special session on Ukraine, whatever its title.
    es11 = {f"A/RES/ES-11/{n}" for n in range(1, 7)}
    assert es11 <= primary
    assert "A/RES/68/262" in primary  # Territorial integrity of Ukraine
    # The Crimea series: every recorded vote whose title, in the raw files, names Crimea.
    crimea = raw_titles().filter(pl.col("title").str.contains("(?i)crimea"))
    assert crimea.height >= 12
    assert set(crimea["symbol"]) <= primary
    # Out: the OPCW texts and the Chernobyl text, which only a subject heading links to
    # Ukraine; they are mentions.
    mentions = topic_symbols(con, "ukraine", "mention")
    for symbol in ("A/RES/79/134", "A/RES/77/272", "A/RES/80/111"):
        assert symbol not in primary and symbol in mentions, symbol
    # A/RES/72/131: a separate vote described by the meeting record, which names Ukraine
    # and the State of Palestine among the sponsors of another draft.
    (strengths,) = con.execute(
        """SELECT list(t.topic || ':' || t.strength || ':' || t.basis ORDER BY t.topic)
           FROM roll_call_topics t JOIN roll_calls r USING (roll_call_id)
           WHERE r.symbol = 'A/RES/72/131' AND t.scheme = 'named'"""
    ).fetchall()[0]
    assert strengths == ["palestine:mention:meeting record", "ukraine:mention:meeting record"]


def test_syria_is_the_texts_on_syria(con: duckdb.DuckDBPyConnection) -> None:
    primary = topic_symbols(con, "syria", "primary")
    assert "A/RES/66/253" in primary
    golan = raw_titles().filter(pl.col("title").str.contains("(?i)syrian golan"))
    assert golan.height >= 20
    assert set(golan["symbol"]) - primary == set()
    # The Chemical Weapons Convention and OPCW texts only mention Syria.
    for symbol in ("A/RES/79/134", "A/RES/77/272", "A/RES/80/34"):
        assert symbol not in primary, symbol
    # Selection: primary by default, +mentions adds the rest.
    plain = analyses.topic_roll_calls(con, "syria")
    wide = analyses.topic_roll_calls(con, "syria+mentions")
    (mentioned,) = con.execute(
        "SELECT count(DISTINCT roll_call_id) FROM roll_call_topics "
        "WHERE topic = 'syria' AND strength = 'mention'"
    ).fetchall()[0]
    assert len(wide) - len(plain) == mentioned > 0
    with pytest.raises(UnknownName, match=r"add \+mentions"):
        analyses.topic_roll_calls(con, "nope+mentions")


def test_unvotes_titles_of_sessions_71_to_73_are_titles(con: duckdb.DuckDBPyConnection) -> None:
    (title,) = con.execute("SELECT title FROM roll_calls WHERE symbol = 'A/RES/71/205'").fetchall()[
        0
    ]
    assert title.startswith("Situation of human rights in the Autonomous Republic of Crimea")
    (agenda,) = con.execute(
        """SELECT list(e.matched) FROM topic_evidence e JOIN roll_calls r USING (roll_call_id)
           WHERE r.symbol = 'A/RES/71/205' AND e.basis = 'agenda'"""
    ).fetchall()[0]
    assert agenda == [
        "Human rights situations and reports of special rapporteurs and representatives"
    ]


def test_every_named_verdict_has_its_evidence(con: duckdb.DuckDBPyConnection) -> None:
    (orphans,) = con.execute(
        """SELECT count(*) FROM roll_call_topics t WHERE t.scheme = 'named' AND NOT EXISTS (
             SELECT 1 FROM topic_evidence e WHERE e.roll_call_id = t.roll_call_id
               AND e.topic = t.topic AND e.rule = t.rule AND e.strength = t.strength)"""
    ).fetchall()[0]
    assert orphans == 0


def test_topics_explain(built_store: Path) -> None:
    result = CliRunner().invoke(
        cli, ["topics", "explain", "A/RES/79/134", "--db", str(built_store)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("A/RES/79/134 (2024-12-06, resolution, roll call ")
    assert "  ukraine: mention (decided by subject, topic_rules.csv line " in result.output
    assert "    - mention: subject matched by topic_rules.csv line " in result.output
    assert "'UKRAINE'" in result.output
    es11 = CliRunner().invoke(cli, ["topics", "explain", "A/RES/ES-11/3", "--db", str(built_store)])
    assert "  ukraine: primary (decided by symbol" in es11.output
    assert (
        "agenda matched by" in es11.output and "Permanent Representative of Ukraine" in es11.output
    )
    as_csv = CliRunner().invoke(
        cli, ["topics", "explain", "A/RES/79/134", "--format", "csv", "--db", str(built_store)]
    )
    rows = pl.read_csv(as_csv.output.encode())
    assert {"topic", "strength", "basis", "rule", "e_matched"} <= set(rows.columns)
    missing = CliRunner().invoke(
        cli, ["topics", "explain", "A/RES/66/25", "--db", str(built_store)]
    )
    assert missing.exit_code == 2
    assert "unknown symbol 'A/RES/66/25'; known: A/RES/66/253" in missing.output
