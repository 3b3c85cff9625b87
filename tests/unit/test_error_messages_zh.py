"""Every error a user can cause has its message in Chinese too, shown by the CLI with
``--lang zh``: each construction of an :class:`evalkit.errors.EvalkitError` class or an evalkit
warning in the package names a key of the translation catalog (``Message("errors....", ...)``),
whose English and Chinese templates the catalog tests check; checked on the source of every
module, and end to end on a few errors."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from evalkit.errors import ConfigError, DataError, check_choice
from evalkit.i18n import STRINGS, placeholders

PACKAGE = Path(__file__).resolve().parents[2] / "evalkit"
ERRORS = {"EvalkitError", "DataError", "ConfigError", "DesignError", "IdentificationError",
          "ConvergenceError", "FontError", "RenderError", "ArgumentTypeError"}
WARNINGS = {"EvalkitWarning", "DataWarning", "EvalkitInternalWarning", "EvalkitDeprecationWarning"}

# Sites not yet moved to the catalog (scripts/catalog_codemod.py lists why), by module: the
# count is exact, so it goes down with each site converted.
NOT_YET: dict[str, int] = {}


def _constructions(tree: ast.AST, names: set[str]) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name) and node.func.id in names]


def _message_problem(node: ast.AST | None) -> str | None:
    """Why ``node`` is not ``Message("<a catalog key>", <its placeholders>=...)``, or None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "Message" and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return "a text that is not Message(<catalog key>, ...)"
    key = node.args[0].value
    if key not in STRINGS:
        return f"{key!r} is not in the catalog"
    given = {k.arg for k in node.keywords}
    if None not in given and given != placeholders(STRINGS[key]["en"]):
        return f"{key!r} takes {sorted(placeholders(STRINGS[key]['en']))}, given {sorted(given)}"
    return None


def literal_text_sites(source: str, name: str = "<source>") -> list[str]:
    """Error and warning constructions in ``source`` that do not take their texts from the
    catalog: a literal message, ``zh=``/``fix_zh=``, a fix that is not a catalog key."""
    found = []
    calls = _constructions(ast.parse(source), ERRORS | WARNINGS)
    for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):
        kw = {k.arg: k.value for k in call.keywords}
        why = [w for w in (_message_problem(call.args[0] if call.args else kw.get("message")),
                           _message_problem(kw["fix"]) if "fix" in kw else None) if w]
        why += [f"{k}= given" for k in ("zh", "fix_zh") if k in kw]
        found += [f"{name}:{call.lineno}: {call.func.id}: {w}" for w in why]
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py")
                 if _constructions(ast.parse(p.read_text(encoding="utf-8")), ERRORS))


def test_the_scan_finds_the_error_sites():
    n = sum(len(_constructions(ast.parse(p.read_text(encoding="utf-8")), ERRORS))
            for p in MODULES)
    assert len(MODULES) > 50 and n > 350


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_error_names_a_catalog_key(path):
    name = str(path.relative_to(PACKAGE))
    found = literal_text_sites(path.read_text(encoding="utf-8"), name)
    sites = {line.split(": ", 1)[0] for line in found}
    assert len(sites) == NOT_YET.get(name, 0), "\n".join(found)   # lower NOT_YET as you go


def test_the_scan_fails_on_a_planted_literal_text_error():
    planted = ('from evalkit.i18n import Message\n'
               'raise ConfigError("x must be positive", zh="x 须为正数")\n'
               'raise DataError(Message("cli.error"), fix="do this")\n'
               'warnings.warn(DataWarning(Message("no.such.key")))\n'
               'raise DesignError(Message("cli.review.tampered", problem=1))\n'
               'raise ConfigError(Message("cli.review.tampered", problems=1))\n')
    found = literal_text_sites(planted)
    assert [f.split(": ", 2)[2] for f in found] == [
        "a text that is not Message(<catalog key>, ...)", "zh= given",
        "a text that is not Message(<catalog key>, ...)",
        "'no.such.key' is not in the catalog",
        "'cli.review.tampered' takes ['problems'], given ['problem']"]


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


def test_every_warning_to_users_names_a_catalog_key():
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
                  and first.func.id in WARNINGS and first.args
                  and _message_problem(first.args[0]) is None)
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
