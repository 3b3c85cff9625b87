"""The portfolio decision (组合评价): scorecards, ranking with rank confidence sets,
recommendations and a reallocation proposal, from the ex-post bundles of the policies.

The portfolio never re-estimates: it reads each ex-post bundle's metric estimates and their
per-firm influence contributions (``psi``), so metrics of policies evaluated on overlapping firms
(shared controls) have the right joint distribution (Mogstad, Romano, Shaikh & Wilhelm 2024 for
the rank sets).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.contract.bundle import Bundle, MemoryBundle, read_bundle
from evalkit.contract.models import ExPostResults, as_float
from evalkit.disclosure import max_firm_amount
from evalkit.errors import ConfigError
from evalkit.fiscal.linear import LinearEstimate
from evalkit.i18n import Message
from evalkit.portfolio.classify import classify_policies
from evalkit.portfolio.process import budget_execution_rate
from evalkit.portfolio.ranking import RankingResult, rank_confidence_sets
from evalkit.portfolio.reallocate import ReallocationResult, reallocate
from evalkit.portfolio.recommend import Recommendations, align_with_reallocation, recommend
from evalkit.portfolio.review_log import review_status
from evalkit.portfolio.scorecard import ScorecardResult, load_scorecard_spec, score_policy
from evalkit.portfolio.shrinkage import eb_posterior_means
from evalkit.results import Result, json_safe
from evalkit.stages.ex_post import ExPostResult, in_memory
from evalkit.study import PortfolioStudy

CAUSAL_SOURCES = {"causal:jobs": "total_employees"}


@dataclass(frozen=True, eq=False, repr=False)
class PortfolioResult(Result):
    cycle: str
    metric: str
    policies: pd.DataFrame
    scorecards: tuple[ScorecardResult, ...]
    ranking: RankingResult
    recommendations: Recommendations
    reallocation: ReallocationResult
    classification: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    #: per policy, what its ex-post numbers rest on (:func:`policy_basis`)
    disclosure: dict[str, Any] = field(default_factory=dict)
    #: the review log's decisions on these recommendations when the stage ran
    #: (:func:`evalkit.portfolio.review_log.review_status`)
    review: dict[str, Any] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        return self.ranking.tidy()

    def summary(self) -> str:
        return "\n".join([self.ranking.summary(), self.recommendations.summary(),
                          self.reallocation.summary()])

    def to_dict(self) -> dict[str, Any]:
        return json_safe({
            "kind": "portfolio", "cycle": self.cycle, "metric": self.metric,
            "policies": self.policies,
            "scorecards": [s.to_dict() for s in self.scorecards],
            "ranking": self.ranking.to_dict(),
            "recommendations": self.recommendations.to_dict(),
            "reallocation": self.reallocation.to_dict(),
            "classification": self.classification,
            "provenance": self.provenance,
            "disclosure": self.disclosure,
            "review": self.review,
        })


#: What the portfolio takes as a policy's ex-post results: a bundle folder, an open bundle, an
#: ex-post stage result in memory (``run_ex_post``'s), or one already wrapped by
#: :func:`evalkit.stages.ex_post.in_memory`.
ExPostSource = str | Path | Bundle | MemoryBundle | ExPostResult


def open_ex_post(source: ExPostSource) -> Bundle | MemoryBundle:
    """One ex-post source (:data:`ExPostSource`) as something read like a bundle."""
    if isinstance(source, (Bundle, MemoryBundle)):
        return source
    if isinstance(source, ExPostResult):
        return in_memory(source)
    return read_bundle(Path(source))


def policy_basis(results: ExPostResults) -> dict[str, Any]:
    """The part of an ex-post bundle's results the portfolio report decides disclosure on
    (stored per policy in the portfolio bundle as ``results['disclosure']``)."""
    cost = results.fiscal.cost if results.fiscal is not None else None
    disclosure = results.disclosure
    return {"disclosure": None if disclosure is None else disclosure.model_dump(exclude_unset=True),
            "cohort_sizes": dict(results.cohort_sizes),
            "fiscal": {"cost": cost} if cost else None}


def metric_estimate(bundle: Bundle | MemoryBundle, name: str) -> LinearEstimate:
    """A metric of an ex-post bundle as a LinearEstimate with its per-firm contributions."""
    metrics = bundle.table("metrics")
    if name not in set(metrics["name"]):
        raise ConfigError(Message("errors.stages.portfolio.bundle_metric", path=bundle.path,
                                  name=name, name_2=sorted(metrics['name'])))
    psi = bundle.table("psi")
    est = float(metrics.loc[metrics["name"] == name, "estimate"].iloc[0])
    series = pd.Series(psi[name].to_numpy(dtype=float), index=psi["firm_id"].astype(str))
    return LinearEstimate(est, series[series != 0.0], name)


def _inputs(study: PortfolioStudy, spec, pid: str, bundle: Bundle | MemoryBundle,
            tables: dict[str, pd.DataFrame],
            exec_year: int, flag: tuple[str, str] | None = None) -> dict[str, dict]:
    entries = {k: v.as_input() for k, v in study.entries.get("*", {}).items()}
    entries.update({k: v.as_input() for k, v in study.entries.get(pid, {}).items()})
    out: dict[str, dict] = {}
    kpi = tables["kpi_targets"]
    for ind in spec.indicators:
        entry = dict(entries.get(ind.id, {}))
        if ind.source == "ledger:budget_execution_rate" and "actual" not in entry:
            entry["actual"] = budget_execution_rate(tables["disbursements"], tables["budgets"],
                                                    pid, exec_year)
        elif ind.id == "output.quantity" and "actual" not in entry:
            entry["actual"] = float(bundle.model.n_treated)
            t = kpi[(kpi["indicator"] == "firms_supported") & (kpi["policy_id"] == pid)]
            if "target" not in entry and len(t):
                entry["target"] = float(t["target"].iloc[0])
        elif ind.type == "effect":
            source = ind.source.removeprefix("causal:")
            metric = CAUSAL_SOURCES.get(ind.source, source)
            entry["estimate"] = metric_estimate(bundle, metric)
            if flag is not None:
                entry["identified"], entry["why"] = False, flag[0]
        # a value the study's entries give is the evaluators' (the scorecard marks it)
        given = entries.get(ind.id, {})
        entry["origin"] = ("entered" if ind.type == "qualitative" or "actual" in given
                           or "estimate" in given else "measured")
        out[ind.id] = entry
    return out


def evidence_flags(results: Sequence[ExPostResults], alpha: float
                   ) -> dict[str, tuple[str, str]]:
    """Policies whose main-outcome identification check fails, with the reason (en, zh).

    - with ``design.selection_covariates``: the pseudo-outcome test of selection on them
      (``balance`` of the ex-post bundle, :mod:`evalkit.robust.selection_balance`) rejects for
      the main outcome and for at least one of the selection covariates' own histories
      (``balance.gates``, written by the ex-post stage) -- the awards followed a swing of what
      they were decided on, which the post-award comparison counts as an effect as it
      reverts; a rejection for the outcome alone is a shift from outside the decision and does
      not gate; the dip and pre-trend checks are then reported but do not gate;
    - otherwise an Ashenfelter dip (``dip`` of the ex-post bundle: the outcome fell
      significantly in the year before the award): the effect counts a recovery that would
      have happened anyway;
    - on the level scale, a rejected joint pre-trend test (as before). On the proportional
      scale the joint test is reported but does not gate: with thousands of firms it rejects
      the small, steady pre-award growth differences that selection on the base-year level
      produces while post-award trends stay parallel (every demo policy, the null one
      included, on 20,000 firms; bench/README.md, "Decision quality")."""
    flags = {}
    for r in results:
        pid, main, ev = r.policy_id, r.main_outcome, r.main
        dip, pre, bal = ev.dip, ev.pretrend, ev.balance
        if bal is not None:
            # the design conditions on the award's selection columns: its own test decides
            # (a dip those columns explain does not gate)
            if bal.fails:
                e, p = as_float(bal.estimate), as_float(bal.p_value)
                flags[pid] = Message("stages.portfolio.flag_selection", main=main, estimate=e,
                                     p=p).pair()
        elif dip is not None and dip.detected:
            e, p = as_float(dip.estimate), as_float(dip.p_value)
            flags[pid] = Message("stages.portfolio.flag_dip", main=main, estimate=e, p=p).pair()
        elif (ev.scale or "level") == "level" and pre is not None \
                and pre.p_value is not None and as_float(pre.p_value) < alpha:
            p = as_float(pre.p_value)
            flags[pid] = Message("stages.portfolio.flag_pretrend", main=main, p=p).pair()
    return flags


def proposal_inputs(pids: list[str], est: pd.DataFrame, current: pd.Series,
                    flags: dict[str, tuple[str, str]], rules: pd.DataFrame,
                    hold_by_grade: str = "poor") -> pd.DataFrame:
    """The reallocation's inputs: each policy's current budget, its metric's empirical-Bayes
    posterior mean (the criterion: :mod:`evalkit.portfolio.shrinkage`), and an upper bound of
    the current budget (never raised) for a policy whose identification failed or whose grade
    rule does not support more money (``hold_by_grade``: ``poor`` holds the policies the rules
    reduce or suspend -- 差, or a metric interval below 0 --, ``fair`` also 中, ``none`` none).

    Why ``poor`` is the default: the scorecard's grade is mostly what the policy delivered
    against its own targets (output quantity, execution, entered indicators), not its return, so
    holding every 中 policy sends the freed money to whichever 优/良 policy is left; on the
    known-truth districts that costs a third of the decision value (bench/README.md, "Decision
    quality"). A 中 policy the evidence raises keeps its grade and its "revise" reason."""
    b = [float(est.loc[p, "estimate"]) for p in pids]
    se = [float(est.loc[p, "std_error"]) for p in pids]
    post = eb_posterior_means(b, se)
    rule = rules.set_index("policy_id")
    cur = np.array([float(current.get(p, 0.0)) for p in pids])
    holds = {"poor": ("reduce", "suspend"), "fair": ("revise", "reduce", "suspend"),
             "none": ()}[hold_by_grade]
    held = np.array([p in flags or rule.loc[p, "action"] in holds for p in pids])
    return pd.DataFrame({
        "policy_id": pids, "current": cur, "estimate": b,
        "posterior_mean": post.posterior, "shrinkage_weight": post.weight,
        "conf_low": [float(est.loc[p, "conf_low"]) for p in pids],
        "capacity": np.nan, "upper": np.where(held, cur, np.nan),
        # not identified: kept at its current budget until re-evaluated (issue 14 item 3: never
        # funded on its point estimate, so its estimate neither raises nor protects it)
        "lower": np.where([p in flags for p in pids], cur, np.nan),
    })


def check_same_dataset(bundles: Sequence[Bundle | MemoryBundle]) -> None:
    """Refuse bundles computed from different dataset versions (by the dataset SHA-256 each
    bundle's provenance records; the version id where no SHA-256 was recorded)."""
    seen: dict[str, list[str]] = {}
    for b in bundles:
        prov = b.provenance
        key = prov.get("dataset_sha256") or prov.get("dataset_version") or "unrecorded"
        label = f"{prov.get('dataset_version') or '?'} ({str(key)[:12]})"
        seen.setdefault(label, []).append(str(b.path if isinstance(b, Bundle) else b.name))
    if len(seen) > 1:
        listing = "; ".join(f"{k}: {', '.join(v)}" for k, v in seen.items())
        raise ConfigError(Message("errors.stages.portfolio.bundles_come_different_dataset",
                                  listing=listing))


def run_portfolio(study: PortfolioStudy, tables: dict[str, pd.DataFrame],
                  progress: Callable[..., None] | None = None,
                  ex_post: Sequence[ExPostSource] | None = None) -> PortfolioResult:
    """Score, rank and recommend for the policies whose ex-post bundles the study lists, or
    for ``ex_post`` (:data:`ExPostSource`: bundle folders or results in memory) in their
    place."""
    spec = load_scorecard_spec(study.scorecard)
    bundles = [open_ex_post(p) for p in (study.bundles if ex_post is None else ex_post)]
    for b in bundles:
        if b.stage != "ex_post":
            raise ConfigError(Message("errors.stages.portfolio.bundle_portfolio_reads_ex",
                                      path=b.path, stage=b.stage))
    if not study.allow_mixed_datasets:
        check_same_dataset(bundles)
    models: list[ExPostResults] = [b.model for b in bundles]
    pids = [m.policy_id for m in models]
    if len(set(pids)) != len(pids):
        raise ConfigError(Message("errors.stages.portfolio.two_bundles_evaluate_same",
                                  pids=sorted(pids)))
    rng = np.random.default_rng(study.inference.seed)
    estimates = [metric_estimate(b, study.metric).renamed(pid) for b, pid in zip(bundles, pids, strict=True)]
    flags = evidence_flags(models, study.inference.alpha)
    ranking = rank_confidence_sets(estimates, alpha=study.inference.alpha, method="gaussian",
                                   rng=rng, metric=study.metric,
                                   identified=[p not in flags for p in pids])
    budgets = tables["budgets"]
    last_full = int(budgets["year"].max()) - 1  # the final year is in progress (monitoring)
    cards = []
    for i, (b, pid) in enumerate(zip(bundles, pids, strict=True)):
        if progress:
            progress("scorecards", i, len(pids))
        cards.append(score_policy(spec, pid, _inputs(study, spec, pid, b, tables, last_full,
                                                     flags.get(pid)),
                                  alpha=study.inference.alpha))
    rule_recs = recommend(cards, ranking, spec, study.cycle, evidence_flags=flags)
    current = budgets[budgets["year"] == budgets["year"].max()].set_index("policy_id")["appropriation"]
    est = ranking.tidy().set_index("term")
    realloc_in = proposal_inputs(pids, est, current, flags, rule_recs.table,
                                 hold_by_grade=study.hold_by_grade)
    realloc = reallocate(realloc_in, total=study.next_year_total, max_change=study.max_change,
                         use="posterior_mean")
    realloc = replace(realloc, provenance={**realloc.provenance,
                                                       "hold_by_grade": study.hold_by_grade})
    recs = align_with_reallocation(rule_recs, realloc.table)
    classes = classify_policies(tables["policies"], tables["disbursements"], tables["firms"])
    # the largest recipient's spend per policy, for the report's dominance rule
    top = max_firm_amount(tables["disbursements"].assign(
        amount=pd.to_numeric(tables["disbursements"]["amount"], errors="coerce")), "policy_id")
    classes["max_firm_spend"] = [float(top.get(p, 0.0)) for p in classes["policy_id"]]
    policies = tables["policies"][tables["policies"]["policy_id"].isin(pids)][
        ["policy_id", "name_zh", "name_en", "objective", "instrument", "department"]]
    return PortfolioResult(study.cycle, study.metric, policies.reset_index(drop=True), tuple(cards),
                           ranking, recs, realloc, classes,
                           # by folder name (the study file says where they are): no path
                           provenance={"bundles": [b.name for b in bundles],
                                       "bundle_manifests": [b.manifest_sha256 for b in bundles]},
                           disclosure={m.policy_id: policy_basis(m) for m in models},
                           review=review_status(study.data.store,
                                                recs.table["recommendation_id"].tolist()))


def bundle_parts(result: PortfolioResult) -> tuple[dict, dict[str, pd.DataFrame], dict[str, bytes]]:
    tables = {"ranking": result.ranking.tidy(), "recommendations": result.recommendations.table,
              "reallocation": result.reallocation.tidy(), "classification": result.classification,
              "scorecards": pd.concat([s.tidy() for s in result.scorecards], ignore_index=True)}
    return result.to_dict(), tables, {}
