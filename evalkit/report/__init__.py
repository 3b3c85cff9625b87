"""evalkit.report: reports rendered from Quarto templates over results bundles.

``render_report`` renders ``reports/*.qmd`` over a results bundle to HTML and PDF in Chinese or
English, with the Quarto CLI when it is installed and the built-in fallback otherwise. See
``reports/README.md`` for the template subset both engines render.
"""

from evalkit.report.render import render_report

__all__ = ["render_report"]
