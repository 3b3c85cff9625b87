"""Sun-Abraham interaction-weighted event study against diff-diff and known truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.did.sunab import sunab
from evalkit.did.twfe import twfe_event_study
from evalkit.errors import ConfigError, DesignError
from evalkit.synth.dgp import simulate_staggered

# Copy of ../shared/reference/mpdta.csv (see tests/reference/PROVENANCE.md).
MPDTA = Path(__file__).parents[1] / "reference" / "mpdta.csv"

POINT_TOL = 1e-6     # issue 3: points agree with diff-diff to 1e-6
SE_REL = 0.01        # issue 3: standard errors within 1 %


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(MPDTA)


@pytest.fixture(scope="module")
def sim():
    return simulate_staggered(n_units=2000, never_share=0.3, seed=11)


def _check_against_diff_diff(d, y, t, i, g):
    dd = pytest.importorskip("diff_diff")
    ours = sunab(d, y, t, i, g)
    theirs = dd.SunAbraham(control_group="never_treated").fit(d, y, i, t, g)
    assert ours.coef("att") == pytest.approx(theirs.overall_att, abs=POINT_TOL)
    assert ours.se("att") == pytest.approx(theirs.overall_se, rel=SE_REL)
    es = theirs.to_dataframe().set_index("relative_period")
    ev, est, _ = ours.event_study()
    assert sorted(ev.tolist()) == sorted(es.index.astype(int).tolist())
    np.testing.assert_allclose(est, es.loc[ev, "effect"], atol=POINT_TOL)
    np.testing.assert_allclose(ours.std_error[1:], es.loc[ev, "se"], rtol=SE_REL)
    return ours, theirs


def test_matches_diff_diff_on_mpdta(mpdta):
    ours, _ = _check_against_diff_diff(mpdta, "lemp", "year", "countyreal", "first.treat")
    assert ours.coef("att") == pytest.approx(-0.039951, abs=1e-6)


def test_matches_diff_diff_on_simulated_panel(sim):
    _check_against_diff_diff(sim[0], "y", "year", "id", "g")


def test_single_cohort_reduces_to_twfe_event_study(mpdta):
    one = mpdta[mpdta["first.treat"].isin([0, 2004])]
    sa = sunab(one, "lemp", "year", "countyreal", "first.treat")
    tw = twfe_event_study(one, "lemp", "year", "countyreal", "first.treat")
    ev_sa, est_sa, v_sa = sa.event_study()
    ev_tw, est_tw, v_tw = tw.event_study()
    assert ev_sa.tolist() == ev_tw.tolist()
    np.testing.assert_allclose(est_sa, est_tw, atol=1e-10)
    np.testing.assert_allclose(v_sa, v_tw, atol=1e-12)


def test_aggregation_weights_are_cohort_shares(sim):
    r = sunab(sim[0], "y", "year", "id", "g")
    w, cells, cohort, rel = (r.details["weights"], r.details["n_obs_cell"], r.details["cohort"],
                             r.details["rel_time"])
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    row = r.terms.index("e=0")
    sizes = pd.Series(sim[0].groupby("g").id.nunique())
    at0 = rel == 0
    np.testing.assert_allclose(w[row, at0], sizes.loc[cohort[at0]] / sizes.loc[cohort[at0]].sum())
    np.testing.assert_allclose(r.vcov, w @ r.details["catt_vcov"] @ w.T, atol=1e-15)
    post = rel >= 0
    np.testing.assert_allclose(r.coef("att"), cells[post] @ r.details["catt"][post]
                               / cells[post].sum())


def test_last_treated_control_recovers_truth_without_never_treated():
    d, truth = simulate_staggered(n_units=3000, never_share=0.05, selection=0.0, seed=5)
    d = d[d.g > 0]
    r = sunab(d, "y", "year", "id", "g", control="last", min_e=-2, max_e=1)
    size = truth["group_size"]
    for e in (0, 1):
        cohorts = [2018, 2020]                      # 2022 is the control cohort
        true_e = (sum(truth["att_gt"][(c, c + e)] * size[c] for c in cohorts)
                  / sum(size[c] for c in cohorts))
        assert abs(r.coef(f"e={e}") - true_e) < 3.5 * r.se(f"e={e}")
    assert r.event_study()[0].tolist() == [-2, 0, 1]
    with pytest.raises(DesignError, match="control='last'"):
        sunab(d, "y", "year", "id", "g", control="never")


def test_option_validation(mpdta):
    with pytest.raises(ConfigError, match=r"'never', 'last'.*'nevertreated'"):
        sunab(mpdta, "lemp", "year", "countyreal", "first.treat", control="nevertreated")
    with pytest.raises(ConfigError, match="min_e"):
        sunab(mpdta, "lemp", "year", "countyreal", "first.treat", min_e=2, max_e=0)
