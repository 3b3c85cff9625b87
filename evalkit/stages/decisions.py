"""The finance bureau's decisions on a published cycle: one code path for ``evalkit review
record`` and the web workspace (``evalkit serve``).

A *cycle* is a portfolio bundle (:mod:`evalkit.contract.bundle`): its ``recommendations`` table
names the recommendations (``2026-01`` ...) and the one budget proposal, its manifest's SHA-256
identifies exactly what was decided on. :func:`record_decision` checks a decision against the
bundle (the id must be one of its recommendations; *modify* carries the adopted budget in 万元 and
a reason; *reject* a reason) and appends it to the warehouse's hash-chained review log
(:func:`evalkit.portfolio.review_log.record_review`) with the cycle, the amount and the manifest
hash. Decisions are never edited: a later entry for the same id supersedes the earlier one
(:func:`decision_status`). :func:`adopted_budget` turns the latest decisions into the adopted
budget table. Nothing here recomputes an analysis; everything is read from the bundle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from evalkit.contract.bundle import Bundle, read_bundle
from evalkit.errors import ConfigError, DataError, check_choice
from evalkit.i18n import Message
from evalkit.io import safefs
from evalkit.portfolio.review_log import DECISIONS, record_review, review_history

__all__ = ["Cycle", "adopted_budget", "decision_status", "open_cycle", "parse_amount_wan",
           "record_decision"]

#: Yuan per 万元.
WAN = 10_000
_DECISION_LABELS = {"accept": Message("labels.decision.accept"),
                    "modify": Message("labels.decision.modify"),
                    "reject": Message("labels.decision.reject")}


@dataclass(frozen=True)
class Cycle:
    """A portfolio bundle read for review: its recommendations and the warehouse of its log."""

    bundle: Bundle
    name: str
    recommendations: pd.DataFrame
    store: Path

    @property
    def manifest_sha256(self) -> str:
        return self.bundle.manifest_sha256

    @property
    def ids(self) -> list[str]:
        return [str(x) for x in self.recommendations["recommendation_id"]]


def open_cycle(bundle: str | Path | Bundle, store: str | Path | None = None) -> Cycle:
    """Read (and SHA-check) a portfolio bundle; ``store`` defaults to the warehouse its
    provenance records. A bundle of another stage, or a store that does not exist, is refused."""
    b = bundle if isinstance(bundle, Bundle) else read_bundle(Path(bundle))
    if b.stage != "portfolio":
        raise DataError(Message("errors.stages.decisions.bundle_bundle_decisions_taken",
                                stage=b.stage), file=str(b.path),
                        fix=Message("errors.stages.decisions.fix_pass_portfolio_bundle_cycle"))
    where = store if store is not None else b.provenance.get("store")
    if store is None and where and not Path(where).is_absolute():
        from evalkit.stages.verify import recorded_store  # relative to the study file

        where = recorded_store(b.path)
    if not where:
        raise DataError(Message("errors.stages.decisions.bundle_does_record_warehouse"),
                        file=str(b.path), fix=Message("errors.stages.decisions.fix_pass_store"))
    path = Path(where)
    if path.exists():
        safefs.check_store_file(path)      # a folder, a CSV, ...: said as such
    if not path.is_file():
        raise DataError(Message("errors.common.such_warehouse"), file=str(path),
                        fix=Message("errors.stages.decisions.fix_check_store_path_warehouse"))
    recs = b.table("recommendations")
    return Cycle(b, str(b.results.get("cycle", "")), recs, path)


def parse_amount_wan(value: object) -> str:
    """An adopted budget in 万元 as a canonical decimal string (at most 4 decimals: whole yuan);
    a :class:`ConfigError` for anything that is not a finite number >= 0."""
    text = str(value).strip().replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -4:
        raise ConfigError(Message("errors.stages.decisions.adopted_amount_number_most",
                                  value=value))
    return format(amount.normalize(), "f")


def record_decision(cycle: Cycle, recommendation_id: str, decision: str, reason: str,
                    reviewer: str, amount_wan: object = None,
                    anchors: str | Path | None = None) -> dict:
    """Check one decision against the cycle and append it to the review log; returns the row.

    The id must be one of the bundle's recommendations; *modify* needs the adopted budget
    (万元, :func:`parse_amount_wan`) and a reason, *reject* a reason; *accept* takes no amount
    (the proposal's is adopted)."""
    check_choice("decision", decision, DECISIONS)
    rid = str(recommendation_id).strip()
    if rid not in cycle.ids:
        shown = ", ".join(cycle.ids)
        raise ConfigError(Message("errors.stages.decisions.recommendation_cycle_recommendations",
                                  recommendation_id=recommendation_id, name=cycle.name,
                                  shown=shown))
    reason = str(reason or "").strip()
    if decision in ("modify", "reject") and not reason:
        raise ConfigError(Message("errors.stages.decisions.needs_reason",
                                  decision=_DECISION_LABELS[decision]))
    amount = None
    if decision == "modify":
        if amount_wan is None or str(amount_wan).strip() == "":
            raise ConfigError(Message("errors.stages.decisions.modify_decision_needs_adopted"))
        amount = parse_amount_wan(amount_wan)
    elif amount_wan is not None and str(amount_wan).strip() != "":
        raise ConfigError(Message("errors.stages.decisions.amount_only_modify",
                                  decision=_DECISION_LABELS[decision]))
    return record_review(cycle.store, rid, decision, reason, reviewer, anchors=anchors,
                         cycle=cycle.name, amount_wan=amount,
                         bundle_sha256=cycle.manifest_sha256, must_exist=True)


def decision_status(cycle: Cycle) -> pd.DataFrame:
    """One row per recommendation: its latest decision in the log (``decision`` None while
    pending), with ``seq``, ``reviewer``, ``timestamp``, ``comment``, ``amount_wan``,
    ``bundle_sha256`` and ``superseded`` (how many earlier entries it replaces). Entries of other
    cycles are ignored; an entry taken on another manifest of the same cycle counts too and its
    hash is shown."""
    history = review_history(cycle.store)
    mine = history[history["recommendation_id"].isin(cycle.ids)]
    if "cycle" in mine:
        mine = mine[mine["cycle"].isna() | (mine["cycle"] == cycle.name)]
    rows = []
    for rid in cycle.ids:
        entries = mine[mine["recommendation_id"] == rid]
        if entries.empty:
            rows.append({"recommendation_id": rid, "decision": None, "seq": None,
                         "reviewer": None, "timestamp": None, "comment": None,
                         "amount_wan": None, "bundle_sha256": None, "superseded": 0})
            continue
        last = entries.iloc[-1]
        rows.append({"recommendation_id": rid, "decision": last["decision"],
                     "seq": int(last["seq"]), "reviewer": last["reviewer"],
                     "timestamp": last["timestamp"], "comment": last["comment"],
                     "amount_wan": last["amount_wan"], "bundle_sha256": last["bundle_sha256"],
                     "superseded": len(entries) - 1})
    return pd.DataFrame(rows, dtype=object)      # pending stays None, not NaN


def adopted_budget(cycle: Cycle) -> pd.DataFrame:
    """The budget table in 万元: per recommendation its policy, current budget, the proposal,
    the latest decision and the adopted budget (accept: the proposal; modify: the amount
    decided; reject: the current budget; pending: empty)."""
    status = decision_status(cycle).set_index("recommendation_id")
    recs = cycle.recommendations
    realloc = cycle.bundle.table("reallocation").set_index("term")
    rows = []
    for rec in recs.to_dict(orient="records"):
        rid, pid = str(rec["recommendation_id"]), str(rec["policy_id"])
        current = float(realloc.loc[pid, "current"]) / WAN if pid in realloc.index else math.nan
        change = float(rec.get("budget_change_amount") or 0.0) / WAN
        proposed = current + change
        st = status.loc[rid]
        decision = st["decision"]
        adopted = {"accept": proposed, "reject": current}.get(decision)
        if decision == "modify":
            adopted = float(st["amount_wan"])
        rows.append({"recommendation_id": rid, "policy_id": pid, "action": rec["action"],
                     "current_wan": current, "proposed_wan": proposed,
                     "decision": decision, "adopted_wan": adopted, "reviewer": st["reviewer"],
                     "seq": st["seq"], "reason": st["comment"]})
    return pd.DataFrame(rows)
