"""Multiplier bootstrap for influence-function-based estimates (R ``did``'s ``mboot``).

Given an (n_units, k) influence-function matrix, draws B vectors of i.i.d. multiplier weights
V (one per cluster; Mammen's two-point weights by default, as R ``did``/``BMisc`` use, or
Rademacher), and forms ``bres_b = sqrt(n_c) * mean_c(V_bc * S_c)`` with ``S_c`` the cluster sums
of the influence function (Callaway & Sant'Anna 2021, Remark 10). Standard errors are the
interquartile-range scale of ``bres`` times ``sqrt(n_c) / n``; the uniform (sup-t) critical value
is the (1 - alp) quantile of ``max_j |bres_bj / se_j|`` (R ``quantile(type = 1)``).

The draws are generated and multiplied in blocks of rows (``block_elems`` random numbers at a
time), so memory stays O(block + B x k), never O(B x n). Each block has its own generator seeded
from the caller's, and blocks run on up to 4 threads (numpy releases the GIL while drawing and
multiplying), so results depend on the seed only, not on the number of threads.
"""

from __future__ import annotations

import contextlib
import os
import queue
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from evalkit.errors import check_choice

__all__ = [
    "BOOTSTRAP_WEIGHTS",
    "BootstrapDraws",
    "cluster_sums",
    "mboot",
    "multiplier_draws",
    "single_blas_thread",
    "summarise_draws",
    "sup_t_crit",
]

BOOTSTRAP_WEIGHTS = ("mammen", "rademacher")
_SQ5 = np.sqrt(5.0)
_KAPPA = 0.5 * (_SQ5 + 1.0)
# Mammen (1993): value 1 - kappa with probability kappa / sqrt(5), else kappa (mean 0, var 1).
_MAMMEN_P = _KAPPA / _SQ5
_MAMMEN_LO, _MAMMEN_HI = 1.0 - _KAPPA, _KAPPA
_IQR_SCALE = NormalDist().inv_cdf(0.75) - NormalDist().inv_cdf(0.25)
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
    n_c = int(cluster.max()) + 1
    order = np.argsort(cluster, kind="stable")
    codes = cluster[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    out = np.zeros((n_c, inf_func.shape[1]))
    out[codes[starts]] = np.add.reduceat(inf_func[order], starts, axis=0)
    return out


# Weights are drawn from raw generator output: Mammen by comparing uniform 32-bit integers with
# round(p * 2^32) (resolution 2.3e-10, finer than a float32 uniform), Rademacher from one byte's
# lowest bit. A block of weights V = hi + (lo - hi) * M is generated as the float32 0/1 matrix M
# (exact), so V @ S = hi * colsum(S) + (lo - hi) * (M @ S): the product M @ S runs in float32 (the
# draws only feed quantiles whose Monte Carlo error is O(biters^-1/2); relative rounding ~1e-7),
# the rank-one term in float64.
_MAMMEN_THRESHOLD = np.uint32(round(_MAMMEN_P * 2.0**32))
_TWO_POINT = {"mammen": (_MAMMEN_LO, _MAMMEN_HI), "rademacher": (-1.0, 1.0)}


def _low_indicator(rng: np.random.Generator, shape: tuple[int, int], kind: str,
                   out: np.ndarray) -> np.ndarray:
    """Fill ``out`` (b, n) float32 with i.i.d. indicators of the weight taking its low value
    (probability kappa / sqrt(5) for Mammen, 1/2 for Rademacher)."""
    b, n = shape
    size = b * n
    bits = rng.bit_generator
    if kind == "rademacher":
        raw = bits.random_raw((size + 7) // 8).view(np.uint8)[:size].reshape(shape)
        np.bitwise_and(raw, 1, out=raw)
        np.copyto(out, raw)
        return out
    raw = bits.random_raw((size + 1) // 2).view(np.uint32)[:size].reshape(shape)
    np.copyto(out, raw < _MAMMEN_THRESHOLD)
    return out


def _draw_block(rng: np.random.Generator, shape: tuple[int, int], kind: str) -> np.ndarray:
    """A (b, n) float64 block of i.i.d. multiplier weights (mean 0, variance 1); the same
    weights :func:`multiplier_draws` uses for the same generator state."""
    lo, hi = _TWO_POINT[kind]
    m = _low_indicator(rng, shape, kind, np.empty(shape, dtype=np.float32))
    return hi + (lo - hi) * m.astype(float)


def multiplier_draws(inf_func: np.ndarray | Sequence[np.ndarray], rng: np.random.Generator,
                     biters: int = 999, cluster: np.ndarray | None = None,
                     weight_type: str = "mammen",
                     block_elems: int = 1 << 22) -> tuple[np.ndarray, int]:
    """Bootstrap draws ``bres`` (biters, k) of an (n, k) influence function and the number of
    clusters. Linear in ``inf_func``: draws of a linear combination of columns are the same
    combination of the draws (how :func:`evalkit.did.aggte` reuses att_gt's draws).
    ``inf_func`` may also be a sequence of (n, k_i) blocks, treated as their column
    concatenation (without building it).

    Work: weights are drawn only for clusters whose influence is not identically zero (the
    others contribute nothing), ``max(8, block_elems // n_live)`` draws at a time, each block a
    float32 (b, n_live) @ (n_live, k) product on one BLAS thread, blocks on up to
    :func:`_workers` threads; memory O(threads x block + biters x k).
    """
    check_choice("bootstrap weight_type", weight_type, BOOTSTRAP_WEIGHTS)
    parts = [inf_func] if isinstance(inf_func, np.ndarray) else list(inf_func)
    parts = [np.asarray(a, dtype=float) for a in parts]
    parts = [cluster_sums(a[:, None] if a.ndim == 1 else a, cluster) for a in parts]
    n_c = parts[0].shape[0]
    k = sum(a.shape[1] for a in parts)
    biters = int(biters)
    nonzero = np.zeros(n_c, dtype=bool)
    for a in parts:
        nonzero |= np.any(a != 0, axis=1)
    live = None if nonzero.all() else np.flatnonzero(nonzero)
    n_live = n_c if live is None else live.size
    bres = np.zeros((biters, k))
    if n_live == 0 or biters == 0:
        return bres, n_c
    S32 = np.empty((n_live, k), dtype=np.float32)
    colsum = np.empty(k)
    j = 0
    for a in parts:
        S32[:, j:j + a.shape[1]] = a if live is None else a[live]
        colsum[j:j + a.shape[1]] = a.sum(axis=0)
        j += a.shape[1]
    rows = min(biters, max(8, block_elems // n_live))
    starts = list(range(0, biters, rows))
    # Each block of draws has its own generator seeded from ``rng``, so the draws do not depend
    # on how many threads share the blocks (numpy releases the GIL in all three steps).
    seeds = rng.integers(0, 2**63 - 1, size=len(starts), dtype=np.int64)
    workers = min(_workers(), len(starts))
    buffers: queue.SimpleQueue = queue.SimpleQueue()
    for _ in range(workers):
        buffers.put(np.empty((rows, n_live), dtype=np.float32))

    def block(i: int) -> None:
        start = starts[i]
        b = min(rows, biters - start)
        buf = buffers.get()
        try:
            M = _low_indicator(np.random.default_rng(int(seeds[i])), (b, n_live), weight_type,
                               out=buf[:b])
            bres[start:start + b] = M @ S32
        finally:
            buffers.put(buf)

    with single_blas_thread():
        if workers == 1:
            for i in range(len(starts)):
                block(i)
        else:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(block, range(len(starts))))
    lo, hi = _TWO_POINT[weight_type]
    bres *= lo - hi
    bres += hi * colsum
    bres *= np.sqrt(n_c) / n_c
    return bres, n_c


def _workers() -> int:
    """Threads for the bootstrap blocks: the CPUs this process may use, at most 4
    (``EVALKIT_THREADS`` overrides)."""
    env = os.environ.get("EVALKIT_THREADS")
    if env:
        return max(1, int(env))
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


_CONTROLLER: list = []


def single_blas_thread():
    """Context manager running BLAS on one thread. The engine's products are thin (many rows,
    few columns) or small; a multi-threaded OpenBLAS spinning on an oversubscribed machine made
    them 5-50x slower (measured on 2 shared cores: att_gt 0.15 s -> 8 s per call). Uses
    threadpoolctl (one cached controller); without it BLAS stays as configured."""
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - optional dependency
            _CONTROLLER.append(None)
        else:
            _CONTROLLER.append(ThreadpoolController())
    ctrl = _CONTROLLER[0]
    if ctrl is None:  # pragma: no cover
        return contextlib.nullcontext()
    return ctrl.limit(limits=1, user_api="blas")


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
