"""Reading rendered stage reports back, for the end-to-end report tests: render with a fixed
SOURCE_DATE_EPOCH, PDF text (poppler's pdftotext) and fonts (pdffonts), HTML headings and table
rows, and the render log."""

import html as htmllib
import re
import subprocess
import time
from pathlib import Path

import pytest

from evalkit.report.render import render_report
from tests.e2e.browser import require_tool

REPORTS = Path(__file__).resolve().parents[2] / "reports"
EPOCH = 1_750_000_000
EPOCH_ISO = "2025-06-15T15:06:40"  # EPOCH in UTC, as pdfinfo -isodates prints it


def render_at_epoch(template: Path, bundle: Path, out: Path, lang: str
                    ) -> tuple[Path, Path, str, float]:
    """(html, pdf, log text, seconds) of one report rendered with the fallback engine and
    SOURCE_DATE_EPOCH set to :data:`EPOCH`."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
        t0 = time.perf_counter()
        html, pdf = render_report(template, bundle, out, formats=("html", "pdf"), lang=lang,
                                  engine="fallback")
        seconds = time.perf_counter() - t0
    log_file = html.with_suffix(".log")     # <stem>.<lang>.log, written if not empty
    log = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
    return html, pdf, log, seconds


def pdftotext(pdf: Path, mode: str = "layout") -> str:
    """The PDF's text: ``layout`` as laid out on the page (a table row on one line, a wrapped
    cell's second line below it), ``raw`` in content-stream order (a table's cells one after
    another, row by row)."""
    require_tool("pdftotext")
    assert mode in ("layout", "raw"), mode
    args = ["pdftotext", f"-{mode}", str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def pdfinfo_isodates(pdf: Path) -> str:
    require_tool("pdfinfo")
    return subprocess.run(["pdfinfo", "-isodates", str(pdf)], capture_output=True, text=True,
                          check=True).stdout


def squash(text: str) -> str:
    """PDF text without the spaces, line breaks and hyphenation (soft hyphens) layout puts
    between words and characters."""
    return re.sub(r"\s+", "", text).replace("\u2212", "-").replace("\u00ad", "")


def pdf_fonts(pdf: Path) -> list[str]:
    """pdffonts' lines, one per font (the two header lines dropped)."""
    require_tool("pdffonts")
    return subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                          check=True).stdout.splitlines()[2:]


def assert_cjk_font_embedded(pdf: Path) -> None:
    """pdffonts lists a CJK font, and every CJK font is embedded."""
    fonts = pdf_fonts(pdf)
    cjk = [f for f in fonts if "CJK" in f]
    assert cjk, fonts
    assert all(f.split()[-5] == "yes" for f in cjk), cjk  # the 'emb' column


def assert_no_font_problems(log: str) -> None:
    assert "Glyph missing" not in log and "glyph missing" not in log.lower()
    assert "unknown font" not in log.lower()


def html_text(page: str) -> str:
    """The visible text of an HTML page (tags dropped, entities decoded), styles and scripts
    left out."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", page))


def html_headings(page: str) -> list[str]:
    """The text of the page's h1 and h2 elements, in order."""
    return [" ".join(html_text(h).split())
            for h in re.findall(r"<h[12]\b[^>]*>(.*?)</h[12]>", page, flags=re.S)]


def html_table_rows(page: str, table_id: str) -> list[list[str]]:
    """The body rows of the table with id ``table_id``, each a list of its cells' text."""
    m = re.search(rf'<table\b[^>]*\bid="{re.escape(table_id)}".*?</table>', page, flags=re.S)
    assert m, f"no table {table_id}"
    body = re.search(r"<tbody\b.*?</tbody>", m.group(0), flags=re.S)
    assert body, f"table {table_id} has no body"
    return [[" ".join(html_text(c).split())
             for c in re.findall(r"<td\b[^>]*>(.*?)</td>", row, flags=re.S)]
            for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", body.group(0), flags=re.S)]
