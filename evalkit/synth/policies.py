"""The eight subsidy policies of the synthetic district, modelled on the seed document.

Each :class:`PolicySpec` holds what the ``policies`` table shows (names, department, objective,
instrument, window, eligibility rule, per-firm cap, KPIs) and what only the generator knows: how
firms are selected, how much they get, in which tranches, and the true effect of the award
(:class:`EffectSpec`). The eligibility rule text is written in evalkit's safe rule grammar and is
evaluated on the firm-year record of the year **before** the award (the last annual report an
application can use); :func:`eligible` is its vectorised twin used to draw the awards, and the
tests check that the two agree.

Effects are in log points at full strength; tax paid moves with revenue (tax / revenue is
unchanged by a policy). The award itself is never part of ``rd_expense`` or ``revenue``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from evalkit.io.schemas import FISCAL_OUTCOMES

#: Outcomes with a true effect (tax_paid follows revenue): the schema's fiscal outcomes.
OUTCOMES = FISCAL_OUTCOMES


@dataclass(frozen=True)
class EffectSpec:
    """True effect of an award on the firm's outcomes.

    ``tau_o(e, g, s) = base[o] * min(1, (e + 1) / ramp[o]) * max(0.3, 1 + cohort_slope * (g - g0))
    * size[s]`` log points, for event time ``e = t - g >= 0``, cohort ``g`` (``g0`` the policy's
    first award year) and size class ``s`` of the firm in year ``g - 1``. An outcome listed in
    ``path`` instead follows ``path[o][min(e, len - 1)]`` (times the cohort and size factors). Revenue and tax paid are
    multiplied by ``exp(tau_revenue)``, R&D expense by ``exp(tau_rd_expense)``, the employee count
    (before rounding) by ``exp(tau_employees)``, the Poisson mean of invention patents by
    ``exp(tau_invention_patents)``.
    """

    base: Mapping[str, float]
    ramp: Mapping[str, int]
    cohort_slope: float = 0.0
    size: Mapping[str, float] = field(
        default_factory=lambda: {"large": 1.0, "medium": 1.0, "small": 1.0, "micro": 1.0})
    story: str = ""
    path: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    #: R&D crowding-out in levels: rd_expense falls by this many yuan per yuan of the award's
    #: tranche scheduled in that year (tranche k in year g + k).
    crowd_out_per_yuan: float = 0.0


@dataclass(frozen=True)
class PolicySpec:
    policy_id: str
    name_zh: str
    name_en: str
    department: str
    objective: str
    instrument: str
    start_date: str
    end_date: str
    eligibility_rule: str
    cap_per_firm: float
    kpis: tuple[str, ...]
    #: Awards per year at REFERENCE_FIRMS (application policies) or take-up share of the firms
    #: with the triggering event (event policies: certification, HQ recognition, listing).
    per_year: float
    event: str | None
    score: Mapping[str, float]
    award_months: tuple[int, int]
    tranches: tuple[float, ...]
    effect: EffectSpec

    @property
    def start_year(self) -> int:
        return int(self.start_date[:4])


def _effect(revenue=0.0, employees=0.0, rd_expense=0.0, invention_patents=0.0, ramp=1, *,
            rd_ramp=None, cohort_slope=0.0, size=None, story="", path=None,
            crowd_out_per_yuan=0.0) -> EffectSpec:
    base = {"revenue": revenue, "employees": employees, "rd_expense": rd_expense,
            "invention_patents": invention_patents}
    ramps = {k: ramp for k in base}
    if rd_ramp is not None:
        ramps["rd_expense"] = rd_ramp
    sizes = {"large": 1.0, "medium": 1.0, "small": 1.0, "micro": 1.0}
    sizes.update(size or {})
    return EffectSpec(base, ramps, cohort_slope, sizes, story, dict(path or {}),
                      crowd_out_per_yuan)


INNOVATIVE_RULE_CLUSTERS = '["ai", "life_health", "information_services", "rd_services", ' \
    '"intelligent_manufacturing"]'

POLICIES: tuple[PolicySpec, ...] = (
    PolicySpec(
        "P01", "企业研发投入补助", "R&D expenditure grant", "区科委", "innovation", "grant",
        "2017-01-01", "2025-12-31",
        "rd_expense >= 500000 and rd_expense / revenue >= 0.03 and employees >= 10",
        1_000_000.0, ("rd_expense", "invention_patents"),
        60.0, None, {"log_revenue": 0.6, "rd_intensity": 10.0, "high_tech": 0.8},
        (6, 10), (0.6, 0.4),
        _effect(revenue=0.02, employees=0.01, ramp=2, crowd_out_per_yuan=0.5,
                story="crowds out private R&D: the firm's own R&D expense (the grant is not "
                      "part of rd_expense) falls by 0.5 yuan per yuan of grant in the years the "
                      "tranches are due (g and g + 1; public-finance.md: immediate crowding-out "
                      "of about 0.5 yuan per yuan); revenue and tax rise a little"),
    ),
    PolicySpec(
        "P02", "高新技术企业认定奖励", "High-tech enterprise certification award", "区科委",
        "innovation", "award", "2017-01-01", "2025-12-31",
        "high_tech == true and rd_expense / revenue >= 0.03 and employees >= 10",
        300_000.0, ("invention_patents", "rd_expense", "revenue"),
        0.75, "high_tech", {"log_revenue": 0.5},
        (4, 7), (1.0,),
        _effect(revenue=0.03, employees=0.03, rd_expense=0.08, invention_patents=0.25, ramp=3,
                cohort_slope=-0.04,
                size={"micro": 1.5, "small": 1.3, "medium": 1.0, "large": 0.6},
                story="works: effects build up over three years, are larger for smaller firms "
                      "and for earlier cohorts"),
    ),
    PolicySpec(
        "P03", "总部企业奖励", "Headquarters award", "区商务委", "headquarters", "award",
        "2018-01-01", "2025-12-31",
        "headquarters == true and revenue >= 100000000",
        8_000_000.0, ("revenue", "tax_paid", "employees"),
        0.70, "headquarters", {"log_revenue": 0.5},
        (3, 12), (0.5, 0.5),
        _effect(revenue=0.05, employees=0.04, ramp=2,
                story="works: headquarters functions bring revenue and jobs within two years"),
    ),
    PolicySpec(
        "P04", "人才安居补贴", "Talent housing subsidy", "区人才办", "service", "talent_subsidy",
        "2019-01-01", "2025-12-31",
        "employees >= 20 and revenue >= 10000000",
        600_000.0, ("employees", "revenue"),
        80.0, None, {"log_revenue": 0.4, "high_tech": 0.6, "innovative": 0.5},
        (3, 11), (1 / 3, 1 / 3, 1 / 3),
        _effect(revenue=0.01, employees=0.05, rd_expense=0.03, invention_patents=0.05, ramp=2,
                size={"micro": 1.5, "small": 1.5, "medium": 1.0, "large": 0.5},
                story="works on employment, mostly in small firms"),
    ),
    PolicySpec(
        "P05", "企业上市奖励", "Listing reward", "区金融办", "open", "award",
        "2018-01-01", "2025-12-31",
        "listed == true",
        5_000_000.0, ("revenue", "rd_expense", "employees"),
        0.90, "listed", {"log_revenue": 0.3},
        (1, 12), (1.0,),
        _effect(revenue=0.08, employees=0.06, rd_expense=0.12, invention_patents=0.20, ramp=3,
                cohort_slope=-0.05,
                story="works: capital raised at listing funds growth; earlier cohorts gain more"),
    ),
    PolicySpec(
        "P06", "专精特新企业奖励", "Specialised and innovative SME (专精特新) reward", "区经委",
        "innovation", "award", "2019-01-01", "2025-12-31",
        "employees < 1000 and revenue >= 10000000 and revenue < 400000000 "
        "and rd_expense / revenue >= 0.03",
        200_000.0, ("revenue", "invention_patents", "rd_expense"),
        50.0, None, {"log_revenue": 0.3, "rd_intensity": 6.0},
        (7, 11), (1.0,),
        _effect(revenue=0.04, employees=0.05, rd_expense=0.10, invention_patents=0.30, ramp=2,
                size={"micro": 1.0, "small": 1.0, "medium": 0.0, "large": 0.0},
                story="works only for small and micro firms (size class in the year before the "
                      "award); zero effect on medium and large firms"),
    ),
    PolicySpec(
        "P07", "数字化转型券", "Digital-transformation voucher", "区经委", "flow", "voucher",
        "2020-01-01", "2025-12-31",
        "revenue >= 3000000 and employees >= 10",
        300_000.0, ("revenue", "employees"),
        80.0, None, {"log_revenue": 0.2, "dip": 3.5},
        (5, 12), (0.5, 0.5),
        _effect(revenue=0.015, employees=0.01, rd_expense=0.02, ramp=1,
                story="small true effect, but granted to firms just after a transitory revenue "
                      "dip in the year before the award (Ashenfelter dip): revenue recovers "
                      "anyway, so parallel trends from g-1 fail and a naive DiD overstates it"),
    ),
    PolicySpec(
        "P08", "产业空间租金补贴", "Industrial-space rent subsidy", "区商务委", "service",
        "rent_subsidy", "2017-01-01", "2025-12-31",
        "employees >= 10 and revenue >= 2000000 and cluster in " + INNOVATIVE_RULE_CLUSTERS,
        1_000_000.0, ("revenue", "employees"),
        60.0, None, {"log_revenue": 0.3},
        (3, 6), (1 / 3, 1 / 3, 1 / 3),
        _effect(story="does nothing: every effect is exactly zero"),
    ),
)

POLICY_IDS = tuple(p.policy_id for p in POLICIES)
POLICY_BY_ID = {p.policy_id: p for p in POLICIES}

#: Vectorised twins of the eligibility rules, over arrays named like the firm-year columns (plus
#: ``cluster``, an object array of cluster codes). Kept next to the texts; tests check they agree.
_ELIGIBLE: dict[str, Callable[[Mapping[str, np.ndarray]], np.ndarray]] = {
    "P01": lambda v: (v["rd_expense"] >= 500000) & (v["rd_expense"] / v["revenue"] >= 0.03)
    & (v["employees"] >= 10),
    "P02": lambda v: v["high_tech"] & (v["rd_expense"] / v["revenue"] >= 0.03)
    & (v["employees"] >= 10),
    "P03": lambda v: v["headquarters"] & (v["revenue"] >= 100000000),
    "P04": lambda v: (v["employees"] >= 20) & (v["revenue"] >= 10000000),
    "P05": lambda v: v["listed"],
    "P06": lambda v: (v["employees"] < 1000) & (v["revenue"] >= 10000000)
    & (v["revenue"] < 400000000) & (v["rd_expense"] / v["revenue"] >= 0.03),
    "P07": lambda v: (v["revenue"] >= 3000000) & (v["employees"] >= 10),
    "P08": lambda v: (v["employees"] >= 10) & (v["revenue"] >= 2000000)
    & np.isin(v["cluster"], ["ai", "life_health", "information_services", "rd_services",
                             "intelligent_manufacturing"]),
}


def eligible(policy_id: str, values: Mapping[str, np.ndarray]) -> np.ndarray:
    """Boolean mask of firm-year records satisfying ``policy_id``'s eligibility rule."""
    return np.asarray(_ELIGIBLE[policy_id](values), dtype=bool)


def award_amounts(policy_id: str, v: Mapping[str, np.ndarray], rng: np.random.Generator
                  ) -> np.ndarray:
    """Total award per firm (yuan) from its record in the year before the award; shape (m,).

    Amounts follow notes/public-finance.md: high-tech first certification 200,000-300,000;
    专精特新 up to 200,000; listing 2-4.5 m (filing up to 1 m plus listed up to 3.5 m); HQ awards
    tied to revenue (0.4 %, 1-8 m); R&D grant 20 % of R&D (0.1-1 m); talent housing 5,000 yuan a
    month per supported talent (8 % of staff); vouchers 1 % of revenue (50,000-300,000); rent
    subsidy 30 % of rent for 3 years (10 m2 per employee at 4 yuan/m2/day).
    """
    rev, rd, emp = v["revenue"], v["rd_expense"], v["employees"].astype(float)
    cap = POLICY_BY_ID[policy_id].cap_per_firm
    if policy_id == "P01":
        a = np.clip(np.round(0.2 * rd, -4), 100_000, cap)
    elif policy_id == "P02":
        a = np.where(rev < 5e7, 200_000.0, np.where(rev < 2e8, 250_000.0, 300_000.0))
    elif policy_id == "P03":
        a = np.clip(np.round(0.004 * rev, -4), 1_000_000, cap)
    elif policy_id == "P04":
        talents = np.maximum(2, np.round(0.08 * emp))
        a = np.clip(talents * 60_000.0, 120_000, cap)
    elif policy_id == "P05":
        a = rng.choice(np.array([2_000_000.0, 3_000_000.0, 4_500_000.0]), size=rev.size,
                       p=[0.3, 0.4, 0.3])
    elif policy_id == "P06":
        a = np.where(rev >= 5e7, 200_000.0, 150_000.0)
    elif policy_id == "P07":
        a = np.clip(np.round(0.01 * rev, -3), 50_000, cap)
    elif policy_id == "P08":
        a = np.clip(np.round(emp * 10 * 4.0 * 365 * 0.3 * 3, -3), 90_000, cap)
    else:  # pragma: no cover - POLICY_IDS is closed
        raise KeyError(policy_id)
    return np.minimum(a, cap).astype(float)
