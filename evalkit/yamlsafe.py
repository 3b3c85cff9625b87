"""Reading a user's YAML file (a study, a scorecard) with limits.

``yaml.safe_load`` builds no objects but plain data, yet a few hundred bytes of nested aliases
(``&a [*b, *b, ...]``, the "billion laughs") stand for billions of nodes, which every later walk
over the document (validation, hashing, printing) expands: minutes of CPU and gigabytes, or a
crash. And a key written twice silently keeps the last value. :func:`load_yaml` therefore

* refuses a document whose nodes, aliases expanded, exceed :data:`MAX_NODES`, or that nests
  deeper than :data:`MAX_DEPTH`, or refers to itself (a recursive alias);
* refuses a mapping that repeats a key, naming the key and both lines;
* refuses files larger than :data:`MAX_BYTES`;

each as a :class:`ConfigError` naming the file. Anchors and aliases within the limits stay
allowed (a shared block of scorecard entries is a legitimate use).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from evalkit.errors import ConfigError
from evalkit.i18n import Bilingual, Message, Text

MAX_NODES = 100_000
MAX_DEPTH = 64
MAX_BYTES = 1 << 20


class _Refused(Exception):
    def __init__(self, why: Message) -> None:
        super().__init__(str(why))
        self.why = why


def _check_size(root: yaml.Node) -> None:
    """Count the nodes of ``root`` with every alias expanded (each shared node once per use,
    memoised), refusing too many, too deep or recursive documents."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise _Refused(Message("errors.yamlsafe.why_depth", max=MAX_DEPTH))
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _Refused(Message("errors.yamlsafe.why_self_alias"))
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        active.discard(key)
        if total > MAX_NODES:
            raise _Refused(Message("errors.yamlsafe.why_too_many", max=MAX_NODES))
        sizes[key] = total
        return total

    size(root, 0)


class _Loader(yaml.SafeLoader):
    """``SafeLoader`` that checks the composed document and refuses repeated keys."""

    def compose_document(self):
        node = super().compose_document()
        if node is not None:
            _check_size(node)
        return node

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:       # an unhashable key: SafeConstructor reports it
                    continue
                line = key_node.start_mark.line + 1
                if first is not None:
                    raise _Refused(Message("errors.yamlsafe.why_duplicate_key", key=key,
                                           first=first, line=line))
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


_YAML_FILE = Message("labels.file.yaml")


def _named(what: Text | tuple[str, str]) -> Text:
    return Bilingual(*what) if isinstance(what, tuple) else what


def read_yaml_bytes(path: str | Path, what: Text | tuple[str, str] = _YAML_FILE) -> bytes:
    """The bytes of a YAML file, refused above :data:`MAX_BYTES`. ``what`` names the file in
    messages (a ``labels.file.*`` key, or an (English, Chinese) pair)."""
    path, what = Path(path), _named(what)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(Message("errors.yamlsafe.cannot_read", path=path, what=what,
                                  reason=exc.strerror)) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(Message("errors.yamlsafe.too_large", path=path, what=what,
                                  max=MAX_BYTES))
    return raw


def load_yaml(path: str | Path, what: Text | tuple[str, str] = _YAML_FILE) -> Any:
    """The plain data of the YAML file at ``path`` (UTF-8), within the limits above."""
    return loads_yaml(read_yaml_bytes(path, what), path, what)


def loads_yaml(raw: bytes, path: str | Path, what: Text | tuple[str, str] = _YAML_FILE) -> Any:
    """:func:`load_yaml` of bytes already read (``path`` names them in messages)."""
    what = _named(what)
    try:
        loader = _Loader(raw.decode("utf-8"))
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except _Refused as exc:
        raise ConfigError(Message("errors.yamlsafe.refused", path=path, what=what,
                                  why=exc.why)) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(Message("errors.yamlsafe.valid_utf_yaml", path=path, exc=exc)) from None
    except RecursionError:
        raise ConfigError(Message("errors.yamlsafe.nests_too_deeply", path=path,
                                  what=what)) from None
