"""``honest_did``: HonestDiD on an evalkit event study (an ``AggteResult`` or an ``EstimatesResult``).

Rambachan & Roth (2023), "A More Credible Approach to Parallel Trends", Review of Economic
Studies 90(5): 2555-2591.

R ``HonestDiD``'s ``honest_did`` S3 method for ``did``'s ``AGGTEobj``: picks the event-study
coefficients and their covariance and runs :func:`~evalkit.robust.honestdid.sensitivity.sensitivity_rm`
or :func:`~evalkit.robust.honestdid.sensitivity.sensitivity_sd`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError, DataError, check_choice, require_columns
from evalkit.i18n import Message
from evalkit.robust.honestdid.sensitivity import HonestDiDResult, sensitivity_rm, sensitivity_sd

__all__ = ["honest_did"]


def honest_did(event_study, type: str = "relative_magnitudes", values=None, l_vec=None,
               e: int | None = None, reference: int | None = None, vcov=None,
               alpha: float = 0.05, method: str | None = None, **kwargs) -> HonestDiDResult:
    """Sensitivity analysis on any event study (Rambachan & Roth 2023; R ``HonestDiD``).

    ``event_study`` is what an evalkit event study returns, read through the one adapter
    :func:`evalkit.robust.pretrends.event_study_inputs`: an
    :class:`~evalkit.did.results.AggteResult` of ``aggte(type="dynamic")`` (as R's
    ``honest_did(es)`` after ``did::aggte``; covariance from the influence functions), an
    :class:`~evalkit.did.results.EstimatesResult` event study (TWFE, Sun-Abraham, imputation) or an
    ``(event, estimate, vcov)`` tuple. Also accepted: any object with attributes ``event``
    (relative times), ``estimate`` and ``vcov`` (covariance in the same order), or a tidy
    DataFrame with columns ``event`` and ``estimate`` together with ``vcov=`` (which also
    overrides an object's covariance). The reference period (``reference``; default the event
    study's, else -1) is dropped when present (its coefficient is normalised to zero); the other
    negative events are the pre-periods and events ``>= 0`` the post-periods. ``e`` picks a
    single post-period (0 = on impact) when ``l_vec`` is not given.
    """
    check_choice("type", type, ("relative_magnitudes", "smoothness"))
    if not isinstance(event_study, pd.DataFrame) and not hasattr(event_study, "event"):
        from evalkit.robust.pretrends import event_study_inputs

        event_study = event_study_inputs(event_study, vcov=vcov)
    if reference is None:
        reference = int(getattr(event_study, "reference", -1))
    if isinstance(event_study, pd.DataFrame):
        require_columns(event_study, ("event", "estimate"),
                        Message("labels.table.event_study"))
        ev = event_study["event"].to_numpy()
        est = event_study["estimate"].to_numpy(dtype=float)
        V = vcov
    else:
        try:
            ev = np.asarray(event_study.event)
            est = np.asarray(event_study.estimate, dtype=float)
        except AttributeError as exc:
            raise DataError(Message("errors.robust.honestdid.adapter.event_study_attributes_event")) from exc
        V = vcov if vcov is not None else getattr(event_study, "vcov", None)
    if V is None:
        raise DataError(Message("errors.robust.honestdid.adapter.covariance_matrix_pass_vcov"))
    V = np.asarray(V, dtype=float)
    ev = np.asarray(ev, dtype=float)
    if V.shape != (len(ev), len(ev)) or est.shape != ev.shape:
        raise DataError(Message("errors.robust.honestdid.adapter.event_estimate_vcov_do",
                                n_ev=len(ev), size=est.size, shape=V.shape))
    keep = ev != reference
    order = np.argsort(ev[keep])
    ev_k = ev[keep][order]
    est_k = est[keep][order]
    idx = np.flatnonzero(keep)[order]
    V_k = V[np.ix_(idx, idx)]
    num_pre = int((ev_k < 0).sum())
    num_post = int((ev_k >= 0).sum())
    if l_vec is None and e is not None:
        post_events = ev_k[ev_k >= 0]
        if e not in post_events:
            raise ConfigError(Message("errors.robust.honestdid.adapter.one_post_period_events",
                                      post_events=post_events.tolist(), e=e))
        l_vec = (post_events == e).astype(float)
    if type == "relative_magnitudes":
        return sensitivity_rm(est_k, V_k, num_pre, num_post,
                              values if values is not None else (0.5, 1.0, 1.5, 2.0), l_vec,
                              alpha, method or "C-LF", **kwargs)
    return sensitivity_sd(est_k, V_k, num_pre, num_post,
                          values if values is not None else (0.0, 0.01, 0.02, 0.03, 0.04, 0.05),
                          l_vec, alpha, method or "FLCI", **kwargs)
