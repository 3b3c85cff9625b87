"""The rule language's Pratt parser: tokens to a syntax tree, with type and depth checks.

Grammar and limits: :mod:`evalkit.rules`.
"""

from __future__ import annotations

from collections.abc import Iterable

from evalkit.errors import ConfigError
from evalkit.rules.nodes import (
    _BP_ADD,
    _BP_AND,
    _BP_CMP,
    _BP_MUL,
    _BP_NEG,
    _BP_NOT,
    _BP_OR,
    COMPARISONS,
    CONDITION_NODES,
    MAX_DEPTH,
    NUMERIC_NODES,
    VALUE_NODES,
    And,
    Arith,
    Bool,
    Compare,
    Field,
    InList,
    Literal,
    Neg,
    Node,
    Not,
    Num,
    Or,
    Str,
    _literal_text,
    to_text,
)
from evalkit.rules.tokens import Token, _syntax_error, tokenize

__all__: list[str] = []


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
