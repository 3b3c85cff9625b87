"""Figures the stages put into results bundles, drawn once with the report theme."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from evalkit.style.theme import savefig_kwargs, use_theme


def figure_bytes(draw, fmt: str = "png", **subplot_kw) -> bytes:
    """Run ``draw(ax)`` on a themed figure and return its file bytes (reproducible)."""
    use_theme()
    fig, ax = plt.subplots(**subplot_kw)
    try:
        draw(ax)
        buf = io.BytesIO()
        fig.savefig(buf, **savefig_kwargs(fmt))
        return buf.getvalue()
    finally:
        plt.close(fig)
