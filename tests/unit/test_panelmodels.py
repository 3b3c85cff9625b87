"""Dose-response panels (linearmodels wrappers) and the Hausman test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from linearmodels import FirstDifferenceOLS, PanelOLS, RandomEffects
from linearmodels.datasets import jobtraining
from scipy import stats

from evalkit.errors import ConfigError, DataError
from evalkit.panelmodels import classic_hausman, dose_response, hausman_test, plot_dose_response

# The wrapper passes linearmodels' own numbers through: only rounding may differ.
SAME = 1e-10
# Wooldridge, Introductory Econometrics, Example 14.1 prints three decimals.
TEXTBOOK = 5e-4


@pytest.fixture(scope="module")
def jobs() -> pd.DataFrame:
    return jobtraining.load().dropna(subset=["lscrap", "grant_1"])


def _sim(n=300, t=6, corr=1.0, seed=0):
    """Firm panel: dose correlated with the firm effect when ``corr`` != 0; true effect 0.5."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    years = np.arange(2015, 2015 + t)
    ids = np.repeat(np.arange(n), t)
    dose = np.maximum(0, 1 + corr * np.repeat(a, t) + rng.normal(size=n * t))
    y = np.repeat(a, t) + 0.5 * dose + 0.1 * np.tile(years - 2015, n) + rng.normal(size=n * t)
    return pd.DataFrame({"id": ids, "year": np.tile(years, n), "amount": dose * 1e5,
                         "revenue": np.exp(rng.normal(size=n * t)) * 1e6, "y": y,
                         "dose": dose, "area": ids % 5})


def test_jobtraining_fe_reproduces_the_textbook_estimates(jobs):
    r = dose_response(jobs, "lscrap", ["grant", "grant_1"], "fcode", "year",
                      cov_type="unadjusted")
    # Unadjusted (homoskedastic) covariance with linearmodels' debiased dof correction.
    assert r.coef("grant") == pytest.approx(-0.252, abs=TEXTBOOK)
    assert r.coef("grant_1") == pytest.approx(-0.422, abs=TEXTBOOK)
    assert r.se("grant") == pytest.approx(0.151, abs=TEXTBOOK)
    assert r.se("grant_1") == pytest.approx(0.210, abs=TEXTBOOK)
    assert r.n_obs == 162 and r.n_entities == 54
    # Firm-clustered SEs are larger; they are NOT the textbook ones.
    rc = dose_response(jobs, "lscrap", ["grant", "grant_1"], "fcode", "year")
    assert rc.se("grant_1") > 0.3


@pytest.mark.parametrize("cov_type", ["unadjusted", "robust", "clustered", "kernel"])
def test_fe_equals_a_direct_panelols_call(jobs, cov_type):
    r = dose_response(jobs, "lscrap", ["grant", "grant_1"], "fcode", "year", cov_type=cov_type)
    d = jobs.set_index(["fcode", "year"])
    kw = {"cluster_entity": True} if cov_type == "clustered" else {}
    direct = PanelOLS(d.lscrap, d[["grant", "grant_1"]], entity_effects=True,
                      time_effects=True).fit(cov_type=cov_type, **kw)
    np.testing.assert_allclose(r.estimate, direct.params.to_numpy(), rtol=SAME, atol=SAME)
    np.testing.assert_allclose(r.vcov, direct.cov.to_numpy(), rtol=SAME, atol=SAME)
    np.testing.assert_allclose(r.p_value, direct.pvalues.to_numpy(), rtol=SAME, atol=SAME)


def test_re_and_fd_equal_direct_calls(jobs):
    d = jobs.set_index(["fcode", "year"])
    x = d[["grant", "grant_1"]].copy()
    x["year_1988"] = (d.index.get_level_values(1) == 1988).astype(float)
    x["year_1989"] = (d.index.get_level_values(1) == 1989).astype(float)
    fd = dose_response(jobs, "lscrap", ["grant", "grant_1"], "fcode", "year", model="fd")
    direct = FirstDifferenceOLS(d.lscrap, x).fit(cov_type="clustered", cluster_entity=True)
    np.testing.assert_allclose(fd.estimate, direct.params.to_numpy(), rtol=SAME, atol=SAME)
    np.testing.assert_allclose(fd.vcov, direct.cov.to_numpy(), rtol=SAME, atol=SAME)
    x["const"] = 1.0
    re = dose_response(jobs, "lscrap", ["grant", "grant_1"], "fcode", "year", model="re",
                       cov_type="unadjusted")
    direct = RandomEffects(d.lscrap, x).fit()
    np.testing.assert_allclose(re.estimate, direct.params.to_numpy(), rtol=SAME, atol=SAME)
    np.testing.assert_allclose(re.vcov, direct.cov.to_numpy(), rtol=SAME, atol=SAME)


def test_intensity_lags_and_coarse_clusters():
    d = _sim()
    r = dose_response(d, "y", "amount", "id", "year", per="revenue", cluster="area")
    assert r.dose_terms == ("amount/revenue",) and r.details["n_clusters"] == 5
    x = d.set_index(["id", "year"])
    x["amount/revenue"] = x.amount / x.revenue
    direct = PanelOLS(x.y, x[["amount/revenue"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", clusters=x[["area"]])
    assert r.se("amount/revenue") == pytest.approx(direct.std_errors.iloc[0], rel=SAME)
    # Lags: rows without the previous year are dropped (with a warning) and the lag is right.
    with pytest.warns(Warning, match="dropped 300 firm-years"):
        rl = dose_response(d, "y", "dose", "id", "year", lags=1)
    x["dose_lag1"] = x.groupby(level=0).dose.shift(1)
    x = x.dropna(subset=["dose_lag1"])
    direct = PanelOLS(x.y, x[["dose", "dose_lag1"]], entity_effects=True,
                      time_effects=True).fit(cov_type="clustered", cluster_entity=True)
    np.testing.assert_allclose(rl.estimate, direct.params.to_numpy(), rtol=SAME)
    # The true dose effect (0.5) is recovered by FE despite the correlated firm effect.
    fe = dose_response(d, "y", "dose", "id", "year")
    assert abs(fe.coef("dose") - 0.5) < 3 * fe.se("dose")


def test_errors():
    d = _sim(n=20)
    with pytest.raises(ConfigError, match="model must be one of"):
        dose_response(d, "y", "dose", "id", "year", model="gmm")
    with pytest.raises(ConfigError, match="cov_type must be one of"):
        dose_response(d, "y", "dose", "id", "year", cov_type="hac")
    d.loc[3, "revenue"] = 0.0
    with pytest.raises(DataError, match="revenue") as exc:
        dose_response(d, "y", "amount", "id", "year", per="revenue")
    assert exc.value.location.column == "revenue"
    d.loc[5, "y"] = np.nan
    with pytest.raises(DataError, match="missing"):
        dose_response(d, "y", "dose", "id", "year")


def test_classic_hausman_by_hand_and_robust_version(jobs):
    h = hausman_test(jobs, "lscrap", ["grant", "grant_1"], "fcode", "year")
    d = jobs.set_index(["fcode", "year"])
    fe = PanelOLS(d.lscrap, d[["grant", "grant_1"]], entity_effects=True,
                  time_effects=True).fit()
    x = d[["grant", "grant_1"]].copy()
    for yr in (1988, 1989):
        x[f"year_{yr}"] = (d.index.get_level_values(1) == yr).astype(float)
    x["const"] = 1.0
    re = RandomEffects(d.lscrap, x).fit()
    diff = fe.params.to_numpy() - re.params.to_numpy()[:2]
    dv = fe.cov.to_numpy() - re.cov.to_numpy()[:2, :2]
    stat = diff @ np.linalg.solve(dv, diff)
    assert h.stat == pytest.approx(stat, rel=1e-8) and h.df == 2
    assert h.p_value == pytest.approx(stats.chi2.sf(stat, 2), rel=1e-8)
    assert np.isfinite(h.robust_stat) and h.robust_df == 2
    assert list(h.tidy()["term"]) == ["hausman_classic", "hausman_robust"]
    assert "robust" in h.summary() and h.to_dict()["kind"] == "hausman"


def test_hausman_rejects_with_correlated_effects_only():
    bad = hausman_test(_sim(corr=1.0, seed=1), "y", "dose", "id", "year")
    assert bad.p_value < 1e-4 and bad.robust_p_value < 1e-4
    ok = hausman_test(_sim(corr=0.0, seed=1), "y", "dose", "id", "year")
    assert ok.robust_p_value > 0.05 and ok.p_value > 0.05


def test_classic_hausman_needs_fe_and_re(jobs):
    fe = dose_response(jobs, "lscrap", "grant", "fcode", "year", cov_type="unadjusted")
    with pytest.raises(Exception, match="compares a model='fe'"):
        classic_hausman(fe, fe)
    ax = plot_dose_response([fe])
    assert len(ax.get_yticklabels()) == 1
