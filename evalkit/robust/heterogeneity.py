"""Effects by subgroup (industry section, size class, area, cluster) with multiple-testing control.

For each subgroup s (a time-invariant firm attribute) the chosen estimator -- by default
Callaway & Sant'Anna (2021) ``att_gt`` and ``aggte(type="simple")`` -- is run on the subgroup's
firms, giving ``theta_s`` and its influence function. The S influence functions are stacked on
the union of firms (each rescaled by N / n_s so that ``theta_hat - theta ~ mean_i IF_i`` over all N
firms), which gives their joint covariance ``V = sum_c S_c S_c' / N^2`` (cluster sums S_c; for
disjoint subgroups clustered by firm V is diagonal, for clusters that cut across subgroups it is
not) and one shared multiplier bootstrap (:func:`evalkit.did.bootstrap.multiplier_draws`).

Adjusted p-values for the S hypotheses ``theta_s = 0``:

* Holm (1979), "A simple sequentially rejective multiple test procedure", Scandinavian Journal
  of Statistics 6(2) 65-70: ``p_(j) -> max_{i <= j} min(1, (S - i + 1) p_(i))``;
* Romano & Wolf (2005), "Stepwise multiple testing as formalized data snooping", Econometrica
  73(4) 1237-1282 (stepdown with the bootstrap max-|t| of the hypotheses not yet rejected; as in
  Clarke, Romano & Wolf 2020, Stata Journal 20(4) ``rwolf``): with |t| sorted decreasingly,
  ``p_(j) = max(p_(j-1), P*(max_{i >= j} |t*_(i)| >= |t_(j)|))``, where ``t*_s`` are bootstrap
  t-statistics ``(theta*_s - theta_hat_s) / se_s`` from the joint multiplier bootstrap. It
  accounts for the dependence between the estimates and is never larger than Holm asymptotically.

Equality test: ``H0: theta_1 = ... = theta_S`` by the Wald statistic ``(C theta)' (C V C')^{-1}
(C theta) ~ chi2(S - 1)`` with C the differences from the first subgroup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

import evalkit
from evalkit.conventions import RngLike, as_rng, pick, seed_of
from evalkit.did.aggte import AGGTE_TYPES, aggte
from evalkit.did.att_gt import att_gt
from evalkit.did.bootstrap import BOOTSTRAP_WEIGHTS, multiplier_draws
from evalkit.did.results import AggteResult
from evalkit.errors import ConfigError, DataError, DesignError, check_choice
from evalkit.i18n import Message
from evalkit.results import Result, json_safe

__all__ = ["HeterogeneityResult", "heterogeneity", "holm", "plot_subgroups", "romano_wolf"]


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values, same order as the input (S,)."""
    p = np.asarray(p_values, dtype=float)
    s = p.size
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, (s - np.arange(s)) * p[order])
    adj = np.maximum.accumulate(adj)
    out = np.empty(s)
    out[order] = adj
    return out


def romano_wolf(t_stat: np.ndarray, t_boot: np.ndarray) -> np.ndarray:
    """Romano-Wolf (2005) step-down adjusted p-values (S,) from observed t-statistics (S,) and
    bootstrap t-statistics centred at the estimate, ``t_boot`` (B, S); two-sided."""
    t = np.abs(np.asarray(t_stat, dtype=float))
    tb = np.abs(np.asarray(t_boot, dtype=float))
    order = np.argsort(-t, kind="stable")
    s = t.size
    # running max over the hypotheses from step j on: max_{i >= j} |t*_(i)|
    tail_max = np.maximum.accumulate(tb[:, order][:, ::-1], axis=1)[:, ::-1]   # (B, S)
    raw = np.mean(tail_max >= t[order][None, :], axis=0)
    adj = np.maximum.accumulate(raw)
    out = np.empty(s)
    out[order] = adj
    return out


@dataclass(frozen=True, eq=False, repr=False)
class HeterogeneityResult(Result):
    """Subgroup effects. Arrays (S,): ``subgroup`` labels, ``estimate``, ``std_error``,
    ``n_units``, ``p_value`` (normal, unadjusted), ``p_boot`` (bootstrap, unadjusted),
    ``p_holm``, ``p_romano_wolf``; ``vcov`` (S, S); the equality test ``wald_stat``,
    ``wald_df``, ``wald_p_value``."""

    by: str
    subgroup: np.ndarray
    estimate: np.ndarray
    std_error: np.ndarray
    n_units: np.ndarray
    p_value: np.ndarray
    p_boot: np.ndarray
    p_holm: np.ndarray
    p_romano_wolf: np.ndarray
    vcov: np.ndarray
    wald_stat: float
    wald_df: int
    wald_p_value: float
    alpha: float
    biters: int
    seed: int | None
    provenance: dict[str, Any] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """One row per subgroup: term ``<by>=<value>``, estimate, std_error, conf_low,
        conf_high, p_value (unadjusted), then subgroup, n_units, p_boot, p_holm,
        p_romano_wolf."""
        z = stats.norm.ppf(1 - self.alpha / 2)
        return pd.DataFrame({
            "term": [f"{self.by}={v}" for v in self.subgroup.tolist()],
            "estimate": self.estimate, "std_error": self.std_error,
            "conf_low": self.estimate - z * self.std_error,
            "conf_high": self.estimate + z * self.std_error,
            "p_value": self.p_value, "subgroup": self.subgroup, "n_units": self.n_units,
            "p_boot": self.p_boot, "p_holm": self.p_holm, "p_romano_wolf": self.p_romano_wolf,
        })

    def summary(self) -> str:
        lines = [f"Effects by {self.by} ({self.provenance.get('estimator', '')})",
                 self.tidy().drop(columns=["term"]).to_string(index=False, float_format="%.4g"),
                 f"  equal effects across {self.subgroup.size} subgroups: Wald chi2("
                 f"{self.wald_df}) = {self.wald_stat:.3f}, p = {self.wald_p_value:.4g}",
                 "  adjusted p-values: Holm (1979), Romano-Wolf (2005) stepdown with "
                 f"{self.biters} multiplier-bootstrap draws (seed {self.seed})"]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"kind": "heterogeneity", "by": self.by, "estimates": self.tidy(),
                          "vcov": self.vcov, "wald_stat": self.wald_stat,
                          "wald_df": self.wald_df, "wald_p_value": self.wald_p_value,
                          "alpha": self.alpha, "biters": self.biters, "seed": self.seed,
                          "provenance": self.provenance})


def _firm_attribute(data: pd.DataFrame, idname: str, by: str) -> pd.Series:
    if by not in data.columns:
        raise DataError(Message("errors.robust.heterogeneity.column_found_data", by=by), column=by,
                        fix=Message("errors.robust.heterogeneity.fix_name_firm_attribute_such"))
    if data[by].isna().any():
        r = int(np.flatnonzero(data[by].isna().to_numpy())[0])
        raise DataError(Message("errors.robust.heterogeneity.subgroup_column_missing_values",
                                by=by), column=by, row=r + 2,
                        fix=Message("errors.robust.heterogeneity.fix_fill_them_drop_these"))
    n_by = data.groupby(idname, sort=False)[by].nunique()
    if (n_by > 1).any():
        firm = n_by.index[(n_by > 1).to_numpy()][0]
        raise DataError(Message("errors.robust.heterogeneity.firm_changes_over_time", firm=firm,
                                by=by), column=by,
                        fix=Message("errors.robust.heterogeneity.fix_use_value_base_year"))
    return data.groupby(idname, sort=False)[by].first()


def heterogeneity(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
                  by: str, covariates: Sequence[str] = (), control_group: str = "nevertreated",
                  est_method: str = "dr", aggregation: str = "simple",
                  clustervars: Sequence[str] = (), alpha: float = 0.05,
                  biters: int | None = None, bootstrap_weights: str = "mammen",
                  seed: int | None = None,
                  estimator: Callable[[pd.DataFrame], AggteResult] | None = None, *,
                  rng: RngLike = None, n_draws: int | None = None) -> HeterogeneityResult:
    """Effects by the firm attribute ``by`` with Holm and Romano-Wolf adjusted p-values and a
    test of equal effects (module docstring).

    Default estimator: ``att_gt(covariates, control_group, est_method, clustervars)`` then
    ``aggte(type=aggregation)``'s overall ATT. ``estimator`` replaces it: a function of the
    subgroup's rows returning an :class:`~evalkit.did.results.AggteResult` (its
    ``inf_func_overall`` and ``unit_ids`` are used). ``clustervars``: one firm-level column;
    clusters may cut across subgroups (the covariance is then not block-diagonal).
    ``n_draws`` (R's ``biters``, default 9999) draws of the joint multiplier bootstrap from
    ``rng`` (a Generator or an int seed, default 0; ``seed`` is its deprecated alias).
    """
    biters = int(pick("n_draws", n_draws, 9999, biters=biters))
    rng = as_rng(rng, seed, default=0)
    seed = seed_of(rng)
    check_choice("aggregation", aggregation, AGGTE_TYPES)
    check_choice("bootstrap_weights", bootstrap_weights, BOOTSTRAP_WEIGHTS)
    if biters < 99:
        raise ConfigError(Message("errors.robust.heterogeneity.biters_least", biters=biters))
    attr = _firm_attribute(data, idname, by)
    levels = np.sort(attr.unique())
    if levels.size < 2:
        raise DesignError(Message("errors.robust.heterogeneity.subgroup_column_single_value",
                                  by=by, levels=levels.tolist()))
    all_ids = np.sort(attr.index.to_numpy())
    N = all_ids.size
    pos = pd.Series(np.arange(N), index=all_ids)
    S = levels.size
    inf = np.zeros((N, S))
    est, n_units = np.zeros(S), np.zeros(S, dtype=np.int64)
    firm_of_row = pd.Series(data[idname].to_numpy())
    for k, level in enumerate(levels.tolist()):
        members = attr.index[(attr == level).to_numpy()]
        sub = data.loc[firm_of_row.isin(members).to_numpy()]  # hash-based: fast on string ids
        try:
            if estimator is None:
                res = aggte(att_gt(sub, yname, tname, idname, gname, covariates=covariates,
                                   control_group=control_group, est_method=est_method,
                                   clustervars=clustervars), type=aggregation)
            else:
                res = estimator(sub)
        except DesignError as exc:
            raise DesignError(Message("errors.robust.heterogeneity.subgroup", by=by, level=level,
                                      exc=exc)) from exc
        ids = np.asarray(res.unit_ids)
        inf[pos[ids].to_numpy(), k] = np.asarray(res.inf_func_overall) * (N / res.n_units)
        est[k], n_units[k] = res.overall_att, res.n_units
    cluster = None
    if clustervars:
        cl = data.groupby(idname, sort=False)[clustervars[0]].first().reindex(all_ids)
        cluster = pd.factorize(cl.to_numpy(), sort=True)[0].astype(np.int64)
    sums = inf if cluster is None else np.zeros((int(cluster.max()) + 1, S))
    if cluster is not None:
        np.add.at(sums, cluster, inf)
    vcov = sums.T @ sums / N ** 2
    se = np.sqrt(np.diag(vcov))
    if not np.all(se > 0):
        raise DesignError(Message("errors.robust.heterogeneity.subgroup_zero_standard_error",
                                  by=by))
    t = est / se
    p = 2 * stats.norm.sf(np.abs(t))
    bres, n_c = multiplier_draws(inf, np.random.default_rng(rng), biters, cluster,
                                 bootstrap_weights)
    t_boot = bres * np.sqrt(n_c) / N / se[None, :]
    p_boot = np.mean(np.abs(t_boot) >= np.abs(t)[None, :], axis=0)
    C = np.column_stack([-np.ones(S - 1), np.eye(S - 1)])
    d = C @ est
    wald = float(d @ np.linalg.solve(C @ vcov @ C.T, d))
    prov = {"estimator": ("Callaway & Sant'Anna (2021) att_gt + aggte(" + aggregation + ")"
                          if estimator is None else getattr(estimator, "__name__", "custom")),
            "reference": "Holm (1979) SJS 6(2); Romano & Wolf (2005) Econometrica 73(4)",
            "evalkit_version": evalkit.__version__,
            "options": json_safe({"by": by, "covariates": list(covariates),
                                  "control_group": control_group, "est_method": est_method,
                                  "aggregation": aggregation, "clustervars": list(clustervars),
                                  "alpha": alpha, "biters": biters,
                                  "bootstrap_weights": bootstrap_weights, "seed": seed})}
    return HeterogeneityResult(
        by=by, subgroup=levels, estimate=est, std_error=se, n_units=n_units, p_value=p,
        p_boot=p_boot, p_holm=holm(p), p_romano_wolf=romano_wolf(t, t_boot), vcov=vcov,
        wald_stat=wald, wald_df=S - 1, wald_p_value=float(stats.chi2.sf(wald, S - 1)),
        alpha=alpha, biters=int(biters), seed=seed, provenance=prov)


def plot_subgroups(result: HeterogeneityResult, ax=None):
    """Forest plot: one row per subgroup, estimate with its (1 - alpha) interval, labelled with
    the Romano-Wolf adjusted p-value. Returns the matplotlib Axes."""
    if ax is None:
        from evalkit.plotting import new_axes

        ax = new_axes((6, 0.5 * result.subgroup.size + 1.5))
    tidy = result.tidy()
    y = np.arange(len(tidy))
    ax.errorbar(tidy["estimate"], y, xerr=[tidy["estimate"] - tidy["conf_low"],
                tidy["conf_high"] - tidy["estimate"]], fmt="s", color="#1f77b4", capsize=3)
    ax.axvline(0.0, color="black", linestyle="--", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{s} (n={n}, RW p={p:.3f})" for s, n, p in
                        zip(tidy["subgroup"], tidy["n_units"], tidy["p_romano_wolf"],
                            strict=True)], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("effect (ATT)")
    ax.set_title(f"Effects by {result.by}; equality p = {result.wald_p_value:.3g}")
    return ax
