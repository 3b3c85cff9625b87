"""Goodman-Bacon decomposition: identity with TWFE, diff-diff oracle, heterogeneous effects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.did.bacon import bacon
from evalkit.did.imputation import did_imputation
from evalkit.did.sunab import sunab
from evalkit.did.twfe import twfe
from evalkit.errors import DataError, DataWarning
from evalkit.synth.dgp import simulate_staggered

# Copy of ../shared/reference/mpdta.csv (see tests/reference/PROVENANCE.md).
MPDTA = Path(__file__).parents[1] / "reference" / "mpdta.csv"

# Theorem 1 is an identity; float64 rounding is the only gap.
IDENTITY_TOL = 1e-10


@pytest.fixture(scope="module")
def hetero():
    """Effects grow with exposure and are larger for earlier cohorts (default_effect);
    selection=0 so unconditional parallel trends hold."""
    return simulate_staggered(n_units=2000, never_share=0.2, selection=0.0, seed=3)


def _compare_with_diff_diff(d, y, t, i, g):
    dd = pytest.importorskip("diff_diff")
    ours = bacon(d, y, t, i, g)
    theirs = dd.BaconDecomposition().fit(d, y, i, t, g).to_dataframe()
    theirs["control"] = theirs.control_group.replace("never_treated", 0).astype(int)
    m = ours.tidy().merge(theirs, left_on=["treated", "control"],
                          right_on=["treated_group", "control"])
    assert len(m) == len(theirs) == len(ours.weight)
    assert (m["type"] == m["comparison_type"]).all()
    np.testing.assert_allclose(m.weight_x, m.weight_y, atol=1e-6)
    np.testing.assert_allclose(m.estimate_x, m.estimate_y, atol=1e-6)
    return ours


def test_weights_sum_to_one_and_reproduce_twfe(hetero):
    d, _ = hetero
    r = bacon(d, "y", "year", "id", "g")
    assert r.weight.sum() == pytest.approx(1.0, abs=IDENTITY_TOL)
    assert (r.weight > 0).all()
    fit = twfe(d, "y", "year", "id", gname="g")
    assert r.twfe == pytest.approx(fit.coef("D"), abs=IDENTITY_TOL)
    assert r.weighted_sum == pytest.approx(fit.coef("D"), abs=IDENTITY_TOL)
    assert sorted(set(r.type)) == ["earlier_vs_later", "later_vs_earlier", "treated_vs_never"]


def test_matches_diff_diff_on_mpdta_and_simulated_panel(hetero):
    _compare_with_diff_diff(pd.read_csv(MPDTA), "lemp", "year",
                            "countyreal", "first.treat")
    _compare_with_diff_diff(hetero[0], "y", "year", "id", "g")


def test_heterogeneous_effects_bias_twfe_and_bacon_shows_forbidden_comparisons(hetero):
    d, truth = hetero
    true_att = truth["simple"]
    tw = twfe(d, "y", "year", "id", gname="g").coef("D")
    assert abs(tw / true_att - 1) > 0.20                  # visibly biased (measured -31 %)
    sa = sunab(d, "y", "year", "id", "g")
    im = did_imputation(d, "y", "year", "id", "g")
    for r in (sa, im):
        assert abs(r.coef("att") - true_att) < 3 * r.se("att")
        assert abs(r.coef("att") / true_att - 1) < 0.05
        assert abs(tw - true_att) > 8 * r.se("att")
    b = bacon(d, "y", "year", "id", "g").by_type().set_index("type")
    # Later-vs-earlier comparisons carry real weight, and because the earlier cohort's effect
    # keeps growing, their estimates are far below the clean comparisons'.
    assert b.loc["later_vs_earlier", "weight"] > 0.10
    assert (b.loc["later_vs_earlier", "estimate"]
            < 0.5 * b.loc["treated_vs_never", "estimate"])


def test_always_treated_units_count_as_untreated_and_unbalanced_rejected(hetero):
    d = hetero[0].copy()
    first = d.year.min()
    d.loc[d.id <= 20, "g"] = first                      # 20 units treated from the start
    with pytest.warns(DataWarning, match="20 unit"):
        r = bacon(d, "y", "year", "id", "g")
    assert r.n_always_treated == 20
    assert r.weighted_sum == pytest.approx(twfe(d, "y", "year", "id", gname="g").coef("D"),
                                           abs=IDENTITY_TOL)
    with pytest.raises(DataError, match="balanced"):
        bacon(d.iloc[1:], "y", "year", "id", "g")
