"""Dose-response panel regressions of firm outcomes on subsidy intensity (linearmodels).

``y_it = a_i + l_t + beta' s_it + x_it' g + u_it`` with ``s_it`` the subsidy dose: the amount
received, or the amount relative to a scale column such as revenue (``per=``), optionally with
lags. Estimated by linearmodels (Sheppard, ``linearmodels`` 7.1):

* ``model="fe"``: ``PanelOLS`` with firm (entity) and year (time) effects -- the within
  estimator;
* ``model="re"``: ``RandomEffects`` (GLS quasi-demeaning, Swamy-Arora variance components) with
  year dummies and a constant;
* ``model="fd"``: ``FirstDifferenceOLS`` with year dummies (first differences remove a_i);
* ``model="pooled"``: ``PooledOLS`` with a constant and year dummies.

Covariance (``cov_type``): ``"unadjusted"`` (homoskedastic), ``"robust"`` (White),
``"clustered"`` (by firm, or by a coarser ``cluster=`` column such as area or industry section;
with few clusters use :func:`evalkit.robust.wildboot.wild_cluster_bootstrap`), ``"kernel"``
(Driscoll & Kraay 1998, robust to cross-sectional and serial correlation; Bartlett kernel,
bandwidth by linearmodels' default rule unless ``bandwidth=``). ``debiased=True`` (linearmodels'
default) applies the small-sample degrees-of-freedom correction and t / F reference
distributions. Every number in the result is linearmodels' own (tests check a direct call to
1e-10): the wrapper only prepares the panel, the dose columns and the options.

Reference: with ``linearmodels.datasets.jobtraining`` (Holzer et al. 1993 Michigan job-training
grants; Wooldridge, *Introductory Econometrics*, Example 14.1) ``model="fe"`` of ``lscrap`` on
``grant`` and its lag with unadjusted debiased covariance gives -0.252 (0.151) and -0.422 (0.210).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import evalkit
from evalkit.errors import ConfigError, DataError, DataWarning, check_choice
from evalkit.fe import prepare_panel
from evalkit.i18n import Message
from evalkit.results import Result, json_safe

__all__ = [
    "COV_TYPES",
    "MODELS",
    "DoseResponseResult",
    "build_doses",
    "dose_response",
    "fit_linearmodels",
    "plot_dose_response",
]

MODELS = ("fe", "re", "fd", "pooled")
COV_TYPES = ("unadjusted", "robust", "clustered", "kernel")
_NAMES = {"fe": "PanelOLS (firm and year effects)", "re": "RandomEffects (+ year dummies)",
          "fd": "FirstDifferenceOLS (+ year dummies)", "pooled": "PooledOLS (+ year dummies)"}


@dataclass(frozen=True, eq=False, repr=False)
class DoseResponseResult(Result):
    """A dose-response panel regression (see the module docstring).

    ``terms`` (k,) regressor names (dose terms first, then covariates, then year dummies and
    constant where the model has them), ``estimate`` (k,), ``std_error`` (k,), ``vcov`` (k, k),
    ``p_value``, ``conf_low``, ``conf_high`` (k,) -- all linearmodels' own numbers;
    ``dose_terms`` the subset that measures the dose; ``n_obs``, ``n_entities``; ``details``
    R-squared values, degrees of freedom, the number of rows dropped to build lags.
    """

    model: str
    cov_type: str
    terms: tuple[str, ...]
    dose_terms: tuple[str, ...]
    estimate: np.ndarray
    std_error: np.ndarray
    vcov: np.ndarray
    p_value: np.ndarray
    conf_low: np.ndarray
    conf_high: np.ndarray
    n_obs: int
    n_entities: int
    alpha: float = 0.05
    details: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    def coef(self, term: str) -> float:
        return float(self.estimate[self._index(term)])

    def se(self, term: str) -> float:
        return float(self.std_error[self._index(term)])

    def _index(self, term: str) -> int:
        if term not in self.terms:
            raise ConfigError(Message("errors.common.term_one", terms=list(self.terms), term=term))
        return self.terms.index(term)

    def tidy(self, dose_only: bool = False) -> pd.DataFrame:
        """Columns term, estimate, std_error, conf_low, conf_high, p_value (linearmodels')."""
        df = pd.DataFrame({"term": list(self.terms), "estimate": self.estimate,
                           "std_error": self.std_error, "conf_low": self.conf_low,
                           "conf_high": self.conf_high, "p_value": self.p_value})
        return df[df["term"].isin(self.dose_terms)].reset_index(drop=True) if dose_only else df

    def summary(self) -> str:
        head = (f"Dose response, {_NAMES[self.model]}, cov_type={self.cov_type}: "
                f"{self.n_obs} observations, {self.n_entities} firms")
        body = self.tidy().to_string(index=False, float_format="%.6g")
        return f"{head}\n{body}"

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"kind": "dose_response", "model": self.model,
                          "cov_type": self.cov_type, "estimates": self.tidy(),
                          "dose_terms": list(self.dose_terms), "vcov": self.vcov,
                          "n_obs": self.n_obs, "n_entities": self.n_entities,
                          "details": self.details, "provenance": self.provenance})


def _as_list(x: str | Sequence[str] | None) -> list[str]:
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


def build_doses(df: pd.DataFrame, doses: list[str], per: str | None, idname: str,
                 tname: str, lags: int) -> tuple[pd.DataFrame, list[str], int]:
    """Add intensity and lag columns; return (frame, dose term names, rows dropped for lags)."""
    names = []
    for d in doses:
        col = d
        if per is not None:
            den = df[per].to_numpy(dtype=float)
            bad = ~(den > 0)
            if bad.any():
                r = int(np.flatnonzero(bad)[0])
                raise DataError(Message("errors.panelmodels.dose_response.scale_column_positive_divide",
                                        per=per, d=d, den=den[r]), row=r + 2, column=per,
                                fix=Message("errors.panelmodels.dose_response.fix_drop_these_firm_years"))
            col = f"{d}/{per}"
            df[col] = df[d].to_numpy(dtype=float) / den
        names.append(col)
    dropped = 0
    if lags:
        base = list(names)
        for lag in range(1, lags + 1):
            for col in base:
                shifted = df.groupby(idname, sort=False)[col].shift(lag)
                ok = df.groupby(idname, sort=False)[tname].shift(lag) == df[tname] - lag
                df[f"{col}_lag{lag}"] = shifted.where(ok)
                names.append(f"{col}_lag{lag}")
        keep = df[names].notna().all(axis=1).to_numpy()
        dropped = int((~keep).sum())
        df = df.loc[keep].reset_index(drop=True)
    return df, names, dropped


def dose_response(data: pd.DataFrame, yname: str, dose: str | Sequence[str], idname: str,
                  tname: str, per: str | None = None, covariates: Sequence[str] = (),
                  lags: int = 0, model: str = "fe", cov_type: str = "clustered",
                  cluster: str | None = None, bandwidth: float | None = None,
                  debiased: bool = True, alpha: float = 0.05) -> DoseResponseResult:
    """Regress ``yname`` on subsidy intensity with firm and year effects (module docstring).

    ``dose``: the subsidy column(s) (yuan). ``per``: a positive scale column (e.g. revenue): the
    dose becomes ``dose / per`` (term ``"<dose>/<per>"``). ``lags``: add the dose lagged 1..lags
    years within firm (terms ``"<dose>_lag<j>"``); firm-years without the previous consecutive
    years are dropped and counted in ``details["rows_dropped_for_lags"]`` (with a
    :class:`DataWarning`). ``cluster``: column to cluster on (default the firm) when
    ``cov_type="clustered"``. Missing values in the used columns are a :class:`DataError`.
    """
    check_choice("model", model, MODELS)
    check_choice("cov_type", cov_type, COV_TYPES)
    doses = _as_list(dose)
    if not doses:
        raise ConfigError(Message("errors.panelmodels.dose_response.dose_name_least_one"))
    if lags < 0 or int(lags) != lags:
        raise ConfigError(Message("errors.panelmodels.dose_response.lags_non_negative_integer",
                                  lags=lags))
    if cluster is not None and cov_type != "clustered":
        raise ConfigError(Message("errors.panelmodels.dose_response.cluster_needs_cov_type",
                                  cluster=cluster, cov_type=cov_type))
    covs = list(covariates)
    extra = [*doses, *covs, *([per] if per else []), *([cluster] if cluster else [])]
    df = prepare_panel(data, yname, tname, idname, None, list(dict.fromkeys(extra)))
    df[tname] = df[tname].astype(np.int64)
    df, dose_terms, dropped = build_doses(df, doses, per, idname, tname, int(lags))
    if dropped:
        warnings.warn(DataWarning(Message("warnings.panelmodels.dose_response.dropped_firm_years_without",
                                          dropped=dropped, lags=lags)),
            stacklevel=2)
    if df.empty:
        raise DataError(Message("errors.panelmodels.dose_response.firm_year_left_estimate"))
    frame = df.set_index([idname, tname])
    exog = frame[[*dose_terms, *covs]].astype(float)
    if model != "fe":
        years = np.sort(frame.index.get_level_values(1).unique())
        tidx = frame.index.get_level_values(1).to_numpy()
        for yr in years[1:]:
            exog[f"year_{yr}"] = (tidx == yr).astype(float)
        if model in ("re", "pooled"):
            exog["const"] = 1.0
    fit_kw: dict[str, Any] = {"cov_type": cov_type, "debiased": debiased}
    if cov_type == "clustered":
        if cluster is None:
            fit_kw["cluster_entity"] = True
        else:
            fit_kw["clusters"] = frame[[cluster]]
    if cov_type == "kernel" and bandwidth is not None:
        fit_kw["bandwidth"] = float(bandwidth)
    res = fit_linearmodels(frame[yname].astype(float), exog, model, fit_kw)
    ci = res.conf_int(level=1 - alpha)
    terms = tuple(res.params.index)
    details = {"rsquared": float(res.rsquared), "df_resid": int(res.df_resid),
               "rows_dropped_for_lags": dropped, "debiased": bool(debiased),
               "n_clusters": int(frame[cluster].nunique()) if cluster else None}
    if model == "fe":
        details["rsquared_within"] = float(res.rsquared_within)
    prov = {"estimator": f"linearmodels {_NAMES[model]}",
            "reference": "Driscoll & Kraay (1998), Rev. Econ. Stat. 80(4) 549-560 (kernel)",
            "evalkit_version": evalkit.__version__,
            "options": json_safe({"yname": yname, "dose": doses, "per": per,
                                  "covariates": covs, "lags": lags, "model": model,
                                  "cov_type": cov_type, "cluster": cluster,
                                  "bandwidth": bandwidth, "debiased": debiased})}
    return DoseResponseResult(
        model=model, cov_type=cov_type, terms=terms, dose_terms=tuple(dose_terms),
        estimate=res.params.to_numpy(), std_error=res.std_errors.to_numpy(),
        vcov=res.cov.to_numpy(), p_value=res.pvalues.to_numpy(),
        conf_low=ci.iloc[:, 0].to_numpy(), conf_high=ci.iloc[:, 1].to_numpy(),
        n_obs=int(res.nobs), n_entities=int(res.entity_info["total"]), alpha=alpha,
        details=details, provenance=prov)


def fit_linearmodels(y: pd.Series, exog: pd.DataFrame, model: str, fit_kw: dict[str, Any]):
    """Fit the linearmodels estimator behind ``model`` (``y``, ``exog`` with an (entity, time)
    MultiIndex) and return its results object."""
    from linearmodels import FirstDifferenceOLS, PanelOLS, PooledOLS, RandomEffects

    if model == "fe":
        return PanelOLS(y, exog, entity_effects=True, time_effects=True).fit(**fit_kw)
    if model == "re":
        return RandomEffects(y, exog).fit(**fit_kw)
    if model == "fd":
        return FirstDifferenceOLS(y, exog).fit(**fit_kw)
    return PooledOLS(y, exog).fit(**fit_kw)


def plot_dose_response(results: Sequence[DoseResponseResult] | DoseResponseResult, ax=None):
    """Dose coefficients with confidence intervals, one marker per model / covariance, to
    compare specifications at a glance. Returns the matplotlib Axes."""
    if ax is None:
        from evalkit.plotting import new_axes

        ax = new_axes((7, 4))
    items = [results] if isinstance(results, DoseResponseResult) else list(results)
    labels, y = [], 0
    for r in items:
        t = r.tidy(dose_only=True)
        for row in t.itertuples():
            ax.errorbar([row.estimate], [y], xerr=[[row.estimate - row.conf_low],
                        [row.conf_high - row.estimate]], fmt="o", color="#1f77b4", capsize=3)
            labels.append(f"{row.term} [{r.model}, {r.cov_type}]")
            y += 1
    ax.axvline(0.0, color="black", linestyle="--", linewidth=0.8)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("effect per unit of dose")
    return ax
