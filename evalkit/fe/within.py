"""The within transformation: unit and period effects removed by alternating projections.

The method of fixest and reghdfe (Gaure 2013, "OLS with multiple high dimensional category
variables", Computational Statistics & Data Analysis 66, 8-18): sweep out each factor's group
means in turn until the largest change is negligible; exact after one sweep on a balanced panel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evalkit.errors import DesignError
from evalkit.i18n import Message

__all__ = ["demean_column", "demean_two_way", "fe_k_increment"]


def demean_two_way(values: np.ndarray, unit_codes: np.ndarray, time_codes: np.ndarray,
                   tol: float = 1e-13, max_iter: int = 10_000) -> tuple[np.ndarray, int]:
    """Remove unit and time effects by alternating projections (the method of fixest/reghdfe).

    ``values`` (n,) or (n, k); ``unit_codes`` and ``time_codes`` (n,) integers from 0. Returns the
    residual of the least-squares projection of each column on unit and time dummies, shape of
    ``values``, and the number of sweeps. Exact after one sweep on a balanced panel (a second confirms it);
    on unbalanced panels it iterates until the largest change is below ``tol`` times the column scale.
    Raises :class:`DesignError` if it has not converged after ``max_iter`` sweeps.
    """
    x = np.array(values, dtype=float, copy=True)
    one_dim = x.ndim == 1
    if one_dim:
        x = x[:, None]
    n_u = int(unit_codes.max()) + 1 if unit_codes.size else 0
    n_t = int(time_codes.max()) + 1 if time_codes.size else 0
    cnt_u = np.bincount(unit_codes, minlength=n_u).astype(float)
    cnt_t = np.bincount(time_codes, minlength=n_t).astype(float)
    scale = np.maximum(np.abs(x).max(axis=0, initial=0.0), 1.0)
    sweeps = 0
    while True:
        sweeps += 1
        delta = np.zeros(x.shape[1])
        for codes, cnt, m in ((unit_codes, cnt_u, n_u), (time_codes, cnt_t, n_t)):
            for j in range(x.shape[1]):
                means = np.bincount(codes, weights=x[:, j], minlength=m) / np.where(cnt > 0, cnt, 1)
                x[:, j] -= means[codes]
                delta[j] = max(delta[j], np.abs(means).max(initial=0.0))
        if np.all(delta / scale < tol):
            break
        if sweeps >= max_iter:
            raise DesignError(Message("errors.fe.within.two_way_demeaning_did", max_iter=max_iter))
    return (x[:, 0] if one_dim else x), sweeps


def demean_column(x: np.ndarray, codes: Sequence[np.ndarray], counts: Sequence[np.ndarray],
                   tol: float = 1e-13, max_iter: int = 10_000) -> list[np.ndarray]:
    """Alternating projections on one (n,) float64 column, **in place**.

    ``codes`` (n,) int arrays of each effect, ``counts`` their group sizes (as float, 0 replaced
    by 1). Returns the accumulated effects (one (m,) array per factor), so that
    ``x_before - x_after == sum_f effect_f[codes_f]`` (up to rounding). Stopping rule of
    :func:`demean_two_way`.
    """
    scale = max(float(np.abs(x).max(initial=0.0)), 1.0)
    effects = [np.zeros(c.size) for c in counts]
    sweeps = 0
    while True:
        sweeps += 1
        delta = 0.0
        for f, (cd, cnt) in enumerate(zip(codes, counts, strict=True)):
            means = np.bincount(cd, weights=x, minlength=cnt.size) / cnt
            x -= means[cd]
            effects[f] += means
            delta = max(delta, float(np.abs(means).max(initial=0.0)))
        if delta / scale < tol:
            return effects
        if sweeps >= max_iter:
            raise DesignError(Message("errors.fe.within.two_way_demeaning_did", max_iter=max_iter))


def fe_k_increment(unit_codes: np.ndarray, time_codes: np.ndarray,
                   cluster_codes: np.ndarray) -> int:
    """Degrees of freedom of absorbed unit + time effects counted in CR1's ``K``.

    fixest/reghdfe convention: ``1 + rank(all effects) - max(rank(effects nested in the
    clusters), 1)``; for a connected panel rank(unit, time) = N + T - 1. With firm clustering
    this is T.
    """
    n_u = int(unit_codes.max()) + 1
    n_t = int(time_codes.max()) + 1

    def nested(codes: np.ndarray) -> bool:
        first = np.zeros(int(codes.max()) + 1, dtype=cluster_codes.dtype)
        first[codes] = cluster_codes        # any row's cluster; all equal if nested
        return bool((cluster_codes == first[codes]).all())

    nu, nt = nested(unit_codes), nested(time_codes)
    nested_rank = (n_u if nu else 0) + (n_t if nt else 0) - (1 if nu and nt else 0)
    return 1 + (n_u + n_t - 1) - max(nested_rank, 1)

