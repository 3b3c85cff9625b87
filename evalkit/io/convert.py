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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.io.aliases import norm, value_map
from evalkit.io.schemas import Column
from evalkit.io.uscc import uscc_problem, valid_uscc_array

_GROUPED = r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?"
_MAX_EXACT_INT = 2.0**53
_PLAIN = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
TAG_SEPARATORS = r"[;；,，、|]"


@dataclass
class Problem:
    mask: np.ndarray            # bool, one per row
    reason: str
    detail: pd.Series | str = ""


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


def parse_numbers(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(float64 values, bool mask of non-empty cells that are not finite numbers)."""
    empty = (text == "").to_numpy()
    grouped = text.str.fullmatch(_GROUPED).to_numpy(dtype=bool, na_value=False)
    cleaned = text.where(~grouped, text.str.replace(",", "", regex=False))
    # Only characters a plain decimal can hold; pandas would otherwise accept e.g. '1_000'.
    plain = cleaned.str.fullmatch(_PLAIN).to_numpy(dtype=bool, na_value=False)
    values = pd.to_numeric(cleaned.where(plain, ""), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan, copy=True)
    bad = ~empty & (~plain | ~np.isfinite(values))
    values[bad | empty] = np.nan
    return values, bad


def _missing(text: pd.Series, col: Column) -> list[Problem]:
    if not col.required:
        return []
    return [Problem((text == "").to_numpy(), "missing_required")]


def convert_str(text: pd.Series, col: Column) -> Converted:
    values = text.where(text != "", None).astype("str")
    return Converted(values, _missing(text, col))


def convert_uscc(text: pd.Series, col: Column) -> Converted:
    up = text.str.upper()
    uniq = pd.unique(up)
    ok = valid_uscc_array(uniq)
    problems_of = {c: uscc_problem(c) for c, good in zip(uniq, ok, strict=True)
                   if not good and c != ""}
    bad = up.isin(list(problems_of)).to_numpy()
    values = up.where((up != "") & ~bad, None).astype("str")
    detail = up.map(problems_of).astype("str")
    return Converted(values, [*_missing(text, col), Problem(bad, "bad_uscc", detail)])


def convert_number(text: pd.Series, col: Column, factor: float = 1.0) -> Converted:
    values, bad = parse_numbers(text)
    problems = [*_missing(text, col)]
    detail: pd.Series | str = ""
    if col.kind == "int":
        frac = ~bad & ~np.isnan(values) & ((values != np.round(values))
                                          | (np.abs(values) > _MAX_EXACT_INT))
        if frac.any():
            detail = pd.Series(np.where(frac, " (a whole number is needed)", ""),
                               index=text.index, dtype="str")
        bad = bad | frac
        values[frac] = np.nan
    problems.append(Problem(bad, "not_a_number", detail))
    if factor != 1.0:
        # the factor is a power of ten: round away float noise (123.4567 万元 -> 1234567 yuan)
        values = np.round(values * factor, 6)
    if col.nonnegative:
        neg = ~np.isnan(values) & (values < 0)
        problems.append(Problem(neg, "negative_value"))
    if col.kind == "int":
        series = pd.Series(pd.array(np.where(np.isnan(values), 0, values).astype(np.int64),
                                    dtype="Int64"), index=text.index)
        series[np.isnan(values)] = pd.NA
    else:
        series = pd.Series(values, index=text.index, dtype=np.float64)
    return Converted(series, problems)


def _mapped(text: pd.Series, mapping: dict[str, str]) -> pd.Series:
    uniq = pd.unique(text)
    lookup = {u: mapping.get(norm(u)) for u in uniq if u != ""}
    return text.map(lookup)


def convert_category(text: pd.Series, col: Column) -> Converted:
    mapping = value_map(col.name) or {norm(a): a for a in col.allowed}
    mapping = {k: v for k, v in mapping.items() if v in col.allowed} if col.allowed else mapping
    mapped = _mapped(text, mapping)
    bad = ((text != "") & mapped.isna()).to_numpy()
    shown = ", ".join(col.allowed) + " (or their Chinese names)"
    return Converted(mapped.astype("str"),
                     [*_missing(text, col), Problem(bad, "bad_category", shown)])


def convert_bool(text: pd.Series, col: Column) -> Converted:
    mapping = value_map(col.name)
    mapped = _mapped(text, mapping)
    bad = ((text != "") & mapped.isna()).to_numpy()
    values = mapped.map({"true": True, "false": False}).astype("boolean")
    shown = ", ".join(sorted({a for a in mapping}))
    return Converted(values, [*_missing(text, col), Problem(bad, "bad_category", shown)])


def convert_tags(text: pd.Series, col: Column) -> Converted:
    mapping = value_map(col.name)
    order = {v: i for i, v in enumerate(col.allowed)}
    lookup: dict[str, str | None] = {}
    for u in pd.unique(text):
        if u == "":
            continue
        parts = [p.strip() for p in re.split(TAG_SEPARATORS, u) if p.strip()]
        canon = [mapping.get(norm(p)) for p in parts]
        if any(c is None for c in canon) or not canon:
            lookup[u] = None
        else:
            lookup[u] = ";".join(sorted(set(canon), key=order.__getitem__))
    mapped = text.map(lookup)
    bad = ((text != "") & mapped.isna()).to_numpy()
    shown = ", ".join(col.allowed) + " separated by ';'"
    return Converted(mapped.astype("str"),
                     [*_missing(text, col), Problem(bad, "bad_category", shown)])


def parse_dates(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(datetime64 values, bool mask of non-empty cells that are not dates)."""
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
