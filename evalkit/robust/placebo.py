"""Placebo tests for a staggered difference-in-differences estimate (Callaway & Sant'Anna 2021).

**Placebo in time.** Every treated firm is assigned a fake adoption year ``g - shift``; the
Callaway-Sant'Anna ATT(g, t) of the fake cohorts are estimated with :func:`evalkit.did.att_gt`,
and only the fake post-treatment cells before the real adoption (event times
``0 .. shift - 1``, so t < g) are aggregated -- they use outcomes from before any real treatment
(the cell (g - shift, t) compares t with a base period before g - shift). Under parallel trends
(and no anticipation) they estimate zero. Cohorts without a period before their fake adoption
are left out (listed in ``dropped_cohorts``).

**Placebo in units** (a permutation test in the spirit of Abadie, Diamond & Hainmueller 2010 and
Bertrand, Duflo & Mullainathan 2004): the treated firms are removed; among the never-treated
firms a random subset, as large as the treated share, receives adoption years drawn from the
treated firms' cohorts; the estimator is rerun, R times with one seeded generator. The real
estimate's permutation p-value is ``(1 + #{|placebo_r| >= |real|}) / (R + 1)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import evalkit
from evalkit.conventions import RngLike, as_rng, pick, seed_of
from evalkit.did.aggte import aggte
from evalkit.did.att_gt import att_gt
from evalkit.did.results import AggteResult
from evalkit.errors import ConfigError, DataError, DataWarning, DesignError
from evalkit.i18n import Message
from evalkit.results import Result, json_safe, tidy_frame

__all__ = ["PlaceboTimeResult", "PlaceboUnitsResult", "placebo_in_time", "placebo_in_units",
           "plot_placebo_units"]


def _cohorts(data: pd.DataFrame, idname: str, gname: str) -> pd.Series:
    for c in (idname, gname):
        if c not in data.columns:
            raise DataError(Message("errors.robust.placebo.column_found_data", c=c), column=c)
    g = pd.to_numeric(data[gname], errors="coerce")
    if g.isna().any():
        r = int(np.flatnonzero(g.isna().to_numpy())[0])
        raise DataError(Message("errors.robust.placebo.column_numeric", gname=gname), column=gname,
                        row=r + 2)
    per = g.groupby(data[idname].to_numpy()).agg(["min", "max"])
    if (per["min"] != per["max"]).any():
        raise DataError(Message("errors.robust.placebo.column_changes_within_firm", gname=gname),
                        column=gname)
    return per["min"].astype(np.int64)


@dataclass(frozen=True, eq=False, repr=False)
class PlaceboTimeResult(Result):
    """Placebo-in-time estimate. ``estimate``/``std_error`` the overall placebo ATT (fake
    post cells with t < real adoption, cohort-size weighted); ``event`` (k,), ``att_event``,
    ``se_event`` by fake event time; ``shift``; ``dropped_cohorts``."""

    shift: int
    estimate: float
    std_error: float
    event: np.ndarray
    att_event: np.ndarray
    se_event: np.ndarray
    dropped_cohorts: tuple[int, ...]
    n_units: int
    alpha: float
    provenance: dict[str, Any] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """Row ``placebo`` (overall), then ``e=<e>`` rows (column event)."""
        terms = ["placebo", *[f"e={e}" for e in self.event.tolist()]]
        return tidy_frame(terms, np.r_[self.estimate, self.att_event],
                          np.r_[self.std_error, self.se_event], self.alpha,
                          event=pd.array([None, *self.event.tolist()], dtype="Int64"))

    @property
    def p_value(self) -> float:
        return float(self.tidy()["p_value"].iloc[0])

    def summary(self) -> str:
        t = self.tidy().iloc[0]
        return (f"Placebo in time (adoption moved {self.shift} period(s) earlier): ATT "
                f"{t.estimate:.4f} (SE {t.std_error:.4f}), p = {t.p_value:.4f}; "
                f"{self.n_units} firms" + (f"; cohorts left out: {list(self.dropped_cohorts)}"
                                           if self.dropped_cohorts else ""))

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"kind": "placebo_in_time", "shift": self.shift,
                          "estimates": self.tidy(), "dropped_cohorts": self.dropped_cohorts,
                          "n_units": self.n_units, "provenance": self.provenance})


def placebo_in_time(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
                    shift: int = 2, covariates: Sequence[str] = (),
                    control_group: str = "nevertreated", est_method: str = "dr",
                    alpha: float = 0.05) -> PlaceboTimeResult:
    """Placebo-in-time test: adoption moved ``shift`` periods earlier (module docstring)."""
    if int(shift) != shift or shift < 1:
        raise ConfigError(Message("errors.robust.placebo.shift_positive_integer", shift=shift))
    shift = int(shift)
    g = _cohorts(data, idname, gname)
    tvals = pd.to_numeric(data[tname], errors="coerce")
    first = int(tvals.min())
    fake = g.where(g == 0, g - shift)
    bad = sorted(int(c) for c in g[(g > 0) & (fake <= first)].unique())
    if bad:
        warnings.warn(DataWarning(Message("warnings.robust.placebo.placebo_time_cohorts_period",
                                          bad=bad, shift=shift)), stacklevel=2)
    keep_ids = g.index[~g.isin(bad).to_numpy()]
    d = data.loc[data[idname].isin(keep_ids)].copy()
    if not (fake.loc[keep_ids] > 0).any():
        raise DesignError(Message("errors.robust.placebo.cohort_period_before_adoption",
                                  shift=shift))
    d["__fake_g"] = d[idname].map(fake).to_numpy()
    res = att_gt(d, yname, tname, idname, "__fake_g", covariates=covariates,
                 control_group=control_group, est_method=est_method, alp=alpha)
    simple = aggte(res, type="simple", max_e=shift - 1)
    dyn = aggte(res, type="dynamic", min_e=0, max_e=shift - 1)
    prov = {"estimator": "placebo in time on Callaway & Sant'Anna (2021) att_gt",
            "evalkit_version": evalkit.__version__,
            "options": json_safe({"shift": shift, "covariates": list(covariates),
                                  "control_group": control_group, "est_method": est_method})}
    return PlaceboTimeResult(shift=shift, estimate=simple.overall_att,
                             std_error=simple.overall_se, event=dyn.egt, att_event=dyn.att_egt,
                             se_event=dyn.se_egt, dropped_cohorts=tuple(bad),
                             n_units=res.n_units, alpha=alpha, provenance=prov)


@dataclass(frozen=True, eq=False, repr=False)
class PlaceboUnitsResult(Result):
    """Placebo-in-units permutation test. ``estimate``/``std_error`` the real estimate;
    ``placebo`` (R,) the placebo estimates; ``p_value`` the permutation p-value."""

    estimate: float
    std_error: float
    placebo: np.ndarray
    p_value: float
    aggregation: str
    n_pseudo_treated: int
    seed: int | None
    alpha: float
    provenance: dict[str, Any] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """One row: the real estimate with its analytic SE and interval, and the permutation
        p_value; plus placebo_mean, placebo_sd, n_placebo."""
        t = tidy_frame(["att"], [self.estimate], [self.std_error], self.alpha)
        t["p_value"] = self.p_value
        t["placebo_mean"] = float(self.placebo.mean())
        t["placebo_sd"] = float(self.placebo.std(ddof=1))
        t["n_placebo"] = self.placebo.size
        return t

    def summary(self) -> str:
        return (f"Placebo in units ({self.placebo.size} random assignments of never-treated "
                f"firms, seed {self.seed}): real ATT {self.estimate:.4f}; placebo mean "
                f"{self.placebo.mean():.4f}, sd {self.placebo.std(ddof=1):.4f}; permutation "
                f"p = {self.p_value:.4f}")

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"kind": "placebo_in_units", "estimates": self.tidy(),
                          "placebo": self.placebo, "aggregation": self.aggregation,
                          "seed": self.seed, "provenance": self.provenance})


def _estimate(d, yname, tname, idname, gname, covariates, est_method, aggregation, alpha):
    return aggte(att_gt(d, yname, tname, idname, gname, covariates=covariates,
                        est_method=est_method, alp=alpha), type=aggregation)


def placebo_in_units(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
                     R: int | None = None, seed: int | None = None,
                     covariates: Sequence[str] = (), est_method: str = "dr",
                     aggregation: str = "simple", alpha: float = 0.05, *,
                     rng: RngLike = None, n_draws: int | None = None) -> PlaceboUnitsResult:
    """Placebo-in-units permutation test (module docstring). Uses never-treated controls; the
    pseudo-treated share of never-treated firms equals the treated share of all firms.
    ``n_draws`` (alias ``R``, default 199) permutations drawn from ``rng`` (a Generator or an
    int seed, default 0; ``seed`` is its deprecated alias)."""
    R = int(pick("n_draws", n_draws, 199, R=R))
    rng = as_rng(rng, seed, default=0)
    seed = seed_of(rng)
    if R < 19:
        raise ConfigError(Message("errors.robust.placebo.r_least", r=R))
    g = _cohorts(data, idname, gname)
    treated_g = g[g > 0].to_numpy()
    never = g.index[(g == 0).to_numpy()].to_numpy()
    if treated_g.size == 0 or never.size < 4:
        raise DesignError(Message("errors.robust.placebo.placebo_units_needs_treated"))
    real: AggteResult = _estimate(data, yname, tname, idname, gname, covariates, est_method,
                                  aggregation, alpha)
    m = round(never.size * treated_g.size / g.size)
    m = min(max(m, 2), never.size - 2)
    rng = np.random.default_rng(rng)
    pool = data.loc[data[idname].isin(never)].copy()
    firm = pool[idname].to_numpy()
    placebo = np.empty(int(R))
    for r in range(int(R)):
        chosen = rng.choice(never, size=m, replace=False)
        cohorts = rng.choice(treated_g, size=m, replace=m > treated_g.size)
        fake = pd.Series(cohorts, index=chosen)
        pool["__fake_g"] = pd.Series(firm).map(fake).fillna(0).to_numpy(dtype=np.int64)
        placebo[r] = _estimate(pool, yname, tname, idname, "__fake_g", covariates, est_method,
                               aggregation, alpha).overall_att
    p = (1 + np.sum(np.abs(placebo) >= abs(real.overall_att))) / (R + 1)
    prov = {"estimator": "placebo in units (permutation) on Callaway & Sant'Anna (2021)",
            "evalkit_version": evalkit.__version__,
            "options": json_safe({"R": R, "seed": seed, "covariates": list(covariates),
                                  "est_method": est_method, "aggregation": aggregation})}
    return PlaceboUnitsResult(estimate=real.overall_att, std_error=real.overall_se,
                              placebo=placebo, p_value=float(p), aggregation=aggregation,
                              n_pseudo_treated=m, seed=seed, alpha=alpha, provenance=prov)


def plot_placebo_units(result: PlaceboUnitsResult, ax=None):
    """Histogram of the placebo estimates with the real estimate marked. Returns the Axes."""
    if ax is None:
        from evalkit.plotting import new_axes

        ax = new_axes((6, 4))
    ax.hist(result.placebo, bins=30, color="#7f7f7f", alpha=0.8, label="placebo assignments")
    ax.axvline(result.estimate, color="#d62728", linewidth=2, label="real estimate")
    ax.set_xlabel("ATT")
    ax.set_ylabel("count")
    ax.set_title(f"Placebo in units: permutation p = {result.p_value:.3f}")
    ax.legend(loc="best", frameon=False)
    return ax
