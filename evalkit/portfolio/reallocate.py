"""Reallocation proposal for next year's budget: a linear programme, solved exactly.

Variables x_j (next year's budget of policy j, yuan). Maximise sum_j r_j x_j, r_j the policy's
fiscal return (point estimate, its lower confidence limit with ``use="conf_low"``, or its
empirical-Bayes posterior mean with ``use="posterior_mean"``: :mod:`.shrinkage`), subject to

* sum_j x_j = T (default: this year's total), and
* l_j <= x_j <= u_j with u_j = min(b_j (1 + max_change), capacity_j) and
  l_j = min(b_j (1 - max_change), u_j): each change bounded by ``max_change`` (default 30 %) of
  the current budget b_j, and never beyond absorptive capacity (eligible firms x per-firm cap),
  which wins when it is below the lower bound. Optional per-policy ``lower`` / ``upper``
  columns narrow the bounds further (e.g. 0 for a suspended policy).

With one budget constraint and box bounds this LP is a fractional knapsack, and its optimum is
known in closed form (Dantzig 1957): start every policy at its lower bound and give the rest of
the total to the policies in order of decreasing return, each up to its upper bound. That is how
it is solved here: exactly (a numerical LP solver treats returns closer than its tolerance,
~1e-7, as equal), in O(n log n), and deterministically. Policies with equal returns are served
in policy-id order, so the solution is unique.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError, DataError, check_choice, require_columns
from evalkit.i18n import Message
from evalkit.results import Result, json_safe

__all__ = ["ReallocationResult", "reallocate"]

_FEAS_TOL = 1e-6


@dataclass(frozen=True, eq=False, repr=False)
class ReallocationResult(Result):
    table: pd.DataFrame
    total: float
    max_change: float
    objective: str
    provenance: dict = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        t = self.table
        return pd.DataFrame({"term": t["policy_id"], "estimate": t["proposed"],
                             "std_error": np.nan, "conf_low": np.nan, "conf_high": np.nan,
                             "p_value": np.nan, "current": t["current"], "change": t["change"],
                             "lower": t["lower"], "upper": t["upper"]})

    def summary(self) -> str:
        lines = [f"reallocation (total {self.total:,.0f} yuan, changes within "
                 f"+-{self.max_change:.0%}, by {self.objective})"]
        for r in self.table.itertuples():
            lines.append(f"  {r.policy_id:<10} {r.current:>14,.0f} -> {r.proposed:>14,.0f} "
                         f"({r.change_share:+.1%})")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"table": self.table, "total": self.total, "max_change": self.max_change,
                          "objective": self.objective, "provenance": self.provenance})


def _fill_in_return_order(r: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                         tot: float) -> np.ndarray:
    """The LP's optimum (module doc): lower bounds, then the rest of ``tot`` to the policies by
    decreasing return (ties by position, i.e. policy id), each up to its upper bound."""
    x = lower.copy()
    rest = tot - float(lower.sum())
    for j in np.argsort(-r, kind="stable"):
        if rest <= 0:
            break
        step = min(upper[j] - lower[j], rest)
        x[j] += step
        rest -= step
    return x


def reallocate(policies: pd.DataFrame, total: float | None = None, max_change: float = 0.30,
               use: str = "estimate") -> ReallocationResult:
    """``policies`` columns: ``policy_id, current`` (yuan), ``estimate`` (fiscal return),
    ``capacity`` (yuan; NaN = unlimited), optionally ``conf_low``, ``lower``, ``upper``."""
    check_choice("reallocation objective", use, ("estimate", "conf_low", "posterior_mean"))
    require_columns(policies, ("policy_id", "current", "estimate", "capacity",
                               *([use] if use != "estimate" else [])),
                    Message("labels.table.reallocation"))
    if not 0.0 <= float(max_change) <= 1.0:
        raise ConfigError(Message("errors.portfolio.reallocate.max_change_lie",
                                  max_change=max_change))
    df = policies.sort_values("policy_id", kind="stable").reset_index(drop=True)
    if df["policy_id"].duplicated().any():
        raise DataError(Message("errors.portfolio.reallocate.policy_ids_unique"),
                        column="policy_id")
    b = df["current"].to_numpy(dtype=float)
    r = df[use].to_numpy(dtype=float)
    cap = df["capacity"].to_numpy(dtype=float)
    if np.any(~np.isfinite(b)) or np.any(b < 0):
        raise DataError(Message("errors.portfolio.reallocate.current_budgets_finite_non"),
                        column="current")
    if np.any(~np.isfinite(r)):
        raise DataError(Message("errors.portfolio.reallocate.finite_every_policy", use=use),
                        column=use)
    cap = np.where(np.isnan(cap), np.inf, cap)
    if np.any(cap < 0):
        raise DataError(Message("errors.portfolio.reallocate.capacity_non_negative"),
                        column="capacity")
    upper = np.minimum(b * (1 + max_change), cap)
    lower = np.minimum(b * (1 - max_change), upper)
    if "upper" in df.columns:
        u = df["upper"].to_numpy(dtype=float)
        upper = np.where(np.isnan(u), upper, np.minimum(upper, u))
        lower = np.minimum(lower, upper)
    if "lower" in df.columns:
        lo = df["lower"].to_numpy(dtype=float)
        lower = np.where(np.isnan(lo), lower, np.minimum(np.maximum(lower, lo), upper))
    tot = float(b.sum()) if total is None else float(total)
    if tot < lower.sum() - _FEAS_TOL * max(1.0, tot) or tot > upper.sum() + _FEAS_TOL * max(
            1.0, tot):
        raise ConfigError(Message("errors.portfolio.reallocate.total_outside_what_bounds", tot=tot,
                                  sum_lower=lower.sum(), sum_upper=upper.sum()))
    x = _fill_in_return_order(r, lower, upper, tot)
    out = df[["policy_id"]].copy()
    out["current"] = b
    out["metric"] = r
    out["capacity"] = cap
    out["lower"] = lower
    out["upper"] = upper
    out["proposed"] = x
    out["change"] = x - b
    out["change_share"] = np.divide(x - b, b, out=np.zeros_like(b), where=b > 0)
    return ReallocationResult(out, tot, float(max_change), use,
                              {"solver": "exact: fractional-knapsack fill in return order",
                               "objective": f"maximise sum of {use} x budget"})
