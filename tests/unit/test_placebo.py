"""Placebo-in-time and placebo-in-units tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.did import att_gt
from evalkit.errors import ConfigError, DesignError
from evalkit.robust.placebo import placebo_in_time, placebo_in_units, plot_placebo_units
from evalkit.synth.dgp import simulate_staggered


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    d, _ = simulate_staggered(n_units=1000, seed=5, selection=0.0, n_covariates=0)
    return d


def test_shift_one_equals_the_real_last_pre_period_cells(panel):
    r = placebo_in_time(panel, "y", "year", "id", "g", shift=1, est_method="reg")
    real = att_gt(panel, "y", "year", "id", "g", est_method="reg")
    cohorts = np.unique(real.group)
    pre = np.array([real.att[(real.group == c) & (real.time == c - 1)][0] for c in cohorts])
    sizes = np.array([(panel.drop_duplicates("id")["g"] == c).sum() for c in cohorts])
    # ATT(g - 1, g - 1) of the fake cohort is the real ATT(g, g - 1) (both Y_{g-1} - Y_{g-2}).
    assert r.estimate == pytest.approx(np.dot(pre, sizes) / sizes.sum(), rel=1e-10)
    assert r.event.tolist() == [0]


def test_placebo_in_time_is_null_under_parallel_trends_and_detects_anticipation(panel):
    r = placebo_in_time(panel, "y", "year", "id", "g", shift=2, est_method="reg")
    assert r.event.tolist() == [0, 1] and not r.dropped_cohorts
    assert abs(r.estimate) < 3 * r.std_error
    d = panel.copy()
    e = d["year"] - d["g"]
    d.loc[(d["g"] > 0) & (e >= -2) & (e < 0), "y"] += 1.0     # firms react two years early
    bad = placebo_in_time(d, "y", "year", "id", "g", shift=2, est_method="reg")
    assert bad.p_value < 1e-6 and bad.estimate > 0.5
    assert list(bad.tidy()["term"]) == ["placebo", "e=0", "e=1"]
    assert "Placebo in time" in bad.summary() and bad.to_dict()["kind"] == "placebo_in_time"


def test_placebo_in_time_drops_cohorts_without_a_pre_period(panel):
    with pytest.warns(Warning, match="cohorts \\[2018\\]"):
        r = placebo_in_time(panel, "y", "year", "id", "g", shift=3, est_method="reg")
    assert r.dropped_cohorts == (2018,)
    with pytest.raises(ConfigError, match="shift"):
        placebo_in_time(panel, "y", "year", "id", "g", shift=0)
    with pytest.raises(DesignError, match="smaller shift"), pytest.warns(Warning):
        placebo_in_time(panel, "y", "year", "id", "g", shift=9)


def test_placebo_in_units_permutation(panel):
    r = placebo_in_units(panel, "y", "year", "id", "g", R=39, seed=3, est_method="reg")
    assert r.placebo.shape == (39,)
    assert r.p_value == pytest.approx(1 / 40)                 # a real effect beats every placebo
    assert abs(r.placebo.mean()) < 4 * r.placebo.std(ddof=1) / np.sqrt(39)
    again = placebo_in_units(panel, "y", "year", "id", "g", R=39, seed=3, est_method="reg")
    np.testing.assert_array_equal(again.placebo, r.placebo)
    # No effect at all: the real estimate is a typical draw.
    d = panel.assign(y=panel["y0"])
    null = placebo_in_units(d, "y", "year", "id", "g", R=39, seed=3, est_method="reg")
    assert null.p_value > 0.05
    t = r.tidy()
    assert t["p_value"].iloc[0] == r.p_value and t["n_placebo"].iloc[0] == 39
    assert r.to_dict()["kind"] == "placebo_in_units" and "permutation" in r.summary()
    assert plot_placebo_units(r) is not None
