"""The safe rule grammar: parsing, canonical text, errors, vectorised evaluation."""

from __future__ import annotations

import builtins
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit import rules
from evalkit.errors import ConfigError
from evalkit.rules import (
    MAX_DEPTH,
    MAX_RULE_LENGTH,
    And,
    Arith,
    Bool,
    Compare,
    Field,
    InList,
    Neg,
    Not,
    Num,
    Or,
    Str,
    parse_rule,
)


@pytest.fixture
def firms() -> pd.DataFrame:
    return pd.DataFrame({
        "high_tech": pd.array([True, False, True, None, True], dtype="boolean"),
        "rd_expense": [5.0, 1.0, 0.0, 3.0, 4.0],
        "revenue": [100.0, 10.0, 0.0, np.nan, 100.0],
        "size_class": pd.Series(["small", "micro", "large", None, "medium"], dtype="string"),
        "employees": pd.array([10, 20, 5, 30, None], dtype="Int64"),
        "listed": [False, True, False, False, True],
        "industry_code": pd.Series(["6510", "6510", "3911", "7010", "6432"], dtype="string"),
    })


def ev(text: str, df: pd.DataFrame) -> list[bool]:
    out = parse_rule(text).evaluate(df)
    assert isinstance(out, np.ndarray) and out.dtype == bool and out.shape == (len(df),)
    return out.tolist()


# ------------------------------------------------------------------ parsing and the tree
def test_example_rule_tree():
    r = parse_rule('high_tech == true and rd_expense / revenue >= 0.03 '
                   'and size_class in ["small", "micro"]')
    assert r.node == And(
        And(Compare("==", Field("high_tech"), Bool(True)),
            Compare(">=", Arith("/", Field("rd_expense"), Field("revenue")), Num(0.03))),
        InList(Field("size_class"), (Str("small"), Str("micro"))),
    )
    assert r.fields == frozenset({"high_tech", "rd_expense", "revenue", "size_class"})


@pytest.mark.parametrize("text,tree", [
    ("a or b and c", Or(Field("a"), And(Field("b"), Field("c")))),
    ("(a or b) and c", And(Or(Field("a"), Field("b")), Field("c"))),
    ("not a and b", And(Not(Field("a")), Field("b"))),
    ("not x == 1", Not(Compare("==", Field("x"), Num(1)))),
    ("x + y * 2 > 1", Compare(">", Arith("+", Field("x"), Arith("*", Field("y"), Num(2))), Num(1))),
    ("x - y - z > 0", Compare(">", Arith("-", Arith("-", Field("x"), Field("y")), Field("z")),
                              Num(0))),
    ("x / (y - z) > 0", Compare(">", Arith("/", Field("x"), Arith("-", Field("y"), Field("z"))),
                                Num(0))),
    ("-x < -3", Compare("<", Neg(Field("x")), Num(-3))),
    ("-(3) < 1.5e3", Compare("<", Neg(Num(3)), Num(1500.0))),
    ("x >= .5", Compare(">=", Field("x"), Num(0.5))),
    ("x not in [1, -2, 3.5]", InList(Field("x"), (Num(1), Num(-2), Num(3.5)), negated=True)),
    ("x in []", InList(Field("x"), ())),
    ("x in [1,]", InList(Field("x"), (Num(1),))),
    ("s == 'it''s'", None),  # two adjacent strings: a syntax error (checked below)
    ("TRUE AND Not flag", And(Bool(True), Not(Field("flag")))),
    ("s == 'a\\'b\\n'", Compare("==", Field("s"), Str("a'b\n"))),
    ('s != "中文"', Compare("!=", Field("s"), Str("中文"))),
])
def test_parse_trees(text, tree):
    if tree is None:
        with pytest.raises(ConfigError):
            parse_rule(text)
    else:
        assert parse_rule(text).node == tree


@pytest.mark.parametrize("text,canonical", [
    ("a  AND(b)", "a and b"),
    ("(a and b) and c", "a and b and c"),
    ("a and (b and c)", "a and (b and c)"),
    ("not (a or b)", "not (a or b)"),
    ("x*(y+1)>=2", "x * (y + 1) >= 2"),
    ("x in ['a',\"b\"]", 'x in ["a", "b"]'),
    ("- (3) < x", "-(3) < x"),
    ("x > 1E3", "x > 1000.0"),
    ("s == 'say \"hi\"'", 's == "say \\"hi\\""'),
])
def test_canonical_text(text, canonical):
    r = parse_rule(text)
    assert str(r) == canonical
    assert parse_rule(str(r)) == r


def test_rule_equality_ignores_spelling():
    assert parse_rule("a and  b") == parse_rule("(a) AND b")
    assert parse_rule("a and b") != parse_rule("b and a")


# ------------------------------------------------------------------ syntax errors
@pytest.mark.parametrize("text,pos,fragment", [
    ("", 1, "empty"),
    ("x >", 4, "ends too early"),
    ("x > 1 )", 7, "unexpected ')'"),
    ("(x > 1", 7, "')'"),
    ("x = 1", 3, "'=='"),
    ("x > 1 && y", 7, "and / or / not"),
    ("a < b < c", 7, "chained"),
    ("revenue * 2", 1, "must be a condition"),
    ("5", 1, "must be a condition"),
    ('"yes"', 1, "must be a condition"),
    ("a and 3", 7, "joins conditions"),
    ("not 3", 5, "negates a condition"),
    ("x + true > 1", 5, "needs numbers"),
    ("(a > 1) > 2", 9, "compares values"),
    ('x == "a" + 1', 10, "needs numbers"),
    ('"a" < 3', 5, "text compares only with text"),
    ('x in [1, "a"]', 10, "mixes"),
    ("x in [y]", 7, "list items"),
    ("x in 3", 6, "'['"),
    ("x in [1 2]", 9, "',' or ']'"),
    ("'abc", 1, "never closed"),
    ("x == 'a\\q'", 8, "unknown escape"),
    ("x > 12abc", 7, "malformed number"),
    ("x > 1.2.3", 8, "malformed number"),
    ("x > 1 ＞ 2", 7, "full-width"),
    ("企业 > 1", 1, "unexpected character"),
    ("x > 1 @", 7, "unexpected character"),
    ("x > 1" + "0" * 400, 5, "too large"),
    ("x > 1e999", 5, "too large"),
])
def test_syntax_errors_have_position_and_caret(text, pos, fragment):
    with pytest.raises(ConfigError) as info:
        parse_rule(text)
    msg = str(info.value)
    assert f"at character {pos}:" in msg
    assert fragment in msg
    lines = msg.split("\n")
    assert lines[-1].strip() == "^"
    # the caret sits under the offending character of the echoed rule
    assert lines[-1].index("^") - 4 == pos - 1 or len(text) > 60


def test_non_text_rule():
    with pytest.raises(ConfigError, match="must be text"):
        parse_rule(3)  # type: ignore[arg-type]


# ------------------------------------------------------------------ limits
def test_length_limit():
    text = " or ".join(["a"] * (MAX_RULE_LENGTH // 4 + 1))
    with pytest.raises(ConfigError, match="characters long"):
        parse_rule(text)


@pytest.mark.parametrize("make", [
    lambda k: "(" * k + "x" + ")" * k,
    lambda k: "not " * k + "x",
    lambda k: "-" * k + "x > 0",
    lambda k: " and ".join(["x"] * k),
    lambda k: " + ".join(["x"] * k) + " > 0",
    lambda k: "x > 0" + " and (y > 0" * k + ")" * k,
])
def test_depth_limit(make):
    parse_rule(make(MAX_DEPTH // 4))  # moderately deep is fine
    with pytest.raises(ConfigError, match="nests deeper"):
        parse_rule(make(MAX_DEPTH + 5))
    # far beyond the limits: a ConfigError (depth or length), never a RecursionError
    for k in (1000, 10_000):
        with pytest.raises(ConfigError, match=r"nests deeper|characters long"):
            parse_rule(make(k))


def test_never_uses_eval(monkeypatch, firms):
    def boom(*a, **k):
        raise AssertionError("eval/exec/compile must not be called")
    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, boom)
    r = parse_rule("employees >= 10 and not listed or rd_expense / revenue > 0.01")
    r.evaluate(firms)
    for path in sorted(Path(rules.__file__).parent.glob("*.py")):    # every module of the package
        src = path.read_text(encoding="utf-8")
        for call in ("eval(", "exec(", "compile("):
            assert call not in src.replace("_Evaluator(", "").replace("re.compile(", ""), path


# ------------------------------------------------------------------ fields
def test_check_fields_names_unknown_and_suggests(firms):
    r = parse_rule("emploees > 3 and revenu > 0 and zzz")
    with pytest.raises(ConfigError) as info:
        r.check_fields(firms.columns)
    msg = str(info.value)
    assert "'emploees' (did you mean 'employees'?)" in msg
    assert "'revenu' (did you mean 'revenue'?)" in msg
    assert "'zzz'" in msg and "zzz' (did" not in msg
    assert "known fields: employees, high_tech, industry_code, listed" in msg
    parse_rule("employees > 3").check_fields(["employees"])  # no error


def test_evaluate_checks_fields(firms):
    with pytest.raises(ConfigError, match="unknown field 'assets'"):
        parse_rule("assets > 0").evaluate(firms)


# ------------------------------------------------------------------ evaluation
def test_examples(firms):
    assert ev('high_tech == true and rd_expense / revenue >= 0.03 '
              'and size_class in ["small", "micro"]', firms) == [True, False, False, False, False]
    assert ev("employees >= 10 and not listed", firms) == [True, False, False, True, False]


def test_missing_values_make_comparisons_false(firms):
    # revenue missing in row 3, employees missing in row 4, size_class missing in row 3
    assert ev("revenue != 5", firms) == [True, True, True, False, True]
    assert ev("revenue == revenue", firms) == [True, True, True, False, True]
    assert ev("employees < 1000", firms) == [True, True, True, True, False]
    assert ev('size_class != "small"', firms) == [False, True, True, False, True]
    assert ev('size_class not in ["small"]', firms) == [False, True, True, False, True]
    assert ev("employees not in [5]", firms) == [True, True, False, True, False]
    assert ev("high_tech == true", firms) == [True, False, True, False, True]
    assert ev("high_tech != true", firms) == [False, True, False, False, False]


def test_bare_boolean_field_means_equal_true(firms):
    assert ev("high_tech", firms) == [True, False, True, False, True]
    assert ev("not high_tech", firms) == [False, True, False, True, False]
    assert ev("listed or high_tech", firms) == [True, True, True, False, True]
    assert ev("true", firms) == [True] * 5
    assert ev("false or listed", firms) == [False, True, False, False, True]


def test_division_by_zero_is_missing(firms):
    # row 2: 0/0; row 3: revenue missing
    assert ev("rd_expense / revenue >= 0", firms) == [True, True, False, False, True]
    assert ev("not (rd_expense / revenue >= 0)", firms) == [False, False, True, True, False]
    df = pd.DataFrame({"a": [1.0, -1.0, 0.0], "b": [0.0, 0.0, 0.0]})
    assert ev("a / b > -1e308", df) == [False, False, False]
    assert ev("a / b != 1", df) == [False, False, False]


def test_arithmetic(firms):
    assert ev("rd_expense * 2 + 1 == 11", firms) == [True, False, False, False, False]
    assert ev("-rd_expense < -3.5", firms) == [True, False, False, False, True]
    assert ev("employees - 5 * 2 >= 0", firms) == [True, True, False, True, False]


def test_booleans_compare_with_numbers_and_booleans():
    df = pd.DataFrame({"f": [True, False], "g": [True, True]})
    assert ev("f == 1", df) == [True, False]
    assert ev("f == g", df) == [True, False]
    assert ev("f in [true]", df) == [True, False]
    assert ev("f + g >= 2", df) == [True, False]


def test_text_fields(firms):
    assert ev('industry_code == "6510"', firms) == [True, True, False, False, False]
    assert ev('industry_code >= "6"', firms) == [True, True, False, True, True]
    assert ev("industry_code in ['3911', '7010']", firms) == [False, False, True, True, False]
    with pytest.raises(ConfigError, match=r"text compares only with text.*quote the number"):
        parse_rule("industry_code == 6510").evaluate(firms)
    with pytest.raises(ConfigError, match="text"):
        parse_rule("industry_code in [6510]").evaluate(firms)
    with pytest.raises(ConfigError, match="needs numbers"):
        parse_rule("industry_code + 1 > 0").evaluate(firms)


def test_text_field_of_object_dtype():
    df = pd.DataFrame({"s": np.array(["a", None, "b"], dtype=object)})
    assert ev('s == "a"', df) == [True, False, False]
    assert ev('s < "b"', df) == [True, False, False]


def test_bare_non_boolean_field_is_an_error(firms):
    with pytest.raises(ConfigError, match=r"employees is numeric.*employees > 0"):
        parse_rule("employees and listed").evaluate(firms)
    with pytest.raises(ConfigError, match="size_class is text"):
        parse_rule("not size_class").evaluate(firms)


def test_unusable_columns():
    df = pd.DataFrame({"d": pd.to_datetime(["2020-01-01"]), "m": np.array([1, "a"], dtype=object)[:1]})
    with pytest.raises(ConfigError, match="field d has type"):
        parse_rule("d > 0").evaluate(df)
    mixed = pd.DataFrame({"m": np.array([1, "a"], dtype=object)})
    with pytest.raises(ConfigError, match="field m mixes"):
        parse_rule("m > 0").evaluate(mixed)
    dup = pd.DataFrame([[1, 2]], columns=["x", "x"])
    with pytest.raises(ConfigError, match="rename the duplicates"):
        parse_rule("x > 0").evaluate(dup)


def test_all_missing_object_column_is_false():
    df = pd.DataFrame({"x": np.array([None, None], dtype=object)})
    assert ev("x > 0", df) == [False, False]
    assert ev("x not in [1]", df) == [False, False]
    assert ev("not x", df) == [True, True]


def test_categorical_and_object_bool_columns():
    df = pd.DataFrame({"c": pd.Categorical(["small", "micro", None]),
                       "b": np.array([True, None, False], dtype=object)})
    assert ev('c in ["micro"]', df) == [False, True, False]
    assert ev("b", df) == [True, False, False]


def test_empty_frame(firms):
    assert parse_rule("employees > 1").evaluate(firms.iloc[:0]).shape == (0,)


def test_evaluate_does_not_mutate(firms):
    before = firms.copy()
    parse_rule("employees >= 10 and not listed and rd_expense / revenue > 0").evaluate(firms)
    pd.testing.assert_frame_equal(firms, before)


def test_vectorised_matches_pandas_on_many_rows():
    rng = np.random.default_rng(11)
    n = 5000
    df = pd.DataFrame({
        "revenue": np.where(rng.random(n) < 0.1, np.nan, rng.lognormal(15, 2, n)),
        "rd_expense": rng.lognormal(12, 2, n),
        "employees": rng.integers(0, 500, n),
        "high_tech": rng.random(n) < 0.3,
        "size_class": rng.choice(["large", "medium", "small", "micro"], n),
    })
    got = parse_rule('high_tech == true and rd_expense / revenue >= 0.03 '
                     'and size_class in ["small", "micro"] or employees > 400').evaluate(df)
    ratio = df["rd_expense"] / df["revenue"]
    want = ((df["high_tech"] & (ratio >= 0.03).fillna(False)
             & df["size_class"].isin(["small", "micro"])) | (df["employees"] > 400)).to_numpy()
    assert (got == want).all() and got.sum() > 100
