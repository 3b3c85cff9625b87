"""Warehouse: versions, identical re-ingest, atomicity, round trip, parameterised queries."""

from __future__ import annotations

import hashlib
import json

import duckdb
import pandas as pd
import pytest

import evalkit.io.validate as validate_mod
import evalkit.io.warehouse as wh
from evalkit.errors import DataError
from evalkit.io import ingest_dir, list_datasets, load_dataset, load_problems, validate_dir
from evalkit.io.schemas import TABLES
from tests.unit.test_io_data import clean_tables, dirty_tables, write_tables


@pytest.fixture(autouse=True)
def no_rules(monkeypatch):
    monkeypatch.setattr(validate_mod, "rule_checker", lambda: None)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_ingest_round_trip_and_identical_reingest(tmp_path):
    d = write_tables(clean_tables(), tmp_path / "in")
    store = tmp_path / "w.duckdb"
    res = ingest_dir(d, store=store)
    assert res.is_new and res.version.dataset_id == "v1" and len(res.version.sha256) == 64
    assert {s.table for s in res.version.source_files} == set(TABLES)
    src = {s.file: s.sha256 for s in res.version.source_files}
    assert src["firms.csv"] == _sha(d / "firms.csv")
    loaded = load_dataset(store)
    for name, tr in res.report.tables.items():
        expected = wh.canonical_frame(TABLES[name], tr.accepted)
        pd.testing.assert_frame_equal(loaded[name], expected, obj=name)
    before = _sha(store)
    again = ingest_dir(d, store=store)
    assert not again.is_new and again.version == res.version
    assert _sha(store) == before
    assert len(list_datasets(store)) == 1


def test_same_content_in_another_order_is_the_same_version(tmp_path):
    t = clean_tables()
    store = tmp_path / "w.duckdb"
    ingest_dir(write_tables(t, tmp_path / "a"), store=store)
    t["firm_years"] = t["firm_years"].iloc[::-1]
    t["firms"] = t["firms"][list(reversed(t["firms"].columns))]
    assert not ingest_dir(write_tables(t, tmp_path / "b"), store=store).is_new


def test_changed_data_adds_a_version_and_keeps_the_old(tmp_path):
    store = tmp_path / "w.duckdb"
    t = clean_tables()
    v1 = ingest_dir(write_tables(t, tmp_path / "a"), store=store).version
    t["budgets"].loc[0, "appropriation"] = "999"
    res = ingest_dir(write_tables(t, tmp_path / "b"), store=store)
    assert res.is_new and res.version.dataset_id == "v2" and res.version.sha256 != v1.sha256
    ds = list_datasets(store)
    assert ds["dataset_id"].tolist() == ["v1", "v2"]
    assert json.loads(ds["counts"].iloc[1])["budgets"]["read"] == 4
    assert load_dataset(store)["budgets"]["appropriation"].iloc[0] == 999.0
    assert load_dataset(store, "v1")["budgets"]["appropriation"].iloc[0] == 1e6
    with pytest.raises(DataError, match="v1, v2"):
        load_dataset(store, "v7")


@pytest.mark.parametrize("existing", [True, False])
def test_failure_mid_ingest_leaves_the_store_unchanged(tmp_path, monkeypatch, existing):
    store = tmp_path / "w.duckdb"
    t = clean_tables()
    if existing:
        ingest_dir(write_tables(t, tmp_path / "a"), store=store)
        before = _sha(store)
    t["budgets"].loc[0, "appropriation"] = "1"
    real_insert = wh._insert

    def failing_insert(con, table, dataset_id, df, columns):
        if table == "disbursements":           # after firms, firm_years, policies, budgets
            raise OSError("disk full (injected)")
        return real_insert(con, table, dataset_id, df, columns)

    monkeypatch.setattr(wh, "_insert", failing_insert)
    with pytest.raises(OSError, match="injected"):
        ingest_dir(write_tables(t, tmp_path / "b"), store=store)
    if existing:
        assert _sha(store) == before
        assert list_datasets(store)["dataset_id"].tolist() == ["v1"]
    else:
        assert not store.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == (
        ["w.duckdb"] if existing else [])


def test_failure_in_replace_leaves_the_store_unchanged(tmp_path, monkeypatch):
    store = tmp_path / "w.duckdb"
    t = clean_tables()
    ingest_dir(write_tables(t, tmp_path / "a"), store=store)
    before = _sha(store)
    t["budgets"].loc[0, "appropriation"] = "1"

    def boom(src, dst):
        raise PermissionError("injected")

    monkeypatch.setattr(wh.os, "replace", boom)
    with pytest.raises(PermissionError):
        ingest_dir(write_tables(t, tmp_path / "b"), store=store)
    assert _sha(store) == before
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["w.duckdb"]


def test_quarantine_and_warnings_are_stored(tmp_path):
    tables, expected_q, _ = dirty_tables()
    store = tmp_path / "w.duckdb"
    res = ingest_dir(write_tables(tables, tmp_path / "in"), store=store)
    q = load_problems(store)
    assert len(q) == len(res.report.quarantine)
    got = set(zip(q["table_name"], q["row"].astype(int), q["reason"], strict=True))
    want = {(t, r, reason) for t, s in expected_q.items() for r, reason in s}
    assert got == want
    w = load_problems(store, kind="warnings")
    assert set(w["reason"]) == {"unit_jump", "year_gap", "cap_exceeded", "outside_policy_window"}
    counts = json.loads(list_datasets(store)["counts"].iloc[0])
    for name, c in counts.items():
        assert c["read"] == c["accepted"] + c["quarantined"], name


def test_values_that_look_like_sql_are_stored_verbatim(tmp_path):
    t = clean_tables()
    nasty = "R'); DROP TABLE firms; --"
    t["disbursements"].loc[0, "record_id"] = nasty
    t["firms"].loc[0, "name"] = 'O"Brien \'s 企业'
    store = tmp_path / "w.duckdb"
    ingest_dir(write_tables(t, tmp_path / "in"), store=store)
    data = load_dataset(store)
    assert nasty in data["disbursements"]["record_id"].tolist()
    assert 'O"Brien \'s 企业' in data["firms"]["name"].tolist()
    con = duckdb.connect(str(store), read_only=True)
    assert con.execute("SELECT count(*) FROM firms").fetchone()[0] == 5
    con.close()


def test_list_datasets_on_a_missing_store_is_empty(tmp_path):
    assert list_datasets(tmp_path / "none.duckdb").empty
    with pytest.raises(DataError, match="no datasets"):
        load_dataset(tmp_path / "none.duckdb")


def test_not_a_duckdb_file_is_a_data_error(tmp_path):
    store = tmp_path / "w.duckdb"
    store.write_bytes(b"this is not a database")
    before = _sha(store)
    with pytest.raises(DataError) as exc:
        ingest_dir(write_tables(clean_tables(), tmp_path / "in"), store=store)
    assert exc.value.location.file == str(store)
    assert _sha(store) == before


def test_content_hash_ignores_source_format(tmp_path):
    rep = validate_dir(write_tables(clean_tables(), tmp_path / "a"))
    shuffled = {k: v.sample(frac=1, random_state=1) for k, v in rep.accepted.items()}
    assert wh.content_sha256(rep.accepted) == wh.content_sha256(shuffled)
    changed = dict(rep.accepted)
    changed["budgets"] = changed["budgets"].assign(appropriation=1.0)
    assert wh.content_sha256(changed) != wh.content_sha256(rep.accepted)


def test_problems_are_stored_in_both_languages_and_old_stores_gain_the_column(tmp_path):
    d = write_tables(dirty_tables()[0], tmp_path / "in")
    # a store written before messages were kept in Chinese: its problem tables lack message_zh
    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    for name in wh.PROBLEM_TABLES:
        con.execute(f"CREATE TABLE {name} (dataset_id VARCHAR NOT NULL, table_name VARCHAR, "
                    'file VARCHAR, "row" BIGINT, "column" VARCHAR, value VARCHAR, '
                    "reason VARCHAR, message VARCHAR)")
    con.close()
    for store in (tmp_path / "new.duckdb", old):
        res = ingest_dir(d, store=store)
        q = load_problems(store)
        assert len(q) == len(res.report.quarantine) > 0
        assert q["message_zh"].notna().all()
        assert all(m.split(":")[0] == z.split(":")[0] for m, z in zip(q["message"],
                                                                        q["message_zh"],
                                                                        strict=True))
        assert q["message_zh"].str.contains(r"[\u4e00-\u9fff]").all()
