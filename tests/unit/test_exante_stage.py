"""The ex-ante stage end to end: evidence from real ex-post results, checklist and conclusion."""

from __future__ import annotations

import json

import numpy as np
import pytest

from evalkit.errors import ConfigError
from evalkit.exante.checklist import Check, score_checklist
from evalkit.exante.microsim import eligibility_records
from evalkit.panel.growth import historical_growth
from evalkit.rules import parse_rule
from evalkit.stages.ex_ante import run_ex_ante
from evalkit.stages.ex_post import run_ex_post
from evalkit.study import ExAnteStudy, ExPostStudy, Qualitative
from evalkit.synth import synthesize_district

RULE = "employees < 1000 and revenue >= 10000000 and rd_expense / revenue >= 0.03"


@pytest.fixture(scope="module")
def d():
    return synthesize_district(n_firms=2000, seed=1)


@pytest.fixture(scope="module")
def evidence(d):
    out = []
    for pid in ("P02", "P06", "P08"):
        st = ExPostStudy.model_validate({
            "stage": "ex_post", "name": pid, "data": {"store": "x"}, "policy": pid,
            "outcomes": ["tax_paid", "revenue"], "main_outcome": "tax_paid",
            "inference": {"bootstrap": 0},
            "design": {"est_method": "reg", "balance": "unbalanced"}})
        out.append(run_ex_post(st, d.tables()).to_dict())
    return out


def _study(**proposal) -> ExAnteStudy:
    p = {"policy_id": "N1", "name_zh": "专精特新升级奖励", "name_en": "SME upgrade award",
         "instrument": "award", "objective": "innovation", "eligibility_rule": RULE,
         "award": 200_000, "cap_per_firm": 200_000, "budget": 40_000_000,
         "years": [2026, 2028], "main_outcome": "tax_paid",
         "targets": {"revenue_growth": 8.0, "firms_supported": 20}}
    p.update(proposal)
    q = {k: {"score": 0.9, "evidence": "committee review"} for k in
         ("necessity", "input_economy", "target_reasonableness", "feasibility",
          "funding_compliance")}
    return ExAnteStudy.model_validate({"stage": "ex_ante", "name": "t", "data": {"store": "x"},
                                       "proposal": p, "checklist": q, "power_draws": 100})


def test_stage_with_evidence_pools_matching_policies(d, evidence):
    res = run_ex_ante(_study(), d.tables(), evidence)
    ev = res.evidence
    # P02 and P06 are innovation awards; P08 (service, rent subsidy) does not match
    assert ev.fiscal_return.policies == ("P02", "P06")
    frs = [e["fiscal"]["tidy"]["estimate"][e["fiscal"]["tidy"]["term"].index(
        "fiscal_return_district")] for e in evidence[:2]]
    assert min(frs) <= ev.fiscal_return.mean <= max(frs)
    assert ev.effect is not None and ev.effect.k == 2
    assert res.evidence_reason is None
    assert res.evaluability.expected_effect == pytest.approx(ev.effect.mean)
    assert {x.label for x in res.evaluability.designs} == {"all_at_once", "phased_by_area"}
    out = res.to_dict()
    json.dumps(out)
    assert out["kind"] == "ex_ante" and out["conclusion"] in ("proceed", "revise", "reject")
    assert out["checklist"]["reasons_zh"] and out["checklist"]["reasons_en"]


def test_stage_without_evidence_says_so(d):
    res = run_ex_ante(_study(), d.tables(), [])
    assert res.evidence is None
    assert "no ex-post evaluations" in res.evidence_reason
    out = res.to_dict()
    assert out["evidence"] is None and out["evidence_reason"]
    assert res.evaluability.expected_effect is None
    keys = {c.key for c in res.checklist.checks}
    assert "projected_mvpf" not in keys and "evidence_effect" not in keys


def test_target_above_anything_observed_is_flagged(d):
    rec, _ = eligibility_records(d.tables())
    ids = rec.loc[parse_rule(RULE).evaluate(rec), "firm_id"]
    hist = historical_growth(d.firm_years, ids, "revenue")
    # the growth series equals the direct computation for one year pair
    fy = d.firm_years[d.firm_years["firm_id"].isin(set(ids))]
    a = fy[fy["year"] == 2023].set_index("firm_id")["revenue"]
    b = fy[fy["year"] == 2024].set_index("firm_id")["revenue"]
    both = a.index.intersection(b.index)
    assert hist[2024] == pytest.approx(100 * (b[both].sum() / a[both].sum() - 1))

    ok = run_ex_ante(_study(targets={"revenue_growth": float(hist.max()) - 0.5}), d.tables(), [])
    bad = run_ex_ante(_study(targets={"revenue_growth": float(hist.max()) + 0.5}), d.tables(), [])
    c_ok = next(c for c in ok.checklist.checks if c.key == "target_revenue_growth")
    c_bad = next(c for c in bad.checklist.checks if c.key == "target_revenue_growth")
    assert c_ok.passed is True and c_bad.passed is False
    assert "above anything observed" in c_bad.en
    assert any("上任何一年" in r for r in bad.checklist.reasons_zh)
    assert bad.conclusion in ("revise", "reject")
    assert bad.checklist.total < ok.checklist.total


def test_underfunded_or_empty_proposals(d):
    poor = run_ex_ante(_study(budget=100_000), d.tables(), [])
    assert not poor.microsim.budget_covers_central
    assert poor.conclusion in ("revise", "reject")
    assert any("central cost" in r for r in poor.checklist.reasons_en)
    empty = run_ex_ante(_study(eligibility_rule="employees > 1000000000"), d.tables(), [])
    assert empty.microsim.n_eligible == 0
    assert empty.conclusion == "reject"


def test_unknown_target_and_rule_field_are_config_errors(d):
    with pytest.raises(ConfigError, match=r"proposal\.targets"):
        run_ex_ante(_study(targets={"happiness": 3.0}), d.tables(), [])
    with pytest.raises(ConfigError, match="'turnover'"):
        run_ex_ante(_study(eligibility_rule="turnover > 5"), d.tables(), [])


def test_checklist_scoring_and_conclusions():
    q = Qualitative(score=1.0, evidence="x")
    dims = ("necessity", "input_economy", "target_reasonableness", "feasibility",
            "funding_compliance")
    full = {k: q for k in dims}
    good = [Check("a", "necessity", True, "major", "甲", "a")]
    res = score_checklist(good, full)
    assert res.total == pytest.approx(100.0) and res.conclusion == "proceed"
    major = [Check("a", "necessity", False, "major", "甲", "a")]
    res = score_checklist(major, full)
    assert res.total == pytest.approx(90.0) and res.conclusion == "revise"
    crit = [Check("a", "necessity", False, "critical", "甲", "a")]
    assert score_checklist(crit, full).conclusion == "reject"
    assert score_checklist([], {}).total == 0.0
    assert score_checklist([], {}).conclusion == "reject"
    with pytest.raises(ConfigError, match="allowed"):
        score_checklist([], {"beauty": q})


def test_same_seed_same_bytes(d):
    a = json.dumps(run_ex_ante(_study(), d.tables(), []).to_dict(), sort_keys=True)
    b = json.dumps(run_ex_ante(_study(), d.tables(), []).to_dict(), sort_keys=True)
    assert a == b
    assert np.isfinite(json.loads(a)["microsim"]["award_total"])


def test_bundle_tables_write_to_parquet(d, evidence, tmp_path):
    import pandas as pd

    from evalkit.stages.ex_ante import bundle_parts

    res, tables, _ = bundle_parts(run_ex_ante(_study(), d.tables(), evidence))
    assert res["kind"] == "ex_ante"
    assert {"cost", "cost_by_year", "checklist", "eligible_by_cluster", "evidence",
            "power_all_at_once"} <= set(tables)
    for name, frame in tables.items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
        assert pd.read_parquet(tmp_path / f"{name}.parquet").shape == frame.shape
