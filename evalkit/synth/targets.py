"""KPI targets of the synthetic district: the seed document's district targets and per-policy ones.

District targets come from the seed (the 14th Five-Year Plan period 2021-25): high-tech
enterprises 1,000 by 2025, PCT applications 450 in 2025, 30 new listed firms and 50 new regional
headquarters over 2021-25, and the revenue growth rates of the clusters. Count targets are scaled
by ``n_firms / 20000`` (at 20,000 firms the synthetic register is calibrated to the district's
scale, see :mod:`evalkit.synth.params`); growth targets (percent a year) are not scaled. Target
years follow the synthetic window: the last year (``end``) for level targets, cumulative
``end - 4 .. end`` for the five-year counts. Targets the synthetic data cannot measure (R&D / GDP,
patents per 10,000 residents, contracted FDI, industrial output above designated size) are left
out. Baselines are measured on the synthetic data in the year before the five-year period.

Per-policy targets: awards (firms supported) over the policy's life, the budget execution rate
(90 %), and for each KPI outcome of the policy a growth target for supported firms (percent a
year over the policy's life).
"""

from __future__ import annotations

import pandas as pd

from evalkit.reference import load_kpi_indicators
from evalkit.synth.params import REFERENCE_FIRMS
from evalkit.synth.policies import POLICIES

#: (indicator, growth target in percent a year), seed section 二. Which clusters each indicator
#: sums comes from the indicator reference table (``data/kpi_indicators.csv``), as in monitoring.
GROWTH_TARGETS = (
    ("modern_services_revenue_growth", 8.0),
    ("ai_output_growth", 15.0),
    ("life_health_output_growth", 10.0),
    ("modern_finance_output_growth", 10.0),
    ("information_services_revenue_growth", 10.0),
    ("professional_services_revenue_growth", 5.0),
    ("rd_services_revenue_growth", 10.0),
)
#: Policy KPI growth targets, percent a year for supported firms.
POLICY_GROWTH_TARGET = {"revenue": 10.0, "tax_paid": 10.0, "rd_expense": 12.0, "employees": 6.0,
                        "invention_patents": 10.0}
BUDGET_EXECUTION_TARGET = 90.0
#: Planned awards per year of the event policies at 20,000 firms (certifications, recognitions,
#: listings times take-up), for their firms-supported targets.
EVENT_AWARDS_PER_YEAR = {"P02": 80.0, "P03": 7.0, "P05": 6.0}


def build_kpi_targets(firms: pd.DataFrame, firm_years: pd.DataFrame, n_firms: int, start: int,
                      end: int, start_years: dict[str, int]) -> pd.DataFrame:
    scale = n_firms / REFERENCE_FIRMS
    base_year = max(start, end - 5)
    fy = firm_years.merge(firms[["firm_id", "cluster", "year_registered"]], on="firm_id")
    at_base = fy[fy["year"] == base_year]
    rows: list[dict] = []

    def add(indicator, level, policy_id, target, unit, target_year, baseline, baseline_year):
        rows.append({"indicator": indicator, "level": level, "policy_id": policy_id,
                     "target": float(target), "unit": unit, "target_year": int(target_year),
                     "baseline": None if baseline is None else float(baseline),
                     "baseline_year": None if baseline_year is None else int(baseline_year)})

    add("high_tech_enterprises", "district", None, round(1000 * scale), "firms", end,
        int(at_base["high_tech"].sum()), base_year)
    add("pct_applications", "district", None, round(450 * scale), "applications", end,
        int(at_base["pct_applications"].sum()), base_year)
    add("new_listed_firms", "district", None, round(30 * scale),
        f"firms, cumulative {end - 4}-{end}", end, 0, base_year)
    add("new_regional_headquarters", "district", None, round(50 * scale),
        f"firms, cumulative {end - 4}-{end}", end, 0, base_year)
    first = max(start, base_year - 4)
    defs = load_kpi_indicators().set_index("indicator")
    for indicator, target in GROWTH_TARGETS:
        sub = fy[fy["cluster"].isin(defs.loc[indicator, "clusters"])]
        by_year = sub.groupby("year")[defs.loc[indicator, "source"]].sum()
        if first in by_year.index and base_year in by_year.index and base_year > first:
            cagr = 100.0 * ((by_year[base_year] / by_year[first]) ** (1 / (base_year - first)) - 1)
            baseline = round(float(cagr), 2)
        else:
            baseline = None
        add(indicator, "district", None, target, "percent a year", end, baseline,
            base_year if baseline is not None else None)

    for spec in POLICIES:
        years = end - start_years[spec.policy_id] + 1
        add("firms_supported", "policy", spec.policy_id,
            round(EVENT_AWARDS_PER_YEAR.get(spec.policy_id, spec.per_year) * scale * years),
            "firms, cumulative", end, None, None)
        add("budget_execution_rate", "policy", spec.policy_id, BUDGET_EXECUTION_TARGET,
            "percent", end, None, None)
        for kpi in spec.kpis:
            add(f"{kpi}_growth_supported_firms", "policy", spec.policy_id,
                POLICY_GROWTH_TARGET[kpi], "percent a year", end, None, None)
    out = pd.DataFrame(rows)
    return pd.DataFrame({
        "indicator": out["indicator"].astype("string"),
        "level": out["level"].astype("string"),
        "policy_id": out["policy_id"].astype("string"),
        "target": out["target"].astype("float64"),
        "unit": out["unit"].astype("string"),
        "target_year": out["target_year"].astype("int64"),
        "baseline": pd.to_numeric(out["baseline"]).astype("float64"),
        "baseline_year": pd.array(out["baseline_year"], dtype="Int64"),
    })

