"""OLS with unit and period effects, CR1 clustered (see :mod:`evalkit.fe.vcov`).

:func:`fit_ols_fe` estimates through linearmodels ``PanelOLS`` (entity and time effects) or,
above :data:`FAST_THRESHOLD` rows or with ``method="fast"``, by alternating-projection demeaning
(:func:`evalkit.fe.within.demean_two_way`) followed by OLS; the two agree to machine precision
(tests/unit/test_twfe.py). :func:`event_study_ols` is the event study's lean kernel: int32 codes,
each event-time dummy demeaned in place and kept only as its unit and period effects, the k x k
normal equations, and cluster scores by ``np.bincount`` (bench/README.md, "TWFE event study").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.errors import check_choice
from evalkit.fe.codes import factor_codes
from evalkit.fe.vcov import check_rank, cluster_vcov, cr1, rank_deficient
from evalkit.fe.within import demean_column, demean_two_way, fe_k_increment

__all__ = ["FAST_THRESHOLD", "METHODS", "event_study_ols", "fit_ols_fe"]

#: Above this many rows ``method="auto"`` uses the demeaning fast path instead of PanelOLS
#: (PanelOLS needs ~13 GB at 10M rows, see ../shared/notes/peers.md beside the project).
FAST_THRESHOLD = 200_000

METHODS = ("auto", "panelols", "fast")


def fit_ols_fe(df: pd.DataFrame, yname: str, xnames: Sequence[str], idname: str, tname: str,
                clusters: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray, int, str]:
    """Coefficients (k,) and CR1 vcov (k, k) of y on x with unit and time effects."""
    check_choice("method", method, METHODS)
    if method == "auto":
        method = "fast" if len(df) > FAST_THRESHOLD else "panelols"
    uc, _ = factor_codes(df[idname])
    tc, _ = factor_codes(df[tname])
    x = df[list(xnames)].to_numpy(dtype=float)
    y = df[yname].to_numpy(dtype=float)
    dm, _ = demean_two_way(np.column_stack([y, x]), uc, tc)
    yd, xd = dm[:, 0], dm[:, 1:]
    check_rank(xd, xnames)
    k_abs = fe_k_increment(uc, tc, clusters)
    if method == "fast":
        beta = np.linalg.lstsq(xd, yd, rcond=None)[0]
        vcov, g = cluster_vcov(xd, yd - xd @ beta, clusters, k_abs)
        return beta, vcov, g, method
    from linearmodels import PanelOLS

    panel = pd.DataFrame(x, columns=[f"x{j}" for j in range(x.shape[1])])
    panel["__y"] = y
    panel.index = pd.MultiIndex.from_arrays([uc, df[tname].to_numpy()], names=["unit", "time"])
    model = PanelOLS(panel["__y"], panel.drop(columns="__y"), entity_effects=True,
                     time_effects=True)
    res = model.fit(cov_type="clustered",
                    clusters=pd.DataFrame({"c": clusters}, index=panel.index),
                    debiased=False, auto_df=False, count_effects=False, group_debias=False)
    beta = res.params.to_numpy()
    g = int(clusters.max()) + 1
    n, k = x.shape
    factor = g / (g - 1) * (n - 1) / (n - k - k_abs)
    return beta, res.cov.to_numpy() * factor, g, method


def event_study_ols(rel: np.ndarray, k: int, y: np.ndarray, uc: np.ndarray, tc: np.ndarray,
                      clusters: np.ndarray, names: Sequence[str]) -> tuple[np.ndarray,
                                                                           np.ndarray, int]:
    """OLS of ``y`` on k event-time dummies with unit and time effects, CR1 by ``clusters``.

    ``rel`` (n,) int: the dummy (0..k-1) each row loads on, -1 for none; ``uc``, ``tc``,
    ``clusters`` (n,) dense int codes. The dummies are never held as an (n, k) matrix: each is
    built, demeaned in place and summarised by its unit and time effects ``A`` (k, N), ``L``
    (k, T), so that the demeaned column is ``x_j - A_j[uc] - L_j[tc]`` (Frisch-Waugh-Lovell).
    Solves the k x k normal equations; returns (beta (k,), vcov (k, k), G).
    """
    n = y.size
    n_u, n_t = int(uc.max()) + 1, int(tc.max()) + 1
    codes = (uc, tc)
    counts = tuple(np.maximum(np.bincount(c, minlength=m), 1).astype(float)
                   for c, m in ((uc, n_u), (tc, n_t)))
    yd = np.array(y, dtype=float, copy=True)
    demean_column(yd, codes, counts)
    rel1 = rel + 1                      # index into (0, beta): 0 for rows without a dummy
    # rows of each dummy, contiguous, for X' v = per-dummy sums of v (numpy's pairwise sums keep
    # the 1e-13 agreement that np.bincount's running sums lose at 10M rows)
    order = np.argsort(rel, kind="stable")
    bounds = np.searchsorted(rel[order], np.arange(k + 1))
    order, bounds = order[bounds[0]:], bounds - bounds[0]

    def xt(v: np.ndarray) -> np.ndarray:
        vs = v[order]
        return np.array([vs[bounds[i]:bounds[i + 1]].sum() for i in range(k)])

    A, L = np.empty((k, n_u)), np.empty((k, n_t))
    xtx = np.empty((k, k))
    flat = []
    for j in range(k):
        d = (rel == j).astype(float)
        A[j], L[j] = demean_column(d, codes, counts)
        xtx[:, j] = xt(d)                                    # X' d_j = d' d_j (M idempotent)
        if np.abs(d).max(initial=0.0) < 1e-10:
            flat.append(names[j])
    xtx = (xtx + xtx.T) / 2
    xty = xt(yd)                                             # X' M y
    scale = np.sqrt(np.diag(xtx))
    eig = (np.linalg.eigvalsh(xtx / np.outer(scale, scale)) if scale.min() > 0
           else np.zeros(1))
    if flat or eig[0] <= 1e-12 * max(eig[-1], 1.0):
        raise rank_deficient(flat)
    beta = np.linalg.solve(xtx, xty)
    # residual u = M y - M X beta, with M X beta = X beta - (A' beta)[uc] - (L' beta)[tc]
    u = yd
    u -= np.concatenate([[0.0], beta])[rel1]
    u += (beta @ A)[uc]
    u += (beta @ L)[tc]
    g = int(clusters.max()) + 1
    scores = np.empty((g, k))
    for j in range(k):
        d = (rel == j).astype(float)
        d -= A[j][uc]
        d -= L[j][tc]
        d *= u
        scores[:, j] = np.bincount(clusters, weights=d, minlength=g)
    vcov = cr1(np.linalg.inv(xtx), scores, n, fe_k_increment(uc, tc, clusters))
    return beta, vcov, g

