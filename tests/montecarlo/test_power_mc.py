"""Monte Carlo: an effect equal to the simulated MDE is detected about 80 % of the time when it is
actually injected into fresh placebo panels (and 5 % of the time when there is none)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from evalkit.exante.power import NoiseModel, Rollout, estimate_once, simulate_mde, simulate_panel

N_CHECK = 600
#: three binomial standard errors of a rejection rate near 0.8 over N_CHECK draws, plus the MDE's
#: own simulation error (about 0.03 in power at 200 draws)
POWER_TOLERANCE = 3 * np.sqrt(0.8 * 0.2 / N_CHECK) + 0.03


@pytest.mark.slow
@pytest.mark.parametrize("control_group", ["nevertreated", "notyettreated"])
def test_power_at_the_mde_is_the_target_when_the_effect_is_injected(control_group):
    nz = NoiseModel("y", "level", 2.0, 0.6, 10.0, 0, 0)
    ro = Rollout({2019: 60, 2020: 60, 2021: 60}, 400, (2017, 2022), control_group)
    res = simulate_mde(ro, nz, np.random.default_rng(1), n_draws=200)
    z = stats.norm.ppf(0.975)
    rng = np.random.default_rng(2)
    hits_eff, hits_null = 0, 0
    for _ in range(N_CHECK):
        b, s = estimate_once(simulate_panel(ro, nz, rng, effect=res.mde), control_group)
        hits_eff += abs(b) > z * s
        b0, s0 = estimate_once(simulate_panel(ro, nz, rng), control_group)
        hits_null += abs(b0) > z * s0
    assert hits_eff / N_CHECK == pytest.approx(0.8, abs=POWER_TOLERANCE)
    assert hits_null / N_CHECK == pytest.approx(0.05, abs=3 * np.sqrt(0.05 * 0.95 / N_CHECK))
