"""The checks of HonestDiD's inputs: betahat, sigma, the numbers of periods and l_vec.

Rambachan & Roth (2023), "A More Credible Approach to Parallel Trends", Review of Economic
Studies 90(5): 2555-2591.

Shared by the confidence sets, the FLCI and the sensitivity tables.
"""

from __future__ import annotations

import numpy as np

from evalkit.errors import DataError, DesignError

__all__ = ["check_inputs"]


def check_inputs(betahat, sigma, num_pre, num_post, l_vec):
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
