"""A report's name, title and subtitle, taken from the study and the bundle it was computed from.

Two studies rendered into one folder never overwrite each other: a report's file name is the
stage, the policy code (ex-post and ex-ante) and the study's ``name`` made safe for file systems
(:func:`safe_name`), e.g. ``ex_post_P01_研发投入补助事后评价-R-D-grant-ex-post-evaluation.zh.html``;
the title is the study's name and the subtitle the kind of report, the policy and (ex post) the
comparison group. A bundle that records no study (the example bundle, hand-written bundles)
keeps the template's own name and title.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evalkit.escape import markdown as md
from evalkit.escape import printable
from evalkit.i18n import t

#: Longest study-name part of a file name, in characters (a CJK character is three bytes in
#: UTF-8; file systems allow 255 bytes for a name).
NAME_CHARS = 60
_UNSAFE = re.compile(r"[^\w.-]+")
_DASHES = re.compile(r"-{2,}")


def safe_name(text: Any, limit: int = NAME_CHARS) -> str:
    """``text`` as a file-name part safe on Linux, macOS and Windows: NFKC-normalised, letters
    (any script), digits, ``_ . -`` kept, every other run of characters (spaces, slashes, ``&``,
    ``:`` ...) one ``-``; no leading or trailing dot or dash; at most ``limit`` characters.
    '' for text with no letter or digit."""
    text = unicodedata.normalize("NFKC", printable(text))
    out = _DASHES.sub("-", _UNSAFE.sub("-", text)).strip("-._")
    return out[:limit].rstrip("-._")


def policy_code(results: Mapping[str, Any]) -> str:
    """The code of the policy a bundle is about ('' for monitoring and portfolio bundles)."""
    for key in ("policy", "proposal"):
        value = results.get(key)
        if isinstance(value, Mapping) and value.get("policy_id"):
            return str(value["policy_id"])
    return ""


def policy_words(results: Mapping[str, Any], lang: str) -> str:
    """'P01 企业研发投入补助' for the policy (or proposal) a bundle is about, else ''."""
    for key in ("policy", "proposal"):
        value = results.get(key)
        if isinstance(value, Mapping) and value.get("policy_id"):
            name = value.get(f"name_{lang}") or value.get("name_en") or ""
            return f"{value['policy_id']} {name}".strip()
    return ""


@dataclass(frozen=True)
class ReportIdentity:
    """``stem`` (file name without ``.<lang>.<format>``); ``title`` and ``subtitle`` in pandoc
    Markdown (escaped), None to keep the template's."""

    stem: str
    title: str | None = None
    subtitle: str | None = None


def comparison_words(options: Mapping[str, Any] | None, lang: str) -> str:
    """The ex-post comparison group in words, from the study's ``design.controls`` and
    ``design.control_group`` as the bundle records them (its ``options``)."""
    options = options or {}
    controls = options.get("controls", "never_any")
    group = options.get("control_group", "nevertreated")
    return t(f"report.ex_post.comparison.{controls}.{group}", lang)


def report_identity(template_stem: str, results: Mapping[str, Any], lang: str
                    ) -> ReportIdentity:
    """The report's file stem, title and subtitle for a bundle's ``results``."""
    study = results.get("study") if isinstance(results.get("study"), Mapping) else {}
    name = str(study.get("name") or "")
    slug = safe_name(name)
    if not slug:
        return ReportIdentity(template_stem)
    code = safe_name(policy_code(results), 20)
    if code and (slug == code or slug.startswith((f"{code}-", f"{code}_"))):
        code = ""                                   # the name starts with the code already
    stem = "_".join(p for p in (template_stem, code, slug) if p)
    parts = []
    with contextlib.suppress(KeyError):       # a template without a stage title
        parts.append(t(f"report.{template_stem}.title", lang))
    words = policy_words(results, lang)
    if words:
        parts.append(md(words))
    if template_stem == "ex_post":
        parts.append(t("report.ex_post.subtitle.comparison", lang,
                       group=comparison_words(results.get("options"), lang)))
    return ReportIdentity(stem, md(name), " · ".join(parts) or None)
