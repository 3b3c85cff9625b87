"""Synthetic DiD: known truth, invariances, the three variance estimators, errors."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ConfigError, DataError, DesignError
from evalkit.robust.synthdid import synthdid


def factor_panel(rng, N0=30, N1=3, T0=12, T1=4, tau=2.0, noise=0.3):
    """Y = unit FE + time FE + factor loading x factor + noise; treated get tau post-period."""
    N, T = N0 + N1, T0 + T1
    a = rng.normal(0, 1, N)
    b = rng.normal(0, 1, T)
    lam = rng.normal(0, 1, N)
    lam[N0:] += 0.5
    f = np.cumsum(rng.normal(0, 0.3, T))
    Y = a[:, None] + b[None, :] + np.outer(lam, f) + rng.normal(0, noise, (N, T))
    Y[N0:, T0:] += tau
    return Y


def test_recovers_known_effect_and_did_equals_double_difference():
    rng = np.random.default_rng(1)
    Y = factor_panel(rng)
    r = synthdid(Y, 30, 12, "sdid", se_method=None)
    assert abs(r.estimate - 2.0) < 0.5
    d = synthdid(Y, 30, 12, "did", se_method=None)
    dd = (Y[30:, 12:].mean() - Y[30:, :12].mean()) - (Y[:30, 12:].mean() - Y[:30, :12].mean())
    assert d.estimate == pytest.approx(dd, abs=1e-12)


def test_invariant_to_constant_and_scales_with_y():
    rng = np.random.default_rng(2)
    Y = factor_panel(rng)
    base = synthdid(Y, 30, 12, "sdid", se_method=None).estimate
    assert synthdid(Y + 100.0, 30, 12, "sdid", se_method=None).estimate == \
        pytest.approx(base, abs=1e-6)
    assert synthdid(3.0 * Y, 30, 12, "sdid", se_method=None).estimate == \
        pytest.approx(3.0 * base, rel=1e-6)


@pytest.mark.parametrize("se_method", ["placebo", "bootstrap", "jackknife"])
def test_standard_errors_positive_and_seeded(se_method):
    rng = np.random.default_rng(3)
    Y = factor_panel(rng, N0=20, N1=3, T0=8, T1=3)
    kw = dict(se_method=se_method, replications=10 if se_method == "bootstrap" else 30)
    r1 = synthdid(Y, 20, 8, "sdid", rng=np.random.default_rng(7), **kw)
    r2 = synthdid(Y, 20, 8, "sdid", rng=np.random.default_rng(7), **kw)
    assert np.isfinite(r1.std_error) and r1.std_error > 0
    assert r1.std_error == r2.std_error
    assert 0.0 < r1.std_error < 2.0


@pytest.mark.slow
def test_placebo_coverage_under_null_is_reasonable():
    """With tau = 0 the placebo 95% interval should rarely exclude 0 (small Monte Carlo)."""
    rej = 0
    for s in range(20):
        Y = factor_panel(np.random.default_rng(100 + s), N0=20, N1=1, T0=8, T1=3, tau=0.0)
        r = synthdid(Y, 20, 8, "sdid", se_method="placebo", replications=50,
                     rng=np.random.default_rng(s))
        rej += abs(r.estimate / r.std_error) > 1.96
    assert rej <= 4


def test_results_object_contract():
    Y = factor_panel(np.random.default_rng(4))
    r = synthdid(Y, 30, 12, "sc", se_method="jackknife")
    t = r.tidy()
    assert list(t.columns[:6]) == ["term", "estimate", "std_error", "conf_low", "conf_high",
                                   "p_value"]
    d = r.to_dict()
    import json
    json.dumps(d)
    assert set(r.weights) == {"omega", "lambda"} and len(r.weights["omega"]) == 30
    assert "SC" in r.summary()
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.estimate = 0.0


def test_errors():
    Y = factor_panel(np.random.default_rng(5))
    with pytest.raises(ConfigError, match="method"):
        synthdid(Y, 30, 12, "synth")
    with pytest.raises(ConfigError, match="se_method"):
        synthdid(Y, 30, 12, se_method="wild")
    with pytest.raises(DesignError, match="rng"):
        synthdid(Y, 30, 12, se_method="placebo")
    with pytest.raises(DesignError):
        synthdid(Y, 33, 12)
    bad = Y.copy()
    bad[0, 0] = np.nan
    with pytest.raises(DataError):
        synthdid(bad, 30, 12, se_method=None)
    long = pd.DataFrame({"unit": np.repeat(np.arange(4), 3), "time": np.tile([1, 2, 3], 4),
                         "outcome": 1.0, "treated": 0})
    long.loc[(long.unit == 3) & (long.time == 3), "treated"] = 1
    long.loc[(long.unit == 2) & (long.time >= 2), "treated"] = 1   # staggered
    with pytest.raises(DesignError, match="block"):
        synthdid(long, se_method=None)
    with pytest.raises(DataError, match="missing"):
        synthdid(long.drop(columns="outcome"), se_method=None)


def test_plots_render():
    from evalkit.robust.plots import synthdid_trajectories_plot, synthdid_weights_plot
    Y = factor_panel(np.random.default_rng(6))
    r = synthdid(Y, 30, 12, "sdid", se_method=None)
    fig = synthdid_trajectories_plot(r)
    assert len(fig.axes[0].lines) >= 2
    fig2 = synthdid_weights_plot(r, top=5)
    assert 1 <= len(fig2.axes[0].patches) <= 5
