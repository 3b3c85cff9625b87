"""The Quarto path, with a stand-in ``quarto`` executable (the real CLI cannot be installed here).

Checks that Quarto would receive the same expanded template (same cells, same options) and the
same parameters the fallback injects.
"""

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from evalkit.errors import ConfigError
from evalkit.report import quarto
from evalkit.report.example_bundle import write_example_bundle
from evalkit.report.fallback import notebook_cells
from evalkit.report.qmd import expand, parse_qmd
from evalkit.report.render import choose_engine, render_report

REPORTS = Path(__file__).resolve().parents[2] / "reports"

FAKE = """#!{python}
import json, pathlib, shutil, sys
rec = pathlib.Path({record!r})
args = sys.argv[1:]
if args == ["--version"]:
    print("1.6.0"); sys.exit(0)
rec.mkdir(exist_ok=True)
n = len(list(rec.glob("call*.json")))
(rec / f"call{{n}}.json").write_text(json.dumps({{"args": args, "cwd": str(pathlib.Path.cwd())}}))
qmd = pathlib.Path(args[1])
shutil.copy(qmd, rec / f"call{{n}}.qmd")
to = args[args.index("--to") + 1]
qmd.with_suffix(".html" if to == "html" else ".pdf").write_text("rendered " + to)
"""


@pytest.fixture
def fake_quarto(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "quarto"
    exe.write_text(FAKE.format(python=sys.executable, record=str(tmp_path / "calls")))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "calls"


def _params(args):
    out = {}
    for i, a in enumerate(args):
        if a == "-P":
            name, _, value = args[i + 1].partition(":")
            out[name] = json.loads(value)
    return out


def test_quarto_sees_the_fallbacks_cells_and_params(fake_quarto, tmp_path):
    bundle = write_example_bundle(tmp_path / "bundle")
    assert choose_engine("auto") == "quarto"
    out = render_report(REPORTS / "example.qmd", bundle, tmp_path / "out", lang="en",
                        params={"extra": [1, "二"]})
    assert [p.name for p in out] == ["example.en.html", "example.en.pdf"]
    assert out[0].read_text() == "rendered html" and out[1].read_text() == "rendered typst"
    calls = sorted(fake_quarto.glob("call*.json"))
    assert len(calls) == 2
    html_args = json.loads(calls[0].read_text())["args"]
    pdf_args = json.loads(calls[1].read_text())["args"]
    assert html_args[:5] == ["render", "example.en.qmd", "--to", "html", "--execute"]
    assert pdf_args[pdf_args.index("--to") + 1] == "typst"
    assert "embed-resources:true" in html_args and "lang:en-US" in html_args

    params = _params(html_args)
    assert params == {"bundle": str(bundle.resolve()), "lang": "en",
                      "render_engine": "Quarto 1.6.0", "extra": [1, "二"]}
    # same parameters, same cells as the fallback would run
    fallback_doc = parse_qmd(expand(REPORTS / "example.qmd", "en"))
    quarto_doc = parse_qmd((fake_quarto / "call0.qmd").read_text())
    assert quarto_doc.blocks == fallback_doc.blocks and len(quarto_doc.cells) == 7
    assert dict(quarto_doc.front_matter) == dict(fallback_doc.front_matter)
    plan = notebook_cells(fallback_doc, params)
    injected = next(src for cell, src in plan[1:] if cell is None)
    namespace: dict = {}
    exec(injected, namespace)  # the fallback's injected cell defines exactly these values
    assert {k: v for k, v in namespace.items() if k != "__builtins__"} == params


def test_quarto_engine_without_quarto_is_a_config_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert choose_engine("auto") == "fallback"
    with pytest.raises(ConfigError, match="quarto CLI is not on PATH"):
        quarto.require_quarto()
    with pytest.raises(ConfigError, match="'auto', 'quarto', 'fallback'"):
        choose_engine("pandoc")


def test_render_report_validates_options(tmp_path):
    bundle = write_example_bundle(tmp_path / "b")
    for kwargs, needle in (({"formats": ("docx",)}, "format must be one of"),
                           ({"lang": "fr"}, "lang must be one of"),
                           ({"params": {"lang": "en"}}, "reserved")):
        with pytest.raises(ConfigError, match=needle):
            render_report(REPORTS / "example.qmd", bundle, tmp_path / "o", engine="fallback",
                          **kwargs)
