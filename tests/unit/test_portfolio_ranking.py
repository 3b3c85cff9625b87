import json

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ConfigError
from evalkit.fiscal import LinearEstimate, multiplier_bootstrap
from evalkit.portfolio.ranking import rank_confidence_sets


def _independent(thetas, ses, names=None):
    names = names or [f"P{j}" for j in range(len(thetas))]
    return [LinearEstimate(t, pd.Series([s], index=[f"firm_of_{n}"]), n)
            for t, s, n in zip(thetas, ses, names, strict=True)]


def test_well_separated_policies_get_singleton_rank_sets():
    est = _independent([10.0, 5.0, 0.0], [0.1, 0.1, 0.1])
    r = rank_confidence_sets(est, rng=np.random.default_rng(0), n_draws=4000)
    assert r.rank.tolist() == [1, 2, 3]
    assert r.rank_low.tolist() == [1, 2, 3] and r.rank_high.tolist() == [1, 2, 3]
    assert r.plausibly_best == ("P0",) and r.plausibly_worst == ("P2",)
    # lower is better reverses the order
    r2 = rank_confidence_sets(est, rng=np.random.default_rng(0), n_draws=4000,
                              higher_is_better=False)
    assert r2.rank.tolist() == [3, 2, 1] and r2.plausibly_best == ("P2",)


def test_indistinguishable_policies_span_all_ranks():
    est = _independent([1.0, 1.1, 0.9], [1.0, 1.0, 1.0])
    r = rank_confidence_sets(est, rng=np.random.default_rng(0), n_draws=4000)
    assert r.rank_low.tolist() == [1, 1, 1] and r.rank_high.tolist() == [3, 3, 3]
    assert set(r.plausibly_best) == {"P0", "P1", "P2"}


def test_critical_values_match_closed_form_for_two_policies():
    # p = 2: max-t is |Z1 - Z2| / s, so c = z_{1 - alpha/2} for marginal and simultaneous.
    est = _independent([0.0, 3.0], [1.0, 1.0])
    r = rank_confidence_sets(est, rng=np.random.default_rng(1), n_draws=200_000)
    assert r.crit_simultaneous == pytest.approx(1.959964, abs=0.02)
    assert r.crit_marginal == pytest.approx([1.959964, 1.959964], abs=0.02)
    # D = 3, s = sqrt 2: 3 - 1.96 * 1.414 = 0.23 > 0 -> separated
    assert r.rank_low.tolist() == [2, 1] and r.rank_high.tolist() == [2, 1]


def test_marginal_sets_are_no_wider_than_simultaneous():
    rng = np.random.default_rng(4)
    est = _independent(list(rng.normal(0, 2, 8)), [1.0] * 8)
    r = rank_confidence_sets(est, rng=np.random.default_rng(2), n_draws=5000)
    assert (r.crit_marginal <= r.crit_simultaneous + 1e-12).all()
    assert (r.rank_low_marginal >= r.rank_low).all() and (r.rank_high_marginal <= r.rank_high).all()
    assert ((r.rank_low <= r.rank) & (r.rank <= r.rank_high)).all()


def test_correlation_through_shared_firms_tightens_comparisons():
    # Two policies on the same firms with nearly identical noise: their difference is precise.
    n = 500
    z = np.random.default_rng(0).standard_normal(n)
    ids = [f"f{i}" for i in range(n)]
    a = LinearEstimate(1.0, pd.Series(z / np.sqrt(n), index=ids), "A")
    b = LinearEstimate(0.8, pd.Series(z / np.sqrt(n) + 0.001, index=ids), "B")
    shared = rank_confidence_sets([a, b], rng=np.random.default_rng(0), n_draws=4000)
    assert shared.rank_low.tolist() == [1, 2] and shared.rank_high.tolist() == [1, 2]
    indep = rank_confidence_sets(_independent([1.0, 0.8], [a.se, b.se], ["A", "B"]),
                                 rng=np.random.default_rng(0), n_draws=4000)
    assert indep.rank_high.tolist() == [2, 2]


def test_bootstrap_variant_agrees_with_gaussian():
    rng = np.random.default_rng(9)
    n = 2000
    ids = [f"f{i}" for i in range(n)]
    est = [LinearEstimate(t, pd.Series(rng.standard_normal(n) / n, index=ids), f"P{j}")
           for j, t in enumerate([0.0, 0.02, 0.05, 0.2])]
    bd = multiplier_bootstrap(est, 4000, np.random.default_rng(1))
    rb = rank_confidence_sets(est, method="bootstrap", draws=bd)
    rg = rank_confidence_sets(est, rng=np.random.default_rng(1), n_draws=4000)
    assert rb.crit_simultaneous == pytest.approx(rg.crit_simultaneous, rel=0.05)
    assert rb.rank_low.tolist() == rg.rank_low.tolist()
    d = json.loads(json.dumps(rb.to_dict()))
    assert d["tidy"]["term"] == ["P0", "P1", "P2", "P3"]
    assert list(rb.tidy().columns[:6]) == ["term", "estimate", "std_error", "conf_low",
                                           "conf_high", "p_value"]
    with pytest.raises(ConfigError, match="bootstrap"):
        rank_confidence_sets(est[:3], method="bootstrap", draws=bd)
    with pytest.raises(ConfigError, match="rank method"):
        rank_confidence_sets(est, method="exact")


def test_simultaneous_band_matches_sidak_for_independent_estimates():
    # p independent normals: P(max |Z_j| <= b) = (2 Phi(b) - 1)^p = 1 - alpha.
    from scipy import stats
    p, alpha = 5, 0.05
    est = _independent([0.0, 1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 0.5, 1.0, 3.0])
    r = rank_confidence_sets(est, rng=np.random.default_rng(3), n_draws=200_000, alpha=alpha)
    sidak = stats.norm.ppf((1 + (1 - alpha) ** (1 / p)) / 2)
    assert r.crit_band == pytest.approx(sidak, abs=0.02)
    t = r.tidy()
    half = (t["conf_high_simultaneous"] - t["conf_low_simultaneous"]) / 2
    assert np.allclose(half, r.crit_band * np.array([1.0, 2.0, 0.5, 1.0, 3.0]))
    # wider than the pointwise intervals, centred on the same estimates
    assert (t["conf_low_simultaneous"] < t["conf_low"]).all()
    assert np.allclose((t["conf_low_simultaneous"] + t["conf_high_simultaneous"]) / 2, t["estimate"])


def test_simultaneous_band_of_identical_noise_is_pointwise():
    # Perfectly correlated estimates: max_j |Z_j| / sd_j = |Z|, so b = z_{1 - alpha/2}.
    n = 400
    z = np.random.default_rng(5).standard_normal(n)
    ids = [f"f{i}" for i in range(n)]
    est = [LinearEstimate(t, pd.Series(k * z / n, index=ids), f"P{t}")
           for t, k in ((0, 1.0), (1, 2.0), (2, 3.0))]
    r = rank_confidence_sets(est, rng=np.random.default_rng(6), n_draws=200_000)
    assert r.crit_band == pytest.approx(1.959964, abs=0.02)


def test_simultaneous_band_covers_all_policies_at_nominal_rate():
    # Monte Carlo: correlated estimates with known truth; all p covered in >= 1 - alpha of draws.
    rng = np.random.default_rng(11)
    p, n, reps = 6, 300, 400
    truth = np.linspace(0.0, 1.0, p)
    load = rng.normal(size=(p, 2))
    ids = [f"f{i}" for i in range(n)]
    hits = 0
    for _ in range(reps):
        e = rng.standard_normal((n, 2)) @ load.T + rng.standard_normal((n, p))   # (n, p)
        e -= e.mean(axis=0)
        theta = truth + rng.standard_normal(2) @ load.T / np.sqrt(n) + rng.standard_normal(p) / np.sqrt(n)
        est = [LinearEstimate(float(theta[j]), pd.Series(e[:, j] / n, index=ids), f"P{j}")
               for j in range(p)]
        t = rank_confidence_sets(est, rng=np.random.default_rng(0), n_draws=4000).tidy()
        hits += bool(((t["conf_low_simultaneous"] <= truth) & (truth <= t["conf_high_simultaneous"])).all())
    # nominal 0.95; 400 draws: binomial sd 0.011
    assert 0.92 <= hits / reps <= 0.98, hits / reps
