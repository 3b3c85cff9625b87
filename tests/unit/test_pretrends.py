"""Pre-trend Wald test and its power against linear violations (Roth 2022)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.did import aggte, att_gt
from evalkit.did.twfe import twfe_event_study
from evalkit.errors import ConfigError, DataError, DesignError
from evalkit.robust.pretrends import event_study_inputs, plot_pretrend_power, pretrend_test
from evalkit.synth.dgp import simulate_staggered

EXACT = 1e-12


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    d, _ = simulate_staggered(n_units=800, seed=11, selection=0.0, n_covariates=0)
    return d


def test_wald_statistic_and_power_match_a_hand_computation():
    b = np.array([0.1, -0.2])
    v = np.array([[0.01, 0.002], [0.002, 0.02]])
    ev = np.array([-3, -2])
    r = pretrend_test((np.r_[ev, 0], np.r_[b, 1.0], np.pad(v, ((0, 1), (0, 1))) + np.diag([0, 0, 1])))
    det = 0.01 * 0.02 - 0.002 ** 2
    inv = np.array([[0.02, -0.002], [-0.002, 0.01]]) / det
    w = b @ inv @ b
    assert r.stat == pytest.approx(w, rel=EXACT)
    assert r.df == 2 and r.p_value == pytest.approx(np.exp(-w / 2), rel=1e-10)  # chi2(2) sf
    # Levels relative to e = -1: d = (e + 1) = (-2, -1).
    np.testing.assert_array_equal(r.slope_vector, [-2.0, -1.0])
    d = np.array([-2.0, -1.0])
    q = d @ inv @ d
    gamma = 0.3
    crit = -2 * np.log(0.05)                               # chi2(2) 95% quantile
    assert r.critical_value == pytest.approx(crit, rel=1e-12)
    assert r.power(gamma) == pytest.approx(stats.ncx2.sf(crit, 2, gamma ** 2 * q), rel=1e-10)
    assert r.power(0.0) == pytest.approx(0.05, abs=1e-12)
    tidy = r.tidy()
    assert list(tidy["term"]) == ["e=-3", "e=-2", "wald_chi2"]
    assert tidy["estimate"].iloc[-1] == pytest.approx(w)


def test_power_increases_with_slope_and_hits_the_root_found_slopes():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 4))
    v = a @ a.T / 50 + np.eye(4) * 0.01
    r = pretrend_test((np.array([-5, -4, -3, -2]), rng.normal(size=4) * 0.05, v))
    gam = np.linspace(0, 3 * r.slope_80, 30)
    pw = r.power(gam)
    assert pw[0] == pytest.approx(0.05, abs=1e-12)
    assert np.all(np.diff(pw) > 0)
    assert r.power(r.slope_50) == pytest.approx(0.5, abs=1e-9)
    assert r.power(r.slope_80) == pytest.approx(0.8, abs=1e-9)
    assert r.power(-r.slope_80) == pytest.approx(0.8, abs=1e-9)
    assert 0 < r.slope_50 < r.slope_80
    assert r.slope_for_power(0.9) > r.slope_80
    with pytest.raises(ConfigError, match="power must lie"):
        r.slope_for_power(0.01)


def test_power_formula_agrees_with_simulated_rejection_rate():
    v = np.array([[0.04, 0.01, 0.0], [0.01, 0.03, 0.005], [0.0, 0.005, 0.02]])
    r = pretrend_test((np.array([-4, -3, -2]), np.zeros(3), v))
    rng = np.random.default_rng(5)
    gamma = r.slope_50
    draws = rng.multivariate_normal(gamma * r.slope_vector, v, size=200_000)
    w = np.einsum("ij,ij->i", draws @ np.linalg.inv(v), draws)
    sim = np.mean(w > r.critical_value)
    assert sim == pytest.approx(0.5, abs=0.005)           # MC s.e. ~ 0.0011


def test_callaway_santanna_adapter_uses_differences_and_inf_func_vcov(panel):
    a = aggte(att_gt(panel, "y", "year", "id", "g", est_method="reg"), type="dynamic")
    inp = event_study_inputs(a)
    assert inp.pre_kind == "differences" and inp.reference == -1
    np.testing.assert_allclose(np.sqrt(np.diag(inp.vcov)), a.se_egt, rtol=1e-10)
    r = pretrend_test(a)
    np.testing.assert_array_equal(r.event, np.arange(-6, 0))
    np.testing.assert_array_equal(r.slope_vector, np.ones(6))
    b = a.att_egt[:6]
    v = a.inf_func_egt[:, :6].T @ a.inf_func_egt[:, :6] / a.n_units ** 2
    assert r.stat == pytest.approx(b @ np.linalg.solve(v, b), rel=1e-10)


def test_universal_base_gives_levels(panel):
    a = aggte(att_gt(panel, "y", "year", "id", "g", est_method="reg",
                     base_period="universal"), type="dynamic")
    r = pretrend_test(a)
    assert r.pre_kind == "levels" and -1 not in r.event.tolist()
    np.testing.assert_array_equal(r.slope_vector, r.event + 1.0)


def test_twfe_event_study_adapter_and_detects_a_linear_pretrend(panel):
    es = twfe_event_study(panel, "y", "year", "id", "g", min_e=-5, max_e=3, method="fast")
    r0 = pretrend_test(es)
    ev, est, v = es.event_study()
    pre = (ev < 0)
    np.testing.assert_array_equal(r0.event, ev[pre])
    assert r0.stat == pytest.approx(est[pre] @ np.linalg.solve(v[np.ix_(pre, pre)], est[pre]))
    # Add a linear pre-trend of 4x the 80%-power slope to treated units: the test must reject.
    d = panel.copy()
    gamma = 4 * r0.slope_80
    treated = d["g"] > 0
    d.loc[treated, "y"] += gamma * (d.loc[treated, "year"] - d.loc[treated, "g"])
    r1 = pretrend_test(twfe_event_study(d, "y", "year", "id", "g", min_e=-5, max_e=3,
                                        method="fast"))
    assert r1.p_value < 1e-6 and r1.stat > r0.stat


def test_errors_and_outputs(panel):
    with pytest.raises(DataError, match="do not conform"):
        pretrend_test((np.array([-2, -1]), np.zeros(2), np.eye(3)))
    with pytest.raises(DesignError, match="no pre-treatment"):
        pretrend_test((np.array([0, 1]), np.zeros(2), np.eye(2)))
    with pytest.raises(ConfigError, match="pre_kind"):
        pretrend_test((np.array([-2, 0]), np.zeros(2), np.eye(2)), pre_kind="slopes")
    with pytest.raises(ConfigError, match="dynamic"):
        pretrend_test(aggte(att_gt(panel, "y", "year", "id", "g", est_method="reg"), "simple"))
    r = pretrend_test((np.array([-3, -2, 0]), np.array([0.1, 0.0, 1.0]), np.eye(3) * 0.01),
                      pre_events=[-3])
    assert r.df == 1 and r.stat == pytest.approx(1.0)
    out = r.to_dict()
    assert out["kind"] == "pretrend_test" and out["df"] == 1
    assert "Roth (2022)" in r.provenance["estimator"] and "chi2(1)" in r.summary()
    ax = plot_pretrend_power(r)
    assert len(ax.lines) >= 3
