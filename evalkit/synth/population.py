"""The firm population and its untreated potential outcomes Y(0), as firm x year arrays.

Every array is ``(n_firms, n_years)`` (columns ``start .. end``) unless it is per firm ``(n,)``.
Cells where the firm is not alive hold values that are never written (``alive`` masks them).

Log revenue of firm i in cluster c, year t (Y(0))::

    log R_it = log R0 + shift_c + a_i + growth_c (t - start) + shock_ct + w_it + u_it + d_it

with ``a_i ~ N(0, FIRM_EFFECT_SD)`` (entrants shifted down), ``w_it`` a random walk (permanent
shocks), ``u_it`` i.i.d. transitory noise and ``d_it`` a rare one-year dip (DIP_PROB, DIP_SIZE)
that fully reverts. ``shock_ct`` is the 2020 shock of the cluster, 40 % of it persisting into 2021.
Employees and R&D follow the permanent part (no dips), tax follows revenue, patents follow R&D.
Firms enter (registration year) and exit (a logistic hazard, higher for small firms and in
2020-21); exit does not depend on treatment. A firm is alive in year t when
``year_registered <= t < year_exited``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evalkit.io.schemas import AREAS, CLUSTERS
from evalkit.synth import params as P


@dataclass(frozen=True)
class Population:
    years: np.ndarray          # (T,)
    cluster: np.ndarray        # (n,) object, cluster codes
    industry_code: np.ndarray  # (n,) object, GB/T 4754 class codes
    industry_word: np.ndarray  # (n,) object, name word
    area: np.ndarray           # (n,) object
    year_registered: np.ndarray  # (n,) int
    year_exited: np.ndarray    # (n,) int, 0 = still active at the end
    alive: np.ndarray          # (n, T) bool
    firm_effect: np.ndarray    # (n,)
    open_type: np.ndarray      # (n,) bool, international business
    revenue: np.ndarray        # (n, T) Y(0), yuan, unrounded
    log_revenue: np.ndarray    # (n, T)
    dip: np.ndarray            # (n, T) bool, a transitory dip in this year
    tax: np.ndarray            # (n, T) Y(0), unrounded
    rd: np.ndarray             # (n, T) Y(0), unrounded
    employees_latent: np.ndarray  # (n, T) Y(0) before rounding
    patent_mean: np.ndarray    # (n, T) Poisson mean of invention patents, Y(0)
    patents: np.ndarray        # (n, T) int, Y(0)
    pct: np.ndarray            # (n, T) int (no policy affects PCT applications)
    high_tech: np.ndarray      # (n, T) bool
    cert_year: np.ndarray      # (n,) int year of first certification, 0 = never
    headquarters: np.ndarray   # (n, T) bool
    hq_year: np.ndarray        # (n,) int, 0 = never / before the window
    listed: np.ndarray         # (n, T) bool
    listed_year: np.ndarray    # (n,) int, 0 = never / before the window


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def draw_expected_count(rng: np.random.Generator, score: np.ndarray, mask: np.ndarray,
                        expected: float) -> np.ndarray:
    """Bernoulli draws with ``P = sigmoid(alpha + score)`` over ``mask``, alpha chosen so that the
    expected number of successes is ``expected`` (capped at 90 % of the candidates).

    A logit on observables whose intercept is calibrated each year to the programme's size.
    Returns a bool array shaped like ``mask``; consumes ``mask.sum()`` uniforms.
    """
    out = np.zeros(mask.shape, dtype=bool)
    idx = np.flatnonzero(mask)
    if idx.size == 0 or expected <= 0:
        return out
    s = score[idx]
    target = min(expected, 0.9 * idx.size)
    lo, hi = -40.0 - float(s.max()), 40.0 - float(s.min())
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if sigmoid(mid + s).sum() > target:
            hi = mid
        else:
            lo = mid
    p = sigmoid(0.5 * (lo + hi) + s)
    out[idx] = rng.random(idx.size) < p
    return out


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of ``probs`` (m, k) -> (m,) category index."""
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(probs.shape[0])[:, None]
    return (u > cum).sum(axis=1)


def _first_true(mat: np.ndarray) -> np.ndarray:
    """Index of the first True per row, -1 if none. (n, T) -> (n,)."""
    any_ = mat.any(axis=1)
    return np.where(any_, mat.argmax(axis=1), -1)


def build_population(rng: np.random.Generator, n: int, start: int, end: int) -> Population:
    years = np.arange(start, end + 1)
    T = years.size
    t_idx = np.arange(T)[None, :]
    scale = n / P.REFERENCE_FIRMS
    cp = [P.CLUSTER_PARAMS[c] for c in CLUSTERS]

    # --- firm attributes -----------------------------------------------------------------------
    shares = np.array([c.share for c in cp])
    cl = _categorical(rng, np.broadcast_to(shares / shares.sum(), (n, len(cp))).copy())
    cluster = np.array(CLUSTERS, dtype=object)[cl]
    area_p = np.array([c.areas for c in cp])[cl]
    area = np.array(AREAS, dtype=object)[_categorical(rng, area_p)]
    industry_code = np.empty(n, dtype=object)
    industry_word = np.empty(n, dtype=object)
    for k, c in enumerate(cp):
        rows = np.flatnonzero(cl == k)
        w = np.array([x[1] for x in c.industries])
        pick = _categorical(rng, np.broadcast_to(w / w.sum(), (rows.size, w.size)).copy())
        codes = np.array([x[0] for x in c.industries], dtype=object)
        industry_code[rows] = codes[pick]
        # a word per firm among the industry's name words
        for j, (_, _, words) in enumerate(c.industries):
            sub = rows[pick == j]
            industry_word[sub] = np.array(words, dtype=object)[rng.integers(0, len(words), sub.size)]

    entrant = rng.random(n) < P.ENTRANT_SHARE
    age = rng.geometric(0.08, n) - 1  # incumbents' age at `start`
    year_registered = np.where(entrant, rng.integers(start + 1, end + 1, n),
                               np.maximum(start - age, 1985))
    firm_effect = rng.normal(0.0, P.FIRM_EFFECT_SD, n) + np.where(entrant, P.ENTRANT_SHIFT, 0.0)
    open_type = rng.random(n) < np.array([c.open_share for c in cp])[cl]

    # --- revenue Y(0) ------------------------------------------------------------------------------
    growth = np.array([c.growth for c in cp])[cl][:, None]
    shock = np.zeros((n, T))
    s20 = np.array([c.shock_2020 for c in cp])[cl]
    if start <= P.SHOCK_YEAR <= end:
        shock[:, P.SHOCK_YEAR - start] = s20
    if start <= P.SHOCK_YEAR + 1 <= end:
        shock[:, P.SHOCK_YEAR + 1 - start] = P.SHOCK_PERSISTENCE_2021 * s20
    walk = np.cumsum(rng.normal(0.0, P.RW_SD, (n, T)), axis=1)
    walk -= walk[:, :1]
    perm = (np.log(P.BASE_REVENUE) + np.array([c.revenue_shift for c in cp])[cl][:, None]
            + firm_effect[:, None] + growth * t_idx + shock + walk)
    dip = rng.random((n, T)) < P.DIP_PROB
    log_revenue = perm + rng.normal(0.0, P.TRANSITORY_SD, (n, T)) + np.where(dip, P.DIP_SIZE, 0.0)
    revenue = np.exp(log_revenue)

    # --- entry and exit --------------------------------------------------------------------------------
    yr = years[None, :]
    after_entry = (yr > np.maximum(year_registered, start)[:, None])
    shock_years = np.isin(years, (P.SHOCK_YEAR, P.SHOCK_YEAR + 1))[None, :]
    hazard = sigmoid(P.EXIT_BASE + P.EXIT_SIZE * firm_effect[:, None] + P.EXIT_SHOCK * shock_years)
    exits = after_entry & (rng.random((n, T)) < hazard)
    first_exit = _first_true(exits)
    year_exited = np.where(first_exit >= 0, start + first_exit, 0)
    alive = (yr >= year_registered[:, None]) & (
        (year_exited[:, None] == 0) | (yr < year_exited[:, None]))

    # --- employees, R&D, tax ---------------------------------------------------------------------------
    rpw = np.array([c.revenue_per_worker for c in cp])[cl][:, None]
    log_emp = (np.log(P.BASE_REVENUE / rpw) + P.EMPLOYMENT_ELASTICITY * (perm - np.log(P.BASE_REVENUE))
               + rng.normal(0.0, P.EMPLOYEE_FIRM_SD, n)[:, None]
               + rng.normal(0.0, P.EMPLOYEE_NOISE_SD, (n, T)))
    employees_latent = np.exp(log_emp)
    employees_written = np.maximum(1, np.round(employees_latent))

    does_rd = rng.random(n) < np.array([c.rd_share for c in cp])[cl]
    intensity = (np.array([c.rd_intensity for c in cp])[cl]
                 * np.exp(rng.normal(0.0, P.RD_FIRM_SD, n)))
    intensity = np.minimum(intensity, 0.6)
    rd = np.where(does_rd[:, None], np.exp(perm) * intensity[:, None]
                  * np.exp(rng.normal(0.0, P.RD_NOISE_SD, (n, T))), 0.0)

    # high-tech certification: eligible per the certification rules, then a yearly hazard
    innovative = np.isin(cluster, P.INNOVATIVE_CLUSTERS)
    rev_w, rd_w = np.round(revenue, 2), np.round(rd, 2)
    eligible_ht = (alive & innovative[:, None] & (rd_w > 0)
                   & (rd_w / rev_w >= P.high_tech_rd_threshold(rev_w))
                   & (employees_written >= P.HIGH_TECH_MIN_EMPLOYEES))
    incumbent0 = alive[:, 0] & (year_registered < start)
    initial = eligible_ht[:, 0] & incumbent0 & (rng.random(n) < P.HIGH_TECH_INITIAL)
    certify = eligible_ht & (rng.random((n, T)) < P.HIGH_TECH_HAZARD)
    first_cert = _first_true(certify)
    cert_year = np.where(first_cert >= 0, start + first_cert, 0)
    cert_year = np.where(initial, start - 1 - rng.integers(0, 6, n), cert_year)
    high_tech = alive & (cert_year[:, None] > 0) & (yr >= cert_year[:, None])

    rate = (np.array([c.tax_rate for c in cp])[cl] * np.exp(rng.normal(0.0, P.TAX_FIRM_SD, n)))
    tax = (revenue * rate[:, None] * np.exp(rng.normal(0.0, P.TAX_NOISE_SD, (n, T)))
           * np.where(high_tech, P.HIGH_TECH_TAX, 1.0))

    # patents and PCT applications
    pat_coef = (np.array([c.patents_per_rd for c in cp])[cl]
                * np.exp(rng.normal(0.0, P.PATENT_FIRM_SD, n)))
    patent_mean = pat_coef[:, None] * (rd / 1e6) ** P.PATENT_ELASTICITY
    patents = rng.poisson(patent_mean)
    pct = rng.poisson(P.PCT_PER_PATENT * patent_mean * open_type[:, None])

    # --- headquarters and listings: initial stock, then calibrated yearly recognitions ----------
    log_rev_w = np.log(rev_w)
    rd_int = np.where(rev_w > 0, rd_w / rev_w, 0.0)

    def status(min_revenue, initial_count, new_per_year, score_fn):
        flag = np.zeros((n, T), dtype=bool)
        when = np.zeros(n, dtype=int)
        cand = alive[:, 0] & incumbent0 & (rev_w[:, 0] >= min_revenue)
        on = draw_expected_count(rng, score_fn(0), cand, initial_count * scale)
        have = on.copy()
        flag[:, 0] = on
        for k in range(1, T):
            cand = alive[:, k] & ~have & (rev_w[:, k] >= min_revenue)
            new = draw_expected_count(rng, score_fn(k), cand, new_per_year * scale)
            when[new] = years[k]
            have |= new
            flag[:, k] = have & alive[:, k]
        return flag, when

    headquarters, hq_year = status(
        P.HQ_MIN_REVENUE, P.HQ_INITIAL, P.HQ_NEW_PER_YEAR,
        lambda k: 1.0 * (log_rev_w[:, k] - np.log(P.HQ_MIN_REVENUE)) + 0.7 * open_type)
    listed, listed_year = status(
        P.LISTED_MIN_REVENUE, P.LISTED_INITIAL, P.LISTED_NEW_PER_YEAR,
        lambda k: 0.8 * (log_rev_w[:, k] - np.log(P.LISTED_MIN_REVENUE)) + 8.0 * rd_int[:, k]
        + 0.7 * high_tech[:, k])

    return Population(
        years=years, cluster=cluster, industry_code=industry_code, industry_word=industry_word,
        area=area, year_registered=year_registered.astype(int), year_exited=year_exited.astype(int),
        alive=alive, firm_effect=firm_effect, open_type=open_type, revenue=revenue,
        log_revenue=log_revenue, dip=dip, tax=tax, rd=rd, employees_latent=employees_latent,
        patent_mean=patent_mean, patents=patents, pct=pct, high_tech=high_tech,
        cert_year=cert_year.astype(int), headquarters=headquarters, hq_year=hq_year,
        listed=listed, listed_year=listed_year,
    )
