"""HonestDiD: robust confidence sets for event-study effects under limited violations of
parallel trends.

Rambachan & Roth (2023), "A More Credible Approach to Parallel Trends", Review of Economic
Studies 90(5): 2555-2591; the conditional and hybrid tests are those of Andrews, Roth & Pakes
(2023, "Inference for Linear Conditional Moment Inequalities", REStud). The reference
implementation is the R package ``HonestDiD`` (Rambachan & Roth); this module follows its
definitions (``createSensitivityResults``, ``createSensitivityResults_relativeMagnitudes``,
``constructOriginalCS``, ``findOptimalFLCI``, the ARP test with nuisance parameters) with its own
numerics:

* The ARP linear program ``eta(y) = min_d max_i (y_i - X_i d) / sd_i`` is solved through its dual:
  ``eta(y) = max_v v'y`` over the vertices ``v`` of ``{g >= 0, [sd, X]' g = e_1}``. The vertices
  are enumerated once per restriction set, so the test runs vectorised over the whole theta grid
  and over the least-favourable simulation draws, and the conditioning interval ``[v_lo, v_up]``
  of the test is exact (R finds it by bisection over linear programs).
* The least-favourable critical value uses the same 1000 normal draws as R (Mersenne-Twister seeded
  with ``set.seed(0)``, inversion, and ``mvtnorm::rmvnorm``'s eigen square root) unless the
  caller passes a ``numpy.random.Generator``.
* The FLCI solves R's convex programme (minimum worst-case bias given the standard deviation
  ``h``, then the ``h`` minimising the half-length) with ``scipy.optimize`` (SLSQP, bounded Brent),
  and uses the exact folded-normal quantile instead of R's 10^6-draw simulation.

Shapes: ``betahat`` ``(numPrePeriods + numPostPeriods,)`` event-study coefficients ordered by
event time with the reference period removed; ``sigma`` its covariance ``(K, K)``; ``l_vec``
``(numPostPeriods,)`` weights defining the target ``theta = l_vec' tau_post``.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from evalkit.errors import ConfigError, DataError, DesignError, check_choice
from evalkit.results import Result, json_safe

RM_METHODS = ("C-LF", "Conditional")
SD_METHODS = ("FLCI", "C-LF", "Conditional")
MAX_VERTEX_COMBINATIONS = 3_000_000


# =========================================================================== R-compatible draws
def _r_uniforms(n: int, seed: int = 0) -> np.ndarray:
    """``n`` draws of R's ``unif_rand()`` after ``set.seed(seed)`` (Mersenne-Twister, default)."""
    s = np.uint64(seed) & np.uint64(0xFFFFFFFF)
    mask = np.uint64(0xFFFFFFFF)
    for _ in range(50):
        s = (np.uint64(69069) * s + np.uint64(1)) & mask
    key = np.empty(625, dtype=np.uint64)
    for j in range(625):
        s = (np.uint64(69069) * s + np.uint64(1)) & mask
        key[j] = s
    bitgen = np.random.MT19937()
    bitgen.state = {"bit_generator": "MT19937",
                    "state": {"key": key[1:].astype(np.uint32), "pos": 624}}
    raw = bitgen.random_raw(n).astype(np.float64) * 2.3283064365386963e-10
    raw = np.where(raw <= 0.0, 0.5 * 2.328306437080797e-10, raw)
    return np.where(1.0 - raw <= 0.0, 1.0 - 0.5 * 2.328306437080797e-10, raw)


def _r_rnorm(n: int, seed: int = 0) -> np.ndarray:
    """R's ``rnorm(n)`` after ``set.seed(seed)`` (inversion with two uniforms per draw)."""
    u = _r_uniforms(2 * n, seed)
    big = 134217728.0
    v = (np.floor(big * u[0::2]) + u[1::2]) / big
    return stats.norm.ppf(v)


def _rmvnorm_r(n: int, sigma: np.ndarray, seed: int = 0) -> np.ndarray:
    """``mvtnorm::rmvnorm(n, sigma = sigma)`` after ``set.seed(seed)``: ``(n, dim)`` draws."""
    vals, vecs = np.linalg.eigh(sigma)
    root = (vecs * np.sqrt(np.maximum(vals, 0.0))) @ vecs.T
    z = _r_rnorm(n * sigma.shape[0], seed).reshape(n, sigma.shape[0])
    return z @ root


def _mvnorm_draws(n: int, sigma: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
    if rng is None:
        return _rmvnorm_r(n, sigma, 0)
    vals, vecs = np.linalg.eigh(sigma)
    root = (vecs * np.sqrt(np.maximum(vals, 0.0))) @ vecs.T
    return rng.standard_normal((n, sigma.shape[0])) @ root


# =========================================================================== restriction sets
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
        raise DesignError(f"too many moments for the exact ARP test ({n_comb} bases); reduce the "
                          "number of post-periods",
                          zh=f"精确 ARP 检验的矩条件过多（{n_comb} 个基）；请减少政策后时期数")
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


# =========================================================================== ARP test
@dataclass
class _ARPProblem:
    """The ARP (hybrid) test of ``theta`` for ``delta in {A delta <= d}`` (R ``.ARP_computeCI``
    with nuisance parameters, or ``.APR_computeCI_NoNuis`` when ``numPostPeriods == 1``)."""

    y0: np.ndarray          # (M,) A betahat - d on the rows used by the test
    a1: np.ndarray          # (M,) column multiplying theta
    sigma: np.ndarray       # (M, M) covariance of y
    vertices: np.ndarray    # (nv, M)
    alpha: float
    hybrid: str             # "LF" or "ARP"
    kappa: float
    nuisance: bool
    lf_cv: float = np.inf

    @classmethod
    def build(cls, betahat, sigma, A, d, num_pre, num_post, l_vec, alpha, hybrid, kappa,
              rows, rng):
        post = slice(num_pre, num_pre + num_post)
        nuisance = num_post > 1
        if nuisance:
            AGi = A[:, post] @ np.linalg.inv(_construct_gamma(l_vec))
            a1, X = AGi[:, 0], AGi[:, 1:]
        else:
            a1, X = A[:, post][:, 0] * (1.0 / l_vec[0]), np.zeros((A.shape[0], 0))
        y0 = A @ betahat - d
        sig_y = A @ sigma @ A.T
        y0, a1, X, sig_y = y0[rows], a1[rows], X[rows], sig_y[np.ix_(rows, rows)]
        sd = np.sqrt(np.diag(sig_y))
        V = _dual_vertices(np.column_stack([sd, X]))
        prob = cls(y0, a1, sig_y, V, alpha, hybrid, kappa, nuisance)
        if hybrid == "LF":
            draws = _mvnorm_draws(1000, sig_y, rng)
            etas = (V @ draws.T).max(axis=0) if len(V) else np.full(1000, -np.inf)
            prob.lf_cv = float(np.quantile(etas, 1 - kappa))
        return prob

    def accept(self, theta: np.ndarray) -> np.ndarray:
        """Vectorised over ``theta`` ``(G,)``: True where the test does not reject."""
        theta = np.atleast_1d(np.asarray(theta, dtype=float))
        G = len(theta)
        if len(self.vertices) == 0:   # primal LP unbounded: R does not reject
            return np.ones(G, dtype=bool)
        V = self.vertices
        y = self.y0[None, :] - self.a1[None, :] * theta[:, None]      # (G, M)
        vy = V @ y.T                                                   # (nv, G)
        best = np.argmax(vy, axis=0)
        eta = vy[best, np.arange(G)]
        gam = V[best]                                                  # (G, M)
        sg = gam @ self.sigma                                          # (G, M)
        s2 = np.einsum("gm,gm->g", sg, gam)
        sigma_b = np.sqrt(np.maximum(s2, 0.0))
        reject = np.zeros(G, dtype=bool)
        if self.hybrid == "LF":
            first = eta > self.lf_cv
            reject |= first
        else:
            first = np.zeros(G, dtype=bool)
        degenerate = sigma_b < 1e-10
        reject |= degenerate & ~first & (eta > 0)
        todo = ~first & ~degenerate
        if todo.any():
            idx = np.flatnonzero(todo)
            b = sg[idx] / s2[idx, None]                                # (g, M)
            s = y[idx] - b * eta[idx, None]
            vs = V @ s.T                                               # (nv, g)
            coef = 1.0 - V @ b.T
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = vs / coef
            vlo = np.where(coef > 1e-12, ratio, -np.inf).max(axis=0)
            vup = np.where(coef < -1e-12, ratio, np.inf).min(axis=0)
            sb = sigma_b[idx]
            if self.nuisance:
                mod = (self.alpha - self.kappa) / (1 - self.kappa) if self.hybrid == "LF" \
                    else self.alpha
                zup = np.minimum(vup, self.lf_cv if self.hybrid == "LF" else np.inf) / sb
            else:   # R's no-nuisance tests: unmodified size, no truncation at the LF cv
                mod = self.alpha
                zup = vup / sb
            zlo = vlo / sb
            stat = eta[idx] / sb
            inside = (zlo <= stat) & (stat <= zup)
            cval = _truncnorm_quantile(1 - mod, zlo, zup)
            if self.nuisance:
                cval = np.maximum(0.0, cval)
            reject[idx] = inside & (stat > cval)
        return ~reject


def _truncnorm_quantile(p: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Quantile ``p`` of N(0, 1) truncated to ``[lo, hi]`` (vectorised, stable in the tails)."""
    lo, hi = np.broadcast_arrays(np.asarray(lo, float), np.asarray(hi, float))
    out = np.asarray(stats.truncnorm.ppf(p, np.minimum(lo, hi), hi), dtype=float)
    bad = ~np.isfinite(out)
    if bad.any():   # both ends far in one tail: invert the survival (or cdf) in logs
        a, b = lo[bad], hi[bad]
        upper = a > 0
        res = np.empty(a.shape)
        lsa, lsb = stats.norm.logsf(a), stats.norm.logsf(b)
        res[upper] = stats.norm.isf(np.exp(np.logaddexp(np.log1p(-p) + lsa[upper],
                                                        np.log(p) + lsb[upper])))
        lca, lcb = stats.norm.logcdf(a), stats.norm.logcdf(b)
        res[~upper] = stats.norm.ppf(np.exp(np.logaddexp(np.log1p(-p) + lca[~upper],
                                                         np.log(p) + lcb[~upper])))
        out[bad] = res
    return out


# =========================================================================== confidence sets
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


def conditional_cs_rm(betahat, sigma, num_pre: int, num_post: int, l_vec=None, mbar: float = 0.0,
                      alpha: float = 0.05, method: str = "C-LF", grid_points: int = 1000,
                      grid_lb: float | None = None, grid_ub: float | None = None,
                      refine: bool = True, rng: np.random.Generator | None = None):
    """Robust confidence set for ``l_vec' tau_post`` under Delta^RM(Mbar) (R
    ``computeConditionalCS_DeltaRM``): union over the location and sign of the largest
    pre-period violation of the ARP hybrid (``"C-LF"``) or conditional test, inverted over a grid
    on ``[-20, 20]`` standard deviations of ``l_vec' betahat_post``."""
    betahat, sigma, l_vec = _check_inputs(betahat, sigma, num_pre, num_post, l_vec)
    check_choice("method", method, RM_METHODS)
    if num_pre < 1:
        raise DesignError("relative magnitudes need at least one pre-period coefficient",
                          zh="相对幅度（relative magnitudes）至少需要一个政策前时期系数")
    hybrid = "LF" if method == "C-LF" else "ARP"
    sdt = _sd_theta(sigma, num_pre, num_post, l_vec)
    lo = -20 * sdt if grid_lb is None else grid_lb
    hi = 20 * sdt if grid_ub is None else grid_ub
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
    betahat, sigma, l_vec = _check_inputs(betahat, sigma, num_pre, num_post, l_vec)
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


# --------------------------------------------------------------------------- FLCI
@functools.lru_cache(maxsize=1)
def _r_folded_draws() -> np.ndarray:
    return _r_rnorm(1_000_000, 0)


def _folded_normal_quantile(p: float, mu: float, kind: str = "exact") -> float:
    """``c`` with ``P(|Z + mu| <= c) = p`` for ``Z ~ N(0, 1)``; ``kind="r"`` reproduces R
    HonestDiD's ``.qfoldednormal`` (type-7 quantile of 10^6 draws after ``set.seed(0)``)."""
    if kind == "r":
        return float(np.quantile(np.abs(_r_folded_draws() + mu), p))
    mu = abs(mu)
    f = lambda c: stats.norm.cdf(c - mu) - stats.norm.cdf(-c - mu) - p  # noqa: E731
    return optimize.brentq(f, 0.0, mu + 10.0, xtol=1e-14, rtol=1e-15)


@dataclass(frozen=True)
class _FLCIProblem:
    num_pre: int
    num_post: int
    l_vec: np.ndarray
    Q: np.ndarray        # (K, K) quadratic term of var in w
    a: np.ndarray        # (K,) linear term
    c: float             # constant term
    target: float        # sum(w) = (1..Tbar)' l
    bias_const: float

    @classmethod
    def build(cls, sigma, num_pre, num_post, l_vec):
        K = num_pre
        D = np.eye(K) - np.eye(K, k=-1)           # l_pre = D w
        spre = sigma[:K, :K]
        sprepost = sigma[:K, K:]
        Q = D.T @ spre @ D
        a = 2 * D.T @ sprepost @ l_vec
        c = float(l_vec @ sigma[K:, K:] @ l_vec)
        t = np.arange(1, num_post + 1)
        target = float(t @ l_vec)
        const = sum(abs(float(np.arange(1, s + 1) @ l_vec[num_post - s:]))
                    for s in range(1, num_post + 1)) - target
        return cls(num_pre, num_post, l_vec, Q, a, c, target, const)

    def var(self, w):
        return float(w @ self.Q @ w + self.a @ w + self.c)

    def w_min_var(self):
        K = self.num_pre
        kkt = np.block([[2 * self.Q, np.ones((K, 1))], [np.ones((1, K)), np.zeros((1, 1))]])
        rhs = np.concatenate([-self.a, [self.target]])
        return np.linalg.lstsq(kkt, rhs, rcond=None)[0][:K]

    def w_min_bias(self):
        w = np.zeros(self.num_pre)
        w[-1] = self.target
        return w

    def min_bias_given_h(self, h, w_start):
        """Minimum of ``sum |cumsum(w)|`` subject to ``sum(w) = target`` and ``var(w) <= h^2``."""
        K = self.num_pre
        L = np.tril(np.ones((K, K)))
        z0 = np.concatenate([np.abs(L @ w_start) + 1e-12, w_start])
        cons = [
            {"type": "ineq", "fun": lambda z: np.concatenate([z[:K] - L @ z[K:], z[:K] + L @ z[K:]]),
             "jac": lambda z: np.block([[np.eye(K), -L], [np.eye(K), L]])},
            {"type": "eq", "fun": lambda z: np.array([z[K:].sum() - self.target]),
             "jac": lambda z: np.concatenate([np.zeros(K), np.ones(K)])[None, :]},
            {"type": "ineq", "fun": lambda z: np.array([h * h - self.var(z[K:])]),
             "jac": lambda z: np.concatenate([np.zeros(K), -(2 * self.Q @ z[K:] + self.a)])[None, :]},
        ]
        res = optimize.minimize(lambda z: z[:K].sum(), z0,
                                jac=lambda z: np.concatenate([np.ones(K), np.zeros(K)]),
                                constraints=cons, method="SLSQP",
                                options={"ftol": 1e-15, "maxiter": 500})
        w = res.x[K:]
        return float(np.abs(L @ w).sum()) + self.bias_const, w


def flci(betahat, sigma, num_pre: int, num_post: int, l_vec=None, m: float = 0.0,
         alpha: float = 0.05, folded_normal: str = "exact") -> dict[str, Any]:
    """Optimal fixed-length confidence interval under Delta^SD(M) (R ``findOptimalFLCI``).

    The affine estimator ``optimal_vec' betahat`` with pre-period weights chosen to minimise the
    half-length ``h * q(1 - alpha; M * maxbias / h)``, ``q`` the folded-normal quantile.
    ``folded_normal="r"`` uses R's simulated folded-normal quantile instead of the exact one.
    Returns ``lb, ub, optimal_vec (K,), half_length, h``.
    """
    betahat, sigma, l_vec = _check_inputs(betahat, sigma, num_pre, num_post, l_vec)
    check_choice("folded_normal", folded_normal, ("exact", "r"))
    prob = _FLCIProblem.build(sigma, num_pre, num_post, l_vec)
    w_mv = prob.w_min_var()
    h_min = np.sqrt(prob.var(w_mv))
    w_mb = prob.w_min_bias()
    h0 = np.sqrt(prob.var(w_mb))
    if m == 0 or h0 <= h_min * (1 + 1e-12):
        bias0 = prob.min_bias_given_h(h_min * (1 + 1e-12), w_mv)[0] if m != 0 else 0.0
        w_star, h_star = w_mv, h_min
        half = _folded_normal_quantile(1 - alpha, m * bias0 / h_min, folded_normal) * h_min
    else:
        cache: dict[float, tuple[float, np.ndarray]] = {}

        def half_length(h):
            if h not in cache:
                cache[h] = prob.min_bias_given_h(h, w_mv)
            bias = cache[h][0]
            return _folded_normal_quantile(1 - alpha, m * bias / h, folded_normal) * h

        res = optimize.minimize_scalar(half_length, bounds=(h_min, h0), method="bounded",
                                       options={"xatol": 1e-12 * h0})
        cands = [(half_length(h), h) for h in (res.x, h_min, h0)]
        half, h_star = min(cands)
        w_star = cache[h_star][1]
    D = np.eye(num_pre) - np.eye(num_pre, k=-1)
    vec = np.concatenate([D @ w_star, l_vec])
    center = float(vec @ betahat)
    return {"lb": center - half, "ub": center + half, "optimal_vec": vec,
            "half_length": float(half), "h": float(h_star)}


# =========================================================================== inputs
def _check_inputs(betahat, sigma, num_pre, num_post, l_vec):
    betahat = np.asarray(betahat, dtype=float).ravel()
    sigma = np.asarray(sigma, dtype=float)
    K = num_pre + num_post
    if num_pre < 1 or num_post < 1:
        raise DesignError(f"need at least one pre- and one post-period; got num_pre={num_pre}, "
                          f"num_post={num_post}",
                          zh=f"至少需要一个政策前时期和一个政策后时期；收到 num_pre={num_pre}，"
                             f"num_post={num_post}")
    if betahat.shape != (K,):
        raise DataError(f"betahat has {betahat.size} elements; expected numPrePeriods + "
                        f"numPostPeriods = {K}",
                        zh=f"betahat 有 {betahat.size} 个元素；应为 numPrePeriods + "
                           f"numPostPeriods = {K}")
    if sigma.shape != (K, K):
        raise DataError(f"sigma has shape {sigma.shape}; expected ({K}, {K})",
                        zh=f"sigma 的形状为 {sigma.shape}；应为 ({K}, {K})")
    if not (np.isfinite(betahat).all() and np.isfinite(sigma).all()):
        raise DataError("betahat and sigma must be finite", zh="betahat 和 sigma 须为有限值")
    if not np.allclose(sigma, sigma.T, atol=1e-12 * max(1.0, np.abs(sigma).max())):
        raise DataError("sigma is not symmetric", zh="sigma 不是对称矩阵")
    l_vec = np.eye(num_post)[0] if l_vec is None else np.asarray(l_vec, dtype=float).ravel()
    if l_vec.shape != (num_post,):
        raise DataError(f"l_vec has {l_vec.size} elements; expected numPostPeriods = {num_post}",
                        zh=f"l_vec 有 {l_vec.size} 个元素；应为 numPostPeriods = {num_post}")
    return betahat, sigma, l_vec


# =========================================================================== results
@dataclass(frozen=True, eq=False, repr=False)
class HonestDiDResult(Result):
    """A sensitivity table: robust confidence sets for ``theta = l_vec' tau_post``.

    ``values`` ``(n,)`` the Mbar (relative magnitudes) or M (smoothness) values; ``lb``, ``ub``
    ``(n,)`` the robust confidence sets; ``original`` the usual ``(lb, ub)`` ignoring violations;
    ``breakdown`` the smallest value at which the robust set contains 0 (NaN if none in range).
    """

    restriction: str                # "relative_magnitudes" or "smoothness"
    method: str
    values: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    original: tuple[float, float]
    estimate: float
    std_error: float
    l_vec: np.ndarray
    num_pre: int
    num_post: int
    alpha: float
    breakdown: float
    provenance: dict = field(default_factory=dict)

    @property
    def parameter(self) -> str:
        return "Mbar" if self.restriction == "relative_magnitudes" else "M"

    def tidy(self) -> pd.DataFrame:
        """One row per Mbar / M value (and the original CI): ``term, estimate, std_error,
        conf_low, conf_high, p_value`` plus ``method``, ``Delta`` and the sensitivity value."""
        delta = "DeltaRM" if self.restriction == "relative_magnitudes" else "DeltaSD"
        n = len(self.values)
        rows = pd.DataFrame({
            "term": ["theta"] * n, "estimate": self.estimate, "std_error": np.nan,
            "conf_low": self.lb, "conf_high": self.ub, "p_value": np.nan,
            "method": self.method, "Delta": delta, self.parameter: self.values,
        })
        orig = pd.DataFrame({"term": ["theta"], "estimate": [self.estimate],
                             "std_error": [self.std_error], "conf_low": [self.original[0]],
                             "conf_high": [self.original[1]],
                             "p_value": [2 * stats.norm.sf(abs(self.estimate / self.std_error))],
                             "method": ["Original"], "Delta": [None], self.parameter: [np.nan]})
        return pd.concat([orig, rows], ignore_index=True)

    def summary(self) -> str:
        lines = [f"HonestDiD sensitivity ({self.restriction}, {self.method}), theta = l'tau_post "
                 f"with l = {np.round(self.l_vec, 4).tolist()}",
                 f"  original {1 - self.alpha:.0%} CI: [{self.original[0]:.4f}, "
                 f"{self.original[1]:.4f}]"]
        for v, lo, hi in zip(self.values, self.lb, self.ub, strict=True):
            lines.append(f"  {self.parameter} = {v:g}: [{lo:.4f}, {hi:.4f}]")
        bd = "not reached" if np.isnan(self.breakdown) else f"{self.breakdown:.4g}"
        lines.append(f"  breakdown {self.parameter} (robust CI first includes 0): {bd}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return json_safe({f.name: getattr(self, f.name) for f in dataclasses.fields(self)})


def original_cs(betahat, sigma, num_pre: int, num_post: int, l_vec=None,
                alpha: float = 0.05) -> tuple[float, float]:
    """Usual confidence interval for ``l_vec' beta_post`` (R ``constructOriginalCS``)."""
    betahat, sigma, l_vec = _check_inputs(betahat, sigma, num_pre, num_post, l_vec)
    est = float(l_vec @ betahat[num_pre:])
    se = _sd_theta(sigma, num_pre, num_post, l_vec)
    z = stats.norm.ppf(1 - alpha / 2)
    return est - z * se, est + z * se


def _breakdown(values: np.ndarray, lb: np.ndarray, ub: np.ndarray, ci_at) -> float:
    """Smallest value at which the robust set contains 0, refined by bisection between the last
    value excluding 0 and the first including it (NaN if no value in the table includes 0)."""
    covers = (lb <= 0) & (ub >= 0)
    order = np.argsort(values)
    v, c = values[order], covers[order]
    if not c.any():
        return np.nan
    j = int(np.argmax(c))
    if j == 0:
        return float(v[0])
    lo, hi = float(v[j - 1]), float(v[j])
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        a, b = ci_at(mid)
        if a <= 0 <= b:
            hi = mid
        else:
            lo = mid
        if hi - lo < 1e-4 * max(1e-12, float(v[j])):
            break
    return hi


def sensitivity_rm(betahat, sigma, num_pre: int, num_post: int,
                   mbar_vec: Sequence[float] = (0.5, 1.0, 1.5, 2.0), l_vec=None,
                   alpha: float = 0.05, method: str = "C-LF", grid_points: int = 1000,
                   refine: bool = True, breakdown: bool = True,
                   rng: np.random.Generator | None = None) -> HonestDiDResult:
    """Relative-magnitudes sensitivity table (R ``createSensitivityResults_relativeMagnitudes``).

    ``refine=False`` reports the outermost accepted points of R's grid (reproduces R's printed
    numbers); ``refine=True`` locates the ends of the confidence set by bisection.
    """
    betahat, sigma, l_vec = _check_inputs(betahat, sigma, num_pre, num_post, l_vec)
    vals = np.asarray(mbar_vec, dtype=float)
    if (vals < 0).any():
        raise ConfigError(f"Mbar values must be >= 0; received {vals.tolist()}",
                          zh=f"Mbar 的取值须 >= 0；收到的是 {vals.tolist()}")

    def ci_at(mb):
        return conditional_cs_rm(betahat, sigma, num_pre, num_post, l_vec, mb, alpha, method,
                                 grid_points, refine=refine, rng=rng)

    bounds = np.array([ci_at(mb) for mb in vals]).reshape(-1, 2)
    return _result("relative_magnitudes", method, vals, bounds, betahat, sigma, num_pre,
                   num_post, l_vec, alpha, ci_at if breakdown else None,
                   {"grid_points": grid_points, "refine": refine,
                    "lf_draws": "R set.seed(0)" if rng is None else "numpy Generator"})


def sensitivity_sd(betahat, sigma, num_pre: int, num_post: int,
                   m_vec: Sequence[float] = (0.0, 0.01, 0.02, 0.03, 0.04, 0.05), l_vec=None,
                   alpha: float = 0.05, method: str = "FLCI", grid_points: int = 1000,
                   refine: bool = True, breakdown: bool = True,
                   rng: np.random.Generator | None = None,
                   folded_normal: str = "exact") -> HonestDiDResult:
    """Smoothness sensitivity table (R ``createSensitivityResults``): the FLCI by default, or the
    ARP hybrid (``"C-LF"``) / conditional test. ``folded_normal="r"`` makes the FLCI use R's
    simulated folded-normal quantile (to reproduce R's printed numbers)."""
    betahat, sigma, l_vec = _check_inputs(betahat, sigma, num_pre, num_post, l_vec)
    check_choice("method", method, SD_METHODS)
    vals = np.asarray(m_vec, dtype=float)
    if (vals < 0).any():
        raise ConfigError(f"M values must be >= 0; received {vals.tolist()}",
                          zh=f"M 的取值须 >= 0；收到的是 {vals.tolist()}")

    def ci_at(m):
        if method == "FLCI":
            r = flci(betahat, sigma, num_pre, num_post, l_vec, m, alpha, folded_normal)
            return r["lb"], r["ub"]
        return conditional_cs_sd(betahat, sigma, num_pre, num_post, l_vec, m, alpha, method,
                                 grid_points, refine, rng)

    bounds = np.array([ci_at(m) for m in vals]).reshape(-1, 2)
    return _result("smoothness", method, vals, bounds, betahat, sigma, num_pre, num_post, l_vec,
                   alpha, ci_at if breakdown else None,
                   {"grid_points": grid_points, "folded_normal": folded_normal})


def _result(restriction, method, vals, bounds, betahat, sigma, num_pre, num_post, l_vec, alpha,
            ci_at, extra) -> HonestDiDResult:
    orig = original_cs(betahat, sigma, num_pre, num_post, l_vec, alpha)
    bd = _breakdown(vals, bounds[:, 0], bounds[:, 1], ci_at) if ci_at is not None else np.nan
    return HonestDiDResult(
        restriction=restriction, method=method, values=vals, lb=bounds[:, 0], ub=bounds[:, 1],
        original=orig, estimate=float(l_vec @ betahat[num_pre:]),
        std_error=_sd_theta(sigma, num_pre, num_post, l_vec), l_vec=l_vec, num_pre=num_pre,
        num_post=num_post, alpha=alpha, breakdown=bd,
        provenance={"estimator": "HonestDiD", "paper": "Rambachan & Roth (2023, REStud)",
                    "reference_implementation": "R HonestDiD", "restriction": restriction,
                    "method": method, **extra})


# =========================================================================== adapter
def honest_did(event_study, type: str = "relative_magnitudes", values=None, l_vec=None,
               e: int | None = None, reference: int | None = None, vcov=None,
               alpha: float = 0.05, method: str | None = None, **kwargs) -> HonestDiDResult:
    """Sensitivity analysis on any event study (Rambachan & Roth 2023; R ``HonestDiD``).

    ``event_study`` is what an evalkit event study returns, read through the one adapter
    :func:`evalkit.robust.pretrends.event_study_inputs`: an
    :class:`~evalkit.did.results.AggteResult` of ``aggte(type="dynamic")`` (as R's
    ``honest_did(es)`` after ``did::aggte``; covariance from the influence functions), an
    :class:`~evalkit.did.results.EstimatesResult` event study (TWFE, Sun-Abraham, imputation) or an
    ``(event, estimate, vcov)`` tuple. Also accepted: any object with attributes ``event``
    (relative times), ``estimate`` and ``vcov`` (covariance in the same order), or a tidy
    DataFrame with columns ``event`` and ``estimate`` together with ``vcov=`` (which also
    overrides an object's covariance). The reference period (``reference``; default the event
    study's, else -1) is dropped when present (its coefficient is normalised to zero); the other
    negative events are the pre-periods and events ``>= 0`` the post-periods. ``e`` picks a
    single post-period (0 = on impact) when ``l_vec`` is not given.
    """
    check_choice("type", type, ("relative_magnitudes", "smoothness"))
    if not isinstance(event_study, pd.DataFrame) and not hasattr(event_study, "event"):
        from evalkit.robust.pretrends import event_study_inputs

        event_study = event_study_inputs(event_study, vcov=vcov)
    if reference is None:
        reference = int(getattr(event_study, "reference", -1))
    if isinstance(event_study, pd.DataFrame):
        for col in ("event", "estimate"):
            if col not in event_study.columns:
                raise DataError(f"event-study frame lacks column {col!r}", column=col,
                                zh=f"事件研究数据表缺少列 {col!r}")
        ev = event_study["event"].to_numpy()
        est = event_study["estimate"].to_numpy(dtype=float)
        V = vcov
    else:
        try:
            ev = np.asarray(event_study.event)
            est = np.asarray(event_study.estimate, dtype=float)
        except AttributeError as exc:
            raise DataError("event study must have attributes 'event' and 'estimate' (and "
                            "'vcov'), or be a tidy frame with vcov=",
                            zh="事件研究须具有属性 'event' 和 'estimate'（以及 'vcov'），"
                               "或为整洁数据表并同时传入 vcov=") from exc
        V = vcov if vcov is not None else getattr(event_study, "vcov", None)
    if V is None:
        raise DataError("no covariance matrix: pass vcov= or an object with a 'vcov' attribute",
                        zh="缺少协方差矩阵：请传入 vcov= 或具有 'vcov' 属性的对象")
    V = np.asarray(V, dtype=float)
    ev = np.asarray(ev, dtype=float)
    if V.shape != (len(ev), len(ev)) or est.shape != ev.shape:
        raise DataError(f"event ({len(ev)}), estimate ({est.size}) and vcov {V.shape} do not "
                        "conform",
                        zh=f"event（{len(ev)}）、estimate（{est.size}）与 vcov {V.shape} "
                           "的维度不一致")
    keep = ev != reference
    order = np.argsort(ev[keep])
    ev_k = ev[keep][order]
    est_k = est[keep][order]
    idx = np.flatnonzero(keep)[order]
    V_k = V[np.ix_(idx, idx)]
    num_pre = int((ev_k < 0).sum())
    num_post = int((ev_k >= 0).sum())
    if l_vec is None and e is not None:
        post_events = ev_k[ev_k >= 0]
        if e not in post_events:
            raise ConfigError(f"e must be one of the post-period events {post_events.tolist()}; "
                              f"received {e!r}",
                              zh=f"e 须为政策后时期事件 {post_events.tolist()} 之一；"
                                 f"收到的是 {e!r}")
        l_vec = (post_events == e).astype(float)
    if type == "relative_magnitudes":
        return sensitivity_rm(est_k, V_k, num_pre, num_post,
                              values if values is not None else (0.5, 1.0, 1.5, 2.0), l_vec,
                              alpha, method or "C-LF", **kwargs)
    return sensitivity_sd(est_k, V_k, num_pre, num_post,
                          values if values is not None else (0.0, 0.01, 0.02, 0.03, 0.04, 0.05),
                          l_vec, alpha, method or "FLCI", **kwargs)
