"""The pre-trend test on real panels agrees with independent implementations.

TWFE event study (``evalkit.did.twfe.twfe_event_study``) + joint Wald pre-trend test
(``evalkit.robust.pretrends.pretrend_test``) on mpdta (500 US counties, 2003-2007, ``lemp``;
R ``did``) and ehec (46 states, 2008-2019, ``dins``; R ``HonestDiD`` README), against

* statsmodels OLS of the outcome on a constant, unit dummies, period dummies and the
  relative-time dummies (built here, independently of ``relative_time_design``), cluster-robust
  covariance by unit, Wald test ``results.wald_test(R, cov_p=..., use_f=False)``;
* linearmodels ``PanelOLS(entity_effects=True, time_effects=True)`` fitted directly, clustered by
  entity, ``results.wald_test(formula="lead4 = 0, lead3 = 0, ...")``. (evalkit's ``panelols``
  path also calls PanelOLS; its ``fast`` path demeans by alternating projections and is
  independent of both.)

Small-sample convention: evalkit uses fixest's CR1 ``G/(G-1) (n-1)/(n-K)`` with ``K`` = event
dummies + number of periods (unit effects are nested in the unit clusters and not counted, see
``evalkit/did/twfe.py``). statsmodels (``use_correction=False``) and linearmodels
(``debiased=False, auto_df=False, count_effects=False``: its ``extra_df`` scaling applies even
without ``debiased``) report the unscaled sandwich; we multiply by the same factor (statsmodels'
own correction would count all unit dummies in ``K``). With the same covariance the Wald
statistics agree to 1e-8 (relative) and the p-values to 1e-10.

Callaway & Sant'Anna on mpdta: the pre-period part of ``aggte(type="dynamic")`` is tested with
``b' V^{-1} b``, ``V = IF'IF / n^2`` from the aggregation's influence functions (computed by hand
here), and the standard errors on its diagonal are R ``did``'s (mpdta_expected.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels import PanelOLS
from scipy import stats

from evalkit.did import aggte, att_gt
from evalkit.did.twfe import twfe_event_study
from evalkit.robust.pretrends import pretrend_test

HERE = Path(__file__).parent
RTOL = 1e-8

PANELS = {
    # name: (file, outcome, period, unit, cohort column)
    "mpdta": ("mpdta.csv", "lemp", "year", "countyreal", "first.treat"),
    "ehec": ("ehec.csv", "dins", "year", "stfips", "yexp2"),
}


def _load(name: str) -> tuple[pd.DataFrame, str, str, str, str]:
    file, y, t, i, g = PANELS[name]
    df = pd.read_csv(HERE / file)
    df[g] = df[g].fillna(0)  # ehec: never-expanding states have NA
    return df[[i, t, y, g]].copy(), y, t, i, g


def _relative_dummies(df: pd.DataFrame, t: str, g: str, ref: int = -1
                      ) -> tuple[pd.DataFrame, list[int]]:
    """1[t - g = e] for treated units, e over every observed relative time except ``ref``
    (no binning needed: every observed relative time gets its own dummy)."""
    treated = df[g].to_numpy() > 0
    e = np.where(treated, df[t].to_numpy() - df[g].to_numpy(), np.nan)
    events = sorted(int(v) for v in np.unique(e[treated]) if v != ref)
    names = {v: (f"lead{-v}" if v < 0 else f"lag{v}") for v in events}
    x = pd.DataFrame({names[v]: (e == v).astype(float) for v in events}, index=df.index)
    return x, events


def _cr1_factor(n: int, n_clusters: int, k: int) -> float:
    return n_clusters / (n_clusters - 1) * (n - 1) / (n - k)


@pytest.fixture(scope="module", params=sorted(PANELS))
def panel(request):
    df, y, t, i, g = _load(request.param)
    x, events = _relative_dummies(df, t, g)
    pre = [nm for nm, v in zip(x.columns, events, strict=True) if v < 0]
    n, n_t, n_g = len(df), df[t].nunique(), df[i].nunique()
    factor = _cr1_factor(n, n_g, len(events) + n_t)
    return {"name": request.param, "df": df, "y": y, "t": t, "i": i, "g": g, "x": x,
            "events": events, "pre": pre, "factor": factor}


def _statsmodels_wald(p) -> tuple[float, float, np.ndarray]:
    df, x = p["df"], p["x"]
    unit = pd.get_dummies(df[p["i"]], prefix="u", drop_first=True, dtype=float)
    year = pd.get_dummies(df[p["t"]], prefix="t", drop_first=True, dtype=float)
    exog = sm.add_constant(pd.concat([x, unit, year], axis=1))
    res = sm.OLS(df[p["y"]], exog).fit(cov_type="cluster",
                                      cov_kwds={"groups": df[p["i"]].to_numpy(),
                                                "use_correction": False})
    cov = res.cov_params().to_numpy() * p["factor"]
    r = np.zeros((len(p["pre"]), exog.shape[1]))
    for row, nm in enumerate(p["pre"]):
        r[row, exog.columns.get_loc(nm)] = 1.0
    w = res.wald_test(r, cov_p=cov, use_f=False, scalar=True)
    return float(w.statistic), float(w.pvalue), res.params[p["pre"]].to_numpy()


def _linearmodels_wald(p) -> tuple[float, np.ndarray]:
    df, x = p["df"], p["x"]
    data = x.copy()
    data["y"] = df[p["y"]].to_numpy()
    data.index = pd.MultiIndex.from_arrays([df[p["i"]].to_numpy(), df[p["t"]].to_numpy()])
    res = PanelOLS(data["y"], data[list(x.columns)], entity_effects=True,
                   time_effects=True).fit(cov_type="clustered", cluster_entity=True,
                                          debiased=False, auto_df=False, count_effects=False,
                                          group_debias=False)
    w = res.wald_test(formula=", ".join(f"{nm} = 0" for nm in p["pre"]))
    # unscaled sandwich -> the statistic under the CR1-scaled covariance is W / factor
    return float(w.stat) / p["factor"], res.params[p["pre"]].to_numpy()


@pytest.mark.parametrize("method", ["panelols", "fast"])
def test_twfe_pretrend_wald_equals_statsmodels_and_linearmodels(panel, method):
    p = panel
    es = twfe_event_study(p["df"], p["y"], p["t"], p["i"], p["g"], method=method)
    assert [int(e) for e in es.event] == p["events"]
    pt = pretrend_test(es)
    assert pt.event.tolist() == [v for v in p["events"] if v < 0]
    assert pt.df == len(p["pre"])

    sm_stat, sm_p, sm_b = _statsmodels_wald(p)
    lm_stat, lm_b = _linearmodels_wald(p)
    np.testing.assert_allclose(pt.estimate, sm_b, rtol=0, atol=1e-10)
    np.testing.assert_allclose(pt.estimate, lm_b, rtol=0, atol=1e-10)
    assert pt.stat == pytest.approx(sm_stat, rel=RTOL)
    assert pt.stat == pytest.approx(lm_stat, rel=RTOL)
    assert pt.p_value == pytest.approx(sm_p, rel=1e-8, abs=1e-10)
    assert pt.p_value == pytest.approx(float(stats.chi2.sf(lm_stat, pt.df)), rel=1e-8, abs=1e-10)


# measured on mpdta (lemp, leads -4..-2, reference -1): evalkit (both paths), statsmodels and
# linearmodels all give chi2(3) = 4.894696834 (p = 0.17967236); ehec (dins, leads -11..-2):
# chi2(10) = 269.9918396 (p = 3.3578e-52)
MPDTA_TWFE_STAT = 4.89469683446471
MPDTA_TWFE_P = 0.1796723610604698


def test_twfe_pretrend_numbers_are_the_ones_reported():
    """Pins the value all three implementations gave (catches a change of the convention, e.g.
    counting the 499 nested unit effects in K, which lowers the statistic by 20 %)."""
    df, y, t, i, g = _load("mpdta")
    pt = pretrend_test(twfe_event_study(df, y, t, i, g))
    assert pt.df == 3
    assert pt.stat == pytest.approx(MPDTA_TWFE_STAT, rel=1e-6)
    assert pt.p_value == pytest.approx(MPDTA_TWFE_P, rel=1e-5)


EXPECTED = json.loads((HERE / "mpdta_expected.json").read_text())


@pytest.mark.parametrize("spec_name", ["unconditional_never", "lpop_dr_notyet"])
def test_cs_dynamic_pretrend_equals_hand_computation(spec_name):
    spec = EXPECTED[spec_name]["spec"]
    df = pd.read_csv(HERE / "mpdta.csv")
    res = att_gt(df, spec["yname"], spec["tname"], spec["idname"], spec["gname"],
                 covariates=spec["covariates"], control_group=spec["control_group"],
                 est_method=spec["est_method"], base_period=spec["base_period"], bstrap=False)
    agg = aggte(res, type="dynamic")
    pt = pretrend_test(agg)

    pre = agg.egt < 0
    b = np.asarray(agg.att_egt)[pre]
    inf = np.asarray(agg.inf_func_egt)[:, pre]
    n = inf.shape[0]
    assert n == 500
    v = inf.T @ inf / n ** 2
    stat = float(b @ np.linalg.inv(v) @ b)
    assert pt.pre_kind == "differences"
    assert pt.event.tolist() == agg.egt[pre].astype(int).tolist() == [-3, -2, -1]
    assert pt.stat == pytest.approx(stat, rel=RTOL)
    assert pt.p_value == pytest.approx(float(stats.chi2.sf(stat, 3)), rel=1e-8, abs=1e-12)
    # the covariance is R did's: its diagonal gives the published standard errors
    by = pd.DataFrame(EXPECTED[spec_name]["dynamic"]["by"]).set_index("key")
    np.testing.assert_allclose(np.sqrt(np.diag(v)), by.loc[[-3, -2, -1], "se"], atol=1e-6)
    np.testing.assert_allclose(b, by.loc[[-3, -2, -1], "att"], atol=1e-6)
