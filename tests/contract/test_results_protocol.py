"""The results protocol (evalkit/results.py), checked on every result class.

As scikit-learn's ``check_estimator``: the test walks the package, finds every class that looks
like a result (a ``tidy`` or ``summary`` method, or a name ending in ``Result``), requires it to
subclass :class:`evalkit.results.Result`, and checks the protocol on a real small instance from
``factories.FACTORIES``. A new result class is found automatically and fails until it follows the
protocol and has a factory.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import pkgutil

import pandas as pd
import pytest

import evalkit
from evalkit.results import REPR_MAX_LINES, RESULT_CLASSES, TIDY_COLUMNS, Result
from tests.contract.factories import FACTORIES

#: Classes found by the walk that are not yet under the protocol, with the reason.
PENDING: dict[str, str] = {}
#: Packages not walked: the web app and the CLI import optional servers and hold no results.
SKIP_PREFIXES = ("evalkit.web", "evalkit.cli", "evalkit.__main__")


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _walk() -> list[type]:
    found = {}
    for m in pkgutil.walk_packages(evalkit.__path__, "evalkit."):
        if m.name.startswith(SKIP_PREFIXES):
            continue
        module = importlib.import_module(m.name)
        for obj in vars(module).values():
            if not inspect.isclass(obj) or obj.__module__ != module.__name__:
                continue
            looks = (callable(getattr(obj, "tidy", None)) or callable(getattr(obj, "summary", None))
                     or obj.__name__.endswith("Result"))
            if obj is not Result and (looks or issubclass(obj, Result)):
                found[_name(obj)] = obj
    return [found[k] for k in sorted(found)]


CLASSES = _walk()


def test_the_walk_finds_the_result_classes_and_the_registry_agrees():
    names = {_name(c) for c in CLASSES}
    assert len(names) >= 30
    for expected in ("evalkit.did.results.AggteResult", "evalkit.stages.monitor.MonitorResult",
                     "evalkit.fiscal.metrics.FiscalResult", "evalkit.stages.ex_post.ExPostResult"):
        assert expected in names
    registered = {_name(c) for c in RESULT_CLASSES}
    assert registered <= names
    assert names - registered == set(PENDING)


@pytest.mark.parametrize("cls", CLASSES, ids=_name)
def test_result_class_follows_the_protocol(cls):
    name = _name(cls)
    if name in PENDING:
        pytest.skip(PENDING[name])
    assert issubclass(cls, Result), f"{name} must subclass evalkit.results.Result"
    assert dataclasses.is_dataclass(cls)
    params = cls.__dataclass_params__
    assert params.frozen, f"{name}: results are frozen"
    assert not params.repr, f"{name}: declare repr=False (Result.__repr__ shows the summary)"
    assert name in FACTORIES, f"add a factory for {name} to tests/contract/factories.py"

    obj = FACTORIES[name]()
    assert type(obj) is cls
    # hashable: by value when every field is (eq=True), else by identity (eq=False)
    assert hash(obj) == hash(obj) and obj == obj
    if params.eq:
        assert obj == dataclasses.replace(obj)

    tidy = obj.tidy()
    assert isinstance(tidy, pd.DataFrame) and len(tidy) > 0
    assert tuple(tidy.columns[:len(TIDY_COLUMNS)]) == TIDY_COLUMNS, list(tidy.columns)
    assert all(isinstance(t, str) for t in tidy["term"])
    for col in TIDY_COLUMNS[1:]:
        assert pd.api.types.is_float_dtype(tidy[col]), (col, tidy[col].dtype)

    summary = obj.summary()
    assert isinstance(summary, str) and summary.strip()

    d = obj.to_dict()
    assert isinstance(d, dict)
    json.dumps(d, allow_nan=False)

    text = repr(obj)
    assert text.startswith(f"<{cls.__name__}>")
    assert len(text.splitlines()) <= REPR_MAX_LINES + 2
    assert "array(" not in text and len(text) < 8000, len(text)

    html = obj._repr_html_()
    assert html.count("<table>") == 1 and "<th>term</th>" in html


def test_display_is_short_and_escaped():
    from evalkit.fiscal.linear import LinearEstimate

    le = LinearEstimate(1.5, pd.Series([0.1, -0.1], index=["a", "b"]),
                        name="<script>alert(1)</script>")
    html = le._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert repr(le).splitlines()[1].startswith("<script>alert(1)</script>: 1.5")
