"""Restricted wild cluster bootstrap (WCR) against the wildboottest package and by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ConfigError, DesignError
from evalkit.fe import fit_ols_fe, prepare_panel
from evalkit.robust.wildboot import draw_weights, wcr_pvalue, wild_cluster_bootstrap

# Two implementations of the same finite computation (full enumeration): rounding only.
SAME = 1e-10

wbt = pytest.importorskip("wildboottest.wildboottest")


def _reference(y, X, cl, j, B=9999, weights="rademacher", seed=1):
    """wildboottest 0.3.2 (Python port of fwildclusterboot), WCR11."""
    R = np.zeros(X.shape[1])
    R[j] = 1.0
    wb = wbt.WildboottestCL(X=X, Y=y, cluster=cl, R=R, B=B, seed=seed, parallel=False)
    wb.get_scores(bootstrap_type="11", impose_null=True)
    wb.get_weights(weights_type=weights)
    wb.get_numer()
    wb.get_denom()
    wb.get_tboot()
    wb.get_vcov()
    wb.get_tstat()
    wb.get_pvalue()
    return float(wb.pvalue), float(np.ravel(wb.t_stat)[0]), np.ravel(wb.t_boot)


def _panel(G=6, firms=8, T=6, beta=0.0, seed=0):
    rng = np.random.default_rng(seed)
    n = G * firms
    area = np.repeat(np.arange(G), firms)
    ids = np.repeat(np.arange(n), T)
    year = np.tile(np.arange(2018, 2018 + T), n)
    shock = rng.normal(size=(G, T))
    x = rng.normal(size=(G, T))[area[ids], year - 2018] + 0.3 * rng.normal(size=n * T)
    y = (np.repeat(rng.normal(size=n), T) + 0.1 * (year - 2018) + beta * x
         + shock[area[ids], year - 2018] + rng.normal(size=n * T))
    return pd.DataFrame({"id": ids, "year": year, "area": area[ids], "x": x,
                         "z": rng.normal(size=n * T), "y": y})


def test_matches_wildboottest_exactly_with_enumeration():
    rng = np.random.default_rng(1)
    n, G = 300, 8
    X = np.column_stack([rng.normal(size=(n, 2)), np.ones(n)])
    cl = rng.integers(0, G, n)
    y = X @ np.array([0.1, 0.5, 1.0]) + rng.normal(size=n) + rng.normal(size=G)[cl]
    p, t, tb = wcr_pvalue(y, X, cl, 0)
    p_ref, t_ref, tb_ref = _reference(y, X, cl, 0)
    assert tb.size == 2 ** G
    assert p == pytest.approx(p_ref, abs=SAME) and t == pytest.approx(t_ref, rel=SAME)
    np.testing.assert_allclose(np.sort(tb), np.sort(tb_ref), atol=1e-10)


def test_fixed_effects_by_partialling_equal_the_full_dummy_regression():
    d = _panel(G=7, beta=0.3, seed=2)
    r = wild_cluster_bootstrap(d, "y", ["x", "z"], "x", "id", "year", "area", ci=False)
    # Reference: wildboottest on the full design with firm and year dummies (all 2^7 draws).
    firm = pd.get_dummies(d["id"], dtype=float).to_numpy()
    yr = pd.get_dummies(d["year"], dtype=float).to_numpy()[:, 1:]
    X = np.column_stack([d[["x", "z"]].to_numpy(), firm, yr])
    p_ref, _, _tb_ref = _reference(d["y"].to_numpy(), X, d["area"].to_numpy(), 0)
    assert r.enumerated and r.n_draws == 128
    assert r.p_value == pytest.approx(p_ref, abs=SAME)
    # Estimate and CR1 SE equal evalkit's TWFE regression (K = k + T with nested firm FE).
    df = prepare_panel(d, "y", "year", "id", None, ["x", "z", "area"])
    beta, vcov, g, _ = fit_ols_fe(df, "y", ["x", "z"], "id", "year",
                                   pd.factorize(df["area"], sort=True)[0], "fast")
    assert r.estimate == pytest.approx(beta[0], rel=1e-9)
    assert r.std_error == pytest.approx(np.sqrt(vcov[0, 0]), rel=1e-9)
    assert g == r.n_clusters == 7


def test_confidence_interval_inverts_the_test():
    d = _panel(G=8, beta=0.5, seed=4)
    r = wild_cluster_bootstrap(d, "y", "x", "x", "id", "year", "area", weights="webb",
                               B=999, seed=3)
    assert not r.enumerated and r.n_draws == 999
    assert r.conf_low < r.estimate < r.conf_high
    for b0, inside in ((r.conf_low + 1e-4, True), (r.conf_high - 1e-4, True),
                       (r.conf_low - 1e-3, False), (r.conf_high + 1e-3, False)):
        p = wild_cluster_bootstrap(d, "y", "x", "x", "id", "year", "area", weights="webb",
                                   B=999, seed=3, null=b0, ci=False).p_value
        assert (p > r.alpha) == inside, (b0, p)
    again = wild_cluster_bootstrap(d, "y", "x", "x", "id", "year", "area", weights="webb",
                                   B=999, seed=3)
    assert again.p_value == r.p_value and again.conf_low == r.conf_low   # seeded
    assert r.tidy()["p_value"].iloc[0] == r.p_value
    assert "WCR" in r.summary() and r.to_dict()["kind"] == "wild_cluster_bootstrap"


def test_weights_have_mean_zero_and_unit_variance():
    v, enum = draw_weights(5, "rademacher", 999, np.random.default_rng(0))
    assert enum and v.shape == (5, 32) and len({tuple(c) for c in v.T}) == 32
    w, enum = draw_weights(20, "webb", 200_000, np.random.default_rng(0))
    assert not enum and abs(w.mean()) < 0.005 and abs(w.var() - 1) < 0.005
    assert len(np.unique(w)) == 6


def test_errors():
    d = _panel()
    with pytest.raises(ConfigError, match="weights must be one of"):
        wild_cluster_bootstrap(d, "y", "x", "x", "id", "year", "area", weights="mammen")
    with pytest.raises(ConfigError, match="term must be one of"):
        wild_cluster_bootstrap(d, "y", "x", "z", "id", "year", "area")
    moved = d.copy()
    moved.loc[0, "area"] = 5
    with pytest.raises(DesignError, match="moves between clusters"):
        wild_cluster_bootstrap(moved, "y", "x", "x", "id", "year", "area")
