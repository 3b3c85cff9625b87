"""Two-way fixed-effects (TWFE) regressions for staggered adoption designs.

Static TWFE ``y_it = a_i + l_t + beta * D_it + x_it' gamma + u_it`` and the TWFE event study
``y_it = a_i + l_t + sum_{e != ref} mu_e 1[t - g_i = e] + u_it`` (never-treated units have every
relative-time dummy equal to zero). Both are estimated through linearmodels ``PanelOLS`` (entity
and time effects) or, above :data:`evalkit.fe.ols.FAST_THRESHOLD` rows or with ``method="fast"``, by
alternating-projection demeaning (:func:`evalkit.fe.within.demean_two_way`) followed by OLS; the
two agree to machine precision (tests/unit/test_twfe.py). The event study's fast path never
copies the frame (:func:`evalkit.fe.ols.event_study_ols`; bench/README.md, "TWFE event study").
The fixed-effects numerics (within transformation, CR1 covariance and its small-sample
convention, rank checks, codes) live in :mod:`evalkit.fe`; the results object in
:class:`evalkit.did.results.EstimatesResult`.

These estimators are the *comparison* the modern estimators are judged against: with staggered
adoption and effects that vary over cohorts or time, the static coefficient is a variance-weighted
average of 2x2 comparisons with possibly negative weights (Goodman-Bacon 2021, see
:mod:`evalkit.did.bacon`) and event-study leads/lags are contaminated by other periods' effects
(Sun & Abraham 2021, see :mod:`evalkit.did.sunab`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.did.results import EstimatesResult, estimator_provenance
from evalkit.errors import ConfigError, DataError, DesignError, check_choice
from evalkit.fe import (
    METHODS,
    cluster_codes,
    dense_codes,
    event_study_ols,
    fit_ols_fe,
    panel_arrays,
    prepare_panel,
)
from evalkit.fe import ols as fe_ols
from evalkit.i18n import Message

__all__ = [
    "EstimatesResult",
    "relative_time_design",
    "treatment_indicator",
    "twfe",
    "twfe_event_study",
]


# --------------------------------------------------------------------------------------------
# Public estimators
# --------------------------------------------------------------------------------------------
def treatment_indicator(df: pd.DataFrame, tname: str, gname: str) -> np.ndarray:
    """D_it = 1[g_i > 0 and t >= g_i], shape (n,)."""
    g = df[gname].to_numpy(dtype=float)
    t = df[tname].to_numpy(dtype=float)
    return ((g > 0) & (t >= g)).astype(float)


def twfe(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str | None = None,
         dname: str | None = None, covariates: Sequence[str] = (),
         clustervars: Sequence[str] | None = None, method: str = "auto",
         alpha: float = 0.05) -> EstimatesResult:
    """Static two-way fixed-effects regression ``y_it = a_i + l_t + beta D_it + x_it'g + u_it``.

    Treatment comes either from the cohort column ``gname`` (first treated period, 0 = never;
    ``D_it = 1[t >= g_i]``) or from a 0/1 column ``dname``. Estimated with linearmodels
    ``PanelOLS(entity_effects=True, time_effects=True)``, or by :func:`evalkit.fe.within.demean_two_way` when
    ``method="fast"`` (or "auto" above :data:`evalkit.fe.ols.FAST_THRESHOLD` rows); CR1 standard errors
    clustered by ``clustervars`` (default: the unit). The coefficient's interpretation under
    heterogeneous effects is given by Goodman-Bacon (2021, J. Econometrics 225(2)), see
    :func:`evalkit.did.bacon.bacon`. Returns terms ``("D", *covariates)``.
    """
    if (gname is None) == (dname is None):
        raise ConfigError(Message("errors.did.twfe.give_exactly_one_gname", gname=gname,
                                  dname=dname))
    clustervars = (idname,) if clustervars is None else clustervars
    cl = (clustervars,) if isinstance(clustervars, str) else tuple(clustervars)
    extra = [dname] if dname is not None else []
    df = prepare_panel(data, yname, tname, idname, gname, [*extra, *covariates, *cl])
    if gname is not None:
        df["__D"] = treatment_indicator(df, tname, gname)
    else:
        vals = df[dname].to_numpy()
        if not np.isin(vals, (0.0, 1.0)).all():
            r = int(np.flatnonzero(~np.isin(vals, (0.0, 1.0)))[0])
            raise DataError(Message("errors.did.twfe.treatment_column", dname=dname), row=r + 2,
                            column=dname)
        df["__D"] = vals
    clusters = cluster_codes(df, cl)
    names = ["__D", *covariates]
    beta, vcov, g, used = fit_ols_fe(df, yname, names, idname, tname, clusters, method)
    return EstimatesResult(
        method="twfe", terms=("D", *covariates), estimate=beta, vcov=vcov,
        event=np.full(len(names), np.nan), n_obs=len(df), n_units=int(df[idname].nunique()),
        n_clusters=g, alpha=alpha, details={"fit": used},
        provenance=estimator_provenance("twfe", "Goodman-Bacon (2021), J. Econometrics 225(2) 254-277",
                               yname=yname, tname=tname, idname=idname, gname=gname,
                               dname=dname, covariates=list(covariates), clustervars=list(cl),
                               method=used))


def relative_time_design(df: pd.DataFrame, tname: str, gname: str, min_e: int | None,
                         max_e: int | None, ref_e: int | Sequence[int],
                         bin_endpoints: bool) -> tuple[np.ndarray, list[int], np.ndarray]:
    """Relative-time dummies ``1[t - g_i = e]`` for treated units.

    Returns (x (n, m), the m event times kept, keep (n,) bool). Every observed relative time in
    [min_e, max_e] except ``ref_e`` gets a dummy. With ``bin_endpoints`` observations with
    e < min_e (e > max_e) load on the min_e (max_e) dummy and ``keep`` is all True; without it
    they are marked ``keep = False`` for the caller to drop (leaving them in with all dummies
    zero would silently pool them with the reference period).
    """
    rel, events, keep = _relative_time_codes(df[tname].to_numpy(dtype=float),
                                             df[gname].to_numpy(dtype=float), gname, min_e,
                                             max_e, ref_e, bin_endpoints)
    x = np.zeros((len(df), len(events)))
    rows = np.flatnonzero(rel >= 0)
    x[rows, rel[rows]] = 1.0
    return x, events, keep


def _relative_time_codes(t: np.ndarray, g: np.ndarray, gname: str, min_e: int | None,
                         max_e: int | None, ref_e: int | Sequence[int],
                         bin_endpoints: bool) -> tuple[np.ndarray, list[int], np.ndarray]:
    """The design of :func:`relative_time_design` as codes: (rel (n,) int16 index into the m
    events kept, -1 for no dummy; events; keep (n,) bool). ``t``, ``g`` (n,) float."""
    treated = g > 0
    e = np.where(treated, t - g, np.nan)
    refs = {int(r) for r in ((ref_e,) if np.isscalar(ref_e) else ref_e)}
    obs = np.unique(e[treated]).astype(int)
    if obs.size == 0:
        raise DesignError(Message("errors.did.twfe.treated_units_every_value", gname=gname))
    lo = int(obs.min()) if min_e is None else int(min_e)
    hi = int(obs.max()) if max_e is None else int(max_e)
    if lo > hi:
        raise ConfigError(Message("errors.common.min_exceed_max_min", min_e=min_e, max_e=max_e))
    keep = np.ones(len(t), dtype=bool)
    if bin_endpoints:
        e = np.where(treated, np.clip(e, lo, hi), np.nan)
    else:
        keep = ~(treated & ((e < lo) | (e > hi)))
    present = set(np.unique(e[keep & treated]).tolist())
    events = [v for v in range(lo, hi + 1) if v not in refs and float(v) in present]
    rel = np.full(len(t), -1, dtype=np.int16)
    for j, v in enumerate(events):
        rel[e == v] = j
    return rel, events, keep


def twfe_event_study(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
                     min_e: int | None = None, max_e: int | None = None, ref_e: int = -1,
                     bin_endpoints: bool = True, clustervars: Sequence[str] | None = None,
                     method: str = "auto", alpha: float = 0.05) -> EstimatesResult:
    """Dynamic TWFE event study ``y_it = a_i + l_t + sum_{e != ref_e} mu_e 1[t - g_i = e] + u``.

    Never-treated units (``g = 0``) have every dummy zero; relative time ``ref_e`` (default -1)
    is omitted. With ``bin_endpoints`` relative times beyond [min_e, max_e] are binned into the
    endpoints. Returns terms ``"e=<e>"`` with ``event`` set, and the full (m, m) covariance
    (CR1, clustered by ``clustervars``, default the unit), which HonestDiD consumes. Under
    heterogeneous effects each mu_e mixes other periods' effects (Sun & Abraham 2021,
    J. Econometrics 225(2) 175-199); compare with :func:`evalkit.did.sunab.sunab`.
    """
    clustervars = (idname,) if clustervars is None else clustervars
    cl = (clustervars,) if isinstance(clustervars, str) else tuple(clustervars)
    check_choice("method", method, METHODS)
    if method == "fast" or (method == "auto" and isinstance(data, pd.DataFrame)
                            and len(data) > fe_ols.FAST_THRESHOLD):
        return _event_study_lean(data, yname, tname, idname, gname, min_e, max_e, ref_e,
                                 bin_endpoints, cl, alpha)
    df = prepare_panel(data, yname, tname, idname, gname, cl)
    x, events, keep = relative_time_design(df, tname, gname, min_e, max_e, ref_e,
                                           bin_endpoints)
    if not keep.all():
        df, x = df.loc[keep].reset_index(drop=True), x[keep]
    names = [f"e={v}" for v in events]
    for j, nm in enumerate(names):
        df[nm] = x[:, j]
    clusters = cluster_codes(df, cl)
    beta, vcov, g, used = fit_ols_fe(df, yname, names, idname, tname, clusters, method)
    return EstimatesResult(
        method="twfe_event_study", terms=tuple(names), estimate=beta, vcov=vcov,
        event=np.array(events, dtype=float), n_obs=len(df), n_units=int(df[idname].nunique()),
        n_clusters=g, alpha=alpha, details={"fit": used, "ref_e": ref_e},
        provenance=estimator_provenance("twfe_event_study",
                               "Sun & Abraham (2021), J. Econometrics 225(2) 175-199",
                               yname=yname, tname=tname, idname=idname, gname=gname,
                               min_e=min_e, max_e=max_e, ref_e=ref_e,
                               bin_endpoints=bin_endpoints, clustervars=list(cl), method=used))


def _event_study_lean(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
                      min_e: int | None, max_e: int | None, ref_e: int, bin_endpoints: bool,
                      cl: tuple[str, ...], alpha: float) -> EstimatesResult:
    """:func:`twfe_event_study` with ``method="fast"``: the same checks and numbers without
    copying or sorting the frame (arrays and int32 codes, see :func:`event_study_ols`)."""
    if len(cl) != 1:
        raise ConfigError(Message("errors.did.twfe.clustervars_name_exactly_one", cl=cl))
    arr = panel_arrays(data, yname, tname, idname, gname, cl)
    rel, events, keep = _relative_time_codes(arr[tname], arr[gname], gname, min_e, max_e,
                                             ref_e, bin_endpoints)
    uc, tc, y = arr["__unit"], arr["__time"], arr[yname]
    cl_raw = arr["__unit"] if cl[0] == idname else arr[cl[0]]
    if not keep.all():
        uc, tc, y, rel, cl_raw = uc[keep], tc[keep], y[keep], rel[keep], cl_raw[keep]
    uc, n_units = dense_codes(uc)
    tc, _ = dense_codes(tc)
    clusters = (uc if cl[0] == idname
                else pd.factorize(cl_raw, sort=True)[0].astype(np.int32))
    names = [f"e={v}" for v in events]
    if not names:
        raise DesignError(Message("errors.common.regressors_left_estimate"))
    beta, vcov, g = event_study_ols(rel, len(names), y, uc, tc, clusters, names)
    return EstimatesResult(
        method="twfe_event_study", terms=tuple(names), estimate=beta, vcov=vcov,
        event=np.array(events, dtype=float), n_obs=int(y.size), n_units=n_units,
        n_clusters=g, alpha=alpha, details={"fit": "fast", "ref_e": ref_e},
        provenance=estimator_provenance("twfe_event_study",
                               "Sun & Abraham (2021), J. Econometrics 225(2) 175-199",
                               yname=yname, tname=tname, idname=idname, gname=gname,
                               min_e=min_e, max_e=max_e, ref_e=ref_e,
                               bin_endpoints=bin_endpoints, clustervars=list(cl),
                               method="fast"))
