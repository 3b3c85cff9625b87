"""Warnings on accepted rows: values that are plausible enough to keep but worth a look.

Run by :func:`evalkit.io.validate.check_table` on the rows a table accepts (listed in the
validation report, never quarantined): ``unit_jump`` (a firm's money value 3,000-30,000 times
above or below the firm's median: 万元 typed into a 元 column), ``outside_policy_window`` (a
payment dated outside its policy's start and end dates), ``cap_exceeded`` (a firm's total from
a policy above the policy's per-firm cap) and ``year_gap`` (a firm missing a year inside its
observed span).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from evalkit.i18n import Message
from evalkit.io.problems import cell_text, empty_problems, group_codes, problem_messages
from evalkit.io.readers import RawTable
from evalkit.io.schemas import Table

__all__ = ["UNIT_JUMP_RANGE", "plausibility_warnings"]

UNIT_JUMP_RANGE = (3e3, 3e4)


def _warning_frame(raw: RawTable, rows, columns, values, reasons, details) -> pd.DataFrame:
    if len(reasons) == 0:
        return empty_problems()
    df = pd.DataFrame({"file": raw.file, "row": pd.array(rows, dtype="Int64"),
                       "column": columns, "value": values, "reason": reasons})
    df = df.assign(**problem_messages(raw, reasons, df["row"], columns, values, details))
    return df.astype({"file": "str", "column": "str", "value": "str", "reason": "str",
                      "message": "str", "message_zh": "str"})


def plausibility_warnings(schema: Table, raw: RawTable, acc: pd.DataFrame, keep: np.ndarray,
              accepted: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    parts = []
    if schema.name == "firm_years" and len(acc):
        firm = group_codes([acc["firm_id"]])
        parts.append(_unit_jumps(schema, raw, acc, keep, firm))
        parts.append(_year_gaps(raw, acc, firm))
    if schema.name == "disbursements" and len(acc):
        parts.append(_window(raw, acc, keep, accepted["policies"]))
        parts.append(_caps(raw, acc, keep, accepted["policies"]))
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_problems()
    return pd.concat(parts, ignore_index=True)


def _unit_jumps(schema: Table, raw: RawTable, acc: pd.DataFrame, keep: np.ndarray,
                firm: np.ndarray) -> pd.DataFrame:
    lo, hi = UNIT_JUMP_RANGE
    rows, cols, vals, dets = [], [], [], []
    for col in schema.columns:
        if col.kind != "money":
            continue
        v = acc[col.name].to_numpy(dtype=np.float64, na_value=np.nan)
        positive = v > 0
        med = (pd.Series(np.where(positive, v, np.nan)).groupby(firm).median()
               .to_numpy()[firm])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = v / med
            inv = med / v
        jump = positive & (((ratio >= lo) & (ratio <= hi)) | ((inv >= lo) & (inv <= hi)))
        pos = np.flatnonzero(jump)
        if len(pos) == 0:
            continue
        rows.extend(raw.rows[keep[pos]].tolist())
        cols.extend([col.name] * len(pos))
        vals.extend(cell_text(raw, col.name, keep[pos]))
        dets.extend(f"{m:,.0f}" for m in med[pos])
    return _warning_frame(raw, rows, cols, vals, ["unit_jump"] * len(rows), dets)


def _year_gaps(raw: RawTable, acc: pd.DataFrame, firm: np.ndarray) -> pd.DataFrame:
    year = acc["year"].to_numpy(dtype=np.float64, na_value=np.nan)
    g = pd.Series(year).groupby(firm).agg(["min", "max", "nunique"])
    gap = ((g["max"] - g["min"] + 1) > g["nunique"]).to_numpy()
    if not gap.any():
        return empty_problems()
    codes = np.flatnonzero(gap)
    names = acc["firm_id"].iloc[np.flatnonzero(np.isin(firm, codes))]
    in_gap = firm[np.isin(firm, codes)]
    ids = dict(zip(in_gap.tolist(), names.tolist(), strict=True))
    seen: dict[int, set] = {}
    for c, y in zip(in_gap.tolist(), year[np.isin(firm, codes)].tolist(), strict=True):
        seen.setdefault(c, set()).add(int(y))
    firms, dets = [], []
    for c in sorted(codes.tolist(), key=ids.__getitem__):   # by firm id, as text
        lo, hi = int(g["min"].iloc[c]), int(g["max"].iloc[c])
        firms.append(ids[c])
        dets.append(", ".join(str(y) for y in sorted(set(range(lo, hi + 1)) - seen[c])))
    return _warning_frame(raw, [None] * len(firms), ["year"] * len(firms), firms,
                          ["year_gap"] * len(firms), dets)


def _window(raw: RawTable, acc: pd.DataFrame, keep: np.ndarray,
            policies: pd.DataFrame) -> pd.DataFrame:
    """Payments dated outside their policy's window: accepted (the money was paid, and the
    monitoring stage reports them as ledger anomalies) and listed as warnings."""
    pol = policies.set_index("policy_id")
    start = acc["policy_id"].map(pol["start_date"])
    end = acc["policy_id"].map(pol["end_date"])
    date = acc["date"]
    outside = (date.notna() & ((start.notna() & (date < start))
                               | (end.notna() & (date > end)))).to_numpy()   # open if missing
    pos = np.flatnonzero(outside)
    if len(pos) == 0:
        return empty_problems()
    detail = (start.iloc[pos].dt.strftime("%Y-%m-%d").fillna("") + ".."
              + end.iloc[pos].dt.strftime("%Y-%m-%d").fillna("")).astype("str")
    return _warning_frame(raw, raw.rows[keep[pos]].tolist(), ["date"] * len(pos),
                          cell_text(raw, "date", keep[pos]),
                          ["outside_policy_window"] * len(pos), detail.tolist())


def _caps(raw: RawTable, acc: pd.DataFrame, keep: np.ndarray,
          policies: pd.DataFrame) -> pd.DataFrame:
    cap = acc["policy_id"].map(policies.set_index("policy_id")["cap_per_firm"])
    led = pd.DataFrame({"firm_id": acc["firm_id"], "policy_id": acc["policy_id"],
                        "date": acc["date"], "amount": acc["amount"], "cap": cap,
                        "row": raw.rows[keep]})
    led = led.sort_values(["firm_id", "policy_id", "date", "row"], kind="stable")
    grp = led.groupby(["firm_id", "policy_id"], sort=False)["amount"]
    led["cum"] = grp.cumsum()
    led["total"] = grp.transform("sum")
    over = led[led["total"] > led["cap"]]
    if over.empty:
        return empty_problems()
    first = over[over["cum"] > over["cap"]].groupby(["firm_id", "policy_id"], sort=False).head(1)
    return _warning_frame(
        raw, first["row"].tolist(), ["amount"] * len(first),
        [f"{t:,.2f}" for t in first["total"]], ["cap_exceeded"] * len(first),
        [Message("reasons.detail.policy_cap", cap=c, policy=p)
         for c, p in zip(first["cap"], first["policy_id"], strict=True)])
