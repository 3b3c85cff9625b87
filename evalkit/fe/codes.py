"""Integer codes of units, periods and clusters for the fixed-effects numerics."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError
from evalkit.i18n import Message

__all__ = ["cluster_codes", "dense_codes", "factor_codes"]


def factor_codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(np.asarray(values), sort=True)
    return codes.astype(np.int64), len(uniques)


def cluster_codes(df: pd.DataFrame, clustervars: Sequence[str] | str | None) -> np.ndarray:
    if isinstance(clustervars, str):
        clustervars = (clustervars,)
    clustervars = tuple(clustervars or ())
    if len(clustervars) != 1:
        raise ConfigError(Message("errors.fe.codes.clustervars_name_exactly_one",
                                  clustervars=clustervars))
    return factor_codes(df[clustervars[0]])[0]


def dense_codes(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """Relabel (n,) non-negative codes to 0..m-1 (no gaps) as int32; returns (codes, m)."""
    present = np.bincount(codes) > 0
    if present.all():
        return codes.astype(np.int32, copy=False), int(present.size)
    lut = (np.cumsum(present) - 1).astype(np.int32)
    return lut[codes], int(present.sum())

