"""The rule language's tokenizer: numbers, strings, names, operators; full-width punctuation.

Every problem raises :class:`evalkit.errors.ConfigError` pointing at the character.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from evalkit.errors import ConfigError
from evalkit.i18n import Message
from evalkit.rules.nodes import KEYWORDS

__all__ = ["Token", "tokenize"]


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


def _syntax_error(text: str, pos: int, message: Message) -> ConfigError:
    """A ConfigError pointing at character ``pos`` (0-based) with a caret line."""
    start = max(0, pos - 60)
    shown = text[start:pos + 60]
    line = "".join(" " if c in "\r\n\t" else c for c in shown)
    caret = " " * (pos - start) + "^"
    return ConfigError(Message("errors.rules.tokens.syntax_error", pos=pos + 1, message=message,
                               line=line, caret=caret))


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
                raise _syntax_error(text, m.end(), Message("errors.rules.tokens.malformed_number",
                                                           lexeme=text[i:m.end() + 1]))
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
            raise _syntax_error(text, i, Message("errors.rules.tokens.single_equals"))
        if c in "&|!":
            raise _syntax_error(text, i, Message("errors.rules.tokens.not_operator", c=c))
        if c in _FULLWIDTH:
            raise _syntax_error(text, i, Message("errors.rules.tokens.full_width", c=c,
                                                 ascii=_FULLWIDTH[c]))
        raise _syntax_error(text, i, Message("errors.rules.tokens.unexpected_character", c=c))
    tokens.append(Token("eof", "", n))
    return tokens


def _number_value(text: str, pos: int, lexeme: str) -> int | float:
    if lexeme.isascii() and lexeme.isdigit():
        value: int | float = int(lexeme)
        try:
            float(value)
        except OverflowError:
            raise _syntax_error(text, pos, Message("errors.rules.tokens.int_too_large",
                                                   lexeme=lexeme[:20])) from None
        return value
    value = float(lexeme)
    if not math.isfinite(value):
        raise _syntax_error(text, pos, Message("errors.rules.tokens.number_too_large",
                                               lexeme=lexeme[:20]))
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
                raise _syntax_error(text, i, Message("errors.rules.tokens.unknown_escape", esc=esc))
            out.append(_ESCAPES[esc])
            i += 2
            continue
        out.append(c)
        i += 1
    raise _syntax_error(text, start, Message("errors.rules.tokens.string_not_closed",
                                             quote=quote))
