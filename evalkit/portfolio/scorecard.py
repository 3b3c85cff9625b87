"""Performance scorecard in the style of the Ministry of Finance's project-expenditure performance
evaluation (财政部《项目支出绩效评价管理办法》, 财预〔2020〕10号): 100 points over decision (决策),
process (过程), output (产出) and effect (效益) indicators, graded 优 / 良 / 中 / 差.

The indicator tree, weights, qualitative bands, grade thresholds and budget-use rules are data
(``data/scorecard_default.yaml``, documented there). Scoring rules, per indicator of weight w:

* quantitative, higher is better: ``w * min(actual / target, 1)`` (0 when actual <= 0);
* quantitative, lower is better (costs): ``w * min(target / actual, 1)``; actual <= 0 earns w;
* qualitative: the evaluator enters a ``share`` of the weight (or a band, scored at its
  midpoint) with ``evidence`` (required); bands ``high`` [0.8, 1], ``mid`` [0.6, 0.8),
  ``low`` [0, 0.6);
* effect (from a causal estimate with interval): ``w * min(estimate / target, 1)``, 0 when the
  estimate <= 0, and at most ``effect_ci_zero_cap * w`` (default 60 %) when the interval
  includes zero: an effect not distinguishable from none cannot earn full marks; 0 points
  ("insufficient evidence") when the entry says ``identified: False`` (the causal evidence
  failed its identification check).

The total is rounded to ``score_decimals`` (2) before grading, which removes float noise of sums
(89.99999999999997 is 90.00, 优), while 89.99 is 良; the grade is the first whose minimum the
score reaches.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.errors import ConfigError, check_choice
from evalkit.fiscal.linear import LinearEstimate
from evalkit.i18n import Message
from evalkit.results import Result, json_safe
from evalkit.yamlsafe import load_yaml

__all__ = [
    "DEFAULT_SCORECARD",
    "INDICATOR_TYPES",
    "LEVELS",
    "IndicatorSpec",
    "ScorecardResult",
    "ScorecardSpec",
    "load_scorecard_spec",
    "score_policy",
]

DEFAULT_SCORECARD = Path(__file__).resolve().parents[2] / "data" / "scorecard_default.yaml"
LEVELS = ("decision", "process", "output", "effect")
INDICATOR_TYPES = ("quantitative", "qualitative", "effect")
DIRECTIONS = ("higher", "lower")
_TOL = 1e-9


@dataclass(frozen=True)
class IndicatorSpec:
    id: str
    level: str
    weight: float
    type: str
    source: str
    zh: str
    en: str
    direction: str = "higher"
    target: float | None = None


@dataclass(frozen=True)
class ScorecardSpec:
    """A validated indicator tree with grades and budget-use rules."""

    indicators: tuple[IndicatorSpec, ...]
    grades: tuple[tuple[str, str, float], ...]          # (grade, English, minimum), highest first
    bands: Mapping[str, tuple[float, float]]
    effect_ci_zero_cap: float
    min_output_effect_share: float
    score_decimals: int
    use_of_results: Mapping[str, float]
    levels: Mapping[str, Mapping[str, str]]
    name: str = ""
    source: str = ""

    def indicator(self, ind_id: str) -> IndicatorSpec:
        for i in self.indicators:
            if i.id == ind_id:
                return i
        known = [i.id for i in self.indicators]
        raise ConfigError(Message("errors.portfolio.scorecard.unknown_indicator_known",
                                  ind_id=ind_id, known=known))

    def grade(self, score: float) -> tuple[str, str]:
        s = round(float(score), self.score_decimals)
        for g, en, lo in self.grades:
            if s >= lo:
                return g, en
        return self.grades[-1][0], self.grades[-1][1]

    def level_weights(self) -> dict[str, float]:
        return {lv: sum(i.weight for i in self.indicators if i.level == lv) for lv in LEVELS}


def _need(d: Mapping, key: str, where: str) -> Any:
    if key not in d:
        raise ConfigError(Message("errors.portfolio.scorecard.missing_key", where=where, key_=key))
    return d[key]


def load_scorecard_spec(path: str | Path | None = None) -> ScorecardSpec:
    """Read and validate a scorecard file (YAML); ``None`` reads ``data/scorecard_default.yaml``.

    Checks: known levels, types and directions; unique ids; positive weights summing to 100;
    output + effect >= ``min_output_effect_share`` of the points; targets positive; bands and
    grade minima ordered.
    """
    p = Path(path) if path is not None else DEFAULT_SCORECARD
    raw = load_yaml(p, Message("labels.file.scorecard"))
    if not isinstance(raw, Mapping):
        raise ConfigError(Message("errors.portfolio.scorecard.expected_mapping_top_level", p=p))
    # recorded by name, not by the machine's path: bundles stay relocatable and two runs in two
    # folders (or two checkouts) give the same bytes
    name = "data/scorecard_default.yaml" if path is None else p.name
    return scorecard_spec_from_dict(raw, source=name)


def scorecard_spec_from_dict(raw: Mapping, source: str = "") -> ScorecardSpec:
    where = source or "scorecard"
    inds = []
    seen = set()
    for k, d in enumerate(_need(raw, "indicators", where)):
        w = f"{where}: indicators[{k}]"
        ind = IndicatorSpec(
            id=str(_need(d, "id", w)), level=str(_need(d, "level", w)),
            weight=float(_need(d, "weight", w)), type=str(_need(d, "type", w)),
            source=str(d.get("source", "manual")), zh=str(d.get("zh", "")),
            en=str(d.get("en", "")), direction=str(d.get("direction", "higher")),
            target=None if d.get("target") is None else float(d["target"]))
        check_choice(f"{w} ({ind.id}) level", ind.level, LEVELS)
        check_choice(f"{w} ({ind.id}) type", ind.type, INDICATOR_TYPES)
        check_choice(f"{w} ({ind.id}) direction", ind.direction, DIRECTIONS)
        if ind.type == "effect" and ind.direction != "higher":
            raise ConfigError(Message("errors.portfolio.scorecard.effect_indicators_direction_higher",
                                      w=w, id=ind.id))
        if ind.id in seen:
            raise ConfigError(Message("errors.portfolio.scorecard.indicator_id_appears_twice", w=w,
                                      id=ind.id))
        if not ind.weight > 0:
            raise ConfigError(Message("errors.portfolio.scorecard.weight_positive", w=w, id=ind.id,
                                      weight=ind.weight))
        if ind.target is not None and not ind.target > 0:
            raise ConfigError(Message("errors.portfolio.scorecard.target_positive", w=w, id=ind.id,
                                      target=ind.target))
        seen.add(ind.id)
        inds.append(ind)
    total = sum(i.weight for i in inds)
    if abs(total - 100.0) > _TOL:
        raise ConfigError(Message("errors.portfolio.scorecard.indicator_weights_sum_they",
                                  where=where, total=total))
    min_oe = float(raw.get("min_output_effect_share", 0.6))
    oe = sum(i.weight for i in inds if i.level in ("output", "effect"))
    if oe + _TOL < 100.0 * min_oe:
        raise ConfigError(Message("errors.portfolio.scorecard.output_effect_weights_points",
                                  where=where, oe=oe, min_oe=100 * min_oe))
    grades = []
    for k, g in enumerate(_need(raw, "grades", where)):
        w = f"{where}: grades[{k}]"
        grades.append((str(_need(g, "grade", w)), str(g.get("en", "")), float(_need(g, "min", w))))
    mins = [g[2] for g in grades]
    if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins) or mins[-1] > 0:
        raise ConfigError(Message("errors.portfolio.scorecard.grade_minima_strictly_decreasing",
                                  where=where, mins=mins))
    bands = {}
    for name, b in _need(raw, "qualitative_bands", where).items():
        lo, hi = float(_need(b, "low", f"{where}: band {name}")), float(
            _need(b, "high", f"{where}: band {name}"))
        if not 0.0 <= lo < hi <= 1.0:
            raise ConfigError(Message("errors.portfolio.scorecard.band_satisfy_low_high",
                                      where=where, name=name))
        bands[str(name)] = (lo, hi)
    cap = float(raw.get("effect_ci_zero_cap", 0.6))
    if not 0.0 <= cap < 1.0:
        raise ConfigError(Message("errors.portfolio.scorecard.effect_ci_zero_cap", where=where,
                                  cap=cap))
    return ScorecardSpec(tuple(inds), tuple(grades), bands, cap, min_oe,
                         int(raw.get("score_decimals", 2)),
                         {k: float(v) for k, v in raw.get("use_of_results", {}).items()},
                         raw.get("levels", {}), str(raw.get("name_en", "")), source)


@dataclass(frozen=True, eq=False, repr=False)
class ScorecardResult(Result):
    """One policy's scorecard: ``rows`` (one per indicator) and the total and grade."""

    policy_id: str
    rows: pd.DataFrame
    score: float
    grade: str
    grade_en: str
    by_level: Mapping[str, float]
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """Per-indicator points as ``estimate`` (no sampling error: std_error etc. NaN) with the
        weight, share and note columns; the last row is the total."""
        t = pd.DataFrame({"term": [*list(self.rows["indicator"]), "total"],
                          "estimate": [*list(self.rows["points"]), self.score]})
        for c in ("std_error", "conf_low", "conf_high", "p_value"):
            t[c] = math.nan
        t["weight"] = [*list(self.rows["weight"]), float(self.rows["weight"].sum())]
        t["share"] = [*list(self.rows["share"]), self.score / 100.0]
        t["note"] = [*list(self.rows["note"]), f"grade {self.grade} ({self.grade_en})"]
        return t

    def summary(self) -> str:
        lines = [f"scorecard {self.policy_id}: {self.score:.2f} points, grade {self.grade} "
                 f"({self.grade_en})"]
        for lv, pts in self.by_level.items():
            lines.append(f"  {lv:<9} {pts:6.2f}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"policy_id": self.policy_id, "score": self.score, "grade": self.grade,
                          "grade_en": self.grade_en, "by_level": dict(self.by_level),
                          "rows": self.rows, "provenance": dict(self.provenance)})


def _quantitative(ind: IndicatorSpec, entry: Mapping) -> tuple[float, float, float, str]:
    if "actual" not in entry:
        raise ConfigError(Message("errors.portfolio.scorecard.indicator_quantitative_indicators_need",
                                  id=ind.id))
    actual = float(entry["actual"])
    target = float(entry.get("target", ind.target if ind.target is not None else math.nan))
    if not target > 0:
        raise ConfigError(Message("errors.portfolio.scorecard.indicator_needs_positive_target",
                                  id=ind.id, target=target))
    if ind.direction == "higher":
        share = min(max(actual / target, 0.0), 1.0)
        note = "min(actual / target, 1)"
    else:
        share = 1.0 if actual <= 0 else min(target / actual, 1.0)
        note = "lower is better: min(target / actual, 1)"
    return actual, target, share, note


def _qualitative(ind: IndicatorSpec, entry: Mapping, spec: ScorecardSpec) -> tuple[float, str]:
    evidence = str(entry.get("evidence", "") or "").strip()
    if not evidence:
        raise ConfigError(Message("errors.portfolio.scorecard.indicator_qualitative_scores_need",
                                  id=ind.id))
    band = entry.get("band")
    if band is not None:
        check_choice(f"indicator {ind.id} band", band, tuple(spec.bands))
    if "share" in entry:
        share = float(entry["share"])
        if not 0.0 <= share <= 1.0:
            raise ConfigError(Message("errors.portfolio.scorecard.indicator_share_lie", id=ind.id,
                                      share=share))
        found = _band_of(share, spec)
        if band is not None and band != found:
            lo, hi = spec.bands[band]
            raise ConfigError(Message("errors.portfolio.scorecard.indicator_share_band", id=ind.id,
                                      share=share, band=band, lo=lo, hi=hi))
        band = found
    elif band is not None:
        lo, hi = spec.bands[band]
        share = (lo + hi) / 2
    else:
        raise ConfigError(Message("errors.portfolio.scorecard.indicator_qualitative_indicators_need",
                                  id=ind.id))
    return share, f"band {band}; evidence: {evidence}"


def _band_of(share: float, spec: ScorecardSpec) -> str:
    # bands are half-open [low, high) except the top one, which includes its upper end
    for name, (lo, hi) in sorted(spec.bands.items(), key=lambda kv: -kv[1][0]):
        if lo <= share < hi or (share == hi == 1.0):
            return name
    return min(spec.bands, key=lambda n: spec.bands[n][0])


def _effect(ind: IndicatorSpec, entry: Mapping, spec: ScorecardSpec, alpha: float):
    est = entry.get("estimate")
    if isinstance(est, LinearEstimate):
        value = est.estimate
        lo, hi = est.conf_int(alpha)
    elif est is not None and "conf_low" in entry and "conf_high" in entry:
        value, lo, hi = float(est), float(entry["conf_low"]), float(entry["conf_high"])
    else:
        raise ConfigError(Message("errors.portfolio.scorecard.indicator_effect_indicators_need",
                                  id=ind.id))
    target = float(entry.get("target", ind.target if ind.target is not None else math.nan))
    if not target > 0:
        raise ConfigError(Message("errors.portfolio.scorecard.indicator_needs_positive_target_2",
                                  id=ind.id, target=target))
    share = 0.0 if value <= 0 else min(value / target, 1.0)
    note = "min(estimate / target, 1)"
    if entry.get("identified") is False:
        # a causal estimate whose identification check failed earns no effect points
        return value, target, 0.0, ("insufficient evidence: the identification check failed "
                                    f"({entry.get('why', 'see the ex-post evaluation')})")
    if lo <= 0.0 <= hi and share > spec.effect_ci_zero_cap:
        share = spec.effect_ci_zero_cap
        note += f"; interval [{lo:.4g}, {hi:.4g}] includes 0: capped at {share:.0%}"
    return value, target, share, note


def _origin(ind: IndicatorSpec, entry: Mapping) -> str:
    """'entered' (by evaluators: a qualitative score, a manual indicator, or an entry that says
    so with ``origin``) or 'measured' (from the data: the payment ledger or a causal estimate)."""
    origin = entry.get("origin")
    if origin in ("entered", "measured"):
        return str(origin)
    return "entered" if ind.type == "qualitative" or ind.source == "manual" else "measured"


def score_policy(spec: ScorecardSpec, policy_id: str, inputs: Mapping[str, Mapping],
                 alpha: float = 0.05) -> ScorecardResult:
    """Score one policy. ``inputs`` maps every indicator id of ``spec`` to its entry:

    * quantitative: ``{"actual": x}`` (``"target"`` overrides the file's target);
    * qualitative: ``{"share": s, "evidence": "..."}`` or ``{"band": "mid", "evidence": ...}``;
    * effect: ``{"estimate": LinearEstimate, "target": t}`` or ``{"estimate": x,
      "conf_low": l, "conf_high": h, "target": t}``.

    Any entry may say where its value came from (``"origin": "entered"`` or ``"measured"``); by
    default qualitative and ``manual`` indicators are entered, the others measured. Each row
    records its ``source``, ``origin`` and ``evidence`` text (the report prints them).

    Every indicator must have an entry (a missing one is an error, not a zero).
    """
    unknown = sorted(set(inputs) - {i.id for i in spec.indicators})
    if unknown:
        raise ConfigError(Message("errors.portfolio.scorecard.policy_unknown_indicators",
                                  policy_id=policy_id, unknown=unknown))
    rows = []
    for ind in spec.indicators:
        if ind.id not in inputs:
            raise ConfigError(Message("errors.portfolio.scorecard.policy_entry_indicator",
                                      policy_id=policy_id, id=ind.id, zh=ind.zh, en=ind.en))
        entry = inputs[ind.id]
        actual = target = math.nan
        if ind.type == "quantitative":
            actual, target, share, note = _quantitative(ind, entry)
        elif ind.type == "qualitative":
            share, note = _qualitative(ind, entry, spec)
        else:
            actual, target, share, note = _effect(ind, entry, spec, alpha)
        rows.append({"indicator": ind.id, "level": ind.level, "type": ind.type, "zh": ind.zh,
                     "en": ind.en, "weight": ind.weight, "actual": actual, "target": target,
                     "share": share, "points": ind.weight * share, "note": note,
                     "source": ind.source, "origin": _origin(ind, entry),
                     "evidence": str(entry.get("evidence") or "").strip()})
    df = pd.DataFrame(rows)
    score = round(float(df["points"].sum()), spec.score_decimals)
    grade, grade_en = spec.grade(score)
    by_level = {lv: float(df.loc[df["level"] == lv, "points"].sum()) for lv in LEVELS}
    return ScorecardResult(str(policy_id), df, score, grade, grade_en, by_level,
                           {"scorecard": spec.source, "alpha": alpha,
                            "method": "MoF project-expenditure performance evaluation"})
