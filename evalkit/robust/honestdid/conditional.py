"""Conditional and hybrid confidence sets under relative magnitudes and smoothness.

Rambachan & Roth (2023), "A More Credible Approach to Parallel Trends", Review of Economic
Studies 90(5): 2555-2591.

R ``HonestDiD``'s ``computeConditionalCS_DeltaRM`` and ``computeConditionalCS_DeltaSD``:
the ARP test (:mod:`evalkit.robust.honestdid.arp`) inverted over a grid of theta.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from evalkit.errors import DesignError, check_choice
from evalkit.i18n import Message
from evalkit.robust.honestdid.arp import _ARPProblem
from evalkit.robust.honestdid.inputs import check_inputs
from evalkit.robust.honestdid.restrictions import _post_rows, create_A_RM, create_A_SD

__all__ = ["RM_METHODS", "conditional_cs_rm", "conditional_cs_sd"]


RM_METHODS = ("C-LF", "Conditional")


def _grid_ci(accept_fn, grid: np.ndarray, refine: bool) -> tuple[float, float]:
    """Hull of the accepted grid points; with ``refine`` the ends are located by bisection between
    the outermost accepted point and its rejected neighbour (to 1e-10 of the grid step)."""
    acc = accept_fn(grid)
    if not acc.any():
        return np.nan, np.nan
    i_lo, i_hi = np.flatnonzero(acc)[[0, -1]]
    lb, ub = grid[i_lo], grid[i_hi]
    if not refine:
        return float(lb), float(ub)
    step = grid[1] - grid[0]

    def bisect(inside: float, outside: float) -> float:
        for _ in range(60):
            mid = 0.5 * (inside + outside)
            if accept_fn(np.array([mid]))[0]:
                inside = mid
            else:
                outside = mid
            if abs(outside - inside) < 1e-10 * step:
                break
        return inside

    if i_lo > 0:
        lb = bisect(lb, grid[i_lo - 1])
    if i_hi < len(grid) - 1:
        ub = bisect(ub, grid[i_hi + 1])
    return float(lb), float(ub)


def _sd_theta(sigma, num_pre, num_post, l_vec) -> float:
    post = slice(num_pre, num_pre + num_post)
    return float(np.sqrt(l_vec @ sigma[post, post] @ l_vec))


def _rm_problems(betahat, sigma, num_pre, num_post, l_vec, mbar, alpha, hybrid, rng):
    probs = []
    for s in range(-(num_pre - 1), 1):
        for sign in (True, False):
            A = create_A_RM(num_pre, num_post, mbar, s, sign)
            rows = _post_rows(A, num_pre)
            probs.append(_ARPProblem.build(betahat, sigma, A, np.zeros(A.shape[0]), num_pre,
                                           num_post, l_vec, alpha, hybrid, alpha / 10, rows,
                                           rng))
    return probs


def _union_accept(probs):
    def fn(theta):
        out = np.zeros(len(np.atleast_1d(theta)), dtype=bool)
        for p in probs:
            out |= p.accept(theta)
        return out
    return fn


#: The relative-magnitudes confidence set is found on [-GRID_SDS, GRID_SDS] standard deviations of
#: the target (R's default): an end at the grid's edge means the set reaches at least that far.
GRID_SDS = 20


def conditional_cs_rm(betahat, sigma, num_pre: int, num_post: int, l_vec=None, mbar: float = 0.0,
                      alpha: float = 0.05, method: str = "C-LF", grid_points: int = 1000,
                      grid_lb: float | None = None, grid_ub: float | None = None,
                      refine: bool = True, rng: np.random.Generator | None = None):
    """Robust confidence set for ``l_vec' tau_post`` under Delta^RM(Mbar) (R
    ``computeConditionalCS_DeltaRM``): union over the location and sign of the largest
    pre-period violation of the ARP hybrid (``"C-LF"``) or conditional test, inverted over a grid
    on ``[-20, 20]`` standard deviations of ``l_vec' betahat_post``."""
    betahat, sigma, l_vec = check_inputs(betahat, sigma, num_pre, num_post, l_vec)
    check_choice("method", method, RM_METHODS)
    if num_pre < 1:
        raise DesignError(Message("errors.robust.honestdid.conditional.relative_magnitudes_need_least"))
    hybrid = "LF" if method == "C-LF" else "ARP"
    sdt = _sd_theta(sigma, num_pre, num_post, l_vec)
    lo = -GRID_SDS * sdt if grid_lb is None else grid_lb
    hi = GRID_SDS * sdt if grid_ub is None else grid_ub
    grid = np.linspace(lo, hi, grid_points)
    probs = _rm_problems(betahat, sigma, num_pre, num_post, l_vec, mbar, alpha, hybrid, rng)
    return _grid_ci(_union_accept(probs), grid, refine)


def _id_set_sd_zero(num_pre, num_post, l_vec, m):
    """Identified set of ``l' tau`` under Delta^SD(M) when ``beta = 0`` (R ``.compute_IDset_DeltaSD``)."""
    A = create_A_SD(num_pre, num_post)
    n = num_pre + num_post
    c = np.concatenate([np.zeros(num_pre), l_vec])
    Aeq = np.hstack([np.eye(num_pre), np.zeros((num_pre, num_post))])
    bounds = [(None, None)] * n
    res_max = optimize.linprog(-c, A_ub=A, b_ub=np.full(len(A), m), A_eq=Aeq,
                               b_eq=np.zeros(num_pre), bounds=bounds, method="highs")
    res_min = optimize.linprog(c, A_ub=A, b_ub=np.full(len(A), m), A_eq=Aeq,
                               b_eq=np.zeros(num_pre), bounds=bounds, method="highs")
    return res_max.fun, -res_min.fun   # id.lb = 0 - max, id.ub = 0 - min


def conditional_cs_sd(betahat, sigma, num_pre: int, num_post: int, l_vec=None, m: float = 0.0,
                      alpha: float = 0.05, method: str = "C-LF", grid_points: int = 1000,
                      refine: bool = True, rng: np.random.Generator | None = None):
    """ARP conditional / hybrid confidence set under Delta^SD(M) (R
    ``computeConditionalCS_DeltaSD`` with ``hybrid_flag`` ``"LF"`` or ``"ARP"``)."""
    betahat, sigma, l_vec = check_inputs(betahat, sigma, num_pre, num_post, l_vec)
    check_choice("method", method, ("C-LF", "Conditional"))
    hybrid = "LF" if method == "C-LF" else "ARP"
    A = create_A_SD(num_pre, num_post)
    d = np.full(len(A), float(m))
    rows = _post_rows(A, num_pre) if num_post > 1 else np.arange(len(A))
    prob = _ARPProblem.build(betahat, sigma, A, d, num_pre, num_post, l_vec, alpha, hybrid,
                             alpha / 10, rows, rng)
    id_lb, id_ub = _id_set_sd_zero(num_pre, num_post, l_vec, m)
    sdt = _sd_theta(sigma, num_pre, num_post, l_vec)
    grid = np.linspace(id_lb - 20 * sdt, id_ub + 20 * sdt, grid_points)
    return _grid_ci(prob.accept, grid, refine)
