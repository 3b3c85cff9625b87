"""Covariates that condition a staggered design on the outcome's base-period level.

Subsidies are awarded on last year's accounts (revenue thresholds, R&D intensity), so subsidised
firms are larger than their comparison firms, and with multiplicative growth the untreated change
of an outcome in levels is proportional to its level: unconditional parallel trends fail in
levels. Callaway & Sant'Anna (2021, Section 2) allow parallel trends conditional on covariates
taken in each cell's base period; conditioning on the base-period level of the outcome (or on a
column that drives it, ``level_col``), or on that level within each industry cluster together with
cluster dummies when growth rates differ across clusters, makes the outcome regression of
Sant'Anna & Zhao (2020) correctly specified under multiplicative cluster-specific growth.

One implementation for the ex-post stage (``design.base_outcome``) and the interim event study of
the monitoring stage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import pandas as pd

from evalkit.errors import DesignError, check_choice

__all__ = ["BASE_OUTCOME", "base_level_columns", "dummy_columns", "first_nonsingular"]

T = TypeVar("T")
R = TypeVar("R")

#: ``none``: no conditioning; ``level``: the base-period level; ``level_by_cluster``: the level
#: interacted with the firm's cluster, plus cluster dummies.
BASE_OUTCOME = ("none", "level", "level_by_cluster")


def dummy_columns(df: pd.DataFrame, col: str) -> tuple[pd.DataFrame, list[str]]:
    """0/1 columns ``"{col}={level}"`` for every level of ``col`` but the first (sorted)."""
    out = pd.DataFrame(index=df.index)
    names = []
    for lv in sorted(df[col].dropna().unique())[1:]:
        name = f"{col}={lv}"
        out[name] = (df[col] == lv).to_numpy(dtype=float)
        names.append(name)
    return out, names


def base_level_columns(df: pd.DataFrame, level_col: str, how: str,
                       cluster_dummies: bool = True) -> tuple[pd.DataFrame, list[str]]:
    """Covariate columns conditioning on ``level_col`` as ``how`` says (see the module): for
    ``level`` the column ``"{level_col}_level"``; for ``level_by_cluster`` one column
    ``"{level_col}_level:cluster={c}"`` per cluster and, with ``cluster_dummies``, the cluster
    dummies of :func:`dummy_columns`. The engine takes each cell's base-period values."""
    check_choice("base_outcome", how, BASE_OUTCOME)
    out = pd.DataFrame(index=df.index)
    names: list[str] = []
    if how == "none":
        return out, names
    level = pd.to_numeric(df[level_col], errors="coerce").astype(float)
    if how == "level":
        out[f"{level_col}_level"] = level
        return out, [f"{level_col}_level"]
    for lv in sorted(df["cluster"].unique()):
        name = f"{level_col}_level:cluster={lv}"
        out[name] = level.to_numpy() * (df["cluster"] == lv).to_numpy(dtype=float)
        names.append(name)
    if cluster_dummies:
        dummies, dummy_names = dummy_columns(df, "cluster")
        out = pd.concat([out, dummies], axis=1)
        names += dummy_names
    return out, names


def first_nonsingular(fit: Callable[[T], R], attempts: Sequence[T]
                      ) -> tuple[int, R, DesignError | None]:
    """``fit`` each attempt in turn (designs from the richest conditioning to none) until one is
    not singular: a :class:`DesignError` saying "singular" moves on to the next attempt; on the
    last attempt, and any other error, it propagates. Returns (index of the attempt used, its
    result, the singular error that made the previous attempt fail, or None)."""
    failed = None
    for k, attempt in enumerate(attempts):
        try:
            return k, fit(attempt), failed
        except DesignError as exc:
            if "singular" not in str(exc) or k == len(attempts) - 1:
                raise
            failed = exc
    raise ValueError("no attempt given")
