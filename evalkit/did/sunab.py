"""Sun & Abraham (2021) interaction-weighted (IW) event-study estimator.

Sun, L. and Abraham, S. (2021). Estimating dynamic treatment effects in event studies with
heterogeneous treatment effects. Journal of Econometrics 225(2), 175-199.

Step 1 (eq. 15): the saturated regression, on treated cohorts and a control cohort C,

    y_it = a_i + l_t + sum_{g not in C} sum_{e != ref_e} delta_{g,e} 1[g_i = g] 1[t - g_i = e] + u_it

estimates every cohort-specific effect CATT_{g,e} = delta_{g,e} (one interaction for each
observed relative time, so no period's effect leaks into another's coefficient).
Step 2: the cohort shares w_{g,e} = n_{g,e} / sum_g n_{g,e} (n_{g,e}: observations of cohort g at
relative time e). Step 3: nu_e = sum_g w_{g,e} delta_{g,e}; the overall ATT averages every post
cell (e >= 0) with weights n_{g,e} / sum n (the average effect over all treated observations).

Inference: with W (m, p) the aggregation weights and V (p, p) the CR1 cluster-robust covariance
of delta (see :mod:`evalkit.did.twfe` for the small-sample convention), the estimates are W delta
with covariance W V W'. The shares are treated as fixed, as R ``fixest::aggregate`` /
``sunab`` and diff-diff do; the paper's Proposition 6 also propagates their sampling error,
which vanishes when cohort shares are known and is small when cohorts are large.

Control cohort: ``control="never"`` uses the never-treated units (``g = 0``, and units whose
``g`` lies after the last period); ``control="last"`` uses the last-treated cohort and keeps only
the periods before it is treated (never-treated units are then left out), for designs where every
unit is eventually treated.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.did.results import EstimatesResult, estimator_provenance
from evalkit.errors import ConfigError, DataWarning, DesignError, check_choice
from evalkit.fe import cluster_codes, fit_ols_fe, prepare_panel
from evalkit.i18n import Message

__all__ = ["sunab"]

_CONTROLS = ("never", "last")


def sunab(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
          control: str = "never", min_e: int | None = None, max_e: int | None = None,
          ref_e: int = -1, clustervars: Sequence[str] | None = None, method: str = "auto",
          alpha: float = 0.05) -> EstimatesResult:
    """Sun & Abraham (2021) interaction-weighted event study and overall ATT.

    ``data`` is a long panel (``gname``: first treated period, 0 = never). Returns an
    :class:`~evalkit.did.results.EstimatesResult` with terms ``"att"`` (overall, every post cell)
    and ``"e=<e>"`` for each relative time in [min_e, max_e] except ``ref_e`` (event set), their
    (m, m) covariance, and in ``details`` the cohort effects (``cohort``, ``rel_time``,
    ``catt``, ``catt_se`` of shape (p,)) and the aggregation weights ``weights`` (m, p).
    ``min_e``/``max_e`` only choose which relative times are reported: the regression always
    keeps every relative time, as the paper requires.
    """
    check_choice("control", control, _CONTROLS)
    clustervars = (idname,) if clustervars is None else clustervars
    cl = (clustervars,) if isinstance(clustervars, str) else tuple(clustervars)
    df = prepare_panel(data, yname, tname, idname, gname, cl)
    t = df[tname].to_numpy(dtype=float)
    g = df[gname].to_numpy(dtype=float)
    first, last = t.min(), t.max()
    g = np.where(g > last, 0.0, g)                      # adopted after the panel: never treated
    always = (g > 0) & (g <= first)
    if always.any():
        n_drop = int(df.loc[always, idname].nunique())
        warnings.warn(DataWarning(Message("warnings.did.sunab.sunab_dropping_unit_treated",
                                          n_drop=n_drop, first=first)), stacklevel=2)
    keep = ~always
    cohorts = np.unique(g[keep & (g > 0)])
    if control == "never":
        if not np.any(keep & (g == 0)):
            raise DesignError(Message("errors.did.sunab.sunab_control_never_needs"))
    else:
        if cohorts.size < 2:
            raise DesignError(Message("errors.did.sunab.sunab_control_last_needs"))
        c_last = cohorts[-1]
        keep &= (g > 0) & (t < c_last)
        g = np.where(g == c_last, 0.0, g)           # the last cohort is the control cohort
        cohorts = cohorts[:-1]
    df = df.loc[keep].reset_index(drop=True)
    g, t = g[keep], t[keep]
    if cohorts.size == 0:
        raise DesignError(Message("errors.did.sunab.sunab_treated_cohort_left"))

    e = np.where(g > 0, t - g, np.nan)
    refs = {int(r) for r in ((ref_e,) if np.isscalar(ref_e) else ref_e)}
    cells = (pd.DataFrame({"g": g[g > 0], "e": e[g > 0].astype(int)})
             .value_counts().sort_index())
    cells = cells[~cells.index.get_level_values("e").isin(refs)]
    if cells.empty:
        raise DesignError(Message("errors.did.sunab.sunab_every_treated_observation"))
    cg = cells.index.get_level_values("g").to_numpy(dtype=float)
    ce = cells.index.get_level_values("e").to_numpy(dtype=int)
    n_ge = cells.to_numpy(dtype=float)
    names = [f"__D{j}" for j in range(len(cells))]
    x = np.zeros((len(df), len(cells)))
    rows = np.flatnonzero(g > 0)
    col = cells.index.get_indexer(pd.MultiIndex.from_arrays([g[rows], e[rows].astype(int)]))
    x[rows[col >= 0], col[col >= 0]] = 1.0
    for j, nm in enumerate(names):
        df[nm] = x[:, j]
    clusters = cluster_codes(df, cl)
    delta, v, n_cl, used = fit_ols_fe(df, yname, names, idname, tname, clusters, method)

    lo = int(ce.min()) if min_e is None else int(min_e)
    hi = int(ce.max()) if max_e is None else int(max_e)
    if lo > hi:
        raise ConfigError(Message("errors.common.min_exceed_max_min", min_e=min_e, max_e=max_e))
    events = [int(v_) for v_ in np.unique(ce) if lo <= v_ <= hi]
    post = ce >= 0
    if not post.any():
        raise DesignError(Message("errors.did.sunab.sunab_post_treatment_observations"))
    w = np.zeros((1 + len(events), len(cells)))
    w[0, post] = n_ge[post] / n_ge[post].sum()
    for i, ev in enumerate(events, start=1):
        m = ce == ev
        w[i, m] = n_ge[m] / n_ge[m].sum()
    est = w @ delta
    vcov = w @ v @ w.T
    terms = ("att", *(f"e={ev}" for ev in events))
    return EstimatesResult(
        method="sunab", terms=terms, estimate=est, vcov=(vcov + vcov.T) / 2,
        event=np.r_[np.nan, np.array(events, dtype=float)], n_obs=len(df),
        n_units=int(df[idname].nunique()), n_clusters=n_cl, alpha=alpha,
        details={"cohort": cg, "rel_time": ce, "n_obs_cell": n_ge, "catt": delta,
                 "catt_se": np.sqrt(np.clip(np.diag(v), 0, None)), "catt_vcov": v,
                 "weights": w, "control": control, "fit": used},
        provenance=estimator_provenance("sunab", "Sun & Abraham (2021), J. Econometrics 225(2) 175-199",
                               yname=yname, tname=tname, idname=idname, gname=gname,
                               control=control, min_e=min_e, max_e=max_e, ref_e=ref_e,
                               clustervars=list(cl), method=used))
