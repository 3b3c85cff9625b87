"""Monte Carlo: simultaneous rank confidence sets (Mogstad, Romano, Shaikh & Wilhelm 2024) cover
all true ranks at once with probability >= 1 - alpha; the plausibly-best set holds the true best."""

import numpy as np
import pandas as pd
import pytest

from evalkit.fiscal import LinearEstimate, multiplier_bootstrap
from evalkit.portfolio.ranking import rank_confidence_sets

#: Nominal 95 %: the Monte Carlo standard error with 400 replications is about 1.1 points.
MIN_COVERAGE = 0.93


def _draw_policies(rng, theta, n=400):
    """p policies evaluated on overlapping firms: firm i's shock enters every policy (common
    component) plus a policy-specific one, so the estimates are correlated; psi = centred / n."""
    p = theta.size
    ids = [f"f{i}" for i in range(n)]
    common = rng.standard_normal(n)
    out = []
    for j in range(p):
        y = theta[j] + 0.7 * common + rng.standard_normal(n) * (1 + 0.2 * j)
        out.append(LinearEstimate(y.mean(), pd.Series((y - y.mean()) / n, index=ids), f"P{j}"))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("method", ["gaussian", "bootstrap"])
def test_simultaneous_rank_sets_reach_nominal_coverage(method):
    rng = np.random.default_rng(20240501)
    theta = np.array([0.0, 0.05, 0.15, 0.20, 0.40, 0.45])     # close pairs make it hard
    true_rank = 1 + (theta[None, :] > theta[:, None]).sum(axis=1)
    reps, cover, best_in = 400, 0, 0
    for _ in range(reps):
        est = _draw_policies(rng, theta)
        if method == "gaussian":
            r = rank_confidence_sets(est, rng=rng, n_draws=2000)
        else:
            r = rank_confidence_sets(est, method="bootstrap",
                                     draws=multiplier_bootstrap(est, 2000, rng))
        cover += bool(np.all((r.rank_low <= true_rank) & (true_rank <= r.rank_high)))
        best_in += "P5" in r.plausibly_best
    coverage = cover / reps
    print(f"simultaneous rank-set coverage ({method}): {coverage:.3f}; "
          f"true best in plausibly-best set: {best_in / reps:.3f}")
    assert coverage >= MIN_COVERAGE
    assert best_in / reps >= MIN_COVERAGE
