"""Open each report in Debian's Chromium (Playwright, no browser download) from a file:// URL.

The reports are the gallery's (``alignment report gallery``, built once for the session): the
flagship, a state and a bloc without a topic, a state and a bloc with one. Each is opened at
desktop width, at a phone's 390 px and as A4 print. Checks: every chart renders, no console
error, no request to anything but file:, data: or blob: (the world map included; the
gallery's reports load the one plotly.min.js beside them), no horizontal scroll at any width,
an axis title on every chart, one fixed 0-100% scale on the world map with the no-data states
hatched, one colour per state across every chart, the subject emphasised and at most six
other colours, time axes in whole years within the window, tables that sort by a heading and
filter by a search and show at most 50 rows until asked, whose CSV download holds every row,
map labels that do not overlap, hover text on the vote matrix, the CSV download equal to the
table, hostile titles kept as text. Screenshots (desktop, each chart, 390 px, print, and an A4
PDF) go to tests/artifacts/ (or $REPORT_SHOTS).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

import pytest
from report_fixtures import FORMULA_TITLES, XSS_IMG, XSS_SCRIPT, build_tiny_store

from alignment import reports, store
from alignment.reports import gallery, palette
from alignment.reports.sections.votes import INFO_LABELS
from alignment.reports.tables import MAX_ROWS, Table

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("REPORT_SHOTS") or Path(__file__).parent / "artifacts")
PHONE, A4 = 390, 794  # CSS pixels: a phone's width, and A4's 210 mm at 96 per inch
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


@pytest.fixture(scope="session")
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


@pytest.fixture(scope="session")
def gallery_site(ideal_points_store: Path, tmp_path_factory: pytest.TempPathFactory):
    """The gallery, written as ``alignment report gallery`` writes it (from a store with its
    ideal points, as `make demo` does): (folder, {slug: (path, report)})."""
    out = tmp_path_factory.mktemp("site")
    with store.connect(ideal_points_store) as con:
        specs = gallery.specs(con)
    _, written = gallery.write_gallery(ideal_points_store, specs, out, bootstrap=30)
    return out, {report.spec.slug: (path, report) for path, report in written}


@pytest.fixture(scope="session")
def site(gallery_site) -> Path:
    return gallery_site[0]


@pytest.fixture(scope="session")
def built_reports(gallery_site) -> dict:
    return gallery_site[1]


def open_report(context, path: Path, width: int = 1280, media: str | None = None):
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    if media:
        page.emulate_media(media=media)
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


def expected_rows(table: Table) -> list[dict[str, str]]:
    """The CSV the page builds from a table's data: its headings, each cell as text."""
    data = table.data()
    return [
        {c: "" if v is None else str(v) for c, v in zip(data["columns"], row, strict=True)}
        for row in data["rows"]
    ]


def no_horizontal_scroll(page) -> None:
    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, (width, inner)


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
def test_report_in_the_browser(browser, built_reports, site, slug) -> None:
    """Each report opened at desktop width (a page of several MB takes seconds to load), every
    check on it; then at 390 px and as A4 print."""
    path, report = built_reports[slug]
    page, errors, requests = open_report(browser, path)
    assert any(u.endswith("/" + gallery.PLOTLY_FILE) for u in requests)  # shared, not inlined
    check_page(page, errors, requests, report, slug)
    no_horizontal_scroll(page)
    for check in (
        check_axis_titles, check_hover_and_matrix_csv, check_one_colour_per_state,
        check_time_axes, check_tables, check_world_map, check_map_labels,
    ):  # fmt: skip
        page.evaluate("() => window.scrollTo(0, 0)")
        check(page, report)
    assert errors == []
    assert all(u.startswith(LOCAL) for u in requests), requests
    page.close()
    # A phone: nothing wider than the screen, every chart drawn (and titled) at its width.
    page, errors, requests = open_report(browser, path, PHONE)
    no_horizontal_scroll(page)
    check_axis_titles(page, report)
    page.screenshot(path=str(ARTIFACTS / f"{slug}-390px.png"), full_page=True)
    assert errors == []
    page.close()
    # A4 print: the page laid out at the paper's width, then printed.
    page, errors, _ = open_report(browser, path, A4, media="print")
    no_horizontal_scroll(page)
    assert page.locator("nav").is_hidden() and page.locator("button.download").first.is_hidden()
    wide = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot, table')]
                 .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                 .map(e => e.id)"""
    )
    assert wide == []
    page.screenshot(path=str(ARTIFACTS / f"{slug}-print.png"), full_page=True)
    page.pdf(path=str(ARTIFACTS / f"{slug}.pdf"), format="A4", print_background=True)
    assert errors == []
    page.close()


# Every cartesian axis of every chart that shows ticks has a title; the agreement chart's upper
# panel shares the x axis of the lower one (its ticks hidden). A map's scale is titled.
AXIS_TITLES = """() => {
  const out = [];
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const l = gd._fullLayout;
    for (const k of Object.keys(l).filter(k => /^[xy]axis\\d*$/.test(k))) {
      const a = l[k];
      if (!a.visible || !a.showticklabels) continue;
      out.push([gd.id, k, (a.title && a.title.text) || '']);
    }
    for (const t of gd._fullData.filter(t => t.showscale)) {
      out.push([gd.id, 'colorbar', (t.colorbar.title && t.colorbar.title.text) || '']);
    }
  }
  return out;
}"""


def check_axis_titles(page, report: reports.Report) -> None:
    titles = page.evaluate(AXIS_TITLES)
    charts = {fig for fig, _, _ in titles}
    assert len(charts) == report.n_figures
    assert [(fig, axis) for fig, axis, text in titles if not text.strip()] == []


def check_hover_and_matrix_csv(page, report: reports.Report) -> None:
    # Hover: the first roll call the chart shows (the latest), with its symbol and title.
    first = report.sections.votes.matrix.shown.row(0, named=True)
    text = hover_cell(page, 0, 0)
    assert (first["symbol"] or "") in text
    assert first["title"][:30] in text
    assert "Tally:" in text
    # CSV: every roll call of the report (the chart draws the latest 150), newest first, every
    # column under a plain heading, each vote in words.
    name, rows = download(page, "vote-matrix")
    assert name == f"{report.spec.slug}-vote-matrix.csv"
    assert rows == expected_rows(report.sections.votes.table)
    assert len(rows) == report.matrix.height
    dates = [r["Date"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    votes = {v for r in rows for v in list(r.values())[len(INFO_LABELS) :]}
    assert votes <= {"yes", "no", "abstain", "no vote", ""}
    assert not any(":" in k or "_" in k for k in rows[0])  # no bloc:eu, no roll_call_id


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
    """Whole years, each once, within the report's window: a report "from 2011" starts there."""
    first = report.spec.start_year or 1946
    last = max(report.sections.summary.facts.last_date.year, report.sections.ideal.paths.years[1])
    for fig in ("fig-agreement", "fig-ideal_points", "fig-cohesion"):
        if not page.locator(f"#{fig}").count():
            continue
        axes = page.evaluate(
            """(id) => { const l = document.getElementById(id)._fullLayout;
                         return Object.keys(l).filter(k => /^xaxis\\d*$/.test(k))
                                      .map(k => [l[k]._vals.map(v => v.text), l[k].range]); }""",
            fig,
        )
        assert axes and all(ticks for ticks, _ in axes), fig
        for ticks, (lo, _) in axes:
            assert all(t.isdigit() and len(t) == 4 and first <= int(t) <= last for t in ticks)
            assert len(ticks) == len(set(ticks)), ticks  # whole years, no label twice
            if report.spec.start_year:
                assert lo > first - 1, (fig, lo)  # no year before the window on the axis


def check_tables(page, report: reports.Report) -> None:
    tables = page.locator("#tables table")
    assert tables.count() >= 1
    for i in range(tables.count()):
        table = tables.nth(i)
        name = table.get_attribute("id")
        shown = table.locator("tbody tr:not([hidden])").count()
        assert shown <= MAX_ROWS
        _, rows = download(page, name)
        assert len(rows) >= shown
        if len(rows) > MAX_ROWS:
            assert shown == MAX_ROWS
            caption = page.locator(f"#figure-{name} figcaption").inner_text()
            assert f"The first {MAX_ROWS} of {len(rows):,} rows." in caption
    # Sorting: by the number of votes in common, up then down; by name, alphabetically.
    table = page.locator("#every-state")
    column = "Contested votes in common"
    heads = table.locator("thead th").all_inner_texts()
    col = next(i for i, h in enumerate(heads) if h.startswith(column))
    cells = f"#every-state tbody tr:not([hidden]) td:nth-child({col + 1})"

    def shown_numbers() -> list[int]:
        return [int(t.replace(",", "")) for t in page.locator(cells).all_inner_texts()]

    button = table.locator("thead th button", has_text=column)
    button.click()
    up = shown_numbers()
    assert (
        up == sorted(up)
        and table.locator("thead th").nth(col).get_attribute("aria-sort") == "ascending"
    )
    button.click()
    down = shown_numbers()
    assert down == sorted(down, reverse=True) and down[0] >= up[-1]
    # Search: only the matching rows, then all again.
    page.fill('input.table-search[data-table="every-state"]', "Russia")
    names = page.locator("#every-state tbody tr:not([hidden])").all_inner_texts()
    assert names and all("russia" in n.lower() for n in names)
    page.fill('input.table-search[data-table="every-state"]', "")
    assert page.locator("#every-state tbody tr:not([hidden])").count() == min(
        MAX_ROWS, report.sections.world.table.rows.__len__()
    )


def check_world_map(page, report: reports.Report) -> None:
    """Drawn from the outline embedded in the page (the test's request log shows nothing
    fetched), on one scale, 0 to 100%, whatever the report; states without enough votes
    hatched."""
    page.locator("#fig-world").scroll_into_view_if_needed()
    shapes = page.locator("#fig-world path.choroplethlocation")
    assert shapes.count() > 150  # the hatched land and the coloured states
    fills = page.evaluate(
        """() => [...document.querySelectorAll('#fig-world path.choroplethlocation')]
                 .map(p => getComputedStyle(p).fill)"""
    )
    assert len(set(fills)) > 5  # a scale, not one colour
    assert any("no-data-hatch" in f for f in fills)
    if report.spec.kind == "country":
        assert "rgb(0, 0, 0)" in fills  # the subject, black
    scales = page.evaluate(
        """() => document.getElementById('fig-world')._fullData
                 .filter(t => t.showscale).map(t => [t.zmin, t.zmax])"""
    )
    assert scales == [list(palette.MAP_RANGE)]


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
    title = "() => document.getElementById('fig-agreement')._fullLayout.yaxis.title.text"
    assert page.evaluate(title).startswith("Cohen's kappa")
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
    assert (site / gallery.PLOTLY_FILE).stat().st_size > 1_000_000  # one copy for all
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
    titles = report.sections.votes.matrix.shown["title"].to_list()
    text = hover_cell(page, next(i for i, t in enumerate(titles) if XSS_SCRIPT in t), 0)
    assert XSS_SCRIPT in text
    _, rows = download(page, "vote-matrix")
    assert any(XSS_SCRIPT in r["Title"] for r in rows)
    # Formula injection: every title that starts like a formula starts with a quote instead.
    titles = [r["Title"] for r in rows]
    for title in FORMULA_TITLES.values():
        assert "'" + title in titles and title not in titles
    assert rows == expected_rows(report.sections.votes.table)
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    page.close()
    shutil.copy(path, ARTIFACTS / "xss-country-blr.html")
