"""Eligibility microsimulation of a proposed policy on the district's firm-year data.

Static microsimulation (the standard first step of an ex-ante appraisal): the proposal's eligibility
rule is applied to every firm's record of one data year (default the latest), each eligible firm's
award is computed from the schedule (fixed amount, tiered bands, or a share of a firm-year field)
and capped at ``cap_per_firm``; take-up is then simulated.

Take-up model: under a scenario with take-up rate ``p`` each eligible firm applies independently
with probability ``p``, so the number of recipients is Binomial(n_eligible, p) and the annual cost
``C = sum_i B_i a_i`` (``B_i ~ Bernoulli(p)``, ``a_i`` the capped award) has mean ``p sum a_i`` and
variance ``p (1 - p) sum a_i^2``. Its interval is the (alpha/2, 1 - alpha/2) quantiles of ``n_draws``
simulated take-ups (seeded). The overall interval adds the spread between scenarios: from the
lowest scenario's lower limit to the highest scenario's upper limit. Cost per year assumes the
eligible population of the data year recurs in each year of the proposal (steady state); the
projection says so.

Derived fields available to rules besides the ``firms`` and ``firm_years`` columns: ``section``
(GB/T 4754 section letter), ``firm_age`` (year - year_registered), ``revenue_growth`` (revenue over
the previous year's, minus 1; missing without a previous record) and ``newly_high_tech``,
``newly_listed``, ``newly_headquarters`` (true in the data year and not in the previous one; the
first certification, listing or headquarters recognition that event-triggered awards pay for).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError, DataError
from evalkit.i18n import Message
from evalkit.reference import sections_of
from evalkit.results import Result, by_name, json_safe
from evalkit.rules import parse_rule

__all__ = ["MicrosimResult", "ScenarioCost", "eligibility_records", "microsimulate"]

GROUP_COLUMNS = ("cluster", "area", "size_class")
EVENT_FLAGS = {"newly_high_tech": "high_tech", "newly_listed": "listed",
               "newly_headquarters": "headquarters"}


def eligibility_records(tables: dict[str, pd.DataFrame], year: int | None = None,
                        exclude_funded: bool = False) -> tuple[pd.DataFrame, int]:
    """The firm records of one data year (default the latest), firms joined on, derived fields
    added (see the module doc). Returns (records, year); one row per firm active that year.

    ``exclude_funded`` drops firms with any ledger payment dated up to the end of that year."""
    firms, fy = tables["firms"], tables["firm_years"]
    years = fy["year"].astype("int64")
    if len(fy) == 0:
        raise DataError(Message("errors.exante.microsim.firm_years_empty_microsimulation"),
                        file="firm_years")
    if year is None:
        year = int(years.max())
    if year not in set(years.tolist()):
        raise ConfigError(Message("errors.exante.microsim.data_year_firm_years", year=year,
                                  min_years=int(years.min()), max_years=int(years.max())))
    cur = fy.loc[years == year]
    prev = fy.loc[years == year - 1].set_index("firm_id")
    rec = cur.merge(firms, on="firm_id", how="left", validate="1:1", suffixes=("", "_firm"),
                    indicator=True)
    orphan = (rec.pop("_merge") == "left_only").to_numpy()
    if orphan.any():
        first = rec.loc[orphan, "firm_id"].iloc[0]
        raise DataError(Message("errors.exante.microsim.firm_year_names_firm", year=year,
                                first=first), file="firm_years", column="firm_id")
    rec["section"] = sections_of(rec["industry_code"]).to_numpy()
    rec["firm_age"] = (year - rec["year_registered"].astype("float64")).astype("float64")
    prev_rev = rec["firm_id"].map(prev["revenue"]).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = rec["revenue"].astype("float64").to_numpy() / prev_rev.to_numpy() - 1.0
    rec["revenue_growth"] = np.where(prev_rev.to_numpy() > 0, growth, np.nan)
    for name, col in EVENT_FLAGS.items():
        before = rec["firm_id"].map(prev[col]).astype("boolean").fillna(False)
        rec[name] = (rec[col].astype("boolean").fillna(False) & ~before).astype(bool)
    if exclude_funded:
        led = tables["disbursements"]
        paid_year = pd.to_datetime(led["date"]).dt.year
        funded = set(led.loc[paid_year <= year, "firm_id"])
        rec = rec.loc[~rec["firm_id"].isin(funded)]
    return rec.reset_index(drop=True), int(year)


@dataclass(frozen=True)
class ScenarioCost:
    """Projected annual cost under one take-up scenario (yuan)."""

    name: str
    take_up: float
    recipients: float
    recipients_low: float
    recipients_high: float
    cost: float
    cost_sd: float
    cost_low: float
    cost_high: float
    prob_within_budget: float


@dataclass(frozen=True, eq=False, repr=False)
class MicrosimResult(Result):
    """Eligibility microsimulation: who qualifies, take-up and cost (see the module doc).

    ``by_group`` maps cluster / area / size_class to a frame with columns ``group, firms,
    eligible, eligible_share, award_total, max_award`` (award_total: sum of capped awards if all
    took up; max_award: the largest eligible firm's award, for the report's dominance rule).
    ``cost_by_year`` has one row per proposal year and scenario. ``award_top_share``: the largest
    award's share of ``award_total`` (the projected cost rests on the eligible firms' awards; the
    report's disclosure control decides on it and ``n_eligible``).
    """

    rule: str
    data_year: int
    n_firms: int
    n_eligible: int
    award_total: float
    award_mean: float
    award_capped: int
    n_award_missing: int
    by_group: dict[str, pd.DataFrame]
    scenarios: tuple[ScenarioCost, ...]
    interval: tuple[float, float]
    central: str
    budget: float
    budget_covers_central: bool
    budget_covers_high: bool
    cost_by_year: pd.DataFrame
    alpha: float
    notes: tuple[str, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict)
    award_top_share: float = 0.0

    def scenario(self, name: str) -> ScenarioCost:
        return by_name(self.scenarios, name, "scenarios")

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame([{"term": f"cost_{s.name}", "estimate": s.cost, "std_error": s.cost_sd,
                              "conf_low": s.cost_low, "conf_high": s.cost_high,
                              "p_value": np.nan} for s in self.scenarios])

    def summary(self) -> str:
        lines = [f"Eligibility ({self.data_year} data): {self.n_eligible:,} of {self.n_firms:,} "
                 f"firms qualify under '{self.rule}'"]
        for s in self.scenarios:
            lines.append(f"  {s.name:<10} take-up {s.take_up:.0%}: {s.recipients:,.0f} firms, "
                         f"cost {s.cost:,.0f} [{s.cost_low:,.0f}, {s.cost_high:,.0f}] yuan a year")
        lines.append(f"  budget {self.budget:,.0f}: covers central "
                     f"{'yes' if self.budget_covers_central else 'no'}, covers high "
                     f"{'yes' if self.budget_covers_high else 'no'}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return json_safe({
            "rule": self.rule, "data_year": self.data_year, "n_firms": self.n_firms,
            "n_eligible": self.n_eligible, "award_total": self.award_total,
            "award_top_share": self.award_top_share,
            "award_mean": self.award_mean, "award_capped": self.award_capped,
            "n_award_missing": self.n_award_missing,
            "by_group": {k: v for k, v in self.by_group.items()},
            "scenarios": list(self.scenarios), "interval": list(self.interval),
            "central": self.central, "budget": self.budget,
            "budget_covers_central": self.budget_covers_central,
            "budget_covers_high": self.budget_covers_high,
            "cost_by_year": self.cost_by_year, "alpha": self.alpha, "notes": list(self.notes),
            "provenance": self.provenance,
        })


def award_per_firm(proposal: Any, records: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Capped award (yuan) for every record, and a mask of records whose award is missing
    (the field it is a share of is missing). Shapes (n,)."""
    n = len(records)
    base = np.full(n, float(proposal.award))
    unset = np.ones(n, dtype=bool)
    for tier in proposal.award_tiers:
        rule = parse_rule(tier.when)
        rule.check_fields(records.columns)
        hit = rule.evaluate(records) & unset
        base[hit] = float(tier.award)
        unset &= ~hit
    if proposal.award_share_of is not None:
        col = proposal.award_share_of
        if col not in records.columns:
            raise ConfigError(Message("errors.exante.microsim.proposal_award_share_names", col=col,
                                      columns=', '.join(sorted(map(str, records.columns)))))
        values = pd.to_numeric(records[col], errors="coerce").to_numpy(dtype="float64")
        base = base * values
    missing = np.isnan(base)
    award = np.clip(np.where(missing, 0.0, base), 0.0, float(proposal.cap_per_firm))
    return award, missing


def _by_group(records: pd.DataFrame, eligible: np.ndarray, award: np.ndarray) -> dict:
    out = {}
    for col in GROUP_COLUMNS:
        if col not in records.columns:
            continue
        key = records[col].astype("string").fillna("(missing)")
        df = pd.DataFrame({"group": key.to_numpy(), "eligible": eligible,
                           "award": np.where(eligible, award, 0.0)})
        agg = df.groupby("group", sort=True).agg(firms=("eligible", "size"),
                                                 eligible=("eligible", "sum"),
                                                 award_total=("award", "sum"),
                                                 max_award=("award", "max")).reset_index()
        agg["eligible"] = agg["eligible"].astype("int64")
        agg["eligible_share"] = agg["eligible"] / agg["firms"]
        out[col] = agg[["group", "firms", "eligible", "eligible_share", "award_total",
                        "max_award"]]
    return out


def _simulate_cost(awards: np.ndarray, p: float, rng: np.random.Generator, n_draws: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(n_draws,) simulated annual cost and recipient count under take-up ``p``."""
    cost = np.empty(n_draws)
    count = np.empty(n_draws)
    chunk = max(1, int(4_000_000 // max(awards.size, 1)))
    for start in range(0, n_draws, chunk):
        k = min(chunk, n_draws - start)
        take = rng.random((k, awards.size)) < p
        cost[start:start + k] = take @ awards
        count[start:start + k] = take.sum(axis=1)
    return cost, count


def microsimulate(proposal: Any, scenarios: Sequence[Any], tables: dict[str, pd.DataFrame],
                  rng: np.random.Generator, year: int | None = None, exclude_funded: bool = False,
                  n_draws: int = 2000, alpha: float = 0.05,
                  central: str | None = None) -> MicrosimResult:
    """Run the eligibility microsimulation of ``proposal`` (an :class:`evalkit.study.Proposal`)
    under ``scenarios`` (objects with ``name`` and ``take_up``). ``central`` names the central
    scenario (default: the middle one by take-up). A rule naming an unknown field raises
    ConfigError with the field and the known fields."""
    if not scenarios:
        raise ConfigError(Message("errors.exante.microsim.least_one_take_up"))
    records, data_year = eligibility_records(tables, year, exclude_funded)
    rule = parse_rule(proposal.eligibility_rule)
    rule.check_fields(records.columns)
    eligible = rule.evaluate(records)
    award, missing = award_per_firm(proposal, records)
    notes = []
    n_missing = int((missing & eligible).sum())
    if n_missing:
        notes.append(f"{n_missing} eligible firms have no value of {proposal.award_share_of!r} "
                     "in the data year; their award is counted as 0")
    a = award[eligible]
    raw_capped = int((a >= proposal.cap_per_firm).sum())
    order = sorted(scenarios, key=lambda s: s.take_up)
    if central is None:
        central = order[(len(order) - 1) // 2].name
    elif central not in {s.name for s in scenarios}:
        raise ConfigError(Message("errors.exante.microsim.central_scenario_among_scenarios",
                                  central=central, scenarios=[s.name for s in scenarios]))
    q = (alpha / 2, 1 - alpha / 2)
    budget = float(proposal.budget)
    costs = []
    for s in scenarios:
        sim, cnt = _simulate_cost(a, float(s.take_up), rng, int(n_draws))
        lo, hi = np.quantile(sim, q, method="inverted_cdf")
        clo, chi = np.quantile(cnt, q, method="inverted_cdf")
        costs.append(ScenarioCost(
            s.name, float(s.take_up), float(s.take_up * a.size), float(clo), float(chi),
            float(s.take_up * a.sum()), float(np.sqrt(s.take_up * (1 - s.take_up) * (a ** 2).sum())),
            float(lo), float(hi), float((sim <= budget).mean())))
    interval = (min(c.cost_low for c in costs), max(c.cost_high for c in costs))
    cen = next(c for c in costs if c.name == central)
    y0, y1 = proposal.years
    rows = [{"year": y, "scenario": c.name, "cost": c.cost, "cost_low": c.cost_low,
             "cost_high": c.cost_high, "budget": budget} for y in range(y0, y1 + 1) for c in costs]
    notes.append("cost per year assumes the eligible population of the data year recurs in each "
                 "year of the proposal (static microsimulation)")
    return MicrosimResult(
        rule=str(rule), data_year=data_year, n_firms=len(records), n_eligible=int(eligible.sum()),
        award_total=float(a.sum()), award_mean=float(a.mean()) if a.size else 0.0,
        award_capped=raw_capped, n_award_missing=n_missing,
        by_group=_by_group(records, eligible, award), scenarios=tuple(costs), interval=interval,
        central=central, budget=budget, budget_covers_central=bool(cen.cost <= budget),
        budget_covers_high=bool(interval[1] <= budget), cost_by_year=pd.DataFrame(rows),
        alpha=float(alpha), notes=tuple(notes),
        provenance={"method": "static eligibility microsimulation with binomial take-up",
                    "n_draws": int(n_draws), "exclude_funded": bool(exclude_funded)},
        award_top_share=float(a.max() / a.sum()) if a.size and a.sum() > 0 else 0.0)
