"""One shared multiplier bootstrap over firms for many asymptotically linear estimates.

For estimates theta_1..theta_k with influence functions psi_ij (see :mod:`evalkit.fiscal.linear`),
draw b = 1..B multipliers xi_bi per **firm** (i.i.d., mean 0, variance 1) and set::

    theta*_bj = theta_j + sum_i xi_bi psi_ij

with the *same* xi_b for every estimate, so the draws reproduce the estimates' joint distribution
(clustered by firm), as in the multiplier bootstrap of Callaway & Sant'Anna (2021, Sec. 4) and
R ``did::mboot``. Multipliers: Rademacher (+-1 with probability 1/2) or Mammen's two-point
distribution ((1 - sqrt 5)/2 with probability (sqrt 5 + 1)/(2 sqrt 5), else (1 + sqrt 5)/2).
Draws are generated in blocks of rows so that no (B x n_firms) matrix is held for large n; the
block size depends only on n_firms, so the same Generator state gives the same draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.errors import check_choice
from evalkit.fiscal.linear import LinearEstimate, stack_psi

__all__ = ["MULTIPLIERS", "BootstrapDraws", "multiplier_bootstrap"]

MULTIPLIERS = ("rademacher", "mammen")
#: Upper bound on the number of multipliers held at once (rows x firms) in one block.
_BLOCK_ELEMENTS = 2_000_000

_SQ5 = np.sqrt(5.0)
_MAMMEN_LOW = (1 - _SQ5) / 2
_MAMMEN_HIGH = (1 + _SQ5) / 2
_MAMMEN_P_LOW = (_SQ5 + 1) / (2 * _SQ5)


def _multipliers(rng: np.random.Generator, shape: tuple[int, int], kind: str) -> np.ndarray:
    if kind == "rademacher":
        return rng.integers(0, 2, size=shape, dtype=np.int8).astype(float) * 2.0 - 1.0
    u = rng.random(shape)
    return np.where(u < _MAMMEN_P_LOW, _MAMMEN_LOW, _MAMMEN_HIGH)


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
                         rng: np.random.Generator, kind: str = "rademacher") -> BootstrapDraws:
    """Shared multiplier bootstrap of ``estimates`` (one xi per firm and draw).

    Memory: blocks of at most ``_BLOCK_ELEMENTS // n_firms`` draws; the result is (B, k).
    """
    check_choice("multiplier", kind, MULTIPLIERS)
    _, psi = stack_psi(estimates)                    # (n, k)
    n, k = psi.shape
    theta = np.array([e.estimate for e in estimates], dtype=float)
    out = np.empty((int(n_draws), k))
    block = max(1, _BLOCK_ELEMENTS // max(n, 1))
    for start in range(0, int(n_draws), block):
        stop = min(int(n_draws), start + block)
        xi = _multipliers(rng, (stop - start, n), kind)  # (b, n)
        out[start:stop] = theta + xi @ psi
    return BootstrapDraws(tuple(e.name for e in estimates), theta, out, kind, n)
