"""The propensity-score logit of the 2x2 DiD estimators (evalkit.did.drdid.logit_fit): damped
IRLS that converges where an undamped Newton iteration overshoots, its own error when it does
not converge, and the overlap check only on a converged fit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import statsmodels.api as sm

from evalkit.did import att_gt, drdid_panel, std_ipw_panel
from evalkit.did import drdid as drdid_module
from evalkit.did.drdid import OVERLAP_LIMIT, logit_fit
from evalkit.errors import ConvergenceError, DesignError, IdentificationError
from evalkit.synth.dgp import simulate_staggered


def _imbalanced():
    """300 units, 16 treated; a binary covariate held by 85 % of the treated and 6 % of the
    comparison units (as ``black`` in LaLonde's NSW-CPS panel) and an age shift."""
    rng = np.random.default_rng(1)
    n = 300
    D = (rng.random(n) < 0.05).astype(float)
    x = np.where(D == 1, rng.random(n) < 0.85, rng.random(n) < 0.06).astype(float)
    age = rng.normal(30, 8, n) - 6 * D
    return np.column_stack([np.ones(n), x, age]), D


def _undamped_newton(X, D):
    """evalkit's logit before damping: Newton from the intercept-only start, stopped by a guard
    once a coefficient exceeds 50 in absolute value."""
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(D.mean() / (1 - D.mean()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(100):
            mu = 1 / (1 + np.exp(-(X @ beta)))
            step = np.linalg.solve((X * (mu * (1 - mu))[:, None]).T @ X, X.T @ (D - mu))
            beta += step
            if np.max(np.abs(beta)) > 50:
                return 1 / (1 + np.exp(-(X @ beta))), True
    return 1 / (1 + np.exp(-(X @ beta))), False


def test_converges_where_undamped_newton_stopped_at_the_guard():
    X, D = _imbalanced()
    old, guarded = _undamped_newton(X, D)
    assert guarded and old.max() >= OVERLAP_LIMIT          # the old fit: "overlap violated"
    ps = logit_fit(X, D, np.ones(len(D)))
    assert np.abs(X.T @ (D - ps)).max() < 1e-6             # likelihood equations solved
    glm = sm.GLM(D, X, family=sm.families.Binomial()).fit(tol=1e-12)
    np.testing.assert_allclose(ps, glm.fittedvalues, rtol=0, atol=1e-9)
    assert ps.max() == pytest.approx(0.5293, abs=1e-4) and ps.max() < OVERLAP_LIMIT
    dy = np.random.default_rng(2).normal(size=len(D)) + D
    for est in (drdid_panel, std_ipw_panel):
        att, inf = est(dy, D, X)
        assert np.isfinite(att) and np.isfinite(inf).all()


def test_weights_enter_as_in_a_weighted_glm():
    X, D = _imbalanced()
    w = np.random.default_rng(3).uniform(0.2, 3.0, len(D))
    w /= w.mean()
    ps = logit_fit(X, D, w)
    glm = sm.GLM(D, X, family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-12)
    np.testing.assert_allclose(ps, glm.fittedvalues, rtol=0, atol=1e-9)


def test_not_converged_raises_its_own_error_naming_the_fix():
    X, D = _imbalanced()
    with pytest.raises(ConvergenceError) as info:
        logit_fit(X, D, np.ones(len(D)), max_iter=2)
    exc = info.value
    assert isinstance(exc, DesignError) and not isinstance(exc, IdentificationError)
    assert "did not converge" in str(exc) and "est_method='reg'" in str(exc)
    assert "未收敛" in exc.text("zh") and "est_method='reg'" in exc.text("zh")
    assert "减少协变量" in exc.text("zh")


def test_att_gt_keeps_the_error_class_and_names_the_cohort(monkeypatch):
    data, _ = simulate_staggered(n_units=400, seed=3)
    monkeypatch.setattr(drdid_module, "LOGIT_MAX_ITER", 1)
    with pytest.raises(ConvergenceError, match=r"cohort \d+: the propensity-score logit") as info:
        att_gt(data, "y", "year", "id", "g", covariates=["x1", "x2"], est_method="dr")
    assert "批次" in info.value.text("zh") and "未收敛" in info.value.text("zh")
    monkeypatch.undo()
    res = att_gt(data, "y", "year", "id", "g", covariates=["x1", "x2"], est_method="dr")
    assert np.isfinite(res.att).all()


def test_separation_converges_and_is_an_overlap_failure():
    """Complete separation: the deviance converges to 0 while scores reach 1; the fit counts as
    converged and the overlap check (not a convergence error) reports it."""
    X, D = _imbalanced()
    Xs = np.column_stack([X, D])                           # a covariate equal to treatment
    ps = logit_fit(Xs, D, np.ones(len(D)))
    assert ps[D == 1].min() > 1 - 1e-9 and ps[D == 0].max() < 1e-9
    with pytest.raises(IdentificationError, match="overlap violated"):
        drdid_panel(np.zeros(len(D)), D, Xs)
