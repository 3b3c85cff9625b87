"""Effect and fiscal-return projection for a proposal from the district's own ex-post evidence.

Evidence is the list of past policies' ex-post results (:class:`PolicyEvidence`, or
``ExPostResult.to_dict()`` outputs). Those of the
same instrument or the same objective as the proposal are pooled by random-effects meta-analysis
(DerSimonian & Laird 1986, "Meta-analysis in clinical trials", Controlled Clinical Trials 7(3);
:func:`statsmodels.stats.meta_analysis.combine_effects` with ``method_re="dl"``), reporting the
between-policy variance tau^2 and I^2 (Higgins & Thompson 2002). What a *new* policy can expect is
the random-effects **prediction** interval ``mu +- t_{k-2} sqrt(tau^2 + SE(mu)^2)`` (Higgins,
Thompson & Spiegelhalter 2009, JRSS A 172(1)); with two studies the normal quantile is used and
with one study there is nothing to pool (its own estimate and interval are reported, flagged).

The pooled fiscal return is adjusted for the displacement and leakage the study states (the causal
DiD estimate already nets out deadweight for the treated firms; notes/public-finance.md):
``FR = FR_pooled (1 - leakage)(1 - displacement)``. With cash valued one for one by recipients,
``MVPF = S / (S (1 + admin) - FR S) = 1 / (1 + admin - FR)`` (Hendren & Sprung-Keyser 2020); its
interval comes from simulating FR from the prediction distribution and mapping each draw with
:func:`evalkit.fiscal.mvpf.mvpf_value` (+inf when the policy pays for itself).

Where no evidence matches, the result is ``None`` with the reason: no number is invented.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from evalkit.errors import DataError
from evalkit.fiscal.mvpf import mvpf_value
from evalkit.i18n import Message
from evalkit.results import json_safe

__all__ = ["EvidenceProjection", "PolicyEvidence", "PooledEstimate", "evidence_rows", "pool",
           "project_from_evidence"]

DEFAULT_METRIC = "fiscal_return_district"


@dataclass(frozen=True)
class PooledEstimate:
    """Random-effects pooled estimate of one quantity over k past policies."""

    quantity: str
    k: int
    policies: tuple[str, ...]
    estimates: tuple[float, ...]
    std_errors: tuple[float, ...]
    weights: tuple[float, ...]
    mean: float
    se: float
    conf_low: float
    conf_high: float
    pred_low: float
    pred_high: float
    tau2: float
    i2: float | None
    q: float | None
    method: str
    note: str | None = None

    @property
    def pred_sd(self) -> float:
        return float(np.sqrt(self.tau2 + self.se ** 2))

    def to_dict(self) -> dict[str, Any]:
        return json_safe(self)


@dataclass(frozen=True)
class PolicyEvidence:
    """What the projection takes from one past ex-post evaluation: the policy's instrument and
    objective, its fiscal metrics and its overall effects, each as (estimate, standard error).
    The ex-ante stage builds it from a typed ex-post results model; :meth:`from_dict` from an
    ``ExPostResult.to_dict()`` output."""

    policy_id: str
    instrument: str | None
    objective: str | None
    metrics: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    effects: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, ev: Any, i: int = 0) -> PolicyEvidence:
        pol = ev.get("policy") if isinstance(ev, dict) else None
        if not isinstance(pol, dict) or "policy_id" not in pol:
            raise DataError(Message("errors.exante.meta.evidence_item_ex_post", i=i))
        metrics = {}
        fiscal = ev.get("fiscal")
        if isinstance(fiscal, dict) and isinstance(fiscal.get("tidy"), dict):
            tidy = fiscal["tidy"]
            metrics = dict(zip(tidy.get("term", []),
                               zip(tidy["estimate"], tidy["std_error"], strict=True), strict=True))
        effects = {name: (out["simple"].get("overall_att"), out["simple"].get("overall_se"))
                   for name, out in (ev.get("outcomes") or {}).items()
                   if isinstance(out, dict) and isinstance(out.get("simple"), dict)}
        return cls(str(pol["policy_id"]), pol.get("instrument"), pol.get("objective"),
                   metrics, effects)


def _usable(pair: tuple[Any, Any] | None) -> tuple[float, float] | None:
    """(estimate, se) when both are finite and se > 0."""
    if pair is None:
        return None
    est, se = pair
    if est is None or se is None or not np.isfinite(est) or not np.isfinite(se) or se <= 0:
        return None
    return float(est), float(se)


def evidence_rows(evidence: Sequence[PolicyEvidence | dict], instrument: str, objective: str,
                  outcome: str, metric: str = DEFAULT_METRIC) -> pd.DataFrame:
    """One row per evidence item matching the instrument or the objective: ``policy_id,
    instrument, objective, match, metric, metric_se, effect, effect_se`` (NaN where absent)."""
    rows = []
    for i, item in enumerate(evidence):
        ev = item if isinstance(item, PolicyEvidence) else PolicyEvidence.from_dict(item, i)
        same_i = ev.instrument == instrument
        same_o = ev.objective == objective
        if not (same_i or same_o):
            continue
        fr = _usable(ev.metrics.get(metric))
        eff = _usable(ev.effects.get(outcome))
        rows.append({"policy_id": ev.policy_id, "instrument": ev.instrument,
                     "objective": ev.objective,
                     "match": "instrument and objective" if same_i and same_o
                     else ("instrument" if same_i else "objective"),
                     "metric": np.nan if fr is None else fr[0],
                     "metric_se": np.nan if fr is None else fr[1],
                     "effect": np.nan if eff is None else eff[0],
                     "effect_se": np.nan if eff is None else eff[1]})
    cols = ["policy_id", "instrument", "objective", "match", "metric", "metric_se", "effect",
            "effect_se"]
    return pd.DataFrame(rows, columns=cols)


def pool(quantity: str, policies: Sequence[str], est: np.ndarray, se: np.ndarray,
         alpha: float = 0.05) -> PooledEstimate:
    """DerSimonian-Laird random-effects pooling with its prediction interval (module doc)."""
    est = np.asarray(est, dtype=float)
    se = np.asarray(se, dtype=float)
    k = est.size
    z = float(stats.norm.ppf(1 - alpha / 2))
    if k == 0:
        raise DataError(Message("errors.exante.meta.estimates_pool", quantity=quantity))
    if k == 1:
        m, s = float(est[0]), float(se[0])
        return PooledEstimate(quantity, 1, tuple(policies), (m,), (s,), (1.0,), m, s, m - z * s,
                              m + z * s, m - z * s, m + z * s, 0.0, None, None, "single study",
                              "one past policy only: no pooling and no estimate of the "
                              "between-policy variance; the interval understates the "
                              "uncertainty for a new policy")
    with np.errstate(invalid="ignore"):
        res = combine_effects(est, se ** 2, method_re="dl", alpha=alpha)
    if float(res.tau2) > 0:
        mu, smu, tau2 = float(res.mean_effect_re), float(res.sd_eff_w_re), float(res.tau2)
        w = np.asarray(res.weights_rel_re, dtype=float)
    else:
        # Q <= k - 1: DerSimonian-Laird truncates tau^2 at 0 and the random-effects estimate is
        # the fixed-effect one (statsmodels 0.15 leaves tau^2 negative here)
        mu, smu, tau2 = float(res.mean_effect_fe), float(res.sd_eff_w_fe), 0.0
        w = np.asarray(res.weights_rel_fe, dtype=float)
    crit = float(stats.t.ppf(1 - alpha / 2, k - 2)) if k >= 3 else z
    half = crit * np.sqrt(tau2 + smu ** 2)
    i2 = float(res.i2)
    note = None if k >= 3 else "two past policies: the prediction interval uses the normal quantile"
    return PooledEstimate(quantity, k, tuple(policies), tuple(est.tolist()), tuple(se.tolist()),
                          tuple(w.tolist()), mu, smu, mu - z * smu, mu + z * smu, mu - half,
                          mu + half, tau2, max(i2, 0.0), float(res.q),
                          "random effects, DerSimonian-Laird", note)


@dataclass(frozen=True)
class EvidenceProjection:
    """Projected effect, fiscal return and MVPF of a proposal; ``None`` parts carry a reason."""

    metric: str
    outcome: str
    matched: pd.DataFrame
    fiscal_return: PooledEstimate | None
    effect: PooledEstimate | None
    adjustment: float
    projected_fiscal_return: tuple[float, float, float] | None
    mvpf: tuple[float, float, float] | None
    additional_tax_per_year: tuple[float, float, float] | None
    reason: str | None
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        def tri(x):
            return None if x is None else {"estimate": x[0], "low": x[1], "high": x[2]}
        return json_safe({
            "metric": self.metric, "outcome": self.outcome, "matched": self.matched,
            "fiscal_return": None if self.fiscal_return is None else self.fiscal_return.to_dict(),
            "effect": None if self.effect is None else self.effect.to_dict(),
            "adjustment": self.adjustment,
            "projected_fiscal_return": tri(self.projected_fiscal_return),
            "mvpf": tri(self.mvpf), "additional_tax_per_year": tri(self.additional_tax_per_year),
            "reason": self.reason, "provenance": self.provenance})


def project_from_evidence(evidence: Sequence[PolicyEvidence | dict], instrument: str, objective: str,
                          outcome: str, annual_cost: float, rng: np.random.Generator,
                          leakage: float = 0.0, displacement: float = 0.0,
                          admin_share: float = 0.0, alpha: float = 0.05,
                          metric: str = DEFAULT_METRIC, n_sim: int = 10_000
                          ) -> EvidenceProjection | None:
    """Pool matching evidence (module doc). Returns ``None`` when nothing matches; the caller
    reports :func:`no_evidence_reason`."""
    rows = evidence_rows(evidence, instrument, objective, outcome, metric)
    if rows.empty:
        return None
    adj = (1.0 - leakage) * (1.0 - displacement)
    fr_rows = rows.dropna(subset=["metric"])
    ef_rows = rows.dropna(subset=["effect"])
    fr = pool(metric, fr_rows["policy_id"].tolist(), fr_rows["metric"].to_numpy(),
              fr_rows["metric_se"].to_numpy(), alpha) if len(fr_rows) else None
    eff = pool(f"att_{outcome}", ef_rows["policy_id"].tolist(), ef_rows["effect"].to_numpy(),
               ef_rows["effect_se"].to_numpy(), alpha) if len(ef_rows) else None
    proj = mv = tax = None
    reason = None
    if fr is not None:
        draws = (fr.mean + fr.pred_sd * rng.standard_normal(int(n_sim))) * adj
        q = (alpha / 2, 1 - alpha / 2)
        lo, hi = np.quantile(draws, q)
        proj = (fr.mean * adj, float(lo), float(hi))
        vals = np.sort(mvpf_value(1.0, 1.0 + admin_share - draws))
        point = float(mvpf_value(1.0, 1.0 + admin_share - fr.mean * adj))
        mlo, mhi = np.quantile(vals, q, method="inverted_cdf")
        mv = (point, float(mlo), float(mhi))
        tax = (proj[0] * annual_cost, proj[1] * annual_cost, proj[2] * annual_cost)
    else:
        reason = (f"{len(rows)} past policies match the instrument or objective but none has a "
                  f"{metric} estimate")
    return EvidenceProjection(
        metric, outcome, rows, fr, eff, adj, proj, mv, tax, reason,
        provenance={"method": "DerSimonian-Laird random effects (statsmodels combine_effects); "
                              "prediction interval after Higgins, Thompson & Spiegelhalter (2009)",
                    "n_sim": int(n_sim), "alpha": alpha})


def no_evidence_reason(evidence: Sequence[PolicyEvidence | dict], instrument: str, objective: str) -> str:
    if not evidence:
        return ("no ex-post evaluations were supplied (evidence_bundles is empty), so no effect "
                "or fiscal return is projected")
    return (f"none of the {len(evidence)} evaluated policies shares the instrument "
            f"'{instrument}' or the objective '{objective}', so no effect or fiscal return is "
            "projected")
