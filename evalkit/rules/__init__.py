r"""A small, safe expression grammar for eligibility rules and other user conditions.

Rules are text such as::

    high_tech == true and rd_expense / revenue >= 0.03 and size_class in ["small", "micro"]
    employees >= 10 and not listed

They are tokenised and parsed (a Pratt parser) into an AST of frozen dataclasses, then evaluated
column-wise on a :class:`pandas.DataFrame`. Nothing is ever passed to ``eval``/``exec``/``compile``.

Grammar (loosest binding first)::

    rule       := expr                                  (must be a condition)
    expr       := expr "or" expr | expr "and" expr | "not" expr
                | value CMP value | value ["not"] "in" list | value
    CMP        := "==" | "!=" | "<" | "<=" | ">" | ">="  (not chainable: write a < b and b < c)
    value      := value ("+" | "-") value | value ("*" | "/") value | "-" value
                | NUMBER | STRING | "true" | "false" | IDENT | "(" expr ")"
    list       := "[" [literal ("," literal)* [","]] "]"  (literals all of one type)
    NUMBER     := 12 | 3.5 | .5 | 1e6 | 2.5E-3
    STRING     := '...' | "..."  (escapes \\ \' \" \n \t)
    IDENT      := [A-Za-z_][A-Za-z0-9_]*  (keywords and/or/not/in/true/false are case-insensitive)

Semantics, row by row:

- Arithmetic is float64; division by zero gives a missing value (NaN).
- A comparison (including ``in`` and ``not in``) with a missing operand is **false**.
- A bare field used as a condition must be boolean and means ``field == true`` (missing -> false),
  so ``not listed`` is true for firms whose ``listed`` is false or missing.
- Booleans compare with booleans and numbers (as 0/1); text compares only with text.

Limits: a rule may be at most :data:`MAX_RULE_LENGTH` characters and nest at most
:data:`MAX_DEPTH` levels (each parenthesis, ``not``, unary minus and each operator of a chain counts
one level), so a hostile rule cannot exhaust the stack; write long lists of alternatives as
``x in [...]``. Every problem raises :class:`evalkit.errors.ConfigError`.
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError

MAX_RULE_LENGTH = 4000
MAX_DEPTH = 100

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false"})
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
ARITHMETIC = ("+", "-", "*", "/")


# =============================================================================== AST
@dataclass(frozen=True)
class Num:
    value: int | float


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class Bool:
    value: bool


@dataclass(frozen=True)
class Field:
    name: str


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class Arith:
    op: str  # one of ARITHMETIC
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare:
    op: str  # one of COMPARISONS
    left: Node
    right: Node


@dataclass(frozen=True)
class InList:
    operand: Node
    values: tuple[Num | Str | Bool, ...]
    negated: bool = False


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


Node = Num | Str | Bool | Field | Neg | Arith | Compare | InList | Not | And | Or
Literal = Num | Str | Bool

#: Nodes that can stand where a condition is needed (operands of and/or/not, the whole rule).
CONDITION_NODES = (Compare, InList, Not, And, Or, Bool, Field)
#: Nodes that can stand where a value is needed (operands of comparisons).
VALUE_NODES = (Num, Str, Bool, Field, Neg, Arith)
#: Nodes that can stand where a number is needed (operands of + - * / and unary minus).
NUMERIC_NODES = (Num, Field, Neg, Arith)


# =============================================================================== printing
# Binding powers, shared by the parser and the printer so that printing then parsing gives
# back the same tree.
_BP_OR, _BP_AND, _BP_NOT, _BP_CMP, _BP_ADD, _BP_MUL, _BP_NEG = 10, 20, 30, 40, 50, 60, 70
_ATOM = 100


def _prec(node: Node) -> int:
    if isinstance(node, Or):
        return _BP_OR
    if isinstance(node, And):
        return _BP_AND
    if isinstance(node, Not):
        return _BP_NOT
    if isinstance(node, Compare | InList):
        return _BP_CMP
    if isinstance(node, Arith):
        return _BP_ADD if node.op in "+-" else _BP_MUL
    if isinstance(node, Neg):
        return _BP_NEG
    return _ATOM


def _quote(s: str) -> str:
    body = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{body}"'


def _literal_text(node: Literal) -> str:
    if isinstance(node, Bool):
        return "true" if node.value else "false"
    if isinstance(node, Str):
        return _quote(node.value)
    return repr(node.value) if isinstance(node.value, float) else str(node.value)


def to_text(node: Node, min_prec: int = 0) -> str:
    """Canonical text of ``node``; parenthesised where its precedence is below ``min_prec``."""
    if isinstance(node, Num | Str | Bool):
        text = _literal_text(node)
    elif isinstance(node, Field):
        text = node.name
    elif isinstance(node, Neg):
        # "-(3)" keeps Neg(Num(3)) distinct from the literal Num(-3) that "-3" parses to.
        inner = node.operand
        text = "-" + (f"({to_text(inner)})" if isinstance(inner, Num) else to_text(inner, _BP_NEG))
    elif isinstance(node, Arith):
        p = _prec(node)
        text = f"{to_text(node.left, p)} {node.op} {to_text(node.right, p + 1)}"
    elif isinstance(node, Compare):
        text = f"{to_text(node.left, _BP_CMP + 1)} {node.op} {to_text(node.right, _BP_CMP + 1)}"
    elif isinstance(node, InList):
        items = ", ".join(_literal_text(v) for v in node.values)
        kw = "not in" if node.negated else "in"
        text = f"{to_text(node.operand, _BP_CMP + 1)} {kw} [{items}]"
    elif isinstance(node, Not):
        text = f"not {to_text(node.operand, _BP_NOT)}"
    elif isinstance(node, And):
        text = f"{to_text(node.left, _BP_AND)} and {to_text(node.right, _BP_AND + 1)}"
    elif isinstance(node, Or):
        text = f"{to_text(node.left, _BP_OR)} or {to_text(node.right, _BP_OR + 1)}"
    else:  # pragma: no cover - exhaustive over Node
        raise TypeError(f"not a rule node: {node!r}")
    return f"({text})" if _prec(node) < min_prec else text


# =============================================================================== tokenizer
@dataclass(frozen=True)
class Token:
    kind: str  # num, str, ident, kw, op, eof
    text: str
    pos: int  # 0-based character offset in the rule text
    value: object = None


_NUMBER = re.compile(r"(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DIGITS = frozenset("0123456789")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPS = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ",")
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}
_FULLWIDTH = {"（": "(", "）": ")", "，": ",", "“": '"', "”": '"', "‘": "'", "’": "'",
              "【": "[", "】": "]", "＝": "=", "＞": ">", "＜": "<", "！": "!", "　": " "}


def _syntax_error(text: str, pos: int, message: str, zh: str) -> ConfigError:
    """A ConfigError pointing at character ``pos`` (0-based) with a caret line; ``zh`` is
    ``message`` in Chinese."""
    start = max(0, pos - 60)
    shown = text[start:pos + 60]
    line = "".join(" " if c in "\r\n\t" else c for c in shown)
    caret = " " * (pos - start) + "^"
    return ConfigError(
        f"rule syntax error at character {pos + 1}: {message}\n    {line}\n    {caret}",
        zh=f"规则语法错误（第 {pos + 1} 个字符）：{zh}\n    {line}\n    {caret}",
    )


def tokenize(text: str) -> list[Token]:
    """Split rule text into tokens; raises ConfigError with the position of a bad character."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in _DIGITS or (c == "." and i + 1 < n and text[i + 1] in _DIGITS):
            m = _NUMBER.match(text, i)
            assert m is not None
            lexeme = m.group()
            if m.end() < n and (text[m.end()].isalnum() or text[m.end()] in "_."):
                raise _syntax_error(text, m.end(), f"malformed number {text[i:m.end() + 1]!r}",
                                    f"数字格式错误 {text[i:m.end() + 1]!r}")
            tokens.append(Token("num", lexeme, i, _number_value(text, i, lexeme)))
            i = m.end()
            continue
        if c.isascii() and (c.isalpha() or c == "_"):
            m = _IDENT.match(text, i)
            assert m is not None
            word = m.group()
            if word.lower() in KEYWORDS:
                tokens.append(Token("kw", word.lower(), i))
            else:
                tokens.append(Token("ident", word, i))
            i = m.end()
            continue
        if c in "'\"":
            value, end = _read_string(text, i)
            tokens.append(Token("str", text[i:end], i, value))
            i = end
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op is not None:
            tokens.append(Token("op", op, i))
            i += len(op)
            continue
        if c == "=":
            raise _syntax_error(text, i, "'=' is not an operator; compare with '=='",
                                "'=' 不是运算符；比较请用 '=='")
        if c in "&|!":
            raise _syntax_error(text, i, f"{c!r} is not an operator; use and / or / not",
                                f"{c!r} 不是运算符；请用 and / or / not")
        if c in _FULLWIDTH:
            raise _syntax_error(text, i, f"full-width {c!r}; type the ASCII {_FULLWIDTH[c]!r}",
                                f"全角字符 {c!r}；请输入半角（ASCII）的 {_FULLWIDTH[c]!r}")
        raise _syntax_error(text, i, f"unexpected character {c!r}", f"意外的字符 {c!r}")
    tokens.append(Token("eof", "", n))
    return tokens


def _number_value(text: str, pos: int, lexeme: str) -> int | float:
    if lexeme.isascii() and lexeme.isdigit():
        value: int | float = int(lexeme)
        try:
            float(value)
        except OverflowError:
            raise _syntax_error(text, pos, f"number {lexeme[:20]}... is too large",
                                f"数字 {lexeme[:20]}... 过大") from None
        return value
    value = float(lexeme)
    if not math.isfinite(value):
        raise _syntax_error(text, pos, f"number {lexeme[:20]} is too large",
                            f"数字 {lexeme[:20]} 过大")
    return value


def _read_string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == quote:
            return "".join(out), i + 1
        if c == "\\":
            if i + 1 >= len(text):
                break
            esc = text[i + 1]
            if esc not in _ESCAPES:
                raise _syntax_error(text, i, f"unknown escape '\\{esc}' in a string "
                                             "(allowed: \\\\ \\' \\\" \\n \\t)",
                                    f"字符串中有未知的转义 '\\{esc}'"
                                    "（可用：\\\\ \\' \\\" \\n \\t）")
            out.append(_ESCAPES[esc])
            i += 2
            continue
        out.append(c)
        i += 1
    raise _syntax_error(text, start, f"string opened with {quote} is never closed",
                        f"以 {quote} 开始的字符串没有闭合")


# =============================================================================== parser
_INFIX_BP = {"or": _BP_OR, "and": _BP_AND, **dict.fromkeys(COMPARISONS, _BP_CMP),
             "in": _BP_CMP, "+": _BP_ADD, "-": _BP_ADD, "*": _BP_MUL, "/": _BP_MUL}


def _describe(node: Node, lang: str = "en") -> str:
    zh = lang == "zh"
    if isinstance(node, Num):
        return f"{'数字' if zh else 'the number'} {_literal_text(node)}"
    if isinstance(node, Str):
        return f"{'文本' if zh else 'the text'} {_literal_text(node)}"
    if isinstance(node, Bool):
        return f"{'值' if zh else 'the value'} {_literal_text(node)}"
    if isinstance(node, Field):
        return f"{'字段' if zh else 'the field'} {node.name}"
    if isinstance(node, Neg | Arith):
        return f"{'算术式' if zh else 'the arithmetic'} '{to_text(node)}'"
    return f"{'条件' if zh else 'the condition'} '{to_text(node)}'"


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0  # current nesting: parentheses, prefix operators, operator chains

    # --- helpers
    def peek(self, k: int = 0) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, tok: Token, message: str, zh: str) -> ConfigError:
        return _syntax_error(self.text, tok.pos, message, zh)

    def expect(self, kind: str, text: str, what: str, what_zh: str) -> Token:
        tok = self.peek()
        if tok.kind != kind or tok.text != text:
            raise self.error(tok, f"expected {what}, found {_tok_name(tok)}",
                             f"此处应为{what_zh}，实际为 {_tok_name(tok, 'zh')}")
        return self.advance()

    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(tok, f"rule nests deeper than {MAX_DEPTH} levels; simplify it "
                                  "(long lists of alternatives: write x in [...])",
                             f"规则嵌套超过 {MAX_DEPTH} 层，请简化"
                             "（多个备选值请写作 x in [...]）")

    def leave(self) -> None:
        self.depth -= 1

    def need(self, node: Node, kinds: tuple, tok: Token, role: str, role_zh: str) -> Node:
        if not isinstance(node, kinds):
            raise self.error(tok, f"{role}, but found {_describe(node)}",
                             f"{role_zh}，但此处是 {_describe(node, 'zh')}")
        return node

    # --- grammar
    def parse(self) -> Node:
        first = self.peek()
        if first.kind == "eof":
            raise self.error(first, "the rule is empty", "规则为空")
        node = self.expr(0)
        tok = self.peek()
        if tok.kind != "eof":
            raise self.error(tok, f"unexpected {_tok_name(tok)}; expected and / or / an operator "
                                  "or the end of the rule",
                             f"意外的 {_tok_name(tok, 'zh')}；此处应为 and / or / 运算符或规则结尾")
        return self.need(node, CONDITION_NODES, first,
                         "a rule must be a condition (a comparison, in [...], true/false or a "
                         "true/false field)",
                         "规则须为条件（比较式、in [...]、true/false 或取值为 true/false 的字段）")

    def expr(self, min_bp: int) -> Node:
        left = self.prefix()
        chained = 0
        while True:
            tok = self.peek()
            op = _infix_op(tok, self.peek(1))
            if op is None:
                break
            bp = _INFIX_BP["in" if op == "not in" else op]
            if bp <= min_bp:
                break
            if bp == _BP_CMP and isinstance(left, Compare | InList) and chained:
                raise self.error(tok, "comparisons cannot be chained; join them with 'and' "
                                      "(a < b and b < c)",
                                 "比较不能连写，请用 'and' 连接（a < b and b < c）")
            self.advance()
            if op == "not in":
                self.advance()
            chained += 1
            self.enter(tok)
            left = self.infix(op, tok, left, bp)
        self.depth -= chained
        return left

    def infix(self, op: str, tok: Token, left: Node, bp: int) -> Node:
        if op in ("and", "or"):
            self.need(left, CONDITION_NODES, tok, f"'{op}' joins conditions",
                      f"'{op}' 用于连接条件")
            right_tok = self.peek()
            right = self.expr(bp)
            self.need(right, CONDITION_NODES, right_tok, f"'{op}' joins conditions",
                      f"'{op}' 用于连接条件")
            return And(left, right) if op == "and" else Or(left, right)
        if op in ("in", "not in"):
            self.need(left, VALUE_NODES, tok, f"'{op}' tests a value", f"'{op}' 用于检验一个值")
            return InList(left, self.literal_list(), negated=(op == "not in"))
        if op in COMPARISONS:
            self.need(left, VALUE_NODES, tok, f"'{op}' compares values", f"'{op}' 用于比较值")
            right_tok = self.peek()
            right = self.expr(bp)
            self.need(right, VALUE_NODES, right_tok, f"'{op}' compares values",
                      f"'{op}' 用于比较值")
            _check_literal_types(self, op, left, right, tok)
            return Compare(op, left, right)
        # arithmetic
        self.need(left, NUMERIC_NODES, tok, f"'{op}' needs numbers", f"'{op}' 需要数字")
        right_tok = self.peek()
        right = self.expr(bp)
        self.need(right, NUMERIC_NODES, right_tok, f"'{op}' needs numbers",
                  f"'{op}' 需要数字")
        return Arith(op, left, right)

    def prefix(self) -> Node:
        tok = self.advance()
        if tok.kind == "num":
            return Num(tok.value)  # type: ignore[arg-type]
        if tok.kind == "str":
            return Str(tok.value)  # type: ignore[arg-type]
        if tok.kind == "ident":
            return Field(tok.text)
        if tok.kind == "kw" and tok.text in ("true", "false"):
            return Bool(tok.text == "true")
        if tok.kind == "kw" and tok.text == "not":
            self.enter(tok)
            operand_tok = self.peek()
            operand = self.expr(_BP_NOT)
            self.leave()
            return Not(self.need(operand, CONDITION_NODES, operand_tok, "'not' negates a condition",
                                 "'not' 用于对条件取反"))
        if tok.kind == "op" and tok.text == "-":
            nxt = self.peek()
            if nxt.kind == "num":  # a negative literal
                self.advance()
                return Num(-nxt.value)  # type: ignore[operator]
            self.enter(tok)
            operand = self.expr(_BP_NEG)
            self.leave()
            return Neg(self.need(operand, NUMERIC_NODES, nxt, "'-' needs a number",
                                 "'-' 需要数字"))
        if tok.kind == "op" and tok.text == "(":
            self.enter(tok)
            node = self.expr(0)
            self.leave()
            self.expect("op", ")", "')' to close the '(' at character " f"{tok.pos + 1}",
                        f"用于闭合第 {tok.pos + 1} 个字符处 '(' 的 ')'")
            return node
        if tok.kind == "eof":
            raise self.error(tok, "the rule ends too early; a value or condition is missing",
                             "规则提前结束，缺少值或条件")
        raise self.error(tok, f"unexpected {_tok_name(tok)}; expected a value, a field, '(' "
                              "or 'not'",
                         f"意外的 {_tok_name(tok, 'zh')}；此处应为值、字段、'(' 或 'not'")

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect("op", "[", "'[' to start the list after 'in'", " 'in' 之后开始列表的 '['")
        items: list[Literal] = []
        first_tok: Token | None = None
        while not (self.peek().kind == "op" and self.peek().text == "]"):
            tok = self.peek()
            item = self.literal()
            if items and type(item) is not type(items[0]):
                assert first_tok is not None
                raise self.error(tok, f"list mixes {_describe(items[0])} with {_describe(item)}; "
                                      "all items must be numbers, or all text, or all true/false",
                                 f"列表中混有 {_describe(items[0], 'zh')} 与 {_describe(item, 'zh')}；"
                                 "各项须全为数字、全为文本或全为 true/false")
            if not items:
                first_tok = tok
            items.append(item)
            if self.peek().kind == "op" and self.peek().text == ",":
                self.advance()
                continue
            if not (self.peek().kind == "op" and self.peek().text == "]"):
                raise self.error(self.peek(), f"expected ',' or ']' in the list, found "
                                              f"{_tok_name(self.peek())}",
                                 f"列表中此处应为 ',' 或 ']'，实际为 "
                                 f"{_tok_name(self.peek(), 'zh')}")
        self.advance()
        return tuple(items)

    def literal(self) -> Literal:
        tok = self.advance()
        if tok.kind == "num":
            return Num(tok.value)  # type: ignore[arg-type]
        if tok.kind == "op" and tok.text == "-" and self.peek().kind == "num":
            return Num(-self.advance().value)  # type: ignore[operator]
        if tok.kind == "str":
            return Str(tok.value)  # type: ignore[arg-type]
        if tok.kind == "kw" and tok.text in ("true", "false"):
            return Bool(tok.text == "true")
        raise self.error(tok, f"list items must be numbers, quoted text or true/false; found "
                              f"{_tok_name(tok)}",
                         f"列表项须为数字、带引号的文本或 true/false；实际为 {_tok_name(tok, 'zh')}")


def _infix_op(tok: Token, nxt: Token) -> str | None:
    if tok.kind == "kw" and tok.text in ("and", "or", "in"):
        return tok.text
    if tok.kind == "kw" and tok.text == "not" and nxt.kind == "kw" and nxt.text == "in":
        return "not in"
    if tok.kind == "op" and tok.text in _INFIX_BP:
        return tok.text
    return None


def _tok_name(tok: Token, lang: str = "en") -> str:
    if tok.kind == "eof":
        return "规则结尾" if lang == "zh" else "the end of the rule"
    return f"'{tok.text}'"


def _check_literal_types(p: _Parser, op: str, left: Node, right: Node, tok: Token) -> None:
    """Text against a number, true/false or arithmetic is wrong whatever the data holds."""
    numeric = (Num, Neg, Arith, Bool)
    if (isinstance(left, Str) and isinstance(right, numeric)) or (
            isinstance(right, Str) and isinstance(left, numeric)):
        raise p.error(tok, f"'{op}' compares {_describe(left)} with {_describe(right)}; "
                           "text compares only with text",
                      f"'{op}' 将 {_describe(left, 'zh')} 与 {_describe(right, 'zh')} 比较；"
                      "文本只能与文本比较")


def _walk(node: Node) -> Iterable[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, Neg | Not):
            stack.append(n.operand)
        elif isinstance(n, Arith | Compare | And | Or):
            stack.extend((n.left, n.right))
        elif isinstance(n, InList):
            stack.append(n.operand)
            stack.extend(n.values)


def _depth(node: Node) -> int:
    best, stack = 0, [(node, 1)]
    while stack:
        n, d = stack.pop()
        best = max(best, d)
        if isinstance(n, Neg | Not):
            stack.append((n.operand, d + 1))
        elif isinstance(n, Arith | Compare | And | Or):
            stack.extend(((n.left, d + 1), (n.right, d + 1)))
        elif isinstance(n, InList):
            stack.append((n.operand, d + 1))
    return best


# =============================================================================== evaluation
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
        raise ConfigError(f"field {name} appears in {s.shape[1]} columns; rename the duplicates",
                          zh=f"字段 {name} 出现在 {s.shape[1]} 列中；请为重复的列改名")
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
        raise ConfigError(f"field {name} mixes {', '.join(sorted(kinds))} values; a rule can use "
                          "it only once it holds one type",
                          zh=f"字段 {name} 混有 {', '.join(sorted(kinds))} 类型的值；"
                             "须统一为一种类型后才能在规则中使用")
    raise ConfigError(f"field {name} has type {dtype}, which rules cannot use (numbers, text and "
                      "true/false only)",
                      zh=f"字段 {name} 的类型为 {dtype}，规则无法使用"
                         "（仅支持数字、文本和 true/false）")


def _py_kind(v: object) -> str:
    if isinstance(v, bool | np.bool_):
        return "bool"
    if isinstance(v, int | float | np.integer | np.floating):
        return "num"
    if isinstance(v, str):
        return "text"
    return type(v).__name__


def _literal_val(node: Literal, n: int) -> _Val:
    label, label_zh = _describe(node), _describe(node, "zh")
    if isinstance(node, Bool):
        return _Val("bool", np.full(n, node.value), np.zeros(n, dtype=bool), label, label_zh)
    if isinstance(node, Str):
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

    def value(self, node: Node) -> _Val:
        if isinstance(node, Field):
            if node.name not in self.cache:
                self.cache[node.name] = _column(self.df, node.name)
            return self.cache[node.name]
        if isinstance(node, Num | Str | Bool):
            return _literal_val(node, self.n)
        if isinstance(node, Neg):
            x = _as_number(self.value(node.operand), "-")
            return _Val("num", -x, np.isnan(x), _describe(node), _describe(node, "zh"))
        if isinstance(node, Arith):
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

    def condition(self, node: Node) -> np.ndarray:
        if isinstance(node, And):
            return self.condition(node.left) & self.condition(node.right)
        if isinstance(node, Or):
            return self.condition(node.left) | self.condition(node.right)
        if isinstance(node, Not):
            return ~self.condition(node.operand)
        if isinstance(node, Bool):
            return np.full(self.n, node.value)
        if isinstance(node, Field):
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
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, InList):
            return self.in_list(node)
        raise ConfigError(f"{_describe(node)} is not a condition",  # pragma: no cover
                          zh=f"{_describe(node, 'zh')} 不是条件")

    def compare(self, node: Compare) -> np.ndarray:
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

    def in_list(self, node: InList) -> np.ndarray:
        v = self.value(node.operand)
        ok = ~v.missing
        if v.kind == "null":
            return np.zeros(self.n, dtype=bool)
        if node.values:
            item_kind = "text" if isinstance(node.values[0], Str) else "num"
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


# =============================================================================== public API
@dataclass(frozen=True)
class Rule:
    """A parsed rule. Equality compares the syntax tree, not the original spelling."""

    node: Node
    source: str = field(default="", compare=False)

    def __str__(self) -> str:
        return to_text(self.node)

    @property
    def fields(self) -> frozenset[str]:
        """Names of the fields the rule reads."""
        return frozenset(n.name for n in _walk(self.node) if isinstance(n, Field))

    def check_fields(self, known: Iterable[str]) -> None:
        """Raise ConfigError naming every field the rule uses that is not in ``known``."""
        known_list = sorted({str(k) for k in known})
        unknown = sorted(self.fields - set(known_list))
        if not unknown:
            return
        parts = []
        for name in unknown:
            close = difflib.get_close_matches(name, known_list, n=1)
            parts.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        parts_zh = []
        for name in unknown:
            close = difflib.get_close_matches(name, known_list, n=1)
            parts_zh.append(f"'{name}'" + (f"（是否指 '{close[0]}'？）" if close else ""))
        s = "s" if len(unknown) > 1 else ""
        raise ConfigError(
            f"rule '{self}' uses unknown field{s} {', '.join(parts)}; known fields: "
            f"{', '.join(known_list) if known_list else '(none)'}",
            zh=f"规则 '{self}' 使用了未知字段 {'、'.join(parts_zh)}；已知字段："
               f"{', '.join(known_list) if known_list else '（无）'}",
        )

    def evaluate(self, df: pd.DataFrame) -> np.ndarray:
        """Evaluate row by row; returns a numpy bool array of shape ``(len(df),)``."""
        self.check_fields(df.columns)
        out = _Evaluator(df).condition(self.node)
        return np.asarray(out, dtype=bool).reshape(len(df))


def parse_rule(text: str) -> Rule:
    """Parse rule text into a :class:`Rule`; any problem raises ConfigError with its position."""
    if not isinstance(text, str):
        raise ConfigError(f"a rule must be text; received {type(text).__name__}",
                          zh=f"规则须为文本；收到的是 {type(text).__name__}")
    if len(text) > MAX_RULE_LENGTH:
        raise ConfigError(f"rule is {len(text)} characters long; the limit is {MAX_RULE_LENGTH}",
                          zh=f"规则长 {len(text)} 个字符，超过上限 {MAX_RULE_LENGTH}")
    node = _Parser(text).parse()
    if _depth(node) > MAX_DEPTH:
        raise ConfigError(f"rule nests deeper than {MAX_DEPTH} levels; simplify it",
                          zh=f"规则嵌套超过 {MAX_DEPTH} 层，请简化")
    return Rule(node, text)


def rule_from_node(node: Node) -> Rule:
    """A Rule built from a tree (e.g. generated); checked by printing and re-parsing."""
    return parse_rule(to_text(node))
