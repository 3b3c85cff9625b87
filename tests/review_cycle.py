"""A small portfolio bundle for tests of the review log: ``evalkit review record`` checks every
id against a cycle's bundle, so tests that record decisions need one. Written with the real
bundle writer; its ``recommendations`` and ``reallocation`` tables have the columns the portfolio
stage writes that :mod:`evalkit.stages.decisions` reads."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from evalkit.contract.bundle import write_bundle

#: The ids the tests use: the demo's numbering, the older help's, and the concurrency test's.
IDS = (*(f"2026-{k:02d}" for k in range(1, 9)), *(f"2026-P{k:02d}" for k in range(1, 9)),
       *(f"2026-R{k:02d}" for k in range(20)))

_made: dict[tuple[str, tuple[str, ...]], Path] = {}


def make_cycle(store: str | Path, ids: tuple[str, ...] = IDS, folder: str | Path | None = None,
               cycle: str = "2026", results: dict | None = None,
               columns: dict | None = None) -> Path:
    """A portfolio bundle (cycle ``cycle``) whose recommendations are ``ids``, recording
    ``store`` as its warehouse (created empty when absent). Written once per store and ids,
    into ``folder`` or a fresh temporary folder (never beside the store). ``results`` adds to
    the bundle's results (e.g. ``policies``, ``scorecards``), ``columns`` to its recommendations
    (one value per id, e.g. ``rationale_zh``); the policies are ``Q00``, ``Q01``, ..."""
    store = Path(store)
    key = (str(store.absolute()), tuple(ids))
    if folder is None and not results and not columns and key in _made and _made[key].is_dir():
        return _made[key]
    if not store.exists():
        duckdb.connect(str(store)).close()
    n = len(ids)
    policies = [f"Q{k:02d}" for k in range(n)]
    recs = pd.DataFrame({"recommendation_id": list(ids), "policy_id": policies,
                         "action": ["expand"] * n, "budget_change_amount": [100000.0] * n,
                         **(columns or {})})
    realloc = pd.DataFrame({"term": policies, "current": [1000000.0] * n})
    out = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="evalkit-cycle-"))
    bundle = out / "portfolio"
    write_bundle(bundle, stage="portfolio",
                 results={"cycle": cycle, "kind": "portfolio", **(results or {})},
                 tables={"recommendations": recs, "reallocation": realloc},
                 provenance={"store": str(store.absolute())}, created=0)
    if folder is None and not results and not columns:
        _made[key] = bundle
    return bundle
