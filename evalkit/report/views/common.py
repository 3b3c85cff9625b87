"""Formatting shared by the stage views: numbers, labels, policy names and markdown tables
sized for both renderers."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from evalkit.contract.models import ExPostResults, MonitorResults, PortfolioResults, Section
from evalkit.disclosure import MARK, Rule, suppress
from evalkit.escape import markdown as md
from evalkit.i18n import t
from evalkit.io.schemas import FIRM_YEARS
from evalkit.numbers import (
    display_width,
    money,
    money_unit,
    number,
    percent,
)
from evalkit.reference import department_name
from evalkit.report.tables import markdown_table

#: Outcomes (firm-year columns) measured in yuan; the others are counts.
MONEY_OUTCOMES = tuple(c.name for c in FIRM_YEARS.columns if c.kind == "money")
LEVELS = ("decision", "process", "output", "effect")
#: How each fiscal metric is shown: 'ratio' (yuan per yuan), 'money' (yuan), 'count'.
METRIC_FORMS = {"fiscal_return_total": "ratio", "fiscal_return_city": "ratio",
                "fiscal_return_district": "ratio", "revenue_per_yuan": "ratio",
                "rd_additionality": "ratio", "cost_per_job": "money",
                "patents_per_million": "count", "mvpf_district": "ratio", "mvpf_city": "ratio",
                "mvpf_total": "ratio"}


# ----------------------------------------------------------------------------- small formatters

def as_float(x: Any) -> float:
    """A bundle number as float: JSON keeps infinities as the strings 'inf' / '-inf', missing
    values as None."""
    if x is None:
        return math.nan
    if isinstance(x, str):
        return float(x)  # 'inf', '-inf', 'nan'
    return float(x)


def fmt(x: Any, lang: str, digits: int = 2) -> str:
    """A plain number; infinities as ∞ / -∞, missing as the missing mark."""
    v = as_float(x)
    if math.isinf(v):
        return ("-" if v < 0 else "") + t("report.common.infinity", lang)
    return number(v, lang, digits)


def pvalue(p: Any, lang: str) -> str:
    """A p-value for a table cell: '0.012' or '< 0.001'."""
    v = as_float(p)
    if math.isnan(v):
        return t("report.missing", lang)
    return "<\u00a00.001" if v < 0.001 else f"{v:.3f}"


def p_text(p: Any, lang: str) -> str:
    """A p-value in a sentence: 'p = 0.012' or 'p < 0.001' (never 'p = < 0.001')."""
    shown = pvalue(p, lang)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def ci(lo: Any, hi: Any, lang: str, show=None) -> str:
    """'95% CI a to b' in the report's language; ``show`` formats each bound."""
    show = show or (lambda v: fmt(v, lang))
    return t("report.common.ci", lang, lo=show(lo), hi=show(hi))


def label(kind: str, value: Any, lang: str) -> str:
    """A category value (action, grade, objective, instrument, cluster, decision) translated;
    unknown values are shown as they are (escaped for markdown)."""
    key = f"report.value.{kind}.{value}"
    try:
        return t(key, lang)
    except KeyError:
        return md(value)


def money_digits(scaled: float) -> int:
    """Decimals that keep about three significant digits of an amount already in its unit."""
    a = abs(scaled)
    if not math.isfinite(a) or a >= 100:
        return 1 if a < 1000 else 0
    if a >= 10:
        return 1
    if a >= 1:
        return 2
    return 3


def money_auto(yuan: Any, lang: str) -> str:
    """:func:`evalkit.numbers.money` with enough decimals for small amounts
    (CNY 0.27 million rather than CNY 0.3 million)."""
    v = as_float(yuan)
    if math.isnan(v):
        return t("report.missing", lang)
    div, _ = money_unit([v], lang)
    return money(v, lang, max(money_digits(v / div), 2 if div == 1e8 else 1))


def column_digits(values: Sequence[float], div: float) -> int:
    """Decimals for a money column shown in one unit: enough for its largest entry."""
    finite = [abs(v) / div for v in values if v is not None and math.isfinite(v)]
    return money_digits(max(finite)) if finite else 1


def outcome_value(x: Any, outcome: str, lang: str) -> str:
    """An effect on ``outcome``: money with its unit, else a count with two decimals."""
    if outcome in MONEY_OUTCOMES:
        return money_auto(x, lang)
    return fmt(x, lang, 2)


def metric_value(x: Any, name: str, lang: str) -> str:
    form = METRIC_FORMS.get(name, "ratio")
    if form == "money":
        v = as_float(x)
        return fmt(v, lang) if math.isinf(v) else money_auto(v, lang)
    return fmt(x, lang, 2)


def policy_name(policy: Mapping[str, Any], lang: str) -> str:
    return str(policy.get(f"name_{lang}") or policy.get("name_en") or policy["policy_id"])


def policy_names(results: PortfolioResults | MonitorResults | None, lang: str
                 ) -> dict[str, str]:
    """Policy code -> name in ``lang``, from a bundle's ``policies`` records (a portfolio's, a
    monitoring bundle's); {} when it records none."""
    rows = getattr(results, "policies", None)
    if rows is None or len(rows) == 0:
        return {}
    return {str(r["policy_id"]): policy_name(r, lang)
            for r in pd.DataFrame(rows).to_dict(orient="records")}


def policy_cell(pid: Any, names: Mapping[str, str]) -> str:
    """A table cell naming a policy: its code beside its name ('P01 研发投入补助'), escaped;
    the code alone when the name is not known."""
    name = names.get(str(pid), "")
    return md(pid) if not name or name == str(pid) else f"{md(pid)} {md(name)}"


def policy_line(policy: Mapping[str, Any] | Section, lang: str) -> str:
    if isinstance(policy, Section):
        policy = policy.model_dump()
    return t("report.common.policy_line", lang, pid=md(policy["policy_id"]),
             name=md(policy_name(policy, lang)), department=md(department_name(policy.get("department", ""), lang)),
             instrument=label("instrument", policy.get("instrument"), lang),
             objective=label("objective", policy.get("objective"), lang))


#: Text width of the PDF page in monospace columns (A4, 2.3 cm margins, 10.5 pt): the budget
#: :func:`_table` shares out between columns.
TABLE_COLUMNS = 88
CELL_PADDING = 3


def _header_need(header: str) -> int:
    words = str(header).split()
    full = display_width(header)
    if len(words) > 1 and full > 24:  # may wrap at spaces, into two lines at most
        return max(max(display_width(w) for w in words), math.ceil(full / 2))
    return min(full, 16)


def column_widths(frame: pd.DataFrame, headers: Sequence[str],
                  budget: int = TABLE_COLUMNS) -> list[int]:
    """Widths (in monospace columns) for a table's columns: each column's widest cell, with only
    the widest columns cut down (to a common cap) when the table would not fit ``budget``."""
    need = [max([_header_need(headers[k])] + [display_width(v) for v in
                                              frame.iloc[:, k].astype(str)] + [1])
            + CELL_PADDING for k in range(frame.shape[1])]
    if sum(need) <= budget:
        return need
    cap = max(need)
    while cap > 4 and sum(min(w, cap) for w in need) > budget:
        cap -= 1
    return [min(w, cap) for w in need]


def _table(frame: pd.DataFrame, headers: Sequence[str], align: Sequence[str],
           footnote: str = "") -> str:
    """A pipe table whose separator dashes give each column the room it needs: pandoc takes
    relative column widths from them once a line is longer than 72 characters, and equal dashes
    would give a short number column as much room as a long text column."""
    text = markdown_table(frame, headers=headers, align=align)
    lines = text.split("\n")
    widths = column_widths(frame, headers)
    ends = {"left": (":", "-"), "right": ("-", ":"), "center": (":", ":")}
    lines[1] = "|" + "|".join(ends[a][0] + "-" * max(w - 2, 1) + ends[a][1]
                              for a, w in zip(align, widths, strict=True)) + "|"
    text = "\n".join(lines)
    return text + ("\n" + footnote + "\n" if footnote else "")


def _min_firms_only(frame: pd.DataFrame, count_col: str, value_cols: Sequence[str],
                    secondary: bool = True, rule: Rule | None = None):
    """:func:`suppress` with the minimum-firms rule only, for cells whose bundle records no
    firm shares; ``secondary=False`` for rows that add up to no total (one policy each)."""
    rule = rule or Rule()
    return suppress(frame.assign(_no_total=0.0), count_col, list(value_cols),
                    max_col="_no_total", secondary=secondary, min_firms=rule.min_firms,
                    dominance=rule.dominance)


def _hide(shown: str, why: str | None) -> str:
    return MARK if why else shown


def _footnote(rule: Rule, reasons: Sequence[str | None], lang: str) -> str:
    """The disclosure footnote under a table when any of its cells is hidden."""
    if not any(reasons):
        return ""
    return t("report.disclosure.footnote", lang, mark=MARK, min_firms=rule.min_firms,
             share=percent(rule.dominance, lang, 0))


def outcome_order(results: ExPostResults) -> list[str]:
    """The evaluated outcomes, main outcome first, then in the data schema's column order."""
    schema = [c.name for c in FIRM_YEARS.columns]
    rest = sorted((o for o in results.outcomes if o != results.main_outcome),
                  key=lambda o: (schema.index(o) if o in schema else len(schema), o))
    return [results.main_outcome, *rest]
