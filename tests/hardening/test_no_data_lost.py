"""Issue 18, "Data destroyed or lost" (items 1, 2, 4, 5; item 3 in test_concurrency.py): nothing
evalkit did not write is deleted or overwritten, a crashed writer's WAL is not orphaned, killed
ingests leave no temporary files behind, permissions are kept."""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hardening.conftest import (
    assert_bad_input,
    dataset_rows,
    monitor_study,
    popen,
    review,
    review_ids,
    run,
)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(folder) -> list[str]:
    """Temporary files and folders evalkit might leave next to its outputs."""
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith(".") or p.name.endswith((".tmp", ".wal", ".lock")))


# -- 1. `evalkit run --out DIR` deleted any existing DIR ---------------------------------------

def test_run_out_dot_beside_the_study_deletes_nothing(store, tmp_path):
    assert review(store, "2026-P01").returncode == 0
    study = monitor_study(tmp_path, store)
    before = {p.name: _sha(p) for p in (store, study)}
    r = run(["run", study.name, "--out", "."], cwd=tmp_path)
    assert_bad_input(r, "not empty", "--out")
    assert {p.name: _sha(p) for p in (store, study)} == before
    assert review_ids(store) == ["2026-P01"]


def test_run_out_a_folder_of_other_files_is_refused(store, tmp_path):
    study = monitor_study(tmp_path, store)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    r = run(["run", study, "--out", out])
    assert_bad_input(r, "not a results bundle")
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_run_replaces_its_own_bundle_but_not_a_file_added_to_it(store, tmp_path):
    study = monitor_study(tmp_path, store)
    out = tmp_path / "bundles" / "m"
    assert run(["run", study, "--out", out]).returncode == 0
    r = run(["run", study, "--out", out])                 # an earlier bundle: replaced
    assert r.returncode == 0, r.stderr
    assert _leftovers(out.parent) == []
    (out / "my-notes.txt").write_text("keep me", encoding="utf-8")
    r = run(["run", study, "--out", out])
    assert_bad_input(r, "not a results bundle")
    assert (out / "my-notes.txt").read_text(encoding="utf-8") == "keep me"


# -- 2. `evalkit demo --out X` deleted X/warehouse.duckdb with its review log -------------------

DEMO = ["--firms", "1000", "--bootstrap", "9", "--no-reports"]


def test_demo_refuses_a_folder_it_did_not_write(store, tmp_path):
    assert review(store, "2026-P01").returncode == 0
    out = tmp_path / "x"
    out.mkdir()
    kept = out / "warehouse.duckdb"
    kept.write_bytes(store.read_bytes())
    before = _sha(kept)
    r = run(["demo", "--out", out, *DEMO])
    assert_bad_input(r, "not empty", "not written by evalkit")
    assert _sha(kept) == before and review_ids(kept) == ["2026-P01"]


def test_demo_rerun_keeps_the_reviews_of_its_warehouse(tmp_path):
    out = tmp_path / "demo"
    r = run(["demo", "--out", out, *DEMO])
    assert r.returncode == 0, r.stderr
    store = out / "warehouse.duckdb"
    assert review(store, "2026-P03", "李四").returncode == 0
    r = run(["demo", "--out", out, *DEMO])
    assert r.returncode == 0, r.stderr
    assert review_ids(store) == ["2026-P03"]
    assert run(["review", "verify", "--store", store]).returncode == 0
    assert [d for d, _ in dataset_rows(store)] == ["v1"]   # the same district: version reused


# -- 4. a writer that crashed after a commit left a WAL the next ingest orphaned ----------------

CRASH_AFTER_COMMIT = """
import os, signal, sys
import duckdb
from evalkit.portfolio import record_review
con = duckdb.connect(sys.argv[1])
record_review(con, "2026-P07", "reject", "crashed after commit", "王五")
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_ingest_after_a_crashed_writer_keeps_the_committed_review(store, district2):
    p = subprocess.run([sys.executable, "-c", CRASH_AFTER_COMMIT, str(store)], timeout=120,
                       capture_output=True, text=True)
    assert p.returncode == -signal.SIGKILL, p.stderr
    assert store.with_name(store.name + ".wal").exists()    # the commit is only in the WAL
    r = run(["ingest", district2, "--store", store])
    assert r.returncode == 0, r.stderr
    assert review_ids(store) == ["2026-P07"]
    assert [d for d, _ in dataset_rows(store)] == ["v1", "v2"]
    assert run(["review", "verify", "--store", store]).returncode == 0
    assert not store.with_name(store.name + ".wal").exists()


# -- 5. quarantine over an input file; temp files of killed ingests; permissions ----------------

def test_quarantine_never_overwrites_an_input_file(district, tmp_path):
    district = Path(shutil.copytree(district, tmp_path / "d"))   # the shared one stays whole
    firms = district / "firms.csv"
    before = _sha(firms)
    store = tmp_path / "w.duckdb"
    r = run(["ingest", district, "--store", store, "--quarantine", firms])
    assert_bad_input(r, "firms.csv", "overwrite an input file")
    assert _sha(firms) == before and not store.exists()
    r = run(["validate", district, "--quarantine", firms])
    assert_bad_input(r, "firms.csv")
    assert _sha(firms) == before


def test_quarantine_never_overwrites_the_warehouse_or_a_foreign_file(store, district, tmp_path):
    before = _sha(store)
    r = run(["validate", district, "--quarantine", store])
    assert_bad_input(r, "w.duckdb")
    assert _sha(store) == before
    mine = tmp_path / "budget-notes.csv"
    mine.write_text("a,b\n1,2\n", encoding="utf-8")
    r = run(["validate", district, "--quarantine", mine])
    assert_bad_input(r, "budget-notes.csv", "did not write")
    assert mine.read_text(encoding="utf-8") == "a,b\n1,2\n"
    q = tmp_path / "q.csv"                                # its own earlier output: replaced
    assert run(["validate", district, "--quarantine", q]).returncode == 0
    assert run(["validate", district, "--quarantine", q]).returncode == 0


@pytest.fixture(scope="module")
def big_district(tmp_path_factory):
    out = tmp_path_factory.mktemp("big") / "d"
    r = run(["synth", "--out", out, "--firms", "3000", "--seed", "5"])
    assert r.returncode == 0, r.stderr
    return out


def test_killed_ingest_leaves_the_store_whole_and_no_temp_files(store, big_district, district2):
    before = _sha(store)
    folder = store.parent
    proc = popen(["ingest", big_district, "--store", store])
    deadline = time.monotonic() + 240
    while not any(n.endswith(".tmp") for n in os.listdir(folder)):
        assert proc.poll() is None, "the ingest ended before its temporary copy was seen"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)                       # kill -9 while writing the copy
    proc.communicate(timeout=60)
    assert _sha(store) == before                           # never a half-written version
    assert [d for d, _ in dataset_rows(store)] == ["v1"]
    r = run(["ingest", district2, "--store", store])       # the next write cleans up
    assert r.returncode == 0, r.stderr
    assert [d for d, _ in dataset_rows(store)] == ["v1", "v2"]
    assert _leftovers(folder) == []


def test_ingest_keeps_the_store_permissions(store, district2):
    os.chmod(store, 0o640)
    assert run(["ingest", district2, "--store", store]).returncode == 0
    assert [d for d, _ in dataset_rows(store)] == ["v1", "v2"]
    assert store.stat().st_mode & 0o777 == 0o640
