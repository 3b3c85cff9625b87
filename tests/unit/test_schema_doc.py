"""data/SCHEMA.md documents every table and field of evalkit/io/schemas.py, and every category
value of schemas.py has a Chinese alias in data/aliases.csv."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from evalkit.io.schemas import TABLES
from evalkit.reference import classify_size
from evalkit.rules import parse_rule

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_MD = ROOT / "data" / "SCHEMA.md"
ALIASES = ROOT / "data" / "aliases.csv"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def doc() -> str:
    return SCHEMA_MD.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def field_rows(doc) -> dict[tuple[str, str], str]:
    """(table, field) -> the markdown table row documenting it, by table section."""
    rows: dict[tuple[str, str], str] = {}
    table = None
    for line in doc.splitlines():
        if line.startswith("#"):
            m = re.match(r"### `(\w+)` — ", line)
            table = m.group(1) if m else None
            continue
        m = re.match(r"\| `(\w+)` \|", line)
        if m and table in TABLES:
            rows[(table, m.group(1))] = line
    return rows


@pytest.mark.parametrize("table", list(TABLES.values()), ids=list(TABLES))
def test_table_heading_has_names_and_key(doc, table):
    heading = f"### `{table.name}` — {table.zh} ({table.en})"
    assert heading in doc
    section = doc.split(heading, 1)[1].split("\n### ", 1)[0]
    assert "Key: " + ", ".join(f"`{k}`" for k in table.key) + "." in section
    for col, ref_table, ref_col in table.references:
        assert f"`{col}` → `{ref_table}.{ref_col}`" in section


COLUMNS = [(t, c) for t in TABLES.values() for c in t.columns]


@pytest.mark.parametrize("table,col", COLUMNS, ids=[f"{t.name}.{c.name}" for t, c in COLUMNS])
def test_every_field_documented_with_names_kind_and_requiredness(field_rows, table, col):
    row = field_rows.get((table.name, col.name))
    assert row is not None, f"{table.name}.{col.name} missing from SCHEMA.md"
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == f"`{col.name}`"
    assert cells[1] == col.zh
    assert cells[2] == col.en
    assert cells[3] == col.kind
    assert cells[5] == ("required" if col.required else "optional")
    for value in col.allowed:
        assert f"`{value}`" in cells[6]
    if col.kind == "money":
        assert "yuan" in cells[4] and "万元" in cells[4]


def test_no_undocumented_extra_fields(field_rows):
    documented = set(field_rows)
    actual = {(t.name, c.name) for t, c in COLUMNS}
    assert documented == actual


def _value_aliases() -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    with ALIASES.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["kind"] == "value":
                out.setdefault((r["scope"], r["canonical"]), []).append(r["alias"])
    return out


CATEGORY_VALUES = [(c.name, v) for t, c in COLUMNS for v in c.allowed]


@pytest.mark.parametrize("column,value", sorted(set(CATEGORY_VALUES)))
def test_every_category_value_has_a_chinese_alias(column, value):
    aliases = _value_aliases().get((column, value), [])
    assert any(CJK.search(a) for a in aliases), f"no zh alias for {column}={value}"
    assert value in aliases  # the canonical code itself is accepted too


def test_documented_chinese_name_of_each_value_is_an_alias(field_rows):
    aliases = _value_aliases()
    for (table, name), row in field_rows.items():
        for value, zh in re.findall(r"`(\w+)`: ([^,;|]+)", row.split("|")[7]):
            assert zh.strip() in aliases[(name, value)], (table, name, value, zh)


def test_rule_examples_in_doc_parse_and_use_real_fields(doc):
    block = doc.split("## Rule grammar", 1)[1].split("```", 2)[1]
    examples = [line for line in block.splitlines() if line.strip()]
    assert len(examples) >= 4
    known = set(TABLES["firms"].column_names) | set(TABLES["firm_years"].column_names)
    for text in examples:
        parse_rule(text).check_fields(known)


def test_size_example_in_doc_holds(doc):
    assert "999 employees with 5 亿 revenue is medium" in doc
    assert classify_size("3911", 5e8, 999) == "medium"
    assert "5000\nemployees with 299 万 revenue is micro" in doc
    assert classify_size("3911", 299e4, 5000) == "micro"
