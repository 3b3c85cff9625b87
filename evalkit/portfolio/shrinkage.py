"""Empirical-Bayes posterior means of noisy policy metrics (the reallocation's criterion).

With estimates ``b_p`` and standard errors ``s_p`` of true returns ``r_p`` drawn from a common
normal prior N(mu, tau^2), the posterior mean is ``mu + tau^2 / (tau^2 + s_p^2) (b_p - mu)``:
a noisy estimate is pulled toward the portfolio's mean, a precise one barely moves. ``mu`` is
the precision-weighted mean and ``tau^2`` the method-of-moments excess variance (Morris 1983,
"Parametric empirical Bayes inference", JASA; as used for report cards by Kline, Rose & Walters
2024, AER). Ranking by posterior means is the decision rule that maximises the expected sum of
true returns bought with a fixed budget under this prior (Gu & Koenker 2023), where ranking by
the bare estimates rewards the noisiest policy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evalkit.errors import DataError
from evalkit.i18n import Message

__all__ = ["Shrinkage", "eb_posterior_means"]


@dataclass(frozen=True)
class Shrinkage:
    posterior: np.ndarray     # (p,) posterior means
    weight: np.ndarray        # (p,) tau^2 / (tau^2 + s^2): 1 = estimate kept, 0 = prior mean
    mu: float
    tau2: float


def eb_posterior_means(estimate, std_error) -> Shrinkage:
    """Posterior means under the estimated normal prior (module doc)."""
    b = np.asarray(estimate, dtype=float)
    s2 = np.asarray(std_error, dtype=float) ** 2
    if b.shape != s2.shape or b.ndim != 1 or not np.all(np.isfinite(b)) \
            or not np.all(np.isfinite(s2)):
        raise DataError(Message("errors.portfolio.shrinkage.estimates_standard_errors_finite"))
    s2 = np.maximum(s2, 1e-12)
    prec = 1.0 / s2
    mu = float(np.dot(prec, b) / prec.sum())
    tau2 = 0.0
    if b.size > 1:
        # Morris: tau^2 = max(0, mean((b - mu)^2 - s^2)), mu re-weighted by 1/(tau^2 + s^2)
        for _ in range(50):
            tau2_new = max(0.0, float(np.mean((b - mu) ** 2 - s2)))
            w = 1.0 / (tau2_new + s2)
            mu = float(np.dot(w, b) / w.sum())
            if abs(tau2_new - tau2) <= 1e-12 * max(1.0, tau2):
                tau2 = tau2_new
                break
            tau2 = tau2_new
    weight = tau2 / (tau2 + s2)
    return Shrinkage(mu + weight * (b - mu), weight, mu, tau2)
