"""The demo's front page for officials: ``index.html`` (Chinese) and ``index.en.html``.

It says what to open first (the portfolio report: ranking, scorecards, budget proposal), lists
every report by stage and policy name (codes beside names) with its HTML and PDF in both
languages, and says what the finance bureau decides next and how the decision is recorded
today (``evalkit review record``, one line per recommendation). Links are relative, so the
folder can be copied or moved; every text from data (policy names, study names, ids) is escaped
(:func:`evalkit.escape.html`). The page is plain HTML with no script or external resource, and
the same output gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.contract.bundle import read_bundle
from evalkit.escape import html as esc
from evalkit.i18n import t
from evalkit.io.safefs import atomic_write_bytes

#: Stages in the order a reader meets them, and their headings.
STAGE_ORDER = ("portfolio", "ex_post", "ex_ante", "monitor")
LANGS = ("zh", "en")
FORMATS = ("html", "pdf")
INDEX = {"zh": "index.html", "en": "index.en.html"}



def _t(key: str, lang: str, **fmt: Any) -> str:
    return t(f"report.index.{key}", lang, **fmt)


@dataclass(frozen=True)
class Entry:
    """One bundle and its reports: ``files[(lang, fmt)]`` is a path relative to the output."""

    stage: str
    code: str
    subject: dict[str, str]
    files: dict[tuple[str, str], str]


def _subject(stage: str, results: Any, lang: str) -> tuple[str, str]:
    """(code, words) naming what a bundle is about."""
    if stage == "ex_post":
        p = results.get("policy") or {}
        return str(p.get("policy_id", "")), str(p.get(f"name_{lang}", ""))
    if stage == "ex_ante":
        p = results.get("proposal") or {}
        return (str(p.get("policy_id", "")),
                _t("subject.proposal", lang, name=p.get(f"name_{lang}", "")))
    if stage == "monitor":
        return "", _t("subject.monitor", lang, year=results.get("year", ""),
                      as_of=results.get("as_of", ""))
    return "", _t("subject.portfolio", lang, cycle=results.get("cycle", ""))


def entries(out: Path) -> list[Entry]:
    """Every bundle in ``out/bundles`` with the reports rendered from it in ``out/reports``,
    portfolio first, then by stage and code."""
    found = []
    bundles = out / "bundles"
    for folder in sorted(p for p in bundles.iterdir() if p.is_dir() and not p.name.startswith(".")):
        b = read_bundle(folder)
        files = {}
        for lang in LANGS:
            for fmt in FORMATS:
                hits = sorted((out / "reports" / folder.name).glob(f"*.{lang}.{fmt}"))
                if hits:
                    files[(lang, fmt)] = hits[0].relative_to(out).as_posix()
        subject = {lang: _subject(b.stage, b.results, lang)[1] for lang in LANGS}
        code = _subject(b.stage, b.results, "en")[0]
        found.append(Entry(b.stage, code, subject, files))
    order = {s: i for i, s in enumerate(STAGE_ORDER)}
    return sorted(found, key=lambda e: (order.get(e.stage, len(order)), e.code))


def _links(entry: Entry, lang: str) -> str:
    cells = []
    for report_lang in LANGS:
        links = [f'<a href="{esc(entry.files[(report_lang, fmt)])}">{fmt.upper()}</a>'
                 for fmt in FORMATS if (report_lang, fmt) in entry.files]
        cells.append(f"<td>{' · '.join(links) or '–'}</td>")
    return "".join(cells)


def _recommendations(out: Path) -> list[dict[str, str]]:
    folder = out / "bundles" / "portfolio"
    if not folder.is_dir():
        return []
    b = read_bundle(folder)
    recs = b.table("recommendations")
    cols = b.results.get("policies") or {}           # column-oriented: name -> values
    names = {pid: {k: cols[k][i] for k in cols} for i, pid in enumerate(cols.get("policy_id", []))}
    rows = []
    for r in recs.sort_values("recommendation_id").itertuples():
        p = names.get(r.policy_id, {})
        rows.append({"id": str(r.recommendation_id), "policy": str(r.policy_id),
                     "name_zh": str(p.get("name_zh", "")), "name_en": str(p.get("name_en", "")),
                     "action": str(r.action)})
    return rows


CSS = """body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:60em;
margin:2em auto;padding:0 1em;line-height:1.6;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border-bottom:1px solid #ccc;
padding:.3em .8em;text-align:left;vertical-align:top}th{background:#f3f3f3}
.first{background:#eef5ff;border-left:4px solid #2a6ebb;padding:.6em 1em}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto}nav{float:right}"""


def render_index(out: Path, lang: str) -> str:
    """The index page of the demo output ``out`` in ``lang``."""
    other = "en" if lang == "zh" else "zh"
    found = entries(out)
    html_lang = "zh-Hans" if lang == "zh" else "en"
    parts = [f'<!DOCTYPE html>\n<html lang="{html_lang}">\n<head>\n<meta charset="utf-8">\n'
             f"<title>{esc(_t('title', lang))}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
             f'<nav><a href="{INDEX[other]}" hreflang="{other}">{_t("switch", lang)}</a></nav>\n',
             f"<h1>{esc(_t('title', lang))}</h1>\n<p>{esc(_t('intro', lang))}</p>\n"]
    portfolio = [e for e in found if e.stage == "portfolio"]
    parts.append(f'<div class="first">\n<h2>{esc(_t("first", lang))}</h2>\n'
                 f"<p>{esc(_t('first_text', lang))}</p>\n")
    for e in portfolio:
        links = [f'<a href="{esc(e.files[(lang, fmt)])}">{esc(e.subject[lang])} ({fmt.upper()})'
                 "</a>" for fmt in FORMATS if (lang, fmt) in e.files]
        parts.append(f"<p>{' · '.join(links) or esc(_t('none', lang))}</p>\n")
    parts.append("</div>\n")
    parts.append(f"<h2>{esc(_t('reports', lang))}</h2>\n")
    if not any(e.files for e in found):
        parts.append(f"<p>{esc(_t('none', lang))}</p>\n")
    parts.append(f"<table>\n<tr><th>{esc(_t('col_stage', lang))}</th>"
                 f"<th>{esc(_t('col_subject', lang))}</th><th>{esc(_t('col_zh', lang))}</th>"
                 f"<th>{esc(_t('col_en', lang))}</th></tr>\n")
    for e in found:
        subject = f"{esc(e.code)} {esc(e.subject[lang])}".strip()
        parts.append(f"<tr><td>{esc(_t('stage.' + e.stage, lang))}</td><td>{subject}</td>"
                     f"{_links(e, lang)}</tr>\n")
    parts.append("</table>\n")
    recs = _recommendations(out)
    parts.append(f"<h2>{esc(_t('next', lang))}</h2>\n<p>{esc(_t('next_text', lang))}</p>\n")
    example = recs[0]["id"] if recs else "2026-01"
    command = (f"evalkit review record --bundle bundles/portfolio --id {example} "
               f"--decision accept --reviewer {_t('reviewer', lang)} "
               f"--comment \"{_t('comment', lang)}\"")
    parts.append(f"<pre>{esc(command)}</pre>\n")
    if recs:
        parts.append(f"<h3>{esc(_t('recs', lang))}</h3>\n<table>\n"
                     f"<tr><th>{esc(_t('col_id', lang))}</th>"
                     f"<th>{esc(_t('col_subject', lang))}</th>"
                     f"<th>{esc(_t('col_action', lang))}</th></tr>\n")
        for r in recs:
            action = t(f"report.value.action.{r['action']}", lang)
            parts.append(f"<tr><td><code>{esc(r['id'])}</code></td><td>{esc(r['policy'])} "
                         f"{esc(r['name_' + lang])}</td><td>{esc(action)}</td></tr>\n")
        parts.append("</table>\n")
    parts.append(f"<p>{esc(_t('then', lang))}</p>\n<pre>evalkit review list --store "
                 "warehouse.duckdb\nevalkit review verify --store warehouse.duckdb</pre>\n")
    parts.append(f"<h2>{esc(_t('audit', lang))}</h2>\n<p>{esc(_t('audit_text', lang))}</p>\n"
                 "<pre>evalkit verify bundles/portfolio</pre>\n")
    parts.append(f"<h2>{esc(_t('folders', lang))}</h2>\n<ul>\n")
    for folder, target in (("data", "data/"), ("studies", "studies/"), ("bundles", "bundles/"),
                           ("reports", "reports/"), ("warehouse", "warehouse.duckdb")):
        if (out / target).exists():
            parts.append(f'<li><a href="{esc(target)}"><code>{esc(target)}</code></a>: '
                         f"{esc(_t('folder.' + folder, lang))}</li>\n")
    parts.append("</ul>\n</body>\n</html>\n")
    return "".join(parts)


def write_index(out: Path) -> Path:
    """Write ``index.html`` (Chinese) and ``index.en.html`` into the demo output ``out``;
    returns the Chinese one."""
    for lang in LANGS:
        atomic_write_bytes(out / INDEX[lang], render_index(out, lang).encode("utf-8"))
    return out / INDEX["zh"]
