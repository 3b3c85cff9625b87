"""Tables as markdown pipe tables, the one table form both render paths turn into real tables
(with a caption and a cross-reference id when the cell has ``label: tbl-...`` and ``tbl-cap``).

Cells and headers are inline markdown: text from data must already have gone through
:func:`evalkit.escape.markdown`; here a cell only loses its line breaks and has any pipe that is
not escaped escaped, so it stays in its cell."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from evalkit.errors import ConfigError
from evalkit.i18n import Message

_ALIGN = {"left": ":---", "right": "---:", "center": ":---:"}


#: A pipe preceded by an even number of backslashes (none included): not escaped.
_BARE_PIPE = re.compile(r"(?<!\\)((?:\\\\)*)\|")


def _cell(text: object) -> str:
    s = re.sub(r"[\r\n]+", " ", str(text))
    return _BARE_PIPE.sub(r"\1\\|", s)


def markdown_table(frame: pd.DataFrame, *, headers: Sequence[str] | None = None,
                   align: Sequence[str] | None = None) -> str:
    """``frame`` (already formatted as strings, one row per table row; text from data escaped
    with :func:`evalkit.escape.markdown`) as a pipe table.

    ``headers`` replace the column names; ``align`` is 'left' | 'right' | 'center' per column
    (default: right for numeric columns, left otherwise).
    """
    cols = list(frame.columns)
    headers = [str(c) for c in cols] if headers is None else list(headers)
    if len(headers) != len(cols):
        raise ConfigError(Message("errors.report.tables.headers_names_columns",
                                  n_headers=len(headers), n_cols=len(cols)))
    if align is None:
        align = ["right" if pd.api.types.is_numeric_dtype(frame[c]) else "left" for c in cols]
    align = list(align)
    bad = [a for a in align if a not in _ALIGN]
    if bad or len(align) != len(cols):
        raise ConfigError(Message("errors.report.tables.align_give_one_per", align=tuple(_ALIGN),
                                  align_2=align))
    lines = ["| " + " | ".join(_cell(h) for h in headers) + " |",
             "|" + "|".join(_ALIGN[a] for a in align) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"
