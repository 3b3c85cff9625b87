"""The demo evaluation cycle on the synthetic district (``evalkit demo`` / ``make demo``).

Today it synthesizes the district, ingests it into a warehouse and summarises what landed; the
estimation, portfolio and report stages join as they are built.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from evalkit.io import ingest_dir, load_dataset
from evalkit.synth import synthesize_district, write_district


def run_demo(out: Path, n_firms: int = 20000, seed: int = 7, start: int = 2016, end: int = 2025,
             progress: Callable[..., None] | None = None) -> dict[str, str]:
    """Run the demo cycle into ``out``; returns the one-screen summary as label -> text."""
    out = Path(out)
    data_dir = out / "data"
    store = out / "warehouse.duckdb"
    district = synthesize_district(n_firms=n_firms, start=start, end=end, seed=seed)
    write_district(district, data_dir, dirty=False, seed=seed)
    result = ingest_dir(data_dir, store=store, progress=progress)
    tables = load_dataset(store, result.version.dataset_id)
    ledger = tables["disbursements"]
    summary = {
        "dataset": f"{result.version.dataset_id} ({result.version.sha256[:12]})",
        "firms": f"{len(tables['firms']):,}",
        "firm-years": f"{len(tables['firm_years']):,}",
        "years": f"{int(tables['firm_years']['year'].min())}-{int(tables['firm_years']['year'].max())}",
        "policies": f"{len(tables['policies']):,}",
        "disbursed (CNY million)": f"{ledger['amount'].sum() / 1e6:,.1f}",
        "quarantined rows": f"{sum(tr.n_quarantined for tr in result.report.tables.values()):,}",
        "warehouse": str(store),
    }
    return summary
