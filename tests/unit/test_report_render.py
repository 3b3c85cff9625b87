"""Rendering the example template with the fallback engine: HTML and PDF, zh and en.

Needs Debian fonts-noto-cjk and poppler-utils (pdftotext, pdffonts, pdfinfo); CI installs them.
About 3 s per render on 2 cores.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from evalkit.disclosure import MARK
from evalkit.numbers import money, number
from evalkit.report.example_bundle import CREATED, example_tables, write_example_bundle
from evalkit.report.fallback import RenderError
from evalkit.report.render import render_report

REPORTS = Path(__file__).resolve().parents[2] / "reports"
EXAMPLE = REPORTS / "example.qmd"
POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts") and shutil.which("pdfinfo")
needs_poppler = pytest.mark.skipif(
    not POPPLER and os.environ.get("CI") != "true",
    reason="poppler-utils not installed (apt-get install poppler-utils); required in CI")


def pdftext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return write_example_bundle(tmp_path_factory.mktemp("bundle") / "b")


@pytest.fixture(scope="module")
def rendered(bundle, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    return {lang: render_report(EXAMPLE, bundle, out, lang=lang, engine="fallback")
            for lang in ("zh", "en")}


def test_outputs_and_clean_log(rendered):
    for lang, (html, pdf) in rendered.items():
        assert html.name == f"example.{lang}.html" and pdf.name == f"example.{lang}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF")
        log_file = html.parent / f"example.{lang}.log"
        # nothing logged, no log file (an empty one was left before)
        log = log_file.read_text() if log_file.exists() else ""
        assert log_file.exists() == bool(log.strip())
        assert not re.search(r"glyph|missing|unknown font|warning", log, re.I), log


def test_html_is_self_contained_with_crossrefs(rendered):
    html = rendered["zh"][0].read_text(encoding="utf-8")
    assert '<html xmlns="http://www.w3.org/1999/xhtml" lang="zh-Hans"' in html
    assert '<figure id="fig-disbursed">' in html and '<table id="tbl-industry">' in html
    assert '<a href="#fig-disbursed">图 1</a>' in html
    assert '<a href="#tbl-industry">表 1</a>' in html
    assert "<figcaption" in html and "图 1　各政策年度拨付金额" in html
    assert "表 1　分行业拨付汇总</caption>" in html
    assert 'src="data:image/png;base64,' in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert re.search(r'<div class="callout callout-note">\s*<div class="callout-title">\s*注意\s*<', html)
    assert "bundle = " not in html  # echo: false
    en = rendered["en"][0].read_text(encoding="utf-8")
    assert '<a href="#fig-disbursed">Figure 1</a>' in en and "Table 1: Disbursement by industry" in en


@needs_poppler
def test_pdf_text_has_headings_and_bundle_numbers(rendered):
    results, tables = example_tables()
    manuf = tables["by_industry"].set_index("section").loc["C", "total"]
    zh = pdftext(rendered["zh"][1])
    for heading in ("示例报告：补贴拨付概览", "执行摘要", "拨付情况", "数据保密说明",
                    "附录：可复现信息", "注意"):
        assert heading in zh, heading
    assert money(results["total_disbursed_yuan"], "zh") in zh  # e.g. 9,319.5 万元
    assert number(manuf / 1e4, "zh", 1) in zh
    assert "图 1" in zh and "表 1" in zh
    en = pdftext(rendered["en"][1])
    assert "Executive summary" in en and money(results["total_disbursed_yuan"], "en") in en
    assert number(manuf / 1e6, "en", 1) in en


@needs_poppler
def test_pdf_embeds_a_cjk_font(rendered):
    fonts = subprocess.run(["pdffonts", str(rendered["zh"][1])], capture_output=True, text=True,
                           check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk), fonts  # 'emb' column


@needs_poppler
def test_rendering_twice_gives_identical_bytes(rendered, bundle, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    again = render_report(EXAMPLE, bundle, tmp_path, lang="zh", engine="fallback")
    for first, second in zip(rendered["zh"], again, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
    info = subprocess.run(["pdfinfo", "-isodates", str(again[1])], capture_output=True,
                          text=True, check=True).stdout
    assert "2024-06-01T00:00:00" in info  # the bundle's creation time, not the clock
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(CREATED + 86400))
    later = render_report(EXAMPLE, bundle, tmp_path / "later", formats=("pdf",), lang="zh",
                          engine="fallback")
    info = subprocess.run(["pdfinfo", "-isodates", str(later[0])], capture_output=True,
                          text=True, check=True).stdout
    assert "2024-06-02T00:00:00" in info


@needs_poppler
def test_two_firm_cell_is_suppressed_in_both_formats(tmp_path):
    bundle = write_example_bundle(tmp_path / "b", small_cell=True)
    html, pdf = render_report(EXAMPLE, bundle, tmp_path / "out", lang="zh", engine="fallback")
    _, tables = example_tables(small_cell=True)
    cells = tables["by_industry"].set_index("section")
    assert cells.loc["D", "n_firms"] == 2
    hidden = number(cells.loc["D", "total"] / 1e4, "zh", 1)
    secondary = number(cells.loc["F", "total"] / 1e4, "zh", 1)  # smallest other cell
    shown = number(cells.loc["C", "total"] / 1e4, "zh", 1)
    page = html.read_text(encoding="utf-8")
    text = pdftext(pdf)
    row_html = re.search(r"<td[^>]*>电力、热力、燃气及水生产和供应业</td>(.*?)</tr>", page, re.S)
    assert row_html and MARK in row_html.group(1)
    row_pdf = next(line for line in text.splitlines() if "电力、热力" in line)
    assert MARK in row_pdf
    for out in (page, text):
        assert hidden not in out and secondary not in out and shown in out
        assert "按保密规则不予显示" in out


def _tiny(tmp_path, body, name="tiny.qmd"):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_params_land_as_variables_and_options_apply(bundle, tmp_path):
    template = _tiny(tmp_path, """---
title: "Tiny"
execute:
  echo: false
---

```{python}
#| tags: [parameters]
lang = "xx"
custom = "default"
```

```{python}
#| output: asis
print(f"PARAMS {lang} {custom} {bundle == str(__import__('pathlib').Path(bundle).resolve())}")
```

```{python}
#| echo: true
shown_code = 1 + 1
print("OUT", shown_code)
```

```{python}
#| include: false
print("HIDDEN-INCLUDE")
```

```{python}
#| output: false
print("HIDDEN-OUTPUT")
```

```{python}
#| warning: false
import warnings
warnings.warn("QUIET-WARNING")
```

```{python}
import warnings
warnings.warn("LOUD-WARNING")
```
""")
    (html,) = render_report(template, bundle, tmp_path / "out", formats=("html",), lang="en",
                            engine="fallback", params={"custom": "值"})
    page = html.read_text(encoding="utf-8")
    assert "PARAMS en 值 True" in page  # injected after the parameters cell, overriding defaults
    assert page.count('<div class="sourceCode"') == 1 and "shown_code" in page  # echo: true
    assert "OUT 2" in page
    assert "HIDDEN-INCLUDE" not in page and "HIDDEN-OUTPUT" not in page
    assert "QUIET-WARNING" not in page and "LOUD-WARNING" in page
    log = (tmp_path / "out" / "tiny.en.log").read_text()
    assert "QUIET-WARNING" in log  # hidden from the report, kept in the log


def test_failing_cell_names_template_line_and_label(bundle, tmp_path):
    template = _tiny(tmp_path, "text\n\n```{python}\n#| label: fig-bad\n1 / 0\n```\n")
    with pytest.raises(RenderError) as e:
        render_report(template, bundle, tmp_path / "o", formats=("html",), engine="fallback")
    assert "tiny.qmd:3: cell (label fig-bad) failed: ZeroDivisionError" in str(e.value)
    assert "\x1b[" not in str(e.value)


def test_unresolved_crossref_fails_the_render(bundle, tmp_path):
    template = _tiny(tmp_path, "See @fig-nowhere.\n\n```{python}\nx = 1\n```\n")
    with pytest.raises(RenderError, match=r"unresolved cross-reference.*@fig-nowhere"):
        render_report(template, bundle, tmp_path / "o", formats=("html",), engine="fallback")


def test_render_log_catches_missing_glyphs_and_unknown_fonts(bundle, tmp_path, monkeypatch):
    """The clean-log assertion above can fail: a figure drawn without a CJK font and a PDF font
    list naming an absent family both end up in the log (even with warning: false)."""
    from evalkit.report import fallback
    from evalkit.style.fonts import PdfFonts

    monkeypatch.setattr(fallback, "pdf_fonts", lambda: PdfFonts(
        body=("No Such Font", "Noto Serif CJK SC"), heading=("Noto Sans CJK SC",),
        mono=("DejaVu Sans Mono",)))
    template = _tiny(tmp_path, """---
execute:
  warning: false
---

```{python}
import matplotlib.pyplot as plt
plt.rcParams["font.family"] = ["DejaVu Sans"]
fig, ax = plt.subplots()
ax.set_title("拨付")
plt.show()
```
""")
    render_report(template, bundle, tmp_path / "o", formats=("pdf",), engine="fallback")
    log = (tmp_path / "o" / "tiny.zh.log").read_text()
    assert re.search(r"Glyph \d+ .*missing from font", log), log
    assert "unknown font family: no such font" in log, log


def test_relative_output_folder_keeps_every_file(bundle, tmp_path, monkeypatch):
    # Regression: pandoc runs in a temporary folder, so a relative out_dir once sent the HTML
    # there (and it was deleted with the folder).
    monkeypatch.chdir(tmp_path)
    paths = render_report(EXAMPLE, bundle, Path("rel/out"), lang="en", engine="fallback")
    assert [p.suffix for p in paths] == [".html", ".pdf"]
    for p in paths:
        assert p.is_absolute() and p.is_file() and p.stat().st_size > 1000
    assert (tmp_path / "rel" / "out" / "example.en.html").is_file()


def test_the_clis_headless_backend_does_not_reach_the_kernel(bundle, tmp_path, monkeypatch):
    """`evalkit.cli.main` sets MPLBACKEND=Agg for its own process; a report it renders must still
    get its figures from the kernel's inline backend (it got none: 'drew 0')."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    template = _tiny(tmp_path, "```{python}\n#| label: fig-one\n#| fig-cap: One line\n"
                               "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()\n```\n")
    (html,) = render_report(template, bundle, tmp_path / "o", formats=("html",), lang="en",
                            engine="fallback")
    assert "<figure" in html.read_text(encoding="utf-8")
