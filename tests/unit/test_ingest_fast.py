"""The columnar ingest path equals the per-row definitions it replaced.

Each fast step is checked against the plain Python definition of the same thing: the CSV
splitter against ``csv.reader`` over the whole text, float text against ``repr``, the code check
against :func:`evalkit.io.uscc.is_valid_uscc`, number parsing against the pandas reference
below, and the content hash against pandas' ``to_csv`` serialisation.
"""

from __future__ import annotations

import csv
import hashlib
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import evalkit.io.validate as validate_mod
import evalkit.io.warehouse as wh
from evalkit.errors import DataError
from evalkit.io import validate_dir
from evalkit.io.arrowtext import float_text
from evalkit.io.convert import parse_numbers
from evalkit.io.csvsplit import from_records, split_csv
from evalkit.io.schemas import TABLE_ORDER, TABLES
from evalkit.io.uscc import ALPHABET, is_valid_uscc, make_uscc, valid_uscc_array
from tests.unit.test_io_data import clean_tables, dirty_tables, write_tables

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _records_by_csv_reader(data: bytes, file: str):
    """The definition: ``csv.reader`` over the whole decoded text."""
    text = data.decode("utf-8")
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return "csv.Error"
    return from_records(records, file)


def _outcome(fn):
    try:
        rec = fn()
    except DataError as exc:
        return ("error", str(exc))
    if isinstance(rec, str):
        return rec
    return (rec.headers, [c.to_pylist() for c in rec.columns], rec.rows.tolist(), rec.bad)


CELL = st.one_of(
    st.sampled_from(["", " ", "1", "1,234.5", "a b", '"', '""', "x\ny", "x\r\ny", "\t",
                     "\u3000", ",", "企业", "q\"q"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6),
)


@SETTINGS
@given(header=st.lists(st.sampled_from(["a", "b", "c", "", " "]), min_size=1, max_size=4),
       rows=st.lists(st.lists(CELL, max_size=5), max_size=12),
       quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
       newline=st.sampled_from(["\n", "\r\n"]),
       raw_lines=st.lists(st.sampled_from(["", "  ", ",,", "a,b", '"a,b",c', 'x"y,z',
                                           '"open', "\r", ",,,,,", '"a"b,c', 'a,"b"c',
                                           '"a""b",c', '""",c', ' "a",b', '"",""', '" ",a',
                                           '"a",""', '"a,b","c\r"', '"x"",y"',
                                           '\ufeffx,y', '\ufeff,"y"']),
                          max_size=3),
       tail=st.sampled_from(["", "\n", "\n\n", " \n"]))
def test_csv_splitter_equals_csv_reader(header, rows, quoting, newline, raw_lines, tail):
    buf = io.StringIO()
    w = csv.writer(buf, quoting=quoting, lineterminator=newline)
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    text = buf.getvalue() + newline.join(raw_lines) + tail
    data = text.encode("utf-8")
    want = _outcome(lambda: _records_by_csv_reader(data, "t.csv"))
    if want == "csv.Error":
        with pytest.raises(DataError, match="cannot be parsed"):
            split_csv(data, "t.csv")
        return
    assert _outcome(lambda: split_csv(data, "t.csv")) == want


def test_csv_splitter_with_a_byte_order_mark_and_a_long_file():
    lines = ["a,b,c"] + [f"{i},x{i},{i * 0.5}" for i in range(5000)]
    lines[100] = '"1,5",y,2'              # a quoted cell
    lines[200] = "1,2"                    # too few fields
    lines[300] = "1,2,3,,"                # extra empty fields: cut
    lines[400] = " , , "                  # blank
    data = ("\n".join(lines) + "\n\n").encode("utf-8")
    want = _outcome(lambda: _records_by_csv_reader(data, "t.csv"))
    assert _outcome(lambda: split_csv(b"\xef\xbb\xbf" + data, "t.csv", 3)) == want
    assert want[3] == [(201, 2)] and 401 not in want[2]


def test_fully_quoted_lines_take_the_arrow_path(monkeypatch):
    # An export that quotes every field: the plain quoted lines are split by Arrow, only the
    # header and the lines outside the plain form go through csv.reader -- with the same result.
    import evalkit.io.csvsplit as cs

    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow(["id", "name", "amount"])
    for i in range(3000):
        w.writerow([i, f'企业 "{i}", 有限公司', f"{i},5"])
    lines = buf.getvalue().split("\r\n")
    lines[10] = '"9","a"b,"1"'                  # a character after a closing quote
    lines[20] = '"9", "b","1"'                  # a space before an opening quote
    lines[30] = '"9","c"'                       # too few fields
    lines[40] = '"","",""'                      # blank
    data = "\r\n".join(lines).encode("utf-8")
    seen = []
    real = cs._parse_lines

    def spy(texts):
        seen.extend(texts)
        return real(texts)

    monkeypatch.setattr(cs, "_parse_lines", spy)
    got = _outcome(lambda: split_csv(data, "t.csv"))
    monkeypatch.setattr(cs, "_parse_lines", real)
    assert got == _outcome(lambda: _records_by_csv_reader(data, "t.csv"))
    assert len(seen) == 5                        # the header and the four lines above
    assert got[1][1][:2] == ['企业 "0", 有限公司', '企业 "1", 有限公司'] and got[3] == [(31, 2)]


def test_wide_quoted_files_and_a_leading_byte_order_mark_equal_csv_reader():
    # more than 1,001 columns: RE2 cannot express the plain-quoted form, csv.reader splits them
    wide = ",".join(f"c{i}" for i in range(1002)) + "\n" + ",".join('"v"' for _ in range(1002))
    # a byte-order mark opening a data line (Arrow's parser would drop it)
    bom = 'a,b\n\ufeff,"y"\n\ufeffx,y\nq,r\n'
    for text in (wide + "\n", bom):
        data = text.encode("utf-8")
        want = _outcome(lambda data=data: _records_by_csv_reader(data, "t.csv"))
        assert _outcome(lambda data=data: split_csv(data, "t.csv")) == want
    assert _outcome(lambda: split_csv(bom.encode("utf-8"), "t.csv"))[1][0][:2] == ["\ufeff",
                                                                                  "\ufeffx"]


def test_float_text_is_repr():
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2**63, 200_000, dtype=np.uint64)
    x = np.concatenate([bits.view(np.float64), np.round(rng.lognormal(10, 6, 50_000), 2),
                        10.0 ** np.arange(-320, 309), [0.0, -0.0, np.inf, -np.inf, np.nan,
                                                       5e-324, 1e16, 1e-4, 123456789.0]])
    want = [None if v != v else repr(v) for v in x.tolist()]
    assert float_text(x).to_pylist() == want


def test_uscc_check_on_arrow_equals_reference():
    rng = np.random.default_rng(3)
    codes = [make_uscc("".join(rng.choice(list(ALPHABET), 17))) for _ in range(500)]
    odd = ["", "91310104MA1FL0001", "91310104ma1fl0001q", "９1310104MA1FL0001Q", None,
           codes[0][:17] + "Z", codes[1][:-1] + "I"]
    allc = codes + odd
    arr = pa.chunked_array([pa.array(allc[:250], pa.large_string()),
                            pa.array(allc[250:], pa.large_string())])
    assert valid_uscc_array(arr).tolist() == [is_valid_uscc(c) for c in allc]


def _parse_numbers_reference(text: pd.Series):
    """The pandas definition the Arrow parser replaced."""
    grouped_re = r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?"
    plain_re = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    empty = (text == "").to_numpy()
    grouped = text.str.fullmatch(grouped_re).to_numpy(dtype=bool, na_value=False)
    cleaned = text.where(~grouped, text.str.replace(",", "", regex=False))
    plain = cleaned.str.fullmatch(plain_re).to_numpy(dtype=bool, na_value=False)
    values = pd.to_numeric(cleaned.where(plain, ""), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan, copy=True)
    bad = ~empty & (~plain | ~np.isfinite(values))
    values[bad | empty] = np.nan
    return values, bad


NUMBER = st.one_of(
    st.sampled_from(["", "0", "-0", "+0", "-0.0", "1,234", "1,234.5", "1,23", "12,345,678",
                     "1e999", "-1e-999", ".5", "5.", "+.5e3", "1_000", "inf", "nan", " 1",
                     "9007199254740993", "1e5", "0x10", "１２", "-", "1.2.3", "00012"]),
    st.from_regex(r"\A[+-]?[0-9]{1,20}(\.[0-9]{0,12})?([eE][+-]?[0-9]{1,3})?\Z"),
)


@SETTINGS
@given(cells=st.lists(NUMBER, min_size=1, max_size=20))
def test_number_parsing_equals_pandas_reference(cells):
    text = pd.Series(cells, dtype="str")
    got_v, got_bad = parse_numbers(text)
    want_v, want_bad = _parse_numbers_reference(text)
    assert got_bad.tolist() == want_bad.tolist()
    assert [repr(v) for v in got_v.tolist()] == [repr(v) for v in want_v.tolist()]


def _content_sha256_reference(accepted: dict[str, pd.DataFrame]) -> str:
    """The hash definition: pandas' CSV text of each canonical frame."""
    h = hashlib.sha256()
    for name in TABLE_ORDER:
        if name not in accepted:
            continue
        table = TABLES[name]
        df = accepted[name][list(table.column_names)].sort_values(
            list(table.key), na_position="last", kind="mergesort").reset_index(drop=True)
        for col in table.columns:
            if col.kind == "date":
                df[col.name] = df[col.name].dt.strftime("%Y-%m-%d")
        h.update(f"== {name}\n".encode())
        h.update(df.to_csv(index=False, lineterminator="\n", na_rep="\\N").encode("utf-8"))
    return h.hexdigest()


@pytest.mark.parametrize("dirty", [False, True])
def test_content_hash_equals_pandas_serialisation(tmp_path, monkeypatch, dirty):
    monkeypatch.setattr(validate_mod, "rule_checker", lambda: None)
    tables = dirty_tables()[0] if dirty else clean_tables()
    firms = tables["firms"]
    firms.loc[0, "name"] = 'O"Brien, 企业\nline two'      # quoted in CSV text
    firms.loc[1, "name"] = " padded\ttab "
    tables["budgets"].loc[0, "appropriation"] = "-0"
    rep = validate_dir(write_tables(tables, tmp_path))
    accepted = rep.accepted
    assert wh.content_sha256(accepted) == _content_sha256_reference(accepted)
    odd = dict(accepted)
    odd["firm_years"] = accepted["firm_years"].assign(
        revenue=[1e-7, 1e20, 0.1, np.nan, -0.0, 123.0, 2.5e15, 5e-324][:len(accepted["firm_years"])]
        + [1.0] * max(0, len(accepted["firm_years"]) - 8))
    assert wh.content_sha256(odd) == _content_sha256_reference(odd)
