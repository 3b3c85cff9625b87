"""The rule language's Pratt parser: tokens to a syntax tree, with type and depth checks.

Grammar and limits: :mod:`evalkit.rules`.
"""

from __future__ import annotations

from collections.abc import Iterable

from evalkit.errors import ConfigError
from evalkit.i18n import Message
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


def _describe(node: Node) -> Message:
    """What ``node`` is, as messages name it ("the number 3", "字段 revenue")."""
    if isinstance(node, Num):
        return Message("errors.rules.parser.describe.number", text=_literal_text(node))
    if isinstance(node, Str):
        return Message("errors.rules.parser.describe.text", text=_literal_text(node))
    if isinstance(node, Bool):
        return Message("errors.rules.parser.describe.value", text=_literal_text(node))
    if isinstance(node, Field):
        return Message("errors.rules.parser.describe.field", name=node.name)
    if isinstance(node, Neg | Arith):
        return Message("errors.rules.parser.describe.arithmetic", text=to_text(node))
    return Message("errors.rules.parser.describe.condition", text=to_text(node))


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

    def error(self, tok: Token, message: Message) -> ConfigError:
        return _syntax_error(self.text, tok.pos, message)

    def expect(self, kind: str, text: str, what: Message) -> Token:
        tok = self.peek()
        if tok.kind != kind or tok.text != text:
            raise self.error(tok, Message("errors.rules.parser.expected_found", what=what,
                                          found=_tok_name(tok)))
        return self.advance()

    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(tok, Message("errors.rules.parser.too_deep", max=MAX_DEPTH))

    def leave(self) -> None:
        self.depth -= 1

    def need(self, node: Node, kinds: tuple, tok: Token, role: Message) -> Node:
        if not isinstance(node, kinds):
            raise self.error(tok, Message("errors.rules.parser.role_but_found", role=role,
                                          found=_describe(node)))
        return node

    # --- grammar
    def parse(self) -> Node:
        first = self.peek()
        if first.kind == "eof":
            raise self.error(first, Message("errors.rules.parser.empty"))
        node = self.expr(0)
        tok = self.peek()
        if tok.kind != "eof":
            raise self.error(tok, Message("errors.rules.parser.unexpected_after",
                                          found=_tok_name(tok)))
        return self.need(node, CONDITION_NODES, first,
                         Message("errors.rules.parser.role.rule_condition"))

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
                raise self.error(tok, Message("errors.rules.parser.chained"))
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
            role = Message("errors.rules.parser.role.joins_conditions", op=op)
            self.need(left, CONDITION_NODES, tok, role)
            right_tok = self.peek()
            right = self.expr(bp)
            self.need(right, CONDITION_NODES, right_tok, role)
            return And(left, right) if op == "and" else Or(left, right)
        if op in ("in", "not in"):
            self.need(left, VALUE_NODES, tok, Message("errors.rules.parser.role.tests_value", op=op))
            return InList(left, self.literal_list(), negated=(op == "not in"))
        if op in COMPARISONS:
            role = Message("errors.rules.parser.role.compares_values", op=op)
            self.need(left, VALUE_NODES, tok, role)
            right_tok = self.peek()
            right = self.expr(bp)
            self.need(right, VALUE_NODES, right_tok, role)
            _check_literal_types(self, op, left, right, tok)
            return Compare(op, left, right)
        # arithmetic
        role = Message("errors.rules.parser.role.needs_numbers", op=op)
        self.need(left, NUMERIC_NODES, tok, role)
        right_tok = self.peek()
        right = self.expr(bp)
        self.need(right, NUMERIC_NODES, right_tok, role)
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
            return Not(self.need(operand, CONDITION_NODES, operand_tok,
                                 Message("errors.rules.parser.role.not_negates")))
        if tok.kind == "op" and tok.text == "-":
            nxt = self.peek()
            if nxt.kind == "num":  # a negative literal
                self.advance()
                return Num(-nxt.value)  # type: ignore[operator]
            self.enter(tok)
            operand = self.expr(_BP_NEG)
            self.leave()
            return Neg(self.need(operand, NUMERIC_NODES, nxt,
                                 Message("errors.rules.parser.role.minus_needs_number")))
        if tok.kind == "op" and tok.text == "(":
            self.enter(tok)
            node = self.expr(0)
            self.leave()
            self.expect("op", ")", Message("errors.rules.parser.what.close_paren", pos=tok.pos + 1))
            return node
        if tok.kind == "eof":
            raise self.error(tok, Message("errors.rules.parser.ends_early"))
        raise self.error(tok, Message("errors.rules.parser.unexpected_start",
                                      found=_tok_name(tok)))

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect("op", "[", Message("errors.rules.parser.what.open_list"))
        items: list[Literal] = []
        first_tok: Token | None = None
        while not (self.peek().kind == "op" and self.peek().text == "]"):
            tok = self.peek()
            item = self.literal()
            if items and type(item) is not type(items[0]):
                assert first_tok is not None
                raise self.error(tok, Message("errors.rules.parser.list_mixes",
                                              first=_describe(items[0]), item=_describe(item)))
            if not items:
                first_tok = tok
            items.append(item)
            if self.peek().kind == "op" and self.peek().text == ",":
                self.advance()
                continue
            if not (self.peek().kind == "op" and self.peek().text == "]"):
                raise self.error(self.peek(), Message("errors.rules.parser.list_separator",
                                                      found=_tok_name(self.peek())))
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
        raise self.error(tok, Message("errors.rules.parser.list_item", found=_tok_name(tok)))


def _infix_op(tok: Token, nxt: Token) -> str | None:
    if tok.kind == "kw" and tok.text in ("and", "or", "in"):
        return tok.text
    if tok.kind == "kw" and tok.text == "not" and nxt.kind == "kw" and nxt.text == "in":
        return "not in"
    if tok.kind == "op" and tok.text in _INFIX_BP:
        return tok.text
    return None


def _tok_name(tok: Token) -> str | Message:
    if tok.kind == "eof":
        return Message("errors.rules.parser.end_of_rule")
    return f"'{tok.text}'"


def _check_literal_types(p: _Parser, op: str, left: Node, right: Node, tok: Token) -> None:
    """Text against a number, true/false or arithmetic is wrong whatever the data holds."""
    numeric = (Num, Neg, Arith, Bool)
    if (isinstance(left, Str) and isinstance(right, numeric)) or (
            isinstance(right, Str) and isinstance(left, numeric)):
        raise p.error(tok, Message("errors.rules.parser.text_vs_number", op=op,
                                   left=_describe(left), right=_describe(right)))


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
