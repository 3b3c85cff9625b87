"""Convert one text column to its canonical dtype, locating every cell that fails.

Each converter takes the column's text (``str`` Series, stripped, ``""`` for an empty cell) and
returns a :class:`Converted`: the values in the canonical dtype (missing where the cell was empty
or bad) and the problems, as boolean masks with a reason code and a per-cell detail.

Canonical dtypes: ``str``/``uscc``/``category``/``tags``/``rule`` -> ``str``; ``int`` -> ``Int64``;
``float``/``money`` -> ``float64`` (money in yuan); ``bool`` -> ``boolean``; ``date`` ->
``datetime64``.

Numbers: a plain decimal (``1234.5``, ``-3``, ``1e6``) or one with correctly grouped thousands
separators (``1,234.5``; ``1,23`` or ``1,2x3`` are not numbers). ``int`` columns need whole
numbers (``2016`` or ``2016.0``). Dates: ``YYYY-MM-DD``, also with ``/`` or ``.`` separators,
``2020年1月5日``, or a midnight timestamp. Category and bool values are mapped through
``data/aliases.csv`` (kind=value), ignoring case. Codes are upper-cased before checking.

Every converter works on the column's Arrow strings: numbers are matched by RE2 and cast by
Arrow (the same correctly rounded values as ``float``), codes are checked on a byte matrix,
category, bool, tag and date columns are converted once per distinct value and spread back by
index. A problem's per-cell detail is a function of the bad positions, so that nothing is built
for the clean cells.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.i18n import Join, Message
from evalkit.io.aliases import norm, value_map
from evalkit.io.arrowtext import any_byte, arrow_strings, byte_set, only_where
from evalkit.io.schemas import MONEY_MAX, Column
from evalkit.io.uscc import uscc_message, valid_uscc_array

_GROUPED = r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?"
_MAX_EXACT_INT = 2.0**53
_WHOLE_NUMBER = Message("reasons.detail.whole_number")
_PLAIN = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_INTEGER = r"[+-]?[0-9]+"
TAG_SEPARATORS = r"[;；,，、|]"
_COMMA = byte_set(b",")
_LOWER_OR_WIDE = byte_set(bytes(range(ord("a"), ord("z") + 1)) + bytes(range(0x80, 0x100)))

#: A problem's detail: one text for every bad cell, or a function of the bad positions.
Detail = str | Callable[[np.ndarray], Sequence[str]]


@dataclass
class Problem:
    mask: np.ndarray            # bool, one per row
    reason: str
    detail: Detail = ""


@dataclass
class Converted:
    values: pd.Series
    problems: list[Problem] = field(default_factory=list)

    @property
    def bad(self) -> np.ndarray:
        out = np.zeros(len(self.values), dtype=bool)
        for p in self.problems:
            out |= p.mask
        return out


def _mask(arr) -> np.ndarray:
    """A boolean Arrow result as numpy (null -> False)."""
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _full(text, pattern: str) -> np.ndarray:
    return _mask(pc.match_substring_regex(text, f"^{pattern}$"))


def _texts(text: pd.Series) -> pa.ChunkedArray:
    return arrow_strings(text)


def parse_numbers(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(float64 values, bool mask of non-empty cells that are not finite numbers).

    The values are those of ``pd.to_numeric`` on the plain cells (thousands separators
    removed), including its quirks: a column of integers only reads ``-0`` as ``0``, and a
    leading ``+`` is parsed by pandas' own, not correctly rounded, routine (such cells are few
    and are handed to pandas).
    """
    t = _texts(text)
    empty = _mask(pc.equal(pc.binary_length(t), 0))
    grouped = _full(t, _GROUPED) if any_byte(t, _COMMA) else np.zeros(len(t), dtype=bool)
    cleaned = (pc.if_else(pa.array(grouped), pc.replace_substring(t.combine_chunks(), ",", ""),
                          t.combine_chunks()) if grouped.any() else t)
    if isinstance(cleaned, pa.Array):
        cleaned = pa.chunked_array([cleaned])
    plain = _full(cleaned, _PLAIN)
    # the other cells become null (no copy) and are not parsed
    values = pc.cast(only_where(cleaned, plain), pa.float64()).to_numpy().copy()
    integers = None
    zero = (values == 0) & np.signbit(values)
    if zero.any():
        integers = _integer_column(cleaned, plain, values)
        if integers:
            values[zero] = 0.0      # pandas reads an all-integer column as int64: -0 is 0
    signed = np.flatnonzero(plain & _mask(pc.starts_with(cleaned, "+")))
    if len(signed):
        # pandas parses a leading '+' with its own (not correctly rounded) strtod: keep its value
        if integers is None:
            integers = _integer_column(cleaned, plain, values)
        cells = pc.take(cleaned, pa.array(signed)).to_pylist()
        parsed = pd.to_numeric(pd.Series(cells if integers else [*cells, "0.5"], dtype="str"))
        values[signed] = parsed.to_numpy(dtype=np.float64)[:len(signed)]
    bad = ~empty & (~plain | ~np.isfinite(values))
    values[bad | empty] = np.nan
    return values, bad


def _integer_column(cleaned, plain: np.ndarray, values: np.ndarray) -> bool:
    """Whether ``pd.to_numeric`` would return integers: every cell a plain integer that fits
    int64 (or uint64, without negatives)."""
    if not plain.all() or not _full(cleaned, _INTEGER).all():
        return False
    lo, hi = values.min(), values.max()
    return bool(lo >= -(2.0**63) and (hi < 2.0**63 or (lo >= 0 and hi < 2.0**64)))


def _missing(text: pd.Series, col: Column) -> list[Problem]:
    if not col.required:
        return []
    return [Problem(_mask(pc.equal(pc.binary_length(_texts(text)), 0)), "missing_required")]


def _str_values(arr: pa.ChunkedArray | pa.Array, index: pd.Index) -> pd.Series:
    """A ``str`` Series; nulls are missing values."""
    from evalkit.io.arrowtext import str_series

    out = str_series(arr)
    out.index = index
    return out


def convert_str(text: pd.Series, col: Column) -> Converted:
    t = _texts(text)
    values = pc.if_else(pc.equal(pc.binary_length(t), 0), pa.scalar(None, pa.large_string()), t)
    return Converted(_str_values(values, text.index), _missing(text, col))


def _by_value(text: pd.Series, convert: Callable[[list[str]], list]) -> tuple[pa.Array, np.ndarray]:
    """Apply ``convert`` (list of distinct texts -> list of results, None = unmapped) once per
    distinct value. Returns (results spread back to every row, Arrow; index of each row)."""
    enc = pc.dictionary_encode(_texts(text)).combine_chunks()
    results = convert(enc.dictionary.to_pylist())
    return pa.array(results).take(enc.indices), enc.indices.to_numpy(zero_copy_only=False)


def convert_uscc(text: pd.Series, col: Column) -> Converted:
    t = _texts(text)
    up = pc.utf8_upper(t) if any_byte(t, _LOWER_OR_WIDE) else t   # upper-casing changes nothing
    ok = valid_uscc_array(up)
    empty = _mask(pc.equal(pc.binary_length(up), 0))
    bad = ~ok & ~empty
    problems_of: dict[str, Message | None] = {}
    if bad.any():
        bad_codes = pc.unique(up.take(pa.array(np.flatnonzero(bad)))).to_pylist()
        problems_of = {c: uscc_message(c) for c in bad_codes}
    values = only_where(up, ~(bad | empty))

    def detail(pos: np.ndarray) -> list:
        return [problems_of.get(c) or "" for c in up.take(pa.array(pos)).to_pylist()]

    return Converted(_str_values(values, text.index),
                     [*_missing(text, col), Problem(bad, "bad_uscc", detail)])


def _out_of_range(values: np.ndarray, col: Column, huge: np.ndarray
                  ) -> tuple[np.ndarray, Callable[[np.ndarray], list]]:
    """Cells of a converted number column outside what can be stored or believed: an integer
    beyond 2^53 (float64 would change it), a value made infinite by the header's unit, money
    above :data:`MONEY_MAX` yuan, a value outside the column's ``bounds`` (calendar years).
    Returns (mask, detail by position)."""
    finite = np.isfinite(values)
    infinite = ~np.isnan(values) & ~finite
    money = (finite & (np.abs(values) > MONEY_MAX) if col.kind == "money"
             else np.zeros(len(values), dtype=bool))
    outside = np.zeros(len(values), dtype=bool)
    if col.bounds is not None:
        lo, hi = col.bounds
        outside = finite & ((values < lo) | (values > hi))
    details = (
        (huge, Message("reasons.detail.beyond_exact")),
        (infinite, Message("reasons.detail.too_large_in_yuan")),
        (money, Message("reasons.detail.above_money_max", max=MONEY_MAX)),
        (outside, Message("reasons.detail.accepted_range", lo=col.bounds[0], hi=col.bounds[1])
         if col.bounds else ""),
    )
    mask = huge | infinite | money | outside

    def detail(pos: np.ndarray) -> list:
        out = []
        for p in pos.tolist():
            out.append(next((d for m, d in details if m[p]), ""))
        return out

    return mask, detail


def convert_number(text: pd.Series, col: Column, factor: float = 1.0) -> Converted:
    values, bad = parse_numbers(text)
    problems = [*_missing(text, col)]
    detail: Detail = ""
    huge = np.zeros(len(values), dtype=bool)
    if col.kind == "int":
        ok = ~bad & ~np.isnan(values)
        frac = ok & (values != np.round(values))
        huge = ok & ~frac & (np.abs(values) >= _MAX_EXACT_INT)
        if frac.any():
            def detail(pos: np.ndarray, frac=frac) -> list:
                return [_WHOLE_NUMBER if f else "" for f in frac[pos]]
        bad = bad | frac
        values[frac] = np.nan
    problems.append(Problem(bad, "not_a_number", detail))
    if factor != 1.0:
        # the factor is a power of ten: round away float noise (123.4567 万元 -> 1234567 yuan)
        with np.errstate(over="ignore", invalid="ignore"):
            values = np.round(values * factor, 6)
    out, out_detail = _out_of_range(values, col, huge)
    if out.any():
        problems.append(Problem(out, "out_of_range", out_detail))
        values[out] = np.nan
    if col.nonnegative:
        neg = ~np.isnan(values) & (values < 0)
        problems.append(Problem(neg, "negative_value"))
    if col.kind == "int":
        missing = np.isnan(values)
        series = pd.Series(pd.arrays.IntegerArray(
            np.where(missing, 0, values).astype(np.int64), missing), index=text.index)
    else:
        series = pd.Series(values, index=text.index, dtype=np.float64)
    return Converted(series, problems)


def _mapper(mapping: dict[str, str]) -> Callable[[list[str]], list]:
    return lambda uniq: [mapping.get(norm(u)) if u != "" else None for u in uniq]


def _category_values(text: pd.Series, convert: Callable[[list[str]], list]
                     ) -> tuple[pa.Array, np.ndarray]:
    mapped, _ = _by_value(text, convert)
    empty = _mask(pc.equal(pc.binary_length(_texts(text)), 0))
    bad = ~empty & _mask(pc.is_null(mapped))
    return mapped, bad


def convert_category(text: pd.Series, col: Column) -> Converted:
    mapping = value_map(col.name) or {norm(a): a for a in col.allowed}
    mapping = {k: v for k, v in mapping.items() if v in col.allowed} if col.allowed else mapping
    mapped, bad = _category_values(text, _mapper(mapping))
    shown = Message("reasons.detail.category_values", values=Join("common.sep.list", col.allowed))
    return Converted(_str_values(mapped.cast(pa.large_string()), text.index),
                     [*_missing(text, col), Problem(bad, "bad_category", shown)])


def convert_bool(text: pd.Series, col: Column) -> Converted:
    mapping = value_map(col.name)
    mapped, bad = _category_values(text, _mapper(mapping))
    flags = pc.equal(mapped.cast(pa.large_string()), "true")
    values = pd.Series(pd.arrays.BooleanArray(
        _mask(flags), _mask(pc.is_null(mapped))), index=text.index)
    shown = ", ".join(sorted({a for a in mapping}))
    return Converted(values, [*_missing(text, col), Problem(bad, "bad_category", shown)])


def convert_tags(text: pd.Series, col: Column) -> Converted:
    mapping = value_map(col.name)
    order = {v: i for i, v in enumerate(col.allowed)}

    def tags(uniq: list[str]) -> list:
        out: list[str | None] = []
        for u in uniq:
            parts = [p.strip() for p in re.split(TAG_SEPARATORS, u) if p.strip()]
            canon = [mapping.get(norm(p)) for p in parts]
            if u == "" or not canon or any(c is None for c in canon):
                out.append(None)
            else:
                out.append(";".join(sorted(set(canon), key=order.__getitem__)))
        return out

    mapped, bad = _category_values(text, tags)
    shown = Message("reasons.detail.tag_values", values=Join("common.sep.list", col.allowed))
    return Converted(_str_values(mapped.cast(pa.large_string()), text.index),
                     [*_missing(text, col), Problem(bad, "bad_category", shown)])


def _parse_date_texts(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    t = text.str.replace(r"\s+00:00(?::00(?:\.0+)?)?$", "", regex=True)
    t = t.str.replace(r"^([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日$", r"\1-\2-\3", regex=True)
    t = t.str.replace(r"^([0-9]{4})[/.]([0-9]{1,2})[/.]([0-9]{1,2})$", r"\1-\2-\3", regex=True)
    shaped = t.str.fullmatch(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}").to_numpy(dtype=bool,
                                                                          na_value=False)
    t = t.str.replace(r"^([0-9]{4})-([0-9])-", r"\1-0\2-", regex=True)
    t = t.str.replace(r"-([0-9])$", r"-0\1", regex=True)
    values = pd.to_datetime(t.where(shaped, None), format="%Y-%m-%d", errors="coerce").astype(
        "datetime64[us]")
    bad = (text != "").to_numpy() & values.isna().to_numpy()
    return values, bad


def parse_dates(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(datetime64 values, bool mask of non-empty cells that are not dates); each distinct text
    is parsed once."""
    enc = pc.dictionary_encode(_texts(text)).combine_chunks()
    idx = enc.indices.to_numpy(zero_copy_only=False)
    uniq_values, uniq_bad = _parse_date_texts(pd.Series(enc.dictionary.to_pylist(), dtype="str"))
    values = pd.Series(uniq_values.to_numpy()[idx], index=text.index, dtype="datetime64[us]")
    return values, uniq_bad[idx]


def convert_date(text: pd.Series, col: Column) -> Converted:
    values, bad = parse_dates(text)
    return Converted(values, [*_missing(text, col), Problem(bad, "bad_date")])


def convert_column(text: pd.Series, col: Column, factor: float = 1.0) -> Converted:
    """Convert ``text`` for column ``col`` (``factor``: header unit to yuan, money only)."""
    if col.kind in ("int", "float", "money"):
        return convert_number(text, col, factor)
    if col.kind == "uscc":
        return convert_uscc(text, col)
    if col.kind == "category":
        return convert_category(text, col)
    if col.kind == "bool":
        return convert_bool(text, col)
    if col.kind == "tags":
        return convert_tags(text, col)
    if col.kind == "date":
        return convert_date(text, col)
    return convert_str(text, col)  # str, rule (rules are parsed in validate)
