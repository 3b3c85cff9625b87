"""Readers: encodings, Chinese headers with unit suffixes, xlsx/parquet twins, file-level errors."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

import evalkit.io.validate as validate_mod
from evalkit.errors import DataError
from evalkit.io import read_table_file, validate_dir
from evalkit.io.schemas import FIRM_YEARS, TABLES
from evalkit.io.uscc import ALPHABET, is_valid_uscc, make_uscc, valid_uscc_array
from tests.unit.test_io_data import clean_tables, write_tables


@pytest.fixture(autouse=True)
def no_rules(monkeypatch):
    monkeypatch.setattr(validate_mod, "rule_checker", lambda: None)


def _to_wan(text: str) -> str:
    """The same amount in 万元, as exact decimal text."""
    return format(Decimal(text) / Decimal(10000), "f")


def _chinese_wan_firm_years() -> pd.DataFrame:
    fy = clean_tables()["firm_years"].copy()
    for c in ("revenue", "tax_paid", "rd_expense"):
        fy[c] = fy[c].map(_to_wan)
    names = {c.name: c.zh for c in FIRM_YEARS.columns}
    fy = fy.rename(columns=names)
    return fy.rename(columns={"营业收入": "营业收入(万元)", "纳税总额": "纳税总额（万元）",
                              "研发费用": "研发费用 (万元)"})


def test_gbk_chinese_headers_in_wan_equal_utf8_twin_in_yuan(tmp_path):
    utf = write_tables(clean_tables(), tmp_path / "utf8")
    gbk = write_tables(clean_tables(), tmp_path / "gbk")
    (gbk / "firm_years.csv").unlink()
    _chinese_wan_firm_years().to_csv(gbk / "企业年度数据.csv", index=False, encoding="gbk")
    a = validate_dir(utf).tables["firm_years"]
    b = validate_dir(gbk).tables["firm_years"]
    assert a.encoding == "utf-8" and b.encoding == "gb18030"
    assert dict(b.units) == {"revenue": 1e4, "tax_paid": 1e4, "rd_expense": 1e4}
    assert b.headers["revenue"] == "营业收入(万元)"
    pd.testing.assert_frame_equal(a.accepted, b.accepted)
    assert a.accepted["revenue"].iloc[0] == 1_000_000.0


def test_bom_and_yi_yuan_full_width(tmp_path):
    t = clean_tables()
    b = t["budgets"].copy()
    b["appropriation"] = [format(Decimal(x) / Decimal(10**8), "f") for x in b["appropriation"]]
    b = b.rename(columns={"policy_id": "政策编号", "year": "年度", "appropriation": "预算金额（亿元）"})
    d = write_tables(t, tmp_path)
    (d / "budgets.csv").unlink()
    b.to_csv(d / "预算.csv", index=False, encoding="utf-8-sig")
    tr = validate_dir(d).tables["budgets"]
    assert tr.encoding == "utf-8-sig"
    assert tr.accepted["appropriation"].tolist() == [1e6, 1.2e6, 3e5, 3e5]


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Cells as a spreadsheet or Parquet writer would type them: numbers, dates, text."""
    out = {}
    for c in df.columns:
        s = df[c]
        num = pd.to_numeric(s, errors="coerce")
        if s.ne("").any() and num[s.ne("")].notna().all() and not c.endswith("_id"):
            out[c] = num
        elif c in ("date", "start_date", "end_date"):
            out[c] = pd.to_datetime(s.str.replace("/", "-"))
        else:
            out[c] = s.astype(object).where(s.ne(""), None)
    return pd.DataFrame(out)


def test_xlsx_and_parquet_twins_read_identically(tmp_path):
    tables = clean_tables()
    csv_rep = validate_dir(write_tables(tables, tmp_path / "csv"))
    (tmp_path / "xlsx").mkdir()
    (tmp_path / "parquet").mkdir()
    for name, df in tables.items():
        _typed(df).to_excel(tmp_path / "xlsx" / f"{name}.xlsx", index=False)
        _typed(df).to_parquet(tmp_path / "parquet" / f"{name}.parquet", index=False)
    for fmt in ("xlsx", "parquet"):
        rep = validate_dir(tmp_path / fmt)
        assert rep.quarantine.empty, rep.quarantine["message"].tolist()
        for name in tables:
            pd.testing.assert_frame_equal(rep.tables[name].accepted,
                                          csv_rep.tables[name].accepted, obj=f"{fmt}:{name}")


def test_parquet_rows_are_index_plus_two(tmp_path):
    fy = clean_tables()["firm_years"]
    fy.loc[3, "revenue"] = "n/a"
    fy.to_parquet(tmp_path / "firm_years.parquet", index=False)
    raw = read_table_file(tmp_path / "firm_years.parquet")
    assert raw.rows[3] == 5 and raw.encoding is None and raw.table == "firm_years"


def test_xlsx_typed_cells_keep_values(tmp_path):
    df = _typed(clean_tables()["disbursements"])
    df.to_excel(tmp_path / "拨付台账.xlsx", index=False)
    raw = read_table_file(tmp_path / "拨付台账.xlsx")
    assert raw.table == "disbursements"
    assert raw.frame["date"].tolist()[0] == "2019-03-01"
    assert raw.frame["amount"].tolist()[1] == "150000.5"
    assert raw.rows.tolist() == list(range(2, 8))


@pytest.mark.parametrize(("header", "needle"), [
    ("营业收入(美元)", "unknown unit"),
    ("从业人员(万元)", "not a money column"),
    ("turnover", "unknown header"),
])
def test_bad_headers_are_located_errors_listing_the_fix(tmp_path, header, needle):
    fy = clean_tables()["firm_years"]
    col = "employees" if "从业" in header else "revenue"
    fy = fy.rename(columns={col: header})
    fy.to_csv(tmp_path / "firm_years.csv", index=False)
    with pytest.raises(DataError) as exc:
        read_table_file(tmp_path / "firm_years.csv")
    err = exc.value
    assert needle in str(err)
    assert err.location.file.endswith("firm_years.csv") and err.location.column == header
    assert err.fix


def test_unknown_header_lists_accepted_names(tmp_path):
    fy = clean_tables()["firm_years"].rename(columns={"revenue": "turnover"})
    fy.to_csv(tmp_path / "firm_years.csv", index=False)
    with pytest.raises(DataError) as exc:
        read_table_file(tmp_path / "firm_years.csv")
    assert "营业收入" in exc.value.fix and "revenue" in exc.value.fix


def test_missing_required_and_duplicate_header(tmp_path):
    fy = clean_tables()["firm_years"]
    fy.drop(columns=["year"]).to_csv(tmp_path / "firm_years.csv", index=False)
    with pytest.raises(DataError, match=r"required column.*year"):
        read_table_file(tmp_path / "firm_years.csv")
    fy.assign(营业收入=fy["revenue"]).to_csv(tmp_path / "firm_years.csv", index=False)
    with pytest.raises(DataError, match="both name revenue"):
        read_table_file(tmp_path / "firm_years.csv")


def test_file_level_errors(tmp_path):
    (tmp_path / "firms.csv").write_bytes(b"")
    with pytest.raises(DataError, match="empty") as exc:
        read_table_file(tmp_path / "firms.csv")
    assert exc.value.location.file.endswith("firms.csv")
    (tmp_path / "lunch.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="names no known table"):
        read_table_file(tmp_path / "lunch.csv")
    (tmp_path / "firms.xlsx").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="Excel"):
        read_table_file(tmp_path / "firms.xlsx")
    (tmp_path / "firms.parquet").write_bytes(b"PAR1garbage")
    with pytest.raises(DataError, match="Parquet"):
        read_table_file(tmp_path / "firms.parquet")


def test_header_only_file_reads_zero_rows(tmp_path):
    clean_tables()["budgets"].iloc[:0].to_csv(tmp_path / "budgets.csv", index=False)
    raw = read_table_file(tmp_path / "budgets.csv")
    assert raw.n_read == 0 and list(raw.frame.columns) == list(TABLES["budgets"].column_names)


def test_two_files_for_one_table(tmp_path):
    d = write_tables(clean_tables(), tmp_path)
    (d / "企业名录.csv").write_bytes((d / "firms.csv").read_bytes())
    with pytest.raises(DataError, match="two files hold the table firms"):
        validate_dir(d)


def test_fast_uscc_check_agrees_with_reference():
    rng = np.random.default_rng(3)
    codes = [make_uscc("".join(rng.choice(list(ALPHABET), 17))) for _ in range(300)]
    mutated = [c[:k] + ALPHABET[(ALPHABET.index(c[k]) + 1) % 31] + c[k + 1:]
               for c, k in zip(codes, rng.integers(0, 18, 300), strict=True)]
    odd = ["", "91310104MA1FL0001", "91310104ma1fl0001q", "９1310104MA1FL0001Q", None, 5]
    allc = codes + mutated + odd
    assert valid_uscc_array(allc).tolist() == [is_valid_uscc(c) for c in allc]
    assert valid_uscc_array(codes).all() and not valid_uscc_array(mutated).any()
