"""Budget-execution monitoring (预算执行进度, one half of 双监控).

For each policy and the monitored year: the appropriation (``budgets``), the amount disbursed from
January 1 to the as-of date (``disbursements``) and the execution rate ``disbursed /
appropriation``. The rate is judged against the share of its appropriation the policy is
**expected** to have paid by as_of, read from its own disbursement calendar:

* **Calendar rule.** The policy's history is the most recent :data:`HISTORY_YEARS` calendar years
  before the monitored year in which the ledger shows it paid anything. For each such year the
  cumulative share of that year's payments made by the end of each month gives a 12-point
  profile; the calendar is the mean of those yearly profiles (each year weighs the same). The
  expected share at as_of is the calendar at the end of the previous month plus the as-of
  month's share pro rata to the days elapsed in that month (at a month end: the calendar's value).
  A policy that has always paid in October-December thus expects about 0 % by July and is not
  behind in July; one that pays every April expects about 100 % by May.
* **Fallback** (no year with payments before the monitored year: a new policy): the straight
  line through the year, time progress (序时进度) ``elapsed = day of year of as_of / days in the
  year``. The ``basis`` column says which rule applied (``calendar`` / ``linear``) and
  ``calendar_years`` the years the calendar rests on.

Shortfall behind the expected share is ``1 - rate / expected`` (0 on schedule, 1 nothing paid);
an expected share below :data:`MIN_EXPECTED` counts as nothing due yet (shortfall 0). Status is
green up to ``amber``, amber up to ``red``, red beyond. **Spending above the appropriation**
(rate above 100 %) is red whatever the calendar says, with its own action.

Actions follow the deviation (MoF practice: deviations are corrected; idle funds are reduced or
recovered; spending beyond the budget is stopped): :data:`SPENDING_ACTIONS` for slow spending
(green continue, amber urge faster disbursement, red reduce the appropriation or recover idle
funds) and :data:`OVERSPEND_ACTION` for spending above the appropriation; the column ``action``
holds the key, ``action_zh`` / ``action_en`` the words. Performance-target deviations have their
own actions (:data:`evalkit.monitor.kpi.TARGET_ACTIONS`). Every row names the period its status
is about (``year`` and ``period``: January 1 to as_of of the monitored year).

The monthly table has the cumulative rate at each month end against the planned path: the
policy's calendar at each month end, or the linear path ``m / 12`` without history.

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
from evalkit.errors import ConfigError, DataError
from evalkit.i18n import Message

__all__ = [
    "HISTORY_YEARS",
    "MIN_EXPECTED",
    "OVERSPEND_ACTION",
    "SPENDING_ACTIONS",
    "budget_execution",
    "disbursement_calendar",
    "expected_share",
    "ledger_dates",
    "monthly_execution",
    "rate_status",
    "spending_action",
    "year_elapsed",
]

#: Completed years with payments the disbursement calendar rests on (the most recent ones).
HISTORY_YEARS = 3
#: Below this expected share of the appropriation nothing counts as due yet.
MIN_EXPECTED = 0.01
#: Slow spending: (key, its text) by status.
SPENDING_ACTIONS = {"green": ("continue", Message("monitor.action.continue")),
                    "amber": ("urge", Message("monitor.action.urge")),
                    "red": ("reduce_or_recover", Message("monitor.action.reduce_or_recover"))}
#: Spending above the appropriation (always red).
OVERSPEND_ACTION = ("stop_overspend", Message("monitor.action.stop_overspend"))


def spending_action(status: str, overspent: bool = False) -> dict[str, str]:
    """``action, action_zh, action_en`` for a spending status (module doc)."""
    key, text = OVERSPEND_ACTION if overspent else SPENDING_ACTIONS[status]
    return {"action": key, "action_zh": text.zh, "action_en": text.en}


def parse_as_of(as_of: str) -> date:
    try:
        return date.fromisoformat(str(as_of))
    except ValueError:
        raise ConfigError(Message("errors.monitor.execution.iso_date_yyyy_mm", as_of=as_of)) from None


def year_elapsed(as_of: date) -> float:
    """Share of the calendar year elapsed at the end of day ``as_of``."""
    days = 366 if calendar.isleap(as_of.year) else 365
    return as_of.timetuple().tm_yday / days


def rate_status(shortfall: float, amber: float, red: float) -> str:
    """green / amber / red for a shortfall behind trajectory (share)."""
    if not np.isfinite(shortfall):
        return "red"
    return "red" if shortfall > red else ("amber" if shortfall > amber else "green")


def ledger_dates(ledger: pd.DataFrame) -> pd.Series:
    """The ledger's payment dates as datetimes; an unreadable date is a DataError naming its row."""
    d = pd.to_datetime(ledger["date"], errors="coerce")
    if d.isna().any():
        i = int(np.flatnonzero(d.isna().to_numpy())[0])
        raise DataError(Message("errors.common.unreadable_disbursement_date"),
                        file="disbursements", row=i + 2, column="date",
                        fix=Message("errors.common.fix_use_iso_dates_yyyy"))
    return d


def disbursement_calendar(ledger: pd.DataFrame, policy_id: str, year: int,
                          history: int = HISTORY_YEARS) -> tuple[np.ndarray | None, list[int]]:
    """The policy's disbursement calendar before ``year`` (module doc): the mean over its last
    ``history`` years with payments of the cumulative share of the year's payments made by each
    month end, shape (12,), and those years; ``(None, [])`` without such a year."""
    d = ledger_dates(ledger)
    mine = (ledger["policy_id"].astype(str) == str(policy_id)) & (d.dt.year < int(year))
    amount = pd.to_numeric(ledger.loc[mine, "amount"], errors="coerce").astype(float)
    by = pd.DataFrame({"y": d[mine].dt.year, "m": d[mine].dt.month, "a": amount})
    totals = by.groupby("y")["a"].sum()
    years = sorted(int(y) for y in totals.index[totals > 0])[-history:]
    if not years:
        return None, []
    profiles = []
    for y in years:
        months = by.loc[by["y"] == y].groupby("m")["a"].sum().reindex(range(1, 13), fill_value=0)
        profiles.append(np.cumsum(months.to_numpy(dtype=float)) / float(totals.loc[y]))
    return np.mean(profiles, axis=0), years


def expected_share(cal: np.ndarray | None, as_of: date) -> float:
    """Share of the appropriation expected paid by the end of day ``as_of``: the calendar read
    pro rata within the as-of month, or :func:`year_elapsed` without a calendar."""
    if cal is None:
        return year_elapsed(as_of)
    prev = float(cal[as_of.month - 2]) if as_of.month > 1 else 0.0
    days = calendar.monthrange(as_of.year, as_of.month)[1]
    return prev + (float(cal[as_of.month - 1]) - prev) * as_of.day / days


def budget_execution(ledger: pd.DataFrame, budgets: pd.DataFrame, year: int, as_of: str,
                     policies: list[str] | None = None, amber: float = 0.10,
                     red: float = 0.20) -> pd.DataFrame:
    """One row per policy with an appropriation in ``year``: ``policy_id, year, period,
    appropriation, disbursed, execution_rate, elapsed, expected, basis, calendar_years,
    shortfall, status, action, action_zh, action_en, note, recipients, top_share`` (the last two:
    the firms behind ``disbursed``)."""
    cut = parse_as_of(as_of)
    if cut.year != int(year):
        raise ConfigError(Message("errors.monitor.execution.monitored_year", as_of=as_of,
                                  year=year))
    elapsed = year_elapsed(cut)
    d = ledger_dates(ledger)
    in_year = (d.dt.year == int(year)) & (d <= pd.Timestamp(cut))
    paid = ledger.loc[in_year].groupby("policy_id")["amount"].sum()
    paid_rows = ledger.loc[in_year]
    b = budgets.loc[budgets["year"].astype("int64") == int(year)]
    if policies:
        unknown = sorted(set(policies) - set(budgets["policy_id"]))
        if unknown:
            raise ConfigError(Message("errors.monitor.execution.policies_budget_rows_policies",
                                      unknown=unknown,
                                      policy_id=sorted(set(budgets['policy_id']))))
        b = b.loc[b["policy_id"].isin(policies)]
    period = f"{int(year)}-01-01/{cut.isoformat()}"
    rows = []
    for pid, approp in zip(b["policy_id"], b["appropriation"].astype(float), strict=True):
        disbursed = float(paid.get(pid, 0.0))
        rate = disbursed / approp if approp > 0 else np.nan
        cal, cal_years = disbursement_calendar(ledger, str(pid), int(year))
        expected = expected_share(cal, cut)
        if not np.isfinite(rate):
            shortfall = np.nan
        elif expected < MIN_EXPECTED:
            shortfall = 0.0
        else:
            shortfall = 1.0 - rate / expected
        status = rate_status(shortfall, amber, red)
        overspent = bool(np.isfinite(rate) and rate > 1.0)
        note = None
        if overspent:
            status, note = "red", "disbursed more than appropriated"
        elif not np.isfinite(rate):
            note = "no appropriation"
        elif expected < MIN_EXPECTED:
            note = "nothing due yet by the policy's calendar"
        mine = paid_rows.loc[paid_rows["policy_id"] == pid]
        basis = firm_basis(mine["amount"].astype(float), mine["firm_id"].astype(str).tolist())
        rows.append({"policy_id": str(pid), "year": int(year), "period": period,
                     "appropriation": float(approp), "disbursed": disbursed,
                     "execution_rate": rate, "elapsed": elapsed, "expected": expected,
                     "basis": "linear" if cal is None else "calendar",
                     "calendar_years": ";".join(str(y) for y in cal_years),
                     "shortfall": shortfall, "status": status,
                     **spending_action(status, overspent), "note": note,
                     "recipients": basis["n"], "top_share": basis["top_share"]})
    cols = ["policy_id", "year", "period", "appropriation", "disbursed", "execution_rate",
            "elapsed", "expected", "basis", "calendar_years", "shortfall", "status", "action",
            "action_zh", "action_en", "note", "recipients", "top_share"]
    return pd.DataFrame(rows, columns=cols).sort_values("policy_id", ignore_index=True)


def monthly_execution(ledger: pd.DataFrame, budgets: pd.DataFrame, year: int, as_of: str,
                      policies: list[str] | None = None) -> pd.DataFrame:
    """Per policy and month up to as_of: ``policy_id, month, disbursed, cumulative,
    cumulative_rate, planned_rate`` (planned: the policy's disbursement calendar at the month
    end, ``month / 12`` without history) and the firms behind the amounts: ``recipients,
    top_share`` (cumulative), ``month_recipients, month_top_share`` (the month)."""
    cut = parse_as_of(as_of)
    d = ledger_dates(ledger)
    m = (d.dt.year == int(year)) & (d <= pd.Timestamp(cut))
    sub = pd.DataFrame({"policy_id": ledger.loc[m, "policy_id"].astype(str),
                        "month": d[m].dt.month, "amount": ledger.loc[m, "amount"].astype(float),
                        "firm_id": ledger.loc[m, "firm_id"].astype(str)})
    b = budgets.loc[budgets["year"].astype("int64") == int(year)].set_index("policy_id")
    pids = sorted(b.index) if not policies else sorted(policies)
    rows = []
    for pid in pids:
        approp = float(b.loc[pid, "appropriation"]) if pid in b.index else np.nan
        cal, _ = disbursement_calendar(ledger, pid, int(year))
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
                         "planned_rate": month / 12 if cal is None else float(cal[month - 1]),
                         "recipients": b_cum["n"],
                         "top_share": b_cum["top_share"], "month_recipients": b_now["n"],
                         "month_top_share": b_now["top_share"]})
    return pd.DataFrame(rows, columns=["policy_id", "month", "disbursed", "cumulative",
                                       "cumulative_rate", "planned_rate", "recipients",
                                       "top_share", "month_recipients", "month_top_share"])
