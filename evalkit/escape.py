"""Text is data: one escaping function per output format, applied where data meets a template.

Names of policies, departments and firms, policy ids, study notes, KPI names and review comments
come from users. Each function below turns such a string into something its format shows as the
same literal text and never runs: no HTML or script, no pandoc raw block, link, citation or
shortcode, no Typst code, no Rich markup, no spreadsheet formula.

- :func:`markdown` -- pandoc Markdown (both report engines read it; pandoc then writes HTML and
  Typst, escaping what it writes);
- :func:`html` -- HTML text and attribute values;
- :func:`typst` -- Typst markup;
- :func:`matplotlib` -- figure labels (no mathtext);
- :func:`rich` -- Rich console markup (the CLI);
- :func:`cell` -- CSV/XLSX cells (OWASP "CSV injection": a leading ``= + - @``, tab or CR).

Characters no format can show as text (C0/C1 control characters other than line breaks and tabs,
lone surrogates) become U+FFFD in every format, so a terminal escape sequence or a NUL in a name
cannot reach a terminal, pandoc or Typst.
"""

from __future__ import annotations

import html as _html
import re
import string
import unicodedata
from typing import Any

from rich.markup import escape as _rich_escape

REPLACEMENT = "\ufffd"
#: Line breaks pandoc, Typst or a terminal may act on, and tabs.
_BREAKS = "\n\r\t\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_MD_SPACE = re.compile(f"[ {_BREAKS}]+")
_MD_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")
#: Typst markup: every ASCII character that starts or ends syntax (code ``#``, content ``[]``,
#: math ``$``, labels ``<>``, references ``@``, strong ``*``, emphasis ``_``, raw ``` ` ```,
#: headings ``=``, lists ``- + /``, comments ``//``, escapes ``\``, shorthands ``~ ' " . :``).
_TYPST_SPECIAL = re.compile(r"""([\\#\[\]$<>@*_`=+\-/~'":.])""")
#: First characters a spreadsheet reads as the start of a formula (OWASP CSV injection).
CELL_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def printable(text: Any) -> str:
    """``str(text)`` with control characters (except line breaks and tabs) and lone surrogates
    replaced by U+FFFD: what every escaping function starts from."""
    s = str(text)
    return "".join(REPLACEMENT if _unprintable(ch) else ch for ch in s)


def _unprintable(ch: str) -> bool:
    if ch in _BREAKS:
        return False
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Cs")


def markdown(text: Any) -> str:
    """``text`` as pandoc Markdown that reads back as exactly this text, inline.

    Every ASCII punctuation character is backslash-escaped (pandoc's ``all_symbols_escapable``:
    an escaped character is always a literal), which neutralises raw HTML, raw attributes
    ```` `x`{=html} ````, links and ``javascript:`` URLs, images, citations and cross-references
    (``@fig-x``), Quarto shortcodes (``{{< >}}``), math (``$``), emphasis, headings, list markers,
    table pipes, div fences, entities and smart punctuation (``--``, ``...``, quotes). Runs of
    spaces, tabs and line breaks become one space, so the text stays in its paragraph, list item
    or table cell (HTML shows them as one space anyway).
    """
    s = _MD_SPACE.sub(" ", printable(text))
    return _MD_SPECIAL.sub(r"\\\1", s)


def markdown_code(text: Any) -> str:
    """``text`` as a pandoc inline code span (monospace, no markup inside): fenced by more
    backticks than any run of backticks it contains, so it cannot close the span early."""
    s = _MD_SPACE.sub(" ", printable(text))
    if not s.strip():
        return markdown(s)
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def html(text: Any) -> str:
    """``text`` as HTML character data or a quoted attribute value (``& < > " '`` as entities)."""
    return _html.escape(printable(text), quote=True)


def typst(text: Any) -> str:
    """``text`` as Typst markup that shows exactly this text: every character with a meaning in
    markup mode is backslash-escaped (Typst accepts ``\\`` before any symbol); line breaks
    become spaces (a blank line would start a new paragraph)."""
    s = _MD_SPACE.sub(" ", printable(text))
    return _TYPST_SPECIAL.sub(r"\\\1", s)


def matplotlib(text: Any) -> str:
    """``text`` for a matplotlib label: ``$`` escaped, so an even number of dollars cannot start
    mathtext (which shows other text and fails on unknown commands such as ``$\\x$``)."""
    return printable(text).replace("$", r"\$")


def rich(text: Any) -> str:
    """``text`` for Rich console markup: ``[...]`` that looks like a tag is escaped
    (``rich.markup.escape``), so ``[/bold]`` or ``[/]`` in a name prints as written."""
    return _rich_escape(printable(text))


def cell(value: Any) -> Any:
    """A CSV/XLSX cell a spreadsheet shows as text: a string starting with ``= + - @``, a tab, a
    carriage return or a line feed (or their full-width forms) gets a leading apostrophe, so
    Excel, WPS and LibreOffice do not evaluate it as a formula (OWASP, "CSV Injection").
    Other values are returned unchanged."""
    if isinstance(value, str) and value.startswith(CELL_TRIGGERS):
        return "'" + value
    return value
