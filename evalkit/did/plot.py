"""Event-study figure for a dynamic aggregation (Callaway & Sant'Anna 2021, Figure 1 style)."""

from __future__ import annotations

import numpy as np

from evalkit.did.results import AggteResult
from evalkit.errors import ConfigError

__all__ = ["plot_event_study"]

PRE_COLOR = "#7f7f7f"
POST_COLOR = "#1f77b4"


def plot_event_study(result: AggteResult, ax=None, title: str | None = None):
    """Plot ATT by event time with pointwise (thick) and uniform (thin) 1 - alp bands.

    Pre-treatment event times (e < 0) are grey circles, post-treatment (e >= 0) blue squares; a
    dashed line marks zero and a dotted line the treatment onset. Returns the matplotlib Axes.
    The uniform band uses ``result.crit_val_egt`` (equal to the pointwise one unless aggte was
    run with ``cband=True``).
    """
    import matplotlib
    from scipy import stats

    if ax is None:
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 4))
    if result.type != "dynamic":
        raise ConfigError(f"plot_event_study needs aggte(type='dynamic'); received type "
                          f"{result.type!r}",
                          zh=f"plot_event_study 需要 aggte(type='dynamic') 的结果；"
                             f"收到的 type 为 {result.type!r}")
    e = result.egt.astype(float)
    est, se = result.att_egt, result.se_egt
    z = float(stats.norm.ppf(1 - result.alp / 2))
    crit = max(result.crit_val_egt, z)
    level = round((1 - result.alp) * 100)
    for mask, color, marker, label in ((e < 0, PRE_COLOR, "o", "pre-treatment"),
                                       (e >= 0, POST_COLOR, "s", "post-treatment")):
        if not mask.any():
            continue
        ax.errorbar(e[mask], est[mask], yerr=crit * se[mask], fmt="none", ecolor=color,
                    elinewidth=1, capsize=3, alpha=0.6)
        ax.errorbar(e[mask], est[mask], yerr=z * se[mask], fmt=marker, color=color,
                    elinewidth=3, label=label)
    ax.axhline(0.0, color="black", linestyle="--", linewidth=0.8)
    ax.axvline(-0.5, color="black", linestyle=":", linewidth=0.8)
    ax.set_xlabel("event time (periods since treatment)")
    ax.set_ylabel("ATT")
    ax.set_xticks(e)
    band = "uniform" if result.options.get("cband") else "pointwise"
    ax.set_title(title or f"Event study: thick {level}% pointwise, thin {level}% {band} bands")
    ax.legend(loc="best", frameon=False)
    if np.isfinite(result.overall_att):
        ax.text(0.01, 0.02, f"overall ATT (e>=0): {result.overall_att:.3f} "
                f"({result.overall_se:.3f})", transform=ax.transAxes, fontsize=8)
    return ax
