"""TWFE and TWFE event study: PanelOLS path, demeaning fast path, conventions, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from linearmodels import PanelOLS

from evalkit.did.twfe import twfe, twfe_event_study
from evalkit.errors import ConfigError, DataError, DesignError
from evalkit.fe import demean_two_way
from evalkit.synth.dgp import simulate_staggered

# Copy of ../shared/reference/mpdta.csv (see tests/reference/PROVENANCE.md).
MPDTA = Path(__file__).parents[1] / "reference" / "mpdta.csv"

# Two exact solvers of the same least-squares problem: only rounding separates them.
AGREE = 1e-8


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(MPDTA)


@pytest.fixture(scope="module")
def unbalanced() -> pd.DataFrame:
    d, _ = simulate_staggered(n_units=400, seed=3, balanced=False)
    return d


def test_demean_two_way_equals_dummy_regression_residuals(unbalanced):
    d = unbalanced
    uc = pd.factorize(d["id"], sort=True)[0]
    tc = pd.factorize(d["year"], sort=True)[0]
    y = d["y"].to_numpy()
    dummies = np.column_stack([np.eye(uc.max() + 1)[uc], np.eye(tc.max() + 1)[tc][:, 1:]])
    resid = y - dummies @ np.linalg.lstsq(dummies, y, rcond=None)[0]
    dm, sweeps = demean_two_way(y, uc, tc)
    assert sweeps > 2                     # unbalanced: genuinely iterative
    np.testing.assert_allclose(dm, resid, atol=1e-9)


def test_twfe_mpdta_matches_panelols_with_cr1_factor(mpdta):
    r = twfe(mpdta, "lemp", "year", "countyreal", gname="first.treat", method="panelols")
    d = mpdta.set_index(["countyreal", "year"])
    d["D"] = ((d["first.treat"] > 0) & (d.index.get_level_values(1) >= d["first.treat"]))
    res = PanelOLS(d.lemp, d[["D"]].astype(float), entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True, debiased=False, auto_df=False,
        count_effects=False)
    n, g, t = 2500, 500, 5
    factor = g / (g - 1) * (n - 1) / (n - 1 - t)     # fixest/reghdfe CR1: K = 1 + T
    assert r.coef("D") == pytest.approx(res.params["D"], abs=AGREE)
    assert r.coef("D") == pytest.approx(-0.0365489, abs=5e-7)   # published mpdta TWFE
    assert r.se("D") == pytest.approx(np.sqrt(res.cov.iloc[0, 0] * factor), rel=AGREE)
    assert r.n_clusters == 500 and r.n_obs == 2500


def test_fast_path_agrees_with_panelols_unbalanced_with_covariate(unbalanced):
    d = unbalanced.assign(xt=lambda f: f.x1 * (f.year - 2015) + np.sin(f.id * f.year))
    a = twfe(d, "y", "year", "id", gname="g", covariates=["xt"], method="panelols")
    b = twfe(d, "y", "year", "id", gname="g", covariates=["xt"], method="fast")
    np.testing.assert_allclose(a.estimate, b.estimate, rtol=0, atol=AGREE)
    np.testing.assert_allclose(a.std_error, b.std_error, rtol=AGREE)
    es_a = twfe_event_study(d, "y", "year", "id", "g", min_e=-4, max_e=4, method="panelols")
    es_b = twfe_event_study(d, "y", "year", "id", "g", min_e=-4, max_e=4, method="fast")
    np.testing.assert_allclose(es_a.estimate, es_b.estimate, atol=AGREE)
    np.testing.assert_allclose(es_a.vcov, es_b.vcov, atol=AGREE * 1e-2)
    assert a.details["fit"] == "panelols" and b.details["fit"] == "fast"


def test_dname_equals_gname_and_caller_frame_untouched(mpdta):
    before = mpdta.copy()
    d = mpdta.assign(post=((mpdta["first.treat"] > 0) & (mpdta.year >= mpdta["first.treat"]))
                     .astype(int))
    a = twfe(d, "lemp", "year", "countyreal", gname="first.treat")
    b = twfe(d, "lemp", "year", "countyreal", dname="post")
    assert a.coef("D") == pytest.approx(b.coef("D"), abs=1e-12)
    pd.testing.assert_frame_equal(mpdta, before)


def test_event_study_reference_and_binning(mpdta):
    r = twfe_event_study(mpdta, "lemp", "year", "countyreal", "first.treat")
    ev, _, v = r.event_study()
    assert -1 not in ev.tolist() and ev.tolist() == [-4, -3, -2, 0, 1, 2, 3]
    assert v.shape == (7, 7) and np.allclose(v, v.T)
    # Binning e <= -3 into one dummy changes the design: the e=-3 coefficient differs.
    binned = twfe_event_study(mpdta, "lemp", "year", "countyreal", "first.treat", min_e=-3)
    assert binned.event_study()[0].tolist() == [-3, -2, 0, 1, 2, 3]
    assert binned.coef("e=-3") != pytest.approx(r.coef("e=-3"), abs=1e-4)
    dropped = twfe_event_study(mpdta, "lemp", "year", "countyreal", "first.treat", min_e=-3,
                               bin_endpoints=False)
    n_2007 = mpdta.loc[mpdta["first.treat"] == 2007, "countyreal"].nunique()
    assert dropped.n_obs == 2500 - n_2007        # the cohort-2007 rows at e = -4 leave
    tidy = r.tidy()
    assert list(tidy.columns[:6]) == ["term", "estimate", "std_error", "conf_low", "conf_high",
                                      "p_value"]
    assert r.to_dict()["terms"][0] == "e=-4"


def test_errors_name_the_problem(mpdta):
    with pytest.raises(DataError, match="lemp2"):
        twfe(mpdta, "lemp2", "year", "countyreal", gname="first.treat")
    with pytest.raises(ConfigError, match=r"'auto', 'panelols', 'fast'.*'slow'"):
        twfe(mpdta, "lemp", "year", "countyreal", gname="first.treat", method="slow")
    with pytest.raises(ConfigError, match="exactly one"):
        twfe(mpdta, "lemp", "year", "countyreal")
    dup = pd.concat([mpdta, mpdta.iloc[[5]]])
    with pytest.raises(DataError, match="appears twice"):
        twfe(dup, "lemp", "year", "countyreal", gname="first.treat")
    bad = mpdta.copy()
    bad.loc[7, "lemp"] = np.nan
    with pytest.raises(DataError) as exc:
        twfe(bad, "lemp", "year", "countyreal", gname="first.treat")
    assert exc.value.location.column == "lemp"
    # Without never-treated units and with every relative time, the dynamic TWFE is not
    # identified (the linear-in-time component is collinear with the period effects).
    treated_only = mpdta[mpdta["first.treat"] > 0]
    with pytest.raises(DesignError, match="rank deficient"):
        twfe_event_study(treated_only, "lemp", "year", "countyreal", "first.treat")


def test_auto_switches_to_fast_path_above_threshold(mpdta, monkeypatch):
    import evalkit.fe.ols as mod

    small = twfe(mpdta, "lemp", "year", "countyreal", gname="first.treat")
    monkeypatch.setattr(mod, "FAST_THRESHOLD", 1000)
    big = twfe(mpdta, "lemp", "year", "countyreal", gname="first.treat")
    assert small.details["fit"] == "panelols" and big.details["fit"] == "fast"
    assert big.coef("D") == pytest.approx(small.coef("D"), abs=AGREE)
    assert big.se("D") == pytest.approx(small.se("D"), rel=AGREE)
