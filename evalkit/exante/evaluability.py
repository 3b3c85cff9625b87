"""Evaluability of a proposal: MDE of the planned rollout and of a phased-by-area alternative on the
district's own panel noise (:mod:`evalkit.exante.power`), and the recommended design."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import DesignError
from evalkit.exante.power import MdeResult, NoiseModel, Rollout, estimate_noise, simulate_mde
from evalkit.numbers import outcome_amount, outcome_label
from evalkit.results import json_safe

__all__ = ["Evaluability", "assess_evaluability", "planned_rollouts"]

MAX_PHASES = 3
#: Years of panel before the first award in the simulated panel (the simple aggregation with a
#: varying base period uses g - 1 only; a second pre-period keeps a pre-trend cell).
PRE_YEARS = 2


@dataclass(frozen=True)
class Evaluability:
    outcome: str
    noise: NoiseModel | None
    designs: tuple[MdeResult, ...]
    recommended: str | None
    expected_effect: float | None
    recommendation_zh: tuple[str, ...]
    recommendation_en: tuple[str, ...]
    reason: str | None = None
    provenance: dict[str, Any] = field(default_factory=dict)

    def design(self, label: str) -> MdeResult:
        for d in self.designs:
            if d.label == label:
                return d
        raise KeyError(label)

    def to_dict(self) -> dict[str, Any]:
        return json_safe({
            "outcome": self.outcome,
            "noise": None if self.noise is None else self.noise,
            "designs": [d.to_dict() for d in self.designs], "recommended": self.recommended,
            "expected_effect": self.expected_effect,
            "recommendation_zh": list(self.recommendation_zh),
            "recommendation_en": list(self.recommendation_en), "reason": self.reason,
            "provenance": self.provenance})


def planned_rollouts(takers_by_area: pd.Series, n_control: int, years: tuple[int, int]
                     ) -> list[Rollout]:
    """``all_at_once``: every expected recipient in the first year, never-treated comparison;
    ``phased_by_area``: areas (largest first) spread over up to three yearly phases, comparisons
    not yet treated plus never treated. ``takers_by_area``: expected recipients per area."""
    y0, y1 = years
    n_treated = round(float(takers_by_area.sum()))
    lo = y0 - PRE_YEARS
    out = [Rollout({y0: n_treated}, n_control, (lo, y1), "nevertreated", "all_at_once")]
    n_phases = min(MAX_PHASES, y1 - y0 + 1, int((takers_by_area.round() > 0).sum()))
    if n_phases >= 2:
        phase_n = np.zeros(n_phases)
        for _area, n in takers_by_area.sort_values(ascending=False).items():
            phase_n[int(np.argmin(phase_n))] += n  # greedy balance of the phases
        cohorts = {y0 + k: round(float(n)) for k, n in enumerate(phase_n) if round(n) >= 1}
        if len(cohorts) >= 2:
            out.append(Rollout(cohorts, n_control, (lo, y1), "notyettreated", "phased_by_area"))
    return out


def assess_evaluability(firm_years: pd.DataFrame, outcome: str, funded, takers_by_area: pd.Series,
                        n_control: int, years: tuple[int, int], rng: np.random.Generator,
                        n_draws: int = 200, alpha: float = 0.05, power: float = 0.8,
                        expected_effect: float | None = None) -> Evaluability:
    """MDEs of the planned rollouts and the recommended design (module doc)."""
    try:
        noise = estimate_noise(firm_years, outcome, "level", exclude=funded)
    except DesignError as exc:
        return Evaluability(outcome, None, (), None, expected_effect, (), (), str(exc))
    n_treated = round(float(takers_by_area.sum()))
    if n_treated < 2 or n_control < 2:
        reason = (f"too few expected recipients ({n_treated}) or comparison firms ({n_control}) "
                  "for a difference-in-differences evaluation")
        return Evaluability(outcome, noise, (), None, expected_effect,
                            ("预计受益企业过少，事后无法开展因果评价。",), (reason,), reason)
    designs = tuple(simulate_mde(r, noise, rng, n_draws=n_draws, alpha=alpha, power=power)
                    for r in planned_rollouts(takers_by_area, n_control, years))
    best = min(designs, key=lambda d: d.mde if np.isfinite(d.mde) else np.inf)
    zh, en = [], []

    def amount(value: float, lang: str) -> str:
        return outcome_amount(outcome, value, lang)

    for d in designs:
        en.append(f"{d.label}: MDE {amount(d.mde, 'en')} ({d.mde_share:.1%} of the mean "
                  f"{outcome_label(outcome, 'en')}) at {power:.0%} power with "
                  f"{d.rollout.n_treated} recipients")
        zh.append(f"{'一次性实施' if d.label == 'all_at_once' else '按区域分批实施'}：最小可检测效应 "
                  f"{amount(d.mde, 'zh')}（占{outcome_label(outcome, 'zh')}均值 "
                  f"{d.mde_share:.1%}），检验功效 {power:.0%}")
    if expected_effect is not None and np.isfinite(expected_effect):
        if best.mde <= abs(expected_effect):
            en.append(f"the expected effect from past evaluations ({amount(expected_effect, 'en')}) "
                      "is above the MDE: the ex-post evaluation can detect it")
            zh.append(f"以往评价的预期效应（{amount(expected_effect, 'zh')}）高于最小可检测效应，"
                      "事后评价可识别。")
        else:
            en.append(f"the expected effect from past evaluations ({amount(expected_effect, 'en')}) is "
                      "below the MDE: the evaluation is underpowered; pool years, add outcomes "
                      "with less noise, or enlarge the rollout")
            zh.append(f"以往评价的预期效应（{amount(expected_effect, 'zh')}）低于最小可检测效应，事后评价"
                      "功效不足，建议延长观察期、选用波动更小的指标或扩大实施范围。")
    if best.label == "phased_by_area":
        en.append("recommended: phase the rollout by area over the first years and keep the "
                  "not-yet-treated areas as the comparison group; do not fund every eligible "
                  "firm at once")
        zh.append("建议按区域分批实施，以尚未实施区域的企业作为对照组，避免一次性覆盖全部符合条件企业。")
    else:
        en.append("recommended: a single start with eligible non-applicants and never-funded "
                  "firms as the comparison group; record applications and rejections, and keep a "
                  "not-yet-treated reserve if take-up exceeds the budget")
        zh.append("建议统一启动，以未申报及未获资助企业为对照组；记录申报与未获批信息，预算不足时"
                  "保留尚未资助企业作为对照。")
    return Evaluability(outcome, noise, designs, best.label, expected_effect, tuple(zh),
                        tuple(en), None,
                        {"method": "simulated power of att_gt simple aggregation on AR(1) "
                                   "noise estimated from the district panel",
                         "n_draws": int(n_draws), "alpha": alpha, "power": power})
