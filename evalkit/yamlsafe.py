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
from evalkit.i18n import Message

MAX_NODES = 100_000
MAX_DEPTH = 64
MAX_BYTES = 1 << 20


class _Refused(Exception):
    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.zh = zh


def _check_size(root: yaml.Node) -> None:
    """Count the nodes of ``root`` with every alias expanded (each shared node once per use,
    memoised), refusing too many, too deep or recursive documents."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise _Refused(f"nests deeper than {MAX_DEPTH} levels", f"嵌套超过 {MAX_DEPTH} 层")
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _Refused("an alias refers to the node that contains it",
                           "别名引用了包含它自身的节点")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        active.discard(key)
        if total > MAX_NODES:
            raise _Refused(f"expands to more than {MAX_NODES:,} values (aliases of aliases)",
                           f"展开后超过 {MAX_NODES:,} 个值（别名的嵌套引用）")
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
                    raise _Refused(f"key {key!r} appears twice (lines {first} and {line})",
                                   f"键 {key!r} 出现两次（第 {first} 行和第 {line} 行）")
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml_bytes(path: str | Path, what: tuple[str, str] = ("YAML file", "YAML 文件")
                    ) -> bytes:
    """The bytes of a YAML file, refused above :data:`MAX_BYTES`. ``what`` names the file in
    messages (English, Chinese)."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what[0]} ({exc.strerror})",
                          zh=f"{path}：无法读取{what[1]}（{exc.strerror}）") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{path}: the {what[0]} is larger than {MAX_BYTES:,} bytes",
                          zh=f"{path}：{what[1]}超过 {MAX_BYTES:,} 字节")
    return raw


def load_yaml(path: str | Path, what: tuple[str, str] = ("YAML file", "YAML 文件")) -> Any:
    """The plain data of the YAML file at ``path`` (UTF-8), within the limits above."""
    return loads_yaml(read_yaml_bytes(path, what), path, what)


def loads_yaml(raw: bytes, path: str | Path, what: tuple[str, str] = ("YAML file", "YAML 文件")
               ) -> Any:
    """:func:`load_yaml` of bytes already read (``path`` names them in messages)."""
    try:
        loader = _Loader(raw.decode("utf-8"))
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except _Refused as exc:
        raise ConfigError(f"{path}: the {what[0]} is refused: {exc}",
                          zh=f"{path}：{what[1]}被拒绝：{exc.zh}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(Message("errors.yamlsafe.valid_utf_yaml", path=path, exc=exc)) from None
    except RecursionError:
        raise ConfigError(f"{path}: the {what[0]} nests too deeply",
                          zh=f"{path}：{what[1]}嵌套过深") from None
