"""CJK fonts for figures and PDF; reproducible figure bytes."""

import io
import warnings

import matplotlib.pyplot as plt
import pytest

from evalkit.style import fonts
from evalkit.style.theme import savefig_kwargs, use_theme


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
    # no CJK font in matplotlib's list nor on disk: the one rebuild finds none either
    rebuilds = []
    monkeypatch.setattr(fonts, "typst_families", lambda: frozenset({"Libertinus Serif"}))
    monkeypatch.setattr(fonts, "matplotlib_families", lambda: frozenset({"DejaVu Sans"}))
    monkeypatch.setattr(fonts, "_rebuilt", [])
    monkeypatch.setattr(fonts, "rebuild_matplotlib_fonts",
                        lambda: rebuilds.append(1) or frozenset({"DejaVu Sans"}))
    with pytest.raises(fonts.FontError, match="fonts-noto-cjk"):
        fonts.pdf_fonts()
    with pytest.raises(fonts.FontError, match="fonts-noto-cjk"):
        fonts.figure_fonts()
    assert rebuilds == [1]


_STALE_CHECK = """
import json, sys
from pathlib import Path
import matplotlib
from matplotlib import font_manager
from evalkit.style import fonts

cache = Path(matplotlib.get_cachedir(), f"fontlist-v{font_manager.FontManager.__version__}.json")
before = sorted(f for f in fonts.matplotlib_families() if "CJK" in f)
families = fonts.figure_fonts()
cjk = families[-1]
found = font_manager.findfont(font_manager.FontProperties(family=cjk), fallback_to_default=False)
on_disk = sorted({e["name"] for e in json.loads(cache.read_text())["ttflist"] if "CJK" in e["name"]})
print(json.dumps({"before": before, "families": families, "file": found, "on_disk": on_disk}))
"""


def test_font_installed_after_the_matplotlib_cache_is_found(tmp_path):
    """A CJK font on disk but missing from a stale matplotlib cache (a cache written before
    ``apt-get install fonts-noto-cjk``) is found: the font list is rebuilt once, in this process
    and in the cache file that later processes (the report kernels) read."""
    import copy
    import json
    import os
    import subprocess
    import sys

    from matplotlib import font_manager

    cjk_files = {f.fname for f in font_manager.fontManager.ttflist if "CJK" in f.name}
    assert cjk_files, "this test needs a CJK font installed (fonts-noto-cjk)"
    stale = copy.deepcopy(font_manager.fontManager)
    stale.ttflist = [f for f in stale.ttflist if f.fname not in cjk_files]
    cache = tmp_path / f"fontlist-v{font_manager.FontManager.__version__}.json"
    font_manager.json_dump(stale, cache)
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path), "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", _STALE_CHECK], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["before"] == []  # the stale cache was read: no CJK family known
    assert got["families"][-1] in fonts.CJK_SANS + fonts.CJK_SERIF
    assert got["file"] in cjk_files  # matplotlib draws with the CJK file, not a fallback
    assert got["families"][-1] in got["on_disk"]  # the cache file was rewritten
