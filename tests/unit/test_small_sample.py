"""Small-sample intervals for few treated firms (evalkit.robust.small_sample)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.errors import ConfigError, DesignError
from evalkit.fiscal.linear import LinearEstimate
from evalkit.robust.small_sample import resolve_method, small_sample_interval


def _difference_of_means(seed: int, n1: int = 12, n0: int = 200):
    """A difference of two means as a LinearEstimate: psi_i = (x_i - mean) / n per group."""
    rng = np.random.default_rng(seed)
    x1 = rng.lognormal(0.0, 1.0, n1)
    x0 = rng.lognormal(0.0, 0.5, n0)
    ids1 = [f"t{i}" for i in range(n1)]
    ids0 = [f"c{i}" for i in range(n0)]
    psi = pd.Series(np.r_[(x1 - x1.mean()) / n1, -(x0 - x0.mean()) / n0], index=ids1 + ids0)
    return LinearEstimate(x1.mean() - x0.mean(), psi, "diff"), ids1, x1, x0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_welch_equals_scipy_welch_interval(seed):
    """For a difference of two means the interval is Welch's (scipy's ttest_ind, unequal
    variances) to rounding."""
    est, ids1, x1, x0 = _difference_of_means(seed)
    out = small_sample_interval(est, ids1, method="welch")
    ref = stats.ttest_ind(x1, x0, equal_var=False)
    lo, hi = ref.confidence_interval(0.95)
    assert out.conf_low == pytest.approx(lo, rel=1e-10)
    assert out.conf_high == pytest.approx(hi, rel=1e-10)
    assert out.df == pytest.approx(ref.df, rel=1e-10)
    assert (out.n_treated, out.n_control) == (12, 200)


def test_welch_is_wider_than_the_analytic_interval_with_few_treated():
    est, ids1, _, _ = _difference_of_means(4, n1=8)
    out = small_sample_interval(est, ids1, method="welch")
    lo, hi = est.conf_int(0.05)
    assert out.conf_high - out.conf_low > 1.15 * (hi - lo)
    assert out.crit > stats.norm.ppf(0.975)


def test_wild_bootstrap_t_critical_value():
    """Seeded and reproducible; many equal contributions: close to 1.96. Six dominant treated
    contributions: the bootstrap t* is bounded and its critical value falls below Welch's (and
    below 1.96), the unrestricted wild bootstrap's known failure with very few treated clusters
    (MacKinnon & Webb 2018) and the reason ``auto`` uses ``welch``."""
    est, ids1, _, _ = _difference_of_means(5, n1=6)
    a = small_sample_interval(est, ids1, method="wild", B=4999, seed=3)
    b = small_sample_interval(est, ids1, method="wild", B=4999, seed=3)
    assert (a.conf_low, a.conf_high, a.crit) == (b.conf_low, b.conf_high, b.crit)
    assert a.n_draws == 4999 and a.weights == "webb"
    assert a.crit < 1.96 < small_sample_interval(est, ids1, method="welch").crit
    many = LinearEstimate(0.0, pd.Series(np.full(400, 0.05), index=[f"t{i}" for i in range(400)]))
    c = small_sample_interval(many, [f"t{i}" for i in range(200)], method="wild", B=9999)
    assert c.crit == pytest.approx(1.96, abs=0.05)
    assert c.conf_low == pytest.approx(-c.crit * c.std_error)


def test_resolve_method_and_errors():
    assert resolve_method("auto", 32) == "welch"
    assert resolve_method("auto", 200) == "none"
    assert resolve_method("wild", 200) == "wild"
    with pytest.raises(ConfigError):
        resolve_method("ri", 20)
    est, _, _, _ = _difference_of_means(6)
    with pytest.raises(DesignError):
        small_sample_interval(est, ["t0"])
    with pytest.raises(ConfigError):
        small_sample_interval(est, ["t0", "t1"], method="wild", B=10)
