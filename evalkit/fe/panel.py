"""Input checks of a (unit, period) panel, shared by the regression estimators.

:func:`prepare_panel` copies and checks the columns an estimator needs (a pandas frame sorted
by unit and period); :func:`panel_arrays` runs the same checks on arrays without copying the
frame (the lean fast path of :func:`evalkit.did.twfe.twfe_event_study`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.errors import DataError, require_columns
from evalkit.i18n import Message

__all__ = ["panel_arrays", "prepare_panel"]


def prepare_panel(data: pd.DataFrame, yname: str, tname: str, idname: str,
                  gname: str | None = None, other: Sequence[str] = ()) -> pd.DataFrame:
    """Check and copy the columns an estimator needs; never mutates ``data``.

    Raises :class:`DataError` naming the column (and the spreadsheet-style row, header = row 1)
    for a missing column, a non-numeric or missing value, a duplicated (unit, period) pair, or a
    cohort ``g`` that is negative. Returns a new DataFrame with the needed columns, sorted by
    unit and period, with a fresh RangeIndex.
    """
    cols = [c for c in dict.fromkeys([idname, tname, yname, *( [gname] if gname else []),
                                      *other])]
    _check_frame(data, cols)
    out = data[cols].copy()
    for c in cols:
        if c == idname:
            bad = out[c].isna().to_numpy()
        else:
            num = pd.to_numeric(out[c], errors="coerce")
            bad = num.isna().to_numpy()
            out[c] = num.astype(float)
        _check_values(c, bad)
    dup = out.duplicated([idname, tname]).to_numpy()
    if dup.any():
        r = int(np.flatnonzero(dup)[0])
        raise _duplicate(out[idname].iloc[r], out[tname].iloc[r], r, tname)
    if gname:
        _check_cohorts(gname, (out[gname] < 0).to_numpy())
        varies = out.groupby(idname, sort=False)[gname].nunique() > 1
        if varies.any():
            u = varies.index[varies.to_numpy()][0]
            raise _varying_cohort(gname, u)
    return out.sort_values([idname, tname], kind="stable").reset_index(drop=True)


def panel_arrays(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
                  other: Sequence[str]) -> dict[str, np.ndarray]:
    """The checks of :func:`prepare_panel` on (n,) arrays, in the row order of ``data``.

    Same errors (same rows and columns) as :func:`prepare_panel`; returns float64 arrays of the
    numeric columns (views of ``data`` where its dtype allows) and int32 codes ``__unit``,
    ``__time`` (from 0, order irrelevant to the estimators that use them).
    """
    cols = list(dict.fromkeys([idname, tname, yname, gname, *other]))
    _check_frame(data, cols)
    out: dict[str, np.ndarray] = {}
    for c in cols:
        if c == idname:
            bad = data[c].isna().to_numpy()
        else:
            num = pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            bad = np.isnan(num)
            out[c] = num
        _check_values(c, bad)
    ucodes, uniques = pd.factorize(data[idname], sort=False)   # codes in order of appearance
    tcodes, t_uniques = pd.factorize(out[tname], sort=True)
    n, n_u, n_t = len(data), len(uniques), len(t_uniques)
    key = ucodes.astype(np.int64) * n_t + tcodes
    if n_u * n_t <= 4 * n + 1024:
        dup_any = bool((np.bincount(key, minlength=n_u * n_t) > 1).any()) if n else False
    else:
        dup_any = bool(pd.Series(key).duplicated().any())
    if dup_any:
        r = int(np.flatnonzero(pd.Series(key).duplicated().to_numpy())[0])
        raise _duplicate(data[idname].iloc[r], out[tname][r], r, tname)
    del key
    g = out[gname]
    _check_cohorts(gname, g < 0)
    g_of_unit = np.zeros(n_u)
    g_of_unit[ucodes] = g                      # any row's value; all equal if g is constant
    varies = g != g_of_unit[ucodes]
    if varies.any():
        u = uniques[int(ucodes[varies].min())]
        raise _varying_cohort(gname, u)
    out["__unit"] = ucodes.astype(np.int32)
    out["__time"] = tcodes.astype(np.int32)
    out["__id"] = data[idname].to_numpy()
    return out


# The errors both checks raise, worded once.
def _check_frame(data: object, cols: Sequence[str]) -> None:
    if not isinstance(data, pd.DataFrame):
        raise DataError(Message("errors.common.data_pandas_dataframe",
                                type_name=type(data).__name__))
    require_columns(data, cols)


def _check_values(c: str, bad: np.ndarray) -> None:
    """Refuse missing or non-numeric values (``bad`` (n,) bool) of column ``c``."""
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise DataError(Message("errors.fe.panel.column_missing_non_numeric", c=c,
                                sum_bad=int(bad.sum())), row=r + 2, column=c,
                        fix=Message("errors.fe.panel.fix_drop_fill_these_rows"))


def _check_cohorts(gname: str, neg: np.ndarray) -> None:
    """Refuse negative cohorts (``neg`` (n,) bool)."""
    if neg.any():
        r = int(np.flatnonzero(neg)[0])
        raise DataError(Message("errors.fe.panel.cohort_column_never_treated", gname=gname),
                        row=r + 2, column=gname)


def _duplicate(unit: object, period: object, r: int, tname: str) -> DataError:
    return DataError(Message("errors.fe.panel.unit_appears_twice_period", unit=unit,
                             period=period), row=r + 2, column=tname,
                     fix=Message("errors.common.fix_keep_one_row_per"))


def _varying_cohort(gname: str, u: object) -> DataError:
    return DataError(Message("errors.fe.panel.cohort_column_varies_within", gname=gname, u=u),
                     column=gname,
                     fix=Message("errors.fe.panel.fix_first_treated_period_constant"))
