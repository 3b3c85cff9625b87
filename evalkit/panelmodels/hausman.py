"""Hausman test of fixed against random effects for a dose-response panel.

Classic statistic (Hausman 1978, Econometrica 46(6) 1251-1271): with ``b_FE``, ``b_RE`` the
coefficients of the time-varying regressors (the dose terms and covariates; year dummies and the
constant are not compared) and their conventional covariances,
``H = (b_FE - b_RE)' [V_FE - V_RE]^+ (b_FE - b_RE) ~ chi2(rank(V_FE - V_RE))``. It is valid only
when random effects is *fully efficient* under the null -- homoskedastic, serially uncorrelated
idiosyncratic errors -- which firm panels rarely satisfy; ``V_FE - V_RE`` may then fail to be
positive semi-definite and the statistic can be negative or meaningless (reported, with a flag).

Robust (regression-based) version (Mundlak 1978; Wooldridge 2010, *Econometric Analysis of Cross
Section and Panel Data*, 2nd ed., Section 10.7.3): the correlated-random-effects regression
``y_it = x_it' b + xbar_i' c + l_t + v_it`` by pooled OLS with firm-clustered covariance; under
the random-effects assumption ``E(a_i | x_i) = E(a_i)`` we have ``c = 0``, tested by the
cluster-robust Wald statistic ``c' V_c^{-1} c ~ chi2(k)``. It keeps its size under
heteroskedasticity and serial correlation, and on a balanced panel ``b`` equals the FE estimate.
Use the robust version to decide; the classic one is kept for comparison with textbooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

import evalkit
from evalkit.errors import DesignError
from evalkit.fe import prepare_panel
from evalkit.i18n import Message
from evalkit.panelmodels.dose_response import (
    DoseResponseResult,
    build_doses,
    dose_response,
    fit_linearmodels,
)
from evalkit.results import Result, json_safe

__all__ = ["HausmanResult", "classic_hausman", "hausman_test"]


@dataclass(frozen=True, eq=False, repr=False)
class HausmanResult(Result):
    """FE vs RE comparison. ``terms`` (k,) compared; ``fe``, ``re`` (k,) coefficients; the
    classic statistic ``stat``, ``df``, ``p_value`` and ``classic_valid`` (False when
    ``V_FE - V_RE`` is not positive semi-definite); the robust Mundlak statistic
    ``robust_stat``, ``robust_df``, ``robust_p_value`` (NaN when not computed)."""

    terms: tuple[str, ...]
    fe: np.ndarray
    re: np.ndarray
    stat: float
    df: int
    p_value: float
    classic_valid: bool
    robust_stat: float = float("nan")
    robust_df: int = 0
    robust_p_value: float = float("nan")
    provenance: dict[str, Any] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """One row per test: term ``hausman_classic`` / ``hausman_robust`` with the statistic
        as estimate and its p-value; columns term, estimate, std_error, conf_low, conf_high,
        p_value, df."""
        rows = [("hausman_classic", self.stat, self.p_value, self.df),
                ("hausman_robust", self.robust_stat, self.robust_p_value, self.robust_df)]
        return pd.DataFrame({"term": [r[0] for r in rows], "estimate": [r[1] for r in rows],
                             "std_error": np.nan, "conf_low": np.nan, "conf_high": np.nan,
                             "p_value": [r[2] for r in rows], "df": [r[3] for r in rows]})

    def summary(self) -> str:
        lines = ["Hausman test, fixed vs random effects",
                 f"  compared: {list(self.terms)}",
                 f"  FE {np.round(self.fe, 4).tolist()}  RE {np.round(self.re, 4).tolist()}",
                 f"  classic chi2({self.df}) = {self.stat:.3f}, p = {self.p_value:.4f}"
                 + ("" if self.classic_valid else "  [V_FE - V_RE not PSD: not reliable]")]
        if np.isfinite(self.robust_stat):
            lines.append(f"  robust (Mundlak, firm-clustered) chi2({self.robust_df}) = "
                         f"{self.robust_stat:.3f}, p = {self.robust_p_value:.4f}")
        lines.append("  the classic test assumes RE is efficient (iid errors); rely on the "
                     "robust one")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"kind": "hausman", "terms": list(self.terms), "fe": self.fe,
                          "re": self.re, "tests": self.tidy(), "classic_valid": self.classic_valid,
                          "provenance": self.provenance})


def classic_hausman(fe: DoseResponseResult, re: DoseResponseResult,
                    terms: Sequence[str] | None = None) -> tuple[float, int, float, bool]:
    """(statistic, df, p-value, psd) of the classic Hausman test on ``terms`` (default: the
    terms the two fits share other than year dummies and the constant)."""
    if fe.model != "fe" or re.model != "re":
        raise DesignError(Message("errors.panelmodels.hausman.classic_hausman_compares_model",
                                  model=fe.model, model_2=re.model))
    if terms is None:
        terms = [t for t in fe.terms if t in re.terms and not t.startswith("year_")
                 and t != "const"]
    i_fe = [fe.terms.index(t) for t in terms]
    ire = [re.terms.index(t) for t in terms]
    d = fe.estimate[i_fe] - re.estimate[ire]
    dv = fe.vcov[np.ix_(i_fe, i_fe)] - re.vcov[np.ix_(ire, ire)]
    eig = np.linalg.eigvalsh((dv + dv.T) / 2)
    tol = 1e-10 * max(1.0, float(np.abs(eig).max()))
    psd = bool(eig.min() >= -tol)
    rank = int((eig > tol).sum())
    if rank == 0:
        return float("nan"), 0, float("nan"), False
    stat = float(d @ np.linalg.pinv(dv, rcond=1e-10, hermitian=True) @ d)
    return stat, rank, float(stats.chi2.sf(stat, rank)) if stat >= 0 else float("nan"), psd


def hausman_test(data: pd.DataFrame, yname: str, dose: str | Sequence[str], idname: str,
                 tname: str, per: str | None = None, covariates: Sequence[str] = (),
                 lags: int = 0, robust: bool = True) -> HausmanResult:
    """Fit FE and RE (unadjusted covariances, as the classic test requires) and compare them;
    with ``robust`` also the Mundlak regression test with firm-clustered covariance (module
    docstring). Arguments as :func:`~evalkit.panelmodels.dose_response.dose_response`."""
    kw = dict(per=per, covariates=covariates, lags=lags, cov_type="unadjusted")
    fe = dose_response(data, yname, dose, idname, tname, model="fe", **kw)
    re = dose_response(data, yname, dose, idname, tname, model="re", **kw)
    terms = [*fe.dose_terms, *covariates]
    stat, df, p, psd = classic_hausman(fe, re, terms)
    rstat, rdf, rp = float("nan"), 0, float("nan")
    if robust:
        rstat, rdf, rp = _mundlak(data, yname, dose, idname, tname, per, covariates, lags, terms)
    idx_fe = [fe.terms.index(t) for t in terms]
    idx_re = [re.terms.index(t) for t in terms]
    prov = {"estimator": "Hausman (1978) classic; Mundlak (1978) / Wooldridge (2010, 10.7.3) "
                         "regression-based robust test",
            "evalkit_version": evalkit.__version__,
            "options": json_safe({"yname": yname, "dose": dose, "per": per,
                                  "covariates": list(covariates), "lags": lags})}
    return HausmanResult(terms=tuple(terms), fe=fe.estimate[idx_fe], re=re.estimate[idx_re],
                         stat=stat, df=df, p_value=p, classic_valid=psd, robust_stat=rstat,
                         robust_df=rdf, robust_p_value=rp, provenance=prov)


def _mundlak(data, yname, dose, idname, tname, per, covariates, lags, terms):
    """Cluster-robust Wald test of the firm means in the correlated-RE regression."""
    # The same design as the FE fit (doses, lags), plus firm means of the compared regressors.
    doses = [dose] if isinstance(dose, str) else list(dose)
    cols = list(dict.fromkeys([*doses, *covariates, *([per] if per else [])]))
    df = prepare_panel(data, yname, tname, idname, None, cols)
    df[tname] = df[tname].astype(np.int64)
    df, _dose_terms, _ = build_doses(df, doses, per, idname, tname, int(lags))
    means = df.groupby(idname)[terms].transform("mean")
    mean_names = [f"mean({t})" for t in terms]
    for t, m in zip(terms, mean_names, strict=True):
        df[m] = means[t]
    frame = df.set_index([idname, tname])
    exog = frame[[*terms, *mean_names]].astype(float)
    tidx = frame.index.get_level_values(1).to_numpy()
    for yr in np.sort(np.unique(tidx))[1:]:
        exog[f"year_{yr}"] = (tidx == yr).astype(float)
    exog["const"] = 1.0
    res = fit_linearmodels(frame[yname].astype(float), exog, "pooled",
                           {"cov_type": "clustered", "cluster_entity": True, "debiased": True})
    c = res.params[mean_names].to_numpy()
    v = res.cov.loc[mean_names, mean_names].to_numpy()
    stat = float(c @ np.linalg.solve(v, c))
    k = len(mean_names)
    return stat, k, float(stats.chi2.sf(stat, k))
