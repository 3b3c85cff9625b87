"""Number formatting per language and disclosure control."""

import math

import pandas as pd
import pytest

from evalkit.disclosure import MARK, cell_stats, rule_text, suppress
from evalkit.errors import DataError
from evalkit.numbers import money, money_unit, number, percent


def test_money_per_language():
    assert money(12_345_000, "zh") == "1,234.5 万元"
    assert money(321_000_000, "zh") == "3.21 亿元"
    assert money(99_999_999, "zh") == "10,000.0 万元"
    assert money(12_345_000, "en") == "CNY 12.3 million"
    assert money(-5_000_000, "en", digits=2) == "CNY -5.00 million"
    assert money(float("nan"), "zh") == "—" and money(None, "en") == "—"


def test_money_unit_uses_the_column_maximum():
    assert money_unit([1e6, 2e8], "zh") == (1e8, "亿元")
    assert money_unit([1e6, 2e7, float("nan")], "zh") == (1e4, "万元")
    assert money_unit([1e6, 2e8], "en") == (1e6, "CNY million")


def test_number_and_percent():
    assert number(1234567.891, "zh", 1) == "1,234,567.9"
    assert percent(0.85, "en", 0) == "85%" and percent(0.1234, "zh") == "12.3%"
    assert number(math.nan, "en") == "—"


def _cells():
    return pd.DataFrame({
        "cell": ["a", "b", "c", "d", "e"],
        "n_firms": [2, 3, 5, 10, 4],
        "total": [100.0, 300.0, 1000.0, 2000.0, 50.0],
        "top": [60.0, 100.0, 900.0, 1700.0, 20.0],  # c: 90 % dominant; d: exactly 85 %
    })


def test_threshold_and_dominance_rules():
    table = _cells()
    before = table.copy()
    s = suppress(table, "n_firms", "total", max_col="top", secondary=False)
    assert s.suppressed.tolist() == [True, False, True, False, False]
    assert s.primary.tolist() == s.suppressed.tolist()
    assert "top" not in s.frame.columns  # a single firm's value never travels with the table
    assert math.isnan(s.frame.loc[0, "total"]) and s.frame.loc[1, "total"] == 300.0
    pd.testing.assert_frame_equal(table, before)  # input untouched


def test_secondary_suppression_protects_a_lone_cell():
    table = _cells().assign(top=lambda d: d["total"] * 0.5)  # only cell a (2 firms) fails
    s = suppress(table, "n_firms", "total", max_col="top")
    assert s.primary.tolist() == [True, False, False, False, False]
    # the smallest other cell (e, 50) is hidden too, so a = total - others is not recoverable
    assert s.suppressed.tolist() == [True, False, False, False, True]


def test_display_marks_and_footnote():
    s = suppress(_cells(), "n_firms", "total", max_col="top", secondary=False)
    shown = s.display({"total": lambda v: f"{v:,.0f}"})
    assert shown["total"].tolist() == [MARK, "300", MARK, "2,000", "50"]
    assert shown["n_firms"].tolist() == ["2", "3", "5", "10", "4"]
    assert "少于 3 家" in s.footnote("zh") and "85%" in s.footnote("zh")
    assert "fewer than 3 firms" in s.footnote("en")
    none = suppress(_cells().iloc[[1, 3]], "n_firms", "total", max_col="top")
    assert not none.any_suppressed and none.footnote("en") == ""
    assert MARK in rule_text("zh") and "fewer than 3 firms" in rule_text("en")


def test_zero_total_with_a_contributor_is_suppressed():
    t = pd.DataFrame({"n": [5, 5], "v": [0.0, 10.0], "m": [4.0, 2.0]})
    assert suppress(t, "n", "v", max_col="m", secondary=False).suppressed.tolist() == [True, False]


def test_missing_column_is_a_data_error():
    with pytest.raises(DataError, match="no column"):
        suppress(_cells(), "n_firms", "amount", max_col="top")


def test_cell_stats_from_firm_rows():
    rows = pd.DataFrame({
        "sector": ["C", "C", "C", "C", "I"],
        "firm": ["f1", "f1", "f2", "f3", "f4"],
        "amount": [10.0, 5.0, 2.0, 3.0, 7.0],
    })
    out = cell_stats(rows, "sector", "amount", "firm")
    assert out.to_dict("list") == {"sector": ["C", "I"], "n_firms": [3, 1],
                                   "total": [20.0, 7.0], "max_firm_total": [15.0, 7.0]}
    s = suppress(out, "n_firms", "total", max_col="max_firm_total", secondary=False)
    assert s.suppressed.tolist() == [False, True]  # C: top firm 75 % <= 85 %; I: 1 firm


# ----------------------------------------------------------------------------- issue 18, item 10

def test_two_hidden_one_firm_cells_get_a_complement():
    """Two 1-firm cells hidden together could be recovered as their 2-firm sum from the total:
    a third cell is hidden so the hidden set rests on at least 3 firms."""
    table = pd.DataFrame({"n": [1, 1, 10, 20], "v": [5.0, 7.0, 100.0, 300.0],
                          "m": [5.0, 7.0, 20.0, 30.0]})
    s = suppress(table, "n", "v", max_col="m")
    assert s.primary.tolist() == [True, True, False, False]
    assert s.suppressed.tolist() == [True, True, True, False]
    assert s.reasons == ["few", "few", "complementary", None]
    assert not s.total_hidden


def test_dominated_complement_and_total_hidden():
    # the 91 % cell: adding the small cell keeps the union dominated, so the large one is taken
    table = pd.DataFrame({"n": [5, 4, 6], "v": [1000.0, 10.0, 900.0],
                          "m": [910.0, 3.0, 200.0]})
    s = suppress(table, "n", "v", max_col="m")
    assert s.reasons == ["dominant", None, "complementary"]
    # one cell only, hidden: nothing can protect it, so the table total must go
    lone = suppress(table.iloc[[0]], "n", "v", max_col="m")
    assert lone.suppressed.tolist() == [True] and lone.total_hidden


def test_total_col_separates_magnitude_from_estimate():
    """An effect is decided on the magnitude behind it, not on the estimate's own value."""
    table = pd.DataFrame({"n": [5, 5], "att": [0.1, -0.2], "mag": [100.0, 100.0],
                          "top": [90.0, 10.0]})
    s = suppress(table, "n", ["att"], max_col="top", total_col="mag", secondary=False)
    assert s.reasons == ["dominant", None]


def test_rule_from_the_study_and_the_bases():
    from evalkit.disclosure import Rule, firm_basis, union_basis

    assert Rule.of({}) == Rule(3, 0.85)
    rule = Rule.of({"study": {"report": {"disclosure": {"min_firms": 5, "dominance": 0.6}}}})
    assert rule == Rule(5, 0.6)
    b = firm_basis(pd.Series([91.0, 4.0, 5.0]), ["a", "b", "c"])
    assert b["n"] == 3 and b["top_share"] == pytest.approx(0.91)
    assert Rule().reason(b) == "dominant" and rule.reason(b) == "few"
    assert Rule().reason({"n": 0, "top_share": 0.0}) is None       # nothing paid: no firm's data
    assert Rule().reason(None) == "few"                             # unknown basis: not safe
    both = union_basis([{"n": 1, "magnitude": 10.0, "top_share": 1.0},
                        {"n": 2, "magnitude": 90.0, "top_share": 0.5}])
    assert both["n"] == 3 and both["top_share"] == pytest.approx(0.45)


def test_statement_lists_what_was_hidden_in_both_languages():
    from evalkit.disclosure import Rule
    from evalkit.report.suppression import Hidden, statement

    rule = Rule()
    none = statement(rule, [], "en")
    assert "No number in this report had to be hidden" in none
    text = statement(rule, [Hidden("Fiscal metrics", "MVPF (district)", "dominant")], "en")
    assert "- Fiscal metrics: MVPF (district) (one firm holds more than 85%)" in text
    zh = statement(rule, [Hidden("财政绩效指标", "区级", "few")], "zh")
    assert "隐去了以下 1 项" in zh and "企业少于 3 家" in zh
