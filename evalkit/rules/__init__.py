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
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError
from evalkit.i18n import Join, Message
from evalkit.rules import nodes
from evalkit.rules.evaluate import _Evaluator
from evalkit.rules.nodes import *  # noqa: F403  (the syntax tree is public API)
from evalkit.rules.nodes import MAX_DEPTH, MAX_RULE_LENGTH, Field, Node, to_text
from evalkit.rules.parser import _depth, _Parser, _walk
from evalkit.rules.tokens import Token, tokenize

__all__ = [*nodes.__all__, "Rule", "Token", "parse_rule", "rule_from_node", "tokenize"]


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
        parts: list[str | Message] = []
        for name in unknown:
            close = difflib.get_close_matches(name, known_list, n=1)
            parts.append(Message("errors.rules.did_you_mean", name=name, close=close[0])
                         if close else f"'{name}'")
        names = Join("common.sep.list", parts)
        known = ", ".join(known_list) if known_list else Message("errors.rules.no_known_fields")
        if len(unknown) > 1:
            raise ConfigError(Message("errors.rules.unknown_fields", rule=self, parts=names,
                                      known=known))
        raise ConfigError(Message("errors.rules.unknown_field", rule=self, parts=names,
                                  known=known))

    def evaluate(self, df: pd.DataFrame) -> np.ndarray:
        """Evaluate row by row; returns a numpy bool array of shape ``(len(df),)``."""
        self.check_fields(df.columns)
        out = _Evaluator(df).condition(self.node)
        return np.asarray(out, dtype=bool).reshape(len(df))


def parse_rule(text: str) -> Rule:
    """Parse rule text into a :class:`Rule`; any problem raises ConfigError with its position."""
    if not isinstance(text, str):
        raise ConfigError(Message("errors.rules.rule_text", type_name=type(text).__name__))
    if len(text) > MAX_RULE_LENGTH:
        raise ConfigError(Message("errors.rules.rule_characters_long_limit", n_text=len(text),
                                  max_rule_length=MAX_RULE_LENGTH))
    node = _Parser(text).parse()
    if _depth(node) > MAX_DEPTH:
        raise ConfigError(Message("errors.rules.rule_nests_deeper_than", max_depth=MAX_DEPTH))
    return Rule(node, text)


def rule_from_node(node: Node) -> Rule:
    """A Rule built from a tree (e.g. generated); checked by printing and re-parsing."""
    return parse_rule(to_text(node))
