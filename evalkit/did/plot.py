"""The event-study figure (Callaway & Sant'Anna 2021, Figure 1 style) for notebooks
(:func:`plot_event_study`). The one adapter and the one plotter live in :mod:`evalkit.plotting`,
below both the estimators and the reports, and the ex-post report
(``evalkit.report.views.ex_post.draw_event_study``) adds its language and units to them.

:func:`event_study_frame` turns event-time estimates (a tidy frame with ``event``, ``estimate``,
``std_error``) into the frame :func:`draw_event_study` draws: pointwise ``point_low/high`` and
uniform ``band_low/high`` intervals. Figures are made without pyplot (:mod:`evalkit.plotting`).
"""

from __future__ import annotations

import numpy as np

from evalkit.did.results import AggteResult
from evalkit.errors import ConfigError
from evalkit.i18n import Message
from evalkit.plotting import draw_event_study, event_study_frame, new_axes

__all__ = ["draw_event_study", "event_study_frame", "plot_event_study"]


def plot_event_study(result: AggteResult, ax=None, title: str | None = None):
    """Plot ATT by event time with pointwise (thick) and uniform (thin) 1 - alp bands
    (:func:`draw_event_study`). The uniform band uses ``result.crit_val_egt`` (equal to the
    pointwise one unless aggte was run with ``cband=True``). Returns the matplotlib Axes (a new
    pyplot-free figure when ``ax`` is None; ``ax.figure`` displays it in a notebook)."""
    if result.type != "dynamic":
        raise ConfigError(Message("errors.did.plot.plot_event_study_needs", type=result.type))
    if ax is None:
        ax = new_axes((7, 4))
    draw_event_study(ax, event_study_frame(result.tidy(), result.alp, result.crit_val_egt))
    level = round((1 - result.alp) * 100)
    band = "uniform" if result.options.get("cband") else "pointwise"
    ax.set_title(title or f"Event study: thick {level}% pointwise, thin {level}% {band} bands")
    if np.isfinite(result.overall_att):
        ax.text(0.01, 0.02, f"overall ATT (e>=0): {result.overall_att:.3f} "
                f"({result.overall_se:.3f})", transform=ax.transAxes, fontsize=8)
    return ax
