"""Poisson ETWFE on mpdta against R etwfe's own published test outputs (see PROVENANCE.md).

R: ``etwfe(emp ~ lpop, tvar = year, gvar = first.treat, data = mpdta, vcov = ~countyreal,
family = "poisson")`` with ``emp = exp(lemp)``; its 30 coefficients with fixest's clustered
standard errors, and ``emfx(type = "event")`` on the level and the link scale.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.did.etwfe import etwfe

HERE = Path(__file__).parent
REF = json.loads((HERE / "etwfe_mpdta_poisson.json").read_text())
# Points: relative 1e-4 asked by issue 14; evalkit agrees with R to 6e-9.
RTOL_POINT = 1e-4
# Standard errors: fixest forms its sandwich from the last IRLS iteration and marginaleffects
# differentiates numerically, so R's own numbers carry ~1e-5 relative noise (evalkit's
# converged sandwich times fixest's small-sample factor agrees to 1.4e-5 on all 30
# coefficients); 5e-5 relative still tells a different variance estimator apart (the factor
# alone is 0.7 %).
RTOL_SE = 5e-5


@pytest.fixture(scope="module")
def fit():
    d = pd.read_csv(HERE / "mpdta.csv")
    d["emp"] = np.exp(d["lemp"])
    return etwfe(d, "emp", "year", "countyreal", "first.treat", covariates=["lpop"])


def fixest_factor(res) -> float:
    """fixest's default small-sample factor for clustered SEs: G/(G-1) (N-1)/(N-K)."""
    G, N, K = res.n_units, res.n_obs, res.coef.size
    return G / (G - 1) * (N - 1) / (N - K)


def test_coefficients_and_clustered_ses(fit):
    names = list(REF["coeftable"])
    assert sorted(names) == sorted(fit.coef.index)
    exp_est = np.array([REF["coeftable"][k]["estimate"] for k in names])
    exp_se = np.array([REF["coeftable"][k]["std_error"] for k in names])
    np.testing.assert_allclose(fit.coef[names].to_numpy(), exp_est, rtol=RTOL_POINT, atol=1e-9)
    pos = [list(fit.coef.index).index(k) for k in names]
    se = np.sqrt(np.diag(fit.vcov)[pos] * fixest_factor(fit))
    np.testing.assert_allclose(se, exp_se, rtol=RTOL_SE)
    # the proportional effect is exp(delta) - 1 of the cell coefficient
    cells = [f".Dtreat:first.treat::{g}:year::{t}" for g, t in zip(fit.group, fit.time,
                                                                   strict=True)]
    np.testing.assert_allclose(fit.proportional, np.expm1(fit.coef[cells].to_numpy()))


def _event_weights(fit, e):
    w = np.where(fit.time - fit.group == e, fit.cell_size, 0).astype(float)
    return w / w.sum()


def test_event_study_level_scale(fit):
    """emfx(type = "event"): cell APEs averaged with weights N_gt; R's delta-method SE is the
    conditional one (jacobian' V jacobian) with fixest's factor."""
    ev = REF["emfx_event"]
    for e, est, se in zip(ev["event"], ev["estimate"], ev["std_error"], strict=True):
        w = _event_weights(fit, e)
        assert float(w @ fit.att) == pytest.approx(est, rel=RTOL_POINT)
        g = fit.jacobian @ w
        assert np.sqrt(g @ fit.vcov @ g * fixest_factor(fit)) == pytest.approx(se, rel=RTOL_SE)


def test_event_study_link_scale(fit):
    """emfx(predict = "link"): the N_gt-weighted cell coefficients delta_gt."""
    ev = REF["emfx_event_link"]
    cells = [f".Dtreat:first.treat::{g}:year::{t}" for g, t in zip(fit.group, fit.time,
                                                                   strict=True)]
    pos = [list(fit.coef.index).index(c) for c in cells]
    for e, est, se in zip(ev["event"], ev["estimate"], ev["std_error"], strict=True):
        w = _event_weights(fit, e)
        assert float(w @ fit.coef.iloc[pos].to_numpy()) == pytest.approx(est, rel=RTOL_POINT)
        V = fit.vcov[np.ix_(pos, pos)]
        assert np.sqrt(w @ V @ w * fixest_factor(fit)) == pytest.approx(se, rel=RTOL_SE)


def test_influence_function_is_model_part_plus_averaging_part(fit):
    """evalkit's influence function = the delta method through the QMLE (whose variance is R's
    conditional jacobian' V jacobian) + the sampling of the cohort's firms the APE averages
    over: zero outside the cell's cohort, summing to zero within it, and not negligible here
    (lpop varies across counties)."""
    model_part = fit.inf_func_param @ fit.jacobian
    V_cond = np.einsum("pk,pq,qk->k", fit.jacobian, fit.vcov, fit.jacobian)
    np.testing.assert_allclose((model_part ** 2).sum(axis=0) / fit.n_units ** 2, V_cond,
                               rtol=1e-10)
    rest = fit.inf_func - model_part
    for k, g in enumerate(fit.group):
        inside = fit.unit_group == g
        tiny = 1e-10 * np.abs(fit.inf_func[:, k]).max()
        assert np.abs(rest[~inside, k]).max() < tiny
        assert abs(rest[inside, k].sum()) < 1e-8 * np.abs(rest[inside, k]).sum()
        assert np.abs(rest[inside, k]).max() > 0.05 * np.abs(model_part[:, k]).max()
