"""Monte Carlo: the pre-trend Wald test has size close to its level under parallel trends.

Callaway-Sant'Anna and Sun-Abraham event studies are run on panels with the default
heterogeneous, dynamic effects; the TWFE event study on panels with an effect that depends on
event time only (with heterogeneous effects its leads are contaminated by other cohorts' effects,
Sun & Abraham 2021, and the test over-rejects -- measured at 32 % in this design).
"""

from __future__ import annotations

import numpy as np
import pytest

from evalkit.did import aggte, att_gt
from evalkit.did.sunab import sunab
from evalkit.did.twfe import twfe_event_study
from evalkit.robust.pretrends import pretrend_test
from evalkit.synth.dgp import simulate_staggered

N_REPS = 400
# Binomial 99.9% band around 0.05 with 400 replications: 0.05 +- 3.3 * sqrt(.05 * .95 / 400).
LOW, HIGH = 0.014, 0.086


def _homogeneous(g, t, e, x):
    return 1.0 + 0.25 * e


@pytest.mark.slow
def test_pretrend_test_rejects_about_five_percent_under_parallel_trends():
    rej = {"cs": [], "sunab": [], "twfe": []}
    for seed in range(N_REPS):
        d, _ = simulate_staggered(n_units=600, seed=seed, selection=0.0, n_covariates=0)
        a = aggte(att_gt(d, "y", "year", "id", "g", est_method="reg"), type="dynamic")
        rej["cs"].append(pretrend_test(a).p_value < 0.05)
        rej["sunab"].append(pretrend_test(sunab(d, "y", "year", "id", "g",
                                                method="fast")).p_value < 0.05)
        h, _ = simulate_staggered(n_units=600, seed=seed, selection=0.0, n_covariates=0,
                                  effect=_homogeneous)
        es = twfe_event_study(h, "y", "year", "id", "g", method="fast")
        rej["twfe"].append(pretrend_test(es).p_value < 0.05)
    size = {k: float(np.mean(v)) for k, v in rej.items()}
    print(f"pre-trend test size over {N_REPS} panels: {size}")
    for k, s in size.items():
        assert LOW <= s <= HIGH, k
