"""Did the award follow more than the covariates the design conditions on? A pseudo-outcome test.

A staggered design that conditions on the firms' values in the year before the award
(``design.selection_covariates`` and the base-period level: X at g - 1) assumes that the awards
were decided on those values. Then the change of the outcome *into* that year (g - 2 to g - 1)
is balanced between awarded and comparison firms once X at g - 1 is held fixed: it happened
before the decision and entered it only through X. A difference shows that the award followed
the outcome's history beyond X -- a programme that favours firms whose revenue has just fallen,
say -- and the post-award comparison then counts the reversion of that history as an effect.
Unlike the Ashenfelter-dip check on the event study (whose e = -1 coefficient conditions on X
at g - 2), this check is not set off by a dip the covariates already account for (an
R&D-intensity rule picking firms whose revenue is temporarily low in g - 1).

The test regresses the change on the award indicator and X at g - 1, cohort by cohort in the
year g - 1 cross-section (the cohort's awarded firms against the comparison firms not awarded by
g, both observed in g - 2 and g - 1), with heteroskedasticity-robust (HC1) standard errors, and
pools the award coefficients with weights proportional to the cohorts' awarded firms (variances
added as if the cohorts were independent; they share comparison firms, so the pooled standard
error is approximate).

Heckman & Hotz (1989), "Choosing among alternative nonexperimental methods for estimating the
impact of social programs: the case of manpower training", Journal of the American Statistical
Association 84(408) 862-874 (pre-programme tests); Imbens & Wooldridge (2009), "Recent
developments in the econometrics of program evaluation", Journal of Economic Literature 47(1)
5-86, section 6.2 (lagged outcomes as pseudo-outcomes to assess unconfoundedness).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.fe.vcov import cluster_vcov

__all__ = ["decision_column_balance", "selection_balance"]


def _award_coefficient(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, float] | None:
    """OLS of ``dy`` on [1, d, x] (constant columns of ``x`` dropped): the coefficient of ``d``
    and its HC1 standard error, or None when the design is rank-deficient."""
    keep = x.std(axis=0) > 0 if x.size else np.zeros(0, dtype=bool)
    X = np.column_stack([np.ones_like(dy), d, x[:, keep]]) if x.size else np.column_stack(
        [np.ones_like(dy), d])
    n, k = X.shape
    if n <= k + 1 or np.linalg.matrix_rank(X) < k:
        return None
    beta = np.linalg.lstsq(X, dy, rcond=None)[0]
    # one firm per row: the firm-clustered CR1 covariance is HC1
    v, _ = cluster_vcov(X, dy - X @ beta, np.arange(n), 0)
    return float(beta[1]), float(np.sqrt(max(v[1, 1], 0.0)))


def selection_balance(frame: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
                      covariates: Sequence[str], *, log: bool = False,
                      alpha: float = 0.05) -> dict[str, Any] | None:
    """The pseudo-outcome test of the module: ``frame`` holds firm-years with the outcome, the
    cohort (0 = never awarded) and the covariate columns (their values in each year); ``log``
    takes the outcome's logarithm (the proportional scale). Returns the pooled award
    coefficient, its standard error, z, the two-sided p-value, ``detected`` (p < alpha) and the
    cohorts and awarded firms it rests on; None when no cohort has g - 2 and g - 1 in the data."""
    cols = [idname, tname, gname, yname, *covariates]
    df = frame[cols].copy()
    y = pd.to_numeric(df[yname], errors="coerce").astype(float)
    if log:
        y = np.log(y.where(y > 0))
    df["_y"] = y
    wide = df.pivot_table(index=idname, columns=tname, values="_y", aggfunc="first")
    group = df.groupby(idname, sort=True)[gname].first()
    years = set(int(t) for t in wide.columns)
    coefs, ses, sizes = [], [], []
    for g in sorted(int(v) for v in group.unique() if v > 0):
        if g - 1 not in years or g - 2 not in years:
            continue
        dy = (wide[g - 1] - wide[g - 2]).rename("_dy")
        at = df[df[tname] == g - 1].set_index(idname)
        cs = at.join(dy, how="inner")
        cs = cs[(cs[gname] == g) | (cs[gname] == 0) | (cs[gname] > g)]
        cs = cs.dropna(subset=["_dy", *covariates])
        d = (cs[gname] == g).to_numpy(dtype=float)
        n1 = int(d.sum())
        if n1 < 2 or (d == 0).sum() < 2:
            continue
        x = cs[list(covariates)].to_numpy(dtype=float) if covariates else np.empty((len(cs), 0))
        fit = _award_coefficient(cs["_dy"].to_numpy(dtype=float), d, x)
        if fit is None or not np.isfinite(fit[1]) or fit[1] <= 0:
            continue
        coefs.append(fit[0])
        ses.append(fit[1])
        sizes.append(n1)
    if not coefs:
        return None
    w = np.asarray(sizes, dtype=float) / float(sum(sizes))
    est = float(np.dot(w, coefs))
    se = float(np.sqrt(np.dot(w ** 2, np.asarray(ses) ** 2)))
    z = est / se
    p = float(2 * stats.norm.sf(abs(z)))
    return {"estimate": est, "std_error": se, "z": z, "p_value": p, "alpha": float(alpha),
            "detected": bool(p < alpha), "cohorts": len(coefs), "n_treated": int(sum(sizes)),
            "scale": "log" if log else "level"}


def decision_column_balance(frame: pd.DataFrame, columns: pd.DataFrame, names: Sequence[str],
                            covariates: Sequence[str], *, log: bool = False,
                            alpha: float = 0.05) -> dict[str, Any]:
    """The pseudo-outcome test on each decision column's own change into the base year, at the
    Bonferroni level alpha / k: did the awards follow the history of the columns they were
    decided on? ``frame``: firm-years with id, year, cohort and the covariates; ``columns``
    (same rows): the decision columns' yearly values, ``names`` of them. ``log`` (the
    proportional scale) tests the logarithm where every value is positive, else the level.
    Read with the main outcome's test by :func:`evalkit.stages.portfolio.evidence_flags`."""
    level = alpha / max(len(names), 1)
    out: dict[str, Any] = {}
    for c in names:
        values = pd.to_numeric(columns[c], errors="coerce").astype(float)
        pseudo = frame.assign(**{f"pseudo:{c}": values.to_numpy()})
        res = selection_balance(pseudo, f"pseudo:{c}", "year", "firm_id", "g", covariates,
                                log=log and bool((values > 0).all()), alpha=level)
        if res is not None:
            out[c] = {k: res[k] for k in ("estimate", "std_error", "p_value", "alpha",
                                          "detected", "scale")}
    return out
