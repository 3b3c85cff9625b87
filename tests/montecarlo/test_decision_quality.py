"""Decision quality of the one budget proposal on known-truth districts (issue 14, slow).

Each district is evaluated end to end by the ex-post and portfolio stages
(:func:`bench.decision.run_district`) with the demo studies' own design (``scale: auto`` with the
selection covariates the awards were decided on, the selection-balance gate, the grade hold on
差 only, unidentified policies frozen) and the proposal is scored against the truth with the
decision value of ``../shared/notes/decision-quality.md``. The bars are issue 14's goals where
the measurement reaches them (``bench/README.md``, "Decision quality", 2026-12-08): mean DV 0.83
(goal 0.8), 20 of 20 districts >= 0, the best identified policy plausibly best in 20 of 20, no
flagged policy first or raised. Coverage of the unflagged fiscal-return intervals is 90.8 % (118
of 130), short of the goal of 93 %: the R&D grant P01 covers in 14 of 20 (its estimate sits
above the truth: selection on R&D intensity picks firms in a revenue trough, which the base-year
selection covariates absorb only in part), so the floor asserted is 0.88 and the issue stays
open on it.
"""

import tempfile
from pathlib import Path

import numpy as np
import pytest

from bench.decision import decision_value, run_district

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scenarios():
    """Twenty 20,000-firm districts whose effect sizes, take-up and award sizes are drawn at
    random (seeds 201-220)."""
    rows, scores = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(201, 221):
            res = run_district(seed, 20000, "default", True, Path(tmp))
            rows += res["rows"]
            scores.append(res["score"])
    return rows, scores


def test_decision_value_on_random_scenarios(scenarios):
    """Issue 14's goals: mean DV >= 0.8, never harmful in at least 90 % of districts, no flagged
    policy ranked first or raised, one proposal (the recommendation table's changes are the
    reallocation's)."""
    _, scores = scenarios
    dv = np.array([s["dv_realloc"] for s in scores])
    assert dv.mean() >= 0.8, dv
    assert np.mean(dv >= 0) >= 0.9, dv
    assert sum(s["flagged_raised"] for s in scores) == 0
    assert sum(s["flagged_first"] for s in scores) == 0
    assert all(abs(s["dv_realloc"] - s["dv_recommend"]) < 1e-9 for s in scores)


def test_best_identified_policy_is_plausibly_best(scenarios):
    """The truly best policy whose identification holds is in the plausibly-best set in every
    district (a flagged policy is never ranked; where the truly best one is flagged -- the dip
    voucher in a scenario that made it the best -- the check reads the best identified one)."""
    _, scores = scenarios
    assert all(s["best_identified_in_set"] for s in scores), [
        s["seed"] for s in scores if not s["best_identified_in_set"]]


def test_fiscal_return_intervals_cover_the_truth(scenarios):
    """Coverage of the unflagged policies' 95 % fiscal-return intervals: measured 90.8 %, the
    goal is 93 % (module doc); the flagged ones are reported apart and not expected to cover."""
    rows, _ = scenarios
    unflagged = [r["covered"] for r in rows if not r["flagged"]]
    assert len(unflagged) >= 120
    assert np.mean(unflagged) >= 0.88, np.mean(unflagged)


def test_demo_district_decision():
    """The demo district (seed 7): P07 (the Ashenfelter dip) is flagged, not ranked and not
    raised; P03's fiscal-return interval covers its truth; the proposal captures more than half
    of the oracle's gain."""
    with tempfile.TemporaryDirectory() as tmp:
        res = run_district(7, 20000, "default", False, Path(tmp))
    rows = {r["policy"]: r for r in res["rows"]}
    assert rows["P07"]["flagged"] and rows["P07"]["rank"] == 0 and rows["P07"]["change"] <= 0
    assert rows["P03"]["covered"], rows["P03"]
    assert res["score"]["dv_realloc"] > 0.5, res["score"]
    assert not res["score"]["flagged_first"] and not res["score"]["flagged_raised"]


def test_decision_value_is_one_for_the_oracle_and_minus_one_for_its_mirror():
    r = np.array([0.0, 1.0, 3.0])
    current = np.array([100.0, 100.0, 100.0])
    best = np.array([-30.0, 0.0, 30.0])
    assert decision_value(best, r, current, 0.3) == pytest.approx(1.0)
    assert decision_value(-best, r, current, 0.3) == pytest.approx(-1.0)
    assert decision_value(np.zeros(3), r, current, 0.3) == 0.0
