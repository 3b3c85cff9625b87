"""evalkit: evaluation of enterprise subsidy policies.

Ex-ante appraisal, in-progress monitoring and ex-post causal evaluation of a district's subsidy
policies, their fiscal effectiveness and the portfolio decision, ending in reproducible reports.
See ARCHITECTURE.md at the repository root for the layers and the bundle contract.

In a notebook, ``import evalkit as ek`` gives the analyst's verbs, loaded on first use (PEP 562,
so ``import evalkit`` stays fast)::

    mpdta = ek.load_dataset("mpdta")
    gt = ek.att_gt(mpdta, "lemp", "year", "countyreal", "first.treat")
    es = ek.aggte(gt, type="dynamic")
    ek.honest_did(es, type="relative_magnitudes", e=0)
    ek.plot_event_study(es)

``docs/tutorial.ipynb`` walks through them; every result follows the protocol of
:mod:`evalkit.results` (``tidy()``, ``summary()``, ``to_dict()``).
"""

from __future__ import annotations

from evalkit.lazy import lazy_exports

__version__ = "0.1.0"

#: public name -> module that defines it (loaded on first attribute access)
_VERBS: dict[str, str] = {
    # staggered DiD (Callaway & Sant'Anna 2021) and its relatives
    "att_gt": "evalkit.did.att_gt",
    "aggte": "evalkit.did.aggte",
    "att_gt_proportional": "evalkit.did.proportional",
    "drdid_panel": "evalkit.did.drdid",
    "plot_event_study": "evalkit.did.plot",
    # the TWFE family and Goodman-Bacon
    "twfe": "evalkit.did.twfe",
    "twfe_event_study": "evalkit.did.twfe",
    "sunab": "evalkit.did.sunab",
    "did_imputation": "evalkit.did.imputation",
    "etwfe": "evalkit.did.etwfe",
    "bacon": "evalkit.did.bacon",
    # robustness
    "honest_did": "evalkit.robust.honestdid",
    "pretrend_test": "evalkit.robust.pretrends",
    "event_study_inputs": "evalkit.robust.pretrends",
    "synthdid": "evalkit.robust.synthdid",
    "wild_cluster_bootstrap": "evalkit.robust.wildboot",
    "placebo_in_time": "evalkit.robust.placebo",
    "placebo_in_units": "evalkit.robust.placebo",
    "heterogeneity": "evalkit.robust.heterogeneity",
    "small_sample_interval": "evalkit.robust.small_sample",
    "sensitivity_plot": "evalkit.robust.plots",
    # panel models
    "dose_response": "evalkit.panelmodels.dose_response",
    "hausman_test": "evalkit.panelmodels.hausman",
    # fiscal metrics
    "LinearEstimate": "evalkit.fiscal.linear",
    "total_effect": "evalkit.fiscal.effects",
    "policy_cost": "evalkit.fiscal.cost",
    "fiscal_metrics": "evalkit.fiscal.metrics",
    "mvpf": "evalkit.fiscal.mvpf",
    "additionality_table": "evalkit.fiscal.additionality",
    # portfolio: scorecards, rank sets, recommendations, reallocation
    "rank_confidence_sets": "evalkit.portfolio.ranking",
    "score_policy": "evalkit.portfolio.scorecard",
    "load_scorecard_spec": "evalkit.portfolio.scorecard",
    "recommend": "evalkit.portfolio.recommend",
    "reallocate": "evalkit.portfolio.reallocate",
    "classify_policies": "evalkit.portfolio.classify",
    # data, studies and stages
    "load_dataset": "evalkit.datasets",
    "demo_district": "evalkit.datasets",
    "demo_study": "evalkit.datasets",
    "synthesize_district": "evalkit.synth.district",
    "load_study": "evalkit.study",
    "run_stage": "evalkit.stages.run",
    "run_study": "evalkit.stages.run",
    "read_bundle": "evalkit.contract.bundle",
    "render_report": "evalkit.report.render",
}

__all__, __getattr__, __dir__ = lazy_exports(globals(), _VERBS)
