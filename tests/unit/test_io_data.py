"""A small hand-made district (clean, and with one known fault per reason code) for the io tests.

``clean_tables()`` returns the six tables as text DataFrames with canonical headers;
``dirty_tables()`` returns them with faults on known rows and ``EXPECTED``: the physical row
(header = 1) and reason of every quarantined problem and warning.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evalkit.io import validate_dir
from evalkit.io.uscc import make_uscc

YEARS = (2018, 2019, 2020, 2021)


def firm_code(i: int) -> str:
    return make_uscc(f"91310104MA1FL{i:04d}")


FIRMS = [firm_code(i) for i in range(1, 6)]


def clean_tables() -> dict[str, pd.DataFrame]:
    firms = pd.DataFrame({
        "firm_id": FIRMS,
        "name": [f"企业{i}" for i in range(1, 6)],
        "industry_code": ["6511", "7320", "6311", "2710", "7240"],
        "cluster": ["ai", "人工智能", "rd_services", "life_health", "other"],
        "area": ["binjiang", "徐家汇", "caohejing", "huajing", "other"],
        "five_type_tags": ["innovation;open", "", "创新型；总部型", "service", ""],
        "size_class": ["small", "中型", "large", "micro", "small"],
        "year_registered": ["2010", "2012", "2015", "2016", "2005"],
        "year_exited": ["", "", "", "", ""],
    })
    rows = []
    for i, f in enumerate(FIRMS):
        for y in YEARS:
            base = (i + 1) * 1_000_000 * (1 + 0.1 * (y - 2018))
            rows.append({
                "firm_id": f, "year": str(y), "revenue": f"{base:.2f}",
                "tax_paid": f"{base * 0.05:.2f}", "rd_expense": f"{base * 0.08:.2f}",
                "employees": str(10 * (i + 1) + y - 2018), "invention_patents": str(i),
                "pct_applications": "0", "high_tech": "是" if i % 2 else "否",
                "listed": "false", "headquarters": "0",
            })
    firm_years = pd.DataFrame(rows)
    policies = pd.DataFrame({
        "policy_id": ["P01", "P02"],
        "name_zh": ["研发资助", "房租补贴"],
        "name_en": ["R&D grant", "rent subsidy"],
        "department": ["科委", "商务委"],
        "objective": ["innovation", "服务型"],
        "instrument": ["grant", "rent_subsidy"],
        "start_date": ["2018-01-01", "2019-01-01"],
        "end_date": ["2021-12-31", "2021-06-30"],
        "eligibility_rule": ["revenue >= 1000000", "employees >= 10"],
        "cap_per_firm": ["500000", "200000"],
        "kpis": ["rd_expense", ""],
    })
    budgets = pd.DataFrame({
        "policy_id": ["P01", "P01", "P02", "P02"],
        "year": ["2020", "2021", "2020", "2021"],
        "appropriation": ["1000000", "1200000", "300000", "300000"],
    })
    disb = pd.DataFrame({
        "record_id": [f"R{i:03d}" for i in range(1, 7)],
        "policy_id": ["P01", "P01", "P02", "P01", "P02", "P01"],
        "firm_id": [FIRMS[0], FIRMS[1], FIRMS[2], FIRMS[3], FIRMS[0], FIRMS[0]],
        "date": ["2019-03-01", "2019-04-15", "2020-05-01", "2020/06/01", "2021-01-10",
                 "2021-02-01"],
        "amount": ["100000", "150000.5", "50000", "80000", "20000", "200000"],
        "tranche": ["1", "1", "1", "1", "1", "2"],
        "project_ref": ["X1", "", "X3", "X4", "", "X6"],
    })
    kpi = pd.DataFrame({
        "indicator": ["pct_applications", "rd_expense"],
        "level": ["district", "policy"],
        "policy_id": ["", "P01"],
        "target": ["450", "1.5e7"],
        "unit": ["件", "元"],
        "target_year": ["2025", "2025"],
        "baseline": ["300", ""],
        "baseline_year": ["2020", ""],
    })
    return {"firms": firms, "firm_years": firm_years, "policies": policies, "budgets": budgets,
            "disbursements": disb, "kpi_targets": kpi}


def write_tables(tables: dict[str, pd.DataFrame], out: Path, encoding: str = "utf-8") -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(out / f"{name}.csv", index=False, encoding=encoding)
    return out


def _set(df: pd.DataFrame, row: int, column: str, value: str) -> None:
    """Set the cell at physical ``row`` (header = 1)."""
    df.loc[row - 2, column] = value


BAD_FIRM = firm_code(5)[:17] + ("0" if firm_code(5)[17] != "0" else "1")
UNKNOWN_FIRM = firm_code(99)


def dirty_tables() -> tuple[dict[str, pd.DataFrame], dict[str, set], dict[str, set]]:
    """Tables with faults, the expected quarantine ``{table: {(row, reason)}}`` and the expected
    warnings ``{table: {(row or firm_id, reason)}}``."""
    t = clean_tables()
    q: dict[str, set] = {k: set() for k in t}
    w: dict[str, set] = {k: set() for k in t}

    firms = t["firms"]
    _set(firms, 6, "firm_id", BAD_FIRM)                     # firm 5: bad check character
    q["firms"].add((6, "bad_uscc"))
    _set(firms, 3, "cluster", "太空")
    q["firms"].add((3, "bad_category"))                     # firm 2 rejected
    _set(firms, 4, "year_registered", "二〇一五")
    q["firms"].add((4, "not_a_number"))                     # firm 3 rejected
    dup = firms.iloc[[0]].copy()                            # row 7: copy of row 2 (firm 1)
    firms = pd.concat([firms, dup], ignore_index=True)
    q["firms"].add((7, "duplicate_key"))
    t["firms"] = firms
    # accepted firms: 1 and 4

    fy = t["firm_years"]            # rows 2-5 firm 1, 6-9 firm 2, 10-13 firm 3, 14-17 firm 4, ...
    for row in range(6, 14):
        q["firm_years"].add((row, "unknown_firm"))          # firms 2 and 3 were rejected
    for row in range(18, 22):
        q["firm_years"].add((row, "unknown_firm"))          # firm 5: its code fails in firms
    _set(fy, 3, "revenue", "暂无")
    q["firm_years"].add((3, "not_a_number"))
    _set(fy, 4, "tax_paid", "-5")
    q["firm_years"].add((4, "negative_value"))
    _set(fy, 15, "employees", "1,2x3")
    q["firm_years"].add((15, "not_a_number"))
    _set(fy, 16, "high_tech", "maybe")
    q["firm_years"].add((16, "bad_category"))
    _set(fy, 5, "rd_expense", "1,234,567.5")                # thousands separators: accepted
    _set(fy, 14, "revenue", "400.00")                       # 4,000,000 yuan typed in 万元
    w["firm_years"].add((14, "unit_jump"))
    extra = fy.iloc[[0]].copy()                             # row 22: same key as row 2
    extra["revenue"] = "999"
    extra2 = fy.iloc[[0]].copy()                            # row 23: firm unknown everywhere
    extra2["firm_id"] = UNKNOWN_FIRM
    extra3 = fy.iloc[[0]].copy()                            # row 24: missing year
    extra3["year"] = ""
    fy = pd.concat([fy, extra, extra2, extra3], ignore_index=True)
    q["firm_years"] |= {(22, "duplicate_key"), (23, "unknown_firm"), (24, "missing_required")}
    # firm 1 loses years 2019 and 2020 (rows 3, 4) -> a gap inside 2018..2021
    w["firm_years"].add((FIRMS[0], "year_gap"))
    # firm 4 loses 2019 and 2020 (rows 15, 16) the same way
    w["firm_years"].add((FIRMS[3], "year_gap"))
    t["firm_years"] = fy

    pol = t["policies"]
    p3 = pol.iloc[[0]].copy()                               # row 4: bad date
    p3["policy_id"] = "P03"
    p3["start_date"] = "2020-13-01"
    p4 = pol.iloc[[0]].copy()                               # row 5: end before start
    p4["policy_id"] = "P04"
    p4["end_date"] = "2017-01-01"
    p5 = pol.iloc[[0]].copy()                               # row 6: bad instrument
    p5["policy_id"] = "P05"
    p5["instrument"] = "loan"
    t["policies"] = pd.concat([pol, p3, p4, p5], ignore_index=True)
    q["policies"] |= {(4, "bad_date"), (5, "bad_date"), (6, "bad_category")}

    b = t["budgets"]
    b.loc[len(b)] = ["P09", "2020", "1000"]                 # row 6
    b.loc[len(b)] = ["P01", "2022", "-1"]                   # row 7
    b.loc[len(b)] = ["P01", "20023", "1000"]                # row 8: year out of range
    q["budgets"] |= {(6, "unknown_policy"), (7, "negative_value"), (8, "out_of_range")}

    d = t["disbursements"]                                  # rows 2..7 clean (firm 1 & 4 ok)
    q["disbursements"] |= {(3, "unknown_firm"), (4, "unknown_firm")}   # firms 2, 3
    d.loc[len(d)] = ["R007", "P03", FIRMS[0], "2020-01-01", "10", "1", ""]       # row 8
    d.loc[len(d)] = ["R008", "P01", FIRMS[3], "2017-12-31", "10", "1", ""]       # row 9
    d.loc[len(d)] = ["R009", "P01", FIRMS[3], "2020-02-30", "10", "1", ""]       # row 10
    d.loc[len(d)] = ["R001", "P01", FIRMS[0], "2020-01-01", "10", "1", ""]       # row 11
    d.loc[len(d)] = ["R010", "P01", "not-a-code", "2020-01-01", "10", "1", ""]   # row 12
    d.loc[len(d)] = ["R011", "P01", FIRMS[0], "2021-03-01", "250000", "3", ""]   # row 13
    d.loc[len(d)] = ["R012", "P01", FIRMS[0], "2021-04-01", "", "4", ""]         # row 14
    q["disbursements"] |= {(8, "unknown_policy"), (10, "bad_date"), (11, "duplicate_key"),
                           (12, "bad_uscc"), (14, "missing_required")}
    # a payment dated before P01 started is kept (the money was paid) and listed as a warning
    w["disbursements"].add((9, "outside_policy_window"))
    # firm 1 from P01: 100000 + 200000 + 250000 = 550000 > cap 500000, crossed at row 13
    w["disbursements"].add((13, "cap_exceeded"))

    k = t["kpi_targets"]
    k.loc[len(k)] = ["jobs", "national", "", "100", "人", "2025", "", ""]        # row 4
    k.loc[len(k)] = ["pct_applications", "district", "", "500", "件", "2025", "", ""]  # row 5
    q["kpi_targets"] |= {(4, "bad_category"), (5, "duplicate_key")}
    return t, q, w


def test_clean_tables_validate_without_problems(tmp_path):
    rep = validate_dir(write_tables(clean_tables(), tmp_path))
    assert rep.quarantine.empty, rep.quarantine["message"].tolist()
    assert rep.warnings.empty, rep.warnings["message"].tolist()
    assert {k: v.n_accepted for k, v in rep.tables.items()} == {
        k: len(v) for k, v in clean_tables().items()}
