"""Cluster-robust covariance and the rank check of a demeaned design.

Small-sample convention (shared by every regression with absorbed effects in evalkit):
cluster-robust CR1 as in Stata ``reghdfe`` and R ``fixest``
(``ssc(adj=TRUE, fixef.K="nested", cluster.adj=TRUE)``)::

    V = G / (G - 1) * (n - 1) / (n - K) * (X'X)^-1 (sum_g X_g' u_g u_g' X_g) (X'X)^-1

with ``X`` the demeaned regressors, ``G`` clusters and ``K`` = visible regressors + the rank of
the absorbed effects that are *not* nested in the clusters (+1 for the absorbed constant;
:func:`evalkit.fe.within.fe_k_increment`). With firm clustering this is ``K = k + T``.
linearmodels' own ``debiased`` option counts every absorbed effect; :func:`evalkit.fe.ols.fit_ols_fe`
takes its unscaled sandwich and applies the factor above, so both paths report the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evalkit.errors import DesignError
from evalkit.i18n import Message

__all__ = ["check_rank", "cluster_vcov", "cr1", "rank_deficient"]


def cluster_vcov(x: np.ndarray, resid: np.ndarray, cluster_codes: np.ndarray,
                 k_absorbed: int) -> tuple[np.ndarray, int]:
    """CR1 cluster-robust covariance of OLS coefficients on (already demeaned) ``x`` (n, k).

    ``resid`` (n,), ``cluster_codes`` (n,) integers; ``k_absorbed`` is added to k in the
    ``(n - 1) / (n - K)`` factor (see the module docstring). Returns ((k, k), G).
    """
    n, k = x.shape
    xtx_inv = np.linalg.inv(x.T @ x)
    g = int(cluster_codes.max()) + 1
    scores = np.empty((g, k))
    for j in range(k):
        scores[:, j] = np.bincount(cluster_codes, weights=x[:, j] * resid, minlength=g)
    return cr1(xtx_inv, scores, n, k_absorbed), g


def cr1(xtx_inv: np.ndarray, scores: np.ndarray, n: int, k_absorbed: int) -> np.ndarray:
    """CR1 sandwich from the (k, k) bread and the (G, k) cluster scores."""
    g, k = scores.shape
    k_tot = k + k_absorbed
    if g < 2 or n - k_tot <= 0:
        raise DesignError(Message("errors.fe.vcov.cannot_estimate_clustered_standard", g=g, n=n,
                                  k_tot=k_tot))
    factor = g / (g - 1) * (n - 1) / (n - k_tot)
    v = factor * xtx_inv @ (scores.T @ scores) @ xtx_inv
    return (v + v.T) / 2


def check_rank(xd: np.ndarray, names: Sequence[str]) -> None:
    """Refuse a demeaned design ``xd`` (n, k) with no column or not of full column rank."""
    if xd.shape[1] == 0:
        raise DesignError(Message("errors.common.regressors_left_estimate"))
    s = np.linalg.svd(xd, compute_uv=False)
    if s[-1] <= 1e-9 * max(s[0], 1.0):
        zero = [nm for nm, col in zip(names, xd.T, strict=True) if np.abs(col).max() < 1e-10]
        raise rank_deficient(zero)


def rank_deficient(flat: Sequence[str]) -> DesignError:
    """The error of a rank-deficient demeaned design; ``flat`` the regressors that do not vary
    once the effects are removed (empty: they are collinear)."""
    hint = (Message("errors.fe.vcov.hint_flat", flat=flat) if flat
            else Message("errors.fe.vcov.hint_collinear"))
    return DesignError(Message("errors.fe.vcov.rank_deficient", hint=hint))

