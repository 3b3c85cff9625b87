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
    or null (a column with no values at all); ``label`` names it in messages."""

    kind: str
    data: np.ndarray
    missing: np.ndarray
    label: Message


def _column(df: pd.DataFrame, name: str) -> _Val:
    s = df[name]
    label = Message("errors.rules.evaluate.label_field", name=name)
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
        return _Val("bool", data, missing, label)
    if pd.api.types.is_numeric_dtype(dtype):
        data = s.to_numpy(dtype="float64", na_value=np.nan)
        return _Val("num", data, missing | np.isnan(data), label)
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        data = s.to_numpy(dtype=object, na_value=None)
        return _Val("text", data, missing, label)
    if pd.api.types.is_object_dtype(dtype):
        present = s[~missing]
        if len(present) == 0:
            return _Val("null", np.zeros(n), np.ones(n, dtype=bool), label)
        kinds = {_py_kind(v) for v in present}
        if kinds == {"bool"}:
            data = np.array([bool(v) if not m else False for v, m in zip(s, missing, strict=True)])
            return _Val("bool", data, missing, label)
        if kinds == {"num"}:
            data = np.array([np.nan if m else float(v) for v, m in zip(s, missing, strict=True)])
            return _Val("num", data, missing | np.isnan(data), label)
        if kinds == {"text"}:
            return _Val("text", s.to_numpy(dtype=object), missing, label)
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
    label = _describe(node)
    if isinstance(node, nodes.Bool):
        return _Val("bool", np.full(n, node.value), np.zeros(n, dtype=bool), label)
    if isinstance(node, nodes.Str):
        return _Val("text", np.full(n, node.value, dtype=object), np.zeros(n, dtype=bool), label)
    return _Val("num", np.full(n, float(node.value)), np.zeros(n, dtype=bool), label)


def _as_number(v: _Val, op: str) -> np.ndarray:
    if v.kind == "num":
        return v.data
    if v.kind == "bool":
        return np.where(v.missing, np.nan, v.data.astype("float64"))
    if v.kind == "null":
        return np.full(v.data.shape, np.nan)
    raise ConfigError(Message("errors.rules.evaluate.needs_numbers", op=op, label=v.label))


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
            return _Val("num", -x, np.isnan(x), _describe(node))
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
            return _Val("num", out, np.isnan(out), _describe(node))
        # a condition used as a value cannot arise from the parser
        raise ConfigError(Message("errors.rules.evaluate.not_a_value",  # pragma: no cover
                                  what=_describe(node)))

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
                numeric = v.kind == "num"
                kind = Message("errors.rules.evaluate.bare_kind.numeric" if numeric
                               else "errors.rules.evaluate.bare_kind.text")
                raise ConfigError(Message("errors.rules.evaluate.bare_field", name=node.name,
                                          kind=kind, example="> 0" if numeric else '== "..."'))
            return v.data & ~v.missing
        if isinstance(node, nodes.Compare):
            return self.compare(node)
        if isinstance(node, nodes.InList):
            return self.in_list(node)
        raise ConfigError(Message("errors.rules.evaluate.not_a_condition",  # pragma: no cover
                                  what=_describe(node)))

    def compare(self, node: nodes.Compare) -> np.ndarray:
        a, b = self.value(node.left), self.value(node.right)
        fn = _CMP_FUNCS[node.op]
        out = np.zeros(self.n, dtype=bool)
        ok = ~(a.missing | b.missing)
        if "null" in (a.kind, b.kind):
            return out
        if (a.kind == "text") != (b.kind == "text"):
            raise ConfigError(Message("errors.rules.evaluate.compares_text", op=node.op,
                                      a=a.label, a_kind=_kind_name(a), b=b.label,
                                      b_kind=_kind_name(b), hint=_quote_hint(a, b)))
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
                items = Message("errors.rules.evaluate.items.text" if item_kind == "text"
                                else "errors.rules.evaluate.items.numbers")
                raise ConfigError(Message("errors.rules.evaluate.in_text", label=v.label,
                                          kind=_kind_name(v), items=items))
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


_KIND_NAMES = {"num": Message("errors.rules.evaluate.kind.num"),
               "bool": Message("errors.rules.evaluate.kind.bool"),
               "text": Message("errors.rules.evaluate.kind.text")}


def _kind_name(v: _Val) -> Message | str:
    return _KIND_NAMES.get(v.kind, v.kind)


def _quote_hint(a: _Val, b: _Val) -> Message | str:
    if {a.kind, b.kind} == {"text", "num"}:
        return Message("errors.rules.evaluate.quote_hint")
    return ""
