"""Malformed input never crashes the readers: it reads, or it raises a located DataError.

Random headers (known aliases, unit suffixes, noise), random cell text (numbers, Chinese,
separators, quotes, newlines), random encodings, truncated files, empty files, random bytes in
.xlsx / .parquet files. Whatever comes back satisfies read = accepted + quarantined.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.errors import DataError
from evalkit.io import read_table_file, validate_dir
from evalkit.io.aliases import load_aliases
from evalkit.io.schemas import TABLES
from evalkit.io.uscc import make_uscc

FIRM_HEADERS = sorted({a for a in (load_aliases().columns["firms"])})
CELLS = st.one_of(
    st.sampled_from(["", "1", "-3", "1,234.5", "1,2x3", "暂无", "2020-01-01", "是", "ai",
                     "人工智能", "small", "innovation;open", '"', ",", "\n", "nan", "inf",
                     make_uscc("91310104MA1FL0001"), "91310104MA1FL00010"]),
    st.text(max_size=12),
)
HEADER = st.one_of(
    st.sampled_from(FIRM_HEADERS),
    st.builds(lambda h, u: f"{h}{u}", st.sampled_from(FIRM_HEADERS),
              st.sampled_from(["(万元)", "（亿元）", "(元)", "(人)", "()", "("])),
    st.text(max_size=8),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"])
SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _csv_bytes(headers, rows, encoding) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    for r in rows:
        w.writerow(r)
    return buf.getvalue().encode(encoding, errors="replace")


def _check_outcome(path: Path) -> None:
    try:
        raw = read_table_file(path)
    except DataError as exc:
        assert exc.location.file, str(exc)
        assert str(path.name) in exc.location.file
        return
    assert raw.n_read == len(raw.frame) + len(raw.bad_rows)
    assert len(raw.rows) == len(raw.frame)
    assert set(raw.frame.columns) <= set(TABLES[raw.table].column_names)


def _check_dir(d: Path) -> None:
    try:
        rep = validate_dir(d)
    except DataError as exc:
        assert exc.location.file, str(exc)
        return
    for tr in rep.tables.values():
        assert tr.n_read == tr.n_accepted + tr.n_quarantined
        q = tr.quarantined
        assert q["row"].notna().all() and (q["row"] >= 2).all()
        assert q["message"].str.contains("\n").sum() == 0


@SETTINGS
@given(
    headers=st.lists(HEADER, min_size=0, max_size=10),
    rows=st.lists(st.lists(CELLS, min_size=0, max_size=11), max_size=8),
    encoding=ENCODINGS,
    cut=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
)
def test_random_csv_never_crashes(headers, rows, encoding, cut):
    data = _csv_bytes(headers, rows, encoding)
    if cut is not None:
        data = data[:cut]
    d = Path(tempfile.mkdtemp())
    try:
        (d / "firms.csv").write_bytes(data)
        _check_outcome(d / "firms.csv")
        _check_dir(d)
    finally:
        shutil.rmtree(d)


@SETTINGS
@given(
    drop=st.sets(st.sampled_from(list(TABLES["firms"].column_names)), max_size=3),
    cells=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 8), CELLS), max_size=12),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    cut=st.one_of(st.none(), st.integers(min_value=0, max_value=900)),
)
def test_damaged_valid_table_never_crashes(drop, cells, encoding, cut):
    from tests.unit.test_io_data import clean_tables

    firms = clean_tables()["firms"]
    for r, c, v in cells:
        firms.iloc[r, c] = v
    firms = firms.drop(columns=sorted(drop))
    data = firms.to_csv(index=False).encode(encoding, errors="replace")
    if cut is not None:
        data = data[:cut]
    d = Path(tempfile.mkdtemp())
    try:
        (d / "企业名录.csv").write_bytes(data)
        _check_outcome(d / "企业名录.csv")
        _check_dir(d)
    finally:
        shutil.rmtree(d)


@SETTINGS
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".xlsx", ".parquet", ".csv"]))
def test_random_bytes_never_crash(data, suffix):
    d = Path(tempfile.mkdtemp())
    try:
        (d / f"firms{suffix}").write_bytes(data)
        _check_outcome(d / f"firms{suffix}")
        _check_dir(d)
    finally:
        shutil.rmtree(d)


@settings(max_examples=40, deadline=None)
@given(
    cells=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 8), CELLS), max_size=10),
    cut=st.integers(min_value=0, max_value=4000),
    fmt=st.sampled_from([".xlsx", ".parquet"]),
)
def test_damaged_binary_formats_never_crash(cells, cut, fmt):
    from tests.unit.test_io_data import clean_tables

    firms = clean_tables()["firms"]
    for r, c, v in cells:
        firms.iloc[r, c] = v
    d = Path(tempfile.mkdtemp())
    try:
        p = d / f"firms{fmt}"
        if fmt == ".xlsx":  # a worksheet cannot hold control characters at all
            from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

            firms.map(lambda v: ILLEGAL_CHARACTERS_RE.sub("", v)).to_excel(p, index=False)
        else:
            firms.to_parquet(p, index=False)
        full = p.read_bytes()
        _check_outcome(p)
        p.write_bytes(full[:cut])
        _check_outcome(p)
        _check_dir(d)
    finally:
        shutil.rmtree(d)


def test_empty_and_whitespace_files(tmp_path):
    for content in (b"", b"\n\n", b"   \n", b",,,\n", b"\xef\xbb\xbf"):
        p = tmp_path / "firms.csv"
        p.write_bytes(content)
        try:
            read_table_file(p)
        except DataError as exc:
            assert exc.location.file == str(p)
        else:
            raise AssertionError(f"{content!r} should not read as a table")
