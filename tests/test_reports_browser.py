"""Open each report in Debian's Chromium (Playwright, no browser download) from a file:// URL.

Checks: every chart renders, no console error, no request to anything but file:, data: or
blob:, hover text on the vote matrix, the CSV download equals the table shown, and hostile
titles stay text. Screenshots go to tests/artifacts/.
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
from alignment.reports.build import csv_cell

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
LOCAL = ("file:", "data:", "blob:")


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
    return reports.write(db, spec, out, bootstrap=30)


@pytest.fixture(scope="module")
def built_reports(built_store: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("reports")
    con = store.connect(built_store)
    try:
        specs = [
            reports.flagship(),
            reports.resolve_country(con, "KAZ", topic="syria", start_year=2015),
            reports.resolve_bloc(con, "csto", topic="ukraine"),
        ]
    finally:
        con.close()
    return {s.slug: build(built_store, s, out) for s in specs}


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


def download_csv(page, report: reports.Report) -> list[dict[str, str]]:
    with page.expect_download() as info:
        page.click("#download-csv")
    download = info.value
    assert download.suggested_filename == f"{report.spec.slug}-vote-matrix.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def expected_rows(matrix: pl.DataFrame) -> list[dict[str, str]]:
    """The table shown, as the CSV holds it: text cells a spreadsheet would read as a formula
    start with a quote."""
    shown = matrix.with_columns(pl.all().cast(pl.String).fill_null(""))
    return [{k: csv_cell(v) for k, v in r.items()} for r in shown.iter_rows(named=True)]


@pytest.mark.parametrize(
    "slug", ["belarus-syria", "country-kaz-syria-2015-latest", "bloc-csto-ukraine"]
)
def test_report_opens_offline_and_works(browser, built_reports, slug, con) -> None:
    path, report = built_reports[slug]
    page, errors, requests = open_report(browser, path)
    check_page(page, errors, requests, report, slug)
    # Hover: the first roll call's symbol and title appear, with the vote of the first column.
    first = report.matrix.row(0, named=True)
    text = hover_cell(page, 0, 0)
    assert (first["symbol"] or "") in text
    assert first["title"][:30] in text
    assert "Tally:" in text
    # CSV: the rows and columns shown in the matrix, as built from the store.
    rows = download_csv(page, report)
    assert rows == expected_rows(report.matrix)
    n = con.sql(
        """SELECT count(DISTINCT r.roll_call_id) FROM roll_calls r JOIN roll_call_topics t
           USING (roll_call_id) WHERE t.topic = $t AND t.strength = 'primary'
           AND r.date >= make_date($y, 1, 1)""",
        params={"t": report.spec.topic, "y": report.spec.start_year},
    ).fetchall()[0][0]
    assert len(rows) == min(n, 400)
    page.close()


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
    rows = download_csv(page, report)
    assert any(XSS_SCRIPT in r["title"] for r in rows)
    # Formula injection: every title that starts like a formula starts with a quote instead.
    titles = [r["title"] for r in rows]
    for title in FORMULA_TITLES.values():
        assert "'" + title in titles and title not in titles
    assert rows == expected_rows(report.matrix)
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    page.close()
    shutil.copy(path, ARTIFACTS / "xss-country-blr.html")
