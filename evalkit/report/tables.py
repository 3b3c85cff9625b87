"""Tables as markdown pipe tables, the one table form both render paths turn into real tables
(with a caption and a cross-reference id when the cell has ``label: tbl-...`` and ``tbl-cap``)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from evalkit.errors import ConfigError

_ALIGN = {"left": ":---", "right": "---:", "center": ":---:"}


def _escape(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame, *, headers: Sequence[str] | None = None,
                   align: Sequence[str] | None = None) -> str:
    """``frame`` (already formatted as strings, one row per table row) as a pipe table.

    ``headers`` replace the column names; ``align`` is 'left' | 'right' | 'center' per column
    (default: right for numeric columns, left otherwise).
    """
    cols = list(frame.columns)
    headers = [str(c) for c in cols] if headers is None else list(headers)
    if len(headers) != len(cols):
        raise ConfigError(f"headers has {len(headers)} names for {len(cols)} columns",
                          zh=f"headers 有 {len(headers)} 个名称，但表格有 {len(cols)} 列")
    if align is None:
        align = ["right" if pd.api.types.is_numeric_dtype(frame[c]) else "left" for c in cols]
    align = list(align)
    bad = [a for a in align if a not in _ALIGN]
    if bad or len(align) != len(cols):
        raise ConfigError(f"align must give one of {tuple(_ALIGN)} per column; received {align!r}",
                          zh=f"align 须为每一列给出 {tuple(_ALIGN)} 之一；收到的是 {align!r}")
    lines = ["| " + " | ".join(_escape(h) for h in headers) + " |",
             "|" + "|".join(_ALIGN[a] for a in align) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_escape(v) for v in row) + " |")
    return "\n".join(lines) + "\n"
