"""End to end: a report generated from its study.

An analyst copies the demo's ex-post study of P01 and changes the comparison group to firms never
paid by this policy (``controls: never_policy``, ``control_group: nevertreated``), names it
and sets the district's share of tax (``fiscal.district_share``). Both studies run on one small
district (1,600 firms, 49 bootstrap draws) and are rendered into one folder (Chinese, HTML and
PDF): neither overwrites the other; the analyst's report names its study in its title and its
file names, its subtitle and design sentence state its comparison group, and its fiscal section
the district share it set (which the bundle's district return used).
"""

import re
from pathlib import Path

import pytest
import yaml

from evalkit.contract.bundle import read_bundle
from evalkit.report.identity import safe_name
from tests.e2e.reportcheck import REPORTS, html_text, pdftotext, render_at_epoch, squash

DEMO_STUDIES = Path(__file__).resolve().parents[2] / "studies" / "demo"
ANALYST = "P01 对照组改为未获本政策补贴的企业 / P01 against firms not paid by P01"
NEVER_POLICY = "从未获得本政策补贴的企业（可能获得过其他政策的补贴）"


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    """{"demo": bundle, "analyst": bundle}: the demo's P01 study and the analyst's copy."""
    from evalkit.io import ingest_dir
    from evalkit.stages.run import run_study
    from evalkit.synth import synthesize_district, write_district

    out = tmp_path_factory.mktemp("study")
    write_district(synthesize_district(n_firms=1600, seed=7), out / "data", dirty=False, seed=7)
    store = out / "warehouse.duckdb"
    ingest_dir(out / "data", store=store)
    demo = yaml.safe_load((DEMO_STUDIES / "ex_post_P01.yaml").read_text(encoding="utf-8"))
    demo["data"]["store"] = "warehouse.duckdb"
    demo["inference"]["bootstrap"] = 49
    analyst = yaml.safe_load(yaml.safe_dump(demo))
    analyst["name"] = ANALYST
    analyst["design"].update(controls="never_policy", control_group="nevertreated")
    analyst["fiscal"]["district_share"] = 0.2
    bundles = {}
    for key, doc in (("demo", demo), ("analyst", analyst)):
        path = out / f"{key}.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        bundles[key] = run_study(path, out / "bundles" / key)
    return bundles


@pytest.fixture(scope="module")
def rendered(studies, tmp_path_factory):
    """Both reports rendered into one folder: {key: (html, pdf, log, seconds)}."""
    out = tmp_path_factory.mktemp("reports")
    return {key: render_at_epoch(REPORTS / "ex_post.qmd", bundle, out, "zh")
            for key, bundle in studies.items()}


def test_two_studies_in_one_folder_do_not_overwrite(rendered):
    (demo_html, demo_pdf, _, _), (mine_html, mine_pdf, _, _) = rendered["demo"], rendered["analyst"]
    assert demo_html.parent == mine_html.parent
    assert len({demo_html, demo_pdf, mine_html, mine_pdf}) == 4
    assert all(p.is_file() for p in (demo_html, demo_pdf, mine_html, mine_pdf))
    assert mine_html.name == f"ex_post_{safe_name(ANALYST)}.zh.html"     # starts with P01
    assert "对照组改为未获本政策补贴的企业" in mine_html.name and "/" not in mine_html.name
    assert demo_html.name.startswith("ex_post_P01_研发投入补助事后评价")
    # each file still holds its own study's report
    assert "研发投入补助事后评价" in demo_html.read_text(encoding="utf-8")
    assert "对照组改为未获本政策补贴的企业" not in demo_html.read_text(encoding="utf-8")


def _design_paragraph(text: str) -> str:
    m = re.search(r"评价设计与样本(.*?)受助批次及其对主要指标的平均效应", text, flags=re.S)
    assert m, "no design section"
    return m.group(1)


def test_title_subtitle_and_design_sentence_say_the_comparison_group(rendered, studies):
    page = rendered["analyst"][0].read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", page, flags=re.S).group(1)
    assert "对照组改为未获本政策补贴的企业" in title
    text = " ".join(html_text(page).split())
    assert f"对照组：{NEVER_POLICY}" in text                            # subtitle
    design = _design_paragraph(text)
    assert f"对照企业为{NEVER_POLICY}。" in design
    assert "任何政策" not in design and "排除" not in design
    options = read_bundle(studies["analyst"]).results["options"]
    assert options["controls"] == "never_policy"
    # the study's estimation method, window, covariates and clustering, in words
    for words in ("结果回归估计", "评价期为", "数据覆盖的全部年份", "获补前 5 年至获补后 5 年",
                  "各指标自身的基期水平与产业集群的交互项及产业集群", "标准误在企业层面聚类"):
        assert words in design, words
    demo = " ".join(html_text(rendered["demo"][0].read_text(encoding="utf-8")).split())
    assert "未获得任何其他政策补贴、且当年尚未获得本政策补贴的企业" in _design_paragraph(demo)
    # the PDF says the same
    pdf = squash(pdftotext(rendered["analyst"][1]))
    assert squash(f"对照企业为{NEVER_POLICY}。") in pdf
    assert squash("对照组改为未获本政策补贴的企业") in pdf


def test_district_share_is_honoured_and_stated(rendered, studies):
    fiscal = read_bundle(studies["analyst"]).table("fiscal").set_index("term")["estimate"]
    assert fiscal["fiscal_return_district"] == pytest.approx(0.2 * fiscal["fiscal_return_total"])
    demo = read_bundle(studies["demo"]).table("fiscal").set_index("term")["estimate"]
    assert demo["fiscal_return_district"] == pytest.approx(0.235 * demo["fiscal_return_total"])
    text = " ".join(html_text(rendered["analyst"][0].read_text(encoding="utf-8")).split())
    assert "区级财政留成新增税收的 20.0%（研究配置 fiscal.district_share 指定）" in text
    demo_text = " ".join(html_text(rendered["demo"][0].read_text(encoding="utf-8")).split())
    assert "区级财政留成新增税收的 23.5%（税种构成为增值税 50%" in demo_text


def test_no_p_equals_less_than(rendered):
    for html, pdf, _, _ in rendered.values():
        text = html_text(html.read_text(encoding="utf-8"))
        assert not re.search(r"p\s*=\s*<", text)
        assert not re.search(r"p=<", squash(pdftotext(pdf)))
