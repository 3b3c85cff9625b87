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

Columns stay Arrow arrays from the file to the frame (pandas ``str`` over Arrow): CSV records are
split by :mod:`evalkit.io.csvsplit` (Arrow's parser, ``csv.reader`` semantics), Parquet columns
are turned into text with Arrow and DuckDB casts (floats exactly as ``repr`` writes them), cells
are stripped with Arrow. No step goes through one Python object per cell, except Excel
worksheets (openpyxl) and CSV lines that ``csv.reader`` must split itself.

Anything that prevents reading the file at all raises :class:`DataError` naming the file.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from evalkit.errors import DataError
from evalkit.i18n import Message
from evalkit.io.aliases import HeaderMap, load_aliases, map_headers
from evalkit.io.arrowtext import WHITESPACE, float_text, str_series, strip_text
from evalkit.io.csvsplit import Records, from_records, split_csv
from evalkit.io.schemas import TABLES

SUFFIXES = (".csv", ".xlsx", ".parquet")
_BOM = b"\xef\xbb\xbf"


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
    #: cells the reader could not read faithfully: (physical row, header position, reason)
    flagged: tuple[tuple[int, int, str], ...] = ()

    @property
    def file(self) -> str:
        return Path(self.path).name

    @property
    def n_read(self) -> int:
        return len(self.frame) + len(self.bad_rows)


def _is_utf8(data: bytes) -> bool:
    """Strict UTF-8 validity (the same verdict as ``bytes.decode("utf-8")``), checked by Arrow
    without building the text."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    arr = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        arr.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


#: Characters of Chinese text: CJK ideographs, CJK punctuation, full-width forms.
_CHINESE = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _utf8_chinese(line: bytes) -> bool:
    """Whether a line with non-ASCII bytes is UTF-8 Chinese text (every non-ASCII character a
    Chinese one): GBK bytes almost never form such a line by chance."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    wide = [c for c in text if ord(c) > 0x7F]
    return all(_CHINESE.match(c) for c in wide)


def _check_one_encoding(data: bytes, file: str) -> None:
    """Refuse a file that is not UTF-8 throughout yet has lines of UTF-8 Chinese text beside
    lines in another encoding (GBK): one decoding would turn the others into mojibake."""
    arr = np.frombuffer(data, dtype=np.uint8)
    high = np.flatnonzero(arr >= 0x80)
    if len(high) == 0:
        return
    newline = np.flatnonzero(arr == 0x0A)
    line_of = np.unique(np.searchsorted(newline, high))        # 0-based lines with high bytes
    starts = np.concatenate([[0], newline + 1])[line_of]
    ends = np.concatenate([newline, [len(arr)]])[line_of]
    utf8, other = [], []
    for k, a, b in zip(line_of.tolist(), starts.tolist(), ends.tolist(), strict=True):
        (utf8 if _utf8_chinese(data[a:b]) else other).append(k + 1)
    if utf8 and other:
        few, kind = ((utf8, Message("errors.io.readers.encoding_utf8")) if len(utf8) <= len(other)
                     else (other, Message("errors.io.readers.encoding_other")))
        shown = ", ".join(str(n) for n in few[:5]) + (", ..." if len(few) > 5 else "")
        raise DataError(Message("errors.io.readers.mixed_encodings", n=len(few), shown=shown,
                                kind=kind), file=file,
                        fix=Message("errors.io.readers.fix_one_encoding"))


def utf8_bytes(data: bytes, file: str) -> tuple[bytes, int, str]:
    """CSV bytes as UTF-8: strict UTF-8 (a byte-order mark allowed), else GB18030 re-encoded.
    A file of mixed encodings (some lines UTF-8 Chinese text, others not) is refused.
    Returns (bytes, where the text starts (after the mark), encoding read)."""
    if _is_utf8(data):
        if data.startswith(_BOM):
            return data, len(_BOM), "utf-8-sig"
        return data, 0, "utf-8"
    _check_one_encoding(data, file)
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise DataError(Message("errors.io.readers.file_neither_utf_nor", start=exc.start),
                        file=file, fix=Message("errors.io.readers.fix_save_file_csv_utf")) from None
    return text.encode("utf-8"), 0, "gb18030"


def _csv_records(path: Path) -> tuple[Records, str, bytes]:
    data = path.read_bytes()
    body, start, encoding = utf8_bytes(data, str(path))
    if data.find(b"\x00") >= 0:      # a NUL byte is a NUL character in UTF-8 and GB18030
        raise DataError(Message("errors.io.readers.file_contains_nul_bytes"), file=str(path),
                        fix=Message("errors.io.readers.fix_export_table_again_csv"))
    return split_csv(body, str(path), start), encoding, data


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


#: Limits of an Excel workbook: the bytes its parts unpack to (as the zip declares them; Python's
#: zipfile never yields more than declared) and the cells of the sheet read (the widest table
#: has 11 columns, a sheet at most 1,048,576 rows).
XLSX_MAX_UNPACKED = 1 << 30
XLSX_MAX_CELLS = 12_000_000
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s/>]")


def _xlsx_has_formulas(data: bytes, file: str) -> bool:
    """Whether any worksheet of the workbook holds a formula (a ``<f>`` element); refuses a
    workbook that unpacks to more than :data:`XLSX_MAX_UNPACKED` bytes."""
    import zipfile

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return False                      # openpyxl reports the damaged workbook
    with zf:
        parts = zf.infolist()
        unpacked = sum(p.file_size for p in parts)
        if unpacked > XLSX_MAX_UNPACKED:
            raise DataError(Message("errors.io.readers.workbook_unpacks_bytes_more",
                                    unpacked=unpacked, xlsx_max_unpacked=XLSX_MAX_UNPACKED),
                            file=file, fix=Message("errors.io.readers.fix_save_table_csv_split"))
        for p in parts:
            if not p.filename.startswith("xl/worksheets/"):
                continue
            with zf.open(p) as f:
                tail = b""
                while chunk := f.read(1 << 22):
                    if _FORMULA_TAG.search(tail + chunk):
                        return True
                    tail = chunk[-16:]
    return False


def _xlsx_records(path: Path) -> tuple[Records, bytes, tuple[tuple[int, int, str], ...]]:
    """The first sheet's records, the bytes, and the cells holding a formula without a saved
    value ((physical row, header position, reason))."""
    import openpyxl

    data = path.read_bytes()
    file = str(path)
    formulas = _xlsx_has_formulas(data, file)
    too_many = DataError(Message("errors.io.readers.sheet_more_than_cells",
                                 xlsx_max_cells=XLSX_MAX_CELLS), file=file,
                         fix=Message("errors.io.readers.fix_save_table_csv_parquet"))
    flagged: list[tuple[int, int, str]] = []
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            records, cells = [], 0
            for row in ws.iter_rows(values_only=True):
                cells += len(row)
                if cells > XLSX_MAX_CELLS:
                    raise too_many
                records.append([_cell_text(v) for v in row])
        finally:
            wb.close()
        if formulas:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            try:
                for i, row in enumerate(wb.worksheets[0].iter_rows()):
                    for j, cell in enumerate(row):
                        if getattr(cell, "data_type", None) == "f" and not (
                                j < len(records[i]) and records[i][j]):
                            flagged.append((i + 1, j, "formula_without_value"))
            finally:
                wb.close()
    except DataError:
        raise
    except Exception as exc:  # openpyxl raises many types on a damaged workbook
        raise DataError(Message("errors.io.readers.cannot_read_excel_workbook",
                                type_name=type(exc).__name__, exc=exc), file=file,
                        fix=Message("errors.io.readers.fix_save_file_xlsx_excel")) from None
    return from_records(records, file), data, tuple(flagged)


def _per_value_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """:func:`_cell_text` of each distinct value (dates, timestamps), spread back by index."""
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(col).combine_chunks()
    uniq = [_cell_text(v) for v in enc.dictionary.to_pylist()]
    text = pa.array(uniq, pa.large_string()).take(enc.indices)
    return pa.chunked_array([text.fill_null("")])


def _parquet_text(name: str, col: pa.ChunkedArray, file: str) -> pa.ChunkedArray:
    """A Parquet column as the text :func:`_cell_text` would write for each value."""
    import pyarrow.compute as pc

    typ = col.type
    if pa.types.is_nested(typ) or pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
        raise DataError(Message("errors.io.readers.column_type_expected_plain", name=name,
                                typ=typ), file=file, column=name,
                        fix=Message("errors.io.readers.fix_store_one_scalar_value"))
    if pa.types.is_floating(typ):
        values = col.cast(pa.float64()).to_numpy()          # nulls -> NaN, written as ""
        return float_text(values).fill_null("").cast(pa.large_string())
    if pa.types.is_timestamp(typ) or pa.types.is_date(typ):
        return _per_value_text(col)
    try:
        return pc.cast(col, pa.large_string()).fill_null("")
    except Exception as exc:  # any uncastable type is a data problem
        raise DataError(Message("errors.io.readers.column_type_cannot_read", name=name, typ=typ,
                                exc=exc), file=file, column=name,
                        fix=Message("errors.io.readers.fix_store_numbers_text_dates")) from None


def _parquet_records(path: Path) -> tuple[Records, bytes]:
    import pyarrow.parquet as pq

    data = path.read_bytes()
    try:
        tbl = pq.read_table(pa.BufferReader(data))
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... on a damaged file
        raise DataError(Message("errors.io.readers.cannot_read_parquet",
                                type_name=type(exc).__name__, exc=exc), file=str(path),
                        fix=Message("errors.io.readers.fix_write_file_again_parquet")) from None
    headers = [str(n) for n in tbl.column_names]
    columns = [_parquet_text(name, col, str(path))
               for name, col in zip(headers, tbl.columns, strict=True)]
    if not headers:
        raise DataError(Message("errors.io.readers.file_columns"), file=str(path),
                        fix=Message("errors.io.readers.fix_write_table_columns"))
    rows = np.arange(2, tbl.num_rows + 2, dtype=np.int64)
    return Records(headers, columns, rows, []), data


def _has_text(col: pa.ChunkedArray) -> bool:
    """Whether any cell holds more than whitespace."""
    import pyarrow.compute as pc

    if len(col) == 0:
        return False
    blank = pc.match_substring_regex(col, f"^{WHITESPACE}*$")
    return not pc.all(blank).as_py()


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
        raise DataError(Message("errors.io.readers.unsupported_file_type", suffix=path.suffix),
                        file=file, fix=Message("errors.io.readers.fix_provide_csv_xlsx_parquet"))
    if not path.is_file():
        raise DataError(Message("errors.io.readers.such_file"), file=file,
                        fix=Message("errors.io.readers.fix_check_path"))
    name = table if table is not None else load_aliases().table_for_stem(path.stem, file)
    schema = TABLES[name]

    encoding: str | None = None
    flagged: tuple[tuple[int, int, str], ...] = ()
    if suffix == ".parquet":
        rec, data = _parquet_records(path)
    elif suffix == ".csv":
        rec, encoding, data = _csv_records(path)
    else:
        rec, data, flagged = _xlsx_records(path)

    headers = rec.headers
    # only an empty header needs to know whether its column holds anything
    nonempty = [True if " ".join(h.replace("\ufeff", "").split()) else _has_text(col)
                for h, col in zip(headers, rec.columns, strict=True)]
    hmap = map_headers(headers, schema, file, nonempty)
    frame = pd.DataFrame({
        canon: str_series(strip_text(col))
        for canon, col in zip(hmap.columns, rec.columns, strict=True) if canon is not None
    }, index=pd.RangeIndex(len(rec.rows)))
    return RawTable(path=file, table=name, encoding=encoding, frame=frame, rows=rec.rows,
                    header_map=hmap, n_header_fields=len(headers), bad_rows=tuple(rec.bad),
                    sha256=hashlib.sha256(data).hexdigest(), flagged=flagged)
