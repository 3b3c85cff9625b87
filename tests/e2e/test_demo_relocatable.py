"""Issue 16, items 2 and 4: a demo output an auditor can verify anywhere and an official can start
from.

The same small demo runs in two folders; one is moved to a third. Every bundle of the moved copy
passes `evalkit verify`; every file of the two outputs is byte-identical (reports rendered for
two bundles, the portfolio and one ex-post evaluation, in both languages and formats: rendering
all 48 would take minutes); no file holds a path of the machine; no empty log is left. Chromium
opens the moved copy's ``index.html`` and ``index.en.html`` and every link resolves.

The one intentional exception to byte identity is ``warehouse.duckdb``: DuckDB's file format is
not byte-reproducible (block layout and free lists depend on its writer threads). What it holds is
compared instead: the dataset version, its SHA-256 (recomputed from the stored rows by
`evalkit verify`) and its date.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from evalkit.contract.bundle import read_bundle
from evalkit.demo import render_bundles, run_demo
from evalkit.io import list_datasets
from evalkit.report.identity import report_identity
from evalkit.report.index import write_index
from evalkit.stages.verify import verify_report_dir
from tests.e2e.browser import open_cleanly

FIRMS, BOOTSTRAP = 1500, 49
RENDERED = ("portfolio", "ex_post_P01")
NOT_REPRODUCIBLE = {"warehouse.duckdb"}


def _demo(out: Path) -> Path:
    run_demo(out, n_firms=FIRMS, bootstrap=BOOTSTRAP, render=False)
    render_bundles([out / "bundles" / b for b in RENDERED], out / "reports", ("zh", "en"),
                   ("html", "pdf"))
    write_index(out)          # after the rendering, so that it links the reports
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("relocate")
    first = _demo(base / "one" / "demo-output")
    second = _demo(base / "two" / "nested" / "demo-output")
    moved = Path(shutil.move(second, base / "moved-elsewhere"))
    shutil.rmtree(base / "two")           # nothing left where the second run was written
    return base, first, moved


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_every_bundle_of_the_moved_copy_verifies(runs):
    _, _, moved = runs
    bundles = sorted(p for p in (moved / "bundles").iterdir() if p.is_dir())
    assert len(bundles) == 12
    for bundle in bundles:
        result = verify_report_dir(bundle)
        assert result.ok, result.summary()
        assert result.study_file == moved / "studies" / f"{bundle.name}.yaml"


def test_two_folders_give_the_same_bytes(runs):
    _, first, moved = runs
    files = _files(first)
    assert files == _files(moved)
    # reports are named after their study (evalkit.report.identity)
    stems = {b: report_identity(stage, read_bundle(first / "bundles" / b).results, "zh").stem
             for b, stage in (("portfolio", "portfolio"), ("ex_post_P01", "ex_post"))}
    assert stems["ex_post_P01"].startswith("ex_post_P01_")
    assert {f"reports/{b}/{s}.{lang}.{fmt}" for b, s in stems.items()
            for lang in ("zh", "en") for fmt in ("html", "pdf")} <= set(files)
    assert {"index.html", "index.en.html"} <= set(files)
    differ = [f for f in files if (first / f).read_bytes() != (moved / f).read_bytes()]
    assert set(differ) <= NOT_REPRODUCIBLE, differ
    one, two = (list_datasets(p / "warehouse.duckdb") for p in (first, moved))
    assert one[["dataset_id", "sha256", "created_at"]].equals(two[["dataset_id", "sha256",
                                                                   "created_at"]])


def test_no_output_holds_a_path_of_the_machine(runs):
    base, first, moved = runs
    # the run folders, home, /tmp and the checkout evalkit runs from (its data/ files)
    checkout = str(Path(__file__).resolve().parents[2]).encode() + b"/"
    needles = {str(base).encode(), str(Path.home()).encode() + b"/", b"/tmp/", checkout}
    for root in (first, moved):
        for rel in _files(root):
            if rel in NOT_REPRODUCIBLE:
                continue
            data = (root / rel).read_bytes()
            assert not [n for n in needles if n in data], rel
    manifest = read_bundle(moved / "bundles" / "portfolio").provenance
    assert manifest["study_file"] == "portfolio.yaml"
    assert manifest["store"] == "../warehouse.duckdb"


def test_no_empty_log_and_study_copies_keep_comments(runs):
    _, first, _ = runs
    assert [p for p in first.rglob("*.log") if p.stat().st_size == 0] == []
    copy = (first / "studies" / "ex_post_P01.yaml").read_text(encoding="utf-8")
    assert "# outcome regression (Sant'Anna & Zhao 2020)" in copy
    assert "store: ../warehouse.duckdb" in copy


@pytest.mark.parametrize("index", ["index.html", "index.en.html"])
def test_chromium_opens_the_index_and_every_link_resolves(runs, browser, index):
    _, _, moved = runs
    page = open_cleanly(browser, moved / index)
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    assert len(hrefs) >= 12
    for href in hrefs:
        url = urlparse(href)
        assert url.scheme == "file", href
        assert Path(unquote(url.path)).exists(), href
    text = page.inner_text("body")
    zh = index == "index.html"
    names = ("企业研发投入补助", "数字化转型券") if zh else ("R&D expenditure grant",
                                                             "Digital-transformation voucher")
    assert all(n in text for n in names)
    assert ("请先打开" if zh else "Open first") in text
    # the command `evalkit review record` takes today: the cycle's bundle (its store is the
    # one the bundle records)
    assert "evalkit review record --bundle bundles/portfolio --id 2026-01" in text
    first_link = page.eval_on_selector(".first a", "e => e.getAttribute('href')")
    from evalkit.contract.bundle import read_bundle
    from evalkit.report.identity import report_identity

    lang = "zh" if zh else "en"
    stem = report_identity("portfolio", read_bundle(moved / "bundles" / "portfolio").results,
                           lang).stem
    assert first_link == f"reports/portfolio/{stem}.{lang}.html"
    page.close()
