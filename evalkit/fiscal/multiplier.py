"""One shared multiplier bootstrap over firms for many asymptotically linear estimates.

For estimates theta_1..theta_k with influence functions psi_ij (see :mod:`evalkit.fiscal.linear`),
draw b = 1..B multipliers xi_bi per **firm** (i.i.d., mean 0, variance 1) and set::

    theta*_bj = theta_j + sum_i xi_bi psi_ij

with the *same* xi_b for every estimate, so the draws reproduce the estimates' joint distribution
(clustered by firm), as in the multiplier bootstrap of Callaway & Sant'Anna (2021, Sec. 4) and
R ``did::mboot``. Multipliers: Rademacher (+-1 with probability 1/2) or Mammen's two-point
distribution ((1 - sqrt 5)/2 with probability (sqrt 5 + 1)/(2 sqrt 5), else (1 + sqrt 5)/2).
The weights and the blocked products are those of :func:`evalkit.did.bootstrap.multiplier_draws`
(one implementation): no (B x n_firms) matrix is held at once, and the same Generator state gives
the same draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.did.bootstrap import BOOTSTRAP_WEIGHTS, multiplier_draws
from evalkit.errors import check_choice
from evalkit.fiscal.linear import LinearEstimate, stack_psi

__all__ = ["MULTIPLIERS", "BootstrapDraws", "multiplier_bootstrap"]

MULTIPLIERS = BOOTSTRAP_WEIGHTS


@dataclass(frozen=True, eq=False)
class BootstrapDraws:
    """Joint bootstrap draws of k estimates.

    ``draws`` has shape (B, k): row b is (theta*_b1, ..., theta*_bk); ``estimates`` (k,) are the
    point estimates and ``names`` their labels.
    """

    names: tuple[str, ...]
    estimates: np.ndarray
    draws: np.ndarray = field(repr=False)
    kind: str = "rademacher"
    n_firms: int = 0

    @property
    def n_draws(self) -> int:
        return int(self.draws.shape[0])

    def std_error(self) -> np.ndarray:
        """Bootstrap standard errors (k,), the s.d. of the draws (ddof 1)."""
        return self.draws.std(axis=0, ddof=1)

    def percentile_ci(self, alpha: float = 0.05) -> pd.DataFrame:
        lo, hi = np.quantile(self.draws, [alpha / 2, 1 - alpha / 2], axis=0)
        return pd.DataFrame({"term": list(self.names), "estimate": self.estimates,
                             "conf_low": lo, "conf_high": hi})

    def column(self, name: str) -> np.ndarray:
        return self.draws[:, self.names.index(name)]


def multiplier_bootstrap(estimates: Sequence[LinearEstimate], n_draws: int,
                         rng: np.random.Generator, kind: str = "rademacher",
                         block_elems: int = 1 << 19) -> BootstrapDraws:
    """Shared multiplier bootstrap of ``estimates`` (one xi per firm and draw).

    Memory: weights ``block_elems`` at a time (blocks of 64 draws, ``block_elems // 64`` firms
    per chunk, see :func:`evalkit.did.bootstrap.multiplier_draws`); the result is (B, k).
    """
    check_choice("multiplier", kind, MULTIPLIERS)
    _, psi = stack_psi(estimates)                    # (n, k)
    n = psi.shape[0]
    theta = np.array([e.estimate for e in estimates], dtype=float)
    # evalkit.did.bootstrap draws xi @ S / sqrt(n) for an influence matrix S (blocked, only over
    # firms with non-zero influence); with S = psi that is (xi @ psi) / sqrt(n).
    bres, _ = multiplier_draws(psi, rng, int(n_draws), weight_type=kind, block_elems=block_elems)
    out = theta + bres * np.sqrt(max(n, 1))
    return BootstrapDraws(tuple(e.name for e in estimates), theta, out, kind, n)
