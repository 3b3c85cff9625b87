"""The translation catalog: every user-facing label, sentence and error message in English and
Chinese, read from data files in ``evalkit/locale/``.

One YAML file per namespace (``cli.yaml``, ``report.yaml``, ``report.ex_post.yaml``,
``errors.did.yaml``, ``warnings.yaml``, ``stages.yaml``, ``reasons.yaml``, ``exante.yaml``,
``monitor.yaml``, ``labels.yaml`` for names of files and tables that messages name,
``common.yaml`` for list separators, ...); each maps a key to its ``en`` and ``zh`` template,
``str.format`` templates with named placeholders (``{column!r}``, ``{share:.1%}``).
A key lives in the file named by its longest dotted prefix that names a file:
``errors.did.pre_process.no_pre_period`` in ``errors.did.yaml``, ``report.ex_post.title`` in
``report.ex_post.yaml``, ``cli.error`` in ``cli.yaml``. Files are read on first use.

* ``t(key, lang, **fmt)`` looks a key up and formats it. Reports and the CLI use the same
  catalog, so a label reads the same everywhere. A missing key is a programming error
  (``KeyError``), caught by tests that walk every key used.
* :class:`Message` is a key with its values, rendered in either language later: errors and
  warnings take one (``ConfigError(Message("errors.study.unknown_column", column=c))``) and show
  it in English (``str(exc)``) or Chinese (``exc.text("zh")``). A value that differs by
  language is itself a :class:`Message` (a label: ``what=Message("labels.table.panel")``), a
  :class:`Join` of such values, or a :class:`Bilingual` pair of texts made elsewhere.

``CLI_HELP_ZH`` (``cli_help.zh.yaml``) is the command line's help in Chinese; the English help is
written next to each command in :mod:`evalkit.cli`.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LANGS = ("zh", "en")
LOCALE = Path(__file__).with_name("locale")
_HELP_FILE = "cli_help.zh.yaml"


def _read(path: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}


@functools.cache
def namespaces() -> tuple[str, ...]:
    """The catalog's files by name without ``.yaml`` (``"errors.did"``, ``"report"``, ...)."""
    return tuple(sorted(p.name.removesuffix(".yaml") for p in LOCALE.glob("*.yaml")
                        if p.name != _HELP_FILE))


@functools.cache
def _namespace(name: str) -> dict[str, dict[str, str]]:
    return _read(LOCALE / f"{name}.yaml")


@functools.cache
def namespace_of(key: str) -> str:
    """The file a key belongs in: its longest dotted prefix that names a catalog file."""
    parts = key.split(".")
    for i in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[:i])
        if name in namespaces():
            return name
    raise KeyError(key)


def entry(key: str) -> dict[str, str]:
    """The ``{"en": ..., "zh": ...}`` templates of ``key`` (``KeyError`` if there is none)."""
    return _namespace(namespace_of(key))[key]


@functools.cache
def catalog() -> dict[str, dict[str, str]]:
    """Every key of every file (read all of them), in file order; do not modify it."""
    out: dict[str, dict[str, str]] = {}
    for name in namespaces():
        out.update(_namespace(name))
    return out


def placeholders(template: str) -> set[str]:
    """The names of a template's ``str.format`` placeholders."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def problems(entries: Mapping[str, Mapping[str, str]], namespace: str | None = None) -> list[str]:
    """What is wrong with catalog entries: a key without a non-empty ``en`` and ``zh`` text (or
    with another language), templates whose placeholders differ between the languages or do not
    parse, and, given the file's ``namespace``, a key that does not live in it."""
    out = []
    for key, texts in entries.items():
        if namespace is not None and not key.startswith(namespace + "."):
            out.append(f"{key}: not under {namespace}.")
        if not isinstance(texts, Mapping) or sorted(texts) != sorted(LANGS):
            out.append(f"{key}: needs exactly {' and '.join(LANGS)}")
            continue
        if not all(isinstance(texts[lang], str) and texts[lang].strip() for lang in LANGS):
            out.append(f"{key}: an empty text")
            continue
        try:
            names = [placeholders(texts[lang]) for lang in LANGS]
        except ValueError as exc:
            out.append(f"{key}: {exc}")
            continue
        if names[0] != names[1]:
            out.append(f"{key}: placeholders differ: zh {sorted(names[0])}, en {sorted(names[1])}")
    return out


def t(key: str, lang: str = "en", /, **fmt: object) -> str:
    """The text of ``key`` in ``lang`` ('zh' or 'en'), formatted with ``fmt``; a value that is a
    :class:`Message` or an evalkit error or warning is rendered in the same language."""
    if lang not in LANGS:
        from evalkit.errors import check_choice  # errors renders through this module

        check_choice("lang", lang, LANGS)
    text = entry(key)[lang]
    if not fmt:
        return text
    return text.format(**{k: _in(lang, v) for k, v in fmt.items()})


def _in(lang: str, value: object) -> object:
    # a Message, Join or Bilingual, or an evalkit error or warning (its ``zh`` beside the
    # English), in ``lang``
    if isinstance(value, TEXTS) or (isinstance(value, Exception)
                                                        and hasattr(value, "zh")):
        return value.text(lang)
    return value


class Message:
    """A catalog key and the values of its placeholders, rendered in a language on demand:
    ``Message("errors.io.readers.empty_header", file=name).text("zh")``; ``str()`` is English."""

    __slots__ = ("key", "values")

    def __init__(self, key: str, /, **values: object) -> None:
        self.key, self.values = key, values

    def text(self, lang: str = "en") -> str:
        return t(self.key, lang, **self.values)

    def pair(self) -> tuple[str, str]:
        """The English and the Chinese text, for results that keep both (a note, a flag)."""
        return self.text("en"), self.text("zh")

    @property
    def en(self) -> str:
        """The English text (as :class:`Bilingual` has it)."""
        return self.text("en")

    @property
    def zh(self) -> str:
        """The Chinese text."""
        return self.text("zh")

    def __str__(self) -> str:
        return self.text("en")

    def __repr__(self) -> str:
        return f"Message({self.key!r}, **{self.values!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Message) and (self.key, self.values) == (other.key, other.values))

    __hash__ = None  # type: ignore[assignment]


class Join:
    """Values joined by a separator that is a catalog key (``common.sep.semicolon``: "; " in
    English, "；" in Chinese), each value rendered in the same language as the separator:
    ``Join("common.sep.list", [Message(...), "x"]).text("zh")``."""

    __slots__ = ("items", "sep")

    def __init__(self, sep: str, items: Iterable[object]) -> None:
        self.sep, self.items = sep, tuple(items)

    def text(self, lang: str = "en") -> str:
        return t(self.sep, lang).join(str(_in(lang, item)) for item in self.items)

    def __str__(self) -> str:
        return self.text("en")

    def __repr__(self) -> str:
        return f"Join({self.sep!r}, {list(self.items)!r})"


@dataclass(frozen=True)
class Bilingual:
    """A text that already exists in English and Chinese, not a catalog template: an error's
    two texts carried into another message, a table's two name columns (``str()`` gives the
    English). Text written in the code is a catalog key instead."""

    en: str
    zh: str

    def __str__(self) -> str:
        return self.en

    def text(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en


#: The values that render in a language (``isinstance(x, TEXTS)``), and their type.
TEXTS = (Message, Join, Bilingual)
Text = Message | Join | Bilingual


@functools.cache
def _cli_help_zh() -> dict[str, str]:
    return _read(LOCALE / _HELP_FILE)


def __getattr__(name: str) -> Mapping[str, Any]:
    # STRINGS (every key) and CLI_HELP_ZH, read from the files on first use
    if name == "STRINGS":
        return catalog()
    if name == "CLI_HELP_ZH":
        return _cli_help_zh()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
