"""GB/T 4754-2017 tables and the 2017 statistical size classes (国统字〔2017〕213号)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit import reference
from evalkit.errors import ConfigError, DataError
from evalkit.io.schemas import SIZE_CLASSES
from evalkit.reference import (
    classify_size,
    load_divisions,
    load_sections,
    load_size_thresholds,
    section_of,
    sections_of,
    size_group_of,
)

WAN = 10_000.0  # yuan per 万元; the standard's table is in 万元


# ---------------------------------------------------------------- GB/T 4754-2017 tables
def test_twenty_sections_a_to_t():
    s = load_sections()
    assert list(s["code"]) == [chr(c) for c in range(ord("A"), ord("T") + 1)]
    assert s["name_zh"].str.len().min() > 0 and s["name_en"].str.len().min() > 0


def test_ninety_seven_divisions_contiguous_with_names():
    d = load_divisions()
    assert list(d.columns) == ["code", "section", "name_zh", "name_en"]
    assert list(d["code"]) == [f"{i:02d}" for i in range(1, 98)]
    assert d["name_zh"].is_unique and d["name_en"].is_unique
    assert (d["name_zh"].str.len() > 0).all() and (d["name_en"].str.len() > 0).all()


def test_section_ranges_agree_with_division_sections():
    s = load_sections()
    d = load_divisions()
    for _, row in s.iterrows():
        codes = d.loc[d["section"] == row["code"], "code"]
        assert codes.min() == row["division_first"] and codes.max() == row["division_last"]


@pytest.mark.parametrize("code,name_zh", [
    ("05", "农、林、牧、渔专业及辅助性活动"), ("11", "开采专业及辅助性活动"),
    ("39", "计算机、通信和其他电子设备制造业"), ("58", "多式联运和运输代理业"),
    ("59", "装卸搬运和仓储业"), ("65", "软件和信息技术服务业"), ("73", "研究和试验发展"),
    ("96", "基层群众自治组织及其他组织"), ("97", "国际组织"),
])
def test_known_division_names(code, name_zh):
    d = load_divisions().set_index("code")
    assert d.loc[code, "name_zh"] == name_zh


def test_loaders_return_copies():
    d = load_divisions()
    d.loc[0, "name_zh"] = "changed"
    assert d.loc[0, "name_zh"] == "changed"
    assert load_divisions().loc[0, "name_zh"] == "农业"


@pytest.mark.parametrize("code,section", [
    ("0111", "A"), ("05", "A"), ("0610", "B"), ("3911", "C"), ("4411", "D"), ("4700", "E"),
    ("5211", "F"), ("5910", "G"), ("6210", "H"), ("6510", "I"), ("I6510", "I"), ("6612", "J"),
    ("7010", "K"), ("7212", "L"), ("7310", "M"), ("7610", "N"), ("8010", "O"), ("8310", "P"),
    ("8511", "Q"), ("8610", "R"), ("9100", "S"), ("97", "T"),
])
def test_section_of(code, section):
    assert section_of(code) == section


@pytest.mark.parametrize("bad", ["98", "00", "6", "65100", "abc", "", "C6510", 6510, None])
def test_section_of_rejects_bad_codes(bad):
    with pytest.raises(DataError):
        section_of(bad)


def test_sections_of_keeps_index_and_locates_bad_code():
    s = pd.Series(["6510", "0111", "7020"], index=[10, 11, 12], dtype="string")
    out = sections_of(s)
    assert out.tolist() == ["I", "A", "K"] and out.index.tolist() == [10, 11, 12]
    with pytest.raises(DataError, match=r"99.*position\(s\) \[1\]"):
        sections_of(pd.Series(["6510", "9900"]))


# ---------------------------------------------------------------- size groups
@pytest.mark.parametrize("code,group", [
    ("0111", "agriculture"), ("0610", "industry"), ("3911", "industry"), ("4610", "industry"),
    ("4720", "construction"), ("5131", "wholesale"), ("5211", "retail"),
    ("5411", "transport"), ("5810", "transport"), ("5910", "transport"),
    ("5920", "warehousing"), ("5990", "warehousing"), ("6010", "postal"),
    ("6110", "accommodation"), ("6210", "catering"), ("6311", "information_transmission"),
    ("6432", "information_transmission"), ("6511", "software_it"), ("65", "software_it"),
    ("7010", "real_estate_development"), ("7020", "property_management"),
    ("7030", "other_unlisted"), ("7090", "other_unlisted"), ("7040", "not_covered"),
    ("7111", "leasing_business"), ("7221", "leasing_business"), ("7320", "other_unlisted"),
    ("8010", "other_unlisted"), ("8510", "other_unlisted"), ("8810", "other_unlisted"),
    ("5311", "not_covered"), ("6620", "not_covered"), ("8310", "not_covered"),
    ("8411", "not_covered"), ("9700", "not_covered"),
])
def test_size_group_of(code, group):
    assert size_group_of(code) == group


def test_every_division_has_a_size_group_or_asks_for_the_class():
    for code in load_divisions()["code"]:
        if code in ("59", "70"):
            with pytest.raises(DataError, match="4-digit class"):
                size_group_of(code)
        else:
            assert size_group_of(code) in set(load_size_thresholds()["group"])


def test_thresholds_in_yuan_and_monotone():
    t = load_size_thresholds().set_index("group")
    assert t.loc["industry", "revenue_large"] == 40_000 * WAN
    assert t.loc["software_it", "revenue_small"] == 50 * WAN
    for crit in ("employees", "revenue", "assets"):
        lg, md, sm = (t[f"{crit}_{s}"] for s in ("large", "medium", "small"))
        has = lg.notna()
        assert (md.notna() == has).all() and (sm.notna() == has).all()
        assert (lg[has] > md[has]).all() and (md[has] > sm[has]).all()
    # every group applies at least one criterion evalkit has
    assert (t["employees_small"].notna() | t["revenue_small"].notna()).all()
    # groups whose standard uses assets say in the notes how evalkit treats them
    for g in t.index[t["assets_small"].notna()]:
        assert "no assets" in t.loc[g, "notes"]


# ---------------------------------------------------------------- classification
# Boundary cases from the standard's table (营业收入 in 万元, 从业人员 in persons).
# Each row: code, revenue (万元), employees, expected class.
BOUNDARIES = [
    # 工业: X 1000/300/20, Y 40000/2000/300
    ("3911", 40000, 1000, "large"),
    ("3911", 40000, 999, "medium"),        # one criterion short of large -> 下划一档
    ("3911", 39999.99, 1000, "medium"),
    ("3911", 2000, 300, "medium"),
    ("3911", 1999.99, 5000, "small"),      # revenue below medium; employees large -> small
    ("3911", 300, 20, "small"),
    ("3911", 299.99, 5000, "micro"),       # micro needs only one criterion
    ("3911", 1e6, 19, "micro"),
    # 批发业: X 200/20/5, Y 40000/5000/1000
    ("5131", 40000, 200, "large"),
    ("5131", 5000, 20, "medium"),
    ("5131", 1000, 5, "small"),
    ("5131", 1000, 4, "micro"),
    ("5131", 999, 100, "micro"),
    # 零售业: X 300/50/10, Y 20000/500/100
    ("5211", 20000, 300, "large"),
    ("5211", 500, 50, "medium"),
    ("5211", 100, 10, "small"),
    ("5211", 99, 1000, "micro"),
    # 交通运输业: X 1000/300/20, Y 30000/3000/200
    ("5411", 30000, 1000, "large"),
    ("5411", 3000, 300, "medium"),
    ("5411", 2999, 300, "small"),
    ("5411", 200, 19, "micro"),
    # 仓储业: X 200/100/20, Y 30000/1000/100
    ("5920", 30000, 200, "large"),
    ("5920", 1000, 100, "medium"),
    ("5920", 100, 20, "small"),
    ("5920", 99, 20, "micro"),
    # 邮政业: X 1000/300/20, Y 30000/2000/100
    ("6010", 2000, 300, "medium"),
    ("6010", 100, 20, "small"),
    # 住宿业 / 餐饮业: X 300/100/10, Y 10000/2000/100
    ("6110", 10000, 300, "large"),
    ("6210", 2000, 100, "medium"),
    ("6210", 100, 10, "small"),
    ("6210", 100, 9, "micro"),
    # 信息传输业: X 2000/100/10, Y 100000/1000/100
    ("6410", 100000, 2000, "large"),
    ("6410", 100000, 1999, "medium"),
    ("6410", 1000, 100, "medium"),
    ("6410", 999, 100, "small"),
    # 软件和信息技术服务业: X 300/100/10, Y 10000/1000/50
    ("6510", 10000, 300, "large"),
    ("6510", 9999, 300, "medium"),
    ("6510", 1000, 100, "medium"),
    ("6510", 50, 10, "small"),
    ("6510", 49.99, 10, "micro"),
    ("6510", 50, 9, "micro"),
    # 物业管理: X 1000/300/100, Y 5000/1000/500
    ("7020", 5000, 1000, "large"),
    ("7020", 1000, 300, "medium"),
    ("7020", 500, 100, "small"),
    ("7020", 500, 99, "micro"),
    # revenue-only groups: 农林牧渔 Y 20000/500/50; 建筑业 Y 80000/6000/300;
    # 房地产开发经营 Y 200000/1000/100 (employees ignored)
    ("0111", 20000, 0, "large"),
    ("0111", 500, 0, "medium"),
    ("0111", 50, 0, "small"),
    ("0111", 49, 10**6, "micro"),
    ("4720", 80000, 0, "large"),
    ("4720", 6000, 0, "medium"),
    ("4720", 300, 0, "small"),
    ("4720", 299, 0, "micro"),
    ("7010", 200000, 0, "large"),
    ("7010", 1000, 0, "medium"),
    ("7010", 100, 0, "small"),
    ("7010", 99, 0, "micro"),
    # employee-only groups: 租赁和商务服务业, 其他未列明行业 X 300/100/10 (revenue ignored)
    ("7212", 0, 300, "large"),
    ("7212", 0, 100, "medium"),
    ("7212", 0, 10, "small"),
    ("7212", 1e9, 9, "micro"),
    ("7310", 0, 300, "large"),
    ("7310", 0, 299, "medium"),
    ("7310", 0, 99, "small"),
    ("7310", 0, 9, "micro"),
]


@pytest.mark.parametrize("code,rev_wan,emp,expected", BOUNDARIES)
def test_classify_size_boundaries(code, rev_wan, emp, expected):
    assert classify_size(code, rev_wan * WAN, emp) == expected


def test_classify_size_vectorised_matches_scalar():
    codes = [b[0] for b in BOUNDARIES]
    rev = np.array([b[1] for b in BOUNDARIES], dtype=float) * WAN
    emp = np.array([b[2] for b in BOUNDARIES], dtype=float)
    out = classify_size(codes, rev, emp)
    assert isinstance(out, np.ndarray)
    assert out.tolist() == [b[3] for b in BOUNDARIES]
    idx = pd.RangeIndex(100, 100 + len(codes))
    s = classify_size(pd.Series(codes, index=idx, dtype="string"), pd.Series(rev, index=idx),
                      pd.Series(emp, index=idx))
    assert isinstance(s, pd.Series) and s.index.equals(idx)
    assert s.tolist() == out.tolist()
    assert set(out) <= set(SIZE_CLASSES)


def test_classify_size_broadcasts_scalar_code():
    out = classify_size("6510", np.array([1e8, 1e7, 5e5, 1.0]), np.array([300, 100, 10, 10]))
    assert out.tolist() == ["large", "medium", "small", "micro"]


def test_classify_size_agrees_with_direct_rule_on_random_firms():
    """Independent re-statement of the rule: class = best of {large, medium, small} whose lower
    bounds are all met, else micro."""
    rng = np.random.default_rng(4754)
    n = 2000
    rev = np.exp(rng.uniform(np.log(1e4), np.log(1e10), n))
    emp = np.floor(np.exp(rng.uniform(0, np.log(5000), n)))
    out = classify_size("3911", rev, emp)  # 工业
    expected = np.where((rev >= 4e8) & (emp >= 1000), "large",
                        np.where((rev >= 2e7) & (emp >= 300), "medium",
                                 np.where((rev >= 3e6) & (emp >= 20), "small", "micro")))
    assert (out == expected).all()
    assert set(out) == set(SIZE_CLASSES)


@pytest.mark.parametrize("code", ["9900", "00", "abc", "59", "70"])
def test_classify_size_unknown_or_ambiguous_code(code):
    with pytest.raises(DataError):
        classify_size(code, 1e6, 10)


def test_classify_size_locates_bad_code_in_array():
    with pytest.raises(DataError, match=r"position\(s\) \[2\]"):
        classify_size(["6510", "6510", "9812"], [1.0, 1.0, 1.0], [1, 1, 1])


def test_classify_size_missing_needed_value():
    with pytest.raises(DataError, match=r"revenue.*position"):
        classify_size(["6510", "6510"], [1e6, np.nan], [10, 10])
    with pytest.raises(DataError, match="employees"):
        classify_size("6510", 1e6, -1)
    # employees not used by a revenue-only group: missing employees is fine
    assert classify_size("0111", 100 * WAN, np.nan) == "small"


def test_classify_size_length_mismatch():
    with pytest.raises(DataError, match="different lengths"):
        classify_size(["6510", "6510"], [1.0, 2.0, 3.0], 10)


def test_missing_data_folder_is_a_config_error(monkeypatch, tmp_path):
    monkeypatch.setattr(reference, "DATA_DIR", tmp_path)
    with pytest.raises(ConfigError, match="not found"):
        reference._read(reference.SECTIONS_FILE)
