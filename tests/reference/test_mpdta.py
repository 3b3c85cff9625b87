"""Callaway-Sant'Anna on mpdta against the R `did` reference numbers (six specifications)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.did import aggte, att_gt

HERE = Path(__file__).parent
# Absolute tolerance for points and standard errors: ../shared/reference/README.md (beside the project) says
# 1e-6 ("a larger difference means a different estimator, not rounding"); see PROVENANCE.md.
TOLERANCE = 1e-6

DATA = pd.read_csv(HERE / "mpdta.csv")
EXPECTED = json.loads((HERE / "mpdta_expected.json").read_text())


def _fit(spec):
    return att_gt(DATA, spec["yname"], spec["tname"], spec["idname"], spec["gname"],
                  covariates=spec["covariates"], control_group=spec["control_group"],
                  est_method=spec["est_method"], base_period=spec["base_period"],
                  anticipation=spec["anticipation"])


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def case(request):
    c = EXPECTED[request.param]
    return c, _fit(c["spec"])


def test_every_att_gt_and_se(case):
    c, res = case
    exp = pd.DataFrame(c["att_gt"])
    assert res.group.tolist() == exp.group.tolist()
    assert res.time.tolist() == exp.time.tolist()
    np.testing.assert_allclose(res.att, exp.att, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(res.se, exp.se, rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("kind", ["simple", "group", "dynamic", "calendar"])
def test_every_aggregation(case, kind):
    c, res = case
    agg = aggte(res, type=kind)
    exp = c[kind]
    assert agg.overall_att == pytest.approx(exp["overall_att"], abs=TOLERANCE)
    assert agg.overall_se == pytest.approx(exp["overall_se"], abs=TOLERANCE)
    if "by" in exp:
        by = pd.DataFrame(exp["by"])
        assert agg.egt.tolist() == by.key.tolist()
        np.testing.assert_allclose(agg.att_egt, by.att, rtol=0, atol=TOLERANCE)
        np.testing.assert_allclose(agg.se_egt, by.se, rtol=0, atol=TOLERANCE)


def test_readme_numbers():
    """Numbers printed in the R did README (never-treated, no covariates)."""
    res = _fit(EXPECTED["unconditional_never"]["spec"])
    assert res.att[0] == pytest.approx(-0.0105, abs=5e-5)
    assert aggte(res, type="dynamic").overall_att == pytest.approx(-0.0772, abs=5e-5)
    assert aggte(res, type="group").overall_att == pytest.approx(-0.031, abs=5e-4)
