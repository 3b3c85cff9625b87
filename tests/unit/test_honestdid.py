"""HonestDiD internals: R-compatible draws, restriction matrices, limits, adapter, errors."""

from types import SimpleNamespace

import numpy as np
import pytest

from evalkit.errors import ConfigError, DataError
from evalkit.robust import honestdid as H
from evalkit.robust.honestdid.draws import _r_rnorm


def test_r_rnorm_matches_r_set_seed_0():
    # R: set.seed(0); rnorm(3) -> 1.2629543 -0.3262334  1.3297993
    np.testing.assert_allclose(_r_rnorm(3, 0), [1.2629543, -0.3262334, 1.3297993], atol=5e-8)


def test_create_A_RM_shapes_and_zero_row_removal():
    A = H.create_A_RM(3, 2, mbar=1.0, s=0, max_positive=True)
    assert A.shape[1] == 5
    assert A.shape[0] == 2 * 5 - 1   # the row of the max difference itself is dropped
    # delta with all first differences equal to the max one satisfies the restriction at Mbar=1
    delta = np.array([-3.0, -2.0, -1.0, 1.0, 2.0])
    assert (A @ delta <= 1e-12).all()


def test_mbar_zero_and_huge_mbar_bracket():
    rng = np.random.default_rng(0)
    L = rng.normal(size=(4, 4)) * 0.01
    sigma = L @ L.T + np.eye(4) * 1e-4
    beta = np.array([0.001, -0.002, 0.05, 0.06])
    r = H.sensitivity_rm(beta, sigma, 2, 2, mbar_vec=[0.0, 1.0, 5.0], breakdown=False)
    widths = r.ub - r.lb
    assert (np.diff(widths) > 0).all()          # sets grow with Mbar
    orig = H.original_cs(beta, sigma, 2, 2)
    assert r.lb[0] >= orig[0] - 0.01 and r.ub[0] <= orig[1] + 0.01


def test_flci_m0_is_linear_trend_adjusted_interval():
    """Under M = 0 (exact linear trend) the FLCI is the minimum-variance unbiased estimator of
    l'tau under a linear pre-trend, +- 1.96 sd, and its length does not depend on betahat."""
    rng = np.random.default_rng(1)
    L = rng.normal(size=(5, 5)) * 0.01
    sigma = L @ L.T + np.eye(5) * 1e-4
    b1 = rng.normal(size=5) * 0.01
    b2 = b1 + 0.3
    f1 = H.flci(b1, sigma, 3, 2, m=0.0)
    f2 = H.flci(b2, sigma, 3, 2, m=0.0)
    assert f1["half_length"] == pytest.approx(f2["half_length"])
    v = f1["optimal_vec"]
    # unbiased for any linear trend delta_t = c t (t = -3..-1, 1..2) with target tau_1
    t = np.array([-3, -2, -1, 1, 2], dtype=float)
    assert v @ t == pytest.approx(0.0, abs=1e-9)
    assert f1["half_length"] == pytest.approx(1.959964 * np.sqrt(v @ sigma @ v), rel=1e-6)


def test_flci_widens_with_m():
    rng = np.random.default_rng(2)
    L = rng.normal(size=(5, 5)) * 0.01
    sigma = L @ L.T + np.eye(5) * 1e-4
    beta = rng.normal(size=5) * 0.01
    r = H.sensitivity_sd(beta, sigma, 3, 2, m_vec=[0, 0.01, 0.05], breakdown=False)
    assert (np.diff(r.ub - r.lb) > 0).all()


def test_adapter_duck_typed_and_frame():
    rng = np.random.default_rng(3)
    events = np.array([-4, -3, -2, -1, 0, 1])
    est = np.array([0.0, 0.001, -0.002, 0.0, 0.05, 0.06])
    V = np.diag([1e-4, 1e-4, 1e-4, 0.0, 1e-4, 1e-4]) + 1e-6
    es = SimpleNamespace(event=events, estimate=est, vcov=V)
    r = H.honest_did(es, values=[1.0], refine=False, breakdown=False)
    keep = events != -1
    direct = H.sensitivity_rm(est[keep], V[np.ix_(keep, keep)], 3, 2, mbar_vec=[1.0],
                              refine=False, breakdown=False)
    np.testing.assert_allclose([r.lb[0], r.ub[0]], [direct.lb[0], direct.ub[0]])
    import pandas as pd
    frame = pd.DataFrame({"event": events[::-1], "estimate": est[::-1]})
    r2 = H.honest_did(frame, vcov=V[::-1, ::-1], values=[1.0], refine=False, breakdown=False)
    np.testing.assert_allclose([r2.lb[0], r2.ub[0]], [r.lb[0], r.ub[0]])
    r3 = H.honest_did(es, type="smoothness", values=[0.0], e=1, breakdown=False)
    assert r3.l_vec.tolist() == [0.0, 1.0]
    del rng


def test_results_object_contract():
    sigma = np.eye(4) * 1e-4
    beta = np.array([0.0, 0.001, 0.05, 0.06])
    r = H.sensitivity_sd(beta, sigma, 2, 2, m_vec=[0.0, 0.02])
    t = r.tidy()
    assert list(t.columns[:6]) == ["term", "estimate", "std_error", "conf_low", "conf_high",
                                   "p_value"]
    assert t.method.tolist() == ["Original", "FLCI", "FLCI"]
    import json
    json.dumps(r.to_dict())
    assert "breakdown" in r.summary()


def test_errors():
    sigma = np.eye(4) * 1e-4
    beta = np.zeros(4)
    with pytest.raises(DataError, match="betahat"):
        H.sensitivity_rm(np.zeros(3), sigma, 2, 2)
    with pytest.raises(DataError, match="l_vec"):
        H.sensitivity_rm(beta, sigma, 2, 2, l_vec=[1.0])
    with pytest.raises(ConfigError, match="method"):
        H.sensitivity_sd(beta, sigma, 2, 2, method="C-F")
    with pytest.raises(ConfigError, match="Mbar"):
        H.sensitivity_rm(beta, sigma, 2, 2, mbar_vec=[-1.0])
    with pytest.raises(DataError, match="vcov"):
        H.honest_did(SimpleNamespace(event=[-2, 0], estimate=[0.0, 1.0]))


def test_sensitivity_plot_renders():
    from evalkit.robust.plots import sensitivity_plot
    r = H.sensitivity_sd(np.array([0.0, 0.001, 0.05, 0.06]), np.eye(4) * 1e-4, 2, 2,
                         m_vec=[0.0, 0.02], breakdown=False)
    fig = sensitivity_plot(r)
    assert fig.axes[0].get_xlabel() == "M"


def test_relative_magnitude_bounds_are_equivariant_to_the_unit_of_money():
    # Regression: the ARP dual's singularity check once depended on the outcome's unit, so in
    # yuan (large standard errors next to unitless nuisance columns) every basis was dropped and
    # the whole grid accepted.
    b = np.array([0.1, -0.1, 0.2, 0.1, 1, 1, 1, 1, 1, 1.0])
    V = 0.01 * (np.eye(10) + 0.3)
    base = H.sensitivity_rm(b, V, 4, 6, (0.5,), breakdown=False)
    for c in (1e3, 1e6):
        r = H.sensitivity_rm(b * c, V * c * c, 4, 6, (0.5,), breakdown=False)
        assert np.allclose(np.asarray(r.lb) / c, base.lb, rtol=1e-6)
        assert np.allclose(np.asarray(r.ub) / c, base.ub, rtol=1e-6)
