"""Figures without global state: evalkit's plotting functions never change matplotlib's backend,
its ``rcParams`` or pyplot's figure list, so a notebook keeps its own settings.

:func:`new_axes` makes a figure with :class:`matplotlib.figure.Figure` (no pyplot): nothing is
registered with pyplot and no backend is chosen; ``savefig`` picks the renderer for the file
format. In Jupyter, ``ax.figure`` (or the returned Figure) as a cell's value displays it. Styles
are applied with context managers (``matplotlib.rc_context``, seaborn's ``axes_style``); the CLI
chooses the Agg backend for its own process only (not through the environment, which the report
kernels inherit).

The event-study adapter (:func:`event_study_frame`) and plotter (:func:`draw_event_study`) are
here, one of each, for :func:`evalkit.did.plot.plot_event_study` and the ex-post report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def new_axes(figsize: tuple[float, float] | None = None, **subplot_kw: Any):
    """The Axes of a new pyplot-free :class:`matplotlib.figure.Figure` (rcParams as they are
    when called, e.g. inside a ``rc_context``)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize) if figsize is not None else Figure()
    return fig.subplots(**subplot_kw)


PRE_COLOR = "#7f7f7f"
POST_COLOR = "#1f5fa8"
LABELS = {"pre": "pre-treatment", "post": "post-treatment",
          "x": "event time (periods since treatment)", "y": "ATT"}


def event_study_frame(table: pd.DataFrame, alpha: float = 0.05,
                      crit: float | None = None) -> pd.DataFrame:
    """Event-time rows of ``table`` (the tidy frame of ``aggte(type="dynamic")``, from a result
    or a bundle; the ``overall`` row is dropped) sorted by event, with ``point_low/high`` the
    pointwise 1 - alpha interval and ``band_low/high`` the uniform band (critical value ``crit``,
    never below the pointwise one)."""
    from scipy import stats

    z = float(stats.norm.ppf(1 - alpha / 2))
    crit = z if crit is None else max(float(crit), z)
    frame = table[table["term"] != "overall"].copy()
    frame["event"] = pd.to_numeric(frame["event"]).astype(int)
    se = frame["std_error"].astype(float)
    est = frame["estimate"].astype(float)
    frame["point_low"], frame["point_high"] = est - z * se, est + z * se
    frame["band_low"], frame["band_high"] = est - crit * se, est + crit * se
    return frame.sort_values("event").reset_index(drop=True)


def draw_event_study(ax, frame: pd.DataFrame, labels: Mapping[str, str] | None = None,
                     scale: float = 1.0) -> None:
    """Draw ``frame`` (:func:`event_study_frame`) on ``ax``: thick pointwise intervals, thin
    uniform band, grey circles before treatment and blue squares after, a dashed zero line and a
    dotted onset line. ``labels``: legend and axis texts (keys of :data:`LABELS`); values are
    divided by ``scale`` (e.g. 10,000 for 万元)."""
    labels = {**LABELS, **(labels or {})}
    e = frame["event"].to_numpy()
    est = frame["estimate"].to_numpy(float) / scale
    for mask, color, marker, key in ((e < 0, PRE_COLOR, "o", "pre"),
                                     (e >= 0, POST_COLOR, "s", "post")):
        if not mask.any():
            continue
        band = np.vstack([est[mask] - frame["band_low"].to_numpy(float)[mask] / scale,
                          frame["band_high"].to_numpy(float)[mask] / scale - est[mask]])
        point = np.vstack([est[mask] - frame["point_low"].to_numpy(float)[mask] / scale,
                           frame["point_high"].to_numpy(float)[mask] / scale - est[mask]])
        ax.errorbar(e[mask], est[mask], yerr=band, fmt="none", ecolor=color, elinewidth=1,
                    capsize=3, alpha=0.7)
        ax.errorbar(e[mask], est[mask], yerr=point, fmt=marker, color=color, elinewidth=3,
                    markersize=6, label=labels[key])
    ax.axhline(0.0, color="black", linestyle="--", linewidth=0.8)
    ax.axvline(-0.5, color="black", linestyle=":", linewidth=0.8)
    ax.set_xticks(e)
    ax.set_xlabel(labels["x"])
    ax.set_ylabel(labels["y"])
    ax.legend(loc="upper left", frameon=False)
