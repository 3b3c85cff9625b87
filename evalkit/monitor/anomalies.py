"""Ledger anomaly checks for in-progress monitoring. Findings list record ids only.

Definitions (each check flags ledger records; a record can be flagged by several checks):

``duplicate_project`` (重复补贴, same project)
    a non-empty ``project_ref`` that appears under two or more policies: every record of it.
``multi_policy_firm_year`` (重复补贴, same firm and year; for review)
    a firm paid by two or more policies in one calendar year: every record of that firm and year.
``over_cap`` (超标准补贴)
    a firm's total paid under one policy exceeds the policy's ``cap_per_firm`` (by more than
    :data:`CAP_TOLERANCE` yuan): every record of that firm under that policy.
``paid_after_exit`` (向已注销企业拨付)
    the payment's calendar year is after the firm's ``year_exited`` (a payment in the exit year
    itself may precede deregistration and is not flagged).
``zero_revenue`` (向无营业收入企业拨付)
    the firm has a ``firm_years`` record for the payment's year and its revenue is 0 (or below).
``out_of_window`` (超出政策执行期)
    the payment date is before the policy's ``start_date`` or after its ``end_date``.

Concentration (per policy, not a record flag): number of recipient firms, the share of the money
paid to the ten largest recipients and the Herfindahl index ``sum_i s_i^2`` of the recipients'
shares (1 = one firm takes everything). Concentration is marked high above
:data:`TOP10_HIGH` or :data:`HHI_HIGH` (the US merger guidelines' "highly concentrated" 0.25).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import require_columns
from evalkit.i18n import Message
from evalkit.monitor.execution import ledger_dates
from evalkit.results import Result, canonical, json_safe

__all__ = ["CHECKS", "AnomalyResult", "concentration", "ledger_anomalies"]

#: The checks and what each flags (``.text(lang)``).
CHECKS = {
    "duplicate_project": Message("monitor.anomalies.check.duplicate_project"),
    "multi_policy_firm_year": Message("monitor.anomalies.check.multi_policy_firm_year"),
    "over_cap": Message("monitor.anomalies.check.over_cap"),
    "paid_after_exit": Message("monitor.anomalies.check.paid_after_exit"),
    "zero_revenue": Message("monitor.anomalies.check.zero_revenue"),
    "out_of_window": Message("monitor.anomalies.check.out_of_window"),
}
CAP_TOLERANCE = 0.5
TOP10_HIGH = 0.5
HHI_HIGH = 0.25


@dataclass(frozen=True, eq=False, repr=False)
class AnomalyResult(Result):
    """``findings``: one row per finding: ``check, finding, policy_ids, year, n_records,
    amount, record_ids`` (record_ids a sorted list). ``concentration``: one row per policy."""

    findings: pd.DataFrame
    concentration: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)

    def flagged(self, check: str) -> set[str]:
        """Every record id flagged by ``check``."""
        sel = self.findings.loc[self.findings["check"] == check, "record_ids"]
        return {r for ids in sel for r in ids}

    def counts(self) -> dict[str, dict[str, int]]:
        return {c: {"findings": int((self.findings["check"] == c).sum()),
                    "records": len(self.flagged(c))} for c in CHECKS}

    def tidy(self) -> pd.DataFrame:
        """One row per finding: term the check, estimate the amount involved (no sampling
        error), then the findings' columns."""
        f = self.findings
        return canonical(f.assign(term=f["check"], estimate=f["amount"].astype(float)))

    def summary(self) -> str:
        lines = ["Ledger anomalies (record ids only):"]
        for c, n in self.counts().items():
            lines.append(f"  {c:<24} {n['findings']:>4} findings, {n['records']:>4} records")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"checks": {k: {"zh": v.zh, "en": v.en} for k, v in CHECKS.items()},
                          "counts": self.counts(),
                          "findings": self.findings.to_dict(orient="records"),
                          "concentration": self.concentration, "provenance": self.provenance})


def _finding(check: str, label: str, rows: pd.DataFrame, year: int | None = None) -> dict:
    return {"check": check, "finding": label,
            "policy_ids": sorted(set(rows["policy_id"].astype(str))), "year": year,
            "n_records": len(rows), "amount": float(rows["amount"].sum()),
            "record_ids": sorted(rows["record_id"].astype(str))}


def concentration(ledger: pd.DataFrame) -> pd.DataFrame:
    """Per policy: ``policy_id, recipients, total, top10_share, hhi, high``."""
    rows = []
    for pid, sub in ledger.groupby("policy_id", sort=True):
        by_firm = sub.groupby("firm_id")["amount"].sum().sort_values(ascending=False)
        total = float(by_firm.sum())
        share = by_firm.to_numpy() / total if total > 0 else np.zeros(len(by_firm))
        top10 = float(share[:10].sum())
        hhi = float((share ** 2).sum())
        rows.append({"policy_id": str(pid), "recipients": len(by_firm), "total": total,
                     "top10_share": top10, "hhi": hhi,
                     "high": bool((top10 > TOP10_HIGH and len(by_firm) > 10) or hhi > HHI_HIGH)})
    return pd.DataFrame(rows, columns=["policy_id", "recipients", "total", "top10_share", "hhi",
                                       "high"])


def ledger_anomalies(tables: dict[str, pd.DataFrame], as_of: str | None = None) -> AnomalyResult:
    """Run every check on the ledger (records dated up to ``as_of`` if given)."""
    led = tables["disbursements"]
    require_columns(led, ("record_id", "policy_id", "firm_id", "date", "amount"),
                    Message("labels.table.disbursements"), file="disbursements")
    dates = ledger_dates(led)
    led = led.assign(_date=dates, _year=dates.dt.year.astype("int64"),
                     amount=pd.to_numeric(led["amount"], errors="coerce").astype(float))
    if as_of is not None:
        led = led.loc[led["_date"] <= pd.Timestamp(as_of)]
    out: list[dict] = []

    # duplicate_project
    if "project_ref" in led.columns:
        ref = led["project_ref"].astype("string")
        has = ref.notna() & (ref.str.strip() != "")
        n_pol = led.loc[has].groupby(ref[has])["policy_id"].nunique()
        for r in sorted(n_pol.index[n_pol >= 2]):
            out.append(_finding("duplicate_project", f"project {r}", led.loc[has & (ref == r)]))

    # multi_policy_firm_year
    n_pol = led.groupby(["firm_id", "_year"])["policy_id"].nunique()
    for k, (firm, year) in enumerate(sorted(n_pol.index[n_pol >= 2])):
        rows = led.loc[(led["firm_id"] == firm) & (led["_year"] == year)]
        out.append(_finding("multi_policy_firm_year", f"case {k + 1}", rows, int(year)))

    # over_cap
    pol = tables["policies"].set_index("policy_id")
    cap = led["policy_id"].map(pol["cap_per_firm"]).astype(float)
    total = led.groupby(["policy_id", "firm_id"])["amount"].transform("sum")
    over = (total > cap + CAP_TOLERANCE).to_numpy()
    for k, ((pid, _firm), rows) in enumerate(led.loc[over].groupby(["policy_id", "firm_id"],
                                                                     sort=True)):
        out.append(_finding("over_cap", f"{pid} case {k + 1}", rows))

    # paid_after_exit
    firms = tables["firms"].set_index("firm_id")
    exited = pd.to_numeric(led["firm_id"].map(firms["year_exited"]), errors="coerce")
    after = (exited.notna() & (led["_year"] > exited)).to_numpy()
    for rid, rows in led.loc[after].groupby("record_id", sort=True):
        out.append(_finding("paid_after_exit", f"record {rid}", rows, int(rows["_year"].iloc[0])))

    # zero_revenue
    fy = tables["firm_years"][["firm_id", "year", "revenue"]]
    rev = led[["record_id", "firm_id", "_year"]].merge(
        fy.rename(columns={"year": "_year"}), on=["firm_id", "_year"], how="inner")
    zero_ids = set(rev.loc[pd.to_numeric(rev["revenue"], errors="coerce") <= 0, "record_id"])
    for rid, rows in led.loc[led["record_id"].isin(zero_ids)].groupby("record_id", sort=True):
        out.append(_finding("zero_revenue", f"record {rid}", rows, int(rows["_year"].iloc[0])))

    # out_of_window
    start = pd.to_datetime(led["policy_id"].map(pol["start_date"]), errors="coerce")
    end = pd.to_datetime(led["policy_id"].map(pol["end_date"]), errors="coerce")
    outside = ((start.notna() & (led["_date"] < start)) | (end.notna() & (led["_date"] > end)))
    for rid, rows in led.loc[outside.to_numpy()].groupby("record_id", sort=True):
        out.append(_finding("out_of_window", f"record {rid}", rows, int(rows["_year"].iloc[0])))

    cols = ["check", "finding", "policy_ids", "year", "n_records", "amount", "record_ids"]
    findings = pd.DataFrame(out, columns=cols)
    return AnomalyResult(findings, concentration(led),
                         {"definitions": "evalkit.monitor.anomalies module doc",
                          "as_of": as_of, "n_records": len(led),
                          "basis": check_basis(findings, led)})


def check_basis(findings: pd.DataFrame, led: pd.DataFrame) -> dict[str, dict]:
    """Per check: the firms behind its flagged amount (``n``, ``top_share``,
    :func:`evalkit.disclosure.firm_basis`), for the report's disclosure control."""
    from evalkit.disclosure import firm_basis

    out = {}
    for check in CHECKS:
        ids = {r for rs in findings.loc[findings["check"] == check, "record_ids"] for r in rs}
        rows = led.loc[led["record_id"].astype(str).isin(ids)]
        out[check] = firm_basis(rows["amount"].astype(float), rows["firm_id"].astype(str).tolist())
    return out
