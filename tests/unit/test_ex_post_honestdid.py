"""HonestDiD in the ex-post stage (study key ``robustness.honestdid``; Rambachan & Roth 2023).

On the synthetic district's P07 (granted after a revenue dip, data/SYNTH.md) with the demo study
(bootstrap off): the stage's result is R HonestDiD's relative-magnitudes table (checked against R
in tests/reference/test_honestdid_ehec.py) on the Callaway-Sant'Anna event study re-estimated
with a universal base period, for the average post-award effect; intervals widen with Mbar and
the breakdown value is where 0 enters. The study refuses outcomes it cannot run it on, and a
study without the key writes the bundle it wrote before (no ``honestdid`` key)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from evalkit.errors import ConfigError
from evalkit.robust.honestdid import honest_did
from evalkit.robust.pretrends import event_study_inputs
from evalkit.stages.ex_post_honestdid import honestdid_evidence
from evalkit.study import load_study
from tests.district_helpers import (
    STUDIES,
    cohort_sizes,
    demo_study,
    district_tables,
    evaluate,
    policy_sample,
)

N_FIRMS, SEED = 3000, 7


@pytest.fixture(scope="module")
def p07():
    study = demo_study("P07")
    assert study.robustness.honestdid.outcomes == ("tax_paid",)     # what the demo asks
    df = policy_sample(district_tables(N_FIRMS, SEED), study)
    return study, df, honestdid_evidence(df, "tax_paid", study, SEED, cohort_sizes(df))


def test_the_stage_runs_honestdid_on_the_universal_base_event_study(p07):
    study, df, h = p07
    universal = study.model_copy(
        update={"design": study.design.model_copy(update={"base_period": "universal"})})
    inp = event_study_inputs(evaluate(df, "tax_paid", universal).dynamic)
    assert inp.pre_kind == "levels" and inp.reference == -1
    post = inp.event >= 0
    ref = honest_did(inp, type="relative_magnitudes", values=study.robustness.honestdid.mbar,
                     l_vec=np.full(post.sum(), 1 / post.sum()))
    assert h["base_period"] == "universal" and h["target"] == "average_post"
    assert h["mbar"] == [0.0, 0.5, 1.0, 1.5, 2.0]
    np.testing.assert_allclose(h["lb"], ref.lb, rtol=1e-12)
    np.testing.assert_allclose(h["ub"], ref.ub, rtol=1e-12)
    np.testing.assert_allclose(h["original"], ref.original, rtol=1e-12)
    # the target: the average of the post-award event-time effects e = 0 ... max_e
    assert h["num_post"] == study.design.max_e + 1
    assert h["estimate"] == pytest.approx(inp.estimate[post].mean(), rel=1e-12)
    assert h["grid"] == pytest.approx([-20 * h["std_error"], 20 * h["std_error"]])


def test_intervals_widen_with_mbar_and_the_breakdown_is_where_0_enters(p07):
    _, _, h = p07
    lb, ub = np.array(h["lb"]), np.array(h["ub"])
    assert (np.diff(lb) <= 1e-6 * abs(lb).max()).all() and (np.diff(ub) >= -1e-6 * ub.max()).all()
    covers = (lb <= 0) & (ub >= 0)
    mbar = np.array(h["mbar"])
    if h["breakdown"] is None:
        assert not covers.any()
    else:
        assert not covers[mbar < h["breakdown"] - 1e-9].any()
        assert covers[mbar >= h["breakdown"]].all() or covers[mbar > h["breakdown"]].all()
        if h["original"][0] <= 0 <= h["original"][1]:
            assert h["breakdown"] == 0


def _load(tmp_path, honest: dict, **design):
    """The demo's P07 study with ``robustness.honestdid: honest``, read as `evalkit run` reads it."""
    cfg = yaml.safe_load((STUDIES / "ex_post_P07.yaml").read_text(encoding="utf-8"))
    cfg["robustness"] = {"honestdid": honest}
    cfg["design"].update(design)
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return load_study(path)


@pytest.mark.parametrize("honest, says", [
    ({"outcomes": ["profit"]}, "not one of outcomes"),
    ({"outcomes": []}, "at least 1"),
    ({"outcomes": ["tax_paid"], "mbar": [0.5, 2.0]}, "include 1"),
    ({"outcomes": ["tax_paid"], "mbar": [-1.0, 1.0]}, "include 1"),
])
def test_the_study_refuses_what_honestdid_cannot_run(tmp_path, honest, says):
    with pytest.raises(ConfigError, match=says):
        _load(tmp_path, honest)


def test_a_poisson_outcome_has_no_pre_award_coefficients(tmp_path):
    with pytest.raises(ConfigError, match=r"robustness\.honestdid\.outcomes.*poisson"):
        _load(tmp_path, {"outcomes": ["invention_patents"]},
              scale_of={"invention_patents": "poisson"})
    study, _ = _load(tmp_path, {"outcomes": ["tax_paid"], "mbar": [2, 1, 0.5, 1]})
    assert study.robustness.honestdid.mbar == (0.5, 1.0, 2.0)           # sorted, once each


def test_without_the_key_the_outcome_carries_no_honestdid(p07):
    study, df, _ = p07
    plain = study.model_copy(update={"robustness": type(study.robustness)()})
    assert "honestdid" not in evaluate(df, "tax_paid", plain).to_dict()
