"""The synthetic district's dirty export against its fault manifest (faults.json).

``write_district(..., dirty=True)`` injects faults and lists each one: table, file, physical row
(header = 1; null for file-level faults), column, value, fault code and what ingest must do with
it (``quarantine``, ``warning`` or ``accepted``). Ingest must quarantine every injected fault with
the mapped reason, warn on every expected warning, and quarantine nothing else, apart from rows
that lose their firm because the firm's own row was rejected (counted explicitly below).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from evalkit.io import ingest_dir, load_dataset, validate_dir
from evalkit.io.readers import read_table_file
from evalkit.synth import synthesize_district, write_district

#: fault code in faults.json -> reason code of evalkit.io.reasons
FAULT_REASON = {
    "bad_uscc": "bad_uscc",
    "duplicate_key": "duplicate_key",
    "unit_wan_in_yuan": "unit_jump",
    "not_a_number": "not_a_number",
    "missing_year": "year_gap",
    "unknown_policy": "unknown_policy",
    "negative_value": "negative_value",
}
N_FIRMS, START, END, SEED = 400, 2016, 2025, 11


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    out = tmp_path_factory.mktemp("dirty")
    district = synthesize_district(n_firms=N_FIRMS, start=START, end=END, seed=SEED)
    write_district(district, out, dirty=True, seed=SEED)
    faults = json.loads((out / "faults.json").read_text(encoding="utf-8"))["faults"]
    return out, pd.DataFrame(faults), validate_dir(out)


def _name(file) -> str:
    return Path(str(file)).name


def test_manifest_covers_every_fault_kind(dirty):
    _, faults, _ = dirty
    assert set(faults["fault"]) == set(FAULT_REASON) | {"gbk_encoding"}
    assert set(faults["expect"]) <= {"quarantine", "warning", "accepted"}


def test_every_quarantine_fault_is_quarantined_with_its_reason(dirty):
    _, faults, rep = dirty
    q = rep.quarantine
    got = set(zip(q["file"].map(_name), q["row"].astype(int), q["reason"], strict=True))
    expected = faults[faults["expect"] == "quarantine"]
    missing = [
        (f.file, f.row, f.fault) for f in expected.itertuples()
        if (_name(f.file), int(f.row), FAULT_REASON[f.fault]) not in got
    ]
    assert not missing, missing[:10]
    assert len(expected) > 0


def test_every_warning_fault_is_warned(dirty):
    _, faults, rep = dirty
    w = rep.warnings
    by_row = set(zip(w["file"].map(_name), w["row"], w["reason"], strict=True))
    gap_firms = set(w.loc[w["reason"] == "year_gap", "value"])
    expected = faults[faults["expect"] == "warning"]
    assert len(expected) > 0
    for f in expected.itertuples():
        reason = FAULT_REASON[f.fault]
        if reason == "year_gap":
            assert f.value in gap_firms, f
        else:
            assert (_name(f.file), int(f.row), reason) in by_row, f
    # no unit_jump on a row the manifest does not name
    jumps = w[w["reason"] == "unit_jump"]
    named = {(_name(f.file), int(f.row)) for f in expected.itertuples()
             if FAULT_REASON[f.fault] == "unit_jump"}
    assert set(zip(jumps["file"].map(_name), jumps["row"].astype(int), strict=True)) == named


def test_no_clean_row_is_quarantined(dirty):
    out, faults, rep = dirty
    faulty = {(_name(f.file), int(f.row)) for f in faults.itertuples()
              if f.expect == "quarantine"}
    q = rep.quarantine
    rows = q.groupby([q["file"].map(_name), q["row"].astype(int)])["reason"].agg(set)
    extra = rows[[k not in faulty for k in rows.index]]
    # The only other rejections allowed: rows whose firm was itself rejected in the firms table.
    firms_raw = read_table_file(next(out.glob("firms.*")))
    fq = rep.tables["firms"].quarantined
    rejected_codes = set(firms_raw.frame["firm_id"].str.upper().iloc[
        [i for i, r in enumerate(firms_raw.rows) if r in set(fq["row"].astype(int))]])
    accepted_firms = set(rep.tables["firms"].accepted["firm_id"])
    cascade = 0
    for (file, row), reasons in extra.items():
        assert reasons == {"unknown_firm"}, (file, row, reasons)
        table = next(t for t, tr in rep.tables.items() if _name(tr.file) == file)
        raw_value = q[(q["file"].map(_name) == file) & (q["row"] == row)]["value"].iloc[0]
        assert raw_value not in accepted_firms
        # the firm's row in firms.csv was rejected: same code, or the same 17 characters with a
        # wrong check character (bad_uscc), or a rejected duplicate of it
        assert raw_value in rejected_codes or raw_value[:17] in {c[:17] for c in rejected_codes}, (
            table, row, raw_value)
        cascade += 1
    n_quarantined = sum(tr.n_quarantined for tr in rep.tables.values())
    assert n_quarantined == len(faulty) + cascade


def test_read_equals_accepted_plus_quarantined(dirty):
    _, _, rep = dirty
    for name, tr in rep.tables.items():
        assert tr.n_read == tr.n_accepted + tr.n_quarantined, name
        assert tr.n_read > 0


def test_gbk_file_is_read_as_gb18030_and_converted_to_yuan(dirty):
    _, faults, rep = dirty
    gbk = faults[faults["fault"] == "gbk_encoding"]
    assert len(gbk) == 1
    tr = next(tr for tr in rep.tables.values() if _name(tr.file) == _name(gbk["file"].iloc[0]))
    assert tr.encoding == "gb18030"
    assert tr.units.get("revenue") == 1e4
    assert tr.headers["revenue"] == "营业收入(万元)"


def test_gbk_wan_file_equals_its_clean_utf8_yuan_twin(dirty, tmp_path):
    _, _, rep = dirty
    district = synthesize_district(n_firms=N_FIRMS, start=START, end=END, seed=SEED)
    write_district(district, tmp_path, dirty=False, seed=SEED)
    clean = validate_dir(tmp_path).tables["firm_years"]
    assert clean.encoding == "utf-8" and not clean.units
    gbk = rep.tables["firm_years"].accepted
    both = gbk.merge(clean.accepted, on=["firm_id", "year"], suffixes=("_gbk", "_utf8"))
    assert len(both) > 0.9 * len(gbk)
    for col in ("revenue", "rd_expense", "employees", "high_tech", "listed", "headquarters"):
        assert (both[f"{col}_gbk"] == both[f"{col}_utf8"]).all(), col
    # tax_paid differs only where 万元 was typed into the 元 column (the unit_jump rows)
    differs = (both["tax_paid_gbk"] != both["tax_paid_utf8"]).sum()
    assert differs == (rep.warnings["reason"] == "unit_jump").sum()


def test_dirty_district_ingests(dirty, tmp_path):
    out, _, rep = dirty
    store = tmp_path / "w.duckdb"
    res = ingest_dir(out, store=store)
    assert res.is_new
    data = load_dataset(store)
    assert {k: len(v) for k, v in data.items()} == {k: tr.n_accepted
                                                     for k, tr in rep.tables.items()}


@pytest.mark.slow
def test_full_size_dirty_district_matches_manifest_in_seconds(tmp_path):
    """20,000 firms x 10 years: every fault found, nothing else rejected, in seconds."""
    import time

    district = synthesize_district(n_firms=20000, start=2016, end=2025, seed=7)
    write_district(district, tmp_path / "d", dirty=True, seed=7)
    faults = pd.DataFrame(json.loads((tmp_path / "d" / "faults.json").read_text("utf-8"))["faults"])
    t0 = time.perf_counter()
    res = ingest_dir(tmp_path / "d", store=tmp_path / "w.duckdb")
    seconds = time.perf_counter() - t0
    q = res.report.quarantine
    got = set(zip(q["file"], q["row"].astype(int), q["reason"], strict=True))
    want = {(f.file, int(f.row), FAULT_REASON[f.fault]) for f in faults.itertuples()
            if f.expect == "quarantine"}
    assert want <= got
    assert sum(tr.n_quarantined for tr in res.report.tables.values()) == len(want)
    assert seconds < 60, seconds          # measured about 3 s on 2 shared cores
