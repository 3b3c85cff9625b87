"""The firm x year panel assembled from the warehouse's ``firms`` and ``firm_years`` tables.

A :class:`Panel` holds one row per firm-year (long format) with the firm's time-invariant
attributes joined on. Firms enter and exit, so panels are unbalanced by default; the estimators
say how they treat that (see ``evalkit.did.att_gt``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.errors import DataError
from evalkit.i18n import Message

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
        """Join firm attributes onto firm-years; every firm-year must have its firm.

        Assembled on integer codes (firms indexed once in sorted id order, firm-years located
        by a hash look-up, duplicates found on ``code x years + year``, attributes taken by
        position, one integer sort): no string merge or string sort of the long table."""
        ids = firms["firm_id"]
        repeated = ids.duplicated()
        if repeated.any():
            raise DataError(Message("errors.panel.panel.firm_appears_twice_firms",
                                    ids=ids[repeated].iloc[0]), column="firm_id",
                            fix=Message("errors.panel.panel.fix_validate_table_evalkit_validate"))
        if ids.isna().any():
            raise DataError(Message("errors.panel.panel.firm_id_missing_row",
                                    flatnonzero=int(np.flatnonzero(ids.isna())[0])),
                            column="firm_id",
                            fix=Message("errors.panel.panel.fix_every_firm_needs_unified"))
        values = ids.to_numpy(dtype=object)
        if pd.api.types.is_string_dtype(ids):
            # text ids sorted by Arrow (UTF-8 byte order = Python's str order), not in Python
            order_f = pc.sort_indices(pa.array(values, type=pa.large_string())).to_numpy()
        else:
            order_f = np.argsort(ids.to_numpy(), kind="stable")
        sorted_ids = pd.Index(values[order_f])
        code = sorted_ids.get_indexer(firm_years["firm_id"])          # firm's rank, -1 if absent
        missing = code < 0
        if missing.any():
            first = firm_years["firm_id"].iloc[int(np.flatnonzero(missing)[0])]
            raise DataError(Message("errors.panel.panel.firm_year_rows_name",
                                    sum_missing=int(missing.sum()), first=first), column="firm_id",
                            fix=Message("errors.panel.panel.fix_ingest_both_tables_same"))
        year = firm_years["year"].to_numpy(dtype=np.int64)
        y0 = int(year.min()) if len(year) else 0
        span = int(year.max()) - y0 + 1 if len(year) else 1
        key = code.astype(np.int64) * span + (year - y0)
        order = np.argsort(key, kind="stable")                          # (firm_id, year)
        sorted_key = key[order]
        dup = np.flatnonzero(sorted_key[1:] == sorted_key[:-1])
        if dup.size:
            first = int(order[dup + 1].min())       # the first repeat in the table's order
            row = firm_years.iloc[first]
            raise DataError(Message("errors.panel.panel.firm_year_appears_twice",
                                    firm_id=row['firm_id'], year=row['year']), column="year",
                            fix=Message("errors.panel.panel.fix_validate_table_evalkit_validate"))
        data = firm_years.take(order).reset_index(drop=True)
        data["year"] = year[order]
        firm_code = code[order]
        at = order_f[firm_code]                                         # row of each firm
        for c in (c for c in FIRM_ATTRIBUTES if c in firms.columns):
            data[c] = firms[c].take(at).reset_index(drop=True)
        unit = np.zeros(len(firm_code), dtype=np.int32)
        if len(firm_code):
            unit[1:] = np.cumsum(firm_code[1:] != firm_code[:-1])
        data.insert(1, "unit", unit)
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
