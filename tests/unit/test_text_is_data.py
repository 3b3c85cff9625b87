"""Text is data (issue 18, items 6-9): user text reaches pandoc Markdown, Typst, HTML, Rich and
spreadsheet cells only through :mod:`evalkit.escape`, and comes out as the same literal text.

Regression tests name the item they reproduce; the Hypothesis tests check that any string
round-trips: pandoc reads escaped text back as plain strings (no HTML, code, link, citation,
math, ...), Rich markup and matplotlib labels show it as written, a spreadsheet gets no formula.
Rendering through HTML (Chromium) and PDF is in tests/e2e/test_text_is_data_render.py.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit import escape
from evalkit.cli import main
from evalkit.report.fallback import MD_FORMAT, pandoc_path, resolve_xrefs
from evalkit.report.views import common, portfolio

#: What the issue tried, and friends: HTML/JS, pandoc raw attributes, links, Typst code,
#: cross-references, shortcodes, math, Rich markup, spreadsheet formulas, terminal escapes.
HOSTILE = (
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 1">',
    "`<script>window.__pwned = 1</script>`{=html}",
    "[click](javascript:window.__pwned=1)",
    "<javascript:alert(1)>",
    '`#panic("X")`{=typst}',
    '`#place(top, dx: 0pt)[FORGED: 建议预算 +300%]`{=typst}',
    "@fig-x",
    "[@tbl-x]",
    "{{< include /etc/passwd >}}",
    "$\\frac{a}{b}$",
    "# heading",
    "- item",
    "1. item",
    "| a | b |",
    "::: {.callout-note}",
    "**bold** _em_ ~~strike~~ ^sup^ ~sub~",
    "&lt;b&gt; &amp;",
    "\\\\ \\` \\*",
    "[/bold]",
    "[/]",
    "[bold red]x[/]",
    ":smile:",
    "=HYPERLINK(\"http://evil\", \"x\")",
    "@SUM(A1)",
    "+1+1",
    "-2+3",
    "\tTAB",
    "\x1b[31mred\x1b[0m",
    "a\n\n    code\n# h",
    "'quotes' \"dq\" -- --- ...",
    "#set text(red)",
    "// comment",
    "<label> @ref $math$ *strong* _emph_ `raw` = heading",
)

hostile = st.sampled_from(HOSTILE)
any_text = st.text(st.characters(codec="utf-8"), max_size=30)
#: Random text, hostile fragments and both mixed.
texts = st.lists(st.one_of(hostile, any_text), min_size=1, max_size=4).map("".join)
FAST = settings(max_examples=60, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def _squash_spaces(text: str) -> str:
    return re.sub(f"[ {re.escape(escape._BREAKS)}]+", " ", escape.printable(text))


# ----------------------------------------------------------------------------- pandoc Markdown

def _pandoc_json(markdown: str) -> dict:
    proc = subprocess.run([pandoc_path(), "-f", MD_FORMAT, "-t", "json"],
                          input=markdown.encode("utf-8"), capture_output=True, check=True)
    return json.loads(proc.stdout)


def _plain(inlines: list[dict], allow: tuple[str, ...] = ()) -> str:
    """The text of inlines that must be only strings and spaces (anything else fails), or one of
    the containers in ``allow`` (the template's own bold label)."""
    out = []
    for node in inlines:
        kind = node["t"]
        if kind in allow:
            out.append(_plain(node["c"]))
            continue
        assert kind in ("Str", "Space"), f"markup {kind} in {inlines!r}"
        out.append(node["c"] if kind == "Str" else " ")
    return "".join(out)


@FAST
@given(st.lists(texts, min_size=1, max_size=6))
def test_markdown_escaped_text_reads_back_as_plain_strings(values):
    # each value in a paragraph (at the start of its line, as a list item would be), in a
    # sentence, and in a pipe table cell; cross-references resolved as the fallback does
    paras = [f"{escape.markdown(v)} and A{escape.markdown(v)}Z" for v in values]
    rows = [f"| {escape.markdown(v)} | x |" for v in values]
    text = "\n\n".join(paras) + "\n\n| h | h2 |\n|---|---|\n" + "\n".join(rows) + "\n"
    doc = _pandoc_json(resolve_xrefs(text, {}, "en"))
    blocks = doc["blocks"]
    assert [b["t"] for b in blocks] == ["Para"] * len(values) + ["Table"]
    for value, block in zip(values, blocks, strict=False):
        shown = _squash_spaces(value)
        assert _plain(block["c"]).strip(" ") == f"{shown} and A{shown}Z".strip(" ")
    body = blocks[-1]["c"][4][0][3]          # the table's body rows
    cells = [row[1][0][4] for row in body]   # first cell's blocks of each row
    for value, blocks_ in zip(values, cells, strict=True):
        got = "".join(_plain(b["c"]) for b in blocks_)
        assert got == _squash_spaces(value).strip(" ")


def test_markdown_escape_is_inline_and_literal():
    assert escape.markdown("<script>") == "\\<script\\>"
    assert escape.markdown("a\n\n# b") == "a \\# b"
    assert escape.markdown("P\x1b[31m") == "P\ufffd\\[31m"
    assert escape.markdown_code("a`b") == "``a`b``"


# ----------------------------------------------------------------------------- item 6 and 7
# (as markdown; rendered through Chromium and Typst in tests/e2e/test_text_is_data_render.py)

POLICY = {"policy_id": "P01", "name_zh": HOSTILE[0], "name_en": HOSTILE[0],
          "department": HOSTILE[1], "instrument": "grant", "objective": "innovation"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_item6_7_policy_line_carries_no_markup(lang):
    for name in HOSTILE:
        line = common.policy_line({**POLICY, "name_zh": name, "name_en": name,
                                  "department": "@fig-x " + name}, lang)
        doc = _pandoc_json(resolve_xrefs(line, {}, lang))   # @fig-x: no unresolved reference
        text = "".join(_plain(b["c"], allow=("Strong",)) for b in doc["blocks"])
        assert _squash_spaces(name).strip() in text


def test_item6_7_review_comments_and_ids_carry_no_markup():
    rows = pd.DataFrame({"recommendation_id": list(HOSTILE), "decision": ["accept"] * len(HOSTILE),
                         "reviewer": list(HOSTILE), "timestamp": ["2026-01-01"] * len(HOSTILE),
                         "comment": list(reversed(HOSTILE))})
    doc = _pandoc_json(portfolio.review_table(rows, "en"))
    assert [b["t"] for b in doc["blocks"]] == ["Table"]
    body = doc["blocks"][0]["c"][4][0][3]
    for k, row in enumerate(body):
        cells = ["".join(_plain(b["c"]) for b in cell[4]) for cell in row[1]]
        assert cells[0] == _squash_spaces(HOSTILE[k]).strip()
        assert cells[4] == _squash_spaces(HOSTILE[-1 - k]).strip()


# ----------------------------------------------------------------------------- HTML, Typst

@FAST
@given(texts)
def test_html_escape_round_trips(value):
    from html.parser import HTMLParser

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.tags, self.data = [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append((tag, attrs))

        def handle_data(self, data):
            self.data.append(data)

    p = Collect()
    p.feed(f'<p title="{escape.html(value)}">{escape.html(value)}</p>')
    p.close()
    assert p.tags == [("p", [("title", escape.printable(value))])]
    assert "".join(p.data) == escape.printable(value)


def test_typst_escape_leaves_no_active_character():
    for value in HOSTILE:
        out = escape.typst(value)
        assert not re.search(r"(?<!\\)[#\[\]$<>@*_`=]", out.replace("\\\\", "")), out


# ----------------------------------------------------------------------------- Rich (item 8)

@FAST
@given(texts)
def test_rich_escape_round_trips_through_the_cli_console(value):
    from evalkit.cli import console

    shown = console.render_str(escape.rich(value))
    assert shown.plain == escape.printable(value).replace("\r", "").replace("\x0b", "") \
        .replace("\x0c", "")
    assert "\x1b" not in shown.plain


def test_rich_escape_keeps_emoji_codes_and_tags_literal():
    from evalkit.cli import console

    assert console.render_str(escape.rich(":smile: [bold]x[/]")).plain == ":smile: [bold]x[/]"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("text") / "d"
    assert main(["synth", "--out", str(out), "--firms", "60", "--seed", "3"]) == 0
    return out


def test_item8_header_with_markup_is_a_one_line_error(data_dir, capsys):
    path = data_dir / "policies.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("department", "[/bold]", 1), encoding="utf-8")
    try:
        capsys.readouterr()
        assert main(["validate", str(data_dir)]) == 2
        err = capsys.readouterr().err
        assert "[/bold]" in err and "Traceback" not in err and "MarkupError" not in err
    finally:
        path.write_text(text, encoding="utf-8")


def test_item8_review_id_and_comment_with_markup(tmp_path, capsys):
    from tests.review_cycle import make_cycle

    store = str(tmp_path / "w.duckdb")
    cycle = str(make_cycle(store, ids=("[/]", "2026-P01", "x"), folder=tmp_path))
    for rid, comment in (("[/]", "[/]"), ("2026-P01", "[bold]x[/bold] [/] :smile:")):
        assert main(["review", "record", "--bundle", cycle, "--id", rid, "--decision", "accept",
                     "--reviewer", "Wang Li", "--comment", comment]) == 0
    out = capsys.readouterr().out
    assert "[/]" in out
    assert main(["review", "list", "--store", store]) == 0
    out = capsys.readouterr().out
    assert out.count("[/]") >= 2 and ":smile:" in out
    # a reviewer must look like a name (issue 18, item 11): markup there is refused in one
    # line that shows it literally, never a Rich traceback
    assert main(["review", "record", "--bundle", cycle, "--id", "x", "--decision", "accept",
                 "--reviewer", "[/i]", "--comment", "c"]) == 2
    err = capsys.readouterr().err
    assert "[/i]" in err and "Traceback" not in err and "MarkupError" not in err


# ----------------------------------------------------------------------------- matplotlib

@FAST
@given(texts)
def test_matplotlib_labels_show_text_without_mathtext(value):
    from matplotlib.text import Text

    label = Text(0, 0, escape.matplotlib(value))
    assert label._preprocess_math(label.get_text()) == (escape.printable(value), False)


def test_matplotlib_label_with_bad_math_draws():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    raw = "$\\undefinedcommand{x}$ $$"
    title = ax.set_title(escape.matplotlib(raw))
    fig.canvas.draw()     # mathtext would raise ValueError on the unknown command
    assert title.get_text().count("$") == raw.count("$") == 4   # every dollar kept as text
    assert not title._preprocess_math(title.get_text())[1]      # not parsed as maths
    plt.close(fig)


# ----------------------------------------------------------------------------- cells (item 9)

@FAST
@given(texts)
def test_cells_never_start_a_formula(value):
    out = escape.cell(value)
    assert not out.startswith(escape.CELL_TRIGGERS)
    assert out == value or out == "'" + value
    assert escape.cell(3.5) == 3.5 and escape.cell(None) is None


def test_item9_quarantine_csv_holds_no_formula(tmp_path, data_dir):
    from evalkit.io.validate import validate_dir

    d = tmp_path / "d"
    d.mkdir()
    for f in data_dir.glob("*.csv"):
        (d / f.name).write_bytes(f.read_bytes())
    path = d / "firms.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cols = lines[0].split(",")
    bad = '"=HYPERLINK(""http://evil"",""click"")"'
    row = lines[1].split(",")
    row[cols.index("firm_id")] = bad
    row[cols.index("industry_code")] = "@SUM(A1)"
    row2 = lines[2].split(",")
    row2[cols.index("industry_code")] = "=1+1"
    path.write_text("\n".join([*lines, ",".join(row), ",".join(row2)]) + "\n", encoding="utf-8")
    rep = validate_dir(d)
    out = rep.write_quarantine(tmp_path / "q.csv")
    cells = [c for r in csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))) for c in r]
    assert not [c for c in cells if c.startswith(escape.CELL_TRIGGERS)]
    assert any("'=HYPERLINK(" in c for c in cells) or any("'=1+1" in c for c in cells)
    assert any(c.startswith("'@") or c.startswith("'=") for c in cells)
