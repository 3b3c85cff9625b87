"""Results objects of the staggered difference-in-differences engine.

:class:`ATTgtResult` holds the group-time average treatment effects ATT(g, t) of Callaway &
Sant'Anna (2021) and :class:`AggteResult` their aggregations (R ``did``'s ``MP`` and ``AGGTEobj``).
Both are frozen dataclasses holding arrays, never the raw data. Every estimate carries its
influence function by unit (``inf_func``, shape (n_units, n_estimates), rows in the order of
``unit_ids``), normalised as in R ``did``: the estimate's standard error is
``sqrt(sum_c (sum_{i in c} inf_func_i)^2) / n_units`` over clusters c (units by default), i.e.
``sqrt(mean(inf_func**2) / n_units)`` without clustering. A linear combination of estimates, or of
estimates from several policies sharing the same units, has influence function equal to the same
combination of the columns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError
from evalkit.i18n import Message
from evalkit.results import Result, json_safe, tidy_frame

__all__ = ["SE_FLOOR", "ATTgtResult", "AggteResult", "EstimatesResult", "estimator_provenance",
           "gt_table", "se_from_inf_func"]

#: R did reports a standard error at or below this as missing (a degenerate influence function)
#: and treats bootstrap columns with ``sum(bres^2)`` at or below it as degenerate.
SE_FLOOR = np.sqrt(np.finfo(float).eps) * 10


def se_from_inf_func(inf_func: np.ndarray, cluster: np.ndarray | None = None) -> np.ndarray:
    """Standard errors from an (n_units, k) (or (n_units,)) influence-function matrix.

    ``sqrt(sum_c S_c^2) / n`` with ``S_c`` the sum of the influence function over the units of
    cluster c (``cluster`` an (n_units,) integer code array, or None for one cluster per unit).
    This is R ``did``'s analytic standard error (``sqrt(mean(IF^2)/n)``) when units are the
    clusters, and the cluster-sum form its multiplier bootstrap estimates otherwise.
    """
    inf = np.asarray(inf_func, dtype=float)
    one = inf.ndim == 1
    if one:
        inf = inf[:, None]
    n = inf.shape[0]
    if cluster is None:
        ss = np.einsum("ij,ij->j", inf, inf)
    else:
        sums = np.zeros((int(cluster.max()) + 1, inf.shape[1]))
        np.add.at(sums, cluster, inf)
        ss = np.einsum("ij,ij->j", sums, sums)
    se = np.sqrt(ss) / n
    return se[0] if one else se


def _fmt(x: float) -> str:
    return "NA" if x is None or not np.isfinite(x) else f"{x: .4f}"


def gt_table(cells: pd.DataFrame, columns: Sequence[tuple[str, str, int, Callable[[Any], str]]]
             ) -> list[str]:
    """A summary's table of group-time cells: a header line, then a line per row of ``cells``
    (a tidy frame with ``group`` and ``time``) giving group, time and each of ``columns``
    ``(title, tidy column, width, format)``."""
    head = "".join(f" {title:>{width}}" for title, _, width, _ in columns)
    lines = [f"  {'group':>6} {'time':>6}{head}"]
    for r in cells.itertuples():
        values = "".join(f" {fmt(getattr(r, col)):>{width}}" for _, col, width, fmt in columns)
        lines.append(f"  {r.group:>6} {r.time:>6}{values}")
    return lines


@dataclass(frozen=True, eq=False, repr=False)
class ATTgtResult(Result):
    """Group-time average treatment effects ATT(g, t) (Callaway & Sant'Anna 2021).

    Arrays (m = number of (g, t) cells, n = number of units):
    ``group`` (m,) cohort g; ``time`` (m,) period t; ``att`` (m,); ``se`` (m,) standard errors
    (analytic, or multiplier-bootstrap when ``bstrap``); ``inf_func`` (n, m); ``unit_ids`` (n,);
    ``unit_group`` (n,) each unit's cohort (0 = never treated, after R ``did``'s recoding);
    ``unit_weights`` (n,) sampling weights (mean 1); ``cluster`` (n,) integer cluster codes or
    None; ``crit_val`` the critical value of the reported bands (uniform sup-t when ``cband``).
    """

    group: np.ndarray
    time: np.ndarray
    att: np.ndarray
    se: np.ndarray
    inf_func: np.ndarray
    unit_ids: np.ndarray
    unit_group: np.ndarray
    unit_weights: np.ndarray
    cluster: np.ndarray | None
    crit_val: float
    alp: float
    n_units: int
    options: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    # Multiplier-bootstrap draws (biters, m + n_cohorts) of [inf_func, w * 1(G = g) per cohort
    # g in sorted order], kept so that aggte reuses the same draws (None without bootstrap).
    boot_draws: np.ndarray | None = None

    @property
    def event(self) -> np.ndarray:
        """Event time e = t - g of each cell, (m,)."""
        return self.time - self.group

    @property
    def post(self) -> np.ndarray:
        """True for post-treatment cells (t >= g), (m,)."""
        return self.time >= self.group

    def tidy(self) -> pd.DataFrame:
        """One row per (g, t): term ``ATT(g,t)``, estimate, std_error, band, p-value, group,
        time, event. Bands use ``crit_val`` (uniform when computed with ``cband``)."""
        terms = [f"ATT({g},{t})" for g, t in zip(self.group.tolist(), self.time.tolist(),
                                                   strict=True)]
        return tidy_frame(terms, self.att, self.se, self.alp, self.crit_val,
                          group=self.group, time=self.time, event=self.event)

    def summary(self) -> str:
        band = "uniform" if self.options.get("cband") else "pointwise"
        lines = [
            "Group-time average treatment effects (Callaway & Sant'Anna 2021)",
            f"  estimator: {self.options.get('est_method')}, control group: "
            f"{self.options.get('control_group')}, base period: {self.options.get('base_period')}"
            f", units: {self.n_units}",
            f"  {int((1 - self.alp) * 100)}% {band} bands, critical value {self.crit_val:.3f}",
            *gt_table(self.tidy(), [("ATT", "estimate", 9, _fmt), ("SE", "std_error", 9, _fmt),
                                    ("low", "conf_low", 9, _fmt), ("high", "conf_high", 9, _fmt)]),
        ]
        return "\n".join(lines)

    def to_dict(self, include_inf_func: bool = False) -> dict[str, Any]:
        return _did_dict(self, {"kind": "att_gt", "estimates": self.tidy(),
                                "crit_val": self.crit_val},
                         {"inf_func": self.inf_func} if include_inf_func else None)


@dataclass(frozen=True, eq=False, repr=False)
class AggteResult(Result):
    """An aggregation of ATT(g, t) as R ``did::aggte`` computes it.

    ``type`` is ``simple`` / ``group`` / ``dynamic`` / ``calendar``. ``overall_att``,
    ``overall_se`` and ``inf_func_overall`` (n,) describe the overall parameter; ``egt`` (k,)
    the keys (groups, event times or periods; empty for ``simple``), with ``att_egt``,
    ``se_egt`` (k,), ``inf_func_egt`` (n, k) and ``crit_val_egt`` (uniform sup-t critical value
    when ``cband``, else the normal quantile).
    """

    type: str
    overall_att: float
    overall_se: float
    inf_func_overall: np.ndarray
    egt: np.ndarray
    att_egt: np.ndarray
    se_egt: np.ndarray
    inf_func_egt: np.ndarray
    crit_val_egt: float
    unit_ids: np.ndarray
    alp: float
    n_units: int
    options: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    _KEY_COLUMN: ClassVar[dict[str, str]] = {"group": "group", "dynamic": "event", "calendar": "time"}

    def tidy(self) -> pd.DataFrame:
        """First row the overall parameter (pointwise interval), then one row per key with
        ``crit_val_egt`` bands; key columns ``group`` / ``event`` / ``time`` by type."""
        z = NormalDist().inv_cdf(1 - self.alp / 2)
        overall = tidy_frame(["overall"], [self.overall_att], [self.overall_se], self.alp, z)
        if self.type == "simple" or self.egt.size == 0:
            return overall
        col = self._KEY_COLUMN[self.type]
        prefix = {"group": "g", "event": "e", "time": "t"}[col]
        terms = [f"{prefix}={k}" for k in self.egt.tolist()]
        by = tidy_frame(terms, self.att_egt, self.se_egt, self.alp, self.crit_val_egt,
                        **{col: self.egt})
        overall[col] = pd.array([pd.NA], dtype="Int64")
        by[col] = pd.array(self.egt, dtype="Int64")
        return pd.concat([overall, by], ignore_index=True)

    def summary(self) -> str:
        z = NormalDist().inv_cdf(1 - self.alp / 2)
        lines = [
            f"Aggregated treatment effects, type '{self.type}' (Callaway & Sant'Anna 2021)",
            f"  overall ATT {_fmt(self.overall_att)}  SE {_fmt(self.overall_se)}  "
            f"[{_fmt(self.overall_att - z * self.overall_se)}, "
            f"{_fmt(self.overall_att + z * self.overall_se)}]",
        ]
        if self.type != "simple":
            band = "uniform" if self.options.get("cband") else "pointwise"
            lines.append(f"  by {self._KEY_COLUMN[self.type]} ({band} bands, critical value "
                         f"{self.crit_val_egt:.3f}):")
            for r in self.tidy().iloc[1:].itertuples():
                lines.append(f"  {r.term:>8} {_fmt(r.estimate):>9} {_fmt(r.std_error):>9} "
                             f"{_fmt(r.conf_low):>9} {_fmt(r.conf_high):>9}")
        return "\n".join(lines)

    def to_dict(self, include_inf_func: bool = False) -> dict[str, Any]:
        return _did_dict(self, {"kind": "aggte", "type": self.type,
                                "overall_att": self.overall_att, "overall_se": self.overall_se,
                                "estimates": self.tidy(), "crit_val_egt": self.crit_val_egt},
                         {"inf_func_overall": self.inf_func_overall,
                          "inf_func_egt": self.inf_func_egt} if include_inf_func else None)



def _did_dict(res: ATTgtResult | AggteResult, head: dict[str, Any],
              inf: dict[str, Any] | None) -> dict[str, Any]:
    """``to_dict`` of the did results: ``head``, then alp, n_units, options and provenance, and
    with ``inf`` the unit ids and those influence functions; JSON-safe."""
    out = {**head, "alp": res.alp, "n_units": res.n_units, "options": res.options,
           "provenance": res.provenance}
    if inf is not None:
        out["unit_ids"] = res.unit_ids
        out.update(inf)
    return json_safe(out)

# Results object shared by the regression-type estimators of evalkit.did (TWFE, Sun & Abraham,
# imputation)
@dataclass(frozen=True, eq=False, repr=False)
class EstimatesResult(Result):
    """A vector of estimates with its covariance matrix.

    ``terms`` (k,), ``estimate`` (k,), ``vcov`` (k, k); ``event`` (k,) holds the relative time
    of event-study terms (NaN for others). ``details`` holds estimator-specific arrays (cohort
    effects, weights, ...). Used by :func:`evalkit.did.twfe.twfe`, :func:`evalkit.did.twfe.twfe_event_study`,
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
            raise ConfigError(Message("errors.common.term_one", terms=list(self.terms), term=term)) from None

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


def estimator_provenance(estimator: str, paper: str, **options) -> dict:
    """The provenance of a regression-type estimate: estimator, paper, evalkit version, options."""
    from evalkit import __version__ as version

    return {"estimator": estimator, "reference": paper, "evalkit_version": version,
            "options": json_safe(options)}

