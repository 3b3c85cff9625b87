"""Group-time average treatment effects ATT(g, t) of Callaway & Sant'Anna (2021).

Callaway, B. and Sant'Anna, P. H. C. (2021), "Difference-in-differences with multiple time
periods", Journal of Econometrics 225(2), 200-230. This module reproduces R ``did``'s ``att_gt``
for panel data (``compute.att_gt``), each cell estimated with one of the 2x2 estimators of
Sant'Anna & Zhao (2020) in :mod:`evalkit.did.drdid`.

Implementation: the long panel is pivoted once into a (units x periods) float64 matrix -- for the
usual sorted balanced panel a reshaped view of the caller's outcome column (:func:`_blocked_pivot`),
otherwise int32 codes scattered into one array; every (g, t) cell is a pair of columns. Cells sharing the same treated units, comparison units and covariates (with
never-treated controls and time-invariant covariates: all cells of a cohort) are estimated in one
call -- one propensity-score fit, one outcome regression with a matrix of outcome changes. For
``est_method="reg"`` on a fully observed panel every outcome regression comes from per-cohort Gram
matrices X'WX and X'WY computed once per covariate period, one solve per (comparison set,
covariate period) and (n, p) @ (p, cells) products for the per-unit terms (:func:`_reg_by_gram`;
equal to the cell-by-cell estimator to rounding). Influence functions are stored in an
(n_units x n_cells) matrix. All BLAS work runs on one thread (see
:func:`evalkit.did.bootstrap.single_blas_thread`). Where the time goes: ``bench/README.md``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

import evalkit
from evalkit.conventions import RngLike, as_rng, pick, seed_of
from evalkit.did.bootstrap import (
    BOOTSTRAP_WEIGHTS,
    multiplier_draws,
    single_blas_thread,
    summarise_draws,
)
from evalkit.did.drdid import _solve_sym, drdid_panel, reg_did_panel, std_ipw_panel
from evalkit.did.results import ATTgtResult, se_from_inf_func
from evalkit.errors import (
    DataError,
    DataWarning,
    DesignError,
    IdentificationError,
    check_choice,
)

__all__ = ["BASE_PERIODS", "CONTROL_GROUPS", "EST_METHODS", "att_gt"]

CONTROL_GROUPS = ("nevertreated", "notyettreated")
EST_METHODS = ("dr", "ipw", "reg")
BASE_PERIODS = ("varying", "universal")
_ESTIMATORS = {"dr": drdid_panel, "ipw": std_ipw_panel, "reg": reg_did_panel}
# Outcome regressions of fully observed panels from cohort Gram matrices (see _reg_by_gram);
# False runs reg_did_panel cell by cell (tests compare the two).
_REG_BY_GRAM = True
# R did reports a standard error at or below this as missing (degenerate influence function).
_SE_FLOOR = np.sqrt(np.finfo(float).eps) * 10


# --------------------------------------------------------------------------------------------
# Input checks and the (units x periods) pivot
# --------------------------------------------------------------------------------------------

def _check_columns(data: pd.DataFrame, names: Sequence[str]) -> None:
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame; received {type(data).__name__}",
                        zh=f"data 须为 pandas DataFrame；收到的是 {type(data).__name__}")
    for name in names:
        if name not in data.columns:
            shown = ", ".join(map(str, data.columns[:12]))
            raise DataError(f"column {name!r} not found in the data (columns: {shown})",
                            column=str(name), fix="check the column name",
                            zh=f"数据中未找到列 {name!r}（现有列：{shown}）",
                            fix_zh="请检查列名")


def _integer_column(values: pd.Series, name: str) -> np.ndarray:
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu":
        return values.to_numpy().astype(np.int64, copy=False)     # no missing values possible
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise DataError(f"column {name!r} has missing values", column=name, row=row + 2,
                        fix="fill or remove the rows",
                        zh=f"列 {name!r} 存在缺失值", fix_zh="请填补或删除这些行")
    try:
        arr = values.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"column {name!r} must be numeric", column=name,
                        zh=f"列 {name!r} 须为数值型") from exc
    bad = ~np.isfinite(arr) | (arr != np.round(arr))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"column {name!r} must hold whole numbers (periods such as years); "
                        f"found {values.iloc[row]!r}", column=name, row=row + 2,
                        fix="code periods as integers, e.g. 2019",
                        zh=f"列 {name!r} 须为整数（如年份等时期）；发现 {values.iloc[row]!r}",
                        fix_zh="请将时期编码为整数，例如 2019")
    return arr.astype(np.int64)


def _unit_constant(ucodes: np.ndarray, first_row: np.ndarray, values: np.ndarray, name: str,
                   ids: np.ndarray, what: str, what_zh: str) -> np.ndarray:
    """The per-unit value of a column that must not vary within unit; DataError otherwise.
    ``first_row`` (n,) is the position of each unit's first row; ``what`` says (in English,
    ``what_zh`` in Chinese) what a unit whose value changes does."""
    per_unit = values[first_row]
    same = values == per_unit[ucodes]
    if not np.all(same):
        i = int(np.flatnonzero(~same)[0])
        raise DataError(f"unit {ids[ucodes[i]]!r} {what}: column {name!r} changes over time",
                        column=name, fix=f"{name} must be constant within each unit",
                        zh=f"个体 {ids[ucodes[i]]!r} {what_zh}：列 {name!r} 随时间变化",
                        fix_zh=f"{name} 须在每个个体内保持不变")
    return per_unit


def _float_column(values: pd.Series) -> np.ndarray:
    """A column as float64 (non-numeric entries NaN); a read-only view of float64 columns."""
    if isinstance(values.dtype, np.dtype) and values.dtype == np.float64:
        return values.to_numpy()
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def _factorize_ids(idv: pd.Series, idx: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique unit ids and each row's code (int32 below 2^31 rows), for the rows
    ``idx`` (None: all).
    Integer ids already sorted (the usual unit-then-period order) take an O(N) path."""
    if isinstance(idv.dtype, np.dtype) and idv.dtype.kind in "iu":
        arr = idv.to_numpy()
        if idx is not None:
            arr = arr[idx]
        if arr.size and bool(np.all(arr[1:] >= arr[:-1])):
            start = np.empty(arr.size, dtype=bool)
            start[0] = True
            np.not_equal(arr[1:], arr[:-1], out=start[1:])
            codes = np.cumsum(start, dtype=np.int32 if arr.size < 2**31 else np.int64)
            codes -= 1
            return codes, arr[start]
        codes, uniq = pd.factorize(arr, sort=True)
    elif idx is None:
        codes, uniq = pd.factorize(idv, sort=True)
    else:
        codes, uniq = pd.factorize(idv.to_numpy()[idx], sort=True)
    return codes.astype(np.int32 if codes.size < 2**31 else np.int64), np.asarray(uniq)


def _factorize_periods(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct periods and each row's code (int32) of an integer period array."""
    lo, hi = int(t.min()), int(t.max())
    if hi - lo < 100_000:
        d = np.subtract(t, lo, out=np.empty(t.size, dtype=np.int32), casting="unsafe")
        present = np.bincount(d, minlength=hi - lo + 1) > 0
        lookup = (np.cumsum(present) - 1).astype(np.int32)
        return lookup[d], np.flatnonzero(present) + lo
    codes, uniq = pd.factorize(t, sort=True)
    return codes.astype(np.int32), np.asarray(uniq)


def _blocked_pivot(idv: pd.Series, t: np.ndarray, g: np.ndarray, y: np.ndarray,
                   xcols: list[np.ndarray], weights: pd.Series | None) -> dict | None:
    """The pivot of the usual sorted balanced panel without copying it, or None.

    Applies when the rows are n blocks of T rows, one block per unit with integer ids
    increasing from block to block, the same increasing periods in every block, and cohort
    (and weights) constant within each block: then ``Y`` is ``y.reshape(n, T)``, a view of the
    caller's column (never written to), and only the (n, p) covariate matrix is allocated.
    Every other layout (or a check that fails, so that the general pivot reports the error
    with its row) returns None.
    """
    if not (isinstance(idv.dtype, np.dtype) and idv.dtype.kind in "iu") or t.size == 0:
        return None
    ids = idv.to_numpy()
    head = ids[:4096]
    change = np.flatnonzero(head != head[0])
    T = int(change[0]) if change.size else ids.size
    if T == 0 or ids.size % T or (not change.size and ids.size > head.size):
        return None
    n = ids.size // T

    def per_block(values: np.ndarray) -> np.ndarray | None:
        v = values.reshape(n, T)
        first = v[:, 0]
        return first if bool((v == first[:, None]).all()) else None

    uids = per_block(ids)
    if uids is None or not bool(np.all(uids[1:] > uids[:-1])):
        return None
    tm = t.reshape(n, T)
    tvals = tm[0]
    if not (bool(np.all(tvals[1:] > tvals[:-1])) and bool((tm == tvals).all())):
        return None
    G = per_block(g)
    if G is None:
        return None
    w = np.ones(n)
    if weights is not None:
        wv = pd.to_numeric(weights, errors="coerce").to_numpy(dtype=float)
        w = per_block(wv)
        if w is None or not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
            return None
    p = len(xcols) + 1
    varying = any(per_block(x) is None for x in xcols)
    X = np.empty((T if varying else 1, n, p))
    X[..., 0] = 1.0
    for j, x in enumerate(xcols):
        X[..., j + 1] = x.reshape(n, T).T if varying else x.reshape(n, T)[:, 0]
    return {"Y": y.reshape(n, T), "observed": np.broadcast_to(np.True_, (n, T)), "X": X,
            "ids": uids.copy(), "tlist": tvals.copy(), "G": G.astype(np.int64), "w": w.copy()}


class _Panel:
    """The data pivoted to arrays: Y (n, T), observed (n, T), X (T, n, p) or (1, n, p)."""

    def __init__(self, data, yname, tname, idname, gname, covariates, weights, clustervars,
                 anticipation, allow_unbalanced_panel):
        cols = [yname, tname, idname, gname, *covariates]
        if weights is not None:
            cols.append(weights)
        cols += list(clustervars)
        _check_columns(data, cols)
        self.dropped_rows = 0
        self.dropped_units = 0
        t = _integer_column(data[tname], tname)
        g = _integer_column(data[gname], gname)
        if np.any(g < 0):
            raise DataError(f"column {gname!r} must be the first treated period, or 0 for "
                            "never treated; found a negative value", column=gname,
                            zh=f"列 {gname!r} 须为首次受资助时期，从未受资助者为 0；发现负值")
        idv = data[idname]
        if idv.isna().any():
            raise DataError(f"column {idname!r} has missing unit ids", column=idname,
                            zh=f"列 {idname!r} 存在缺失的个体标识")
        y = _float_column(data[yname])
        xcols = [_float_column(data[c]) for c in covariates]
        keep = np.isfinite(y)
        for c, x in zip(covariates, xcols, strict=True):
            if np.isnan(x).all() and data[c].notna().any():
                raise DataError(f"covariate {c!r} is not numeric", column=c,
                                fix="encode categories as numeric dummies",
                                zh=f"协变量 {c!r} 不是数值型",
                                fix_zh="请将分类变量编码为数值型虚拟变量")
            keep &= np.isfinite(x)
        if not keep.all():
            self.dropped_rows = int((~keep).sum())
            warnings.warn(DataWarning(
                f"dropped {self.dropped_rows} rows with missing or non-finite {yname!r} or "
                "covariates",
                zh=f"删除了 {self.dropped_rows} 行 {yname!r} 或协变量缺失、非有限的记录"),
                stacklevel=4)
        del keep
        blocked = None
        if not self.dropped_rows and not clustervars:
            blocked = _blocked_pivot(idv, t, g, y, xcols, data[weights] if weights else None)
        if blocked is not None:
            n, T = blocked["Y"].shape
            uids, tvals = blocked["ids"], blocked["tlist"]
            G, w, clusters = blocked["G"], blocked["w"], None
            Y, observed, self.X = blocked["Y"], blocked["observed"], blocked["X"]
        else:
            n, T, uids, tvals, G, w, clusters, Y, observed = self._pivot_general(
                data, idv, t, g, y, xcols, covariates, weights, clustervars, idname, gname)
        self.time_varying_x = self.X.shape[0] > 1
        self.Y, self.observed = Y, observed
        self.ids, self.tlist, self.G, self.w, self.cluster = np.asarray(uids), tvals, G, w, clusters
        self.n_input_units = n
        # Units first treated after the last period (net of anticipation) are untreated
        # throughout the sample: R did recodes them as never treated.
        self.G = np.where(tvals.max() + anticipation < self.G, 0, self.G)
        if not allow_unbalanced_panel:
            full = observed.all(axis=1)
            if not full.all():
                self.dropped_units = int((~full).sum())
                warnings.warn(DataWarning(
                    f"unbalanced panel: dropped {self.dropped_units} of {n} units "
                    f"({int(observed[~full].sum())} rows) not observed in all {T} periods, as "
                    "R did does; set allow_unbalanced_panel=True to keep them",
                    zh=f"非平衡面板：与 R did 一致，删除了 {n} 个个体中未在全部 {T} 个时期"
                       f"均有观测的 {self.dropped_units} 个（{int(observed[~full].sum())} 行）；"
                       "如需保留，请设置 allow_unbalanced_panel=True"), stacklevel=4)
                self._subset(full)
                if self.Y.shape[0] == 0:
                    raise DataError("no unit is observed in every period; set "
                                    "allow_unbalanced_panel=True",
                                    zh="没有个体在所有时期均有观测；"
                                       "请设置 allow_unbalanced_panel=True")

    def _pivot_general(self, data, idv, t, g, y, xcols, covariates, weights, clustervars,
                       idname, gname):
        """Pivot rows in any order (missing rows, unbalanced panels): factorise ids and periods,
        scatter into (n, T) arrays. Sets ``self.X``; returns the other pivoted arrays."""
        keep = np.isfinite(y)
        for x in xcols:
            keep &= np.isfinite(x)
        # Memory: the long columns are used as views where possible (``idx`` is a slice when
        # no row is dropped) and the pivot's helpers are freed as soon as they are used.
        full_rows = bool(keep.all())
        idx = slice(None) if full_rows else np.flatnonzero(keep)
        ucodes, uids = _factorize_ids(idv, None if full_rows else idx)
        tcodes, tvals = _factorize_periods(t[idx])
        n, T = len(uids), len(tvals)
        if n == 0:
            raise DataError("no usable rows: every row has a missing outcome or covariate",
                            zh="没有可用的行：每一行的结果变量或协变量均有缺失")
        flat = ucodes.astype(np.int32 if n * T < 2**31 else np.int64)
        flat *= T
        flat += tcodes
        n_rows = flat.size
        cell_seen = np.zeros(n * T, dtype=bool)
        cell_seen[flat] = True
        if int(np.count_nonzero(cell_seen)) < n_rows:
            counts = np.bincount(flat, minlength=n * T)
            i = np.arange(keep.size)[idx][int(np.flatnonzero(counts[flat] > 1)[0])]
            raise DataError(f"unit {idv.iloc[i]!r} has more than one row for period {t[i]}",
                            column=idname, row=int(i) + 2, fix="keep one row per unit and period",
                            zh=f"个体 {idv.iloc[i]!r} 在时期 {t[i]} 有多于一行",
                            fix_zh="请对每个个体每个时期只保留一行")
        observed = cell_seen.reshape(n, T)
        pos_type = np.int32 if n_rows < 2**31 else np.int64
        rowpos = np.zeros(n * T, dtype=pos_type)
        rowpos[flat] = np.arange(n_rows, dtype=pos_type)
        first = observed.argmax(axis=1)
        first_row = rowpos.reshape(n, T)[np.arange(n), first].astype(np.int64)
        del rowpos
        uid_arr = np.asarray(uids)
        G = _unit_constant(ucodes, first_row, g[idx], gname, uid_arr,
                           "switches cohort", "变更了批次")
        w = np.ones(n)
        if weights is not None:
            wv = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=float)[idx]
            if not np.all(np.isfinite(wv)) or np.any(wv < 0) or not np.any(wv > 0):
                raise DataError(f"weights column {weights!r} must be finite and non-negative",
                                column=weights,
                                zh=f"权重列 {weights!r} 须为有限的非负值")
            w = _unit_constant(ucodes, first_row, wv, weights, uid_arr, "has varying weights",
                               "的权重不一致")
        clusters = None
        if clustervars:
            cv = pd.factorize(data[clustervars[0]].to_numpy()[idx], sort=True)[0]
            if np.any(cv < 0):
                raise DataError(f"cluster column {clustervars[0]!r} has missing values",
                                column=clustervars[0],
                                zh=f"聚类列 {clustervars[0]!r} 存在缺失值")
            per = _unit_constant(ucodes, first_row, cv, clustervars[0], uid_arr,
                                 "moves between clusters", "在不同聚类之间变动")
            clusters = pd.factorize(per, sort=True)[0].astype(np.int64)
        Y = np.full(n * T, np.nan)
        Y[flat] = y[idx]
        del flat
        Y = Y.reshape(n, T)
        p = len(covariates) + 1
        # Covariates: (1, n, p - 1) with each unit's first observed value when none varies
        # within unit over the observed periods, else (T, n, p - 1).
        firsts, varying = [], False
        for x in xcols:
            xv = x[idx]
            xf = xv[first_row]
            firsts.append(xf)
            varying = varying or bool(np.any(xv != xf[ucodes]))
        if varying:
            Xt = np.full((T * n, p - 1), np.nan)
            pos = tcodes.astype(np.int64) * n + ucodes
            for j, x in enumerate(xcols):
                Xt[pos, j] = x[idx]
            Xt = Xt.reshape(T, n, p - 1)
        else:
            Xt = np.empty((1, n, p - 1))
            for j, xf in enumerate(firsts):
                Xt[0, :, j] = xf
        self.X = np.concatenate([np.ones((*Xt.shape[:2], 1)), Xt], axis=2)
        return n, T, uids, tvals, G, w, clusters, Y, observed

    def _subset(self, keep: np.ndarray) -> None:
        self.Y, self.observed = self.Y[keep], self.observed[keep]
        self.X = self.X[:, keep]
        self.ids, self.G, self.w = self.ids[keep], self.G[keep], self.w[keep]
        if self.cluster is not None:
            self.cluster = pd.factorize(self.cluster[keep], sort=True)[0].astype(np.int64)

    def drop_periods_from(self, cutoff: int) -> None:
        cols = self.tlist < cutoff
        self.Y, self.observed, self.tlist = self.Y[:, cols], self.observed[:, cols], \
            self.tlist[cols]
        if self.time_varying_x:
            self.X = self.X[cols]


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


def _reg_by_gram(panel: _Panel, cells: list, batches: dict, tcol: dict, att: np.ndarray,
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
        raise DesignError(f"ATT(g={g}, t={tn}): the outcome-regression design matrix is "
                          "singular; remove collinear or constant covariates, or use fewer "
                          "covariates",
                          zh=f"ATT(g={g}, t={tn})：结果回归的设计矩阵奇异；"
                             "请删除共线或取值恒定的协变量，或减少协变量")
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
    alp = pick("alpha", alpha, 0.05, alp=alp)
    biters = int(pick("n_draws", n_draws, 999, biters=biters))
    rng = as_rng(rng, seed)
    seed = seed_of(rng)
    check_choice("control_group", control_group, CONTROL_GROUPS)
    check_choice("est_method", est_method, EST_METHODS)
    check_choice("base_period", base_period, BASE_PERIODS)
    check_choice("bootstrap_weights", bootstrap_weights, BOOTSTRAP_WEIGHTS)
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    clustervars = [clustervars] if isinstance(clustervars, str) else list(clustervars)
    clustervars = [c for c in clustervars if c != idname]
    if len(clustervars) > 1:
        raise DesignError(f"at most one cluster variable besides the unit is supported; "
                          f"received {clustervars}",
                          zh=f"除个体外至多支持一个聚类变量；收到的是 {clustervars}")
    if int(anticipation) != anticipation or anticipation < 0:
        raise DesignError(f"anticipation must be a non-negative integer; received "
                          f"{anticipation!r}",
                          zh=f"anticipation 须为非负整数；收到的是 {anticipation!r}")
    if not 0 < alp < 1:
        raise DesignError(f"alp must lie in (0, 1); received {alp!r}",
                          zh=f"alp 须位于 (0, 1) 内；收到的是 {alp!r}")
    anticipation = int(anticipation)

    with single_blas_thread():
        panel = _Panel(data, yname, tname, idname, gname, covariates, weights, clustervars,
                       anticipation, allow_unbalanced_panel)
        tlist = panel.tlist
        glist = np.unique(panel.G[panel.G > 0])
        if glist.size == 0:
            raise DesignError(f"no treated cohort: every unit has {gname} = 0 (or is first "
                              "treated after the last period)",
                              zh=f"没有受资助批次：所有个体的 {gname} 均为 0"
                                 "（或首次受资助时间晚于最后一期）")
        early = glist[glist <= tlist[0] + anticipation]
        if early.size:
            shown = ", ".join(map(str, early.tolist()))
            raise DesignError(
                f"cohort(s) {shown} of {gname!r} are treated in or "
                f"before the first period {tlist[0]} (anticipation {anticipation}), so they have no "
                "pre-treatment period; drop these units or add earlier periods to the data",
                zh=f"{gname!r} 的批次 {shown} 在首期 {tlist[0]} 或更早即受资助"
                   f"（anticipation 为 {anticipation}），因而没有政策前时期；"
                   "请删除这些个体或在数据中补充更早的时期")
        coerced = None
        if not (panel.G == 0).any():
            if control_group == "nevertreated":
                raise DesignError(
                    "no never-treated units, so control_group='nevertreated' has no comparison "
                    "group; use control_group='notyettreated'",
                    zh="没有从未受资助的个体，control_group='nevertreated' 没有对照组；"
                       "请使用 control_group='notyettreated'")
            latest = int(glist.max())
            warnings.warn(DataWarning(
                f"no never-treated units: the last cohort ({latest}) serves only as not-yet-treated "
                f"comparison and periods from {latest - anticipation} on are dropped",
                zh=f"没有从未受资助的个体：最后一个批次（{latest}）仅作为尚未受资助的对照组，"
                   f"{latest - anticipation} 期及以后的时期被删除"), stacklevel=2)
            panel.drop_periods_from(latest - anticipation)
            tlist = panel.tlist
            glist = glist[glist < latest]
            coerced = latest
            if glist.size == 0 or tlist.size < 2:
                raise DesignError("too few cohorts or periods remain once the last cohort serves "
                                  "as comparison group",
                                  zh="以最后一个批次作为对照组后，剩余的批次或时期过少")

        panel.w = panel.w / panel.w.mean()
        cells = _plan_cells(tlist, glist, anticipation, base_period)
        n = panel.Y.shape[0]
        m = len(cells)
        att = np.zeros(m)
        inf = np.zeros((n, m))
        tcol = {int(t): j for j, t in enumerate(tlist)}
        estimator = _ESTIMATORS[est_method]

        # Batch cells that share treated units, comparison units and covariates.
        batches: dict[tuple, list[int]] = {}
        for k, (g, tn, base) in enumerate(cells):
            if base is None:
                continue
            cutoff = None if control_group == "nevertreated" else max(tn, base) + anticipation
            xper = min(tn, base) if panel.time_varying_x else None
            obs = (tn, base) if allow_unbalanced_panel else None
            batches.setdefault((g, cutoff, xper, obs), []).append(k)

        G = panel.G
        missing: list[tuple[int, int, str]] = []
        if est_method == "reg" and _REG_BY_GRAM and bool(panel.observed.all()):
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
                where = f"ATT(g={g}, t={tn0})" if len(ks) == 1 else f"cohort {g}"
                where_zh = f"ATT(g={g}, t={tn0})" if len(ks) == 1 else f"批次 {g}"
                if not isinstance(exc, IdentificationError):     # DesignError, ConvergenceError
                    raise type(exc)(f"{where}: {exc}",
                                    zh=f"估计 {where_zh} 时：{exc.text('zh')}") from exc
                raise IdentificationError(
                    f"{where}: {exc}: cohort {g} and its comparison units do not overlap in "
                    f"covariates {covariates}; use fewer covariates or est_method='reg'",
                    zh=f"估计 {where_zh} 时：{exc.text('zh')}：批次 {g} 与其对照个体在协变量 "
                       f"{covariates} 上缺乏共同支撑；请减少协变量或使用 est_method='reg'"
                ) from exc
            att[ks] = a
            f *= n / idx.size
            if ks == list(range(ks[0], ks[-1] + 1)):     # a cohort's cells are consecutive
                inf[idx, ks[0]:ks[-1] + 1] = f
            else:
                inf[np.ix_(idx, ks)] = f

        if missing:
            shown = "; ".join(f"ATT({g},{t}): {why}" for g, t, why in missing[:20])
            more = f"; and {len(missing) - 20} more" if len(missing) > 20 else ""
            warnings.warn(DataWarning(
                f"{len(missing)} of {m} ATT(g,t) cells cannot be estimated and are reported as "
                f"missing (NaN), as R did does: {shown}{more}",
                zh=f"{m} 个 ATT(g,t) 单元中有 {len(missing)} 个无法估计，与 R did 一致报告为缺失"
                   f"（NaN）：{shown}{more}"), stacklevel=2)
        group = np.array([c[0] for c in cells], dtype=np.int64)
        time = np.array([c[1] for c in cells], dtype=np.int64)
        se = se_from_inf_func(inf, panel.cluster)
        se[se <= _SE_FLOOR] = np.nan
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
