"""evalkit.robust: robustness of an evaluation's conclusion.

HonestDiD sensitivity (Rambachan & Roth 2023), pre-trend tests with their power (Roth 2022),
synthetic DiD (Arkhangelsky et al. 2021), the wild cluster bootstrap (Cameron, Gelbach & Miller
2008), placebo tests, subgroup heterogeneity and small-sample intervals. Names load on first use.
"""

from __future__ import annotations

from evalkit.lazy import lazy_exports

_NAMES: dict[str, str] = {
    "honest_did": "evalkit.robust.honestdid",
    "HonestDiDResult": "evalkit.robust.honestdid",
    "pretrend_test": "evalkit.robust.pretrends",
    "event_study_inputs": "evalkit.robust.pretrends",
    "EventStudyInputs": "evalkit.robust.pretrends",
    "PretrendResult": "evalkit.robust.pretrends",
    "plot_pretrend_power": "evalkit.robust.pretrends",
    "synthdid": "evalkit.robust.synthdid",
    "SynthDIDResult": "evalkit.robust.synthdid",
    "wild_cluster_bootstrap": "evalkit.robust.wildboot",
    "WildBootResult": "evalkit.robust.wildboot",
    "placebo_in_time": "evalkit.robust.placebo",
    "placebo_in_units": "evalkit.robust.placebo",
    "PlaceboTimeResult": "evalkit.robust.placebo",
    "PlaceboUnitsResult": "evalkit.robust.placebo",
    "heterogeneity": "evalkit.robust.heterogeneity",
    "HeterogeneityResult": "evalkit.robust.heterogeneity",
    "small_sample_interval": "evalkit.robust.small_sample",
    "sensitivity_plot": "evalkit.robust.plots",
    "synthdid_trajectories_plot": "evalkit.robust.plots",
    "synthdid_weights_plot": "evalkit.robust.plots",
}

__all__, __getattr__, __dir__ = lazy_exports(globals(), _NAMES)
