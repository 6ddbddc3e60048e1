"""The SQL workbench: `alignment sql`, the curated queries in queries/, `alignment schema`.

Every query runs against the store built from ../shared/data and is checked against a known
answer, most of them recomputed here in Python from the base tables.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from alignment import analyses, cohesion, workbench
from alignment.cli import cli
from alignment.metrics import pair_scores
from alignment.schema import MACROS, TABLES, VIEWS

QUERIES = workbench.list_queries()
NAMES = [q.name for q in QUERIES]
CSTO_2012 = ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "UZB"]
INJECTION = "'; DROP TABLE votes; --"
CODE = {"Y": 1, "A": 2, "N": 3}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


def run(con: duckdb.DuckDBPyConnection, query: str, /, **params: str) -> pl.DataFrame:
    return workbench.run_query(con, query, params)


def frame(con: duckdb.DuckDBPyConnection, sql: str, **params: object) -> pl.DataFrame:
    return con.sql(sql, params=params or None).pl()


def no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def members_on_votes(con, bloc: str) -> pl.DataFrame:
    """Votes (Y/N/A) of the bloc's members on the day of each vote, recomputed with polars."""
    votes = frame(con, "SELECT roll_call_id, iso3, vote FROM votes WHERE vote IN ('Y','N','A')")
    calls = frame(con, "SELECT roll_call_id, date, session FROM roll_calls")
    spells = frame(
        con,
        """SELECT iso3, joined, "left" FROM bloc_memberships
           WHERE bloc = $bloc AND status = 'member'""",
        bloc=bloc,
    )
    return (
        votes.join(calls, on="roll_call_id")
        .join(spells, on="iso3")
        .filter(
            (pl.col("joined") <= pl.col("date"))
            & (pl.col("left").is_null() | (pl.col("date") <= pl.col("left")))
        )
        .select("roll_call_id", "session", "iso3", "vote")
    )


def coded_pair(con, a: str, b: str, year: int) -> tuple[np.ndarray, np.ndarray]:
    """The pair's codes on the year's roll calls, unanimous roll calls dropped."""
    votes = frame(
        con,
        """SELECT v.roll_call_id, v.iso3, v.vote FROM votes v JOIN roll_calls r USING (roll_call_id)
           WHERE year(r.date) = $year AND v.vote IN ('Y','N','A')""",
        year=year,
    )
    split = votes.group_by("roll_call_id").agg(pl.col("vote").n_unique().alias("k"))
    votes = votes.join(split.filter(pl.col("k") > 1), on="roll_call_id")
    x = votes.filter(pl.col("iso3") == a).select("roll_call_id", pl.col("vote").alias("x"))
    y = votes.filter(pl.col("iso3") == b).select("roll_call_id", pl.col("vote").alias("y"))
    both = x.join(y, on="roll_call_id")
    return (
        np.array([CODE[v] for v in both["x"]], dtype=float),
        np.array([CODE[v] for v in both["y"]], dtype=float),
    )


# --- the query files ------------------------------------------------------------------------


def test_at_least_fifteen_queries_each_with_title_description_and_declared_parameters(
    con,
) -> None:
    assert len(QUERIES) >= 15
    for q in QUERIES:
        assert q.title and q.description, q.name
        used = set(workbench.sql_parameters(con, q.sql))
        declared = {p.name for p in q.parameters}
        assert used == declared, f"{q.name}: SQL uses {used}, header declares {declared}"
        assert all(p.default is not None for p in q.parameters), q.name


@pytest.mark.parametrize("name", NAMES)
def test_every_query_runs_with_its_defaults(ideal_points_con, name: str) -> None:
    con = ideal_points_con  # the store as a refresh leaves it: ideal_point_path reads them
    result = run(con, name)
    # A query may answer nothing only where the table it lists is empty on this data: the
    # sources that overlap here share one origin, so no vote differs between them.
    empty_when = {"source_disagreements": "SELECT count(*) = 0 FROM vote_disagreements"}
    if name in empty_when and con.execute(empty_when[name]).fetchone()[0]:
        assert result.is_empty()
    else:
        assert result.height > 0, f"{name} answers nothing with its defaults"


def test_header_format() -> None:
    text = (
        "-- title: A title\n"
        "--   that continues\n"
        "-- description: What it does.\n"
        "--   More of it.\n"
        "-- parameters:\n"
        "--   country = BLR: ISO3 of the state\n"
        '--   empty = "": may be empty\n'
        "--   when = '2012-02-16: 10:00': quoted, with colons\n"
        "--   year: no default\n"
        "-- a free comment ends the header fields\n"
        "SELECT 1\n"
    )
    title, description, params = workbench.parse_header(text)
    assert title == "A title that continues"
    assert description == "What it does. More of it."
    assert params == (
        workbench.Parameter("country", "BLR", "ISO3 of the state"),
        workbench.Parameter("empty", "", "may be empty"),
        workbench.Parameter("when", "2012-02-16: 10:00", "quoted, with colons"),
        workbench.Parameter("year", None, "no default"),
    )
    with pytest.raises(workbench.WorkbenchError, match="parameter line"):
        workbench.parse_header("-- parameters:\n--   not a parameter!\nSELECT 1")


# --- a known answer for each query ----------------------------------------------------------


def test_syria_votes_beside_blocs_on_a_res_66_253(con) -> None:
    rows = run(con, "syria_votes_beside_blocs").filter(pl.col("symbol") == "A/RES/66/253")
    csto = rows.filter(pl.col("blocs").str.contains("csto")).sort("member")
    assert csto["member"].to_list() == CSTO_2012
    assert set(rows["country_vote"]) == {"N"}
    votes = dict(zip(rows["member"], rows["member_vote"], strict=True))
    assert votes["BLR"] == "N" and votes["RUS"] == "N"
    assert votes == {"ARM": "A", "BLR": "N", "KAZ": "Y", "KGZ": "X", "RUS": "N", "TJK": "X",
                     "UZB": "X"}  # fmt: skip
    customs = rows.filter(pl.col("blocs").str.contains("customs_union"))["member"].sort()
    assert customs.to_list() == ["BLR", "KAZ", "RUS"]
    # December 2025: Armenia's CSTO membership is frozen, it still sits in the EAEU.
    late = run(con, "syria_votes_beside_blocs").filter(pl.col("symbol") == "A/RES/80/224")
    blocs = dict(zip(late["member"], late["blocs"], strict=True))
    assert blocs["ARM"] == "eaeu" and blocs["BLR"] == "csto,eaeu" and "UZB" not in blocs
    # Only resolutions about Syria (primary), each with the country's vote.
    tagged = frame(
        con,
        """SELECT count(DISTINCT r.symbol) AS n FROM roll_calls r JOIN roll_call_topics t
           USING (roll_call_id) WHERE t.topic = 'syria' AND t.strength = 'primary'
           AND r.kind = 'resolution' AND r.date >= DATE '2002-10-07'""",
    )["n"][0]
    assert run(con, "syria_votes_beside_blocs")["symbol"].n_unique() == tagged


def test_broke_with_partner_equals_python_recomputation(con) -> None:
    got = run(con, "broke_with_partner")
    votes = frame(
        con,
        """SELECT r.symbol, r.roll_call_id, v.iso3, v.vote FROM votes v
           JOIN roll_calls r USING (roll_call_id)
           WHERE r.kind = 'resolution' AND v.iso3 IN ('BLR', 'RUS') AND v.vote IN ('Y','N','A')""",
    )
    blr = votes.filter(pl.col("iso3") == "BLR").select("roll_call_id", "symbol", b="vote")
    rus = votes.filter(pl.col("iso3") == "RUS").select("roll_call_id", r="vote")
    expected = blr.join(rus, on="roll_call_id").filter(pl.col("b") != pl.col("r"))
    assert got.height == expected.height > 100
    assert sorted(got["symbol"]) == sorted(expected["symbol"])
    row = got.filter(pl.col("symbol") == "A/RES/80/224").row(0, named=True)
    assert (row["country_vote"], row["partner_vote"], row["distance"]) == ("A", "N", 1)
    # The window narrows it.
    narrow = run(con, "broke_with_partner", start_date="2025-01-01", end_date="2025-12-31")
    assert set(narrow["date"].dt.year()) == {2025}


def test_bloc_cohesion_per_session_equals_hix_noury_roland_recomputed(con) -> None:
    got = run(con, "bloc_cohesion_per_session", bloc="csto")
    mv = members_on_votes(con, "csto")
    counts = mv.group_by("roll_call_id", "session").agg(
        y=(pl.col("vote") == "Y").sum(), n=(pl.col("vote") == "N").sum(),
        a=(pl.col("vote") == "A").sum(),
    )  # fmt: skip
    y, n, a = (counts[c].to_numpy().astype(float) for c in ("y", "n", "a"))
    top = np.maximum(np.maximum(y, n), a)
    counts = counts.with_columns(ai=pl.Series((top - 0.5 * (y + n + a - top)) / (y + n + a)))
    expected = counts.group_by("session").agg(pl.col("ai").mean(), pl.len()).sort("session")
    assert got["session"].to_list() == expected["session"].to_list()
    assert got["n_roll_calls"].to_list() == expected["len"].to_list()
    assert np.allclose(got["cohesion"].to_numpy(), expected["ai"].to_numpy())
    assert got["session"].min() == 57  # the CSTO dates from October 2002
    assert got["cohesion"].is_between(0, 1).all()


def test_bloc_defections_on_a_res_66_253(con) -> None:
    got = run(con, "bloc_defections")  # defaults: csto, A/RES/66/253
    assert got.select("iso3", "vote", "bloc_plurality_vote").rows() == [
        ("ARM", "A", "N"),
        ("KAZ", "Y", "N"),
    ]


def test_bloc_defection_counts_equal_python_recomputation(con) -> None:
    got = run(con, "bloc_defection_counts").filter(pl.col("session") == 66)
    mv = members_on_votes(con, "csto").filter(pl.col("session") == 66)
    tally = mv.group_by("roll_call_id", "vote").agg(pl.len().alias("c"))
    top = tally.filter(pl.col("c") == pl.col("c").max().over("roll_call_id"))
    line = top.filter(pl.len().over("roll_call_id") == 1).select("roll_call_id", line="vote")
    joined = mv.join(line, on="roll_call_id")
    expected = (
        joined.group_by("iso3")
        .agg(defections=(pl.col("vote") != pl.col("line")).sum(), roll_calls=pl.len())
        .sort("iso3")
    )
    assert (
        got.select("iso3", "defections", "roll_calls").rows()
        == expected.select(
            "iso3", pl.col("defections").cast(pl.Int64), pl.col("roll_calls").cast(pl.Int64)
        ).rows()
    )
    assert got["iso3"].to_list() == CSTO_2012  # Uzbekistan was back in during session 66


def test_closest_partners_of_belarus_in_2012_equal_python_recomputation(con) -> None:
    got = run(con, "closest_partners", country="BLR", year="2012")
    assert got.columns == ["end", "rank", "partner", "name", "metric", "value", "n"]
    closest = got.filter(pl.col("end") == "closest").row(0, named=True)
    farthest = got.filter(pl.col("end") == "farthest").row(0, named=True)
    # Plausible: a post-Soviet or like-minded state closest, Israel or the US farthest.
    assert closest["partner"] in {"UZB", "TJK", "KGZ", "KAZ", "RUS", "TKM", "AZE", "ARM"}
    assert farthest["partner"] in {"USA", "ISR"}
    for row in (closest, farthest):
        x, y = coded_pair(con, "BLR", row["partner"], 2012)
        assert row["n"] == len(x) and row["metric"] == "agree"
        assert row["value"] == pytest.approx(np.mean(1 - np.abs(x - y) / 2))
    assert got.filter(pl.col("end") == "closest").height == 10
    assert (got["n"] >= 20).all()


def test_closest_partners_by_another_metric(con) -> None:
    got = run(con, "closest_partners", country="RUS", year="2023", metric="kappa_abs", top="3")
    assert got["metric"].unique().to_list() == ["kappa_abs"] and got.height == 6
    for row in got.iter_rows(named=True):
        x, y = coded_pair(con, "RUS", row["partner"], 2023)
        assert row["n"] == len(x) >= 20
        assert row["value"] == pytest.approx(pair_scores(x, y)["kappa_abs"], abs=1e-12)
    # The ranking: every other partner with 20 votes or more lies between the two ends.
    partners = frame(
        con,
        """SELECT iso3_b, kappa_abs FROM agreement_pairs WHERE iso3_a = 'RUS'
           AND period_type = 'year' AND period = 2023 AND n >= 20 AND NOT isnan(kappa_abs)""",
    )
    closest = got.filter(pl.col("end") == "closest")["value"]
    farthest = got.filter(pl.col("end") == "farthest")["value"]
    assert closest.to_list() == partners["kappa_abs"].sort(descending=True)[:3].to_list()
    assert farthest.to_list() == partners["kappa_abs"].sort()[:3].to_list()
    with pytest.raises(workbench.SqlError, match="unknown metric 'closeness'; known: exact"):
        run(con, "closest_partners", metric="closeness")


def test_movers_query_equals_the_movers_command(con) -> None:
    got = run(con, "movers")  # RUS, 2021 against 2023, agree, at least 40 votes in each
    want = analyses.movers(con, "RUS", 2021, 2023, min_n=40, bootstrap=0)
    assert got.height == want.height > 100
    assert got["iso3"].to_list() == want["iso3"].to_list()
    for column in ("n_from", "n_to"):
        assert got[column].cast(pl.Int64).to_list() == want[column].to_list()
    for column in ("value_from", "value_to", "change"):
        np.testing.assert_allclose(got[column].to_numpy(), want[column].to_numpy(), atol=1e-12)
    row = got.filter(pl.col("iso3") == "BLR").row(0, named=True)
    for year, column in ((2021, "value_from"), (2023, "value_to")):
        x, y = coded_pair(con, "RUS", "BLR", year)
        assert row[column] == pytest.approx(np.mean(1 - np.abs(x - y) / 2))


def test_minority_share_equals_python_recomputation(con) -> None:
    """The Assembly's majority is its most common vote, with bloc plurality's rule
    (alignment.cohesion.plurality: none on a tie), recomputed here from the votes."""
    got = run(con, "minority_share", country="USA", from_year="1990")
    votes = frame(
        con,
        """SELECT v.roll_call_id, year(r.date) AS year, v.iso3, v.vote FROM votes v
           JOIN roll_calls r USING (roll_call_id)
           WHERE v.vote IN ('Y', 'N', 'A') AND year(r.date) >= 1990""",
    )
    tally = votes.group_by("roll_call_id").agg(
        yes=(pl.col("vote") == "Y").sum(), no=(pl.col("vote") == "N").sum(),
        abstain=(pl.col("vote") == "A").sum(),
    )  # fmt: skip
    majority = tally.select(
        "roll_call_id", majority=cohesion.plurality(pl.col("yes"), pl.col("no"), pl.col("abstain"))
    )
    usa = votes.filter(pl.col("iso3") == "USA").join(majority, on="roll_call_id")
    expected = (
        usa.group_by("year")
        .agg(
            votes=pl.col("majority").is_not_null().sum(),
            minority=(pl.col("vote") != pl.col("majority")).sum(),
            tied_votes=pl.col("majority").is_null().sum(),
        )
        .sort("year")
    )
    assert got["year"].to_list() == expected["year"].to_list()
    assert got.height >= 30
    for column in ("votes", "minority", "tied_votes"):
        assert got[column].to_list() == expected[column].to_list(), column
    np.testing.assert_allclose(
        got["minority_share"].to_numpy(), (expected["minority"] / expected["votes"]).to_numpy()
    )
    assert set(
        run(con, "minority_share", country="", from_year="2024", to_year="2024")["year"]
    ) == {2024}


def bloc_line(votes: list[str]) -> str | None:
    """The most common of Y, N, A among the votes; None on a tie or with no vote."""
    counts = {v: votes.count(v) for v in "YNA" if v in votes}
    if not counts:
        return None
    top = max(counts.values())
    leaders = [v for v, c in counts.items() if c == top]
    return leaders[0] if len(leaders) == 1 else None


def test_bloc_votes_list_members_and_who_broke_ranks(con) -> None:
    got = run(con, "bloc_votes", blocs="csto", series="A/RES/66/253")
    # Votes from the votes table, members from bloc_memberships (see the Syria test above).
    assert got.select("symbol", "bloc", "line").rows() == [("A/RES/66/253", "csto", "N")]
    assert got["votes"][0] == "ARM A, BLR N, KAZ Y, KGZ X, RUS N, TJK X, UZB X"
    assert got["broke_ranks"][0] == "ARM A, KAZ Y"
    # Every row of the default (CSTO and EAEU on the ES-11 resolutions): the line and who broke
    # ranks recomputed from the members' votes the row lists.
    rows = run(con, "bloc_votes")
    es11 = frame(con, "SELECT count(*) AS n FROM roll_calls WHERE symbol LIKE 'A/RES/ES-11/%'")
    assert rows.height == 2 * es11["n"][0] > 0
    for row in rows.iter_rows(named=True):
        members = dict(item.split(" ") for item in row["votes"].split(", "))
        cast = [v for v in members.values() if v != "X"]
        line = bloc_line(cast)
        assert row["line"] == line
        broke = [f"{k} {v}" for k, v in members.items() if v != "X" and line and v != line]
        assert row["broke_ranks"] == (", ".join(broke) or None)
    eaeu = rows.filter(pl.col("bloc") == "eaeu")["votes"]
    assert all("TJK" not in v for v in eaeu)  # Tajikistan is in the CSTO, not the EAEU
    topic = run(con, "bloc_votes", blocs="csto", series="", topic="syria")
    tagged = frame(
        con,
        """SELECT count(*) AS n FROM roll_calls WHERE date >= DATE '2002-10-07' AND roll_call_id
           IN (SELECT roll_call_id FROM roll_call_topics
               WHERE topic = 'syria' AND strength = 'primary')""",
    )
    assert topic.height == tagged["n"][0] > 20  # the roll calls about Syria, not mentions


def test_pair_agreement_over_time_equals_python_recomputation(con) -> None:
    got = run(con, "pair_agreement_over_time")  # BLR, RUS, by year
    row = got.filter(pl.col("period") == 2012).row(0, named=True)
    x, y = coded_pair(con, "BLR", "RUS", 2012)
    d = np.abs(x - y)
    p = np.array([np.mean(x == k) for k in (1, 2, 3)])
    q = np.array([np.mean(y == k) for k in (1, 2, 3)])
    delta = np.abs(np.subtract.outer([1, 2, 3], [1, 2, 3])) / 2
    m = (p + q) / 2
    assert row["n"] == len(x)
    assert row["exact"] == pytest.approx(np.mean(d == 0))
    assert row["agree"] == pytest.approx(np.mean(1 - d / 2))
    assert row["s_abs"] == pytest.approx(2 * row["agree"] - 1)
    assert row["kappa_abs"] == pytest.approx(1 - np.mean(d / 2) / (p @ delta @ q))
    assert row["pi_abs"] == pytest.approx(1 - np.mean(d / 2) / (m @ delta @ m))
    nominal = (delta > 0).astype(float)
    assert row["kappa_nominal"] == pytest.approx(1 - np.mean(d > 0) / (p @ nominal @ q))
    assert np.allclose(got["s_abs"].to_numpy(), 2 * got["agree"].to_numpy() - 1)
    by_session = run(con, "pair_agreement_over_time", by="session")
    assert by_session["period"].min() == 1 and by_session["by"][0] == "session"


def test_resolution_votes_of_a_res_66_253(con) -> None:
    got = run(con, "resolution_votes")
    counts = dict(got.group_by("vote").len().rows())
    assert (counts["Y"], counts["N"], counts["A"]) == (137, 12, 17)
    votes = dict(zip(got["iso3"], got["vote"], strict=True))
    assert votes["BLR"] == "N" and votes["RUS"] == "N" and votes["USA"] == "Y"
    assert got.select("yes", "no", "abstain").unique().rows() == [(137, 12, 17)]


def test_roll_calls_by_topic_and_topic_counts(con) -> None:
    syria = run(con, "roll_calls_by_topic")
    count = "SELECT count(*) AS n FROM roll_call_topics WHERE topic = 'syria' AND strength = $s"
    primary = frame(con, count, s="primary")["n"][0]
    mentions = frame(con, count, s="mention")["n"][0]
    assert syria.height == primary > 0
    assert set(syria["strength"]) == {"primary"}
    assert "A/RES/66/253" in syria["symbol"].to_list()
    assert syria["date"].is_sorted()
    wide = run(con, "roll_calls_by_topic", mentions="true")
    assert wide.height == primary + mentions and mentions > 0
    counts = run(con, "topic_counts", scheme="named")
    assert set(counts["scheme"]) == {"named"}
    by_topic = {r["topic"]: (r["roll_calls"], r["mentions"]) for r in counts.iter_rows(named=True)}
    assert by_topic["syria"] == (primary, mentions)
    assert run(con, "topic_counts").height > counts.height


def test_source_disagreements_and_agreement(con) -> None:
    total = frame(con, "SELECT count(*) AS n FROM vote_disagreements")["n"][0]
    assert run(con, "source_disagreements").height == total
    blr = frame(con, "SELECT count(*) AS n FROM vote_disagreements WHERE iso3 = 'BLR'")["n"][0]
    assert run(con, "source_disagreements", country="BLR").height == blr
    pairs = run(con, "source_agreement")
    table = frame(con, "SELECT * FROM source_agreement")
    assert pairs.height == table.height
    voeten = pairs.filter((pl.col("source_a") == "unvotes") & (pl.col("source_b") == "voeten"))
    assert voeten["shared_roll_calls"][0] == voeten["roll_calls_b"][0]  # unvotes covers Voeten


def test_tally_mismatches_equal_python_recomputation(con) -> None:
    got = run(con, "tally_mismatches")
    published = frame(
        con,
        "SELECT roll_call_id, source AS tally_source, yes, no, abstain FROM roll_call_sources "
        "WHERE yes IS NOT NULL",
    )
    counted = frame(
        con,
        """SELECT roll_call_id, count(*) FILTER (WHERE vote='Y') AS cy,
           count(*) FILTER (WHERE vote='N') AS cn, count(*) FILTER (WHERE vote='A') AS ca
           FROM votes GROUP BY roll_call_id""",
    )
    both = published.join(counted, on="roll_call_id")
    differs = both.filter(
        (pl.col("yes") != pl.col("cy")) | (pl.col("no") != pl.col("cn"))
        | (pl.col("abstain") != pl.col("ca"))
    )  # fmt: skip
    # The votes kept (source store) against every published tally.
    store = got.filter(pl.col("source") == "store")
    assert set(store.select("roll_call_id", "tally_source").rows()) == set(
        differs.select("roll_call_id", "tally_source").rows()
    )
    assert (got["finding"] != "match").all()
    assert got.filter(pl.col("source") == "store")["missing"].sum() == (
        differs.select(
            (pl.col("yes") - pl.col("cy")).clip(0) + (pl.col("no") - pl.col("cn")).clip(0)
            + (pl.col("abstain") - pl.col("ca")).clip(0)
        ).sum().item()
    )  # fmt: skip


def test_refresh_history_and_source_files(con) -> None:
    history = run(con, "refresh_history")
    assert history.height == frame(con, "SELECT count(*) AS n FROM refresh_log")["n"][0] >= 1
    last = history.row(0, named=True)
    calls = frame(con, "SELECT count(*) AS n FROM roll_calls")["n"][0]
    assert last["outcome"] == "updated" and last["roll_calls"] == calls
    files = run(con, "source_files")
    assert files.height == frame(con, "SELECT count(*) AS n FROM source_files")["n"][0]
    assert any(loc.endswith("completeVotes_1946-2015.csv.gz") for loc in files["location"])
    assert set(run(con, "source_files", source="voeten")["source"]) == {"voeten"}


def test_bloc_members_on_date(con) -> None:
    got = run(con, "bloc_members_on_date")  # csto on 2012-02-16
    assert got.filter(pl.col("status") == "member")["iso3"].to_list() == CSTO_2012
    later = run(con, "bloc_members_on_date", date="2024-06-01")
    status = dict(zip(later["iso3"], later["status"], strict=True))
    assert status["ARM"] == "frozen" and "UZB" not in status


def test_find_country_and_vote_shares(con) -> None:
    assert run(con, "find_country")["iso3"].to_list() == ["BLR"]
    assert run(con, "find_country", name="Byelorussian")["iso3"].to_list() == ["BLR"]
    shares = run(con, "vote_shares_by_session").filter(pl.col("session") == 66).row(0, named=True)
    expected = dict(
        frame(
            con,
            """SELECT v.vote, count(*) AS n FROM votes v JOIN roll_calls r USING (roll_call_id)
               WHERE v.iso3 = 'BLR' AND r.session = 66 GROUP BY v.vote""",
        ).rows()
    )
    assert (shares["yes"], shares["no"], shares["abstain"]) == (
        expected.get("Y", 0), expected.get("N", 0), expected.get("A", 0)
    )  # fmt: skip
    assert shares["yes_share"] == pytest.approx(
        expected["Y"] / (expected["Y"] + expected["N"] + expected["A"])
    )


# --- `alignment sql`: binding, read-only, errors, formats -----------------------------------


def test_parameters_are_bound_never_interpolated(built_store: Path) -> None:
    before = sha(built_store)
    result = invoke(
        "sql", "SELECT * FROM votes WHERE iso3 = $country", "-p", f"country={INJECTION}",
        "--db", str(built_store), "--format", "csv",
    )  # fmt: skip
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert result.output == "roll_call_id,iso3,vote,source,inferred\n"  # the header, no rows
    for name, param in (("resolution_votes", "symbol"), ("broke_with_partner", "country")):
        result = invoke(
            "queries", "run", name, "-p", f"{param}={INJECTION}", "--db", str(built_store),
            "--format", "json",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == []
    assert sha(built_store) == before
    with duckdb.connect(str(built_store), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM votes").fetchall()[0][0] > 1_000_000


WRITES = [
    "INSERT INTO votes VALUES (1, 'BLR', 'Y', 'x')",
    "UPDATE votes SET vote = 'Y'",
    "DELETE FROM votes",
    "DROP TABLE votes",
    "CREATE TABLE mine AS SELECT 1",
    "CREATE TEMP TABLE mine AS SELECT 1",
    "ALTER TABLE votes ADD COLUMN z INTEGER",
    "COMMENT ON TABLE votes IS 'mine'",
    "ATTACH '/tmp/alignment-workbench-test.duckdb' AS other",
    "COPY votes TO '/tmp/alignment-workbench-test.csv'",
    "COPY (SELECT 1) TO '/tmp/alignment-workbench-test.csv'",
    "EXPORT DATABASE '/tmp/alignment-workbench-export'",
    "SELECT 1; DROP TABLE votes",
]


@pytest.mark.parametrize("statement", WRITES)
def test_writing_fails_with_a_clear_message_and_the_store_is_unchanged(
    built_store: Path, statement: str
) -> None:
    before = sha(built_store)
    result = invoke("sql", statement, "--db", str(built_store))
    no_traceback(result)
    assert result.exit_code != 0
    assert "read-only" in result.output and "alignment refresh" in result.output
    assert "the store is unchanged" in result.output
    assert sha(built_store) == before
    assert not Path("/tmp/alignment-workbench-test.csv").exists()


def test_sql_error_shows_duckdb_message_and_where_it_points(built_store: Path) -> None:
    result = invoke("sql", "SELECT symbol,\n  dat FROM roll_calls WHERE yes = 'many'",
                    "--db", str(built_store))  # fmt: skip
    no_traceback(result)
    assert result.exit_code == 1
    assert "Binder Error" in result.output and '"dat"' in result.output
    result = invoke("sql", "SELEC 1", "--db", str(built_store))
    assert result.exit_code == 1
    assert result.output == (
        'Error: Parser Error: syntax error at or near "SELEC"\n\nLINE 1: SELEC 1\n        ^^^^^\n'
    )


def test_missing_and_unknown_parameters_are_named(built_store: Path, tmp_path: Path) -> None:
    result = invoke("sql", "SELECT $a AS a, $b AS b", "-p", "a=1", "--db", str(built_store))
    no_traceback(result)
    assert result.exit_code == 2
    assert "missing value for parameter(s) b (no default)" in result.output
    result = invoke("sql", "SELECT 1", "-p", "nope=1", "--db", str(built_store))
    assert result.exit_code == 2 and "unknown parameter(s) nope" in result.output
    result = invoke("sql", "SELECT 1", "-p", "novalue", "--db", str(built_store))
    assert result.exit_code == 2 and "-p name=value" in result.output
    # A .sql file with a header: its defaults apply; the default-less parameter must be given.
    query = tmp_path / "mine.sql"
    query.write_text(
        "-- title: Mine\n-- parameters:\n--   country = BLR: a state\n--   year: a year\n"
        "SELECT $country AS country, $year::INTEGER AS year\n"
    )
    result = invoke("sql", str(query), "--db", str(built_store))
    assert result.exit_code == 2
    assert "missing value for parameter(s) year" in result.output
    assert "country (default 'BLR'), year (no default)" in result.output
    result = invoke(
        "sql", str(query), "-p", "year=2012", "--db", str(built_store), "--format", "csv"
    )
    assert result.exit_code == 0 and result.output == "country,year\nBLR,2012\n"


def test_sql_reads_stdin_and_writes_each_format(built_store: Path, tmp_path: Path) -> None:
    sql = "SELECT 1 AS a, 'x' AS b"
    result = invoke("sql", "-", "--db", str(built_store), "--format", "csv", input=sql)
    assert result.exit_code == 0 and result.output == "a,b\n1,x\n"
    result = invoke("sql", sql, "--db", str(built_store), "--format", "json")
    assert result.output == '[\n {\n  "a": 1,\n  "b": "x"\n }\n]\n'
    result = invoke("sql", sql, "--db", str(built_store))
    assert result.output == ("┌───┬───┐\n│ a ┆ b │\n╞═══╪═══╡\n│ 1 ┆ x │\n└───┴───┘\n")
    out = tmp_path / "out.parquet"
    result = invoke("sql", sql, "--db", str(built_store), "--format", "parquet", "-o", str(out))
    assert result.exit_code == 0
    assert pl.read_parquet(out).rows() == [(1, "x")]
    result = invoke("sql", sql, "--db", str(built_store), "--format", "parquet")
    assert result.exit_code == 2 and "--output" in result.output


def test_missing_store_is_a_message(tmp_path: Path) -> None:
    result = invoke("sql", "SELECT 1", "--db", str(tmp_path / "none.duckdb"))
    no_traceback(result)
    assert result.exit_code == 1 and "alignment refresh" in result.output


# --- `alignment queries` --------------------------------------------------------------------


def test_queries_list_show_run(built_store: Path) -> None:
    result = invoke("queries", "list", "--format", "csv")
    assert result.exit_code == 0
    listed = pl.read_csv(result.output.encode())
    assert listed["name"].to_list() == NAMES
    assert listed.filter(pl.col("name") == "bloc_defections")["parameters"][0] == (
        "bloc=csto, symbol=A/RES/66/253"
    )
    result = invoke("queries", "show", "bloc_members_on_date")
    assert result.exit_code == 0
    assert result.output.startswith("-- title: Members of a bloc on a date\n")
    assert "FROM bloc_memberships m" in result.output
    assert result.output.endswith(
        "-- run: alignment queries run bloc_members_on_date -p bloc=csto -p date=2012-02-16\n"
    )
    result = invoke(
        "queries", "run", "bloc_members_on_date", "-p", "date=2024-06-01", "--db", str(built_store),
        "--format", "csv",
    )  # fmt: skip
    assert result.exit_code == 0
    rows = pl.read_csv(result.output.encode())
    assert dict(zip(rows["iso3"], rows["status"], strict=True))["ARM"] == "frozen"
    result = invoke("queries", "run", "no_such_query", "--db", str(built_store))
    assert result.exit_code == 2 and "unknown query 'no_such_query'; known: " in result.output
    result = invoke("queries", "show", "nope")
    assert result.exit_code == 2 and "bloc_defections" in result.output


# --- `alignment schema` ---------------------------------------------------------------------


def test_schema_lists_tables_views_and_macros_with_their_comments(built_store: Path) -> None:
    result = invoke("schema", "--db", str(built_store), "--format", "csv")
    assert result.exit_code == 0
    rows = pl.read_csv(result.output.encode())
    assert rows.columns == ["table", "kind", "column", "type", "comment", "table_comment"]
    with duckdb.connect(str(built_store), read_only=True) as con:
        tables = {r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
        views = {r[0] for r in con.sql("SELECT view_name FROM duckdb_views() WHERE NOT internal")
                 .fetchall()}  # fmt: skip
    kinds = dict(rows.select("table", "kind").unique().iter_rows())
    assert {t for t, k in kinds.items() if k == "table"} == tables >= {t.name for t in TABLES}
    assert {t for t, k in kinds.items() if k == "view"} == views == {v.name for v in VIEWS}
    assert {t for t, k in kinds.items() if "macro" in k} == {m.name for m in MACROS}
    for table in (*TABLES, *VIEWS):
        mine = rows.filter(pl.col("table") == table.name)
        assert mine["column"].to_list() == [c.name for c in table.columns]
        assert mine["comment"].to_list() == [c.comment for c in table.columns]
        assert mine["table_comment"].unique().to_list() == [table.comment]
    for macro in MACROS:
        mine = rows.filter(pl.col("table") == macro.name)
        assert mine["column"].to_list() == [name for name, _ in macro.parameters()]
        assert mine["table_comment"].unique().to_list() == [macro.comment]
        assert mine["kind"][0] == ("table macro" if macro.table else "macro")
    text = invoke("schema", "--db", str(built_store)).output
    assert all(f"\n{t.name}\n" in "\n" + text for t in TABLES)
    assert all(f"\n{v.name} (view)\n" in text for v in VIEWS)
    assert text.startswith("roll_calls\n")  # declaration order: the main tables first
    # Tables, then views, then macros.
    assert text.index("\nstore_meta\n") < text.index("\nagreement_scores (view)\n")
    assert text.index("\nagreement_long (view)\n") < text.index("\nagreement (table macro)\n")


def test_schema_of_one_table_exact(built_store: Path) -> None:
    result = invoke("schema", "store_meta", "--db", str(built_store))
    assert result.exit_code == 0
    assert result.output == (
        "store_meta\n"
        "  Facts about this store file: schema version, build time, software versions.\n"
        "    key    VARCHAR  Name of the fact.\n"
        "    value  VARCHAR  Its value.\n"
    )
    result = invoke("schema", "nope", "--db", str(built_store))
    assert result.exit_code == 1
    assert "no table, view or macro 'nope' in the store; tables: agreement_counts" in result.output
    assert "views: agreement_long, agreement_pairs" in result.output
    assert "macros: active_on, alignment_metric" in result.output


def test_schema_of_a_view_and_of_a_macro(built_store: Path) -> None:
    result = invoke("schema", "agreement_pairs", "--db", str(built_store))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "agreement_pairs (view)"
    assert lines[1].startswith("  agreement_scores with each pair in both orders (BLR-RUS")
    assert "    iso3_a           VARCHAR  A state (countries.iso3): every state." in lines
    assert any(line.startswith("    kappa_abs        DOUBLE   Cohen's kappa") for line in lines)
    result = invoke("schema", "agreement", "--db", str(built_store))
    assert result.exit_code == 0
    assert result.output.startswith("agreement (table macro)\n  Every metric of the pair a, b")
    assert result.output.endswith(
        "\n    agreement(a, b, start_date := NULL, end_date := NULL, drop_unanimous := true)\n"
    )
    result = invoke("schema", "alignment_metric", "--db", str(built_store))
    assert result.output.startswith("alignment_metric (macro)\n")
    assert result.output.endswith("\n    alignment_metric(name)\n")


def test_nan_is_kept_for_undefined_kappa(con) -> None:
    # Two states that always vote alike in a period: kappa / pi are undefined (NaN), not 1.
    got = run(con, "pair_agreement_over_time", country="BLR", partner="RUS")
    perfect = got.filter(pl.col("exact") == 1.0)
    assert perfect.height > 0
    assert all(math.isnan(v) or v == pytest.approx(1.0) for v in perfect["kappa_abs"])


@pytest.mark.parametrize("by", ["session", "year"])
def test_ideal_point_path_by_session_and_by_year(ideal_points_con, by: str) -> None:
    con = ideal_points_con
    got = run(con, "ideal_point_path", by=by)
    assert set(got["iso3"]) == {"BLR", "RUS", "USA"} and set(got["period_type"]) == {by}
    assert (got["lower"] <= got["ideal_point"]).all() and (got["ideal_point"] <= got["upper"]).all()
    # The stored rows as they are, diagnostics included (none for the EM's estimates).
    columns = "period, ideal_point, lower, upper, n_votes, rhat, ess_bulk"
    blr = got.filter(pl.col("is_country")).select(columns.split(", "))
    stored = con.sql(
        f"SELECT {columns} FROM ideal_points WHERE iso3 = 'BLR' AND period_type = $by "
        "AND vote_set = 'all' ORDER BY period",
        params={"by": by},
    ).pl()
    assert blr.height > 60 and blr.equals(stored.cast(blr.schema))


# --- the sandbox: no statement, in any form, writes a file or reaches out ------------------------

ESCAPES = [
    "EXPLAIN ANALYZE COPY (SELECT 'x') TO '{target}'",
    "COPY (SELECT 1) TO '{target}'",
    "EXPORT DATABASE '{target}'",
    "ATTACH '{target}' AS other",
    "EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1",
    "CREATE TABLE t AS SELECT 1",
    "INSTALL httpfs",
    "LOAD httpfs",
    "EXPLAIN ANALYZE INSTALL httpfs",
    "SET enable_external_access = true",
    "EXPLAIN ANALYZE SET enable_external_access = true",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_blob('/etc/hostname')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM 'https://example.org/votes.csv'",
    "SELECT * FROM read_parquet('http://127.0.0.1:9/x.parquet')",
    "UPDATE EXTENSIONS",
]


@pytest.mark.parametrize("sql", ESCAPES)
def test_sandbox_refuses_every_escape(built_store: Path, tmp_path: Path, sql: str) -> None:
    target = tmp_path / "written.duckdb"
    before = built_store.stat().st_mtime_ns
    result = CliRunner().invoke(cli, ["sql", sql.format(target=target), "--db", str(built_store)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: refused: ")
    assert "Traceback" not in result.output
    assert not target.exists() and list(tmp_path.iterdir()) == []
    assert built_store.stat().st_mtime_ns == before


def test_reads_that_are_not_select_run(built_store: Path) -> None:
    for sql in (
        "PIVOT (SELECT vote, iso3 FROM votes WHERE roll_call_id <= 3) ON vote USING count(*)",
        "UNPIVOT (SELECT 1 AS a, 2 AS b) ON a, b",
        "SUMMARIZE roll_calls",
        "-- a comment first\nSELECT count(*) AS n FROM votes",
    ):
        result = CliRunner().invoke(cli, ["sql", sql, "--db", str(built_store)])
        assert result.exit_code == 0, (sql, result.output)


def test_python_connection_is_sandboxed_too(built_store: Path, tmp_path: Path) -> None:
    import alignment

    con = alignment.connect(built_store)
    with pytest.raises(duckdb.PermissionException):
        con.sql(f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'")
    with pytest.raises(duckdb.Error):
        con.sql("SET lock_configuration = false")
    assert con.sql("SELECT count(*) FROM votes").fetchall()[0][0] > 1_000_000
    con.close()


def test_no_curated_query_is_a_broken_install(tmp_path: Path) -> None:
    with pytest.raises(workbench.WorkbenchError, match=f"no curated query .* in {tmp_path}"):
        workbench.list_queries(tmp_path)


def test_pandas_works_on_the_connection(built_store: Path) -> None:
    import alignment

    with alignment.connect(built_store) as con:
        frame = con.sql("SELECT iso3, vote FROM votes WHERE iso3 = 'BLR' LIMIT 3").df()
    assert list(frame.columns) == ["iso3", "vote"] and len(frame) == 3
