"""The reduced demo cycle through the CLI (issue 8): every report kind in both languages and both
formats, a one-screen summary, and bundles that re-run to the same bytes."""

import os
import subprocess
import sys

import pytest

from evalkit.contract.bundle import read_bundle

KINDS = {"ex_ante": 2, "monitor": 1, "ex_post": 8, "portfolio": 1}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    env = {**os.environ, "COLUMNS": "200"}
    r = subprocess.run([sys.executable, "-m", "evalkit", "demo", "--firms", "2000",
                        "--bootstrap", "49", "--out", str(out)],
                       capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    return out, r.stdout


def test_every_report_kind_language_and_format(demo):
    out, _ = demo
    bundles = sorted(p for p in (out / "bundles").iterdir() if p.is_dir())
    stages = [read_bundle(b).stage for b in bundles]
    assert {s: stages.count(s) for s in KINDS} == KINDS
    for b in bundles:
        for lang in ("zh", "en"):
            for fmt in ("html", "pdf"):
                files = list((out / "reports" / b.name).glob(f"*.{lang}.{fmt}"))
                assert len(files) == 1 and files[0].stat().st_size > 10_000, (b.name, lang, fmt)


def test_summary_shows_ranking_grades_and_where_reports_are(demo):
    out, stdout = demo
    for pid in ("P01", "P02", "P03", "P04", "P05", "P06", "P07", "P08"):
        assert pid in stdout
    assert str(out / "reports") in stdout
    assert any(g in stdout for g in ("优", "良", "中", "差"))
    assert any(a in stdout for a in ("expand", "maintain", "revise", "reduce", "suspend"))


def test_rerunning_a_study_reproduces_its_bundle_byte_for_byte(demo, tmp_path):
    out, _ = demo
    again = tmp_path / "again"
    r = subprocess.run([sys.executable, "-m", "evalkit", "run",
                        str(out / "studies" / "ex_post_P03.yaml"), "--out", str(again)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    original = out / "bundles" / "ex_post_P03"
    files = sorted(p.relative_to(original) for p in original.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in files:
        assert (original / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_verify_confirms_a_demo_bundle(demo):
    out, _ = demo
    r = subprocess.run([sys.executable, "-m", "evalkit", "verify",
                        str(out / "bundles" / "portfolio")], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    assert "match" in r.stdout
