"""End to end: the ex-ante and monitoring reports rendered from a small demo cycle, in Chinese and
English, HTML and PDF.

The demo's monitoring cases (ledger anomalies, a policy behind on execution, an off-track KPI;
:func:`evalkit.synth.anomalies.inject_monitoring_cases`) are injected into a small district
(1,500 firms), which is ingested; the demo study files for the two ex-ante appraisals (N01, N02),
the ex-post evaluations they pool (49 bootstrap draws) and the monitoring are run with
`evalkit run`'s code path. Each ex-ante and monitoring report is rendered once per language with
the fallback engine; the PDFs are read back with poppler (pdftotext, pdffonts, pdfinfo) and the
HTML is opened in headless Debian Chromium through Playwright (no browser download).
"""

import functools
import json
import math
import re
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest
import yaml

from evalkit.contract.bundle import read_bundle
from evalkit.disclosure import DOMINANCE, MARK, MIN_FIRMS, suppress
from evalkit.i18n import t
from evalkit.numbers import money, money_unit, number, percent
from evalkit.report.views import common, monitor
from tests.e2e.browser import open_cleanly
from tests.e2e.reportcheck import (
    EPOCH,
    EPOCH_ISO,
    REPORTS,
    assert_cjk_font_embedded,
    assert_no_font_problems,
    html_headings,
    html_table_rows,
    html_text,
    pdf_fonts,
    pdfinfo_isodates,
    pdftotext,
    render_at_epoch,
    squash,
)

DEMO_STUDIES = Path(__file__).resolve().parents[2] / "studies" / "demo"
EX_ANTE = ("ex_ante_N01", "ex_ante_N02")
MONITOR = "monitor"
LANGS = ("zh", "en")
CASES = [(name, lang) for name in (*EX_ANTE, MONITOR) for lang in LANGS]
N_FIRMS, SEED, BOOTSTRAP = 1500, 7, 49
#: A unified social credit code (GB 32100-2015): 18 characters, no I, O, S, V, Z.
USCC = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Z])")


def _ids(case):
    return ".".join(case)


def _template(name: str) -> Path:
    return REPORTS / ("monitor.qmd" if name == MONITOR else "ex_ante.qmd")


class Cycle(NamedTuple):
    bundles: Path
    tables: dict[str, pd.DataFrame]
    manifest: dict


@pytest.fixture(scope="module")
def cycle(tmp_path_factory) -> Cycle:
    """The bundles of the ex-ante appraisals (and of the ex-post evaluations they pool) and of
    the monitoring, the warehouse's tables and the injected cases' manifest."""
    from evalkit.demo import write_demo_study
    from evalkit.io import ingest_dir
    from evalkit.stages.run import load_tables, run_study
    from evalkit.synth import synthesize_district, write_district
    from evalkit.synth.anomalies import inject_monitoring_cases

    out = tmp_path_factory.mktemp("cycle")
    district, manifest = inject_monitoring_cases(synthesize_district(n_firms=N_FIRMS, seed=SEED),
                                                 seed=SEED)
    write_district(district, out / "data", dirty=False, seed=SEED)
    store, bundles = out / "warehouse.duckdb", out / "bundles"
    loaded = load_tables(store, ingest_dir(out / "data", store=store).version.dataset_id)
    evidence = sorted({Path(b).name for name in EX_ANTE for b in yaml.safe_load(
        (DEMO_STUDIES / f"{name}.yaml").read_text(encoding="utf-8"))["evidence_bundles"]})
    for name in (*evidence, *EX_ANTE, MONITOR):
        study = write_demo_study(name, out / "studies", store, bundles, bootstrap=BOOTSTRAP)
        run_study(study, bundles / name, tables=loaded)
    return Cycle(bundles, loaded[0], manifest)


@pytest.fixture(scope="module")
def rendered(cycle, tmp_path_factory):
    """{(bundle name, lang): (html, pdf, log text, seconds)} rendered with SOURCE_DATE_EPOCH."""
    out = tmp_path_factory.mktemp("reports")
    done = {(name, lang): render_at_epoch(_template(name), cycle.bundles / name, out / name, lang)
            for name, lang in CASES}
    timings = {_ids(case): round(v[3], 2) for case, v in done.items()}
    print(f"\nrender seconds (html + pdf): {json.dumps(timings)}")
    return done


class Report(NamedTuple):
    """One rendered report read back: the HTML source, its visible text squashed, the PDF text
    laid out (a table row on one line), the same squashed, and in content-stream order
    (a table's cells row by row) squashed."""

    page: str
    html: str
    pdf_text: str
    pdf_layout: str
    pdf: str


@pytest.fixture(scope="module")
def read_back(rendered):
    """case -> :class:`Report`, read once per case."""
    @functools.cache
    def read(case) -> Report:
        html, pdf = rendered[case][:2]
        page, text = html.read_text(encoding="utf-8"), pdftotext(pdf)
        return Report(page, squash(html_text(page)), text, squash(text),
                      squash(pdftotext(pdf, "raw")))
    return read


def _shows(report: Report, text: str) -> bool:
    """``text`` is in the HTML and in the PDF."""
    want = squash(text)
    return want in report.html and want in report.pdf_layout


def _assert_rows_in_pdf(report: Report, rows: list[list[str]]) -> None:
    """Every HTML table row is in the PDF too, its cells in order."""
    for row in rows:
        assert squash("".join(row)) in report.pdf, row


def _close(shown: str, value: float, div: float, lang: str) -> None:
    """A table cell shows ``value`` (yuan) in units of ``div`` to the precision it prints."""
    digits = len(shown.split(".")[1]) if "." in shown else 0
    assert abs(float(shown.replace(",", "")) * div - value) <= 0.5 * 10 ** -digits * div + 1e-6, \
        (shown, value, lang)


# ----------------------------------------------------------------------------- headings

def template_heading_keys(template: Path) -> list[str]:
    """The i18n keys of a template's title and level-2 headings, in order, includes followed."""
    keys = []
    for line in template.read_text(encoding="utf-8").splitlines():
        if m := re.match(r'^(?:title:\s*"|## )\{\{< t (\S+) >\}\}"?\s*$', line):
            keys.append(m.group(1))
        elif m := re.match(r"^\{\{< include (\S+) >\}\}\s*$", line):
            keys += template_heading_keys(template.parent / m.group(1))
    return keys


def test_templates_have_the_expected_sections():
    assert template_heading_keys(_template("ex_ante_N01")) == [
        "report.ex_ante.title", "report.common.summary", "report.ex_ante.cost.title",
        "report.ex_ante.eligible.title", "report.ex_ante.checklist.title",
        "report.ex_ante.power.title", "report.glossary.title", "report.disclosure.title",
        "report.provenance.title"]
    assert template_heading_keys(_template(MONITOR)) == [
        "report.monitor.title", "report.common.summary", "report.monitor.exec.title",
        "report.monitor.kpi.title", "report.monitor.interim.title", "report.monitor.anom.title",
        "report.glossary.title", "report.disclosure.title",
        "report.provenance.title"]


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_every_heading_of_the_template_is_in_the_pdf_and_html(read_back, cycle, case):
    name, lang = case
    keys = template_heading_keys(_template(name))
    # the title is the study's name (the template's title is the subtitle's first words)
    study = read_bundle(cycle.bundles / name).results["study"]["name"]
    headings = [" ".join(study.split())] + [t(key, lang) for key in keys[1:]]
    assert _shows(read_back(case), t(keys[0], lang))
    report = read_back(case)
    assert html_headings(report.page) == headings
    for heading in headings:
        assert squash(heading) in report.pdf_layout, heading


# ----------------------------------------------------------------------------- ex-ante numbers

@pytest.mark.parametrize("case", [c for c in CASES if c[0] in EX_ANTE], ids=_ids)
def test_ex_ante_shows_eligible_firms_cost_and_power_from_the_bundle(read_back, cycle, case):
    name, lang = case
    data = read_bundle(cycle.bundles / name)
    res = data.results
    sim = res["microsim"]
    central = next(s for s in sim["scenarios"] if s["name"] == sim.get("central", "central"))
    design = res["evaluability"]["designs"][0]
    outcome = design.get("outcome", "tax_paid")
    score = res["checklist"].get("score", res["checklist"].get("total"))
    report = read_back(case)

    expected = [
        number(sim["n_eligible"], lang),
        percent(sim["n_eligible"] / sim["n_firms"], lang),
        money(central["cost"], lang),
        money(central["cost_low"], lang), money(central["cost_high"], lang),
        money(sim["budget"], lang),
        percent(central["take_up"], lang, 0),
        number(score, lang, 1),
        # the minimum detectable effect at 80% power, with its design
        t("report.ex_ante.mde", lang, design=t(f"report.ex_ante.design.{design['label']}", lang),
          mde=common.outcome_value(design["mde"], outcome, lang)),
    ]
    if res.get("evidence"):
        eff = res["evidence"]["effect"]
        expected += [common.outcome_value(eff[k], outcome, lang)
                     for k in ("mean", "conf_low", "conf_high")]
    for text in expected:
        assert _shows(report, text), text
    assert design["power"] == pytest.approx(0.8)

    # eligible firms by size class: counts as in the bundle, adding up to the eligible total
    groups = data.table("eligible_by_size_class")
    assert int(groups["eligible"].sum()) == sim["n_eligible"]
    rows = html_table_rows(report.page, "tbl-eligible")
    div, _ = money_unit(groups["award_total"].tolist(), lang)
    assert len(rows) == len(groups)
    for row, g in zip(rows, groups.itertuples(), strict=True):
        assert row[:4] == [common.label("size_class", g.group, lang), number(g.firms, lang),
                           number(g.eligible, lang), percent(g.eligible_share, lang)], row
        if 0 < g.eligible < MIN_FIRMS:
            assert row[4] == MARK, row
        elif row[4] != MARK:  # else shown, unless hidden to protect a suppressed group
            _close(row[4], g.award_total, div, lang)
    _assert_rows_in_pdf(report, rows)

    # the cost table: every year and scenario, cost and interval to the precision shown
    cost = data.table("cost_by_year")
    rows = html_table_rows(report.page, "tbl-cost")
    cols = ["cost", "cost_low", "cost_high", "budget"]
    div, _ = money_unit(cost[cols].abs().to_numpy().ravel(), lang)
    assert len(rows) == len(cost)
    sep = t("report.common.range", lang, lo="|", hi="|").strip("|")
    for row, c in zip(rows, cost.itertuples(), strict=True):
        assert row[:2] == [str(c.year), t(f"report.ex_ante.scenario.{c.scenario}", lang)], row
        lo, hi = row[3].split(sep)
        for shown, value in ((row[2], c.cost), (lo, c.cost_low), (hi, c.cost_high),
                             (row[4], c.budget)):
            _close(shown.strip(), value, div, lang)
    _assert_rows_in_pdf(report, rows)
    central_cost = cost.loc[cost["scenario"] == "central", "cost"]
    assert central_cost.eq(central["cost"]).all()

    # the checklist: points per dimension
    scores = data.table("checklist")
    rows = html_table_rows(report.page, "tbl-checklist")
    assert [r[:2] for r in rows] == [[d, f"{number(p, lang, 1)} / {number(w, lang, 0)}"] for d, p, w
                                     in zip(scores[f"name_{lang}"], scores["points"],
                                            scores["weight"], strict=True)]
    assert sum(scores["points"]) == pytest.approx(score)
    _assert_rows_in_pdf(report, rows)


# ----------------------------------------------------------------------------- monitor numbers

@pytest.mark.parametrize("lang", LANGS)
def test_monitor_shows_execution_targets_and_anomalies_from_the_bundle(read_back, cycle, lang):
    data = read_bundle(cycle.bundles / MONITOR)
    res = data.results
    execution = data.table("execution")
    kpis = data.table("kpis")
    anomalies = data.table("anomalies")
    report = read_back((MONITOR, lang))

    # the summary: status counts and the number of ledger anomalies flagged
    status = execution["status"].value_counts()
    assert _shows(report, t("report.monitor.summary", lang, year=res["year"], as_of=res["as_of"],
                            elapsed=percent(float(execution["elapsed"].iloc[0]), lang, 0),
                            n=len(execution), red=int(status.get("red", 0)),
                            amber=int(status.get("amber", 0)),
                            green=int(status.get("green", 0))))
    counts = res["anomalies"]["counts"]
    n_flagged = sum(c["findings"] for c in counts.values())
    assert n_flagged == len(anomalies) > 0
    lead = t("report.monitor.anomalies", lang, n=n_flagged, checks="|").split("|")[0]
    assert _shows(report, lead), lead

    # budget execution: each policy's rate and status; amounts to the precision shown
    rows = html_table_rows(report.page, "tbl-exec")
    div, _ = money_unit(execution[["appropriation", "disbursed"]].abs().to_numpy().ravel(), lang)
    # each policy by its code beside its name (the bundle records the names)
    names = common.policy_names(data.model, lang)
    assert [r[0] for r in rows] == [f"{p} {names[p]}" for p in execution["policy_id"]]
    for row, e in zip(rows, execution.itertuples(), strict=True):
        assert row[3:] == [percent(e.execution_rate, lang, 0), common.label("status", e.status, lang),
                           e.period, getattr(e, f"action_{lang}")], row
        _close(row[1], e.appropriation, div, lang)
        _close(row[2], e.disbursed, div, lang)
        if e.appropriation > 0:
            assert e.execution_rate == pytest.approx(e.disbursed / e.appropriation)
    _assert_rows_in_pdf(report, rows)
    behind = cycle.manifest["behind_execution"]
    red = execution.loc[execution["status"] == "red", "policy_id"].tolist()
    assert behind["policy_id"] in red
    assert _shows(report, t("report.monitor.red", lang,
                            pids=("、" if lang == "zh" else ", ").join(red)))

    # performance targets: every KPI (named in the report's language) with its target, actual and
    # status; the injected off-track KPI red; an actual summed or averaged over fewer than 3
    # firms, or with one firm above 85 % of it, hidden (issue 18, item 10)
    rows = html_table_rows(report.page, "tbl-kpis")
    district = t("report.monitor.district", lang)
    assert not any("_" in r[0] for r in rows), [r[0] for r in rows]

    def kpi_hidden(k) -> bool:
        return not pd.isna(k.n_firms) and k.n_firms > 0 and (
            k.n_firms < MIN_FIRMS or k.top_share > DOMINANCE)

    # each row names its unit, target year and the period its status is about (issue 16, item 5)
    expected = sorted(
        [getattr(k, f"name_{lang}"),
         district if pd.isna(k.policy_id) else f"{k.policy_id} {names[k.policy_id]}",
         getattr(k, f"unit_{lang}"), f"{number(k.target, lang, 1)} ({k.target_year})",
         MARK if kpi_hidden(k) else number(k.actual, lang, 1),
         common.label("status", k.status, lang), k.period if isinstance(k.period, str) else ""]
        for k in kpis.itertuples())
    assert sorted(rows) == expected
    off = cycle.manifest["off_track_kpi"]
    k = kpis.loc[(kpis["indicator"] == off["indicator"]) & kpis["policy_id"].isna()].iloc[0]
    assert [k[f"name_{lang}"], district, k[f"unit_{lang}"],
            f"{number(off['target_after'], lang, 1)} ({k['target_year']})",
            number(off["actual"], lang, 1), common.label("status", "red", lang),
            str(k["actual_year"])] in rows
    _assert_rows_in_pdf(report, rows)

    # ledger checks: findings and records per check as flagged; an amount resting on fewer than
    # MIN_FIRMS firms, or with one firm above DOMINANCE of it, is hidden (firms counted here from
    # the warehouse's ledger, independently of the bundle); a shown amount passes the rule
    led = cycle.tables["disbursements"].assign(record_id=lambda d: d["record_id"].astype(str))
    fails = {}
    for key in res["anomalies"]["checks"]:
        ids = {r for x in anomalies.loc[anomalies["check"] == key, "record_ids"]
               for r in str(x).split(";")}
        per_firm = led[led["record_id"].isin(ids)].groupby("firm_id")["amount"].sum().abs()
        fails[key] = len(per_firm) > 0 and (len(per_firm) < MIN_FIRMS
                                            or per_firm.max() > DOMINANCE * per_firm.sum())
    rows = html_table_rows(report.page, "tbl-anomalies")
    checks = res["anomalies"]["checks"]
    div, _ = money_unit(anomalies.groupby("check")["amount"].sum().tolist(), lang)
    assert [r[0] for r in rows] == [checks[k][lang] for k in sorted(checks)]
    for row, key in zip(rows, sorted(checks), strict=True):
        assert counts[key]["findings"] == int((anomalies["check"] == key).sum())
        assert row[1:3] == [str(counts[key]["findings"]), str(counts[key]["records"])], row
        if fails[key]:
            assert row[3] == MARK, row
        elif row[3] == MARK:  # only as the complement protecting another hidden amount
            assert any(fails.values()), row
        else:
            _close(row[3], anomalies.loc[anomalies["check"] == key, "amount"].sum(), div, lang)
    _assert_rows_in_pdf(report, rows)
    # every injected ledger anomaly is in the warehouse (out-of-window payments are accepted at
    # ingest with an outside_policy_window warning) and counted under its check
    ledger = set(cycle.tables["disbursements"]["record_id"])
    for kind, injected in cycle.manifest["injected_records"].items():
        flagged = {r for ids in anomalies.loc[anomalies["check"] == kind, "record_ids"]
                   for r in str(ids).split(";")}
        assert set(injected) <= ledger, kind
        assert set(injected) <= flagged, kind
        assert counts[kind]["findings"] > 0 or not injected, kind


@pytest.mark.parametrize("lang", LANGS)
def test_monitor_shows_the_interim_effects_from_the_bundle(read_back, cycle, lang):
    from evalkit.monitor.interim import INTERIM_LABEL
    from evalkit.numbers import outcome_amount, outcome_label

    bundle = read_bundle(cycle.bundles / MONITOR)
    res = bundle.results
    report = read_back((MONITOR, lang))
    assert _shows(report, INTERIM_LABEL[lang].split(";")[0])   # pandoc curls the apostrophe
    frame = monitor.interim_frame(bundle.model)
    assert len(frame) == len(res["interim"]) == 8
    rows = html_table_rows(report.page, "tbl-interim")
    names = common.policy_names(bundle.model, lang)
    assert [r[0] for r in rows] == [f"{p} {names[p]}" for p in frame["policy"]]
    for row, f in zip(rows, frame.itertuples(), strict=True):
        v = res["interim"][f.policy]
        assert row[1] == outcome_label(v["outcome"], lang) and row[2] == str(f.n_firms)
        assert f.n_firms == sum(v["cohort_sizes"].values())
        if f.n_firms < MIN_FIRMS:
            assert row[3] == MARK, row
        elif v["dynamic"] is not None:
            assert row[3] == outcome_amount(v["outcome"], v["dynamic"]["overall_att"], lang), row
            assert f.conf_low < f.att < f.conf_high
        verdict = "report.monitor.interim.rejects" if v["pretrend_rejects"] else \
            "report.monitor.interim.passes"
        if f.n_firms < MIN_FIRMS:
            assert row[5] == MARK, row
        elif v["pretrend"] is not None:
            assert row[5].startswith(t(verdict, lang, p="|").split("|")[0]), row
        assert row[6] == common.label("conditioning", v["conditioning"], lang), row
    _assert_rows_in_pdf(report, rows)
    flagged = frame.loc[frame["rejects"] & (frame["n_firms"] >= MIN_FIRMS), "policy"].tolist()
    assert _shows(report, monitor.interim_summary(res, lang))
    lead = squash(t("report.monitor.interim.flag", lang, pids="|", n=8).split("|")[0])
    assert bool(flagged) == (lead in report.html)


# ----------------------------------------------------------------------------- PDF

@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_pdf_fonts_are_embedded_and_log_is_clean(rendered, case):
    pdf, log = rendered[case][1], rendered[case][2]
    if case[1] == "zh":
        assert_cjk_font_embedded(pdf)
    fonts = pdf_fonts(pdf)
    assert fonts and all(f.split()[-5] == "yes" for f in fonts), fonts  # the 'emb' column
    assert_no_font_problems(log)
    for word in ("warning", "error", "traceback", "findfont", "missing"):
        assert word not in log.lower(), log


@pytest.mark.parametrize("name", [EX_ANTE[0], MONITOR])
def test_pdf_date_is_source_date_epoch(rendered, name):
    assert EPOCH_ISO in pdfinfo_isodates(rendered[(name, "zh")][1])


@pytest.mark.parametrize("case", [(EX_ANTE[0], "zh"), (MONITOR, "en")], ids=_ids)
def test_rendering_twice_gives_identical_bytes(rendered, cycle, tmp_path, case):
    name, lang = case
    html, pdf, _, _ = render_at_epoch(_template(name), cycle.bundles / name, tmp_path, lang)
    first_html, first_pdf = rendered[case][:2]
    assert html.read_bytes() == first_html.read_bytes()
    assert pdf.read_bytes() == first_pdf.read_bytes()
    assert str(EPOCH) not in html.read_text(encoding="utf-8")  # the date, not the raw epoch


# ----------------------------------------------------------------------------- disclosure

def test_no_firm_identifier_or_ledger_record_in_any_report(read_back, cycle):
    firm_ids = set(cycle.tables["firms"]["firm_id"].astype(str))
    anomalies = read_bundle(cycle.bundles / MONITOR).table("anomalies")
    records = {r for ids in anomalies["record_ids"] for r in str(ids).split(";")}
    projects = {f.removeprefix("project ") for f in anomalies["finding"]
                if f.startswith("project ")}
    assert firm_ids and records and projects
    for case in CASES:
        report = read_back(case)
        assert not USCC.search(html_text(report.page)), case
        assert not USCC.search(report.pdf_text), case
        for text in (report.html, report.pdf_layout, report.pdf):
            assert not [i for i in firm_ids if i in text], case
            assert not [r for r in records | projects if r in text], case


# ----------------------------------------------------------------------------- browser

LINKS = {"ex_ante": {"#tbl-cost", "#tbl-eligible", "#tbl-checklist", "#fig-power"}, "monitor": {"#tbl-exec", "#fig-burnup", "#tbl-interim", "#tbl-anomalies"}}


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_html_opens_cleanly_in_chromium(rendered, browser, case):
    name, _ = case
    template = _template(name)
    labels = re.findall(r"^#\| label: (\S+)$", template.read_text(encoding="utf-8"), flags=re.M)
    page = open_cleanly(browser, rendered[case][0])

    images = page.evaluate("Array.from(document.images).map(i => ({src: i.src.slice(0, 22),"
                           " ok: i.complete, w: i.naturalWidth}))")
    assert len(images) == len([x for x in labels if x.startswith("fig-")])
    assert all(i["ok"] and i["w"] > 0 and i["src"].startswith("data:image/") for i in images)

    tags = page.evaluate(
        "(ids) => ids.map(id => (document.getElementById(id) || {tagName: null}).tagName)",
        labels)
    assert tags == ["FIGURE" if x.startswith("fig-") else "TABLE" for x in labels], labels

    links = page.evaluate(
        "Array.from(document.querySelectorAll('a[href^=\"#\"]')).map(a => ({href:"
        " a.getAttribute('href'), tag: (document.getElementById(a.getAttribute('href')"
        ".slice(1)) || {tagName: null}).tagName}))")
    targets = {link["href"]: link["tag"] for link in links}
    assert set(targets) == LINKS[template.stem]
    assert all(tag == ("FIGURE" if href.startswith("#fig-") else "TABLE")
               for href, tag in targets.items()), targets
    if targets:
        first = sorted(targets)[0]
        page.click(f'a[href="{first}"]')
        in_view = page.evaluate(
            f"(() => {{ const r = document.getElementById('{first[1:]}')"
            ".getBoundingClientRect(); return r.top > -2 && r.top < window.innerHeight; })()")
        assert in_view
    page.close()


# ----------------------------------------------------------------------------- helpers

def test_empty_cells_are_neither_suppressed_nor_hidden_as_a_complement():
    """A check that flagged nothing (0 records) published as 0 is not a disclosure risk, and
    hiding another cell to protect it (or with it) would hide a publishable amount."""
    table = pd.DataFrame({"n": [0, 6, 12, 3, 1], "v": [0.0, 5.0, 9.0, 7.0, 2.0],
                          "top": [0.0] * 5})
    s = suppress(table, "n", "v", max_col="top")
    assert s.primary.tolist() == [False, False, False, False, True]
    # the lone suppressed cell (1 record) is protected by the smallest occupied cell, not by 0
    assert s.suppressed.tolist() == [False, True, False, False, True]
    only_empty_others = suppress(table.iloc[[0, 4]], "n", "v", max_col="top")
    assert only_empty_others.suppressed.tolist() == [False, True]
    assert math.isclose(only_empty_others.frame["v"].iloc[0], 0.0)
