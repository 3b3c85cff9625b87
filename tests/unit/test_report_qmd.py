"""The .qmd parser, shortcode expansion, parameter injection and cross-reference resolution."""

from pathlib import Path

import pytest

from evalkit.errors import ConfigError
from evalkit.report.fallback import (
    RenderError,
    _attach_table_caption,
    notebook_cells,
    params_source,
    resolve_xrefs,
)
from evalkit.report.qmd import Cell, Markdown, expand, parse_qmd

REPORTS = Path(__file__).resolve().parents[2] / "reports"

DOC = """---
title: "A report"
execute:
  echo: false
---

Intro with `code`.

```{python}
#| tags: [parameters]
x = 1
```

````markdown
```{python}
not a cell
```
````

```{python}
#| label: fig-a
#| fig-cap: "Caption A"
#| warning: false
plot(x)
# a comment, not an option
```

~~~
plain block
~~~
Closing text.
"""


def test_parse_hand_written_document():
    doc = parse_qmd(DOC, source="t.qmd")
    assert doc.front_matter["title"] == "A report"
    assert dict(doc.execute) == {"echo": False}
    kinds = [type(b).__name__ for b in doc.blocks]
    assert kinds == ["Markdown", "Cell", "Markdown", "Cell", "Markdown"]
    params, fig = doc.cells
    assert params.source == "x = 1" and params.is_parameters and dict(params.options) == {
        "tags": ("parameters",)}
    assert params.line == 9
    assert fig.source == "plot(x)\n# a comment, not an option"
    assert dict(fig.options) == {"label": "fig-a", "fig-cap": "Caption A", "warning": False}
    assert fig.line == 20
    # the fenced ```{python} inside a ````markdown block stays markdown
    assert "not a cell" in doc.blocks[2].text
    assert doc.blocks[4].text == "~~~\nplain block\n~~~\nClosing text."
    eff = doc.effective(fig)
    assert eff == {"echo": False, "include": True, "output": True, "warning": False,
                   "label": "fig-a", "fig-cap": "Caption A"}
    assert doc.parameters_cell() == 0


@pytest.mark.parametrize(
    ("cell", "needle"),
    [
        ("#| fig-width: 4\nx", "'fig-width' is not in the supported subset"),
        ("#| echo: no-thanks\nx", "option 'echo' must be true or false"),
        ("#| output: sometimes\nx", "true, false or asis"),
        ("#| fig-cap: A\nx", "needs a label starting with 'fig-'"),
        ("#| label: tbl-x\n#| fig-cap: A\nx", "needs a label starting with 'fig-'"),
        ("#| label: tbl-x\n#| tbl-cap: ''\nx", "non-empty string"),
        ("#| label: 1abc\nx", "option 'label'"),
    ],
)
def test_bad_cell_options_name_option_and_line(cell, needle):
    with pytest.raises(ConfigError) as e:
        parse_qmd(f"text\n\n```{{python}}\n{cell}\n```\n", source="t.qmd")
    assert needle in str(e.value) and "t.qmd:3" in str(e.value)


def test_unknown_option_lists_allowed():
    with pytest.raises(ConfigError) as e:
        parse_qmd("```{python}\n#| cache: true\nx\n```\n")
    assert "'label', 'fig-cap', 'tbl-cap', 'echo', 'include', 'output', 'warning'" in str(e.value)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("```{r}\nx\n```\n", "only {python} cells"),
        ("```{python echo=FALSE}\nx\n```\n", "'#|' lines"),
        ("```{python}\nx\n", "never closed"),
        ("```{python}\n#| label: a\n```\n```{python}\n#| label: a\n```\n", "duplicate cell labels"),
        ("---\nexecute:\n  cache: true\n---\n", "execute option 'cache'"),
        ("---\ntitle: [unclosed\n---\n", "not valid YAML"),
        ("---\ntitle: x\n", "never closed"),
        ("```{python}\n#| tags: [parameters]\n```\n```{python}\n#| tags: [parameters]\n```\n",
         "more than one cell"),
    ],
)
def test_documents_outside_the_subset_are_rejected(text, needle):
    with pytest.raises(ConfigError) as e:
        parse_qmd(text)
    assert needle in str(e.value)


def test_expand_includes_and_translations(tmp_path):
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "inner.qmd").write_text("inner {{< t report.callout.note >}}\n")
    (tmp_path / "parts" / "outer.qmd").write_text("outer\n{{< include inner.qmd >}}\n")
    (tmp_path / "main.qmd").write_text(
        'title: "{{< t report.provenance.title >}}"\n{{< include parts/outer.qmd >}}\nend\n')
    assert expand(tmp_path / "main.qmd", "zh") == (
        'title: "附录：可复现信息"\nouter\ninner 注意\nend\n')
    assert expand(tmp_path / "main.qmd", "en") == (
        'title: "Appendix: provenance"\nouter\ninner Note\nend\n')


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{{< t no.such.key >}}\n", "unknown translation key 'no.such.key'"),
        ("{{< meta title >}}\n", "shortcode 'meta' is not in the supported subset"),
        ("a {{< include x.qmd >}} b\n", "on a line of its own"),
        ("{{< include missing.qmd >}}\n", "template not found"),
        ("{{< t report.xref.fig >}}\n", "has placeholders"),
        ("{{< include main.qmd >}}\n", "include cycle"),
    ],
)
def test_expand_errors(tmp_path, text, needle):
    (tmp_path / "main.qmd").write_text(text)
    with pytest.raises(ConfigError) as e:
        expand(tmp_path / "main.qmd", "en")
    assert needle in str(e.value)


def test_report_shortcode_strings_have_no_double_quote():
    from evalkit.i18n import STRINGS

    for key, texts in STRINGS.items():
        if key.startswith("report."):
            assert all('"' not in s for s in texts.values()), key


def test_example_template_cells_match_expectation():
    """What both engines see: the expanded example template, cell by cell."""
    for lang, cap in (("zh", "各政策年度拨付金额"), ("en", "Disbursement by policy and year")):
        doc = parse_qmd(expand(REPORTS / "example.qmd", lang))
        assert doc.front_matter["title"] == {"zh": "示例报告：补贴拨付概览",
                                             "en": "Example report: subsidy disbursement overview"}[lang]
        options = [dict(c.options) for c in doc.cells]
        assert options == [
            {"tags": ("parameters",)},
            {"include": False},
            {"output": "asis"},
            {"label": "fig-disbursed", "fig-cap": cap},
            {"label": "tbl-industry", "tbl-cap": {"zh": "分行业拨付汇总",
                                                  "en": "Disbursement by industry"}[lang],
             "output": "asis"},
            {"output": "asis"},  # disclosure partial
            {"output": "asis"},  # provenance partial
        ]
        assert doc.cells[0].source == 'bundle = "."\nlang = "zh"\nrender_engine = "unknown"'
        assert dict(doc.execute) == {"echo": False, "warning": False}
        callouts = [b for b in doc.blocks if isinstance(b, Markdown) and ".callout-note" in b.text]
        assert len(callouts) == 1


def test_params_injected_after_parameters_cell():
    doc = parse_qmd("```{python}\na = 0\n```\n```{python}\n#| tags: [parameters]\nb = 1\n```\n"
                    "```{python}\nc = b\n```\n")
    plan = notebook_cells(doc, {"b": 2, "z": "值"})
    sources = [src for _, src in plan]
    assert sources[1:] == ["a = 0", "b = 1", "b = 2\nz = '值'\n", "c = b"]
    assert plan[3][0] is None and isinstance(plan[2][0], Cell)


def test_params_injected_first_without_parameters_cell():
    doc = parse_qmd("```{python}\na = 0\n```\n")
    assert [s for _, s in notebook_cells(doc, {"a": 5})][1:] == ["a = 5\n", "a = 0"]


def test_params_source_rejects_non_literals():
    assert params_source({"b": [1, {"k": None}], "a": True}) == "a = True\nb = [1, {'k': None}]\n"
    with pytest.raises(ConfigError, match="parameter 'p'"):
        params_source({"p": object()})
    with pytest.raises(ConfigError, match="not a Python identifier"):
        params_source({"a-b": 1})


def test_resolve_xrefs():
    md = ("See @fig-a and @tbl-b-2.\n\nMail a@fig-a.com, `@fig-a` in code.\n\n"
          "```\n@fig-a\n```\n")
    out = resolve_xrefs(md, {"fig-a": 1, "tbl-b-2": 3}, "en")
    assert out.startswith("See [Figure 1](#fig-a) and [Table 3](#tbl-b-2).")
    assert "a@fig-a.com" in out and "`@fig-a` in code" in out and "```\n@fig-a\n```" in out
    zh = resolve_xrefs("见 @fig-a，以及 @tbl-b-2 所示。", {"fig-a": 1, "tbl-b-2": 3}, "zh")
    assert zh == "见[图 1](#fig-a)，以及[表 3](#tbl-b-2)所示。"


def test_unresolved_xref_is_an_error():
    with pytest.raises(RenderError, match=r"@fig-nope; labels: fig-a"):
        resolve_xrefs("see @fig-nope", {"fig-a": 1}, "en")


def test_table_caption_goes_right_after_the_first_table():
    cell = Cell("", {}, 1)
    body = "intro\n| a |\n|---|\n| 1 |\nfootnote"
    assert _attach_table_caption(body, ": Cap {#tbl-x}", cell) == (
        "intro\n\n| a |\n|---|\n| 1 |\n\n: Cap {#tbl-x}\n\nfootnote")
    with pytest.raises(RenderError, match="no markdown pipe table"):
        _attach_table_caption("no table", ": c", cell)
