"""Poisson ETWFE (evalkit.did.etwfe): cross-checks against the PyPI port of R etwfe and a dense
unit-fixed-effects Poisson fit, the ATTgtResult contract (aggte, LinearEstimate, total_effect),
and its errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.did import aggte
from evalkit.did.etwfe import etwfe
from evalkit.did.results import se_from_inf_func
from evalkit.errors import DataError, DataWarning, DesignError, EvalkitError
from evalkit.fiscal.effects import total_effect
from evalkit.fiscal.linear import LinearEstimate

MPDTA = Path(__file__).parents[1] / "reference" / "mpdta.csv"


@pytest.fixture(scope="module")
def mpdta():
    d = pd.read_csv(MPDTA)
    d["emp"] = np.exp(d["lemp"])
    return d


def _panel(n=300, T=6, seed=0, zero_share=0.3, never_share=0.4):
    """A small multiplicative panel: y = c_i exp(b_t + delta 1(t >= g)) e_it, with zeros."""
    rng = np.random.default_rng(seed)
    years = np.arange(2015, 2015 + T)
    g = rng.choice([0, 2017, 2019], size=n, p=[never_share, (1 - never_share) / 2,
                                               (1 - never_share) / 2])
    x = rng.normal(size=n) + 0.5 * (g > 0)
    c = np.exp(0.5 * x + rng.normal(scale=1.0, size=n))
    t = np.tile(years, n)
    gi = np.repeat(g, T)
    mu = np.repeat(c, T) * np.exp(0.05 * (t - 2015)) * np.exp(0.2 * ((gi > 0) & (t >= gi)))
    y = mu * rng.lognormal(-0.125, 0.5, size=mu.size) / (1 - zero_share)
    y[rng.random(mu.size) < zero_share] = 0.0
    return pd.DataFrame({"id": np.repeat(np.arange(1, n + 1), T), "year": t, "g": gi, "y": y,
                         "x": np.repeat(x, T)})


# -- against the PyPI etwfe package (a Python port of R etwfe on pyfixest) ---------------------

def _pyetwfe(data, fml, gvar, cgroup):
    pytest.importorskip("pyfixest")
    py = pytest.importorskip("etwfe")
    return py.etwfe(fml, tvar="year", gvar=gvar, data=data, vcov={"CRV1": "countyreal"},
                    family="poisson", cgroup=cgroup)


def _fixest_factor(res):
    G, N, K = res.n_units, res.n_obs, res.coef.size
    return G / (G - 1) * (N - 1) / (N - K)


@pytest.mark.parametrize("cgroup,covs", [("notyet", ["lpop"]), ("never", [])])
def test_matches_pypi_etwfe(mpdta, cgroup, covs):
    d = mpdta.rename(columns={"first.treat": "first_treat"})
    ours = etwfe(d, "emp", "year", "countyreal", "first_treat", covariates=covs,
                 control_group={"notyet": "notyettreated", "never": "nevertreated"}[cgroup])
    m = _pyetwfe(d, "emp ~ " + (" + ".join(covs) or "1"), "first_treat", cgroup)
    their = m.model_.coef()
    assert their.size == ours.coef.size
    # the treatment-cell coefficients, matched by (g, t)
    for k, (g, t) in enumerate(zip(ours.group, ours.time, strict=True)):
        name = [n for n in their.index
                if n.endswith(f"_gcat)[{g}]:C(__etwfe_tcat)[{t}]")]
        assert len(name) == 1
        assert ours.proportional[k] == pytest.approx(np.expm1(their[name[0]]), rel=1e-6,
                                                     abs=1e-8)
    factor = _fixest_factor(ours)
    kinds = {"event": ours.time - ours.group, "group": ours.group, "calendar": ours.time}
    for kind, key in kinds.items():
        tab = m.emfx(type=kind, post_only=False) if kind == "event" else m.emfx(type=kind)
        if kind == "event" and cgroup == "never":
            # the reference year g - 1 enters R's table as a zero effect; evalkit omits it
            assert tab.loc[tab["event"] == -1, "estimate"].abs().max() == 0
            tab = tab[tab["event"] != -1]
        col = {"event": "event", "group": "first_treat", "calendar": "year"}[kind]
        assert len(tab) == np.unique(key[ours.post | (kind == "event")]).size
        for row in tab.itertuples():
            val = getattr(row, col)
            sel = (key == val) & (ours.post | (kind == "event"))
            w = np.where(sel, ours.cell_size, 0.0)
            w /= w.sum()
            # pyfixest stops its IRLS at ~1e-9 relative; a near-zero average needs an abs term
            assert float(w @ ours.att) == pytest.approx(row.estimate, rel=1e-6, abs=1e-4)
            jg = ours.jacobian @ w
            se = np.sqrt(jg @ ours.vcov @ jg * factor)
            assert se == pytest.approx(row._3, rel=1e-4)      # std.error


# -- Wooldridge (2023): pooled Poisson with cohort dummies = Poisson with unit effects ----------

def test_equals_unit_fixed_effects_poisson_on_a_balanced_panel():
    import statsmodels.api as sm

    df = _panel(n=80, T=5, seed=3)
    ours = etwfe(df, "y", "year", "id", "g")
    units = pd.get_dummies(df["id"], prefix="u", drop_first=False).astype(float)
    years = pd.get_dummies(df["year"], prefix="t", drop_first=True).astype(float)
    cells = pd.DataFrame({f"d{g}_{t}": ((df["g"] == g) & (df["year"] == t)).astype(float)
                          for g, t in zip(ours.group, ours.time, strict=True)})
    X = pd.concat([units, years, cells], axis=1)
    fe = sm.GLM(df["y"], X, family=sm.families.Poisson()).fit(tol=1e-12)
    delta = fe.params[cells.columns].to_numpy()
    # statsmodels stops on a relative deviance change, evalkit on the Newton decrement
    np.testing.assert_allclose(ours.proportional, np.expm1(delta), rtol=1e-6, atol=1e-8)
    # the level-scale APE: exp(xb) - exp(xb - delta) averaged over the cohort's firms
    mu = fe.predict(X)
    for k, col in enumerate(cells.columns):
        on = cells[col].to_numpy() == 1
        assert ours.att[k] == pytest.approx(float(np.mean(mu[on] * -np.expm1(-delta[k]))),
                                            rel=1e-6)


# -- the ATTgtResult contract ----------------------------------------------------------------

def test_result_feeds_aggte_linear_estimate_and_total_effect():
    df = _panel(n=400, seed=1)
    res = etwfe(df, "y", "year", "id", "g", covariates=["x"])
    assert res.inf_func.shape == (400, res.att.size)
    assert list(res.unit_ids) == sorted(df["id"].unique())
    np.testing.assert_allclose(res.se, se_from_inf_func(res.inf_func))
    assert np.all(res.time >= res.group)               # not-yet-treated: post cells only
    for kind in ("simple", "group", "dynamic", "calendar"):
        agg = aggte(res, kind)
        assert np.isfinite(agg.overall_att) and agg.overall_se > 0
    simple = aggte(res, "simple")
    w = res.cell_size / res.cell_size.sum()
    assert simple.overall_att == pytest.approx(float(w @ res.att))
    cell = LinearEstimate.from_did(res, index=(2017, 2018))
    k = int(np.flatnonzero((res.group == 2017) & (res.time == 2018))[0])
    assert cell.estimate == res.att[k] and cell.se == pytest.approx(res.se[k])
    cells = [LinearEstimate.from_did(res, index=j) for j in range(res.att.size)]
    sizes = {2017: int((df.groupby("id")["g"].first() == 2017).sum()),
             2019: int((df.groupby("id")["g"].first() == 2019).sum())}
    tot = total_effect(cells, sizes, (2015, 2020))
    expect = sum(sizes[g] * a for g, a in zip(res.group, res.att, strict=True))
    assert tot.estimate == pytest.approx(expect)
    assert tot.se > 0


def test_never_treated_controls_add_pre_treatment_placebo_cells():
    df = _panel(n=400, seed=2)
    res = etwfe(df, "y", "year", "id", "g", control_group="nevertreated")
    cells = set(zip(res.group.tolist(), res.time.tolist(), strict=True))
    assert (2017, 2016) not in cells and (2019, 2018) not in cells     # reference years g - 1
    assert (2017, 2015) in cells and (2019, 2015) in cells
    dyn = aggte(res, "dynamic")
    assert (dyn.egt < 0).any() and -1 not in dyn.egt.tolist()


def test_no_covariates_ape_is_cell_mean_minus_counterfactual():
    df = _panel(n=300, seed=4)
    res = etwfe(df, "y", "year", "id", "g")
    for k, (g, t) in enumerate(zip(res.group, res.time, strict=True)):
        ybar = df.loc[(df["g"] == g) & (df["year"] == t), "y"].mean()
        assert res.att[k] + res.counterfactual[k] == pytest.approx(ybar, rel=1e-9)
        assert res.att[k] / res.counterfactual[k] == pytest.approx(res.proportional[k],
                                                                   rel=1e-9)


def test_clustered_inference_sums_within_clusters():
    df = _panel(n=300, seed=5)
    df["region"] = (df["id"] % 7).astype(int)
    res = etwfe(df, "y", "year", "id", "g", cluster="region")
    assert res.cluster is not None and res.cluster.max() == 6
    np.testing.assert_allclose(res.se, se_from_inf_func(res.inf_func, res.cluster))
    labels = df.groupby("id")["region"].first().loc[res.unit_ids].astype(str).tolist()
    cell = LinearEstimate.from_did(res, index=0, firm_ids=labels)
    assert cell.se == pytest.approx(res.se[0])


def test_unbalanced_panel_uses_observed_rows():
    df = _panel(n=300, seed=6)
    drop = df.sample(frac=0.1, random_state=1).index
    res = etwfe(df.drop(index=drop), "y", "year", "id", "g")
    full = df.drop(index=drop)
    k = int(np.flatnonzero((res.group == 2017) & (res.time == 2019))[0])
    assert res.cell_size[k] == int(((full["g"] == 2017) & (full["year"] == 2019)).sum())
    with pytest.warns(DataWarning, match="unbalanced"):
        bal = etwfe(full, "y", "year", "id", "g", allow_unbalanced_panel=False)
    complete = full.groupby("id")["year"].size() == 6
    assert bal.n_units == int(complete.sum()) < res.n_units


def test_scale_equivariance():
    """Measuring the outcome in yuan or in 10,000 yuan changes the level effects by the same
    factor and leaves proportional effects alone."""
    df = _panel(n=300, seed=7)
    a = etwfe(df, "y", "year", "id", "g", covariates=["x"])
    df2 = df.assign(y=df["y"] * 1e4)
    b = etwfe(df2, "y", "year", "id", "g", covariates=["x"])
    np.testing.assert_allclose(b.att, a.att * 1e4, rtol=1e-8)
    np.testing.assert_allclose(b.se, a.se * 1e4, rtol=1e-6)
    np.testing.assert_allclose(b.proportional, a.proportional, rtol=1e-8, atol=1e-12)


# -- errors --------------------------------------------------------------------------------

def test_negative_outcome_is_a_data_error():
    df = _panel(n=100, seed=8)
    df.loc[5, "y"] = -1.0
    with pytest.raises(DataError, match="negative") as e:
        etwfe(df, "y", "year", "id", "g")
    assert "负值" in e.value.text("zh")


def test_all_zero_cell_is_fitted_at_zero():
    """A cell whose outcome is zero for every firm (a small cohort, a count outcome) has
    delta = -inf: the level ATT is minus the counterfactual mean, the proportional effect -1,
    and the other cells are as if the cell's rows were left out."""
    df = _panel(n=200, seed=9)
    cell = (df["g"] == 2019) & (df["year"] == 2020)
    df.loc[cell, "y"] = 0.0
    res = etwfe(df, "y", "year", "id", "g", covariates=["x"])
    k = int(np.flatnonzero((res.group == 2019) & (res.time == 2020))[0])
    assert res.proportional[k] == -1.0
    assert res.att[k] == pytest.approx(-res.counterfactual[k]) and res.att[k] < 0
    assert np.isfinite(res.se[k]) and res.se[k] > 0
    assert res.provenance["cells_all_zero"] == ["ATT(2019,2020)"]
    with pytest.warns(DataWarning, match="no firm observed"):
        rest = etwfe(df[~cell], "y", "year", "id", "g", covariates=["x"])
    assert np.isnan(rest.att[k]) and np.all(rest.inf_func[:, k] == 0)
    others = np.arange(res.att.size) != k
    np.testing.assert_allclose(res.att[others], rest.att[others], rtol=1e-8)


def test_all_zero_cohort_has_zero_effects_and_leaves_the_fit():
    """A cohort whose outcome is zero in every year (no R&D at all) adds nothing under
    proportional trends: effects 0 with no variance, proportional effects NaN, the other
    cells as if its firms were absent."""
    df = _panel(n=300, seed=15)
    df.loc[df["g"] == 2019, "y"] = 0.0
    with pytest.warns(DataWarning, match="cohort\\(s\\) 2019"):
        res = etwfe(df, "y", "year", "id", "g", covariates=["x"])
    k19 = res.group == 2019
    assert np.all(res.att[k19] == 0) and np.all(np.isnan(res.proportional[k19]))
    assert np.all(res.inf_func[:, k19] == 0) and res.provenance["cohorts_all_zero"] == [2019]
    rest = etwfe(df[df["g"] != 2019], "y", "year", "id", "g", covariates=["x"])
    np.testing.assert_allclose(res.att[~k19], rest.att, rtol=1e-8)
    assert np.isfinite(aggte(res, "simple").overall_att)


def test_cohort_without_positive_untreated_outcome_is_a_design_error():
    df = _panel(n=200, seed=9)
    df.loc[(df["g"] == 2019) & (df["year"] < 2019), "y"] = 0.0
    with pytest.raises(DesignError, match="cohort 2019") as e:
        etwfe(df, "y", "year", "id", "g")
    assert "无法识别" in e.value.text("zh")


def test_never_treated_controls_need_never_treated_firms():
    df = _panel(n=200, seed=10, never_share=0.0)
    with pytest.raises(DesignError, match="no never-treated"):
        etwfe(df, "y", "year", "id", "g", control_group="nevertreated")
    with pytest.warns(DataWarning, match="last cohort"):
        res = etwfe(df, "y", "year", "id", "g")
    assert set(res.group.tolist()) == {2017} and res.time.max() == 2018


def test_time_varying_covariate_is_refused():
    df = _panel(n=100, seed=11)
    df["x"] = df["x"] + df["year"] * 0.1
    with pytest.raises(DataError, match="constant within each firm"):
        etwfe(df, "y", "year", "id", "g", covariates=["x"])


def test_non_convergence_is_reported():
    df = _panel(n=100, seed=12)
    with pytest.raises(EvalkitError, match="did not converge") as e:
        etwfe(df, "y", "year", "id", "g", covariates=["x"], max_iter=1)
    assert "未收敛" in e.value.text("zh")


def test_separated_firm_years_leave_the_fit():
    """Firms singled out by a covariate and with zero outcomes in every year (separation):
    their fitted means go to 0, so they leave the fit (as fixest / ppmlhdfe drop them) and add
    zero effects to the cells they belong to."""
    df = _panel(n=300, seed=13)
    firms = df.groupby("id")["x"].first()
    big = firms > firms.quantile(0.8)
    df["big"] = df["id"].map(big.astype(float))
    df.loc[df["big"] == 1, "y"] = 0.0
    res = etwfe(df, "y", "year", "id", "g", covariates=["big"])
    assert res.provenance["rows_separated"] == int((df["big"] == 1).sum())
    rest = etwfe(df[df["big"] == 0], "y", "year", "id", "g")
    np.testing.assert_allclose(res.proportional, rest.proportional, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(res.att * res.cell_size, rest.att * rest.cell_size, rtol=1e-7)


def test_collinear_regressors_are_dropped_as_fixest_does():
    """A covariate that repeats another, and interactions that are zero for a one-firm cohort,
    are left out of the model (fixest removes collinear variables) and listed; the fit is the
    one without them."""
    df = _panel(n=300, seed=14)
    df["x2"] = 2 * df["x"]
    one = df["id"] == 1
    df.loc[one, "g"] = 2018                        # a cohort of one firm: x_dm is 0 there
    a = etwfe(df, "y", "year", "id", "g", covariates=["x"])
    b = etwfe(df, "y", "year", "id", "g", covariates=["x", "x2"])
    dropped_a = set(a.provenance["dropped_collinear"])
    assert {"g::2018:x", ".Dtreat:g::2018:year::2019:x_dm"} <= dropped_a
    assert not any("x2" in n for n in b.coef.index)
    assert set(b.provenance["dropped_collinear"]) - dropped_a == {n for n in b.provenance[
        "dropped_collinear"] if "x2" in n}
    np.testing.assert_allclose(b.att, a.att, rtol=1e-8)
    np.testing.assert_allclose(b.se, a.se, rtol=1e-6)
