"""``alignment changes`` end to end: a store built without the latest session's file, refreshed
with it, lists that session's roll calls and names Belarus's abstention on A/RES/80/224 (human
rights in Syria) as a first, with the earlier votes that make it one.

The two builds skip the ideal points (the feed does not read them; they take minutes): one
store pair per module, about a minute; its tests are marked slow.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import shutil
from pathlib import Path

import duckdb
import feedparser
import polars as pl
import pytest
from click.testing import CliRunner

from alignment import digest, feed, refresh, shifts, store
from alignment.cli import cli

LATEST = "unxml/data_extract/80.json"  # the latest session's file (../shared/data/README.md)
SYRIA = "Situation of human rights in the Syrian Arab Republic"


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> dict[str, Path]:
    """``before``: a copy of the store built from every file but the latest session's;
    ``after``: that store refreshed with all of them (``alignment refresh --changes-to``)."""
    root = tmp_path_factory.mktemp("feed")
    without = root / "without-latest"
    for path in shared_data.rglob("*"):
        rel = path.relative_to(shared_data)
        if path.is_file() and rel.as_posix() != LATEST and rel.name != "README.md":
            (without / rel).parent.mkdir(parents=True, exist_ok=True)
            (without / rel).symlink_to(path)
    db = root / "alignment.duckdb"
    refresh.refresh_from_paths(db, [without], with_ideal_points=False)
    shutil.copy(db, root / "before.duckdb")
    with pytest.MonkeyPatch.context() as patch:  # the command's refresh without them too
        skip = functools.partial(refresh.refresh_from_paths, with_ideal_points=False)
        patch.setattr(refresh, "refresh_from_paths", skip)
        result = CliRunner().invoke(
            cli,
            ["refresh", "--from", str(shared_data), "--db", str(db), "--changes-to",
             str(root / "published")],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    return {"before": root / "before.duckdb", "after": db, "published": root / "published"}


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["changes", *args])
    return result.exit_code, result.output


def _query(db: Path, sql: str) -> list[tuple]:
    with store.connect(db) as con:
        return con.execute(sql).fetchall()


def _earlier_syria_votes(db: Path) -> list[tuple[str, str, int]]:
    """Belarus's yes, no and abstain votes on the Syria human rights text before 2025, from
    the store: the votes the first must cite."""
    return _query(
        db,
        f"""SELECT r.symbol, v.vote, year(r.date) FROM roll_calls r JOIN votes v USING (roll_call_id)
            WHERE r.title = '{SYRIA}' AND r.kind = 'resolution' AND v.iso3 = 'BLR'
              AND v.vote IN ('Y', 'N', 'A') AND r.date < DATE '2025-09-01' ORDER BY r.date""",
    )


@pytest.mark.slow
def test_refresh_records_the_latest_sessions_roll_calls(stores: dict[str, Path]) -> None:
    before = {s for (s,) in _query(stores["before"], "SELECT symbol FROM roll_calls")}
    added = {
        s for (s,) in _query(stores["after"], "SELECT symbol FROM roll_calls") if s not in before
    }
    assert "A/RES/80/224" in added and all(s.startswith("A/RES/80/") for s in added)
    recorded = _query(
        stores["after"], "SELECT refresh_id, symbol, roll_call_id FROM changes WHERE change = 'new'"
    )
    assert {s for _, s, _ in recorded} == added
    assert {r for r, _, _ in recorded} == {2}
    assert all(i is not None for _, _, i in recorded)
    # The first build had no store to compare with; changes are recorded from refresh 2 on.
    assert _query(stores["after"], "SELECT value FROM store_meta WHERE key = 'changes_from'") == [
        ("2",)
    ]
    code, out = _run("--db", str(stores["before"]))
    assert code == 0 and "nothing is recorded as new" in out and "0 new roll calls" in out


@pytest.mark.slow
def test_changes_lists_the_new_roll_calls_and_belarus_first_abstention(
    stores: dict[str, Path], shared_data: Path
) -> None:
    code, out = _run("--db", str(stores["after"]))
    assert code == 0, out
    new = [s for (s,) in _query(stores["after"], "SELECT symbol FROM changes WHERE change = 'new'")]
    assert f"{len(new)} new roll calls" in out
    assert all(f"  {s} " in out for s in new)
    # A/RES/80/224 with the tally the UN's file publishes, and its document's address.
    record = next(
        json.loads(line)
        for line in (shared_data / LATEST).read_text().splitlines()
        if json.loads(line)["symbol"] == "A/RES/80/224"
    )
    tally = "-".join(
        record[f"MS_{k}_count"] for k in ("in_favour", "against", "abstaining")
    )  # 114-2-47
    line = next(x for x in out.splitlines() if x.startswith("  A/RES/80/224 "))
    assert "2025-12-18" in line and tally in line and SYRIA in line
    assert "https://undocs.org/A/RES/80/224" in out

    earlier = _earlier_syria_votes(stores["after"])
    assert len(earlier) >= 3 and {v for _, v, _ in earlier} == {"N"}  # no each time it voted
    first = next(x for x in out.splitlines() if "Belarus abstained on A/RES/80/224" in x)
    assert "its first abstention on this text" in first
    assert f"it voted no all {len(earlier)} times it voted on it, 2011 to 2024" in first
    cited = out.splitlines()[out.splitlines().index(first) + 1]
    assert cited.strip() == "earlier: " + ", ".join(f"{s} ({year}) no" for s, _, year in earlier)


@pytest.mark.slow
def test_json_md_and_atom_carry_the_same_first(stores: dict[str, Path]) -> None:
    earlier = [s for s, _, _ in _earlier_syria_votes(stores["after"])]
    code, out = _run("--db", str(stores["after"]), "--country", "BLR", "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    (first,) = [
        n for n in data["notable"]
        if n["kind"] == "first" and n["roll_call"]["symbol"] == "A/RES/80/224"
    ]  # fmt: skip
    assert first["iso3"] == "BLR" and first["vote"] == "A"
    assert [(e["symbol"], e["vote"]) for e in first["earlier"]] == [(s, "N") for s in earlier]
    assert all(n["iso3"] == "BLR" for n in data["notable"])  # --country keeps Belarus's only
    syria = next(c for c in data["new"] if c["symbol"] == "A/RES/80/224")
    assert syria["votes"] == {"BLR": "A"}

    code, md = _run("--db", str(stores["after"]), "--country", "BLR", "--format", "md")
    assert code == 0 and "## First votes of a kind on a recurring text" in md
    assert "- Belarus abstained on A/RES/80/224" in md
    assert "[A/RES/66/176](https://undocs.org/A/RES/66/176) (2011) no" in md

    code, atom = _run("--db", str(stores["after"]), "--country", "BLR", "--format", "atom")
    parsed = feedparser.parse(atom)
    assert code == 0 and not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    titles = [e.title for e in parsed.entries]
    assert any(t.startswith("Belarus abstained on A/RES/80/224") for t in titles)
    assert len({e.id for e in parsed.entries}) == len(parsed.entries)


@pytest.mark.slow
def test_refresh_changes_to_writes_the_digest_and_a_valid_feed(stores: dict[str, Path]) -> None:
    md = (stores["published"] / digest.DIGEST_FILE).read_text()
    assert "- Belarus abstained on A/RES/80/224" in md
    parsed = feedparser.parse((stores["published"] / digest.FEED_FILE).read_bytes())
    assert not parsed.bozo and parsed.version == "atom10"
    new = _query(stores["after"], "SELECT count(*) FROM changes WHERE change = 'new'")[0][0]
    assert parsed.entries[0].title == f"Refresh 2: {new} new roll calls"  # newest first
    assert any(e.title.startswith("Belarus abstained on A/RES/80/224") for e in parsed.entries)


@pytest.mark.slow
def test_bloc_breaks_hold_the_majority_rule(stores: dict[str, Path]) -> None:
    with store.connect(stores["after"]) as con:
        eu = feed.changes(con, blocs=["eu"])
        every = feed.changes(con)
    assert eu.breaks and all(b.bloc == "eu" for b in eu.breaks)
    # Hand count of one break: the EU members on the day and their votes.
    b = eu.breaks[0]
    votes = _query(
        stores["after"],
        f"""SELECT v.vote, count(*) FROM votes v JOIN bloc_memberships m USING (iso3)
            WHERE v.roll_call_id = {b.roll_call.roll_call_id} AND m.bloc = 'eu'
              AND m.status = 'member' AND m.joined <= DATE '{b.roll_call.date}'
              AND (m."left" IS NULL OR m."left" >= DATE '{b.roll_call.date}')
              AND v.vote IN ('Y', 'N', 'A') GROUP BY v.vote""",
    )
    counts = dict(votes)
    assert counts[b.line] == b.with_line and sum(counts.values()) == b.voting
    assert 2 * b.with_line > b.voting and b.vote != b.line
    # Without --bloc: only a member alone against at least MIN_OTHERS voting alike.
    assert every.breaks
    assert all(x.voting - x.with_line == 1 and x.with_line >= feed.MIN_OTHERS for x in every.breaks)


@pytest.mark.slow
def test_shifts_are_the_reports_computation(stores: dict[str, Path]) -> None:
    with store.connect(stores["after"]) as con:
        found = feed.changes(con, partners=["RUS"], bootstrap=200)
        rc = con.sql(
            "SELECT roll_call_id, date, session, kind, important FROM roll_calls "
            "WHERE session IN (79, 80)"
        ).pl()
        votes = con.sql(
            "SELECT roll_call_id, iso3, vote FROM votes JOIN roll_calls USING (roll_call_id) "
            "WHERE session IN (79, 80)"
        ).pl()
    same = shifts.session_shifts(votes, rc, "RUS", session=80, metric="exact", bootstrap=200)
    assert same is not None
    expected = same.notable.filter(pl.col("iso3") != "RUS")
    assert [s.iso3 for s in found.shifts] == expected["iso3"].to_list()
    assert [s.change for s in found.shifts] == expected["change"].to_list()
    assert all(s.session == 80 and s.previous == 79 for s in found.shifts)


@pytest.mark.slow
def test_bad_options_exit_2_with_a_message(stores: dict[str, Path]) -> None:
    db = str(stores["after"])
    for args, words in [
        (["--since", "yesterday"], "give last, a refresh id"),
        (["--since", "99"], "no refresh 99"),
        (["--since", "2026-02-30"], "not a date"),
        (["--country", "XXX"], "unknown country code"),
        (["--bloc", "nope"], "unknown bloc"),
        (["--format", "rss"], "Invalid value"),
    ]:
        code, out = _run("--db", db, *args)
        assert code == 2 and words in out, (args, out)
        assert "Traceback" not in out


@pytest.mark.slow
def test_a_store_without_refresh_history_says_so(stores: dict[str, Path], tmp_path: Path) -> None:
    db = tmp_path / "empty-log.duckdb"
    shutil.copy(stores["before"], db)
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM refresh_log")
    code, out = _run("--db", str(db))
    assert code == 1 and "no refresh history" in out


def test_since_a_date_and_an_id() -> None:
    at = dt.datetime(2026, 12, 7, 20, 0)
    history = [
        feed.Refresh(1, at - dt.timedelta(days=3), "", "", False),
        feed.Refresh(2, at - dt.timedelta(days=1), "", "", True),
        feed.Refresh(3, at, "", "", True),
    ]
    assert [r.refresh_id for r in feed.select(history, "last")] == [3]
    assert [r.refresh_id for r in feed.select(history, "2")] == [2, 3]
    assert [r.refresh_id for r in feed.select(history, "2026-12-06")] == [2, 3]
    assert feed.select(history, "2027-01-01") == []


def test_text_key_matches_one_text_written_two_ways() -> None:
    titles = pl.Series([
        "Situation of human rights in the Syrian Arab Republic : resolution / adopted by the "
        "General Assembly",
        "Situation of human rights in the Syrian Arab  Republic",
        "The situation in the Syrian Arab Republic",
    ])  # fmt: skip
    keys = pl.select(feed.text_key(pl.lit(titles))).to_series().to_list()
    assert keys[0] == keys[1] == "situation of human rights in the syrian arab republic"
    assert keys[2] != keys[0]


def test_reason_of_a_first_after_mixed_votes() -> None:
    def call(i: int, year: int) -> feed.RollCall:
        return feed.RollCall(i, f"A/RES/{year - 1945}/1", dt.date(year, 12, 1), "T",
                             "resolution", 1, 1, 1, None)  # fmt: skip

    earlier = (
        feed.Cast(call(1, 2020), "Y"), feed.Cast(call(2, 2021), "Y"),
        feed.Cast(call(3, 2022), "A"),
    )  # fmt: skip
    item = feed.First("USA", call(4, 2025), "N", earlier)
    assert digest.reason(item, {}) == (
        "The United States voted no on A/RES/80/1 “T” (1 December 2025), its first no vote on "
        "this text: its 3 earlier votes on it, 2020 to 2022: 2 yes votes, 1 abstention."
    )


@pytest.mark.slow
def test_a_store_built_before_changes_were_recorded(
    stores: dict[str, Path], tmp_path: Path
) -> None:
    db = tmp_path / "older.duckdb"
    shutil.copy(stores["after"], db)
    with duckdb.connect(str(db)) as con:
        con.execute("DROP TABLE changes")
        con.execute("DELETE FROM store_meta WHERE key = 'changes_from'")
    code, out = _run("--db", str(db))
    assert code == 0 and "0 new roll calls" in out and "nothing is recorded as new" in out


def test_states_asked_about_are_the_countries_and_the_members_on_the_day() -> None:
    frame = pl.DataFrame(
        {"roll_call_id": [1, 1, 2, 2, 2], "iso3": ["BLR", "HUN", "HUN", "MDA", "USA"]}
    )
    members = pl.DataFrame({"roll_call_id": [2], "bloc": ["eu"], "iso3": ["HUN"]})
    assert feed._keep(frame, feed._wanted([], [], members.clear())) is frame
    wanted = feed._wanted(["MDA"], ["eu"], members)
    assert feed._keep(frame, wanted).rows() == [(2, "HUN"), (2, "MDA")]  # HUN a member on 2 only
    nobody = feed._wanted([], ["eu"], members.clear())  # a bloc without members that day
    assert feed._keep(frame, nobody).is_empty()
