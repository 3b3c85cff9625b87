"""Writing the synthetic district: bytes, determinism, and the dirty-mode fault manifest."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from evalkit.io.schemas import TABLES
from evalkit.io.uscc import is_valid_uscc
from evalkit.synth import district_statistics, synthesize_district, write_district
from evalkit.synth.faults import COUNT_RANGE
from evalkit.synth.stats import to_markdown

FILES = [f"{t}.csv" for t in TABLES] + ["truth.json"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def small():
    return synthesize_district(n_firms=3000, seed=11)


@pytest.fixture(scope="module")
def written(small, tmp_path_factory):
    clean = tmp_path_factory.mktemp("clean")
    dirty = tmp_path_factory.mktemp("dirty")
    steps: list[str] = []
    paths = write_district(small, clean, dirty=False, seed=11, progress=steps.append)
    write_district(small, dirty, dirty=True, seed=11)
    return clean, dirty, paths, steps


def _bytes(folder: Path, names=FILES) -> dict[str, bytes]:
    return {n: (folder / n).read_bytes() for n in names}


def test_clean_files_are_canonical_utf8_csv(small, written):
    clean, _, paths, steps = written
    assert set(paths) == set(TABLES) | {"truth"}
    assert not (clean / "faults.json").exists()
    assert any("firm_years" in s for s in steps) and "write truth" in steps
    for name, table in TABLES.items():
        text = (clean / f"{name}.csv").read_bytes().decode("utf-8")
        assert text.splitlines()[0] == ",".join(table.column_names)
        back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        assert len(back) == len(getattr(small, name))
    fy = pd.read_csv(clean / "firm_years.csv")
    pd.testing.assert_series_equal(fy["revenue"], small.firm_years["revenue"].astype(float),
                                   check_names=False)
    truth = json.loads((clean / "truth.json").read_text(encoding="utf-8"))
    assert truth == json.loads(json.dumps(small.truth))
    assert (clean / "truth.json").read_text(encoding="utf-8").startswith('{\n "as_of"')


def test_same_seed_same_bytes_and_different_seed_differs(small, written, tmp_path):
    clean, dirty, _, _ = written
    again = synthesize_district(n_firms=3000, seed=11)
    write_district(again, tmp_path / "c", dirty=False, seed=11)
    write_district(again, tmp_path / "d", dirty=True, seed=11)
    assert _bytes(tmp_path / "c") == _bytes(clean)
    assert _bytes(tmp_path / "d", [*FILES, "faults.json"]) == _bytes(dirty, [*FILES, "faults.json"])
    other = synthesize_district(n_firms=3000, seed=12)
    write_district(other, tmp_path / "o", dirty=False, seed=12)
    differ = _bytes(tmp_path / "o")
    for name in FILES:
        if name not in ("policies.csv",):  # the policy table is the same design every seed
            assert differ[name] != _bytes(clean)[name], name


def _dirty_frames(dirty: Path):
    raw = (dirty / "firm_years.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    fy = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="gb18030")
    led = pd.read_csv(dirty / "disbursements.csv", dtype=str, keep_default_na=False)
    return fy, led


def test_dirty_firm_years_is_gbk_with_chinese_headers_and_wan_revenue(small, written):
    _, dirty, _, _ = written
    fy, _ = _dirty_frames(dirty)
    zh = [c.zh for c in TABLES["firm_years"].columns]
    zh[2] = "营业收入(万元)"
    assert list(fy.columns) == zh
    faults = json.loads((dirty / "faults.json").read_text(encoding="utf-8"))["faults"]
    bad_rows = {f["row"] for f in faults if f["file"] == "firm_years.csv" and f["row"]}
    ok = fy.drop(index=[r - 2 for r in bad_rows])
    clean = small.firm_years.set_index(["firm_id", "year"])
    ok = ok.assign(year=ok["年份"].astype(int)).set_index(["统一社会信用代码", "year"])
    rev = ok["营业收入(万元)"].astype(float) * 1e4
    assert (rev.round(2) == clean.loc[ok.index, "revenue"]).all()
    assert set(ok["高新技术企业"]) <= {"是", "否"}


def _row(frame: pd.DataFrame, row: int) -> pd.Series:
    return frame.iloc[row - 2]


def test_dirty_manifest_points_at_real_faults(small, written):
    _, dirty, _, _ = written
    fy, led = _dirty_frames(dirty)
    faults = json.loads((dirty / "faults.json").read_text(encoding="utf-8"))["faults"]
    zh = {c.zh: c.name for c in TABLES["firm_years"].columns}
    zh["营业收入(万元)"] = "revenue"
    fy = fy.rename(columns=zh)
    frames = {"firm_years.csv": fy, "disbursements.csv": led}
    policies = set(small.policies["policy_id"])
    clean_fy = small.firm_years.set_index(["firm_id", "year"])
    counts = Counter((f["table"], f["fault"]) for f in faults)
    for (table, fault), k in counts.items():
        if fault != "gbk_encoding":
            assert COUNT_RANGE[0] <= k <= COUNT_RANGE[1], (table, fault)
    assert {f for _, f in counts} == {"bad_uscc", "duplicate_key", "unit_wan_in_yuan",
                                      "not_a_number", "negative_value", "missing_year",
                                      "unknown_policy", "gbk_encoding"}
    for f in faults:
        assert set(f) == {"table", "file", "row", "column", "value", "fault", "expect"}
        frame = frames.get(f["file"])
        if f["fault"] == "gbk_encoding":
            assert f["row"] is None and f["expect"] == "accepted"
            continue
        if f["fault"] == "missing_year":
            years = fy.loc[fy["firm_id"] == f["value"], "year"].astype(int).drop_duplicates()
            assert years.max() - years.min() + 1 == len(years) + 1, f
            assert f["row"] is None and f["expect"] == "warning"
            continue
        row = _row(frame, f["row"])
        if f["fault"] == "duplicate_key":
            earlier = frame.iloc[: f["row"] - 2]
            assert (earlier == row).all(axis=1).any(), f
            assert f["expect"] == "quarantine"
            continue
        cell = row[f["column"]]
        assert cell == f["value"], f
        if f["fault"] == "bad_uscc":
            assert len(cell) == 18 and not is_valid_uscc(cell)
        elif f["fault"] == "not_a_number":
            with pytest.raises(ValueError):
                float(cell.replace(",", ""))
        elif f["fault"] == "negative_value":
            assert float(cell) < 0
        elif f["fault"] == "unknown_policy":
            assert cell not in policies
        elif f["fault"] == "unit_wan_in_yuan":
            true = clean_fy.loc[(row["firm_id"], int(row["year"])), f["column"]]
            assert float(cell) == pytest.approx(true / 1e4, abs=6e-5)
            assert f["expect"] == "warning"
        else:  # pragma: no cover
            raise AssertionError(f)
        assert f["expect"] == ("warning" if f["fault"] == "unit_wan_in_yuan" else "quarantine")


def test_dirty_rows_outside_the_manifest_are_clean(small, written):
    """Every row the manifest does not list is an untouched clean row (no accidental faults)."""
    clean, dirty, _, _ = written
    _, led = _dirty_frames(dirty)
    faults = json.loads((dirty / "faults.json").read_text(encoding="utf-8"))["faults"]
    listed = {f["row"] for f in faults if f["file"] == "disbursements.csv"}
    clean_led = pd.read_csv(clean / "disbursements.csv", dtype=str, keep_default_na=False)
    rest = led.drop(index=[r - 2 for r in listed]).reset_index(drop=True)
    faulty_ids = {f["value"] for f in faults if f["fault"] == "bad_uscc"}
    kept = clean_led[clean_led["record_id"].isin(rest["record_id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(rest, kept)
    assert len(clean_led) - len(kept) == sum(
        1 for f in faults if f["file"] == "disbursements.csv" and f["fault"] != "duplicate_key")
    assert not faulty_ids & set(clean_led["firm_id"])
    fy, _ = _dirty_frames(dirty)
    listed_fy = {f["row"] for f in faults if f["file"] == "firm_years.csv" and f["row"]}
    rest_fy = fy.drop(index=[r - 2 for r in listed_fy])
    assert not rest_fy.duplicated(["统一社会信用代码", "年份"]).any()
    missing = sum(1 for f in faults if f["fault"] == "missing_year")
    dups = sum(1 for f in faults if f["file"] == "firm_years.csv" and f["fault"] == "duplicate_key")
    assert len(fy) == len(small.firm_years) - missing + dups


def test_synth_md_tables_match_district_statistics():
    """data/SYNTH.md was generated from seed 7 with 20,000 firms; its tables must still hold."""
    text = (ROOT / "data" / "SYNTH.md").read_text(encoding="utf-8")
    d = synthesize_district(n_firms=20000, start=2016, end=2025, seed=7)
    stats = district_statistics(d)
    for name in ("subsidy_totals", "firms_by_cluster_size", "revenue_quantiles"):
        m = re.search(rf"### {name}\n\n(\|.*?)\n\n", text + "\n\n", re.S)
        assert m, name
        assert m.group(1).strip() == to_markdown(stats[name]).strip(), name
    totals = stats["subsidy_totals"].set_index("policy_id")
    led = d.disbursements
    assert totals.loc["total", "total"] == round(led["amount"].sum() / 1e6, 2)
