"""Pre-trend test of an event study and its power against a linear violation of parallel trends.

The test is the joint Wald test that every pre-treatment event-study coefficient is zero,
``W = b' V^{-1} b ~ chi2(k)`` under parallel pre-trends (``b`` the k pre-treatment estimates,
``V`` their covariance). Passing it is weak evidence when the test has little power: Roth
(2022), "Pretest with Caution: Event-Study Estimates after Testing for Parallel Trends",
American Economic Review: Insights 4(3), 305-322, shows how to ask *which violations the pre-test
would detect*. Following that paper we compute the power against a linear pre-trend of slope
``gamma`` per period, ``delta_e = gamma * (e - ref)`` (``ref`` the reference period, where the
coefficient is normalised to zero). Under that violation ``b ~ N(gamma d, V)`` with
``d_e = e - ref``, so ``W`` is non-central chi-square with k degrees of freedom and
non-centrality ``gamma^2 d' V^{-1} d``; the power is ``P(chi2_k(nc) > chi2_{k, 1 - alpha})``.
The slopes at which the power reaches 50 % and 80 % are found by root-finding on the
non-centrality (Roth 2022 reports the same quantities for its pre-tests).

Event studies whose pre-period coefficients are *short differences* (Callaway & Sant'Anna's
default ``base_period="varying"``: each pre-treatment ATT(g, t) compares t with t - 1) respond to a
linear trend with ``delta_e = gamma`` for every pre period, i.e. ``d = 1``; :func:`event_study_inputs`
records which kind an event study is and the power uses the right ``d``.

Shapes: ``event`` (k,), ``estimate`` (k,), ``vcov`` (k, k) over the pre-treatment coefficients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

import evalkit
from evalkit.did.results import AggteResult, EstimatesResult
from evalkit.errors import ConfigError, DataError, DesignError, check_choice, require_columns
from evalkit.i18n import Message
from evalkit.results import Result, json_safe, tidy_frame

__all__ = [
    "PRE_KINDS",
    "EventStudyInputs",
    "PretrendResult",
    "event_study_inputs",
    "plot_pretrend_power",
    "pretrend_test",
]

#: ``levels``: coefficients relative to one reference period; ``differences``: each pre-period
#: coefficient is a one-period change (Callaway-Sant'Anna with a varying base period).
PRE_KINDS = ("levels", "differences")
_ROTH = ("Roth (2022), 'Pretest with Caution: Event-Study Estimates after Testing for Parallel "
         "Trends', American Economic Review: Insights 4(3) 305-322")


@dataclass(frozen=True)
class EventStudyInputs:
    """What a pre-trend test or sensitivity analysis needs from any event study.

    ``event`` (m,) sorted event times, ``estimate`` (m,), ``vcov`` (m, m); ``reference`` the
    event time normalised to zero (absent from ``event`` for ``levels``); ``pre_kind`` one of
    :data:`PRE_KINDS`; ``anticipation`` periods (pre-treatment means e < -anticipation);
    ``source`` a short name of the estimator.
    """

    event: np.ndarray
    estimate: np.ndarray
    vcov: np.ndarray
    reference: int
    pre_kind: str
    anticipation: int
    source: str

    @property
    def pre(self) -> np.ndarray:
        """(m,) bool: pre-treatment coefficients, e < -anticipation (for ``levels`` the
        reference period, normalised to zero, is excluded)."""
        pre = self.event < -self.anticipation
        return pre & (self.event != self.reference) if self.pre_kind == "levels" else pre


def _vcov_from_inf_func(inf: np.ndarray, se: np.ndarray, n: int,
                        cluster: np.ndarray | None) -> np.ndarray:
    """(k, k) covariance of estimates with influence functions ``inf`` (n, k).

    With ``cluster`` codes the cluster sums are used (as :func:`se_from_inf_func`). Without, the
    unit-level covariance ``IF'IF / n^2`` is rescaled so its diagonal equals the reported
    ``se``: correlations from the influence function, scale from the reported (possibly
    clustered or bootstrap) standard errors.
    """
    if cluster is not None:
        sums = np.zeros((int(cluster.max()) + 1, inf.shape[1]))
        np.add.at(sums, np.asarray(cluster), inf)
        return sums.T @ sums / n ** 2
    v = inf.T @ inf / n ** 2
    sd = np.sqrt(np.diag(v))
    ok = np.isfinite(se) & (sd > 0)
    scale = np.where(ok, se / np.where(sd > 0, sd, 1.0), 1.0)
    return v * np.outer(scale, scale)


def event_study_inputs(result: Any, vcov: np.ndarray | None = None,
                       reference: int | None = None,
                       cluster: np.ndarray | None = None) -> EventStudyInputs:
    """Extract (event, estimate, vcov) from any evalkit event study (the one adapter).

    Accepts an :class:`~evalkit.did.results.AggteResult` of ``type="dynamic"`` (Callaway &
    Sant'Anna; covariance from its influence functions, see :func:`_vcov_from_inf_func`;
    ``cluster`` (n_units,) codes give the exact clustered covariance), an
    :class:`~evalkit.did.results.EstimatesResult` with event-study terms (TWFE event study,
    Sun-Abraham, imputation), a tidy frame with columns ``event`` and ``estimate`` plus
    ``vcov=``, or a tuple ``(event, estimate, vcov)``. ``reference`` overrides the period
    normalised to zero (default: the estimator's, else -1).
    """
    if isinstance(result, AggteResult):
        if result.type != "dynamic":
            raise ConfigError(Message("errors.robust.pretrends.pre_trend_test_needs",
                                      type=result.type))
        opts = result.options.get("att_gt", {})
        ant = int(opts.get("anticipation", 0))
        varying = opts.get("base_period", "varying") == "varying"
        ev = result.egt.astype(int)
        est = np.asarray(result.att_egt, dtype=float)
        v = _vcov_from_inf_func(np.asarray(result.inf_func_egt, dtype=float),
                                np.asarray(result.se_egt, dtype=float), result.n_units, cluster)
        ref = -1 - ant if reference is None else int(reference)
        return EventStudyInputs(ev, est, v, ref, "differences" if varying else "levels", ant,
                                "callaway_santanna_dynamic")
    if isinstance(result, EstimatesResult):
        ev, est, v = result.event_study()
        if ev.size == 0:
            raise DesignError(Message("errors.robust.pretrends.event_study_terms",
                                      method=result.method))
        ref = result.details.get("ref_e", -1) if reference is None else reference
        if not np.isscalar(ref):
            ref = max(int(r) for r in ref if r < 0)
        return EventStudyInputs(np.asarray(ev, dtype=int), est, v, int(ref), "levels", 0,
                                result.method)
    if isinstance(result, pd.DataFrame):
        require_columns(result, ("event", "estimate"), Message("labels.table.event_study"))
        if vcov is None:
            raise DataError(Message("errors.robust.pretrends.pass_vcov_tidy_event"))
        ev = pd.to_numeric(result["event"], errors="coerce").to_numpy(dtype=float)
        est = result["estimate"].to_numpy(dtype=float)
        v = np.asarray(vcov, dtype=float)
        keep = np.isfinite(ev)
        if v.shape == (len(ev), len(ev)):
            v = v[np.ix_(keep, keep)]
        ev, est = ev[keep], est[keep]
    elif isinstance(result, tuple) and len(result) == 3:
        ev, est, v = (np.asarray(a, dtype=float) for a in result)
    else:
        raise DataError(Message("errors.robust.pretrends.event_study_aggteresult_dynamic",
                                type_name=type(result).__name__))
    if v.shape != (ev.size, ev.size) or est.shape != ev.shape:
        raise DataError(Message("errors.robust.pretrends.event_estimate_vcov_do", size=ev.size,
                                size_2=est.size, shape=v.shape))
    order = np.argsort(ev)
    return EventStudyInputs(ev[order].astype(int), est[order], v[np.ix_(order, order)],
                            -1 if reference is None else int(reference), "levels", 0, "user")


@dataclass(frozen=True, eq=False, repr=False)
class PretrendResult(Result):
    """Joint Wald pre-trend test and its power against linear violations (Roth 2022).

    ``event`` (k,), ``estimate`` (k,), ``vcov`` (k, k) of the pre-treatment coefficients tested;
    ``stat`` the Wald statistic, ``df`` = k, ``p_value``; ``slope_vector`` (k,) the ``d`` of
    ``delta = gamma * d`` (``e - reference`` for levels, ones for differences); ``slope_50`` /
    ``slope_80`` the (positive) slopes gamma at which the test rejects with probability 50 % /
    80 % (the power is symmetric in the sign of gamma).
    """

    event: np.ndarray
    estimate: np.ndarray
    vcov: np.ndarray
    stat: float
    df: int
    p_value: float
    alpha: float
    reference: int
    pre_kind: str
    slope_vector: np.ndarray
    slope_50: float
    slope_80: float
    source: str
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def critical_value(self) -> float:
        """The chi-square critical value of the level-``alpha`` test."""
        return float(stats.chi2.isf(self.alpha, self.df))

    @property
    def noncentrality_per_slope2(self) -> float:
        """``d' V^{-1} d``: the non-centrality of ``W`` per unit of ``gamma^2``."""
        return float(self.slope_vector @ np.linalg.solve(self.vcov, self.slope_vector))

    def power(self, gamma: float | np.ndarray) -> float | np.ndarray:
        """P(the pre-test rejects) when the pre-trend is ``delta = gamma * d``; equals
        ``alpha`` at gamma = 0."""
        g = np.asarray(gamma, dtype=float)
        nc = g ** 2 * self.noncentrality_per_slope2
        out = np.where(nc > 0, stats.ncx2.sf(self.critical_value, self.df, np.maximum(nc, 1e-300)),
                       stats.chi2.sf(self.critical_value, self.df))
        return float(out) if out.ndim == 0 else out

    def slope_for_power(self, power: float) -> float:
        """The slope gamma > 0 at which the test rejects with probability ``power``."""
        return _slope_for_power(power, self.alpha, self.df, self.noncentrality_per_slope2)

    def power_curve(self, gammas: np.ndarray | None = None) -> pd.DataFrame:
        """Columns ``gamma``, ``power`` (default grid: 0 to twice the 80 % slope)."""
        if gammas is None:
            gammas = np.linspace(0.0, 2 * self.slope_80, 41)
        g = np.asarray(gammas, dtype=float)
        return pd.DataFrame({"gamma": g, "power": np.atleast_1d(self.power(g))})

    def tidy(self) -> pd.DataFrame:
        """One row per pre-treatment coefficient (term ``e=<e>``, column ``event``), then the
        joint test (term ``wald_chi2``: estimate = statistic, p_value)."""
        coef = tidy_frame([f"e={e}" for e in self.event.tolist()], self.estimate,
                          np.sqrt(np.diag(self.vcov)), self.alpha,
                          event=pd.array(self.event, dtype="Int64"))
        joint = pd.DataFrame({"term": ["wald_chi2"], "estimate": [self.stat],
                              "std_error": [np.nan], "conf_low": [np.nan],
                              "conf_high": [np.nan], "p_value": [self.p_value],
                              "event": pd.array([pd.NA], dtype="Int64")})
        return pd.concat([coef, joint], ignore_index=True)

    def summary(self) -> str:
        verdict = "rejects" if self.p_value < self.alpha else "does not reject"
        return "\n".join([
            f"Pre-trend test ({self.source}): joint Wald chi2({self.df}) = {self.stat:.3f}, "
            f"p = {self.p_value:.4f}; {verdict} parallel pre-trends at {self.alpha:.0%}",
            f"  pre-treatment events {self.event.tolist()} ({self.pre_kind}, reference "
            f"{self.reference})",
            f"  power against a linear pre-trend (Roth 2022): 50% at slope {self.slope_50:.4g}, "
            f"80% at slope {self.slope_80:.4g} per period",
        ])

    def to_dict(self) -> dict[str, Any]:
        return json_safe({
            "kind": "pretrend_test", "stat": self.stat, "df": self.df, "p_value": self.p_value,
            "alpha": self.alpha, "reference": self.reference, "pre_kind": self.pre_kind,
            "slope_50": self.slope_50, "slope_80": self.slope_80, "source": self.source,
            "estimates": self.tidy(), "vcov": self.vcov, "provenance": self.provenance,
        })


def _slope_for_power(power: float, alpha: float, df: int, q: float) -> float:
    if not alpha < power < 1:
        raise ConfigError(Message("errors.robust.pretrends.power_lie_strictly_between",
                                  alpha=alpha, power=power))
    crit = stats.chi2.isf(alpha, df)
    hi = 1.0
    while stats.ncx2.sf(crit, df, hi) < power:
        hi *= 2
    nc = optimize.brentq(lambda nc: stats.ncx2.sf(crit, df, nc) - power, 1e-12, hi,
                         xtol=1e-12, rtol=1e-12)
    return float(np.sqrt(nc / q))


def pretrend_test(event_study: Any, alpha: float = 0.05, vcov: np.ndarray | None = None,
                  reference: int | None = None, pre_events: list[int] | None = None,
                  pre_kind: str | None = None, cluster: np.ndarray | None = None
                  ) -> PretrendResult:
    """Joint Wald test of the pre-treatment coefficients of an event study, with its power
    against linear violations of parallel trends (Roth 2022; see the module docstring).

    ``event_study``: anything :func:`event_study_inputs` accepts. ``pre_events`` restricts the
    test to some pre-treatment event times (default: all e < -anticipation except the
    reference). ``pre_kind`` overrides whether the coefficients are ``levels`` or
    ``differences``. Raises :class:`DesignError` if there is no pre-treatment coefficient or
    their covariance is singular.
    """
    inp = event_study_inputs(event_study, vcov=vcov, reference=reference, cluster=cluster)
    kind = inp.pre_kind if pre_kind is None else pre_kind
    check_choice("pre_kind", kind, PRE_KINDS)
    if not 0 < alpha < 1:
        raise ConfigError(Message("errors.robust.pretrends.alpha_lie", alpha=alpha))
    sel = inp.event < -inp.anticipation
    if kind == "levels":
        sel &= inp.event != inp.reference
    if pre_events is not None:
        wanted = {int(e) for e in pre_events}
        missing = wanted - set(inp.event[sel].tolist())
        if missing:
            raise ConfigError(Message("errors.robust.pretrends.pre_events_among_pre",
                                      event=inp.event[sel].tolist(), missing=sorted(missing)))
        sel = sel & np.isin(inp.event, list(wanted))
    ok = sel & np.isfinite(inp.estimate) & np.isfinite(np.diag(inp.vcov))
    if not ok.any():
        raise DesignError(Message("errors.robust.pretrends.pre_treatment_event_study",
                                  source=inp.source))
    ev, b = inp.event[ok], inp.estimate[ok]
    v = inp.vcov[np.ix_(ok, ok)]
    if np.linalg.matrix_rank(v) < v.shape[0]:
        raise DesignError(Message("errors.robust.pretrends.covariance_pre_treatment_coefficients",
                                  ev=ev.tolist()))
    stat = float(b @ np.linalg.solve(v, b))
    df = int(b.size)
    d = (ev - inp.reference).astype(float) if kind == "levels" else np.ones(df)
    q = float(d @ np.linalg.solve(v, d))
    prov = {"estimator": "joint Wald pre-trend test; power after " + _ROTH,
            "evalkit_version": evalkit.__version__, "source": inp.source,
            "options": {"alpha": alpha, "reference": inp.reference, "pre_kind": kind,
                        "pre_events": ev.tolist()}}
    return PretrendResult(
        event=ev, estimate=b, vcov=v, stat=stat, df=df, p_value=float(stats.chi2.sf(stat, df)),
        alpha=alpha, reference=inp.reference, pre_kind=kind, slope_vector=d,
        slope_50=_slope_for_power(0.5, alpha, df, q), slope_80=_slope_for_power(0.8, alpha, df, q),
        source=inp.source, provenance=prov)


def plot_pretrend_power(result: PretrendResult, ax=None):
    """Power of the pre-test against the slope of a linear pre-trend (Roth 2022, Fig. 2 style),
    with the 50 % / 80 % slopes marked. Returns the matplotlib Axes."""
    if ax is None:
        from evalkit.plotting import new_axes

        ax = new_axes((6, 4))
    curve = result.power_curve()
    ax.plot(curve["gamma"], curve["power"], color="#1f77b4")
    ax.axhline(result.alpha, color="grey", linestyle=":", linewidth=0.8)
    for p, s in ((0.5, result.slope_50), (0.8, result.slope_80)):
        ax.axvline(s, color="black", linestyle="--", linewidth=0.8)
        ax.annotate(f"{p:.0%} at {s:.3g}", (s, p), textcoords="offset points", xytext=(4, -12),
                    fontsize=8)
    ax.set_xlabel("slope of a linear pre-trend (per period)")
    ax.set_ylabel("probability the pre-test rejects")
    ax.set_ylim(0, 1)
    ax.set_title(f"Pre-trend test power (Wald chi2({result.df}); observed p = "
                 f"{result.p_value:.3f})")
    return ax
