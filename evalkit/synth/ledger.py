"""The disbursement ledger and the budgets of the synthetic district.

Each award is paid in the policy's tranches (:attr:`PolicySpec.tranches`): tranche 1 on the award
date, tranche k one year later per step (a few days' jitter). A share :data:`LATE_SHARE` of the
later tranches is paid late, 60-270 days after schedule. The ledger holds every payment made up to
the as-of date (``<end>-07-31``): later payments, including second tranches of recent awards, have
not happened yet. Amounts are whole yuan; an award's tranches add up to the award.

Budgets: one appropriation per policy and year from the policy's start year. The appropriation is
the payments scheduled for that year (for the final year, the whole year: scheduled tranches plus
the year's new awards extrapolated from January-July to twelve months), times a lognormal error
(s.d. :data:`BUDGET_NOISE_SD`) and a policy bias (:data:`BUDGET_BIAS`: the rent subsidy is
over-budgeted, the voucher under-budgeted), rounded to 10,000 yuan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.synth.policies import POLICIES, award_amounts
from evalkit.synth.treatment import Assignment

LATE_SHARE = 0.12
LATE_DAYS = (60, 270)
JITTER_DAYS = 15
BUDGET_NOISE_SD = 0.12
BUDGET_BIAS = {"P07": 0.9, "P08": 1.25}


def award_totals(rng: np.random.Generator, a: Assignment, lag_values: dict[str, np.ndarray],
                 scale: dict[str, float] | None = None) -> np.ndarray:
    """Total award per firm (yuan), (n,), 0 for firms never awarded. ``lag_values`` are the
    firm's written values in g - 1, arrays (n,); ``scale`` optional multipliers (<= 1) of each
    policy's awards (scenario mode), rounded to 1,000 yuan."""
    award = np.zeros(a.policy.size)
    for spec in POLICIES:
        rows = np.flatnonzero(a.policy == spec.policy_id)
        if rows.size:
            award[rows] = award_amounts(spec.policy_id, {k: v[rows] for k, v in
                                                         lag_values.items()}, rng)
            if scale is not None:
                award[rows] = np.round(award[rows] * float(scale[spec.policy_id]), -3)
    return award


def build_ledger(rng: np.random.Generator, firm_ids: np.ndarray, a: Assignment,
                 award_total: np.ndarray, as_of: np.datetime64
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (ledger, payments).

    ``payments`` has every scheduled payment (paid or not yet) with columns ``policy_id, firm_id,
    g, award, tranche, amount, scheduled, date, late, paid``; ``ledger`` is the paid part in the
    canonical ``disbursements`` columns. ``award_total`` is :func:`award_totals`.
    """
    parts = []
    for spec in POLICIES:
        rows = np.flatnonzero(a.policy == spec.policy_id)
        if rows.size == 0:
            continue
        order = np.lexsort((firm_ids[rows], a.award_date[rows], a.cohort[rows]))
        rows = rows[order]
        award = award_total[rows]
        g = a.cohort[rows]
        seq = np.zeros(rows.size, dtype=int)
        for year in np.unique(g):
            m = g == year
            seq[m] = np.arange(1, m.sum() + 1)
        refs = np.array([f"{spec.policy_id}-{y}-{s:04d}" for y, s in zip(g, seq, strict=True)],
                        dtype=object)
        shares = np.asarray(spec.tranches)
        amounts = np.round(award[:, None] * shares[None, :])
        amounts[:, -1] = award - amounts[:, :-1].sum(axis=1)
        for k in range(shares.size):
            sched = a.award_date[rows] + np.timedelta64(365 * k, "D")
            if k > 0:
                sched = sched + rng.integers(-JITTER_DAYS, JITTER_DAYS + 1, rows.size
                                             ).astype("timedelta64[D]")
                late = rng.random(rows.size) < LATE_SHARE
                delay = rng.integers(LATE_DAYS[0], LATE_DAYS[1] + 1, rows.size)
            else:
                late = np.zeros(rows.size, dtype=bool)
                delay = np.zeros(rows.size, dtype=int)
            date = sched + np.where(late, delay, 0).astype("timedelta64[D]")
            parts.append(pd.DataFrame({
                "policy_id": spec.policy_id, "firm_id": firm_ids[rows], "g": g,
                "award": award, "tranche": k + 1, "amount": amounts[:, k],
                "scheduled": sched, "date": date, "late": late, "project_ref": refs,
            }))
    cols = ["policy_id", "firm_id", "g", "award", "tranche", "amount", "scheduled", "date",
            "late", "project_ref"]
    payments = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    payments["paid"] = payments["date"] <= as_of
    payments = payments.sort_values(["date", "project_ref", "tranche"], kind="stable",
                                    ignore_index=True)
    paid = payments[payments["paid"]].reset_index(drop=True)
    ledger = pd.DataFrame({
        "record_id": pd.array([f"R{i:07d}" for i in range(1, len(paid) + 1)], dtype="string"),
        "policy_id": paid["policy_id"].astype("string"),
        "firm_id": paid["firm_id"].astype("string"),
        "date": pd.array(np.datetime_as_string(paid["date"].to_numpy().astype("datetime64[D]")),
                         dtype="string"),
        "amount": paid["amount"].astype("float64"),
        "tranche": paid["tranche"].astype("int64"),
        "project_ref": paid["project_ref"].astype("string"),
    })
    return ledger, payments


def build_budgets(rng: np.random.Generator, payments: pd.DataFrame, end: int,
                  as_of: np.datetime64, start_years: dict[str, int]) -> pd.DataFrame:
    """Appropriations per policy-year (canonical ``budgets`` columns)."""
    sched_year = payments["scheduled"].dt.year
    first_final = (payments["tranche"] == 1) & (payments["g"] == end)
    months_seen = int(str(as_of)[5:7])
    rows = []
    for spec in POLICIES:
        mine = payments["policy_id"] == spec.policy_id
        for year in range(start_years[spec.policy_id], end + 1):
            planned = float(payments.loc[mine & (sched_year == year), "amount"].sum())
            if year == end:
                planned += float(payments.loc[mine & first_final, "amount"].sum()
                                 * (12 - months_seen) / months_seen)
            planned = max(planned, spec.cap_per_firm)
            approp = planned * np.exp(rng.normal(0.0, BUDGET_NOISE_SD)) * BUDGET_BIAS.get(
                spec.policy_id, 1.0)
            rows.append((spec.policy_id, year, float(np.round(approp, -4))))
    return pd.DataFrame({
        "policy_id": pd.array([r[0] for r in rows], dtype="string"),
        "year": np.array([r[1] for r in rows], dtype="int64"),
        "appropriation": np.array([r[2] for r in rows], dtype="float64"),
    })
