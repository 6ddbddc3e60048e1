"""Tests of alignment.metrics: worked examples, properties, filters, the SQL macros."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from frames import hand_frames
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from alignment import derived
from alignment.metrics import (
    bootstrap_interval,
    contingency_tables,
    dyadic_scores,
    pair_scores,
    scores_from_tables,
)
from alignment.schema import TABLES
from alignment.vocabulary import METRICS

VOETEN = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "voeten"

# The issue's worked example: d = [0, 1, 0, 0, 2].
X = [1, 1, 2, 3, 1]
Y = [1, 2, 2, 3, 3]
EXPECTED = {
    "exact": 0.6,
    "agree": 0.7,
    "s_abs": 0.4,
    "s_sq": 0.5,
    "kappa_abs": 0.4,
    "kappa_sq": 0.358974358974359,  # 1 - 0.25 / 0.39
    # D_o = 2/5; p = (.6, .2, .2), q = (.2, .4, .4): D_e = 1 - (.12 + .08 + .08) = .72
    "kappa_nominal": 1 - 0.4 / 0.72,
    "pi_abs": 1 / 3,
    "pi_sq": 0.2753623188405797,  # 1 - 0.25 / 0.345
    # m = (.4, .3, .3): D_e = 1 - (.16 + .09 + .09) = .66
    "pi_nominal": 1 - 0.4 / 0.66,
}

# More pairs worked by hand.
# Opposites x = [1, 3], y = [3, 1]: d = [2, 2]; p = q = m = (.5, 0, .5) so every chance
# disagreement is .5 (abs: .25 + .25, sq: same, nominal: 1 - .5) against D_o = 1: all -1.
OPPOSITES = ([1, 3], [3, 1], {m: (0.0 if m in ("exact", "agree") else -1.0) for m in METRICS})
# With missing values x = [1, 2, 9, 1], y = [1, 1, 1, 0]: common (1,1), (2,1); d = [0, 1].
# exact .5, agree .75, S_abs .5, S_sq 1 - 2·1/(2·4) = .75. p = (.5, .5, 0), q = (1, 0, 0),
# m = (.75, .25, 0). abs: D_o = .25, kappa D_e = .5·.5 = .25 -> 0, pi D_e = 2·.75·.25·.5 =
# .1875 -> -1/3. sq: D_o = .125, D_e = .125 -> 0, pi D_e = .09375 -> -1/3. nominal: D_o = .5,
# kappa D_e = 1 - .5 = .5 -> 0, pi D_e = 1 - (.5625 + .0625) = .375 -> -1/3.
MISSING = (
    [1, 2, 9, 1],
    [1, 1, 1, 0],
    {
        "exact": 0.5,
        "agree": 0.75,
        "s_abs": 0.5,
        "s_sq": 0.75,
        "kappa_abs": 0.0,
        "kappa_sq": 0.0,
        "kappa_nominal": 0.0,
        "pi_abs": -1 / 3,
        "pi_sq": -1 / 3,
        "pi_nominal": -1 / 3,
    },
)
# Both always yes: full agreement, but no variation, so kappa and pi are undefined (NaN).
ALWAYS_YES = (
    [1, 1, 1],
    [1, 1, 1],
    {m: (math.nan if m.startswith(("kappa", "pi")) else 1.0) for m in METRICS},
)
CASES = [(X, Y, EXPECTED), OPPOSITES, MISSING, ALWAYS_YES]


def assert_scores(got: dict[str, float], want: dict[str, float], tol: float = 1e-9) -> None:
    assert set(got) == set(METRICS)
    for m in METRICS:
        if math.isnan(want[m]):
            assert math.isnan(got[m]), m
        else:
            assert got[m] == pytest.approx(want[m], abs=tol), m


def matrix_pair(x: list[int], y: list[int]) -> dict[str, float]:
    tables = contingency_tables(np.array([x, y], dtype=np.int8))
    return {m: float(v[0, 1]) for m, v in scores_from_tables(tables).items()}


@pytest.mark.parametrize(("x", "y", "want"), CASES)
def test_worked_examples_reference(x, y, want):
    assert_scores(pair_scores(np.array(x), np.array(y)), want)


@pytest.mark.parametrize(("x", "y", "want"), CASES)
def test_worked_examples_matrix(x, y, want):
    assert_scores(matrix_pair(x, y), want)


def test_worked_example_rounded_as_in_issue():
    got = pair_scores(X, Y)
    assert round(got["kappa_sq"], 6) == 0.358974
    assert round(got["pi_abs"], 6) == 0.333333
    assert round(got["pi_sq"], 6) == 0.275362


def test_weighted_s():
    # x = [1, 3], y = [1, 1], w = [3, 1]: d = [0, 2]. S_abs = 1 - 2·(1·2)/(4·2) = .5,
    # S_sq = 1 - 2·(1·4)/(4·4) = .5; unweighted both are 1 - 2·2/(2·2) = 0 and 1 - 2·4/(2·4) = 0.
    got = pair_scores([1, 3], [1, 1], weights=[3.0, 1.0])
    assert got["s_abs"] == pytest.approx(0.5)
    assert got["s_sq"] == pytest.approx(0.5)
    assert pair_scores([1, 3], [1, 1])["s_abs"] == pytest.approx(0.0)
    t = contingency_tables(np.array([[1, 3], [1, 1]], dtype=np.int8), np.array([3.0, 1.0]))
    assert t[0, 1].sum() == 4.0
    assert scores_from_tables(t)["s_abs"][0, 1] == pytest.approx(0.5)


def test_no_common_roll_call_is_nan():
    assert all(math.isnan(v) for v in pair_scores([1, 0], [0, 3]).values())
    s = scores_from_tables(contingency_tables(np.array([[1, 0], [0, 3]], dtype=np.int8)))
    assert all(np.isnan(v[0, 1]) for v in s.values())


def test_table_layout():
    t = contingency_tables(np.array([X, Y], dtype=np.int8))
    assert t.shape == (2, 2, 3, 3)
    assert t.dtype == np.float64
    # a voted yes and b abstained once; a voted yes and b voted no once.
    assert t[0, 1, 0, 1] == 1 and t[0, 1, 0, 2] == 1 and t[1, 0, 2, 0] == 1
    np.testing.assert_array_equal(t[0, 0], np.diag([3.0, 1.0, 1.0]))


# --------------------------------------------------------------------------- properties

votes_1d = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        arrays(np.int8, n, elements=st.sampled_from([0, 1, 2, 3, 8])),
        arrays(np.int8, n, elements=st.sampled_from([0, 1, 2, 3, 8])),
    )
)
vote_matrices = st.tuples(st.integers(2, 8), st.integers(1, 30)).flatmap(
    lambda shape: arrays(np.int8, shape, elements=st.sampled_from([0, 1, 2, 3, 9]))
)


@settings(deadline=None)
@given(votes_1d)
def test_symmetry_and_bounds(pair):
    x, y = pair
    a, b = pair_scores(x, y), pair_scores(y, x)
    for m in METRICS:
        assert (math.isnan(a[m]) and math.isnan(b[m])) or a[m] == pytest.approx(b[m], abs=1e-12)
    if not math.isnan(a["agree"]):
        assert 0 <= a["agree"] <= 1 and 0 <= a["exact"] <= 1
        assert -1 - 1e-12 <= a["s_abs"] <= 1 + 1e-12 and -1 - 1e-12 <= a["s_sq"] <= 1 + 1e-12
        assert a["s_abs"] == pytest.approx(2 * a["agree"] - 1, abs=1e-12)


@given(arrays(np.int8, st.integers(1, 40), elements=st.sampled_from([0, 1, 2, 3])))
def test_identity_with_oneself(x):
    s = pair_scores(x, x)
    if np.isin(x, (1, 2, 3)).any():
        for m in ("exact", "agree", "s_abs", "s_sq"):
            assert s[m] == pytest.approx(1.0)
        for m in METRICS[4:]:  # kappa / pi: 1, or undefined when x never varies
            assert math.isnan(s[m]) or s[m] == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(vote_matrices, st.booleans(), st.data())
def test_matrix_path_equals_reference(codes, weighted, data):
    w = None
    if weighted:
        w = data.draw(arrays(np.float64, codes.shape[1], elements=st.floats(0.1, 10.0)))
    tables = contingency_tables(codes, w)
    s = scores_from_tables(tables)
    for i in range(codes.shape[0]):
        for j in range(codes.shape[0]):
            want = pair_scores(codes[i], codes[j], w)
            assert_scores({m: float(s[m][i, j]) for m in METRICS}, want, tol=1e-9)
            assert scores_from_tables(tables[i, j])["agree"] == pytest.approx(
                want["agree"], nan_ok=True
            )


# --------------------------------------------------------------------------- data frames


def value(df: pl.DataFrame, a: str, b: str, metric: str = "agree", period=None) -> tuple:
    sel = df.filter(
        (pl.col("iso3_a") == a) & (pl.col("iso3_b") == b) & (pl.col("metric") == metric)
    )
    if period is not None:
        sel = sel.filter(pl.col("period") == period)
    assert sel.height == 1
    return sel["value"][0], sel["n"][0]


def test_dyadic_whole_window_and_unanimous():
    votes, rcs = hand_frames()
    # AAA-BBB without rc 1: (Y,N) 0, (Y,A) .5, (N,N) 1, (Y,Y) 1 -> 2.5 / 4.
    df = dyadic_scores(votes, rcs, by=None)
    assert df.columns == ["iso3_a", "iso3_b", "period", "metric", "value", "n"]
    assert df["period"].dtype == pl.Int64 and df["period"].null_count() == df.height
    assert value(df, "AAA", "BBB") == (pytest.approx(0.625), 4)
    # With rc 1 (Y,Y): 3.5 / 5.
    df = dyadic_scores(votes, rcs, by=None, drop_unanimous=False)
    assert value(df, "AAA", "BBB") == (pytest.approx(0.7), 5)
    # Only a < b pairs, in iso3 order, every metric in METRICS order.
    pairs = df.select("iso3_a", "iso3_b").unique(maintain_order=True).rows()
    assert pairs == [
        ("AAA", "BBB"), ("AAA", "CCC"), ("AAA", "DDD"),
        ("BBB", "CCC"), ("BBB", "DDD"), ("CCC", "DDD"),
    ]  # fmt: skip
    assert df["metric"].to_list()[: len(METRICS)] == list(METRICS)


def test_dyadic_matches_reference_per_pair():
    votes, rcs = hand_frames()
    df = dyadic_scores(votes, rcs, by=None)
    # AAA and BBB on rc 2..5 coded by hand.
    want = pair_scores([1, 1, 3, 1], [3, 2, 3, 1])
    for m in METRICS:
        got, n = value(df, "AAA", "BBB", m)
        assert n == 4
        assert got == pytest.approx(want[m], nan_ok=True)


def test_dyadic_lopsided_and_kinds():
    votes, rcs = hand_frames()
    # rc 5 (3/4 yes) goes above .7: AAA-BBB on rc 2, 3, 4 -> (0 + .5 + 1) / 3.
    df = dyadic_scores(votes, rcs, by=None, lopsided_threshold=0.7)
    assert value(df, "AAA", "BBB") == (pytest.approx(0.5), 3)
    assert df.filter(pl.col("iso3_b") == "DDD").is_empty()
    # Without amendments and paragraphs: rc 3, 5 -> (.5 + 1) / 2.
    df = dyadic_scores(votes, rcs, by=None, include_amendments=False)
    assert value(df, "AAA", "BBB") == (pytest.approx(0.75), 2)
    # Important only: rc 1 (unanimous, dropped) and rc 4 (N,N).
    df = dyadic_scores(votes, rcs, by=None, important_only=True)
    assert value(df, "AAA", "BBB") == (pytest.approx(1.0), 1)
    # Topic restriction by ids, and dates (inclusive).
    df = dyadic_scores(votes, rcs, by=None, roll_call_ids=[2, 3])
    assert value(df, "AAA", "BBB") == (pytest.approx(0.25), 2)
    df = dyadic_scores(votes, rcs, by=None, start=dt.date(2001, 3, 1), end=dt.date(2001, 10, 1))
    assert value(df, "AAA", "BBB") == (pytest.approx(0.75), 2)


def test_dyadic_by_year_and_session():
    votes, rcs = hand_frames()
    df = dyadic_scores(votes, rcs, by="year", metrics=["agree"])
    assert df["period"].unique().sort().to_list() == [2000, 2001]
    assert value(df, "AAA", "BBB", period=2000) == (pytest.approx(0.0), 1)  # rc 2 only
    assert value(df, "AAA", "BBB", period=2001) == (pytest.approx(2.5 / 3), 3)
    assert set(df["metric"].to_list()) == {"agree"}
    df = dyadic_scores(votes, rcs, by="session", metrics=["agree", "exact"])
    assert value(df, "AAA", "BBB", period=55) == (pytest.approx(0.25), 2)
    assert value(df, "AAA", "BBB", "exact", period=56) == (pytest.approx(1.0), 2)
    # DDD only voted in session 56.
    assert df.filter((pl.col("iso3_b") == "DDD") & (pl.col("period") == 55)).is_empty()


def test_dyadic_countries():
    votes, rcs = hand_frames()
    one = dyadic_scores(votes, rcs, by=None, countries=["BBB"], metrics=["agree"])
    assert one.select("iso3_a", "iso3_b").rows() == [
        ("AAA", "BBB"),
        ("BBB", "CCC"),
        ("BBB", "DDD"),
    ]
    among = dyadic_scores(votes, rcs, by=None, countries=["CCC", "AAA"], metrics=["agree"])
    assert among.select("iso3_a", "iso3_b").rows() == [("AAA", "CCC")]
    full = dyadic_scores(votes, rcs, by=None, metrics=["agree"])
    assert value(among, "AAA", "CCC") == value(full, "AAA", "CCC")
    with pytest.raises(ValueError, match="unknown metric"):
        dyadic_scores(votes, rcs, metrics=["nope"])


def test_dyadic_weights():
    votes, rcs = hand_frames()
    # AAA-BBB on rc 2 (weight 2, d = 2), 3 (d = 1), 4, 5 (d = 0): agree = 1 - (2·1 + .5)/5.
    df = dyadic_scores(votes, rcs, by=None, weights_column="w")
    assert value(df, "AAA", "BBB") == (pytest.approx(0.5), 4)
    want = pair_scores([1, 1, 3, 1], [3, 2, 3, 1], weights=[2.0, 1.0, 1.0, 1.0])
    assert value(df, "AAA", "BBB", "s_abs")[0] == pytest.approx(want["s_abs"])


def test_bootstrap():
    lo, hi = bootstrap_interval(X, Y, "agree", n_boot=500, seed=1)
    assert 0 <= lo <= 0.7 <= hi <= 1
    assert bootstrap_interval(X, Y, "agree", n_boot=500, seed=1) == (lo, hi)
    # Always the same vote: every replicate is 1.
    assert bootstrap_interval([1, 3, 2], [1, 3, 2], "exact") == (1.0, 1.0)
    votes, rcs = hand_frames()
    df = dyadic_scores(votes, rcs, by=None, countries=["AAA", "BBB"], bootstrap=200, seed=3)
    row = df.filter(pl.col("metric") == "agree")
    want = bootstrap_interval([1, 1, 3, 1], [3, 2, 3, 1], "agree", n_boot=200, seed=3)
    assert (row["lower"][0], row["upper"][0]) == pytest.approx(want)
    assert "lower" not in dyadic_scores(votes, rcs).columns


def cells_votes(table: list[list[int]]) -> tuple[list[int], list[int]]:
    """The two states' votes (1 yes, 2 abstain, 3 no) of a 3x3 table of counts."""
    a, b = [], []
    for k in range(3):
        for m in range(3):
            a += [k + 1] * table[k][m]
            b += [m + 1] * table[k][m]
    return a, b


def test_bootstrap_interval_never_ends_at_the_estimate():
    # One abstain-yes, twelve no-no. By hand: a's votes (0, 1, 12), b's (1, 0, 12); observed
    # disagreement 0.5 / 13; expected by chance (1·1·0.5 + 1·12·0.5 + 12·1·1) / 13² = 18.5 / 169;
    # kappa = 1 - 6.5 / 18.5 = 0.6486. A resample without the abstention (a share (12/13)^13 =
    # 35% of them) has both voting no throughout: kappa undefined there. Leaving those out made
    # the interval end at the estimate, [0.59, 0.65]; now there is none.
    a, b = cells_votes([[0, 0, 0], [1, 0, 0], [0, 0, 12]])
    assert pair_scores(a, b)["kappa_abs"] == pytest.approx(1 - 6.5 / 18.5)
    assert all(math.isnan(v) for v in bootstrap_interval(a, b, "kappa_abs", n_boot=200))
    # Every vote differs: a (6, 5, 3), b (5, 3, 6); observed 10 / 14, expected 92 / 196;
    # kappa = 1 - 140 / 92 = -0.52, the least these votes allow: no resample goes lower.
    a, b = cells_votes([[0, 0, 6], [5, 0, 0], [0, 3, 0]])
    assert pair_scores(a, b)["kappa_abs"] == pytest.approx(1 - 140 / 92)
    assert all(math.isnan(v) for v in bootstrap_interval(a, b, "kappa_abs", n_boot=200))
    # The agreement index of the same votes moves both ways: an interval around it.
    lo, hi = bootstrap_interval(a, b, "agree", n_boot=200)
    assert lo < pair_scores(a, b)["agree"] < hi


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 8), min_size=1, max_size=40),
    st.sampled_from(["agree", "kappa_abs", "pi_nominal", "exact"]),
)
def test_bootstrap_interval_has_no_width_or_holds_the_estimate(cells, metric):
    table = np.bincount(cells, minlength=9).reshape(3, 3).tolist()
    a, b = cells_votes(table)
    theta = pair_scores(a, b)[metric]
    lo, hi = bootstrap_interval(a, b, metric, n_boot=100)
    assert (math.isnan(lo) and math.isnan(hi)) or lo == hi or lo < theta < hi


# --------------------------------------------------------------------------- DuckDB macros


def duck(votes: pl.DataFrame, rcs: pl.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("v_df", votes.to_arrow())
    con.register("r_df", rcs.to_arrow())
    con.execute("CREATE TABLE votes AS SELECT * FROM v_df")
    con.execute("CREATE TABLE roll_calls AS SELECT * FROM r_df")
    for table in TABLES:  # the tables other macros read, empty
        con.execute(table.ddl().replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1))
    for statement in derived.macro_statements():
        con.execute(statement)
    return con


def random_frames(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    n_rc, states = 40, ["S01", "S02", "S03", "S04", "S05"]
    rcs = pl.DataFrame(
        {
            "roll_call_id": np.arange(1, n_rc + 1),
            "date": [dt.date(2000, 1, 1) + dt.timedelta(days=20 * i) for i in range(n_rc)],
            "session": np.repeat([54, 55], n_rc // 2),
            "kind": ["resolution"] * n_rc,
            "important": [False] * n_rc,
        }
    )
    rows = [
        (rc, s, str(rng.choice(["Y", "Y", "N", "A", "X", "-"], p=[0.3, 0.2, 0.2, 0.2, 0.05, 0.05])))
        for rc in range(1, n_rc + 1)
        for s in states
    ]
    votes = pl.DataFrame(rows, schema=["roll_call_id", "iso3", "vote"], orient="row")
    return votes.filter(pl.col("vote") != "-"), rcs  # "-": no row at all (not a member)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    ("start", "end", "drop"),
    [(None, None, True), (None, None, False), (dt.date(2000, 6, 1), dt.date(2001, 3, 1), True)],
)
def test_sql_macro_matches_python(seed, start, end, drop):
    votes, rcs = random_frames(seed)
    con = duck(votes, rcs)
    py = dyadic_scores(votes, rcs, by=None, start=start, end=end, drop_unanimous=drop)
    for (a, b), part in py.group_by("iso3_a", "iso3_b"):
        sql = con.execute(
            "SELECT metric, value, n FROM agreement(?, ?, start_date := ?, end_date := ?, "
            "drop_unanimous := ?)",
            [a, b, start, end, drop],
        ).fetchall()
        got = {m: (v, n) for m, v, n in sql}
        assert set(got) == set(METRICS)
        for m, v, n in part.select("metric", "value", "n").rows():
            assert got[m][1] == n
            assert got[m][0] == pytest.approx(v, abs=1e-9, nan_ok=True), (a, b, m)


def test_sql_macro_hand_example_and_empty():
    votes, rcs = hand_frames()
    con = duck(votes, rcs)
    rows = dict(con.execute("SELECT metric, value FROM agreement('AAA', 'BBB')").fetchall())
    assert rows["agree"] == pytest.approx(0.625)
    assert rows["s_abs"] == pytest.approx(0.25)
    # No common roll call in the window: n = 0, value NULL.
    empty = con.execute(
        "SELECT metric, value, n FROM agreement('AAA', 'DDD', end_date := DATE '2001-01-01')"
    ).fetchall()
    assert len(empty) == len(METRICS) and all(v is None and n == 0 for _, v, n in empty)


# --------------------------------------------------------------------------- real data


@pytest.mark.slow
def test_real_data_usa_uk_session_66():
    raw = pl.read_csv(
        VOETEN / "completeVotes_1946-2015.csv.gz",
        columns=["rcid", "session", "vote", "ccode", "date"],
    ).filter(pl.col("session") == 66)
    votes = raw.select(
        pl.col("rcid").alias("roll_call_id"),
        pl.col("ccode").cast(pl.String).alias("iso3"),  # ccode stands in for iso3 here
        pl.col("vote").replace_strict({1: "Y", 2: "A", 3: "N"}, default="X").alias("vote"),
    )
    rcs = (
        raw.group_by("rcid")
        .agg(pl.col("date").first(), pl.col("session").first())
        .select(
            pl.col("rcid").alias("roll_call_id"),
            pl.col("date").str.to_date("%m/%d/%Y"),
            "session",
            pl.lit("resolution").alias("kind"),
            pl.lit(False).alias("important"),
        )
    )
    df = dyadic_scores(votes, rcs, by="session", countries=["2", "200"])
    got, n = value(df, "2", "200", period=66)

    # Plain numpy loop: roll calls where someone disagreed, then the pair's common votes.
    wide = raw.filter(pl.col("vote").is_in([1, 2, 3]))
    split = wide.group_by("rcid").agg(pl.col("vote").n_unique().alias("k")).filter(pl.col("k") > 1)
    total, count = 0.0, 0
    for rc in split["rcid"].to_list():
        v = wide.filter(pl.col("rcid") == rc)
        usa = v.filter(pl.col("ccode") == 2)["vote"].to_list()
        uk = v.filter(pl.col("ccode") == 200)["vote"].to_list()
        if usa and uk:
            total += 1 - abs(usa[0] - uk[0]) / 2
            count += 1
    assert n == count > 30
    assert got == pytest.approx(total / count, abs=1e-12)
    assert 0.5 < got < 0.95  # close allies, who still split on some Middle East votes


def test_dyadic_null_period_and_empty_selection():
    votes, rcs = hand_frames()
    # A roll call without a date has no year: it is reported under a null period.
    rcs = rcs.with_columns(
        pl.when(pl.col("roll_call_id") == 2).then(None).otherwise(pl.col("date")).alias("date")
    )
    df = dyadic_scores(votes, rcs, by="year", metrics=["agree"])
    assert value(df, "AAA", "BBB", period=2001) == (pytest.approx(2.5 / 3), 3)
    nulls = df.filter(pl.col("period").is_null() & (pl.col("iso3_a") == "AAA"))
    assert nulls.filter(pl.col("iso3_b") == "BBB").select("value", "n").rows() == [(0.0, 1)]
    empty = dyadic_scores(votes, rcs, by="year", countries=["ZZZ", "YYY"])
    assert empty.is_empty() and empty.columns == df.columns
    assert dyadic_scores(votes, rcs, roll_call_ids=[]).is_empty()


def test_agreement_per_roll_call_is_the_terms_of_agree() -> None:
    from alignment.metrics import agreement_per_roll_call

    terms = agreement_per_roll_call(X, Y)
    # d = [0, 1, 0, 0, 2]: 1 - d / 2.
    np.testing.assert_allclose(terms, [1, 0.5, 1, 1, 0])
    assert terms.mean() == pytest.approx(pair_scores(X, Y)["agree"])
