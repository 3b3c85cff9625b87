"""Issue 18, items 13 and 14: input that would exhaust memory or silently change is refused, or
quarantined with its own reason (``read = accepted + quarantined`` still holds)."""

import io
import time
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from evalkit.errors import ConfigError, DataError
from evalkit.io.convert import convert_column
from evalkit.io.schemas import TABLES
from evalkit.portfolio.scorecard import load_scorecard_spec
from evalkit.study import load_study

BOMB = "\n".join(
    [f'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    + ["stage: ex_post", "name: x", "data: {store: w.duckdb}", "policy: P01"]) + "\n"


def test_yaml_alias_bomb_is_refused_quickly(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    assert len(BOMB.encode()) < 700
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match="expands to more than") as exc:
        load_study(path)
    assert time.perf_counter() - t0 < 5
    assert "别名" in exc.value.text("zh")


def test_recursive_and_deep_yaml_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("stage: ex_post\nname: &x [*x]\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_study(path)
    path.write_text("stage: ex_post\nname: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="nest"):
        load_study(path)


def test_duplicate_yaml_key_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("stage: ex_post\nname: a\ndata: {store: w.duckdb}\npolicy: P01\n"
                    "inference:\n  seed: 1\n  seed: 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"key 'seed' appears twice \(lines 6 and 7\)"):
        load_study(path)
    card = tmp_path / "card.yaml"
    card.write_text("indicators: []\nindicators: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="appears twice"):
        load_scorecard_spec(card)


def test_moderate_aliases_stay_allowed(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("stage: ex_post\nname: &n x\ndata: {store: w.duckdb}\npolicy: P01\n"
                    "report: {notes: {zh: *n, en: *n}}\n", encoding="utf-8")
    study, _ = load_study(path)
    assert study.report.notes == {"zh": "x", "en": "x"}
