"""End to end: user text in a report is shown as literal text and never runs (issue 18, items 6
and 7). HTML is opened in headless Chromium (no script runs, no element the text asked for
exists, the text is on the page); the PDF is read back with pdftotext.

Small documents go through the same path as a report (report.views builds the markdown, the
fallback resolves cross-references, pandoc writes HTML and Typst, Typst compiles the PDF), one
per Hypothesis example; one full ex-post report puts a hostile string into every text field of
the six tables and of the study, and one ex-ante report into the proposal's names.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit import escape
from evalkit.report import fallback
from evalkit.report.qmd import parse_qmd
from evalkit.report.views import common, monitor, portfolio
from tests.e2e.browser import open_cleanly
from tests.e2e.reportcheck import REPORTS, html_text, pdftotext, render_at_epoch, squash
from tests.unit.test_text_is_data import HOSTILE

#: Elements and attributes no user text may create.
FORBIDDEN = ("script", "img:not([src^='data:image/'])", "iframe", "object", "embed", "svg",
             "[onerror]", "[onload]", "a[href^='javascript']", "a[href^='http']")
#: Characters the report fonts have glyphs for, so pdftotext can read them back.
PDF_ALPHABET = string.ascii_letters + string.digits + string.punctuation + " \t\n" \
    + "建议预算政策名称部门区科委：，。（）"
pdf_texts = st.lists(st.one_of(st.sampled_from(HOSTILE),
                               st.text(PDF_ALPHABET, max_size=25)),
                     min_size=1, max_size=3).map("".join)
html_texts = st.lists(st.one_of(st.sampled_from(HOSTILE),
                                st.text(st.characters(codec="utf-8"), max_size=25)),
                      min_size=1, max_size=3).map("".join)
RENDER = settings(max_examples=6, derandomize=True, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow,
                                         HealthCheck.function_scoped_fixture])


def _literal(text: str) -> str:
    """What a reader should see: the text with control characters replaced, runs of spaces and
    line breaks as one space, and (squashed) no spaces at all."""
    return squash(escape.printable(text))


def _document(value: str, lang: str) -> str:
    """Markdown built by the report views with ``value`` in every text field they show."""
    policy = {"policy_id": value, "name_zh": value, "name_en": value, "department": value,
              "instrument": value, "objective": "innovation"}
    rows = pd.DataFrame({"recommendation_id": [value], "decision": [value], "reviewer": [value],
                         "timestamp": ["2026-01-01"], "comment": [value]})
    review = {"state": "reviewed", "rows": rows.to_dict("records"), "intact": True, "bad_seq": None,
              "pending": [value]}
    kpis = pd.DataFrame({"indicator": [value], "policy_id": [value], "target": [1.0],
                         "actual": [2.0], "status": ["green"], "target_year": [2025],
                         "period": [value], f"name_{lang}": [value], f"unit_{lang}": [value]})
    parts = [common.policy_line(policy, lang), portfolio.review_text(review, value, lang),
             monitor.kpi_table(kpis, lang)]
    return fallback.resolve_xrefs("\n\n".join(parts) + "\n", {}, lang)


def _render(markdown: str, out: Path, lang: str) -> tuple[Path, Path]:
    doc = parse_qmd("---\ntitle: t\n---\n\ntext\n")
    out.mkdir(parents=True, exist_ok=True)
    log = fallback.RenderLog()
    html = fallback.render_html(markdown, fallback.pandoc_meta(doc, lang, pdf=False),
                                out / "doc.html", out, log)
    pdf = fallback.render_pdf(markdown, fallback.pandoc_meta(doc, lang, pdf=True),
                              out / "doc.pdf", out, log, timestamp=0)
    return html, pdf


def _assert_inert_in_chromium(browser, html: Path, *texts: str) -> None:
    page = open_cleanly(browser, html)     # no console error, page error or outside request
    try:
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.reload(wait_until="load")
        assert page.evaluate("window.__pwned") is None
        assert dialogs == []
        for selector in FORBIDDEN:
            assert page.query_selector_all(f"body {selector}") == [], selector
        shown = squash(page.inner_text("body"))
        for text in texts:
            assert _literal(text) in shown
    finally:
        page.close()


# ----------------------------------------------------------------------------- items 6 and 7

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_item6_7_hostile_names_are_text_in_html_and_pdf(browser, tmp_path, lang):
    markdown = "\n\n".join(_document(v, lang) for v in HOSTILE)
    html, pdf = _render(markdown, tmp_path, lang)      # item 7: #panic would abort here
    _assert_inert_in_chromium(browser, html, *HOSTILE)
    text = squash(pdftotext(pdf))
    assert text.count("FORGED") == text.count("#place(top")   # never without its source
    for value in HOSTILE:
        if "\x1b" not in value:
            assert _literal(value) in text, value


# ----------------------------------------------------------------------------- Hypothesis

@RENDER
@given(value=html_texts)
def test_any_text_is_literal_and_inert_in_chromium(browser, tmp_path_factory, value):
    html, _ = _render(_document(value, "en"), tmp_path_factory.mktemp("h"), "en")
    _assert_inert_in_chromium(browser, html)
    shown = squash(html_text(html.read_text(encoding="utf-8")))
    assert _literal(value) in shown


@RENDER
@given(value=pdf_texts)
def test_any_text_is_literal_in_the_pdf(tmp_path_factory, value):
    _, pdf = _render(_document(value, "zh"), tmp_path_factory.mktemp("p"), "zh")
    assert _literal(value) in squash(pdftotext(pdf))


# ----------------------------------------------------------------------------- full reports

NAME = '<img src=x onerror="window.__pwned=1"> `#panic("X")`{=typst} @fig-x [/] $x$'


def _hostile(tag: str) -> str:
    return f"{tag} {NAME}"


@pytest.fixture(scope="module")
def hostile_cycle(tmp_path_factory):
    """A small district whose every text field holds markup, ingested; P07's ex-post study with
    a hostile note, and an ex-ante proposal with hostile names."""
    from evalkit.io import ingest_dir
    from evalkit.stages.run import load_tables, run_study
    from evalkit.synth import synthesize_district, write_district

    out = tmp_path_factory.mktemp("hostile")
    write_district(synthesize_district(n_firms=400, seed=11), out / "data", dirty=False, seed=11)
    text_fields = {"firms": ["name"], "policies": ["name_zh", "name_en", "department", "kpis"],
                   "disbursements": ["record_id", "project_ref"],
                   "kpi_targets": ["indicator", "unit"]}
    for table, cols in text_fields.items():
        path = out / "data" / f"{table}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in cols:
            if col in frame.columns:
                frame[col] = [_hostile(f"{v}") if v else v for v in frame[col]]
        frame.to_csv(path, index=False, encoding="utf-8")
    store, bundles = out / "warehouse.duckdb", out / "bundles"
    loaded = load_tables(store, ingest_dir(out / "data", store=store).version.dataset_id)
    doc = yaml.safe_load((REPORTS.parent / "studies" / "demo" / "ex_post_P07.yaml")
                         .read_text(encoding="utf-8"))
    doc["data"] = {"store": str(store), "dataset": "latest"}
    doc["name"] = _hostile("study")
    doc["inference"]["bootstrap"] = 0
    doc["report"]["notes"] = {"zh": _hostile("说明"), "en": _hostile("note")}
    (out / "ex_post.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    run_study(out / "ex_post.yaml", bundles / "ex_post", tables=loaded)
    doc = yaml.safe_load((REPORTS.parent / "studies" / "demo" / "ex_ante_N01.yaml")
                         .read_text(encoding="utf-8"))
    doc["data"] = {"store": str(store), "dataset": "latest"}
    doc["name"] = _hostile("study")
    doc["proposal"]["name_zh"] = _hostile("提案")
    doc["proposal"]["name_en"] = _hostile("proposal")
    doc["evidence_bundles"] = [str(bundles / "ex_post")]
    (out / "ex_ante.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    run_study(out / "ex_ante.yaml", bundles / "ex_ante", tables=loaded)
    return bundles


@pytest.mark.parametrize("stage,lang", [("ex_post", "zh"), ("ex_post", "en"),
                                        ("ex_ante", "en")])
def test_full_report_with_hostile_text_everywhere(hostile_cycle, browser, tmp_path, stage, lang):
    html, pdf, log, _ = render_at_epoch(REPORTS / f"{stage}.qmd", hostile_cycle / stage,
                                        tmp_path, lang)
    name = {"ex_post": {"zh": "R&D", "en": "R&D"}, "ex_ante": {"en": "proposal"}}[stage][lang]
    page = html.read_text(encoding="utf-8")
    shown = squash(html_text(page))
    assert _literal(NAME) in shown and "window.__pwned" in shown
    _assert_inert_in_chromium(browser, html, NAME)
    text = squash(pdftotext(pdf))
    assert _literal(NAME) in text
    if stage == "ex_ante":
        assert _literal(_hostile(name)) in shown and _literal(_hostile(name)) in text
    else:
        note = _hostile("说明" if lang == "zh" else "note")
        assert _literal(note) in shown and _literal(note) in text
    assert not re.search(r"unresolved|panic", log, re.I)
