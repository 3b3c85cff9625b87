"""Fixed-length confidence intervals under smoothness (Rambachan & Roth 2023, Section 4.1).

Rambachan & Roth (2023), "A More Credible Approach to Parallel Trends", Review of Economic
Studies 90(5): 2555-2591.

R ``HonestDiD``'s ``findOptimalFLCI``: the affine estimator minimising the worst-case
half-length, solved with ``scipy.optimize`` and the exact folded-normal quantile.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, stats

from evalkit.errors import check_choice
from evalkit.robust.honestdid.draws import _r_rnorm
from evalkit.robust.honestdid.inputs import check_inputs

__all__ = ["flci"]


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
    betahat, sigma, l_vec = check_inputs(betahat, sigma, num_pre, num_post, l_vec)
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
