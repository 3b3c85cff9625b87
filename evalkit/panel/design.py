"""Staggered adoption designs: which firm joins which cohort of a policy, and who can serve as a
control.

A firm's cohort ``g`` for a policy is the year of its first disbursement under that policy (the
ledger is the record of treatment); firms never paid by the policy have ``g = 0``, following the
convention of Callaway & Sant'Anna (2021) and R ``did``. With ``controls="never_any"`` (default)
firms paid by *other* policies are left out of the comparison group, so that it is untouched by
any subsidy; ``"never_policy"`` keeps them.

Given the policy's ``window`` (start and end dates, :func:`policy_window`), payments dated
outside it are ledger anomalies (the monitoring stage reports them), not the policy's treatment:
a firm with any such payment from the policy is left out -- neither treated (its timing is
unclear) nor a control (it was paid). The number of such payments is kept in
``n_payments_outside_window``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, check_choice
from evalkit.i18n import Message
from evalkit.panel.panel import Panel

CONTROLS = ("never_any", "never_policy")


def first_award_year(disbursements: pd.DataFrame, policy_id: str | None = None) -> pd.Series:
    """Year of each firm's first disbursement (under ``policy_id``, or under any policy)."""
    led = disbursements if policy_id is None else disbursements[disbursements["policy_id"] == policy_id]
    years = pd.to_datetime(led["date"]).dt.year
    return years.groupby(led["firm_id"]).min().astype("int64").rename("g")


def policy_window(policies: pd.DataFrame, policy_id: str) -> tuple[Any, Any] | None:
    """(start_date, end_date) of ``policy_id`` from the policies table; a missing bound is
    open (the earliest / latest date), None when both are missing or the policy is unknown."""
    rows = policies.loc[policies["policy_id"] == policy_id]
    if rows.empty:
        return None
    start, end = rows["start_date"].iloc[0], rows["end_date"].iloc[0]
    if pd.isna(start) and pd.isna(end):
        return None
    return (pd.Timestamp.min if pd.isna(start) else pd.Timestamp(start),
            pd.Timestamp.max if pd.isna(end) else pd.Timestamp(end))


@dataclass(frozen=True)
class StaggeredDesign:
    """The estimation sample for one policy: the panel rows of its treated firms and controls,
    with the cohort column ``g`` (0 = never treated)."""

    policy_id: str
    data: pd.DataFrame
    controls: str
    n_excluded_other_policy: int
    n_payments_outside_window: int = 0

    @classmethod
    def from_ledger(cls, panel: Panel, disbursements: pd.DataFrame, policy_id: str,
                    controls: str = "never_any", window: tuple[Any, Any] | None = None
                    ) -> StaggeredDesign:
        check_choice("controls", controls, CONTROLS)
        if not (disbursements["policy_id"] == policy_id).any():
            known = sorted(disbursements["policy_id"].unique())
            raise DesignError(Message("errors.panel.design.policy_disbursements_policies_ledger",
                                      policy_id=policy_id, known=known))
        mine = disbursements[disbursements["policy_id"] == policy_id]
        outside = np.zeros(len(mine), dtype=bool)
        if window is not None:
            date = pd.to_datetime(mine["date"])
            start, end = pd.Timestamp(window[0]), pd.Timestamp(window[1])
            outside = ((date < start) | (date > end)).to_numpy()
        if outside.all():
            raise DesignError(Message("errors.panel.design.policy_disbursements_inside_window",
                                      policy_id=policy_id, window=window[0], window_2=window[1]))
        g = first_award_year(mine.loc[~outside])
        data = panel.data.copy()
        data["g"] = data["firm_id"].map(g).fillna(0).astype("int64")
        excluded = 0
        # paid by this policy outside its window: neither treated nor a clean control
        data = data.loc[~data["firm_id"].isin(set(mine.loc[outside, "firm_id"]))]
        if controls == "never_any":
            any_award = first_award_year(disbursements)
            other = data["firm_id"].isin(any_award.index) & (data["g"] == 0)
            excluded = int(data.loc[other, "firm_id"].nunique())
            data = data.loc[~other]
        data = data.reset_index(drop=True)
        codes, _ = pd.factorize(data["firm_id"], sort=True)
        data["unit"] = codes.astype(np.int32)
        return cls(policy_id, data, controls, excluded, int(outside.sum()))

    def cohort_sizes(self) -> pd.Series:
        """Number of firms per cohort (0 = never treated)."""
        return self.data.drop_duplicates("unit").groupby("g").size().rename("firms")
