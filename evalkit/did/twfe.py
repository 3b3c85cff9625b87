"""Two-way fixed-effects (TWFE) regressions for staggered adoption designs.

Static TWFE ``y_it = a_i + l_t + beta * D_it + x_it' gamma + u_it`` and the TWFE event study
``y_it = a_i + l_t + sum_{e != ref} mu_e 1[t - g_i = e] + u_it`` (never-treated units have every
relative-time dummy equal to zero). Both are estimated through linearmodels ``PanelOLS`` (entity
and time effects) or, above :data:`FAST_THRESHOLD` rows or with ``method="fast"``, by
alternating-projection demeaning (:func:`demean_two_way`) followed by OLS; the two agree to
machine precision (tests/unit/test_twfe.py). The event study's fast path never copies the frame:
int32 unit/period codes, each event-time dummy demeaned in place from its codes and kept only as
its unit and period effects, the k x k normal equations, and cluster scores by ``np.bincount``
(:func:`_event_study_fast`; bench/README.md, "TWFE event study").

These estimators are the *comparison* the modern estimators are judged against: with staggered
adoption and effects that vary over cohorts or time, the static coefficient is a variance-weighted
average of 2x2 comparisons with possibly negative weights (Goodman-Bacon 2021, see
:mod:`evalkit.did.bacon`) and event-study leads/lags are contaminated by other periods' effects
(Sun & Abraham 2021, see :mod:`evalkit.did.sunab`).

Small-sample convention (shared by every regression in ``evalkit.did``): cluster-robust CR1 as in
Stata ``reghdfe`` and R ``fixest`` (``ssc(adj=TRUE, fixef.K="nested", cluster.adj=TRUE)``)::

    V = G / (G - 1) * (n - 1) / (n - K) * (X'X)^-1 (sum_g X_g' u_g u_g' X_g) (X'X)^-1

with ``X`` the demeaned regressors, ``G`` clusters and ``K`` = visible regressors + the rank of
the absorbed effects that are *not* nested in the clusters (+1 for the absorbed constant). With
firm clustering this is ``K = k + T``. linearmodels' own ``debiased`` option counts every absorbed
effect; we take its unscaled sandwich and apply the factor above, so both paths report the same
numbers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError, DataError, DesignError, check_choice
from evalkit.results import Result, json_safe, tidy_frame

__all__ = [
    "FAST_THRESHOLD",
    "EstimatesResult",
    "cluster_vcov",
    "demean_two_way",
    "prepare_panel",
    "twfe",
    "twfe_event_study",
]

#: Above this many rows ``method="auto"`` uses the demeaning fast path instead of PanelOLS
#: (PanelOLS needs ~13 GB at 10M rows, see /work/shared/notes/peers.md).
FAST_THRESHOLD = 200_000

_METHODS = ("auto", "panelols", "fast")


# --------------------------------------------------------------------------------------------
# Results object shared by the regression-type estimators of evalkit.did
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class EstimatesResult(Result):
    """A vector of estimates with its covariance matrix.

    ``terms`` (k,), ``estimate`` (k,), ``vcov`` (k, k); ``event`` (k,) holds the relative time
    of event-study terms (NaN for others). ``details`` holds estimator-specific arrays (cohort
    effects, weights, ...). Used by :func:`twfe`, :func:`twfe_event_study`,
    :func:`evalkit.did.sunab.sunab` and :func:`evalkit.did.imputation.did_imputation`.
    """

    method: str
    terms: tuple[str, ...]
    estimate: np.ndarray
    vcov: np.ndarray
    event: np.ndarray
    n_obs: int
    n_units: int
    n_clusters: int
    alpha: float = 0.05
    details: Mapping[str, Any] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def std_error(self) -> np.ndarray:
        """(k,) standard errors, the square roots of the diagonal of ``vcov``."""
        return np.sqrt(np.clip(np.diag(self.vcov), 0.0, None))

    def coef(self, term: str) -> float:
        """The estimate of one term, by name."""
        return float(self.estimate[self._index(term)])

    def se(self, term: str) -> float:
        """The standard error of one term, by name."""
        return float(self.std_error[self._index(term)])

    def _index(self, term: str) -> int:
        try:
            return self.terms.index(term)
        except ValueError:
            raise ConfigError(f"term must be one of {list(self.terms)!r}; received {term!r}",
                              zh=f"term 须为 {list(self.terms)!r} 之一；收到的是 {term!r}"
                              ) from None

    def event_study(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(events (m,), estimates (m,), vcov (m, m)) of the event-study terms, sorted by event.

        This is the input HonestDiD-type sensitivity analysis needs.
        """
        idx = np.flatnonzero(np.isfinite(self.event))
        idx = idx[np.argsort(self.event[idx])]
        return self.event[idx].astype(int), self.estimate[idx], self.vcov[np.ix_(idx, idx)]

    def tidy(self) -> pd.DataFrame:
        """Columns term, estimate, std_error, conf_low, conf_high, p_value, event."""
        ev = pd.array([int(e) if np.isfinite(e) else None for e in self.event], dtype="Int64")
        return tidy_frame(self.terms, self.estimate, self.std_error, self.alpha, event=ev)

    def summary(self) -> str:
        """A plain-text table of the estimates."""
        head = (f"{self.method}: {self.n_obs} observations, {self.n_units} units, "
                f"{self.n_clusters} clusters")
        body = self.tidy().drop(columns="event").to_string(index=False, float_format="%.6g")
        return f"{head}\n{body}"

    def to_dict(self) -> dict:
        """JSON-safe dictionary of every field."""
        return json_safe(dataclasses.asdict(self))


# --------------------------------------------------------------------------------------------
# Input checking
# --------------------------------------------------------------------------------------------
def prepare_panel(data: pd.DataFrame, yname: str, tname: str, idname: str,
                  gname: str | None = None, other: Sequence[str] = ()) -> pd.DataFrame:
    """Check and copy the columns an estimator needs; never mutates ``data``.

    Raises :class:`DataError` naming the column (and the spreadsheet-style row, header = row 1)
    for a missing column, a non-numeric or missing value, a duplicated (unit, period) pair, or a
    cohort ``g`` that is negative. Returns a new DataFrame with the needed columns, sorted by
    unit and period, with a fresh RangeIndex.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame; received {type(data).__name__}",
                        zh=f"data 须为 pandas DataFrame；收到的是 {type(data).__name__}")
    cols = [c for c in dict.fromkeys([idname, tname, yname, *( [gname] if gname else []),
                                      *other])]
    for c in cols:
        if c not in data.columns:
            raise DataError(f"column {c!r} is not in the data (columns: {list(data.columns)})",
                            column=c, fix="pass the right column name",
                            zh=f"数据中没有列 {c!r}（现有列：{list(data.columns)}）",
                            fix_zh="请传入正确的列名")
    out = data[cols].copy()
    for c in cols:
        if c == idname:
            bad = out[c].isna().to_numpy()
        else:
            num = pd.to_numeric(out[c], errors="coerce")
            bad = num.isna().to_numpy()
            out[c] = num.astype(float)
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise DataError(f"column {c!r} has {int(bad.sum())} missing or non-numeric value(s)",
                            row=r + 2, column=c, fix="drop or fill these rows before estimating",
                            zh=f"列 {c!r} 有 {int(bad.sum())} 个缺失值或非数值",
                            fix_zh="请在估计前删除或填补这些行")
    dup = out.duplicated([idname, tname]).to_numpy()
    if dup.any():
        r = int(np.flatnonzero(dup)[0])
        raise DataError(f"unit {out[idname].iloc[r]!r} appears twice in period "
                        f"{out[tname].iloc[r]!r}", row=r + 2, column=tname,
                        fix="keep one row per unit and period",
                        zh=f"个体 {out[idname].iloc[r]!r} 在时期 {out[tname].iloc[r]!r} 出现两次",
                        fix_zh="请对每个个体每个时期只保留一行")
    if gname:
        neg = (out[gname] < 0).to_numpy()
        if neg.any():
            r = int(np.flatnonzero(neg)[0])
            raise DataError(f"cohort column {gname!r} must be 0 (never treated) or the first "
                            "treated period", row=r + 2, column=gname,
                            zh=f"批次列 {gname!r} 须为 0（从未受资助）或首次受资助时期")
        varies = out.groupby(idname, sort=False)[gname].nunique() > 1
        if varies.any():
            u = varies.index[varies.to_numpy()][0]
            raise DataError(f"cohort column {gname!r} varies within unit {u!r}", column=gname,
                            fix="the first treated period must be constant within a unit",
                            zh=f"批次列 {gname!r} 在个体 {u!r} 内取值不一致",
                            fix_zh="首次受资助时期须在个体内保持不变")
    return out.sort_values([idname, tname], kind="stable").reset_index(drop=True)


def _codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(np.asarray(values), sort=True)
    return codes.astype(np.int64), len(uniques)


def _clusters(df: pd.DataFrame, clustervars: Sequence[str] | str | None) -> np.ndarray:
    if isinstance(clustervars, str):
        clustervars = (clustervars,)
    clustervars = tuple(clustervars or ())
    if len(clustervars) != 1:
        raise ConfigError("clustervars must name exactly one column (firm, or a coarser level "
                          f"such as area); received {clustervars!r}",
                          zh="clustervars 须恰好指定一列（企业，或更粗的层级，如区域）；"
                             f"收到的是 {clustervars!r}")
    return _codes(df[clustervars[0]])[0]


# --------------------------------------------------------------------------------------------
# Numerical kernels
# --------------------------------------------------------------------------------------------
def demean_two_way(values: np.ndarray, unit_codes: np.ndarray, time_codes: np.ndarray,
                   tol: float = 1e-13, max_iter: int = 10_000) -> tuple[np.ndarray, int]:
    """Remove unit and time effects by alternating projections (the method of fixest/reghdfe).

    ``values`` (n,) or (n, k); ``unit_codes`` and ``time_codes`` (n,) integers from 0. Returns the
    residual of the least-squares projection of each column on unit and time dummies, shape of
    ``values``, and the number of sweeps. Exact after one sweep on a balanced panel (a second confirms it);
    on unbalanced panels it iterates until the largest change is below ``tol`` times the column scale.
    Raises :class:`DesignError` if it has not converged after ``max_iter`` sweeps.
    """
    x = np.array(values, dtype=float, copy=True)
    one_dim = x.ndim == 1
    if one_dim:
        x = x[:, None]
    n_u = int(unit_codes.max()) + 1 if unit_codes.size else 0
    n_t = int(time_codes.max()) + 1 if time_codes.size else 0
    cnt_u = np.bincount(unit_codes, minlength=n_u).astype(float)
    cnt_t = np.bincount(time_codes, minlength=n_t).astype(float)
    scale = np.maximum(np.abs(x).max(axis=0, initial=0.0), 1.0)
    sweeps = 0
    while True:
        sweeps += 1
        delta = np.zeros(x.shape[1])
        for codes, cnt, m in ((unit_codes, cnt_u, n_u), (time_codes, cnt_t, n_t)):
            for j in range(x.shape[1]):
                means = np.bincount(codes, weights=x[:, j], minlength=m) / np.where(cnt > 0, cnt, 1)
                x[:, j] -= means[codes]
                delta[j] = max(delta[j], np.abs(means).max(initial=0.0))
        if np.all(delta / scale < tol):
            break
        if sweeps >= max_iter:
            raise DesignError(f"two-way demeaning did not converge in {max_iter} sweeps; the "
                              "panel may be split into disconnected unit-period components",
                          zh=f"双向去均值在 {max_iter} 轮迭代内未收敛；"
                             "面板可能分裂为互不连通的个体-时期子集")
    return (x[:, 0] if one_dim else x), sweeps


def fe_k_increment(unit_codes: np.ndarray, time_codes: np.ndarray,
                   cluster_codes: np.ndarray) -> int:
    """Degrees of freedom of absorbed unit + time effects counted in CR1's ``K``.

    fixest/reghdfe convention: ``1 + rank(all effects) - max(rank(effects nested in the
    clusters), 1)``; for a connected panel rank(unit, time) = N + T - 1. With firm clustering
    this is T.
    """
    n_u = int(unit_codes.max()) + 1
    n_t = int(time_codes.max()) + 1

    def nested(codes: np.ndarray) -> bool:
        first = np.zeros(int(codes.max()) + 1, dtype=cluster_codes.dtype)
        first[codes] = cluster_codes        # any row's cluster; all equal if nested
        return bool((cluster_codes == first[codes]).all())

    nu, nt = nested(unit_codes), nested(time_codes)
    nested_rank = (n_u if nu else 0) + (n_t if nt else 0) - (1 if nu and nt else 0)
    return 1 + (n_u + n_t - 1) - max(nested_rank, 1)


def cluster_vcov(x: np.ndarray, resid: np.ndarray, cluster_codes: np.ndarray,
                 k_absorbed: int) -> tuple[np.ndarray, int]:
    """CR1 cluster-robust covariance of OLS coefficients on (already demeaned) ``x`` (n, k).

    ``resid`` (n,), ``cluster_codes`` (n,) integers; ``k_absorbed`` is added to k in the
    ``(n - 1) / (n - K)`` factor (see the module docstring). Returns ((k, k), G).
    """
    n, k = x.shape
    xtx_inv = np.linalg.inv(x.T @ x)
    g = int(cluster_codes.max()) + 1
    scores = np.empty((g, k))
    for j in range(k):
        scores[:, j] = np.bincount(cluster_codes, weights=x[:, j] * resid, minlength=g)
    return _cr1(xtx_inv, scores, n, k_absorbed), g


def _check_rank(xd: np.ndarray, names: Sequence[str]) -> None:
    if xd.shape[1] == 0:
        raise DesignError("no regressors left to estimate", zh="没有剩余的回归变量可供估计")
    s = np.linalg.svd(xd, compute_uv=False)
    if s[-1] <= 1e-9 * max(s[0], 1.0):
        zero = [nm for nm, col in zip(names, xd.T, strict=True) if np.abs(col).max() < 1e-10]
        hint = (f"{zero} do not vary once unit and period effects are removed"
                if zero else "the regressors are collinear with the unit and period effects")
        hint_zh = (f"{zero} 在剔除个体效应和时期效应后不再变化"
                   if zero else "回归变量与个体效应和时期效应共线")
        raise DesignError(f"the design is rank deficient: {hint}. Bin the event-time endpoints, "
                          "omit another reference period, or add never-treated units",
                          zh=f"设计矩阵秩亏：{hint_zh}。请对事件时间端点分箱、"
                             "另选一个省略的参照期，或加入从未受资助的个体")


def _fit_ols_fe(df: pd.DataFrame, yname: str, xnames: Sequence[str], idname: str, tname: str,
                clusters: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray, int, str]:
    """Coefficients (k,) and CR1 vcov (k, k) of y on x with unit and time effects."""
    check_choice("method", method, _METHODS)
    if method == "auto":
        method = "fast" if len(df) > FAST_THRESHOLD else "panelols"
    uc, _ = _codes(df[idname])
    tc, _ = _codes(df[tname])
    x = df[list(xnames)].to_numpy(dtype=float)
    y = df[yname].to_numpy(dtype=float)
    dm, _ = demean_two_way(np.column_stack([y, x]), uc, tc)
    yd, xd = dm[:, 0], dm[:, 1:]
    _check_rank(xd, xnames)
    k_abs = fe_k_increment(uc, tc, clusters)
    if method == "fast":
        beta = np.linalg.lstsq(xd, yd, rcond=None)[0]
        vcov, g = cluster_vcov(xd, yd - xd @ beta, clusters, k_abs)
        return beta, vcov, g, method
    from linearmodels import PanelOLS

    panel = pd.DataFrame(x, columns=[f"x{j}" for j in range(x.shape[1])])
    panel["__y"] = y
    panel.index = pd.MultiIndex.from_arrays([uc, df[tname].to_numpy()], names=["unit", "time"])
    model = PanelOLS(panel["__y"], panel.drop(columns="__y"), entity_effects=True,
                     time_effects=True)
    res = model.fit(cov_type="clustered",
                    clusters=pd.DataFrame({"c": clusters}, index=panel.index),
                    debiased=False, auto_df=False, count_effects=False, group_debias=False)
    beta = res.params.to_numpy()
    g = int(clusters.max()) + 1
    n, k = x.shape
    factor = g / (g - 1) * (n - 1) / (n - k - k_abs)
    return beta, res.cov.to_numpy() * factor, g, method


def _provenance(estimator: str, paper: str, **options) -> dict:
    from evalkit import __version__ as version

    return {"estimator": estimator, "reference": paper, "evalkit_version": version,
            "options": json_safe(options)}


# --------------------------------------------------------------------------------------------
# Lean fast path of the event study: arrays and integer codes, never a copy of the frame
# --------------------------------------------------------------------------------------------
def _dense_codes(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """Relabel (n,) non-negative codes to 0..m-1 (no gaps) as int32; returns (codes, m)."""
    present = np.bincount(codes) > 0
    if present.all():
        return codes.astype(np.int32, copy=False), int(present.size)
    lut = (np.cumsum(present) - 1).astype(np.int32)
    return lut[codes], int(present.sum())


def _panel_arrays(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
                  other: Sequence[str]) -> dict[str, np.ndarray]:
    """The checks of :func:`prepare_panel` on (n,) arrays, in the row order of ``data``.

    Same errors (same rows and columns) as :func:`prepare_panel`; returns float64 arrays of the
    numeric columns (views of ``data`` where its dtype allows) and int32 codes ``__unit``,
    ``__time`` (from 0, order irrelevant to the estimators that use them).
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame; received {type(data).__name__}",
                        zh=f"data 须为 pandas DataFrame；收到的是 {type(data).__name__}")
    cols = list(dict.fromkeys([idname, tname, yname, gname, *other]))
    for c in cols:
        if c not in data.columns:
            raise DataError(f"column {c!r} is not in the data (columns: {list(data.columns)})",
                            column=c, fix="pass the right column name",
                            zh=f"数据中没有列 {c!r}（现有列：{list(data.columns)}）",
                            fix_zh="请传入正确的列名")
    out: dict[str, np.ndarray] = {}
    for c in cols:
        if c == idname:
            bad = data[c].isna().to_numpy()
        else:
            num = pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            bad = np.isnan(num)
            out[c] = num
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise DataError(f"column {c!r} has {int(bad.sum())} missing or non-numeric value(s)",
                            row=r + 2, column=c, fix="drop or fill these rows before estimating",
                            zh=f"列 {c!r} 有 {int(bad.sum())} 个缺失值或非数值",
                            fix_zh="请在估计前删除或填补这些行")
    ucodes, uniques = pd.factorize(data[idname], sort=False)   # codes in order of appearance
    tcodes, t_uniques = pd.factorize(out[tname], sort=True)
    n, n_u, n_t = len(data), len(uniques), len(t_uniques)
    key = ucodes.astype(np.int64) * n_t + tcodes
    if n_u * n_t <= 4 * n + 1024:
        dup_any = bool((np.bincount(key, minlength=n_u * n_t) > 1).any()) if n else False
    else:
        dup_any = bool(pd.Series(key).duplicated().any())
    if dup_any:
        r = int(np.flatnonzero(pd.Series(key).duplicated().to_numpy())[0])
        raise DataError(f"unit {data[idname].iloc[r]!r} appears twice in period "
                        f"{out[tname][r]!r}", row=r + 2, column=tname,
                        fix="keep one row per unit and period",
                        zh=f"个体 {data[idname].iloc[r]!r} 在时期 {out[tname][r]!r} 出现两次",
                        fix_zh="请对每个个体每个时期只保留一行")
    del key
    g = out[gname]
    neg = g < 0
    if neg.any():
        r = int(np.flatnonzero(neg)[0])
        raise DataError(f"cohort column {gname!r} must be 0 (never treated) or the first "
                        "treated period", row=r + 2, column=gname,
                        zh=f"批次列 {gname!r} 须为 0（从未受资助）或首次受资助时期")
    g_of_unit = np.zeros(n_u)
    g_of_unit[ucodes] = g                      # any row's value; all equal if g is constant
    varies = g != g_of_unit[ucodes]
    if varies.any():
        u = uniques[int(ucodes[varies].min())]
        raise DataError(f"cohort column {gname!r} varies within unit {u!r}", column=gname,
                        fix="the first treated period must be constant within a unit",
                        zh=f"批次列 {gname!r} 在个体 {u!r} 内取值不一致",
                        fix_zh="首次受资助时期须在个体内保持不变")
    out["__unit"] = ucodes.astype(np.int32)
    out["__time"] = tcodes.astype(np.int32)
    out["__id"] = data[idname].to_numpy()
    return out


def _demean_column(x: np.ndarray, codes: Sequence[np.ndarray], counts: Sequence[np.ndarray],
                   tol: float = 1e-13, max_iter: int = 10_000) -> list[np.ndarray]:
    """Alternating projections on one (n,) float64 column, **in place**.

    ``codes`` (n,) int arrays of each effect, ``counts`` their group sizes (as float, 0 replaced
    by 1). Returns the accumulated effects (one (m,) array per factor), so that
    ``x_before - x_after == sum_f effect_f[codes_f]`` (up to rounding). Stopping rule of
    :func:`demean_two_way`.
    """
    scale = max(float(np.abs(x).max(initial=0.0)), 1.0)
    effects = [np.zeros(c.size) for c in counts]
    sweeps = 0
    while True:
        sweeps += 1
        delta = 0.0
        for f, (cd, cnt) in enumerate(zip(codes, counts, strict=True)):
            means = np.bincount(cd, weights=x, minlength=cnt.size) / cnt
            x -= means[cd]
            effects[f] += means
            delta = max(delta, float(np.abs(means).max(initial=0.0)))
        if delta / scale < tol:
            return effects
        if sweeps >= max_iter:
            raise DesignError(f"two-way demeaning did not converge in {max_iter} sweeps; the "
                              "panel may be split into disconnected unit-period components",
                          zh=f"双向去均值在 {max_iter} 轮迭代内未收敛；"
                             "面板可能分裂为互不连通的个体-时期子集")


def _cr1(xtx_inv: np.ndarray, scores: np.ndarray, n: int, k_absorbed: int) -> np.ndarray:
    """CR1 sandwich from the (k, k) bread and the (G, k) cluster scores."""
    g, k = scores.shape
    k_tot = k + k_absorbed
    if g < 2 or n - k_tot <= 0:
        raise DesignError(f"cannot estimate clustered standard errors with {g} cluster(s) and "
                          f"{n} observations for {k_tot} parameters",
                          zh=f"在 {g} 个聚类、{n} 个观测下无法为 {k_tot} 个参数估计聚类标准误")
    factor = g / (g - 1) * (n - 1) / (n - k_tot)
    v = factor * xtx_inv @ (scores.T @ scores) @ xtx_inv
    return (v + v.T) / 2


def _event_study_fast(rel: np.ndarray, k: int, y: np.ndarray, uc: np.ndarray, tc: np.ndarray,
                      clusters: np.ndarray, names: Sequence[str]) -> tuple[np.ndarray,
                                                                           np.ndarray, int]:
    """OLS of ``y`` on k event-time dummies with unit and time effects, CR1 by ``clusters``.

    ``rel`` (n,) int: the dummy (0..k-1) each row loads on, -1 for none; ``uc``, ``tc``,
    ``clusters`` (n,) dense int codes. The dummies are never held as an (n, k) matrix: each is
    built, demeaned in place and summarised by its unit and time effects ``A`` (k, N), ``L``
    (k, T), so that the demeaned column is ``x_j - A_j[uc] - L_j[tc]`` (Frisch-Waugh-Lovell).
    Solves the k x k normal equations; returns (beta (k,), vcov (k, k), G).
    """
    n = y.size
    n_u, n_t = int(uc.max()) + 1, int(tc.max()) + 1
    codes = (uc, tc)
    counts = tuple(np.maximum(np.bincount(c, minlength=m), 1).astype(float)
                   for c, m in ((uc, n_u), (tc, n_t)))
    yd = np.array(y, dtype=float, copy=True)
    _demean_column(yd, codes, counts)
    rel1 = rel + 1                      # index into (0, beta): 0 for rows without a dummy
    # rows of each dummy, contiguous, for X' v = per-dummy sums of v (numpy's pairwise sums keep
    # the 1e-13 agreement that np.bincount's running sums lose at 10M rows)
    order = np.argsort(rel, kind="stable")
    bounds = np.searchsorted(rel[order], np.arange(k + 1))
    order, bounds = order[bounds[0]:], bounds - bounds[0]

    def xt(v: np.ndarray) -> np.ndarray:
        vs = v[order]
        return np.array([vs[bounds[i]:bounds[i + 1]].sum() for i in range(k)])

    A, L = np.empty((k, n_u)), np.empty((k, n_t))
    xtx = np.empty((k, k))
    flat = []
    for j in range(k):
        d = (rel == j).astype(float)
        A[j], L[j] = _demean_column(d, codes, counts)
        xtx[:, j] = xt(d)                                    # X' d_j = d' d_j (M idempotent)
        if np.abs(d).max(initial=0.0) < 1e-10:
            flat.append(names[j])
    xtx = (xtx + xtx.T) / 2
    xty = xt(yd)                                             # X' M y
    scale = np.sqrt(np.diag(xtx))
    eig = (np.linalg.eigvalsh(xtx / np.outer(scale, scale)) if scale.min() > 0
           else np.zeros(1))
    if flat or eig[0] <= 1e-12 * max(eig[-1], 1.0):
        hint = (f"{flat} do not vary once unit and period effects are removed"
                if flat else "the regressors are collinear with the unit and period effects")
        hint_zh = (f"{flat} 在剔除个体效应和时期效应后不再变化"
                   if flat else "回归变量与个体效应和时期效应共线")
        raise DesignError(f"the design is rank deficient: {hint}. Bin the event-time endpoints, "
                          "omit another reference period, or add never-treated units",
                          zh=f"设计矩阵秩亏：{hint_zh}。请对事件时间端点分箱、"
                             "另选一个省略的参照期，或加入从未受资助的个体")
    beta = np.linalg.solve(xtx, xty)
    # residual u = M y - M X beta, with M X beta = X beta - (A' beta)[uc] - (L' beta)[tc]
    u = yd
    u -= np.concatenate([[0.0], beta])[rel1]
    u += (beta @ A)[uc]
    u += (beta @ L)[tc]
    g = int(clusters.max()) + 1
    scores = np.empty((g, k))
    for j in range(k):
        d = (rel == j).astype(float)
        d -= A[j][uc]
        d -= L[j][tc]
        d *= u
        scores[:, j] = np.bincount(clusters, weights=d, minlength=g)
    vcov = _cr1(np.linalg.inv(xtx), scores, n, fe_k_increment(uc, tc, clusters))
    return beta, vcov, g


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
    ``PanelOLS(entity_effects=True, time_effects=True)``, or by :func:`demean_two_way` when
    ``method="fast"`` (or "auto" above :data:`FAST_THRESHOLD` rows); CR1 standard errors
    clustered by ``clustervars`` (default: the unit). The coefficient's interpretation under
    heterogeneous effects is given by Goodman-Bacon (2021, J. Econometrics 225(2)), see
    :func:`evalkit.did.bacon.bacon`. Returns terms ``("D", *covariates)``.
    """
    if (gname is None) == (dname is None):
        raise ConfigError("give exactly one of gname (first treated period) or dname (a 0/1 "
                          f"treatment column); received gname={gname!r}, dname={dname!r}",
                          zh="gname（首次受资助时期）与 dname（0/1 处理变量列）须且仅须给出其一；"
                             f"收到的是 gname={gname!r}, dname={dname!r}")
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
            raise DataError(f"treatment column {dname!r} must be 0 or 1", row=r + 2, column=dname,
                            zh=f"处理变量列 {dname!r} 须为 0 或 1")
        df["__D"] = vals
    clusters = _clusters(df, cl)
    names = ["__D", *covariates]
    beta, vcov, g, used = _fit_ols_fe(df, yname, names, idname, tname, clusters, method)
    return EstimatesResult(
        method="twfe", terms=("D", *covariates), estimate=beta, vcov=vcov,
        event=np.full(len(names), np.nan), n_obs=len(df), n_units=int(df[idname].nunique()),
        n_clusters=g, alpha=alpha, details={"fit": used},
        provenance=_provenance("twfe", "Goodman-Bacon (2021), J. Econometrics 225(2) 254-277",
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
        raise DesignError(f"no treated units: every value of {gname!r} is 0",
                          zh=f"没有受资助个体：{gname!r} 的所有取值均为 0")
    lo = int(obs.min()) if min_e is None else int(min_e)
    hi = int(obs.max()) if max_e is None else int(max_e)
    if lo > hi:
        raise ConfigError(f"min_e must not exceed max_e; received min_e={min_e}, max_e={max_e}",
                          zh=f"min_e 不得大于 max_e；收到的是 min_e={min_e}, max_e={max_e}")
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
    check_choice("method", method, _METHODS)
    if method == "fast" or (method == "auto" and isinstance(data, pd.DataFrame)
                            and len(data) > FAST_THRESHOLD):
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
    clusters = _clusters(df, cl)
    beta, vcov, g, used = _fit_ols_fe(df, yname, names, idname, tname, clusters, method)
    return EstimatesResult(
        method="twfe_event_study", terms=tuple(names), estimate=beta, vcov=vcov,
        event=np.array(events, dtype=float), n_obs=len(df), n_units=int(df[idname].nunique()),
        n_clusters=g, alpha=alpha, details={"fit": used, "ref_e": ref_e},
        provenance=_provenance("twfe_event_study",
                               "Sun & Abraham (2021), J. Econometrics 225(2) 175-199",
                               yname=yname, tname=tname, idname=idname, gname=gname,
                               min_e=min_e, max_e=max_e, ref_e=ref_e,
                               bin_endpoints=bin_endpoints, clustervars=list(cl), method=used))


def _event_study_lean(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
                      min_e: int | None, max_e: int | None, ref_e: int, bin_endpoints: bool,
                      cl: tuple[str, ...], alpha: float) -> EstimatesResult:
    """:func:`twfe_event_study` with ``method="fast"``: the same checks and numbers without
    copying or sorting the frame (arrays and int32 codes, see :func:`_event_study_fast`)."""
    if len(cl) != 1:
        raise ConfigError("clustervars must name exactly one column (firm, or a coarser level "
                          f"such as area); received {cl!r}",
                          zh="clustervars 须恰好指定一列（企业，或更粗的层级，如区域）；"
                             f"收到的是 {cl!r}")
    arr = _panel_arrays(data, yname, tname, idname, gname, cl)
    rel, events, keep = _relative_time_codes(arr[tname], arr[gname], gname, min_e, max_e,
                                             ref_e, bin_endpoints)
    uc, tc, y = arr["__unit"], arr["__time"], arr[yname]
    cl_raw = arr["__unit"] if cl[0] == idname else arr[cl[0]]
    if not keep.all():
        uc, tc, y, rel, cl_raw = uc[keep], tc[keep], y[keep], rel[keep], cl_raw[keep]
    uc, n_units = _dense_codes(uc)
    tc, _ = _dense_codes(tc)
    clusters = (uc if cl[0] == idname
                else pd.factorize(cl_raw, sort=True)[0].astype(np.int32))
    names = [f"e={v}" for v in events]
    if not names:
        raise DesignError("no regressors left to estimate", zh="没有剩余的回归变量可供估计")
    beta, vcov, g = _event_study_fast(rel, len(names), y, uc, tc, clusters, names)
    return EstimatesResult(
        method="twfe_event_study", terms=tuple(names), estimate=beta, vcov=vcov,
        event=np.array(events, dtype=float), n_obs=int(y.size), n_units=n_units,
        n_clusters=g, alpha=alpha, details={"fit": "fast", "ref_e": ref_e},
        provenance=_provenance("twfe_event_study",
                               "Sun & Abraham (2021), J. Econometrics 225(2) 175-199",
                               yname=yname, tname=tname, idname=idname, gname=gname,
                               min_e=min_e, max_e=max_e, ref_e=ref_e,
                               bin_endpoints=bin_endpoints, clustervars=list(cl),
                               method="fast"))
