"""The import layers (ARCHITECTURE.md) are enforced by import-linter's contracts in
pyproject.toml: the real tree keeps them, and an upward import planted in a temporary copy of the
package (never in the real tree) breaks them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT), "--no-cache", "--config", str(root / "pyproject.toml")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "evalkit", tmp_path / "evalkit",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_real_tree_keeps_every_contract():
    run = _lint(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_every_top_level_module_sits_in_a_layer():
    """A new package must be placed in the layers, else nothing checks its imports."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"]
                    if c["id"] == "layers")
    placed = {m.strip() for layer in contract["layers"]
              for m in layer.replace("|", ":").split(":")}
    tops = {f"evalkit.{p.stem if p.is_file() else p.name}"
            for p in (ROOT / "evalkit").iterdir()
            if (p.suffix == ".py" and p.stem != "__init__")
            or (p.is_dir() and (p / "__init__.py").is_file())}
    assert tops - placed == set()
    assert placed - tops == set()


@pytest.mark.parametrize(("module", "line", "broken"), [
    # an estimator reaching up into orchestration
    ("did/aggte.py", "import evalkit.stages.run", "evalkit.did.aggte -> evalkit.stages.run"),
    # a computation module writing report prose with a view's helpers
    ("exante/evaluability.py", "from evalkit.report.views import common",
     "evalkit.exante.evaluability -> evalkit.report.views.common"),
    # the bundle contract depending on a stage
    ("contract/bundle.py", "from evalkit.stages import run",
     "evalkit.contract.bundle -> evalkit.stages.run"),
    # two domain packages that must not know each other
    ("monitor/interim.py", "from evalkit.exante import checklist",
     "evalkit.monitor.interim -> evalkit.exante.checklist"),
    # monitoring reading the synthetic generator (other than the one listed exception)
    ("monitor/execution.py", "from evalkit.synth import params",
     "evalkit.monitor.execution -> evalkit.synth.params"),
    # a view opening the warehouse
    ("report/views/portfolio.py", "from evalkit.portfolio import review_log",
     "evalkit.report.views.portfolio -> evalkit.portfolio.review_log"),
])
def test_a_planted_upward_import_fails(tmp_path, module, line, broken):
    root = _copy(tmp_path)
    path = root / "evalkit" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # planted\n", encoding="utf-8")
    run = _lint(root)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "BROKEN" in run.stdout
    assert broken in run.stdout
    # the real tree is untouched
    assert "# planted" not in (ROOT / "evalkit" / module).read_text(encoding="utf-8")
