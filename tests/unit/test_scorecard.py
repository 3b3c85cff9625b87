import json

import pandas as pd
import pytest
import yaml

from evalkit.errors import ConfigError
from evalkit.fiscal import LinearEstimate
from evalkit.portfolio import load_scorecard_spec, score_policy
from evalkit.portfolio.scorecard import DEFAULT_SCORECARD, scorecard_spec_from_dict


@pytest.fixture(scope="module")
def spec():
    return load_scorecard_spec()


def _full_marks():
    q = {"evidence": "立项文件齐全 / approval documents complete", "share": 1.0}
    return {
        "decision.basis": q, "decision.targets": q, "decision.allocation": q,
        "process.execution_rate": {"actual": 1.0}, "process.timeliness": {"actual": 1.0},
        "process.compliance": q,
        "output.quantity": {"actual": 120, "target": 100},
        "output.quality": {"actual": 1.0, "target": 0.95},
        "output.timeliness": {"actual": 1.0, "target": 1.0},
        "output.cost": {"actual": 150_000, "target": 200_000},
        "effect.fiscal": {"estimate": 0.5, "conf_low": 0.2, "conf_high": 0.8, "target": 0.3},
        "effect.social": {"estimate": 50, "conf_low": 10, "conf_high": 90, "target": 40},
        "effect.sustainable": q, "effect.satisfaction": {"actual": 0.95},
    }


def test_default_file_weights(spec):
    assert spec.level_weights() == {"decision": 10, "process": 20, "output": 40, "effect": 30}
    assert [g[0] for g in spec.grades] == ["优", "良", "中", "差"]


def test_full_marks_is_100_and_excellent(spec):
    r = score_policy(spec, "P1", _full_marks())
    assert r.score == 100.0 and r.grade == "优" and r.grade_en == "excellent"
    assert r.by_level == {"decision": 10, "process": 20, "output": 40, "effect": 30}
    t = r.tidy()
    assert t["term"].iloc[-1] == "total" and t["estimate"].iloc[-1] == 100.0
    assert json.loads(json.dumps(r.to_dict()))["grade"] == "优"


def _points(r, ind):
    return float(r.rows.set_index("indicator").loc[ind, "points"])


def test_quantitative_higher_and_lower_is_better(spec):
    inp = _full_marks()
    inp["process.execution_rate"] = {"actual": 0.85}          # 10 x 0.85
    inp["output.quantity"] = {"actual": 60, "target": 100}   # 15 x 0.6
    inp["output.cost"] = {"actual": 250_000, "target": 200_000}   # lower better: 10 x 0.8
    inp["effect.satisfaction"] = {"actual": 0.72}            # 5 x 0.72 / 0.9 = 4
    r = score_policy(spec, "P", inp)
    assert _points(r, "process.execution_rate") == pytest.approx(8.5)
    assert _points(r, "output.quantity") == pytest.approx(9.0)
    assert _points(r, "output.cost") == pytest.approx(8.0)
    assert _points(r, "effect.satisfaction") == pytest.approx(4.0)
    assert r.score == pytest.approx(100 - 1.5 - 6 - 2 - 1)
    inp["output.cost"] = {"actual": 0.0, "target": 200_000}     # no cost: full marks
    inp["process.execution_rate"] = {"actual": -0.2}            # negative actual: zero
    r2 = score_policy(spec, "P", inp)
    assert _points(r2, "output.cost") == 10.0 and _points(r2, "process.execution_rate") == 0.0


def test_qualitative_bands_and_evidence(spec):
    inp = _full_marks()
    inp["decision.targets"] = {"share": 0.7, "evidence": "目标较明确"}          # 4 x 0.7
    inp["decision.allocation"] = {"band": "low", "evidence": "分配依据不足"}    # 3 x 0.3
    inp["process.compliance"] = {"band": "high", "share": 0.8, "evidence": "审计无问题"}
    r = score_policy(spec, "P", inp)
    rows = r.rows.set_index("indicator")
    assert rows.loc["decision.targets", "points"] == pytest.approx(2.8)
    assert "band mid" in rows.loc["decision.targets", "note"]
    assert rows.loc["decision.allocation", "points"] == pytest.approx(0.9)
    assert rows.loc["process.compliance", "points"] == pytest.approx(4.0)
    bad = dict(inp, **{"decision.basis": {"share": 0.9}})
    with pytest.raises(ConfigError, match="evidence"):
        score_policy(spec, "P", bad)
    bad = dict(inp, **{"decision.basis": {"share": 0.7, "band": "high", "evidence": "x"}})
    with pytest.raises(ConfigError, match="not in band 'high'"):
        score_policy(spec, "P", bad)
    bad = dict(inp, **{"decision.basis": {"band": "top", "evidence": "x"}})
    with pytest.raises(ConfigError, match="'high', 'mid', 'low'"):
        score_policy(spec, "P", bad)


def test_effect_interval_including_zero_cannot_earn_full_marks(spec):
    inp = _full_marks()
    inp["effect.fiscal"] = {"estimate": 0.5, "conf_low": -0.1, "conf_high": 1.1, "target": 0.3}
    r = score_policy(spec, "P", inp)
    assert _points(r, "effect.fiscal") == pytest.approx(15 * 0.6)
    assert "includes 0" in r.rows.set_index("indicator").loc["effect.fiscal", "note"]
    # below the cap the rule does not bind: 0.1 / 0.3 = 1/3 of the weight
    inp["effect.fiscal"] = {"estimate": 0.1, "conf_low": -0.1, "conf_high": 0.3, "target": 0.3}
    assert _points(score_policy(spec, "P", inp), "effect.fiscal") == pytest.approx(5.0)
    # a negative effect earns nothing
    inp["effect.fiscal"] = {"estimate": -0.2, "conf_low": -0.3, "conf_high": -0.1, "target": 0.3}
    assert _points(score_policy(spec, "P", inp), "effect.fiscal") == 0.0
    # from a LinearEstimate: se 0.1 -> interval [0.3 +- 0.196] excludes 0 -> full marks
    le = LinearEstimate(0.3, pd.Series([0.1], index=["f"]), "fr")
    inp["effect.fiscal"] = {"estimate": le, "target": 0.3}
    assert _points(score_policy(spec, "P", inp), "effect.fiscal") == pytest.approx(15.0)


@pytest.mark.parametrize("score, grade", [
    (100.0, "优"), (90.0, "优"), (89.99, "良"), (80.0, "良"), (79.99, "中"), (60.0, "中"),
    (59.99, "差"), (0.0, "差"), (89.99999999999997, "优"),
])
def test_grade_boundaries(spec, score, grade):
    assert spec.grade(score)[0] == grade


def test_scores_land_on_each_boundary(spec):
    # Satisfaction (weight 5, target 0.9) and execution rate (10) move the total exactly.
    inp = _full_marks()
    inp["process.execution_rate"] = {"actual": 0.998}        # 9.98 of 10 points
    inp["output.quantity"] = {"actual": 33.4, "target": 100}  # 15 x 0.334 = 5.01 of 15
    r = score_policy(spec, "P", inp)
    assert r.score == pytest.approx(89.99) and r.grade == "良"
    inp["process.execution_rate"] = {"actual": 1.0}
    r = score_policy(spec, "P", inp)
    assert r.score == pytest.approx(90.01) and r.grade == "优"
    # 80 / 79.99 and 60 / 59.99 through the output quantity and cost indicators
    inp["output.quantity"] = {"actual": 0.0, "target": 100}          # 85 points
    inp["output.cost"] = {"actual": 200_000 / 0.5, "target": 200_000}  # 10 x 0.5 -> 80
    r = score_policy(spec, "P", inp)
    assert r.score == 80.0 and r.grade == "良"
    inp["process.execution_rate"] = {"actual": 0.999}                # 79.99
    r = score_policy(spec, "P", inp)
    assert r.score == pytest.approx(79.99) and r.grade == "中"
    inp["output.quality"] = {"actual": 0.0, "target": 0.95}          # -10 -> 69.99
    inp["output.timeliness"] = {"actual": 0.0, "target": 1.0}        # -5  -> 64.99
    inp["effect.satisfaction"] = {"actual": 0.0}                     # -5  -> 59.99
    r = score_policy(spec, "P", inp)
    assert r.score == pytest.approx(59.99) and r.grade == "差"
    inp["process.execution_rate"] = {"actual": 1.0}                  # 60.00
    r = score_policy(spec, "P", inp)
    assert r.score == 60.0 and r.grade == "中"
    inp = _full_marks()
    inp["output.quantity"] = {"actual": 100 / 3, "target": 100}   # 5 points up to float noise
    r = score_policy(spec, "P", inp)
    assert r.score == 90.0 and r.grade == "优"


def test_missing_and_unknown_entries_are_errors(spec):
    inp = _full_marks()
    del inp["output.cost"]
    with pytest.raises(ConfigError, match=r"output\.cost"):
        score_policy(spec, "P", inp)
    with pytest.raises(ConfigError, match="unknown indicators"):
        score_policy(spec, "P", dict(_full_marks(), bogus={"actual": 1}))


def _raw():
    return yaml.safe_load(DEFAULT_SCORECARD.read_text(encoding="utf-8"))


def test_spec_validation_weights_and_output_effect_share():
    raw = _raw()
    raw["indicators"][0]["weight"] = 4        # sum 101
    with pytest.raises(ConfigError, match="sum to 100"):
        scorecard_spec_from_dict(raw)
    raw = _raw()
    # move 15 points from output.quantity to decision.basis: output+effect = 55 < 60
    for ind in raw["indicators"]:
        if ind["id"] == "output.quantity":
            ind["weight"] = 0.0001
        if ind["id"] == "decision.basis":
            ind["weight"] = 3 + 15 - 0.0001
    with pytest.raises(ConfigError, match="output \\+ effect"):
        scorecard_spec_from_dict(raw)
    raw = _raw()
    raw["indicators"][0]["type"] = "vibes"
    with pytest.raises(ConfigError, match="'quantitative', 'qualitative', 'effect'"):
        scorecard_spec_from_dict(raw)
    raw = _raw()
    raw["grades"][1]["min"] = 95
    with pytest.raises(ConfigError, match="strictly decreasing"):
        scorecard_spec_from_dict(raw)


def test_thresholds_come_from_the_file(tmp_path):
    raw = _raw()
    raw["grades"][0]["min"] = 95
    p = tmp_path / "sc.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    spec = load_scorecard_spec(p)
    assert spec.grade(94.0)[0] == "良" and spec.grade(95.0)[0] == "优"
    with pytest.raises(ConfigError, match="cannot read"):
        load_scorecard_spec(tmp_path / "missing.yaml")
