"""Classification of policies by objective (five-type economy) and main cluster, and the
"large fund use, high activity" flag (资金量大、活跃度高) the district singles out for a dedicated
evaluation (Xuhui opinions, section 六.4).

A policy's main cluster is the cluster holding the largest share of its disbursed amount (ties
broken alphabetically). It is flagged when its spend is at or above the ``spend_quantile`` of all
policies' spend AND its number of distinct recipients at or above the ``recipients_quantile``
(defaults: top quartile of both); absolute thresholds override the quantiles when given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError, DataError, require_columns
from evalkit.i18n import Message

__all__ = ["classify_policies"]


def classify_policies(policies: pd.DataFrame, ledger: pd.DataFrame, firms: pd.DataFrame,
                      window: tuple[int, int] | None = None, spend_quantile: float = 0.75,
                      recipients_quantile: float = 0.75, spend_threshold: float | None = None,
                      recipients_threshold: int | None = None) -> pd.DataFrame:
    """One row per policy: ``policy_id, objective, main_cluster, main_cluster_share, spend,
    recipients, large_fund_high_activity``. Spend is nominal yuan paid in ``window``."""
    for df, name, cols in ((policies, "policies", ("policy_id", "objective")),
                           (ledger, "disbursements", ("policy_id", "firm_id", "date", "amount")),
                           (firms, "firms", ("firm_id", "cluster"))):
        require_columns(df, cols, Message("labels.table.named", name=name), file=name)
    for nm, q in (("spend_quantile", spend_quantile), ("recipients_quantile", recipients_quantile)):
        if not 0.0 <= q <= 1.0:
            raise ConfigError(Message("errors.portfolio.classify.lie", nm=nm, q=q))
    led = ledger.copy()
    if window is not None:
        yr = pd.to_datetime(led["date"], errors="coerce").dt.year
        led = led.loc[(yr >= window[0]) & (yr <= window[1])]
    led = led.merge(firms[["firm_id", "cluster"]], on="firm_id", how="left")
    if led["cluster"].isna().any():
        bad = led.loc[led["cluster"].isna(), "firm_id"].iloc[0]
        raise DataError(Message("errors.portfolio.classify.firm_ledger_firms_table", bad=bad),
                        file="disbursements", column="firm_id")
    rows = []
    for pid, obj in zip(policies["policy_id"].astype(str), policies["objective"], strict=True):
        sub = led.loc[led["policy_id"].astype(str) == pid]
        spend = float(sub["amount"].astype(float).sum())
        rec = int(sub["firm_id"].nunique())
        if spend > 0:
            by_c = sub.groupby("cluster")["amount"].sum().astype(float)
            by_c = by_c.sort_index()
            main = str(by_c.idxmax())
            share = float(by_c.max() / spend)
        else:
            main, share = None, np.nan
        rows.append({"policy_id": pid, "objective": obj, "main_cluster": main,
                     "main_cluster_share": share, "spend": spend, "recipients": rec})
    out = pd.DataFrame(rows)
    s_thr = (float(np.quantile(out["spend"], spend_quantile)) if spend_threshold is None
             else float(spend_threshold))
    r_thr = (float(np.quantile(out["recipients"], recipients_quantile))
             if recipients_threshold is None else float(recipients_threshold))
    out["large_fund_high_activity"] = ((out["spend"] >= s_thr) & (out["recipients"] >= r_thr)
                                       & (out["spend"] > 0))
    out.attrs["thresholds"] = {"spend": s_thr, "recipients": r_thr}
    return out
