"""Process indicators (过程指标) computed from the budget table and the disbursement ledger.

* Budget execution rate (预算执行率) = amount disbursed in the year / appropriation for the year.
* Timeliness of disbursement (资金拨付及时性) = share of scheduled tranches paid in full on or
  before their due date; a tranche is the set of ledger rows with the same ``tranche`` number
  (and year); a scheduled tranche with no payment counts as late.
"""

from __future__ import annotations

import pandas as pd

from evalkit.errors import DataError, require_columns
from evalkit.i18n import Message

__all__ = ["budget_execution_rate", "disbursement_timeliness"]


def _require(df: pd.DataFrame, cols: tuple[str, ...], table: str) -> None:
    require_columns(df, cols, Message("labels.table.named", name=table), file=table)


def _dates(s: pd.Series, table: str, column: str) -> pd.Series:
    d = pd.to_datetime(s, errors="coerce")
    if d.isna().any():
        i = d.index[d.isna()][0]
        raise DataError(Message("errors.portfolio.process.unreadable_date", s=s.loc[i]),
                        file=table, row=int(i) + 2, column=column,
                        fix=Message("errors.common.fix_use_iso_dates_yyyy"))
    return d


def budget_execution_rate(ledger: pd.DataFrame, budgets: pd.DataFrame, policy_id: str,
                          year: int) -> float:
    """Disbursed in ``year`` / appropriation of ``policy_id`` for ``year`` (may exceed 1)."""
    _require(ledger, ("policy_id", "date", "amount"), "disbursements")
    _require(budgets, ("policy_id", "year", "appropriation"), "budgets")
    b = budgets.loc[(budgets["policy_id"].astype(str) == str(policy_id))
                    & (budgets["year"].astype(int) == int(year)), "appropriation"]
    if b.empty:
        raise DataError(Message("errors.portfolio.process.appropriation_policy",
                                policy_id=policy_id, year=year), file="budgets",
                        column="appropriation")
    appropriation = float(b.sum())
    if appropriation <= 0:
        raise DataError(Message("errors.portfolio.process.appropriation_policy_positive",
                                policy_id=policy_id, year=year), file="budgets",
                        column="appropriation")
    rows = ledger.loc[ledger["policy_id"].astype(str) == str(policy_id)]
    years = _dates(rows["date"], "disbursements", "date").dt.year
    return float(rows.loc[years == int(year), "amount"].astype(float).sum()) / appropriation


def disbursement_timeliness(ledger: pd.DataFrame, due_dates: pd.DataFrame, policy_id: str,
                            year: int | None = None) -> float:
    """Share of scheduled tranches of ``policy_id`` fully paid by their due date.

    ``due_dates`` has columns ``policy_id, tranche, due_date`` (and optionally ``year``, matched
    against the payment year, for policies with tranches numbered within each year).
    """
    _require(ledger, ("policy_id", "date", "tranche"), "disbursements")
    _require(due_dates, ("policy_id", "tranche", "due_date"), "due_dates")
    sched = due_dates.loc[due_dates["policy_id"].astype(str) == str(policy_id)].copy()
    by_year = "year" in sched.columns
    if year is not None and by_year:
        sched = sched.loc[sched["year"].astype(int) == int(year)]
    if sched.empty:
        raise DataError(Message("errors.portfolio.process.scheduled_tranches_policy",
                                policy_id=policy_id), file="due_dates", column="policy_id")
    sched["due"] = _dates(sched["due_date"], "due_dates", "due_date")
    rows = ledger.loc[ledger["policy_id"].astype(str) == str(policy_id)].copy()
    rows["paid"] = _dates(rows["date"], "disbursements", "date")
    keys = ["tranche", "year"] if by_year else ["tranche"]
    rows["year"] = rows["paid"].dt.year
    last = rows.groupby(keys)["paid"].max()
    on_time = 0
    for r in sched.itertuples():
        key = (int(r.tranche), int(r.year)) if by_year else int(r.tranche)
        if key in last.index and last.loc[key] <= r.due:
            on_time += 1
    return on_time / len(sched)
