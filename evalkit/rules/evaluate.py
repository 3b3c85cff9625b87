"""Column-wise evaluation of a rule's syntax tree on a pandas DataFrame.

Semantics (missing values, booleans, text): :mod:`evalkit.rules`. Nothing is passed to
``eval``/``exec``/``compile``.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError
from evalkit.i18n import Message
from evalkit.rules import nodes
from evalkit.rules.parser import _describe

__all__: list[str] = []


@dataclass(frozen=True)
class _Val:
    """An evaluated operand: ``kind`` num (float64, NaN missing), bool or text (with ``missing``),
    or null (a column with no values at all); ``label`` names it in messages, ``label_zh`` in
    Chinese."""

    kind: str
    data: np.ndarray
    missing: np.ndarray
    label: str
    label_zh: str


def _column(df: pd.DataFrame, name: str) -> _Val:
    s = df[name]
    label, label_zh = f"field {name}", f"字段 {name}"
    if isinstance(s, pd.DataFrame):
        raise ConfigError(Message("errors.rules.evaluate.field_appears_columns_rename", name=name,
                                  shape=s.shape[1]))
    n = len(s)
    missing = s.isna().to_numpy(dtype=bool)
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        s = s.astype(dtype.categories.dtype)
        dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        data = s.fillna(False).to_numpy(dtype=bool)
        return _Val("bool", data, missing, label, label_zh)
    if pd.api.types.is_numeric_dtype(dtype):
        data = s.to_numpy(dtype="float64", na_value=np.nan)
        return _Val("num", data, missing | np.isnan(data), label, label_zh)
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        data = s.to_numpy(dtype=object, na_value=None)
        return _Val("text", data, missing, label, label_zh)
    if pd.api.types.is_object_dtype(dtype):
        present = s[~missing]
        if len(present) == 0:
            return _Val("null", np.zeros(n), np.ones(n, dtype=bool), label, label_zh)
        kinds = {_py_kind(v) for v in present}
        if kinds == {"bool"}:
            data = np.array([bool(v) if not m else False for v, m in zip(s, missing, strict=True)])
            return _Val("bool", data, missing, label, label_zh)
        if kinds == {"num"}:
            data = np.array([np.nan if m else float(v) for v, m in zip(s, missing, strict=True)])
            return _Val("num", data, missing | np.isnan(data), label, label_zh)
        if kinds == {"text"}:
            return _Val("text", s.to_numpy(dtype=object), missing, label, label_zh)
        raise ConfigError(Message("errors.rules.evaluate.field_mixes_values_rule", name=name,
                                  kinds=', '.join(sorted(kinds))))
    raise ConfigError(Message("errors.rules.evaluate.field_type_which_rules", name=name,
                              dtype=dtype))


def _py_kind(v: object) -> str:
    if isinstance(v, bool | np.bool_):
        return "bool"
    if isinstance(v, int | float | np.integer | np.floating):
        return "num"
    if isinstance(v, str):
        return "text"
    return type(v).__name__


def _literal_val(node: nodes.Literal, n: int) -> _Val:
    label, label_zh = _describe(node), _describe(node, "zh")
    if isinstance(node, nodes.Bool):
        return _Val("bool", np.full(n, node.value), np.zeros(n, dtype=bool), label, label_zh)
    if isinstance(node, nodes.Str):
        return _Val("text", np.full(n, node.value, dtype=object), np.zeros(n, dtype=bool), label,
                    label_zh)
    return _Val("num", np.full(n, float(node.value)), np.zeros(n, dtype=bool), label, label_zh)


def _as_number(v: _Val, op: str) -> np.ndarray:
    if v.kind == "num":
        return v.data
    if v.kind == "bool":
        return np.where(v.missing, np.nan, v.data.astype("float64"))
    if v.kind == "null":
        return np.full(v.data.shape, np.nan)
    raise ConfigError(f"'{op}' needs numbers, but {v.label} is text",
                      zh=f"'{op}' 需要数字，但 {v.label_zh} 是文本")


_CMP_FUNCS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
              ">": operator.gt, ">=": operator.ge}


class _Evaluator:
    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.n = len(df)
        self.cache: dict[str, _Val] = {}

    def value(self, node: nodes.Node) -> _Val:
        if isinstance(node, nodes.Field):
            if node.name not in self.cache:
                self.cache[node.name] = _column(self.df, node.name)
            return self.cache[node.name]
        if isinstance(node, nodes.Num | nodes.Str | nodes.Bool):
            return _literal_val(node, self.n)
        if isinstance(node, nodes.Neg):
            x = _as_number(self.value(node.operand), "-")
            return _Val("num", -x, np.isnan(x), _describe(node), _describe(node, "zh"))
        if isinstance(node, nodes.Arith):
            a = _as_number(self.value(node.left), node.op)
            b = _as_number(self.value(node.right), node.op)
            with np.errstate(all="ignore"):
                if node.op == "+":
                    out = a + b
                elif node.op == "-":
                    out = a - b
                elif node.op == "*":
                    out = a * b
                else:
                    out = np.where(b == 0, np.nan, a / np.where(b == 0, 1.0, b))
            return _Val("num", out, np.isnan(out), _describe(node), _describe(node, "zh"))
        # a condition used as a value cannot arise from the parser
        raise ConfigError(f"{_describe(node)} is not a value",  # pragma: no cover
                          zh=f"{_describe(node, 'zh')} 不是值")

    def condition(self, node: nodes.Node) -> np.ndarray:
        if isinstance(node, nodes.And):
            return self.condition(node.left) & self.condition(node.right)
        if isinstance(node, nodes.Or):
            return self.condition(node.left) | self.condition(node.right)
        if isinstance(node, nodes.Not):
            return ~self.condition(node.operand)
        if isinstance(node, nodes.Bool):
            return np.full(self.n, node.value)
        if isinstance(node, nodes.Field):
            v = self.value(node)
            if v.kind == "null":
                return np.zeros(self.n, dtype=bool)
            if v.kind != "bool":
                kind = "numeric" if v.kind == "num" else "text"
                example = "> 0" if kind == "numeric" else '== "..."'
                kind_zh = "数值型" if kind == "numeric" else "文本型"
                raise ConfigError(
                    f"field {node.name} is {kind}; a bare field in a rule must be true/false. "
                    f"Compare it instead, e.g. {node.name} {example}",
                    zh=f"字段 {node.name} 为{kind_zh}；规则中单独使用的字段须为 true/false，"
                       f"请改用比较式，例如 {node.name} {example}",
                )
            return v.data & ~v.missing
        if isinstance(node, nodes.Compare):
            return self.compare(node)
        if isinstance(node, nodes.InList):
            return self.in_list(node)
        raise ConfigError(f"{_describe(node)} is not a condition",  # pragma: no cover
                          zh=f"{_describe(node, 'zh')} 不是条件")

    def compare(self, node: nodes.Compare) -> np.ndarray:
        a, b = self.value(node.left), self.value(node.right)
        fn = _CMP_FUNCS[node.op]
        out = np.zeros(self.n, dtype=bool)
        ok = ~(a.missing | b.missing)
        if "null" in (a.kind, b.kind):
            return out
        if (a.kind == "text") != (b.kind == "text"):
            raise ConfigError(f"'{node.op}' compares {a.label} ({_kind_name(a)}) with {b.label} "
                              f"({_kind_name(b)}); text compares only with text"
                              + _quote_hint(a, b),
                              zh=f"'{node.op}' 将 {a.label_zh}（{_kind_name(a, 'zh')}）与 "
                                 f"{b.label_zh}（{_kind_name(b, 'zh')}）比较；文本只能与文本比较"
                                 + _quote_hint(a, b, "zh"))
        if a.kind == "text":
            if ok.any():
                out[ok] = np.array([fn(x, y) for x, y in zip(a.data[ok], b.data[ok], strict=True)],
                                   dtype=bool)
            return out
        x, y = _as_number(a, node.op), _as_number(b, node.op)
        with np.errstate(invalid="ignore"):
            out = fn(x, y)
        return np.asarray(out, dtype=bool) & ok

    def in_list(self, node: nodes.InList) -> np.ndarray:
        v = self.value(node.operand)
        ok = ~v.missing
        if v.kind == "null":
            return np.zeros(self.n, dtype=bool)
        if node.values:
            item_kind = "text" if isinstance(node.values[0], nodes.Str) else "num"
            if (v.kind == "text") != (item_kind == "text"):
                raise ConfigError(f"'in' tests {v.label} ({_kind_name(v)}) against a list of "
                                  f"{'text' if item_kind == 'text' else 'numbers/true/false'}; "
                                  "text compares only with text",
                                  zh=f"'in' 以{'文本' if item_kind == 'text' else '数字/true/false'}"
                                     f"列表检验 {v.label_zh}（{_kind_name(v, 'zh')}）；"
                                     "文本只能与文本比较")
        if v.kind == "text":
            allowed = {x.value for x in node.values}
            hit = np.array([x in allowed if m else False for x, m in zip(v.data, ok, strict=True)],
                           dtype=bool)
        else:
            x = _as_number(v, "in")
            items = np.array([float(it.value) for it in node.values], dtype="float64")
            hit = np.isin(x, items)
        hit &= ok
        return (~hit & ok) if node.negated else hit


def _kind_name(v: _Val, lang: str = "en") -> str:
    if lang == "zh":
        return {"num": "数字", "bool": "true/false", "text": "文本"}.get(v.kind, v.kind)
    return {"num": "a number", "bool": "true/false", "text": "text"}.get(v.kind, v.kind)


def _quote_hint(a: _Val, b: _Val, lang: str = "en") -> str:
    if {a.kind, b.kind} == {"text", "num"}:
        if lang == "zh":
            return "；若该字段存放的是代码，请给数字加引号，例如 industry_code == \"6510\""
        return "; quote the number if the field holds codes, e.g. industry_code == \"6510\""
    return ""
