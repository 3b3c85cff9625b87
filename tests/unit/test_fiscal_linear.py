import numpy as np
import pandas as pd
import pytest

from evalkit.errors import DataError, DesignError
from evalkit.fiscal import (
    LinearEstimate,
    constant,
    delta_method,
    joint_cov,
    lincomb,
    multiplier_bootstrap,
    ratio,
    stack_psi,
    total_effect,
)


def _est(values: dict, estimate=1.0, name="a", **kw):
    return LinearEstimate(estimate, pd.Series(values), name, **kw)


def test_se_is_root_sum_of_squares_and_index_is_str():
    e = _est({1: 3.0, 2: 4.0})
    assert e.se == pytest.approx(5.0)
    assert list(e.psi.index) == ["1", "2"]
    lo, hi = e.conf_int(0.05)
    assert lo == pytest.approx(1 - 1.959964 * 5, rel=1e-6) and hi == pytest.approx(1 + 1.959964 * 5,
                                                                                   rel=1e-6)


def test_duplicate_or_nonfinite_psi_rejected():
    with pytest.raises(DataError, match="more than once"):
        LinearEstimate(1.0, pd.Series([1.0, 2.0], index=["a", "a"]), "x")
    with pytest.raises(DataError, match="non-finite"):
        LinearEstimate(1.0, pd.Series([1.0, np.nan], index=["a", "b"]), "x")


def test_lincomb_aligns_firms_missing_contribute_zero():
    a = _est({"f1": 1.0, "f2": 2.0}, 10.0, "a")
    b = _est({"f2": 1.0, "f3": -1.0}, 4.0, "b")
    c = lincomb([a, b], [2.0, -3.0], "c")
    assert c.estimate == pytest.approx(2 * 10 - 3 * 4)
    assert c.psi.to_dict() == pytest.approx({"f1": 2.0, "f2": 4.0 - 3.0, "f3": 3.0})
    d = a - b
    assert d.psi.to_dict() == pytest.approx({"f1": 1.0, "f2": 1.0, "f3": 1.0})
    assert (a * 2).se == pytest.approx(2 * a.se) and (a / 2).estimate == 5.0


def test_joint_cov_of_overlapping_estimates():
    a = _est({"f1": 1.0, "f2": 2.0}, 1.0, "a")
    b = _est({"f2": 3.0, "f3": 1.0}, 1.0, "b")
    cov = joint_cov([a, b])
    assert cov.loc["a", "a"] == pytest.approx(5.0)
    assert cov.loc["b", "b"] == pytest.approx(10.0)
    assert cov.loc["a", "b"] == pytest.approx(6.0)   # only the shared firm f2 covaries
    firms, psi = stack_psi([a, b])
    assert list(firms) == ["f1", "f2", "f3"] and psi.shape == (3, 2)


def test_ratio_and_delta_method_gradients():
    num = _est({"f1": 1.0, "f2": 0.5}, 6.0, "n")
    den = _est({"f1": 0.2, "f3": 0.1}, 3.0, "d")
    r = ratio(num, den, "r")
    assert r.estimate == pytest.approx(2.0)
    # psi = psi_n / 3 - 6 / 9 psi_d
    assert r.psi["f1"] == pytest.approx(1 / 3 - 6 / 9 * 0.2)
    assert r.psi["f2"] == pytest.approx(0.5 / 3)
    assert r.psi["f3"] == pytest.approx(-6 / 9 * 0.1)
    numeric = delta_method(lambda x, y: x / y, [num, den], "r2")
    assert numeric.psi.to_numpy() == pytest.approx(r.psi.to_numpy(), rel=1e-6)
    with pytest.raises(DesignError, match="zero"):
        ratio(num, constant(0.0))


def test_constant_has_no_uncertainty():
    c = constant(5.0, "k")
    assert c.se == 0.0 and c.n_firms == 0
    assert (c + _est({"x": 1.0}, 1.0)).se == pytest.approx(1.0)


def test_ratio_delta_method_covers_truth_in_simulation():
    """Mean ratio of two correlated firm-level means: delta-method 95 % CI covers ~95 %."""
    rng = np.random.default_rng(11)
    n, reps, hits = 400, 300, 0
    for _ in range(reps):
        x = rng.normal(2.0, 1.0, n)
        y = 0.5 * x + rng.normal(1.0, 1.0, n)     # E y = 2, E x = 2, truth ratio 1
        ids = [f"f{i}" for i in range(n)]
        ex = LinearEstimate(x.mean(), pd.Series((x - x.mean()) / n, index=ids), "x")
        ey = LinearEstimate(y.mean(), pd.Series((y - y.mean()) / n, index=ids), "y")
        lo, hi = ratio(ey, ex).conf_int()
        hits += lo <= 1.0 <= hi
    assert 0.92 <= hits / reps <= 0.98


def test_multiplier_bootstrap_matches_analytic_joint_distribution():
    rng = np.random.default_rng(3)
    n = 3000
    ids = [f"f{i}" for i in range(n)]
    z = rng.standard_normal((n, 2))
    a = LinearEstimate(1.0, pd.Series(z[:, 0] / n, index=ids), "a")
    b = LinearEstimate(2.0, pd.Series((0.6 * z[:, 0] + 0.8 * z[:, 1]) / n, index=ids), "b")
    for kind in ("rademacher", "mammen"):
        bd = multiplier_bootstrap([a, b], 4000, np.random.default_rng(5), kind=kind)
        assert bd.draws.shape == (4000, 2)
        assert bd.std_error() == pytest.approx([a.se, b.se], rel=0.05)
        corr = np.corrcoef(bd.draws.T)[0, 1]
        cov = joint_cov([a, b]).to_numpy()
        assert corr == pytest.approx(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]), abs=0.04)
    again = multiplier_bootstrap([a, b], 4000, np.random.default_rng(5), kind="mammen")
    assert np.array_equal(again.draws, bd.draws)


def test_multiplier_bootstrap_works_in_blocks(monkeypatch):
    # The fiscal bootstrap is the engine's blocked multiplier bootstrap (one implementation):
    # weights are drawn a block of rows at a time, never the whole (draws x firms) matrix.
    from evalkit.did import bootstrap as engine

    shapes = []
    real = engine._low_indicator

    def spy(rng, shape, kind, out):
        shapes.append(shape)
        return real(rng, shape, kind, out)

    monkeypatch.setattr(engine, "_low_indicator", spy)
    ids = [f"f{i}" for i in range(250)]
    a = LinearEstimate(0.0, pd.Series(np.ones(250) / 250, index=ids), "a")
    bd = multiplier_bootstrap([a], 103, np.random.default_rng(0), block_elems=1000)
    # blocks of at most 64 draws, each drawn 1000 // 64 = 15 firms at a time: every (draw, firm)
    # weight exactly once, never more than block_elems at a time
    assert sorted({r for r, _ in shapes}) == [39, 64] and max(c for _, c in shapes) == 15
    assert all(r * c <= 1000 for r, c in shapes)
    assert sum(r * c for r, c in shapes) == 103 * 250
    assert bd.draws.shape == (103, 1) and np.isfinite(bd.draws).all()
    # each firm contributes 1/250 with weight mean 0, variance 1: draws have sd 1/sqrt(250)
    big = multiplier_bootstrap([a], 4000, np.random.default_rng(1), kind="mammen")
    assert big.std_error()[0] == pytest.approx(1 / np.sqrt(250), rel=0.05)


def _cell(g, t, est, psi, name=None):
    return LinearEstimate(est, pd.Series(psi), name or f"ATT({g},{t})", group=g, time=t)


def test_total_effect_weights_by_cohort_size_and_discount():
    c1 = _cell(2020, 2020, 2.0, {"a": 0.1})
    c2 = _cell(2020, 2021, 3.0, {"a": 0.2, "b": 0.1})
    c3 = _cell(2021, 2021, 5.0, {"c": 0.3})
    pre = _cell(2021, 2020, 9.0, {"c": 9.0})   # pre-treatment cell: ignored
    sizes = {2020: 10, 2021: 4}
    tot = total_effect([c1, c2, c3, pre], sizes, (2020, 2021))
    assert tot.estimate == pytest.approx(10 * 2 + 10 * 3 + 4 * 5)
    assert tot.psi.to_dict() == pytest.approx({"a": 10 * 0.1 + 10 * 0.2, "b": 1.0, "c": 1.2})
    disc = total_effect([c1, c2, c3], sizes, (2020, 2021), discount=0.10, base_year=2020)
    assert disc.estimate == pytest.approx(20 + (30 + 20) / 1.1)
    avg = total_effect([c1, c2, c3], sizes, (2020, 2021), per_year=True)
    assert avg.estimate == pytest.approx(70 / 2)
    only21 = total_effect([c1, c2, c3], sizes, (2021, 2021))
    assert only21.estimate == pytest.approx(50.0)
    with pytest.raises(DesignError, match=r"ATT\(2020,2021\)"):
        total_effect([c1, c3], sizes, (2020, 2021))
    with pytest.raises(DesignError, match="no size"):
        total_effect([c1], {2021: 3}, (2020, 2020))
