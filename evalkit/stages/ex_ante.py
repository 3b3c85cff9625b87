"""Ex-ante appraisal (事前绩效评估) of one proposed policy.

Orchestration only: the eligibility microsimulation (:mod:`evalkit.exante.microsim`), the
effect and fiscal-return projection from past ex-post evaluations (:mod:`evalkit.exante.meta`),
evaluability (:mod:`evalkit.exante.evaluability`, :mod:`evalkit.exante.power`) and the checklist
(:mod:`evalkit.exante.checklist`). Randomness comes from one generator seeded by the study.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.contract.bundle import Bundle, MemoryBundle, read_results
from evalkit.contract.models import ExPostResults, as_float, parse_results
from evalkit.errors import ConfigError
from evalkit.exante.checklist import Check, ChecklistResult, score_checklist
from evalkit.exante.evaluability import Evaluability, assess_evaluability
from evalkit.exante.meta import (
    EvidenceProjection,
    PolicyEvidence,
    no_evidence_reason,
    project_from_evidence,
)
from evalkit.exante.microsim import MicrosimResult, eligibility_records, microsimulate
from evalkit.i18n import Bilingual, Message, Text
from evalkit.numbers import outcome_amount, outcome_label
from evalkit.panel.growth import historical_growth
from evalkit.results import Result, json_safe
from evalkit.rules import parse_rule
from evalkit.stages.ex_post import ExPostResult
from evalkit.study import OUTCOMES, ExAnteStudy

__all__ = ["EvidenceSource", "ExAnteResult", "computed_checks", "policy_evidence", "run_ex_ante"]

#: One past ex-post evaluation as the appraisal takes it: a bundle folder, an open bundle, its
#: typed results, an ex-post stage result in memory, or its ``to_dict()`` output.
EvidenceSource = (str | Path | Bundle | MemoryBundle | ExPostResults | ExPostResult
                  | Mapping[str, Any])


def policy_evidence(source: EvidenceSource, i: int = 0) -> PolicyEvidence:
    """What the projection (:mod:`evalkit.exante.meta`) takes from one ex-post evaluation."""
    if isinstance(source, ExPostResult):
        source = source.to_dict()
    if isinstance(source, (Bundle, MemoryBundle)):
        model = source.model
    elif isinstance(source, (str, Path)):
        model = read_results(Path(source), stage="ex_post")
    else:
        model = parse_results("ex_post", source, f"evidence item {i}")
    fiscal = model.fiscal
    terms = [] if fiscal is None or fiscal.tidy is None else fiscal.tidy.get("term", [])
    metrics = {}
    for term in terms:
        row = fiscal.metric(term)
        metrics[term] = (as_float(row["estimate"]), as_float(row["std_error"]))
    effects = {name: (as_float(o.simple.overall_att), as_float(o.simple.overall_se))
               for name, o in model.outcomes.items()}
    return PolicyEvidence(model.policy_id, model.policy.instrument, model.policy.objective,
                          metrics, effects)


@dataclass(frozen=True, eq=False, repr=False)
class ExAnteResult(Result):
    study_name: str
    proposal: dict[str, Any]
    microsim: MicrosimResult
    evidence: EvidenceProjection | None
    evidence_reason: str | None
    evaluability: Evaluability
    checklist: ChecklistResult
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def conclusion(self) -> str:
        return self.checklist.conclusion

    def tidy(self) -> pd.DataFrame:
        return self.microsim.tidy()

    def summary(self) -> str:
        parts = [f"Ex-ante appraisal of {self.proposal['policy_id']} ({self.proposal['name_en']})",
                 self.microsim.summary()]
        if self.evidence is None or self.evidence.projected_fiscal_return is None:
            parts.append(f"Evidence: none ({self.evidence_reason})")
        else:
            fr = self.evidence.projected_fiscal_return
            parts.append(f"Projected fiscal return {fr[0]:.2f} [{fr[1]:.2f}, {fr[2]:.2f}]")
        parts += [d.summary() for d in self.evaluability.designs]
        parts.append(self.checklist.summary())
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return json_safe({
            "kind": "ex_ante", "study": self.study_name, "proposal": self.proposal,
            "microsim": self.microsim.to_dict(),
            "evidence": None if self.evidence is None else self.evidence.to_dict(),
            "evidence_reason": self.evidence_reason,
            "evaluability": self.evaluability.to_dict(), "checklist": self.checklist.to_dict(),
            "conclusion": self.conclusion, "provenance": self.provenance})


def _check(key: str, dimension: str, passed: bool | None, severity: str, text: Text,
           value: Any = None) -> Check:
    """A :class:`Check` whose sentence is a ``stages.ex_ante.check.*`` message."""
    return Check(key, dimension, passed, severity, text.text("zh"), text.text("en"), value)


def _outcome(outcome: str) -> Bilingual:
    return Bilingual(outcome_label(outcome, "en"), outcome_label(outcome, "zh"))


def _target_checks(study: ExAnteStudy, tables: dict[str, pd.DataFrame], eligible_ids,
                   sim: MicrosimResult) -> list[Check]:
    checks: list[Check] = []
    p = study.proposal
    if not p.targets:
        checks.append(_check("targets_defined", "target_reasonableness", False, "major",
                             Message("stages.ex_ante.check.no_targets")))
        return checks
    checks.append(_check("targets_defined", "target_reasonableness", True, "major",
                         Message("stages.ex_ante.check.targets_set"), sorted(p.targets)))
    fy = tables["firm_years"]
    for key, target in p.targets.items():
        if key == "firms_supported":
            cen = sim.scenario(sim.central).recipients
            ok = target <= sim.n_eligible
            checks.append(_check(
                "target_firms_supported", "target_reasonableness", ok, "critical" if not ok else
                "major", Message("stages.ex_ante.check.firms_supported", target=target,
                                 eligible=sim.n_eligible, expected=cen),
                {"target": target, "eligible": sim.n_eligible, "expected": cen}))
            continue
        outcome = key.removesuffix("_growth")
        if outcome not in OUTCOMES or outcome not in fy.columns:
            raise ConfigError(Message("errors.stages.ex_ante.proposal_targets_key_outcome",
                                      key_=key, outcomes=', '.join(OUTCOMES)))
        hist = historical_growth(fy, eligible_ids, outcome)
        if hist.empty:
            checks.append(_check(f"target_{key}", "target_reasonableness", None, "major",
                                 Message("stages.ex_ante.check.no_history",
                                         outcome=_outcome(outcome))))
            continue
        hi, med = float(hist.max()), float(hist.median())
        ok = target <= hi
        text = Message("stages.ex_ante.check.growth_ok" if ok
                       else "stages.ex_ante.check.growth_too_high",
                       outcome=_outcome(outcome), target=target, hi=hi, med=med)
        checks.append(_check(f"target_{key}", "target_reasonableness", ok, "major", text,
                             {"target": target, "max": hi, "median": med,
                              "by_year": {str(k): v for k, v in hist.items()}}))
    return checks


def computed_checks(study: ExAnteStudy, tables: dict[str, pd.DataFrame], eligible_ids,
                    sim: MicrosimResult, ev: EvidenceProjection | None,
                    evaluability: Evaluability) -> list[Check]:
    """The checks the appraisal computes, by checklist dimension."""
    p = study.proposal
    c: list[Check] = []

    def amount(value: float) -> Bilingual:
        outcome = evaluability.outcome or p.main_outcome
        return Bilingual(outcome_amount(outcome, value, "en"), outcome_amount(outcome, value, "zh"))

    c.append(_check("eligible_population", "necessity", sim.n_eligible > 0, "critical",
                    Message("stages.ex_ante.check.eligible_population", eligible=sim.n_eligible,
                            firms=sim.n_firms), sim.n_eligible))
    if ev is not None and ev.effect is not None:
        e = ev.effect
        passed = True if e.conf_low > 0 else (False if e.conf_high < 0 else None)
        c.append(_check("evidence_effect", "necessity", passed, "major",
                        Message("stages.ex_ante.check.evidence_effect",
                                outcome=_outcome(p.main_outcome), mean=amount(e.mean),
                                low=amount(e.conf_low), high=amount(e.conf_high)), e.mean))
    if ev is not None and ev.mvpf is not None:
        m = ev.mvpf[0]
        c.append(_check("projected_mvpf", "input_economy", bool(m >= 1), "major",
                        Message("stages.ex_ante.check.mvpf_ok" if m >= 1
                                else "stages.ex_ante.check.mvpf_low", mvpf=m), m))
    over = p.award_share_of is None and not p.award_tiers and p.award > p.cap_per_firm
    c.append(_check("award_within_cap", "input_economy", not over, "minor",
                    Message("stages.ex_ante.check.award_over_cap" if over
                            else "stages.ex_ante.check.award_within_cap")))
    c += _target_checks(study, tables, eligible_ids, sim)
    cen = sim.scenario(sim.central)
    c.append(_check("recipients_expected", "feasibility", cen.recipients >= 1, "critical",
                    Message("stages.ex_ante.check.recipients_expected",
                            recipients=cen.recipients), cen.recipients))
    if evaluability.designs:
        best = evaluability.design(evaluability.recommended)
        exp = evaluability.expected_effect
        if exp is not None:
            ok = bool(best.mde <= abs(exp))
            c.append(_check("evaluable", "feasibility", ok, "minor",
                            Message("stages.ex_ante.check.mde_vs_expected", mde=amount(best.mde),
                                    expected=amount(exp)), best.mde))
        else:
            ok = bool(best.mde_share <= 0.10)
            c.append(_check("evaluable", "feasibility", ok, "minor",
                            Message("stages.ex_ante.check.mde_share", share=best.mde_share),
                            best.mde_share))
    else:
        # the English is the appraisal's own reason where it gives one
        text = Message("stages.ex_ante.check.not_evaluable")
        c.append(_check("evaluable", "feasibility", False, "minor",
                        Bilingual(evaluability.reason or text.en, text.zh)))
    y0, y1 = p.years
    c.append(_check("years_valid", "funding_compliance", y0 <= y1, "critical",
                    Message("stages.ex_ante.check.years", y0=y0, y1=y1)))
    c.append(_check("budget_covers_central", "funding_compliance", sim.budget_covers_central,
                    "major", Message("stages.ex_ante.check.budget_central", budget=sim.budget,
                                     cost=cen.cost),
                    {"budget": sim.budget, "central": cen.cost}))
    c.append(_check("budget_covers_high", "funding_compliance", sim.budget_covers_high, "minor",
                    Message("stages.ex_ante.check.budget_high", high=sim.interval[1]),
                    sim.interval[1]))
    return c


def run_ex_ante(study: ExAnteStudy, tables: dict[str, pd.DataFrame],
                evidence: Sequence[EvidenceSource] = ()) -> ExAnteResult:
    """Run the ex-ante appraisal declared by ``study`` on ``tables`` with past ex-post results
    ``evidence`` (:data:`EvidenceSource`: bundle folders or results in memory; may be
    empty)."""
    p = study.proposal
    if p.main_outcome not in OUTCOMES:
        raise ConfigError(Message("errors.stages.ex_ante.proposal_main_outcome_firm",
                                  main_outcome=p.main_outcome, outcomes=', '.join(OUTCOMES)))
    evidence = [policy_evidence(e, i) for i, e in enumerate(evidence)]
    seed = int(study.inference.seed)
    r_sim, r_meta, r_pow = np.random.default_rng(seed).spawn(3)
    alpha = study.inference.alpha
    sim = microsimulate(p, study.scenarios, tables, r_sim, year=study.data_year,
                        exclude_funded=study.exclude_funded, alpha=alpha)
    records, _ = eligibility_records(tables, sim.data_year, study.exclude_funded)
    eligible = parse_rule(p.eligibility_rule).evaluate(records)
    cen = sim.scenario(sim.central)
    f = study.fiscal
    ev = project_from_evidence(evidence, p.instrument, p.objective, p.main_outcome, cen.cost,
                               r_meta, leakage=f.leakage, displacement=f.displacement,
                               admin_share=f.admin_cost_share, alpha=alpha)
    reason = no_evidence_reason(evidence, p.instrument, p.objective) if ev is None else ev.reason
    takers = (pd.Series(eligible.astype(float) * cen.take_up, index=records.index)
              .groupby(records["area"].astype("string").fillna("(missing)")).sum())
    # comparison firms as the ex-post stage draws them: never paid by any policy, non-recipients
    funded = set(tables["disbursements"]["firm_id"])
    n_control = max(0, int((~records["firm_id"].isin(funded)).sum()) - round(cen.recipients))
    expected = None if ev is None or ev.effect is None else ev.effect.mean
    evaluability = assess_evaluability(tables["firm_years"], p.main_outcome, funded, takers,
                                       n_control, p.years, r_pow, n_draws=study.power_draws,
                                       alpha=alpha, power=study.power, expected_effect=expected)
    checks = computed_checks(study, tables, records.loc[eligible, "firm_id"], sim, ev,
                             evaluability)
    checklist = score_checklist(checks, study.checklist)
    return ExAnteResult(study.name, json_safe(p.model_dump()), sim, ev, reason, evaluability,
                        checklist, {"seed": seed, "stage": "ex_ante"})


def bundle_parts(result: ExAnteResult) -> tuple[dict, dict[str, pd.DataFrame], dict[str, bytes]]:
    """What an ex-ante bundle holds: results JSON and its tables (no figures)."""
    sim = result.microsim
    tables: dict[str, pd.DataFrame] = {"cost": sim.tidy(), "cost_by_year": sim.cost_by_year,
                                       "checklist": result.checklist.scores}
    for col, frame in sim.by_group.items():
        tables[f"eligible_by_{col}"] = frame
    for d in result.evaluability.designs:
        tables[f"power_{d.label}"] = d.power_curve
    if result.evidence is not None:
        tables["evidence"] = result.evidence.matched
    return result.to_dict(), tables, {}
