"""Goodman-Bacon decomposition on the castle-doctrine panel (Cheng & Hoekstra 2013).

The data are causaldata 0.1.5's castle panel (see castle.PROVENANCE.md). R bacondecomp's
vignette numbers (TWFE 0.0818) come from a differently coded 520-row panel that no
pip-installable package ships, so the reference here is diff-diff 3.13.0's exact
decomposition of this panel (numbers below, measured once and also re-checked live when
diff-diff is installed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.did.bacon import bacon
from evalkit.did.twfe import twfe

HERE = Path(__file__).parent

# diff-diff 3.13.0 BaconDecomposition(weights="exact") on castle.csv; printed to 16 digits.
EXPECTED_TWFE = 0.06939842928390737
EXPECTED_WEIGHT = {"treated_vs_never": 0.8988088354342545,
                   "earlier_vs_later": 0.07707875563779347,
                   "later_vs_earlier": 0.024112408927951898}
EXPECTED_ESTIMATE = {"treated_vs_never": 0.07843799079698617,
                     "earlier_vs_later": -0.028577158796277684,
                     "later_vs_earlier": 0.04563467569059611}
# Two exact algorithms in float64: agreement to 1e-10 leaves room only for rounding.
TOL = 1e-10


@pytest.fixture(scope="module")
def castle() -> pd.DataFrame:
    d = pd.read_csv(HERE / "castle.csv")
    first = d[d.post == 1].groupby("sid").year.min()
    d["g"] = d.sid.map(first).fillna(0).astype(int)
    return d


def test_castle_decomposition_matches_reference_numbers(castle):
    r = bacon(castle, "l_homicide", "year", "sid", "g")
    assert r.twfe == pytest.approx(EXPECTED_TWFE, abs=TOL)
    by = r.by_type().set_index("type")
    for t in EXPECTED_WEIGHT:
        assert by.loc[t, "weight"] == pytest.approx(EXPECTED_WEIGHT[t], abs=TOL)
        assert by.loc[t, "estimate"] == pytest.approx(EXPECTED_ESTIMATE[t], abs=TOL)
    assert r.weight.sum() == pytest.approx(1.0, abs=TOL)
    assert r.weighted_sum == pytest.approx(r.twfe, abs=TOL)
    # The decomposed coefficient is the TWFE regression's coefficient on post.
    assert r.twfe == pytest.approx(
        twfe(castle, "l_homicide", "year", "sid", dname="post").coef("D"), abs=TOL)
    assert r.n_units == 50 and r.n_periods == 11 and r.n_never == 29
    assert len(r.weight) == 5 + 2 * 10       # 5 timing groups vs U, and 10 pairs both ways


def test_castle_every_comparison_matches_diff_diff(castle):
    dd = pytest.importorskip("diff_diff")
    ours = bacon(castle, "l_homicide", "year", "sid", "g").tidy()
    theirs = dd.BaconDecomposition().fit(castle, "l_homicide", "sid", "year", "g").to_dataframe()
    theirs["control"] = theirs.control_group.replace("never_treated", 0).astype(int)
    m = ours.merge(theirs, left_on=["treated", "control"], right_on=["treated_group", "control"])
    assert len(m) == len(ours) == len(theirs)
    assert (m["type"] == m["comparison_type"]).all()
    np.testing.assert_allclose(m.weight_x, m.weight_y, atol=TOL)
    np.testing.assert_allclose(m.estimate_x, m.estimate_y, atol=TOL)
