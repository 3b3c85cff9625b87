"""Fonts for figures (matplotlib) and the PDF (Typst), chosen from the fonts actually installed.

A Chinese report needs a CJK font; the list below prefers the Noto CJK families Debian's
``fonts-noto-cjk`` installs and falls back to other common Simplified-Chinese families. Asking for
a family that is not installed makes Typst warn ("unknown font family") and matplotlib print tofu,
so only installed families are ever returned.

matplotlib keeps its font list in a cache file (``fontlist-v*.json`` in its cache folder) built the
first time it is imported; a font installed after that (``apt-get install fonts-noto-cjk`` on a
machine where matplotlib already ran) is not in it. When the list has no CJK family,
:func:`figure_fonts` rebuilds it once from the fonts on disk (which also rewrites the cache file,
so the report kernels started later read the new list) before giving up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from evalkit.errors import FontError
from evalkit.i18n import Message

CJK_SERIF = ("Noto Serif CJK SC", "Source Han Serif SC", "Source Han Serif CN", "Noto Serif SC",
             "SimSun", "Songti SC")
CJK_SANS = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans SC",
            "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "SimHei")
CJK_MONO = ("Noto Sans Mono CJK SC", *CJK_SANS)
#: Latin faces: Typst ships Libertinus Serif, New Computer Modern and DejaVu Sans Mono built in.
LATIN_SERIF = ("Libertinus Serif", "New Computer Modern")
LATIN_SANS = ("DejaVu Sans",)
LATIN_MONO = ("DejaVu Sans Mono",)
INSTALL_HINT = Message("errors.style.fonts.install_hint")


@dataclass(frozen=True)
class PdfFonts:
    """Typst font fallback lists (first family with the glyph wins)."""

    body: tuple[str, ...]
    heading: tuple[str, ...]
    mono: tuple[str, ...]


def _first(installed: frozenset[str], wanted: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in wanted if f in installed)[:1]


@cache
def typst_families() -> frozenset[str]:
    """Font families Typst sees (system fonts plus its embedded ones)."""
    import typst

    return frozenset(typst.Fonts().families())


@cache
def matplotlib_families() -> frozenset[str]:
    from matplotlib import font_manager

    return frozenset(f.name for f in font_manager.fontManager.ttflist)


_rebuilt: list[bool] = []


def rebuild_matplotlib_fonts() -> frozenset[str]:
    """Rebuild matplotlib's font list from the fonts on disk, ignoring (and rewriting) its cache
    file, and add the fonts it lacked to the font manager in use (``addfont``: every module that
    holds ``fontManager`` or ``findfont`` sees them). Returns the families now known."""
    from matplotlib import font_manager

    fresh = font_manager._load_fontmanager(try_read_cache=False)
    live = font_manager.fontManager
    known = {f.fname for f in live.ttflist}
    for fname in sorted({f.fname for f in fresh.ttflist} - known):
        live.addfont(fname)
    matplotlib_families.cache_clear()
    _rebuilt.append(True)
    return matplotlib_families()


def _matplotlib_cjk() -> tuple[str, ...]:
    """The CJK family for figures, rebuilding a stale font list once per process."""
    have = matplotlib_families()
    cjk = _first(have, CJK_SANS) or _first(have, CJK_SERIF)
    if not cjk and not _rebuilt:
        have = rebuild_matplotlib_fonts()
        cjk = _first(have, CJK_SANS) or _first(have, CJK_SERIF)
    return cjk


def pdf_fonts() -> PdfFonts:
    """Fallback lists for the PDF body, headings and code; raises FontError without a CJK font."""
    have = typst_families()
    serif, sans, mono = _first(have, CJK_SERIF), _first(have, CJK_SANS), _first(have, CJK_MONO)
    cjk_any = serif or sans
    if not cjk_any:
        raise FontError(Message("errors.style.fonts.no_cjk_pdf", hint=INSTALL_HINT))
    return PdfFonts(
        body=_first(have, LATIN_SERIF) + (serif or sans),
        heading=_first(have, LATIN_SANS + LATIN_SERIF) + (sans or serif),
        mono=_first(have, LATIN_MONO) + (mono or cjk_any),
    )


def figure_fonts() -> list[str]:
    """matplotlib ``font.family`` list: a Latin sans first (it has U+2212 minus), then a CJK sans
    for the glyphs the first lacks (matplotlib >= 3.6 falls back glyph by glyph)."""
    cjk = _matplotlib_cjk()
    if not cjk:
        raise FontError(Message("errors.style.fonts.no_cjk_figures", hint=INSTALL_HINT))
    return [*_first(matplotlib_families(), LATIN_SANS), *cjk]
