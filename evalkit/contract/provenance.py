"""Provenance: what an auditor needs to reproduce a report.

:func:`collect` is called when a bundle is written (it goes into the manifest); the provenance
appendix (``reports/_partials/provenance.qmd``) prints it with :func:`provenance_markdown`,
adding the render engine and the bundle manifest's own SHA-256.
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import evalkit
from evalkit.escape import markdown, markdown_code
from evalkit.i18n import t

#: Packages whose versions can change a number or a byte of a report.
PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "linearmodels", "duckdb", "pyarrow",
            "matplotlib", "seaborn")
RENDER_PACKAGES = ("nbclient", "ipykernel", "pypandoc_binary", "typst")


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit(repo: Path | None = None) -> dict[str, Any] | None:
    """``{'commit': sha, 'dirty': bool}`` of the checkout holding evalkit, or None outside git."""
    repo = repo or Path(evalkit.__file__).resolve().parent.parent
    try:
        sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                             text=True, check=True, timeout=10).stdout.strip()
        status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", "evalkit"],
                                capture_output=True, text=True, check=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": sha, "dirty": bool(status.strip())}


def relative_path(target: Path | str, start: Path | str) -> str:
    """``target`` relative to the folder ``start``, with forward slashes: what a bundle records
    of a file, so that the bundle and what it names can be copied or moved together and two
    runs in two folders give the same bytes. Where no relative path exists (another drive on
    Windows) the absolute path is the only one there is."""
    try:
        return Path(os.path.relpath(Path(target).absolute(), Path(start).absolute())).as_posix()
    except ValueError:
        return Path(target).absolute().as_posix()


def collect(*, dataset_version: str | None, dataset_sha256: str | None,
            study_sha256: str | None, seeds: Mapping[str, int] | None) -> dict[str, Any]:
    """The provenance record stored in a bundle manifest (JSON-safe)."""
    return {
        "dataset_version": dataset_version,
        "dataset_sha256": dataset_sha256,
        "study_sha256": study_sha256,
        "seeds": dict(seeds or {}),
        "evalkit_version": evalkit.__version__,
        "git": git_commit(),
        "python": platform.python_version(),
        "packages": package_versions(),
    }


def provenance_markdown(manifest: Mapping[str, Any], manifest_sha256: str, render_engine: str,
                        lang: str) -> str:
    """The appendix as markdown: a two-column list of items, then package versions."""
    p = manifest.get("provenance", {})
    missing = t("report.provenance.not_recorded", lang)

    def code(value: Any) -> str:
        return markdown_code(value) if value not in (None, "") else missing

    git = p.get("git")
    commit = missing
    if git:
        commit = code(git["commit"]) + (t("report.provenance.dirty", lang) if git["dirty"] else "")
    seeds = p.get("seeds") or {}
    rows = [
        ("stage", code(manifest.get("stage"))),
        ("dataset_version", code(p.get("dataset_version"))),
        ("dataset_sha256", code(p.get("dataset_sha256"))),
        ("study_sha256", code(p.get("study_sha256"))),
        ("bundle_sha256", code(manifest_sha256)),
        ("evalkit_version", code(p.get("evalkit_version"))),
        ("git_commit", commit),
        ("python", code(p.get("python"))),
        ("seeds", ", ".join(f"{markdown(k)} = {code(v)}" for k, v in sorted(seeds.items()))
         or missing),
        ("render_engine", markdown(render_engine)),
    ]
    lines = [t("report.provenance.intro", lang), ""]
    sep = "：" if lang == "zh" else ": "
    lines += [f"- **{t('report.provenance.' + key, lang)}**{sep}{value}" for key, value in rows]
    packages = p.get("packages") or {}
    if packages:
        shown = ", ".join(f"{markdown(name)} {markdown(ver)}"
                          for name, ver in sorted(packages.items()))
        lines.append(f"- **{t('report.provenance.packages', lang)}**{sep}{shown}")
    return "\n".join(lines) + "\n"
