"""Set-up (issue 16, item 1): fonts and tools are checked before anything is written."""

import pytest

from evalkit.cli import main
from evalkit.demo import run_demo
from evalkit.report.render import check_render_tools, render_report
from evalkit.style import fonts


@pytest.fixture
def no_cjk_font(monkeypatch):
    """No CJK font anywhere: not in matplotlib's list, not on disk (the rebuild finds none),
    not in Typst's."""
    monkeypatch.setattr(fonts, "matplotlib_families", lambda: frozenset({"DejaVu Sans"}))
    monkeypatch.setattr(fonts, "rebuild_matplotlib_fonts", lambda: frozenset({"DejaVu Sans"}))
    monkeypatch.setattr(fonts, "_rebuilt", [])
    monkeypatch.setattr(fonts, "typst_families", lambda: frozenset({"Libertinus Serif"}))


def test_render_tools_present_here():
    assert check_render_tools(("html", "pdf"), "fallback") == "fallback"


def test_demo_stops_before_creating_its_folder(no_cjk_font, tmp_path):
    out = tmp_path / "demo-output"
    with pytest.raises(fonts.FontError, match="apt-get install fonts-noto-cjk"):
        run_demo(out, n_firms=200)
    assert not out.exists()


def test_demo_leaves_an_empty_folder_empty(no_cjk_font, tmp_path):
    out = tmp_path / "demo-output"
    out.mkdir()
    with pytest.raises(fonts.FontError):
        run_demo(out, n_firms=200)
    assert list(out.iterdir()) == []  # not even the .evalkit-output marker


def test_demo_without_reports_needs_no_font(no_cjk_font, tmp_path, monkeypatch):
    # --no-reports draws nothing, so a missing font does not stop it; the check is skipped and
    # the demo reaches its first write (stopped there to keep the test short)
    import evalkit.demo as demo

    def stop(*args, **kwargs):
        raise RuntimeError("synth reached")

    monkeypatch.setattr(demo, "synthesize_district", stop)
    with pytest.raises(RuntimeError, match="synth reached"):
        run_demo(tmp_path / "o", n_firms=200, render=False)
    assert (tmp_path / "o" / ".evalkit-output").is_file()


def test_cli_demo_is_one_line_exit_2_and_writes_nothing(no_cjk_font, tmp_path, capsys):
    out = tmp_path / "demo-output"
    assert main(["demo", "--out", str(out), "--firms", "200"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "apt-get install fonts-noto-cjk" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_cli_demo_in_chinese(no_cjk_font, tmp_path, capsys):
    assert main(["--lang", "zh", "demo", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "CJK 字体" in err and "apt-get install fonts-noto-cjk" in err


def test_report_stops_before_creating_its_folder(no_cjk_font, tmp_path):
    out = tmp_path / "reports"
    with pytest.raises(fonts.FontError):
        render_report(tmp_path / "never-read.qmd", tmp_path / "no-bundle", out, formats=("html",))
    assert not out.exists()


def test_missing_pandoc_is_named(monkeypatch):
    from evalkit.errors import EvalkitError
    from evalkit.report import fallback

    def none():
        raise OSError("No pandoc was found")

    monkeypatch.setattr(fallback, "pandoc_path", none)
    with pytest.raises(EvalkitError, match="pandoc was not found") as e:
        check_render_tools(("html",), "fallback")
    assert "pandoc" in e.value.text("zh")
