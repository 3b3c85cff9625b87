"""Marginal value of public funds (Hendren & Sprung-Keyser 2020, QJE 135(3)).

MVPF = WTP / (C - FE): beneficiaries' willingness to pay over the net cost to government, the
program cost C minus the fiscal externality FE (here the additional tax revenue the policy causes
for the government whose view is taken). Conventions implemented:

* WTP > 0 and net cost <= 0: MVPF = +inf (the policy pays for itself);
* WTP <= 0 and net cost > 0: MVPF = WTP / net cost <= 0;
* WTP < 0 and net cost < 0 (a saving that hurts beneficiaries): outside the ordering; the point
  value is reported as NaN with ``status = "both_negative"``;
* WTP = 0 and net cost <= 0: NaN, ``status = "undefined"``.

Confidence interval (their simulation method, as implemented here): draw S pairs (WTP*, NC*) from
the joint normal N((WTP, NC), Sigma) where Sigma comes from the influence functions
(:func:`evalkit.fiscal.linear.joint_cov`); map each draw to an MVPF on the extended real line by
the rules above, +inf being the top; drop draws with both WTP* < 0 and NC* < 0 (share d); the
interval holds (1 - alpha) of *all* S draws with the dropped ones counted outside, i.e. its limits
are the q and 1 - q quantiles of the kept draws with q = (alpha - d) / (2 (1 - d)) (equivalently,
the dropped draws are split evenly between the two tails). If d >= alpha no interval with that
coverage exists and the result is (-inf, +inf) with ``status_ci = "too_many_dropped"``. Limits may
be +inf (e.g. a policy that pays for itself with probability above alpha / 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError
from evalkit.fiscal.linear import LinearEstimate, joint_cov
from evalkit.i18n import Message
from evalkit.results import Result, canonical, json_safe

__all__ = ["MvpfResult", "mvpf", "mvpf_value"]


def mvpf_value(wtp: np.ndarray | float, net_cost: np.ndarray | float) -> np.ndarray:
    """Element-wise MVPF on the extended real line (NaN where outside the ordering)."""
    w = np.asarray(wtp, dtype=float)
    c = np.asarray(net_cost, dtype=float)
    out = np.full(np.broadcast(w, c).shape, np.nan)
    w, c = np.broadcast_arrays(w, c)
    pays = (w > 0) & (c <= 0)
    regular = c > 0
    out[pays] = np.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        out[regular] = w[regular] / c[regular]
    return out


@dataclass(frozen=True, repr=False)
class MvpfResult(Result):
    """MVPF point value and simulated interval for one view ('district', 'city', 'total')."""

    view: str
    estimate: float
    conf_low: float
    conf_high: float
    wtp: float
    net_cost: float
    status: str
    status_ci: str
    dropped_share: float
    n_sim: int
    alpha: float

    def tidy(self) -> pd.DataFrame:
        """One row ``mvpf_<view>``: the MVPF and its simulated interval (no standard error)."""
        return canonical(pd.DataFrame({"term": [f"mvpf_{self.view}"],
                                       "estimate": [float(self.estimate)],
                                       "conf_low": [float(self.conf_low)],
                                       "conf_high": [float(self.conf_high)]}),
                         status=self.status, status_ci=self.status_ci)

    def summary(self) -> str:
        return (f"MVPF ({self.view}): {self.estimate:.4g} [{self.conf_low:.4g}, "
                f"{self.conf_high:.4g}], {self.status}; WTP {self.wtp:,.0f} / net cost "
                f"{self.net_cost:,.0f} yuan")

    def to_dict(self) -> dict:
        return json_safe(self)


def mvpf(wtp: LinearEstimate | float, cost: float, fiscal_externality: LinearEstimate,
         rng: np.random.Generator, view: str = "district", n_sim: int = 10_000,
         alpha: float = 0.05) -> MvpfResult:
    """MVPF = wtp / (cost - fiscal_externality) with the simulated interval described above."""
    if not 0.0 < alpha < 1.0:
        raise ConfigError(Message("errors.common.alpha_lie", alpha=alpha))
    if int(n_sim) < 100:
        raise ConfigError(Message("errors.fiscal.mvpf.n_sim_least", n_sim=n_sim))
    w = wtp if isinstance(wtp, LinearEstimate) else LinearEstimate(float(wtp), None, "wtp")
    w = w.renamed("wtp")
    fe = fiscal_externality.renamed("fe")
    net = float(cost) - fe.estimate
    point = float(mvpf_value(w.estimate, net))
    if w.estimate < 0 and net < 0:
        status = "both_negative"
    elif math.isnan(point):
        status = "undefined"
    elif math.isinf(point):
        status = "pays_for_itself"
    else:
        status = "finite"
    sigma = joint_cov([w, fe]).to_numpy()
    mean = np.array([w.estimate, fe.estimate])
    z = rng.multivariate_normal(mean, sigma, size=int(n_sim), method="eigh")  # (S, 2)
    w_s, nc_s = z[:, 0], float(cost) - z[:, 1]
    drop = (w_s < 0) & (nc_s < 0)
    vals = mvpf_value(w_s[~drop], nc_s[~drop])
    vals = np.where(np.isnan(vals), np.inf, vals)   # WTP* = 0, NC* <= 0: the top, with pays
    d = float(drop.mean())
    if d >= alpha:
        lo, hi, status_ci = -np.inf, np.inf, "too_many_dropped"
    else:
        q = (alpha - d) / (2 * (1 - d))
        srt = np.sort(vals)
        lo, hi = _quantile_ext(srt, q), _quantile_ext(srt, 1 - q)
        status_ci = "ok"
    return MvpfResult(view, point, lo, hi, w.estimate, net, status, status_ci, d, int(n_sim),
                      float(alpha))


def _quantile_ext(sorted_vals: np.ndarray, q: float) -> float:
    """Quantile (inverted empirical cdf) on the extended reals, so +inf limits survive."""
    n = sorted_vals.size
    k = min(n - 1, max(0, math.ceil(q * n) - 1))
    return float(sorted_vals[k])
