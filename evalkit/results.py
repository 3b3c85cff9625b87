"""The results protocol: what every evalkit result object offers, and the pieces they share.

A result is a frozen dataclass holding arrays (never the raw data) that subclasses
:class:`Result`, which registers it in :data:`RESULT_CLASSES`. Every result offers

- ``tidy()``: a DataFrame whose first columns are :data:`TIDY_COLUMNS`, always all six and in
  this order: ``term`` (str, what the row estimates), ``estimate``, ``std_error``, ``conf_low``,
  ``conf_high``, ``p_value`` (floats; NaN where the result has no such quantity, e.g. a checklist
  or a budget-execution rate has no standard error). Columns particular to the result follow
  (``group``, ``time``, ``event`` for event studies, ``outcome``, ``policy_id``, ...), one row
  per estimate, in a stable order (the broom convention of R, as in pyfixest and linearmodels);
- ``summary()``: a plain-text summary (str), what ``repr()`` shows;
- ``to_dict()``: a JSON-safe dict (:func:`json_safe`);
- hashing: results are ``@dataclass(frozen=True, eq=False, repr=False)``: arrays have no
  value equality, so a result compares and hashes by identity (``eq=False``), and ``repr=False``
  leaves ``__repr__`` to :class:`Result`;
- display: ``repr()`` is the summary, bounded to :data:`REPR_MAX_LINES` lines (never raw
  arrays), and ``_repr_html_()`` (Jupyter) the tidy table as escaped HTML
  (:func:`evalkit.escape.html`).

``tests/contract/test_results_protocol.py`` walks the package, finds every class with a ``tidy``
or ``summary`` method or a name ending in ``Result``, requires it to subclass :class:`Result` and
checks the protocol on a real small instance of each (as scikit-learn's ``check_estimator``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np
import pandas as pd

TIDY_COLUMNS = ("term", "estimate", "std_error", "conf_low", "conf_high", "p_value")
#: Lines of the summary ``repr()`` shows; rows of the tidy table ``_repr_html_()`` shows.
REPR_MAX_LINES = 40
HTML_MAX_ROWS = 60
#: Every result class, in the order they were defined (filled by :class:`Result`).
RESULT_CLASSES: list[type] = []


class Result:
    """Base class of evalkit's results: registers the class and displays it (module doc).

    Subclasses are ``@dataclass(frozen=True, eq=False, repr=False)`` and define ``tidy()``,
    ``summary()`` and ``to_dict()``.
    """

    _protocol: ClassVar[tuple[str, ...]] = ("tidy", "summary", "to_dict")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        RESULT_CLASSES.append(cls)

    def tidy(self) -> pd.DataFrame:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def summary(self) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __repr__(self) -> str:
        lines = self.summary().splitlines() or [""]
        head = f"<{type(self).__name__}>"
        if len(lines) > REPR_MAX_LINES:
            more = len(lines) - REPR_MAX_LINES
            lines = [*lines[:REPR_MAX_LINES], f"... {more} more lines: .summary() shows all, "
                                               ".tidy() the table"]
        return "\n".join([head, *lines])

    def _repr_html_(self) -> str:
        """The tidy table as HTML for Jupyter; every cell and header escaped."""
        from evalkit import escape

        table = self.tidy()
        first = self.summary().splitlines()[:1] or [type(self).__name__]
        shown = table.head(HTML_MAX_ROWS)
        head = "".join(f"<th>{escape.html(c)}</th>" for c in shown.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape.html(_cell_text(v))}</td>" for v in row) + "</tr>"
            for row in shown.itertuples(index=False, name=None))
        note = (f"<p>{len(table) - HTML_MAX_ROWS} more rows: .tidy() has them all</p>"
                if len(table) > HTML_MAX_ROWS else "")
        return (f"<div><p><b>{escape.html(type(self).__name__)}</b>: {escape.html(first[0])}</p>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}</div>")


def _cell_text(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return "" if math.isnan(value) else f"{value:.6g}"
    if value is None or value is pd.NA:
        return ""
    return str(value)


class _HasName(Protocol):
    name: str


_Named = TypeVar("_Named", bound=_HasName)


def by_name(items: Iterable[_Named], name: str, what: str) -> _Named:
    """The first of ``items`` whose ``.name`` is ``name`` (a result's scenario, metric, ...);
    ``KeyError`` listing the ``what`` there are when none is."""
    items = tuple(items)
    for item in items:
        if item.name == name:
            return item
    raise KeyError(f"{name!r}; {what}: {[item.name for item in items]}")


def canonical(frame: pd.DataFrame, **front: Any) -> pd.DataFrame:
    """``frame`` with the :data:`TIDY_COLUMNS` first (missing ones added as NaN; ``term`` as
    str), then the ``front`` columns (name=value, inserted), then its other columns."""
    out = frame.copy()
    for c in TIDY_COLUMNS:
        if c not in out.columns:
            out[c] = np.nan
    for k, v in front.items():
        out[k] = v
    rest = [c for c in out.columns if c not in TIDY_COLUMNS and c not in front]
    out = out[[*TIDY_COLUMNS, *front, *rest]].reset_index(drop=True)
    out["term"] = out["term"].astype(str)
    return out


def normal_inference(estimate: np.ndarray, std_error: np.ndarray, alpha: float = 0.05,
                     crit: float | np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Pointwise (or, with ``crit``, uniform) normal confidence limits and two-sided p-values."""
    from scipy import stats  # lazy: importing scipy.stats costs ~0.4 s and ~60 MB

    est = np.asarray(estimate, dtype=float)
    se = np.asarray(std_error, dtype=float)
    c = stats.norm.ppf(1 - alpha / 2) if crit is None else crit
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    return {
        "conf_low": est - c * se,
        "conf_high": est + c * se,
        "p_value": 2 * stats.norm.sf(np.abs(z)),
    }


def tidy_frame(term, estimate, std_error, alpha: float = 0.05, crit=None,
               **extra_columns) -> pd.DataFrame:
    """Build a tidy DataFrame in the canonical column order."""
    inf = normal_inference(estimate, std_error, alpha, crit)
    df = pd.DataFrame({
        "term": list(term),
        "estimate": np.asarray(estimate, dtype=float),
        "std_error": np.asarray(std_error, dtype=float),
        **inf,
    })
    for k, v in extra_columns.items():
        df[k] = v
    return df


def json_safe(value: Any) -> Any:
    """Convert numpy / pandas values (recursively) into JSON-serialisable Python values.

    Non-finite floats become the strings ``"inf"``, ``"-inf"`` and ``None`` for NaN, so that a
    bundle is valid JSON and an infinite MVPF survives the round trip.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_safe(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return json_safe(value.to_dict(orient="list"))
    if isinstance(value, pd.Series):
        return json_safe(value.tolist())
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        if math.isnan(f):
            return None
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    if isinstance(value, np.bool_):
        return bool(value)
    return value
