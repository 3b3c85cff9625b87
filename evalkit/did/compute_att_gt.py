"""The ATT(g, t) cells of att_gt (R ``did``'s ``compute.att_gt``).

Callaway, B. and Sant'Anna, P. H. C. (2021), "Difference-in-differences with multiple time
periods", Journal of Econometrics 225(2), 200-230; each cell estimated with one of the 2x2
estimators of Sant'Anna & Zhao (2020) in :mod:`evalkit.did.drdid`.

Every (g, t) cell is a pair of columns of the pivoted panel
(:class:`evalkit.did.pre_process.PivotedPanel`). Cells sharing the same treated units, comparison
units and covariates (with never-treated controls and time-invariant covariates: all cells of a
cohort) are estimated in one call -- one propensity-score fit, one outcome regression with a
matrix of outcome changes. For ``est_method="reg"`` on a fully observed panel every outcome
regression comes from per-cohort Gram matrices X'WX and X'WY computed once per covariate
period, one solve per (comparison set, covariate period) and (n, p) @ (p, cells) products for
the per-unit terms (:func:`_reg_by_gram`; equal to the cell-by-cell estimator to rounding).
Influence functions are stored in an (n_units x n_cells) matrix.
"""

from __future__ import annotations

import numpy as np

from evalkit.did.drdid import _solve_sym, drdid_panel, reg_did_panel, std_ipw_panel
from evalkit.did.pre_process import DIDParams, PivotedPanel
from evalkit.errors import DesignError, IdentificationError
from evalkit.i18n import Message

__all__ = ["compute_att_gt"]

_ESTIMATORS = {"dr": drdid_panel, "ipw": std_ipw_panel, "reg": reg_did_panel}
# Outcome regressions of fully observed panels from cohort Gram matrices (see _reg_by_gram);
# False runs reg_did_panel cell by cell (tests compare the two).
_REG_BY_GRAM = True


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------

def _plan_cells(tlist, glist, anticipation, base_period):
    """(g, t, base) per cell in R did's order; base None for universal-base reference cells."""
    cells = []
    tfac = 0 if base_period == "universal" else 1
    for g in glist:
        pre = np.flatnonzero(tlist + anticipation < g)
        last_pre = int(pre[-1])
        for ti in range(len(tlist) - tfac):
            tn = int(tlist[ti + tfac])
            pret = last_pre if base_period == "universal" else ti
            if g - anticipation <= tn:
                pret = last_pre
            base = int(tlist[pret])
            cells.append((int(g), tn, None if (base_period == "universal" and base == tn)
                          else base))
    return cells


def _outcome_changes(Y: np.ndarray, rows: np.ndarray, tc: list[int], bc: list[int],
                     chunk_rows: int = 8192) -> np.ndarray:
    """(len(rows), len(tc)) outcome changes ``Y[rows, tc[j]] - Y[rows, bc[j]]``, gathered in row
    chunks (no copy of the sample's rows of Y)."""
    dY = np.empty((rows.size, len(tc)))
    for start in range(0, rows.size, chunk_rows):
        part = Y[rows[start:start + chunk_rows]]                # (chunk, T), stays in cache
        np.subtract(part[:, tc], part[:, bc], out=dY[start:start + chunk_rows])
    return dY


def _reg_by_gram(panel: PivotedPanel, cells: list, batches: dict, tcol: dict, att: np.ndarray,
                 inf: np.ndarray, missing: list, chunk_elems: int = 1 << 22) -> None:
    """Outcome-regression ATT(g, t) (``reg_did_panel``) of every cell of a fully observed panel
    from per-cohort sufficient statistics, filling ``att`` (m,) and ``inf`` (n, m) in place.

    With every unit observed in every period, a cell's sample is all units of its cohort g and
    of its comparison cohorts C. The comparison-unit regression of dY = Y_t - Y_b on X_s (s the
    covariates' period) has ``beta = (sum_{c in C} A_sc)^-1 sum_{c in C} (B_sc[:, t] -
    B_sc[:, b])`` with ``A_sc = X_sc' W X_sc`` (p, p) and ``B_sc = X_sc' W Y_c`` (p, T) computed
    once per period and cohort; cells sharing (C, s) share one solve. Then, with ``W_g`` the
    cohort's weight sum, ``eta_t = sum_g w dY / W_g``, ``eta_c = xbar_g' beta / W_g``
    (``xbar_g = sum_g w x``), ``att = eta_t - eta_c`` and the influence function (already
    scaled to all n units, as the per-cell path does) is ``n / W_g`` times
    ``w_i (dY_i - eta_t - x_i'beta + eta_c)`` for units of g and ``-w_i x_i'v (dY_i - x_i'beta)``
    for comparison units, ``v = A_C^-1 xbar_g`` -- algebraically the same as
    :func:`~evalkit.did.drdid.reg_did_panel` on the cell's sample. The per-unit parts run as
    (n, p) @ (p, cells) products per covariate period, in column chunks of ``chunk_elems``.
    """
    G, w, Y = panel.G, panel.w, panel.Y
    n = Y.shape[0]
    cohorts, gcode = np.unique(G, return_inverse=True)
    members = [np.flatnonzero(gcode == j) for j in range(cohorts.size)]
    counts = np.array([mb.size for mb in members])
    W = np.array([w[mb].sum() for mb in members])
    ybar = np.stack([w[mb] @ Y[mb] for mb in members])                   # (n_c, T)
    stats_by_s: dict[int, tuple] = {}

    def cohort_stats(s: int):
        if s not in stats_by_s:
            Xs = panel.X[s]
            A, B, xbar = [], [], []
            for mb in members:
                Xw = Xs[mb] * w[mb, None]
                A.append(Xw.T @ Xs[mb])
                B.append(Xw.T @ Y[mb])
                xbar.append(Xw.sum(axis=0))
            stats_by_s[s] = (np.stack(A), np.stack(B), np.stack(xbar))
        return stats_by_s[s]

    # One solve per (comparison cohorts, covariate period).
    plan: dict[tuple, list[tuple[int, int]]] = {}          # (C, s) -> [(cell k, g index)]
    for (g, cutoff, xper, _obs), ks in batches.items():
        ctrl = (cohorts == 0) if cutoff is None else \
            ((cohorts == 0) | ((cutoff < cohorts) & (cohorts != g)))
        gi = int(np.searchsorted(cohorts, g))
        if not counts[ctrl].sum():
            for k in ks:
                att[k] = np.nan
                missing.append((cells[k][0], cells[k][1],
                                f"no comparison unit observed in both {cells[k][2]} and "
                                f"{cells[k][1]}"))
            continue
        s = 0 if xper is None else tcol[xper]
        plan.setdefault((tuple(np.flatnonzero(ctrl)), s), []).extend((k, gi) for k in ks)
    by_s: dict[int, list] = {}
    failed: list[int] = []
    for (C, s), items in plan.items():
        A, B, xbar = cohort_stats(s)
        cidx = list(C)
        A_C = A[cidx].sum(axis=0)
        Bc = B[cidx].sum(axis=0)
        rhs = []
        for k, gi in items:
            _g, tn, base = cells[k]
            rhs += [Bc[:, tcol[tn]] - Bc[:, tcol[base]], xbar[gi]]
        try:
            sol = _solve_sym(A_C, np.column_stack(rhs), "outcome-regression")
        except DesignError:
            failed.append(min(k for k, _ in items))
            continue
        for j, (k, gi) in enumerate(items):
            by_s.setdefault(s, []).append((k, gi, cidx, sol[:, 2 * j], sol[:, 2 * j + 1]))
    if failed:
        g, tn, _ = cells[min(failed)]
        raise DesignError(Message("errors.did.compute_att_gt.att_t_outcome_regression", g=g,
                                  tn=tn))
    for s, items in by_s.items():
        Xs = panel.X[s]
        step = max(1, chunk_elems // max(1, n))
        for start in range(0, len(items), step):
            part = items[start:start + step]
            ks = [k for k, *_ in part]
            gis = np.array([gi for _, gi, *_ in part])
            beta = np.column_stack([b for *_, b, _ in part])            # (p, K)
            v = np.column_stack([vv for *_, vv in part])                # (p, K)
            tc = [tcol[cells[k][1]] for k in ks]
            bc = [tcol[cells[k][2]] for k in ks]
            xbar = cohort_stats(s)[2]
            eta_t = (ybar[gis, tc] - ybar[gis, bc]) / W[gis]
            eta_c = np.einsum("kp,pk->k", xbar[gis], beta) / W[gis]
            att[ks] = eta_t - eta_c
            in_ctrl = np.zeros((cohorts.size, len(part)), dtype=bool)
            for j, (_k, _gi, cidx, _b, _v) in enumerate(part):
                in_ctrl[cidx, j] = True
            dY = Y[:, tc] - Y[:, bc]                                    # (n, K)
            out = Xs @ beta
            resid = dY - out
            treated = gcode[:, None] == gis[None, :]
            f = np.where(treated, resid - (eta_t - eta_c), 0.0)
            f -= np.where(in_ctrl[gcode], (Xs @ v) * resid, 0.0)
            f *= w[:, None] * (n / W[gis])
            inf[:, ks] = f


def compute_att_gt(dp: DIDParams) -> tuple[list[tuple], np.ndarray, np.ndarray,
                                            list[tuple[int, int, str]]]:
    """Estimate every ATT(g, t) cell of the pre-processed data (R ``did``'s ``compute.att_gt``).

    Returns (cells, att, inf, missing): ``cells`` [(g, t, base)] in R did's order (base None for
    the universal base period's reference cells), ``att`` (m,), ``inf`` (n_units, m) influence
    functions scaled to all units, and ``missing`` [(g, t, reason)] for cells that cannot be
    estimated (``att`` NaN, influence column zero).
    """
    panel = dp.panel
    tlist, glist = panel.tlist, dp.glist
    cells = _plan_cells(tlist, glist, dp.anticipation, dp.base_period)
    n = panel.Y.shape[0]
    m = len(cells)
    att = np.zeros(m)
    inf = np.zeros((n, m))
    tcol = {int(t): j for j, t in enumerate(tlist)}
    estimator = _ESTIMATORS[dp.est_method]

    # Batch cells that share treated units, comparison units and covariates.
    batches: dict[tuple, list[int]] = {}
    for k, (g, tn, base) in enumerate(cells):
        if base is None:
            continue
        cutoff = None if dp.control_group == "nevertreated" else max(tn, base) + dp.anticipation
        xper = min(tn, base) if panel.time_varying_x else None
        obs = (tn, base) if dp.allow_unbalanced_panel else None
        batches.setdefault((g, cutoff, xper, obs), []).append(k)

    G = panel.G
    missing: list[tuple[int, int, str]] = []
    if dp.est_method == "reg" and _REG_BY_GRAM and bool(panel.observed.all()):
        # Every unit observed in every period: all regressions from cohort Gram matrices.
        _reg_by_gram(panel, cells, batches, tcol, att, inf, missing)
        batches = {}
    for (g, cutoff, xper, obs), ks in batches.items():
        treated = g == G
        control = (G == 0) if cutoff is None else ((G == 0) | ((cutoff < G) & (g != G)))
        sample = treated | control
        tn0, base0 = cells[ks[0]][1], cells[ks[0]][2]
        if obs is not None:
            sample &= panel.observed[:, tcol[tn0]] & panel.observed[:, tcol[base0]]
        idx = np.flatnonzero(sample)
        D = treated[idx].astype(float)
        n_treat = int(D.sum())
        if n_treat == 0 or n_treat == idx.size:
            # Not estimable (R did reports NA): att and se NaN, influence column zero.
            why = (f"no unit of cohort {g} observed in both {base0} and {tn0}" if n_treat == 0
                   else f"no comparison unit observed in both {base0} and {tn0}")
            for k in ks:
                att[k] = np.nan
                missing.append((cells[k][0], cells[k][1], why))
            continue
        X = panel.X[0 if xper is None else tcol[xper]][idx]
        tc = [tcol[cells[k][1]] for k in ks]
        bc = [tcol[cells[k][2]] for k in ks]
        dY = _outcome_changes(panel.Y, idx, tc, bc)
        try:
            if estimator is drdid_panel:     # the influence function overwrites dY
                a, f = estimator(dY, D, X, panel.w[idx], overwrite=True)
            else:
                a, f = estimator(dY, D, X, panel.w[idx])
        except DesignError as exc:
            where = (Message("errors.did.compute_att_gt.where_cell", g=g, t=tn0) if len(ks) == 1
                     else Message("errors.did.compute_att_gt.where_cohort", g=g))
            if not isinstance(exc, IdentificationError):     # DesignError, ConvergenceError
                raise type(exc)(Message("errors.did.compute_att_gt.while_estimating",
                                        where=where, exc=exc)) from exc
            raise IdentificationError(Message("errors.did.compute_att_gt.no_overlap", where=where,
                                              exc=exc, g=g, covariates=dp.covariates)) from exc
        att[ks] = a
        f *= n / idx.size
        if ks == list(range(ks[0], ks[-1] + 1)):     # a cohort's cells are consecutive
            inf[idx, ks[0]:ks[-1] + 1] = f
        else:
            inf[np.ix_(idx, ks)] = f
    return cells, att, inf, missing
