"""The flagship report's findings and tables against the store, recomputed in SQL."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import gzip
import hashlib
import itertools
import json
import math
import re
import shutil
from pathlib import Path

import duckdb
import plotly.offline
import polars as pl
import pytest
from click.testing import CliRunner
from markupsafe import escape
from report_fixtures import XSS_SCRIPT, build_tiny_store

from alignment import analyses, reports, store
from alignment.cli import cli
from alignment.reports.citation import short_title
from alignment.reports.tables import csv_cell, script_json

CSTO_NO_SQL = """
SELECT v.iso3 FROM votes v JOIN roll_calls r USING (roll_call_id)
JOIN bloc_memberships m ON m.iso3 = v.iso3 AND m.bloc = 'csto' AND m.status = 'member'
  AND m.joined <= r.date AND coalesce(m."left", DATE '9999-12-31') >= r.date
WHERE r.symbol = 'A/RES/66/253' AND r.kind = 'resolution' AND v.vote = 'N' ORDER BY 1
"""

TOPIC_CTE = """
WITH topic AS (
  SELECT DISTINCT r.roll_call_id, r.date, r.session FROM roll_calls r
  JOIN roll_call_topics t USING (roll_call_id)
  WHERE t.topic = 'syria' AND t.strength = 'primary' AND r.date >= DATE '2011-01-01'
),
split AS (  -- roll calls on which the voting states did not all vote alike
  SELECT roll_call_id FROM votes WHERE vote IN ('Y', 'A', 'N')
  GROUP BY roll_call_id HAVING count(DISTINCT vote) > 1
),
pair AS (
  SELECT t.roll_call_id, t.date, t.session, a.vote AS va, b.vote AS vb,
         1 - abs((CASE a.vote WHEN 'Y' THEN 1 WHEN 'A' THEN 2 ELSE 3 END)
               - (CASE b.vote WHEN 'Y' THEN 1 WHEN 'A' THEN 2 ELSE 3 END)) / 2.0 AS agree
  FROM topic t
  JOIN votes a ON a.roll_call_id = t.roll_call_id AND a.iso3 = $a AND a.vote IN ('Y', 'A', 'N')
  JOIN votes b ON b.roll_call_id = t.roll_call_id AND b.iso3 = $b AND b.vote IN ('Y', 'A', 'N')
)
"""


@pytest.fixture(scope="module")
def _tiny_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_store(tmp_path_factory.mktemp("tiny") / "tiny.duckdb")


@pytest.fixture()
def tiny(_tiny_built: Path, tmp_path: Path) -> Path:
    """A copy of the hand-made store of report_fixtures (built once for the module), which a
    test may change."""
    copy = tmp_path / "tiny.duckdb"
    shutil.copy(_tiny_built, copy)
    return copy


@pytest.fixture(scope="module")
def flagship(built_store: Path) -> reports.Report:
    con = store.connect(built_store)
    try:
        return reports.build_report(con, reports.flagship(), bootstrap=50)
    finally:
        con.close()


def test_csto_members_that_voted_no_on_66_253(flagship, con) -> None:
    kv = flagship.sections.summary.facts.key_vote
    expected = [r[0] for r in con.sql(CSTO_NO_SQL).fetchall()]
    assert kv.voted_no == expected == ["BLR", "RUS"]
    assert kv.symbol == "A/RES/66/253"
    assert str(kv.date) == "2012-02-16"
    members = con.sql(
        """SELECT iso3 FROM bloc_memberships WHERE bloc = 'csto' AND status = 'member'
           AND joined <= DATE '2012-02-16' AND coalesce("left", DATE '9999-12-31') >= DATE '2012-02-16'
           ORDER BY 1"""
    ).fetchall()
    assert kv.members == [m[0] for m in members]


def test_resolutions_where_belarus_and_russia_differ(flagship, con) -> None:
    (diff,) = flagship.sections.details.differences
    assert (diff.a, diff.b) == ("BLR", "RUS")
    rows = con.sql(
        TOPIC_CTE
        + "SELECT roll_call_id, va, vb FROM pair WHERE va <> vb ORDER BY date, roll_call_id",
        params={"a": "BLR", "b": "RUS"},
    ).fetchall()
    got = [(r.roll_call_id, r.vote_a, r.vote_b) for r in diff.roll_calls]
    assert got == [tuple(r) for r in rows]
    assert got  # they split on some Syria vote since 2011 (A/RES/66/253 is not one)
    n = con.sql(
        TOPIC_CTE + "SELECT count(*) FROM pair", params={"a": "BLR", "b": "RUS"}
    ).fetchall()[0]
    assert diff.n_common == n[0]


@pytest.mark.parametrize("partner", ["RUS", "SYR"])
def test_position_changes_between_sessions(flagship, con, partner) -> None:
    (change,) = [c for c in flagship.sections.details.changes if c.partner == partner]
    rows = con.sql(
        TOPIC_CTE
        + """SELECT session, avg(agree), count(*) FROM pair
        WHERE roll_call_id IN (SELECT roll_call_id FROM split) GROUP BY session ORDER BY session""",
        params={"a": "BLR", "b": partner},
    ).fetchall()
    assert [(s.session, s.n) for s in change.sessions] == [(r[0], r[2]) for r in rows]
    for s, r in zip(change.sessions, rows, strict=True):
        assert s.agree == pytest.approx(r[1])
    expected = [
        (cur[0], prev[0])
        for prev, cur in itertools.pairwise(rows)
        if abs(cur[1] - prev[1]) >= 0.1 - 1e-12
    ]
    assert [(c.session, c.previous_session) for c in change.changes] == expected
    # The largest shift: brute force over every split of the vote-by-vote agreement.
    seq = con.sql(
        TOPIC_CTE
        + """SELECT roll_call_id, date, agree FROM pair
        WHERE roll_call_id IN (SELECT roll_call_id FROM split) ORDER BY date, roll_call_id""",
        params={"a": "BLR", "b": partner},
    ).fetchall()
    vals = [r[2] for r in seq]
    n = len(vals)

    def stat(k: int) -> float:
        before, after = vals[:k], vals[k:]
        return abs(sum(before) / k - sum(after) / (n - k)) * ((k * (n - k) / n) ** 0.5)

    best = max(range(3, n - 2), key=lambda k: (stat(k), -k))
    cp = change.change_point
    assert cp.roll_call_id == seq[best][0]
    assert cp.before == pytest.approx(sum(vals[:best]) / best)
    # The end of the Assad government splits the same sequence by date.
    (event,) = change.events
    after = [v for (_, d, v) in seq if d >= event.date]
    assert event.n_after == len(after)
    assert event.after == pytest.approx(sum(after) / len(after))


def test_vote_matrix_matches_store(flagship, con) -> None:
    m = flagship.matrix
    ids = con.sql(
        """SELECT DISTINCT r.roll_call_id FROM roll_calls r JOIN roll_call_topics t USING (roll_call_id)
           WHERE t.topic = 'syria' AND t.strength = 'primary' AND r.date >= DATE '2011-01-01'
           ORDER BY 1"""
    ).fetchall()
    assert sorted(m["roll_call_id"].to_list()) == [i[0] for i in ids]
    for col in ("BLR", "SYR", "RUS", "CHN", "IRN", "USA"):
        assert col in m.columns
    # A bloc column holds a vote exactly on the days of membership: Uzbekistan left the CSTO
    # (status member) on 2012-06-27 and is in no other bloc of the matrix.
    uzb = m.filter(m["UZB"].is_not_null())
    assert uzb["date"].max().isoformat() <= "2012-12-19"
    votes = dict(
        ((r, s), v) for r, s, v in con.sql(
            "SELECT roll_call_id, iso3, vote FROM votes WHERE iso3 IN ('BLR', 'RUS', 'UZB')"
        ).fetchall()
    )  # fmt: skip
    for row in m.iter_rows(named=True):
        assert row["BLR"] == votes.get((row["roll_call_id"], "BLR"))
        assert row["RUS"] == votes.get((row["roll_call_id"], "RUS"))
        if row["UZB"] is not None:
            assert row["UZB"] == votes[(row["roll_call_id"], "UZB")]


def test_eu_majority_is_the_plurality_of_members_on_the_day(flagship, con) -> None:
    rows = con.sql(
        """WITH c AS (
             SELECT r.roll_call_id, v.vote, count(*) AS n FROM roll_calls r
             JOIN bloc_memberships m ON m.bloc = 'eu' AND m.status = 'member'
               AND m.joined <= r.date AND coalesce(m."left", DATE '9999-12-31') >= r.date
             JOIN votes v ON v.roll_call_id = r.roll_call_id AND v.iso3 = m.iso3
             WHERE v.vote IN ('Y', 'A', 'N') GROUP BY ALL),
           top AS (SELECT roll_call_id, max(n) AS n FROM c GROUP BY 1)
           SELECT c.roll_call_id, CASE WHEN count(*) > 1 THEN 'X' ELSE any_value(c.vote) END
           FROM c JOIN top USING (roll_call_id, n) GROUP BY 1"""
    ).fetchall()
    expected = dict(rows)
    for rc, v in flagship.matrix.select("roll_call_id", "bloc:eu").iter_rows():
        assert v == expected.get(rc, "X")


def test_sentences_name_the_computed_answers(flagship) -> None:
    text = flagship.html
    assert "CSTO members split: 2 voted no (Belarus and Russia)" in text
    # The votes on which Belarus and Russia differed are named, by symbol.
    (diff,) = flagship.sections.details.differences
    symbols = {r.symbol for r in diff.roll_calls}
    assert symbols and all(s in text for s in symbols)


def test_page_is_self_contained(flagship) -> None:
    page = flagship.html
    js = plotly.offline.get_plotlyjs()
    assert page.count(js[:2000]) == 1  # plotly.js inlined once
    assert len(page.encode()) < 10_000_000
    assert not re.search(r"<script[^>]+src=", page)
    assert "<link" not in page
    assert "MathJax.Hub" not in page.replace(js, "")
    assert "cdn.plot.ly" not in page.replace(js, "")
    assert flagship.n_figures == 6


def test_build_does_not_write_the_store(built_store: Path, tmp_path: Path) -> None:
    before = hashlib.sha256(built_store.read_bytes()).hexdigest()
    modified = built_store.stat().st_mtime_ns
    with store.connect(built_store) as con:
        spec = reports.resolve_country(con, "KAZ", topic="syria", start_year=2015)
    path, report = reports.write_report(built_store, spec, tmp_path)
    assert path.is_file() and report.matrix.height > 0
    con = store.connect(built_store)
    with pytest.raises(duckdb.Error):
        con.sql("CREATE TABLE x (a INTEGER)")
    con.close()
    assert hashlib.sha256(built_store.read_bytes()).hexdigest() == before
    assert built_store.stat().st_mtime_ns == modified


def test_script_json_cannot_close_the_script() -> None:
    text = script_json({"t": "</script><!-- <script>alert(1)</script> & \u2028"})
    assert "<" not in text and ">" not in text and "\u2028" not in text
    assert json.loads(text) == {"t": "</script><!-- <script>alert(1)</script> & \u2028"}


def test_unknown_bloc_and_state_are_one_line_errors(built_store: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["report", "bloc", "nosuch", "--db", str(built_store)])
    assert r.exit_code == 2 and "unknown bloc 'nosuch'; known: " in r.output
    r = runner.invoke(cli, ["report", "country", "XXX", "--db", str(built_store)])
    assert r.exit_code == 2 and "unknown country code 'XXX'; known: " in r.output


@pytest.fixture(scope="module")
def no_topic(ideal_points_store: Path) -> reports.Report:
    """Belarus from 2011 on all votes: its ideal points are the store's."""
    con = store.connect(ideal_points_store)
    try:
        spec = reports.resolve_country(con, "BLR", topic=None, start_year=2011)
        return reports.build_report(con, spec, bootstrap=10)
    finally:
        con.close()


def test_ideal_points_are_read_from_the_store(no_topic, ideal_points_con) -> None:
    con = ideal_points_con
    ideal = no_topic.sections.ideal.paths
    assert ideal.source == "store"
    first, last = ideal.years
    # The years of the report's window: 2011 to the year of the store's latest vote.
    latest = con.sql("SELECT year(max(date)) FROM roll_calls").fetchall()[0][0]
    assert (first, last) == (2011, latest)
    states = sorted(set(ideal.frame["iso3"]))
    assert "BLR" in states
    rows = con.sql(
        """SELECT iso3, period, method, ideal_point, se, lower, upper, n_votes, iterations,
                  replicates, rhat, ess_bulk, ess_tail
           FROM ideal_points WHERE period_type = 'year' AND vote_set = 'all'
             AND period BETWEEN $first AND $last AND list_contains($states, iso3)
           ORDER BY iso3, period""",
        params={"first": first, "last": last, "states": states},
    ).fetchall()
    assert [tuple(r) for r in ideal.frame.iter_rows()] == [tuple(r) for r in rows]
    assert "read from the store's table" in no_topic.html


def test_em_ideal_points_say_how_they_were_estimated(no_topic, flagship, ideal_points_con) -> None:
    """EM estimates: one plain sentence on the method, the bootstrap's band, no convergence
    box; a topic report's (the flagship, on Syria) come from the topic's roll calls."""
    con = ideal_points_con
    stored = dict(con.sql("SELECT key, value FROM store_meta").fetchall())
    for report in (no_topic, flagship):
        ideal = report.sections.ideal.paths
        assert ideal.method == "em" and ideal.convergence is None
        assert 'id="ideal-convergence"' not in report.html
        text = report.html.split('id="ideal-source"', 1)[1].split("</p>", 1)[0]
        assert (
            f"Estimated by a deterministic variational EM of that model ({ideal.iterations} "
            "iterations)"
        ) in text
        assert f"parametric bootstrap ({ideal.replicates} sets of votes simulated" in text
    assert no_topic.sections.ideal.paths.iterations == int(
        stored["ideal_points_year_all_iterations"]
    )
    topic = flagship.sections.ideal.paths
    assert topic.source == "topic" and topic.topic == "syria"
    assert "Estimated for this report from the <code>syria</code> roll calls only" in flagship.html
    # The topic's own votes: fewer per state and year than the stored all-votes series has.
    stored_n = con.sql(
        """SELECT sum(n_votes) FROM ideal_points WHERE period_type = 'year' AND vote_set = 'all'
           AND iso3 = 'BLR' AND period >= 2011"""
    ).fetchall()[0][0]
    assert 0 < topic.frame.filter(pl.col("iso3") == "BLR")["n_votes"].sum() < stored_n / 5


def test_sampled_ideal_points_that_miss_the_standard_get_the_box(tiny: Path) -> None:
    """A stored series from the sampler (method mcmc) that misses the publication standard:
    the warning box, with the worst R-hat of the points shown."""
    db = tiny
    con = duckdb.connect(str(db))
    con.execute(
        "UPDATE ideal_points SET method = 'mcmc', rhat = 1.3, ess_bulk = 50, ess_tail = 60, "
        "iterations = 400, final_change = NULL, replicates = NULL"
    )
    con.close()
    con = store.connect(db)
    try:
        spec = reports.resolve_country(con, "BLR", topic=None, start_year=2011)
        report = reports.build_report(con, spec, bootstrap=10)
    finally:
        con.close()
    assert report.sections.ideal.paths.method == "mcmc"
    body = report.html.split('id="ideal-convergence"', 1)[1].split("</p>", 1)[0]
    assert "<b>These estimates are not converged to the publication standard.</b>" in body
    assert "The worst R-hat among them\nis 1.300" in body
    assert "posterior means of the published model's sampler" in report.html


def test_flagship_summary_numbers(flagship, con) -> None:
    """The first sentences of the flagship's summary, from SQL: how many votes on Syria, and
    how often Belarus voted the same way as each partner on the contested ones."""
    n, first, last = con.sql(
        TOPIC_CTE.split("split AS")[0].rstrip().rstrip(",")
        + " SELECT count(*), min(date), max(date) FROM topic",
        params={},
    ).fetchall()[0]
    summary = flagship.summary
    assert summary[0] == (
        f"The General Assembly held {n} recorded votes on Syria between {first.day} "
        f"{first:%B %Y} and {last.day} {last:%B %Y}."
    )
    shares = []
    for partner in ("RUS", "SYR", "USA"):
        same, both = con.sql(
            TOPIC_CTE
            + """SELECT count(*) FILTER (WHERE va = vb), count(*) FROM pair
                 WHERE roll_call_id IN (SELECT roll_call_id FROM split)""",
            params={"a": "BLR", "b": partner},
        ).fetchall()[0]
        shares.append((math.floor(100 * same / both + 0.5), both))
    (rus, n_rus), (syr, n_syr), (usa, n_usa) = shares
    assert summary[2].startswith(
        f"Belarus voted the same way as Russia on {rus}% of {n_rus} contested votes "
        f"on Syria, Syria on {syr}% of {n_syr}, the United States on {usa}% of {n_usa}"
    )


def test_long_tables_show_50_rows_and_download_all(flagship) -> None:
    """The table of every state has about 190 rows: the page shows 50, the CSV data all."""
    page = flagship.html
    table = page[page.index('<table id="every-state"') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 1 + 50  # the header and 50 rows; the rest hidden, sortable
    assert table.count("<tr hidden>") > 100
    packed = json.loads(page.split('id="every-state-data">', 1)[1].split("</script>", 1)[0])
    assert packed["encoding"] == "gzip+base64"
    data = json.loads(gzip.decompress(base64.b64decode(packed["data"])))
    assert len(data["rows"]) > 150
    assert "The first 50 of" in page
    assert 'id="download-every-state" data-table="every-state"' in page


def test_the_first_screen_leads_with_three_takeaways_and_one_chart(flagship) -> None:
    page = flagship.html.split("<body>", 1)[1]
    order = [page.index(f'<section id="{s}"') for s in
             ("summary", "agreement", "findings", "coverage", "world", "ideal", "matrix",
              "tables")]  # fmt: skip
    assert order == sorted(order)
    takeaways = page[page.index('<ul id="takeaways">') :].split("</ul>", 1)[0]
    assert takeaways.count("<li>") == 3
    # The first chart of the page is the agreement over time, right after the takeaways.
    assert page.index('id="fig-', page.index('id="takeaways"')) == page.index('id="fig-agreement"')
    assert page.index('id="fig-agreement"') < page.index('<section id="findings"')
    # The coverage table waits in a collapsed section.
    coverage = page[page.index('<section id="coverage"') :].split("</section>", 1)[0]
    assert coverage.index('<details class="coverage">') < coverage.index(
        '<table id="series-coverage"'
    )
    assert "<details open" not in coverage
    assert page.index('<table id="every-state"') > page.index('id="fig-matrix"')


def test_csv_cells_cannot_start_a_formula() -> None:
    for text in ("=1+1", "+A1", "-1+2", "-x", "@SUM(A1)", "\tx", "\r=1", "=", "-"):
        assert csv_cell(text) == "'" + text
    for value in ("-1", "-0.5", "+2", "-1e3", "-.5", "Syria", "a=b", "", None, -3, 2.5, "Y"):
        assert csv_cell(value) == value


def test_long_titles_are_cut_at_a_word() -> None:
    text = "word " * 100
    cut = short_title(text)
    assert len(cut) <= 200 and cut.endswith("word…")
    assert short_title("a  short\ntitle") == "a short title"
    assert short_title(None) == ""


def test_tiny_store_long_title_and_no_ideal_points(tiny: Path) -> None:
    db = tiny
    long_title = "Meeting record " + "blah " * 80 + f'{XSS_SCRIPT} "><b>end'
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM ideal_points")
    con.execute(
        "UPDATE roll_calls SET title = $t WHERE symbol = (SELECT min(symbol) FROM roll_calls "
        "WHERE title LIKE '%<script>%')",
        {"t": long_title},
    )
    con.close()
    con = store.connect(db)
    try:
        spec = reports.resolve_country(con, "BLR", topic="syria", start_year=2011)
        # The stored series asked for (a topic report would estimate its own).
        spec = dataclasses.replace(spec, ideal_topic=None)
        report = reports.build_report(con, spec, bootstrap=10)
    finally:
        con.close()
    ideal = report.sections.ideal.paths
    assert ideal.source == "none" and ideal.frame.is_empty()
    assert "The store holds no ideal point estimates" in report.html
    body = report.html.split("<body>", 1)[1]
    start = body.index('<table id="differences"')
    table = body[start : body.index("</table>", start)]
    shown = short_title(long_title)
    assert len(shown) <= 200
    escaped = long_title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert f'title="{escaped.replace(chr(34), "&#34;")}"' in table
    assert f">{shown}</td>" in table
    assert "<script>" not in table and "<b>" not in table


def test_topic_ideal_points_are_estimated_and_said(tiny: Path) -> None:
    con = store.connect(tiny)
    try:
        spec = reports.resolve_country(con, "BLR", topic="syria", start_year=2011)
        spec = dataclasses.replace(spec, ideal_topic="syria")
        report = reports.build_report(con, spec, bootstrap=10)
    finally:
        con.close()
    assert report.sections.ideal.paths.source == "topic"
    assert 'ideal_points(con, topic="syria")' in report.html.replace("&#34;", '"')


def test_partners_and_blocs_choose_the_comparison(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.html"
    runner = CliRunner()
    args = ["report", "country", "blr", "--topic", "syria", "--db", str(tiny), "-o", str(out)]
    r = runner.invoke(cli, [*args, "--partners", "chn, RUS", "--blocs", "csto"])
    assert r.exit_code == 0, r.output
    summary = out.read_text().split('<section id="summary">')[1].split("</section>")[0]
    said = next(li for li in summary.split("<li>") if li.startswith("Belarus voted the same way"))
    # The partners in the order given, no bloc majority (the CSTO is small: member by member).
    assert said.startswith("Belarus voted the same way as China on ")
    assert " and Russia on " in said
    assert "majority" not in said and "United States" not in said
    r = runner.invoke(cli, [*args, "--partners", "RUS,XXX"])
    assert r.exit_code == 2 and "unknown country code 'XXX'" in r.output
    r = runner.invoke(cli, [*args, "--blocs", "nosuch"])
    assert r.exit_code == 2 and "unknown bloc 'nosuch'" in r.output


def test_gallery_writes_the_reports_an_index_and_one_plotly_file(
    tiny: Path, tmp_path: Path
) -> None:
    """A gallery writes its reports, an index linking them, and plotly.js once beside them,
    which they load; a report written on its own carries it inlined (see
    test_page_is_self_contained)."""
    from alignment.reports import gallery

    with store.connect(tiny) as con:
        specs = [
            reports.resolve(con, "country", "BLR", topic="syria"),
            reports.resolve(con, "bloc", "csto"),
        ]
    site = tmp_path / "site"
    index, _ = gallery.write_gallery(tiny, specs, site, bootstrap=10)
    page = index.read_text()
    for spec in specs:
        assert (site / f"{spec.slug}.html").is_file()
        assert f'<a href="{spec.slug}.html">{spec.title}</a>' in page
    assert "The General Assembly held 12 recorded votes on Syria" in page
    assert (site / gallery.PLOTLY_FILE).read_text() == plotly.offline.get_plotlyjs()
    for spec in specs:
        report = (site / f"{spec.slug}.html").read_text()
        assert f'<script src="{gallery.PLOTLY_FILE}"></script>' in report
        assert plotly.offline.get_plotlyjs()[:2000] not in report
        assert len(report.encode()) < 2_000_000


def test_gallery_specs_resolve_on_the_real_store(con) -> None:
    from alignment.reports import gallery

    specs = gallery.specs(con)
    assert [s.slug for s in specs] == [
        "belarus-syria", "country-usa", "country-kaz-syria-2015-latest", "bloc-eu",
        "bloc-csto-ukraine",
    ]  # fmt: skip


def test_a_report_says_where_a_series_it_draws_stops(built_store: Path, con) -> None:
    """The CSTO on Ukraine since 2011: ES-11 (the Ukraine votes of 2022-2023) stops in the
    sources here while the regular sessions run on; the report says so in its coverage
    section and beside the chart over time, and its coverage table holds the series that
    carry a Ukraine roll call, as the coverage table of the store has them."""
    reader = store.connect(built_store)
    try:
        spec = reports.resolve(reader, "bloc", "csto", topic="ukraine")
        report = reports.build_report(reader, spec, bootstrap=20)
    finally:
        reader.close()
    (last_es11,) = con.execute(
        "SELECT max(date) FROM roll_calls WHERE series = 'ES-11'"
    ).fetchall()[0]
    stop = (
        "ES-11 (emergency special session): the sources here hold its records only through "
        f"{last_es11.day} {last_es11:%B %Y}"
    )
    coverage = re.search(r'<section id="coverage">(.*?)</section>', report.html, re.S)[1]
    agreement = re.search(r'<section id="agreement">(.*?)</section>', report.html, re.S)[1]
    assert stop in coverage and stop in agreement
    # Numbering gaps are said in the coverage section only, not beside the chart.
    assert "resolution number" not in agreement
    series = {
        r[0]
        for r in con.execute(
            """SELECT DISTINCT series FROM roll_calls JOIN roll_call_topics USING (roll_call_id)
               WHERE topic = 'ukraine' AND strength = 'primary'
                 AND series IN (SELECT series FROM coverage WHERE source = 'store'
                                AND last_record >= DATE '2011-01-01')"""
        ).fetchall()
    }
    table = re.search(r'<table id="series-coverage"[^>]*>(.*?)</table>', report.html, re.S)[1]
    shown = set(re.findall(r"<tr><td>([^<]+)</td>", table))
    assert shown == series and "ES-11" in shown
    # Whether the sources differ on the votes shown, as analyses.differences finds it.
    ids = analyses.topic_roll_calls(con, "ukraine", dt.date(2011, 1, 1), dt.date(9999, 12, 31))
    said = analyses.differences_sentence(analyses.differences(con, ids))
    expected = said or "The sources agree on every vote shown here and with every published tally."
    assert f"<p>{escape(expected)}</p>" in coverage  # as Jinja escapes it
