"""Growth of an outcome over a group of firms in a firm x year panel: the history an ex-ante
appraisal judges a growth target against and a monitoring KPI projects from."""

from __future__ import annotations

from itertools import pairwise

import pandas as pd

__all__ = ["historical_growth"]


def historical_growth(firm_years: pd.DataFrame, firm_ids, outcome: str) -> pd.Series:
    """Year-on-year growth (percent) of the sum of ``outcome`` over the firms ``firm_ids``,
    computed on the firms observed in both years of each pair; indexed by the later year."""
    fy = firm_years.loc[firm_years["firm_id"].isin(set(firm_ids)), ["firm_id", "year", outcome]]
    wide = fy.pivot(index="firm_id", columns="year", values=outcome).astype("float64")
    years = sorted(wide.columns)
    out = {}
    for a, b in pairwise(years):
        both = wide[a].notna() & wide[b].notna()
        base = float(wide.loc[both, a].sum())
        if both.sum() >= 3 and base > 0:
            out[int(b)] = 100.0 * (float(wide.loc[both, b].sum()) / base - 1.0)
    return pd.Series(out, dtype="float64", name=f"{outcome}_growth_percent")
