"""Where each stage's report template lives (``reports/<stage>.qmd``)."""

from __future__ import annotations

from pathlib import Path

from evalkit.errors import ConfigError
from evalkit.i18n import Message

REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports"
STAGE_TEMPLATES = {"ex_ante": "ex_ante.qmd", "monitor": "monitor.qmd", "ex_post": "ex_post.qmd",
                   "portfolio": "portfolio.qmd"}


def template_for(stage: str) -> Path:
    """The template that renders a bundle of ``stage``."""
    if stage not in STAGE_TEMPLATES:
        stages = sorted(STAGE_TEMPLATES)
        raise ConfigError(Message("errors.report.templates.report_template_stage_stages",
                                  stage=stage, stages=stages))
    path = REPORTS_DIR / STAGE_TEMPLATES[stage]
    if not path.is_file():
        raise ConfigError(Message("errors.report.templates.report_template_missing_installation",
                                  path=path))
    return path
