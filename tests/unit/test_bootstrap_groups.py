"""The multiplier bootstrap multiplies rows grouped by their non-zero columns
(:func:`evalkit.did.bootstrap._row_groups`) in cache-sized chunks: the draws must still be one
weight per unit shared by all of its columns, with the covariance of the influence function."""

import numpy as np
import pytest

from evalkit.did.bootstrap import _row_groups, multiplier_draws


def _cohort_like(n=12_000, seed=0):
    """A block-sparse influence matrix as att_gt makes it: 'controls' non-zero everywhere,
    'cohort g' rows only in cohort g's four columns, plus cohort-share columns."""
    rng = np.random.default_rng(seed)
    inf = rng.standard_normal((n, 12)) * rng.uniform(0.5, 3.0, 12)
    cohort = rng.integers(0, 4, n)
    for g in (1, 2, 3):
        rows = cohort == g
        inf[np.ix_(rows, [c for c in range(12) if c // 4 != g - 1])] = 0.0
    inf[:40] = 0.0                                           # no influence at all
    aux = (cohort[:, None] == np.arange(1, 4)).astype(float)
    aux[:40] = 0.0
    return inf, aux, cohort


def test_rows_are_grouped_by_their_nonzero_columns():
    inf, aux, _ = _cohort_like()
    groups = _row_groups([inf, aux], inf.shape[0])
    assert sum(g.rows for g in groups) == inf.shape[0] - 40       # dead rows get no weights
    widths = sorted(g.values.shape[1] for g in groups)
    assert widths == [5, 5, 5, 12]                           # 4 cells + 1 share; controls: 12
    full = np.hstack([inf, aux])
    # each column's values appear once, in the groups that carry that column
    total = np.zeros(15)
    for g in groups:
        assert g.values.dtype == np.float32
        total[np.arange(15)[g.columns]] += g.values.astype(float).sum(axis=0)
    np.testing.assert_allclose(total, full.sum(axis=0), rtol=1e-5, atol=1e-3)
    counts = np.zeros(15)
    for g in groups:
        counts[np.arange(15)[g.columns]] += (g.values != 0).sum(axis=0)
    np.testing.assert_array_equal(counts, (full != 0).sum(axis=0))


def test_a_unit_has_one_weight_across_groups_and_columns():
    # column 15 = column 0 (controls and cohort 1) + column 5 (controls and cohort 2) + the
    # cohort-3 share: if a unit got different weights in different column sets, the draws of
    # the sum would not be the sum of the draws.
    inf, aux, _ = _cohort_like()
    combo = inf[:, [0]] + inf[:, [5]] + aux[:, [2]]
    bres, _ = multiplier_draws((inf, aux, combo), np.random.default_rng(3), 200)
    scale = np.abs(bres[:, 15]).max()
    np.testing.assert_allclose(bres[:, 15], bres[:, 0] + bres[:, 5] + bres[:, 14],
                               atol=1e-5 * scale)


@pytest.mark.parametrize("kind", ["mammen", "rademacher"])
def test_draws_have_the_influence_covariance(kind):
    inf, aux, _ = _cohort_like(n=6000, seed=1)
    full = np.hstack([inf, aux])
    n, draws = full.shape[0], 40_000
    bres, _ = multiplier_draws((inf, aux), np.random.default_rng(11), draws, weight_type=kind)
    truth = full.T @ full / n
    sd = np.sqrt(np.diag(truth))
    z = (bres.T @ bres / draws - truth) / np.outer(sd, sd) * np.sqrt(draws)
    # each entry is a mean of 40,000 i.i.d. products: z ~ N(0, 1 + rho^2), 120 distinct entries
    assert np.sqrt(np.mean(z ** 2)) < 1.6
    assert np.abs(z).max() < 5.5
    assert np.abs(bres.mean(axis=0) / sd).max() * np.sqrt(draws) < 5.0


def test_mammen_low_value_probability_is_exact_beyond_one_byte():
    # one byte gives 185/256 = 0.72266; the tie byte's extra draw makes it kappa / sqrt(5) =
    # 0.72361. 16M weights: standard error 1.1e-4, so the one-byte value would be 8.5 of them off.
    from evalkit.did.bootstrap import _MAMMEN_P, _low_indicator

    m = _low_indicator(np.random.default_rng(4), (16, 1 << 20), "mammen",
                       np.empty((16, 1 << 20), dtype=np.float32))
    assert set(np.unique(m)) == {0.0, 1.0}
    se = np.sqrt(_MAMMEN_P * (1 - _MAMMEN_P) / m.size)
    assert abs(m.mean() - _MAMMEN_P) < 4 * se
    assert abs(m.mean() - 185 / 256) > 6 * se
