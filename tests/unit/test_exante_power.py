"""Evaluability: noise estimation, the shift property, simulated vs analytic MDE, panel size."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.errors import ConfigError
from evalkit.exante.power import (
    NoiseModel,
    Rollout,
    estimate_noise,
    estimate_once,
    simulate_mde,
    simulate_panel,
)
from evalkit.synth import synthesize_district

#: The issue's bar: the simulated MDE matches the analytic approximation within 10 %.
ANALYTIC_TOLERANCE = 0.10


def _ar1_panel(rng, n, T, sigma, rho, fe_sd=5.0, year_sd=2.0):
    e = np.empty((n, T))
    e[:, 0] = rng.standard_normal(n) * sigma
    for t in range(1, T):
        e[:, t] = rho * e[:, t - 1] + sigma * np.sqrt(1 - rho ** 2) * rng.standard_normal(n)
    y = e + fe_sd * rng.standard_normal((n, 1)) + year_sd * rng.standard_normal((1, T))
    return pd.DataFrame({"firm_id": np.repeat([f"f{i:05d}" for i in range(n)], T),
                         "year": np.tile(np.arange(2010, 2010 + T), n), "y": y.reshape(-1)})


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.8])
def test_noise_estimate_recovers_sigma_and_rho_despite_fixed_effects(rho):
    panel = _ar1_panel(np.random.default_rng(3), 3000, 8, sigma=2.0, rho=rho)
    nz = estimate_noise(panel, "y")
    assert nz.rho == pytest.approx(rho, abs=0.05)
    assert nz.sigma == pytest.approx(2.0, rel=0.06)
    assert (nz.n_firms, nz.n_years) == (3000, 8)


def test_injected_effect_shifts_the_estimate_exactly_and_leaves_the_se():
    ro = Rollout({2019: 40, 2020: 30}, 150, (2016, 2021))
    nz = NoiseModel("y", "level", 3.0, 0.6, 10.0, 0, 0)
    b0, s0 = estimate_once(simulate_panel(ro, nz, np.random.default_rng(9)), "nevertreated")
    b1, s1 = estimate_once(simulate_panel(ro, nz, np.random.default_rng(9), effect=1.7),
                           "nevertreated")
    assert b1 - b0 == pytest.approx(1.7, abs=1e-9)
    assert s1 == pytest.approx(s0, rel=1e-9)


@pytest.mark.parametrize("rho", [0.0, 0.6])
def test_simulated_mde_matches_the_analytic_approximation_on_a_simple_design(rho):
    """One cohort, one pre and one post period: SE = sigma sqrt(2 (1 - rho)) sqrt(1/n1 + 1/n0)."""
    nz = NoiseModel("y", "level", 1.0, rho, 10.0, 0, 0)
    ro = Rollout({2: 100}, 100, (1, 2))
    res = simulate_mde(ro, nz, np.random.default_rng(5), n_draws=1000)
    se = np.sqrt(2 * (1 - rho)) * np.sqrt(1 / 100 + 1 / 100)
    assert res.se_analytic == pytest.approx(se, rel=1e-12)
    assert res.mde_analytic == pytest.approx((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * se)
    assert abs(res.mde / res.mde_analytic - 1) < ANALYTIC_TOLERANCE
    assert res.size == pytest.approx(0.05, abs=0.025)
    assert res.power_at(res.mde) >= 0.8 > res.power_at(0.8 * res.mde)


def test_analytic_se_of_a_staggered_design_matches_the_simulated_spread():
    nz = NoiseModel("y", "level", 2.0, 0.7, 10.0, 0, 0)
    ro = Rollout({2019: 60, 2021: 40}, 300, (2016, 2022))
    res = simulate_mde(ro, nz, np.random.default_rng(6), n_draws=1000)
    assert res.se_empirical == pytest.approx(res.se_analytic, rel=ANALYTIC_TOLERANCE)
    assert res.mde == pytest.approx(res.mde_analytic, rel=ANALYTIC_TOLERANCE)


@pytest.fixture(scope="module")
def district_noise():
    d = synthesize_district(n_firms=2000, seed=4)
    return estimate_noise(d.firm_years, "tax_paid", exclude=set(d.disbursements["firm_id"]))


def test_mde_shrinks_as_the_panel_grows(district_noise):
    nz = district_noise
    assert nz.sigma > 0 and -1 < nz.rho < 1
    base = Rollout({2026: 50}, 800, (2024, 2028), label="planned")
    mdes = [simulate_mde(base.scaled(f), nz, np.random.default_rng(7), n_draws=200)
            for f in (1, 4)]
    small, big = mdes
    assert big.mde < small.mde
    # quadrupling every group halves the standard error
    assert big.mde / small.mde == pytest.approx(0.5, rel=0.15)
    assert big.mde_analytic / small.mde_analytic == pytest.approx(0.5, rel=0.01)
    json.dumps(small.to_dict())


def test_rollout_validation():
    with pytest.raises(ConfigError, match="cohorts"):
        Rollout({2016: 10}, 10, (2016, 2020))
    with pytest.raises(ConfigError, match="control_group"):
        Rollout({2018: 10}, 10, (2016, 2020), control_group="never")
