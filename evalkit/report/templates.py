"""Where each stage's report template lives (``reports/<stage>.qmd``)."""

from __future__ import annotations

from pathlib import Path

from evalkit.errors import ConfigError

REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports"
STAGE_TEMPLATES = {"ex_ante": "ex_ante.qmd", "monitor": "monitor.qmd", "ex_post": "ex_post.qmd",
                   "portfolio": "portfolio.qmd"}


def template_for(stage: str) -> Path:
    """The template that renders a bundle of ``stage``."""
    if stage not in STAGE_TEMPLATES:
        stages = sorted(STAGE_TEMPLATES)
        raise ConfigError(f"no report template for stage {stage!r}; stages: {stages}",
                          zh=f"阶段 {stage!r} 没有报告模板；现有阶段：{stages}")
    path = REPORTS_DIR / STAGE_TEMPLATES[stage]
    if not path.is_file():
        raise ConfigError(f"report template {path} is missing from this installation",
                          zh=f"本次安装中缺少报告模板 {path}")
    return path
