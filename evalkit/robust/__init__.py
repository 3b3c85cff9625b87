"""evalkit.robust: robustness of an evaluation's conclusion.

HonestDiD sensitivity (Rambachan & Roth 2023), pre-trend tests with their power (Roth 2022),
synthetic DiD (Arkhangelsky et al. 2021), the wild cluster bootstrap (Cameron, Gelbach & Miller
2008), placebo tests, subgroup heterogeneity and small-sample intervals. Names load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

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

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'evalkit.robust' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
