"""Change a few values of a YAML file in its text, keeping its comments and layout.

The demo copies its studies with the warehouse and bundle paths pointed at its output folder;
a copy must keep the original's comments (they explain the study to whoever opens it), so the
copy is the original's bytes with the changed values written over their old ones, not a re-dump.
:func:`set_values` handles what studies use: block mappings indented by spaces, scalars (with
or without a trailing comment), lists of scalars written as a block (``- item`` lines) or in
flow style (``[a, b]``), and inserts a key that is missing under an existing mapping. The result
is parsed again and must equal the expected document, else the edit is refused (a bug here,
never a silently wrong study).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

Path_ = tuple[str, ...]
_KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][\w.-]*|'[^']*'|\"[^\"]*\"):(?P<rest>.*)$")
_ITEM = re.compile(r"^(?P<indent> *)- (?P<rest>.*)$")


def scalar(value: Any) -> str:
    """``value`` as a YAML flow scalar or flow list (plain where YAML allows it)."""
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10_000)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _split_comment(rest: str) -> tuple[str, str]:
    """(value, comment with its leading spaces) of the text after a key's colon."""
    m = re.search(r"\s+#", rest)
    return (rest, "") if m is None else (rest[:m.start()], rest[m.start():])


def _unquote(key: str) -> str:
    return key[1:-1] if key[:1] in "'\"" else key


def set_values(text: str, changes: Mapping[Path_, Any]) -> str:
    """``text`` with the value at each key path of ``changes`` replaced (a scalar, or a list of
    scalars), missing keys added under their parent mapping; comments and everything else kept."""
    lines = text.splitlines(keepends=True)
    expected = yaml.safe_load(text)
    for path, value in changes.items():
        node = expected
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = copy.deepcopy(value)
    pending = dict(changes)
    out: list[str] = []
    stack: list[tuple[int, str]] = []       # (indent, key) of the mappings the line is in
    parents: dict[Path_, tuple[int, int]] = {}   # mapping path -> (output line, child indent)
    items: list[str] | None = None          # replacement items of a block list being rewritten
    items_indent = -1
    for line in lines:
        if items is not None:
            m = _ITEM.match(line)
            if m and len(m["indent"]) >= items_indent:
                value, comment = _split_comment(m["rest"].rstrip("\n"))
                new = scalar(items.pop(0)) if items else value
                out.append(f"{m['indent']}- {new}{comment}\n")
                continue
            if line.strip() and not line.lstrip().startswith("#"):
                items = None
        m = _KEY.match(line.rstrip("\n"))
        if m is None or line.lstrip().startswith("#"):
            out.append(line)
            continue
        indent = len(m["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = (*(k for _, k in stack), _unquote(m["key"]))
        if len(path) > 1:
            parent = path[:-1]
            line_no, child = parents.get(parent, (0, -1))
            if child < 0:
                parents[parent] = (line_no, indent)
        stack.append((indent, path[-1]))
        parents.setdefault(path, (len(out), -1))
        if path not in pending:
            out.append(line)
            continue
        value = pending.pop(path)
        old, comment = _split_comment(m["rest"])
        if isinstance(value, Sequence) and not isinstance(value, str) and not old.strip():
            items, items_indent = [*value], indent        # block list on the following lines
            out.append(line)
            continue
        out.append(f"{m['indent']}{m['key']}: {scalar(value)}{comment.rstrip()}\n")
    for path, value in pending.items():         # keys to add under an existing mapping
        parent = path[:-1]
        if parent and parent not in parents:
            raise ValueError(f"no mapping {'.'.join(parent)} to add {path[-1]} to")
        line_no, child = parents.get(parent, (len(out) - 1, 0)) if parent else (len(out) - 1, 0)
        indent = child if child >= 0 else 2 * len(parent)
        out.insert(line_no + 1, f"{' ' * indent}{path[-1]}: {scalar(value)}\n")
        parents = {p: (n + (n > line_no), c) for p, (n, c) in parents.items()}
    result = "".join(out)
    if yaml.safe_load(result) != expected:
        raise ValueError("editing the YAML text did not give the expected document")
    return result
