"""The built-in renderer used when the Quarto CLI is not installed.

Steps: execute the template's cells in one Jupyter kernel (nbclient + ipykernel) with the
parameters injected after the cell tagged ``parameters`` (as Quarto and papermill do; first if
there is none); assemble markdown from the markdown blocks and the cell outputs (figures as retina
PNG files, numbered captions, table captions attached to the first pipe table of the cell's
output); resolve ``@fig-x`` / ``@tbl-x`` to numbered links (pandoc would read them as citations);
then pandoc 3 (the ``pypandoc_binary`` wheel) writes self-contained HTML, or Typst which the
``typst`` package compiles to PDF with the SOURCE_DATE_EPOCH timestamp.
"""

from __future__ import annotations

import base64
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from evalkit.errors import ConfigError, RenderError
from evalkit.i18n import Message, t
from evalkit.report.qmd import Cell, Markdown, QmdDocument
from evalkit.style.fonts import PdfFonts, pdf_fonts

MD_FORMAT = "markdown+east_asian_line_breaks"
#: Width in CSS px that maps to 100 % of the text width (A4 with the margins below is ~6.3 in).
TEXT_WIDTH_PX = 624
CALLOUT_KINDS = ("note", "tip", "important", "warning", "caution")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


SETUP_CELL = """\
%config InlineBackend.figure_formats = ['retina']
%config InlineBackend.print_figure_kwargs = {'bbox_inches': 'tight', 'metadata': {'Software': None}}
"""


@dataclass
class RenderLog:
    """Messages gathered during a render (kernel stderr, pandoc and Typst warnings)."""

    lines: list[str] = field(default_factory=list)

    def add(self, source: str, text: str) -> None:
        for line in text.rstrip().splitlines():
            self.lines.append(f"[{source}] {line}")

    def text(self) -> str:
        return "\n".join(self.lines) + ("\n" if self.lines else "")


def engine_description() -> str:
    """What the provenance appendix prints as the render engine."""
    parts = [f"{name} {metadata.version(name)}" for name in ("nbclient", "ipykernel", "typst")]
    return f"evalkit fallback ({pandoc_version_string()}, {', '.join(parts)})"


def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def pandoc_version_string() -> str:
    import pypandoc

    return f"pandoc {pypandoc.get_pandoc_version()}"


# --------------------------------------------------------------------------- execution


def params_source(params: Mapping[str, Any]) -> str:
    """Python source assigning each parameter (sorted by name, values as literals)."""
    for name, value in params.items():
        if not name.isidentifier():
            raise ConfigError(Message("errors.report.fallback.parameter_name_python_identifier",
                                      name=name))
        _check_literal(name, value)
    return "\n".join(f"{name} = {params[name]!r}" for name in sorted(params)) + "\n"


def _check_literal(name: str, value: Any) -> None:
    if value is None or isinstance(value, str | bool | int | float):
        return
    if isinstance(value, list | tuple):
        for v in value:
            _check_literal(name, v)
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _check_literal(name, k)
            _check_literal(name, v)
        return
    raise ConfigError(Message("errors.report.fallback.parameter_string_number_boolean", name=name,
                              type_name=type(value).__name__))


def notebook_cells(doc: QmdDocument, params: Mapping[str, Any]) -> list[tuple[Cell | None, str]]:
    """The cells the kernel runs, in order: (template cell or None for injected code, source)."""
    cells: list[tuple[Cell | None, str]] = [(None, SETUP_CELL)]
    injected = (None, params_source(params))
    at = doc.parameters_cell()
    if at is None:
        cells.append(injected)
    for i, cell in enumerate(doc.cells):
        cells.append((cell, cell.source))
        if i == at:
            cells.append(injected)
    return cells


def execute(doc: QmdDocument, params: Mapping[str, Any], *, cwd: Path, env: Mapping[str, str],
            timeout: int = 600) -> dict[int, list[dict[str, Any]]]:
    """Run the cells in one kernel; returns each template cell's outputs keyed by ``id(cell)``."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from traitlets.config import Config

    plan = notebook_cells(doc, params)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for _, src in plan]
    # IPC sockets in the work directory: no TCP port, no "running over TCP" warning.
    config = Config({"KernelManager": {"transport": "ipc", "ip": str(cwd / "kernel-ipc")}})
    client = NotebookClient(nb, config=config, timeout=timeout, kernel_name="python3",
                            allow_errors=False, shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute(env=dict(env), cwd=str(cwd))
    except CellExecutionError as e:
        failed = _failed_cell(nb, plan)
        where = f"{doc.source}:{failed.line}" if failed else doc.source
        label = (Message("errors.report.fallback.cell_label", label=failed.label)
                 if failed and failed.label else "")
        raise RenderError(Message("errors.report.fallback.cell_failed", where=where, label=label,
                                  ename=e.ename, evalue=e.evalue,
                                  detail=_ANSI.sub("", str(e)))) from None
    except (CellTimeoutError, DeadKernelError) as e:
        raise RenderError(Message("errors.report.fallback.kernel_failed", source=doc.source, e=e)) from None
    return {id(cell): nbcell.outputs for (cell, _), nbcell in zip(plan, nb.cells, strict=True)
            if cell is not None}


def _failed_cell(nb: Any, plan: list[tuple[Cell | None, str]]) -> Cell | None:
    for (cell, _), nbcell in zip(plan, nb.cells, strict=True):
        if any(o.get("output_type") == "error" for o in nbcell.get("outputs", [])):
            return cell
    return None


# --------------------------------------------------------------------------- assembly


@dataclass
class Assembly:
    markdown: str
    numbers: dict[str, int]
    files: list[Path]


def assemble(doc: QmdDocument, outputs: Mapping[int, list[dict[str, Any]]], *, lang: str,
             files_dir: Path, log: RenderLog) -> Assembly:
    """Markdown with the cell outputs in place, numbered captions, figures written to files."""
    files_dir.mkdir(parents=True, exist_ok=True)
    numbers: dict[str, int] = {}
    counters = {"fig": 0, "tbl": 0}
    for cell in doc.cells:
        opts = doc.effective(cell)
        if opts["include"] and cell.label and cell.label[:4] in ("fig-", "tbl-"):
            kind = cell.label[:3]
            counters[kind] += 1
            numbers[cell.label] = counters[kind]
    parts: list[str] = []
    files: list[Path] = []
    for index, block in enumerate(doc.blocks):
        if isinstance(block, Markdown):
            _reject_markdown_labels(block, doc.source)
            parts.append(block.text)
            continue
        opts = doc.effective(block)
        cell_outputs = outputs.get(id(block), [])
        for out in cell_outputs:
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                log.add(f"cell {block.label or block.line}", out.get("text", ""))
        if not opts["include"]:
            continue
        if opts["echo"]:
            parts.append(f"```python\n{block.source}\n```")
        if opts["output"] is False:
            continue
        parts.append(_cell_markdown(block, opts, cell_outputs, numbers, lang, files_dir, index,
                                    files))
    markdown = "\n\n".join(p for p in parts if p.strip()) + "\n"
    return Assembly(markdown, numbers, files)


_MD_LABEL = re.compile(r"\{#(fig|tbl)-")


def _reject_markdown_labels(block: Markdown, source: str) -> None:
    m = _MD_LABEL.search(block.text)
    if m:
        raise ConfigError(Message("errors.report.fallback.figure_table_labels_markdown",
                                  source=source, line=block.line, group=m.group(1)))


def _cell_markdown(cell: Cell, opts: Mapping[str, Any], outputs: list[dict[str, Any]],
                   numbers: Mapping[str, int], lang: str, files_dir: Path, index: int,
                   files: list[Path]) -> str:
    asis = opts["output"] == "asis"
    pieces: list[str] = []
    images: list[tuple[Path, float]] = []
    streams: dict[str, str] = {}
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            name = out.get("name", "stdout")
            if name == "stderr" and not opts["warning"]:
                continue
            streams[name] = streams.get(name, "") + out.get("text", "")
            continue
        _flush_streams(streams, pieces, asis)
        if kind not in ("display_data", "execute_result"):
            continue
        data = out.get("data", {})
        meta = out.get("metadata", {})
        if "text/markdown" in data:
            pieces.append(data["text/markdown"])
        elif "image/png" in data:
            n = len(images) + 1
            stem = cell.label or f"cell{index}"
            path = files_dir / f"{stem}-{n}.png"
            path.write_bytes(base64.b64decode(data["image/png"]))
            files.append(path)
            width = meta.get("image/png", {}).get("width") or _png_width(path)
            images.append((path, width))
            pieces.append(f"\0IMAGE{len(images) - 1}\0")
        elif "image/svg+xml" in data:
            n = len(images) + 1
            stem = cell.label or f"cell{index}"
            path = files_dir / f"{stem}-{n}.svg"
            path.write_text(data["image/svg+xml"], encoding="utf-8")
            files.append(path)
            images.append((path, _svg_width(path)))
            pieces.append(f"\0IMAGE{len(images) - 1}\0")
        elif "text/plain" in data:
            text = data["text/plain"]
            pieces.append(text if asis else f"```text\n{text}\n```")
    _flush_streams(streams, pieces, asis)

    label = cell.label or ""
    if label.startswith("fig-") and len(images) != 1:
        raise RenderError(Message("errors.report.fallback.cell_line_draw_exactly", label=label,
                                  line=cell.line, n_images=len(images)))
    body = "\n\n".join(pieces)
    for k, (path, width_px) in enumerate(images):
        pct = max(10, min(100, round(100 * width_px / TEXT_WIDTH_PX)))
        rel = f"{files_dir.name}/{path.name}"
        if label.startswith("fig-"):
            cap = opts.get("fig-cap") or ""
            caption = t("report.caption.fig", lang, n=numbers[label], caption=cap)
            image = f"![{_escape_caption(caption)}]({rel}){{#{label} width={pct}%}}"
        else:
            image = f"![]({rel}){{width={pct}%}}"
        body = body.replace(f"\0IMAGE{k}\0", f"\n\n{image}\n\n")
    if label.startswith("tbl-"):
        cap = opts.get("tbl-cap") or ""
        caption = t("report.caption.tbl", lang, n=numbers[label], caption=cap)
        body = _attach_table_caption(body, f": {_escape_caption(caption)} {{#{label}}}", cell)
    return body


def _flush_streams(streams: dict[str, str], pieces: list[str], asis: bool) -> None:
    for name in ("stdout", "stderr"):
        text = streams.pop(name, "")
        if not text:
            continue
        if asis and name == "stdout":
            pieces.append(text)
        else:
            pieces.append(f"```{{.text .cell-output-{name}}}\n{text.rstrip()}\n```")


def _escape_caption(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _attach_table_caption(body: str, caption: str, cell: Cell) -> str:
    lines = body.split("\n")
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("|")), None)
    if start is None:
        raise RenderError(Message("errors.report.fallback.cell_line_tbl_cap", label=cell.label,
                                  line=cell.line))
    end = start
    while end + 1 < len(lines) and lines[end + 1].lstrip().startswith("|"):
        end += 1
    return "\n".join([*lines[:start], "", *lines[start:end + 1], "", caption, "",
                      *lines[end + 1:]])


def _png_width(path: Path) -> float:
    data = path.read_bytes()
    return int.from_bytes(data[16:20], "big") / 2  # retina: twice the CSS size


def _svg_width(path: Path) -> float:
    m = re.search(r'<svg[^>]*\swidth="([\d.]+)(pt|px)?"', path.read_text(encoding="utf-8"))
    if not m:
        return TEXT_WIDTH_PX
    return float(m.group(1)) * (96 / 72 if m.group(2) == "pt" else 1)


# --------------------------------------------------------------------------- cross-references

_XREF = re.compile(r"(?<![\w@.\\\-])@((?:fig|tbl)-[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*)")
_INLINE_CODE = re.compile(r"(`+)(?:.|\n)*?\1")
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_SPACE_BEFORE_LINK = re.compile(rf"(?<=[{_CJK}]) (\[[^\]]+\]\(#(?:fig|tbl)-[^)\s]+\))")
_SPACE_AFTER_LINK = re.compile(rf"(\[[^\]]+\]\(#(?:fig|tbl)-[^)\s]+\)) (?=[{_CJK}])")


def resolve_xrefs(markdown: str, numbers: Mapping[str, int], lang: str, *,
                  source: str = "<string>") -> str:
    """Replace ``@fig-x`` / ``@tbl-x`` outside code by ``[图 1](#fig-x)`` links."""
    unresolved: list[str] = []

    def link(m: re.Match[str]) -> str:
        label = m.group(1)
        if label not in numbers:
            unresolved.append(label)
            return m.group(0)
        return f"[{t('report.xref.' + label[:3], lang, n=numbers[label])}](#{label})"

    out: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        stripped = line.lstrip()
        if fence:
            out.append(line)
            if stripped.startswith(fence) and not stripped.strip(fence[0]).strip():
                fence = None
            continue
        m = re.match(r"(`{3,}|~{3,})", stripped)
        if m:
            fence = m.group(1)
            out.append(line)
            continue
        rebuilt, pos = [], 0
        for span in _INLINE_CODE.finditer(line):
            rebuilt.append(_XREF.sub(link, line[pos:span.start()]))
            rebuilt.append(span.group(0))
            pos = span.end()
        rebuilt.append(_XREF.sub(link, line[pos:]))
        out.append("".join(rebuilt))
    if unresolved:
        known = ", ".join(sorted(numbers)) or Message("errors.report.fallback.no_labels")
        refs = ", ".join("@" + u for u in sorted(set(unresolved)))
        raise RenderError(Message("errors.report.fallback.unresolved_xref", source=source,
                                  refs=refs, known=known))
    text = "\n".join(out)
    if lang == "zh":  # '见 @fig-x' needs the space for pandoc; Chinese text has none around 图 1
        text = _SPACE_BEFORE_LINK.sub(r"\1", text)
        text = _SPACE_AFTER_LINK.sub(r"\1", text)
    return text


# --------------------------------------------------------------------------- pandoc and typst

CALLOUT_FILTER = r"""
local stroke = {note = "#3b6fb6", tip = "#2f8a4c", important = "#b8323c",
                warning = "#c98a00", caution = "#c8591a"}
local fill = {note = "#eef3fb", tip = "#edf6f0", important = "#fbeeef",
              warning = "#fdf6e3", caution = "#fcefe6"}

-- pandoc's Typst writer leaves "..." as is, which Typst shows as an ellipsis; a Str only holds
-- "..." when the markdown escaped it (smart punctuation already turned unescaped dots into "…"),
-- so the dots are written escaped and stay literal text, as in the HTML.
local function literal_dots(s)
  if not s.text:find("...", 1, true) then return nil end
  local out, rest = pandoc.Inlines({}), s.text
  local i = rest:find("...", 1, true)
  while i do
    if i > 1 then out:insert(pandoc.Str(rest:sub(1, i - 1))) end
    out:insert(pandoc.RawInline("typst", "\\.\\.\\."))
    rest = rest:sub(i + 3)
    i = rest:find("...", 1, true)
  end
  if #rest > 0 then out:insert(pandoc.Str(rest)) end
  return out
end

function Pandoc(doc)
  local titles = doc.meta["callout-titles"] or {}
  if FORMAT:match("typst") then doc.blocks = doc.blocks:walk({Str = literal_dots}) end
  doc.blocks = doc.blocks:walk({Div = function(el)
    local kind
    for _, c in ipairs(el.classes) do
      local k = c:match("^callout%-(%a+)$")
      if k and stroke[k] then kind = k end
    end
    if not kind then return nil end
    local body = el.content
    local title
    if el.attributes["title"] then
      title = pandoc.Inlines(el.attributes["title"])
    elseif #body > 0 and body[1].t == "Header" then
      title = body[1].content
      body = pandoc.Blocks({table.unpack(body, 2)})
    else
      title = pandoc.Inlines(pandoc.utils.stringify(titles[kind] or kind))
    end
    if FORMAT:match("typst") then
      local out = pandoc.Blocks({})
      out:insert(pandoc.RawBlock("typst", string.format(
        '#block(width: 100%%, inset: (x: 10pt, y: 8pt), radius: 2pt, breakable: true, '
        .. 'fill: rgb("%s"), stroke: (left: 3pt + rgb("%s")))[', fill[kind], stroke[kind])))
      out:insert(pandoc.Para({pandoc.Strong(title)}))
      out:extend(body)
      out:insert(pandoc.RawBlock("typst", "]"))
      return out
    end
    local head = pandoc.Div({pandoc.Plain(title)}, pandoc.Attr("", {"callout-title"}))
    local inner = pandoc.Div(body, pandoc.Attr("", {"callout-body"}))
    return pandoc.Div({head, inner}, pandoc.Attr(el.identifier, {"callout", "callout-" .. kind}))
  end})
  return doc
end
"""

HTML_STYLE = """<style>
body { max-width: 46em; font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
  "Microsoft YaHei", system-ui, sans-serif; line-height: 1.65; color: #1d1d1f; }
h1, h2, h3 { line-height: 1.3; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; }
figcaption, table caption { color: #444; font-size: 0.92em; text-align: left; padding: 0.4em 0; }
table { display: table; width: auto; border-collapse: collapse; margin: 1em 0;
  font-variant-numeric: tabular-nums; border-top: 1.5px solid #333;
  border-bottom: 1.5px solid #333; }
table caption { caption-side: top; }
th, td { padding: 0.3em 0.8em; }
thead th { border-bottom: 1px solid #333; border-top: none; }
.callout { margin: 1.2em 0; padding: 0.6em 1em; border-left: 4px solid #3b6fb6;
  background: #eef3fb; border-radius: 2px; }
.callout-title { font-weight: bold; margin-bottom: 0.3em; }
.callout-tip { border-color: #2f8a4c; background: #edf6f0; }
.callout-important { border-color: #b8323c; background: #fbeeef; }
.callout-warning { border-color: #c98a00; background: #fdf6e3; }
.callout-caution { border-color: #c8591a; background: #fcefe6; }
code { font-size: 0.9em; overflow-wrap: anywhere; }
</style>
"""


def typst_header(fonts: PdfFonts) -> str:
    def arr(names: tuple[str, ...]) -> str:
        return "(" + ", ".join(f'"{n}"' for n in names) + ",)"

    return f"""#set text(font: {arr(fonts.body)}, size: 10.5pt)
#show heading: set text(font: {arr(fonts.heading)}, weight: "bold")
#show raw: set text(font: {arr(fonts.mono)}, size: 0.88em)
#set figure(numbering: none)
#show figure.where(kind: table): set figure.caption(position: top)
#show figure.caption: set text(size: 0.92em)
#show figure: set block(breakable: true)
#set table(stroke: (x, y) => if y == 0 {{ (top: 1pt + black) }})
#set table.cell(breakable: false)
#show table: it => block(stroke: (bottom: 1pt + black), it)
#show link: set text(fill: rgb("#1a5fb4"))
#set par(leading: 0.8em)
"""


def pandoc_meta(doc: QmdDocument, lang: str, *, pdf: bool) -> dict[str, Any]:
    """Metadata given to pandoc: the document's title block plus language and callout titles."""
    meta = {k: doc.front_matter[k] for k in ("title", "subtitle", "author", "date", "abstract")
            if k in doc.front_matter}
    meta["lang"] = "zh-Hans" if lang == "zh" else "en-US"
    meta["callout-titles"] = {k: t(f"report.callout.{k}", lang) for k in CALLOUT_KINDS}
    if pdf:
        meta.update({"papersize": "a4", "margin": {"x": "2.3cm", "y": "2.4cm"},
                     "page-numbering": "1", "region": "CN" if lang == "zh" else "US"})
    return meta


def run_pandoc(markdown: str, meta: Mapping[str, Any], to: str, out: Path, work: Path,
               log: RenderLog, extra: list[str]) -> None:
    text = "---\n" + yaml.safe_dump(dict(meta), allow_unicode=True, sort_keys=True) + "---\n\n"
    text += markdown
    lua = work / "callouts.lua"
    lua.write_text(CALLOUT_FILTER, encoding="utf-8")
    cmd = [pandoc_path(), "-f", MD_FORMAT, "-t", to, "--standalone", "--wrap=preserve",
           f"--lua-filter={lua}", f"--resource-path={work}", "-o", str(out), *extra]
    proc = subprocess.run(cmd, input=text.encode("utf-8"), cwd=work, capture_output=True,
                          timeout=300, check=False)
    stderr = proc.stderr.decode("utf-8", "replace")
    if stderr.strip():
        log.add("pandoc", stderr)
    if proc.returncode != 0:
        raise RenderError(Message("errors.report.fallback.pandoc_failed_writing_exit", to=to,
                                  returncode=proc.returncode, stderr=stderr.strip()))


def render_html(markdown: str, meta: Mapping[str, Any], out: Path, work: Path,
                log: RenderLog) -> Path:
    style = work / "style.html"
    style.write_text(HTML_STYLE, encoding="utf-8")
    run_pandoc(markdown, meta, "html5", out, work, log,
               ["--embed-resources", f"--include-in-header={style}"])
    return out


def render_pdf(markdown: str, meta: Mapping[str, Any], out: Path, work: Path, log: RenderLog,
               *, timestamp: int | None) -> Path:
    import typst

    header = work / "header.typ"
    header.write_text(typst_header(pdf_fonts()), encoding="utf-8")
    source = work / (out.stem + ".typ")
    run_pandoc(markdown, meta, "typst", source, work, log, [f"--include-in-header={header}"])
    try:
        pdf, warnings = typst.compile_with_warnings(str(source), root=str(work),
                                                    timestamp=timestamp)
    except typst.TypstError as e:
        raise RenderError(Message("errors.report.fallback.typst_failed_compiling",
                                  name=source.name, e=e)) from None
    for w in warnings:
        log.add("typst", str(getattr(w, "message", w)))
    out.write_bytes(pdf)
    return out
