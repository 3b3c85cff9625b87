"""Evaluability: minimum detectable effect (MDE) of the staggered DiD the ex-post stage will run.

Noise model. The outcome is residualised on firm and year fixed effects
(:func:`evalkit.fe.within.demean_two_way`) on a balanced panel of firms that no policy has funded.
The residual is modelled as a stationary AR(1), ``e_t = rho e_{t-1} + u_t`` with ``Var(e_t) =
sigma^2``. Because a DiD only uses within-firm changes, ``rho`` and ``sigma`` are estimated from the
variances of one- and two-year changes, which firm effects do not bias (unlike the AR coefficient of
demeaned residuals, Nickell 1981): ``V_k = Var(e_t - e_{t-k}) = 2 sigma^2 (1 - rho^k)``, so
``rho = V_2 / V_1 - 1`` and ``sigma^2 = V_1 / (2 (1 - rho))``; ``rho`` is clipped to
[:data:`RHO_MIN`, :data:`RHO_MAX`] (a near-unit root is then an AR(1) close to a random walk).

Simulation (power by simulation, as in Burlig, Preonas & Woerman 2020, "Panel data and experimental
design", J. Development Economics 144, 102458, who show that serial correlation must enter the
power calculation of panel designs): for the planned rollout (cohort sizes by first treated year,
number of comparison firms, years), ``n_draws`` placebo panels are drawn from the noise model and
the ex-post estimator is run on each: :func:`evalkit.did.att_gt` (Callaway & Sant'Anna 2021,
outcome regression without covariates) and :func:`evalkit.did.aggte` ``simple``. With an effect
``delta`` injected in every treated post-period cell the estimate moves by exactly ``delta`` and its
standard error is unchanged (the estimator is linear and the effect constant), so one set of null
draws gives the whole power curve ``power(delta) = mean(|b_r + delta| / se_r > z_{1-alpha/2})``;
the MDE is the smallest ``delta > 0`` with ``power >= target``. (The tests check the shift property
by injecting an effect.)

Analytic approximation: ``MDE = (z_{1-alpha/2} + z_{power}) * SE`` (Bloom 1995, "Minimum detectable
effects", Evaluation Review 19(5)), with ``SE`` the exact standard deviation of the simple
aggregation for never-treated comparisons under the AR(1) noise: the estimator is
``sum_i c_i' Y_i`` with, for a firm of cohort g, ``c_i = sum_{t >= g} w_{gt} (1_t - 1_{g-1}) / n_g``
and for a comparison firm ``c_i = -sum_{g, t >= g} w_{gt} (1_t - 1_{g-1}) / n_0`` (``w_{gt}``
proportional to ``n_g`` over post cells), so ``Var = sum_g n_g c_g' S c_g + n_0 c_0' S c_0`` with
``S_{ts} = sigma^2 rho^{|t-s|}``.

Shapes: a rollout's ``cohorts`` maps first treated year g -> number of firms; ``years`` is the
(first, last) year of the simulated panel.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.did import aggte, att_gt
from evalkit.errors import (
    ConfigError,
    DataWarning,
    DesignError,
    check_choice,
    require_columns,
)
from evalkit.fe import demean_two_way
from evalkit.i18n import Message
from evalkit.results import Result, canonical, json_safe

__all__ = ["MdeResult", "NoiseModel", "Rollout", "analytic_se", "estimate_noise", "estimate_once",
           "simulate_mde", "simulate_panel"]

RHO_MIN, RHO_MAX = -0.9, 0.98
SCALES = ("level", "log")


@dataclass(frozen=True)
class NoiseModel:
    """AR(1) residual noise of one outcome: ``sigma`` (s.d.), ``rho``; ``mean`` the outcome's mean
    (to express an MDE as a share of it); estimated on ``n_firms`` x ``n_years``."""

    outcome: str
    scale: str
    sigma: float
    rho: float
    mean: float
    n_firms: int
    n_years: int
    rho_raw: float = float("nan")

    def cov(self, n_periods: int) -> np.ndarray:
        """(T, T) covariance ``sigma^2 rho^|t-s|``."""
        k = np.arange(n_periods)
        return self.sigma ** 2 * self.rho ** np.abs(k[:, None] - k[None, :])


@dataclass(frozen=True)
class Rollout:
    """A planned rollout: ``cohorts`` {first treated year: firms}, ``n_control`` never-treated
    firms, panel ``years`` (first, last), ``control_group`` as in att_gt, ``label``."""

    cohorts: Mapping[int, int]
    n_control: int
    years: tuple[int, int]
    control_group: str = "nevertreated"
    label: str = ""

    def __post_init__(self) -> None:
        check_choice("control_group", self.control_group, ("nevertreated", "notyettreated"))
        lo, hi = self.years
        if not self.cohorts or any(int(n) < 1 for n in self.cohorts.values()):
            raise ConfigError(Message("errors.exante.power.rollout_every_cohort_needs",
                                      label=self.label, cohorts=dict(self.cohorts)))
        bad = [g for g in self.cohorts if not lo < int(g) <= hi]
        if bad:
            raise ConfigError(Message("errors.exante.power.rollout_cohorts_lie_after",
                                      label=self.label, bad=bad, lo=lo, hi=hi))
        if self.n_control < 1 and self.control_group == "nevertreated":
            raise ConfigError(Message("errors.exante.power.rollout_needs_least_one",
                                      label=self.label))

    @property
    def n_treated(self) -> int:
        return int(sum(self.cohorts.values()))

    def scaled(self, factor: float) -> Rollout:
        """The same design with every group ``factor`` times as large (at least 1 firm)."""
        return Rollout({g: max(1, round(n * factor)) for g, n in self.cohorts.items()},
                       max(1, round(self.n_control * factor)), self.years, self.control_group,
                       self.label)


def estimate_noise(panel: pd.DataFrame, outcome: str, scale: str = "level",
                   exclude: Sequence[str] = (), last_years: int | None = None) -> NoiseModel:
    """AR(1) noise of ``outcome`` from a long firm-year frame (``firm_id``, ``year``, outcome).

    Uses the balanced panel of firms not in ``exclude`` (e.g. funded firms) over the last
    ``last_years`` years (default all). ``scale="log"`` models ``log(outcome)`` (firms with a
    non-positive value in any year are left out)."""
    check_choice("scale", scale, SCALES)
    require_columns(panel, ("firm_id", "year", outcome), Message("labels.table.panel"))
    df = panel.loc[~panel["firm_id"].isin(set(exclude)), ["firm_id", "year", outcome]]
    if last_years is not None:
        df = df.loc[df["year"] > df["year"].max() - int(last_years)]
    y = pd.to_numeric(df[outcome], errors="coerce").astype("float64")
    df = df.assign(y=y)
    if scale == "log":
        bad = set(df.loc[~(df["y"] > 0), "firm_id"])
        df = df.loc[~df["firm_id"].isin(bad)]
        df = df.assign(y=np.log(df["y"]))
    df = df.loc[np.isfinite(df["y"])]
    years = np.sort(df["year"].unique())
    counts = df.groupby("firm_id")["year"].transform("size")
    df = df.loc[counts == len(years)].sort_values(["firm_id", "year"])
    n_firms, T = df["firm_id"].nunique(), len(years)
    if T < 3 or n_firms < 10:
        raise DesignError(Message("errors.exante.power.estimating_noise_needs_balanced",
                                  outcome=outcome, n_firms=n_firms, t=T))
    unit = pd.factorize(df["firm_id"], sort=True)[0]
    time = np.searchsorted(years, df["year"].to_numpy())
    resid, _ = demean_two_way(df["y"].to_numpy(), unit, time)
    e = resid.reshape(n_firms, T)
    v1 = float(np.var(e[:, 1:] - e[:, :-1]))
    v2 = float(np.var(e[:, 2:] - e[:, :-2]))
    if v1 <= 0:
        raise DesignError(Message("errors.exante.power.does_vary_within_firms", outcome=outcome))
    rho_raw = v2 / v1 - 1.0
    rho = float(np.clip(rho_raw, RHO_MIN, RHO_MAX))
    sigma = float(np.sqrt(v1 / (2.0 * (1.0 - rho))))
    mean = float(np.exp(df["y"]).mean()) if scale == "log" else float(df["y"].mean())
    return NoiseModel(outcome, scale, sigma, rho, mean, int(n_firms), int(T), float(rho_raw))


def _post_cells(rollout: Rollout) -> list[tuple[int, int, float]]:
    """(g, t, weight) of the post-treatment cells of the simple aggregation."""
    hi = rollout.years[1]
    cells = [(int(g), t, float(n)) for g, n in sorted(rollout.cohorts.items())
             for t in range(int(g), hi + 1)]
    total = sum(w for *_, w in cells)
    return [(g, t, w / total) for g, t, w in cells]


def analytic_se(rollout: Rollout, noise: NoiseModel) -> float:
    """Exact s.d. of the simple-aggregated ATT with never-treated comparisons (module doc)."""
    if rollout.control_group != "nevertreated":
        raise DesignError(Message("errors.exante.power.analytic_approximation_covers_never"))
    lo, hi = rollout.years
    T = hi - lo + 1
    S = noise.cov(T)
    c0 = np.zeros(T)
    var = 0.0
    for g, n_g in rollout.cohorts.items():
        cg = np.zeros(T)
        for gg, t, w in _post_cells(rollout):
            if gg != int(g):
                continue
            cg[t - lo] += w
            cg[gg - 1 - lo] -= w
        c0 -= cg
        cg = cg / n_g
        var += n_g * float(cg @ S @ cg)
    c0 = c0 / rollout.n_control
    var += rollout.n_control * float(c0 @ S @ c0)
    return float(np.sqrt(var))


@dataclass(frozen=True, eq=False, repr=False)
class MdeResult(Result):
    """Simulated and analytic MDE of one rollout. ``estimates`` / ``std_errors`` (n_draws,) are
    the null draws; ``power_curve`` columns ``effect, power``."""

    label: str
    rollout: Rollout
    noise: NoiseModel
    alpha: float
    power: float
    n_draws: int
    mde: float
    mde_analytic: float | None
    se_analytic: float | None
    se_empirical: float
    se_mean: float
    size: float
    estimates: np.ndarray = field(repr=False)
    std_errors: np.ndarray = field(repr=False)
    power_curve: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    seed: int | None = None

    @property
    def mde_share(self) -> float:
        """MDE as a share of the outcome's mean (log scale: ``exp(MDE) - 1``)."""
        if self.noise.scale == "log":
            return float(np.expm1(self.mde))
        return float(self.mde / self.noise.mean) if self.noise.mean else float("nan")

    def power_at(self, effect: float) -> float:
        z = stats.norm.ppf(1 - self.alpha / 2)
        return float(np.mean(np.abs(self.estimates + effect) > z * self.std_errors))

    def tidy(self) -> pd.DataFrame:
        """Rows ``mde`` (simulated; std_error the null draws' spread) and ``mde_analytic``."""
        return canonical(pd.DataFrame({
            "term": ["mde", "mde_analytic"],
            "estimate": [self.mde, np.nan if self.mde_analytic is None else self.mde_analytic],
            "std_error": [self.se_empirical,
                          np.nan if self.se_analytic is None else self.se_analytic]}),
            label=self.label, outcome=self.noise.outcome, power=self.power, alpha=self.alpha)

    def summary(self) -> str:
        ana = "" if self.mde_analytic is None else f", analytic {self.mde_analytic:,.4g}"
        return (f"MDE ({self.label}, {self.power:.0%} power, alpha {self.alpha}): "
                f"{self.mde:,.4g} {self.noise.outcome} ({self.noise.scale}){ana}; "
                f"{self.rollout.n_treated} treated, {self.rollout.n_control} comparison firms")

    def to_dict(self) -> dict[str, Any]:
        return json_safe({
            "label": self.label, "outcome": self.noise.outcome, "scale": self.noise.scale,
            "cohorts": {str(k): int(v) for k, v in self.rollout.cohorts.items()},
            "n_treated": self.rollout.n_treated, "n_control": self.rollout.n_control,
            "years": list(self.rollout.years), "control_group": self.rollout.control_group,
            "noise": {"sigma": self.noise.sigma, "rho": self.noise.rho,
                      "rho_raw": self.noise.rho_raw, "mean": self.noise.mean,
                      "n_firms": self.noise.n_firms, "n_years": self.noise.n_years},
            "alpha": self.alpha, "power": self.power, "n_draws": self.n_draws, "mde": self.mde,
            "mde_share": self.mde_share, "mde_analytic": self.mde_analytic,
            "se_analytic": self.se_analytic, "se_empirical": self.se_empirical,
            "se_mean": self.se_mean, "size": self.size, "power_curve": self.power_curve,
            "seed": self.seed,
        })


def simulate_panel(rollout: Rollout, noise: NoiseModel, rng: np.random.Generator,
                   effect: float = 0.0) -> pd.DataFrame:
    """One placebo panel: columns ``id, year, g, y`` (AR(1) noise, ``effect`` added to treated
    post-period outcomes)."""
    lo, hi = rollout.years
    T = hi - lo + 1
    g = np.concatenate([np.full(int(n), int(c)) for c, n in sorted(rollout.cohorts.items())]
                       + [np.zeros(int(rollout.n_control), dtype=int)])
    n = g.size
    e = np.empty((n, T))
    e[:, 0] = rng.standard_normal(n) * noise.sigma
    innov = noise.sigma * np.sqrt(1.0 - noise.rho ** 2)
    for t in range(1, T):
        e[:, t] = noise.rho * e[:, t - 1] + innov * rng.standard_normal(n)
    years = np.arange(lo, hi + 1)
    post = (g[:, None] > 0) & (years[None, :] >= g[:, None])
    y = e + effect * post
    return pd.DataFrame({"id": np.repeat(np.arange(n), T), "year": np.tile(years, n),
                         "g": np.repeat(g, T), "y": y.reshape(-1)})


def estimate_once(panel: pd.DataFrame, control_group: str) -> tuple[float, float]:
    """(estimate, se) of the simple-aggregated Callaway-Sant'Anna ATT on a placebo panel."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        res = att_gt(panel, "y", "year", "id", "g", est_method="reg", control_group=control_group)
    agg = aggte(res, "simple")
    return float(agg.overall_att), float(agg.overall_se)


def simulate_mde(rollout: Rollout, noise: NoiseModel, rng: np.random.Generator,
                 n_draws: int = 200, alpha: float = 0.05, power: float = 0.8,
                 seed: int | None = None) -> MdeResult:
    """Simulated (and, for never-treated comparisons, analytic) MDE of ``rollout``."""
    if not 0 < alpha < 0.5 or not 0.5 < power < 1:
        raise ConfigError(Message("errors.exante.power.need_alpha_power_alpha", alpha=alpha,
                                  power=power))
    if int(n_draws) < 20:
        raise ConfigError(Message("errors.exante.power.n_draws_least", n_draws=n_draws))
    est = np.empty(int(n_draws))
    se = np.empty(int(n_draws))
    for r in range(int(n_draws)):
        est[r], se[r] = estimate_once(simulate_panel(rollout, noise, rng), rollout.control_group)
    z = float(stats.norm.ppf(1 - alpha / 2))
    ok = np.isfinite(est) & np.isfinite(se) & (se > 0)
    est, se = est[ok], se[ok]
    scale = float(np.std(est, ddof=1))
    grid = np.linspace(0.0, 8.0 * max(scale, float(np.median(se))), 801)
    pw = np.array([np.mean(np.abs(est + d) > z * se) for d in grid])
    hit = np.flatnonzero(pw >= power)
    mde = float(grid[hit[0]]) if hit.size else float("nan")
    if hit.size and hit[0] > 0:  # linear interpolation between the grid points around the crossing
        d0, d1, p0, p1 = grid[hit[0] - 1], grid[hit[0]], pw[hit[0] - 1], pw[hit[0]]
        mde = float(d0 + (power - p0) * (d1 - d0) / (p1 - p0)) if p1 > p0 else float(d1)
    se_a = mde_a = None
    if rollout.control_group == "nevertreated":
        se_a = analytic_se(rollout, noise)
        mde_a = float((z + stats.norm.ppf(power)) * se_a)
    curve = pd.DataFrame({"effect": grid[::20], "power": pw[::20]})
    return MdeResult(rollout.label, rollout, noise, float(alpha), float(power), int(ok.sum()), mde,
                     mde_a, se_a, scale, float(np.mean(se)), float(pw[0]), est, se, curve, seed)
