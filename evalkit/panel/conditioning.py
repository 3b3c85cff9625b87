"""Covariates that condition a staggered design on the outcome's base-period level.

Subsidies are awarded on last year's accounts (revenue thresholds, R&D intensity), so subsidised
firms are larger than their comparison firms, and with multiplicative growth the untreated change
of an outcome in levels is proportional to its level: unconditional parallel trends fail in
levels. Callaway & Sant'Anna (2021, Section 2) allow parallel trends conditional on covariates
taken in each cell's base period; conditioning on the base-period level of the outcome (or on a
column that drives it, ``level_col``), or on that level within each industry cluster together with
cluster dummies when growth rates differ across clusters, makes the outcome regression of
Sant'Anna & Zhao (2020) correctly specified under multiplicative cluster-specific growth.

Awards are also decided on last year's accounts *including their transitory part*: an R&D-intensity
threshold (R&D / revenue) picks firms whose revenue is temporarily low, a revenue score picks
firms whose revenue is temporarily high, and both revert afterwards, so a difference-in-
differences from the base year g - 1 counts the reversion as an effect (Heckman & Smith 1999,
"The pre-programme earnings dip and the determinants of participation in a social programme",
Economic Journal 109(457); Chabe-Ferret 2015, "Analysis of the bias of matching and
difference-in-difference under alternative earnings and selection processes", Journal of
Econometrics 185(1) 110-123). Conditioning on the columns the award was decided on, in the base
year (:func:`selection_columns`), compares awarded firms with comparison firms that looked alike
when the decision was made, whose transitory part is then the same in expectation.

One implementation for the ex-post stage (``design.base_outcome``) and the interim event study of
the monitoring stage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, check_choice
from evalkit.i18n import Message

__all__ = ["BASE_OUTCOME", "base_level_columns", "dummy_columns", "first_nonsingular",
           "selection_columns"]

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


def selection_columns(df: pd.DataFrame, columns: Sequence[str], logs: bool
                      ) -> tuple[pd.DataFrame, list[str]]:
    """Covariate columns for the selection variables ``columns`` (module doc): each column as it
    is (``"selection:{col}"``), or with ``logs`` its logarithm ``"selection:log_{col}"`` where
    positive and 0 elsewhere, plus the indicator ``"selection:{col}>0"`` when the column has
    zeros (Chen & Roth 2024 on logs with zeros: the
    indicator keeps firms without R&D comparable among themselves). Negative values or a
    missing column raise a :class:`DesignError` naming the column."""
    out = pd.DataFrame(index=df.index)
    names: list[str] = []
    for col in columns:
        if col not in df.columns:
            raise DesignError(Message("errors.panel.conditioning.design_selection_covariates_column",
                                      col=col, columns=sorted(map(str, df.columns))))
        x = pd.to_numeric(df[col], errors="coerce").astype(float)
        if not logs:
            out[f"selection:{col}"] = x
            names.append(f"selection:{col}")
            continue
        if (x < 0).any():
            raise DesignError(Message("errors.panel.conditioning.design_selection_covariates_negative",
                                      col=col))
        positive = x > 0
        out[f"selection:log_{col}"] = np.log(x.where(positive, 1.0)).where(x.notna())
        names.append(f"selection:log_{col}")
        if (~positive & x.notna()).any():
            out[f"selection:{col}>0"] = positive.astype(float).where(x.notna())
            names.append(f"selection:{col}>0")
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
