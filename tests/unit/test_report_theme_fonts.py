"""CJK fonts for figures and PDF; reproducible figure bytes."""

import io
import warnings

import matplotlib.pyplot as plt
import pytest

from evalkit.report import fonts
from evalkit.report.theme import savefig_kwargs, use_theme


def test_theme_draws_chinese_without_missing_glyphs():
    families = use_theme()
    assert any("CJK" in f or "Hei" in f or "Han" in f for f in families)
    assert plt.rcParams["font.family"] == families  # seaborn did not reset it
    outs = []
    for _ in range(2):
        fig, ax = plt.subplots()
        ax.plot([2021, 2022], [-1.5, 2.0])
        ax.set(title="拨付金额（万元）", xlabel="年份", ylabel="−1 减少")
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "Glyph ... missing from font" is a UserWarning
            fig.savefig(buf, **savefig_kwargs("png"))
        plt.close(fig)
        outs.append(buf.getvalue())
    assert outs[0] == outs[1]
    assert b"Software" not in outs[0]


def test_svg_bytes_reproducible():
    use_theme()
    outs = []
    for _ in range(2):
        fig, ax = plt.subplots()
        ax.bar(["制造业", "其他"], [3, 4])
        buf = io.BytesIO()
        fig.savefig(buf, **savefig_kwargs("svg"))
        plt.close(fig)
        outs.append(buf.getvalue())
    assert outs[0] == outs[1] and b"<dc:date>" not in outs[0]


def test_pdf_fonts_are_installed_families():
    pf = fonts.pdf_fonts()
    have = fonts.typst_families()
    assert set(pf.body) <= have and set(pf.heading) <= have and set(pf.mono) <= have
    assert any(f in fonts.CJK_SERIF + fonts.CJK_SANS for f in pf.body)


def test_missing_cjk_font_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(fonts, "typst_families", lambda: frozenset({"Libertinus Serif"}))
    monkeypatch.setattr(fonts, "matplotlib_families", lambda: frozenset({"DejaVu Sans"}))
    with pytest.raises(fonts.FontError, match="fonts-noto-cjk"):
        fonts.pdf_fonts()
    with pytest.raises(fonts.FontError, match="fonts-noto-cjk"):
        fonts.figure_fonts()
