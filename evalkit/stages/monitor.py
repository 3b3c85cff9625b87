"""In-progress monitoring (事中监控, "双监控") of the district's running policies.

Orchestration only: budget execution against time progress (:mod:`evalkit.monitor.execution`),
performance-target attainment and the district KPI tracker (:mod:`evalkit.monitor.kpi`), interim
event studies with pre-trend checks (:mod:`evalkit.monitor.interim`) and ledger anomaly checks
(:mod:`evalkit.monitor.anomalies`). Thresholds come from the study (default amber beyond 10 %,
red beyond 20 % behind trajectory); the indicator definitions from the study's ``indicators``
table (default ``data/kpi_indicators.csv``), recorded by name and sha256 in the provenance.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.errors import ConfigError
from evalkit.i18n import Message
from evalkit.monitor.anomalies import AnomalyResult, ledger_anomalies
from evalkit.monitor.execution import budget_execution, monthly_execution, parse_as_of
from evalkit.monitor.interim import InterimEffect, interim_event_study
from evalkit.monitor.kpi import track_kpis
from evalkit.reference import DATA_DIR, KPI_FILE, load_kpi_indicators
from evalkit.results import Result, canonical, json_safe
from evalkit.study import OUTCOMES, MonitorStudy

__all__ = ["MonitorResult", "run_monitor"]


@dataclass(frozen=True, eq=False, repr=False)
class MonitorResult(Result):
    study_name: str
    year: int
    as_of: str
    thresholds: dict[str, float]
    execution: pd.DataFrame
    monthly: pd.DataFrame
    kpis: pd.DataFrame
    kpi_series: dict[str, dict[int, float]]
    interim: dict[str, InterimEffect]
    anomalies: AnomalyResult
    provenance: dict[str, Any] = field(default_factory=dict)
    #: the monitored policies' codes, names and departments (the report names them)
    policies: list[dict[str, Any]] = field(default_factory=list)

    def status(self, policy_id: str) -> str:
        """Budget-execution status of one policy."""
        row = self.execution.loc[self.execution["policy_id"] == policy_id]
        if row.empty:
            raise KeyError(policy_id)
        return str(row["status"].iloc[0])

    def kpi_status(self, indicator: str, policy_id: str | None = None) -> str | None:
        k = self.kpis
        m = (k["indicator"] == indicator) & (k["policy_id"].isna() if policy_id is None
                                             else (k["policy_id"] == policy_id))
        if not m.any():
            raise KeyError(indicator)
        return k.loc[m, "status"].iloc[0]

    def tidy(self) -> pd.DataFrame:
        """One row per policy: term ``execution_<policy_id>``, estimate its budget-execution
        rate (no sampling error: NaN interval), then the execution table's columns."""
        ex = self.execution
        return canonical(ex.assign(term=[f"execution_{p}" for p in ex["policy_id"]],
                                   estimate=ex["execution_rate"].astype(float)))

    def summary(self) -> str:
        lines = [f"Monitoring {self.year} as of {self.as_of}"]
        for r in self.execution.itertuples():
            lines.append(f"  {r.policy_id} execution {r.execution_rate:6.1%} vs time "
                         f"{r.elapsed:6.1%}: {r.status} ({r.action_en})")
        measured = self.kpis.loc[self.kpis["measured"]]
        for r in measured.itertuples():
            who = "district" if pd.isna(r.policy_id) else r.policy_id
            lines.append(f"  KPI {who}:{r.indicator} actual {r.actual:,.1f} vs expected "
                         f"{r.expected:,.1f}: {r.status}")
        lines.append(self.anomalies.summary())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return json_safe({
            "kind": "monitor", "study": self.study_name, "year": self.year, "as_of": self.as_of,
            "thresholds": self.thresholds,
            "execution": self.execution.to_dict(orient="records"),
            "monthly": self.monthly.to_dict(orient="records"),
            "kpis": self.kpis.to_dict(orient="records"),
            "kpi_series": {k: {str(y): v for y, v in s.items()} for k, s in self.kpi_series.items()},
            "interim": {k: v.to_dict() for k, v in self.interim.items()},
            "anomalies": self.anomalies.to_dict(), "provenance": self.provenance,
            "policies": self.policies})


def run_monitor(study: MonitorStudy, tables: dict[str, pd.DataFrame],
                progress: Callable[..., None] | None = None) -> MonitorResult:
    """Run the monitoring declared by ``study`` on the dataset ``tables``."""
    cut = parse_as_of(study.as_of)
    if cut.year != study.year:
        raise ConfigError(Message("errors.stages.monitor.fall_monitored_year", as_of=study.as_of,
                                  year=study.year))
    known = set(tables["policies"]["policy_id"])
    unknown = sorted(set(study.policies) - known)
    if unknown:
        raise ConfigError(Message("errors.stages.monitor.policies_dataset_policies",
                                  unknown=unknown, known=sorted(known)))
    if study.interim_outcome is not None and study.interim_outcome not in OUTCOMES:
        raise ConfigError(Message("errors.stages.monitor.interim_outcome_firm_year",
                                  interim_outcome=study.interim_outcome,
                                  outcomes=', '.join(OUTCOMES)))
    first = pd.to_numeric(tables["firm_years"]["year"], errors="coerce").min()
    first = None if pd.isna(first) else int(first)
    if first is None or first > study.year:
        raise ConfigError(Message("errors.stages.monitor.year_before_data_first", year=study.year,
                                  first=first))
    pol = tables["policies"].set_index("policy_id")
    running = [p for p in pol.index
               if pd.Timestamp(pol.loc[p, "start_date"]).year <= study.year
               and (pd.isna(pol.loc[p, "end_date"])
                    or pd.Timestamp(pol.loc[p, "end_date"]).year >= study.year)]
    policies = list(study.policies) or sorted(running)
    execution = budget_execution(tables["disbursements"], tables["budgets"], study.year,
                                 study.as_of, policies, study.amber, study.red)
    monthly = monthly_execution(tables["disbursements"], tables["budgets"], study.year,
                                study.as_of, list(execution["policy_id"]))
    indicators = load_kpi_indicators(study.indicators)
    kpis, series = track_kpis(tables, study.year, study.as_of, study.amber, study.red,
                              policies, study.inference.alpha, indicators)
    interim = {}
    for i, pid in enumerate(policies):
        if progress:
            progress(f"interim {pid}", i, len(policies))
        kpi_list = str(pol.loc[pid, "kpis"]) if "kpis" in pol.columns else ""
        first = next((k for k in kpi_list.split(";") if k in OUTCOMES), "revenue")
        outcome = study.interim_outcome or first
        interim[pid] = interim_event_study(tables, pid, outcome, study.year, study.as_of,
                                           study.inference.alpha)
    anomalies = ledger_anomalies(tables, study.as_of)
    return MonitorResult(study.name, study.year, study.as_of,
                         {"amber": study.amber, "red": study.red}, execution, monthly, kpis,
                         series, interim, anomalies,
                         {"stage": "monitor", "indicators": indicator_source(study.indicators)},
                         [{"policy_id": str(pid), "name_zh": str(pol.loc[pid, "name_zh"]),
                           "name_en": str(pol.loc[pid, "name_en"]),
                           "department": str(pol.loc[pid, "department"])}
                          for pid in policies])


def indicator_source(path: Path | None) -> dict[str, str]:
    """Where the indicator definitions came from: the file's name and sha256 (no machine path)."""
    file = DATA_DIR / KPI_FILE if path is None else path
    return {"file": "data/" + KPI_FILE if path is None else file.name,
            "sha256": hashlib.sha256(file.read_bytes()).hexdigest()}


def bundle_parts(result: MonitorResult) -> tuple[dict, dict[str, pd.DataFrame], dict[str, bytes]]:
    """What a monitoring bundle holds: results JSON and its tables (record ids joined by ';')."""
    findings = result.anomalies.findings.copy()
    findings["record_ids"] = findings["record_ids"].map(";".join)
    findings["policy_ids"] = findings["policy_ids"].map(";".join)
    tables = {"execution": result.execution, "monthly": result.monthly,
              "kpis": result.kpis.astype({"policy_id": "string"}),
              "anomalies": findings, "concentration": result.anomalies.concentration}
    return result.to_dict(), tables, {}
