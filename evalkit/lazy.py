"""Names a package exports but imports only on first use (PEP 562).

``evalkit`` (the analyst's verbs) and ``evalkit.robust`` list their public names with the
module that defines each; :func:`lazy_exports` gives them the one ``__getattr__`` and
``__dir__`` that load a name when it is first asked for, so that importing the package stays
fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(namespace: dict[str, Any], names: Mapping[str, str]
                 ) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``(__all__, __getattr__, __dir__)`` for the package whose ``globals()`` is
    ``namespace``; ``names`` maps each public name to the module that defines it. A loaded name
    is stored in ``namespace``, so it is imported once."""
    package = namespace["__name__"]
    public = sorted(names)

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *public})

    return public, __getattr__, __dir__
