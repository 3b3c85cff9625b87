"""Two-period DR / IPW / OR DiD on LaLonde's NSW-CPS panel against R DRDID's printed numbers.

The example of R DRDID's help pages ``?drdid`` (``estMethod = "trad"``), ``?ipwdid`` and
``?ordid``: NSW experimental controls (``experimental = 1``) against CPS workers, earnings 1975 ->
1978, covariates age, educ, black, married, nodegree, hisp, re74; 5,000 units drawn with
``set.seed(123)``. The true effect is zero: the estimates measure the bias of each estimator.
Data and numbers: ``lalonde_cps.csv``, made by ``lalonde_make.py``; see PROVENANCE.md.

The propensity-score logit is hard here (2.6 % treated, ``black`` nearly separating): an
undamped Newton iteration from the intercept-only start overshoots to scores of 1.0, while the
maximum-likelihood fit's largest score is 0.733.

Standard errors: R printed ``sd(IF) / sqrt(n)`` (DRDID <= 1.2.2, which rendered these pages);
evalkit reports ``sqrt(mean(IF^2) / n)`` (as DRDID >= 1.2.3, ``sd(IF) * sqrt(n - 1) / n``); the
influence functions have mean zero, so R's number is evalkit's times ``sqrt(n / (n - 1))``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.did import att_gt, drdid_panel, reg_did_panel, std_ipw_panel
from evalkit.did.drdid import logit_fit
from tests.reference.lalonde_make import RRandom, r_sample

HERE = Path(__file__).parent
COVS = ["age", "educ", "black", "married", "nodegree", "hisp", "re74"]
# R DRDID docs (pkgdown, rendered 2024-06-19): ATT and Std. Error as printed (4 decimals).
R_PRINTED = {"dr": (-507.6113, 692.9738), "ipw": (-655.9068, 687.8493),
             "reg": (-1312.6766, 597.2834)}
ESTIMATORS = {"dr": drdid_panel, "ipw": std_ipw_panel, "reg": reg_did_panel}
# The bar: R's printed digits (a printed value is within 5e-5 of R's own).
TOL = 1e-4
N = 5000


@pytest.fixture(scope="module")
def long() -> pd.DataFrame:
    return pd.read_csv(HERE / "lalonde_cps.csv")


@pytest.fixture(scope="module")
def wide(long):
    y = long.pivot(index="id", columns="year", values="re")
    base = long[long.year == 1975].set_index("id").loc[y.index]
    dy = (y[1978] - y[1975]).to_numpy()
    D = base.experimental.to_numpy(dtype=float)
    X = np.column_stack([np.ones(len(D)), base[COVS].to_numpy(dtype=float)])
    return dy, D, X


def test_r_sample_reproduces_r():
    """R >= 3.6 outputs: set.seed(123); sample(10) / set.seed(42); sample(10) /
    set.seed(123); runif(3) / set.seed(123); sample(100, 5)."""
    assert r_sample(123, 10) == [3, 10, 2, 8, 6, 9, 1, 7, 5, 4]
    assert r_sample(42, 10) == [1, 5, 10, 8, 2, 4, 6, 9, 7, 3]
    rng = RRandom(123)
    assert [round(rng.unif_rand(), 7) for _ in range(3)] == [0.2875775, 0.7883051, 0.4089769]
    assert r_sample(123, 100, 5) == [31, 79, 51, 14, 67]


def test_the_units_are_rs_subsample(long):
    """unique(id) of the subset is the 15,992 CPS ids 1..15992, then the 425 NSW controls
    (ids 15995..16714); R's draw of 5,000 positions fixes the CPS ids and the NSW count."""
    units = long[long.year == 1975]
    assert len(long) == 2 * N and units.id.is_unique and len(units) == N
    assert set(long.groupby("id").year.agg(tuple)) == {(1975, 1978)}
    pos = np.array(r_sample(123, 15992 + 425, N))
    cps = units[units.experimental == 0].id
    assert sorted(cps) == sorted(pos[pos <= 15992].tolist())
    nsw = units[units.experimental == 1].id
    assert len(nsw) == int((pos > 15992).sum()) == 128
    assert nsw.between(15995, 16714).all()


def test_the_logit_converges_to_the_mle(wide):
    _dy, D, X = wide
    ps = logit_fit(X, D, np.ones(len(D)))
    score = X.T @ (D - ps)
    assert np.all(np.abs(score) <= 1e-6 * (1 + np.abs(X).sum(axis=0)))
    assert ps.max() == pytest.approx(0.7328732, abs=1e-7)
    assert ps[D == 0].max() < 0.995        # DRDID's trimming (absent in the printed version) idle


@pytest.mark.parametrize("method", sorted(ESTIMATORS))
def test_two_period_estimators_equal_r(wide, method):
    dy, D, X = wide
    att, inf = ESTIMATORS[method](dy, D, X)
    se = np.sqrt(np.mean(inf ** 2) / N)
    assert abs(inf.mean()) < 1e-6 * se
    r_att, r_se = R_PRINTED[method]
    assert att == pytest.approx(r_att, abs=TOL)
    assert se * np.sqrt(N / (N - 1)) == pytest.approx(r_se, abs=TOL)


@pytest.mark.parametrize("method", sorted(ESTIMATORS))
def test_att_gt_on_the_two_period_panel_equals_r(long, method):
    data = long.assign(g=np.where(long.experimental == 1, 1978, 0))
    res = att_gt(data, "re", "year", "id", "g", covariates=COVS, est_method=method)
    assert res.group.tolist() == [1978] and res.time.tolist() == [1978]
    r_att, r_se = R_PRINTED[method]
    assert res.att[0] == pytest.approx(r_att, abs=TOL)
    assert res.se[0] * np.sqrt(N / (N - 1)) == pytest.approx(r_se, abs=TOL)
