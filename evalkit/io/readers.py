"""Read one table file (CSV, Excel ``.xlsx`` or Parquet) as text, with its headers mapped.

Everything is read as text first, so that validation can convert column by column and point at
each bad cell. CSV encodings are detected: the bytes are decoded strictly as UTF-8 (with or
without a byte-order mark) and, failing that, as GB18030 (a superset of GBK and GB2312); the
encoding used is recorded. Excel files are read from their first sheet. The table is named by
the file stem through ``data/aliases.csv`` (``企业名录.xlsx`` is the firms table).

Row numbers are physical rows as a spreadsheet shows them: the header is row 1, the first record
row 2 (Parquet: index + 2). Entirely blank rows are skipped (they hold no data) but keep their
number. A CSV row with the wrong number of fields cannot be read column by column; it is
quarantined whole with reason ``wrong_field_count``.

Anything that prevents reading the file at all raises :class:`DataError` naming the file.
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.errors import DataError
from evalkit.io.aliases import HeaderMap, load_aliases, map_headers
from evalkit.io.schemas import TABLES

SUFFIXES = (".csv", ".xlsx", ".parquet")


@dataclass(frozen=True)
class RawTable:
    """One file read as text.

    ``frame`` has one ``str`` column per canonical column present in the file (empty cells are
    ``""``), one row per record; ``rows`` (int64, same length) holds each record's physical row.
    ``bad_rows`` lists records that could not be split into columns: physical row and number of
    fields. ``sha256`` is over the file's bytes.
    """

    path: str
    table: str
    encoding: str | None
    frame: pd.DataFrame
    rows: np.ndarray
    header_map: HeaderMap
    n_header_fields: int
    bad_rows: tuple[tuple[int, int], ...]
    sha256: str

    @property
    def file(self) -> str:
        return Path(self.path).name

    @property
    def n_read(self) -> int:
        return len(self.frame) + len(self.bad_rows)


def decode_text(data: bytes, file: str) -> tuple[str, str]:
    """Decode CSV bytes: strict UTF-8 (BOM allowed), else GB18030. Returns (text, encoding)."""
    try:
        text = data.decode("utf-8-sig")
        return text, ("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise DataError(
            f"the file is neither UTF-8 nor GB18030/GBK text (undecodable byte at offset "
            f"{exc.start})", file=file, fix="save the file as CSV in UTF-8 or GBK") from None


def _csv_records(path: Path) -> tuple[list[list[str]], str, bytes]:
    data = path.read_bytes()
    text, encoding = decode_text(data, str(path))
    if "\x00" in text:
        raise DataError("the file contains NUL bytes, it is not a text CSV", file=str(path),
                        fix="export the table again as CSV")
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise DataError(f"the CSV cannot be parsed: {exc}", file=str(path),
                        fix="export the table again as CSV (comma-separated)") from None
    return records, encoding, data


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v != v:
            return ""
        return repr(v)
    if isinstance(v, _dt.datetime):
        if v.time() == _dt.time(0):
            return v.date().isoformat()
        return v.isoformat(sep=" ")
    if isinstance(v, _dt.date):
        return v.isoformat()
    return str(v)


def _xlsx_records(path: Path) -> tuple[list[list[str]], bytes]:
    import openpyxl

    data = path.read_bytes()
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            records = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
    except DataError:
        raise
    except Exception as exc:  # openpyxl raises many types on a damaged workbook
        raise DataError(f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc})",
                        file=str(path), fix="save the file as .xlsx (Excel 2007 or later)"
                        ) from None
    return records, data


def _parquet_columns(path: Path) -> tuple[list[str], list[list[str]], bytes]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    data = path.read_bytes()
    try:
        tbl = pq.read_table(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... on a damaged file
        raise DataError(f"cannot be read as Parquet ({type(exc).__name__}: {exc})",
                        file=str(path), fix="write the file again as Parquet") from None
    headers = [str(n) for n in tbl.column_names]
    cols: list[list[str]] = []
    for name, col in zip(headers, tbl.columns, strict=True):
        typ = col.type
        if pa.types.is_nested(typ) or pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
            raise DataError(f"column {name!r} has type {typ}, expected plain values",
                            file=str(path), column=name, fix="store one scalar value per cell")
        if pa.types.is_floating(typ) or pa.types.is_timestamp(typ) or pa.types.is_date(typ):
            vals = [_cell_text(v) for v in col.to_pylist()]
        else:
            try:
                vals = pc.cast(col, pa.string()).fill_null("").to_pylist()
            except Exception as exc:  # any uncastable type is a data problem
                raise DataError(f"column {name!r} of type {typ} cannot be read as text ({exc})",
                                file=str(path), column=name,
                                fix="store numbers, text, dates or booleans") from None
        cols.append(vals)
    return headers, cols, data


def read_table_file(path: str | Path, table: str | None = None) -> RawTable:
    """Read one table file as text and map its headers onto the table's canonical columns.

    ``table`` defaults to the table named by the file stem (``data/aliases.csv``, kind=table).
    Raises :class:`DataError` (with the file) when the file cannot be read, names no table, or
    its headers do not fit the table.
    """
    path = Path(path)
    file = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(f"unsupported file type {path.suffix!r}", file=file,
                        fix="provide CSV, .xlsx or .parquet files")
    if not path.is_file():
        raise DataError("no such file", file=file, fix="check the path")
    name = table if table is not None else load_aliases().table_for_stem(path.stem, file)
    schema = TABLES[name]

    encoding: str | None = None
    if suffix == ".parquet":
        headers, columns, data = _parquet_columns(path)
        n = len(columns[0]) if columns else 0
        rows = np.arange(2, n + 2, dtype=np.int64)
        bad: list[tuple[int, int]] = []
        if not headers:
            raise DataError("the file has no columns", file=file,
                            fix="write the table with its columns")
    else:
        if suffix == ".csv":
            records, encoding, data = _csv_records(path)
        else:
            records, data = _xlsx_records(path)
        while records and not any(c.strip() for c in records[-1]):
            records.pop()
        if not records:
            raise DataError("the file is empty", file=file,
                            fix="export the table with its header row")
        headers = list(records[0])
        while headers and not headers[-1].strip() and all(
                len(r) < len(headers) or not r[len(headers) - 1].strip() for r in records[1:]):
            headers.pop()  # a trailing empty column (separator after the last header)
        if not any(h.strip() for h in headers):
            raise DataError("the header row is empty", file=file, row=1,
                            fix="put the column names in the first row")
        width = len(headers)
        kept: list[list[str]] = []
        row_numbers: list[int] = []
        bad = []
        for i, rec in enumerate(records[1:], start=2):
            if len(rec) != width:
                if not "".join(rec).strip():
                    continue
                if len(rec) > width and not "".join(rec[width:]).strip():
                    rec = rec[:width]
                else:
                    bad.append((i, len(rec)))
                    continue
            elif not "".join(rec).strip():
                continue
            kept.append(rec)
            row_numbers.append(i)
        rows = np.asarray(row_numbers, dtype=np.int64)
        columns = [list(c) for c in zip(*kept, strict=True)] if kept else [[] for _ in headers]

    nonempty = [any(v.strip() for v in col) for col in columns]
    hmap = map_headers(headers, schema, file, nonempty)
    frame = pd.DataFrame({
        canon: pd.array(col, dtype="str") for canon, col in zip(hmap.columns, columns,
                                                                strict=True)
        if canon is not None
    }, index=pd.RangeIndex(len(rows)))
    frame = frame.apply(lambda s: s.str.strip()) if len(frame.columns) else frame
    return RawTable(path=file, table=name, encoding=encoding, frame=frame, rows=rows,
                    header_map=hmap, n_header_fields=len(headers), bad_rows=tuple(bad),
                    sha256=hashlib.sha256(data).hexdigest())
