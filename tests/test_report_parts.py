"""The parts of a report that need no store: colours, label placement, gaps in time series,
year axes, the world outline, the credits, topic names."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
from pathlib import Path

import polars as pl
import pytest

from alignment import resources
from alignment.reports import palette
from alignment.reports.charts import (
    MAX_POOL,
    band,
    end_labels,
    gapped,
    pool_size,
    series_traces,
    session_periods,
    year_axis,
)
from alignment.reports.sections import sources
from alignment.reports.sections.state_map import map_resamples, place_labels
from alignment.reports.sections.world import world_outline
from alignment.reports.spec import topic_label

ROOT = Path(__file__).parents[1]


def test_state_colours_subject_first_preferred_when_free_then_grey() -> None:
    keys = ["RUS", "BLR", "USA", "KAZ", "bloc:eu", "ARM", "KGZ", "TJK"]
    c = palette.state_colours(keys, "BLR")
    assert c["BLR"] == palette.SUBJECT
    assert (c["RUS"], c["USA"], c["bloc:eu"]) == ("#D55E00", "#0072B2", "#56B4E9")
    coloured = [k for k in keys if k != "BLR" and c[k] != palette.GREY]
    assert coloured == ["RUS", "USA", "KAZ", "bloc:eu", "ARM", "KGZ"]  # six, in order
    assert len({c[k] for k in coloured}) == 6
    assert c["TJK"] == palette.GREY
    # A preferred colour already taken goes to the next free one, never twice.
    d = palette.state_colours(["SYR", "X1", "X2", "X3", "X4", "USA"], "RUS")
    assert len({d[k] for k in ("SYR", "X1", "X2", "X3", "X4", "USA")}) == 6


def test_vote_colours_stand_apart_from_the_states_colours() -> None:
    """Yes and no differ in hue (green against magenta, not red against green) and in
    lightness; no vote colour is a state's colour, so a vote cell never reads as a state."""

    def lightness(h: str) -> float:
        r, g, b = (int(h[i : i + 2], 16) / 255 for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    yes, no = palette.VOTE_COLOURS["Y"], palette.VOTE_COLOURS["N"]
    assert (yes, no) == ("#4d9221", "#c51b7d")  # the ends of ColorBrewer's PiYG
    assert abs(lightness(yes) - lightness(no)) > 0.05
    states = {c.lower() for c in (*palette.COLOURS, *palette.PREFERRED.values(), palette.SUBJECT,
                                  palette.GREY)}  # fmt: skip
    assert not states & {c.lower() for c in palette.VOTE_COLOURS.values()}
    assert len(set(palette.VOTE_COLOURS.values())) == 4


def test_pool_size_gathers_sessions_until_a_point_has_enough_votes() -> None:
    # Ten votes a session: no pooling. Two a session (five sessions): the median window must
    # hold MIN_VOTES = 5, so three sessions (6 votes) a point; two would hold 4.
    assert pool_size([s for s in range(70, 75) for _ in range(10)]) == 1
    assert pool_size([s for s in range(70, 80) for _ in range(2)]) == 3
    assert pool_size([70]) == MAX_POOL  # one vote in all: as many as a point may pool


def test_periods_stand_at_the_mean_date_and_mark_the_partial_session() -> None:
    rc = pl.DataFrame(
        {"session": [65, 66, 66, 80], "date": [dt.date(2011, 7, 2), dt.date(2011, 12, 1),
                                               dt.date(2012, 3, 1), dt.date(2026, 6, 4)]}
    )  # fmt: skip
    p = session_periods(rc, dt.date(2011, 1, 1), dt.date(2026, 6, 4))
    assert p.x[65] == pytest.approx(2011 + 182 / 365)  # 2 July 2011: 182 days into the year
    assert 2011.9 < p.x[66] < 2012.1  # the mean of 1 December 2011 and 1 March 2012
    # Session 80 ran to the opening of the next, 8 September 2026: the votes to 4 June are part.
    assert p.partial == 80 and "votes to 4 June 2026, the session ran to 8 September" in p.note()
    assert session_periods(rc, dt.date(2011, 1, 1), dt.date(2026, 9, 8)).partial is None
    axis = year_axis([], None, p.window, room=0.1)
    assert axis["tickvals"][0] == 2011 and axis["tickvals"][-1] == 2026  # the window's years
    assert axis["range"][0] < 2011 and axis["range"][1] > 2026.5  # room for the names


def test_end_labels_never_overlap_and_keep_their_order() -> None:
    ends = [(1.0, 0.50, "A", "#000"), (1.0, 0.51, "B", "#000"), (1.0, 0.9, "C", "#000")]
    placed = end_labels(ends, (0.0, 1.0), gap=0.05)
    ys = sorted(y for _, y, _, _ in placed)
    assert all(b - a >= 0.05 - 1e-9 for a, b in itertools.pairwise(ys))
    by = {t: y for _, y, t, _ in placed}
    assert by["A"] < by["B"] < by["C"]
    assert by["C"] == pytest.approx(0.9, abs=0.03)  # far from the others: barely moved


def test_a_partial_last_period_is_a_dotted_segment_of_its_own() -> None:
    traces = series_traces("RUS", [70, 71, 72], [0.5, 0.6, 0.7], [20, 20, 3], ["a", "b", "c"],
                           "#D55E00", "BLR", partial=72)  # fmt: skip
    main, tail = traces
    assert list(main.x) == [70, 71] and tail.line.dash == "dot"
    assert list(tail.x) == [71, 72] and list(tail.marker.symbol) == ["circle", "circle-open"]
    assert tail.showlegend is False and tail.legendgroup == "RUS"


def test_labels_never_overlap_and_give_way_in_order() -> None:
    # Two points 10 px apart horizontally: the second label cannot sit above its point, so it
    # moves below; a third on top of the first has no room left anywhere but a side.
    x = [0.0, 10.0, 0.0, 1000.0]
    y = [0.0, 0.0, 0.0, 1000.0]
    where = place_labels(x, y, ["AAA", "BBB", "CCC", ""], width=1000, height=1000)
    assert where[0] == "top center"
    assert where[1] == "bottom center"
    assert where[3] is None  # empty label: not drawn
    # A crowd on a small plot: some labels give way (the browser test checks that the labels
    # drawn on a real report do not overlap).
    many_x = [i % 7 * 3.0 for i in range(40)]
    many_y = [i // 7 * 2.0 for i in range(40)]
    labels = [f"S{i:02d}" for i in range(40)]
    where = place_labels(many_x, many_y, labels, width=120, height=90)
    assert where[0] is not None and None in where


def test_a_line_breaks_where_a_period_has_no_votes() -> None:
    x, y = gapped([2011, 2012, 2015, 2016], [0.1, 0.2, 0.3, 0.4])
    assert x == [2011, 2012, None, 2015, 2016]
    assert y == [0.1, 0.2, None, 0.3, 0.4]
    b = band([2011, 2012, 2015], [0.0, 0.1, 0.2], [1.0, 1.1, 1.2], "#000000")
    # Two polygons: 2011-2012 (up then back), then 2015 alone.
    assert list(b.x) == [2011, 2012, 2012, 2011, None, 2015, 2015]
    assert list(b.y) == [1.0, 1.1, 0.1, 0.0, None, 1.2, 0.2]
    assert b.mode == "lines" and b.line.width == 0  # no marker at a band's ends


@pytest.mark.parametrize(
    ("years", "step"),
    [([2011, 2026], 1), ([1990, 2026], 5), ([1946, 2026], 5), ([1900, 2026], 10), ([2020], 1)],
)
def test_year_axis_ticks_whole_years(years: list[int], step: int) -> None:
    axis = year_axis(years)
    assert axis["tickformat"] == "d" and axis["dtick"] == step


def test_world_outline_is_small_keyed_by_iso3_and_credited() -> None:
    path = resources.data_file("world_110m.geojson")
    assert path.stat().st_size < 1_000_000
    outline = world_outline()
    ids = [f["id"] for f in outline["features"]]
    assert len(ids) == len(set(ids)) > 170
    known = {r["iso3"] for r in csv.DictReader(resources.data_file("countries.csv").open())}
    keyed = [i for i in ids if not i.startswith("_")]
    assert {"BLR", "RUS", "USA", "SYR", "CHN", "FRA", "BRA"} <= set(keyed)
    assert all(re.fullmatch(r"[A-Z]{3}", i) for i in keyed)
    assert len(set(keyed) - known) <= 12  # territories without a UN seat (GRL, PRI, ...)
    assert "world_outline" in sources.credits()
    assert "Natural Earth" in (ROOT / "data" / "README.md").read_text()


def test_credits_come_from_sources_csv_and_the_readme_quotes_them() -> None:
    credits = sources.credits()
    assert {"voeten", "unvotes", "undl_csv", "undl_marcxml", "unxml_json"} <= set(credits)
    assert credits["undl_csv"] == credits["undl_marcxml"]
    readme = (ROOT / "README.md").read_text()
    for text in set(credits.values()):
        assert text in readme


@pytest.mark.parametrize(
    ("topic", "label"),
    [("syria", "Syria"), ("hr", "human rights"), ("country_human_rights",
     "human rights in particular countries"), ("new_topic", "New topic")],
)  # fmt: skip
def test_topic_labels(topic: str, label: str) -> None:
    assert topic_label(topic) == label


@pytest.mark.parametrize(("n", "boot"), [(96, 20), (1500, 20), (1501, 19), (6843, 5), (0, 20)])
def test_map_resamples_shrink_with_long_windows(n: int, boot: int) -> None:
    assert map_resamples(n) == boot
