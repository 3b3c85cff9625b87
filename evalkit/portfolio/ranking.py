"""Ranking policies with confidence sets for their ranks (Mogstad, Romano, Shaikh & Wilhelm 2024,
"Inference for Ranks with Applications to Mobility across Neighbourhoods and Academic
Achievement across Countries", Review of Economic Studies 91(1)).

Policies j = 1..p with estimates theta_j (p,) and joint covariance Sigma (p, p). Rank 1 is the best
(highest metric, or lowest with ``higher_is_better=False``). For a pair (j, k) let
D_jk = theta_j - theta_k with standard error s_jk = sqrt(S_jj + S_kk - 2 S_jk). With centred draws
Z* of the estimates (Gaussian from Sigma, or the shared multiplier bootstrap, ``theta* - theta``),
the max-t statistics are T*_jk = |Z*_j - Z*_k| / s_jk:

* simultaneous (all j): c = the (1 - alpha) quantile of max over all pairs j != k of T*_jk;
* marginal (one j): c_j = the (1 - alpha) quantile of max over k != j of T*_jk.

Then N+_j = #{k : D_jk - c s_jk > 0} (policies surely below j) and N-_j = #{k : D_kj - c s_jk > 0}
(surely above), and the rank confidence set is {1 + N-_j, ..., p - N+_j}. The simultaneous sets
cover all p true ranks at once with probability >= 1 - alpha (asymptotically). The plausibly
``tau``-best set is {j : 1 + N-_j <= tau} and the plausibly ``tau``-worst set
{j : p - N+_j >= p - tau + 1}, both from the simultaneous bounds, so each contains every truly
tau-best (tau-worst) policy with probability >= 1 - alpha. (MRSW's stepwise refinement, which can
only shorten the sets, is not applied.) Pairs with s_jk = 0 are never declared different.

The same draws give simultaneous confidence intervals for the metrics themselves (sup-t bands,
e.g. Montiel Olea & Plagborg-Moller 2019, "Simultaneous confidence bands: theory, implementation,
and an application to SVARs", Journal of Applied Econometrics 34(1)): with b the (1 - alpha)
quantile of max_j |Z*_j| / sd_j, the intervals theta_j +- b sd_j cover all p true values at once
with probability >= 1 - alpha. They are the honest statement for a portfolio read as a whole
("every policy's return lies in its interval"); the pointwise intervals hold one policy at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.errors import ConfigError, check_choice
from evalkit.fiscal.linear import LinearEstimate, joint_cov
from evalkit.fiscal.multiplier import BootstrapDraws
from evalkit.i18n import Message
from evalkit.results import TIDY_COLUMNS, Result, json_safe

__all__ = ["RANK_METHODS", "RankingResult", "rank_confidence_sets"]

RANK_METHODS = ("gaussian", "bootstrap")
#: Max-t draws are processed this many at a time (each block is draws x p x p).
_BLOCK = 2000


@dataclass(frozen=True, eq=False, repr=False)
class RankingResult(Result):
    """Ranks with marginal and simultaneous confidence sets. Arrays are (p,), in input order."""

    names: tuple[str, ...]
    estimate: np.ndarray
    std_error: np.ndarray
    rank: np.ndarray
    rank_low: np.ndarray
    rank_high: np.ndarray
    rank_low_marginal: np.ndarray
    rank_high_marginal: np.ndarray
    crit_simultaneous: float
    crit_marginal: np.ndarray
    crit_band: float
    tau: int
    higher_is_better: bool
    alpha: float
    method: str
    metric: str = ""
    provenance: dict = field(default_factory=dict)
    #: False for a policy whose identification failed: it is not ranked (rank and rank set 0,
    #: "not identified, re-evaluate"); None = every policy identified
    identified: tuple[bool, ...] | None = None

    @property
    def ranked(self) -> np.ndarray:
        """(p,) bool: the policies that are ranked (identified)."""
        return (np.ones(len(self.names), dtype=bool) if self.identified is None
                else np.asarray(self.identified, dtype=bool))

    @property
    def plausibly_best(self) -> tuple[str, ...]:
        return tuple(n for n, lo, ok in zip(self.names, self.rank_low, self.ranked, strict=True)
                     if ok and lo <= self.tau)

    @property
    def plausibly_worst(self) -> tuple[str, ...]:
        p = int(self.ranked.sum())
        return tuple(n for n, hi, ok in zip(self.names, self.rank_high, self.ranked, strict=True)
                     if ok and hi >= p - self.tau + 1)

    def tidy(self) -> pd.DataFrame:
        z = stats.norm.ppf(1 - self.alpha / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            p_val = 2 * stats.norm.sf(np.abs(self.estimate / self.std_error))
        df = pd.DataFrame({
            "term": list(self.names), "estimate": self.estimate, "std_error": self.std_error,
            "conf_low": self.estimate - z * self.std_error,
            "conf_high": self.estimate + z * self.std_error, "p_value": p_val,
            "conf_low_simultaneous": self.estimate - self.crit_band * self.std_error,
            "conf_high_simultaneous": self.estimate + self.crit_band * self.std_error,
            "rank": self.rank, "rank_low": self.rank_low, "rank_high": self.rank_high,
            "rank_low_marginal": self.rank_low_marginal,
            "rank_high_marginal": self.rank_high_marginal,
            "plausibly_best": [n in self.plausibly_best for n in self.names],
            "plausibly_worst": [n in self.plausibly_worst for n in self.names],
            "identified": self.ranked})
        return df[[*TIDY_COLUMNS, *df.columns[len(TIDY_COLUMNS):]]]

    def summary(self) -> str:
        lines = [f"ranking by {self.metric or 'metric'} ({round((1 - self.alpha) * 100)}% "
                 f"simultaneous rank sets, {self.method})"]
        order = np.argsort(np.where(self.ranked, self.rank, len(self.names) + 1), kind="stable")
        for j in order:
            if not self.ranked[j]:
                lines.append(f"    -  {self.names[j]:<12} {self.estimate[j]:>10.4g}  "
                             "not identified, re-evaluate")
                continue
            lines.append(f"  {self.rank[j]:>3}  {self.names[j]:<12} {self.estimate[j]:>10.4g}  "
                         f"ranks {self.rank_low[j]}-{self.rank_high[j]}")
        lines.append(f"  plausibly best (tau={self.tau}): {', '.join(self.plausibly_best)}")
        lines.append(f"  plausibly worst (tau={self.tau}): {', '.join(self.plausibly_worst)}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"metric": self.metric, "alpha": self.alpha, "method": self.method,
                          "tau": self.tau, "tidy": self.tidy(),
                          "crit_simultaneous": self.crit_simultaneous,
                          "crit_band": self.crit_band,
                          "plausibly_best": list(self.plausibly_best),
                          "plausibly_worst": list(self.plausibly_worst),
                          "provenance": self.provenance})


def _rank_sets(theta: np.ndarray, s: np.ndarray, crit: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rank bounds from pairwise differences; ``crit`` (p,) per j (or all equal)."""
    p = theta.size
    d = theta[:, None] - theta[None, :]                        # D_jk
    ok = s > 0
    above = ok & (-d - crit[:, None] * s > 0)                  # k surely above j
    below = ok & (d - crit[:, None] * s > 0)                   # k surely below j
    np.fill_diagonal(above, False)
    np.fill_diagonal(below, False)
    return 1 + above.sum(axis=1), p - below.sum(axis=1)


def rank_confidence_sets(estimates: Sequence[LinearEstimate], alpha: float = 0.05,
                         method: str = "gaussian", rng: np.random.Generator | None = None,
                         n_draws: int = 10_000, draws: BootstrapDraws | None = None,
                         higher_is_better: bool = True, tau: int = 1,
                         metric: str = "", identified: Sequence[bool] | None = None
                         ) -> RankingResult:
    """Rank confidence sets for ``estimates`` (one LinearEstimate per policy, named by policy).

    ``method="gaussian"`` draws Z* ~ N(0, Sigma) with Sigma from the influence functions
    (``rng`` required); ``method="bootstrap"`` uses ``draws`` from
    :func:`evalkit.fiscal.multiplier_bootstrap` over the same estimates (columns in the same
    order). Returns :class:`RankingResult`.
    """
    check_choice("rank method", method, RANK_METHODS)
    if not 0.0 < alpha < 1.0:
        raise ConfigError(Message("errors.common.alpha_lie", alpha=alpha))
    p = len(estimates)
    if p < 2:
        raise ConfigError(Message("errors.portfolio.ranking.ranking_needs_least_policies", p=p))
    if not 1 <= int(tau) <= p:
        raise ConfigError(Message("errors.portfolio.ranking.tau_lie", p=p, tau=tau))
    names = tuple(e.name for e in estimates)
    if len(set(names)) != p:
        raise ConfigError(Message("errors.portfolio.ranking.policy_names_unique",
                                  names=list(names)))
    sign = 1.0 if higher_is_better else -1.0
    theta = sign * np.array([e.estimate for e in estimates])
    sigma = joint_cov(estimates).to_numpy()
    if method == "gaussian":
        if rng is None:
            raise ConfigError(Message("errors.portfolio.ranking.method_gaussian_needs_rng"))
        centred = None
    else:
        if draws is None or draws.names != names:
            raise ConfigError(Message("errors.portfolio.ranking.method_bootstrap_needs_draws",
                                      names=list(names)))
        centred = sign * (draws.draws - draws.estimates)      # (B, p)
        n_draws = centred.shape[0]
    var = np.diag(sigma)
    s = np.sqrt(np.maximum(var[:, None] + var[None, :] - 2 * sigma, 0.0))   # (p, p)
    inv = np.divide(1.0, s, out=np.zeros_like(s), where=s > 0)
    max_all = np.empty(n_draws)
    max_row = np.empty((n_draws, p))
    max_band = np.empty(n_draws)
    inv_sd = np.divide(1.0, np.sqrt(var), out=np.zeros(p), where=var > 0)
    chol = _sqrt_psd(sigma)
    for start in range(0, n_draws, _BLOCK):
        stop = min(n_draws, start + _BLOCK)
        if centred is None:
            z = rng.standard_normal((stop - start, p)) @ chol.T
        else:
            z = centred[start:stop]
        t = np.abs(z[:, :, None] - z[:, None, :]) * inv[None]   # (b, p, p)
        max_row[start:stop] = t.max(axis=2)
        max_all[start:stop] = max_row[start:stop].max(axis=1)
        max_band[start:stop] = (np.abs(z) * inv_sd).max(axis=1)
    c_sim = float(np.quantile(max_all, 1 - alpha))
    c_band = float(np.quantile(max_band, 1 - alpha))
    c_marg = np.quantile(max_row, 1 - alpha, axis=0)
    lo, hi = _rank_sets(theta, s, np.full(p, c_sim))
    lo_m, hi_m = _rank_sets(theta, s, c_marg)
    rank = 1 + (theta[None, :] > theta[:, None]).sum(axis=1)   # ties share the better rank
    ok = np.ones(p, dtype=bool) if identified is None else np.asarray(identified, dtype=bool)
    if ok.shape != (p,):
        raise ConfigError(Message("errors.portfolio.ranking.identified_one_entry_per"))
    if not ok.all():
        rank, lo, hi, lo_m, hi_m = (np.zeros(p, dtype=np.int64) for _ in range(5))
        c_marg = np.full(p, np.nan)
        if ok.sum() >= 2:
            sub = rank_confidence_sets([e for e, k in zip(estimates, ok, strict=True) if k],
                                       alpha, method, rng, n_draws, None if draws is None else
                                       _subset_draws(draws, ok), higher_is_better, min(tau,
                                       int(ok.sum())), metric)
            idx = np.flatnonzero(ok)
            rank[idx], lo[idx], hi[idx] = sub.rank, sub.rank_low, sub.rank_high
            lo_m[idx], hi_m[idx] = sub.rank_low_marginal, sub.rank_high_marginal
            c_marg[idx] = sub.crit_marginal
            c_sim = sub.crit_simultaneous
        else:
            ok = np.zeros(p, dtype=bool)
    return RankingResult(names, sign * theta, np.sqrt(var), rank, lo, hi, lo_m, hi_m, c_sim,
                         c_marg, c_band, int(tau), bool(higher_is_better), float(alpha), method, metric,
                         {"method": "Mogstad, Romano, Shaikh & Wilhelm (2024) max-t rank sets",
                          "draws": int(n_draws), "variant": method},
                         None if identified is None else tuple(bool(k) for k in ok))


def _subset_draws(draws: BootstrapDraws, keep: np.ndarray) -> BootstrapDraws:
    """The bootstrap draws of the kept estimates only."""
    from dataclasses import replace

    names = tuple(n for n, k in zip(draws.names, keep, strict=True) if k)
    return replace(draws, names=names, draws=draws.draws[:, keep],
                   estimates=draws.estimates[keep])


def _sqrt_psd(sigma: np.ndarray) -> np.ndarray:
    """A matrix L with L L' = sigma for a positive semi-definite sigma (eigen decomposition)."""
    w, v = np.linalg.eigh(sigma)
    return v * np.sqrt(np.clip(w, 0.0, None))
