"""The workspace's access to published cycles and the review log, through the one code path
of :mod:`evalkit.stages.decisions`.

DuckDB lets one process hold a file with one configuration at a time (read-only or read-write),
so within the server every access to a warehouse is serialised by :data:`LOCK`; across processes
(an ``evalkit review record`` beside the server) the store's write lock and DuckDB's file lock
do it (:mod:`evalkit.io.safefs`)."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd

from evalkit.contract.bundle import Bundle, read_bundle
from evalkit.portfolio.review_log import ReviewAudit, audit_review_log, review_history
from evalkit.stages import decisions

LOCK = threading.RLock()


def cycle_of(row) -> decisions.Cycle:
    """The bundle of a published :class:`evalkit.web.models.Cycle`, SHA-checked on every read."""
    return decisions.open_cycle(Path(row.bundle), Path(row.store))


def status(cycle: decisions.Cycle) -> pd.DataFrame:
    with LOCK:
        return decisions.decision_status(cycle)


def budget(cycle: decisions.Cycle) -> pd.DataFrame:
    with LOCK:
        return decisions.adopted_budget(cycle)


def record(cycle: decisions.Cycle, rid: str, decision: str, reason: str, reviewer: str,
           amount_wan: str | None) -> dict:
    with LOCK:
        return decisions.record_decision(cycle, rid, decision, reason, reviewer, amount_wan)


def audit(store: str | Path) -> ReviewAudit:
    with LOCK:
        return audit_review_log(store)


def history(store: str | Path) -> pd.DataFrame:
    with LOCK:
        return review_history(store)


def evidence_bundles(cycle: decisions.Cycle) -> dict[str, Bundle]:
    """The ex-post bundles the portfolio was computed from, by policy id (each SHA-checked);
    the manifests' hashes must be those the portfolio recorded."""
    prov = cycle.bundle.provenance
    recorded = set(cycle.bundle.results.get("provenance", {}).get("bundle_manifests", [])
                   or prov.get("bundle_manifests", []) or [])
    out = {}
    for name in cycle.bundle.results.get("provenance", {}).get("bundles", []) \
            or prov.get("bundles", []) or []:
        # a folder name (bundles written since they became relocatable): beside the portfolio's
        path = Path(name) if Path(name).is_absolute() else cycle.bundle.path.parent / name
        if not path.is_dir():
            continue
        b = read_bundle(path)
        if recorded and b.manifest_sha256 not in recorded:
            continue
        pid = (b.results.get("policy") or {}).get("policy_id")
        if pid:
            out[str(pid)] = b
    return out
