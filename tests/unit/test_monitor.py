"""In-progress monitoring: budget execution, KPI tracking, interim effects, flags on the injected
district (the policy behind on execution, the KPI off track)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ConfigError
from evalkit.monitor.execution import budget_execution, rate_status
from evalkit.monitor.kpi import project_series, track_kpis
from evalkit.stages.monitor import run_monitor
from evalkit.study import MonitorStudy
from evalkit.synth import synthesize_district
from evalkit.synth.anomalies import inject_monitoring_cases


def _study(**kw) -> MonitorStudy:
    base = {"stage": "monitor", "name": "m", "data": {"store": "x"}, "year": 2025,
            "as_of": "2025-07-31"}
    base.update(kw)
    return MonitorStudy.model_validate(base)


@pytest.fixture(scope="module")
def districts():
    clean = synthesize_district(n_firms=2000, seed=3)
    dirty, manifest = inject_monitoring_cases(clean, seed=5)
    return clean, dirty, manifest


@pytest.fixture(scope="module")
def results(districts):
    clean, dirty, _ = districts
    return run_monitor(_study(), clean.tables()), run_monitor(_study(), dirty.tables())


def test_budget_execution_by_hand(districts):
    clean, _, _ = districts
    ex = budget_execution(clean.disbursements, clean.budgets, 2025, "2025-07-31")
    led = clean.disbursements
    d = pd.to_datetime(led["date"])
    elapsed = 212 / 365  # July 31 is day 212 of 2025
    for pid in ("P01", "P04", "P08"):
        mine = led.loc[led["policy_id"] == pid]
        dm = d[mine.index]
        paid = mine.loc[dm.dt.year == 2025, "amount"].sum()
        app = clean.budgets.query("policy_id == @pid and year == 2025")["appropriation"].iloc[0]
        # the policy's own calendar: mean share of each of its last three paying years' payments
        # made by July 31 (as_of is a month end)
        years = sorted(set(dm.dt.year[dm.dt.year < 2025]))[-3:]
        by_jul = [mine.loc[(dm.dt.year == y) & (dm.dt.month <= 7), "amount"].sum()
                  / mine.loc[dm.dt.year == y, "amount"].sum() for y in years]
        expected = float(np.mean(by_jul))
        row = ex.set_index("policy_id").loc[pid]
        assert row["disbursed"] == pytest.approx(paid)
        assert row["execution_rate"] == pytest.approx(paid / app)
        assert row["elapsed"] == pytest.approx(elapsed)
        assert row["basis"] == "calendar" and row["calendar_years"] == ";".join(map(str, years))
        assert row["expected"] == pytest.approx(expected)
        assert row["shortfall"] == pytest.approx(1 - paid / app / expected)
        assert row["status"] == rate_status(row["shortfall"], 0.10, 0.20)
        assert row["year"] == 2025 and row["period"] == "2025-01-01/2025-07-31"


def test_status_thresholds():
    assert rate_status(0.05, 0.10, 0.20) == "green"
    assert rate_status(0.15, 0.10, 0.20) == "amber"
    assert rate_status(0.25, 0.10, 0.20) == "red"
    assert rate_status(0.15, 0.05, 0.12) == "red"
    assert rate_status(-0.3, 0.10, 0.20) == "green"  # ahead of schedule


def test_flags_the_policy_behind_on_execution(districts, results):
    _, _, manifest = districts
    r_clean, r_dirty = results
    pid = manifest["behind_execution"]["policy_id"]
    assert r_clean.status(pid) != "red"
    assert r_dirty.status(pid) == "red"
    row = r_dirty.execution.set_index("policy_id").loc[pid]
    assert row["action"] == "reduce_or_recover"
    assert row["action_en"] == "reduce the appropriation or recover idle funds"
    assert row["execution_rate"] == pytest.approx(
        row["disbursed"] / manifest["behind_execution"]["appropriation_after"])
    others = r_clean.execution["policy_id"] != pid
    assert (r_clean.execution.loc[others, "status"].to_numpy()
            == r_dirty.execution.loc[others, "status"].to_numpy()).all()


def test_flags_the_off_track_kpi(districts, results):
    _, _, manifest = districts
    r_clean, r_dirty = results
    ind = manifest["off_track_kpi"]["indicator"]
    assert r_clean.kpi_status(ind) == "green"
    assert r_dirty.kpi_status(ind) == "red"
    row = r_dirty.kpis.loc[r_dirty.kpis["indicator"] == ind].iloc[0]
    assert row["actual"] == manifest["off_track_kpi"]["actual"]
    assert row["expected"] == pytest.approx(manifest["off_track_kpi"]["target_after"])
    assert row["projected_meets_target"] is False


def test_kpi_trajectory_mid_period(districts):
    clean, _, _ = districts
    kpis, series = track_kpis(clean.tables(), 2023, "2023-06-30")
    row = kpis.loc[kpis["indicator"] == "high_tech_enterprises"].iloc[0]
    fy = clean.firm_years
    actual = int(fy.loc[fy["year"] == 2023, "high_tech"].sum())
    assert row["actual"] == actual and row["actual_year"] == 2023
    b, by, t, ty = row["baseline"], row["baseline_year"], row["target"], row["target_year"]
    assert row["expected"] == pytest.approx(b + (t - b) * (2023 - by) / (ty - by))
    assert row["shortfall"] == pytest.approx(1 - actual / row["expected"])
    assert series["high_tech_enterprises"][2020] == fy.loc[fy["year"] == 2020, "high_tech"].sum()
    # new listings: firms first listed after the baseline year, up to 2023
    first = fy.loc[fy["listed"]].groupby("firm_id")["year"].min()
    nl = kpis.loc[kpis["indicator"] == "new_listed_firms"].iloc[0]
    assert nl["actual"] == ((first > 2020) & (first <= 2023)).sum()
    growth = kpis.loc[kpis["indicator"] == "ai_output_growth"].iloc[0]
    fa = fy.merge(clean.firms[["firm_id", "cluster"]], on="firm_id")
    rev = fa.loc[fa["cluster"] == "ai"].groupby("year")["revenue"].sum()
    assert growth["actual"] == pytest.approx(100 * ((rev[2023] / rev[2020]) ** (1 / 3) - 1))
    unmeasured = kpis.loc[~kpis["measured"]]
    assert unmeasured["note"].notna().all()


def test_projection_of_an_exact_trend_and_its_interval():
    s = pd.Series(100 * 1.08 ** np.arange(6), index=range(2018, 2024))
    est, lo, hi = project_series(s, 2025, log=True)
    assert est == pytest.approx(100 * 1.08 ** 7, rel=1e-9)
    assert hi - lo == pytest.approx(0, abs=1e-6)
    noisy = s * np.exp(np.array([0.02, -0.03, 0.01, 0.04, -0.02, 0.0]))
    est, lo, hi = project_series(noisy, 2025, log=True)
    assert lo < 100 * 1.08 ** 7 < hi and lo < est < hi
    assert project_series(s.iloc[:2], 2025, log=True) is None


def test_interim_effects_are_labelled_and_use_complete_years(results):
    _, r = results
    done = [v for v in r.interim.values() if v.dynamic is not None]
    assert len(done) >= 6
    for v in done:
        d = v.to_dict()
        assert d["interim"] is True and "INTERIM" in d["label"]["en"] and "中期" in d["label"]["zh"]
        assert v.last_year == 2024
        assert max(v.cohort_sizes) <= 2024
    assert any(v.pretrend is not None for v in done)


def test_to_dict_is_json_and_thresholds_come_from_the_study(districts):
    clean, _, _ = districts
    strict = run_monitor(_study(amber=0.02, red=0.05, policies=["P01", "P04"]), clean.tables())
    assert list(strict.execution["policy_id"]) == ["P01", "P04"]
    assert set(strict.interim) == {"P01", "P04"}
    for row in strict.execution.itertuples():
        assert row.status == rate_status(row.shortfall, 0.02, 0.05)
    out = strict.to_dict()
    json.dumps(out)
    assert out["kind"] == "monitor" and out["thresholds"] == {"amber": 0.02, "red": 0.05}
    m = strict.monthly
    last = m.loc[m["month"] == 7].set_index("policy_id")["cumulative"]
    assert last.to_dict() == pytest.approx(strict.execution.set_index("policy_id")["disbursed"]
                                           .to_dict())


def test_bad_monitor_studies(districts):
    clean, _, _ = districts
    with pytest.raises(ConfigError, match="P99"):
        run_monitor(_study(policies=["P99"]), clean.tables())
    with pytest.raises(ConfigError, match="as_of"):
        run_monitor(_study(as_of="2024-07-31"), clean.tables())
    with pytest.raises(ConfigError, match="interim_outcome"):
        run_monitor(_study(interim_outcome="profit"), clean.tables())


def test_bundle_tables_write_to_parquet(results, tmp_path):
    from evalkit.stages.monitor import bundle_parts

    _, r = results
    res, tables, figures = bundle_parts(r)
    assert res["kind"] == "monitor" and figures == {}
    for name, frame in tables.items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
        assert pd.read_parquet(tmp_path / f"{name}.parquet").shape == frame.shape
    assert tables["anomalies"]["record_ids"].str.startswith("R").all()


def test_interim_effects_condition_on_the_base_level_and_fall_back_when_singular(results,
                                                                                  districts):
    import warnings

    from evalkit.did import aggte, att_gt
    from evalkit.monitor.interim import CONDITIONING, interim_event_study
    from evalkit.panel import Panel, StaggeredDesign, policy_window
    from evalkit.panel.conditioning import base_level_columns

    clean, _, _ = districts
    r = results[0]
    used = {pid: v.conditioning for pid, v in r.interim.items() if v.dynamic is not None}
    assert set(used.values()) <= set(CONDITIONING)
    assert list(used.values()).count("level_by_cluster") >= 6
    assert used["P02"] == "level"       # patents x cluster is singular in a cell: pooled level
    # the interim estimate is att_gt on the sample with exactly those covariates
    tables = clean.tables()
    fy = tables["firm_years"].query("year <= 2024")
    led = tables["disbursements"]
    led = led[pd.to_datetime(led["date"]) <= pd.Timestamp("2025-07-31")]
    design = StaggeredDesign.from_ledger(Panel.from_tables(tables["firms"], fy), led, "P01",
                                         window=policy_window(tables["policies"], "P01"))
    df = design.data.query("g <= 2024").reset_index(drop=True)
    assert df["g"].min() == 0 and sorted(df["g"].unique())[1] > df["year"].min()  # no early
    covs, names = base_level_columns(df, "rd_expense", "level_by_cluster")
    names = [n for n in names if covs[n].nunique() > 1]
    frame = pd.concat([df[["firm_id", "year", "g", "rd_expense"]].astype({"rd_expense": float}),
                       covs], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = aggte(att_gt(frame, "rd_expense", "year", "firm_id", "g", covariates=names,
                              est_method="reg", allow_unbalanced_panel=True), "dynamic",
                       na_rm=True)
    assert r.interim["P01"].dynamic.overall_att == pytest.approx(direct.overall_att, rel=1e-12)
    assert r.interim["P01"].dynamic.overall_se == pytest.approx(direct.overall_se, rel=1e-12)
    # reasons come in both languages
    none = interim_event_study(tables, "P99", "revenue", 2025, "2025-07-31")
    assert none.dynamic is None and "has no disbursements" in none.reason
    assert "没有拨付记录" in none.to_dict()["reason_zh"]


def test_an_early_year_with_few_running_policies_is_monitored():
    # 2018: most policies have not started; KPIs without data are unmeasured, not a crash
    from evalkit.report.views import monitor

    tables = synthesize_district(n_firms=300, seed=11).tables()
    r = run_monitor(_study(year=2018, as_of="2018-03-31"), tables)
    kpis = r.kpis
    assert (~kpis["measured"]).any()
    assert set(kpis.loc[~kpis["measured"], "note"]) >= {"no data up to the monitoring year"}
    d = json.loads(json.dumps(r.to_dict(), default=str))
    no_money = [p for p, v in d["interim"].items() if v["dynamic"] is None]
    assert no_money and all("没有拨付记录" in d["interim"][p]["reason_zh"] for p in no_money)
    assert all(f"{p}:" in monitor.interim_table(d, "en") for p in no_money)


def test_a_year_before_the_data_is_a_clear_error(districts):
    clean, _, _ = districts
    with pytest.raises(ConfigError, match="before the data's first year") as info:
        run_monitor(_study(year=2015, as_of="2015-07-31"), clean.tables())
    assert "早于数据的首个年份" in info.value.text("zh")
