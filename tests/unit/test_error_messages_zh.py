"""Every error a user can cause has its message in Chinese too (``zh=``), shown by the CLI with
``--lang zh``: checked on the source of every module (each construction of an
:class:`evalkit.errors.EvalkitError` class), and end to end on a few errors."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from evalkit.errors import ConfigError, DataError, check_choice

PACKAGE = Path(__file__).resolve().parents[2] / "evalkit"
ERRORS = {"EvalkitError", "DataError", "ConfigError", "DesignError", "IdentificationError",
          "ConvergenceError", "FontError", "RenderError"}
CJK = re.compile(r"[\u3400-\u9fff]")


def _constructions(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name) and node.func.id in ERRORS]


def _literal_text(node: ast.AST) -> str:
    """The literal parts of a string expression (constants, f-strings, concatenations)."""
    return "".join(n.value for n in ast.walk(node)
                   if isinstance(n, ast.Constant) and isinstance(n.value, str))


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _constructions(p))


def test_the_scan_finds_the_error_sites():
    assert len(MODULES) > 50 and sum(len(_constructions(p)) for p in MODULES) > 350


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_error_is_given_in_chinese(path):
    missing = []
    for call in _constructions(path):
        kw = {k.arg: k.value for k in call.keywords}
        if "zh" not in kw:
            missing.append(f"{path.name}:{call.lineno}: {call.func.id} without zh=")
            continue
        zh = kw["zh"]
        if isinstance(zh, ast.Constant | ast.JoinedStr | ast.BinOp) and not CJK.search(
                _literal_text(zh)):
            missing.append(f"{path.name}:{call.lineno}: zh= holds no Chinese")
        if "fix" in kw and "fix_zh" not in kw:
            missing.append(f"{path.name}:{call.lineno}: fix= without fix_zh=")
    assert not missing, "\n".join(missing)


def test_the_chinese_message_keeps_the_location_and_the_fix():
    exc = DataError("the header row is empty", file="firms.csv", row=1,
                    fix="put the column names in the first row",
                    zh="表头行为空", fix_zh="请把列名放在第一行")
    assert str(exc) == "firms.csv:1: the header row is empty (put the column names in the first row)"
    assert exc.text("zh") == "firms.csv:1：表头行为空（请把列名放在第一行）"
    assert exc.text("en") == str(exc)
    assert ConfigError("x must be positive").text("zh") == "x must be positive"   # no zh given
    with pytest.raises(ConfigError) as info:
        check_choice("--lang", "fr", ("zh", "en"))
    assert "须为" in info.value.text("zh") and "must be one of" in str(info.value)


WARNINGS = {"EvalkitWarning", "DataWarning", "EvalkitInternalWarning", "EvalkitDeprecationWarning"}


def test_every_warning_to_users_is_given_in_chinese():
    # warnings end up in bundles as technical notes that the Chinese report shows
    missing = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "warn" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "warnings"):
                continue
            first = node.args[0] if node.args else None
            ok = (isinstance(first, ast.Call) and isinstance(first.func, ast.Name)
                  and first.func.id in WARNINGS
                  and any(k.arg == "zh" and CJK.search(_literal_text(k.value))
                          for k in first.keywords))
            if not ok:
                missing.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not missing, missing


def test_a_warning_carries_its_chinese_text_through_the_warnings_machinery():
    import warnings

    from evalkit.errors import DataWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn(DataWarning("dropped 3 rows", zh="删除了 3 行"), stacklevel=1)
    (w,) = caught
    assert issubclass(w.category, DataWarning) and str(w.message) == "dropped 3 rows"
    assert w.message.text("zh") == "删除了 3 行" and w.message.text("en") == "dropped 3 rows"
