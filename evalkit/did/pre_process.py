"""Pre-processing of att_gt: arguments checked, data pivoted (R ``did``'s ``pre_process_did``).

Callaway, B. and Sant'Anna, P. H. C. (2021), "Difference-in-differences with multiple time
periods", Journal of Econometrics 225(2), 200-230. As in R ``did``, :func:`pre_process_did`
turns att_gt's arguments and long data into one parameter object (:class:`DIDParams`, R's
``DIDparams``) that :func:`evalkit.did.compute_att_gt.compute_att_gt` estimates from.

The long panel is pivoted once into a (units x periods) float64 matrix (:class:`PivotedPanel`):
for the usual sorted balanced panel a reshaped view of the caller's outcome column
(:func:`_blocked_pivot`), otherwise int32 codes scattered into one array. The pivot is shared
with :func:`evalkit.did.etwfe.etwfe`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.conventions import as_rng, pick, seed_of
from evalkit.did.bootstrap import BOOTSTRAP_WEIGHTS
from evalkit.errors import DataError, DataWarning, DesignError, check_choice, require_columns
from evalkit.i18n import Message

__all__ = ["BASE_PERIODS", "CONTROL_GROUPS", "EST_METHODS", "DIDParams", "PivotedPanel",
           "last_cohort_as_control", "pre_process_did", "treated_cohorts"]

CONTROL_GROUPS = ("nevertreated", "notyettreated")
EST_METHODS = ("dr", "ipw", "reg")
BASE_PERIODS = ("varying", "universal")


# --------------------------------------------------------------------------------------------
# Input checks and the (units x periods) pivot
# --------------------------------------------------------------------------------------------

def _check_columns(data: pd.DataFrame, names: Sequence[str]) -> None:
    if not isinstance(data, pd.DataFrame):
        raise DataError(Message("errors.common.data_pandas_dataframe",
                                type_name=type(data).__name__))
    require_columns(data, names)


def _integer_column(values: pd.Series, name: str) -> np.ndarray:
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu":
        return values.to_numpy().astype(np.int64, copy=False)     # no missing values possible
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise DataError(Message("errors.did.pre_process.column_missing_values", name=name),
                        column=name, row=row + 2,
                        fix=Message("errors.did.pre_process.fix_fill_remove_rows"))
    try:
        arr = values.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(Message("errors.did.pre_process.column_numeric", name=name), column=name) from exc
    bad = ~np.isfinite(arr) | (arr != np.round(arr))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(Message("errors.did.pre_process.column_hold_whole_numbers", name=name,
                                values=values.iloc[row]), column=name, row=row + 2,
                        fix=Message("errors.did.pre_process.fix_code_periods_integers"))
    return arr.astype(np.int64)


def _unit_constant(ucodes: np.ndarray, first_row: np.ndarray, values: np.ndarray, name: str,
                   ids: np.ndarray, what: Message) -> np.ndarray:
    """The per-unit value of a column that must not vary within unit; DataError otherwise.
    ``first_row`` (n,) is the position of each unit's first row; ``what`` says what a unit
    whose value changes does."""
    per_unit = values[first_row]
    same = values == per_unit[ucodes]
    if not np.all(same):
        i = int(np.flatnonzero(~same)[0])
        raise DataError(Message("errors.did.pre_process.unit_not_constant", unit=ids[ucodes[i]],
                                what=what, name=name), column=name,
                        fix=Message("errors.did.pre_process.fix_constant_within_unit", name=name))
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


class PivotedPanel:
    """The data pivoted to arrays: Y (n, T), observed (n, T), X (T, n, p) or (1, n, p)."""

    def __init__(self, data, yname, tname, idname, gname, covariates, weights, clustervars,
                 anticipation, allow_unbalanced_panel, stacklevel=4):
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
            raise DataError(Message("errors.did.pre_process.column_first_treated_period",
                                    gname=gname), column=gname)
        idv = data[idname]
        if idv.isna().any():
            raise DataError(Message("errors.did.pre_process.column_missing_unit_ids",
                                    idname=idname), column=idname)
        y = _float_column(data[yname])
        xcols = [_float_column(data[c]) for c in covariates]
        keep = np.isfinite(y)
        for c, x in zip(covariates, xcols, strict=True):
            if np.isnan(x).all() and data[c].notna().any():
                raise DataError(Message("errors.did.pre_process.covariate_numeric", c=c), column=c,
                                fix=Message("errors.did.pre_process.fix_encode_categories_numeric_dummies"))
            keep &= np.isfinite(x)
        if not keep.all():
            self.dropped_rows = int((~keep).sum())
            warnings.warn(DataWarning(Message("warnings.did.pre_process.dropped_rows_missing_non",
                                              dropped_rows=self.dropped_rows, yname=yname)),
                stacklevel=stacklevel)
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
                warnings.warn(DataWarning(Message("warnings.did.pre_process.unbalanced_panel_dropped_units",
                                                  dropped_units=self.dropped_units, n=n,
                                                  sum_observed=int(observed[~full].sum()), t=T)), stacklevel=stacklevel)
                self._subset(full)
                if self.Y.shape[0] == 0:
                    raise DataError(Message("errors.did.pre_process.unit_observed_every_period"))

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
            raise DataError(Message("errors.did.pre_process.usable_rows_every_row"))
        flat = ucodes.astype(np.int32 if n * T < 2**31 else np.int64)
        flat *= T
        flat += tcodes
        n_rows = flat.size
        cell_seen = np.zeros(n * T, dtype=bool)
        cell_seen[flat] = True
        if int(np.count_nonzero(cell_seen)) < n_rows:
            counts = np.bincount(flat, minlength=n * T)
            i = np.arange(keep.size)[idx][int(np.flatnonzero(counts[flat] > 1)[0])]
            raise DataError(Message("errors.did.pre_process.unit_more_than_one", idv=idv.iloc[i],
                                    t=t[i]), column=idname, row=int(i) + 2,
                            fix=Message("errors.common.fix_keep_one_row_per"))
        observed = cell_seen.reshape(n, T)
        pos_type = np.int32 if n_rows < 2**31 else np.int64
        rowpos = np.zeros(n * T, dtype=pos_type)
        rowpos[flat] = np.arange(n_rows, dtype=pos_type)
        first = observed.argmax(axis=1)
        first_row = rowpos.reshape(n, T)[np.arange(n), first].astype(np.int64)
        del rowpos
        uid_arr = np.asarray(uids)
        G = _unit_constant(ucodes, first_row, g[idx], gname, uid_arr,
                           Message("errors.did.pre_process.what.switches_cohort"))
        w = np.ones(n)
        if weights is not None:
            wv = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=float)[idx]
            if not np.all(np.isfinite(wv)) or np.any(wv < 0) or not np.any(wv > 0):
                raise DataError(Message("errors.did.pre_process.weights_column_finite_non",
                                        weights=weights), column=weights)
            w = _unit_constant(ucodes, first_row, wv, weights, uid_arr,
                               Message("errors.did.pre_process.what.varying_weights"))
        clusters = None
        if clustervars:
            cv = pd.factorize(data[clustervars[0]].to_numpy()[idx], sort=True)[0]
            if np.any(cv < 0):
                raise DataError(Message("errors.did.pre_process.cluster_column_missing_values",
                                        clustervars=clustervars[0]), column=clustervars[0])
            per = _unit_constant(ucodes, first_row, cv, clustervars[0], uid_arr,
                                 Message("errors.did.pre_process.what.moves_clusters"))
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


@dataclass(eq=False)
class DIDParams:
    """att_gt's checked arguments and pivoted data (R ``did``'s ``DIDparams``).

    The arguments of :func:`evalkit.did.att_gt.att_gt` with aliases resolved (``alp``,
    ``biters``, ``rng`` a Generator and ``seed`` its seed), ``panel`` the pivoted data,
    ``glist`` the treated cohorts estimated and ``last_cohort_as_control`` the cohort that
    serves as comparison group when no unit is never treated (None otherwise).
    """

    yname: str
    tname: str
    idname: str
    gname: str
    covariates: list[str]
    control_group: str
    est_method: str
    anticipation: int
    base_period: str
    weights: str | None
    clustervars: list[str]
    bstrap: bool
    biters: int
    cband: bool
    alp: float
    rng: np.random.Generator
    seed: int | None
    allow_unbalanced_panel: bool
    bootstrap_weights: str
    panel: PivotedPanel
    glist: np.ndarray
    last_cohort_as_control: int | None


def pre_process_did(data, yname, tname, idname, gname, covariates, control_group, est_method,
                    anticipation, base_period, weights, clustervars, bstrap, biters, cband, alp,
                    seed, allow_unbalanced_panel, bootstrap_weights, alpha, rng,
                    n_draws) -> DIDParams:
    """Check att_gt's arguments and pivot its data (R ``did``'s ``pre_process_did``).

    Arguments as :func:`evalkit.did.att_gt.att_gt`, every one given (att_gt holds the
    defaults and the types). Resolves the aliases (``alp``/``alpha``,
    ``biters``/``n_draws``, ``seed``/``rng``), pivots the panel (:class:`PivotedPanel`), finds
    the treated cohorts, refuses cohorts without a pre-treatment period, lets the last cohort
    serve as comparison group when no unit is never treated (dropping the periods from its
    treatment on, as R does) and normalises the sampling weights to mean one.
    """
    alp = pick("alpha", alpha, 0.05, alp=alp)
    biters = int(pick("n_draws", n_draws, 999, biters=biters))
    rng = as_rng(rng, seed, stacklevel=4)     # the warning names att_gt's caller
    seed = seed_of(rng)
    check_choice("control_group", control_group, CONTROL_GROUPS)
    check_choice("est_method", est_method, EST_METHODS)
    check_choice("base_period", base_period, BASE_PERIODS)
    check_choice("bootstrap_weights", bootstrap_weights, BOOTSTRAP_WEIGHTS)
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    clustervars = [clustervars] if isinstance(clustervars, str) else list(clustervars)
    clustervars = [c for c in clustervars if c != idname]
    if len(clustervars) > 1:
        raise DesignError(Message("errors.did.pre_process.most_one_cluster_variable",
                                  clustervars=clustervars))
    if int(anticipation) != anticipation or anticipation < 0:
        raise DesignError(Message("errors.did.pre_process.anticipation_non_negative_integer",
                                  anticipation=anticipation))
    if not 0 < alp < 1:
        raise DesignError(Message("errors.common.alp_lie", alp=alp))
    anticipation = int(anticipation)

    panel = PivotedPanel(data, yname, tname, idname, gname, covariates, weights, clustervars,
                         anticipation, allow_unbalanced_panel, stacklevel=5)
    glist = treated_cohorts(panel, gname, anticipation)
    coerced = last_cohort_as_control(panel, glist, control_group, anticipation)
    if coerced is not None:
        glist = glist[glist < coerced]

    panel.w = panel.w / panel.w.mean()
    return DIDParams(
        yname=yname, tname=tname, idname=idname, gname=gname, covariates=covariates,
        control_group=control_group, est_method=est_method, anticipation=anticipation,
        base_period=base_period, weights=weights, clustervars=clustervars, bstrap=bool(bstrap),
        biters=biters, cband=bool(cband), alp=alp, rng=rng, seed=seed,
        allow_unbalanced_panel=bool(allow_unbalanced_panel),
        bootstrap_weights=bootstrap_weights, panel=panel, glist=glist,
        last_cohort_as_control=coerced)



def treated_cohorts(panel: PivotedPanel, gname: str, anticipation: int) -> np.ndarray:
    """The treated cohorts (first-treatment periods above 0), sorted. Refuses a panel without
    one, and cohorts treated in or before the first period plus ``anticipation``, which have no
    pre-treatment period (R ``did`` and R ``etwfe`` refuse them likewise)."""
    tlist = panel.tlist
    glist = np.unique(panel.G[panel.G > 0])
    if glist.size == 0:
        raise DesignError(Message("errors.did.pre_process.treated_cohort_every_unit", gname=gname))
    early = glist[glist <= tlist[0] + anticipation]
    if early.size:
        shown = ", ".join(map(str, early.tolist()))
        ant = (Message("errors.did.pre_process.anticipation", anticipation=anticipation)
               if anticipation else "")
        raise DesignError(Message("errors.did.pre_process.treated_first_period", shown=shown,
                                  gname=gname, first=tlist[0], ant=ant))
    return glist


def last_cohort_as_control(panel: PivotedPanel, glist: np.ndarray, control_group: str,
                           anticipation: int) -> int | None:
    """Without never-treated units the last cohort serves as comparison group, as R ``did`` and
    R ``etwfe`` do: refuses ``control_group="nevertreated"``, drops the periods from
    ``latest - anticipation`` on and says so in a :class:`DataWarning` (naming the caller of
    ``att_gt`` or ``etwfe``), and refuses a panel left without two periods or with no other
    cohort. Returns the last cohort, which is not estimated, or None when some unit is never
    treated (nothing changes)."""
    if (panel.G == 0).any():
        return None
    if control_group == "nevertreated":
        raise DesignError(Message("errors.did.pre_process.never_treated_units_so"))
    latest = int(glist.max())
    panel.drop_periods_from(latest - anticipation)
    warnings.warn(DataWarning(Message("warnings.did.pre_process.never_treated_units_last",
                                      latest=latest, latest_2=latest - anticipation)), stacklevel=4)
    if glist.size < 2 or panel.tlist.size < 2:
        raise DesignError(Message("errors.did.pre_process.too_few_cohorts_periods"))
    return latest
