"""Split a CSV file into records and columns exactly as Python's ``csv.reader`` does, fast.

The meaning of a CSV file is Python's: ``csv.reader`` with the default dialect over the decoded
text (records end at ``\\n``, ``\\r\\n`` or ``\\r``; quoted fields may hold commas, doubled quotes
and line breaks). Records are numbered as physical rows (header = 1). After the trailing blank
records are dropped, a record is

* skipped when blank (only whitespace in its cells), keeping its number;
* kept when it has the header's number of fields, or more fields whose extra cells are blank
  (cut to the header's width);
* bad otherwise: ``(row, number of fields)``.

Large files take the fast path: when every record is one line (no line break inside a quoted
field, no lone ``\\r``), the lines without quotes and with the header's number of commas, and the
quoted lines in the plain form (:func:`_plain_quoted`), are cut into columns by Arrow's CSV parser
(multi-threaded, no Python objects per cell), and only the other lines (other quoted lines,
wrong field counts, blank lines) go through ``csv.reader``, line by line. Files the fast path
cannot prove identical (a line break inside a quoted field, a lone ``\\r``, a header ending in
an empty column, a line longer than ``csv``'s field limit) are read with ``csv.reader`` whole;
both paths share :func:`classify`, the rules above.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from evalkit.errors import DataError
from evalkit.i18n import Message
from evalkit.io.arrowtext import WHITESPACE

_BLANK_LINE = f"^(?:,|{WHITESPACE})*$"
_UTF8_BOM = b"\xef\xbb\xbf"
#: A quoted line that might be blank (only commas, quotes and whitespace): left to csv.reader.
_QUOTED_BLANKISH = f'^(?:,|"|{WHITESPACE})*$'
#: RE2 refuses repetition counts above 1,000: wider files send their quoted lines to csv.reader.
_MAX_PLAIN_WIDTH = 1001
_PLAIN_FIELD = r'(?:[^",\r\n]*|"(?:[^"\r\n]|"")*")'


def _plain_quoted(width: int) -> str:
    """RE2 pattern of a line of ``width`` fields, each unquoted and free of quotes, or quoted
    as a whole with inner quotes doubled (what csv.writer and spreadsheet exports write); such
    a line means the same to csv.reader and to Arrow's parser with double quotes."""
    more = f"(?:,{_PLAIN_FIELD}){{{width - 1}}}" if width > 1 else ""
    return f"^{_PLAIN_FIELD}{more}\r?\n?$"


@dataclass
class Records:
    """The records of one table file: ``headers`` (first record, trailing empty columns cut),
    ``columns`` (one Arrow string array per header position, kept records only, cells as
    written), ``rows`` (int64, physical row of each kept record) and ``bad`` ((row, fields) of
    each record that cannot be split into the header's columns)."""

    headers: list[str]
    columns: list[pa.ChunkedArray]
    rows: np.ndarray
    bad: list[tuple[int, int]]


def _blank(rec: list[str]) -> bool:
    return not "".join(rec).strip()


def classify(records: list[list[str]], numbers: list[int], width: int
             ) -> tuple[list[list[str]], list[int], list[tuple[int, int]]]:
    """Kept records (cut to ``width``), their row numbers, and the bad rows; see the module."""
    kept: list[list[str]] = []
    rows: list[int] = []
    bad: list[tuple[int, int]] = []
    for i, rec in zip(numbers, records, strict=True):
        if len(rec) != width:
            if _blank(rec):
                continue
            if len(rec) > width and _blank(rec[width:]):
                rec = rec[:width]
            else:
                bad.append((i, len(rec)))
                continue
        elif _blank(rec):
            continue
        kept.append(rec)
        rows.append(i)
    return kept, rows, bad


def _columns_of(kept: list[list[str]], width: int) -> list[pa.ChunkedArray]:
    cols = list(zip(*kept, strict=True)) if kept else [() for _ in range(width)]
    return [pa.chunked_array([pa.array(list(c), pa.large_string())]) for c in cols]


def _empty(file: str) -> DataError:
    return DataError(Message("errors.io.csvsplit.file_empty"), file=file,
                     fix=Message("errors.io.csvsplit.fix_export_table_header_row"))


def _check_header(headers: list[str], file: str) -> None:
    if not any(h.strip() for h in headers):
        raise DataError(Message("errors.io.csvsplit.header_row_empty"), file=file, row=1,
                        fix=Message("errors.io.csvsplit.fix_put_column_names_first"))


def from_records(records: list[list[str]], file: str) -> Records:
    """Records already split (``csv.reader`` over a whole file, or a worksheet's rows)."""
    while records and _blank(records[-1]):
        records.pop()
    if not records:
        raise _empty(file)
    headers = list(records[0])
    while headers and not headers[-1].strip() and all(
            len(r) < len(headers) or not r[len(headers) - 1].strip() for r in records[1:]):
        headers.pop()  # a trailing empty column (separator after the last header)
    _check_header(headers, file)
    width = len(headers)
    kept, rows, bad = classify(records[1:], list(range(2, len(records) + 1)), width)
    return Records(headers, _columns_of(kept, width), np.asarray(rows, dtype=np.int64), bad)


def _parse_text(text: str, file: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise DataError(Message("errors.io.csvsplit.csv_cannot_parsed", exc=exc), file=file,
                        fix=Message("errors.io.csvsplit.fix_export_table_again_csv")) from None


def split_csv(data: bytes, file: str, start: int = 0) -> Records:
    """Split UTF-8 CSV bytes from ``start`` (after a byte-order mark) into :class:`Records`."""
    fast = _split_lines(data, start, file)
    if fast is not None:
        return fast
    return from_records(_parse_text(data[start:].decode("utf-8"), file), file)


def _line_offsets(arr: np.ndarray) -> np.ndarray:
    """Start of every line and the end of the data (len = lines + 1); a line holds its ``\\n``."""
    nl = np.flatnonzero(arr == 10)
    ends = nl + 1
    if len(ends) == 0 or ends[-1] != len(arr):
        ends = np.append(ends, len(arr))
    return np.concatenate([[0], ends]).astype(np.int64)


def _split_lines(data: bytes, start: int, file: str) -> Records | None:
    """The fast path, or ``None`` when only the whole-file ``csv.reader`` can tell."""
    import pyarrow.compute as pc

    view = memoryview(data)[start:]
    arr = np.frombuffer(view, dtype=np.uint8)
    if len(arr) == 0:
        raise _empty(file)
    if data.find(b"\r", start) >= 0 and data.count(b"\r", start) != data.count(b"\r\n", start):
        return None                                  # a lone \r ends a record
    offsets = _line_offsets(arr)
    if int(np.diff(offsets).max()) > csv.field_size_limit():
        return None                                  # csv.reader's field limit may apply
    n = len(offsets) - 1
    lines = pa.Array.from_buffers(pa.large_string(), n,
                                  [None, pa.py_buffer(offsets), pa.py_buffer(view)])
    quoted = (pc.match_substring(lines, '"').to_numpy(zero_copy_only=False)
              if data.find(b'"', start) >= 0 else np.zeros(n, dtype=bool))
    blank = pc.match_substring_regex(lines, _BLANK_LINE).to_numpy(zero_copy_only=False) & ~quoted

    def text_of(i: int) -> str:
        return bytes(view[offsets[i]:offsets[i + 1]]).decode("utf-8")

    parsed: dict[int, list[str]] = {}
    if quoted[0]:
        head = _parse_lines([text_of(0)])
        if head is None:
            return None                              # a quoted field spans lines
        parsed[0] = head[0]
    headers = parsed[0] if 0 in parsed else (_parse_lines([text_of(0)]) or [[]])[0]
    width = len(headers)
    # Quoted lines in the plain form (each field unquoted without quotes, or wholly quoted with
    # inner quotes doubled; the header's number of fields; not blank) split the same in Arrow's
    # parser as in csv.reader: Arrow takes them. Every other quoted line goes to csv.reader.
    simple = np.zeros(n, dtype=bool)
    body_quoted = np.flatnonzero(quoted[1:]) + 1
    if len(body_quoted) and width <= _MAX_PLAIN_WIDTH:
        sub = lines.take(pa.array(body_quoted))
        plain = pc.match_substring_regex(sub, _plain_quoted(width)).to_numpy(
            zero_copy_only=False)
        blankish = pc.match_substring_regex(sub, _QUOTED_BLANKISH).to_numpy(
            zero_copy_only=False)
        simple[body_quoted[plain & ~blankish]] = True
    special = np.flatnonzero(quoted & ~simple)
    special = special[special > 0].tolist()
    if special:
        recs = _parse_lines([text_of(i) for i in special])
        if recs is None:
            return None                              # a quoted field spans lines
        parsed.update(zip(special, recs, strict=True))
        blank[special] = [_blank(r) for r in recs]
    content = np.flatnonzero(~blank)
    if len(content) == 0:
        raise _empty(file)
    last = int(content[-1])                          # trailing blank records are dropped
    if headers and not headers[-1].strip():
        return None                                  # the trailing-empty-column rule
    _check_header(headers, file)

    body = np.arange(1, last + 1)
    commas = pc.count_substring(lines.slice(1, last), ",").to_numpy(zero_copy_only=False)
    unquoted = ~quoted[1:last + 1]
    regular = ~blank[1:last + 1] & ((unquoted & (commas == width - 1)) | simple[1:last + 1])
    odd = body[~regular & ~blank[1:last + 1]]        # wrong field count or quoted
    new = [i for i in odd.tolist() if i not in parsed]
    parsed.update(zip(new, _parse_lines([text_of(i) for i in new]) or [], strict=True))  # no quotes
    kept, kept_rows, bad = classify([parsed[i] for i in odd.tolist()],
                                    [i + 1 for i in odd.tolist()], width)
    reg_lines = body[regular]
    # Arrow's parser drops a byte-order mark at the start of its input, csv.reader keeps it:
    # leading lines that start with one go to csv.reader
    lead = 0
    while lead < len(reg_lines) and data.startswith(_UTF8_BOM,
                                                    start + int(offsets[reg_lines[lead]])):
        lead += 1
    if lead:
        firsts = reg_lines[:lead].tolist()
        reg_lines = reg_lines[lead:]
        recs = _parse_lines([text_of(i) for i in firsts])
        if recs is None:                             # pragma: no cover - plain lines
            return None
        more, more_rows, more_bad = classify(recs, [i + 1 for i in firsts], width)
        kept, kept_rows, bad = _merge_records(kept, kept_rows, bad, more, more_rows, more_bad)
    columns = _arrow_columns(view, offsets, reg_lines, width, quoting=bool(simple.any()))
    rows = reg_lines + 1
    if kept:
        columns, rows = _insert_rows(columns, rows, _columns_of(kept, width),
                                     np.asarray(kept_rows, dtype=np.int64))
    return Records(headers, columns, rows.astype(np.int64), bad)


def _merge_records(kept: list, rows: list, bad: list, more: list, more_rows: list,
                   more_bad: list) -> tuple[list, list, list]:
    """Two sets of records split by csv.reader, merged in row order."""
    order = sorted(range(len(rows) + len(more_rows)), key=(rows + more_rows).__getitem__)
    records, numbers = kept + more, rows + more_rows
    return ([records[i] for i in order], [numbers[i] for i in order],
            sorted(bad + more_bad))


def _insert_rows(columns: list[pa.ChunkedArray], rows: np.ndarray, extra: list[pa.ChunkedArray],
                 extra_rows: np.ndarray) -> tuple[list[pa.ChunkedArray], np.ndarray]:
    """Merge the records split by ``csv.reader`` into the Arrow columns, in row order: slices
    of the columns around the few inserted records (no copy), or one ``take`` for many."""
    at = np.searchsorted(rows, extra_rows)
    merged_rows = np.insert(rows, at, extra_rows)
    if len(extra_rows) > 10_000:
        order = np.argsort(np.concatenate([rows, extra_rows]), kind="stable")
        return ([pa.chunked_array(c.chunks + e.chunks).take(order)
                 for c, e in zip(columns, extra, strict=True)], merged_rows)
    out = []
    for col, ext in zip(columns, extra, strict=True):
        e = ext.combine_chunks()
        pieces, prev = [], 0
        for j, pos in enumerate(at.tolist()):
            pieces.append(col.slice(prev, pos - prev))
            pieces.append(pa.chunked_array([e.slice(j, 1)]))
            prev = pos
        pieces.append(col.slice(prev))
        out.append(pa.chunked_array([c for p in pieces for c in p.chunks if len(c)],
                                    type=pa.large_string()))
    return out, merged_rows


def _parse_lines(texts: list[str]) -> list[list[str]] | None:
    """``csv.reader`` over single lines, or ``None`` when a quoted field runs past its line."""
    if not texts:
        return []
    try:
        records = list(csv.reader(texts))
    except csv.Error:
        return None
    if len(records) != len(texts) or any("\n" in f for rec in records for f in rec):
        return None
    return records


def _arrow_columns(view: memoryview, offsets: np.ndarray, lines: np.ndarray, width: int,
                   quoting: bool = False) -> list[pa.ChunkedArray]:
    """Arrow's CSV parser over the given lines (``width`` fields each; without quotes, or with
    ``quoting`` in the plain quoted form of :func:`_plain_quoted`)."""
    if len(lines) == 0:
        return [pa.chunked_array([], pa.large_string()) for _ in range(width)]
    breaks = np.flatnonzero(np.diff(lines) != 1) + 1
    run_first = lines[np.concatenate([[0], breaks])]
    run_last = lines[np.concatenate([breaks - 1, [len(lines) - 1]])]
    parts = [view[offsets[a]:offsets[b + 1]] for a, b in zip(run_first.tolist(),
                                                            run_last.tolist(), strict=True)]
    if len(parts) == 1:
        buf = pa.py_buffer(parts[0])
    else:
        joined = b"".join(p if p[-1:] == b"\n" else bytes(p) + b"\n" for p in parts)
        buf = pa.py_buffer(joined)
    names = [f"c{i}" for i in range(width)]
    table = pacsv.read_csv(
        pa.BufferReader(buf),
        read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(delimiter=",", quote_char='"' if quoting else False,
                                         double_quote=quoting,
                                         escape_char=False, newlines_in_values=False,
                                         ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names,
                                                                        pa.large_string()),
                                             strings_can_be_null=False,
                                             quoted_strings_can_be_null=False,
                                             check_utf8=False))
    if table.num_rows != len(lines):
        raise RuntimeError(f"internal: Arrow read {table.num_rows} rows of {len(lines)} lines")
    return list(table.columns)
