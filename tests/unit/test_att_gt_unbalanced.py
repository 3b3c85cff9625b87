"""att_gt / aggte on unbalanced panels whose design leaves some ATT(g, t) cells without data.

With ``allow_unbalanced_panel=True`` each cell uses the units observed in both of its periods.
A cohort of late entrants (firms that entered the panel after some of its pre-periods) has no
unit observed in its early pre-period cells; a period in which no comparison unit is observed
leaves the cells that use it without comparison group. R ``did`` reports such cells as NA; so do
we (NaN estimate and standard error, zero influence-function column, one DataWarning), and
``aggte`` leaves them out of estimates only as its ``na_rm`` rule allows.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from evalkit.did import aggte, att_gt
from evalkit.errors import DataWarning, DesignError
from evalkit.synth.dgp import simulate_staggered

COVS = ["x1", "x2"]
LATE = 2022          # cohort whose firms all enter the panel in 2019


def fit(data, **kw):
    kw.setdefault("covariates", COVS)
    return att_gt(data, "y", "year", "id", "g", allow_unbalanced_panel=True, **kw)


def quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return fn(*args, **kw)


@pytest.fixture(scope="module")
def panels():
    data, truth = simulate_staggered(n_units=3000, seed=11, balanced=False)
    # every unit keeps its 2020 row (generator: exits happen in the second half), so removing
    # the late cohort's rows before 2019 keeps the set of units unchanged
    late = data[~((data.g == LATE) & (data.year < 2019))].reset_index(drop=True)
    return data, late, truth


def cell(res, g, t):
    return int(np.flatnonzero((res.group == g) & (res.time == t))[0])


@pytest.mark.parametrize("est_method", ["dr", "reg", "ipw"])
def test_late_entrant_pre_cells_are_missing_with_one_warning(panels, est_method):
    data, late, _ = panels
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fit(late, est_method=est_method)
    msgs = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert len(msgs) == 1, msgs
    # varying base: cells (2022, t) for t = 2016..2019 need a 2022 firm in t - 1 <= 2018
    gone = [(LATE, t) for t in (2016, 2017, 2018, 2019)]
    for g, t in gone:
        assert f"ATT({g},{t})" in msgs[0]
    assert f"4 of {res.att.size} ATT(g,t) cells" in msgs[0]
    miss = [cell(res, g, t) for g, t in gone]
    assert np.isnan(res.att[miss]).all() and np.isnan(res.se[miss]).all()
    assert np.all(res.inf_func[:, miss] == 0.0)
    assert [(d["group"], d["time"]) for d in res.provenance["cells_not_estimable"]] == gone
    # every other cell is exactly what the panel with the early rows gives (they use no row
    # that was removed), and the same units are kept
    full = fit(data, est_method=est_method)
    ok = np.setdiff1d(np.arange(res.att.size), miss)
    assert res.n_units == full.n_units == 3000
    np.testing.assert_allclose(res.att[ok], full.att[ok], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res.se[ok], full.se[ok], rtol=1e-12)
    np.testing.assert_allclose(res.inf_func[:, ok], full.inf_func[:, ok], atol=1e-10)
    assert np.all(np.isfinite(res.att[ok]))


def test_aggte_skips_missing_pre_cells_by_default(panels):
    data, late, _ = panels
    res = quiet(fit, late)
    full = quiet(fit, data)
    # simple and group use only post-treatment cells: no warning, identical to the full panel
    for type_ in ("simple", "group"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            a = aggte(res, type_)
        b = aggte(full, type_)
        assert a.overall_att == pytest.approx(b.overall_att, rel=1e-12)
        assert a.overall_se == pytest.approx(b.overall_se, rel=1e-10)
        np.testing.assert_allclose(a.att_egt, b.att_egt, rtol=1e-12)
    # dynamic: pre-period event times average the cohorts that could be estimated
    with pytest.warns(DataWarning, match=r"ATT\(2022,2016\)"):
        dyn = aggte(res, "dynamic")
    ref = aggte(full, "dynamic")
    assert dyn.overall_att == pytest.approx(ref.overall_att, rel=1e-12)
    assert dyn.overall_se == pytest.approx(ref.overall_se, rel=1e-10)
    post = dyn.egt >= 0
    np.testing.assert_allclose(dyn.att_egt[post], ref.att_egt[ref.egt >= 0], rtol=1e-12)
    # e = -6 (2016 vs 2015 for cohort 2022) had only cohort 2022: it is gone
    assert -6 in ref.egt and -6 not in dyn.egt
    # e = -3 mixes cohorts 2020 (2017) and 2022 (2019): now cohort 2020 alone
    e3 = res.att[cell(res, 2020, 2017)]
    assert dyn.att_egt[list(dyn.egt).index(-3)] == pytest.approx(e3, rel=1e-12)
    assert dyn.options["cells_left_out"] == [f"ATT({LATE},{t})" for t in range(2016, 2020)]
    assert np.all(np.isfinite(dyn.se_egt))
    # R's default (na_rm=False) refuses
    with pytest.raises(DesignError, match=r"ATT\(2022,2016\).*na_rm=True"):
        aggte(res, "dynamic", na_rm=False)
    # restricting the window to event times without missing cells needs nothing
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        aggte(res, "dynamic", min_e=-2, na_rm=False)


def test_missing_post_cell_is_an_error_unless_na_rm(panels):
    data, _, _ = panels
    gap = data[~((data.g == 2018) & (data.year == 2024))]
    with pytest.warns(DataWarning, match=r"ATT\(2018,2024\)"):
        res = fit(gap)
    k = cell(res, 2018, 2024)
    assert np.isnan(res.att[k])
    for type_ in ("simple", "group", "dynamic", "calendar"):
        with pytest.raises(DesignError, match=r"ATT\(2018,2024\).*na_rm=True"):
            aggte(res, type_)
    with pytest.warns(DataWarning, match="left out 1 missing"):
        simple = aggte(res, "simple", na_rm=True)
    # the overall is the cohort-size-weighted mean of the remaining post cells
    post = (res.time >= res.group) & np.isfinite(res.att)
    pg = np.array([np.mean(res.unit_group == g) for g in res.group[post]])
    assert simple.overall_att == pytest.approx(np.dot(pg, res.att[post]) / pg.sum(), rel=1e-12)
    assert np.isfinite(simple.overall_se) and simple.overall_se > 0
    # its influence function still averages to zero and gives its standard error
    assert abs(simple.inf_func_overall.mean()) < 1e-10
    assert simple.overall_se == pytest.approx(
        np.sqrt(np.mean(simple.inf_func_overall ** 2) / res.n_units), rel=1e-12)
    # a window that excludes the missing cell needs nothing
    grp = aggte(res, "group", max_e=5)
    assert np.isfinite(grp.overall_att)


def test_period_without_comparison_units(panels):
    data, _, _ = panels
    hole = data[~((data.g == 0) & (data.year == 2015))]
    with pytest.warns(DataWarning, match="no comparison unit observed in both 2015 and 2016"):
        res = fit(hole, est_method="reg")
    miss = np.flatnonzero(np.isnan(res.att))
    assert sorted(zip(res.group[miss].tolist(), res.time[miss].tolist(), strict=True)) == [
        (2018, 2016), (2020, 2016), (2022, 2016)]
    assert np.all(res.inf_func[:, miss] == 0.0)
    simple = aggte(res, "simple")
    assert np.isfinite(simple.overall_att)


def test_missing_cells_with_bootstrap_and_uniform_band(panels):
    _, late, _ = panels
    res = quiet(fit, late, est_method="reg", bstrap=True, cband=True, biters=199, seed=4)
    miss = np.isnan(res.att)
    assert miss.sum() == 4 and np.isnan(res.se[miss]).all()
    assert np.all(np.isfinite(res.se[~miss])) and np.isfinite(res.crit_val)
    assert res.crit_val >= 1.96
    dyn = quiet(aggte, res, "dynamic")
    assert dyn.options["reused_att_gt_draws"] and np.isfinite(dyn.crit_val_egt)
    assert np.all(np.isfinite(dyn.se_egt))


def test_not_yet_treated_late_entrants(panels):
    _, late, truth = panels
    res = quiet(fit, late, control_group="notyettreated")
    ok = np.isfinite(res.att)
    assert (~ok).sum() == 4
    true = np.array([truth["att_gt"][(g, t)] for g, t in zip(res.group[ok], res.time[ok],
                                                              strict=True)])
    z = (res.att[ok] - true) / res.se[ok]
    assert np.mean(np.abs(z) < 3) > 0.9
    assert np.isfinite(aggte(res, "group").overall_att)


# ----- the fast paths compute the same numbers -------------------------------------------------
# (kept here with the other engine-level checks of att_gt's data handling)

@pytest.mark.parametrize("control_group", ["nevertreated", "notyettreated"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
def test_reg_from_cohort_grams_equals_cell_by_cell(monkeypatch, control_group, base_period):
    import sys

    engine = sys.modules["evalkit.did.compute_att_gt"]
    data, _ = simulate_staggered(n_units=1500, seed=21)
    data["wt"] = 0.5 + (data.id % 5) / 4
    data["area"] = data.id % 30
    # a time-varying covariate: each cell uses its earlier period's values
    data["xv"] = data.x1 + 0.1 * (data.year - 2015) * data.x2
    kw = dict(covariates=["xv", "x2"], est_method="reg", control_group=control_group,
              base_period=base_period, weights="wt", clustervars=["area"], anticipation=1)
    fast = att_gt(data, "y", "year", "id", "g", **kw)
    monkeypatch.setattr(engine, "_REG_BY_GRAM", False)
    slow = att_gt(data, "y", "year", "id", "g", **kw)
    np.testing.assert_allclose(fast.att, slow.att, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(fast.se, slow.se, rtol=1e-10)
    np.testing.assert_allclose(fast.inf_func, slow.inf_func, rtol=0,
                               atol=1e-10 * np.abs(slow.inf_func).max())


def test_reg_gram_path_reports_singular_design_with_the_cell():
    data, _ = simulate_staggered(n_units=600, seed=2)
    data["dup"] = 2.0 * data.x1
    with pytest.raises(DesignError, match=r"ATT\(g=2018, t=2016\).*singular"):
        att_gt(data, "y", "year", "id", "g", covariates=["x1", "dup"], est_method="reg")


def test_multiplier_draws_match_float64_products_and_weight_moments():
    from evalkit.did.bootstrap import _draw_block, multiplier_draws

    rng = np.random.default_rng(0)
    inf = rng.standard_normal((5000, 4)) * np.array([1e-3, 1.0, 1e3, 1e6])
    inf[:, 1] = 0.0                                   # a degenerate column stays exactly zero
    inf[:100] = 0.0                                   # rows without influence get no weights
    for kind in ("mammen", "rademacher"):
        bres, n_c = multiplier_draws(inf, np.random.default_rng(5), 64, None, kind)
        assert n_c == 5000 and np.all(bres[:, 1] == 0.0)
        # one block of 64 draws, drawn by a generator seeded from the caller's
        seed = int(np.random.default_rng(5).integers(0, 2**63 - 1, size=1, dtype=np.int64)[0])
        V = _draw_block(np.random.default_rng(seed), (64, 4900), kind)
        ref = V @ inf[100:] / np.sqrt(5000)
        ok = [0, 2, 3]
        scale = np.abs(ref[:, ok]).max(axis=0)
        assert np.max(np.abs(bres[:, ok] - ref[:, ok]) / scale) < 2e-5
        W = _draw_block(np.random.default_rng(6), (400, 5000), kind).ravel()
        assert abs(W.mean()) < 0.005 and abs(W.var() - 1) < 0.005
        if kind == "mammen":
            assert abs(np.mean(W ** 3) - 1) < 0.02
            assert np.mean(W < 0) == pytest.approx((5 ** 0.5 + 1) / (2 * 5 ** 0.5), abs=0.003)
        else:
            assert set(np.unique(W)) == {-1.0, 1.0}


def test_bootstrap_draws_do_not_depend_on_threads(monkeypatch):
    from evalkit.did.bootstrap import multiplier_draws

    inf = np.random.default_rng(1).standard_normal((3000, 3))
    runs = []
    for threads in ("1", "3"):
        monkeypatch.setenv("EVALKIT_THREADS", threads)
        runs.append(multiplier_draws(inf, np.random.default_rng(9), 200, None, "mammen",
                                     block_elems=3000 * 16)[0])
    np.testing.assert_array_equal(runs[0], runs[1])
