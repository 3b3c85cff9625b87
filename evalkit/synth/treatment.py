"""Who gets which award when, and the treated potential outcomes Y(1).

Assignment (staggered adoption, selection on observables). Year by year from ``start + 1``, every
firm alive this year and last year that has not yet received any award is a candidate for each
policy open that year. A candidate must satisfy the policy's eligibility rule on its record of the
previous year; event policies additionally need the triggering event in that year (first
high-tech certification, recognition as headquarters, listing). Among eligible candidates,
P(apply and win) = sigmoid(alpha_pt + score), where the score is a linear index of lagged
observables (log revenue, R&D intensity, high-tech status, an innovative cluster, and, for the
digital voucher, a revenue fall of more than 15 % in the previous year); alpha_pt is calibrated so
the expected number of awards matches the programme's size. A firm selected by several policies
in one year gets one of them at random. **Each firm receives at most one award**, so its cohort
``g`` is its award year and the clean comparison group for any policy is the firms never awarded
any policy. Awards in the final year happen only up to the as-of date (July 31); later ones have
not happened and are not in the data.

Potential outcomes: for treated firm i with cohort g and years t >= g, Y(1) follows
:class:`evalkit.synth.policies.EffectSpec`; Y(1) = Y(0) before g. Patents are coupled so that
Y(1) - Y(0) is as small as the marginal distributions allow (Y(1) = Y(0) + Poisson(l1 - l0) when
the mean rises, Binomial(Y(0), l1 / l0) thinning when it falls).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evalkit.reference import classify_size
from evalkit.synth import params as P
from evalkit.synth.policies import POLICIES, eligible
from evalkit.synth.population import Population, draw_expected_count

#: A fall in log revenue beyond this in the year before counts as a dip for the voucher's score.
DIP_THRESHOLD = -0.15


@dataclass(frozen=True)
class Assignment:
    policy: np.ndarray      # (n,) object, policy id or "" for never treated
    cohort: np.ndarray      # (n,) int award year, 0 for never treated
    award_date: np.ndarray  # (n,) datetime64[D], NaT for never treated
    size_pre: np.ndarray    # (n,) object, size class in g - 1 ("" for never treated)


@dataclass(frozen=True)
class Outcomes:
    """Written (rounded) outcomes, Y(0) and observed, each (n, T)."""

    revenue0: np.ndarray
    tax0: np.ndarray
    rd0: np.ndarray
    employees0: np.ndarray
    patents0: np.ndarray
    revenue: np.ndarray
    tax: np.ndarray
    rd: np.ndarray
    employees: np.ndarray
    patents: np.ndarray
    treated_post: np.ndarray  # (n, T) bool: treated firm, t >= g, alive


def written_y0(pop: Population) -> dict[str, np.ndarray]:
    """Y(0) as it is written to the files: money rounded to fen, employees to persons (>= 1)."""
    return {
        "revenue": np.round(pop.revenue, 2),
        "tax_paid": np.round(pop.tax, 2),
        "rd_expense": np.round(pop.rd, 2),
        "employees": np.maximum(1, np.round(pop.employees_latent)).astype(np.int64),
        "invention_patents": pop.patents.astype(np.int64),
    }


def _values(pop: Population, y0: dict[str, np.ndarray], k: int) -> dict[str, np.ndarray]:
    return {
        "revenue": y0["revenue"][:, k], "tax_paid": y0["tax_paid"][:, k],
        "rd_expense": y0["rd_expense"][:, k], "employees": y0["employees"][:, k],
        "invention_patents": y0["invention_patents"][:, k], "pct_applications": pop.pct[:, k],
        "high_tech": pop.high_tech[:, k], "listed": pop.listed[:, k],
        "headquarters": pop.headquarters[:, k], "cluster": pop.cluster,
        "industry_code": pop.industry_code,
    }


def assign(rng: np.random.Generator, pop: Population, y0: dict[str, np.ndarray],
           as_of: np.datetime64, start_years: dict[str, int],
           uptake: dict[str, float] | None = None) -> Assignment:
    """Draw the awards; ``start_years`` maps policy id -> first award year; ``uptake`` optional
    multipliers of each policy's expected awards (scenario mode, :mod:`.scenario`)."""
    n, T = pop.alive.shape
    years = pop.years
    scale = n / P.REFERENCE_FIRMS
    policy = np.full(n, "", dtype=object)
    cohort = np.zeros(n, dtype=int)
    award_date = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    treated = np.zeros(n, dtype=bool)
    innovative = np.isin(pop.cluster, P.INNOVATIVE_CLUSTERS).astype(float)
    log_rev = np.log(np.maximum(y0["revenue"], 1.0))
    for k in range(1, T):
        t = int(years[k])
        lag = _values(pop, y0, k - 1)
        base = pop.alive[:, k] & pop.alive[:, k - 1] & ~treated
        if base.sum() > 1:
            mu, sd = log_rev[base, k - 1].mean(), log_rev[base, k - 1].std() or 1.0
        else:
            mu, sd = 0.0, 1.0
        feats = {
            "log_revenue": (log_rev[:, k - 1] - mu) / sd,
            "rd_intensity": lag["rd_expense"] / lag["revenue"],
            "high_tech": lag["high_tech"].astype(float),
            "innovative": innovative,
            "dip": ((log_rev[:, k - 1] - log_rev[:, max(k - 2, 0)] < DIP_THRESHOLD)
                    & (k >= 2) & pop.alive[:, max(k - 2, 0)]).astype(float),
        }
        chosen = np.zeros((n, len(POLICIES)), dtype=bool)
        for j, spec in enumerate(POLICIES):
            if t < start_years[spec.policy_id]:
                continue
            up = 1.0 if uptake is None else float(uptake[spec.policy_id])
            cand = base & eligible(spec.policy_id, lag)
            if spec.event is not None:
                when = {"high_tech": pop.cert_year, "headquarters": pop.hq_year,
                        "listed": pop.listed_year}[spec.event]
                cand &= when == t - 1
                expected = min(1.0, spec.per_year * up) * cand.sum()
            else:
                expected = spec.per_year * up * scale
            score = sum(w * feats[name] for name, w in spec.score.items())
            chosen[:, j] = draw_expected_count(rng, np.asarray(score, dtype=float), cand, expected)
        keys = rng.random((n, len(POLICIES))) * chosen
        pick = np.flatnonzero(chosen.any(axis=1))
        which = keys[pick].argmax(axis=1)
        # award dates within each policy's round
        m0 = np.array([POLICIES[j].award_months[0] for j in which], dtype=int)
        m1 = np.array([POLICIES[j].award_months[1] for j in which], dtype=int)
        first = np.array([np.datetime64(f"{t}-{m:02d}-01") for m in range(1, 13)] +
                         [np.datetime64(f"{t + 1}-01-01")])
        lo, hi = first[m0 - 1], first[m1]  # hi is the first day after the round
        span = (hi - lo).astype(int)
        dates = lo + (rng.random(pick.size) * span).astype(int).astype("timedelta64[D]")
        happened = dates <= as_of
        pick, which, dates = pick[happened], which[happened], dates[happened]
        policy[pick] = np.array([POLICIES[j].policy_id for j in which], dtype=object)
        cohort[pick] = t
        award_date[pick] = dates
        treated[pick] = True

    size_pre = np.full(n, "", dtype=object)
    tr = np.flatnonzero(treated)
    if tr.size:
        kpre = cohort[tr] - years[0] - 1
        size_pre[tr] = classify_size(pop.industry_code[tr], y0["revenue"][tr, kpre],
                                     y0["employees"][tr, kpre])
    return Assignment(policy, cohort, award_date, size_pre)


def effects(pop: Population, a: Assignment, start_years: dict[str, int],
            scale: dict[str, float] | None = None) -> dict[str, np.ndarray]:
    """True effects in log points, (n, T), zero for untreated cells and for t < g; ``scale``
    optional multipliers of each policy's effects (scenario mode, :mod:`.scenario`)."""
    n, T = pop.alive.shape
    out = {o: np.zeros((n, T)) for o in ("revenue", "employees", "rd_expense", "invention_patents")}
    e = pop.years[None, :] - a.cohort[:, None]
    for spec in POLICIES:
        rows = np.flatnonzero(a.policy == spec.policy_id)
        if rows.size == 0:
            continue
        ef = spec.effect
        ee = e[rows]
        post = (ee >= 0) & pop.alive[rows]
        cohort_mult = np.maximum(0.3, 1.0 + ef.cohort_slope * (a.cohort[rows] - start_years[spec.policy_id]))
        size_mult = np.array([ef.size[s] for s in a.size_pre[rows]])
        for o in out:
            if o in ef.path:
                steps = np.asarray(ef.path[o], dtype=float)
                shape = steps[np.clip(ee, 0, steps.size - 1)]
            else:
                shape = ef.base[o] * np.minimum(1.0, (ee + 1) / ef.ramp[o])
            tau = shape * (cohort_mult * size_mult)[:, None]
            if scale is not None:
                tau = tau * float(scale[spec.policy_id])
            out[o][rows] = np.where(post, tau, 0.0)
    return out


def crowd_out(pop: Population, a: Assignment, award: np.ndarray) -> np.ndarray:
    """Additive change of rd_expense (yuan), (n, T): minus ``crowd_out_per_yuan`` times the
    award's tranche scheduled in each year (tranche k in year g + k)."""
    shift = np.zeros(pop.alive.shape)
    e = pop.years[None, :] - a.cohort[:, None]
    for spec in POLICIES:
        c = spec.effect.crowd_out_per_yuan
        rows = np.flatnonzero(a.policy == spec.policy_id)
        if c == 0 or rows.size == 0:
            continue
        for k, share in enumerate(spec.tranches):
            hit = (e[rows] == k) & pop.alive[rows]
            shift[rows] -= np.where(hit, c * share * award[rows][:, None], 0.0)
    return shift


def outcomes(rng: np.random.Generator, pop: Population, y0: dict[str, np.ndarray],
             a: Assignment, start_years: dict[str, int], award: np.ndarray,
             effect_scale: dict[str, float] | None = None
             ) -> tuple[Outcomes, dict[str, np.ndarray]]:
    """Observed outcomes and the treated potential outcomes Y(1) (both written/rounded).

    ``award``: (n,) total award per firm (yuan), used for R&D crowding-out.
    """
    tau = effects(pop, a, start_years, effect_scale)
    shift = crowd_out(pop, a, award)
    treated_post = (a.cohort[:, None] > 0) & (pop.years[None, :] >= a.cohort[:, None]) & pop.alive
    rev1 = np.where(treated_post, np.round(pop.revenue * np.exp(tau["revenue"]), 2), y0["revenue"])
    tax1 = np.where(treated_post, np.round(pop.tax * np.exp(tau["revenue"]), 2), y0["tax_paid"])
    rd1 = np.where(treated_post,
                   np.round(np.maximum(0.0, pop.rd * np.exp(tau["rd_expense"]) + shift), 2),
                   y0["rd_expense"])
    emp1 = np.where(treated_post, np.maximum(1, np.round(pop.employees_latent
                                                         * np.exp(tau["employees"]))),
                    y0["employees"]).astype(np.int64)
    # coupled patent draws, only where the mean changes
    pat0 = y0["invention_patents"]
    pat1 = pat0.copy()
    lam0 = pop.patent_mean
    lam1 = lam0 * np.exp(tau["invention_patents"])
    up = treated_post & (lam1 > lam0)
    down = treated_post & (lam1 < lam0)
    pat1[up] = pat0[up] + rng.poisson(lam1[up] - lam0[up])
    pat1[down] = rng.binomial(pat0[down], lam1[down] / lam0[down])
    y1 = {"revenue": rev1, "tax_paid": tax1, "rd_expense": rd1, "employees": emp1,
          "invention_patents": pat1}
    obs = Outcomes(
        revenue0=y0["revenue"], tax0=y0["tax_paid"], rd0=y0["rd_expense"],
        employees0=y0["employees"], patents0=pat0,
        revenue=rev1, tax=tax1, rd=rd1, employees=emp1, patents=pat1, treated_post=treated_post,
    )
    return obs, y1
