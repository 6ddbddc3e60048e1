"""The metrics in the store (tables, views, macros), the wide layout and `alignment metrics`."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from alignment import analyses, store
from alignment.cli import cli
from alignment.metrics import dyadic_scores, pair_scores
from alignment.vocabulary import CELL_COLUMNS, METRICS

CODES = {"Y": 1, "A": 2, "N": 3}


def frames(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    votes = con.sql("SELECT roll_call_id, iso3, vote FROM votes").pl()
    roll_calls = con.sql("SELECT roll_call_id, date, session, kind, important FROM roll_calls").pl()
    return votes, roll_calls


def assert_same_values(a: np.ndarray, b: np.ndarray, what: str, tol: float = 1e-9) -> None:
    assert np.array_equal(np.isnan(a), np.isnan(b)), f"{what}: NaN in different places"
    assert np.nanmax(np.abs(a - b)) <= tol, what


# --------------------------------------------------------------------------- wide layout


def test_wide_layout_matches_long() -> None:
    votes = pl.DataFrame(
        {
            "roll_call_id": [1, 1, 1, 2, 2, 2, 3, 3, 3],
            "iso3": ["AAA", "BBB", "CCC"] * 3,
            "vote": ["Y", "N", "Y", "A", "A", "N", "Y", "Y", "X"],
        }
    )
    rcs = pl.DataFrame(
        {
            "roll_call_id": [1, 2, 3],
            "date": [dt.date(2000, 1, 1), dt.date(2000, 6, 1), dt.date(2001, 1, 1)],
            "session": [54, 54, 55],
            "kind": ["resolution"] * 3,
            "important": [False] * 3,
        }
    )
    long = dyadic_scores(votes, rcs, by="session", drop_unanimous=False)
    wide = dyadic_scores(votes, rcs, by="session", drop_unanimous=False, layout="wide")
    assert wide.columns == ["iso3_a", "iso3_b", "period", "n", *METRICS]
    assert wide.height * len(METRICS) == long.height
    pivot = long.pivot("metric", index=["iso3_a", "iso3_b", "period", "n"], values="value")
    assert wide.select(pivot.columns).equals(pivot)
    with pytest.raises(ValueError, match="layout"):
        dyadic_scores(votes, rcs, layout="tall")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the store


@pytest.mark.slow
@pytest.mark.parametrize("by", ["session", "year"])
def test_agreement_scores_match_dyadic_scores(con, by) -> None:
    votes, roll_calls = frames(con)
    want = dyadic_scores(votes, roll_calls, by=by, layout="wide")
    got = con.sql(
        "SELECT * EXCLUDE (period_type) FROM agreement_scores WHERE period_type = $by "
        "ORDER BY period, iso3_a, iso3_b",
        params={"by": by},
    ).pl()
    assert got.height == want.height > 500_000
    keys = ["iso3_a", "iso3_b", "period", "n"]
    assert got.select(keys).cast({"period": pl.Int64, "n": pl.Int64}).equals(want.select(keys))
    for m in METRICS:
        assert_same_values(got[m].to_numpy(), want[m].to_numpy(), m)
    # The stored cells are the pair's table: they add up to n.
    assert (got.select(pl.sum_horizontal(CELL_COLUMNS))["yes_yes"] == got["n"]).all()


def test_agreement_pairs_lists_both_orders(con) -> None:
    counts = con.sql(
        "SELECT (SELECT count(*) FROM agreement_pairs), (SELECT count(*) FROM agreement_scores)"
    ).fetchall()[0]
    assert counts[0] == 2 * counts[1]
    rows = con.sql(
        "SELECT iso3_a, iso3_b, n, yes_no, no_yes, agree FROM agreement_pairs "
        "WHERE period_type = 'session' AND period = 66 AND 'BLR' IN (iso3_a, iso3_b) "
        "AND 'USA' IN (iso3_a, iso3_b) ORDER BY iso3_a"
    ).fetchall()
    (a, b, n, yn, ny, agree), (a2, b2, n2, yn2, ny2, agree2) = rows
    assert (a, b, a2, b2) == ("BLR", "USA", "USA", "BLR")
    assert (n, yn, ny, agree) == (n2, ny2, yn2, agree2)  # cells transposed, metric the same
    # A state's partners: one WHERE on iso3_a finds it on either side of agreement_scores.
    partners, either_side = con.sql(
        "SELECT (SELECT count(*) FROM agreement_pairs WHERE iso3_a = 'BLR'), "
        "(SELECT count(*) FROM agreement_scores WHERE 'BLR' IN (iso3_a, iso3_b))"
    ).fetchall()[0]
    assert partners == either_side > 5000


def test_tables_and_views_are_documented(con) -> None:
    missing = con.sql(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE table_name IN "
        "('agreement_counts', 'agreement_scores', 'agreement_pairs', 'roll_call_cohesion', "
        "'bloc_cohesion', 'bloc_defections') AND (comment IS NULL OR comment = '')"
    ).fetchall()
    assert missing == []
    views = dict(
        con.sql("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall()
    )
    assert views["agreement_scores"] and views["agreement_pairs"]


def test_macros_persist_read_only_and_match_python(built_store: Path) -> None:
    # Any DuckDB client opening the file has the macros (here: a fresh read-only connection).
    con = duckdb.connect(str(built_store), read_only=True)
    try:
        start, end = dt.date(2012, 1, 1), dt.date(2013, 12, 31)
        sql = con.sql(
            "SELECT metric, value, n FROM agreement('BLR', 'RUS', start_date := $s, "
            "end_date := $e)",
            params={"s": start, "e": end},
        ).fetchall()
        votes, roll_calls = frames(con)
        py = dyadic_scores(
            votes, roll_calls, by=None, countries=["BLR", "RUS"], start=start, end=end
        )
    finally:
        con.close()
    got = {m: (v, n) for m, v, n in sql}
    assert set(got) == set(METRICS)
    for m, v, n in py.select("metric", "value", "n").rows():
        assert got[m][1] == n > 100
        assert got[m][0] == pytest.approx(v, abs=1e-9), m


# --------------------------------------------------------------------------- blocs


def test_csto_cohesion_on_syria_resolution(con) -> None:
    # A/RES/66/253 (2012-02-16): ARM A, BLR N, KAZ Y, RUS N; KGZ, TJK, UZB non-voting.
    # Y1 N2 A1: AI = (2 - 0.5 · 2) / 4 = 0.25. N is the bloc's line: ARM and KAZ defected.
    rc = con.sql(
        "SELECT roll_call_id FROM roll_calls WHERE symbol = 'A/RES/66/253' "
        "AND date = DATE '2012-02-16'"
    ).fetchall()[0][0]
    row = con.sql(
        "SELECT yes, no, abstain, members_voting, cohesion FROM roll_call_cohesion "
        "WHERE roll_call_id = $rc AND bloc = 'csto'",
        params={"rc": rc},
    ).fetchall()
    assert row == [(1, 2, 1, 4, pytest.approx(0.25, abs=1e-12))]
    out = con.sql(
        "SELECT iso3, vote, bloc_plurality_vote FROM bloc_defections "
        "WHERE roll_call_id = $rc AND bloc = 'csto' ORDER BY iso3",
        params={"rc": rc},
    ).fetchall()
    assert out == [("ARM", "A", "N"), ("KAZ", "Y", "N")]


# The definitions of the bloc tables stated independently, in SQL (a range join on the
# membership spells): the store's tables, computed by alignment.cohesion, must equal them.
ORACLE = {
    "member_votes": """
        SELECT v.roll_call_id, m.bloc, v.iso3, v.vote
        FROM votes v JOIN roll_calls r USING (roll_call_id)
        JOIN bloc_memberships m
          ON m.iso3 = v.iso3 AND m.status = 'member'
         AND r.date >= m.joined AND (m."left" IS NULL OR r.date <= m."left")
        WHERE v.vote IN ('Y', 'N', 'A')""",
    "counts": """
        SELECT roll_call_id, bloc, count_if(vote = 'Y') AS yes, count_if(vote = 'N') AS no,
               count_if(vote = 'A') AS abstain
        FROM member_votes GROUP BY ALL""",
}


@pytest.mark.slow
def test_bloc_tables_match_an_sql_statement_of_their_definitions(con) -> None:
    for name, sql in ORACLE.items():
        con.execute(f"CREATE TEMP TABLE {name} AS {sql}")
    cohesion = con.sql("""
        SELECT count(*) FILTER (WHERE o.bloc IS NULL OR s.bloc IS NULL
                                OR o.yes <> s.yes OR o.no <> s.no OR o.abstain <> s.abstain
                                OR abs(s.cohesion - (greatest(o.yes, o.no, o.abstain)
                                   - 0.5 * (o.yes + o.no + o.abstain
                                            - greatest(o.yes, o.no, o.abstain)))
                                   / (o.yes + o.no + o.abstain)) > 1e-12
                                OR s.members_voting <> o.yes + o.no + o.abstain),
               count(*)
        FROM counts o FULL JOIN roll_call_cohesion s USING (roll_call_id, bloc)""").fetchall()
    assert cohesion[0][0] == 0 and cohesion[0][1] > 50_000
    con.execute("""
        CREATE TEMP TABLE per_period AS
        WITH p AS (SELECT roll_call_id, 'session' AS period_type, session AS period FROM roll_calls
                   UNION ALL SELECT roll_call_id, 'year', year(date) FROM roll_calls)
        SELECT c.bloc, p.period_type, p.period, avg(c.cohesion) AS cohesion, count(*) AS n
        FROM roll_call_cohesion c JOIN p USING (roll_call_id) GROUP BY ALL""")
    differ = con.sql("""
        SELECT count(*) FROM per_period o FULL JOIN bloc_cohesion s
          USING (bloc, period_type, period)
        WHERE o.bloc IS NULL OR s.bloc IS NULL OR o.n <> s.n_roll_calls
           OR abs(o.cohesion - s.cohesion) > 1e-12""").fetchall()[0][0]
    assert differ == 0
    defections = con.sql("""
        WITH plurality AS (
            SELECT roll_call_id, bloc,
                   CASE greatest(yes, no, abstain) WHEN yes THEN 'Y' WHEN no THEN 'N' ELSE 'A' END
                       AS line
            FROM counts
            WHERE (yes = greatest(yes, no, abstain))::INT + (no = greatest(yes, no, abstain))::INT
                  + (abstain = greatest(yes, no, abstain))::INT = 1)
        SELECT mv.roll_call_id, mv.bloc, mv.iso3, mv.vote, p.line AS bloc_plurality_vote
        FROM member_votes mv JOIN plurality p USING (roll_call_id, bloc)
        WHERE mv.vote <> p.line ORDER BY 1, 2, 3""").pl()
    stored = con.sql("SELECT * FROM bloc_defections ORDER BY roll_call_id, bloc, iso3").pl()
    assert stored.height > 100_000 and stored.equals(defections)


# --------------------------------------------------------------------------- CLI


def pair_by_session(con, a: str, b: str, sessions: tuple[int, ...]) -> dict[int, dict]:
    """Every metric of a pair per session, from the votes fetched by SQL and pair_scores."""
    rows = con.sql(
        """
        WITH split AS (  -- roll calls on which not every state voted alike
            SELECT roll_call_id FROM votes WHERE vote IN ('Y', 'A', 'N')
            GROUP BY roll_call_id HAVING count(DISTINCT vote) > 1
        )
        SELECT r.session, x.vote AS x, y.vote AS y
        FROM roll_calls r
        JOIN split USING (roll_call_id)
        JOIN votes x ON x.roll_call_id = r.roll_call_id AND x.iso3 = $a
        JOIN votes y ON y.roll_call_id = r.roll_call_id AND y.iso3 = $b
        WHERE list_contains($sessions, r.session)
        """,
        params={"a": a, "b": b, "sessions": list(sessions)},
    ).fetchall()
    out = {}
    for s in sessions:
        x = [CODES.get(v, 0) for sess, v, _ in rows if sess == s]
        y = [CODES.get(v, 0) for sess, _, v in rows if sess == s]
        n = sum(1 for i, j in zip(x, y, strict=True) if i and j)
        out[s] = {"n": n, **pair_scores(x, y)}
    return out


def run(built_store: Path, *args: str):
    return CliRunner().invoke(cli, ["metrics", "--db", str(built_store), *args])


@pytest.mark.parametrize("metric", ["agree", "kappa_abs", "pi_nominal"])
def test_cli_metrics_blr_rus_sessions_66_67(con, built_store: Path, metric: str) -> None:
    want = pair_by_session(con, "BLR", "RUS", (66, 67))
    # Session 66 opened on 2011-09-13, session 68 on 2013-09-17: a date window computes.
    result = run(
        built_store, "--metric", metric, "--by", "session", "--countries", "RUS,BLR",
        "--from", "2011-09-13", "--to", "2013-09-16", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["iso3_a"], r["iso3_b"], r["period"], r["metric"], r["n"]) for r in rows] == [
        ("BLR", "RUS", 66, metric, want[66]["n"]),
        ("BLR", "RUS", 67, metric, want[67]["n"]),
    ]
    for r in rows:
        assert r["value"] == pytest.approx(want[r["period"]][metric], abs=1e-12)
    # The defaults read agreement_scores: the same numbers for those sessions.
    table = run(built_store, "--metric", metric, "--countries", "BLR,RUS", "--format", "csv")
    assert table.exit_code == 0, table.output
    frame = pl.read_csv(table.output.encode())
    assert frame.columns == ["iso3_a", "iso3_b", "period", "metric", "value", "n"]
    for s in (66, 67):
        (value, n), *_ = frame.filter(pl.col("period") == s).select("value", "n").rows()
        assert n == want[s]["n"] and value == pytest.approx(want[s][metric], abs=1e-12)


def test_cli_metrics_csv_exact(con, built_store: Path) -> None:
    want = pair_by_session(con, "BLR", "RUS", (66, 67))
    result = run(
        built_store, "--countries", "BLR,RUS", "--from", "2011-09-13", "--to", "2013-09-16",
        "--format", "csv", "--metric", "exact",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # exact is a ratio of two counts: the same float whatever the path.
    assert result.output == (
        "iso3_a,iso3_b,period,metric,value,n\n"
        f"BLR,RUS,66,exact,{want[66]['exact']!r},{want[66]['n']}\n"
        f"BLR,RUS,67,exact,{want[67]['exact']!r},{want[67]['n']}\n"
    )


def test_cli_metrics_filters_and_bootstrap(built_store: Path) -> None:
    result = run(
        built_store, "--countries", "BLR,RUS", "--by", "year", "--from", "2012", "--to", "2012",
        "--bootstrap", "200", "--metric", "agree", "--keep-unanimous", "--lopsided", "0.95",
        "--drop-amendments", "--topic", "hr", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert row["period"] == 2012 and row["n"] > 5
    assert row["lower"] <= row["value"] <= row["upper"]


def test_cli_metrics_every_pair_from_the_table(con, built_store: Path) -> None:
    result = run(built_store, "--by", "year", "--metric", "s_abs", "--format", "csv")
    assert result.exit_code == 0
    frame = pl.read_csv(result.output.encode())
    total = con.sql("SELECT count(*) FROM agreement_scores WHERE period_type = 'year'").fetchall()
    assert frame.height == total[0][0]
    assert frame["period"].is_sorted()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--countries", "BLR,XYZ"], ["'XYZ'", "BLR", "RUS"]),
        (["--metric", "closeness"], ["'closeness'", "agree", "kappa_abs", "pi_nominal"]),
        (["--countries", "BLR", "--topic", "nothing"], ["'nothing'", "syria"]),
        (["--from", "2012-13-01"], ["2012-13-01"]),
        (["--bootstrap", "10"], ["--countries"]),
    ],
)
def test_cli_metrics_bad_values_exit_2(built_store: Path, args: list[str], named) -> None:
    result = CliRunner().invoke(cli, ["metrics", "--db", str(built_store), *args])
    assert result.exit_code == 2
    for text in named:
        assert text in result.output


def test_votes_without_metric_tables_compute_the_same_scores(
    tmp_path: Path, built_store: Path
) -> None:
    # A database holding only the votes (a researcher's own, opened with plain DuckDB: the
    # library's functions take any connection): the scores are computed instead of read.
    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    con.execute(f"ATTACH '{built_store}' AS src (READ_ONLY)")
    for table in ("votes", "roll_calls", "countries"):
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM src.{table}")
    con.close()
    with duckdb.connect(str(old), read_only=True) as c:
        got = analyses.scores(c, metric="agree", countries=["BLR", "RUS"])
    with store.connect(built_store) as c:
        want = analyses.scores(c, metric="agree", countries=["BLR", "RUS"])
    assert got.select("period", "n").equals(want.select("period", "n"))
    assert all(
        math.isclose(a, b, abs_tol=1e-12) for a, b in zip(got["value"], want["value"], strict=True)
    )


# ----------------------------------------------------------------- one state, --min-n, --top


def csv_rows(result) -> pl.DataFrame:
    assert result.exit_code == 0, result.output
    return pl.read_csv(result.output.encode())


def test_cli_metrics_one_state_is_always_iso3_a(con, built_store: Path) -> None:
    # ARM < RUS < ZWE: the store keeps (ARM, RUS) and (RUS, ZWE); both come out as RUS first.
    got = csv_rows(run(built_store, "--countries", "RUS", "--by", "year", "--format", "csv"))
    assert set(got["iso3_a"]) == {"RUS"}
    stored = con.sql(
        "SELECT count(*) FROM agreement_scores WHERE period_type = 'year' "
        "AND 'RUS' IN (iso3_a, iso3_b)"
    ).fetchall()[0][0]
    assert got.height == stored
    ((agree, n),) = con.sql(
        "SELECT agree, n FROM agreement_scores WHERE period_type = 'year' AND period = 2012 "
        "AND iso3_a = 'ARM' AND iso3_b = 'RUS'"
    ).fetchall()
    row = got.filter((pl.col("iso3_b") == "ARM") & (pl.col("period") == 2012)).row(0, named=True)
    assert (row["value"], row["n"]) == (pytest.approx(agree, abs=1e-12), n)
    # Computed (a filter) the same way round.
    computed = csv_rows(
        run(built_store, "--countries", "RUS", "--by", "year", "--from", "2012-03-01",
            "--to", "2012-12-31", "--important", "--format", "csv")
    )  # fmt: skip
    assert computed.height > 50 and set(computed["iso3_a"]) == {"RUS"}
    assert computed["iso3_b"].is_sorted()


def test_cli_metrics_min_n_and_top_keep_the_rows_sql_ranks(con, built_store: Path) -> None:
    args = ("--countries", "BLR", "--by", "year", "--metric", "kappa_abs", "--min-n", "40")
    for top, order in (("3", "DESC"), ("-3", "ASC")):
        got = csv_rows(run(built_store, *args, "--top", top, "--format", "csv"))
        want = con.sql(
            f"""SELECT iso3_a, iso3_b, period, kappa_abs AS value, n FROM agreement_pairs
                WHERE iso3_a = 'BLR' AND period_type = 'year' AND n >= 40 AND NOT isnan(kappa_abs)
                QUALIFY row_number() OVER (PARTITION BY period ORDER BY kappa_abs {order}, iso3_b)
                        <= 3
                ORDER BY period, kappa_abs {order}, iso3_b"""
        ).pl()
        assert got.select("iso3_a", "iso3_b", "period", "n").rows() == (
            want.select("iso3_a", "iso3_b", "period", "n").rows()
        )
        np.testing.assert_allclose(got["value"].to_numpy(), want["value"].to_numpy(), atol=1e-12)
        assert got.height > 100 and (got["n"] >= 40).all()
    # --min-n alone: every pair with fewer common roll calls left out, no other.
    every = csv_rows(run(built_store, "--countries", "BLR", "--format", "csv"))
    some = csv_rows(run(built_store, "--countries", "BLR", "--min-n", "40", "--format", "csv"))
    assert some.equals(every.filter(pl.col("n") >= 40)) and some.height < every.height
    # The computed path ranks the same way.
    computed = csv_rows(
        run(built_store, "--countries", "BLR", "--by", "year", "--from", "2011", "--to", "2013",
            "--drop-amendments", "--min-n", "30", "--top", "2", "--format", "csv")
    )  # fmt: skip
    assert computed.group_by("period").len()["len"].to_list() == [2, 2, 2]
    assert (computed["n"] >= 30).all()
    result = run(built_store, "--countries", "BLR", "--top", "0")
    assert result.exit_code == 2 and "not 0" in result.output


def test_whole_years_read_the_store_and_equal_the_computation(
    con, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = {"by": "year", "start": dt.date(2011, 1, 1), "end": dt.date(2013, 12, 31)}
    # A lopsidedness limit of 1 keeps every roll call but forces the computation.
    computed = analyses.scores(con, countries=["BLR"], lopsided_threshold=1.0, **window)
    monkeypatch.setattr(analyses.metrics, "dyadic_scores", None)  # the store must answer
    stored = analyses.scores(con, countries=["BLR"], **window)
    assert stored.select("iso3_a", "iso3_b", "period", "n").equals(
        computed.select("iso3_a", "iso3_b", "period", "n")
    )
    assert sorted(set(stored["period"])) == [2011, 2012, 2013]
    np.testing.assert_allclose(stored["value"].to_numpy(), computed["value"].to_numpy(), atol=1e-12)


# --------------------------------------------------------------------------- movers


def movers(built_store: Path, *args: str):
    return CliRunner().invoke(cli, ["movers", "--db", str(built_store), *args])


def test_cli_movers_scores_are_the_stored_years_and_the_interval_holds_them(
    con, built_store: Path
) -> None:
    got = csv_rows(
        movers(built_store, "--toward", "RUS", "--from", "2021", "--to", "2023", "--min-n", "40",
               "--bootstrap", "300", "--format", "csv")
    )  # fmt: skip
    assert got.columns == [
        "iso3", "name", "value_from", "n_from", "value_to", "n_to", "change", "lower", "upper"
    ]  # fmt: skip
    stored = con.sql(
        """SELECT iso3_b AS iso3, period, agree, n FROM agreement_pairs
           WHERE iso3_a = 'RUS' AND period_type = 'year' AND period IN (2021, 2023)"""
    ).pl()
    for year, suffix in ((2021, "from"), (2023, "to")):
        want = stored.filter(pl.col("period") == year).join(got, on="iso3")
        assert want.height == got.height > 100
        assert (want["n"] == want[f"n_{suffix}"]).all()
        np.testing.assert_allclose(want[f"value_{suffix}"], want["agree"], atol=1e-12)
    assert (got["n_from"] >= 40).all() and (got["n_to"] >= 40).all()
    np.testing.assert_allclose(got["change"], got["value_to"] - got["value_from"], atol=1e-12)
    assert got["change"].is_sorted(descending=True)
    assert (got["lower"] <= got["upper"]).all()
    inside = ((got["lower"] <= got["change"]) & (got["change"] <= got["upper"])).mean()
    assert inside > 0.95
    top = csv_rows(
        movers(built_store, "--toward", "RUS", "--from", "2021", "--to", "2023", "--min-n", "40",
               "--top", "-5", "--bootstrap", "0", "--format", "csv")
    )  # fmt: skip
    assert top["iso3"].to_list() == got.sort("change", "iso3")["iso3"][:5].to_list()


def test_movers_over_spans_of_years_equal_dyadic_scores(con) -> None:
    got = analyses.movers(con, "usa", (2015, 2016), (2019, 2020), metric="kappa_abs", bootstrap=0)
    votes, roll_calls = frames(con)
    for iso3 in ("ISR", "GBR", "CUB"):
        row = got.filter(pl.col("iso3") == iso3).row(0, named=True)
        for (start, end), suffix in (((2015, 2016), "from"), ((2019, 2020), "to")):
            (value, n), *_ = (
                dyadic_scores(
                    votes, roll_calls, by=None, metrics=["kappa_abs"], countries=[iso3, "USA"],
                    start=dt.date(start, 1, 1), end=dt.date(end, 12, 31),
                )
                .select("value", "n")
                .rows()
            )  # fmt: skip
            assert row[f"n_{suffix}"] == n and row[f"value_{suffix}"] == pytest.approx(value)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--toward", "XYZ", "--from", "2021", "--to", "2023"], ["'XYZ'", "RUS"]),
        (["--toward", "RUS", "--from", "2023-2021", "--to", "2024"], ["runs backwards"]),
        (["--toward", "RUS", "--from", "20211", "--to", "2023"], ["'20211'", "2019-2020"]),
        (["--toward", "RUS", "--from", "2019-2022", "--to", "2021"], ["overlap"]),
        (["--toward", "RUS", "--from", "2021", "--to", "2023", "--top", "0"], ["not 0"]),
        (["--toward", "RUS", "--from", "2021", "--to", "2023", "--metric", "x"], ["'x'"]),
        (["--toward", "RUS", "--from", "2021", "--to", "2030"], ["no roll call in 2030", "1946"]),
    ],
)
def test_cli_movers_bad_values_exit_2(built_store: Path, args: list[str], named) -> None:
    result = movers(built_store, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for text in named:
        assert text in result.output
