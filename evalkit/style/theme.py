"""The seaborn theme of every report figure, with fonts that can draw Chinese.

:func:`theme_rc` is the theme as one ``rcParams`` dict, what ``sns.set_theme`` would set (the
CJK fonts as the font family). Library code applies it with :func:`theme`, a context manager
(``matplotlib.rc_context``), so a notebook's settings are left alone; :func:`use_theme` applies
it for the rest of a process and is meant for a report document's own kernel (the templates in
``reports/``). The rc settings also make figure bytes reproducible: a fixed SVG hash salt and no
creation date in SVG/PDF metadata.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import matplotlib
import seaborn as sns
from cycler import cycler

from evalkit.style.fonts import figure_fonts

#: Figure width in inches; the fallback renderer scales images to the text width.
FIG_WIDTH = 6.5
FIG_HEIGHT = 3.4

REPRODUCIBLE_RC: dict[str, Any] = {
    "svg.hashsalt": "evalkit",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "axes.unicode_minus": True,
}


def theme_rc(*, style: str = "whitegrid", context: str = "notebook", palette: str = "colorblind",
             font_scale: float = 1.0) -> dict[str, Any]:
    """The report theme as ``rcParams``: seaborn's context, style and palette in the order
    ``sns.set_theme`` applies them, the CJK fonts as the family, then the reproducibility and
    size settings."""
    fonts = figure_fonts()
    return {
        **sns.plotting_context(context, font_scale),
        **sns.axes_style(style),
        "axes.prop_cycle": cycler("color", sns.color_palette(palette)),
        "font.family": fonts,
        **REPRODUCIBLE_RC,
        "figure.figsize": (FIG_WIDTH, FIG_HEIGHT),
        "figure.dpi": 96,
        "font.sans-serif": [*fonts, "sans-serif"],
    }


@contextlib.contextmanager
def theme(**kwargs: Any) -> Iterator[list[str]]:
    """Within the block, the report theme (:func:`theme_rc`); ``rcParams`` are restored after.
    Yields the font family list in use."""
    rc = theme_rc(**kwargs)
    with matplotlib.rc_context(rc):
        yield list(rc["font.family"])


def use_theme(**kwargs: Any) -> list[str]:
    """Apply the report theme for the rest of the process (a report document's kernel; library
    code uses :func:`theme`); returns the font family list in use."""
    rc = theme_rc(**kwargs)
    matplotlib.rcParams.update(rc)
    return list(rc["font.family"])


def savefig_kwargs(fmt: str = "png") -> dict[str, Any]:
    """Arguments to ``Figure.savefig`` that make the file bytes depend on the figure only."""
    meta = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
            "pdf": {"CreationDate": None, "Creator": None, "Producer": None}}[fmt]
    return {"format": fmt, "metadata": meta, "bbox_inches": "tight", "dpi": 192}
