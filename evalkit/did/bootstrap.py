"""Multiplier bootstrap for influence-function-based estimates (R ``did``'s ``mboot``).

Given an (n_units, k) influence-function matrix, draws B vectors of i.i.d. multiplier weights
V (one per cluster; Mammen's two-point weights by default, as R ``did``/``BMisc`` use, or
Rademacher), and forms ``bres_b = sqrt(n_c) * mean_c(V_bc * S_c)`` with ``S_c`` the cluster sums
of the influence function (Callaway & Sant'Anna 2021, Remark 10). Standard errors are the
interquartile-range scale of ``bres`` times ``sqrt(n_c) / n``; the uniform (sup-t) critical value
is the (1 - alp) quantile of ``max_j |bres_bj / se_j|`` (R ``quantile(type = 1)``).

The draws are generated and multiplied in blocks of rows (``block_elems`` random numbers at a
time), so memory stays O(block + B x k), never O(B x n).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
from scipy import stats

from evalkit.errors import check_choice

__all__ = [
    "BOOTSTRAP_WEIGHTS",
    "BootstrapDraws",
    "cluster_sums",
    "mboot",
    "multiplier_draws",
    "summarise_draws",
    "sup_t_crit",
]

BOOTSTRAP_WEIGHTS = ("mammen", "rademacher")
_SQ5 = np.sqrt(5.0)
_KAPPA = 0.5 * (_SQ5 + 1.0)
# Mammen (1993): value 1 - kappa with probability kappa / sqrt(5), else kappa (mean 0, var 1).
_MAMMEN_P = _KAPPA / _SQ5
_MAMMEN_LO, _MAMMEN_HI = 1.0 - _KAPPA, _KAPPA
_IQR_SCALE = stats.norm.ppf(0.75) - stats.norm.ppf(0.25)
# R did treats bootstrap columns with sum(bres^2) below this as degenerate.
_DEGENERATE = np.sqrt(np.finfo(float).eps) * 10


@dataclass(frozen=True, eq=False)
class BootstrapDraws:
    """Result of :func:`mboot`: ``bres`` (B, k) draws, ``se`` (k,) (NaN for degenerate
    columns), ``crit_val`` uniform sup-t critical value over the non-degenerate columns."""

    bres: np.ndarray
    se: np.ndarray
    crit_val: float


def cluster_sums(inf_func: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    """Sum an (n, k) influence function within clusters -> (n_clusters, k)."""
    if cluster is None:
        return inf_func
    out = np.zeros((int(cluster.max()) + 1, inf_func.shape[1]))
    np.add.at(out, cluster, inf_func)
    return out


def _draw_block(rng: np.random.Generator, shape: tuple[int, int], kind: str) -> np.ndarray:
    if kind == "rademacher":
        bits = rng.integers(0, 2, size=shape, dtype=np.int8)
        return (2.0 * bits - 1.0)
    u = rng.random(shape, dtype=np.float32)
    return np.where(u < _MAMMEN_P, _MAMMEN_LO, _MAMMEN_HI)


def multiplier_draws(inf_func: np.ndarray, rng: np.random.Generator, biters: int = 999,
                     cluster: np.ndarray | None = None, weight_type: str = "mammen",
                     block_elems: int = 1 << 22) -> tuple[np.ndarray, int]:
    """Bootstrap draws ``bres`` (biters, k) of an (n, k) influence function and the number of
    clusters. Linear in ``inf_func``: draws of a linear combination of columns are the same
    combination of the draws (how :func:`evalkit.did.aggte` reuses att_gt's draws)."""
    check_choice("bootstrap weight_type", weight_type, BOOTSTRAP_WEIGHTS)
    inf = np.asarray(inf_func, dtype=float)
    if inf.ndim == 1:
        inf = inf[:, None]
    S = cluster_sums(inf, cluster)
    n_c = S.shape[0]
    bres = np.empty((int(biters), S.shape[1]))
    rows = max(1, min(int(biters), block_elems // max(1, n_c)))
    scale = np.sqrt(n_c) / n_c
    with _single_blas_thread():
        for start in range(0, int(biters), rows):
            b = min(rows, int(biters) - start)
            V = _draw_block(rng, (b, n_c), weight_type)
            bres[start:start + b] = (V @ S) * scale
    return bres, n_c


def _single_blas_thread():
    """Run the thin (block x n) @ (n x k) products on one BLAS thread: a multi-threaded BLAS
    spinning on an oversubscribed machine made them 5-10x slower (measured on 2 shared cores).
    Uses threadpoolctl when installed; otherwise leaves BLAS as configured."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def summarise_draws(bres: np.ndarray, n: int, n_c: int, alp: float) -> BootstrapDraws:
    """Standard errors (IQR scale x sqrt(n_c)/n) and sup-t critical value from draws."""
    ok = _non_degenerate(bres)
    se = np.full(bres.shape[1], np.nan)
    se[ok] = _iqr_sigma(bres[:, ok]) * np.sqrt(n_c) / n
    return BootstrapDraws(bres=bres, se=se, crit_val=sup_t_crit(bres, alp))


def mboot(inf_func: np.ndarray, rng: np.random.Generator, biters: int = 999,
          alp: float = 0.05, cluster: np.ndarray | None = None,
          weight_type: str = "mammen", block_elems: int = 1 << 22) -> BootstrapDraws:
    """Multiplier bootstrap of an (n, k) influence function (see module docstring).

    ``cluster`` is an (n,) array of integer codes 0..n_c-1 or None (units are clusters).
    """
    inf = np.asarray(inf_func, dtype=float)
    bres, n_c = multiplier_draws(inf, rng, biters, cluster, weight_type, block_elems)
    return summarise_draws(bres, inf.shape[0], n_c, alp)


def _non_degenerate(bres: np.ndarray) -> np.ndarray:
    return np.isfinite(bres).all(axis=0) & ((bres ** 2).sum(axis=0) > _DEGENERATE)


def _iqr_sigma(bres: np.ndarray) -> np.ndarray:
    q75, q25 = np.quantile(bres, [0.75, 0.25], axis=0, method="inverted_cdf")
    return (q75 - q25) / _IQR_SCALE


def sup_t_crit(bres: np.ndarray, alp: float) -> float:
    """Uniform (sup-t) critical value from bootstrap draws ``bres`` (B, k): the (1 - alp)
    quantile (R ``type = 1``) of ``max_j |bres_bj| / sigma_j`` over non-degenerate columns,
    ``sigma_j`` the IQR scale of column j. NaN if no column is usable."""
    ok = _non_degenerate(bres)
    if not ok.any():
        return float("nan")
    sigma = _iqr_sigma(bres[:, ok])
    with np.errstate(divide="ignore", invalid="ignore"):
        bt = np.max(np.abs(bres[:, ok] / sigma), axis=1)
    bt = bt[np.isfinite(bt)]
    if bt.size == 0:
        return float("nan")
    return float(np.quantile(bt, 1 - alp, method="inverted_cdf"))
