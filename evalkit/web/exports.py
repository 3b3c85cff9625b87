"""Exports of a cycle: the adopted budget table (XLSX) and the signed-off decision record (PDF,
Typst) that prints the review log's head hash, so that a log cut short afterwards no longer
matches the paper (``evalkit review verify --head``)."""

from __future__ import annotations

import io
import math
import tempfile
from pathlib import Path

import pandas as pd

from evalkit import escape

COLUMNS = (("recommendation_id", "建议编号 / Recommendation"), ("policy_id", "政策 / Policy"),
           ("action", "建议 / Proposed action"), ("current_wan", "现行预算（万元）/ Current"),
           ("proposed_wan", "建议预算（万元）/ Proposed"), ("decision", "决定 / Decision"),
           ("adopted_wan", "采纳预算（万元）/ Adopted"), ("reviewer", "审核人 / Reviewer"),
           ("seq", "记录序号 / Log entry"), ("reason", "理由 / Reason"))


def _value(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, float):
        return round(v, 4)
    return escape.cell(v) if isinstance(v, str) else (int(v) if hasattr(v, "__int__")
                                                       and not isinstance(v, bool) else v)


def budget_workbook(row, table: pd.DataFrame) -> bytes:
    """The adopted budget table as an XLSX workbook (text cells cannot become formulas)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = f"budget {row.name}"[:31]
    ws.append([label for _, label in COLUMNS])
    for rec in table.to_dict(orient="records"):
        ws.append([_value(rec[k]) for k, _ in COLUMNS])
    ws.append([])
    ws.append(["manifest SHA-256", row.manifest_sha256])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _fmt(v, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{float(v):,.{digits}f}"


def decision_record_pdf(row, cyc, table: pd.DataFrame, audit, signer: str) -> bytes:
    """The decisions of the cycle with the log's head hash and the audit's verdict, as PDF."""
    import typst

    from evalkit.style.fonts import pdf_fonts

    fonts = pdf_fonts()
    fam = ", ".join(f'"{f}"' for f in fonts.body)
    cells = []
    for rec in table.to_dict(orient="records"):
        cells += [rec["recommendation_id"], rec["policy_id"], rec["action"],
                  _fmt(rec["current_wan"]), _fmt(rec["proposed_wan"]),
                  rec["decision"] or "待审核 pending", _fmt(rec["adopted_wan"]),
                  rec["reviewer"] or "", rec["reason"] or ""]
    body = ", ".join(f"[{escape.typst(c)}]" for c in cells)
    verdict = ("完整 intact" if audit.ok else
               "被改动 ALTERED: " + "; ".join(p[0] for p in audit.problems))
    src = f"""#set page(paper: "a4", flipped: true, margin: 1.5cm)
#set text(font: ({fam}), size: 9pt, lang: "zh")
= {escape.typst(f"{row.name} 年度财政局审核决定记录 / Decision record, cycle {row.name}")}

{escape.typst(f"结果包 manifest SHA-256 / bundle manifest: {row.manifest_sha256}")}

{escape.typst(f"审核记录条数 / log entries: {audit.n}; 校验 / audit: {verdict}")}

*{escape.typst("审核记录链头哈希 / Head of the review log:")}* #raw("{audit.head}")

#table(columns: 9, align: left,
  [*建议*], [*政策*], [*建议动作*], [*现行（万元）*], [*建议（万元）*], [*决定*],
  [*采纳（万元）*], [*审核人*], [*理由*],
  {body})

{escape.typst(f"导出人 / exported by: {signer}")}

#v(1.5cm)
签字 / Signed: #box(width: 6cm, stroke: (bottom: 0.5pt))  #h(2cm) 日期 / Date: #box(width: 4cm, stroke: (bottom: 0.5pt))
"""
    with tempfile.TemporaryDirectory(prefix="evalkit-record-") as tmp:
        path = Path(tmp) / "record.typ"
        path.write_text(src, encoding="utf-8")
        return typst.compile(str(path), root=tmp)
