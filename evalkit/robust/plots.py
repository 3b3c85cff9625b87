"""Figures for evalkit.robust: the HonestDiD sensitivity plot and the synthetic-DiD trajectories
and unit-weight plots (after R HonestDiD ``createSensitivityPlot`` and R synthdid ``plot`` /
``synthdid_units_plot``). Each function returns a matplotlib Figure and never shows it; the
seaborn "whitegrid" style applies to the new axes only (:mod:`evalkit.plotting`)."""

from __future__ import annotations

import numpy as np
import seaborn as sns

from evalkit.plotting import new_axes


def _axes(ax, figsize):
    """(figure, axes): the given Axes, or new whitegrid axes on a pyplot-free Figure."""
    if ax is not None:
        return ax.figure, ax
    with sns.axes_style("whitegrid"):
        ax = new_axes(figsize)
    return ax.figure, ax


def sensitivity_plot(result, ax=None):
    """Robust confidence sets against Mbar / M, with the original interval on the left
    (``result``: :class:`evalkit.robust.honestdid.HonestDiDResult`)."""
    fig, ax = _axes(ax, (6, 4))
    vals = np.asarray(result.values, dtype=float)
    gap = np.min(np.diff(np.sort(vals))) if len(vals) > 1 else 1.0
    x0 = vals.min() - gap
    ax.errorbar([x0], [np.mean(result.original)], yerr=[[np.mean(result.original)
                - result.original[0]], [result.original[1] - np.mean(result.original)]],
                fmt="none", ecolor="red", capsize=6, label="Original")
    mid = (result.lb + result.ub) / 2
    ax.errorbar(vals, mid, yerr=[mid - result.lb, result.ub - mid], fmt="none",
                ecolor="#01a2d9", capsize=6, label=result.method)
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xlabel("Mbar" if result.restriction == "relative_magnitudes" else "M")
    ax.set_ylabel("robust confidence set")
    ax.legend(loc="best")
    return fig


def synthdid_trajectories_plot(result, ax=None):
    """Treated mean vs synthetic control (shifted by the pre-period weighted gap, as in R's plot),
    with the time weights lambda shaded under the pre-period."""
    fig, ax = _axes(ax, (7, 4))
    times = np.asarray(result.times)
    T0 = result.T0
    tr, sc = result.treated_trajectory, result.synthetic_trajectory
    lam = result.lambda_weights
    w = lam if lam.sum() > 0 else np.full(T0, 1.0 / T0)
    shift = float(w @ (tr[:T0] - sc[:T0])) if result.method != "sc" else 0.0
    ax.plot(times, tr, color="#c0392b", label="treated")
    ax.plot(times, sc + shift, color="#2c3e50", ls="--", label="synthetic control")
    ax.axvline(times[T0] - 0.5 * (times[T0] - times[T0 - 1]), color="grey", lw=0.8)
    if lam.sum() > 0:
        lo = ax.get_ylim()[0]
        span = ax.get_ylim()[1] - lo
        ax.bar(times[:T0], lam / lam.max() * 0.25 * span, bottom=lo, color="#95a5a6",
               alpha=0.5, width=0.8, label="time weights (lambda)")
    ax.set_title(f"{result.method.upper()}: estimate {result.estimate:.2f}")
    ax.legend(loc="best")
    return fig


def synthdid_weights_plot(result, top: int = 20, ax=None):
    """Bar chart of the largest unit weights omega."""
    fig, ax = _axes(ax, (6, 5))
    omega = result.weights["omega"].sort_values(ascending=False).head(top)
    omega = omega[omega > 0] if (omega > 0).any() else omega
    sns.barplot(x=omega.to_numpy(), y=[str(u) for u in omega.index], ax=ax, color="#2c7fb8",
                orient="h")
    ax.set_xlabel("unit weight (omega)")
    ax.set_ylabel("")
    return fig
