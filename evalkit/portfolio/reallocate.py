"""Reallocation proposal for next year's budget, solved as a linear programme.

Variables x_j (next year's budget of policy j, yuan). Maximise sum_j r_j x_j, r_j the policy's
fiscal return (point estimate, or its lower confidence limit with ``use="conf_low"``), subject to

* sum_j x_j = T (default: this year's total), and
* l_j <= x_j <= u_j with u_j = min(b_j (1 + max_change), capacity_j) and
  l_j = min(b_j (1 - max_change), u_j): each change bounded by ``max_change`` (default 30 %) of
  the current budget b_j, and never beyond absorptive capacity (eligible firms x per-firm cap),
  which wins when it is below the lower bound. Optional per-policy ``lower`` / ``upper``
  columns narrow the bounds further (e.g. 0 for a suspended policy).

The LP is solved with scipy's HiGHS (``linprog``), deterministic for the same input. Its optimum
moves money from low- to high-return policies: fill the highest-return policies up to their upper
bounds while the others sit at their lower bounds. Policies with equal returns are ordered by
policy id (the objective gets a tie-break of relative size 1e-9 by id order) so the solution is
unique.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from evalkit.errors import ConfigError, DataError, check_choice
from evalkit.results import json_safe

__all__ = ["ReallocationResult", "reallocate"]

_FEAS_TOL = 1e-6


@dataclass(frozen=True)
class ReallocationResult:
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


def _close_total(x: np.ndarray, r: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                 tot: float) -> np.ndarray:
    """The LP's solution with the solver's feasibility slack (~1e-7 of the scale) put back: a
    shortfall goes to the highest-return policies with room, an excess comes from the lowest,
    within the bounds, so the proposal sums to the total and stays optimal."""
    x = x.copy()
    gap = tot - float(x.sum())
    order = np.argsort(-r, kind="stable") if gap > 0 else np.argsort(r, kind="stable")
    for j in order:
        if gap == 0:
            break
        room = upper[j] - x[j] if gap > 0 else lower[j] - x[j]
        step = min(gap, room) if gap > 0 else max(gap, room)
        x[j] += step
        gap -= step
    return x


def reallocate(policies: pd.DataFrame, total: float | None = None, max_change: float = 0.30,
               use: str = "estimate") -> ReallocationResult:
    """``policies`` columns: ``policy_id, current`` (yuan), ``estimate`` (fiscal return),
    ``capacity`` (yuan; NaN = unlimited), optionally ``conf_low``, ``lower``, ``upper``."""
    check_choice("reallocation objective", use, ("estimate", "conf_low"))
    for c in ("policy_id", "current", "estimate", "capacity", *([use] if use != "estimate"
                                                                else [])):
        if c not in policies.columns:
            raise DataError(f"reallocation input has no column {c!r}", column=c,
                            zh=f"预算调整输入缺少列 {c!r}")
    if not 0.0 <= float(max_change) <= 1.0:
        raise ConfigError(f"max_change must lie in [0, 1]; received {max_change!r}",
                          zh=f"max_change 须位于 [0, 1] 内；收到的是 {max_change!r}")
    df = policies.sort_values("policy_id", kind="stable").reset_index(drop=True)
    if df["policy_id"].duplicated().any():
        raise DataError("policy ids must be unique", column="policy_id",
                        zh="政策编号不得重复")
    b = df["current"].to_numpy(dtype=float)
    r = df[use].to_numpy(dtype=float)
    cap = df["capacity"].to_numpy(dtype=float)
    if np.any(~np.isfinite(b)) or np.any(b < 0):
        raise DataError("current budgets must be finite and non-negative", column="current",
                        zh="当前预算须为有限的非负数")
    if np.any(~np.isfinite(r)):
        raise DataError(f"{use} must be finite for every policy", column=use,
                        zh=f"每项政策的 {use} 均须为有限值")
    cap = np.where(np.isnan(cap), np.inf, cap)
    if np.any(cap < 0):
        raise DataError("capacity must be non-negative", column="capacity",
                        zh="capacity 须为非负数")
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
        raise ConfigError(f"total {tot:,.2f} is outside what the bounds allow "
                          f"[{lower.sum():,.2f}, {upper.sum():,.2f}]: relax max_change or the "
                          "capacities, or change the total",
                          zh=f"总额 {tot:,.2f} 超出上下限允许的范围 "
                             f"[{lower.sum():,.2f}, {upper.sum():,.2f}]：请放宽 max_change 或 "
                             "capacity，或调整总额")
    scale = max(float(np.max(np.abs(r))), 1e-12)
    tie = 1e-9 * scale * (np.arange(r.size)[::-1] / max(r.size, 1))   # earlier id wins ties
    money = max(tot, 1.0)
    res = linprog(-(r + tie), A_eq=np.ones((1, r.size)), b_eq=[tot / money],
                  bounds=list(zip(lower / money, upper / money, strict=True)), method="highs")
    if res.status != 0:
        raise ConfigError(f"the reallocation LP failed: {res.message}",
                          zh=f"预算调整线性规划求解失败：{res.message}")
    x = _close_total(np.clip(res.x * money, lower, upper), r, lower, upper, tot)
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
                              {"solver": "scipy.optimize.linprog (HiGHS)",
                               "objective": f"maximise sum of {use} x budget"})
