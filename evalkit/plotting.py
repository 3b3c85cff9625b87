"""Figures without global state: evalkit's plotting functions never change matplotlib's backend,
its ``rcParams`` or pyplot's figure list, so a notebook keeps its own settings.

:func:`new_axes` makes a figure with :class:`matplotlib.figure.Figure` (no pyplot): nothing is
registered with pyplot and no backend is chosen; ``savefig`` picks the renderer for the file
format. In Jupyter, ``ax.figure`` (or the returned Figure) as a cell's value displays it. Styles
are applied with context managers (``matplotlib.rc_context``, seaborn's ``axes_style``); the CLI
sets ``MPLBACKEND=Agg`` for its own process only.
"""

from __future__ import annotations

from typing import Any


def new_axes(figsize: tuple[float, float] | None = None, **subplot_kw: Any):
    """The Axes of a new pyplot-free :class:`matplotlib.figure.Figure` (rcParams as they are
    when called, e.g. inside a ``rc_context``)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize) if figsize is not None else Figure()
    return fig.subplots(**subplot_kw)
