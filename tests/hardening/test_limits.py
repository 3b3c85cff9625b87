"""Issue 18, items 13 and 14: input that would exhaust memory or silently change is refused, or
quarantined with its own reason (``read = accepted + quarantined`` still holds)."""

import time
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

import evalkit.io.readers as readers
import evalkit.io.validate as validate_mod
from evalkit.errors import ConfigError, DataError
from evalkit.io import read_table_file, validate_dir
from evalkit.io.convert import convert_column
from evalkit.io.schemas import TABLES
from evalkit.portfolio.scorecard import load_scorecard_spec
from evalkit.study import load_study
from tests.unit.test_io_data import clean_tables, write_tables

BOMB = "\n".join(
    ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    + ["stage: ex_post", "name: x", "data: {store: w.duckdb}", "policy: P01"]) + "\n"


def test_yaml_alias_bomb_is_refused_quickly(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    assert len(BOMB.encode()) < 700
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match="expands to more than") as exc:
        load_study(path)
    assert time.perf_counter() - t0 < 5
    assert "别名" in exc.value.text("zh")


def test_recursive_and_deep_yaml_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("stage: ex_post\nname: &x [*x]\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_study(path)
    path.write_text("stage: ex_post\nname: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="nest"):
        load_study(path)


def test_duplicate_yaml_key_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("stage: ex_post\nname: a\ndata: {store: w.duckdb}\npolicy: P01\n"
                    "inference:\n  seed: 1\n  seed: 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"key 'seed' appears twice \(lines 6 and 7\)"):
        load_study(path)
    card = tmp_path / "card.yaml"
    card.write_text("indicators: []\nindicators: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="appears twice"):
        load_scorecard_spec(card)


def test_moderate_aliases_stay_allowed(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("stage: ex_post\nname: &n x\ndata: {store: w.duckdb}\npolicy: P01\n"
                    "report: {notes: {zh: *n, en: *n}}\n", encoding="utf-8")
    study, _ = load_study(path)
    assert study.report.notes == {"zh": "x", "en": "x"}


# ------------------------------------------------------------------ tables (items 13 and 14)

@pytest.fixture
def no_rules(monkeypatch):
    monkeypatch.setattr(validate_mod, "rule_checker", lambda: None)


def _xlsx(path, frame: pd.DataFrame, formulas: dict | None = None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append(list(row))
    for cell, formula in (formulas or {}).items():
        ws[cell] = formula                 # openpyxl saves no computed value
    wb.save(path)
    return path


def _problems(tr) -> set:
    return set(zip(tr.quarantined["row"].astype(int), tr.quarantined["reason"], strict=True))


def test_xlsx_unpacking_beyond_the_cap_is_refused_before_reading(tmp_path, monkeypatch):
    frame = pd.DataFrame({"policy_id": ["P01"] * 20000, "year": range(20000),
                          "appropriation": [1.0] * 20000})
    path = _xlsx(tmp_path / "budgets.xlsx", frame)
    unpacked = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
    monkeypatch.setattr(readers, "XLSX_MAX_UNPACKED", unpacked - 1)
    monkeypatch.setattr(openpyxl, "load_workbook", None)        # never reached
    with pytest.raises(DataError, match="unpacks to"):
        read_table_file(path)


def test_xlsx_cells_beyond_the_cap_are_refused(tmp_path, monkeypatch):
    frame = pd.DataFrame({"policy_id": ["P01"] * 50, "year": range(2000, 2050),
                          "appropriation": [1.0] * 50})
    path = _xlsx(tmp_path / "budgets.xlsx", frame)
    monkeypatch.setattr(readers, "XLSX_MAX_CELLS", 100)
    with pytest.raises(DataError, match="more than 100 cells"):
        read_table_file(path)
    monkeypatch.setattr(readers, "XLSX_MAX_CELLS", 200)
    assert len(read_table_file(path).frame) == 50


def test_xlsx_formula_without_a_saved_value_is_quarantined(tmp_path, no_rules):
    tables = clean_tables()
    folder = write_tables({k: v for k, v in tables.items() if k != "firms"}, tmp_path)
    firms = tables["firms"].copy()
    # row 3 (firm 2): its exit year is a formula Excel never calculated; row 4: a literal
    _xlsx(folder / "firms.xlsx", firms, {"I3": "=2019+1", "I4": 2021})
    rep = validate_dir(folder)
    tr = rep.tables["firms"]
    assert _problems(tr) == {(3, "formula_without_value")}
    assert tr.n_read == tr.n_accepted + tr.n_quarantined == 5
    assert "公式" in tr.quarantined["message_zh"].item()
    assert tr.accepted["year_exited"].dropna().tolist() == [2021]


@pytest.mark.parametrize("value", ["99999", "-1", "20000000", "1899", "2101"])
def test_implausible_years_are_quarantined(value):
    col = TABLES["firm_years"].column("year")
    conv = convert_column(pd.Series(["2020", value], dtype="str"), col)
    (out,) = [p for p in conv.problems if p.mask.any()]
    assert out.reason == "out_of_range" and out.mask.tolist() == [False, True]
    assert conv.values.isna().tolist() == [False, True]


def test_a_huge_year_cell_is_quarantined_not_exhausting_memory(tmp_path, no_rules):
    tables = clean_tables()
    tables["firm_years"].loc[0, "year"] = "20000000"
    rep = validate_dir(write_tables(tables, tmp_path))
    assert _problems(rep.tables["firm_years"]) == {(2, "out_of_range")}


def test_numbers_are_checked_after_unit_scaling():
    col = TABLES["firm_years"].column("revenue")
    conv = convert_column(pd.Series(["1e301", "1.5", "2e7"], dtype="str"), col, 1e8)
    assert np.isfinite(conv.values.fillna(0)).all()
    (out,) = [p for p in conv.problems if p.mask.any()]
    assert out.reason == "out_of_range" and out.mask.tolist() == [True, False, True]
    assert conv.values.tolist()[1] == 150_000_000.0
    detail = out.detail(np.array([0, 2]))
    assert "unit" in detail[0].en and "1e+15" in detail[1].en


def test_integers_beyond_2_to_the_53_are_rejected():
    col = TABLES["firm_years"].column("employees")
    text = pd.Series(["9007199254740993", "9007199254740992", "9007199254740991"], dtype="str")
    conv = convert_column(text, col)
    (out,) = [p for p in conv.problems if p.mask.any()]
    assert out.reason == "out_of_range" and out.mask.tolist() == [True, True, False]
    assert conv.values.tolist()[2] == 9007199254740991


@pytest.mark.parametrize("majority,minority", [("gb18030", "utf-8"), ("utf-8", "gb18030")])
def test_a_file_mixing_encodings_is_refused(tmp_path, majority, minority):
    tables = clean_tables()
    firms = tables["firms"]
    lines = firms.to_csv(index=False).splitlines(keepends=True)
    data = b"".join(line.encode(minority if i == 3 else majority)
                    for i, line in enumerate(lines))
    (tmp_path / "firms.csv").write_bytes(data)
    with pytest.raises(DataError, match=r"mixes text encodings: 1 line\(s\) \(4\)"):
        read_table_file(tmp_path / "firms.csv")


def test_a_whole_gbk_file_is_still_read(tmp_path):
    tables = clean_tables()
    tables["firms"].to_csv(tmp_path / "firms.csv", index=False, encoding="gb18030")
    raw = read_table_file(tmp_path / "firms.csv")
    assert raw.encoding == "gb18030" and raw.frame["name"].tolist()[0] == "企业1"
