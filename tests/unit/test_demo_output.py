"""What `evalkit demo` leaves for officials and auditors (issue 16): study copies that keep their
comments, study headers that describe their study, a closing summary sorted by rank that fits 80
columns in either language, and an index page whose text from data is escaped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from evalkit.cli_summary import display_width, ranked, summary_lines, wrap
from evalkit.contract.bundle import write_bundle
from evalkit.demo import DEMO_STUDIES, write_demo_study
from evalkit.report.index import render_index, write_index
from evalkit.synth.policies import POLICY_BY_ID
from evalkit.yamledit import set_values

# --- study copies -----------------------------------------------------------------------------


def _comments(text: str) -> list[str]:
    return [line.split("#", 1)[1].strip() for line in text.splitlines() if "#" in line]


@pytest.mark.parametrize("name", sorted(p.stem for p in DEMO_STUDIES.glob("*.yaml")))
def test_a_study_copy_keeps_every_comment_and_points_at_the_output(name, tmp_path):
    original = (DEMO_STUDIES / f"{name}.yaml").read_text(encoding="utf-8")
    out = tmp_path / "out"
    copy = write_demo_study(name, out / "studies", out / "warehouse.duckdb", out / "bundles",
                            bootstrap=49, dataset="v3")
    text = copy.read_text(encoding="utf-8")
    assert _comments(original) and set(_comments(original)) <= set(_comments(text))
    doc, before = yaml.safe_load(text), yaml.safe_load(original)
    assert doc["data"]["store"] == "../warehouse.duckdb" and doc["data"]["dataset"] == "v3"
    for key in ("bundles", "evidence_bundles"):
        if key in before:
            assert doc[key] == [f"../bundles/{Path(b).name}" for b in before[key]]
    if doc["stage"] == "ex_post":
        assert doc["inference"]["bootstrap"] == 49
    # everything else as the original says
    for key in set(before) - {"data", "bundles", "evidence_bundles", "inference"}:
        assert doc[key] == before[key], key
    assert str(tmp_path) not in text


def test_set_values_edits_in_place_and_refuses_a_wrong_result():
    text = ("# head\na:\n  b: 1   # keep\n  c: [x, y]\nlist:\n  - p  # one\n  - q\n"
            "d:\n  e: 2\n")
    new = set_values(text, {("a", "b"): 5, ("a", "c"): ["z"], ("list",): ["r", "s"],
                            ("d", "f"): "new"})
    assert yaml.safe_load(new) == {"a": {"b": 5, "c": ["z"]}, "list": ["r", "s"],
                                   "d": {"e": 2, "f": "new"}}
    assert "# head" in new and "b: 5   # keep" in new and "- r  # one" in new
    with pytest.raises(ValueError):
        set_values("a: 1\n", {("x", "y"): 1})         # no mapping x to add y to


@pytest.mark.parametrize("pid", sorted(POLICY_BY_ID))
def test_each_ex_post_study_header_describes_its_own_policy(pid):
    text = (DEMO_STUDIES / f"ex_post_{pid}.yaml").read_text(encoding="utf-8")
    header = " ".join(line for line in text.splitlines() if line.startswith("#"))
    spec = POLICY_BY_ID[pid]
    assert f"of {pid} (" in header and spec.name_zh in header, header
    others = [p.name_zh for p in POLICY_BY_ID.values() if p.policy_id != pid]
    assert not any(n in header for n in others), header
    name = yaml.safe_load(text)["name"]
    assert spec.name_zh.removeprefix("企业") in name and pid not in name


# --- closing summary --------------------------------------------------------------------------

RANKING = [
    {"policy": "P01", "name_zh": "企业研发投入补助", "name_en": "R&D expenditure grant",
     "metric": -0.312, "conf_low": -1.185, "conf_high": 0.432, "rank_order": 4, "rank_low": 1,
     "rank_high": 5, "score": 77.1, "grade": "中", "action": "revise"},
    {"policy": "P02", "name_zh": "高新技术企业认定奖励",
     "name_en": "High-tech enterprise certification award", "metric": 0.607, "conf_low": -0.162,
     "conf_high": 1.376, "rank_order": 0, "rank_low": 0, "rank_high": 0, "score": 70.1,
     "grade": "中", "action": "revise"},
    {"policy": "P06", "name_zh": "专精特新企业奖励",
     "name_en": "Specialised and innovative SME (专精特新) reward", "metric": 1.089,
     "conf_low": -1.173, "conf_high": 3.351, "rank_order": 1, "rank_low": 1, "rank_high": 5,
     "score": 82.6, "grade": "良", "action": "expand"},
    {"policy": "P08", "name_zh": "产业空间租金补贴", "name_en": "Industrial-space rent subsidy",
     "metric": -0.958, "conf_low": -1.664, "conf_high": -0.27, "rank_order": 5, "rank_low": 1,
     "rank_high": 5, "score": 68.8, "grade": "中", "action": "revise"},
]
SUMMARY = {"rows": {"dataset": "v1 (0b28d6e22f9c)", "firms": 20000, "firm_years": 150123,
                    "policies": 8, "disbursed": 853_000_000.0,
                    "warehouse": "/very/long/path/to/a/folder/of/the/user/demo-output/"
                                 "warehouse.duckdb",
                    "bundles": "/very/long/path/to/a/folder/of/the/user/demo-output/bundles",
                    "reports": 48, "reports_dir": "/very/long/path/to/a/folder/of/the/user/"
                                                  "demo-output/reports",
                    "index": "/very/long/path/to/a/folder/of/the/user/demo-output/index.html"},
           "ranking": RANKING, "timings": {}}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_summary_fits_80_columns_and_is_sorted_by_rank(lang):
    lines = summary_lines(SUMMARY, lang, width=80)
    assert max(display_width(line) for line in lines) <= 80, "\n".join(lines)
    text = "\n".join(lines)
    order = [text.index(pid) for pid in ("P06", "P01", "P08", "P02")]   # rank 1, 4, 5, unranked
    assert order == sorted(order), text
    assert "…" not in text
    # nothing cut: every word of every name is there (a Chinese name on one line)
    for r in RANKING:
        words = r[f"name_{lang}"].split(" ")
        assert all(w in text for w in words), (words, text)


def test_the_chinese_summary_is_chinese():
    text = "\n".join(summary_lines(SUMMARY, "zh"))
    for word in ("政策", "排名区间", "得分", "建议", "调整完善", "扩大", "数据仓库",
                 "未排名", "85,300"):                                  # 8.53 亿元 in 万元
        assert word in text, word
    for english in ("policy", "rank set", "revise", "expand", "unranked", "firms", "score",
                    "grade", "disbursed", "open first"):
        assert english not in text, english


def test_display_width_counts_chinese_as_two_columns():
    assert display_width("P01 企业") == 8 and display_width("（）") == 4
    assert all(display_width(line) <= 10 for line in wrap("专精特新企业奖励的一个很长的名字", 10))


def test_ranked_puts_unranked_last():
    assert [r["policy"] for r in ranked(RANKING)] == ["P06", "P01", "P08", "P02"]


# --- index ------------------------------------------------------------------------------------


def _bundle(out: Path, name: str, stage: str, results: dict) -> None:
    write_bundle(out / "bundles" / name, stage=stage, results=results, created=0)


def test_the_index_escapes_text_from_data_and_links_relatively(tmp_path):
    evil = '<script>alert("x")</script> & 奖励'
    _bundle(tmp_path, "ex_post_P01", "ex_post",
            {"policy": {"policy_id": "P01", "name_zh": evil, "name_en": evil}})
    report = tmp_path / "reports" / "ex_post_P01" / "ex_post.zh.html"
    report.parent.mkdir(parents=True)
    report.write_text("<html></html>")
    index = write_index(tmp_path)
    page = index.read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page and "&amp; 奖励" in page
    assert 'href="reports/ex_post_P01/ex_post.zh.html"' in page
    assert 'href="index.en.html"' in page and str(tmp_path) not in page
    en = (tmp_path / "index.en.html").read_text(encoding="utf-8")
    assert 'href="index.html"' in en and "Ex-post evaluation" in en
    assert render_index(tmp_path, "zh") == page                        # same output, same bytes
    assert json.loads(json.dumps(page)) == page
