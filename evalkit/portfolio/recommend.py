"""Recommendations for next year's budget, following the budget-use rules of performance
evaluation (优 / 良 supported; 中 revised and cut proportionally; 差 cut or suspended).

Rules (parameters from the scorecard file's ``use_of_results``):

* 优 (excellent): ``expand`` by ``excellent_expand_share`` when the policy is in the plausibly-best
  set and its metric interval lies above 0; otherwise ``maintain``;
* 良 (good): ``maintain``;
* 中 (fair): ``revise``, budget cut by ``fair_max_cut x (80 - score) / 20`` (proportional to the
  shortfall from 良: 0 at 80 points, the full cut at 60);
* 差 (poor): ``suspend`` when the score is below ``suspend_below`` or the metric interval lies
  entirely below 0; otherwise ``reduce`` by ``poor_cut``.

* failed identification: when the causal evidence of a policy fails its own diagnostic (e.g.
  the pre-trend test rejects parallel trends), its metric cannot support more money: an
  ``expand`` or ``maintain`` becomes ``revise`` (no cut on that ground alone: the evaluation design
  must be revised first), and the rationale says why.

Grades other than the four standard ones are matched by their position in the grade list
(best first). Each recommendation gets an id ``<cycle>-<nn>`` and a rationale in Chinese and
English citing the grade, score, metric, interval and rank set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError
from evalkit.i18n import Message
from evalkit.portfolio.ranking import RankingResult
from evalkit.portfolio.scorecard import ScorecardResult, ScorecardSpec
from evalkit.results import Result, json_safe

__all__ = ["ACTIONS", "Recommendations", "align_with_reallocation", "recommend"]

ACTIONS = ("expand", "maintain", "revise", "reduce", "suspend")
_ACTION_ZH = {"expand": "扩大", "maintain": "维持", "revise": "调整完善", "reduce": "压减",
              "suspend": "暂停"}
_DEFAULT_RULES = {"excellent_expand_share": 0.20, "fair_max_cut": 0.30, "poor_cut": 0.50,
                  "suspend_below": 40.0}


@dataclass(frozen=True, eq=False, repr=False)
class Recommendations(Result):
    """One row per policy (``table``) with action, proposed budget change share and rationale."""

    table: pd.DataFrame
    cycle: str
    metric: str
    provenance: dict = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        t = self.table
        return pd.DataFrame({
            "term": t["recommendation_id"], "estimate": t["metric_estimate"],
            "std_error": t["metric_se"], "conf_low": t["metric_conf_low"],
            "conf_high": t["metric_conf_high"], "p_value": np.nan,
            "policy_id": t["policy_id"], "action": t["action"],
            "budget_change": t["budget_change"], "grade": t["grade"]})

    def summary(self) -> str:
        return "\n".join(f"{r.recommendation_id} {r.policy_id}: {r.action} "
                         f"({r.budget_change:+.0%}) - {r.rationale_en}"
                         for r in self.table.itertuples())

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"cycle": self.cycle, "metric": self.metric, "table": self.table,
                          "provenance": self.provenance})


def _tail(action: str, change: float, lang: str, proposal: bool = False) -> str:
    """The end of a rationale: the action and the budget change (of the grade rules, or of the
    budget proposal)."""
    if lang == "zh":
        return f"：建议{_ACTION_ZH[action]}（预算{'方案' if proposal else ''}{change:+.0%}）"
    return f": {action} ({change:+.0%}{' in the budget proposal' if proposal else ''})"


def recommend(scorecards: Sequence[ScorecardResult], ranking: RankingResult,
              spec: ScorecardSpec, cycle: str,
              evidence_flags: Mapping[str, tuple[str, str]] | None = None) -> Recommendations:
    """Recommendations for the policies of ``ranking`` (names = policy ids), each of which must
    have a scorecard. ``evidence_flags`` maps a policy id to (en, zh) text saying why its causal
    evidence failed a diagnostic; such a policy is at most ``revise``."""
    evidence_flags = dict(evidence_flags or {})
    rules = {**_DEFAULT_RULES, **dict(spec.use_of_results)}
    cards = {s.policy_id: s for s in scorecards}
    missing = [n for n in ranking.names if n not in cards]
    if missing:
        raise ConfigError(Message("errors.portfolio.recommend.scorecard_policies",
                                  missing=missing))
    grade_pos = {g[0]: k for k, g in enumerate(spec.grades)}
    tidy = ranking.tidy().set_index("term")
    rows = []
    for k, pid in enumerate(ranking.names):
        card = cards[pid]
        r = tidy.loc[pid]
        pos = grade_pos.get(card.grade, len(spec.grades) - 1)
        best, worst = bool(r["plausibly_best"]), bool(r["plausibly_worst"])
        lo, hi = float(r["conf_low"]), float(r["conf_high"])
        if pos == 0:
            action, change = (("expand", rules["excellent_expand_share"]) if best and lo > 0
                              else ("maintain", 0.0))
        elif pos == 1:
            action, change = "maintain", 0.0
        elif pos == 2:
            upper = spec.grades[1][2]
            span = max(upper - spec.grades[2][2], 1e-9)
            cut = rules["fair_max_cut"] * min(max((upper - card.score) / span, 0.0), 1.0)
            action, change = "revise", -cut
        else:
            if card.score < rules["suspend_below"] or hi < 0:
                action, change = "suspend", -1.0
            else:
                action, change = "reduce", -rules["poor_cut"]
        evidence_en = evidence_zh = ""
        if pid in evidence_flags:
            evidence_en = f"; evidence unreliable: {evidence_flags[pid][0]}"
            evidence_zh = f"；因果证据存疑：{evidence_flags[pid][1]}"
            if action in ("expand", "maintain"):
                action, change = "revise", 0.0
        rank_set = f"{int(r['rank_low'])}-{int(r['rank_high'])}"
        flag_en = ("; plausibly best" if best else "") + ("; plausibly worst" if worst else "")
        flag_zh = ("；可能位列最优" if best else "") + ("；可能位列最差" if worst else "")
        est = float(r["estimate"])
        n_ranked = int(ranking.ranked.sum())
        if int(r["rank"]) == 0:
            rank_en, rank_zh = ("not ranked (identification failed: re-evaluate)",
                                "不参与排名（识别检验未通过，需重新评估）")
        else:
            rank_en = f"rank {int(r['rank'])} of {n_ranked}, confidence set {rank_set}"
            rank_zh = f"排名第{int(r['rank'])}/{n_ranked}位，排名置信集 {rank_set}"
        en = (f"grade {card.grade} ({card.grade_en}, {card.score:.2f} points); "
              f"{ranking.metric or 'metric'} {est:.3f} [95% CI {lo:.3f}, {hi:.3f}]; "
              f"{rank_en}{flag_en}{evidence_en}{_tail(action, change, 'en')}")
        zh = (f"绩效等级{card.grade}（{card.score:.2f}分）；{ranking.metric or '指标'} {est:.3f}"
              f"（95%置信区间 {lo:.3f} 至 {hi:.3f}）；{rank_zh}"
              f"{flag_zh}{evidence_zh}{_tail(action, change, 'zh')}")
        rows.append({"recommendation_id": f"{cycle}-{k + 1:02d}", "policy_id": pid,
                     "action": action, "budget_change": change, "grade": card.grade,
                     "score": card.score, "metric_estimate": est, "metric_se":
                     float(r["std_error"]), "metric_conf_low": lo, "metric_conf_high": hi,
                     "rank": int(r["rank"]), "rank_low": int(r["rank_low"]),
                     "rank_high": int(r["rank_high"]), "plausibly_best": best,
                     "plausibly_worst": worst, "evidence_flag": evidence_en.removeprefix("; "),
                     "rationale_zh": zh, "rationale_en": en})
    return Recommendations(pd.DataFrame(rows), str(cycle), ranking.metric,
                           {"rules": rules, "scorecard": spec.source,
                            "method": "MoF budget-use rules (优/良 support, 中 revise, 差 cut)"})


def align_with_reallocation(recs: Recommendations, reallocation: pd.DataFrame) -> Recommendations:
    """One proposal: every recommendation's budget change becomes the reallocation's (the same
    sign and amount in every table), and its action follows the change: ``expand`` when raised,
    ``reduce`` when cut (``suspend`` / ``revise`` kept as the rules' reason for a cut), and the
    rules' ``maintain`` / ``revise`` when unchanged. The rationale ends with the final action.

    ``reallocation``: the table of :func:`evalkit.portfolio.reallocate.reallocate`
    (``policy_id, current, proposed, change, change_share``)."""
    t = recs.table.copy()
    by = reallocation.set_index("policy_id")
    share = t["policy_id"].map(by["change_share"]).astype(float).to_numpy()
    amount = t["policy_id"].map(by["change"]).astype(float).to_numpy()
    actions, en, zh = [], [], []
    for k, r in enumerate(t.itertuples()):
        s = float(share[k])
        if s > 1e-9:
            action = "expand"
        elif s < -1e-9:
            action = r.action if r.action in ("suspend", "revise", "reduce") else "reduce"
        else:
            action = r.action if r.action in ("maintain", "revise") else "maintain"
        actions.append(action)
        old_en, old_zh = (_tail(r.action, r.budget_change, lang) for lang in ("en", "zh"))
        en.append(str(r.rationale_en).removesuffix(old_en)
                  + _tail(action, s, "en", proposal=True))
        zh.append(str(r.rationale_zh).removesuffix(old_zh)
                  + _tail(action, s, "zh", proposal=True))
    t["rule_action"] = t["action"]
    t["rule_budget_change"] = t["budget_change"]
    t["action"] = actions
    t["budget_change"] = share
    t["budget_change_amount"] = amount
    t["rationale_en"] = en
    t["rationale_zh"] = zh
    prov = {**recs.provenance, "proposal": "budget changes are the reallocation's (one proposal)"}
    return Recommendations(t, recs.cycle, recs.metric, prov)
