"""Confidence intervals for an effect estimated on few treated firms.

An ex-post effect (an overall ATT, a total effect, a fiscal return: all
:class:`evalkit.fiscal.linear.LinearEstimate`) has per-firm influence contributions ``psi``; its
analytic interval is ``estimate +- z sqrt(sum psi^2)``. With few treated firms two
small-sample problems arise: ``sum psi^2`` under-estimates the variance of the treated firms'
part by the factor ``(n1 - 1) / n1`` (the treated contributions are centred at their own mean),
and the studentised estimate is not normal but closer to a t with about ``n1 - 1`` degrees of
freedom. Two remedies, both computed from the contributions the stage already has:

``welch``
    The Welch-Satterthwaite t interval (Welch 1947, "The generalization of Student's problem
    when several different population variances are involved", Biometrika 34, 28-35), in the
    Bell-McCaffrey form Imbens & Kolesar (2016), "Robust standard errors in small samples: some
    practical advice", Review of Economics and Statistics 98(4) 701-712, recommend for few
    treated units: each group's sum of squared contributions scaled by ``n_g / (n_g - 1)``,
    ``V = V1 + V0``, and the t critical value with ``df = V^2 / (V1^2 / (n1 - 1) +
    V0^2 / (n0 - 1))``. For a difference of two means this is exactly Welch's interval
    (``scipy.stats.ttest_ind(equal_var=False)``), the check in the unit tests.
``wild``
    The symmetric wild bootstrap-t over firms (Cameron, Gelbach & Miller 2008; Webb 2023,
    "Reworking wild bootstrap-based inference for clustered errors", Canadian Journal of
    Economics 56(3) 839-858, for the six-point weights used with few treated clusters;
    MacKinnon & Webb 2018, "The wild bootstrap for few (treated) clusters", Econometrics
    Journal 21(2) 114-135): with the group-scaled contributions ``c_i`` and weights ``v_ib``,
    ``t*_b = sum_i c_i v_ib / sqrt(sum_i (c_i v_ib)^2)``; the interval is
    ``estimate +- q sqrt(sum c^2)`` with ``q`` the (1 - alpha) quantile of ``|t*|``. The weights
    come from :func:`evalkit.robust.wildboot.draw_weights` (one implementation). With very few
    treated firms whose contributions dominate, ``|t*|`` is bounded (one dominant term gives
    ``|t*| ~ 1``) and the critical value falls below 1.96: the over-rejection of the
    unrestricted wild bootstrap with few treated clusters that MacKinnon & Webb (2018)
    document. ``auto`` therefore uses ``welch``; ``wild`` is offered for comparison.

Randomisation inference (permuting the award among comparison firms; Conley & Taber 2011,
MacKinnon & Webb 2020) is not offered: it is valid only when awarded and comparison firms are
exchangeable, and the district's awards go to selected, larger firms whose outcome changes are
more variable, the case in which MacKinnon & Webb (2020, "Randomization inference for
difference-in-differences with few treated clusters", Journal of Econometrics 218(2) 435-450)
show it over-rejects.

What these do and do not repair (bench/README.md, "Small treated groups", has the Monte Carlo):
they correct the variance and the critical value for few treated firms. They cannot repair
the skewness of a mean level of a lognormal-tailed outcome over 20 firms when the target is the
population mean effect; the district's truth (``data/truth.json``) is the tax the treated firms
themselves added, which the analytic interval of the proportional design already covers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from evalkit.conventions import RngLike, as_rng, pick, seed_of
from evalkit.errors import ConfigError, DesignError, check_choice
from evalkit.fiscal.linear import LinearEstimate
from evalkit.i18n import Message
from evalkit.results import json_safe
from evalkit.robust.wildboot import WEIGHT_TYPES, draw_weights

__all__ = ["METHODS", "SETTINGS", "SMALL_TREATED", "SmallSampleInterval", "resolve_method",
           "small_sample_interval"]

METHODS = ("welch", "wild")
#: values of the study setting ``inference.small_sample``
SETTINGS = ("auto", "none", *METHODS)
#: ``auto`` uses the small-sample interval below this many treated firms
SMALL_TREATED = 60


def resolve_method(setting: str, n_treated: int, threshold: int = SMALL_TREATED) -> str:
    """The method the setting selects for a policy with ``n_treated`` firms: ``auto`` is
    ``welch`` below ``threshold`` treated firms and ``none`` otherwise."""
    check_choice("small_sample", setting, SETTINGS)
    if setting == "auto":
        return "welch" if int(n_treated) < threshold else "none"
    return setting


@dataclass(frozen=True)
class SmallSampleInterval:
    """A small-sample interval for one estimate: ``conf_low``/``conf_high`` at level 1 - alpha,
    ``std_error`` (group-scaled), ``crit`` the critical value used, ``df`` the Satterthwaite
    degrees of freedom (``welch``) and the counts of treated and comparison firms."""

    name: str
    estimate: float
    std_error: float
    conf_low: float
    conf_high: float
    crit: float
    df: float
    method: str
    n_treated: int
    n_control: int
    alpha: float
    weights: str | None = None
    n_draws: int | None = None
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"kind": "small_sample_interval", **self.__dict__})


def _group_scaled(psi: np.ndarray, treated: np.ndarray) -> tuple[np.ndarray, float, float]:
    n1, n0 = int(treated.sum()), int((~treated).sum())
    if n1 < 2:
        raise DesignError(Message("errors.robust.small_sample.small_sample_interval_needs", n1=n1))
    c = psi.copy()
    c[treated] *= np.sqrt(n1 / (n1 - 1))
    if n0 >= 2:
        c[~treated] *= np.sqrt(n0 / (n0 - 1))
    return c, float(np.dot(c[treated], c[treated])), float(np.dot(c[~treated], c[~treated]))


def small_sample_interval(estimate: LinearEstimate, treated_ids: Iterable, *,
                          method: str = "welch", alpha: float = 0.05,
                          weights: str | None = None, B: int | None = None,
                          seed: int | None = None, bootstrap_weights: str | None = None,
                          rng: RngLike = None, n_draws: int | None = None
                          ) -> SmallSampleInterval:
    """Small-sample (1 - alpha) interval of ``estimate`` (module docstring).

    ``treated_ids`` are the policy's treated firms (as in ``estimate.psi``'s index, compared as
    strings); every other firm of ``psi`` is a comparison firm. ``method`` is ``welch`` or
    ``wild``; ``bootstrap_weights`` (alias ``weights``: ``webb``, the default, or
    ``rademacher``), ``n_draws`` (alias ``B``, default 9999) and ``rng`` (int seed or
    Generator, default 0; ``seed`` is its deprecated alias) drive the wild bootstrap.
    """
    weights = pick("bootstrap_weights", bootstrap_weights, "webb", weights=weights)
    B = int(pick("n_draws", n_draws, 9999, B=B))
    rng = as_rng(rng, seed, default=0)
    seed = seed_of(rng)
    check_choice("method", method, METHODS)
    if not 0 < alpha < 1:
        raise ConfigError(Message("errors.robust.small_sample.alpha_lie", alpha=alpha))
    ids = set(map(str, treated_ids))
    psi = estimate.psi.to_numpy(dtype=float)
    treated = np.array([i in ids for i in estimate.psi.index], dtype=bool)
    c, v1, v0 = _group_scaled(psi, treated)
    n1, n0 = int(treated.sum()), int((~treated).sum())
    se = float(np.sqrt(v1 + v0))
    kw: dict[str, Any] = {}
    if method == "welch":
        den = v1 ** 2 / (n1 - 1) + (v0 ** 2 / (n0 - 1) if n0 >= 2 else 0.0)
        df = float((v1 + v0) ** 2 / den) if den > 0 else float("inf")
        crit = float(stats.t.ppf(1 - alpha / 2, df))
    else:
        check_choice("weights", weights, WEIGHT_TYPES)
        if B < 99:
            raise ConfigError(Message("errors.common.b_least", b=B))
        V, _ = draw_weights(c.size, weights, int(B), np.random.default_rng(rng))
        cv = c[:, None] * V
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.abs(cv.sum(axis=0)) / np.sqrt(np.einsum("ib,ib->b", cv, cv))
        t = t[np.isfinite(t)]
        crit = float(np.quantile(t, 1 - alpha, method="higher")) if t.size else float("nan")
        df = float("nan")
        kw = {"weights": weights, "n_draws": int(V.shape[1]), "seed": seed}
    est = estimate.estimate
    return SmallSampleInterval(estimate.name, est, se, est - crit * se, est + crit * se, crit,
                               df, method, n1, n0, float(alpha), **kw)
