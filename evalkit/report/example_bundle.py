"""A small, fixed results bundle for ``reports/example.qmd`` and the report tests.

Built from a seeded generator, so the bytes are the same on every run. ``small_cell=True`` adds
an industry with only two firms, which the disclosure rule must suppress.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.contract.bundle import sha256_bytes, write_bundle
from evalkit.contract.provenance import collect
from evalkit.disclosure import cell_stats

CREATED = 1_717_200_000  # 2024-06-01T00:00:00Z
SEED = 20240601
POLICIES = (
    ("P01", "技术改造补贴", "Technology upgrade grant"),
    ("P02", "稳岗就业补贴", "Job retention subsidy"),
)
INDUSTRIES = (  # GB/T 4754-2017 sections
    ("C", "制造业", "Manufacturing", 14),
    ("I", "信息传输、软件和信息技术服务业", "Information technology", 8),
    ("M", "科学研究和技术服务业", "Research and technical services", 6),
    ("F", "批发和零售业", "Wholesale and retail", 5),
)
SMALL_INDUSTRY = ("D", "电力、热力、燃气及水生产和供应业", "Utilities", 2)
YEARS = (2021, 2022, 2023, 2024)


def example_tables(small_cell: bool = False) -> tuple[dict, dict[str, pd.DataFrame]]:
    """(results, tables) of the example bundle."""
    rng = np.random.default_rng(SEED)
    industries = INDUSTRIES + ((SMALL_INDUSTRY,) if small_cell else ())
    rows = []
    firm = 0
    for section, _, _, n in industries:
        for _ in range(n):
            firm += 1
            policy = POLICIES[firm % len(POLICIES)][0]
            for year in YEARS:
                amount = float(np.round(rng.lognormal(np.log(600_000), 0.5), -2))
                rows.append((f"F{firm:03d}", section, policy, year, amount))
    firms = pd.DataFrame(rows, columns=["firm", "section", "policy_id", "year", "amount_yuan"])
    by_year = (firms.groupby(["policy_id", "year"], sort=True)["amount_yuan"].sum()
               .reset_index())
    names = {s: (zh, en) for s, zh, en, _ in industries}
    by_industry = cell_stats(firms, "section", "amount_yuan", "firm")
    by_industry.insert(1, "industry_zh", by_industry["section"].map(lambda s: names[s][0]))
    by_industry.insert(2, "industry_en", by_industry["section"].map(lambda s: names[s][1]))
    policies = pd.DataFrame(POLICIES, columns=["policy_id", "name_zh", "name_en"])
    results = {
        "start": YEARS[0],
        "end": YEARS[-1],
        "n_firms": int(firms["firm"].nunique()),
        "n_policies": len(POLICIES),
        "total_disbursed_yuan": float(firms["amount_yuan"].sum()),
    }
    return results, {"disbursement_by_year": by_year, "by_industry": by_industry,
                     "policies": policies}


def write_example_bundle(out_dir: Path, *, small_cell: bool = False) -> Path:
    """Write the example bundle into ``out_dir``; returns the directory."""
    results, tables = example_tables(small_cell)
    provenance = collect(dataset_version="example-1",
                         dataset_sha256=sha256_bytes(b"evalkit example dataset v1"),
                         study_sha256=sha256_bytes(b"evalkit example study v1"),
                         seeds={"example": SEED})
    write_bundle(Path(out_dir), stage="example", results=results, tables=tables,
                 provenance=provenance, created=CREATED)
    return Path(out_dir)
