"""Header, table-name and category-value aliases (``data/aliases.csv``) and header unit suffixes.

``data/aliases.csv`` is the one alias table (columns ``kind, scope, canonical, alias``):

* ``kind=table``: file stems naming a table (``企业名录.csv`` -> ``firms``);
* ``kind=column, scope=<table>``: headers naming a column of that table;
* ``kind=value, scope=<column>``: cell values naming a category (or bool) value.

Matching ignores case and repeated whitespace. A header may carry a unit suffix in ASCII or
full-width parentheses, ``营业收入(万元)`` or ``revenue (CNY 10k)``; money columns are converted to
yuan with the factor in :data:`UNITS`. A unit on a non-money column, an unknown unit, an unknown
header, a header given twice, or a missing required column is a file-level :class:`DataError`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from evalkit.errors import DataError
from evalkit.i18n import Join, Message
from evalkit.io.schemas import TABLES, Table

ALIASES_CSV = Path(__file__).resolve().parents[2] / "data" / "aliases.csv"

#: Money units accepted in header suffixes -> factor to yuan.
UNITS: dict[str, float] = {
    "元": 1.0, "yuan": 1.0, "cny": 1.0, "rmb": 1.0, "人民币元": 1.0,
    "千元": 1e3, "thousand yuan": 1e3, "cny 1000": 1e3, "cny thousand": 1e3,
    "万元": 1e4, "万": 1e4, "10k yuan": 1e4, "cny 10k": 1e4, "10,000 yuan": 1e4,
    "cny 10,000": 1e4, "ten thousand yuan": 1e4, "wan yuan": 1e4,
    "百万元": 1e6, "million yuan": 1e6, "cny million": 1e6, "cny mn": 1e6, "cny m": 1e6,
    "亿元": 1e8, "亿": 1e8, "100 million yuan": 1e8, "cny 100m": 1e8, "cny 100 million": 1e8,
}

_SUFFIX = re.compile(r"^(?P<base>.*?)\s*[\(（]\s*(?P<unit>[^()（）]*?)\s*[\)）]\s*$")


def norm(text: str) -> str:
    """Normal form for matching: case-folded, whitespace collapsed, BOM and edges stripped."""
    return " ".join(str(text).replace("\ufeff", "").split()).casefold()


@dataclass(frozen=True)
class Aliases:
    tables: dict[str, str]                      # norm(alias) -> table
    columns: dict[str, dict[str, str]]          # table -> norm(alias) -> column
    values: dict[str, dict[str, str]]           # column -> norm(alias) -> canonical value

    def table_for_stem(self, stem: str, file: str) -> str:
        name = self.tables.get(norm(stem))
        if name is None:
            accepted = ", ".join(sorted({a for a in _raw_aliases("table")}))
            raise DataError(Message("errors.io.aliases.file_name_names_known", stem=stem),
                            file=file,
                            fix=Message("errors.io.aliases.fix_rename_file_one",
                                        accepted=accepted))
        return name

    def accepted_headers(self, table: str) -> list[str]:
        return sorted({a for s, a in _raw_aliases("column") if s == table})


@lru_cache(maxsize=1)
def _rows() -> tuple[tuple[str, str, str, str], ...]:
    with open(ALIASES_CSV, encoding="utf-8", newline="") as fh:
        return tuple((r["kind"], r["scope"], r["canonical"], r["alias"])
                     for r in csv.DictReader(fh))


def _raw_aliases(kind: str):
    if kind == "table":
        return [a for k, _, _, a in _rows() if k == "table"]
    return [(s, a) for k, s, _, a in _rows() if k == kind]


@lru_cache(maxsize=1)
def load_aliases() -> Aliases:
    """Read ``data/aliases.csv`` once."""
    tables: dict[str, str] = {}
    columns: dict[str, dict[str, str]] = {}
    values: dict[str, dict[str, str]] = {}
    for kind, scope, canonical, alias in _rows():
        if kind == "table":
            tables[norm(alias)] = canonical
        elif kind == "column":
            columns.setdefault(scope, {})[norm(alias)] = canonical
        elif kind == "value":
            values.setdefault(scope, {})[norm(alias)] = canonical
    for t in TABLES.values():  # the canonical names always work
        tables.setdefault(norm(t.name), t.name)
        for c in t.columns:
            columns.setdefault(t.name, {}).setdefault(norm(c.name), c.name)
    return Aliases(tables, columns, values)


@dataclass(frozen=True)
class HeaderMap:
    """How one file's headers map onto a table's columns."""

    columns: tuple[str | None, ...]             # canonical column per header position (None: skip)
    units: dict[str, float]                     # canonical money column -> factor to yuan
    headers: dict[str, str]                     # canonical column -> header as written


def map_headers(headers: list[str], table: Table, file: str,
                column_values: list[bool] | None = None) -> HeaderMap:
    """Map a file's headers onto ``table``'s columns.

    ``column_values[i]`` says whether column ``i`` holds any non-empty cell; an empty header over
    an empty column (a trailing separator) is skipped.
    """
    al = load_aliases().columns[table.name]
    out: list[str | None] = []
    units: dict[str, float] = {}
    written: dict[str, str] = {}
    accepted = ", ".join(load_aliases().accepted_headers(table.name))
    for i, raw in enumerate(headers):
        header = " ".join(str(raw).replace("\ufeff", "").split())
        if header == "":
            if column_values is not None and not column_values[i]:
                out.append(None)
                continue
            raise DataError(Message("errors.io.aliases.column_header", i=i + 1), file=file, row=1,
                            fix=Message("errors.io.aliases.fix_name_column_accepted_headers",
                                        accepted=accepted))
        canonical = al.get(norm(header))
        factor = None
        if canonical is None:
            m = _SUFFIX.match(header)
            if m and al.get(norm(m["base"])):
                canonical = al[norm(m["base"])]
                col = table.column(canonical)
                if col.kind != "money":
                    raise DataError(Message("errors.io.aliases.header_carries_unit_but",
                                            header=header, canonical=canonical), file=file, row=1,
                                    column=header,
                                    fix=Message("errors.io.aliases.fix_remove_unit_suffix",
                                                base=m['base']))
                factor = UNITS.get(norm(m["unit"]))
                if factor is None:
                    raise DataError(Message("errors.io.aliases.unknown_unit", header=header,
                                            unit=m["unit"]), file=file, row=1, column=header,
                                    fix=Message("errors.io.aliases.fix_use_unit",
                                                units=", ".join(UNITS)))
        if canonical is None:
            raise DataError(Message("errors.io.aliases.unknown_header_table", header=header,
                                    name=table.name), file=file, row=1, column=header,
                            fix=Message("errors.io.aliases.fix_use_one", accepted=accepted))
        if canonical in written:
            raise DataError(Message("errors.io.aliases.headers_both_name",
                                    written=written[canonical], header=header,
                                    canonical=canonical), file=file, row=1, column=header,
                            fix=Message("errors.io.aliases.fix_keep_one_two_columns"))
        written[canonical] = header
        if factor is not None:
            units[canonical] = factor
        out.append(canonical)
    missing = [c.name for c in table.columns if c.required and c.name not in written]
    if missing:
        names = Join("common.sep.semicolon",
                     [Message("errors.io.aliases.required_example", column=c,
                              header=table.column(c).zh) for c in missing])
        raise DataError(Message("errors.io.aliases.required_missing", name=table.name,
                                names=names), file=file, row=1,
                        fix=Message("errors.io.aliases.fix_add_columns", accepted=accepted))
    return HeaderMap(tuple(out), units, written)


def value_map(column: str) -> dict[str, str]:
    """norm(alias) -> canonical value for a category or bool column."""
    return load_aliases().values.get(column, {})
