"""Group-time average treatment effects ATT(g, t) of Callaway & Sant'Anna (2021).

Callaway, B. and Sant'Anna, P. H. C. (2021), "Difference-in-differences with multiple time
periods", Journal of Econometrics 225(2), 200-230. This module reproduces R ``did``'s ``att_gt``
for panel data, split as R ``did`` splits it: :func:`evalkit.did.pre_process.pre_process_did`
checks the arguments and pivots the long panel once into (units x periods) arrays;
:func:`evalkit.did.compute_att_gt.compute_att_gt` estimates every (g, t) cell with one of the
2x2 estimators of Sant'Anna & Zhao (2020) in :mod:`evalkit.did.drdid` and stores the influence
functions in an (n_units x n_cells) matrix; :func:`_mp` turns them into standard errors (and the
multiplier bootstrap) and the result, :class:`~evalkit.did.results.ATTgtResult` (R's ``MP``).
All BLAS work runs on one thread (see :func:`evalkit.did.bootstrap.single_blas_thread`). Where
the time goes: ``bench/README.md``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

import evalkit
from evalkit.conventions import RngLike
from evalkit.did.bootstrap import multiplier_draws, single_blas_thread, summarise_draws
from evalkit.did.compute_att_gt import compute_att_gt
from evalkit.did.pre_process import (
    BASE_PERIODS,
    CONTROL_GROUPS,
    EST_METHODS,
    DIDParams,
    pre_process_did,
)
from evalkit.did.results import SE_FLOOR, ATTgtResult, se_from_inf_func
from evalkit.errors import DataWarning
from evalkit.i18n import Message

__all__ = ["BASE_PERIODS", "CONTROL_GROUPS", "EST_METHODS", "att_gt"]


def att_gt(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
           covariates: Sequence[str] = (), control_group: str = "nevertreated",
           est_method: str = "dr", anticipation: int = 0, base_period: str = "varying",
           weights: str | None = None, clustervars: Sequence[str] = (), bstrap: bool = False,
           biters: int | None = None, cband: bool = False, alp: float | None = None,
           seed: int | None = None, allow_unbalanced_panel: bool = False,
           bootstrap_weights: str = "mammen", *, alpha: float | None = None,
           rng: RngLike = None, n_draws: int | None = None) -> ATTgtResult:
    """Group-time average treatment effects ATT(g, t) (Callaway & Sant'Anna 2021; R ``did``).

    Parameters follow R ``did::att_gt`` (panel data): ``yname`` outcome, ``tname`` integer
    period, ``idname`` unit id, ``gname`` first treated period (0 = never treated; units first
    treated after the last period are recoded to 0, as R does), ``covariates`` column names
    (an intercept is always included; with time-varying covariates each cell uses the values of
    the earlier of its two periods, as R does), ``control_group`` ``"nevertreated"`` or
    ``"notyettreated"`` (units with g > max(t, base) + anticipation, plus never treated),
    ``est_method`` ``"dr"`` (:func:`~evalkit.did.drdid.drdid_panel`), ``"ipw"`` or ``"reg"``,
    ``anticipation`` periods, ``base_period`` ``"varying"`` (pre-period cells compare t with
    t - 1) or ``"universal"`` (all cells against g - anticipation - 1), ``weights`` a column of
    time-invariant sampling weights, ``clustervars`` at most one time-invariant column coarser
    than the unit (the unit is always a cluster).

    Inference: standard errors are analytic, from the influence functions,
    ``sqrt(sum_c (sum_{i in c} IF_i)^2) / n`` (R's ``sqrt(mean(IF^2)/n)`` with unit clusters;
    R did instead requires the bootstrap for coarser clusters, whose target is this same
    quantity). ``bstrap=True`` replaces them with multiplier-bootstrap standard errors
    (``n_draws`` draws, R's ``biters``; Mammen weights, or ``bootstrap_weights="rademacher"``);
    ``cband=True`` reports uniform sup-t bands (drawing the bootstrap if needed). ``rng`` (a
    Generator, an int seed or None; ``seed`` is its deprecated alias) drives the one
    ``numpy.random.Generator``. ``alpha`` is R's ``alp`` (both accepted,
    :mod:`evalkit.conventions`).

    Unbalanced panels: by default, as R ``did``, units not observed in every period are dropped
    (a :class:`DataWarning` gives the counts). With ``allow_unbalanced_panel=True`` every unit is
    kept and each (g, t) cell is estimated with the panel 2x2 estimator on the treated and
    comparison units observed in *both* of the cell's periods (t and its base period); its
    influence function is scaled by n / n_cell (n all units, n_cell those used) and is zero for
    the others, so cells and aggregations remain means over the same n units. This is a
    different choice from R's ``allow_unbalanced_panel = TRUE``, which treats the unbalanced
    panel as repeated cross sections (``DRDID::drdid_rc`` etc.) using every observation of each
    period; ours uses within-unit changes (more precise, and identical to the balanced
    estimator when the panel is balanced) and identifies the ATT under the same parallel-trends
    assumption provided attrition is unrelated to outcome trends given cohort and covariates.

    Errors: :class:`DataError` for unknown columns, non-integer periods or cohorts, units that
    switch cohort, duplicate unit-periods; :class:`DesignError` for a cohort with no
    pre-treatment period, no never-treated units with ``control_group="nevertreated"``,
    singular covariate designs; :class:`ConvergenceError` when a propensity-score logit does not
    converge (:func:`~evalkit.did.drdid.logit_fit`); :class:`IdentificationError` when the
    converged propensity scores reach 0.999 (overlap fails). A cell that has no treated unit or no comparison unit observed in both of
    its periods (possible only with ``allow_unbalanced_panel=True``, e.g. a cohort of late
    entrants in its early pre-periods) is not an error: as in R ``did`` it is reported as
    missing (NaN ``att`` and ``se``, zero influence-function column, listed in
    ``provenance["cells_not_estimable"]`` and in one :class:`DataWarning`); see
    :func:`~evalkit.did.aggte.aggte` for how aggregations treat it.

    Returns :class:`~evalkit.did.results.ATTgtResult`: cells ordered by g then t;
    ``inf_func`` (n_units, n_cells) with rows in the order of ``unit_ids``.
    """
    with single_blas_thread():
        dp = pre_process_did(data, yname, tname, idname, gname, covariates, control_group,
                             est_method, anticipation, base_period, weights, clustervars,
                             bstrap, biters, cband, alp, seed, allow_unbalanced_panel,
                             bootstrap_weights, alpha, rng, n_draws)
        cells, att, inf, missing = compute_att_gt(dp)
        return _mp(dp, cells, att, inf, missing)


def _mp(dp: DIDParams, cells: list[tuple], att: np.ndarray, inf: np.ndarray,
        missing: list[tuple[int, int, str]]) -> ATTgtResult:
    """Standard errors, bootstrap and the result (R ``did``'s ``MP``) of the estimated cells."""
    panel, glist, alp = dp.panel, dp.glist, dp.alp
    tlist, G, n, m = panel.tlist, panel.G, panel.Y.shape[0], len(cells)
    yname, tname, idname, gname = dp.yname, dp.tname, dp.idname, dp.gname
    covariates, control_group, est_method = dp.covariates, dp.control_group, dp.est_method
    anticipation, base_period, weights = dp.anticipation, dp.base_period, dp.weights
    clustervars, bstrap, biters, cband = dp.clustervars, dp.bstrap, dp.biters, dp.cband
    seed, rng, bootstrap_weights = dp.seed, dp.rng, dp.bootstrap_weights
    allow_unbalanced_panel, coerced = dp.allow_unbalanced_panel, dp.last_cohort_as_control
    if missing:
        shown = "; ".join(f"ATT({g},{t}): {why}" for g, t, why in missing[:20])
        more = f"; and {len(missing) - 20} more" if len(missing) > 20 else ""
        warnings.warn(DataWarning(Message("warnings.did.att_gt.att_t_cells_cannot",
                                          n_missing=len(missing), m=m, shown=shown, more=more)), stacklevel=3)
    group = np.array([c[0] for c in cells], dtype=np.int64)
    time = np.array([c[1] for c in cells], dtype=np.int64)
    se = se_from_inf_func(inf, panel.cluster)
    se[se <= SE_FLOOR] = np.nan
    crit = NormalDist().inv_cdf(1 - alp / 2)
    draws = None
    if bstrap or cband:
        # Draw once for the cells and the cohort-share columns aggte needs (see aggte).
        aux = panel.w[:, None] * (G[:, None] == glist[None, :])
        draws, n_c = multiplier_draws((inf, aux), np.random.default_rng(rng),
                                      biters, panel.cluster, bootstrap_weights)
        boot = summarise_draws(draws[:, :m], n, n_c, alp)
        if bstrap:
            se = boot.se
        if cband and np.isfinite(boot.crit_val):
            crit = max(crit, boot.crit_val)

    options: dict[str, Any] = {
        "yname": yname, "tname": tname, "idname": idname, "gname": gname,
        "covariates": covariates, "control_group": control_group, "est_method": est_method,
        "anticipation": anticipation, "base_period": base_period, "weights": weights,
        "clustervars": clustervars, "bstrap": bool(bstrap), "biters": int(biters),
        "cband": bool(cband), "alp": alp, "seed": seed,
        "allow_unbalanced_panel": bool(allow_unbalanced_panel),
        "bootstrap_weights": bootstrap_weights,
    }
    provenance = {
        "estimator": "Callaway & Sant'Anna (2021) att_gt; 2x2: Sant'Anna & Zhao (2020)",
        "evalkit_version": evalkit.__version__,
        "options": options,
        "n_units": n,
        "n_units_input": panel.n_input_units,
        "n_units_dropped_unbalanced": panel.dropped_units,
        "n_rows_dropped_missing": panel.dropped_rows,
        "periods": tlist.tolist(),
        "cohorts": glist.tolist(),
        "last_cohort_as_control": coerced,
        "cells_not_estimable": [{"group": int(g), "time": int(t), "reason": why}
                                for g, t, why in missing],
        "seed": seed,
    }
    return ATTgtResult(
        group=group, time=time, att=att, se=se, inf_func=inf, unit_ids=panel.ids,
        unit_group=G.copy(), unit_weights=panel.w, cluster=panel.cluster,
        crit_val=crit, alp=alp, n_units=n, options=options, provenance=provenance,
        boot_draws=draws)
