"""HonestDiD in the ex-post stage (the study's ``robustness.honestdid``).

Rambachan & Roth (2023), "A More Credible Approach to Parallel Trends", Review of Economic
Studies 90(5): 2555-2591 (relative magnitudes, Delta^RM(Mbar)); computed with
:func:`evalkit.robust.honestdid.honest_did`.

The outcome's Callaway & Sant'Anna event study is estimated again with a universal base period
(as R ``HonestDiD`` requires for ``did``: every coefficient relative to g - 1, so that the
pre-award coefficients are the violations of parallel trends the post-award ones are bounded
by) and without bootstrap (the covariance comes from the influence functions); its post-award
ATT(g, t) are those of the varying base period. The target is the average of the post-award
event-time effects (e = 0 ... max_e). For each Mbar of the study the robust 95 % interval, the
usual interval, and the breakdown value: the smallest Mbar whose robust interval contains 0
(0 when the usual one does; NaN when none up to the largest Mbar does).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.results import json_safe
from evalkit.robust.honestdid import honest_did
from evalkit.robust.honestdid.conditional import GRID_SDS
from evalkit.robust.pretrends import event_study_inputs
from evalkit.study import ExPostStudy, Robustness


def honestdid_evidence(df: pd.DataFrame, outcome: str, study: ExPostStudy, seed: int,
                       cohort_sizes: dict[Any, int]) -> dict[str, Any]:
    """The HonestDiD sensitivity of ``outcome`` (see the module): a JSON-ready dict with
    ``mbar``, ``lb``, ``ub`` (robust intervals), ``original``, ``breakdown``, ``estimate``,
    ``std_error`` and ``grid`` (the ends of the search grid: an interval end there is open);
    or, when the event study allows none (no pre-award coefficient), ``note``/``note_zh``."""
    from evalkit.stages.ex_post import evaluate_outcome

    settings = study.robustness.honestdid
    universal = study.model_copy(update={
        "design": study.design.model_copy(update={"base_period": "universal"}),
        "inference": study.inference.model_copy(update={"bootstrap": 0}),
        "robustness": Robustness()})
    ev = evaluate_outcome(df, outcome, universal, seed, cohort_sizes, effects_only=True)
    out: dict[str, Any] = {"restriction": "relative_magnitudes", "method": "C-LF",
                           "target": "average_post", "base_period": "universal",
                           "covariates": list(ev.covariates), "mbar": list(settings.mbar)}
    try:
        inp = event_study_inputs(ev.dynamic)
        n_post = int((inp.event >= 0).sum())
        res = honest_did(inp, type="relative_magnitudes", values=settings.mbar,
                         l_vec=np.full(n_post, 1.0 / max(n_post, 1)),
                         alpha=study.inference.alpha)
    except EvalkitError as exc:
        return {**out, "note": exc.text("en"), "note_zh": exc.text("zh")}
    grid = GRID_SDS * res.std_error
    return json_safe({**out, "lb": res.lb, "ub": res.ub, "original": list(res.original),
                      "estimate": res.estimate, "std_error": res.std_error,
                      "breakdown": res.breakdown, "alpha": res.alpha,
                      "num_pre": res.num_pre, "num_post": res.num_post,
                      "grid": [-grid, grid]})
