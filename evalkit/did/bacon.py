"""Goodman-Bacon (2021) decomposition of the static two-way fixed-effects coefficient.

Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing.
Journal of Econometrics 225(2), 254-277. Theorem 1: in a balanced panel with a binary,
absorbing treatment adopted at different times, the TWFE coefficient equals

    beta_TWFE = sum_k s_kU b_kU + sum_{k<l} (s_kl^k b_kl^k + s_kl^l b_kl^l),

a weighted average (weights sum to one) of every 2x2 difference-in-differences:

* ``treated_vs_never``  b_kU: timing group k against the never-treated group U;
* ``earlier_vs_later``  b_kl^k: earlier group k against the later group l, in the window
  before l is treated (a clean comparison);
* ``later_vs_earlier``  b_kl^l: later group l against the earlier group k, in the window after
  k is treated - the already-treated k serves as control, so a change in k's effect over time
  enters with a negative sign (the "forbidden" comparison).

Weights (eq. 10e-g) with sample shares n_k, treated-period shares Dbar_k, n_ab = n_a/(n_a+n_b)
and Vhat^D the variance of the two-way demeaned treatment dummy::

    s_kU   = (n_k + n_U)^2 n_kU (1 - n_kU) Dbar_k (1 - Dbar_k) / Vhat^D
    s_kl^k = ((n_k + n_l)(1 - Dbar_l))^2 n_kl (1 - n_kl)
             * (Dbar_k - Dbar_l)/(1 - Dbar_l) * (1 - Dbar_k)/(1 - Dbar_l) / Vhat^D
    s_kl^l = ((n_k + n_l) Dbar_k)^2 n_kl (1 - n_kl)
             * Dbar_l/Dbar_k * (Dbar_k - Dbar_l)/Dbar_k / Vhat^D

Units treated at or before the first period (and units whose cohort lies after the last period)
have a treatment dummy that is constant within the panel; the unit effect absorbs it, so they act
exactly as never-treated units in the TWFE regression and are counted in U (the paper's
footnote 11), reported in ``n_always_treated``.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.did.results import estimator_provenance
from evalkit.errors import DataError, DataWarning, DesignError
from evalkit.fe import demean_two_way, factor_codes, prepare_panel
from evalkit.i18n import Message
from evalkit.results import Result, json_safe, tidy_frame

__all__ = ["COMPARISON_TYPES", "BaconResult", "bacon"]

COMPARISON_TYPES = ("treated_vs_never", "earlier_vs_later", "later_vs_earlier")


@dataclass(frozen=True, eq=False, repr=False)
class BaconResult(Result):
    """Every 2x2 comparison of the decomposition, arrays of shape (m,).

    ``treated`` and ``control`` are the timing groups (first treated period; ``control`` is 0
    for the never-treated group U); ``type`` is one of :data:`COMPARISON_TYPES`; ``weight``
    sums to one and ``weight @ estimate == twfe``.
    """

    treated: np.ndarray
    control: np.ndarray
    type: np.ndarray
    weight: np.ndarray
    estimate: np.ndarray
    twfe: float
    n_units: int
    n_periods: int
    n_never: int
    n_always_treated: int
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def weighted_sum(self) -> float:
        """sum_j weight_j estimate_j, equal to ``twfe`` up to rounding."""
        return float(self.weight @ self.estimate)

    def by_type(self) -> pd.DataFrame:
        """Per comparison type: total weight, weighted-average estimate, contribution."""
        rows = []
        for t in COMPARISON_TYPES:
            m = self.type == t
            w = float(self.weight[m].sum())
            est = float(self.weight[m] @ self.estimate[m] / w) if w > 0 else np.nan
            rows.append({"type": t, "weight": w, "estimate": est,
                         "contribution": float(self.weight[m] @ self.estimate[m])})
        return pd.DataFrame(rows)

    def tidy(self) -> pd.DataFrame:
        """One row per 2x2 comparison; 2x2 estimates carry no standard error (NaN)."""
        terms = [f"{int(k)} vs {'never' if c == 0 else int(c)}"
                 for k, c in zip(self.treated, self.control, strict=True)]
        return tidy_frame(terms, self.estimate, np.full(self.estimate.size, np.nan),
                          type=self.type, treated=self.treated.astype(int),
                          control=self.control.astype(int), weight=self.weight)

    def summary(self) -> str:
        """The TWFE coefficient and the weight and average estimate of each comparison type."""
        head = (f"Goodman-Bacon decomposition: TWFE = {self.twfe:.6g} "
                f"(weighted sum {self.weighted_sum:.6g}); {self.n_units} units, "
                f"{self.n_periods} periods, {self.n_never} in U "
                f"({self.n_always_treated} always treated)")
        return head + "\n" + self.by_type().to_string(index=False, float_format="%.6g")

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        return json_safe(dataclasses.asdict(self))


def bacon(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str) -> BaconResult:
    """Goodman-Bacon (2021, Theorem 1) decomposition of the TWFE coefficient on
    ``D_it = 1[g_i > 0, t >= g_i]`` into every 2x2 comparison, with weights and estimates.

    ``data`` is a balanced long panel (one row per unit and period; ``gname`` the first treated
    period, 0 = never). Raises :class:`DataError` for an unbalanced panel and
    :class:`DesignError` when there is no variation in treatment timing to decompose.
    """
    df = prepare_panel(data, yname, tname, idname, gname)
    uc, n_units = factor_codes(df[idname])
    tc, n_periods = factor_codes(df[tname])
    if len(df) != n_units * n_periods:
        counts = np.bincount(uc, minlength=n_units)
        short = df[idname].to_numpy()[np.searchsorted(uc, np.flatnonzero(counts < n_periods)[0])]
        raise DataError(Message("errors.did.bacon.goodman_bacon_decomposition_needs", short=short,
                                min_counts=int(counts.min()), n_periods=n_periods), column=idname,
                        fix=Message("errors.did.bacon.fix_balance_panel_keep_units"))
    periods = np.sort(df[tname].unique())
    y = df[yname].to_numpy(dtype=float).reshape(n_units, n_periods)   # sorted by id, t
    g_unit = df[gname].to_numpy(dtype=float)[::n_periods]               # (N,)
    always = (g_unit > 0) & (g_unit <= periods[0])
    never = (g_unit == 0) | (g_unit > periods[-1]) | always
    if always.any():
        warnings.warn(DataWarning(Message("warnings.did.bacon.unit_treated_before_first",
                                          sum_always=int(always.sum()), periods=periods[0])), stacklevel=2)
    groups = np.unique(g_unit[~never])
    if groups.size == 0 or (groups.size == 1 and not never.any()):
        raise DesignError(Message("errors.did.bacon.nothing_decompose_data_need"))

    # Treatment dummy, its two-way demeaned variance, and the TWFE coefficient.
    d = ((g_unit[:, None] > 0) & ~never[:, None] & (periods[None, :] >= g_unit[:, None]))
    d = d.astype(float)
    dm, _ = demean_two_way(np.column_stack([d.ravel(), y.ravel()]), uc, tc)
    v_d = float(np.mean(dm[:, 0] ** 2))
    beta = float(dm[:, 0] @ dm[:, 1] / (dm[:, 0] @ dm[:, 0]))

    share = {k: float(np.mean((g_unit == k) & ~never)) for k in groups}
    n_u = float(never.mean())
    dbar = {k: float(np.mean(periods >= k)) for k in groups}
    means = {k: y[(g_unit == k) & ~never].mean(axis=0) for k in groups}
    if never.any():
        means[0.0] = y[never].mean(axis=0)

    def did(a: float, b: float, pre: np.ndarray, post: np.ndarray) -> float:
        return float((means[a][post].mean() - means[a][pre].mean())
                     - (means[b][post].mean() - means[b][pre].mean()))

    rows: list[tuple[float, float, str, float, float]] = []
    for k in groups:
        if never.any():
            nk = share[k] / (share[k] + n_u)
            w = (share[k] + n_u) ** 2 * nk * (1 - nk) * dbar[k] * (1 - dbar[k]) / v_d
            rows.append((k, 0.0, "treated_vs_never", w,
                         did(k, 0.0, periods < k, periods >= k)))
    for i, k in enumerate(groups):            # k earlier, l later
        for l_ in groups[i + 1:]:
            nkl = share[k] / (share[k] + share[l_])
            dk, dl = dbar[k], dbar[l_]
            w_k = (((share[k] + share[l_]) * (1 - dl)) ** 2 * nkl * (1 - nkl)
                   * (dk - dl) / (1 - dl) * (1 - dk) / (1 - dl) / v_d)
            win = periods < l_
            rows.append((k, l_, "earlier_vs_later", w_k,
                         did(k, l_, win & (periods < k), win & (periods >= k))))
            w_l = (((share[k] + share[l_]) * dk) ** 2 * nkl * (1 - nkl)
                   * dl / dk * (dk - dl) / dk / v_d)
            win = periods >= k
            rows.append((l_, k, "later_vs_earlier", w_l,
                         did(l_, k, win & (periods < l_), win & (periods >= l_))))
    treated, control, kind, weight, est = (np.array(c) for c in zip(*rows, strict=True))
    return BaconResult(
        treated=treated.astype(float), control=control.astype(float), type=kind.astype(str),
        weight=weight.astype(float), estimate=est.astype(float), twfe=beta,
        n_units=n_units, n_periods=n_periods, n_never=int(never.sum()),
        n_always_treated=int(always.sum()),
        provenance=estimator_provenance("bacon", "Goodman-Bacon (2021), J. Econometrics 225(2) 254-277, "
                               "Theorem 1", yname=yname, tname=tname, idname=idname,
                               gname=gname))
