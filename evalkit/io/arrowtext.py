"""Text columns as Arrow arrays: Python's whitespace, float text as Python writes it, pandas views.

Ingest keeps every column as an Arrow array from the file to the warehouse; these helpers do the
few text operations whose exact result Python defines:

* :data:`WHITESPACE`: a regular-expression class of the characters ``str.strip`` removes (the
  same set as Arrow's ``utf8_trim_whitespace``);
* :func:`float_text`: ``repr(float)`` for every value of a float64 array (shortest round-trip
  digits, ``1e+20``, ``100.0``), computed by DuckDB;
* :func:`strip_text`: ``str.strip`` over a column, skipped when no byte can be whitespace;
* :func:`str_series` / :func:`arrow_strings`: pandas ``str`` Series over Arrow data and back,
  without copying or going through Python objects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _whitespace_class() -> str:
    chars = [chr(i) for i in range(0x3001) if chr(i).isspace()]
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"


#: RE2 character class of the characters ``str.isspace`` accepts (all below U+3001).
WHITESPACE = _whitespace_class()
#: First bytes (UTF-8) of every whitespace character: a column without them needs no strip.
_WHITESPACE_BYTES = np.zeros(256, dtype=bool)
for _c in (chr(i) for i in range(0x3001) if chr(i).isspace()):
    _WHITESPACE_BYTES[_c.encode()[0]] = True


def float_text(values: np.ndarray) -> pa.ChunkedArray:
    """``repr(v)`` for each float64 value as Arrow strings; NaN -> null.

    DuckDB's ``CAST(DOUBLE AS VARCHAR)`` writes exactly ``repr``'s text (shortest round-trip
    digits, ``100.0``, ``1e+20``, ``1e-05``, ``inf``; checked on millions of random bit patterns
    in the tests) and runs on every core; row order is kept.
    """
    import duckdb

    x = np.ascontiguousarray(values, dtype=np.float64)
    nan = np.isnan(x)
    tbl = pa.table({"x": pa.array(x, mask=nan if nan.any() else None)})
    con = duckdb.connect()
    try:
        con.register("_evalkit_floats", tbl)
        out = con.sql("SELECT CAST(x AS VARCHAR) AS s FROM _evalkit_floats").to_arrow_table()
    finally:
        con.close()
    return out.column("s")


def chunks_of(col: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(col.chunks) if isinstance(col, pa.ChunkedArray) else [col]


def value_bytes(chunk: pa.Array) -> np.ndarray:
    """The bytes of all values of one string chunk, concatenated (a view, no copy)."""
    if len(chunk) == 0 or chunk.buffers()[2] is None:
        return np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32 if chunk.type == pa.string()
                            else np.int64)[chunk.offset:chunk.offset + len(chunk) + 1]
    return np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]


def any_byte(col: pa.Array | pa.ChunkedArray, which: np.ndarray) -> bool:
    """Whether any value of the string column holds a byte ``b`` with ``which[b]`` true."""
    return any(which[value_bytes(chunk)].any() for chunk in chunks_of(col))


def byte_set(chars: bytes) -> np.ndarray:
    out = np.zeros(256, dtype=bool)
    out[np.frombuffer(chars, dtype=np.uint8)] = True
    return out


def may_have_whitespace(col: pa.Array | pa.ChunkedArray) -> bool:
    """False when no value of the string column holds a byte that starts a whitespace char."""
    return any_byte(col, _WHITESPACE_BYTES)


def only_where(col: pa.ChunkedArray, keep: np.ndarray) -> pa.ChunkedArray:
    """``col`` with the values where ``keep`` is false made null, sharing the string buffers
    where it can (no copy of the strings)."""
    out, start = [], 0
    for chunk in chunks_of(col):
        m = keep[start:start + len(chunk)]
        start += len(chunk)
        if m.all():
            out.append(chunk)
        elif chunk.offset == 0 and chunk.null_count == 0:
            validity = pa.array(m).buffers()[1]
            out.append(pa.Array.from_buffers(chunk.type, len(chunk),
                                             [validity, *chunk.buffers()[1:]]))
        else:
            out.append(pc.if_else(pa.array(m), chunk, pa.scalar(None, chunk.type)))
    return pa.chunked_array(out, type=col.type)


def strip_text(col: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """``str.strip`` of every value (Arrow's ``utf8_trim_whitespace``, the same set)."""
    return pc.utf8_trim_whitespace(col) if may_have_whitespace(col) else col


def str_series(col: pa.Array | pa.ChunkedArray) -> pd.Series:
    """A pandas ``str`` Series over the Arrow strings (no copy)."""
    if isinstance(col, pa.Array):
        col = pa.chunked_array([col], type=col.type)
    if col.type != pa.large_string():           # pandas keeps str data as large_string
        col = col.cast(pa.large_string())
    return col.to_pandas()


def arrow_strings(series: pd.Series) -> pa.ChunkedArray:
    """The Arrow strings under a pandas ``str`` Series (no copy when Arrow-backed)."""
    arr = series.array
    if hasattr(arr, "__arrow_array__"):
        out = arr.__arrow_array__()
        return out if isinstance(out, pa.ChunkedArray) else pa.chunked_array([out])
    return pa.chunked_array([pa.array(series.to_numpy(dtype=object), pa.string(),
                                      from_pandas=True)])
