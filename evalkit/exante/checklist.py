"""The ex-ante checklist, scored in the style of the Chinese ex-ante performance assessment
(事前绩效评估; notes/public-finance.md): necessity (立项必要性), input economy (投入经济性),
reasonableness of targets (绩效目标合理性), feasibility (实施方案可行性), funding compliance
(筹资合规性), 20 points each.

Each dimension combines the evaluator's answer (``study.checklist[dimension]``: score 0-1 with
evidence) with checks computed from the appraisal; its share of the 20 points is the mean of the
evaluator's score and the share of decided computed checks that pass (either alone if the other is
missing; 0 when neither exists: no evidence, no points). Conclusion: **reject** when a critical
check fails or the total is below 60; **revise** when a major check fails or the total is below
80; otherwise **proceed**. Reasons are given in Chinese and English.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError
from evalkit.i18n import Bilingual, Message
from evalkit.results import Result, canonical, json_safe

__all__ = ["DIMENSIONS", "Check", "ChecklistResult", "score_checklist"]

#: The five dimensions and their names (``.text(lang)``).
DIMENSIONS = {
    "necessity": Message("exante.checklist.dimension.necessity"),
    "input_economy": Message("exante.checklist.dimension.input_economy"),
    "target_reasonableness": Message("exante.checklist.dimension.target_reasonableness"),
    "feasibility": Message("exante.checklist.dimension.feasibility"),
    "funding_compliance": Message("exante.checklist.dimension.funding_compliance"),
}
WEIGHT = 20.0
SEVERITIES = ("critical", "major", "minor")
CONCLUSIONS = {"proceed": Message("exante.checklist.conclusion.proceed"),
               "revise": Message("exante.checklist.conclusion.revise"),
               "reject": Message("exante.checklist.conclusion.reject")}


@dataclass(frozen=True)
class Check:
    """One computed check: ``passed`` True / False / None (could not be decided)."""

    key: str
    dimension: str
    passed: bool | None
    severity: str
    zh: str
    en: str
    value: Any = None


@dataclass(frozen=True, eq=False, repr=False)
class ChecklistResult(Result):
    checks: tuple[Check, ...]
    evaluator: Mapping[str, Any]
    scores: pd.DataFrame
    total: float
    conclusion: str
    reasons_zh: tuple[str, ...]
    reasons_en: tuple[str, ...]
    provenance: dict[str, Any] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """One row per dimension (estimate: its points) and ``total``; no sampling error."""
        dims = self.scores.assign(term=self.scores["dimension"], estimate=self.scores["points"])
        total = pd.DataFrame({"term": ["total"], "estimate": [self.total],
                              "weight": [float(self.scores["weight"].sum())]})
        return canonical(pd.concat([dims, total], ignore_index=True))

    def summary(self) -> str:
        lines = [f"Ex-ante checklist: {self.total:.1f} / 100 -> {self.conclusion}"]
        lines += [f"  - {r}" for r in self.reasons_en]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        evaluator = {k: (v.model_dump() if hasattr(v, "model_dump") else v)
                     for k, v in self.evaluator.items()}
        return json_safe({"checks": list(self.checks), "evaluator": evaluator,
                          "scores": self.scores, "total": self.total,
                          "conclusion": self.conclusion,
                          "conclusion_zh": CONCLUSIONS[self.conclusion].zh,
                          "conclusion_en": CONCLUSIONS[self.conclusion].en,
                          "reasons_zh": list(self.reasons_zh), "reasons_en": list(self.reasons_en),
                          "provenance": self.provenance})




def _score(checks: list[Check], dim: str, evaluator: Mapping[str, Any]) -> tuple[float, str]:
    decided = [c for c in checks if c.dimension == dim and c.passed is not None]
    parts, basis = [], []
    if decided:
        parts.append(float(np.mean([c.passed for c in decided])))
        basis.append(f"{sum(c.passed for c in decided)}/{len(decided)} computed checks pass")
    if dim in evaluator:
        parts.append(float(evaluator[dim].score))
        basis.append(f"evaluator score {evaluator[dim].score:.2f}")
    if not parts:
        return 0.0, "no computed check and no evaluator answer: no points"
    return float(np.mean(parts)), "; ".join(basis)


def score_checklist(checks: list[Check], evaluator: Mapping[str, Any]) -> ChecklistResult:
    """Combine computed checks and evaluator answers (``{dimension: Qualitative}``)."""
    unknown = sorted(set(evaluator) - set(DIMENSIONS))
    if unknown:
        raise ConfigError(Message("errors.exante.checklist.checklist_unknown_dimension_allowed",
                                  unknown=unknown, dimensions=', '.join(DIMENSIONS)))
    for c in checks:
        if c.dimension not in DIMENSIONS or c.severity not in SEVERITIES:
            raise ConfigError(Message("errors.exante.checklist.check_bad_dimension_severity",
                                      key_=c.key, dimension=c.dimension, severity=c.severity))
    rows = []
    for dim, name in DIMENSIONS.items():
        share, basis = _score(checks, dim, evaluator)
        rows.append({"dimension": dim, "name_zh": name.zh, "name_en": name.en, "weight": WEIGHT,
                     "share": share, "points": WEIGHT * share, "basis": basis,
                     "evidence": evaluator[dim].evidence if dim in evaluator else None})
    scores = pd.DataFrame(rows)
    total = float(scores["points"].sum())
    failed = [c for c in checks if c.passed is False]
    critical = [c for c in failed if c.severity == "critical"]
    major = [c for c in failed if c.severity == "major"]
    if critical or total < 60:
        conclusion = "reject"
    elif major or total < 80:
        conclusion = "revise"
    else:
        conclusion = "proceed"
    order = {"critical": 0, "major": 1, "minor": 2}
    ranked = sorted(failed, key=lambda c: order[c.severity])
    reasons = [Message("exante.checklist.reason", dimension=DIMENSIONS[c.dimension],
                       text=Bilingual(c.en, c.zh)) for c in ranked]
    reasons.append(Message("exante.checklist.total", total=total))
    reasons += [Message("exante.checklist.no_evaluator", dimension=DIMENSIONS[dim])
                for dim in DIMENSIONS if dim not in evaluator]
    zh = [r.zh for r in reasons]
    en = [r.en for r in reasons]
    return ChecklistResult(tuple(checks), dict(evaluator), scores, total, conclusion, tuple(zh),
                           tuple(en), {"method": "事前绩效评估 five dimensions x 20 points; "
                                                 "evaluator answers and computed checks averaged"})
