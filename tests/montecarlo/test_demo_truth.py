"""The full demo (20,000 firms) against the synthetic district's known truth (slow).

Issue 8: each policy's overall ATT on its main outcome inside its 95 % interval for at least 7 of
the 8 policies; the portfolio cuts the policy that does nothing (P08). Issue 5: the best policy
by true fiscal return is in the plausibly-best set, and the true rank of every policy lies in its
simultaneous rank confidence set. Issue 14: the one budget proposal captures more than half of
the gain of an oracle that knows the true returns; the dip policy P07 is neither first nor
raised; the HQ award P03's fiscal-return interval covers its truth.

Issue 8 also expected the R&D grant P01 (true return 0.45 yuan per yuan, seventh of eight) to be
revised, reduced or suspended. The proposal is one fractional knapsack over a fixed total
(issue 14): the two policies whose identification fails (P02, P07) keep their budgets, so the
money cut from P08 must go to the other five, P01 among them, and even the same rule fed the
true returns raises P01 on this district. What the truth implies for the decision is asserted
through the decision value instead.
"""

import json

import numpy as np
import pandas as pd
import pytest

from bench.decision import decision_value
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
    realloc = read_bundle(out / "bundles" / "portfolio").table("reallocation").set_index("term")
    assert realloc.loc["P08", "change"] < 0, realloc.loc["P08"]
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


def test_proposal_follows_the_truth(demo):
    """Issue 14's demo-district bar: DV > 0.5, P07 neither first nor raised, P03 covered, one
    proposal (the recommendations carry the reallocation's changes)."""
    out, _, truth = demo
    port = read_bundle(out / "bundles" / "portfolio")
    realloc = port.table("reallocation").set_index("term")
    recs = port.table("recommendations").set_index("policy_id")
    ranking = port.table("ranking").set_index("term")
    pids = sorted(realloc.index)
    r = np.array([truth["policies"][p]["fiscal"]["fiscal_return"] for p in pids])
    current = realloc.loc[pids, "current"].to_numpy(dtype=float)
    change = realloc.loc[pids, "change"].to_numpy(dtype=float)
    dv = decision_value(change, r, current, 0.3)
    assert dv > 0.5, (dv, dict(zip(pids, change, strict=True)))
    assert realloc.loc["P07", "change"] <= 0 and ranking.loc["P07", "rank"] != 1
    np.testing.assert_allclose(recs.loc[pids, "budget_change_amount"].to_numpy(dtype=float),
                               change, atol=1e-6)
    # P03's published interval: the small-sample one where the study used it (32 firms)
    p03 = read_bundle(out / "bundles" / "ex_post_P03")
    small = (p03.results.get("small_sample") or {}).get("intervals", {})
    m = p03.table("metrics").set_index("name").loc["fiscal_return_total"]
    lo, hi = (small["fiscal_return_total"]["conf_low"], small["fiscal_return_total"]["conf_high"]) \
        if "fiscal_return_total" in small else (m["estimate"] - 1.96 * m["std_error"],
                                                m["estimate"] + 1.96 * m["std_error"])
    assert lo <= truth["policies"]["P03"]["fiscal"]["fiscal_return"] <= hi, (lo, hi)
