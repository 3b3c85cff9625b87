"""Numbers as a reader of each language expects them.

Money is held in yuan. Chinese reports show 万元 (10^4 yuan), switching to 亿元 (10^8 yuan) from
1 亿 upwards; English reports show CNY million. Tables use one unit per column
(:func:`money_unit` picks it from the column's largest value) so figures line up.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable

from evalkit.errors import check_choice
from evalkit.i18n import LANGS, t
from evalkit.io.schemas import FIRM_YEARS

WAN = 1e4
YI = 1e8
MILLION = 1e6


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def number(x: float | None, lang: str, digits: int = 0) -> str:
    """``1234.5 -> '1,235'`` (both languages group thousands with commas)."""
    check_choice("lang", lang, LANGS)
    if _missing(x):
        return t("report.missing", lang)
    return f"{x:,.{digits}f}"


def percent(share: float | None, lang: str, digits: int = 1) -> str:
    """A share (0.85) as a percentage ('85.0%')."""
    check_choice("lang", lang, LANGS)
    if _missing(share):
        return t("report.missing", lang)
    return f"{100 * share:.{digits}f}%"


def money_unit(values: Iterable[float], lang: str) -> tuple[float, str]:
    """(divisor, unit label) for a column of yuan amounts: 亿元 if the largest is at least 1 亿,
    else 万元 (zh); CNY million (en)."""
    check_choice("lang", lang, LANGS)
    if lang == "en":
        return MILLION, t("report.unit.cny_million", lang)
    finite = [abs(v) for v in values if not _missing(v)]
    if finite and max(finite) >= YI:
        return YI, t("report.unit.yi_yuan", lang)
    return WAN, t("report.unit.wan_yuan", lang)


def money(yuan: float | None, lang: str, digits: int | None = None) -> str:
    """An amount in yuan with its unit: zh '1,234.5 万元' / '3.21 亿元', en 'CNY 12.3 million'."""
    if _missing(yuan):
        check_choice("lang", lang, LANGS)
        return t("report.missing", lang)
    div, unit = money_unit([yuan], lang)
    if digits is None:
        digits = 2 if div == YI else 1
    value = f"{yuan / div:,.{digits}f}"
    return f"CNY {value} million" if lang == "en" else f"{value} {unit}"


def outcome_label(outcome: str, lang: str) -> str:
    """The firm-year column's name in the report language (from the data schema)."""
    try:
        col = FIRM_YEARS.column(outcome)
    except KeyError:
        return outcome
    return col.zh if lang == "zh" else col.en


def outcome_amount(outcome: str, value: float | None, lang: str) -> str:
    """A value of a firm-year outcome with its unit: money columns through :func:`money` (two
    decimals of the unit), counts and other numbers with two decimals."""
    try:
        kind = FIRM_YEARS.column(outcome).kind
    except KeyError:
        kind = "float"
    if kind == "money":
        return money(value, lang, digits=2)
    return number(value, lang, 2)


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: East Asian wide and full-width characters take two
    (Unicode Standard Annex #11), combining marks none."""
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in str(text))
