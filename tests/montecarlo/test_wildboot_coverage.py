"""Monte Carlo: with 5-8 clusters the WCR wild cluster bootstrap has close-to-nominal size
while the cluster-robust t-test (normal critical values) over-rejects.

Design: firms nested in G areas, 6 years, firm and year effects; the regressor varies mainly at
the area-year level and the error has an area-year shock, so the clustering matters. H0 (b = 0)
is true. Rademacher weights are fully enumerated (2^G draws); Webb weights use 399 draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.robust.wildboot import wild_cluster_bootstrap

N_REPS = 1000
# Binomial 99.9% band around 0.05 with 1000 replications is +-0.023; the bootstrap is only
# asymptotically exact (Webb weights over-reject slightly at G = 5), so allow 0.025-0.085.
LOW, HIGH = 0.025, 0.085


def _panel(G, seed):
    rng = np.random.default_rng(seed)
    firms = rng.integers(4, 16, G)                         # unequal cluster sizes
    area = np.repeat(np.arange(G), firms)
    n, T = area.size, 6
    ids = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(T), n)
    a = area[ids]
    x = rng.normal(size=(G, T))[a, t] + 0.3 * rng.normal(size=n * T)
    scale = np.exp(rng.normal(size=G) * 0.5)[a]            # cluster heteroskedasticity
    y = (np.repeat(rng.normal(size=n), T) + 0.2 * t
         + scale * (rng.normal(size=(G, T))[a, t] + rng.normal(size=n * T)))
    return pd.DataFrame({"id": ids, "year": 2018 + t, "area": a, "x": x, "y": y})


@pytest.mark.slow
@pytest.mark.parametrize("G", [5, 6, 8])
def test_wcr_size_close_to_nominal_where_cr1_over_rejects(G):
    rej = {"cr1_normal": 0, "cr1_t": 0, "wcr_rademacher": 0, "wcr_webb": 0}
    z = stats.norm.ppf(0.975)
    for seed in range(N_REPS):
        d = _panel(G, seed)
        r = wild_cluster_bootstrap(d, "y", "x", "x", "id", "year", "area", ci=False)
        w = wild_cluster_bootstrap(d, "y", "x", "x", "id", "year", "area", weights="webb",
                                   B=399, seed=seed, ci=False)
        rej["cr1_normal"] += abs(r.t_stat) > z
        rej["cr1_t"] += r.cr1_p_value < 0.05
        rej["wcr_rademacher"] += r.p_value < 0.05
        rej["wcr_webb"] += w.p_value < 0.05
    size = {k: float(v) / N_REPS for k, v in rej.items()}
    print(f"G={G}: rejection rates at 5% over {N_REPS} panels: {size}")
    assert size["cr1_normal"] > HIGH                       # the problem
    assert LOW <= size["wcr_webb"] <= HIGH                 # the fix
    assert LOW <= size["wcr_rademacher"] <= HIGH
