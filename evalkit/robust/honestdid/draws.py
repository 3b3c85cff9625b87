"""R-compatible random draws: the least-favourable critical values use R's normal draws.

Rambachan & Roth (2023), "A More Credible Approach to Parallel Trends", Review of Economic
Studies 90(5): 2555-2591.

R's Mersenne-Twister seeded with ``set.seed(0)``, inversion (``rnorm``) and
``mvtnorm::rmvnorm``'s eigen square root, so that the ARP test's simulated critical values match
the R package ``HonestDiD`` draw for draw; a ``numpy.random.Generator`` replaces them on request.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = []


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
