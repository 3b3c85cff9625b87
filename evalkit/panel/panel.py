"""The firm x year panel assembled from the warehouse's ``firms`` and ``firm_years`` tables.

A :class:`Panel` holds one row per firm-year (long format) with the firm's time-invariant
attributes joined on. Firms enter and exit, so panels are unbalanced by default; the estimators
say how they treat that (see ``evalkit.did.att_gt``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.errors import DataError

FIRM_ATTRIBUTES = ("industry_code", "cluster", "area", "size_class", "year_registered", "year_exited")


@dataclass(frozen=True)
class Panel:
    """Long firm-year panel.

    ``data`` has columns ``firm_id`` (USCC string), ``unit`` (int32 index of the firm, 0..n-1 in
    sorted firm_id order), ``year`` (int) and the firm-year and firm columns. Rows are sorted by
    (firm_id, year) and each (firm_id, year) appears once.
    """

    data: pd.DataFrame

    @classmethod
    def from_tables(cls, firms: pd.DataFrame, firm_years: pd.DataFrame) -> Panel:
        """Join firm attributes onto firm-years; every firm-year must have its firm."""
        missing = ~firm_years["firm_id"].isin(firms["firm_id"])
        if missing.any():
            first = firm_years.loc[missing, "firm_id"].iloc[0]
            raise DataError(
                f"{int(missing.sum())} firm-year rows name firms absent from the firms table "
                f"(first: {first})", column="firm_id",
                fix="ingest both tables from the same export so referential checks run",
            )
        dup = firm_years.duplicated(["firm_id", "year"])
        if dup.any():
            row = firm_years.loc[dup].iloc[0]
            raise DataError(f"firm-year ({row['firm_id']}, {row['year']}) appears twice",
                            column="year", fix="validate the table with `evalkit validate`")
        attrs = [c for c in FIRM_ATTRIBUTES if c in firms.columns]
        data = firm_years.merge(firms[["firm_id", *attrs]], on="firm_id", how="left", validate="m:1")
        data = data.sort_values(["firm_id", "year"], kind="stable").reset_index(drop=True)
        data["year"] = data["year"].astype("int64")
        codes, _ = pd.factorize(data["firm_id"], sort=True)
        data.insert(1, "unit", codes.astype(np.int32))
        return cls(data)

    @property
    def years(self) -> np.ndarray:
        return np.sort(self.data["year"].unique())

    @property
    def n_firms(self) -> int:
        return int(self.data["unit"].max()) + 1 if len(self.data) else 0

    def is_balanced(self) -> bool:
        return len(self.data) == self.n_firms * len(self.years)

    def balanced(self) -> tuple[Panel, int]:
        """The sub-panel of firms observed in every year, and how many firms were dropped."""
        counts = self.data.groupby("unit")["year"].transform("size")
        keep = counts.to_numpy() == len(self.years)
        kept = self.data.loc[keep].drop(columns="unit")
        dropped = self.n_firms - kept["firm_id"].nunique()
        codes, _ = pd.factorize(kept["firm_id"], sort=True)
        kept.insert(1, "unit", codes.astype(np.int32))
        return Panel(kept.reset_index(drop=True)), int(dropped)
