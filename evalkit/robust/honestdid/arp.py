"""The conditional and hybrid ARP test of moment inequalities with nuisance parameters.

Rambachan & Roth (2023), "A More Credible Approach to Parallel Trends", Review of Economic
Studies 90(5): 2555-2591.

Andrews, Roth & Pakes (2023), "Inference for Linear Conditional Moment Inequalities", Review
of Economic Studies; R ``HonestDiD``'s ``arp-nuisance.R``. The linear program is solved through
its dual vertices, vectorised over the theta grid and the simulation draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from evalkit.robust.honestdid.draws import _mvnorm_draws
from evalkit.robust.honestdid.restrictions import _construct_gamma, _dual_vertices

__all__ = []


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
