"""verify_report_dir: a bundle recomputed from its study and warehouse matches file by file; a
byte changed in one table is reported for that file only; a bundle that does not say where it
came from gets a clear error."""

import json
import shutil
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
    study = tmp_path / study_file.name          # beside the bundle, where verify finds it
    shutil.copy(study_file, study)
    return run_study(study, tmp_path / "bundle")


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


def test_a_folder_holding_the_bundle_is_accepted(bundle, study_file, tmp_path):
    report_dir = tmp_path / "report"
    report_dir.mkdir()
    bundle.rename(report_dir / "bundle")
    # the study is not beside the bundle here (another test folder): named with study=
    assert verify_report_dir(report_dir, study=study_file).ok


def test_the_manifest_holds_no_path_of_the_machine(bundle, study_file):
    text = (bundle / "manifest.json").read_text(encoding="utf-8")
    prov = json.loads(text)["provenance"]
    assert prov["study_file"] == "ex_post_P01.yaml"            # found beside the bundle
    assert not Path(prov["store"]).is_absolute()                # relative to the study file
    assert (bundle.parent / prov["store"]).resolve() == study_file.parent / "warehouse.duckdb"
    assert str(study_file.parent) not in text and str(bundle) not in text
    assert str(Path.home()) not in text and "/tmp" not in text


def test_a_bundle_written_anywhere_has_the_same_bytes(study_file, tmp_path):
    one = run_study(study_file, tmp_path / "a" / "bundle")
    two = run_study(study_file, tmp_path / "b" / "c" / "other")
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)


def test_a_copied_folder_of_study_warehouse_and_bundle_verifies(study_file, tmp_path):
    """The auditor's case: study, warehouse and bundle copied to another folder (the original
    removed, so nothing can be read from where they were)."""
    src = tmp_path / "src"
    (src / "studies").mkdir(parents=True)
    shutil.copy(study_file.parent / "warehouse.duckdb", src / "warehouse.duckdb")
    text = study_file.read_text(encoding="utf-8").replace(
        str(study_file.parent / "warehouse.duckdb"), "../warehouse.duckdb")
    (src / "studies" / "ex_post_P01.yaml").write_text(text, encoding="utf-8")
    run_study(src / "studies" / "ex_post_P01.yaml", src / "bundles" / "ex_post_P01")
    moved = shutil.move(src, tmp_path / "elsewhere")
    result = verify_report_dir(Path(moved) / "bundles" / "ex_post_P01")
    assert result.ok, result.summary()
    assert result.study_file == Path(moved) / "studies" / "ex_post_P01.yaml"
    assert result.store.resolve() == (Path(moved) / "warehouse.duckdb").resolve()


def test_the_study_with_the_recorded_hash_is_preferred(tmp_path):
    from evalkit.contract.bundle import sha256_file
    from evalkit.stages.verify import find_study

    bundle = tmp_path / "out" / "bundles" / "b"
    bundle.mkdir(parents=True)
    near, far = bundle / "s.yaml", tmp_path / "out" / "studies" / "s.yaml"
    far.parent.mkdir()
    near.write_text("stage: ex_post  # edited\n")
    far.write_text("stage: ex_post\n")
    assert find_study(bundle, "s.yaml", sha256_file(far)) == far
    assert find_study(bundle, "s.yaml", "0" * 64) == near        # the nearest otherwise
    assert find_study(bundle, "t.yaml", None) is None


def test_a_study_not_beside_the_bundle_is_a_clear_error(bundle):
    (bundle.parent / "ex_post_P01.yaml").unlink()
    with pytest.raises(DataError, match="--study"):
        verify_report_dir(bundle)


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


def test_a_portfolio_bundle_verifies_after_a_decision_is_recorded(tmp_path):
    """The portfolio bundle keeps a snapshot of the review log; a decision recorded after the
    stage ran changes the recomputation's snapshot, not the computation: verify passes and
    says so (it failed before, and the workspace refused to publish such a cycle). A changed
    number elsewhere in results.json is still reported."""
    import subprocess
    import sys

    out = tmp_path / "demo"
    run = [sys.executable, "-m", "evalkit"]
    r = subprocess.run([*run, "demo", "--firms", "1500", "--seed", "7", "--no-reports",
                        "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    portfolio = out / "bundles" / "portfolio"
    r = subprocess.run([*run, "review", "record", "--bundle", str(portfolio), "--id", "2026-01",
                        "--decision", "accept", "--reviewer", "张三"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    res = verify_report_dir(portfolio)
    assert res.ok, res.summary()
    assert any("review state" in n for n in res.notes)
    # a changed number outside the review snapshot is still a mismatch
    path = portfolio / "results.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["metric"] = "changed"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert "results.json" in verify_report_dir(portfolio).mismatched
