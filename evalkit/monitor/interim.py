"""Interim effects: an event study of a running policy on the data so far, clearly labelled interim.

The sample is the ex-post stage's (:class:`evalkit.panel.StaggeredDesign`, cohort = year of first
payment, controls never paid by any policy) restricted to complete annual data: years before the
monitored year (annual reports of the current year do not exist yet at an in-year data cut) and
payments up to as_of. Firms first paid in the monitored year have no post-period yet and are left
out (neither treated nor control). Estimator: Callaway & Sant'Anna (2021) ``att_gt`` (outcome
regression, unbalanced panel kept) and ``aggte(type="dynamic")``, with the joint pre-trend test
and its power (:func:`evalkit.robust.pretrends.pretrend_test`, Roth 2022).

Conditioning as the demo's ex-post designs: the outcome's base-period level within each industry
cluster plus cluster dummies (:mod:`evalkit.panel.conditioning`), because awards go to larger
firms and levels grow in proportion to size; where that design is singular in a cell (a cluster
without comparison firms) the pooled base-period level, then no covariates. Without conditioning
the pre-trend test rejected for 7 of the 8 demo policies (20,000 firms, p from 1e-6 to 1e-154);
with it, for the one with the planted pre-payment dip (P07) and one 17-firm policy.
These are early, noisy numbers for spotting problems, not the policy's evaluation.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evalkit.did import aggte, att_gt
from evalkit.did.results import AggteResult
from evalkit.errors import DataWarning, DesignError, EvalkitError
from evalkit.panel import Panel, StaggeredDesign, policy_window
from evalkit.panel.conditioning import base_level_columns, first_nonsingular
from evalkit.results import json_safe
from evalkit.robust.pretrends import PretrendResult, pretrend_test

__all__ = ["INTERIM_LABEL", "InterimEffect", "interim_event_study"]

#: Conditioning tried in order (:data:`evalkit.panel.conditioning.BASE_OUTCOME` values).
CONDITIONING = ("level_by_cluster", "level", "none")

INTERIM_LABEL = {"zh": "中期估计（数据截至监控时点，非最终评价结论）",
                 "en": "INTERIM estimate on the data so far; not the policy's evaluation"}


@dataclass(frozen=True, eq=False)
class InterimEffect:
    policy_id: str
    outcome: str
    last_year: int
    dynamic: AggteResult | None
    pretrend: PretrendResult | None
    cohort_sizes: dict[int, int]
    reason: str | None = None
    label: dict[str, str] = field(default_factory=lambda: dict(INTERIM_LABEL))
    conditioning: str | None = None
    reason_zh: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return json_safe({
            "interim": True, "label": self.label, "policy_id": self.policy_id,
            "outcome": self.outcome, "last_year": self.last_year,
            "cohort_sizes": {str(k): v for k, v in self.cohort_sizes.items()},
            "dynamic": None if self.dynamic is None else self.dynamic.to_dict(),
            "pretrend": None if self.pretrend is None else self.pretrend.to_dict(),
            "pretrend_rejects": None if self.pretrend is None
            else bool(self.pretrend.p_value < self.pretrend.alpha),
            "reason": self.reason, "reason_zh": self.reason_zh or self.reason,
            "conditioning": self.conditioning})


def interim_event_study(tables: dict[str, pd.DataFrame], policy_id: str, outcome: str,
                        year: int, as_of: str, alpha: float = 0.05) -> InterimEffect:
    """Interim event study of ``policy_id`` on ``outcome`` (module doc)."""
    last = int(year) - 1
    fy = tables["firm_years"]
    fy = fy.loc[fy["year"] <= last]
    led = tables["disbursements"]
    led = led.loc[pd.to_datetime(led["date"]) <= pd.Timestamp(as_of)]
    try:
        design = StaggeredDesign.from_ledger(Panel.from_tables(tables["firms"], fy), led, policy_id,
                                             window=policy_window(tables["policies"], policy_id))
    except DesignError as exc:
        return InterimEffect(policy_id, outcome, last, None, None, {}, str(exc),
                             reason_zh=exc.text("zh"))
    df = design.data
    first = int(df["year"].min()) if len(df) else last
    early = sorted({int(g) for g in df["g"].unique() if 0 < g <= first})
    df = df.loc[(df["g"] <= last) & ~df["g"].isin(early)].reset_index(drop=True)
    sizes = {int(g): int(n) for g, n in df.drop_duplicates("unit").groupby("g").size().items()
             if g > 0}
    frame = df[["firm_id", "year", "g", outcome]].copy()
    frame[outcome] = pd.to_numeric(frame[outcome], errors="coerce").astype(float)

    def fit(how: str) -> AggteResult:
        covs, names = base_level_columns(df, outcome, how)
        names = [n for n in names if covs[n].nunique() > 1]        # constant: singular
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            res = att_gt(pd.concat([frame, covs], axis=1), outcome, "year", "firm_id", "g",
                         covariates=names, est_method="reg", allow_unbalanced_panel=True,
                         alp=alpha)
            return aggte(res, "dynamic", na_rm=True)

    try:
        k, dyn, _ = first_nonsingular(fit, CONDITIONING)
    except EvalkitError as exc:
        return InterimEffect(policy_id, outcome, last, None, None, sizes, str(exc),
                             reason_zh=exc.text("zh"))
    conditioning = CONDITIONING[k]
    pre = None
    reason = (f"firms first paid in {early} (no year of data before the payment) are left out"
              if early else None)
    reason_zh = f"首次受资助年份为 {early} 的企业（拨付前无数据年份）未纳入" if early else None
    if (dyn.egt < 0).any():
        try:
            pre = pretrend_test(dyn, alpha=alpha)
        except EvalkitError as exc:
            reason = f"pre-trend test not possible: {exc}" + (f"; {reason}" if reason else "")
            reason_zh = (f"无法进行预趋势检验：{exc.text('zh')}"
                         + (f"；{reason_zh}" if reason_zh else ""))
    return InterimEffect(policy_id, outcome, last, dyn, pre, sizes, reason,
                         conditioning=conditioning, reason_zh=reason_zh)
