"""Row-level checks: every reason code fires on the right row, and only there."""

from __future__ import annotations

import pandas as pd
import pytest

import evalkit.io.validate as validate_mod
from evalkit.errors import ConfigError, DataError
from evalkit.io import REASONS, read_table_file, validate_dir
from evalkit.io.reasons import message
from evalkit.io.validate import check_table
from tests.unit.test_io_data import FIRMS, clean_tables, dirty_tables, write_tables


@pytest.fixture
def no_rules(monkeypatch):
    """Run without the rule parser so these tests do not depend on evalkit.rules."""
    monkeypatch.setattr(validate_mod, "rule_checker", lambda: None)


def _problems(frame: pd.DataFrame) -> set:
    return set(zip(frame["row"].astype(int), frame["reason"], strict=True))


def test_every_reason_fires_on_its_row_and_nowhere_else(tmp_path, no_rules):
    tables, expected_q, expected_w = dirty_tables()
    rep = validate_dir(write_tables(tables, tmp_path))
    for name, tr in rep.tables.items():
        assert _problems(tr.quarantined) == expected_q[name], name
        got_w = {(r if pd.notna(r) else v, reason) for r, v, reason in
                 zip(tr.warnings["row"], tr.warnings["value"], tr.warnings["reason"],
                     strict=True)}
        assert got_w == expected_w[name], name
    fired = set(rep.quarantine["reason"]) | set(rep.warnings["reason"])
    # bad_rule and wrong_field_count have their own tests below, formula_without_value (an
    # Excel file's) in tests/hardening/test_limits.py
    assert fired == set(REASONS) - {"bad_rule", "wrong_field_count", "formula_without_value"}


def test_read_equals_accepted_plus_quarantined(tmp_path, no_rules):
    tables, expected_q, _ = dirty_tables()
    rep = validate_dir(write_tables(tables, tmp_path))
    for name, tr in rep.tables.items():
        assert tr.n_read == len(tables[name])
        assert tr.n_read == tr.n_accepted + tr.n_quarantined
        assert tr.n_quarantined == len({r for r, _ in expected_q[name]})
    counts = rep.counts()
    assert (counts["read"] == counts["accepted"] + counts["quarantined"]).all()


def test_accepted_rows_are_exactly_the_clean_rows(tmp_path, no_rules):
    tables, _, _ = dirty_tables()
    rep = validate_dir(write_tables(tables, tmp_path))
    assert sorted(rep.tables["firms"].accepted["firm_id"]) == sorted([FIRMS[0], FIRMS[3]])
    fy = rep.tables["firm_years"].accepted
    assert set(zip(fy["firm_id"], fy["year"], strict=True)) == {
        (FIRMS[0], 2018), (FIRMS[0], 2021), (FIRMS[3], 2018), (FIRMS[3], 2021)}
    # the 万元-in-元 value is accepted (a warning, not a rejection), as written
    assert fy.loc[(fy["firm_id"] == FIRMS[3]) & (fy["year"] == 2018), "revenue"].item() == 400.0
    assert rep.tables["policies"].accepted["policy_id"].tolist() == ["P01", "P02"]


def test_conversions_and_dtypes(tmp_path, no_rules):
    rep = validate_dir(write_tables(clean_tables(), tmp_path))
    firms = rep.tables["firms"].accepted
    assert firms["cluster"].tolist() == ["ai", "ai", "rd_services", "life_health", "other"]
    assert firms["area"].tolist()[1] == "xujiahui"
    assert firms["size_class"].tolist()[1] == "medium"
    tags = firms["five_type_tags"]
    assert tags.iloc[0] == "innovation;open" and pd.isna(tags.iloc[1])
    assert tags.iloc[2] == "innovation;headquarters"          # written 创新型；总部型
    assert firms["year_exited"].isna().all() and str(firms["year_exited"].dtype) == "Int64"
    fy = rep.tables["firm_years"].accepted
    assert fy["revenue"].dtype == "float64" and str(fy["year"].dtype) == "Int64"
    assert fy["high_tech"].dtype == bool
    assert fy["high_tech"].tolist()[:8] == [False] * 4 + [True] * 4
    d = rep.tables["disbursements"].accepted
    assert str(d["date"].dtype).startswith("datetime64")
    assert d["date"].iloc[3] == pd.Timestamp("2020-06-01")   # written 2020/06/01
    assert d["amount"].iloc[1] == 150000.5


def test_thousands_separators_accepted_malformed_groups_rejected(tmp_path, no_rules):
    t = clean_tables()
    fy = t["firm_years"]
    fy.loc[0, "revenue"] = "1,234,567.5"
    fy.loc[1, "revenue"] = "1,23"
    fy.loc[2, "employees"] = "12.0"
    fy.loc[3, "employees"] = "12.5"
    rep = validate_dir(write_tables(t, tmp_path))
    tr = rep.tables["firm_years"]
    assert _problems(tr.quarantined) == {(3, "not_a_number"), (5, "not_a_number")}
    acc = tr.accepted
    assert acc["revenue"].iloc[0] == 1234567.5
    assert acc["employees"].iloc[1] == 12
    assert "whole number" in tr.quarantined.loc[tr.quarantined["row"] == 5, "message"].item()


def test_wrong_field_count_is_quarantined_with_its_row(tmp_path, no_rules):
    d = write_tables(clean_tables(), tmp_path)
    lines = (d / "budgets.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2] + ",extra"              # physical row 3
    lines[4] = "P02,2021"                       # physical row 5: a truncated row
    (d / "budgets.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    tr = validate_dir(d).tables["budgets"]
    assert _problems(tr.quarantined) == {(3, "wrong_field_count"), (5, "wrong_field_count")}
    assert tr.n_read == 4 and tr.n_accepted == 2


def test_blank_rows_are_skipped_but_keep_their_number(tmp_path, no_rules):
    d = write_tables(clean_tables(), tmp_path)
    lines = (d / "budgets.csv").read_text(encoding="utf-8").splitlines()
    lines.insert(2, ",,")                      # a blank row 3
    lines[4] = "P02,2020,abc"                  # the old row 4 is now row 5
    (d / "budgets.csv").write_text("\n".join(lines) + "\n\n\n", encoding="utf-8")
    tr = validate_dir(d).tables["budgets"]
    assert _problems(tr.quarantined) == {(5, "not_a_number")}
    assert tr.n_read == 4


def test_bad_rule_with_an_injected_parser(tmp_path):
    t = clean_tables()
    t["policies"].loc[1, "eligibility_rule"] = "employees >>= 10"
    raws = {n: read_table_file(p) for n, p in
            validate_mod.find_table_files(write_tables(t, tmp_path)).items()}

    def parse_rule(text):
        if ">>=" in text:
            raise ConfigError(f"cannot parse {text!r}")

    tr = check_table(raws["policies"], {}, parse_rule)
    assert _problems(tr.quarantined) == {(3, "bad_rule")}
    assert "cannot parse" in tr.quarantined["message"].item()


def test_bad_rule_with_the_real_parser_or_reported_skip(tmp_path):
    t = clean_tables()
    t["policies"].loc[1, "eligibility_rule"] = "employees >= and ("
    rep = validate_dir(write_tables(t, tmp_path))
    if validate_mod.rule_checker() is None:
        assert any("bad_rule" in s for s in rep.skipped_checks)
        assert rep.tables["policies"].quarantined.empty
    else:
        assert rep.skipped_checks == ()
        assert _problems(rep.tables["policies"].quarantined) == {(3, "bad_rule")}


def test_messages_are_one_line_with_location_and_fix(tmp_path, no_rules):
    tables, _, _ = dirty_tables()
    rep = validate_dir(write_tables(tables, tmp_path))
    for frame in (rep.quarantine, rep.warnings):
        for msg, file, row in zip(frame["message"], frame["file"], frame["row"], strict=True):
            assert "\n" not in msg
            prefix = f"{file}:{row}:" if pd.notna(row) else f"{file}:"
            assert msg.startswith(prefix), msg
            assert msg.endswith(")") and " (" in msg, msg


def test_message_in_chinese():
    text = message("not_a_number", "a.csv", 3, "营业收入", "暂无", lang="zh")
    assert text.startswith("a.csv:3:营业收入: '暂无' 不是数字")


def test_referenced_table_missing_is_a_located_error(tmp_path, no_rules):
    t = clean_tables()
    del t["firms"]
    with pytest.raises(DataError) as exc:
        validate_dir(write_tables(t, tmp_path))
    assert exc.value.location.file.endswith("firm_years.csv")
    assert "firms" in str(exc.value)


def test_quarantine_file_written_and_ignored_on_revalidation(tmp_path, no_rules):
    tables, _, _ = dirty_tables()
    d = write_tables(tables, tmp_path)
    rep = validate_dir(d)
    out = rep.write_quarantine(d / "quarantine.csv")
    written = pd.read_csv(out, encoding="utf-8-sig")
    assert len(written) == len(rep.quarantine) + len(rep.warnings)
    again = validate_dir(d)
    assert again.counts().equals(rep.counts())


def test_details_with_words_are_given_in_chinese_too():
    from evalkit.io.reasons import Bilingual, message
    from evalkit.io.uscc import make_uscc, uscc_problem

    good = make_uscc("91310104MA1FR0000")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    assert "check character" in uscc_problem(bad) and "校验码" in uscc_problem(bad, "zh")
    assert "18" in uscc_problem("123", "zh") and uscc_problem(good, "zh") is None
    d = Bilingual(" (a whole number is needed)", "（需为整数）")
    assert message("not_a_number", "f.csv", 3, "从业人员", "1.5", d, "zh") == (
        "f.csv:3:从业人员: '1.5' 不是数字（需为整数） (请填写数字，如 1234.5 或 1,234.5；未知时留空)")
    assert "whole number" in message("not_a_number", "f.csv", 3, "employees", "1.5", d)
    assert str(d) == d.en
