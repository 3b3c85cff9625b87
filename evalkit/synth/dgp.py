"""Known-truth staggered-adoption panels for testing difference-in-differences estimators.

:func:`simulate_staggered` draws a firm x year panel in which units adopt a treatment in cohorts
(``g`` = first treated year, 0 = never treated) and returns, next to the data, the true
group-time average treatment effects ATT(g, t) of Callaway & Sant'Anna (2021) and their
``simple``, ``group``, ``dynamic`` and ``calendar`` aggregations, weighted exactly as R ``did``'s
``aggte`` weights them.

Data-generating process (unit i, period t, covariates x_i in R^k, standard normal)::

    y0_it = a_i + lambda_t + (x_i . beta) * s_t + u_it
    u_it  = rho * u_i,t-1 + e_it,   e_it ~ N(0, sigma^2),  u_i,first stationary
    y_it  = y0_it + 1[t >= g_i] * effect(g_i, t, t - g_i, x_i)

where ``a_i`` (unit fixed effect) depends on x_i and on the unit's cohort, ``lambda_t`` is a time
fixed effect and ``s_t = (t - t_first) / (number of periods)`` a linear trend whose slope depends on
the covariates.  Cohort membership follows a multinomial logit in x_i (never-treated logit
``c_0 + selection * x . gamma_0``, cohort c logit ``c_c + selection * x . gamma_c``), so cohorts
differ in x and therefore in their trends: *unconditional* parallel trends fail mildly, parallel
trends *conditional on x* hold, the outcome regression of the change in y on x is linear and the
pairwise propensity score P(G = g | x, G in {g, never}) is exactly logistic.

The truth is the **sample** average of ``y - y0`` over the units of a cohort (every simulated unit,
including, with ``balanced=False``, those whose row for that year was removed), so an unbiased
estimator is centred on it in every replication.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

__all__ = ["aggregate_truth", "default_effect", "simulate_staggered"]

EffectFn = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]

# Autoregressive coefficient and innovation s.d. of the idiosyncratic error.
_AR_RHO = 0.5
_SIGMA = 1.0


def default_effect(g: np.ndarray, t: np.ndarray, e: np.ndarray, x: np.ndarray,
                   cohorts: Sequence[int] = (2018, 2020, 2022)) -> np.ndarray:
    """Heterogeneous dynamic effect: grows with event time, larger for earlier cohorts,
    and varies with the first covariate. Zero before adoption (e < 0).

    Shapes: ``g``, ``t``, ``e`` are (m,) integer arrays; ``x`` is (m, k). Returns (m,).
    ``cohorts`` (all adoption years of the design) fixes each cohort's rank.
    """
    del t
    c = np.asarray(sorted(cohorts))
    rank = np.searchsorted(c, g) / max(1, c.size - 1)
    base = 1.0 + 0.5 * (1.0 - rank)               # earlier cohorts gain more
    dyn = 1.0 + 0.25 * np.minimum(e, 6)           # grows with exposure, then levels off
    het = 1.0 + (0.2 * x[:, 0] if x.shape[1] else 0.0)
    return np.where(e >= 0, base * dyn * het, 0.0)


def simulate_staggered(
    n_units: int = 2000,
    periods: Sequence[int] = tuple(range(2015, 2025)),
    cohorts: Sequence[int] = (2018, 2020, 2022),
    never_share: float = 0.4,
    effect: EffectFn | None = None,
    n_covariates: int = 2,
    selection: float = 0.5,
    seed: int | None = 0,
    balanced: bool = True,
) -> tuple[pd.DataFrame, dict]:
    """Simulate a staggered-adoption panel with known ATT(g, t).

    Parameters
    ----------
    n_units : number of units (firms).
    periods : the years, increasing integers.
    cohorts : adoption years (each must lie in ``periods``); units in no cohort have ``g = 0``.
    never_share : approximate share of never-treated units (exact when ``selection = 0``).
    effect : vectorised ``effect(g, t, e, x) -> (m,)`` with ``g, t, e`` (m,) int arrays and ``x``
        (m, k); it is applied only where ``e = t - g >= 0`` (no anticipation). ``None`` uses
        :func:`default_effect`.
    n_covariates : k, the number of time-invariant covariates ``x1..xk``.
    selection : strength with which covariates drive cohort membership (0 = random assignment,
        so unconditional parallel trends then hold too).
    seed : seed of the single ``numpy.random.Generator`` used.
    balanced : if False, units enter late and/or exit early at random (rows removed).

    Returns
    -------
    (data, truth). ``data`` has columns ``id, year, g, x1..xk, y, y0`` sorted by id, year
    (``y0`` is the untreated potential outcome, for tests only). ``truth`` holds ``att_gt``
    ({(g, t): value} for every cohort and period), ``simple``, ``group`` ({g: value}),
    ``dynamic`` ({e: value}), ``calendar`` ({t: value}), the overall values ``group_overall``,
    ``dynamic_overall`` (post-treatment e >= 0), ``calendar_overall``, and ``group_size``
    ({g: number of units}, 0 included).
    """
    periods = np.asarray(sorted(int(p) for p in periods), dtype=np.int64)
    cohorts_arr = np.asarray(sorted(int(c) for c in cohorts), dtype=np.int64)
    if not set(cohorts_arr.tolist()) <= set(periods.tolist()):
        raise ValueError("every cohort must be one of the periods")
    if not 0.0 < never_share < 1.0:
        raise ValueError("never_share must lie strictly between 0 and 1")
    n, n_t, k, n_c = int(n_units), periods.size, int(n_covariates), cohorts_arr.size
    rng = np.random.default_rng(seed)
    if effect is None:
        def effect_fn(g_, t_, e_, x_):
            return default_effect(g_, t_, e_, x_, cohorts=cohorts_arr.tolist())
    else:
        effect_fn = effect

    # Covariates and cohort membership (multinomial logit, never-treated is alternative 0).
    x = rng.standard_normal((n, k))
    gamma = np.zeros((n_c + 1, k))
    if k:
        gamma[0, 0] = -1.0                                  # high x1 -> less likely never treated
        if k > 1:
            gamma[1:, 1] = np.linspace(1.0, -1.0, n_c)      # x2 sorts units into early vs late
    const = np.r_[np.log(never_share), np.full(n_c, np.log((1 - never_share) / n_c))]
    logits = const + selection * x @ gamma.T                # (n, n_c + 1)
    prob = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    choice = (rng.random(n)[:, None] > np.cumsum(prob, axis=1)).sum(axis=1)
    choice = np.minimum(choice, n_c)
    g = np.r_[0, cohorts_arr][choice]                       # (n,)

    # Untreated potential outcome.
    beta = np.linspace(1.0, 0.5, k) if k else np.zeros(0)
    alpha = (x @ beta if k else 0.0) + 0.5 * choice + rng.standard_normal(n)
    lam = 0.3 * np.arange(n_t) + rng.normal(0.0, 0.2, n_t)
    slope = (periods - periods[0]) / n_t
    eps = rng.normal(0.0, _SIGMA, (n, n_t))
    u = np.empty((n, n_t))
    u[:, 0] = eps[:, 0] / np.sqrt(1 - _AR_RHO**2)
    for j in range(1, n_t):
        u[:, j] = _AR_RHO * u[:, j - 1] + eps[:, j]
    trend = (x @ beta)[:, None] * slope[None, :] if k else 0.0
    y0 = alpha[:, None] + lam[None, :] + trend + u        # (n, n_t)

    # Treatment effects.
    treated = g > 0
    gg = np.repeat(g, n_t)
    tt = np.tile(periods, n)
    ee = tt - gg
    tau = np.zeros(n * n_t)
    active = np.repeat(treated, n_t) & (ee >= 0)
    if active.any():
        xx = np.repeat(x, n_t, axis=0)[active]
        tau[active] = np.asarray(effect_fn(gg[active], tt[active], ee[active], xx), dtype=float)
    tau = tau.reshape(n, n_t)
    y = y0 + tau

    # Truth: sample averages of y - y0 by cohort and period.
    att_gt: dict[tuple[int, int], float] = {}
    group_size = {0: int((g == 0).sum())}
    for c in cohorts_arr.tolist():
        members = g == c
        group_size[c] = int(members.sum())
        means = tau[members].mean(axis=0) if members.any() else np.full(n_t, np.nan)
        for j, t in enumerate(periods.tolist()):
            att_gt[(c, t)] = float(means[j])
    truth = aggregate_truth(att_gt, group_size)

    ids = np.repeat(np.arange(1, n + 1), n_t)
    data = {"id": ids, "year": tt, "g": gg}
    for j in range(k):
        data[f"x{j + 1}"] = np.repeat(x[:, j], n_t)
    data["y"] = y.ravel()
    data["y0"] = y0.ravel()
    df = pd.DataFrame(data)
    if not balanced:
        # A third of units enter late, a third exit early (independently); at least 2 periods kept.
        enter = np.where(rng.random(n) < 1 / 3, rng.integers(0, max(1, n_t // 2), n), 0)
        leave = np.where(rng.random(n) < 1 / 3, rng.integers(n_t // 2, n_t, n), n_t - 1)
        leave = np.maximum(leave, np.minimum(enter + 1, n_t - 1))
        pos = np.tile(np.arange(n_t), n)
        keep = (pos >= np.repeat(enter, n_t)) & (pos <= np.repeat(leave, n_t))
        df = df.loc[keep].reset_index(drop=True)
    return df, truth


def aggregate_truth(att_gt: dict[tuple[int, int], float], group_size: dict[int, int]) -> dict:
    """Aggregate true ATT(g, t) the way R ``did::aggte`` weights estimates (no anticipation).

    ``simple``: post cells (t >= g) weighted by cohort size; ``group``: per cohort, the mean over
    its post periods, overall weighted by cohort size; ``dynamic``: per event time e, cohorts
    weighted by size, overall the mean over e >= 0; ``calendar``: per year t (from the first
    cohort), post cells weighted by cohort size, overall the mean over years.
    """
    cells = sorted(att_gt)
    gs = np.array([c[0] for c in cells])
    ts = np.array([c[1] for c in cells])
    att = np.array([att_gt[c] for c in cells])
    w = np.array([group_size[c[0]] for c in cells], dtype=float)
    post = ts >= gs
    simple = float(np.sum(att[post] * w[post]) / np.sum(w[post]))
    group = {int(c): float(att[post & (gs == c)].mean()) for c in np.unique(gs)
             if (post & (gs == c)).any()}
    gw = np.array([group_size[c] for c in group], dtype=float)
    group_overall = float(np.dot(list(group.values()), gw) / gw.sum())
    es = ts - gs
    dynamic = {int(e): float(np.sum(att[es == e] * w[es == e]) / np.sum(w[es == e]))
               for e in np.unique(es)}
    dyn_post = [v for e, v in dynamic.items() if e >= 0]
    calendar = {int(t): float(np.sum(att[post & (ts == t)] * w[post & (ts == t)])
                              / np.sum(w[post & (ts == t)]))
                for t in np.unique(ts) if t >= gs.min() and (post & (ts == t)).any()}
    return {
        "att_gt": dict(att_gt),
        "simple": simple,
        "group": group,
        "group_overall": group_overall,
        "dynamic": dynamic,
        "dynamic_overall": float(np.mean(dyn_post)),
        "calendar": calendar,
        "calendar_overall": float(np.mean(list(calendar.values()))),
        "group_size": dict(group_size),
    }
