"""Poisson QMLE extended two-way fixed effects (ETWFE) for non-negative, skewed outcomes.

Wooldridge, J. M. (2023), "Simple approaches to nonlinear difference-in-differences with panel
data", The Econometrics Journal 26(3), C31-C66; implemented as R ``etwfe`` (McDermott,
github.com/grantmcdermott/etwfe, ``etwfe(..., family = "poisson")`` then ``emfx()``).

Model (the pooled-QMLE form, which for the Poisson case equals fixed-effects Poisson with unit
effects on a balanced panel, Wooldridge 2023 Section 5)::

    E[y_it | g, t, x_i] = exp( a + a_g + b_t + sum_{(h, s) cells} D_it(h, s) (delta_hs + x_dm_i' gamma_hs)
                                + x_i' (c + c_g + c_t) )

with cohort dummies a_g (reference: the never treated, or without them the last cohort, as R
``etwfe``'s ``gref``), year dummies b_t (reference: the first period, ``tref``), one treatment
dummy D_it(h, s) = 1(g_i = h, t = s) per treated cell and, for time-invariant covariates x_i,
the covariate, its interactions with cohort and year dummies, and the cell dummies interacted
with ``x_dm`` = x demeaned within cohort (R ``etwfe``'s ``ctrls``). Cells: with
``control_group="notyettreated"`` (R ``cgroup = "notyet"``) every post-treatment cell t >= g;
with ``"nevertreated"`` (``cgroup = "never"``) every cell of a treated cohort except its
reference year t = g - 1, so the pre-treatment cells are placebo effects (an event study).

ATT(g, t) on the outcome's level scale is the average partial effect over the firms of cohort g
observed in year t (R ``emfx``: ``marginaleffects::slopes(variables = ".Dtreat")``, the
contrast of the prediction with the treatment dummies on and off)::

    ATT(g, t) = mean_{i in g} [ exp(xb_it) - exp(xb_it - delta_gt - x_dm_i' gamma_gt) ]

and the proportional effect of the cell is ``exp(delta_gt) - 1``.

Inference: the per-firm influence function of every cell (R ``did`` convention, ``se =
sqrt(sum_c (sum_{i in c} IF_i)^2) / n``, firms as clusters unless ``cluster`` names a coarser
column) is ``n [G_gt' H^-1 s_i + 1(i in g, t) (m_it - ATT(g,t)) / N_gt]``: the delta method
through the QMLE (H the Hessian, s_i firm i's score summed over its years) plus the sampling
variation of the average over the cohort's firms (zero without covariates). So the result is an
:class:`~evalkit.did.results.ATTgtResult` that :func:`~evalkit.did.aggte.aggte`,
:meth:`evalkit.fiscal.linear.LinearEstimate.from_did` and
:func:`evalkit.fiscal.effects.total_effect` use unchanged. R ``etwfe`` reports fixest's
clustered standard errors, which treat the averaging sample as fixed (no second term) and
multiply the variance by ``G / (G - 1) * (N - 1) / (N - K)`` (G clusters, N rows, K
coefficients); :attr:`ETWFEResult.vcov` and :attr:`ETWFEResult.inf_func_param` give those
pieces (see ``tests/reference/PROVENANCE.md``). aggte's aggregations weight cells by estimated
cohort shares and include that estimation in their influence functions, as for Callaway &
Sant'Anna; R ``emfx`` treats the weights as fixed.

Zeros (zero-heavy outcomes, small cohorts), following fixest and Correia, Guimaraes & Zylkin
(2021, "Verifying the existence of maximum likelihood estimates for generalized linear models"):
firm-years whose outcome is 0 and that a regressor singles out (separation: all-zero cells,
cohort x covariate groups without a positive outcome) have fitted means that go to 0; they
leave the fit, their effect is 0 (or minus the counterfactual when the firm's untreated years
remain in the fit, e.g. a cell whose outcome is zero for every firm: exp(delta) - 1 = -1), and
they count in the cell sizes. A treated cohort whose outcome is 0 in every year has zero effects
(no influence function). Regressors that are zero or collinear on the rows used are dropped, as
fixest does (``provenance["dropped_collinear"]``). A cohort that is 0 before treatment but
positive after it has no proportional effect: an error says to use the level design.

Computation: the index is linear in ``[1, x_i]`` within each (cohort, year) cell, so scores and
Hessians are built from per-cell sums (``n T q^2`` work per Newton step, q = 1 + covariates)
and mapped to the coefficients by a (cohorts, years, q, p) selection array: no (rows x p)
design matrix is formed. Newton-Raphson with step halving on the (concave) quasi-likelihood,
outcomes divided by their mean for conditioning; convergence is checked.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

import evalkit
from evalkit.conventions import pick
from evalkit.did.bootstrap import single_blas_thread
from evalkit.did.etwfe_model import (
    SEPARATION_ROUNDS,
    Design,
    cell_index,
    cohort_blocks,
    independent_columns,
    newton,
    nonnegative_separation,
    score_hessian,
    separated_rows,
    separation_error,
    treatment_cells,
)
from evalkit.did.pre_process import (
    CONTROL_GROUPS,
    PivotedPanel,
    last_cohort_as_control,
    treated_cohorts,
)
from evalkit.did.results import SE_FLOOR, ATTgtResult, gt_table, se_from_inf_func
from evalkit.errors import DataError, DataWarning, DesignError, check_choice
from evalkit.i18n import Message
from evalkit.results import json_safe

__all__ = ["FAMILIES", "ETWFEResult", "etwfe"]

FAMILIES = ("poisson",)


def _f4(x: float) -> str:
    return f"{x:.4f}"


@dataclass(frozen=True, eq=False, repr=False)
class ETWFEResult(ATTgtResult):
    """:class:`~evalkit.did.results.ATTgtResult` of a Poisson ETWFE fit, with the model's extras.

    ``att``/``se``/``inf_func`` are the level-scale ATT(g, t). Extras, per cell (m,):
    ``proportional`` exp(delta_gt) - 1 with ``proportional_se`` and influence functions
    ``proportional_inf_func`` (n, m); ``counterfactual`` the mean untreated outcome the model
    predicts for the cell's firms (so att / counterfactual is the effect relative to the level);
    ``cell_size`` firms in the cell. Model: ``coef`` (named as R etwfe names them, intercept on
    the outcome's scale), ``vcov`` (p, p) = sum over clusters of the summed per-firm
    contributions ``inf_func_param / n`` (no small-sample factor), ``inf_func_param`` (n, p) the
    coefficients' influence functions, ``jacobian`` (p, m) the derivatives of the cells' ATT
    with respect to ``coef`` (so ``jacobian.T @ vcov @ jacobian`` is the covariance of the cells
    conditional on the firms averaged over, R etwfe's delta method), ``n_obs`` rows used,
    ``iterations`` Newton steps.
    """

    proportional: np.ndarray = field(default_factory=lambda: np.zeros(0))
    proportional_se: np.ndarray = field(default_factory=lambda: np.zeros(0))
    proportional_inf_func: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    counterfactual: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cell_size: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    coef: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    vcov: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    jacobian: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    inf_func_param: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    n_obs: int = 0
    iterations: int = 0

    def tidy(self) -> pd.DataFrame:
        """:meth:`ATTgtResult.tidy` plus ``proportional``, ``proportional_se``,
        ``counterfactual`` and ``n_firms`` per cell."""
        out = super().tidy()
        out["proportional"] = self.proportional
        out["proportional_se"] = self.proportional_se
        out["counterfactual"] = self.counterfactual
        out["n_firms"] = self.cell_size
        return out

    def summary(self) -> str:
        lines = [
            "Poisson QMLE extended TWFE (Wooldridge 2023; R etwfe family = 'poisson')",
            f"  control group: {self.options.get('control_group')}, units: {self.n_units}, "
            f"rows: {self.n_obs}, Newton steps: {self.iterations}",
            *gt_table(self.tidy(), [("ATT", "estimate", 12, _f4), ("SE", "std_error", 12, _f4),
                                    ("exp(d)-1", "proportional", 9, _f4),
                                    ("SE", "proportional_se", 8, _f4)]),
        ]
        return "\n".join(lines)

    def to_dict(self, include_inf_func: bool = False) -> dict[str, Any]:
        out = super().to_dict(include_inf_func)
        out["kind"] = "etwfe"
        out["coef"] = json_safe(self.coef.to_dict())
        return out


def _check_outcome(panel: PivotedPanel, yname: str) -> None:
    y = panel.Y[np.asarray(panel.observed, dtype=bool)]
    if np.any(y < 0):
        raise DataError(Message("errors.did.etwfe.outcome_negative_values_poisson", yname=yname),
                        column=yname, fix=Message("errors.did.etwfe.fix_use_non_negative_outcome"))
    if not np.any(y > 0):
        raise DataError(Message("errors.did.etwfe.outcome_zero_every_row", yname=yname),
                        column=yname)


def etwfe(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str, *,
          family: str = "poisson", covariates: Sequence[str] = (),
          control_group: str = "notyettreated", cluster: str | None = None,
          alp: float | None = None, allow_unbalanced_panel: bool = True, tol: float = 1e-13,
          max_iter: int = 100, alpha: float | None = None) -> ETWFEResult:
    """Poisson QMLE extended TWFE and its level-scale ATT(g, t) (Wooldridge 2023; R ``etwfe``).

    Arguments as :func:`~evalkit.did.att_gt.att_gt`: ``yname`` a non-negative outcome,
    ``tname`` integer period, ``idname`` firm id, ``gname`` first treated period (0 = never
    treated; cohorts first treated after the last period count as never treated).
    ``covariates`` time-invariant columns (each enters with its cohort and year interactions,
    and demeaned within cohort in interaction with the treatment cells, as R etwfe's
    ``ctrls``). ``control_group`` ``"notyettreated"`` (default, R's ``cgroup = "notyet"``: only
    post-treatment cells) or ``"nevertreated"`` (R's ``"never"``: also pre-treatment placebo
    cells, reference year g - 1). ``cluster`` a time-invariant column coarser than the firm
    (default: firms). Unbalanced panels are used as they are (every observed row enters, as
    in R etwfe) unless ``allow_unbalanced_panel=False``, which keeps only the firms observed in
    every period (att_gt's default; then the pooled cohort-dummy fit equals fixed-effects
    Poisson exactly, Wooldridge 2023).
    See the module docstring for the model, the ATT and its influence function.

    Returns :class:`ETWFEResult` (an ``ATTgtResult``): cells ordered by g then t, ``inf_func``
    (n_units, n_cells) with rows in the order of ``unit_ids``. Errors: :class:`DataError`
    (columns, negative outcome, a time-varying covariate), :class:`DesignError` (no treated
    cohort, a cohort treated from the first period, no never-treated firms with
    ``"nevertreated"``, a cohort whose outcome is zero only before treatment, separation that
    dropping firm-years does not settle, a singular design), :class:`EvalkitError` when the QMLE does not converge.
    """
    check_choice("family", family, FAMILIES)
    check_choice("control_group", control_group, CONTROL_GROUPS)
    alp = pick("alpha", alpha, 0.05, alp=alp)
    if not 0 < alp < 1:
        raise DesignError(Message("errors.common.alp_lie", alp=alp))
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    clustervars = [cluster] if cluster and cluster != idname else []
    with single_blas_thread():
        panel = PivotedPanel(data, yname, tname, idname, gname, covariates, None, clustervars, 0,
                       allow_unbalanced_panel=allow_unbalanced_panel)
        if panel.time_varying_x:
            raise DataError(Message("errors.did.etwfe.covariates_constant_within_each",
                                    covariates=covariates),
                            fix=Message("errors.did.etwfe.fix_use_base_year_values"))
        _check_outcome(panel, yname)
        return _fit(panel, yname, tname, idname, gname, covariates, control_group, clustervars,
                    alp, allow_unbalanced_panel, tol, max_iter)


def _fit(panel, yname, tname, idname, gname, covariates, control_group, clustervars, alp,
         allow_unbalanced_panel, tol, max_iter) -> ETWFEResult:
    glist = treated_cohorts(panel, gname, 0)
    coerced = last_cohort_as_control(panel, glist, control_group, 0)   # the reference cohort
    tlist = panel.tlist
    cohorts = np.unique(panel.G)
    ref = 0 if coerced is None else int(np.searchsorted(cohorts, coerced))
    cells = treatment_cells(cohorts, ref, tlist, control_group)
    blocks = cohort_blocks(panel, cohorts)

    # Outcomes scaled to mean 1 (conditioning; the coefficients other than the intercept and
    # the effects' ratios do not depend on the scale).
    obs_all = np.asarray(panel.observed, dtype=bool)
    n_obs = int(obs_all.sum())
    scale = float(sum(b[1].sum() for b in blocks)) / n_obs
    blocks = [(r, Y / scale, o, Z) for r, Y, o, Z in blocks]
    k = len(covariates)
    means = np.zeros((cohorts.size, k))
    for c, (_r, _Y, obs, Z) in enumerate(blocks):
        if k and obs.any():
            means[c] = Z[..., 1:][obs].mean(axis=0)
    # Cells no firm is observed in are not estimable (NaN, as att_gt reports them); cells whose
    # outcome is zero for every firm have delta = -inf: their rows are fitted exactly (mean 0)
    # and leave the likelihood, the ATT is minus the counterfactual mean.
    # A treated cohort whose outcome is zero in every row (no R&D, no patents) has a zero
    # counterfactual and zero effects under proportional trends: its rows leave the fit.
    empty, zero = set(), set()
    fit_blocks = list(blocks)
    null_cohorts = [c for c, (_r, Y, obs, _Z) in enumerate(blocks)
                    if c != ref and cohorts[c] > 0 and not np.any(Y[obs] > 0)]
    for c in null_cohorts:
        rows, Y, obs, Z = fit_blocks[c]
        fit_blocks[c] = (rows, Y, np.zeros_like(obs), Z)
    for c, s_ in cells:
        rows, Y, obs, Z = fit_blocks[c]
        if c in null_cohorts:
            if not blocks[c][2][:, s_].any():
                empty.add((c, s_))
        elif not obs[:, s_].any():
            empty.add((c, s_))
        elif not np.any(Y[obs[:, s_], s_] > 0):
            zero.add((c, s_))
            obs = obs.copy()
            obs[:, s_] = False
            fit_blocks[c] = (rows, Y, obs, Z)
    treated_cell = np.zeros((cohorts.size, tlist.size), dtype=bool)
    for c, s_ in cells:
        treated_cell[c, s_] = True
    for c, (_r, Y, obs, _Z) in enumerate(fit_blocks):
        untreated = obs & ~treated_cell[c][None, :]
        if c != ref and untreated.any() and not np.any(Y[untreated] > 0):
            g = int(cohorts[c])
            raise DesignError(Message("errors.did.etwfe.cohort_outcome_zero_every", g=g))
    # Fit; rows whose fitted mean is driven to 0 (separation) leave the fit, their regressors
    # are dropped when zero or collinear on the remaining rows, and the model is refitted.
    full = Design(cohorts, ref, tlist, cells, covariates, means, gname, tname)
    separated = nonnegative_separation(fit_blocks, full.L)
    for c, m_ in enumerate(separated):
        rows, Y, obs, Z = fit_blocks[c]
        fit_blocks[c] = (rows, Y, obs & ~m_, Z)
    for _round in range(SEPARATION_ROUNDS):
        design = Design(cohorts, ref, tlist, cells, covariates, means, gname, tname)
        keep = independent_columns(score_hessian(fit_blocks, design.L,
                                                   np.zeros(design.p))[1])
        if not keep.all():
            design.restrict(keep, [j for j, (c, s_) in enumerate(cells)
                                   if not fit_blocks[c][2][:, s_].any()])
        L, LD, p = design.L, design.LD, design.p
        try:
            beta, iters = newton(fit_blocks, L, p, tol, max_iter)
        except DesignError as exc:
            raise DesignError(Message("errors.did.etwfe.poisson_etwfe_remove_covariates", exc=exc)) from exc
        newly = separated_rows(fit_blocks, L, beta)
        if not any(m_.any() for m_ in newly):
            break
        for c, m_ in enumerate(newly):
            separated[c] |= m_
            rows, Y, obs, Z = fit_blocks[c]
            fit_blocks[c] = (rows, Y, obs & ~m_, Z)
    else:
        separation_error()
    n_obs = int(sum(int(b_[2].sum()) for b_ in fit_blocks))
    grad, H = score_hessian(fit_blocks, L, beta)

    # Per-firm scores and the coefficients' influence functions (n, p).
    n = panel.Y.shape[0]
    scores = np.zeros((n, p))
    m = len(cells)
    att = np.zeros(m)
    counterfactual = np.zeros(m)
    sizes = np.zeros(m, dtype=np.int64)
    Gmat = np.zeros((p, m))
    sample_part: list[tuple[np.ndarray, int, np.ndarray]] = []
    cell_pos = {cell: j for j, cell in enumerate(cells)}
    for c, b in enumerate(blocks):
        rows, Y, obs, Z = b
        fit_obs = fit_blocks[c][2]
        sep = separated[c]
        # a separated firm-year of a treated cell: fitted 0; its counterfactual is 0 too
        # unless the firm has untreated years left in the fit (then the effect took it to 0)
        anchored = (fit_obs & ~treated_cell[c][None, :]).any(axis=1)
        eta = cell_index(b, L[c], beta)
        mu = np.where(fit_obs, np.exp(eta), 0.0)
        resid = ((Y - mu) * fit_obs)[..., None] * Z
        scores[rows] = resid.reshape(rows.size, -1) @ L[c].reshape(-1, p)
        tau = np.einsum("itq,tq->it", Z, LD[c] @ beta)
        for s in range(tlist.size):
            j = cell_pos.get((c, s))
            if j is None or (c, s) in empty:
                continue
            o = obs[:, s]
            if c in null_cohorts:                   # zero effect, zero counterfactual, IF 0
                sizes[j] = int(o.sum())
                continue
            mu0 = np.exp(eta[o, s] - tau[o, s])
            mu1 = np.zeros_like(mu0) if (c, s) in zero else mu[o, s]
            if sep[o, s].any():
                mu1 = np.where(sep[o, s], 0.0, mu1)
                mu0 = np.where(sep[o, s] & ~anchored[o], 0.0, mu0)
            effect = mu1 - mu0
            sizes[j] = int(o.sum())
            att[j] = effect.mean()
            counterfactual[j] = mu0.mean()
            Zs = Z[o, s]
            Gmat[:, j] = L[c, s].T @ (effect @ Zs) / sizes[j] + LD[c, s].T @ (mu0 @ Zs) / sizes[j]
            sample_part.append((rows[o], j, (effect - att[j]) / sizes[j]))
    Hinv = np.linalg.inv(H)
    phi = scores @ Hinv                                  # per-firm contributions to beta_hat
    inf = n * (phi @ Gmat)
    for r, j, v in sample_part:
        inf[r, j] += n * v
    att *= scale
    counterfactual *= scale
    inf *= scale
    inf_param = n * phi
    cl = panel.cluster
    if cl is None:
        vcov = phi.T @ phi
    else:
        sums = np.zeros((int(cl.max()) + 1, p))
        np.add.at(sums, cl, phi)
        vcov = sums.T @ sums
    se = se_from_inf_func(inf, cl)
    se[se <= SE_FLOOR] = np.nan
    est = design.delta_index >= 0
    delta = np.where(est, beta[np.maximum(design.delta_index, 0)], -np.inf)
    prop = np.expm1(delta)
    prop_inf = np.zeros((n, m))
    prop_inf[:, est] = inf_param[:, design.delta_index[est]] * np.exp(delta[est])[None, :]
    prop_se = se_from_inf_func(prop_inf, cl)
    prop_se[prop_se <= SE_FLOOR] = np.nan
    missing = [j for j, cell in enumerate(cells) if cell in empty]
    null_cells = [j for j, cell in enumerate(cells) if cell[0] in null_cohorts]
    prop[null_cells] = np.nan
    att[missing] = np.nan
    prop[missing] = np.nan
    counterfactual[missing] = np.nan
    labels = [f"ATT({int(cohorts[c])},{int(tlist[s_])})" for c, s_ in cells]
    if null_cohorts:
        shown = ", ".join(str(int(cohorts[c])) for c in null_cohorts)
        warnings.warn(DataWarning(Message("warnings.did.etwfe.outcome_zero_every_firm",
                                          yname=yname, shown=shown)), stacklevel=3)
    if missing:
        shown = ", ".join(labels[j] for j in missing)
        warnings.warn(DataWarning(Message("warnings.did.etwfe.att_t_cells_firm",
                                          n_missing=len(missing), m=m, shown=shown)), stacklevel=3)
    coef = beta.copy()
    coef[0] += np.log(scale)
    group = np.array([int(cohorts[c]) for c, _ in cells], dtype=np.int64)
    time = np.array([int(tlist[s]) for _, s in cells], dtype=np.int64)
    options: dict[str, Any] = {
        "yname": yname, "tname": tname, "idname": idname, "gname": gname,
        "covariates": covariates, "control_group": control_group, "family": "poisson",
        "est_method": "etwfe-poisson", "anticipation": 0, "base_period": "etwfe",
        "weights": None, "clustervars": clustervars, "bstrap": False, "biters": 0,
        "cband": False, "alp": alp, "seed": None,
        "allow_unbalanced_panel": bool(allow_unbalanced_panel),
    }
    provenance = {
        "estimator": "Poisson QMLE extended TWFE (Wooldridge 2023; R etwfe family='poisson'), "
                     "ATT(g,t) as average partial effects (R etwfe emfx)",
        "evalkit_version": evalkit.__version__,
        "options": options,
        "n_units": n,
        "n_obs": n_obs,
        "periods": tlist.tolist(),
        "cohorts": glist.tolist(),
        "reference_cohort": int(cohorts[ref]),
        "dropped_collinear": design.dropped,
        "cells_not_estimable": [{"group": int(group[j]), "time": int(time[j]),
                                 "reason": "no firm observed"} for j in missing],
        "cells_all_zero": [labels[j] for j, cell in enumerate(cells) if cell in zero],
        "cohorts_all_zero": [int(cohorts[c]) for c in null_cohorts],
        "rows_separated": int(sum(int(m_.sum()) for m_ in separated)),
        "last_cohort_as_control": coerced,
        "newton_steps": iters,
        "max_abs_score": float(np.max(np.abs(grad))) * scale,
    }
    return ETWFEResult(
        group=group, time=time, att=att, se=se, inf_func=inf, unit_ids=panel.ids,
        unit_group=panel.G.copy(), unit_weights=np.ones(n), cluster=cl,
        crit_val=NormalDist().inv_cdf(1 - alp / 2), alp=alp, n_units=n, options=options,
        provenance=provenance, proportional=prop, proportional_se=prop_se,
        proportional_inf_func=prop_inf, counterfactual=counterfactual, cell_size=sizes,
        coef=pd.Series(coef, index=design.names, name="estimate"), vcov=vcov,
        jacobian=Gmat * scale, inf_func_param=inf_param, n_obs=n_obs, iterations=iters)
