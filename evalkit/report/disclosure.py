"""Disclosure control for report tables (primary cell suppression).

Rule (the statistical-office threshold and dominance rules, e.g. Hundepool et al. 2012,
*Statistical Disclosure Control*, ch. 4): a cell is suppressed when it is built from fewer than
``min_firms`` firms, or when its largest single firm holds more than ``dominance`` of the cell's
total (the (1, k) dominance rule with k = 85 %). Suppressed values are shown as ``—*`` with a
footnote in the report's language.

Secondary (complementary) suppression, on by default: when exactly one cell of the table is
suppressed, the unsuppressed cell with the smallest total is suppressed too, so the suppressed
value cannot be recovered by subtracting the others from a published table total. (For tables with
several dimensions whose margins are all published, a full linear-programming cell suppression is
needed; this module does not do it.) Empty cells (no firms) are neither suppressed nor chosen as
the complement: they hold no firm's data, and their value is known from their count of zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError, DataError
from evalkit.i18n import t
from evalkit.report.numbers import percent

MARK = "—*"
MIN_FIRMS = 3
DOMINANCE = 0.85


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
             secondary: bool = True) -> SuppressedTable:
    """Mark cells built from fewer than ``min_firms`` firms or dominated by one firm.

    ``table``: one row per cell; ``count_col`` the number of distinct firms in the cell;
    ``value_col`` the column(s) to blank when the cell is suppressed (the first one is the cell's
    total used by the dominance rule); ``max_col`` the largest single firm's contribution to that
    total. ``secondary``: protect a lone suppressed cell against recovery from the table total
    (see the module docstring). The input is not modified. See :func:`cell_stats` to build such a
    table from firm rows.
    """
    value_cols = (value_col,) if isinstance(value_col, str) else tuple(value_col)
    if not value_cols:
        raise ConfigError("value_col must name at least one column",
                          zh="value_col 须至少指定一列")
    missing = [c for c in (count_col, *value_cols, max_col) if c not in table.columns]
    if missing:
        raise DataError(f"table has no column(s) {missing}; columns are {list(table.columns)}",
                        zh=f"表中没有列 {missing}；现有列为 {list(table.columns)}")
    if not (isinstance(min_firms, int) and min_firms >= 1):
        raise ConfigError(f"min_firms must be a positive integer; received {min_firms!r}",
                          zh=f"min_firms 须为正整数；收到的是 {min_firms!r}")
    if not 0 < dominance <= 1:
        raise ConfigError(f"dominance must be in (0, 1]; received {dominance!r}",
                          zh=f"dominance 须在 (0, 1] 区间内；收到的是 {dominance!r}")
    n = pd.to_numeric(table[count_col], errors="raise").to_numpy(dtype=float)
    total = pd.to_numeric(table[value_cols[0]], errors="raise").to_numpy(dtype=float)
    top = pd.to_numeric(table[max_col], errors="raise").to_numpy(dtype=float)
    if np.any(np.isnan(n)):
        raise DataError(f"column {count_col!r} has missing firm counts",
                        zh=f"列 {count_col!r} 中有缺失的企业数")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.abs(top) / np.abs(total)
    # A cell whose total is 0 or missing while a firm contributes is treated as dominated.
    dominated = np.where(np.isfinite(share), share > dominance, np.abs(top) > 0)
    # An empty cell (no firms) holds no firm's data and its value is known from its count, so
    # it is neither suppressed nor hidden to protect another cell.
    occupied = n > 0
    mask = occupied & ((n < min_firms) | dominated)
    primary = mask.copy()
    if secondary and mask.sum() == 1 and (~mask & occupied).sum() >= 1:
        candidates = np.flatnonzero(~mask & occupied)
        mask[candidates[np.argmin(np.abs(total[candidates]))]] = True
    frame = table.drop(columns=[max_col]).copy()
    for col in value_cols:
        frame[col] = pd.to_numeric(frame[col]).astype(float).mask(mask)
    return SuppressedTable(frame, pd.Series(mask, index=frame.index, name="suppressed"),
                           pd.Series(primary, index=frame.index, name="primary"),
                           value_cols, min_firms, dominance)


def cell_stats(rows: pd.DataFrame, by: str | Sequence[str], value: str, firm: str) -> pd.DataFrame:
    """From firm-level ``rows`` to one row per cell: ``n_firms``, ``total`` and ``max_firm_total``
    (the largest firm's summed ``value`` in the cell), ready for :func:`suppress`."""
    keys = [by] if isinstance(by, str) else list(by)
    per_firm = rows.groupby([*keys, firm], sort=True, observed=True)[value].sum().reset_index()
    grouped = per_firm.groupby(keys, sort=True, observed=True)
    out = grouped.agg(n_firms=(firm, "nunique"), total=(value, "sum"),
                      max_firm_total=(value, lambda s: s.abs().max()))
    return out.reset_index()


def rule_text(lang: str, min_firms: int = MIN_FIRMS, dominance: float = DOMINANCE) -> str:
    """One sentence stating the disclosure rule, for the disclosure partial."""
    return t("report.disclosure.rule", lang, min_firms=min_firms,
             share=percent(dominance, lang, 0), mark=MARK)
