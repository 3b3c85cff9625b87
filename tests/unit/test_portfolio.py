import json

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ConfigError, DataError
from evalkit.fiscal import LinearEstimate
from evalkit.portfolio import (
    budget_execution_rate,
    classify_policies,
    disbursement_timeliness,
    load_scorecard_spec,
    rank_confidence_sets,
    reallocate,
    recommend,
)
from evalkit.portfolio.scorecard import ScorecardResult

LEDGER = pd.DataFrame({
    "policy_id": ["A", "A", "A", "A", "B", "B", "C"],
    "firm_id": ["f1", "f2", "f1", "f3", "f4", "f5", "f6"],
    "date": ["2023-03-01", "2023-03-05", "2023-09-30", "2024-01-10", "2023-06-01",
             "2023-06-02", "2023-07-01"],
    "amount": [100.0, 100.0, 200.0, 50.0, 1000.0, 10.0, 5.0],
    "tranche": [1, 1, 2, 1, 1, 1, 1],
})


def test_budget_execution_rate_hand_computed():
    budgets = pd.DataFrame({"policy_id": ["A", "A"], "year": [2023, 2024],
                            "appropriation": [500.0, 100.0]})
    assert budget_execution_rate(LEDGER, budgets, "A", 2023) == pytest.approx(400 / 500)
    assert budget_execution_rate(LEDGER, budgets, "A", 2024) == pytest.approx(0.5)
    with pytest.raises(DataError, match="no appropriation"):
        budget_execution_rate(LEDGER, budgets, "A", 2025)


def test_disbursement_timeliness_counts_late_and_missing_tranches():
    due = pd.DataFrame({"policy_id": ["A", "A", "A"], "tranche": [1, 2, 3],
                        "due_date": ["2023-03-31", "2023-09-01", "2023-12-31"]})
    # tranche 1 fully paid by 2023-03-05 on time... but a 2024 row of tranche 1 makes it late
    # when tranches are not numbered per year; tranche 2 late; tranche 3 never paid.
    assert disbursement_timeliness(LEDGER, due, "A") == pytest.approx(0.0)
    due_y = due.assign(year=[2023, 2023, 2023])
    assert disbursement_timeliness(LEDGER, due_y, "A", year=2023) == pytest.approx(1 / 3)
    bad = due.assign(due_date=["2023-03-31", "soon", "2023-12-31"])
    with pytest.raises(DataError) as e:
        disbursement_timeliness(LEDGER, bad, "A")
    assert e.value.location.column == "due_date" and e.value.location.row == 3


def test_classification_and_large_fund_flag():
    policies = pd.DataFrame({"policy_id": ["A", "B", "C"],
                             "objective": ["innovation", "headquarters", "service"]})
    firms = pd.DataFrame({"firm_id": [f"f{i}" for i in range(1, 7)],
                          "cluster": ["ai", "ai", "modern_finance", "modern_finance", "ai",
                                      "other"]})
    out = classify_policies(policies, LEDGER, firms, spend_quantile=0.5,
                            recipients_quantile=0.5).set_index("policy_id")
    assert out.loc["A", "main_cluster"] == "ai"
    assert out.loc["A", "main_cluster_share"] == pytest.approx(400 / 450)
    assert out.loc["B", "main_cluster"] == "modern_finance"
    # medians: spend 450, recipients 2 -> A (450, 3) and B (1010, 2) flagged, C not
    assert out["large_fund_high_activity"].to_dict() == {"A": True, "B": True, "C": False}
    top = classify_policies(policies, LEDGER, firms).set_index("policy_id")
    assert top["large_fund_high_activity"].to_dict() == {"A": False, "B": False, "C": False}
    strict = classify_policies(policies, LEDGER, firms, spend_threshold=400,
                               recipients_threshold=3).set_index("policy_id")
    assert strict["large_fund_high_activity"].to_dict() == {"A": True, "B": False, "C": False}
    with pytest.raises(DataError, match="not in the firms table"):
        classify_policies(policies, LEDGER, firms.iloc[:3])


def _card(pid, score, spec):
    g, en = spec.grade(score)
    return ScorecardResult(pid, pd.DataFrame(), score, g, en, {})


def test_recommendations_follow_budget_use_rules():
    spec = load_scorecard_spec()
    est = [LinearEstimate(v, pd.Series([0.01], index=[f"x{k}"]), pid)
           for k, (pid, v) in enumerate([("EXC", 0.9), ("EXC2", 0.2), ("GOOD", 0.5),
                                          ("FAIR", 0.3), ("POOR", 0.1), ("DEAD", -0.5)])]
    ranking = rank_confidence_sets(est, rng=np.random.default_rng(0), n_draws=2000,
                                   metric="fiscal_return_district")
    cards = [_card("EXC", 95, spec), _card("EXC2", 92, spec), _card("GOOD", 85, spec),
             _card("FAIR", 70, spec), _card("POOR", 55, spec), _card("DEAD", 55, spec)]
    rec = recommend(cards, ranking, spec, cycle="2025")
    t = rec.table.set_index("policy_id")
    assert t.loc["EXC", "action"] == "expand" and t.loc["EXC", "budget_change"] == 0.2
    assert t.loc["EXC2", "action"] == "maintain"        # 优 but not plausibly best
    assert t.loc["GOOD", "action"] == "maintain"
    assert t.loc["FAIR", "action"] == "revise"
    assert t.loc["FAIR", "budget_change"] == pytest.approx(-0.30 * (80 - 70) / 20)
    assert t.loc["POOR", "action"] == "reduce" and t.loc["POOR", "budget_change"] == -0.5
    assert t.loc["DEAD", "action"] == "suspend"          # interval below zero
    assert t.loc["EXC", "recommendation_id"] == "2025-01"
    assert "优" in t.loc["EXC", "rationale_zh"] and "置信集 1-1" in t.loc["EXC", "rationale_zh"]
    assert "grade 中" in t.loc["FAIR", "rationale_en"] and "[95% CI" in t.loc["FAIR",
                                                                            "rationale_en"]
    assert json.loads(json.dumps(rec.to_dict()))["table"]["action"][0] == "expand"
    low = recommend([_card(c.policy_id, 30 if c.policy_id == "POOR" else c.score, spec)
                     for c in cards], ranking, spec, "2025")
    assert low.table.set_index("policy_id").loc["POOR", "action"] == "suspend"  # below 40
    with pytest.raises(ConfigError, match="no scorecard"):
        recommend(cards[:-1], ranking, spec, "2025")


def test_failed_identification_caps_recommendation_at_revise():
    spec = load_scorecard_spec()
    est = [LinearEstimate(v, pd.Series([0.01], index=[f"x{k}"]), pid)
           for k, (pid, v) in enumerate([("DIP", 0.9), ("OK", 0.2), ("FAIR", 0.1)])]
    ranking = rank_confidence_sets(est, rng=np.random.default_rng(0), n_draws=2000)
    cards = [_card("DIP", 95, spec), _card("OK", 85, spec), _card("FAIR", 70, spec)]
    flags = {"DIP": ("pre-trends differ (p = 0.001)", "处理前趋势不平行"),
             "FAIR": ("pre-trends differ", "处理前趋势不平行")}
    t = recommend(cards, ranking, spec, "2026", evidence_flags=flags).table.set_index("policy_id")
    assert t.loc["DIP", "action"] == "revise" and t.loc["DIP", "budget_change"] == 0.0
    assert "evidence unreliable: pre-trends differ" in t.loc["DIP", "rationale_en"]
    assert "因果证据存疑" in t.loc["DIP", "rationale_zh"]
    assert t.loc["OK", "action"] == "maintain" and t.loc["OK", "evidence_flag"] == ""
    # a flag never softens a worse action: 中 keeps its proportional cut
    assert t.loc["FAIR", "budget_change"] == pytest.approx(-0.30 * (80 - 70) / 20)


def test_reallocation_moves_money_to_high_return_within_bounds():
    df = pd.DataFrame({"policy_id": ["A", "B", "C"], "current": [100.0, 100.0, 100.0],
                       "estimate": [0.1, 0.5, 0.3], "capacity": [np.nan, 120.0, np.nan]})
    res = reallocate(df)
    x = res.table.set_index("policy_id")["proposed"]
    # B rises to its capacity 120 (not +30 %), C takes the rest up to +30 % (130), A pays: 50?
    # A cannot fall below 70, so: A 70, B 120, C 110.
    assert x.to_dict() == pytest.approx({"A": 70.0, "B": 120.0, "C": 110.0})
    cons = reallocate(df.assign(conf_low=[0.2, -0.1, 0.0]), use="conf_low")
    assert cons.table.set_index("policy_id")["proposed"].to_dict() == pytest.approx(
        {"A": 130.0, "B": 70.0, "C": 100.0})
    sus = reallocate(df.assign(upper=[np.nan, np.nan, 0.0]), total=240.0)
    assert sus.table.set_index("policy_id")["proposed"]["C"] == 0.0
    with pytest.raises(ConfigError, match="outside what the bounds allow"):
        reallocate(df, total=1000.0)
    assert "->" in res.summary() and json.loads(json.dumps(res.to_dict()))["total"] == 300.0


def test_reallocation_equals_a_general_lp_solver_on_random_problems():
    # the closed-form fill is the LP's optimum: checked against scipy's HiGHS where the returns
    # are well separated (HiGHS's tolerances blur returns closer than ~1e-7)
    from scipy.optimize import linprog

    from evalkit.portfolio.reallocate import reallocate

    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(2, 12))
        df = pd.DataFrame({"policy_id": [f"P{i:02d}" for i in range(n)],
                           "current": rng.uniform(0, 1e7, n).round(2),
                           "estimate": rng.permutation(np.linspace(-1, 2, n)) + 1e-3 * rng.random(n),
                           "capacity": np.where(rng.random(n) < 0.3, rng.uniform(0, 1.2e7, n),
                                                np.nan)})
        change = float(rng.uniform(0.05, 0.5))
        cap = df["capacity"].fillna(np.inf).to_numpy()
        upper = np.minimum(df["current"] * (1 + change), cap)
        lower = np.minimum(df["current"] * (1 - change), upper)
        total = float(rng.uniform(lower.sum(), upper.sum()))
        res = reallocate(df, total=total, max_change=change)
        x = res.table["proposed"].to_numpy()
        lp = linprog(-df["estimate"].to_numpy(), A_eq=np.ones((1, n)), b_eq=[total / 1e7],
                     bounds=list(zip(lower / 1e7, upper / 1e7, strict=True)), method="highs")
        assert lp.status == 0
        r = df["estimate"].to_numpy()
        assert r @ x == pytest.approx(r @ (lp.x * 1e7), rel=1e-9, abs=1e-3)
        assert x.sum() == pytest.approx(total, rel=1e-12)
        np.testing.assert_allclose(x, lp.x * 1e7, rtol=0, atol=1e-3 * max(1.0, total / 1e7))
