"""Monitoring that reads the district it is given (issue 16, item 5): overspending is red with its
own action; progress against each policy's own disbursement calendar; actions that follow the
deviation; every status names its period; indicator definitions from reference data, so a
district with other clusters and KPIs is monitored on its own terms."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ConfigError
from evalkit.monitor.execution import budget_execution, monthly_execution
from evalkit.monitor.kpi import track_kpis

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2025-07-31"


def _ledger(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """(policy_id, date, amount) rows -> a ledger, one firm per payment."""
    return pd.DataFrame({
        "record_id": [f"R{i:04d}" for i in range(len(rows))],
        "policy_id": [r[0] for r in rows],
        "firm_id": [f"F{i:03d}" for i in range(len(rows))],
        "date": [r[1] for r in rows],
        "amount": [float(r[2]) for r in rows],
    })


def _budgets(rows: list[tuple[str, int, float]]) -> pd.DataFrame:
    return pd.DataFrame({"policy_id": [r[0] for r in rows], "year": [r[1] for r in rows],
                         "appropriation": [float(r[2]) for r in rows]})


# ------------------------------------------------------------------ 1. spending above budget
def test_spending_above_the_appropriation_is_red_with_its_own_action():
    # "OV" paid 109.5 of 100 in 2024 (a completed year) and 110 of 100 by July 2025
    led = _ledger([("OV", "2024-03-10", 60), ("OV", "2024-09-10", 49.5),
                   ("OV", "2025-03-10", 110)])
    bud = _budgets([("OV", 2024, 100), ("OV", 2025, 100)])
    row = budget_execution(led, bud, 2025, AS_OF).iloc[0]
    assert row["execution_rate"] == pytest.approx(1.10)
    assert row["status"] == "red" and row["action"] == "stop_overspend"
    assert row["action_zh"] == "停止超预算拨付并核查"
    # the budget execution rate over completed years: 109.5 % is red, not green
    tables = {"firm_years": pd.DataFrame({"firm_id": ["F000"], "year": [2024]}),
              "firms": pd.DataFrame({"firm_id": ["F000"]}), "disbursements": led,
              "budgets": bud,
              "kpi_targets": pd.DataFrame({
                  "indicator": ["budget_execution_rate"], "level": ["policy"],
                  "policy_id": ["OV"], "target": [90.0], "unit": ["percent"],
                  "target_year": [2025], "baseline": [np.nan], "baseline_year": [pd.NA]})}
    kpis, _ = track_kpis(tables, 2025, AS_OF)
    k = kpis.iloc[0]
    assert k["actual"] == pytest.approx(109.5)
    assert k["status"] == "red" and k["action"] == "stop_overspend"
    assert k["period"] == "2024" and k["actual_year"] == 2024


# ------------------------------------------------------- 2. the policy's own calendar
def test_progress_is_measured_against_the_policys_own_calendar():
    hist = []
    for y in (2021, 2022, 2023, 2024):
        hist += [("Q4", f"{y}-10-15", 50), ("Q4", f"{y}-12-10", 50),    # always pays in Q4
                 ("APR", f"{y}-04-20", 100)]                               # always pays in April
    hist += [("HALF", "2024-06-10", 50), ("HALF", "2024-07-20", 50),       # half June, half July
             ("NEW", "2025-05-05", 10)]                                    # no history
    led = _ledger(hist)
    bud = _budgets([("Q4", 2025, 100), ("APR", 2025, 100), ("HALF", 2025, 100),
                    ("NEW", 2025, 100)])
    ex = budget_execution(led, bud, 2025, AS_OF).set_index("policy_id")
    # Q4 policy: nothing paid by July and nothing due by its calendar -> green, not red
    q4 = ex.loc["Q4"]
    assert q4["basis"] == "calendar" and q4["calendar_years"] == "2022;2023;2024"
    assert q4["expected"] == 0.0 and q4["status"] == "green" and q4["action"] == "continue"
    # April policy with nothing paid by July: everything was due -> red, reduce or recover
    apr = ex.loc["APR"]
    assert apr["expected"] == pytest.approx(1.0) and apr["shortfall"] == pytest.approx(1.0)
    assert apr["status"] == "red" and apr["action"] == "reduce_or_recover"
    # no history: the straight line through the year (time progress)
    new = ex.loc["NEW"]
    assert new["basis"] == "linear" and new["calendar_years"] == ""
    assert new["expected"] == pytest.approx(212 / 365)
    # mid-month as_of: the as-of month's share pro rata to the days elapsed
    mid = budget_execution(led, bud, 2025, "2025-07-15").set_index("policy_id").loc["HALF"]
    assert mid["expected"] == pytest.approx(0.5 + 0.5 * 15 / 31)
    # the monthly table's planned path is the same calendar
    m = monthly_execution(led, bud, 2025, AS_OF).set_index(["policy_id", "month"])
    assert m.loc[("HALF", 5), "planned_rate"] == 0.0
    assert m.loc[("HALF", 6), "planned_rate"] == pytest.approx(0.5)
    assert m.loc[("APR", 4), "planned_rate"] == pytest.approx(1.0)
    assert m.loc[("NEW", 6), "planned_rate"] == pytest.approx(6 / 12)


# ----------------------------------------- 3. actions follow the deviation; years named
def test_actions_follow_the_deviation_and_each_status_names_its_period():
    led = _ledger([(p, f"{y}-06-30", 100) for p in ("OK", "SLOW", "IDLE")
                   for y in (2023, 2024)]
                  + [("OK", "2025-06-30", 100), ("SLOW", "2025-06-30", 85),
                     ("IDLE", "2025-06-30", 50)])
    bud = _budgets([(p, 2025, 100) for p in ("OK", "SLOW", "IDLE")])
    ex = budget_execution(led, bud, 2025, AS_OF).set_index("policy_id")
    assert ex["status"].to_dict() == {"IDLE": "red", "OK": "green", "SLOW": "amber"}
    assert ex["action"].to_dict() == {"IDLE": "reduce_or_recover", "OK": "continue",
                                      "SLOW": "urge"}
    assert set(ex["year"]) == {2025} and set(ex["period"]) == {"2025-01-01/2025-07-31"}


def test_missed_targets_are_corrected_then_suspended():
    fy = pd.DataFrame({"firm_id": [f"F{i}" for i in range(10)] * 2,
                       "year": [2024] * 10 + [2025] * 10,
                       "high_tech": [True] * 10 + [True] * 8 + [False] * 2})
    targets = pd.DataFrame({
        "indicator": ["high_tech_enterprises"] * 3, "level": ["district"] * 3,
        "policy_id": [None] * 3, "target": [9.0, 10.0, 12.0], "unit": ["firms"] * 3,
        "target_year": [2025, 2026, 2027], "baseline": [10.0] * 3,
        "baseline_year": [2024] * 3})
    tables = {"firm_years": fy, "firms": pd.DataFrame({"firm_id": fy["firm_id"].unique()}),
              "disbursements": _ledger([]), "budgets": _budgets([]), "kpi_targets": targets}
    kpis, _ = track_kpis(tables, 2025, AS_OF)
    # expected 9 (8 -> 11 % short), 10 (20 % short: amber), 11 (27 % short: red)
    assert kpis["status"].tolist() == ["amber", "amber", "red"]
    assert kpis["action"].tolist() == ["correct", "correct", "suspend"]
    assert kpis["action_en"].tolist()[-1] == "suspend funding pending review"
    assert kpis["period"].tolist() == ["2025"] * 3
    assert kpis["unit_zh"].tolist() == ["家"] * 3 and kpis["name_en"].iloc[0] == \
        "high-tech enterprises"


def test_report_tables_name_year_unit_and_the_period_of_each_status():
    from evalkit.report.views import common
    from evalkit.report.views import monitor as views

    led = _ledger([("P1", "2024-03-01", 95), ("P1", "2025-03-01", 20)])
    bud = _budgets([("P1", 2024, 100), ("P1", 2025, 100)])
    ex = budget_execution(led, bud, 2025, AS_OF).assign(recipients=5, top_share=0.2)
    targets = pd.DataFrame({
        "indicator": ["budget_execution_rate"], "level": ["policy"], "policy_id": ["P1"],
        "target": [90.0], "unit": ["percent"], "target_year": [2025], "baseline": [np.nan],
        "baseline_year": [pd.NA]})
    tables = {"firm_years": pd.DataFrame({"firm_id": ["F000"], "year": [2024]}),
              "firms": pd.DataFrame({"firm_id": ["F000"]}), "disbursements": led,
              "budgets": bud, "kpi_targets": targets}
    kpis, _ = track_kpis(tables, 2025, AS_OF)
    kpis = kpis.assign(n_firms=5.0, top_share=0.2)
    # red in 2025 (20 % by July against 100 % due), green over the completed year 2024
    assert ex["status"].iloc[0] == "red" and kpis["status"].iloc[0] == "green"
    ex_zh, kpi_zh = views.execution_table(ex, "zh"), views.kpi_table(kpis, "zh")
    ex_row = next(r for r in ex_zh.splitlines() if r.startswith("| P1"))
    kpi_row = next(r for r in kpi_zh.splitlines() if "P1" in r)
    assert "红" in ex_row and common.md("2025-01-01/2025-07-31") in ex_row
    assert "绿" in kpi_row and "| 2024 |" in kpi_row
    assert "预算执行率" in kpi_row and f"| {common.md('%')} |" in kpi_row and "90.0 (2025)" in kpi_row
    assert "状态所属年度" in ex_zh and "单位" in kpi_zh
    assert "budget execution rate" in views.kpi_table(kpis, "en")


# ------------------------------------------------- 4. indicator definitions are data
def _other_district() -> dict[str, pd.DataFrame]:
    """Six firms in clusters the synthetic district does not have, 2021-2024."""
    firms = pd.DataFrame({"firm_id": [f"F{i}" for i in range(6)],
                          "cluster": ["biotech", "biotech", "fintech", "fintech", "legacy",
                                      "legacy"]})
    rows = []
    for i, f in enumerate(firms["firm_id"]):
        for y in range(2021, 2025):
            rows.append({"firm_id": f, "year": y, "revenue": 100.0 * (i + 1) * 1.1 ** (y - 2021),
                         "employees": 10 * (i + 1) + (y - 2021) * (i - 2),
                         "high_tech": bool(i < 2 and y >= 2022)})
    fy = pd.DataFrame(rows)
    targets = pd.DataFrame({
        "indicator": ["bio_revenue_growth", "fintech_jobs", "legacy_jobs", "bio_high_tech",
                      "ai_output_growth"],
        "level": ["district"] * 5, "policy_id": [None] * 5,
        "target": [12.0, 100.0, 80.0, 2.0, 15.0], "unit": ["%", "人", "人", "家", "%"],
        "target_year": [2024] * 5, "baseline": [np.nan, 70.0, 110.0, 0.0, np.nan],
        "baseline_year": [2021] * 5})
    return {"firms": firms, "firm_years": fy, "disbursements": _ledger([]),
            "budgets": _budgets([]), "kpi_targets": targets}


OTHER_INDICATORS = """indicator,name_zh,name_en,level,measure,source,clusters,unit_zh,unit_en,direction,notes
bio_revenue_growth,生物医药营收增速,biotech revenue growth,district,cluster_growth,revenue,biotech,%/年,percent a year,higher,
fintech_jobs,金融科技从业人员,fintech employment,district,sum,employees,fintech,人,persons,higher,
legacy_jobs,传统产业从业人员,legacy employment,district,sum,employees,legacy,人,persons,lower,to be reduced
bio_high_tech,生物医药高新技术企业,biotech high-tech firms,district,count_true,high_tech,biotech,家,firms,higher,
"""


def test_a_district_with_other_clusters_and_kpis_is_monitored_on_its_own_terms(tmp_path):
    from evalkit.reference import load_kpi_indicators

    tables = _other_district()
    path = tmp_path / "指标定义.csv"
    path.write_text(OTHER_INDICATORS, encoding="utf-8")
    defs = load_kpi_indicators(path)
    assert defs.set_index("indicator").loc["bio_revenue_growth", "clusters"] == ("biotech",)
    kpis, series = track_kpis(tables, 2024, "2024-12-31", indicators=defs)
    k = kpis.set_index("indicator")
    fy = tables["firm_years"]
    # biotech revenue: firms F0, F1 (revenue 100 and 200 growing 10 % a year)
    assert k.loc["bio_revenue_growth", "actual"] == pytest.approx(10.0)
    assert k.loc["bio_revenue_growth", "status"] == "amber"          # 10 vs 12: 17 % short
    assert k.loc["bio_revenue_growth", "period"] == "2021-2024"
    # fintech employment in 2024: F2, F3
    jobs = fy.query("year == 2024 and firm_id in ['F2', 'F3']")["employees"].sum()
    assert k.loc["fintech_jobs", "actual"] == jobs == 30 + 40 + 3 * (0 + 1)
    assert k.loc["fintech_jobs", "expected"] == pytest.approx(100.0)
    # legacy employment is to fall (direction lower): 50 + 60 + 3 * (2 + 3) = 125 against 80
    assert k.loc["legacy_jobs", "actual"] == 125
    assert k.loc["legacy_jobs", "shortfall"] == pytest.approx(125 / 80 - 1)
    assert k.loc["legacy_jobs", "status"] == "red" and k.loc["legacy_jobs", "action"] == "suspend"
    assert k.loc["legacy_jobs", "projected_meets_target"] is False
    assert k.loc["bio_high_tech", "actual"] == 2 and k.loc["bio_high_tech", "status"] == "green"
    assert k.loc["bio_high_tech", "unit_en"] == "firms"
    assert series["fintech_jobs"][2021] == 70
    # the synthetic district's indicator is not defined here: listed, not guessed
    assert not k.loc["ai_output_growth", "measured"]
    assert "not defined" in k.loc["ai_output_growth", "note"]


def test_the_monitoring_study_reads_the_districts_indicator_table(tmp_path):
    from evalkit.stages.monitor import run_monitor
    from evalkit.study import MonitorStudy

    path = tmp_path / "indicators.csv"
    path.write_text(OTHER_INDICATORS, encoding="utf-8")
    tables = _other_district()
    tables["policies"] = pd.DataFrame({"policy_id": pd.Series([], dtype=str),
                                       "start_date": [], "end_date": [], "cap_per_firm": [],
                                       "kpis": []})
    tables["firms"] = tables["firms"].assign(year_exited=np.nan)
    study = MonitorStudy.model_validate({
        "stage": "monitor", "name": "other", "data": {"store": "x"}, "year": 2024,
        "as_of": "2024-12-31", "indicators": str(path)})
    r = run_monitor(study, tables)
    assert r.kpi_status("legacy_jobs") == "red"
    assert r.provenance["indicators"]["file"] == "indicators.csv"
    assert len(r.provenance["indicators"]["sha256"]) == 64
    default = run_monitor(study.model_copy(update={"indicators": None}), tables)
    assert not default.kpis.set_index("indicator").loc["legacy_jobs", "measured"]
    assert default.provenance["indicators"]["file"] == "data/kpi_indicators.csv"


def test_a_malformed_indicator_table_names_row_and_column(tmp_path):
    from evalkit.reference import load_kpi_indicators

    path = tmp_path / "bad.csv"
    path.write_text(OTHER_INDICATORS.replace("cluster_growth", "cagr"), encoding="utf-8")
    with pytest.raises(ConfigError, match="row 2, column measure") as info:
        load_kpi_indicators(path)
    assert "第 2 行 measure 列" in info.value.text("zh")
    with pytest.raises(ConfigError, match="not found"):
        load_kpi_indicators(tmp_path / "missing.csv")


def test_the_default_table_defines_every_synthetic_indicator():
    from evalkit.reference import load_kpi_indicators
    from evalkit.synth import synthesize_district

    defs = load_kpi_indicators().set_index("indicator")
    kpi = synthesize_district(n_firms=300, seed=11).kpi_targets
    assert set(kpi["indicator"]) <= set(defs.index)
    assert defs.loc["modern_services_revenue_growth", "clusters"] == (
        "culture_creative", "modern_finance", "information_services", "professional_services",
        "rd_services", "ai")


def test_kpi_tracking_does_not_import_the_synthetic_generator():
    tree = ast.parse((ROOT / "evalkit" / "monitor" / "kpi.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and m.startswith("evalkit.synth") for m in imported), imported
    assert "evalkit.reference" in imported


def test_a_hidden_target_is_named_by_its_indicator_name_in_the_disclosure_statement(tmp_path):
    import json

    from evalkit.report.suppression import monitor_hidden
    from evalkit.stages.monitor import bundle_parts, run_monitor
    from evalkit.study import MonitorStudy

    path = tmp_path / "indicators.csv"
    path.write_text(OTHER_INDICATORS, encoding="utf-8")
    tables = _other_district()
    tables["policies"] = pd.DataFrame({"policy_id": pd.Series([], dtype=str),
                                       "start_date": [], "end_date": [], "cap_per_firm": [],
                                       "kpis": []})
    tables["firms"] = tables["firms"].assign(year_exited=np.nan)
    study = MonitorStudy.model_validate({
        "stage": "monitor", "name": "other", "data": {"store": "x"}, "year": 2024,
        "as_of": "2024-12-31", "indicators": str(path)})
    results, frames, _ = bundle_parts(run_monitor(study, tables))
    results = json.loads(json.dumps(results))
    # fintech employment rests on 2 firms: hidden, and named as the district's table names it
    items = [h.item for h in monitor_hidden(results, frames, "zh")]
    assert "金融科技从业人员 (全区)" in items, items
