"""Sensitivity tables: robust confidence sets over a range of Mbar or M, and the breakdown value.

Rambachan & Roth (2023), "A More Credible Approach to Parallel Trends", Review of Economic
Studies 90(5): 2555-2591.

R ``HonestDiD``'s ``createSensitivityResults``,
``createSensitivityResults_relativeMagnitudes`` and ``constructOriginalCS``; the result
:class:`HonestDiDResult`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.errors import ConfigError, check_choice
from evalkit.i18n import Message
from evalkit.results import Result, json_safe
from evalkit.robust.honestdid.conditional import _sd_theta, conditional_cs_rm, conditional_cs_sd
from evalkit.robust.honestdid.flci import flci
from evalkit.robust.honestdid.inputs import check_inputs

__all__ = ["SD_METHODS", "HonestDiDResult", "original_cs", "sensitivity_rm", "sensitivity_sd"]


SD_METHODS = ("FLCI", "C-LF", "Conditional")


@dataclass(frozen=True, eq=False, repr=False)
class HonestDiDResult(Result):
    """A sensitivity table: robust confidence sets for ``theta = l_vec' tau_post``.

    ``values`` ``(n,)`` the Mbar (relative magnitudes) or M (smoothness) values; ``lb``, ``ub``
    ``(n,)`` the robust confidence sets; ``original`` the usual ``(lb, ub)`` ignoring violations;
    ``breakdown`` the smallest value at which the robust set contains 0 (NaN if none in range).
    """

    restriction: str                # "relative_magnitudes" or "smoothness"
    method: str
    values: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    original: tuple[float, float]
    estimate: float
    std_error: float
    l_vec: np.ndarray
    num_pre: int
    num_post: int
    alpha: float
    breakdown: float
    provenance: dict = field(default_factory=dict)

    @property
    def parameter(self) -> str:
        return "Mbar" if self.restriction == "relative_magnitudes" else "M"

    def tidy(self) -> pd.DataFrame:
        """One row per Mbar / M value (and the original CI): ``term, estimate, std_error,
        conf_low, conf_high, p_value`` plus ``method``, ``Delta`` and the sensitivity value."""
        delta = "DeltaRM" if self.restriction == "relative_magnitudes" else "DeltaSD"
        n = len(self.values)
        rows = pd.DataFrame({
            "term": ["theta"] * n, "estimate": self.estimate, "std_error": np.nan,
            "conf_low": self.lb, "conf_high": self.ub, "p_value": np.nan,
            "method": self.method, "Delta": delta, self.parameter: self.values,
        })
        orig = pd.DataFrame({"term": ["theta"], "estimate": [self.estimate],
                             "std_error": [self.std_error], "conf_low": [self.original[0]],
                             "conf_high": [self.original[1]],
                             "p_value": [2 * stats.norm.sf(abs(self.estimate / self.std_error))],
                             "method": ["Original"], "Delta": [None], self.parameter: [np.nan]})
        return pd.concat([orig, rows], ignore_index=True)

    def summary(self) -> str:
        lines = [f"HonestDiD sensitivity ({self.restriction}, {self.method}), theta = l'tau_post "
                 f"with l = {np.round(self.l_vec, 4).tolist()}",
                 f"  original {1 - self.alpha:.0%} CI: [{self.original[0]:.4f}, "
                 f"{self.original[1]:.4f}]"]
        for v, lo, hi in zip(self.values, self.lb, self.ub, strict=True):
            lines.append(f"  {self.parameter} = {v:g}: [{lo:.4f}, {hi:.4f}]")
        bd = "not reached" if np.isnan(self.breakdown) else f"{self.breakdown:.4g}"
        lines.append(f"  breakdown {self.parameter} (robust CI first includes 0): {bd}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return json_safe({f.name: getattr(self, f.name) for f in dataclasses.fields(self)})


def original_cs(betahat, sigma, num_pre: int, num_post: int, l_vec=None,
                alpha: float = 0.05) -> tuple[float, float]:
    """Usual confidence interval for ``l_vec' beta_post`` (R ``constructOriginalCS``)."""
    betahat, sigma, l_vec = check_inputs(betahat, sigma, num_pre, num_post, l_vec)
    est = float(l_vec @ betahat[num_pre:])
    se = _sd_theta(sigma, num_pre, num_post, l_vec)
    z = stats.norm.ppf(1 - alpha / 2)
    return est - z * se, est + z * se


def _breakdown(values: np.ndarray, lb: np.ndarray, ub: np.ndarray, ci_at) -> float:
    """Smallest value at which the robust set contains 0, refined by bisection between the last
    value excluding 0 and the first including it (NaN if no value in the table includes 0)."""
    covers = (lb <= 0) & (ub >= 0)
    order = np.argsort(values)
    v, c = values[order], covers[order]
    if not c.any():
        return np.nan
    j = int(np.argmax(c))
    if j == 0:
        return float(v[0])
    lo, hi = float(v[j - 1]), float(v[j])
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        a, b = ci_at(mid)
        if a <= 0 <= b:
            hi = mid
        else:
            lo = mid
        if hi - lo < 1e-4 * max(1e-12, float(v[j])):
            break
    return hi


def sensitivity_rm(betahat, sigma, num_pre: int, num_post: int,
                   mbar_vec: Sequence[float] = (0.5, 1.0, 1.5, 2.0), l_vec=None,
                   alpha: float = 0.05, method: str = "C-LF", grid_points: int = 1000,
                   refine: bool = True, breakdown: bool = True,
                   rng: np.random.Generator | None = None) -> HonestDiDResult:
    """Relative-magnitudes sensitivity table (R ``createSensitivityResults_relativeMagnitudes``).

    ``refine=False`` reports the outermost accepted points of R's grid (reproduces R's printed
    numbers); ``refine=True`` locates the ends of the confidence set by bisection.
    """
    betahat, sigma, l_vec = check_inputs(betahat, sigma, num_pre, num_post, l_vec)
    vals = np.asarray(mbar_vec, dtype=float)
    if (vals < 0).any():
        raise ConfigError(Message("errors.robust.honestdid.sensitivity.mbar_values",
                                  vals=vals.tolist()))

    def ci_at(mb):
        return conditional_cs_rm(betahat, sigma, num_pre, num_post, l_vec, mb, alpha, method,
                                 grid_points, refine=refine, rng=rng)

    bounds = np.array([ci_at(mb) for mb in vals]).reshape(-1, 2)
    return _result("relative_magnitudes", method, vals, bounds, betahat, sigma, num_pre,
                   num_post, l_vec, alpha, ci_at if breakdown else None,
                   {"grid_points": grid_points, "refine": refine,
                    "lf_draws": "R set.seed(0)" if rng is None else "numpy Generator"})


def sensitivity_sd(betahat, sigma, num_pre: int, num_post: int,
                   m_vec: Sequence[float] = (0.0, 0.01, 0.02, 0.03, 0.04, 0.05), l_vec=None,
                   alpha: float = 0.05, method: str = "FLCI", grid_points: int = 1000,
                   refine: bool = True, breakdown: bool = True,
                   rng: np.random.Generator | None = None,
                   folded_normal: str = "exact") -> HonestDiDResult:
    """Smoothness sensitivity table (R ``createSensitivityResults``): the FLCI by default, or the
    ARP hybrid (``"C-LF"``) / conditional test. ``folded_normal="r"`` makes the FLCI use R's
    simulated folded-normal quantile (to reproduce R's printed numbers)."""
    betahat, sigma, l_vec = check_inputs(betahat, sigma, num_pre, num_post, l_vec)
    check_choice("method", method, SD_METHODS)
    vals = np.asarray(m_vec, dtype=float)
    if (vals < 0).any():
        raise ConfigError(Message("errors.robust.honestdid.sensitivity.m_values",
                                  vals=vals.tolist()))

    def ci_at(m):
        if method == "FLCI":
            r = flci(betahat, sigma, num_pre, num_post, l_vec, m, alpha, folded_normal)
            return r["lb"], r["ub"]
        return conditional_cs_sd(betahat, sigma, num_pre, num_post, l_vec, m, alpha, method,
                                 grid_points, refine, rng)

    bounds = np.array([ci_at(m) for m in vals]).reshape(-1, 2)
    return _result("smoothness", method, vals, bounds, betahat, sigma, num_pre, num_post, l_vec,
                   alpha, ci_at if breakdown else None,
                   {"grid_points": grid_points, "folded_normal": folded_normal})


def _result(restriction, method, vals, bounds, betahat, sigma, num_pre, num_post, l_vec, alpha,
            ci_at, extra) -> HonestDiDResult:
    orig = original_cs(betahat, sigma, num_pre, num_post, l_vec, alpha)
    bd = _breakdown(vals, bounds[:, 0], bounds[:, 1], ci_at) if ci_at is not None else np.nan
    return HonestDiDResult(
        restriction=restriction, method=method, values=vals, lb=bounds[:, 0], ub=bounds[:, 1],
        original=orig, estimate=float(l_vec @ betahat[num_pre:]),
        std_error=_sd_theta(sigma, num_pre, num_post, l_vec), l_vec=l_vec, num_pre=num_pre,
        num_post=num_post, alpha=alpha, breakdown=bd,
        provenance={"estimator": "HonestDiD", "paper": "Rambachan & Roth (2023, REStud)",
                    "reference_implementation": "R HonestDiD", "restriction": restriction,
                    "method": method, **extra})
