"""Open each report in Debian's Chromium (Playwright, no browser download) from a file:// URL.

The reports are the gallery's (``alignment report gallery``): the flagship, a state and a bloc
without a topic, a state and a bloc with one. Checks: every chart renders, no console error,
no request to anything but file:, data: or blob: (the world map included), one colour per
state across every chart, the subject emphasised and at most six other colours, time axes in
whole years, tables of at most 50 rows whose CSV download holds every row, map labels that
do not overlap, hover text on the vote matrix, the CSV download equal to the table, hostile
titles kept as text. Screenshots (the whole page and each chart) go to tests/artifacts/.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import polars as pl
import pytest
from report_fixtures import FORMULA_TITLES, XSS_IMG, XSS_SCRIPT, build_tiny_store

from alignment import reports, store
from alignment.reports import gallery, palette
from alignment.reports.sections.votes import INFO_COLUMNS, matrix_rows
from alignment.reports.tables import MAX_ROWS, csv_cell

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
LOCAL = ("file:", "data:", "blob:")
SLUGS = [
    "belarus-syria", "country-usa", "country-kaz-syria-2015-latest", "bloc-eu",
    "bloc-csto-ukraine",
]  # fmt: skip
CHARTS = ("world", "agreement", "ideal", "map", "cohesion", "matrix")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    if not CHROMIUM.exists():
        pytest.fail("/usr/bin/chromium is missing: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=FLAGS, headless=True,
            accept_downloads=True, viewport={"width": 1280, "height": 900},
        )  # fmt: skip
        yield context
        context.close()


def build(db: Path, spec: reports.ReportSpec, out: Path) -> tuple[Path, reports.Report]:
    return reports.write_report(db, spec, out, bootstrap=30)


@pytest.fixture(scope="module")
def gallery_site(built_store: Path, tmp_path_factory: pytest.TempPathFactory):
    """The gallery, written as ``alignment report gallery`` writes it: (folder, {slug: (path,
    report)})."""
    out = tmp_path_factory.mktemp("site")
    with store.connect(built_store) as con:
        specs = gallery.specs(con)
    _, written = gallery.write_gallery(built_store, specs, out, bootstrap=30)
    return out, {report.spec.slug: (path, report) for path, report in written}


@pytest.fixture(scope="module")
def site(gallery_site) -> Path:
    return gallery_site[0]


@pytest.fixture(scope="module")
def built_reports(gallery_site) -> dict:
    return gallery_site[1]


def open_report(context, path: Path):
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0")
    return page, errors, requests


def check_page(page, errors, requests, report: reports.Report, name: str) -> None:
    plots = page.locator(".js-plotly-plot")
    assert plots.count() == report.n_figures
    for i in range(report.n_figures):
        assert plots.nth(i).locator(".main-svg").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    for section in ("summary", *CHARTS, "tables"):
        where = page.locator(f"section#{section}")
        if where.count():
            where.screenshot(path=str(ARTIFACTS / f"{name}-{section}.png"))
    assert errors == []
    assert requests and all(u.startswith(LOCAL) for u in requests), requests


def hover_cell(page, row: int, col: int) -> str:
    box = page.evaluate(
        """([r, c]) => {
            const gd = document.getElementById('fig-matrix');
            gd.scrollIntoView();
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const rect = gd.getBoundingClientRect();
            return {x: rect.left + xa._offset + xa.d2p(c), y: rect.top + ya._offset + ya.d2p(r)};
        }""",
        [row, col],
    )
    page.mouse.move(box["x"], box["y"])
    page.wait_for_selector(".hovertext", timeout=5000)
    return page.locator(".hovertext").first.text_content()


def download(page, table: str) -> tuple[str, list[dict[str, str]]]:
    with page.expect_download() as info:
        page.click(f"#download-{table}")
    d = info.value
    text = Path(d.path()).read_text(encoding="utf-8")
    return d.suggested_filename, list(csv.DictReader(io.StringIO(text)))


def expected_rows(matrix: pl.DataFrame) -> list[dict[str, str]]:
    """The table shown, as the CSV holds it: text cells a spreadsheet would read as a formula
    start with a quote."""
    shown = matrix.with_columns(pl.all().cast(pl.String).fill_null(""))
    return [{k: csv_cell(v) for k, v in r.items()} for r in shown.iter_rows(named=True)]


# Each drawn line or marker trace that carries a key (legendgroup): figure, key, its colour.
TRACE_COLOURS = """() => {
  const out = [];
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    for (const t of gd._fullData) {
      if (!t.legendgroup || t.fill === 'toself' || t.type === 'choropleth') continue;
      const c = (t.line && t.mode && t.mode.includes('lines')) ? t.line.color : t.marker.color;
      out.push([gd.id, t.legendgroup, typeof c === 'string' ? c : null]);
    }
  }
  return out;
}"""


@pytest.mark.parametrize("slug", SLUGS)
def test_report_in_the_browser(browser, built_reports, slug) -> None:
    """Each report opened once (a page of 6 MB takes seconds to load), every check on it."""
    path, report = built_reports[slug]
    page, errors, requests = open_report(browser, path)
    check_page(page, errors, requests, report, slug)
    for check in (
        check_hover_and_matrix_csv, check_one_colour_per_state, check_time_axes,
        check_tables, check_world_map, check_map_labels,
    ):  # fmt: skip
        page.evaluate("() => window.scrollTo(0, 0)")
        check(page, report)
    assert errors == []
    assert all(u.startswith(LOCAL) for u in requests), requests
    page.close()


def check_hover_and_matrix_csv(page, report: reports.Report) -> None:
    # Hover: the first roll call the chart shows (the latest ones), with its symbol and title.
    first = report.matrix.tail(matrix_rows(len(report.matrix.columns) - len(INFO_COLUMNS))).row(
        0, named=True
    )
    text = hover_cell(page, 0, 0)
    assert (first["symbol"] or "") in text
    assert first["title"][:30] in text
    assert "Tally:" in text
    # CSV: every roll call of the report (the chart draws the latest 150), every column.
    name, rows = download(page, "vote-matrix")
    assert name == f"{report.spec.slug}-vote-matrix.csv"
    assert rows == expected_rows(report.matrix)


def check_one_colour_per_state(page, report: reports.Report) -> None:
    traces = page.evaluate(TRACE_COLOURS)
    colours: dict[str, set[str]] = {}
    for _, key, colour in traces:
        colours.setdefault(key, set()).add(colour)
    assert {k: c for k, c in colours.items() if len(c) != 1} == {}
    assert {k: c.pop() for k, c in colours.items() if k != "other"} == {
        k: report.colours[k] for k in colours if k != "other"
    }
    # The subject is black wherever it is drawn; no chart has more than six other colours.
    focus = report.spec.focus
    assert all(c == palette.SUBJECT for _, k, c in traces if k == focus)
    for fig in {f for f, _, _ in traces}:
        used = {c for f, k, c in traces if f == fig and k != focus} - {palette.GREY}
        assert len(used) <= palette.MAX_COLOURED, (fig, used)
    # The states beyond the sixth are grey, and still named in the legend, which toggles them.
    grey = [k for k, c in report.colours.items() if c == palette.GREY]
    if grey:
        # A legend entry for every line (a bloc's members share one, as they share a colour).
        names = page.locator("#fig-ideal_points .legendtext").all_text_contents()
        groups = page.evaluate(
            """() => new Set(document.getElementById('fig-ideal_points')._fullData
                     .filter(t => t.mode === 'lines+markers').map(t => t.legendgroup)).size"""
        )
        assert len(names) == groups
        page.locator("#fig-ideal_points .legendtoggle").first.click()
        page.wait_for_function(
            "() => document.getElementById('fig-ideal_points').data.some(t => t.visible === 'legendonly')"
        )


def check_time_axes(page, report: reports.Report) -> None:
    first = (report.spec.start_year or 1946) - 1  # a session opened the year before it
    # The last vote of the window (ideal points run to it; the topic's last vote may be earlier).
    last = max(report.sections.summary.facts.last_date.year, report.sections.ideal.paths.years[1])
    for fig in ("fig-agreement", "fig-ideal_points", "fig-cohesion"):
        if not page.locator(f"#{fig}").count():
            continue
        # The tick labels of every x axis of the figure (the agreement chart has one a panel).
        axes = page.evaluate(
            """(id) => { const l = document.getElementById(id)._fullLayout;
                         return Object.keys(l).filter(k => /^xaxis\\d*$/.test(k))
                                      .map(k => l[k]._vals.map(v => v.text)); }""",
            fig,
        )
        assert axes and all(axes), fig
        for ticks in axes:
            assert all(t.isdigit() and len(t) == 4 and first <= int(t) <= last for t in ticks)
            assert len(ticks) == len(set(ticks)), ticks  # whole years, no label twice
    # No line crosses a year without votes: each gap in a line's years is a None.
    gaps = page.evaluate(
        """() => document.getElementById('fig-agreement').data
             .filter(t => t.mode === 'lines+markers')
             .every(t => t.x.every((x, i) => i === 0 || x === null || t.x[i - 1] === null
                                        || x - t.x[i - 1] === 1))"""
    )
    assert gaps


def check_tables(page, report: reports.Report) -> None:
    tables = page.locator("#tables table")
    assert tables.count() >= 1
    for i in range(tables.count()):
        table = tables.nth(i)
        name = table.get_attribute("id")
        shown = table.locator("tbody tr").count()
        assert shown <= MAX_ROWS
        _, rows = download(page, name)
        assert len(rows) >= shown
        if len(rows) > MAX_ROWS:
            assert shown == MAX_ROWS
            caption = page.locator(f"#figure-{name} figcaption").inner_text()
            assert f"The first {MAX_ROWS} of {len(rows):,} rows." in caption


def check_world_map(page, report: reports.Report) -> None:
    """Drawn from the outline embedded in the page (the test's request log shows nothing
    fetched)."""
    page.locator("#fig-world").scroll_into_view_if_needed()
    shapes = page.locator("#fig-world path.choroplethlocation")
    assert shapes.count() > 150  # the grey land and the coloured states
    fills = page.evaluate(
        """() => [...document.querySelectorAll('#fig-world path.choroplethlocation')]
                 .map(p => getComputedStyle(p).fill)"""
    )
    assert len(set(fills)) > 5  # a scale, not one colour
    if report.spec.kind == "country":
        assert "rgb(0, 0, 0)" in fills  # the subject, black


def check_map_labels(page, report: reports.Report) -> None:
    page.locator("#fig-map").scroll_into_view_if_needed()
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('#fig-map .textpoint text')]
                 .filter(t => t.textContent.trim())
                 .map(t => { const r = t.getBoundingClientRect();
                             return [t.textContent, r.left, r.top, r.right, r.bottom]; })"""
    )
    assert len(boxes) >= 3
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            e = 0.5  # sub-pixel rounding of the rendered text
            apart = a[3] <= b[1] + e or b[3] <= a[1] + e or a[4] <= b[2] + e or b[4] <= a[2] + e
            assert apart, (a, b)


def test_metric_menu_switches_traces(browser, built_reports) -> None:
    path, _ = built_reports["belarus-syria"]
    page, errors, _ = open_report(browser, path)
    shown = """() => [...new Set(document.getElementById('fig-agreement').data
                       .filter(t => t.visible === true).map(t => t.meta))]"""
    assert page.evaluate(shown) == ["agree"]
    page.locator("#fig-agreement .updatemenu-header-group").click()
    page.locator("#fig-agreement .updatemenu-item-text", has_text="kappa").click()
    page.wait_for_function(
        "() => document.getElementById('fig-agreement').data.some(t => t.meta === 'kappa_abs' && t.visible === true)"
    )
    assert page.evaluate(shown) == ["kappa_abs"]
    assert errors == []
    page.close()


def test_gallery_index_links_every_report(browser, site: Path) -> None:
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto((site / "index.html").as_uri())
    links = page.locator("#reports a")
    assert links.count() == len(SLUGS)
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == [f"{s}.html" for s in SLUGS]
    assert all((site / h).is_file() for h in hrefs)
    page.screenshot(path=str(ARTIFACTS / "gallery-index.png"), full_page=True)
    assert all(u.startswith(LOCAL) for u in requests), requests
    page.close()


def test_hostile_titles_are_shown_as_text(browser, tmp_path: Path) -> None:
    db = build_tiny_store(tmp_path / "tiny.duckdb")
    con = store.connect(db)
    spec = reports.resolve_country(con, "BLR", topic="syria", start_year=2011)
    con.close()
    before = db.read_bytes()
    path, report = build(db, spec, tmp_path)
    assert db.read_bytes() == before
    assert XSS_SCRIPT not in report.html.split("<body>", 1)[1].replace("\\u003c", "")
    page, errors, requests = open_report(browser, path)
    check_page(page, errors, requests, report, "xss-country-blr")
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    table = page.locator("#differences").inner_text()
    assert XSS_SCRIPT in table and XSS_IMG in table
    text = hover_cell(page, 3, 0)
    assert XSS_SCRIPT in text
    _, rows = download(page, "vote-matrix")
    assert any(XSS_SCRIPT in r["title"] for r in rows)
    # Formula injection: every title that starts like a formula starts with a quote instead.
    titles = [r["title"] for r in rows]
    for title in FORMULA_TITLES.values():
        assert "'" + title in titles and title not in titles
    assert rows == expected_rows(report.matrix)
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    page.close()
    shutil.copy(path, ARTIFACTS / "xss-country-blr.html")
