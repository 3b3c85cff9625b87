"""``render_report``: a template plus a results bundle to HTML and PDF, in Chinese or English.

Both engines start from the same expanded ``.qmd`` (:func:`evalkit.report.qmd.expand`) and the same
parameters: ``bundle`` (absolute path of the verified bundle), ``lang`` and ``render_engine`` (a
description printed in the provenance appendix), plus any ``params`` the caller adds.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from evalkit.contract.bundle import read_bundle
from evalkit.errors import ConfigError, EvalkitError, check_choice
from evalkit.i18n import LANGS, Message
from evalkit.report import fallback, quarto
from evalkit.report.identity import report_identity
from evalkit.report.qmd import expand, parse_qmd, retitle
from evalkit.style.fonts import figure_fonts, pdf_fonts

FORMATS = ("html", "pdf")
ENGINES = ("auto", "quarto", "fallback")
RESERVED_PARAMS = ("bundle", "lang", "render_engine")


def choose_engine(engine: str) -> str:
    """'quarto' or 'fallback' for ``engine`` ('auto' picks Quarto when it is on PATH)."""
    check_choice("engine", engine, ENGINES)
    if engine == "auto":
        return "quarto" if quarto.quarto_path() else "fallback"
    return engine


def check_render_tools(formats: Iterable[str] = FORMATS, engine: str = "auto") -> str:
    """Check, before anything is written, that a report can be rendered: the engine (Quarto when
    asked for; else pandoc for the built-in renderer), a CJK font for the figures and, for a PDF,
    Typst and a CJK font it sees. Raises :class:`EvalkitError` (a ``FontError`` for a font) with
    the install command; returns the engine that will render."""
    formats = tuple(formats)
    which = choose_engine(engine)
    if which == "quarto":
        quarto.require_quarto()
    else:
        try:
            fallback.pandoc_path()
        except OSError:
            raise EvalkitError(Message("errors.report.render.pandoc_found_comes_pypandoc")) from None
    figure_fonts()
    if "pdf" in formats:
        try:
            import typst  # noqa: F401
        except ImportError:
            raise EvalkitError(Message("errors.report.render.typst_package_pdf_engine")) from None
        pdf_fonts()
    return which


def resolve_epoch(explicit: int | None, bundle_created: int,
                      environ: Mapping[str, str] = os.environ) -> int:
    """The timestamp written into the PDF: the argument, else the ``SOURCE_DATE_EPOCH``
    environment variable (reproducible-builds.org convention), else the bundle's creation time,
    so the same bundle always gives the same bytes."""
    if explicit is not None:
        return int(explicit)
    raw = environ.get("SOURCE_DATE_EPOCH")
    if raw is not None and raw.strip():
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(Message("errors.report.render.source_date_epoch_whole", raw=raw)) from None
    return bundle_created


def render_report(template: Path, bundle_dir: Path, out_dir: Path,
                  formats: Iterable[str] = FORMATS, lang: str = "zh", engine: str = "auto", *,
                  params: Mapping[str, Any] | None = None, source_date_epoch: int | None = None,
                  timeout: int = 600) -> list[Path]:
    """Render ``template`` over the bundle in ``bundle_dir`` into ``out_dir``.

    Writes ``<stem>.<lang>.html`` / ``<stem>.<lang>.pdf`` and, when there is something to
    report, ``<stem>.<lang>.log`` (kernel stderr, pandoc and Typst warnings); returns the report
    paths in the order of ``formats``. ``<stem>`` and the title come from the bundle's study
    (:func:`evalkit.report.identity.report_identity`): the stage, the policy code and the
    study's name, so that two studies rendered into one folder never overwrite each other; a
    bundle without a study keeps the template's name.
    """
    formats = tuple(formats)
    if not formats:
        raise ConfigError(Message("errors.report.render.formats_name_least_one"))
    for fmt in formats:
        check_choice("format", fmt, FORMATS)
    check_choice("lang", lang, LANGS)
    which = check_render_tools(formats, engine)
    template = Path(template)
    extra = dict(params or {})
    clash = sorted(set(extra) & set(RESERVED_PARAMS))
    if clash:
        raise ConfigError(Message("errors.report.render.params_set_render_report", clash=clash,
                                  reserved_params=RESERVED_PARAMS))
    bundle = read_bundle(Path(bundle_dir))
    epoch = resolve_epoch(source_date_epoch, bundle.created)
    out_dir = Path(out_dir).resolve()  # pandoc runs in a temporary folder
    out_dir.mkdir(parents=True, exist_ok=True)
    ident = report_identity(template.stem, bundle.results, lang)
    stem = f"{ident.stem}.{lang}"
    text = retitle(expand(template, lang), ident.title, ident.subtitle, source=str(template))
    doc = parse_qmd(text, source=str(template))
    describe = fallback.engine_description if which == "fallback" else quarto.engine_description
    all_params = {"bundle": str(bundle.path), "lang": lang, "render_engine": describe(), **extra}
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch), "PYTHONHASHSEED": "0"}
    # the kernel draws with its inline backend: the CLI's headless MPLBACKEND=Agg would leave
    # every figure cell without a figure
    env.pop("MPLBACKEND", None)
    log = fallback.RenderLog()
    outputs: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="evalkit-render-") as tmp:
        work = Path(tmp)
        qmd = work / f"{stem}.qmd"
        qmd.write_text(text, encoding="utf-8")
        if which == "quarto":
            font = pdf_fonts().body[-1] if "pdf" in formats else None
            for fmt in formats:
                outputs.append(quarto.render_quarto(qmd, fmt, all_params, lang,
                                                    out_dir / f"{stem}.{fmt}", env, log, font))
        else:
            results = fallback.execute(doc, all_params, cwd=work, env=env, timeout=timeout)
            assembled = fallback.assemble(doc, results, lang=lang, files_dir=work / f"{stem}_files",
                                          log=log)
            markdown = fallback.resolve_xrefs(assembled.markdown, assembled.numbers, lang,
                                              source=str(template))
            for fmt in formats:
                meta = fallback.pandoc_meta(doc, lang, pdf=fmt == "pdf")
                out = out_dir / f"{stem}.{fmt}"
                if fmt == "html":
                    outputs.append(fallback.render_html(markdown, meta, out, work, log))
                else:
                    outputs.append(fallback.render_pdf(markdown, meta, out, work, log,
                                                       timestamp=epoch))
    log_file = out_dir / f"{stem}.log"
    if log.text().strip():
        log_file.write_text(log.text(), encoding="utf-8")
    else:                           # nothing to report: no empty file (nor an earlier run's)
        log_file.unlink(missing_ok=True)
    return outputs
