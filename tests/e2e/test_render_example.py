"""End to end: render the example report and open the HTML in headless Debian Chromium.

Asserts no console errors, every image loaded, every cross-reference link lands on an element, and
no request leaves the file. Uses Playwright with the system browser (no browser download). Skipped
only when /usr/bin/chromium (or the playwright package) is missing outside CI; in CI
(CI=true) a missing browser fails the test.
"""

from pathlib import Path

import pytest

from evalkit.report.example_bundle import write_example_bundle
from evalkit.report.render import render_report
from tests.e2e.browser import open_cleanly, require_browser

REPORTS = Path(__file__).resolve().parents[2] / "reports"




@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    require_browser()
    base = tmp_path_factory.mktemp("e2e")
    bundle = write_example_bundle(base / "bundle", small_cell=True)
    return [render_report(REPORTS / "example.qmd", bundle, base / "out", formats=("html",),
                          lang=lang, engine="fallback")[0] for lang in ("zh", "en")]


@pytest.mark.parametrize("index", [0, 1], ids=["zh", "en"])
def test_report_opens_cleanly_in_chromium(reports, browser, index):
    html = reports[index]
    page = open_cleanly(browser, html)

    images = page.evaluate(
        "Array.from(document.images).map(i => ({src: i.src.slice(0, 22), ok: i.complete,"
        " w: i.naturalWidth}))")
    assert images, "the report has a figure"
    assert all(i["ok"] and i["w"] > 0 and i["src"].startswith("data:image/") for i in images)

    links = page.evaluate(
        "Array.from(document.querySelectorAll('a[href^=\"#\"]')).map(a => ({href:"
        " a.getAttribute('href'), tag: (document.getElementById(a.getAttribute('href')"
        ".slice(1)) || {tagName: null}).tagName}))")
    targets = {link["href"]: link["tag"] for link in links}
    assert targets == {"#fig-disbursed": "FIGURE", "#tbl-industry": "TABLE"}

    # following a cross-reference scrolls the target into view
    page.click('a[href="#tbl-industry"]')
    in_view = page.evaluate(
        "(() => { const r = document.getElementById('tbl-industry').getBoundingClientRect();"
        " return r.top > -2 && r.top < window.innerHeight; })()")
    assert in_view
    page.close()
