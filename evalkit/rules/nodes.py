"""The rule language's syntax tree (frozen dataclasses) and its printer.

:func:`to_text` prints a tree so that parsing the text gives back the same tree; the binding
powers it uses are the parser's (:mod:`evalkit.rules.parser`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ARITHMETIC", "COMPARISONS", "CONDITION_NODES", "KEYWORDS", "MAX_DEPTH", "MAX_RULE_LENGTH",
    "NUMERIC_NODES", "VALUE_NODES", "And", "Arith", "Bool", "Compare", "Field", "InList",
    "Literal", "Neg", "Node", "Not", "Num", "Or", "Str", "to_text",
]


MAX_RULE_LENGTH = 4000
MAX_DEPTH = 100

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false"})
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
ARITHMETIC = ("+", "-", "*", "/")


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
