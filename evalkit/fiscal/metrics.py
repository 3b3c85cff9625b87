"""Fiscal metrics of one policy, each with its influence function and interval.

Inputs are the *total additional* outcomes the policy caused over the evaluation window (from
:func:`evalkit.fiscal.effects.total_effect`, discounted to the same base year as the cost) and the
policy's cost (:func:`evalkit.fiscal.cost.policy_cost`). With S the discounted subsidy paid to firms
and C = S + admin the government's total cost:

==========================  ===========================================================
fiscal_return_total         additional tax paid / S (yuan of tax per yuan of subsidy)
fiscal_return_city          retained_city x additional tax / S      (see :mod:`.tax`)
fiscal_return_district      retained_district x additional tax / S
revenue_per_yuan            additional operating revenue / S
rd_additionality            additional private R&D expense / S  (> 1 crowds in, < 0 crowds out)
cost_per_job                C / additional jobs (pass the jobs effect with ``per_year=True``:
                            average jobs sustained; flagged when its interval includes 0)
patents_per_million         additional invention patents / (S / 1e6)
mvpf_<view>                 Hendren & Sprung-Keyser MVPF, see :mod:`.mvpf`
==========================  ===========================================================

Intervals: the cost is known (the ledger is the full record), so the per-yuan metrics are linear
in the effects; cost per job is a ratio (delta method). All metrics of all policies share firm-
indexed influence functions, so their joint distribution is available (:func:`.linear.joint_cov`,
:func:`.multiplier.multiplier_bootstrap`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.conventions import pick
from evalkit.errors import ConfigError, DesignError
from evalkit.fiscal.cost import PolicyCost
from evalkit.fiscal.linear import LinearEstimate, ratio
from evalkit.fiscal.mvpf import MvpfResult, mvpf
from evalkit.fiscal.tax import TaxSharing
from evalkit.i18n import Message
from evalkit.io.schemas import FISCAL_OUTCOMES as OUTCOMES
from evalkit.results import TIDY_COLUMNS, Result, by_name, canonical, json_safe, tidy_frame

__all__ = ["OUTCOMES", "VIEWS", "FiscalResult", "fiscal_metrics"]

VIEWS = ("district", "city", "total")


@dataclass(frozen=True, eq=False, repr=False)
class FiscalResult(Result):
    """Fiscal metrics of one policy. ``metrics`` are LinearEstimates named as in the module doc."""

    policy_id: str
    metrics: tuple[LinearEstimate, ...]
    cost: PolicyCost
    mvpf: tuple[MvpfResult, ...]
    tax: TaxSharing
    alpha: float
    flags: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)

    def metric(self, name: str) -> LinearEstimate:
        return by_name(self.metrics, name, "metrics")

    def tidy(self) -> pd.DataFrame:
        t = tidy_frame([m.name for m in self.metrics], [m.estimate for m in self.metrics],
                       [m.se for m in self.metrics], self.alpha)
        rows = pd.DataFrame({
            "term": [f"mvpf_{r.view}" for r in self.mvpf],
            "estimate": [r.estimate for r in self.mvpf],
            "std_error": np.nan, "conf_low": [r.conf_low for r in self.mvpf],
            "conf_high": [r.conf_high for r in self.mvpf], "p_value": np.nan})
        out = pd.concat([t, rows], ignore_index=True) if len(rows) else t
        return canonical(out[list(TIDY_COLUMNS)], policy_id=self.policy_id)

    def summary(self) -> str:
        lines = [f"policy {self.policy_id}: subsidy {self.cost.subsidy:,.0f} yuan "
                 f"(base {self.cost.base_year}, r = {self.cost.discount_rate:.1%}), "
                 f"total cost {self.cost.total:,.0f}"]
        for r in self.tidy().itertuples():
            lines.append(f"  {r.term:<24} {r.estimate:>12.4g}  "
                         f"[{r.conf_low:.4g}, {r.conf_high:.4g}]")
        for k, v in self.flags.items():
            lines.append(f"  note {k}: {v}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"policy_id": self.policy_id, "tidy": self.tidy(),
                          "cost": self.cost, "mvpf": list(self.mvpf), "tax": self.tax,
                          "alpha": self.alpha, "flags": self.flags,
                          "provenance": self.provenance})


def fiscal_metrics(policy_id: str, effects: Mapping[str, LinearEstimate], cost: PolicyCost,
                   rng: np.random.Generator, tax: TaxSharing | None = None,
                   wtp: LinearEstimate | float | None = None, alpha: float = 0.05,
                   n_sim: int | None = None, *, n_draws: int | None = None) -> FiscalResult:
    """Fiscal metrics of ``policy_id`` (see the module doc). ``effects`` maps outcome names in
    :data:`OUTCOMES` to total additional effects; missing outcomes give no metric.
    ``wtp`` defaults to the discounted subsidy (cash valued one for one by recipient firms);
    ``rng`` drives the MVPF simulation of ``n_draws`` (alias ``n_sim``, default 10,000) draws."""
    n_sim = int(pick("n_draws", n_draws, 10_000, n_sim=n_sim))
    unknown = sorted(set(effects) - set(OUTCOMES))
    if unknown:
        raise ConfigError(Message("errors.fiscal.metrics.effects_keyed", outcomes=list(OUTCOMES),
                                  unknown=unknown))
    if cost.subsidy <= 0:
        raise DesignError(Message("errors.fiscal.metrics.policy_paid_subsidy_window",
                                  policy_id=policy_id))
    tax = tax or TaxSharing()
    s, c = cost.subsidy, cost.total
    out: list[LinearEstimate] = []
    flags: dict[str, str] = {}
    if "tax_paid" in effects:
        t = effects["tax_paid"]
        for view in ("total", "city", "district"):
            out.append((t * (tax.retained(view) / s)).renamed(f"fiscal_return_{view}"))
    if "revenue" in effects:
        out.append((effects["revenue"] / s).renamed("revenue_per_yuan"))
    if "rd_expense" in effects:
        out.append((effects["rd_expense"] / s).renamed("rd_additionality"))
    if "employees" in effects:
        jobs = effects["employees"]
        lo, hi = jobs.conf_int(alpha)
        if lo <= 0 <= hi:
            flags["cost_per_job"] = ("the jobs effect's interval includes 0: cost per job is "
                                     "unbounded and its delta-method interval unreliable")
        if jobs.estimate != 0:
            out.append(ratio(LinearEstimate(c, None, "cost"), jobs, name="cost_per_job"))
    if "invention_patents" in effects:
        out.append((effects["invention_patents"] / (s / 1e6)).renamed("patents_per_million"))
    results: list[MvpfResult] = []
    if "tax_paid" in effects:
        w = s if wtp is None else wtp
        for view in VIEWS:
            fe = effects["tax_paid"] * tax.retained(view)
            results.append(mvpf(w, c, fe, rng, view=view, n_sim=n_sim, alpha=alpha))
    prov = {"method": "fiscal metrics from causal totals (evalkit.fiscal.metrics)",
            "effects": {k: v.name for k, v in effects.items()},
            "wtp": "subsidy (cash one-for-one)" if wtp is None else "given",
            "n_sim": n_sim, "alpha": alpha}
    return FiscalResult(str(policy_id), tuple(out), cost, tuple(results), tax, float(alpha),
                        flags, prov)
