"""Move the texts of error and warning sites into the translation catalog (evalkit/locale/).

Rewrites every construction of an evalkit error or warning that gives its two texts as literals,
``ConfigError(f"{name} must be positive, got {value!r}", zh=f"{name} 须为正数，收到 {value!r}")``,
into one that names a catalog key and its values,
``ConfigError(Message("errors.study.must_be_positive", name=name, value=value))``, and writes
the templates (``"{name} must be positive, got {value!r}"``, conversions and format specs kept)
into ``evalkit/locale/errors.<package>.yaml`` (``errors.yaml`` for top-level modules,
``warnings.yaml`` for warnings). ``fix=``/``fix_zh=`` of a :class:`~evalkit.errors.DataError`
become ``fix=Message(...)`` the same way.

* Placeholders are named after the f-string's expression: ``{path.name}`` -> ``name``,
  ``{len(rows)}`` -> ``n_rows``, ``{", ".join(missing)}`` -> ``missing``; the same expression in
  the English and the Chinese text is one placeholder, and so are ``{exc}`` and
  ``{exc.text('zh')}`` (an evalkit error as a value is rendered in the template's language).
* Keys: ``<errors|warnings>.<module>.<slug of the English words>``; the same pair of texts at two
  sites is one key (``errors.common.<slug>`` when the sites are in different modules), also
  against the keys already in the catalog, so the script can be run again after a merge.
* Sites it cannot convert (a text held in a variable, built by ``+`` or a call, an English and a
  Chinese text that use different expressions) are listed on stderr and left as they were.

Usage: ``python scripts/catalog_codemod.py [--dry-run] [PATH ...]`` (default: evalkit/), then
``ruff check --fix`` to sort the added imports.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import keyword
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "evalkit"
LOCALE = PACKAGE / "locale"
WIDTH = 99
STOP = {"a", "an", "the", "of", "is", "are", "to", "in", "on", "and", "or", "be", "for", "with",
        "it", "its", "as", "by", "at", "from", "this", "that", "was", "were", "has", "have", "not",
        "no", "got", "received", "must", "s", "e", "g", "eg", "i", "ie"}
REDUCE = {"sum", "mean", "max", "min", "count", "nunique", "size"}
SIMPLE_CALLS = {"sorted", "list", "set", "tuple", "str", "repr", "int", "float", "round", "abs",
                "min", "max", "sum", "dict", "frozenset", "type", "bool", "map"}
RESERVED = {"key", "lang", "self", "cls"}


class Skip(Exception):
    """A site the script leaves to a person."""


def is_site(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id.endswith(("Error", "Warning"))
            and any(k.arg == "zh" for k in node.keywords))


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(parts)


def _clean(name: str) -> str:
    name = re.sub(r"\W+", "_", name).strip("_").lower()
    if not name or name[0].isdigit():
        name = "value_" + name
    if keyword.iskeyword(name) or name in RESERVED:
        name += "_"
    return name


def name_for(expr: ast.expr) -> str:
    """A readable placeholder name for an f-string expression."""
    if isinstance(expr, ast.Name):
        return _clean(expr.id)
    if isinstance(expr, ast.Attribute):
        if expr.attr == "__name__":
            inner = expr.value
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) \
                    and inner.func.id == "type":
                return "type_name"
            return name_for(inner) + "_name"
        return _clean(expr.attr)
    if isinstance(expr, ast.Subscript):
        index = expr.slice
        if isinstance(index, ast.Constant) and isinstance(index.value, str):
            return _clean(index.value)
        if isinstance(expr.value, ast.Attribute) and expr.value.attr in {"iloc", "loc", "at",
                                                                         "iat"}:
            return name_for(expr.value.value)
        return name_for(expr.value)
    if isinstance(expr, ast.Call):
        func, args = expr.func, expr.args
        if isinstance(func, ast.Name) and func.id == "len" and args:
            return "n_" + name_for(args[0])
        if isinstance(func, ast.Name) and func.id in SIMPLE_CALLS and args:
            return name_for(args[-1] if func.id == "map" else args[0])
        if isinstance(func, ast.Attribute) and func.attr == "join" and args:
            return name_for(args[0])
        if isinstance(func, ast.Attribute) and func.attr in REDUCE:
            return f"{func.attr}_{name_for(func.value)}"
        if isinstance(func, ast.Attribute):
            return name_for(func.value) if func.attr in {"tolist", "strip", "lower", "upper",
                                                         "item", "keys", "values", "items"} \
                else _clean(func.attr)
        if isinstance(func, ast.Name):
            return _clean(func.id)
    if isinstance(expr, ast.GeneratorExp | ast.ListComp | ast.SetComp):
        return name_for(expr.generators[0].iter)
    if isinstance(expr, ast.BinOp | ast.UnaryOp | ast.IfExp | ast.BoolOp | ast.Compare):
        for sub in ast.walk(expr):
            if isinstance(sub, ast.Name | ast.Attribute) and sub is not expr:
                return name_for(sub)
    return "value"


def spec_text(spec: ast.expr | None) -> str:
    if spec is None:
        return ""
    if not (isinstance(spec, ast.JoinedStr)
            and all(isinstance(v, ast.Constant) for v in spec.values)):
        raise Skip("a format spec with an expression in it")
    return ":" + "".join(v.value for v in spec.values)


class Site:
    """One error or warning construction and what it becomes."""

    def __init__(self, path: Path, call: ast.Call) -> None:
        self.path, self.call = path, call
        self.module = module_name(path)
        self.ns = "warnings" if call.func.id.endswith("Warning") else "errors"
        kw = {k.arg: k.value for k in call.keywords}
        if not call.args:
            raise Skip("no positional message")
        self.pairs = [(call.args[0], kw["zh"])]
        if "fix" in kw or "fix_zh" in kw:
            if "fix" not in kw or "fix_zh" not in kw:
                raise Skip("fix= without fix_zh= or the reverse")
            self.pairs.append((kw["fix"], kw["fix_zh"]))
        for pair in self.pairs:
            for node in pair:
                if not isinstance(node, ast.Constant | ast.JoinedStr) or (
                        isinstance(node, ast.Constant) and not isinstance(node.value, str)):
                    raise Skip(f"a text that is a {type(node).__name__}, not a literal")
        self.names: dict[str, str] = {}          # ast.dump(expr) -> placeholder name
        self.exprs: dict[str, ast.expr] = {}     # placeholder name -> expr
        self.templates = [tuple(self.template(n) for n in pair) for pair in self.pairs]
        for en, zh in self.templates:
            if placeholders(en) != placeholders(zh):
                raise Skip("the English and the Chinese text use different expressions")

    def placeholder(self, expr: ast.expr) -> str:
        if (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)
                and expr.func.attr == "text" and len(expr.args) == 1 and not expr.keywords
                and isinstance(expr.args[0], ast.Constant) and expr.args[0].value in ("en", "zh")):
            expr = expr.func.value      # an error's text in a language: the error, rendered in it
        dump = ast.dump(expr)
        if dump not in self.names:
            base = name_for(expr)
            name, i = base, 2
            while name in self.exprs:
                name, i = f"{base}_{i}", i + 1
            self.names[dump], self.exprs[name] = name, expr
        return self.names[dump]

    def template(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            return node.value
        out = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                out.append(value.value.replace("{", "{{").replace("}", "}}"))
                continue
            if isinstance(value.value, ast.JoinedStr | ast.Lambda | ast.NamedExpr):
                raise Skip("an f-string expression that is itself an f-string or lambda")
            conv = {-1: "", 115: "!s", 114: "!r", 97: "!a"}[value.conversion]
            out.append("{" + self.placeholder(value.value) + conv
                       + spec_text(value.format_spec) + "}")
        return "".join(out)


def placeholders(template: str) -> set[str]:
    import string

    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def slug(en: str) -> str:
    words = [w for w in re.findall(r"[a-z][a-z0-9]*", re.sub(r"\{[^{}]*\}", " ", en.lower()))
             if w not in STOP]
    return "_".join(words[:4]) or "message"


def load_catalog() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALE.glob("*.yaml")):
        if path.name.startswith(("errors", "warnings")):
            out.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return out


def assign_keys(sites: list[Site], catalog: dict[str, dict[str, str]]) -> list[list[str]]:
    """The key of each text pair of each site: one key per pair of texts."""
    by_text = {(ns_of(k), v["en"], v["zh"]): k for k, v in catalog.items()}
    modules: dict[tuple, set[str]] = {}
    for s in sites:
        for pair in s.templates:
            modules.setdefault((s.ns, *pair), set()).add(s.module)
    taken = set(catalog)
    keys = []
    for s in sites:
        row = []
        for i, (en, zh) in enumerate(s.templates):
            ident = (s.ns, en, zh)
            if ident not in by_text:
                shared = len(modules[(s.ns, en, zh)]) > 1
                base = f"{s.ns}.{'common' if shared else s.module}.{'fix_' if i else ''}{slug(en)}"
                key, n = base, 2
                while key in taken:
                    key, n = f"{base}_{n}", n + 1
                taken.add(key)
                by_text[ident] = key
                catalog[key] = {"en": en, "zh": zh}
            row.append(by_text[ident])
        keys.append(row)
    return keys


def ns_of(key: str) -> str:
    return key.split(".", 1)[0]


def file_of(key: str) -> str:
    ns, module = key.split(".")[:2]
    package = module if module != "common" and (PACKAGE / module).is_dir() else None
    return f"{ns}.{package}" if package else ns


def message_call(key: str, names: list[str], site: Site) -> tuple[str, list]:
    return "Message(", [f'"{key}"'] + [f"{n}={ast.unparse(site.exprs[n])}" for n in names]


def segment(src: bytes, starts: list[int], node: ast.AST) -> str:
    a = starts[node.lineno - 1] + node.col_offset
    b = starts[node.end_lineno - 1] + node.end_col_offset
    return src[a:b].decode("utf-8")


def flat(arg: str | tuple) -> str:
    if isinstance(arg, str):
        return arg
    head, args = arg
    return head + ", ".join(flat(a) for a in args) + ")"


def layout(head: str, args: list, col: int, tail: str = "") -> list[str]:
    """``head(args...)tail`` starting at column ``col``, one line if it fits, else the arguments
    filled line by line under the opening parenthesis (a nested call laid out the same way)."""
    one = flat((head, args)) + tail
    if col + len(one) <= WIDTH and "\n" not in one:
        return [one]
    inner = col + len(head)
    lines: list[str] = []
    line = head
    for j, arg in enumerate(args):
        end = ", " if j < len(args) - 1 else ")" + tail
        text = flat(arg) + end.rstrip()
        start = col if not lines else 0
        if line.strip() and line != head and start + len(line) + len(text) > WIDTH:
            lines.append(line.rstrip())
            line = " " * inner
        start = col if not lines else 0
        if not isinstance(arg, str) and start + len(line) + len(text) > WIDTH:
            sub = layout(arg[0], arg[1], start + len(line), end.rstrip())
            line += sub[0]
            lines.append(line)
            lines.extend(sub[1:-1])
            line = sub[-1] + (" " if end == ", " else "") if len(sub) > 1 else line
            if len(sub) > 1:
                continue
            lines.pop()
            continue
        line += flat(arg) + end
    lines.append(line.rstrip())
    return lines


def new_call(site: Site, keys: list[str], src: bytes, starts: list[int], indent: int) -> str:
    call = site.call
    order = list(site.exprs)
    parts: list = []
    for i, ((en, _zh), key) in enumerate(zip(site.templates, keys, strict=True)):
        head, args = message_call(key, [n for n in order if n in placeholders(en)], site)
        parts.append((head, args) if i == 0 else ("fix=" + head, args))
    rest = [segment(src, starts, a) for a in call.args[1:]]
    for k in call.keywords:
        if k.arg in ("zh", "fix_zh", "fix"):
            continue
        rest.append(segment(src, starts, k) if k.arg else "**" + segment(src, starts, k.value))
    return "\n".join(layout(f"{call.func.id}(", [parts[0], *rest, *parts[1:]], indent))


def add_import(text: str) -> str:
    if re.search(r"^from evalkit\.i18n import .*\bMessage\b", text, re.M):
        return text
    m = re.search(r"^from evalkit\.i18n import ([^\n(]+)$", text, re.M)
    if m:
        return text[:m.start(1)] + m.group(1) + ", Message" + text[m.end(1):]
    tree = ast.parse(text)
    last = None
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            last = node
        elif last is not None or not (isinstance(node, ast.Expr)
                                      and isinstance(node.value, ast.Constant)):
            break
    lines = text.splitlines(keepends=True)
    at = last.end_lineno if last is not None else 0
    return "".join(lines[:at]) + "from evalkit.i18n import Message\n" + "".join(lines[at:])


def write_catalog(catalog: dict[str, dict[str, str]]) -> None:
    files: dict[str, dict[str, dict[str, str]]] = {}
    for key in sorted(catalog):
        files.setdefault(file_of(key), {})[key] = catalog[key]
    for name, data in files.items():
        what = "Warnings to users" if name.startswith("warnings") else "Error messages"
        where = name.split(".", 1)[1] if "." in name else "evalkit's top-level modules"
        head = (f"# {what} of {'evalkit.' + where if '.' in name else where}, written by "
                "scripts/catalog_codemod.py and edited by hand.\n# Each key: its English (en) "
                "and Chinese (zh) template, str.format placeholders by name.\n")
        body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**9)
        assert yaml.safe_load(body) == data
        (LOCALE / f"{name}.yaml").write_text(head + body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path, default=[PACKAGE])
    ap.add_argument("--dry-run", action="store_true")
    opts = ap.parse_args(argv)
    files = sorted({p.resolve() for root in opts.paths
                    for p in ([root] if root.suffix == ".py" else root.rglob("*.py"))})
    sites, skipped = [], []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if is_site(node):
                try:
                    sites.append(Site(path, node))
                except Skip as why:
                    skipped.append(f"{path.relative_to(ROOT)}:{node.lineno}: {why}")
    catalog = load_catalog()
    keys = assign_keys(sites, catalog)
    by_file: dict[Path, list[tuple[Site, list[str]]]] = {}
    for site, row in zip(sites, keys, strict=True):
        by_file.setdefault(site.path, []).append((site, row))
    for path, items in by_file.items():
        src = path.read_bytes()
        starts, n = [], 0
        for line in src.splitlines(keepends=True):
            starts.append(n)
            n += len(line)
        spans = []
        for site, row in items:
            c = site.call
            a = starts[c.lineno - 1] + c.col_offset
            b = starts[c.end_lineno - 1] + c.end_col_offset
            indent = len(src[starts[c.lineno - 1]:a].decode("utf-8"))
            spans.append((a, b, new_call(site, row, src, starts, indent)))
        spans.sort()
        for (a1, b1, _), (a2, _b2, _) in itertools.pairwise(spans):
            if a2 < b1:
                raise SystemExit(f"{path}: nested sites at byte {a1}; convert by hand")
        out = src
        for a, b, text in reversed(spans):
            out = out[:a] + text.encode("utf-8") + out[b:]
        if not opts.dry_run:
            path.write_text(add_import(out.decode("utf-8")), encoding="utf-8")
    if not opts.dry_run:
        write_catalog(catalog)
    print(f"{len(sites)} sites converted in {len(by_file)} modules; "
          f"{len({k for row in keys for k in row})} keys", file=sys.stderr)
    for line in skipped:
        print("left as it was: " + line, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
