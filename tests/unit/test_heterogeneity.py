"""Subgroup effects, Holm and Romano-Wolf adjustment, and the equality test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.did import aggte, att_gt
from evalkit.errors import DataError, DesignError
from evalkit.robust.heterogeneity import heterogeneity, holm, plot_subgroups, romano_wolf
from evalkit.synth.dgp import simulate_staggered


def _small_only(g, t, e, x):
    """Effect 1.5 for 'small' firms (x1 < 0), none for the others."""
    return np.where(x[:, 0] < 0, 1.5, 0.0)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    d, _ = simulate_staggered(n_units=1500, seed=7, selection=0.0, n_covariates=1,
                              effect=_small_only)
    x1 = d.groupby("id")["x1"].transform("first")
    d["size"] = np.where(x1 < 0, "small", np.where(x1 < 0.8, "medium", "large"))
    d["area"] = d["id"] % 4
    return d


def test_holm_matches_a_hand_calculation():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 -> 0.02, 0.03, 0.06, 0.04 -> cummax
    np.testing.assert_allclose(holm(p), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm([0.5, 0.6]), [1.0, 1.0])


def test_romano_wolf_by_hand_and_bounds():
    t = np.array([3.0, 1.0])
    tb = np.array([[0.5, 2.0], [3.5, 0.1], [1.0, 1.5], [0.2, 0.3]])
    # step 1 (|t|=3): max(|t*|) = 2, 3.5, 1.5, 0.3 -> 1/4 >= 3; step 2 (|t|=1): |t*_2| >= 1: 2/4
    np.testing.assert_allclose(romano_wolf(t, tb), [0.25, 0.5])
    rng = np.random.default_rng(0)
    t = rng.normal(size=6) * 2
    tb = rng.normal(size=(20000, 6))
    rw = romano_wolf(t, tb)
    p_single = np.mean(np.abs(tb) >= np.abs(t), axis=0)
    assert np.all(rw >= p_single - 1e-12)
    assert np.all(rw <= holm(p_single) + 0.01)   # independent draws: RW ~ Sidak stepdown <= Holm


def test_subgroup_effects_match_separate_estimation(panel):
    r = heterogeneity(panel, "y", "year", "id", "g", by="size", est_method="reg",
                      biters=999, seed=1)
    assert r.subgroup.tolist() == ["large", "medium", "small"]
    for k, level in enumerate(r.subgroup.tolist()):
        sub = panel[panel["size"] == level]
        a = aggte(att_gt(sub, "y", "year", "id", "g", est_method="reg"), type="simple")
        assert r.estimate[k] == pytest.approx(a.overall_att, rel=1e-12)
        assert r.std_error[k] == pytest.approx(a.overall_se, rel=1e-10)
        assert r.n_units[k] == sub["id"].nunique()
    # Disjoint firm sets clustered by firm: the covariance is diagonal.
    np.testing.assert_allclose(r.vcov - np.diag(np.diag(r.vcov)), 0.0, atol=1e-15)
    assert np.all(r.p_romano_wolf >= r.p_boot - 1e-12)
    assert np.all(r.p_holm >= r.p_value - 1e-15)


def test_effect_only_for_small_firms_is_detected(panel):
    r = heterogeneity(panel, "y", "year", "id", "g", by="size", est_method="reg",
                      biters=1999, seed=2)
    tidy = r.tidy().set_index("subgroup")
    assert tidy.loc["small", "p_romano_wolf"] < 0.001 and tidy.loc["small", "p_holm"] < 0.001
    assert tidy.loc["large", "p_romano_wolf"] > 0.05 and tidy.loc["medium", "p_holm"] > 0.05
    assert abs(tidy.loc["small", "estimate"] - 1.5) < 3 * tidy.loc["small", "std_error"]
    assert r.wald_df == 2 and r.wald_p_value < 1e-6
    # Same data with the effect scrambled across a firm attribute unrelated to it: no rejection.
    q = heterogeneity(panel, "y", "year", "id", "g", by="area", est_method="reg",
                      biters=999, seed=2)
    assert q.wald_p_value > 0.01
    again = heterogeneity(panel, "y", "year", "id", "g", by="size", est_method="reg",
                          biters=1999, seed=2)
    np.testing.assert_array_equal(again.p_romano_wolf, r.p_romano_wolf)   # seeded
    assert "Romano-Wolf" in r.summary() and r.to_dict()["kind"] == "heterogeneity"
    assert len(plot_subgroups(r).get_yticklabels()) == 3


def test_clusters_across_subgroups_give_a_full_covariance(panel):
    r = heterogeneity(panel, "y", "year", "id", "g", by="size", est_method="reg",
                      clustervars=["area"], biters=199, seed=0)
    assert np.abs(r.vcov[0, 1]) > 0


def test_errors(panel):
    with pytest.raises(DataError, match="not found"):
        heterogeneity(panel, "y", "year", "id", "g", by="sector")
    moving = panel.copy()
    moving.loc[0, "size"] = "large" if moving.loc[1, "size"] != "large" else "small"
    with pytest.raises(DataError, match="changes 'size'"):
        heterogeneity(moving, "y", "year", "id", "g", by="size")
    with pytest.raises(DesignError, match="single value"):
        heterogeneity(panel.assign(one="a"), "y", "year", "id", "g", by="one")
