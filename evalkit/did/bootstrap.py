"""Multiplier bootstrap for influence-function-based estimates (R ``did``'s ``mboot``).

Given an (n_units, k) influence-function matrix, draws B vectors of i.i.d. multiplier weights
V (one per cluster; Mammen's two-point weights by default, as R ``did``/``BMisc`` use, or
Rademacher), and forms ``bres_b = sqrt(n_c) * mean_c(V_bc * S_c)`` with ``S_c`` the cluster sums
of the influence function (Callaway & Sant'Anna 2021, Remark 10). Standard errors are the
interquartile-range scale of ``bres`` times ``sqrt(n_c) / n``; the uniform (sup-t) critical value
is the (1 - alp) quantile of ``max_j |bres_bj / se_j|`` (R ``quantile(type = 1)``).

The draws come in blocks of 64; within a block the weights are generated and multiplied
``block_elems`` at a time (a cache-sized chunk of units), so memory stays O(chunk + B x k), never
O(B x n). Rows are grouped by their non-zero columns and each group is multiplied on those
columns only. Each block has its own generator seeded from the caller's, and blocks run on up to
4 threads (numpy releases the GIL while drawing and multiplying), so results depend on the seed
only, not on the number of threads.
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

from evalkit.did.results import SE_FLOOR
from evalkit.errors import check_choice

__all__ = [
    "BOOTSTRAP_WEIGHTS",
    "MbootSummary",
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


@dataclass(frozen=True, eq=False)
class MbootSummary:
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


# Weights are drawn from raw generator output. Mammen: one random byte per weight, low if the
# byte is below 185, and for a byte equal to 185 (probability 1/256) a further 32-bit draw
# settles it, so P(low) = (185 + T / 2^32) / 256 with T = round((256 p - 185) 2^32): exact to
# 2^-40, finer than a float32 uniform. Rademacher: one byte's lowest bit. A block of weights
# V = hi + (lo - hi) * M is generated as the float32 0/1 matrix M (exact), so
# V @ S = hi * colsum(S) + (lo - hi) * (M @ S): the product M @ S runs in float32 (the draws only
# feed quantiles whose Monte Carlo error is O(biters^-1/2); relative rounding ~1e-7), the
# rank-one term in float64.
_MAMMEN_BYTE = 185
_MAMMEN_TIE = np.uint32(round((256 * _MAMMEN_P - _MAMMEN_BYTE) * 2.0**32))
#: Draws per block: each block has its own generator and runs on one thread; its weights are
#: drawn ``block_elems // 64`` units at a time so the weights and the rows they multiply stay in
#: the core's cache (a (64 x 8192) float32 chunk is 2 MB, the size of L2 here; drawing a whole (draws x units) block
#: first and multiplying after made the product wait on memory: 0.16 s -> 0.07 s for 999 x
#: 200,000 on two cores).
_DRAWS_PER_BLOCK = 64
_TWO_POINT = {"mammen": (_MAMMEN_LO, _MAMMEN_HI), "rademacher": (-1.0, 1.0)}


def _low_indicator(rng: np.random.Generator, shape: tuple[int, int], kind: str,
                   out: np.ndarray) -> np.ndarray:
    """Fill ``out`` (b, n) float32 with i.i.d. indicators of the weight taking its low value
    (probability kappa / sqrt(5) for Mammen, 1/2 for Rademacher)."""
    size = shape[0] * shape[1]
    bits = rng.bit_generator
    raw = bits.random_raw((size + 7) // 8).view(np.uint8)[:size]
    flat = out.reshape(size)
    if kind == "rademacher":
        np.bitwise_and(raw, 1, out=raw)
        np.copyto(flat, raw)
        return out
    np.less(raw, np.uint8(_MAMMEN_BYTE), out=flat)
    ties = np.flatnonzero(raw == _MAMMEN_BYTE)
    if ties.size:
        settle = bits.random_raw((ties.size + 1) // 2).view(np.uint32)[:ties.size]
        flat[ties] = settle < _MAMMEN_TIE
    return out



@dataclass(frozen=True, eq=False)
class _RowGroup:
    """Rows of an influence matrix that are zero outside ``columns``: ``values`` (rows, m)
    float32 is their restriction to those columns (``columns`` None: all of them)."""

    values: np.ndarray
    columns: np.ndarray | slice

    @property
    def rows(self) -> int:
        return self.values.shape[0]


def _row_groups(parts: list[np.ndarray], n: int, max_groups: int = 16,
                min_rows: int = 1024) -> list[_RowGroup]:
    """Group the live rows (any non-zero entry) of the column concatenation of ``parts`` by
    their pattern of non-zero columns, so each group is multiplied on its own columns only.

    Callaway-Sant'Anna influence functions are block-sparse: a unit of cohort g is non-zero only
    in cohort g's cells, so with three cohorts a treated unit's row needs about a third of the
    product. The most common patterns (each with at least ``min_rows`` rows, at most
    ``max_groups - 1``) get their own group, the remaining live rows one group on the union of
    their columns. Rows keep their order within a group; the grouping depends on the influence
    matrix only, never on threads or blocks. Each group's values are one contiguous float32
    array (a strided slice of a wider matrix costs the product as much memory traffic as the
    whole width).
    """
    k = sum(a.shape[1] for a in parts)
    offsets = np.cumsum([0] + [a.shape[1] for a in parts])
    nonzero = np.empty((n, k), dtype=bool)
    for a, lo, hi in zip(parts, offsets[:-1], offsets[1:], strict=True):
        np.not_equal(a, 0, out=nonzero[:, lo:hi])
    packed = np.packbits(nonzero, axis=1, bitorder="little")
    del nonzero
    keys = np.zeros((n, -(-packed.shape[1] // 8) * 8), dtype=np.uint8)
    keys[:, :packed.shape[1]] = packed
    keys = keys.view(np.uint64)
    if keys.shape[1] == 1:
        patterns, label, count = np.unique(keys[:, 0], return_inverse=True, return_counts=True)
        patterns = patterns[:, None]
    else:
        patterns, label, count = np.unique(keys, axis=0, return_inverse=True,
                                           return_counts=True)
    bits = np.unpackbits(np.ascontiguousarray(patterns).view(np.uint8), axis=1, count=k,
                         bitorder="little").astype(bool)
    live = bits.any(axis=1)
    by_size = np.argsort(-count, kind="stable")
    own = [int(p) for p in by_size if live[p] and count[p] >= min_rows][:max_groups - 1]
    rest = live.copy()
    rest[own] = False
    group_of = np.full(patterns.shape[0], 255, dtype=np.uint8)  # 255: no influence, no weights
    group_of[own] = np.arange(len(own))
    group_of[rest] = len(own)
    used = [bits[p] for p in own] + ([bits[rest].any(axis=0)] if rest.any() else [])
    row_group = group_of[label.reshape(-1)]
    order = np.argsort(row_group, kind="stable")          # radix sort of 8-bit labels
    bounds = np.searchsorted(row_group[order], np.arange(len(used) + 1))
    groups = []
    for g, u in enumerate(used):
        idx = order[bounds[g]:bounds[g + 1]]
        cols = np.flatnonzero(u)
        values = np.empty((idx.size, cols.size), dtype=np.float32)
        for a, lo, hi in zip(parts, offsets[:-1], offsets[1:], strict=True):
            here = (cols >= lo) & (cols < hi)
            if here.all() and cols.size == hi - lo:
                values[:] = a[idx]
            elif here.any():
                values[:, here] = a[idx][:, cols[here] - lo]
        span = cols[-1] - cols[0] + 1 == cols.size
        groups.append(_RowGroup(values, slice(cols[0], cols[-1] + 1) if span else cols))
    return groups


def _draw_block(rng: np.random.Generator, shape: tuple[int, int], kind: str,
                block_elems: int = 1 << 19) -> np.ndarray:
    """A (b, n) float64 block of i.i.d. multiplier weights (mean 0, variance 1), drawn
    ``max(1, block_elems // b)`` units at a time: the weights :func:`multiplier_draws` draws for
    a group of ``n`` rows in its first block of ``b`` draws from the same generator state (a
    shorter last block is drawn ``block_elems // 64`` units at a time there)."""
    lo, hi = _TWO_POINT[kind]
    b, n = shape
    chunk = max(1, block_elems // b)
    m = np.empty(shape)
    for u0 in range(0, n, chunk):
        w = min(chunk, n - u0)
        m[:, u0:u0 + w] = _low_indicator(rng, (b, w), kind, np.empty((b, w), dtype=np.float32))
    return hi + (lo - hi) * m


def multiplier_draws(inf_func: np.ndarray | Sequence[np.ndarray], rng: np.random.Generator,
                     biters: int = 999, cluster: np.ndarray | None = None,
                     weight_type: str = "mammen",
                     block_elems: int = 1 << 19) -> tuple[np.ndarray, int]:
    """Bootstrap draws ``bres`` (biters, k) of an (n, k) influence function and the number of
    clusters. Linear in ``inf_func``: draws of a linear combination of columns are the same
    combination of the draws (how :func:`evalkit.did.aggte` reuses att_gt's draws).
    ``inf_func`` may also be a sequence of (n, k_i) blocks, treated as their column
    concatenation (without building it).

    Work: weights are drawn only for clusters whose influence is not identically zero (the
    others contribute nothing); rows are grouped by their non-zero columns and each group is
    multiplied on those columns only (:func:`_row_groups`). Draws come in blocks of 64, each
    block on one thread (up to :func:`_workers`) with its own generator; within a block the
    weights are drawn ``block_elems // 64`` units at a time and multiplied at once, a float32
    (64, chunk) @ (chunk, k_group) product on one BLAS thread that stays in cache. Memory
    O(n x k in float32 + threads x block_elems + biters x k).
    """
    check_choice("bootstrap weight_type", weight_type, BOOTSTRAP_WEIGHTS)
    parts = [inf_func] if isinstance(inf_func, np.ndarray) else list(inf_func)
    parts = [np.asarray(a, dtype=float) for a in parts]
    parts = [cluster_sums(a[:, None] if a.ndim == 1 else a, cluster) for a in parts]
    n_c = parts[0].shape[0]
    k = sum(a.shape[1] for a in parts)
    biters = int(biters)
    if biters == 0 or n_c == 0:
        return np.zeros((biters, k)), n_c
    groups = _row_groups(parts, n_c)
    n_live = sum(g.rows for g in groups)
    bres = np.zeros((biters, k))
    if n_live == 0:
        return bres, n_c
    colsum = np.concatenate([a.sum(axis=0) for a in parts])
    rows = min(biters, _DRAWS_PER_BLOCK)
    chunk = max(1, block_elems // rows)
    starts = list(range(0, biters, rows))
    # Each block of draws has its own generator seeded from ``rng``, so the draws do not depend
    # on how many threads share the blocks (numpy releases the GIL in all three steps).
    seeds = rng.integers(0, 2**63 - 1, size=len(starts), dtype=np.int64)
    workers = min(_workers(), len(starts))
    buffers: queue.SimpleQueue = queue.SimpleQueue()
    for _ in range(workers):
        buffers.put(np.empty(rows * min(chunk, n_live), dtype=np.float32))

    def block(i: int) -> None:
        start = starts[i]
        b = min(rows, biters - start)
        block_rng = np.random.default_rng(int(seeds[i]))
        buf = buffers.get()
        try:
            out = bres[start:start + b]
            for g in groups:
                acc = np.zeros((b, g.values.shape[1]))
                for u0 in range(0, g.rows, chunk):
                    w = min(chunk, g.rows - u0)
                    M = _low_indicator(block_rng, (b, w), weight_type, buf[:b * w].reshape(b, w))
                    acc += M @ g.values[u0:u0 + w]
                out[:, g.columns] += acc
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


def summarise_draws(bres: np.ndarray, n: int, n_c: int, alp: float) -> MbootSummary:
    """Standard errors (IQR scale x sqrt(n_c)/n) and sup-t critical value from draws."""
    ok = _non_degenerate(bres)
    se = np.full(bres.shape[1], np.nan)
    se[ok] = _iqr_sigma(bres[:, ok]) * np.sqrt(n_c) / n
    return MbootSummary(bres=bres, se=se, crit_val=sup_t_crit(bres, alp))


def mboot(inf_func: np.ndarray, rng: np.random.Generator, biters: int = 999,
          alp: float = 0.05, cluster: np.ndarray | None = None,
          weight_type: str = "mammen", block_elems: int = 1 << 19) -> MbootSummary:
    """Multiplier bootstrap of an (n, k) influence function (see module docstring).

    ``cluster`` is an (n,) array of integer codes 0..n_c-1 or None (units are clusters).
    """
    inf = np.asarray(inf_func, dtype=float)
    bres, n_c = multiplier_draws(inf, rng, biters, cluster, weight_type, block_elems)
    return summarise_draws(bres, inf.shape[0], n_c, alp)


def _non_degenerate(bres: np.ndarray) -> np.ndarray:
    return np.isfinite(bres).all(axis=0) & ((bres ** 2).sum(axis=0) > SE_FLOOR)


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
