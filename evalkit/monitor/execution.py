"""Budget-execution monitoring (预算执行进度, one half of 双监控).

For each policy and the monitored year: the appropriation (``budgets``), the amount disbursed from
January 1 to the as-of date (``disbursements``), the execution rate ``disbursed / appropriation``
and the time progress (序时进度) ``elapsed = day of year of as_of / days in the year``. The shortfall
behind trajectory is ``1 - rate / elapsed`` (0 on schedule, 1 nothing paid); status is green up to
``amber``, amber up to ``red``, red beyond; an execution rate above 100 % (more paid than
appropriated) is amber. Actions: green continue, amber correct, red suspend funding pending
review (MoF practice: serious deviations lead to suspension or stopping of funding).
The monthly table has the cumulative rate at each month end against the linear path ``m / 12``.

For the reports' disclosure control (:mod:`evalkit.report.suppression`) both tables carry the
firms each amount rests on (:func:`evalkit.disclosure.firm_basis`): ``recipients`` (distinct
firms paid) and ``top_share`` (the largest one's share of the amount); the monthly table has them
for the cumulative amount and, as ``month_recipients`` / ``month_top_share``, for the month's.
"""

from __future__ import annotations

import calendar
from datetime import date

import numpy as np
import pandas as pd

from evalkit.disclosure import firm_basis
from evalkit.errors import ConfigError

__all__ = ["ACTIONS", "budget_execution", "monthly_execution", "rate_status", "year_elapsed"]

ACTIONS = {"green": ("继续实施", "continue"), "amber": ("督促整改", "correct"),
           "red": ("暂缓拨付并核查", "suspend funding")}


def parse_as_of(as_of: str) -> date:
    try:
        return date.fromisoformat(str(as_of))
    except ValueError:
        raise ConfigError(f"as_of must be an ISO date YYYY-MM-DD; received {as_of!r}",
                          zh=f"as_of 须为 ISO 日期 YYYY-MM-DD；收到的是 {as_of!r}") from None


def year_elapsed(as_of: date) -> float:
    """Share of the calendar year elapsed at the end of day ``as_of``."""
    days = 366 if calendar.isleap(as_of.year) else 365
    return as_of.timetuple().tm_yday / days


def rate_status(shortfall: float, amber: float, red: float) -> str:
    """green / amber / red for a shortfall behind trajectory (share)."""
    if not np.isfinite(shortfall):
        return "red"
    return "red" if shortfall > red else ("amber" if shortfall > amber else "green")


def _ledger_dates(ledger: pd.DataFrame) -> pd.Series:
    d = pd.to_datetime(ledger["date"], errors="coerce")
    if d.isna().any():
        i = int(np.flatnonzero(d.isna().to_numpy())[0])
        from evalkit.errors import DataError
        raise DataError("unreadable disbursement date", file="disbursements", row=i + 2,
                        column="date", fix="use ISO dates YYYY-MM-DD",
                        zh="拨付日期无法识别", fix_zh="请使用 ISO 日期格式 YYYY-MM-DD")
    return d


def budget_execution(ledger: pd.DataFrame, budgets: pd.DataFrame, year: int, as_of: str,
                     policies: list[str] | None = None, amber: float = 0.10,
                     red: float = 0.20) -> pd.DataFrame:
    """One row per policy with an appropriation in ``year``: ``policy_id, appropriation,
    disbursed, execution_rate, elapsed, shortfall, status, action_zh, action_en, note,
    recipients, top_share`` (the last two: the firms behind ``disbursed``)."""
    cut = parse_as_of(as_of)
    if cut.year != int(year):
        raise ConfigError(f"as_of {as_of} is not in the monitored year {year}",
                          zh=f"as_of {as_of} 不在监测年度 {year} 内")
    elapsed = year_elapsed(cut)
    d = _ledger_dates(ledger)
    in_year = (d.dt.year == int(year)) & (d <= pd.Timestamp(cut))
    paid = ledger.loc[in_year].groupby("policy_id")["amount"].sum()
    paid_rows = ledger.loc[in_year]
    b = budgets.loc[budgets["year"].astype("int64") == int(year)]
    if policies:
        unknown = sorted(set(policies) - set(budgets["policy_id"]))
        if unknown:
            raise ConfigError(f"policies {unknown} have no budget rows; policies with budgets: "
                              f"{sorted(set(budgets['policy_id']))}",
                              zh=f"政策 {unknown} 没有预算记录；有预算的政策："
                                 f"{sorted(set(budgets['policy_id']))}")
        b = b.loc[b["policy_id"].isin(policies)]
    rows = []
    for pid, approp in zip(b["policy_id"], b["appropriation"].astype(float), strict=True):
        disbursed = float(paid.get(pid, 0.0))
        rate = disbursed / approp if approp > 0 else np.nan
        shortfall = 1.0 - rate / elapsed if np.isfinite(rate) else np.nan
        status = rate_status(shortfall, amber, red)
        note = None
        if np.isfinite(rate) and rate > 1.0:
            status, note = "amber", "disbursed more than appropriated"
        elif not np.isfinite(rate):
            note = "no appropriation"
        mine = paid_rows.loc[paid_rows["policy_id"] == pid]
        basis = firm_basis(mine["amount"].astype(float), mine["firm_id"].astype(str).tolist())
        rows.append({"policy_id": str(pid), "appropriation": float(approp), "disbursed": disbursed,
                     "execution_rate": rate, "elapsed": elapsed, "shortfall": shortfall,
                     "status": status, "action_zh": ACTIONS[status][0],
                     "action_en": ACTIONS[status][1], "note": note,
                     "recipients": basis["n"], "top_share": basis["top_share"]})
    cols = ["policy_id", "appropriation", "disbursed", "execution_rate", "elapsed", "shortfall",
            "status", "action_zh", "action_en", "note", "recipients", "top_share"]
    return pd.DataFrame(rows, columns=cols).sort_values("policy_id", ignore_index=True)


def monthly_execution(ledger: pd.DataFrame, budgets: pd.DataFrame, year: int, as_of: str,
                      policies: list[str] | None = None) -> pd.DataFrame:
    """Per policy and month up to as_of: ``policy_id, month, disbursed, cumulative,
    cumulative_rate, planned_rate`` (planned = month / 12) and the firms behind the amounts:
    ``recipients, top_share`` (cumulative), ``month_recipients, month_top_share`` (the month)."""
    cut = parse_as_of(as_of)
    d = _ledger_dates(ledger)
    m = (d.dt.year == int(year)) & (d <= pd.Timestamp(cut))
    sub = pd.DataFrame({"policy_id": ledger.loc[m, "policy_id"].astype(str),
                        "month": d[m].dt.month, "amount": ledger.loc[m, "amount"].astype(float),
                        "firm_id": ledger.loc[m, "firm_id"].astype(str)})
    b = budgets.loc[budgets["year"].astype("int64") == int(year)].set_index("policy_id")
    pids = sorted(b.index) if not policies else sorted(policies)
    rows = []
    for pid in pids:
        approp = float(b.loc[pid, "appropriation"]) if pid in b.index else np.nan
        cum = 0.0
        mine = sub.loc[sub["policy_id"] == pid]
        for month in range(1, cut.month + 1):
            now = mine.loc[mine["month"] == month]
            paid = float(now["amount"].sum())
            cum += paid
            so_far = mine.loc[mine["month"] <= month]
            b_cum = firm_basis(so_far["amount"], so_far["firm_id"].tolist())
            b_now = firm_basis(now["amount"], now["firm_id"].tolist())
            rows.append({"policy_id": pid, "month": month, "disbursed": paid, "cumulative": cum,
                         "cumulative_rate": cum / approp if approp > 0 else np.nan,
                         "planned_rate": month / 12, "recipients": b_cum["n"],
                         "top_share": b_cum["top_share"], "month_recipients": b_now["n"],
                         "month_top_share": b_now["top_share"]})
    return pd.DataFrame(rows, columns=["policy_id", "month", "disbursed", "cumulative",
                                       "cumulative_rate", "planned_rate", "recipients",
                                       "top_share", "month_recipients", "month_top_share"])
