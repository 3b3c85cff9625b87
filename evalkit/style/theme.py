"""The seaborn theme of every report figure, with fonts that can draw Chinese.

``sns.set_theme()`` resets matplotlib's font family, so the CJK fonts are passed through its
``font=`` argument (setting ``rcParams`` before it would be undone). The rc settings also make
figure bytes reproducible: a fixed SVG hash salt and no creation date in SVG/PDF metadata.
"""

from __future__ import annotations

from typing import Any

import seaborn as sns

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


def use_theme(*, style: str = "whitegrid", context: str = "notebook", palette: str = "colorblind",
              font_scale: float = 1.0) -> list[str]:
    """Apply the report theme; returns the font family list in use."""
    fonts = figure_fonts()
    rc = {
        **REPRODUCIBLE_RC,
        "figure.figsize": (FIG_WIDTH, FIG_HEIGHT),
        "figure.dpi": 96,
        "font.sans-serif": [*fonts, "sans-serif"],
    }
    sns.set_theme(context=context, style=style, palette=palette, font=fonts,
                  font_scale=font_scale, rc=rc)
    return fonts


def savefig_kwargs(fmt: str = "png") -> dict[str, Any]:
    """Arguments to ``Figure.savefig`` that make the file bytes depend on the figure only."""
    meta = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
            "pdf": {"CreationDate": None, "Creator": None, "Producer": None}}[fmt]
    return {"format": fmt, "metadata": meta, "bbox_inches": "tight", "dpi": 192}
