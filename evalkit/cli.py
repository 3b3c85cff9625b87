"""The ``evalkit`` command line (Typer + Rich).

The CLI only parses arguments, calls the library and prints. Every :class:`EvalkitError` becomes
a one-line message and exit code 2; anything else is an internal failure: exit code 1 and a pointer
to a log file holding the traceback. No traceback reaches the terminal.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from evalkit import escape
from evalkit.cli_help import localised_help
from evalkit.errors import EvalkitError, check_choice
from evalkit.i18n import LANGS, Bilingual, Join, Message, t
from evalkit.io import safefs

app = typer.Typer(
    name="evalkit",
    help="Evaluate enterprise subsidy policies: synthesize, validate, ingest, estimate, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# user text is printed through escape.rich (markup and control characters) and never as emoji
console = Console(highlight=False, emoji=False)
err_console = Console(stderr=True, highlight=False, emoji=False)
_state = {"lang": "en"}

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


def _lang() -> str:
    return _state["lang"]


@app.callback()
def _root(
    lang: Annotated[str, typer.Option("--lang", help="Language of messages: zh or en.")] = "en",
) -> None:
    """evalkit: ex-ante, in-progress and ex-post evaluation of subsidy policies."""
    check_choice("--lang", lang, LANGS)
    _state["lang"] = lang


@contextlib.contextmanager
def _progress() -> Iterator[Callable[..., None]]:
    """A Rich progress display and a callback ``(step, done=None, total=None)`` feeding it."""
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=err_console, transient=True,
        disable=not err_console.is_terminal,
    ) as bar:
        tasks: dict[str, int] = {}

        def update(step: str, done: int | None = None, total: int | None = None) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done if done is not None else 0, total=total)

        yield update


def _counts_table(report, title: str) -> Table:
    lang = _lang()
    table = Table(title=title)
    for key in ("cli.table", "cli.file", "cli.encoding", "cli.read", "cli.accepted",
                "cli.quarantined", "cli.warnings"):
        numeric = key in {"cli.read", "cli.accepted", "cli.quarantined", "cli.warnings"}
        table.add_column(t(key, lang), justify="right" if numeric else "left", no_wrap=True)
    for name, tr in report.tables.items():
        table.add_row(name, escape.rich(Path(tr.file).name), escape.rich(tr.encoding or "-"),
                      f"{tr.n_read:,}",
                      f"{tr.n_accepted:,}", f"{tr.n_quarantined:,}", f"{len(tr.warnings):,}")
    return table


SHOW_PROBLEMS = 10


def _problem_lines(frame, lang: str) -> list[str]:
    """One line per problem, in the CLI's language."""
    column = "message_zh" if lang == "zh" else "message"
    return [escape.printable(m) for m in frame[column].head(SHOW_PROBLEMS)]


def _print_report(report, path: Path, quarantine_out: Path | None,
                  protect: tuple[Path, ...] = ()) -> None:
    lang = _lang()
    console.print(_counts_table(report, t("cli.validate.title", lang,
                                          path=escape.rich(path))))
    for name, tr in report.tables.items():
        console.print(t("cli.balance", lang, table=name, read=f"{tr.n_read:,}",
                        accepted=f"{tr.n_accepted:,}", quarantined=f"{tr.n_quarantined:,}"))
    for kind, frame in (("cli.problems.quarantine", report.quarantine),
                        ("cli.problems.warning", report.warnings)):
        if len(frame):
            console.print(t(kind, lang, n=len(frame), shown=min(len(frame), SHOW_PROBLEMS)))
            for line in _problem_lines(frame, lang):
                console.print("  " + line, markup=False, soft_wrap=True)
    if quarantine_out is not None:
        report.write_quarantine(quarantine_out, protect=protect)
        console.print(t("cli.quarantine.written", lang, path=escape.rich(quarantine_out)))


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the six tables and truth.json.")],
    firms: Annotated[int, typer.Option("--firms", min=50, help="Number of firms.")] = 20000,
    start: Annotated[int, typer.Option("--start", help="First year.")] = 2016,
    end: Annotated[int, typer.Option("--end", help="Last year.")] = 2025,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
    dirty: Annotated[bool, typer.Option("--dirty", help="Inject the faults real exports carry.")] = False,
) -> None:
    """Write a synthetic Xuhui-like district with known truth (truth.json)."""
    from evalkit.io.safefs import claim_dir
    from evalkit.synth import synthesize_district, write_district

    lang = _lang()
    t0 = time.perf_counter()
    claim_dir(out, "synth")
    with _progress() as update:
        update(t("cli.step.synth", lang))
        district = synthesize_district(n_firms=firms, start=start, end=end, seed=seed)
        write_district(district, out, dirty=dirty, seed=seed, progress=lambda step: update(step))
    console.print(t("cli.synth.done", lang, out=escape.rich(out)) + " · " + t("cli.demo.seconds", lang, s=time.perf_counter() - t0))
    faults = out / "faults.json"
    if dirty and faults.exists():
        import json

        n = len(json.loads(faults.read_text(encoding="utf-8"))["faults"])
        console.print(t("cli.synth.faults", lang, n=n, path=escape.rich(faults)))


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="Folder with the table files (CSV, XLSX, Parquet).")],
    quarantine: Annotated[Path | None, typer.Option("--quarantine", help="Where to write rejected rows (CSV).")] = None,
) -> None:
    """Check a folder of table files without loading them; rejected rows are listed with reasons."""
    from evalkit.io import validate_dir

    with _progress() as update:
        report = validate_dir(path, progress=update)
    _print_report(report, path, quarantine or path / "quarantine.csv")


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="Folder with the table files.")],
    store: Annotated[Path, typer.Option("--store", help="DuckDB warehouse file.")],
    quarantine: Annotated[Path | None, typer.Option("--quarantine", help="Where to write rejected rows (CSV).")] = None,
) -> None:
    """Check and load a folder into the warehouse as a new dataset version (all or nothing)."""
    from evalkit.io import ingest_dir
    from evalkit.io.validate import check_quarantine_path, find_table_files

    lang = _lang()
    quarantine = quarantine or store.with_suffix(".quarantine.csv")
    # refused before anything is written: the quarantine over an input file or the warehouse
    check_quarantine_path(quarantine, (*find_table_files(path).values(), store))
    with _progress() as update:
        result = ingest_dir(path, store=store, progress=update)
    _print_report(result.report, path, quarantine, protect=(store,))
    v = result.version
    key = "cli.ingest.new" if result.is_new else "cli.ingest.same"
    console.print(t(key, lang, id=v.dataset_id, sha=v.sha256[:12], store=escape.rich(store)))


@app.command()
def datasets(
    store: Annotated[Path, typer.Option("--store", help="DuckDB warehouse file.")],
) -> None:
    """List the dataset versions in a warehouse, each checked against its ingest checksums."""
    from evalkit.io import list_datasets
    from evalkit.io.warehouse import dataset_status

    lang = _lang()
    frame = list_datasets(store)
    status = dataset_status(store)
    if frame.empty:
        console.print(t("cli.datasets.none", lang, store=escape.rich(store)))
        return
    import json

    table = Table(title=t("cli.datasets.title", lang, store=escape.rich(store)))
    for col in ("dataset_id", "sha256", "created_at", "files", "rows accepted", "integrity"):
        table.add_column(col, no_wrap=True)
    for row in frame.itertuples(index=False):
        files = json.loads(row.source_files) if isinstance(row.source_files, str) else row.source_files
        counts = json.loads(row.counts) if isinstance(row.counts, str) else row.counts
        accepted = sum(int(c.get("accepted", 0)) for c in counts.values())
        table.add_row(str(row.dataset_id), str(row.sha256)[:16], str(row.created_at)[:19],
                      str(len(files)), f"{accepted:,}",
                      t("cli.datasets.edited", lang, tables=", ".join(changed))
                      if (changed := status.get(row.dataset_id)) else
                      t("cli.datasets.intact", lang))
    console.print(table)
    edited = [i for i, c in status.items() if c]
    if edited:
        from evalkit.io.integrity import edited_error

        raise edited_error(str(store), ", ".join(edited), sorted({x for i in edited
                                                                  for x in status[i]}))


@app.command()
def run(
    study: Annotated[Path, typer.Argument(help="Study file (YAML), see studies/README.md.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the results bundle.")],
) -> None:
    """Run one study (ex_ante, monitor, ex_post or portfolio) and write its results bundle."""
    from evalkit.stages.run import run_study

    lang = _lang()
    t0 = time.perf_counter()
    with _progress() as update:
        bundle = run_study(study, out, progress=update)
    console.print(t("cli.run.done", lang, bundle=escape.rich(bundle)) + " · "
                  + t("cli.demo.seconds", lang, s=time.perf_counter() - t0))


@app.command()
def report(
    bundle: Annotated[Path, typer.Argument(help="Results bundle written by `evalkit run`.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the rendered reports.")],
    format: Annotated[str, typer.Option("--format", help="Comma-separated: html,pdf.")] = "html,pdf",
    lang: Annotated[str, typer.Option("--lang", help="Report language(s), comma-separated: zh,en.")] = "zh,en",
    engine: Annotated[str, typer.Option("--engine", help="auto, quarto or fallback.")] = "auto",
) -> None:
    """Render a results bundle with its stage's Quarto template (HTML and/or PDF, zh and/or en)."""
    from evalkit.contract.bundle import read_bundle
    from evalkit.report.render import render_report
    from evalkit.report.templates import template_for

    b = read_bundle(bundle)
    formats = tuple(f.strip() for f in format.split(",") if f.strip())
    langs = tuple(x.strip() for x in lang.split(",") if x.strip())
    written: list[Path] = []
    with _progress() as update:
        for i, lg in enumerate(langs):
            update("render", i, len(langs))
            written += render_report(template_for(b.stage), bundle, out, formats=formats, lang=lg,
                                     engine=engine)
    for p in written:
        console.print(escape.rich(p))


@app.command()
def verify(
    path: Annotated[Path, typer.Argument(help="A results bundle, or a report folder holding one.")],
    study: Annotated[Path | None, typer.Option("--study", help="The study file, when it is not beside the bundle.")] = None,
) -> None:
    """Recompute a bundle from its study and warehouse and confirm every number matches."""
    from evalkit.errors import DataError
    from evalkit.stages.verify import verify_report_dir

    result = verify_report_dir(path, study)
    console.print(result.summary(), markup=False)
    if not result.ok:
        n = len(result.mismatched) + len(result.provenance_mismatches)
        raise DataError(Message("cli.verify.failed", n=n), file=str(path),
                        fix=Message("cli.verify.fix"))


review_app = typer.Typer(help="The finance bureau's review log of recommendations (append-only, hash-chained).",
                         no_args_is_help=True)
app.add_typer(review_app, name="review")


_STORE_HELP = "Warehouse (DuckDB) holding the review log."
_ANCHORS_HELP = "Anchor file of the log's heads (default: STORE.review-anchors beside the store)."


@review_app.command("record")
def review_record(
    bundle: Annotated[Path, typer.Option("--bundle", help="The cycle's portfolio bundle; the id must be one of its recommendations.")],
    recommendation: Annotated[str, typer.Option("--id", help="Recommendation id, e.g. 2026-01.")],
    decision: Annotated[str, typer.Option("--decision", help="accept, modify or reject.")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who decides.")],
    comment: Annotated[str, typer.Option("--comment", help="Why (required for modify and reject).")] = "",
    amount: Annotated[str | None, typer.Option("--amount", help="modify: the adopted budget in 万元.")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="Warehouse holding the review log (default: the one the bundle records); it must exist.")] = None,
    anchors: Annotated[Path | None, typer.Option("--anchors", help=_ANCHORS_HELP)] = None,
) -> None:
    """Record a decision on one recommendation of a cycle; prints the log's new head hash."""
    from evalkit.stages.decisions import open_cycle, record_decision

    cycle = open_cycle(bundle, store)
    row = record_decision(cycle, recommendation, decision, comment, reviewer, amount_wan=amount,
                          anchors=anchors)
    console.print(t("cli.review.recorded", _lang(), seq=row["seq"], id=row["recommendation_id"],
                    decision=decision), markup=False)
    console.print(t("cli.review.head", _lang(), head=row["hash"]), markup=False, soft_wrap=True)


@review_app.command("list")
def review_list(
    store: Annotated[Path, typer.Option("--store", help=_STORE_HELP)],
) -> None:
    """Show the review history (the store is opened read-only)."""
    from evalkit.portfolio.review_log import review_history

    frame = review_history(store)
    table = Table()
    for col in ("seq", "recommendation_id", "decision", "reviewer", "os_user", "comment",
                "timestamp"):
        table.add_column(col)
    for r in frame.itertuples(index=False):
        table.add_row(*(escape.rich(v) for v in (r.seq, r.recommendation_id, r.decision, r.reviewer,
                                                 r.os_user or "", r.comment,
                                                 str(r.timestamp)[:19])))
    console.print(table)


@review_app.command("verify")
def review_verify(
    store: Annotated[Path, typer.Option("--store", help=_STORE_HELP)],
    head: Annotated[str | None, typer.Option("--head", help="A head hash kept elsewhere (a report, an export); it must be in the log.")] = None,
    anchors: Annotated[Path | None, typer.Option("--anchors", help=_ANCHORS_HELP)] = None,
) -> None:
    """Check the hash chain, its anchors and a head kept elsewhere: any edit, deletion or
    insertion of history is reported (exit code 2). The store is opened read-only."""
    from evalkit.errors import DataError
    from evalkit.portfolio.review_log import audit_review_log

    lang = _lang()
    audit = audit_review_log(store, anchors=anchors, head=head)
    if not audit.ok:
        problems = Join("common.sep.semicolon", [Bilingual(*p) for p in audit.problems])
        raise DataError(Message("cli.review.tampered", problems=problems), file=str(store),
                        fix=Message("cli.review.fix_restore"))
    console.print(t("cli.review.ok", lang, n=audit.n), markup=False)
    console.print(t("cli.review.head", lang, head=audit.head), markup=False, soft_wrap=True)
    if not audit.anchored and audit.n:
        console.print(t("cli.review.unanchored", lang), markup=False)


@review_app.command("export")
def review_export(
    store: Annotated[Path, typer.Option("--store", help=_STORE_HELP)],
    out: Annotated[Path, typer.Option("--out", help="JSON file to write: the log, its head and the audit's verdict.")],
    anchors: Annotated[Path | None, typer.Option("--anchors", help=_ANCHORS_HELP)] = None,
) -> None:
    """Export the review log with its head hash (the store is opened read-only)."""
    from evalkit.portfolio.review_log import export_review_log

    doc = export_review_log(store, out, anchors=anchors)
    console.print(t("cli.review.exported", _lang(), n=doc["entries"], out=str(out)), markup=False)
    console.print(t("cli.review.head", _lang(), head=doc["head"]), markup=False, soft_wrap=True)


serve_app = typer.Typer(help="The finance bureau's review workspace (a web application).",
                        invoke_without_command=True)
app.add_typer(serve_app, name="serve")


def _web_home(store: Path | None, demo: Path | None) -> Path:
    """The folder of the application database: beside the warehouse."""
    from evalkit.errors import ConfigError

    if demo is not None:
        store = demo / "warehouse.duckdb"
    if store is None:
        raise ConfigError(Message("errors.cli.give_store_warehouse_application"))
    if not store.is_file():
        from evalkit.portfolio.review_log import _missing_store

        raise _missing_store(store)
    return store.parent


@serve_app.callback()
def serve(
    ctx: typer.Context,
    store: Annotated[Path | None, typer.Option("--store", help="Warehouse of the cycles; the application database and its key are kept beside it.")] = None,
    demo: Annotated[Path | None, typer.Option("--demo", help="A folder written by `evalkit demo`: publish its cycle and make demo accounts.")] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Serve the review workspace (Chinese, English switch) on 127.0.0.1 unless told."""
    from evalkit.web import server

    if ctx.invoked_subcommand is not None:
        return                 # the subcommand sets up (so that its --help needs no --store)
    server.setup(_web_home(store, demo))
    publish_demo = None
    if demo is not None:
        from evalkit.contract.bundle import read_bundle

        bundle = demo / "bundles" / "portfolio"
        read_bundle(bundle)           # before listening: the demo's bundle is there and intact
        reports = demo / "reports"

        def publish_demo() -> None:
            """Once listening: the demo accounts, then the cycle published (recomputed with
            `evalkit verify`); the passwords are printed when the cycle can be opened."""
            from django.contrib.auth import get_user_model

            from evalkit.web.publish import demo_accounts, publish_cycle

            made = demo_accounts()
            User = get_user_model()
            try:
                cycle = publish_cycle(bundle, reports if reports.is_dir() else None,
                                      User.objects.get(username="evaluator"))
            except BaseException:
                # no account whose password was never shown: the next start makes them anew
                User.objects.filter(username__in=list(made)).delete()
                raise
            console.print(t("cli.serve.demo", _lang(), name=cycle.name), markup=False)
            for name, password in made.items():
                console.print(f"  {name}  {password}", markup=False)
    console.print(t("cli.serve.listening", _lang(), url=f"http://{host}:{port}/"), markup=False)
    if demo is not None:
        console.print(t("cli.serve.publishing", _lang()), markup=False)
    server.serve(host, port, after_listening=publish_demo)


@serve_app.command("createuser")
def serve_createuser(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Account name.")],
    role: Annotated[str, typer.Option("--role", help="department, evaluator, reviewer, auditor or admin.")],
    department: Annotated[str, typer.Option("--department", help="The department of a department account, e.g. 区科委.")] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input instead of prompting.")] = False,
) -> None:
    """Make an account with a role; the password is prompted for (never a default)."""
    from evalkit.web import server

    group = ctx.parent.params
    server.setup(_web_home(group["store"], group["demo"]))
    from evalkit.web.publish import create_account

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    create_account(username, role, password, department)
    console.print(t("cli.serve.created", _lang(), name=username, role=role), markup=False)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo's data, warehouse, bundles and reports.")] = Path("demo-output"),
    firms: Annotated[int, typer.Option("--firms", min=200, help="Number of firms in the demo district.")] = 20000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
    bootstrap: Annotated[int | None, typer.Option("--bootstrap", help="Override the studies' bootstrap draws.")] = None,
    reports: Annotated[bool, typer.Option("--reports/--no-reports", help="Render the reports.")] = True,
) -> None:
    """Run the whole evaluation cycle on the synthetic district and print a one-screen summary."""
    from evalkit.demo import run_demo

    lang = _lang()
    t0 = time.perf_counter()
    with _progress() as update:
        summary = run_demo(out, n_firms=firms, seed=seed, progress=update, bootstrap=bootstrap,
                           render=reports)
    from evalkit.cli_summary import summary_lines

    for line in summary_lines(summary, lang, width=console.width):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(t("cli.demo.seconds", lang, s=time.perf_counter() - t0))
    console.print(t("cli.demo.serve", lang, out=str(out)), markup=False, highlight=False,
                  soft_wrap=True)


def _waiting_notice(message: Message) -> None:
    """Told once when a write waits for another process's (:mod:`evalkit.io.safefs`)."""
    err_console.print(message.text(_lang()), markup=False, soft_wrap=True)


def _log_internal(exc: BaseException) -> Path:
    folder = Path(tempfile.gettempdir()) / "evalkit-logs"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    log = folder / f"evalkit-{stamp}.log"
    log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    return log


#: The argument parser's usage errors it knows: a regex on its English message and the
#: catalog's message (``cli.usage_error.*``, placeholders the regex's groups); anything else is
#: shown as the parser gives it.
_USAGE_ERRORS = (
    (r"Missing option '(?P<name>[^']+)'\.?", "cli.usage_error.missing_option"),
    (r"Missing argument '(?P<name>[^']+)'\.?", "cli.usage_error.missing_argument"),
    (r"No such option: (?P<name>\S+) \(Possible options: (?P<opts>[^)]*)\)",
     "cli.usage_error.no_such_option_possible"),
    (r"No such option: (?P<name>\S+) \(Did you mean (?P<opts>[^?)]*)\??\)",
     "cli.usage_error.no_such_option_did_you_mean"),
    (r"No such option: (?P<name>\S+)", "cli.usage_error.no_such_option"),
    (r"Missing command\.?", "cli.usage_error.missing_command"),
    (r"Got unexpected extra argument(?:s|\(s\))? \((?P<args>.*)\)",
     "cli.usage_error.extra_arguments"),
    (r"Option '(?P<name>[^']+)' requires an argument\.?", "cli.usage_error.requires_argument"),
    (r"No such command '(?P<name>[^']+)'\.?", "cli.usage_error.no_such_command"),
    (r"Invalid value for '(?P<name>[^']+)': Input should be a valid integer.*",
     "cli.usage_error.invalid_integer"),
    (r"Invalid value for '(?P<name>[^']+)': Input should be greater than or equal to "
     r"(?P<n>\S+)", "cli.usage_error.invalid_minimum"),
    (r"Invalid value for '(?P<name>[^']+)': (?P<rest>.*)", "cli.usage_error.invalid_value"),
)


def _usage_text_zh(message: str) -> str:
    """A usage error's message in Chinese where :data:`_USAGE_ERRORS` knows it."""
    for pattern, key in _USAGE_ERRORS:
        if m := re.fullmatch(pattern, message.strip()):
            return t(key, "zh", **m.groupdict())
    return message


def _show_usage_error_zh(exc: Exception) -> None:
    """The parser's usage line, then the error and the help hint in Chinese."""
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        err_console.print(ctx.get_usage(), markup=False, soft_wrap=True)
        err_console.print(t("cli.usage.help", "zh", command=ctx.command_path), markup=False)
    err_console.print(f"{t('cli.error', 'zh')}：{_usage_text_zh(exc.format_message())}",
                      markup=False, soft_wrap=True)


def _root_lang(args: list[str]) -> str:
    """The root ``--lang`` among the arguments before the subcommand (the last one given, as
    the parser takes it); "en" when absent or not a language (the parser then says so)."""
    lang, i = "en", 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] == "--lang" and i + 1 < len(args):
            lang, i = args[i + 1], i + 2
            continue
        if args[i].startswith("--lang="):
            lang = args[i].split("=", 1)[1]
        i += 1
    return lang if lang in LANGS else "en"


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, map errors to exit codes. Returns the exit code."""
    # headless figures for this process (reports rendered in-process); library code never
    # chooses a backend (evalkit.plotting). Not through MPLBACKEND: the report kernels inherit
    # the environment and must keep their inline backend, which displays the figures.
    if "MPLBACKEND" not in os.environ:
        import matplotlib

        matplotlib.use("Agg")
    command = typer.main.get_command(app)
    # the language of messages raised before the root option is processed (an unknown command)
    _state["lang"] = _root_lang([str(a) for a in (sys.argv[1:] if argv is None else argv)])
    safefs.waiting_notice = _waiting_notice
    try:
        # full or read-only disk, permissions, locks: exit 2; help in the language of the run
        with safefs.environment_faults(), localised_help(command, _state["lang"]):
            rv = command.main(args=argv, prog_name="evalkit", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except EvalkitError as exc:
        err_console.print(f"[bold red]{t('cli.error', _lang())}:[/] {escape.rich(exc.text(_lang()))}",
                          markup=True, soft_wrap=True)
        code = EXIT_BAD_INPUT
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        code = EXIT_INTERNAL
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument
        if (_lang() == "zh" and hasattr(exc, "format_message")
                and type(exc).__name__ != "NoArgsIsHelpError"):   # help printed: no error
            _show_usage_error_zh(exc)
        else:
            exc.show()
        code = EXIT_BAD_INPUT
    except Exception as exc:  # the one place an unexpected failure is caught
        log = _log_internal(exc)
        err_console.print(t("cli.internal", _lang(), exc=type(exc).__name__, log=str(log)))
        code = EXIT_INTERNAL
    if argv is None:
        sys.exit(code)
    return code
