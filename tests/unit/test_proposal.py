"""One budget proposal: empirical-Bayes criterion and recommendations that follow it."""

import numpy as np
import pandas as pd
import pytest

from evalkit.portfolio.reallocate import reallocate
from evalkit.portfolio.recommend import Recommendations, align_with_reallocation
from evalkit.portfolio.shrinkage import eb_posterior_means


def test_posterior_means_pull_noisy_estimates_towards_the_mean():
    b = np.array([1.0, 1.2, 0.8, 6.0])
    se = np.array([0.1, 0.1, 0.1, 4.0])
    post = eb_posterior_means(b, se)
    # the noisy outlier is pulled most of the way back; the precise ones barely move
    assert post.posterior[3] < 2.0
    assert np.allclose(post.posterior[:3], b[:3], atol=0.05)
    assert post.weight[3] < post.weight[0]


def test_posterior_means_keep_clearly_separated_precise_estimates():
    b = np.array([0.0, 2.0, 4.0])
    post = eb_posterior_means(b, np.full(3, 0.01))
    assert np.allclose(post.posterior, b, atol=1e-3)
    assert post.tau2 == pytest.approx(np.var(b) - 1e-4, rel=1e-3)


def test_recommendations_take_the_reallocation_changes():
    df = pd.DataFrame({"policy_id": ["A", "B", "C"], "current": [100.0, 100.0, 100.0],
                       "estimate": [3.0, 1.0, 0.0], "capacity": np.nan,
                       "upper": [np.nan, np.nan, 100.0]})
    real = reallocate(df, max_change=0.3)
    recs = Recommendations(pd.DataFrame({
        "recommendation_id": ["c-01", "c-02", "c-03"], "policy_id": ["A", "B", "C"],
        "action": ["maintain", "maintain", "revise"], "budget_change": [0.0, 0.0, -0.1],
        "rationale_en": ["x: maintain (+0%)"] * 3, "rationale_zh": ["x：建议维持（预算+0%）"] * 3}),
        "c", "m")
    out = align_with_reallocation(recs, real.table).table.set_index("policy_id")
    realloc = real.table.set_index("policy_id")
    for pid in "ABC":
        assert out.loc[pid, "budget_change"] == pytest.approx(realloc.loc[pid, "change_share"])
        assert out.loc[pid, "budget_change_amount"] == pytest.approx(realloc.loc[pid, "change"])
    assert out.loc["A", "action"] == "expand"
    assert out.loc["C", "action"] == "revise" and out.loc["C", "budget_change"] < 0
    assert out.loc["A", "rationale_en"].endswith("expand (+30% in the budget proposal)")
    assert "预算方案+30%" in out.loc["A", "rationale_zh"]


def test_unidentified_policies_are_not_ranked_on_their_point_estimate():
    """A flagged policy with the highest estimate is not ranked first, never plausibly best,
    and the others are ranked among themselves (issue 14, item 3)."""
    from evalkit.fiscal.linear import LinearEstimate
    from evalkit.portfolio.ranking import rank_confidence_sets

    rng = np.random.default_rng(0)
    firms = [f"f{i}" for i in range(200)]

    def est(name, value, sd):
        psi = pd.Series(rng.normal(0, sd / np.sqrt(200), 200), index=firms)
        return LinearEstimate(value, psi, name)

    ests = [est("DIP", 9.0, 0.2), est("A", 3.0, 0.2), est("B", 1.0, 0.2), est("C", 0.0, 0.2)]
    r = rank_confidence_sets(ests, rng=np.random.default_rng(1),
                             identified=[False, True, True, True])
    t = r.tidy().set_index("term")
    assert t.loc["DIP", "rank"] == 0 and not t.loc["DIP", "identified"]
    assert not t.loc["DIP", "plausibly_best"] and not t.loc["DIP", "plausibly_worst"]
    assert t.loc["A", "rank"] == 1 and t.loc["A", "plausibly_best"]
    assert t.loc["C", "rank"] == 3 and t.loc["C", "plausibly_worst"]
    full = rank_confidence_sets(ests, rng=np.random.default_rng(1)).tidy().set_index("term")
    assert full.loc["DIP", "rank"] == 1     # what the point estimate alone would say


def test_scorecard_gives_no_effect_points_to_an_unidentified_effect():
    from evalkit.portfolio.scorecard import _effect, load_scorecard_spec

    spec = load_scorecard_spec(None)
    ind = next(i for i in spec.indicators if i.type == "effect")
    entry = {"estimate": 5.0, "conf_low": 4.0, "conf_high": 6.0, "target": 1.0}
    assert _effect(ind, entry, spec, 0.05)[2] == 1.0
    value, _, share, note = _effect(ind, {**entry, "identified": False, "why": "dip"}, spec, 0.05)
    assert value == 5.0 and share == 0.0 and "insufficient evidence" in note and "dip" in note


def test_dip_check_reads_event_time_minus_one():
    from types import SimpleNamespace

    from evalkit.stages.ex_post import dip_check

    dyn = SimpleNamespace(egt=np.array([-2, -1, 0, 1]), att_egt=np.array([0.01, -0.2, 0.1, 0.1]),
                          se_egt=np.array([0.05, 0.05, 0.05, 0.05]))
    d = dip_check(dyn, 0.05)
    assert d["detected"] and d["estimate"] == -0.2 and d["p_value"] < 1e-4
    rise = SimpleNamespace(egt=dyn.egt, att_egt=np.array([0.01, 0.2, 0.1, 0.1]),
                           se_egt=dyn.se_egt)
    assert not dip_check(rise, 0.05)["detected"]           # a rise is not a dip
    noisy = SimpleNamespace(egt=dyn.egt, att_egt=dyn.att_egt, se_egt=np.full(4, 0.5))
    assert not dip_check(noisy, 0.05)["detected"]          # not significant
    assert dip_check(SimpleNamespace(egt=np.array([0, 1]), att_egt=np.zeros(2),
                                     se_egt=np.ones(2)), 0.05) is None
