"""The one-screen summary ``evalkit demo`` prints: the district, where everything was written and
the policies in the order of their rank, in the language of the CLI, within the terminal's width
(80 columns by default; a Chinese character takes two: :func:`evalkit.numbers.display_width`).
Long cells (policy names, paths) wrap inside their column instead of being cut.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evalkit.i18n import t
from evalkit.numbers import display_width

GAP = "  "


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns: broken at spaces where a word fits, inside
    a word (a path, Chinese) where it does not."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if display_width(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
            line = ""
        for ch in word:
            if display_width(line + ch) > width:
                lines.append(line)
                line = ""
            line += ch
    lines.append(line)
    return lines


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * (width - display_width(text))
    return space + text if right else text + space


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int,
               flex: int, right: Sequence[bool]) -> list[str]:
    """A plain table within ``width`` columns: every column as wide as its widest cell except
    column ``flex``, which takes the rest (at least 8 columns) and wraps its cells."""
    natural = [max(display_width(str(c)) for c in col) for col in zip(headers, *rows, strict=True)]
    fixed = sum(w for i, w in enumerate(natural) if i != flex) + len(GAP) * (len(headers) - 1)
    widths = list(natural)
    widths[flex] = max(8, min(natural[flex], width - fixed))
    out = []
    for cells in (headers, *rows):
        wrapped = [wrap(str(c), widths[i]) if i == flex else [str(c)] for i, c in enumerate(cells)]
        for k in range(max(len(w) for w in wrapped)):
            parts = [_pad(w[k] if k < len(w) else "", widths[i], right[i])
                     for i, w in enumerate(wrapped)]
            out.append(GAP.join(parts).rstrip())
        if cells is headers:
            out.append("-" * min(width, sum(widths) + len(GAP) * (len(headers) - 1)))
    return out


def shown_path(path: str | Path) -> str:
    """A path as the user will type it: relative to the current folder when it lies inside it."""
    path = Path(path)
    try:
        return Path(os.path.relpath(path)).as_posix() if path.is_relative_to(Path.cwd()) \
            else str(path)
    except ValueError:
        return str(path)


def _rows(summary: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    r = summary["rows"]
    zh = lang == "zh"
    amount = (f"{r['disbursed'] / 1e4:,.0f}" if zh else f"{r['disbursed'] / 1e6:,.1f}")
    rows = [(t("cli.demo.dataset", lang), r["dataset"]),
            (t("cli.demo.firms", lang), f"{r['firms']:,}"),
            (t("cli.demo.firm_years", lang), f"{r['firm_years']:,}"),
            (t("cli.demo.policies", lang), f"{r['policies']:,}"),
            (t("cli.demo.disbursed", lang), amount),
            (t("cli.demo.warehouse", lang), shown_path(r["warehouse"])),
            (t("cli.demo.bundles", lang), shown_path(r["bundles"]))]
    if "reports" in r:
        rows.append((t("cli.demo.reports", lang),
                     t("cli.demo.reports_value", lang, n=r["reports"],
                       path=shown_path(r["reports_dir"]))))
    if "index" in r:
        rows.append((t("cli.demo.index", lang), shown_path(r["index"])))
    return rows


def ranked(ranking: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The policies in the order of their rank (point estimate), the unranked ones (failed
    identification check) last; ties by policy id."""
    return sorted(ranking, key=lambda r: (r["rank_order"] <= 0, r["rank_order"], r["policy"]))


def summary_lines(summary: Mapping[str, Any], lang: str, width: int = 80) -> list[str]:
    """The summary as lines of at most ``width`` columns, in ``lang``."""
    lines = [t("cli.demo.summary", lang)]
    lines += text_table(["", ""], _rows(summary, lang), width, flex=1, right=[False, False])[2:]
    lines += ["", *wrap(t("cli.demo.ranking", lang), width)]
    headers = [t(f"cli.demo.col.{c}", lang) for c in
               ("policy", "metric", "95% CI", "rank set", "score", "grade", "action")]
    rows = []
    for r in ranked(summary["ranking"]):       # the order is the rank; the set its uncertainty
        name = r["name_zh"] if lang == "zh" else r["name_en"]
        rank_set = (f"{r['rank_low']}-{r['rank_high']}" if r["rank_order"] > 0
                    else t("cli.demo.unranked", lang))
        rows.append([f"{r['policy']} {name}", f"{r['metric']:.3f}",
                     f"[{r['conf_low']:.2f}, {r['conf_high']:.2f}]", rank_set,
                     f"{r['score']:.1f}", r["grade"],
                     t(f"report.value.action.{r['action']}", lang)])
    lines += text_table(headers, rows, width, flex=0,
                        right=[False, True, True, False, True, False, False])
    if any(r["rank_order"] <= 0 for r in summary["ranking"]):
        lines += wrap(t("cli.demo.unranked_note", lang), width)
    return lines
