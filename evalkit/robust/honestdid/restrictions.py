"""The restriction sets Delta of Rambachan & Roth (2023) as linear inequalities A delta <= d.

Rambachan & Roth (2023), "A More Credible Approach to Parallel Trends", Review of Economic
Studies 90(5): 2555-2591.

Relative magnitudes (``create_A_RM``, R's ``.create_A_RM``) and smoothness
(``create_A_SD``, R's ``.create_A_SD``), the vertices of the ARP test's dual feasible set
(:func:`_dual_vertices`) and the map from ``l_vec`` to the reparametrised target.
"""

from __future__ import annotations

import itertools

import numpy as np

from evalkit.errors import DesignError
from evalkit.i18n import Message

__all__ = ["MAX_VERTEX_COMBINATIONS", "create_A_RM", "create_A_SD"]


MAX_VERTEX_COMBINATIONS = 3_000_000


def _first_diff_matrix(num_pre: int, num_post: int) -> np.ndarray:
    """Rows ``delta_{t+1} - delta_t`` over ``t = -num_pre .. num_post - 1`` (with t = 0 column)."""
    n = num_pre + num_post
    A = np.zeros((n, n + 1))
    for r in range(n):
        A[r, r], A[r, r + 1] = -1.0, 1.0
    return A


def create_A_RM(num_pre: int, num_post: int, mbar: float, s: int,
                max_positive: bool = True) -> np.ndarray:
    """Constraints ``A delta <= 0`` of Delta^RM(Mbar) when the largest pre-period first
    difference is the one ending at period ``s`` (``-(num_pre - 1) <= s <= 0``), with sign ``+``
    or ``-``. Columns are ``delta`` without the reference period (R ``.create_A_RM``)."""
    Atilde = _first_diff_matrix(num_pre, num_post)
    v = np.zeros(num_pre + num_post + 1)
    v[num_pre + s - 1], v[num_pre + s] = -1.0, 1.0
    if not max_positive:
        v = -v
    A_ub = np.vstack([np.tile(v, (num_pre, 1)), np.tile(mbar * v, (num_post, 1))])
    A = np.vstack([Atilde - A_ub, -Atilde - A_ub])
    A = A[(A * A).sum(axis=1) > 1e-10]
    return np.delete(A, num_pre, axis=1)


def create_A_SD(num_pre: int, num_post: int) -> np.ndarray:
    """Constraints ``|delta_{t+1} - 2 delta_t + delta_{t-1}| <= M`` of Delta^SD(M) (R
    ``.create_A_SD``); ``d = M`` for every row."""
    n = num_pre + num_post
    At = np.zeros((n - 1, n + 1))
    for r in range(n - 1):
        At[r, r:r + 3] = (1.0, -2.0, 1.0)
    At = np.delete(At, num_pre, axis=1)
    return np.vstack([At, -At])


def _post_rows(A: np.ndarray, num_pre: int) -> np.ndarray:
    return np.flatnonzero((A[:, num_pre:] != 0).sum(axis=1) > 0)


def _construct_gamma(l_vec: np.ndarray) -> np.ndarray:
    """Invertible matrix with ``l_vec'`` as first row, completed by unit vectors (pivot columns
    of the reduced row echelon form of ``[l, I]``, as in R)."""
    n = len(l_vec)
    B = np.column_stack([l_vec, np.eye(n)])
    chosen: list[int] = []
    for j in range(B.shape[1]):
        if np.linalg.matrix_rank(B[:, [*chosen, j]]) > len(chosen):
            chosen.append(j)
        if len(chosen) == n:
            break
    return B[:, chosen].T


def _dual_vertices(W: np.ndarray) -> np.ndarray:
    """Vertices ``(n_vertices, M)`` of ``{g >= 0 : W' g = e_1}`` for ``W`` of shape (M, k + 1)."""
    M, k1 = W.shape
    n_comb = 1
    for i in range(k1):
        n_comb = n_comb * (M - i) // (i + 1)
    if n_comb > MAX_VERTEX_COMBINATIONS:
        raise DesignError(Message("errors.robust.honestdid.restrictions.too_many_moments_exact",
                                  n_comb=n_comb))
    combos = np.array(list(itertools.combinations(range(M), k1)), dtype=int)
    if len(combos) == 0:
        return np.zeros((0, M))
    WB = W[combos]                      # (C, k1, k1): rows of W in the basis
    WBt = np.transpose(WB, (0, 2, 1))   # solve WB' g = e1
    # Scale each column of W (the standard deviations are in the outcome's unit, the nuisance
    # columns are unitless) so that the singularity check does not depend on the unit of money.
    scale = np.abs(W).max(axis=0)
    scale[scale == 0] = 1.0
    det = np.linalg.det(WBt / scale[None, :, None])
    ok = np.abs(det) > 1e-10
    if not ok.any():
        return np.zeros((0, M))
    e1 = np.zeros(k1)
    e1[0] = 1.0
    g = np.linalg.solve(WBt[ok], np.broadcast_to(e1, (ok.sum(), k1))[..., None])[..., 0]
    feas = (g >= -1e-12).all(axis=1)
    V = np.zeros((int(feas.sum()), M))
    rows = np.repeat(np.arange(V.shape[0]), k1)
    V[rows, combos[ok][feas].ravel()] = np.clip(g[feas], 0.0, None).ravel()
    if len(V) == 0:
        return V
    return np.unique(np.round(V, 14), axis=0)
