"""Reports generated from the study (issue 16, item 3): file names and titles from the study,
design sentences from the bundle's options, every accepted study option honoured or refused."""

import pytest
import yaml

from evalkit.errors import ConfigError
from evalkit.fiscal.tax import TaxSharing
from evalkit.report.identity import report_identity, safe_name
from evalkit.report.qmd import parse_qmd, retitle
from evalkit.report.views.common import p_text
from evalkit.report.views.ex_post import design_text, sharing_text
from evalkit.study import load_study
from tests import results_models

STUDY = {"stage": "ex_post", "name": "x", "data": {"store": "w.duckdb"}, "policy": "P01"}


def _study(tmp_path, **changes):
    doc = yaml.safe_load(yaml.safe_dump(STUDY))
    for key, value in changes.items():
        doc.setdefault(key, {}).update(value) if isinstance(value, dict) else doc.update(
            {key: value})
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("estimator", ["sunab", "twfe", "imputation"])
def test_an_estimator_the_stage_does_not_run_is_refused(tmp_path, estimator):
    with pytest.raises(ConfigError) as err:
        load_study(_study(tmp_path, design={"estimator": estimator}))
    text, zh = str(err.value), err.value.text("zh")
    assert "design.estimator" in text and f"'{estimator}'" in text and "estimator: cs" in text
    assert "design.estimator" in zh and "影响函数" in zh
    load_study(_study(tmp_path, design={"estimator": "cs"}))             # cs runs


def test_fiscal_settings_a_stage_does_not_read_are_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"fiscal\.leakage.*not used by the ex_post stage"):
        load_study(_study(tmp_path, fiscal={"leakage": 0.1}))
    ante = {"stage": "ex_ante", "name": "y", "data": {"store": "w.duckdb"},
            "fiscal": {"district_share": 0.2},
            "proposal": {"policy_id": "N1", "name_zh": "甲", "name_en": "A",
                         "instrument": "grant", "objective": "innovation",
                         "eligibility_rule": "employees >= 10", "award": 1e5,
                         "cap_per_firm": 1e5, "budget": 1e6, "years": [2026, 2028]}}
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(ante, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"fiscal\.district_share.*ex_ante"):
        load_study(path)
    study, _ = load_study(_study(tmp_path, fiscal={"district_share": 0.2, "discount_rate": 0.03}))
    assert study.fiscal.district_share == 0.2


def test_district_share_sets_the_district_retention():
    base = TaxSharing()
    assert base.retained("district") == pytest.approx(0.235)
    mine = base.with_district_share(0.2)
    assert mine.retained("district") == pytest.approx(0.2)
    assert mine.retained("city") == base.retained("city")
    # the tax-by-tax pattern is the local one, scaled
    assert mine.district["cit"] / mine.district["vat"] == pytest.approx(0.40 / 0.50)
    with pytest.raises(ConfigError, match="district_share"):
        base.with_district_share(0.6)                # more than city and district keep together


def test_safe_name_keeps_letters_of_any_script_and_drops_separators():
    assert safe_name("研发投入补助事后评价 / R&D grant ex-post evaluation") == \
        "研发投入补助事后评价-R-D-grant-ex-post-evaluation"
    assert safe_name('../../etc/passwd\x00') == "etc-passwd"
    assert safe_name('a:b*c?"<>|') == "a-b-c"
    assert safe_name("...") == ""
    assert len(safe_name("长" * 500)) == 60
    assert safe_name("Ｐ０１") == "P01"                                      # NFKC


def test_identity_from_the_study_and_the_template_without_one():
    results = {"study": {"name": "My *study* / 试点"}, "policy": {"policy_id": "P01",
               "name_zh": "研发补助", "name_en": "R&D grant"},
               "options": {"controls": "never_policy", "control_group": "nevertreated"}}
    zh = report_identity("ex_post", results, "zh")
    assert zh.stem == "ex_post_P01_My-study-试点"
    assert zh.title == r"My \*study\* \/ 试点"                               # escaped markdown
    assert "政策事后评价报告" in zh.subtitle and "P01 研发补助" in zh.subtitle
    assert "对照组：从未获得本政策补贴的企业" in zh.subtitle
    en = report_identity("ex_post", results, "en")
    assert en.stem == zh.stem and "R\\&D grant" in en.subtitle
    assert "Comparison group: firms never paid by this policy" in en.subtitle
    named = {**results, "study": {"name": "P01 with never_policy controls"}}
    assert report_identity("ex_post", named, "zh").stem == \
        "ex_post_P01-with-never_policy-controls"
    assert report_identity("example", {}, "zh").stem == "example"
    assert report_identity("example", {}, "zh").title is None
    assert report_identity("portfolio", {"study": {"name": "2026 组合"}}, "en").stem == \
        "portfolio_2026-组合"


def test_retitle_replaces_title_and_keeps_the_rest():
    text = "---\ntitle: \"Old\"\nexecute:\n  echo: false\n---\n\nBody {x}\n"
    doc = parse_qmd(retitle(text, "New: *x*", "Sub"))
    assert doc.front_matter == {"title": "New: *x*", "execute": {"echo": False},
                                "subtitle": "Sub"}
    assert retitle(text, None) == text
    assert retitle(text, "T").endswith("---\n\nBody {x}\n")


def _results(**options):
    base = {"est_method": "reg", "controls": "never_any", "control_group": "notyettreated",
            "covariates": [], "selection_covariates": [], "base_outcome": "none",
            "base_level_of": {}, "anticipation": 0, "window": None, "cluster": "firm",
            "min_e": -4, "max_e": 3}
    return results_models.ex_post({
        "options": {**base, **options}, "window": [2017, 2024], "main_outcome": "tax_paid",
        "n_excluded_other_policy": 321,
        "outcomes": {"tax_paid": {"scale": "proportional"}, "employees": {"scale": "level"}}})


def test_design_text_follows_the_study():
    zh = design_text(_results(), "zh")
    assert "结果回归估计" in zh and "未获得任何其他政策补贴、且当年尚未获得本政策补贴的企业" in zh
    assert "排除 321 家企业" in zh and "2017—2024 年（数据覆盖的全部年份）" in zh
    assert "获补前 4 年至获补后 3 年" in zh and "未使用协变量" in zh
    assert "比例（比例平行趋势）" in zh and "水平值（金额）" in zh
    assert "标准误在企业层面聚类" in zh and "@tbl-cohorts" in zh
    en = design_text(_results(controls="never_policy", control_group="nevertreated",
                              est_method="dr", window=[2017, 2024], anticipation=1,
                              cluster="area", covariates=["employees"],
                              selection_covariates=["revenue"], base_outcome="level_by_cluster",
                              base_level_of={"tax_paid": "revenue"}), "en")
    assert "Comparison firms are firms never paid by this policy" in en
    assert "left out" not in en and "any policy" not in en
    assert "doubly robust" in en and "set by the study's design.window" in en
    assert "anticipate the award 1 year(s)" in en and "clustered by area" in en
    assert "(the award criterion)" in en and "by industry cluster" in en
    assert "represented by the base-period" in en


def test_sharing_text_names_its_source():
    tax = {"composition": {"vat": 0.5, "cit": 0.3, "other": 0.2},
           "district": {"vat": 0.25, "cit": 0.2, "other": 0.25}}
    res = {"options": {"fiscal": {}}, "fiscal": {"tax": tax, "cost": {"admin_share": 0.05}}}
    zh = sharing_text(results_models.ex_post(res), "zh")
    assert "区级财政留成新增税收的 23.5%" in zh and "增值税 50%" in zh and "补贴的 5%" in zh
    res["options"]["fiscal"] = {"district_share": 0.235}
    assert "fiscal.district_share" in sharing_text(results_models.ex_post(res), "en")


def test_p_values_in_sentences():
    assert p_text(0.0001, "zh") == "p <\u00a00.001"
    assert p_text(0.0123, "en") == "p = 0.012"


def test_glossary_explains_each_reports_terms_in_both_languages():
    from evalkit.report.views.glossary import TERMS, glossary

    assert {"rank_set", "eb"} <= set(TERMS["portfolio"])
    assert {"uniform_band", "mvpf", "honestdid", "twfe", "proportional", "small_sample"} <= \
        set(TERMS["ex_post"])
    for stage, terms in TERMS.items():
        for lang in ("zh", "en"):
            text = glossary(stage, lang)
            assert text.count("\n- **") + 1 == len(terms), (stage, lang)
    zh, en = glossary("portfolio", "zh"), glossary("portfolio", "en")
    assert "**排名置信集**：" in zh and "**rank confidence set**: " in en
    assert r"—\*" in zh                       # the disclosure mark printed, not emphasis
    assert glossary("example", "zh") == ""


def test_policy_cells_and_department_names():
    from evalkit.reference import department_name
    from evalkit.report.views.common import policy_cell, policy_line, policy_names

    res = results_models.portfolio({"policies": {"policy_id": ["P01", "P02"],
                                                 "name_zh": ["研发<补助>", "P02"],
                                                 "name_en": ["R&D grant", "x"]}})
    names = policy_names(res, "zh")
    assert policy_cell("P01", names) == r"P01 研发\<补助\>"
    assert policy_cell("P02", names) == "P02" and policy_cell("P09", names) == "P09"
    assert policy_names(None, "en") == {} and policy_names(results_models.portfolio({}),
                                                           "en") == {}
    assert department_name("区科委", "en") == "District Science and Technology Commission"
    assert department_name("区科学技术委员会", "en") == department_name("区科委", "en")
    assert department_name("区科委", "zh") == "区科委"
    assert department_name("某某办", "en") == "某某办"               # unknown: as recorded
    line = policy_line({"policy_id": "P01", "name_en": "R&D grant", "department": "区商务委",
                        "instrument": "grant", "objective": "innovation"}, "en")
    assert "District Commerce Commission" in line and "区商务委" not in line


def _card(pid, evidence, origin_exec="measured"):
    rows = [{"indicator": "decision.basis", "level": "decision", "type": "qualitative",
             "zh": "立项依据", "en": "Basis", "weight": 3.0, "source": "manual",
             "origin": "entered", "evidence": evidence},
            {"indicator": "process.execution_rate", "level": "process", "type": "quantitative",
             "zh": "预算执行率", "en": "Execution rate", "weight": 10.0,
             "source": "ledger:budget_execution_rate", "origin": origin_exec, "evidence": ""}]
    return {"policy_id": pid, "rows": rows}


def test_scorecard_marks_entered_indicators_and_prints_their_evidence():
    from evalkit.report.views.portfolio import scorecard_origin_table, scorecard_origin_text

    raw = {"scorecards": [_card("P01", "审计 *通过*"), _card("P02", "审计 *通过*")],
           "policies": {"policy_id": ["P01", "P02"], "name_zh": ["甲", "乙"],
                        "name_en": ["A", "B"]}}
    res = results_models.portfolio(raw)
    table = scorecard_origin_table(res, "zh")
    assert "评价人员填报" in table and "数据测算（拨付台账与预算）" in table
    text = scorecard_origin_text(res, "zh")
    assert "10 分的指标由数据测算，3 分的指标由评价人员依据证据填报" in text
    assert r"**立项依据**：审计 \*通过\*" in text                   # once, escaped
    raw["scorecards"][1] = _card("P02", "", origin_exec="entered")
    res = results_models.portfolio(raw)
    en = scorecard_origin_text(res, "en")
    assert "P01 A: audit" not in en and r"P01 A: 审计 \*通过\*" in en
    assert "P02 B: (no evidence given)" in en
    assert "entered by evaluators for P02 B" in scorecard_origin_table(res, "en")


def test_effect_tables_use_one_money_unit_named_in_the_header():
    from evalkit.report.views.ex_post import table_scale, unit_header

    assert table_scale([([3e8, 1e8], True), ([2e4], True), ([5.0], False)], "zh") == \
        (1e8, "亿元")
    assert unit_header("指标", "万元", "zh") == "指标（金额单位：万元）"
    assert unit_header("Outcome", "CNY million", "en") == "Outcome (amounts in CNY million)"
