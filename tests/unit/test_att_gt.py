"""Unit tests of att_gt / aggte / the known-truth generator: options, errors, unbalanced panels,
bootstrap, clustering and results objects."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.did import aggte, att_gt, plot_event_study
from evalkit.did.results import se_from_inf_func
from evalkit.errors import (
    ConfigError,
    DataError,
    DataWarning,
    DesignError,
    IdentificationError,
)
from evalkit.synth.dgp import simulate_staggered

COVS = ["x1", "x2"]


@pytest.fixture(scope="module")
def panel():
    data, truth = simulate_staggered(n_units=1200, seed=5)
    return data, truth


def fit(data, **kw):
    return att_gt(data, "y", "year", "id", "g", **kw)


# ----- the generator ------------------------------------------------------------------------

def test_generator_is_deterministic_and_has_known_truth(panel):
    data, truth = panel
    again, truth2 = simulate_staggered(n_units=1200, seed=5)
    pd.testing.assert_frame_equal(data, again)
    assert truth == truth2
    other, _ = simulate_staggered(n_units=1200, seed=6)
    assert not np.allclose(other.y.to_numpy(), data.y.to_numpy())
    # truth = sample mean of y - y0 by cohort and year; zero before adoption
    d = data.assign(tau=data.y - data.y0)
    for (g, t), v in truth["att_gt"].items():
        assert v == pytest.approx(d[(d.g == g) & (d.year == t)].tau.mean(), abs=1e-12)
        if t < g:
            assert v == 0.0
    # effects differ by cohort and event time
    assert len({round(v, 6) for v in truth["group"].values()}) == 3
    assert truth["dynamic"][3] > truth["dynamic"][0] > 0
    sizes = truth["group_size"]
    post = [(g, t) for (g, t) in truth["att_gt"] if t >= g]
    simple = sum(sizes[g] * truth["att_gt"][c] for c in post for g in [c[0]]) / sum(
        sizes[g] for g, _ in post)
    assert truth["simple"] == pytest.approx(simple)


def test_generator_selection_breaks_unconditional_parallel_trends():
    data, _ = simulate_staggered(n_units=4000, seed=2, selection=1.5)
    means = data.groupby("g")[["x1", "x2"]].mean()
    assert means.x2.max() - means.x2.min() > 0.3


def test_generator_unbalanced_removes_rows():
    data, _ = simulate_staggered(n_units=300, seed=1, balanced=False)
    counts = data.groupby("id").size()
    assert counts.min() >= 2 and counts.max() == 10 and (counts < 10).sum() > 50


# ----- estimates close to the truth -------------------------------------------------------

def test_dr_recovers_truth(panel):
    data, truth = panel
    res = fit(data, covariates=COVS)
    for g, t, a, s in zip(res.group, res.time, res.att, res.se, strict=True):
        assert abs(a - truth["att_gt"][(g, t)]) < 5 * s


# ----- option validation and design errors -------------------------------------------------

def test_bad_option_lists_allowed_values(panel):
    with pytest.raises(ConfigError, match=r"'nevertreated', 'notyettreated'.*'never'"):
        fit(panel[0], control_group="never")
    with pytest.raises(ConfigError, match="est_method"):
        fit(panel[0], est_method="ols")


def test_unknown_column(panel):
    with pytest.raises(DataError, match="'x9'") as err:
        fit(panel[0], covariates=["x9"])
    assert err.value.location.column == "x9"


def test_non_integer_periods(panel):
    d = panel[0].assign(year=panel[0].year + 0.5)
    with pytest.raises(DataError, match="whole numbers"):
        fit(d)


def test_unit_switching_cohort(panel):
    d = panel[0].copy()
    d.loc[d.index[3], "g"] = 2020 if d.loc[d.index[3], "g"] != 2020 else 2018
    with pytest.raises(DataError, match="switches cohort"):
        fit(d)


def test_duplicate_rows(panel):
    d = pd.concat([panel[0], panel[0].iloc[[0]]])
    with pytest.raises(DataError, match="more than one row"):
        fit(d)


def test_cohort_without_pre_period_names_the_cohort(panel):
    d = panel[0].copy()
    d.loc[d.g == 2018, "g"] = 2015
    with pytest.raises(DesignError, match=r"2015.*no pre-treatment period"):
        fit(d)


def test_no_never_treated(panel):
    d = panel[0][panel[0].g > 0]
    with pytest.raises(DesignError, match="notyettreated"):
        fit(d)
    with pytest.warns(DataWarning, match="last cohort"):
        res = fit(d, control_group="notyettreated")
    assert set(res.group) == {2018, 2020} and res.time.max() < 2022


def test_overlap_violation():
    data, _ = simulate_staggered(n_units=400, seed=3)
    # a covariate that perfectly separates cohort 2018 from the never-treated
    data["sep"] = np.where(data.g == 2018, 1.0, 0.0) + 0.01 * (data.id % 7)
    with pytest.raises(IdentificationError, match="cohort 2018"):
        fit(data, covariates=["sep"], est_method="dr")
    res = fit(data[data.g != 2018], covariates=["sep"], est_method="reg")
    assert np.isfinite(res.att).all()


# ----- unbalanced panels --------------------------------------------------------------------

def test_unbalanced_default_balances_with_warning():
    data, _ = simulate_staggered(n_units=800, seed=4, balanced=False)
    n_full = int((data.groupby("id").size() == 10).sum())
    with pytest.warns(DataWarning, match=f"dropped {800 - n_full} of 800 units"):
        res = fit(data, covariates=COVS)
    full_ids = data.groupby("id").size().loc[lambda s: s == 10].index
    bal = fit(data[data.id.isin(full_ids)], covariates=COVS)
    np.testing.assert_allclose(res.att, bal.att)
    assert res.n_units == n_full


def test_allow_unbalanced_panel():
    data, truth = simulate_staggered(n_units=3000, seed=8, balanced=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = fit(data, covariates=COVS, allow_unbalanced_panel=True)
    assert res.n_units == 3000
    assert np.all(np.abs(res.inf_func.mean(axis=0)) < 1e-10)
    z = (res.att - np.array([truth["att_gt"][(g, t)] for g, t in zip(res.group, res.time,
                                                                      strict=True)])) / res.se
    assert np.mean(np.abs(z) < 3) > 0.9
    # on a balanced panel the option changes nothing
    bal, _ = simulate_staggered(n_units=500, seed=8)
    np.testing.assert_allclose(fit(bal, covariates=COVS, allow_unbalanced_panel=True).se,
                               fit(bal, covariates=COVS).se, rtol=1e-12)


# ----- inference -----------------------------------------------------------------------------

def test_bootstrap_is_seeded_and_uniform_band_wider(panel):
    data = panel[0]
    # 1999 draws: the IQR-scale SE then has Monte Carlo error ~2.5 %, so rtol 0.15 is ~6 of them
    a = fit(data, covariates=COVS, bstrap=True, cband=True, biters=1999, seed=3)
    b = fit(data, covariates=COVS, bstrap=True, cband=True, biters=1999, seed=3)
    c = fit(data, covariates=COVS, bstrap=True, cband=True, biters=1999, seed=4)
    np.testing.assert_array_equal(a.se, b.se)
    assert a.crit_val == b.crit_val and a.crit_val != c.crit_val
    assert a.crit_val >= 1.96
    analytic = fit(data, covariates=COVS)
    np.testing.assert_allclose(a.se, analytic.se, rtol=0.15)
    agg = aggte(a, type="dynamic")
    assert agg.options["reused_att_gt_draws"]
    assert agg.crit_val_egt >= 1.96
    agg2 = aggte(b, type="dynamic")
    np.testing.assert_array_equal(agg.se_egt, agg2.se_egt)
    np.testing.assert_allclose(agg.se_egt, aggte(analytic, type="dynamic").se_egt, rtol=0.15)
    # fresh draws when a different seed is asked for
    assert not aggte(a, type="dynamic", seed=99).options["reused_att_gt_draws"]


def test_rademacher_weights(panel):
    r = fit(panel[0], bstrap=True, biters=299, seed=1, bootstrap_weights="rademacher")
    np.testing.assert_allclose(r.se, fit(panel[0]).se, rtol=0.2)
    with pytest.raises(ConfigError):
        fit(panel[0], bstrap=True, bootstrap_weights="normal")


def test_clustering(panel):
    data = panel[0].assign(area=panel[0].id % 40)
    unit = fit(data, covariates=COVS)
    same = fit(data, covariates=COVS, clustervars=["id"])
    np.testing.assert_array_equal(unit.se, same.se)
    clus = fit(data, covariates=COVS, clustervars=["area"])
    np.testing.assert_array_equal(clus.att, unit.att)
    codes = pd.factorize(pd.Series(clus.unit_ids) % 40, sort=True)[0]
    sums = pd.DataFrame(clus.inf_func).groupby(codes).sum().to_numpy()
    np.testing.assert_allclose(clus.se, np.sqrt((sums ** 2).sum(0)) / clus.n_units)
    assert not np.allclose(clus.se, unit.se)
    boot = fit(data, covariates=COVS, clustervars=["area"], bstrap=True, biters=999, seed=2)
    np.testing.assert_allclose(boot.se, clus.se, rtol=0.2)
    bad = data.copy()
    bad.loc[bad.index[1], "area"] = 99
    with pytest.raises(DataError, match="moves between clusters"):
        fit(bad, clustervars=["area"])


def test_se_from_inf_func_matches_r_formula():
    rng = np.random.default_rng(0)
    inf = rng.normal(size=(50, 3))
    np.testing.assert_allclose(se_from_inf_func(inf), np.sqrt((inf ** 2).mean(0) / 50))


# ----- results objects ----------------------------------------------------------------------

def test_results_objects(panel):
    res = fit(panel[0], covariates=COVS, control_group="notyettreated")
    tidy = res.tidy()
    assert list(tidy.columns[:6]) == ["term", "estimate", "std_error", "conf_low", "conf_high",
                                      "p_value"]
    assert {"group", "time", "event"} <= set(tidy.columns)
    assert tidy.term.iloc[0] == "ATT(2018,2016)"
    assert "notyettreated" in res.summary()
    d = res.to_dict()
    json.dumps(d)
    assert "inf_func" not in d and "inf_func" in res.to_dict(include_inf_func=True)
    assert res.provenance["n_units"] == 1200 and "evalkit_version" in res.provenance
    with pytest.raises(AttributeError):
        res.att = None
    for kind, col in (("group", "group"), ("dynamic", "event"), ("calendar", "time")):
        agg = aggte(res, type=kind)
        t = agg.tidy()
        assert t.term.iloc[0] == "overall" and col in t.columns
        json.dumps(agg.to_dict())
        assert kind in agg.summary()
    with pytest.raises(ConfigError):
        aggte(res, type="cohort")


def test_aggte_windows(panel):
    res = fit(panel[0])
    dyn = aggte(res, type="dynamic", min_e=-2, max_e=3)
    assert dyn.egt.tolist() == [-2, -1, 0, 1, 2, 3]
    bal = aggte(res, type="dynamic", balance_e=3)
    # only cohorts observed >= 3 periods after adoption (2018, 2020) enter; e up to 3
    assert bal.egt.max() == 3
    full = aggte(res, type="dynamic")
    assert bal.att_egt[bal.egt.tolist().index(0)] != full.att_egt[full.egt.tolist().index(0)]


def test_plot_event_study(panel):
    import matplotlib

    matplotlib.use("Agg")
    res = fit(panel[0], bstrap=True, cband=True, biters=199, seed=1)
    ax = plot_event_study(aggte(res, type="dynamic"))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["pre-treatment", "post-treatment"]
    with pytest.raises(ConfigError):
        plot_event_study(aggte(res, type="group"))


def test_covariate_units_do_not_make_a_design_singular():
    # Regression: singularity was judged on the unscaled Gram matrix, so a covariate in yuan
    # (1e8 x) next to a 0/1 dummy was called collinear. Results must not depend on units.
    df = pd.read_csv(Path(__file__).parents[1] / "reference" / "mpdta.csv")
    df["d"] = (df["countyreal"] % 2).astype(float)
    base = att_gt(df.assign(x=df["lpop"]), "lemp", "year", "countyreal", "first.treat",
                  covariates=["x", "d"], est_method="reg")
    big = att_gt(df.assign(x=df["lpop"] * 1e8), "lemp", "year", "countyreal", "first.treat",
                 covariates=["x", "d"], est_method="reg")
    np.testing.assert_allclose(big.att, base.att, atol=1e-12)
    np.testing.assert_allclose(big.se, base.se, atol=1e-12)
    with pytest.raises(DesignError, match="singular"):
        att_gt(df.assign(x=df["lpop"], x2=2 * df["lpop"]), "lemp", "year", "countyreal",
               "first.treat", covariates=["x", "x2"], est_method="reg")
