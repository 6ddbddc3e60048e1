"""Tests of alignment.formulas: the one table of the metrics, and every form generated from it
(floats, exact counts, SQL) against the plain reference ``metrics.pair_scores``."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from test_metrics import CASES

from alignment import formulas, metrics
from alignment.vocabulary import CELL_COLUMNS, METRICS


def test_integer_coefficients_worked_by_hand() -> None:
    """The count form's weights, derived by hand from 1 - scale · O / E.

    agree = 1 - (½ D1 + D2) / T = 1 - (D1 + 2 D2) / (2T); S_abs = 1 - 2 (½ D1 + D2) / T =
    1 - (D1 + 2 D2) / T; S_sq = 1 - 2 (¼ D1 + D2) / T = 1 - (D1 + 4 D2) / (2T). Kappa and pi
    with δ = (½, 1), (¼, 1), (1, 1) scale both O and E by 2, 4, 1; pi's 4T over ordered pairs
    of pooled counts is 2T over unordered ones.
    """
    r = formulas.RATIOS
    assert (r["exact"].observed, r["exact"].times_total) == ((1, 1), 1)
    assert (r["agree"].observed, r["agree"].times_total) == ((1, 2), 2)
    assert (r["s_abs"].observed, r["s_abs"].times_total) == ((1, 2), 1)
    assert (r["s_sq"].observed, r["s_sq"].times_total) == ((1, 4), 2)
    for kind, f in (("abs", 2), ("sq", 4), ("nominal", 1)):
        assert r[f"kappa_{kind}"] == formulas.Ratio((1, f), (1, f), 1)
        assert r[f"pi_{kind}"] == formulas.Ratio((1, f), (1, f), 2)
    # 8 T² is the largest integer (pi_sq: 2T · 4 D2 with D2 <= T), so int32 holds T < 16384.
    assert formulas.count_bound() == 8
    assert metrics._INT32_TOTAL == 16383


def test_cells_by_steps() -> None:
    names = [[CELL_COLUMNS[i] for i in step] for step in formulas.STEP_CELLS]
    assert sorted(names[0]) == ["abstain_no", "abstain_yes", "no_abstain", "yes_abstain"]
    assert sorted(names[1]) == ["no_yes", "yes_no"]


def _sql_scores(tables: np.ndarray) -> dict[str, np.ndarray]:
    """The SQL form over (N, 9) tables of counts."""
    con = duckdb.connect()
    columns = ", ".join(f"{c} INTEGER" for c in CELL_COLUMNS)
    con.execute(f"CREATE TABLE t (i INTEGER, n INTEGER, {columns})")
    rows = [(i, int(row.sum()), *map(int, row)) for i, row in enumerate(tables)]
    if rows:
        con.executemany(
            f"INSERT INTO t VALUES ({', '.join(['?'] * (len(CELL_COLUMNS) + 2))})", rows
        )
    computed = ", ".join(f"{sql} AS {m}" for m, sql in formulas.metric_sql().items())
    result = con.sql(f"SELECT {computed} FROM t ORDER BY i").fetchnumpy()
    return {m: np.asarray(result[m], dtype=np.float64) for m in METRICS}


def _tables(x: list[int], y: list[int]) -> np.ndarray:
    return metrics.contingency_tables(np.array([x, y], dtype=np.int8))[0, 1].reshape(1, 9)


@pytest.mark.parametrize(("x", "y", "want"), CASES)
def test_every_form_gives_the_worked_examples(x, y, want) -> None:
    tables = _tables(x, y)
    forms = {
        "float": metrics._scores_flat(tables.T, METRICS),
        "count": metrics._scores_counts(tables.T, METRICS),
        "sql": _sql_scores(tables),
    }
    for form, got in forms.items():
        for m in METRICS:
            if math.isnan(want[m]):
                assert math.isnan(got[m][0]), (form, m)
            else:
                assert got[m][0] == pytest.approx(want[m], abs=1e-12), (form, m)


pairs = st.integers(1, 60).flatmap(
    lambda n: st.tuples(
        arrays(np.int8, n, elements=st.sampled_from([0, 1, 2, 3])),
        arrays(np.int8, n, elements=st.sampled_from([0, 1, 2, 3])),
    )
)


@settings(max_examples=40, deadline=None)
@given(st.lists(pairs, min_size=1, max_size=8))
def test_generated_forms_equal_the_reference(batch) -> None:
    """Float, count and SQL forms against pair_scores; the count and SQL forms bit for bit
    (both are one correctly rounded division of exact integers)."""
    tables = np.concatenate([_tables(list(x), list(y)) for x, y in batch])
    floats = metrics._scores_flat(tables.T, METRICS)
    counts = metrics._scores_counts(tables.T, METRICS)
    sql = _sql_scores(tables)
    for i, (x, y) in enumerate(batch):
        want = metrics.pair_scores(x, y)
        for m in METRICS:
            if math.isnan(want[m]):
                assert math.isnan(floats[m][i]) and math.isnan(counts[m][i]), m
            else:
                assert floats[m][i] == pytest.approx(want[m], abs=1e-12), m
                assert counts[m][i] == pytest.approx(want[m], abs=1e-12), m
    for m in METRICS:
        np.testing.assert_array_equal(sql[m], counts[m], err_msg=m)


def test_counts_past_int32_switch_to_int64() -> None:
    """A table of 20,000 roll calls: 8 T² passes 2**31, and the values stay exact."""
    table = np.array([[12000, 3000, 1000, 2000, 500, 500, 500, 300, 200]]).T
    got = metrics._scores_counts(table, METRICS)
    want = metrics._scores_flat(table.astype(np.float64), METRICS)
    for m in METRICS:
        assert got[m][0] == pytest.approx(want[m][0], abs=1e-12), m


def test_words_come_from_the_table() -> None:
    assert formulas.comment("agree").startswith("Voeten's agreement index")
    assert "NaN when undefined" in formulas.comment("kappa_abs")
    assert "NaN" not in formulas.comment("s_sq")
    table = formulas.markdown_table().splitlines()
    assert len(table) == 2 + len(METRICS)
    assert table[2].startswith("| `exact` |")
