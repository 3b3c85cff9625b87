"""Issue 18, item 12: a warehouse edited in place, a forged bundle manifest and a portfolio of
bundles from different dataset versions are all reported, not silently used."""

import json
import os
import subprocess
import sys

import duckdb
import pytest

from evalkit.contract.bundle import write_bundle
from evalkit.errors import ConfigError, DataError
from evalkit.io import ingest_dir, list_datasets, load_dataset
from evalkit.io.warehouse import dataset_status
from evalkit.stages.portfolio import run_portfolio
from evalkit.stages.run import run_study
from evalkit.stages.verify import verify_report_dir
from evalkit.study import load_study
from evalkit.synth import synthesize_district, write_district

EVALKIT = [sys.executable, "-m", "evalkit"]

STUDY = """\
stage: ex_post
name: integrity test
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


def run(args):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*EVALKIT, *args], capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("integrity")
    district = synthesize_district(n_firms=1500, seed=7)
    write_district(district, base / "data", dirty=False, seed=7)
    return base / "data"


@pytest.fixture()
def store(data_dir, tmp_path):
    s = tmp_path / "warehouse.duckdb"
    ingest_dir(data_dir, store=s)
    return s


def _edit(store, sql="UPDATE firm_years SET tax_paid = tax_paid * 2 WHERE year = 2020"):
    con = duckdb.connect(str(store))
    con.execute(sql)
    con.close()


@pytest.mark.parametrize("sql", [
    "UPDATE firm_years SET tax_paid = tax_paid * 2 WHERE year = 2020",
    "DELETE FROM disbursements WHERE amount > 100000",
    "INSERT INTO budgets SELECT * FROM budgets LIMIT 1",
])
def test_an_edited_warehouse_is_reported_on_load(store, sql):
    assert dataset_status(store) == {"v1": []}
    load_dataset(store)
    _edit(store, sql)
    with pytest.raises(DataError, match="changed after it was ingested"):
        load_dataset(store)
    changed = dataset_status(store)["v1"]
    assert changed and changed[0] in sql


def test_datasets_command_shows_the_edit(store):
    _edit(store)
    r = run(["datasets", "--store", str(store)])
    assert r.returncode == 2 and "EDITED" in r.stdout and "firm_years" in r.stderr, r.stdout


def test_reingesting_the_originals_adds_a_clean_version(store, data_dir):
    _edit(store)
    again = ingest_dir(data_dir, store=store)
    assert again.is_new and again.version.dataset_id == "v2"
    assert list_datasets(store)["sha256"].nunique() == 1     # the same content as v1 was
    assert dataset_status(store) == {"v1": ["firm_years"], "v2": []}
    load_dataset(store)                                       # latest = v2, intact


def test_a_new_run_refuses_the_edited_version(store, tmp_path):
    study = tmp_path / "s.yaml"
    study.write_text(STUDY.format(store=store), encoding="utf-8")
    _edit(store)
    with pytest.raises(DataError, match="changed after it was ingested"):
        run_study(study, tmp_path / "bundle")


def test_a_warehouse_without_checksums_is_checked_by_its_content_hash(store):
    con = duckdb.connect(str(store))
    con.execute("UPDATE datasets SET checksums = NULL")        # as written before checksums
    con.close()
    load_dataset(store)                      # the stored rows give the recorded SHA-256 exactly
    _edit(store)
    with pytest.raises(DataError, match="content SHA-256"):
        load_dataset(store)


@pytest.fixture()
def bundle(store, tmp_path):
    study = tmp_path / "ex_post_P01.yaml"
    study.write_text(STUDY.format(store=store), encoding="utf-8")
    return run_study(study, tmp_path / "bundle")


@pytest.mark.parametrize("key,forged", [
    ("dataset_sha256", "0" * 64), ("dataset_version", "v7"), ("created", 946684800)])
def test_verify_fails_on_a_forged_provenance_entry(bundle, key, forged):
    assert verify_report_dir(bundle).ok
    path = bundle / "manifest.json"
    manifest = json.loads(path.read_text())
    if key == "created":
        manifest["created"] = forged
    else:
        manifest["provenance"][key] = forged
    path.write_text(json.dumps(manifest))
    if key == "dataset_version":
        with pytest.raises(DataError, match="v7"):
            verify_report_dir(bundle)
        return
    result = verify_report_dir(bundle)
    assert not result.ok and key in result.provenance_mismatches
    assert "provenance" in result.summary()


def test_verify_recomputes_the_dataset_hash_from_the_rows(bundle, store):
    """The warehouse edited and its checksums rewritten to match: the rows no longer give the
    SHA-256 the bundle recorded."""
    _edit(store)
    con = duckdb.connect(str(store))
    con.execute("UPDATE datasets SET checksums = NULL")
    con.execute("UPDATE datasets SET sha256 = ?",
                [json.loads((bundle / "manifest.json").read_text())["provenance"]
                 ["dataset_sha256"]])
    con.close()
    with pytest.raises(DataError):
        verify_report_dir(bundle)


def _ex_post_bundle(path, pid, version, sha):
    write_bundle(path, stage="ex_post", results={"policy": {"policy_id": pid}},
                 provenance={"dataset_version": version, "dataset_sha256": sha}, created=0)
    return path


def test_portfolio_refuses_bundles_from_different_dataset_versions(tmp_path):
    _ex_post_bundle(tmp_path / "b1", "P01", "v1", "a" * 64)
    _ex_post_bundle(tmp_path / "b2", "P02", "v2", "b" * 64)
    doc = ("stage: portfolio\nname: p\ncycle: '2026'\ndata: {{store: w.duckdb}}\n"
           "bundles: [b1, b2]\n{extra}")
    (tmp_path / "p.yaml").write_text(doc.format(extra=""), encoding="utf-8")
    study, _ = load_study(tmp_path / "p.yaml")
    assert study.allow_mixed_datasets is False
    with pytest.raises(ConfigError, match="different dataset versions") as exc:
        run_portfolio(study, {})
    assert "allow_mixed_datasets" in exc.value.text("zh")
    (tmp_path / "p.yaml").write_text(doc.format(extra="allow_mixed_datasets: true\n"),
                                     encoding="utf-8")
    study, _ = load_study(tmp_path / "p.yaml")
    with pytest.raises(Exception) as exc:     # gets past the check (then lacks real tables)
        run_portfolio(study, {})
    assert "different dataset versions" not in str(exc.value)
