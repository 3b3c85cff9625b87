"""Synthetic DiD, synthetic control and DiD on California Proposition 99 (Arkhangelsky et al.
2021, Table 1; R synthdid README): SDID -15.604, SC -19.620, DID -27.349."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.robust.synthdid import synthdid

DATA = Path(__file__).with_name("california_prop99.csv")
PUBLISHED = {"sdid": -15.604, "sc": -19.620, "did": -27.349}
# Published to 3 decimals; our Frank-Wolfe follows R's stopping rule, so the estimates agree to
# the printed precision (half a unit in the 3rd decimal).
EST_TOL = 5e-4
COLS = dict(unit="State", time="Year", outcome="PacksPerCapita", treated="treated")


@pytest.fixture(scope="module")
def df():
    return pd.read_csv(DATA)


@pytest.mark.parametrize("method", ["sdid", "sc", "did"])
def test_prop99_estimates(df, method):
    r = synthdid(df, method=method, se_method=None, **COLS)
    assert abs(r.estimate - PUBLISHED[method]) < EST_TOL, r.estimate
    assert r.N0 == 38 and r.T0 == 19 and r.treated_units == ("California",)
    np.testing.assert_allclose(r.omega.sum(), 1.0)
    assert (r.omega >= 0).all()
    if method == "sc":
        assert (r.lambda_weights == 0).all()
    else:
        np.testing.assert_allclose(r.lambda_weights.sum(), 1.0)


def test_prop99_placebo_se_in_published_ballpark(df):
    """Placebo SE (Algorithm 4, 200 permutations, seeded): the paper's Table 1 reports 8.4 for
    SDID and the R README's seeded run implies about 9.5; Monte-Carlo noise across seeds is ~10%.
    Seed 12345 gives 8.42."""
    r = synthdid(df, method="sdid", se_method="placebo", replications=200,
                 rng=np.random.default_rng(12345), **COLS)
    assert 7.0 < r.std_error < 11.0, r.std_error
    again = synthdid(df, method="sdid", se_method="placebo", replications=200,
                     rng=np.random.default_rng(12345), **COLS)
    assert again.std_error == r.std_error   # deterministic given the seed


def test_prop99_matrix_input_equals_long_input(df):
    long = synthdid(df, method="sdid", se_method=None, **COLS)
    Y = df.pivot(index="State", columns="Year", values="PacksPerCapita")
    order = [s for s in Y.index if s != "California"] + ["California"]
    r = synthdid(Y.loc[order].to_numpy(), N0=38, T0=19, method="sdid", se_method=None)
    assert r.estimate == pytest.approx(long.estimate, abs=1e-12)
