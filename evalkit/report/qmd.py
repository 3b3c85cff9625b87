"""Read Quarto ``.qmd`` templates: expand shortcodes, then split into front matter, cells, markdown.

Both render paths start from the text :func:`expand` returns: the Quarto CLI renders it as is, and
the fallback parses it with :func:`parse_qmd`. Only the subset documented in ``reports/README.md``
is accepted; anything outside it is a :class:`~evalkit.errors.ConfigError` naming the file, the line
and the allowed values, so a template cannot silently render differently on the two paths.

Subset:
- front matter (YAML between ``---`` lines at the top), including ``execute:`` defaults for
  ``echo``, ``include``, ``output``, ``warning``;
- executable cells fenced as ```` ```{python} ````, options as leading ``#| key: value`` lines, keys
  ``label``, ``fig-cap``, ``tbl-cap``, ``echo``, ``include``, ``output``, ``warning``, ``tags``;
- shortcodes ``{{< include PATH >}}`` (on a line of its own, path relative to the including file)
  and ``{{< t KEY >}}`` (a string from :data:`evalkit.i18n.STRINGS` in the report's language),
  both expanded here before either engine runs.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from evalkit.errors import ConfigError
from evalkit.i18n import STRINGS, Message, t

CELL_OPTIONS = ("label", "fig-cap", "tbl-cap", "echo", "include", "output", "warning", "tags")
EXECUTE_OPTIONS = ("echo", "include", "output", "warning")
#: Quarto's defaults for the execute options (``output: true`` shows outputs as rendered).
DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {"echo": True, "include": True, "output": True, "warning": True}
)

_SHORTCODE = re.compile(r"\{\{<\s*(\S+)((?:\s+[^>\s]+)*)\s*>\}\}")
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<info>.*?)\s*$")
_EXEC_INFO = re.compile(r"^\{(?P<lang>[A-Za-z0-9_+-]+)(?P<rest>[^}]*)\}$")
_OPTION_LINE = re.compile(r"^#\|\s?(.*)$")
_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Cell:
    """One executable ``{python}`` cell: its code (without the ``#|`` lines) and its options.

    ``line`` is the 1-based line of the opening fence in the expanded text.
    """

    source: str
    options: Mapping[str, Any]
    line: int

    @property
    def label(self) -> str | None:
        return self.options.get("label")

    @property
    def is_parameters(self) -> bool:
        return "parameters" in self.options.get("tags", ())


@dataclass(frozen=True)
class Markdown:
    """A run of markdown between cells (may contain fenced non-executable code blocks)."""

    text: str
    line: int


@dataclass(frozen=True)
class QmdDocument:
    """A parsed template: front matter, then markdown and cells in document order."""

    front_matter: Mapping[str, Any]
    blocks: tuple[Cell | Markdown, ...]
    source: str = "<string>"
    execute: Mapping[str, Any] = field(default_factory=dict)

    @property
    def cells(self) -> tuple[Cell, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Cell))

    def effective(self, cell: Cell) -> dict[str, Any]:
        """The cell's options with the document's ``execute:`` defaults and Quarto's defaults."""
        return {**DEFAULTS, **self.execute, **cell.options}

    def parameters_cell(self) -> int | None:
        """Index (into :attr:`cells`) of the cell tagged ``parameters``, or None."""
        found = [i for i, c in enumerate(self.cells) if c.is_parameters]
        if len(found) > 1:
            raise ConfigError(Message("errors.report.qmd.more_than_one_cell", source=self.source))
        return found[0] if found else None


def expand(path: Path, lang: str, *, _stack: tuple[Path, ...] = ()) -> str:
    """The template at ``path`` with ``{{< include >}}`` and ``{{< t KEY >}}`` expanded for ``lang``.

    Includes are expanded recursively (a cycle is an error); other shortcodes are not in the
    subset and raise :class:`ConfigError`.
    """
    path = Path(path).resolve()
    if path in _stack:
        chain = " -> ".join(p.name for p in (*_stack, path))
        raise ConfigError(Message("errors.report.qmd.include_cycle", chain=chain))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        where = Message("errors.report.qmd.included_from", parent=_stack[-1]) if _stack else ""
        raise ConfigError(Message("errors.report.qmd.template_not_found", path=path,
                                  where=where)) from None
    out: list[str] = []
    for lineno, line in enumerate(text.splitlines(keepends=True), start=1):
        stripped = line.strip()
        m = _SHORTCODE.fullmatch(stripped)
        if m and m.group(1) == "include":
            args = m.group(2).split()
            if len(args) != 1:
                raise ConfigError(Message("errors.report.qmd.include_takes_one_path", path=path,
                                          lineno=lineno, args=args))
            body = expand(path.parent / args[0], lang, _stack=(*_stack, path))
            out.append(body if body.endswith("\n") else body + "\n")
            continue
        out.append(_SHORTCODE.sub(lambda m, n=lineno: _shortcode(m, path, n, lang), line))
    return "".join(out)


def retitle(text: str, title: str | None, subtitle: str | None = None,
            *, source: str = "<string>") -> str:
    """``text`` (an expanded template) with its front matter's ``title`` and ``subtitle``
    replaced (None keeps the template's; both are pandoc Markdown, escaped by the caller), so
    that Quarto and the fallback both print them."""
    if title is None and subtitle is None:
        return text
    lines = text.splitlines(keepends=True)
    front, end = _front_matter([ln.rstrip("\n") for ln in lines], source)
    front = dict(front)
    if title is not None:
        front["title"] = title
    if subtitle is not None:
        front["subtitle"] = subtitle
    head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=10_000)
    return "---\n" + head + "---\n" + "".join(lines[end:])


def _shortcode(m: re.Match[str], path: Path, lineno: int, lang: str) -> str:
    name, args = m.group(1), m.group(2).split()
    if name == "include":
        raise ConfigError(Message("errors.report.qmd.stand_line_own", path=path, lineno=lineno))
    if name != "t":
        raise ConfigError(Message("errors.report.qmd.shortcode_supported_subset_allowed",
                                  path=path, lineno=lineno, name=name))
    if len(args) != 1:
        raise ConfigError(Message("errors.report.qmd.t_takes_one_key", path=path, lineno=lineno,
                                  args=args))
    key = args[0]
    if key not in STRINGS:
        raise ConfigError(Message("errors.report.qmd.unknown_translation_key", path=path,
                                  lineno=lineno, key_=key))
    text = t(key, lang)
    if any(f for _, f, _, _ in string.Formatter().parse(text) if f is not None):
        raise ConfigError(Message("errors.report.qmd.translation_placeholders_format_cell",
                                  path=path, lineno=lineno, key_=key))
    return text


def parse_qmd(text: str, *, source: str = "<string>") -> QmdDocument:
    """Split an (expanded) template into front matter, cells and markdown blocks."""
    lines = text.splitlines()
    front, body_start = _front_matter(lines, source)
    execute = front.get("execute", {}) or {}
    if not isinstance(execute, dict):
        raise ConfigError(Message("errors.report.qmd.execute_front_matter_mapping", source=source))
    _check_options(execute, EXECUTE_OPTIONS, source, Message("errors.report.qmd.kind.execute_option"))

    blocks: list[Cell | Markdown] = []
    md: list[str] = []
    md_start = body_start + 1
    i = body_start
    while i < len(lines):
        line = lines[i]
        m = _FENCE.match(line)
        if not m:
            md.append(line)
            i += 1
            continue
        fence, info = m.group("fence"), m.group("info")
        close = _closing(lines, i, fence)
        ex = _EXEC_INFO.match(info)
        if ex is None:  # a plain code block: markdown, kept verbatim
            md.extend(lines[i : (close if close is not None else len(lines) - 1) + 1])
            i = (close if close is not None else len(lines) - 1) + 1
            continue
        where = f"{source}:{i + 1}"
        if close is None:
            raise ConfigError(Message("errors.report.qmd.cell_never_closed_line", where=where,
                                      fence=fence))
        if ex.group("lang") != "python":
            found = ex.group("lang")
            raise ConfigError(Message("errors.report.qmd.only_cells_supported_found", where=where,
                                      found=found))
        if ex.group("rest").strip():
            raise ConfigError(Message("errors.report.qmd.put_cell_options_lines", where=where,
                                      info=info))
        if md:
            blocks.append(Markdown("\n".join(md).strip("\n"), md_start))
            md = []
        blocks.append(_cell(lines[i + 1 : close], i + 1, where))
        i = close + 1
        md_start = i + 1
    if md:
        blocks.append(Markdown("\n".join(md).strip("\n"), md_start))
    blocks = [b for b in blocks if not (isinstance(b, Markdown) and not b.text.strip())]
    labels = [c.label for c in blocks if isinstance(c, Cell) and c.label]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise ConfigError(Message("errors.report.qmd.duplicate_cell_labels", source=source,
                                  dup=dup))
    doc = QmdDocument(MappingProxyType(front), tuple(blocks), source, MappingProxyType(execute))
    doc.parameters_cell()
    return doc


def _front_matter(lines: list[str], source: str) -> tuple[dict[str, Any], int]:
    if not lines or lines[0].strip() != "---":
        return {}, 0
    for j in range(1, len(lines)):
        if lines[j].strip() in ("---", "..."):
            return _yaml_mapping("\n".join(lines[1:j]), source,
                                 Message("errors.report.qmd.what.front_matter")), j + 1
    raise ConfigError(Message("errors.report.qmd.front_matter_never_closed", source=source))


def _yaml_mapping(text: str, where: str, what: Message) -> dict[str, Any]:
    """``text`` (front matter or a cell's ``#|`` lines) read as a YAML mapping, ``{}`` when
    empty; ``what`` names it in the error."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(Message("errors.report.qmd.not_valid_yaml", where=where, what=what,
                                  e=e)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(Message("errors.report.qmd.key_value_lines", where=where, what=what))
    return data


def _closing(lines: list[str], start: int, fence: str) -> int | None:
    char = fence[0]
    for j in range(start + 1, len(lines)):
        s = lines[j].strip()
        if s and set(s) == {char} and len(s) >= len(fence):
            return j
    return None


def _cell(body: list[str], fence_line: int, where: str) -> Cell:
    opt_lines: list[str] = []
    k = 0
    while k < len(body) and (m := _OPTION_LINE.match(body[k])):
        opt_lines.append(m.group(1))
        k += 1
    options = _yaml_mapping("\n".join(opt_lines), where,
                            Message("errors.report.qmd.what.cell_options"))
    _check_options(options, CELL_OPTIONS, where, Message("errors.report.qmd.kind.cell_option"))
    label = options.get("label")
    if "fig-cap" in options and not (label and label.startswith("fig-")):
        raise ConfigError(Message("errors.report.qmd.cell_fig_cap_needs", where=where))
    if "tbl-cap" in options and not (label and label.startswith("tbl-")):
        raise ConfigError(Message("errors.report.qmd.cell_tbl_cap_needs", where=where))
    if "tags" in options:
        options["tags"] = tuple(options["tags"])
    source = "\n".join(body[k:]).strip("\n")
    return Cell(source, MappingProxyType(options), fence_line)


def _check_options(options: Mapping[str, Any], allowed: Sequence[str], where: str,
                   kind: Message) -> None:
    """Each key of ``options`` (a cell's or the front matter's ``execute:``) is one of the
    ``allowed`` subset and has a value of the type Quarto gives it."""
    for key, value in options.items():
        if key not in allowed:
            names = ", ".join(repr(k) for k in allowed)
            raise ConfigError(Message("errors.report.qmd.option_not_supported", where=where,
                                      kind=kind, key=key, names=names))
        _check_value(key, value, where, kind)


#: What each option's value must be (a catalog key; others are true or false).
_EXPECTED = {"label": Message("errors.report.qmd.expected.label"),
             "fig-cap": Message("errors.report.qmd.expected.caption"),
             "tbl-cap": Message("errors.report.qmd.expected.caption"),
             "output": Message("errors.report.qmd.expected.output"),
             "tags": Message("errors.report.qmd.expected.tags")}


def _check_value(key: str, value: Any, where: str, kind: Message) -> None:
    ok = {
        "label": isinstance(value, str) and bool(_LABEL.match(value)),
        "fig-cap": isinstance(value, str) and bool(value.strip()),
        "tbl-cap": isinstance(value, str) and bool(value.strip()),
        "echo": isinstance(value, bool),
        "include": isinstance(value, bool),
        "warning": isinstance(value, bool),
        "output": isinstance(value, bool) or value == "asis",
        "tags": isinstance(value, list) and all(isinstance(x, str) for x in value),
    }[key]
    if not ok:
        expected = _EXPECTED.get(key) or Message("errors.report.qmd.expected.bool")
        raise ConfigError(Message("errors.report.qmd.option_must_be", where=where, kind=kind,
                                  key=key, expected=expected, value=value))
