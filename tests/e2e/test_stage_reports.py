"""End to end: the ex-post and portfolio reports rendered from a small demo cycle, in Chinese and
English, HTML and PDF.

One demo (1,500 firms, 49 bootstrap draws) is built per module; the ex-post report of P07 (the
policy with an Ashenfelter dip in the synthetic district) and the portfolio report are rendered
once per language. The PDFs are read back with poppler (pdftotext, pdffonts, pdfinfo) and the
HTML is opened in headless Debian Chromium through Playwright (no browser download).
"""

import json
import re
from pathlib import Path

import pytest

from evalkit.contract.bundle import read_bundle, write_bundle
from evalkit.disclosure import MARK
from evalkit.report.render import render_report
from evalkit.report.views import common, ex_post
from tests import results_models
from tests.e2e.browser import open_cleanly
from tests.e2e.reportcheck import (
    EPOCH,
    EPOCH_ISO,
    REPORTS,
    assert_cjk_font_embedded,
    assert_no_font_problems,
    pdfinfo_isodates,
    pdftotext,
    render_at_epoch,
    squash,
)

POLICY = "P07"
CASES = [("ex_post", "zh"), ("ex_post", "en"), ("portfolio", "zh"), ("portfolio", "en")]
HEADINGS = {
    ("ex_post", "zh"): ["政策事后评价报告", "执行摘要", "评价设计与样本", "对企业的效应",
                        "平行趋势检验", "财政绩效", "数据保密说明", "附录：可复现信息"],
    ("ex_post", "en"): ["Ex-post policy evaluation report", "Executive summary",
                        "Design and sample", "Fiscal performance", "Appendix: provenance"],
    ("portfolio", "zh"): ["政策组合评价报告", "执行摘要", "政策排序", "绩效评分", "预算建议",
                          "预算再分配方案", "政策分类", "审核状态", "附录：可复现信息"],
    ("portfolio", "en"): ["Policy portfolio review", "Executive summary", "Ranking", "Scorecards",
                          "Recommendations", "Reallocation", "Classification", "Review status"],
}






DEMO_STUDIES = Path(__file__).resolve().parents[2] / "studies" / "demo"
POLICIES = ("P01", "P02", "P03", "P04", "P05", "P06", "P07", "P08")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo district's ex-post and portfolio bundles, from the demo study files pointed at a
    small warehouse (1,500 firms) with 49 bootstrap draws, run with `evalkit run`'s code path."""
    import yaml

    from evalkit.io import ingest_dir
    from evalkit.stages.run import run_study
    from evalkit.synth import synthesize_district, write_district

    out = tmp_path_factory.mktemp("demo")
    write_district(synthesize_district(n_firms=1500, seed=7), out / "data", dirty=False, seed=7)
    store = out / "warehouse.duckdb"
    ingest_dir(out / "data", store=store)
    bundles, studies = out / "bundles", out / "studies"
    studies.mkdir()
    for pid in POLICIES:
        doc = yaml.safe_load((DEMO_STUDIES / f"ex_post_{pid}.yaml").read_text(encoding="utf-8"))
        doc["data"]["store"] = str(store)
        doc.setdefault("inference", {})["bootstrap"] = 49
        path = studies / f"ex_post_{pid}.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        run_study(path, bundles / f"ex_post_{pid}")
    doc = yaml.safe_load((DEMO_STUDIES / "portfolio.yaml").read_text(encoding="utf-8"))
    doc["data"]["store"] = str(store)
    doc["bundles"] = [str(bundles / f"ex_post_{pid}") for pid in POLICIES]
    path = studies / "portfolio.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    run_study(path, bundles / "portfolio")
    return bundles


def _bundle(demo, stem):
    return demo / (f"ex_post_{POLICY}" if stem == "ex_post" else "portfolio")


@pytest.fixture(scope="module")
def rendered(demo, tmp_path_factory):
    """{(template, lang): (html, pdf, log text, seconds)} rendered with SOURCE_DATE_EPOCH set."""
    out = tmp_path_factory.mktemp("reports")
    done = {(stem, lang): render_at_epoch(REPORTS / f"{stem}.qmd", _bundle(demo, stem), out, lang)
            for stem, lang in CASES}
    timings = {f"{s}.{lg}": round(v[3], 2) for (s, lg), v in done.items()}
    print(f"\nrender seconds (html + pdf): {json.dumps(timings)}")
    return done


# ----------------------------------------------------------------------------- PDF

@pytest.mark.parametrize("case", CASES, ids=lambda c: ".".join(c))
def test_pdf_has_headings_and_bundle_numbers(rendered, demo, case):
    stem, lang = case
    text = squash(pdftotext(rendered[case][1]))
    for heading in HEADINGS[case]:
        assert squash(heading) in text, heading
    bundle = read_bundle(_bundle(demo, stem))
    if stem == "ex_post":
        fr = ex_post.fiscal_metric(bundle.model, "fiscal_return_district")
        expected = [common.fmt(fr["estimate"], lang), common.fmt(fr["conf_low"], lang),
                    f"{bundle.results['n_firms']:,}"]
    else:
        rank = read_bundle(_bundle(demo, stem)).table("ranking").sort_values("rank").iloc[0]
        expected = [rank["term"], common.fmt(rank["estimate"], lang),
                    common.fmt(rank["conf_high"], lang)]
    for number in expected:
        assert squash(number) in text, number


@pytest.mark.parametrize("case", CASES, ids=lambda c: ".".join(c))
def test_pdf_embeds_a_cjk_font_and_log_is_clean(rendered, case):
    assert_cjk_font_embedded(rendered[case][1])
    assert_no_font_problems(rendered[case][2])


def test_pdf_date_is_source_date_epoch(rendered):
    assert EPOCH_ISO in pdfinfo_isodates(rendered[("ex_post", "zh")][1])  # EPOCH in UTC


def test_rendering_twice_gives_identical_bytes(rendered, demo, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    for stem in ("ex_post", "portfolio"):
        html, pdf = render_report(REPORTS / f"{stem}.qmd", _bundle(demo, stem), tmp_path,
                                  formats=("html", "pdf"), lang="zh", engine="fallback")
        first_html, first_pdf = rendered[(stem, "zh")][:2]
        assert html.read_bytes() == first_html.read_bytes(), stem
        assert pdf.read_bytes() == first_pdf.read_bytes(), stem


def test_pretrend_rejection_is_a_warning_in_the_summary(rendered, demo):
    pre = ex_post.pretrend_result(read_bundle(_bundle(demo, "ex_post")).model)
    # the synthetic district gives P07's recipients a dip before payment (Ashenfelter 1978)
    assert pre is not None and pre["rejects"], pre and pre["p_value"]
    for lang, heading in (("zh", "执行摘要"), ("en", "Executive summary")):
        html = rendered[("ex_post", lang)][0].read_text(encoding="utf-8")
        summary = next(s for s in html.split("<h2") if heading in s[:300])
        warned = "callout-warning" in summary
        assert warned == bool(pre and pre["rejects"]), (lang, pre and pre["p_value"])
        assert ("callout-warning" in html) == bool(pre and pre["rejects"])


# ----------------------------------------------------------------------------- disclosure

def test_two_firm_cohort_is_suppressed_in_html_and_pdf(demo, tmp_path):
    """A copy of the ex-post bundle whose last cohort has only 2 firms: its effect is shown as
    the disclosure mark in both formats, with the footnote, and its value appears nowhere."""
    src = read_bundle(_bundle(demo, "ex_post"))
    results = json.loads(json.dumps(dict(src.results)))
    cohorts = sorted(int(g) for g in results["cohort_sizes"] if g != "0")
    small = cohorts[-1]
    results["cohort_sizes"][str(small)] = 2
    tables = {name: src.table(name) for name in src.table_names()}
    figures = {p.removeprefix("figures/"): (src.path / p).read_bytes()
               for p in src.manifest["files"] if p.startswith("figures/")}
    bundle = tmp_path / "bundle"
    write_bundle(bundle, stage="ex_post", results=results, tables=tables, figures=figures,
                 provenance=dict(src.provenance), created=src.created)
    html, pdf = render_report(REPORTS / "ex_post.qmd", bundle, tmp_path / "out",
                              formats=("html", "pdf"), lang="zh", engine="fallback")
    page = html.read_text(encoding="utf-8")
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", page, flags=re.S)
    row = next(r for r in rows if re.search(rf"<td[^>]*>{small}</td>", r))
    assert MARK in row
    assert "按保密规则不予显示" in page
    text = pdftotext(pdf)
    line = next(x for x in text.splitlines() if x.strip().startswith(str(small)))
    assert MARK in line
    frame = ex_post.cohort_frame(read_bundle(bundle).model)
    hidden = frame.loc[frame["cohort"] == small, "att"].iloc[0]
    div = 1e4  # the zh table shows 万元
    digits = common.column_digits(frame["att"].abs().tolist(), div)
    assert f"{hidden / div:,.{digits}f}" not in line


def test_no_firm_identifier_in_any_report(rendered, demo):
    psi = read_bundle(_bundle(demo, "ex_post")).table("psi")
    ids = set(psi["firm_id"].astype(str))
    for html, pdf, _, _ in rendered.values():
        page = html.read_text(encoding="utf-8")
        assert not [i for i in ids if i in page]
        assert not re.search(r"\b91[0-9A-Z]{16}\b", pdftotext(pdf))


# ----------------------------------------------------------------------------- browser
# (the `browser` fixture is in tests/e2e/conftest.py)

@pytest.mark.parametrize("case", CASES, ids=lambda c: ".".join(c))
def test_html_opens_cleanly_in_chromium(rendered, browser, case):
    html = rendered[case][0]
    page = open_cleanly(browser, html)

    images = page.evaluate("Array.from(document.images).map(i => ({src: i.src.slice(0, 22),"
                           " ok: i.complete, w: i.naturalWidth}))")
    expected_figures = 1 if case[0] == "ex_post" else 2
    assert len(images) == expected_figures
    assert all(i["ok"] and i["w"] > 0 and i["src"].startswith("data:image/") for i in images)

    links = page.evaluate(
        "Array.from(document.querySelectorAll('a[href^=\"#\"]')).map(a => ({href:"
        " a.getAttribute('href'), tag: (document.getElementById(a.getAttribute('href')"
        ".slice(1)) || {tagName: null}).tagName}))")
    targets = {link["href"]: link["tag"] for link in links}
    expected = ({"#tbl-cohorts", "#tbl-overall", "#fig-event", "#tbl-twfe", "#tbl-fiscal"}
                if case[0] == "ex_post" else
                {"#fig-ranking", "#tbl-scorecards", "#fig-scoreheat", "#tbl-recs",
                 "#tbl-origins", "#tbl-realloc", "#tbl-class"})
    assert set(targets) == expected
    assert all(tag == ("FIGURE" if href.startswith("#fig-") else "TABLE")
               for href, tag in targets.items()), targets
    first = sorted(expected)[0]
    page.click(f'a[href="{first}"]')
    in_view = page.evaluate(
        f"(() => {{ const r = document.getElementById('{first[1:]}').getBoundingClientRect();"
        " return r.top > -2 && r.top < window.innerHeight; })()")
    assert in_view
    page.close()


# ----------------------------------------------------------------------------- helpers

@pytest.mark.parametrize(("low", "high", "key"), [(1.2, 3.0, "pays"), (-0.1, 0.5, "none"),
                                                   (0.1, 0.8, "partial"), (0.2, 1.4, "unclear")])
def test_verdict_follows_the_interval(low, high, key):
    assert ex_post.verdict_key(low, high) == key


def test_event_counts_follow_cohorts_and_window():
    results = {"window": [2016, 2025], "cohort_sizes": {"0": 100, "2018": 5, "2024": 2}}
    counts = ex_post.event_firm_counts(results_models.ex_post(results), [-2, -1, 0, 1, 2, 7])
    # e=-2: 2018 needs base year 2015 (< window) -> only 2024 (2022, base 2021): 2 firms
    assert counts == {-2: 2, -1: 7, 0: 7, 1: 7, 2: 5, 7: 5}


def test_money_keeps_three_significant_digits():
    assert common.money_auto(271_501.0, "en") == "CNY 0.272 million"
    assert common.money_auto(271_501.0, "zh") == "27.2 万元"
    assert common.money_auto(3.2e9, "zh") == "32.00 亿元"
