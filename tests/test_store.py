"""The store built from all of ../shared/data: the facts users check first."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import pytest
import raw
from click.testing import CliRunner

from alignment import attempt, refresh, store
from alignment.cli import cli
from alignment.errors import AlignmentError, BadDataError
from alignment.schema import SCHEMA_VERSION, TABLES


def one(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> tuple:
    return con.execute(sql, list(params)).fetchone()


def test_a_res_66_253_adopted_137_12_17_with_belarus_and_russia_against(con) -> None:
    row = one(
        con,
        "SELECT roll_call_id, date, yes, no, abstain, kind FROM roll_calls WHERE symbol = 'A/RES/66/253'",
    )
    roll_call_id, date, yes, no, abstain, kind = row
    assert (date, yes, no, abstain, kind) == (dt.date(2012, 2, 16), 137, 12, 17, "resolution")
    votes = dict(con.execute(
        "SELECT iso3, vote FROM votes WHERE roll_call_id = ? AND iso3 IN ('BLR', 'RUS', 'USA')",
        [roll_call_id],
    ).fetchall())  # fmt: skip
    assert votes == {"BLR": "N", "RUS": "N", "USA": "Y"}
    # Counted from the votes table, the tally is the same.
    counted = dict(con.execute(
        "SELECT vote, count(*) FROM votes WHERE roll_call_id = ? GROUP BY vote", [roll_call_id]
    ).fetchall())  # fmt: skip
    assert (counted["Y"], counted["N"], counted["A"]) == (137, 12, 17)


def test_only_belarus_and_russia_of_the_csto_voted_no(con) -> None:
    rows = con.execute(
        """
        SELECT v.iso3, v.vote FROM votes v
        JOIN roll_calls r USING (roll_call_id)
        JOIN bloc_memberships m ON m.iso3 = v.iso3 AND m.bloc = 'csto' AND m.status = 'member'
             AND r.date BETWEEN m.joined AND coalesce(m."left", DATE '9999-12-31')
        WHERE r.symbol = 'A/RES/66/253' ORDER BY v.iso3
        """
    ).fetchall()
    assert [iso for iso, vote in rows if vote == "N"] == ["BLR", "RUS"]
    assert {iso for iso, _ in rows} == {"ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "UZB"}


def test_a_res_80_224_present_with_belarus_vote(con) -> None:
    date, session, topic = one(
        con,
        """SELECT r.date, r.session, list(t.topic ORDER BY t.topic) FROM roll_calls r
           JOIN roll_call_topics t USING (roll_call_id) WHERE r.symbol = 'A/RES/80/224'
           GROUP BY ALL""",
    )
    assert (date.year, date.month, session) == (2025, 12, 80)
    assert "syria" in topic
    (vote,) = one(
        con,
        "SELECT vote FROM votes JOIN roll_calls USING (roll_call_id) WHERE symbol = 'A/RES/80/224' AND iso3 = 'BLR'",
    )
    # The UN's JSON (80.json) lists BELARUS among MS_abstaining, 114-2-47.
    assert vote == "A"
    tally = one(con, "SELECT yes, no, abstain FROM roll_calls WHERE symbol = 'A/RES/80/224'")
    assert tally == (114, 2, 47)


def test_every_session_from_1946_to_june_2026(con) -> None:
    first, last = one(con, "SELECT min(date), max(date) FROM roll_calls")
    assert first.year == 1946 and (last.year, last.month) == (2026, 6)
    sessions = {s for (s,) in con.execute("SELECT DISTINCT session FROM roll_calls").fetchall()}
    # Session 19 (1964-65) held a single recorded vote (Voeten keeps it; ideal points drop it).
    assert set(range(1, 81)) <= sessions


def test_absent_is_distinct_from_abstain(con) -> None:
    # Voeten codes 8 (absent) become X, and so do members the UN's JSON leaves unlisted.
    counts = dict(con.execute("SELECT vote, count(*) FROM votes GROUP BY vote").fetchall())
    assert set(counts) == {"Y", "N", "A", "X"}
    (x_2025,) = one(
        con,
        """SELECT count(*) FROM votes JOIN roll_calls USING (roll_call_id)
                            WHERE symbol = 'A/RES/80/224' AND vote = 'X'""",
    )
    (a_2025,) = one(con, "SELECT abstain FROM roll_calls WHERE symbol = 'A/RES/80/224'")
    assert x_2025 > 0 and a_2025 > 0


def test_one_roll_call_across_sources(con) -> None:
    # A/RES/58/20 is in Voeten, unvotes and the Library's CSV excerpt: one roll call.
    rows = con.execute(
        "SELECT source FROM roll_call_sources JOIN roll_calls r USING (roll_call_id) "
        "WHERE r.symbol = 'A/RES/58/20' ORDER BY source"
    ).fetchall()
    assert [s for (s,) in rows] == ["undl_csv", "unvotes", "voeten"]
    (n,) = one(con, "SELECT count(*) FROM roll_calls WHERE symbol = 'A/RES/58/20'")
    assert n == 1


def test_voeten_amendments_are_their_own_roll_calls(con) -> None:
    (n,) = one(con, "SELECT count(*) FROM roll_calls WHERE kind = 'amendment'")
    assert n == raw.unvotes_amendments()
    (first,) = one(con, "SELECT symbol FROM roll_calls WHERE rcid = 3")
    assert first == "A/RES/66(I)"


def test_source_agreement_is_measured(con) -> None:
    rows = {
        (a, b): (rc, v, d)
        for a, b, rc, v, d in con.execute("SELECT * FROM source_agreement").fetchall()
    }
    assert rows[("unvotes", "voeten")][0] == raw.voeten_roll_calls()
    # Every yes/no/abstain of Voeten's file is in unvotes.
    assert rows[("unvotes", "voeten")][1] == raw.voeten_cast()


def test_every_table_and_column_has_a_comment(con) -> None:
    tables = dict(con.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall())
    for table in TABLES:
        assert tables[table.name]
    missing = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE NOT internal AND schema_name = 'main' AND (comment IS NULL OR comment = '')"
    ).fetchall()
    assert missing == []


def test_store_opens_read_only(built_store: Path) -> None:
    con = store.connect(built_store)
    with pytest.raises(duckdb.Error, match="read-only"):
        con.execute("DELETE FROM votes")
    con.close()


@pytest.fixture(scope="module")
def _undl_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    db = tmp_path_factory.mktemp("undl") / "s.duckdb"
    refresh.refresh_from_paths(db, [shared_data / "undl"])
    return db


@pytest.fixture()
def undl_store(_undl_store: Path, tmp_path: Path) -> Path:
    """A copy of the store built from ../shared/data/undl (5 roll calls; built once for the
    module), which a test may refresh again."""
    db = tmp_path / "s.duckdb"
    shutil.copy(_undl_store, db)
    return db


def test_refresh_log_is_kept_across_builds(undl_store: Path, shared_data: Path) -> None:
    db = undl_store
    refresh.refresh_from_paths(
        db, [shared_data / "undl", shared_data / "unxml" / "data_extract" / "79.json"]
    )
    with store.connect(db) as con:
        log = con.execute("SELECT refresh_id, outcome FROM refresh_log ORDER BY 1").fetchall()
    assert log == [(1, "updated"), (2, "updated")]
    assert attempt.read(db)["outcome"] == "updated"


def test_bad_file_leaves_store_unchanged(
    undl_store: Path, tmp_path: Path, shared_data: Path
) -> None:
    db = undl_store
    before = db.read_bytes()
    bad = tmp_path / "bad"
    shutil.copytree(shared_data / "undl", bad)
    csv = bad / "ga_voting_excerpt_2026-02-06_layout.csv"
    csv.write_text(csv.read_text().replace(",ALB,ALBANIA,Y,", ",ALB,ALBANIA,Q,", 1))
    with pytest.raises(
        BadDataError, match=r"ga_voting_excerpt_2026-02-06_layout\.csv:3: unknown vote code 'Q'"
    ):
        refresh.refresh_from_paths(db, [bad])
    assert db.read_bytes() == before
    assert attempt.read(db)["outcome"] == "bad_data"
    assert not list(tmp_path.glob("s.duckdb.new-*"))


BAD_FILES = {
    "voeten": ("completeVotes.csv", "rcid,session,vote,ccode,member,importantvote,date,unres,me,nu,di,hr,co,ec,year\n"
               "5180,66,7,370,1,0,2/16/2012,R/66/253,0,0,0,1,0,0,2012\n", ":2: unknown vote code '7'"),
    "unxml": ("80.json", '{"symbol": "A/RES/80/1", "MS_in_favour": [', ":1: not a JSON object"),
    "marcxml": ("cut.xml", '<?xml version="1.0"?><collection xmlns="http://www.loc.gov/MARC21/slim"><record>',
                "not well-formed XML"),
    "unknown csv": ("other.csv", "a,b\n1,2\n", "a CSV of no known layout"),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_each_bad_file_leaves_store_unchanged(
    kind: str, undl_store: Path, tmp_path: Path, shared_data: Path
) -> None:
    db = undl_store
    before = db.read_bytes()
    name, text, message = BAD_FILES[kind]
    bad = tmp_path / name
    bad.write_text(text)
    with pytest.raises(BadDataError, match=re.escape(message)) as info:
        refresh.refresh_from_paths(db, [shared_data / "undl", bad])
    assert str(bad) in str(info.value)
    assert db.read_bytes() == before
    assert not list(tmp_path.glob("s.duckdb.new-*"))


def test_no_primary_keys_so_duckdb_1_0_can_read(con) -> None:
    # DuckDB 1.0 fails to deserialise a v1.0.0-format table with a PRIMARY KEY (checked with
    # duckdb==1.0.0 when this was written); the build checks the keys instead.
    (storage,) = one(con, "SELECT value FROM store_meta WHERE key = 'storage_version'")
    assert storage == "v1.0.0"
    keys = con.execute(
        "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
    ).fetchall()
    assert keys == []


def test_a_store_of_an_older_schema_is_refused_with_what_to_do(tmp_path: Path) -> None:
    """A store written before this version's views and macros existed: one line saying to
    rebuild, from Python and from every command that reads it, not a catalog error later."""
    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE store_meta (key VARCHAR, value VARCHAR)")
        con.execute(
            "INSERT INTO store_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION - 1)]
        )
    with pytest.raises(AlignmentError, match=r"built by an older alignment .* `alignment refresh`"):
        store.connect(db)
    result = CliRunner().invoke(cli, ["sql", "SELECT 1", "--db", str(db)])
    assert result.exit_code == 2  # StoreOutdated, a usage mistake (alignment.errors)
    assert result.output.startswith(f"Error: {db} was built by an older alignment (schema")
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE store_meta SET value = ?", [str(SCHEMA_VERSION)])
        con.execute("INSERT INTO store_meta VALUES ('schema_fingerprint', ?)",
                    [store.schema_fingerprint()])  # fmt: skip
    with store.connect(db) as con:  # opens, and the connection is free for the next query
        assert con.sql("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchall() == [
            (str(SCHEMA_VERSION),)
        ]
