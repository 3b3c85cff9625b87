"""Issue 18, item 10: no published number rests on fewer than 3 firms or on one dominant firm.

The synthetic district (1,500 firms) with its ledger cut so that P01 has 1 recipient, P02 2,
P03 3 (in three 1-firm cohorts) and one P04 firm holds 91 % of P04's payments
(:mod:`tests.e2e.disclosure_district`); P05 has 2 treated firms at this size. The ex-post,
monitoring and portfolio studies run through ``run_study`` and their reports are rendered with
the built-in renderer; the HTML tables and the PDF text (pdftotext) are read back.

Before the fix the P01 report printed "1 recipients; CNY 0.2 million paid", every overall effect,
the TWFE and fiscal tables of its single firm, the monitor report its disbursement that year, the
P04 report the 91 %-dominated total, while the disclosure section said no firm's data is shown.
"""

import math

import pytest

from evalkit.contract.bundle import read_bundle
from evalkit.disclosure import MARK, Rule
from evalkit.numbers import money
from evalkit.report.suppression import ex_post_plan
from evalkit.report.views import common, ex_post
from tests.e2e.disclosure_district import build
from tests.e2e.reportcheck import REPORTS, html_table_rows, pdftotext, render_at_epoch, squash

CASES = [("ex_post_P01", "en"), ("ex_post_P02", "en"), ("ex_post_P03", "en"),
         ("ex_post_P04", "en"), ("ex_post_P04", "zh"), ("monitor", "en"), ("portfolio", "en")]


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    return build(tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def rendered(bundles, tmp_path_factory):
    """{(bundle, lang): (html text, pdf text)}."""
    out = tmp_path_factory.mktemp("reports")
    done = {}
    for name, lang in CASES:
        stem = "ex_post" if name.startswith("ex_post") else name
        html, pdf, _, _ = render_at_epoch(REPORTS / f"{stem}.qmd", bundles[name], out / name, lang)
        done[(name, lang)] = (html.read_text(encoding="utf-8"), pdftotext(pdf))
    return done


def _results(bundles, name):
    return read_bundle(bundles[name]).results


def _section(text: str, heading: str) -> str:
    return text.split(heading, 1)[1]


def test_the_district_has_the_small_policies(bundles):
    for pid, n in (("P01", 1), ("P02", 2), ("P03", 3)):
        res = _results(bundles, f"ex_post_{pid}")
        assert res["disclosure"]["treated"]["n"] == n
        assert res["disclosure"]["payments"]["n"] == n
    pay = _results(bundles, "ex_post_P04")["disclosure"]["payments"]
    assert pay["n"] > 20 and pay["top_share"] == pytest.approx(0.91, abs=0.005)


@pytest.mark.parametrize("pid", ["P01", "P02"])
def test_one_or_two_firms_publish_no_effect_cost_or_fiscal_figure(bundles, rendered, pid):
    res = _results(bundles, f"ex_post_{pid}")
    html, pdf = rendered[(f"ex_post_{pid}", "en")]
    for table in ("tbl-overall", "tbl-twfe", "tbl-fiscal"):
        rows = html_table_rows(html, table)
        assert rows and all(set(r[1:]) == {MARK} for r in rows), (table, rows)
    cohorts = html_table_rows(html, "tbl-cohorts")
    assert all(r[2] == MARK for r in cohorts[:-1]), cohorts   # the last row: comparison firms
    cost = res["fiscal"]["cost"]
    text = squash(pdf)
    for amount in (cost["total"], cost["nominal"]):
        for digits in (1, 2, 3):
            assert squash(money(amount, "en", digits)) not in text
    main = res["outcomes"][res["main_outcome"]]["simple"]["estimates"]
    k = main["term"].index("overall")
    shown = common.outcome_value(main["estimate"][k], res["main_outcome"], "en")
    assert squash(shown) not in squash(_section(pdf, "Executive summary").split("Design")[0])
    # the event study has no point left
    bundle = read_bundle(bundles[f"ex_post_{pid}"])
    assert ex_post.dynamic_frame(bundle.model,
                                 bundle.table(f"dynamic_{res['main_outcome']}")).empty
    statement = _section(pdf, "Disclosure control").split("Appendix")[0]
    assert "This report shows no single firm" not in pdf
    assert "fewer than 3 firms" in statement and "the amount paid" in statement
    assert "District tax per yuan of subsidy" in statement


def test_three_firms_in_three_cohorts_publish_the_overall_but_no_cohort(bundles, rendered):
    html, _ = rendered[("ex_post_P03", "en")]
    cohorts = html_table_rows(html, "tbl-cohorts")[:-1]
    assert len(cohorts) == 3 and all(r[1] == "1" and r[2] == MARK for r in cohorts)
    overall = html_table_rows(html, "tbl-overall")
    assert all(MARK not in r for r in overall)          # rests on 3 firms, no one dominant
    res = _results(bundles, "ex_post_P03")
    plan = ex_post_plan(res)
    assert not plan.cohorts.total_hidden and not any(plan.effects.values())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_91_percent_firm_hides_the_total_and_everything_built_on_it(bundles, rendered, lang):
    res = _results(bundles, "ex_post_P04")
    html, pdf = rendered[("ex_post_P04", lang)]
    rows = html_table_rows(html, "tbl-fiscal")
    assert rows and all(set(r[1:]) == {MARK} for r in rows)
    cost = res["fiscal"]["cost"]
    for amount in (cost["total"], cost["nominal"]):
        for digits in (1, 2, 3):
            assert squash(money(amount, lang, digits)) not in squash(pdf)
    # the effects rest on 33 firms, none above 85 % of the outcome: published
    assert all(MARK not in r for r in html_table_rows(html, "tbl-overall"))
    why = "one firm holds more than 85%" if lang == "en" else "单一企业占比超过 85%"
    assert why in squash(pdf) or why in pdf.replace("\n", "")


def test_monitor_hides_small_or_dominated_disbursements(bundles, rendered):
    html, pdf = rendered[("monitor", "en")]
    execution = read_bundle(bundles["monitor"]).table("execution").set_index("policy_id")
    # policy cells read "<code> <name>" (issue 16: names beside codes)
    rows = {r[0].split()[0]: r for r in html_table_rows(html, "tbl-exec")}
    assert any(r[0].startswith("P01 ") and len(r[0]) > 4 for r in html_table_rows(html, "tbl-exec"))
    rule = Rule()
    for pid, row in rows.items():
        basis = {"n": int(execution.loc[pid, "recipients"]),
                 "top_share": float(execution.loc[pid, "top_share"])}
        hidden = rule.reason(basis) is not None
        assert (row[2] == MARK and row[3] == MARK) == hidden, (pid, row, basis)
    assert rows["P01"][2] == MARK and rows["P02"][2] == MARK      # 1 and 2 recipients
    assert rows["P04"][2] == MARK                                  # one firm above 85 %
    assert any(r[2] != MARK and float(r[2]) > 0 for r in rows.values())
    statement = _section(pdf, "Disclosure control")
    assert "P01: amount disbursed and execution rate (fewer than 3 firms)" in " ".join(
        statement.split())


def test_portfolio_hides_the_metric_and_spending_of_small_policies(bundles, rendered):
    html, pdf = rendered[("portfolio", "en")]
    recs = {r[1].split()[0]: r[4] for r in html_table_rows(html, "tbl-recs")}
    for pid in ("P01", "P02", "P04", "P05"):
        assert f"return {MARK} ({MARK})" in recs[pid], recs[pid]
    assert MARK not in recs["P03"]
    ranking = read_bundle(bundles["portfolio"]).table("ranking").set_index("term")
    for pid in ("P01", "P02", "P04"):
        est = common.fmt(ranking.loc[pid, "estimate"], "en")
        lo, hi = (common.fmt(ranking.loc[pid, c], "en") for c in ("conf_low", "conf_high"))
        assert f"{lo} to {hi}" not in pdf, pid
        assert not math.isnan(ranking.loc[pid, "estimate"]) and est
    spend = {r[0].split()[0]: r[3] for r in html_table_rows(html, "tbl-class")}
    assert spend["P01"] == spend["P02"] == spend["P04"] == MARK
    assert spend["P08"] != MARK
