"""The event-study figure (Callaway & Sant'Anna 2021, Figure 1 style): the one adapter and the one
plotter, used by notebooks (:func:`plot_event_study`) and by the ex-post report
(``evalkit.report.stage_views.draw_event_study``, which adds its language and units).

:func:`event_study_frame` turns event-time estimates (a tidy frame with ``event``, ``estimate``,
``std_error``) into the frame :func:`draw_event_study` draws: pointwise ``point_low/high`` and
uniform ``band_low/high`` intervals. Figures are made without pyplot (:mod:`evalkit.plotting`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from evalkit.did.results import AggteResult
from evalkit.errors import ConfigError
from evalkit.plotting import new_axes

__all__ = ["draw_event_study", "event_study_frame", "plot_event_study"]

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


def plot_event_study(result: AggteResult, ax=None, title: str | None = None):
    """Plot ATT by event time with pointwise (thick) and uniform (thin) 1 - alp bands
    (:func:`draw_event_study`). The uniform band uses ``result.crit_val_egt`` (equal to the
    pointwise one unless aggte was run with ``cband=True``). Returns the matplotlib Axes (a new
    pyplot-free figure when ``ax`` is None; ``ax.figure`` displays it in a notebook)."""
    if result.type != "dynamic":
        raise ConfigError(f"plot_event_study needs aggte(type='dynamic'); received type "
                          f"{result.type!r}",
                          zh=f"plot_event_study 需要 aggte(type='dynamic') 的结果；"
                             f"收到的 type 为 {result.type!r}")
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
