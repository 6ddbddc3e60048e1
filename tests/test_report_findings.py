"""The rules that choose what a report claims, each on a tiny store written by hand, with the
answer worked out here: enough votes in common to rank a state (a share of the subject's
votes), ties named as ties, a change only with enough votes on both sides and an interval
that excludes no change, the latest session's box, a known gap said in the first sentence,
votes cited with their title and UN record.

Two sessions of 25 contested roll calls each (79: November 2024, 80: November 2025) and one
unanimous vote of the emergency special session ES-11 (March 2025), the last the store holds
of it. The United States votes yes throughout, Russia no throughout (so every other vote is
contested):

- France, Germany: yes throughout (100%, tied at the top);
- Russia, China: no throughout (0%, tied at the bottom);
- the United Kingdom: yes in session 79 (25 of 25), yes on 5 of 25 in session 80 (20%);
- Canada: yes on the first 10 votes only, then absent (10 of the 50: under 80%, not ranked);
- Brazil: yes on 19 votes of session 79 (absent on 6), no throughout session 80: a fall of 100
  points resting on 19 votes, under the 20 a change needs;
- India: yes and abstain by turns (13 of 25, then 12 of 25 alike): no change to speak of.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest

from alignment import build, reports, store
from alignment.countries import Crosswalk
from alignment.reports import facts, findings
from alignment.reports.citation import cite, linkify
from alignment.sources.rows import ROLL_CALL_SCHEMA, VOTE_SCHEMA, SourceRows
from alignment.titles import readable_titles

N = 25  # contested roll calls per session


def _pattern(iso3: str, j: int) -> str:
    """The vote of ``iso3`` on contested roll call ``j`` (0-24: session 79, 25-49: 80)."""
    second = j >= N
    return {
        "USA": "Y", "FRA": "Y", "DEU": "Y", "RUS": "N", "CHN": "N",
        "GBR": "N" if second and j >= N + 5 else "Y",
        "CAN": "Y" if j < 10 else "X",
        "BRA": "N" if second else ("Y" if j < 19 else "X"),
        "IND": "Y" if j % 2 == 0 else "A",
    }[iso3]  # fmt: skip


STATES = ["USA", "FRA", "DEU", "RUS", "CHN", "GBR", "CAN", "BRA", "IND"]


def _day(j: int) -> dt.date:
    return dt.date(2024, 11, 1 + j) if j < N else dt.date(2025, 11, 1 + j - N)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("findings") / "findings.duckdb"
    calls, votes = [], []
    rows = [(j, _day(j), f"A/RES/{79 + j // N}/{100 + j}", {s: _pattern(s, j) for s in STATES})
            for j in range(2 * N)]  # fmt: skip
    rows.append((2 * N, dt.date(2025, 3, 3), "A/RES/ES-11/9", dict.fromkeys(STATES, "Y")))
    for j, day, symbol, cast in rows:
        letters = list(cast.values())
        calls.append({
            "source": "unxml_json", "source_id": f"rc{j}", "rcid": None, "undl_id": 5000 + j,
            "symbol": symbol, "date": day, "session": 79 if day < dt.date(2025, 9, 9) else 80,
            "title": f"Text number {j}", "kind": "resolution", "important": None,
            "yes": letters.count("Y"), "no": letters.count("N"), "abstain": letters.count("A"),
            "non_voting": letters.count("X"), "topics": [], "subjects": [],
        })  # fmt: skip
        votes += [{"source": "unxml_json", "source_id": f"rc{j}", "iso3": s, "vote": v}
                  for s, v in cast.items()]  # fmt: skip
    source = SourceRows("unxml_json", "findings.json", pl.DataFrame(calls, schema=ROLL_CALL_SCHEMA),
                        pl.DataFrame(votes, schema=VOTE_SCHEMA), absent_listed=True)  # fmt: skip
    files = [{"source": "unxml_json", "location": "https://example.invalid/findings.json",
              "sha256": "0" * 64, "size": 1, "modified": dt.datetime(2026, 1, 1), "etag": None}]  # fmt: skip
    build.build_store(db, [source], crosswalk=Crosswalk.load(), files=files, origin="tests",
                started_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))  # fmt: skip
    return db


@pytest.fixture(scope="module")
def report(tiny: Path) -> reports.Report:
    con = store.connect(tiny)
    try:
        spec = reports.resolve(
            con, "country", "USA", start_year=2024, partners=["GBR", "BRA", "IND"], blocs=[]
        )
        return reports.build_report(con, spec, bootstrap=200)
    finally:
        con.close()


def test_most_and_least_alike_need_four_in_five_of_the_subjects_votes_and_ties_are_named(
    report: reports.Report,
) -> None:
    e = report.sections.summary.facts.extremes
    # The United States voted on all 50 contested votes: a state must share 40 of them.
    assert (e.focus_n, e.least) == (50, 40)
    # Canada (10 votes, all alike) is not ranked; Brazil (44) is.
    assert e.n_eligible == 7
    assert [(s.iso3, s.exact, s.n) for s in e.top] == [("DEU", 1.0, 50), ("FRA", 1.0, 50)]
    assert [(s.iso3, s.exact, s.n) for s in e.bottom] == [("CHN", 0.0, 50), ("RUS", 0.0, 50)]
    assert report.summary[1] == (
        "Of the 7 states that voted on at least 80% of the 50 contested votes held here that "
        "the United States voted on, Germany and France voted the same way as the United "
        "States on every one they both voted on; China and Russia never did."
    )


def test_a_change_needs_twenty_votes_each_side_and_an_interval_without_zero(
    report: reports.Report,
) -> None:
    move = report.sections.summary.facts.largest_change
    # Brazil falls by 100 points but on 19 votes in session 79; India moves by 4 points.
    assert (move.partner, move.session_before, move.session_after) == ("GBR", 79, 80)
    assert (move.before, move.n_before, move.after, move.n_after) == (1.0, 25, 0.2, 25)
    assert move.lower < move.upper < 0 and move.lower <= -0.8 <= move.upper
    assert re.fullmatch(
        r"The largest change from one session to the next: the United States voted the same "
        r"way as the United Kingdom on 100% of 25 contested votes held here in the session that "
        r"opened in 2024 and on 20% of 25 in the one that opened in 2025 \(a fall of 80 points, "
        r"95% interval \d+ to \d+ points\)\.",
        report.summary[-1],
    )


def test_no_change_is_reported_without_enough_votes() -> None:
    """The same rule on frames: Brazil alone, 19 votes before."""
    votes = pl.DataFrame(
        [(j, s, _pattern(s, j)) for j in range(2 * N) for s in ("USA", "BRA", "RUS")],
        schema={"roll_call_id": pl.Int64, "iso3": pl.String, "vote": pl.String}, orient="row",
    )  # fmt: skip
    from alignment import shifts

    rc = pl.DataFrame({"roll_call_id": range(2 * N), "date": [_day(j) for j in range(2 * N)],
                       "session": [79 + j // N for j in range(2 * N)], "kind": "resolution",
                       "important": None})  # fmt: skip
    found = shifts.session_shifts(votes, rc, "USA", bootstrap=200)
    bra = found.frame.filter(pl.col("iso3") == "BRA").row(0, named=True)
    assert (bra["n_from"], bra["value_from"], bra["n_to"], bra["value_to"]) == (19, 1.0, 25, 0.0)
    assert not bra["notable"] and found.notable.is_empty()


def test_the_latest_session_box(report: reports.Report) -> None:
    latest = report.sections.summary.facts.latest
    # Compared in both sessions on 20 votes or more: France, Germany, Russia, China, the United
    # Kingdom, India (Canada and Brazil too few); only the United Kingdom moved.
    assert (latest.session, latest.previous, latest.n_states) == (80, 79, 6)
    assert (latest.falls, latest.rises, latest.sitting) == (1, 0, True)
    assert [m.partner for m in latest.largest] == ["GBR"]
    box = report.sections.summary.latest
    assert box[0] == (
        "In the session that opened in 2025 (25 contested votes from 1 November 2025 to 25 "
        "November 2025; the session is still sitting), the United States voted the same way "
        "as 1 of the 6 states compared less often than in the session before."
    )
    assert box[1] == "The largest changes: the United Kingdom, from 100% of 25 to 20% of 25."
    # The box leads the summary.
    page = report.html
    assert page.index('id="latest"') < page.index("<ul>\n  <li>The store holds")


def test_a_known_gap_is_said_in_the_first_sentence(report: reports.Report) -> None:
    assert report.sections.summary.facts.gaps == [facts.Gap("ES-11", dt.date(2025, 3, 3))]
    assert report.summary[0] == (
        "The store holds 51 recorded votes between 1 November 2024 and 25 November 2025; it "
        "holds no vote of the emergency special session ES-11 after 3 March 2025, so any later "
        "ones are missing from every figure below."
    )


def test_gaps_from_coverage_rows() -> None:
    rows = pl.DataFrame({
        "series": ["ES-10", "ES-11", "80"], "series_kind": ["emergency special"] * 2 + ["regular"],
        "series_number": [10, 11, 80], "source": ["store"] * 3,
        "last_record": [dt.date(2024, 9, 18), dt.date(2023, 2, 23), dt.date(2026, 6, 4)],
    })  # fmt: skip
    # A window ending before ES-10's last record meets only ES-11's gap.
    assert findings.gaps(rows, dt.date(2024, 1, 1)) == [facts.Gap("ES-11", dt.date(2023, 2, 23))]
    assert [g.series for g in findings.gaps(rows, dt.date(2026, 6, 4))] == ["ES-10", "ES-11"]
    assert findings.gaps(rows, dt.date(2023, 1, 1)) == []


def test_votes_are_cited_with_title_date_and_link(report: reports.Report) -> None:
    details = report.sections.details.sentences[0]
    # The United States and the United Kingdom differ from the sixth vote of session 80 on.
    assert '<a href="https://digitallibrary.un.org/record/5030">A/RES/80/130</a>' in details
    assert "“Text number 30” (6 November 2025)" in details
    assert 'href="https://example.invalid/findings.json"' in report.html


def test_cite_and_linkify() -> None:
    assert str(cite("A/RES/71/46", dt.date(2016, 12, 5), "Humanitarian <b>", "paragraph", 7)) == (
        'a separate vote on part of <a href="https://digitallibrary.un.org/record/7">A/RES/71/46'
        "</a> “Humanitarian &lt;b&gt;” (5 December 2016)"
    )
    assert str(cite(None, None, None)) == "a vote without symbol"
    assert str(linkify("See https://x.org/a. <i>")) == (
        'See <a href="https://x.org/a">https://x.org/a</a>. &lt;i&gt;'
    )


def test_meeting_records_give_way_to_the_texts_title() -> None:
    frame = pl.DataFrame({
        "symbol": ["A/RES/66/39", "A/RES/66/39", "A/RES/66/1", "A/RES/66/2"],
        "title": ["Transparency in armaments",
                  "The Acting President: I shall now put to the vote operative paragraph 3. A",
                  "The President (spoke in Arabic): I give the floor to the representative",
                  "The Acting President: Draft resolution XIV is entitled _Nuclear disarmament"
                  "<d3>. A recorded vote has been requested."],
    })  # fmt: skip
    assert readable_titles(frame).to_list() == [
        "Transparency in armaments",
        "Transparency in armaments",
        None,
        "Nuclear disarmament",
    ]
