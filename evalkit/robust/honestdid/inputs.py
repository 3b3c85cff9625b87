"""The checks of HonestDiD's inputs: betahat, sigma, the numbers of periods and l_vec.

Rambachan & Roth (2023), "A More Credible Approach to Parallel Trends", Review of Economic
Studies 90(5): 2555-2591.

Shared by the confidence sets, the FLCI and the sensitivity tables.
"""

from __future__ import annotations

import numpy as np

from evalkit.errors import DataError, DesignError
from evalkit.i18n import Message

__all__ = ["check_inputs"]


def check_inputs(betahat, sigma, num_pre, num_post, l_vec):
    betahat = np.asarray(betahat, dtype=float).ravel()
    sigma = np.asarray(sigma, dtype=float)
    K = num_pre + num_post
    if num_pre < 1 or num_post < 1:
        raise DesignError(Message("errors.robust.honestdid.inputs.need_least_one_pre",
                                  num_pre=num_pre, num_post=num_post))
    if betahat.shape != (K,):
        raise DataError(Message("errors.robust.honestdid.inputs.betahat_elements_expected_numpreperiods",
                                size=betahat.size, k=K))
    if sigma.shape != (K, K):
        raise DataError(Message("errors.robust.honestdid.inputs.sigma_shape_expected",
                                shape=sigma.shape, k=K))
    if not (np.isfinite(betahat).all() and np.isfinite(sigma).all()):
        raise DataError(Message("errors.robust.honestdid.inputs.betahat_sigma_finite"))
    if not np.allclose(sigma, sigma.T, atol=1e-12 * max(1.0, np.abs(sigma).max())):
        raise DataError(Message("errors.robust.honestdid.inputs.sigma_symmetric"))
    l_vec = np.eye(num_post)[0] if l_vec is None else np.asarray(l_vec, dtype=float).ravel()
    if l_vec.shape != (num_post,):
        raise DataError(Message("errors.robust.honestdid.inputs.l_vec_elements_expected",
                                size=l_vec.size, num_post=num_post))
    return betahat, sigma, l_vec
