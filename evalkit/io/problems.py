"""The problem table of a validation: one row per problem, with its message in both languages.

Shared by the row checks (:mod:`evalkit.io.validate`) and the warnings on accepted rows
(:mod:`evalkit.io.plausibility`): the columns (:data:`PROBLEM_COLUMNS`), the empty frame, the
messages naming the column by the file's own header, and the cell and group helpers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from evalkit.io.arrowtext import arrow_strings
from evalkit.io.readers import RawTable
from evalkit.io.reasons import message

__all__ = ["PROBLEM_COLUMNS", "cell_text", "empty_problems", "group_codes", "problem_messages",
           "value_at"]

PROBLEM_COLUMNS = ("file", "row", "column", "value", "reason", "message", "message_zh")


def empty_problems() -> pd.DataFrame:
    return pd.DataFrame({
        "file": pd.Series(dtype="str"), "row": pd.Series(dtype="Int64"),
        "column": pd.Series(dtype="str"), "value": pd.Series(dtype="str"),
        "reason": pd.Series(dtype="str"), "message": pd.Series(dtype="str"),
        "message_zh": pd.Series(dtype="str"),
    })


def problem_messages(raw: RawTable, reasons, rows, columns, values, details) -> dict[str, list[str]]:
    """Each problem's one-line message in English and in Chinese (``message``,
    ``message_zh``), naming the column by the file's own header."""
    headers = raw.header_map.headers
    parts = [(r, None if pd.isna(row) else int(row), headers.get(c, c) if c else None, v, d)
             for r, row, c, v, d in zip(reasons, rows, columns, values, details, strict=True)]
    return {key: [message(r, raw.file, row, c, v, d, lang) for r, row, c, v, d in parts]
            for key, lang in (("message", "en"), ("message_zh", "zh"))}


def value_at(detail: object, pos: np.ndarray) -> list:
    """A detail or value at the bad positions: a function of them, a Series, or one value."""
    if callable(detail):
        return list(detail(pos))
    if isinstance(detail, pd.Series):
        return detail.to_numpy(dtype=object)[pos].tolist()
    return [detail] * len(pos)


def cell_text(raw: RawTable, column: str, pos: np.ndarray) -> list[str]:
    """The cells of ``column`` at row positions ``pos``, as read."""
    return arrow_strings(raw.frame[column]).take(pa.array(pos, pa.int64())).to_pylist()


def group_codes(columns: list[pd.Series]) -> np.ndarray:
    """One int64 code per row for the combination of ``columns`` (missing values are a value
    of their own), numbered in order of first appearance."""
    code = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    for i, s in enumerate(columns):
        c, uniq = pd.factorize(s, use_na_sentinel=False)
        code = c.astype(np.int64) if i == 0 else pd.factorize(code * (len(uniq) + 1) + c)[0]
    return code.astype(np.int64, copy=False)
