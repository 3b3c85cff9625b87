import pytest

from evalkit.errors import ConfigError, DataError, check_choice
from evalkit.i18n import LANGS, STRINGS, t


def test_check_choice_lists_allowed_and_received():
    with pytest.raises(ConfigError) as e:
        check_choice("est_method", "dd", ("dr", "ipw", "reg"))
    msg = str(e.value)
    assert "'dr', 'ipw', 'reg'" in msg and "'dd'" in msg


def test_data_error_carries_location_and_fix():
    e = DataError("not a number", file="firm_years.csv", row=12, column="revenue", fix="type digits")
    assert str(e) == "firm_years.csv:12:revenue: not a number (type digits)"
    assert e.location.row == 12


def test_every_string_has_both_languages_and_same_placeholders():
    import string

    for key, texts in STRINGS.items():
        assert set(texts) == set(LANGS), key
        fields = [{f for _, f, _, _ in string.Formatter().parse(texts[lang]) if f} for lang in LANGS]
        assert fields[0] == fields[1], key


def test_unknown_language_rejected():
    with pytest.raises(ConfigError):
        t("cli.error", "fr")


def test_every_catalog_file_is_well_formed():
    # each file read with the duplicate-key check of user YAML: a key written twice would
    # silently keep its last texts; each key in the file its prefix names (the loader's rule)
    from evalkit.i18n import LOCALE, namespace_of, namespaces, problems
    from evalkit.yamlsafe import load_yaml

    found = []
    for name in namespaces():
        entries = load_yaml(LOCALE / f"{name}.yaml")
        found += problems(entries, name)
        found += [f"{key}: read from {namespace_of(key)}" for key in entries
                  if namespace_of(key) != name]
    assert not found, "\n".join(found)
    assert len(STRINGS) > 1000


def test_the_catalog_check_fails_on_a_planted_key(tmp_path):
    from evalkit.i18n import problems

    good = {"errors.x.y": {"en": "{n} rows", "zh": "{n} 行"}}
    assert problems(good, "errors.x") == []
    assert problems({"errors.x.y": {"en": "{n} rows"}}) == ["errors.x.y: needs exactly zh and en"]
    assert problems({"errors.x.y": {"en": "{n} rows", "zh": ""}}) == ["errors.x.y: an empty text"]
    assert problems({"errors.x.y": {"en": "{n} rows", "zh": "{m} 行"}}) == [
        "errors.x.y: placeholders differ: zh ['m'], en ['n']"]
    assert problems(good, "errors.z") == ["errors.x.y: not under errors.z."]


def test_a_message_renders_in_both_languages_and_nests():
    from evalkit.i18n import Message

    inner = Message("cli.table")
    m = Message("cli.validate.title", path=inner)
    assert str(m) == "Validation of table" and m.text("zh") == "数据表 校验结果"
    err = ConfigError(Message("cli.review.tampered", problems="x"))
    assert str(err) == "the review log was altered: x" and err.text("zh") == "审核记录被改动：x"
    assert err.catalog_key == "cli.review.tampered"


def _literal_keys(source: str) -> list[tuple[int, str]]:
    # the constant first argument of each Message(...), t(...) and Join(...) call
    import ast

    return [(node.lineno, node.args[0].value) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in {"Message", "t", "Join"} and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)]


def test_every_key_written_in_the_package_is_in_the_catalog():
    # keys held in tables (safefs's faults, the ex-ante checklist) are checked here too, not
    # only those at error sites; a planted unknown key is found
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "evalkit"
    found, n = [], 0
    for path in sorted(package.rglob("*.py")):
        for line, key in _literal_keys(path.read_text(encoding="utf-8")):
            n += 1
            if key not in STRINGS:
                found.append(f"{path.relative_to(package)}:{line}: {key}")
    assert not found, "\n".join(found)
    assert n > 800
    assert _literal_keys('x = Message("no.such.key", n=1)\n') == [(1, "no.such.key")]


def test_joined_and_bilingual_values_render_in_the_message_language():
    from evalkit.i18n import Bilingual, Join, Message

    names = Join("common.sep.semicolon", [Message("errors.io.readers.encoding_other"), "x"])
    assert names.text("en") == "not UTF-8 (GBK); x" and names.text("zh") == "非 UTF-8（GBK）；x"
    err = DataError(Message("errors.io.safefs.path_is_folder",
                            what=Bilingual("output", "输出文件")), file="a")
    assert str(err) == "a: the output path is a folder" and err.text("zh") == "a：输出文件路径是文件夹"
    moved = err.located(file="b")
    assert str(moved) == "b: the output path is a folder" and moved.text("zh") == "b：输出文件路径是文件夹"
