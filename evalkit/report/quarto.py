"""Rendering with the Quarto CLI, used when ``quarto`` is on PATH.

Quarto cannot be installed on the build machines (see reports/README.md), so this path is covered
only by a test with a stand-in ``quarto`` executable that checks the command line. It receives the
same expanded ``.qmd`` as the fallback and the same parameters through ``-P`` (Quarto injects them
after the cell tagged ``parameters``, as the fallback does).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError
from evalkit.i18n import Message
from evalkit.report.fallback import RenderError, RenderLog

#: Quarto output format per evalkit format (Quarto's Typst format produces the PDF).
QUARTO_TO = {"html": "html", "pdf": "typst"}


def quarto_path() -> str | None:
    return shutil.which("quarto")


def require_quarto() -> str:
    path = quarto_path()
    if path is None:
        raise ConfigError(Message("errors.report.quarto.engine_quarto_asked_but"))
    return path


def engine_description() -> str:
    proc = subprocess.run([require_quarto(), "--version"], capture_output=True, text=True,
                          check=False, timeout=60)
    return f"Quarto {proc.stdout.strip() or 'unknown version'}"


def quarto_command(quarto: str, qmd: Path, fmt: str, params: Mapping[str, Any], lang: str,
                   pdf_font: str | None) -> list[str]:
    """The ``quarto render`` command line for one format."""
    cmd = [quarto, "render", qmd.name, "--to", QUARTO_TO[fmt], "--execute",
           "-M", f"lang:{'zh-Hans' if lang == 'zh' else 'en-US'}"]
    if fmt == "html":
        cmd += ["-M", "embed-resources:true"]
    if fmt == "pdf" and pdf_font:
        cmd += ["-M", f"mainfont:{pdf_font}"]
    for name in sorted(params):
        cmd += ["-P", f"{name}:{json.dumps(params[name], ensure_ascii=False)}"]
    return cmd


def render_quarto(qmd: Path, fmt: str, params: Mapping[str, Any], lang: str, out: Path,
                  env: Mapping[str, str], log: RenderLog, pdf_font: str | None) -> Path:
    """Render ``qmd`` (in its own work directory) to ``out``."""
    cmd = quarto_command(require_quarto(), qmd, fmt, params, lang, pdf_font)
    proc = subprocess.run(cmd, cwd=qmd.parent, env=dict(env), capture_output=True, text=True,
                          check=False, timeout=1800)
    for stream in (proc.stdout, proc.stderr):
        if stream.strip():
            log.add("quarto", stream)
    produced = qmd.with_suffix(".html" if fmt == "html" else ".pdf")
    if proc.returncode != 0 or not produced.is_file():
        raise RenderError(Message("errors.report.quarto.quarto_render_failed_exit",
                                  returncode=proc.returncode, stderr=proc.stderr.strip()))
    shutil.move(produced, out)
    return out
