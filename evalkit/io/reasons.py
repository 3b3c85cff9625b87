"""Why a row is quarantined or flagged: the one list of reason codes; their texts, in Chinese
and English, are the catalog's ``reasons.<code>.what`` and ``reasons.<code>.fix``
(``evalkit/locale/reasons.yaml``).

Every problem ingest finds in a row carries one of these codes. ``severity`` says what happens
to the row: ``"quarantine"`` rejects it (it goes to the quarantine with file, row, column, value
and reason), ``"warning"`` accepts it and lists it among the warnings.

Messages are one line: ``file:row:column: what is wrong (what to do)``, built by :func:`message`.
``what`` and ``fix`` are templates formatted with ``value`` (the cell text) and ``detail``
(reason-specific: the expected check character, the first row of a duplicated key, the policy's
window, ...). A detail with words in it is a :class:`~evalkit.i18n.Message` (a
``reasons.detail.*`` key) or a :class:`~evalkit.i18n.Bilingual` pair, so the Chinese message is
Chinese throughout; numbers, dates and row numbers are plain values.
"""

from __future__ import annotations

from dataclasses import dataclass

from evalkit.errors import check_choice
from evalkit.i18n import Bilingual, t

__all__ = ["QUARANTINE_REASONS", "REASONS", "SEVERITIES", "WARNING_REASONS", "Bilingual",
           "Reason", "location", "message"]

SEVERITIES = ("quarantine", "warning")


@dataclass(frozen=True)
class Reason:
    code: str
    severity: str


_REASONS = (
    Reason("missing_required", "quarantine"),
    Reason("not_a_number", "quarantine"),
    Reason("bad_uscc", "quarantine"),
    Reason("bad_category", "quarantine"),
    Reason("bad_date", "quarantine"),
    Reason("negative_value", "quarantine"),
    Reason("duplicate_key", "quarantine"),
    Reason("unknown_firm", "quarantine"),
    Reason("unknown_policy", "quarantine"),
    Reason("outside_policy_window", "warning"),
    Reason("bad_rule", "quarantine"),
    Reason("wrong_field_count", "quarantine"),
    Reason("out_of_range", "quarantine"),
    Reason("formula_without_value", "quarantine"),
    Reason("unit_jump", "warning"),
    Reason("cap_exceeded", "warning"),
    Reason("year_gap", "warning"),
)

REASONS: dict[str, Reason] = {r.code: r for r in _REASONS}
QUARANTINE_REASONS = tuple(r.code for r in _REASONS if r.severity == "quarantine")
WARNING_REASONS = tuple(r.code for r in _REASONS if r.severity == "warning")
LANGS = ("en", "zh")


def location(file: str | None, row: int | None, column: str | None) -> str:
    """``file:row:column`` with the missing parts left out."""
    parts = [str(p) for p in (file, row, column) if p is not None and p == p and p != ""]
    return ":".join(parts)


def message(code: str, file: str | None, row: int | None, column: str | None,
            value: object = "", detail: object = "", lang: str = "en") -> str:
    """The one-line message ``file:row:column: what is wrong (what to do)``."""
    check_choice("reason", code, tuple(REASONS))
    check_choice("lang", lang, LANGS)
    value = "" if value is None else value
    detail = "" if detail is None else detail
    text = t(f"reasons.{code}.what", lang, value=value, detail=detail)
    fix_text = t(f"reasons.{code}.fix", lang, value=value, detail=detail)
    line = f"{location(file, row, column)}: {text} ({fix_text})"
    return " ".join(line.split())  # one line, whatever the cell held
