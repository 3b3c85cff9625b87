"""Borusyak, Jaravel & Spiess (2024) imputation estimator for staggered adoption.

Borusyak, K., Jaravel, X. and Spiess, J. (2024). Revisiting event-study designs: robust and
efficient estimation. Review of Economic Studies 91(6), 3253-3285.

Theorem 2 (the estimator). With Omega_1 the treated observations (g_i > 0, t >= g_i) and Omega_0
the untreated ones (never treated, and not yet treated):

1. fit ``y_it = a_i + l_t + x_it' d + e_it`` by OLS on Omega_0 only;
2. impute ``Y_it(0) = a_i + l_t + x_it' d`` and ``tau_it = y_it - Y_it(0)`` on Omega_1;
3. average: ``tau_w = sum_{Omega_1} w_it tau_it``; here the overall ATT (w = 1/N_1 on every
   treated observation) and one estimand per horizon h = t - g (w = 1/N_h on horizon h).

The estimator is linear in y: ``tau_w = sum_it v_it y_it`` with v_it = w_it on Omega_1 and
``v_0 = -A_0 (A_0'A_0)^-1 A_1' w_1`` on Omega_0 (A: unit dummies, time dummies, covariates).

Theorem 3 (conservative variance): ``Var = sum_c (sum_{it in c} v_it eps_it)^2`` over clusters c,
with eps_it the Step-1 residual on Omega_0 and, on Omega_1, ``tau_it - tau_tilde_it`` where
tau_tilde is an auxiliary model of the effects: within each group of the partition (by default
cohort x horizon, the paper's and R ``didimputation``'s default) the v-weighted average of the
tau_it (eq. 8, the unit-clustered form: sum_i a_i b_i / sum_i a_i^2 with a_i = sum_t v_it and
b_i = sum_t v_it tau_it over unit i's observations in the group).

Variant used (``leave_out=True``, the default): the leave-one-out refinement of the paper's
Supplementary Appendix A.9, which the authors' Stata ``did_imputation`` offers as ``leaveout``
and recommend: the plain aux-model residual is computed with the unit's own tau_it inside
tau_tilde, which overfits and biases the variance down in small groups; leaving unit i out
rescales its residual by ``D_g / (D_g - a_i^2)`` with ``D_g = sum_j a_j^2`` (exactly the direct
leave-out), giving an estimate that is unbiased for an upper bound of the variance
(Proposition A8). Groups with a single unit keep the plain residual (leave-out is undefined).
``leave_out=False`` gives the plain Theorem 3 estimator (R ``didimputation``'s choice).
No small-sample factor is applied (none is in the paper). The covariance between targets
j, k is ``sum_c psi_jc psi_kc`` with each target's own auxiliary residuals.

Pre-trend test (Section 4.4, Test 1): ``pretrends=K`` regresses y on unit and time effects,
covariates and lead dummies 1[t - g_i = -k], k = 1..K, on Omega_0 only, with CR1 cluster-robust
standard errors, and reports the lead coefficients and their joint Wald test in
``details["pretrends"]``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.sparse.linalg import splu

from evalkit.did.results import EstimatesResult, estimator_provenance
from evalkit.errors import ConfigError, DataWarning, DesignError, check_choice
from evalkit.fe import cluster_codes, factor_codes, fit_ols_fe, prepare_panel
from evalkit.i18n import Message

__all__ = ["did_imputation"]

_PARTITIONS = ("cohort_horizon", "cohort", "horizon")


def _design(unit: np.ndarray, time: np.ndarray, cov: np.ndarray, n_units: int,
            n_times: int) -> sparse.csr_matrix:
    """[all unit dummies, time dummies but the first, covariates], shape (n, N + T - 1 + k)."""
    n = unit.size
    keep_t = time > 0
    rows = np.r_[np.arange(n), np.flatnonzero(keep_t)]
    cols = np.r_[unit, n_units + time[keep_t] - 1]
    fe = sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n_units + n_times - 1))
    if cov.shape[1]:
        return sparse.hstack([fe, sparse.csr_matrix(cov)], format="csr")
    return fe


def _aux_residuals(tau: np.ndarray, v1: np.ndarray, group: np.ndarray, unit: np.ndarray,
                   leave_out: bool) -> tuple[np.ndarray, int]:
    """Theorem 3 treated residuals tau - tau_tilde (eq. 8), with the A.9 leave-out rescale.

    ``tau``, ``v1``, ``group``, ``unit`` have shape (n1,). Returns ((n1,), number of groups
    with a single contributing unit, where leave-out falls back to the plain residual).
    """
    frame = pd.DataFrame({"g": group, "u": unit, "v": v1, "vt": v1 * tau})
    per_unit = frame.groupby(["g", "u"], sort=False).agg(a=("v", "sum"), b=("vt", "sum"))
    per_unit["ab"] = per_unit["a"] * per_unit["b"]
    per_unit["a2"] = per_unit["a"] ** 2
    per_group = per_unit.groupby(level="g").agg(num=("ab", "sum"), den=("a2", "sum"),
                                                npos=("a2", lambda s: int((s > 0).sum())))
    ok = per_group["den"] > 0
    tilde = (per_group["num"] / per_group["den"].where(ok)).reindex(group).to_numpy()
    # A group with all-zero weights for this target adds nothing to its variance.
    tilde = np.where(np.isfinite(tilde), tilde, 0.0)
    resid = tau - tilde
    n_single = 0
    if leave_out:
        den = per_group["den"].reindex(per_unit.index.get_level_values("g")).to_numpy()
        npos = per_group["npos"].reindex(per_unit.index.get_level_values("g")).to_numpy()
        other = den - per_unit["a2"].to_numpy()
        fallback = (npos < 2) | (other <= 1e-12 * np.maximum(den, 1e-300))
        factor = np.where(fallback, 1.0, den / np.where(fallback, 1.0, other))
        f = pd.Series(factor, index=per_unit.index)
        idx = pd.MultiIndex.from_arrays([group, unit])
        resid = resid * f.reindex(idx).to_numpy()
        active = per_group["den"] > 0
        n_single = int(((per_group["npos"] < 2) & active).sum())
    return resid, n_single


def did_imputation(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
                   horizons: Sequence[int] | None = None, pretrends: int | None = None,
                   covariates: Sequence[str] = (), clustervars: Sequence[str] | None = None,
                   aux_partition: str = "cohort_horizon", leave_out: bool = True,
                   alpha: float = 0.05) -> EstimatesResult:
    """Borusyak-Jaravel-Spiess (2024) imputation estimator with their conservative SEs.

    ``data``: long panel (balanced or not; ``gname`` first treated period, 0 = never).
    ``horizons``: the event times h >= 0 to report (default: every horizon observed).
    ``pretrends``: number K of leads for the Test-1 pre-trend regression (default none).
    Returns an :class:`~evalkit.did.results.EstimatesResult` with terms ``"att"`` (every treated
    observation) and ``"e=<h>"``, their (m, m) Theorem-3 covariance, and in ``details`` the
    imputed effects ``tau`` (n1,) with their ``unit``/``time`` and the Step-1 coefficients.
    Treated observations whose unit or period has no untreated observation cannot be imputed;
    they are left out of every estimand with a :class:`DataWarning` stating how many.
    """
    check_choice("aux_partition", aux_partition, _PARTITIONS)
    check_choice("leave_out", leave_out, (True, False))
    clustervars = (idname,) if clustervars is None else clustervars
    cl = (clustervars,) if isinstance(clustervars, str) else tuple(clustervars)
    covariates = list(covariates)
    df = prepare_panel(data, yname, tname, idname, gname, [*covariates, *cl])
    t = df[tname].to_numpy(dtype=float)
    g = df[gname].to_numpy(dtype=float)
    g = np.where(g > t.max(), 0.0, g)
    treated = (g > 0) & (t >= g)
    if not treated.any():
        raise DesignError(Message("errors.did.imputation.did_imputation_treated_observations"))
    if treated.all():
        raise DesignError(Message("errors.did.imputation.did_imputation_untreated_observations"))
    uc, n_units = factor_codes(df[idname])
    tc, n_times = factor_codes(df[tname])
    has0_u = np.bincount(uc[~treated], minlength=n_units) > 0
    has0_t = np.bincount(tc[~treated], minlength=n_times) > 0
    imputable = has0_u[uc] & has0_t[tc]
    lost = treated & ~imputable
    if lost.any():
        warnings.warn(DataWarning(Message("warnings.did.imputation.did_imputation_treated_observation",
                                          sum_lost=int(lost.sum()))), stacklevel=2)
    keep = ~lost
    df, t, g, treated = (df.loc[keep].reset_index(drop=True), t[keep], g[keep], treated[keep])
    uc, n_units = factor_codes(df[idname])
    tc, n_times = factor_codes(df[tname])
    y = df[yname].to_numpy(dtype=float)
    cov = df[covariates].to_numpy(dtype=float) if covariates else np.zeros((len(df), 0))
    i0, i1 = np.flatnonzero(~treated), np.flatnonzero(treated)
    # Step 1 on Omega_0. Unit codes of units with no untreated row were removed above; the
    # remaining treated-only periods/units cannot occur, so the design below has full rank
    # whenever the untreated observations form a connected panel.
    a0 = _design(uc[i0], tc[i0], cov[i0], n_units, n_times)
    a1 = _design(uc[i1], tc[i1], cov[i1], n_units, n_times)
    try:
        lu = splu((a0.T @ a0).tocsc())
    except RuntimeError as exc:
        raise DesignError(Message("errors.did.imputation.did_imputation_model_y_2")) from exc
    theta = lu.solve(a0.T @ y[i0])
    if not np.all(np.isfinite(theta)):
        raise DesignError(Message("errors.did.imputation.did_imputation_model_y"))
    eps0 = y[i0] - a0 @ theta
    tau = y[i1] - a1 @ theta
    e1 = (t[i1] - g[i1]).astype(int)

    observed_h = np.unique(e1)
    if horizons is None:
        hs = [int(h) for h in observed_h]
    else:
        hs = [int(h) for h in horizons]
        missing = [h for h in hs if h not in set(observed_h.tolist())]
        if missing:
            raise ConfigError(Message("errors.did.imputation.horizons_among_observed_event",
                                      observed_h=observed_h.tolist(), missing=missing))
    w1 = np.zeros((len(i1), 1 + len(hs)))
    w1[:, 0] = 1.0 / len(i1)
    for j, h in enumerate(hs, start=1):
        m = e1 == h
        w1[m, j] = 1.0 / m.sum()
    est = w1.T @ tau

    # Theorem 3.
    v0 = -(a0 @ lu.solve(np.asarray(a1.T @ w1)))                 # (n0, m)
    if aux_partition == "cohort_horizon":
        group = pd.factorize(pd.MultiIndex.from_arrays([g[i1], e1]))[0]
    elif aux_partition == "cohort":
        group = pd.factorize(g[i1])[0]
    else:
        group = pd.factorize(e1)[0]
    clusters = cluster_codes(df, cl)
    n_cl = int(clusters.max()) + 1
    psi = np.zeros((n_cl, w1.shape[1]))
    n_single = 0
    for j in range(w1.shape[1]):
        resid1, ns = _aux_residuals(tau, w1[:, j], group, uc[i1], leave_out)
        n_single = max(n_single, ns)
        psi[:, j] = (np.bincount(clusters[i1], weights=w1[:, j] * resid1, minlength=n_cl)
                     + np.bincount(clusters[i0], weights=v0[:, j] * eps0, minlength=n_cl))
    vcov = psi.T @ psi
    if leave_out and n_single:
        warnings.warn(DataWarning(Message("warnings.did.imputation.did_imputation_auxiliary_group",
                                          n_single=n_single)), stacklevel=2)

    details: dict = {"tau": tau, "unit": df[idname].to_numpy()[i1], "time": t[i1],
                     "cohort": g[i1], "coef_covariates": theta[n_units + n_times - 1:],
                     "aux_partition": aux_partition, "leave_out": leave_out}
    if pretrends:
        details["pretrends"], details["pretrend_wald"] = _pretrend_test(
            df.loc[i0].reset_index(drop=True), yname, tname, idname, gname, covariates, cl,
            int(pretrends), alpha)
    return EstimatesResult(
        method="did_imputation", terms=("att", *(f"e={h}" for h in hs)), estimate=est,
        vcov=(vcov + vcov.T) / 2, event=np.r_[np.nan, np.array(hs, dtype=float)],
        n_obs=len(df), n_units=n_units, n_clusters=n_cl, alpha=alpha, details=details,
        provenance=estimator_provenance("did_imputation", "Borusyak, Jaravel & Spiess (2024), Review "
                               "of Economic Studies 91(6) 3253-3285, Theorems 2-3, App. A.9",
                               yname=yname, tname=tname, idname=idname, gname=gname,
                               horizons=horizons, pretrends=pretrends, covariates=covariates,
                               clustervars=list(cl), aux_partition=aux_partition,
                               leave_out=leave_out))


def _pretrend_test(df0: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
                   covariates: list[str], cl: tuple[str, ...], k: int,
                   alpha: float) -> tuple[EstimatesResult, dict]:
    """BJS Test 1: leads 1[t - g = -j], j = 1..k, in a FE regression on untreated rows."""
    if k < 1:
        raise ConfigError(Message("errors.did.imputation.pretrends_positive_number_leads", k=k))
    g = df0[gname].to_numpy(dtype=float)
    rel = np.where(g > 0, df0[tname].to_numpy(dtype=float) - g, np.nan)
    leads = [j for j in range(1, k + 1) if np.any(rel == -j)]
    if not leads:
        raise DesignError(Message("errors.did.imputation.did_imputation_pre_treatment"))
    names = [f"__lead{j}" for j in leads]
    for j, nm in zip(leads, names, strict=True):
        df0[nm] = (rel == -j).astype(float)
    clusters = cluster_codes(df0, cl)
    beta, v, n_cl, used = fit_ols_fe(df0, yname, [*names, *covariates], idname, tname,
                                      clusters, "auto")
    m = len(leads)
    b, vv = beta[:m], v[:m, :m]
    wald = float(b @ np.linalg.solve(vv, b))
    test = {"stat": wald, "df": m, "p_value": float(stats.chi2.sf(wald, m)),
            "f_stat": wald / m, "f_p_value": float(stats.f.sf(wald / m, m, n_cl - 1))}
    res = EstimatesResult(
        method="did_imputation_pretrends", terms=tuple(f"e={-j}" for j in leads), estimate=b,
        vcov=vv, event=-np.array(leads, dtype=float), n_obs=len(df0),
        n_units=int(df0[idname].nunique()), n_clusters=n_cl, alpha=alpha,
        details={"fit": used, "wald": test},
        provenance=estimator_provenance("did_imputation_pretrends", "Borusyak, Jaravel & Spiess (2024), "
                               "Section 4.4, Test 1", leads=leads))
    return res, test
