"""The full demo (20,000 firms) against the synthetic district's known truth (slow).

Issue 8: each policy's overall ATT on its main outcome inside its 95 % interval for at least 7 of
the 8 policies; the portfolio's recommendation for the policy that does nothing (P08) and the one
that crowds out private R&D (P01) is revise / reduce / suspend. Issue 5: the best policy by true
fiscal return is in the plausibly-best set, and the true rank of every policy lies in its
simultaneous rank confidence set.
"""

import json

import pandas as pd
import pytest

from evalkit.contract.bundle import read_bundle
from evalkit.demo import POLICIES, run_demo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo20k")
    summary = run_demo(out, n_firms=20000, seed=7, render=False)
    truth = json.loads((out / "data" / "truth.json").read_text(encoding="utf-8"))
    return out, summary, truth


def test_main_outcome_covers_truth_for_at_least_seven_policies(demo):
    out, _, truth = demo
    covered = {}
    for pid in POLICIES:
        res = read_bundle(out / "bundles" / f"ex_post_{pid}").results
        main = res["main_outcome"]
        simple = res["outcomes"][main]["simple"]
        lo, hi = simple["overall_att"] - 1.96 * simple["overall_se"], simple["overall_att"] + 1.96 * simple["overall_se"]
        covered[pid] = lo <= truth["policies"][pid]["att_overall"][main] <= hi
    assert sum(covered.values()) >= 7, covered


def test_recommendations_match_what_truth_implies(demo):
    out, summary, truth = demo
    actions = {r["policy"]: r["action"] for r in summary["ranking"]}
    assert actions["P08"] in {"revise", "reduce", "suspend"}
    assert actions["P01"] in {"revise", "reduce", "suspend"}
    ranking = read_bundle(out / "bundles" / "portfolio").table("ranking")
    tidy = {r["term"]: r for r in ranking.to_dict(orient="records")}
    # Policies whose identification check failed are not ranked (issue 14): rank and rank set
    # 0, never plausibly best. The others are ranked among themselves, so their true ranks
    # are counted among the ranked policies, and the best of them is plausibly best.
    ranked = [p for p in truth["ranking_by_fiscal_return"] if tidy[p]["identified"]]
    for pid in set(tidy) - set(ranked):
        assert tidy[pid]["rank"] == 0 and not tidy[pid]["plausibly_best"], pid
    assert len(ranked) >= 4, ranked
    best = ranked[0]
    assert tidy[best]["plausibly_best"], (best, tidy[best])
    for true_rank, pid in enumerate(ranked, start=1):
        assert tidy[pid]["rank_low"] <= true_rank <= tidy[pid]["rank_high"], pid


def test_fiscal_returns_lie_in_the_simultaneous_band(demo):
    """Issue 5: every policy's true fiscal return (the portfolio's metric, district-retained tax
    per yuan, discounted as the studies discount) lies in the portfolio's 95 % simultaneous band
    for the seven policies other than the voucher P07 (built with an Ashenfelter dip), which the
    evaluation must flag for failed pre-trends."""
    out, _, truth = demo
    cases = json.loads((out / "data" / "monitoring_cases.json").read_text(encoding="utf-8"))
    ids = {r for recs in cases["injected_records"].values() for r in recs}
    ledger = pd.read_csv(out / "data" / "disbursements.csv")
    injected = ledger[ledger["record_id"].isin(ids)].groupby("policy_id")["amount"].sum().to_dict()
    ranking = read_bundle(out / "bundles" / "portfolio").table("ranking").set_index("term")
    recs = read_bundle(out / "bundles" / "portfolio").table("recommendations")
    flagged = set(recs.loc[recs["evidence_flag"].fillna("") != "", "policy_id"])
    assert "P07" in flagged, flagged
    checked = []
    for pid in POLICIES:
        res = read_bundle(out / "bundles" / f"ex_post_{pid}").results
        fis = res["fiscal"]
        cost = fis["cost"]
        tf = truth["policies"][pid]["fiscal"]
        # the ledger the studies read also holds the monitoring stage's injected anomalies
        # (duplicate or out-of-window payments: money paid all the same), so its cost is the
        # denominator: the truth's disbursements plus at most the injected amounts
        assert tf["subsidy_disbursed"] - 1e-6 <= cost["nominal"] \
            <= tf["subsidy_disbursed"] + injected.get(pid, 0.0) + 1e-6, pid
        # the district's retained share of tax, from the study's tax-sharing inputs
        tax = fis["tax"]
        share = sum(tax["composition"][k] * tax["district"][k] for k in tax["composition"])
        assert 0 < share < 1
        extra = sum(v * (1 + cost["discount_rate"]) ** -(int(y) - cost["base_year"])
                    for y, v in tf["additional_tax_by_year"].items())
        true_district = share * extra / cost["subsidy"]
        row = ranking.loc[pid]
        inside = row["conf_low_simultaneous"] <= true_district <= row["conf_high_simultaneous"]
        if pid == "P07":        # the planted violation: flagged (above), not expected to cover
            continue
        checked.append((pid, inside, round(true_district, 3),
                        (round(row["conf_low_simultaneous"], 3), round(row["conf_high_simultaneous"], 3))))
    assert len(checked) == len(POLICIES) - 1
    assert all(c[1] for c in checked), checked
