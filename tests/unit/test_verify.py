"""verify_report_dir: a bundle recomputed from its study and warehouse matches file by file; a
byte changed in one table is reported for that file only; a bundle that does not say where it
came from gets a clear error."""

import json
from pathlib import Path

import pytest

from evalkit.errors import DataError
from evalkit.io import ingest_dir
from evalkit.stages.run import run_study
from evalkit.stages.verify import verify_report_dir
from evalkit.synth import synthesize_district, write_district

STUDY = """\
stage: ex_post
name: verify test
data:
  store: {store}
  dataset: latest
policy: P01
outcomes: [tax_paid, employees]
main_outcome: tax_paid
design:
  est_method: reg
  control_group: notyettreated
  base_outcome: level
inference:
  bootstrap: 19
  seed: 11
"""


@pytest.fixture(scope="module")
def study_file(tmp_path_factory):
    base = tmp_path_factory.mktemp("verify")
    district = synthesize_district(n_firms=1500, seed=7)
    write_district(district, base / "data", dirty=False, seed=7)
    store = base / "warehouse.duckdb"
    ingest_dir(base / "data", store=store)
    study = base / "ex_post_P01.yaml"
    study.write_text(STUDY.format(store=store), encoding="utf-8")
    return study


@pytest.fixture()
def bundle(study_file, tmp_path):
    return run_study(study_file, tmp_path / "bundle")


def test_fresh_bundle_matches_every_file(bundle):
    result = verify_report_dir(bundle)
    assert result.ok, result.summary()
    listed = set(json.loads((bundle / "manifest.json").read_text())["files"])
    assert set(result.matched) == listed
    assert {"results.json", "tables/overall.parquet", "tables/psi.parquet"} <= listed
    assert result.mismatched == ()
    assert "all" in result.summary()


def test_one_changed_byte_in_a_table_is_reported(bundle):
    table = bundle / "tables" / "overall.parquet"
    data = bytearray(table.read_bytes())
    data[len(data) // 2] ^= 0x01
    table.write_bytes(bytes(data))
    result = verify_report_dir(bundle)
    assert not result.ok
    assert result.mismatched == ("tables/overall.parquet",)
    check = next(f for f in result.files if f.path == "tables/overall.parquet")
    # the recomputation reproduces what the manifest recorded; the file on disk was edited
    assert check.recomputed == check.manifest != check.on_disk
    assert "changed after the bundle was written" in check.reason
    assert "tables/overall.parquet" in result.summary()


def test_a_folder_holding_the_bundle_is_accepted(bundle, tmp_path):
    report_dir = tmp_path / "report"
    report_dir.mkdir()
    bundle.rename(report_dir / "bundle")
    assert verify_report_dir(report_dir).ok


def test_changed_warehouse_numbers_are_reported(bundle):
    """Pretend the bundle recorded other numbers: the recomputation no longer matches them."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    results = bundle / "results.json"
    text = results.read_text().replace('"seed": 11', '"seed": 12', 1)
    results.write_text(text)
    from evalkit.contract.bundle import sha256_file

    manifest["files"]["results.json"]["sha256"] = sha256_file(results)
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    result = verify_report_dir(bundle)
    assert result.mismatched == ("results.json",)
    check = result.files[[f.path for f in result.files].index("results.json")]
    assert check.reason == "the recomputation gives different bytes"


def test_bundle_without_its_sources_is_a_clear_error(bundle):
    manifest = json.loads((bundle / "manifest.json").read_text())
    del manifest["provenance"]["study_file"]
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="study file and warehouse"):
        verify_report_dir(bundle)


def test_not_a_bundle(tmp_path):
    with pytest.raises(DataError, match="no results bundle"):
        verify_report_dir(Path(tmp_path))
