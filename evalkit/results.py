"""Shared conventions of evalkit's results objects.

Results are frozen dataclasses holding arrays (never the raw data). Each offers ``tidy()`` (a
DataFrame with columns ``term, estimate, std_error, conf_low, conf_high, p_value`` plus
``group``, ``time``, ``event`` where they apply), ``summary()``, ``to_dict()`` (JSON-safe) and a
``provenance`` mapping. This module holds the pieces they share.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

TIDY_COLUMNS = ("term", "estimate", "std_error", "conf_low", "conf_high", "p_value")


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
