"""Disclosure control for report tables (primary cell suppression).

Rule (the statistical-office threshold and dominance rules, e.g. Hundepool et al. 2012,
*Statistical Disclosure Control*, ch. 4): a cell is suppressed when it is built from fewer than
``min_firms`` firms, or when its largest single firm holds more than ``dominance`` of the cell's
total (the (1, k) dominance rule with k = 85 %). Suppressed values are shown as ``—*`` with a
footnote in the report's language.

Secondary (complementary) suppression, on by default, for tables whose cells add up to a
published total (or a published aggregate such as an overall effect): whatever a reader can
recover by subtracting the published cells from the total is the sum over the hidden cells, so the
hidden cells *together* must pass the rule too. Cells are added to the hidden set (the smallest
one that makes the union pass, else the largest, and again) until the union rests on at least
``min_firms`` firms with no firm above ``dominance`` of it; when no cell is left to add, the total
itself must be hidden (:attr:`SuppressedTable.total_hidden`). (For tables with several dimensions
whose margins are all published, a full linear-programming cell suppression is needed; this
module does not do it.) Empty cells (no firms) are neither suppressed nor chosen as the
complement: they hold no firm's data, and their value is known from their count of zero.

The settings (:class:`Rule`: ``min_firms`` 3 and ``dominance`` 0.85 by default) come from the
study's ``report.disclosure`` section, which every bundle carries (``results['study']``).
What the rule is decided on for each published number is the *basis* the stage stored in its
bundle (:func:`firm_basis`: the number of firms behind the number and the largest firm's share of
their summed magnitude); :mod:`evalkit.report.suppression` applies the rule to every number a
report shows and lists what it hid for the report's disclosure statement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError, DataError, require_columns
from evalkit.i18n import Message, t
from evalkit.numbers import percent

MARK = "—*"
MIN_FIRMS = 3
DOMINANCE = 0.85
#: Why a number is hidden: too few firms, one dominant firm, or to protect another hidden number.
REASONS = ("few", "dominant", "complementary")


@dataclass(frozen=True)
class Rule:
    """The disclosure rule: a number resting on fewer than ``min_firms`` firms, or on firms of
    which one holds more than ``dominance`` of the summed magnitude, is not published."""

    min_firms: int = MIN_FIRMS
    dominance: float = DOMINANCE

    def __post_init__(self) -> None:
        if not (isinstance(self.min_firms, int) and self.min_firms >= 1):
            raise ConfigError(Message("errors.disclosure.min_firms_positive_integer",
                                      min_firms=self.min_firms))
        if not 0 < self.dominance <= 1:
            raise ConfigError(Message("errors.disclosure.dominance", dominance=self.dominance))

    @classmethod
    def of(cls, results: Mapping[str, Any] | None) -> Rule:
        """The rule a bundle's study set (``report.disclosure``), else the defaults."""
        study = (results or {}).get("study")
        report = (study.get("report") if isinstance(study, Mapping) else None) or {}
        return cls.of_settings(report.get("disclosure"))

    @classmethod
    def of_settings(cls, settings: Mapping[str, Any] | None) -> Rule:
        """The rule of a study's ``report.disclosure`` settings, the defaults where unset."""
        settings = settings or {}
        return cls(int(settings.get("min_firms", MIN_FIRMS)),
                   float(settings.get("dominance", DOMINANCE)))

    def reason(self, *bases: Mapping[str, Any] | None) -> str | None:
        """'few' or 'dominant' for the first basis failing the rule, None when all pass. A basis
        is ``{'n': firms, 'top_share': largest firm's share}`` (see :func:`firm_basis`); a
        basis with no firms (nothing paid, no firm) holds no firm's data and passes; a missing
        basis (None) is not known to be safe and fails as 'few'."""
        for b in bases:
            if b is None:
                return "few"
            n = int(b.get("n") or 0)
            if n == 0:
                continue
            if n < self.min_firms:
                return "few"
            share = b.get("top_share")
            if share is not None and _as_float(share) > self.dominance:
                return "dominant"
        return None

    def text(self, lang: str) -> str:
        return rule_text(lang, self.min_firms, self.dominance)


def _as_float(x: Any) -> float:
    return float(x) if x is not None else float("nan")


def firm_basis(amounts: pd.Series | Sequence[float], firms: Sequence[Any] | None = None
               ) -> dict[str, Any]:
    """The basis of a number computed from firms' amounts: ``{'n', 'top_share', 'magnitude'}``
    with ``n`` the number of distinct firms, ``magnitude`` the sum over firms of each firm's
    absolute summed amount and ``top_share`` the largest firm's part of it (0 when all amounts
    are 0). ``amounts``: one value per row; ``firms``: the firm of each row (default: the
    Series' index)."""
    s = pd.Series(amounts, dtype=float) if not isinstance(amounts, pd.Series) else amounts
    keys = list(s.index) if firms is None else list(firms)
    per_firm = pd.Series(pd.to_numeric(s, errors="coerce").fillna(0.0).to_numpy(float),
                         index=pd.Index(keys)).groupby(level=0).sum().abs()
    total = float(per_firm.sum())
    top = float(per_firm.max()) if len(per_firm) else 0.0
    return {"n": len(per_firm), "magnitude": total,
            "top_share": top / total if total > 0 else 0.0}


def union_basis(bases: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The basis of a number computed from several disjoint groups of firms (cohorts, months):
    firms add up; the largest firm's share is taken of the summed magnitudes."""
    n = sum(int(b.get("n") or 0) for b in bases)
    mags = [float(b.get("magnitude") or 0.0) for b in bases]
    tops = [float(b.get("top_share") or 0.0) * m for b, m in zip(bases, mags, strict=True)]
    total = sum(mags)
    return {"n": n, "magnitude": total, "top_share": max(tops) / total if total > 0 else 0.0}


@dataclass(frozen=True)
class SuppressedTable:
    """A table with its suppression mask. ``frame`` keeps the numbers (suppressed ones as NaN);
    ``suppressed`` is a boolean Series aligned with ``frame``'s rows (``primary`` marks the cells
    failing the rule itself, the rest are secondary suppressions); the helper column holding
    each cell's largest firm is dropped, so a single firm's value is never carried along."""

    frame: pd.DataFrame
    suppressed: pd.Series
    primary: pd.Series
    value_cols: tuple[str, ...]
    min_firms: int
    dominance: float
    #: True when the hidden cells together still fail the rule and no cell is left to hide: the
    #: table's published total (or aggregate) must be hidden too
    total_hidden: bool = False

    @property
    def reasons(self) -> list[str | None]:
        """Per row: 'few', 'dominant', 'complementary' or None (shown)."""
        out: list[str | None] = []
        for k in range(len(self.frame)):
            if not self.suppressed.iloc[k]:
                out.append(None)
            elif not self.primary.iloc[k]:
                out.append("complementary")
            else:
                out.append(self._why[k] if self._why is not None else "few")
        return out

    _why: tuple[str, ...] | None = None

    @property
    def any_suppressed(self) -> bool:
        return bool(self.suppressed.any())

    def display(self, formatters: dict[str, Callable[[float], str]] | None = None) -> pd.DataFrame:
        """Strings for printing: suppressed value cells read ``—*``, others use ``formatters``."""
        formatters = formatters or {}
        out = pd.DataFrame(index=self.frame.index)
        for col in self.frame.columns:
            fmt = formatters.get(col, str)
            shown = [fmt(v) for v in self.frame[col].tolist()]
            if col in self.value_cols:
                shown = [MARK if s else v for v, s in zip(shown, self.suppressed, strict=True)]
            out[col] = pd.Series(shown, index=self.frame.index, dtype=object)
        return out

    def footnote(self, lang: str) -> str:
        """The footnote explaining the mark, or '' when nothing is suppressed."""
        if not self.any_suppressed:
            return ""
        return t("report.disclosure.footnote", lang, mark=MARK, min_firms=self.min_firms,
                 share=percent(self.dominance, lang, 0))


def suppress(table: pd.DataFrame, count_col: str, value_col: str | Sequence[str], *,
             max_col: str, min_firms: int = MIN_FIRMS, dominance: float = DOMINANCE,
             secondary: bool = True, total_col: str | None = None) -> SuppressedTable:
    """Mark cells built from fewer than ``min_firms`` firms or dominated by one firm.

    ``table``: one row per cell; ``count_col`` the number of distinct firms in the cell;
    ``value_col`` the column(s) to blank when the cell is suppressed (the first one is the cell's
    total used by the dominance rule, unless ``total_col`` names another column, e.g. the summed
    magnitude behind an estimate); ``max_col`` the largest single firm's contribution to that
    total. ``secondary``: protect suppressed cells against recovery from the table total (see
    the module docstring). The input is not modified. See :func:`cell_stats` to build such a
    table from firm rows.
    """
    value_cols = (value_col,) if isinstance(value_col, str) else tuple(value_col)
    if not value_cols:
        raise ConfigError(Message("errors.disclosure.value_col_name_least"))
    total_col = total_col or value_cols[0]
    require_columns(table, (count_col, *value_cols, total_col, max_col), Message("labels.table.table"))
    if not (isinstance(min_firms, int) and min_firms >= 1):
        raise ConfigError(Message("errors.disclosure.min_firms_positive_integer",
                                  min_firms=min_firms))
    if not 0 < dominance <= 1:
        raise ConfigError(Message("errors.disclosure.dominance", dominance=dominance))
    n = pd.to_numeric(table[count_col], errors="raise").to_numpy(dtype=float)
    total = pd.to_numeric(table[total_col], errors="raise").to_numpy(dtype=float)
    top = pd.to_numeric(table[max_col], errors="raise").to_numpy(dtype=float)
    if np.any(np.isnan(n)):
        raise DataError(Message("errors.disclosure.column_missing_firm_counts",
                                count_col=count_col))
    dominated = _dominated(np.abs(top), np.abs(total), dominance)
    # An empty cell (no firms) holds no firm's data and its value is known from its count, so
    # it is neither suppressed nor hidden to protect another cell.
    occupied = n > 0
    few = n < min_firms
    mask = occupied & (few | dominated)
    primary = mask.copy()
    why = tuple("few" if f else "dominant" for f in few)
    total_hidden = False
    if secondary and mask.any():
        total_hidden = _complement(mask, occupied, n, np.abs(total), np.abs(top), min_firms,
                                   dominance)
    frame = table.drop(columns=[max_col]).copy()
    for col in value_cols:
        frame[col] = pd.to_numeric(frame[col]).astype(float).mask(mask)
    return SuppressedTable(frame, pd.Series(mask, index=frame.index, name="suppressed"),
                           pd.Series(primary, index=frame.index, name="primary"),
                           value_cols, min_firms, dominance, total_hidden, why)


def _dominated(top: np.ndarray, total: np.ndarray, dominance: float) -> np.ndarray:
    """Largest firm above ``dominance`` of the total; a total of 0 or missing while a firm
    contributes counts as dominated."""
    with np.errstate(divide="ignore", invalid="ignore"):
        share = top / total
    return np.where(np.isfinite(share), share > dominance, top > 0)


def _complement(mask: np.ndarray, occupied: np.ndarray, n: np.ndarray, total: np.ndarray,
                top: np.ndarray, min_firms: int, dominance: float) -> bool:
    """Grow ``mask`` (in place) until the hidden cells together pass the rule; True when no
    cell is left to add (the table total must be hidden)."""
    def passes(m: np.ndarray) -> bool:
        return bool(n[m].sum() >= min_firms
                    and not _dominated(np.array([top[m].max()]), np.array([total[m].sum()]),
                                       dominance)[0])

    while not passes(mask & occupied):
        candidates = np.flatnonzero(~mask & occupied)
        if candidates.size == 0:
            return True
        fixing = [c for c in candidates if passes(mask | (np.arange(mask.size) == c))]
        pick = (min(fixing, key=lambda c: (total[c], c)) if fixing
                else max(candidates, key=lambda c: (total[c], -c)))
        mask[pick] = True
    return False


def cell_stats(rows: pd.DataFrame, by: str | Sequence[str], value: str, firm: str) -> pd.DataFrame:
    """From firm-level ``rows`` to one row per cell: ``n_firms``, ``total`` and ``max_firm_total``
    (the largest firm's summed ``value`` in the cell), ready for :func:`suppress`."""
    keys = [by] if isinstance(by, str) else list(by)
    per_firm = rows.groupby([*keys, firm], sort=True, observed=True)[value].sum().reset_index()
    grouped = per_firm.groupby(keys, sort=True, observed=True)
    out = grouped.agg(n_firms=(firm, "nunique"), total=(value, "sum"),
                      max_firm_total=(value, lambda s: s.abs().max()))
    return out.reset_index()


def max_firm_amount(rows: pd.DataFrame, by: str, value: str = "amount",
                    firm: str = "firm_id") -> pd.Series:
    """Per ``by`` group: the largest firm's summed ``value`` (the ``max_col`` of
    :func:`suppress` for a table of group totals)."""
    per_firm = rows.groupby([by, firm], sort=True)[value].sum().abs()
    return per_firm.groupby(level=0).max()


def rule_text(lang: str, min_firms: int = MIN_FIRMS, dominance: float = DOMINANCE) -> str:
    """One sentence stating the disclosure rule, for the disclosure partial."""
    return t("report.disclosure.rule", lang, min_firms=min_firms,
             share=percent(dominance, lang, 0), mark=MARK)
