"""The government's cost of a policy, from the disbursement ledger, discounted to a base year.

Payments made in calendar year y are valued in base-year yuan as ``amount * (1 + r)^(base - y)``
(later payments discounted, earlier ones compounded forward), with r the real discount rate
(default 3.5 %, the UK Green Book social time preference rate). An optional administration-cost
share ``a`` adds ``a * subsidy`` for running the scheme. The ledger is the full record of payments,
so the cost carries no sampling uncertainty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError, DataError, require_columns
from evalkit.i18n import Message
from evalkit.results import json_safe

__all__ = ["DEFAULT_DISCOUNT_RATE", "PolicyCost", "discount_factors", "policy_cost"]

DEFAULT_DISCOUNT_RATE = 0.035


def discount_factors(years: Iterable[int], base_year: int,
                     rate: float = DEFAULT_DISCOUNT_RATE) -> dict[int, float]:
    """``{year: (1 + rate)^(base_year - year)}``: multiply a year-y amount to value it at base."""
    if not -1.0 < float(rate) < 1.0:
        raise ConfigError(Message("errors.fiscal.cost.discount_rate_lie", rate=rate))
    return {int(y): float((1.0 + rate) ** (int(base_year) - int(y))) for y in years}


@dataclass(frozen=True)
class PolicyCost:
    """Cost of one policy over a window, in base-year yuan.

    ``by_year`` maps calendar year -> nominal yuan paid. ``subsidy`` is the discounted total paid
    to firms, ``admin`` the administration cost (``admin_share * subsidy``), ``total`` their sum.
    """

    policy_id: str
    base_year: int
    discount_rate: float
    admin_share: float
    nominal: float
    subsidy: float
    admin: float
    total: float
    n_recipients: int
    by_year: Mapping[int, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return json_safe(self)


def policy_cost(ledger: pd.DataFrame, policy_id: str, base_year: int,
                rate: float = DEFAULT_DISCOUNT_RATE, admin_share: float = 0.0,
                window: tuple[int, int] | None = None) -> PolicyCost:
    """Cost of ``policy_id`` from the disbursement ledger (columns ``policy_id, firm_id, date,
    amount``; amounts in yuan). ``window`` = (first, last) calendar year, inclusive."""
    require_columns(ledger, ("policy_id", "firm_id", "date", "amount"),
                    Message("labels.table.disbursements"))
    if not 0.0 <= float(admin_share) < 1.0:
        raise ConfigError(Message("errors.fiscal.cost.admin_share_lie", admin_share=admin_share))
    rows = ledger.loc[ledger["policy_id"].astype(str) == str(policy_id)]
    if rows.empty:
        raise DataError(Message("errors.fiscal.cost.policy_rows_disbursement_ledger",
                                policy_id=policy_id), column="policy_id")
    dates = pd.to_datetime(rows["date"], errors="coerce")
    if dates.isna().any():
        pos = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise DataError(Message("errors.common.unreadable_disbursement_date"),
                        row=int(rows.index[pos]) + 2, column="date",
                        fix=Message("errors.common.fix_use_iso_dates_yyyy"))
    amount = pd.to_numeric(rows["amount"], errors="coerce")
    if amount.isna().any() or (amount < 0).any():
        pos = int(np.flatnonzero((amount.isna() | (amount < 0)).to_numpy())[0])
        raise DataError(Message("errors.fiscal.cost.disbursement_amount_missing_negative"),
                        row=int(rows.index[pos]) + 2, column="amount")
    years = dates.dt.year.to_numpy()
    keep = np.ones(len(rows), bool)
    if window is not None:
        keep = (years >= window[0]) & (years <= window[1])
    by_year = (pd.Series(amount.to_numpy()[keep], index=years[keep]).groupby(level=0).sum())
    by_year = {int(y): float(v) for y, v in by_year.items()}
    factors = discount_factors(by_year, base_year, rate)
    subsidy = float(sum(v * factors[y] for y, v in by_year.items()))
    admin = float(admin_share) * subsidy
    return PolicyCost(str(policy_id), int(base_year), float(rate), float(admin_share),
                      float(sum(by_year.values())), subsidy, admin, subsidy + admin,
                      int(rows.loc[keep, "firm_id"].nunique()), by_year)
