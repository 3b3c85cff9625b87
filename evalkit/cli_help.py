"""The command line's help in the user's language, Typer's and Click's own labels included.

:func:`localised_help` prepares the command tree of one run (the objects are built afresh for
each run) and, for ``--lang zh``, swaps

* our help texts for the Chinese of :data:`evalkit.i18n.CLI_HELP_ZH`;
* the labels Typer and Click print themselves: ``Usage:``, ``[OPTIONS]``, ``COMMAND [ARGS]...``,
  the panels ``Options`` / ``Arguments`` / ``Commands``, ``[required]``, ``[default: ...]``,
  the ``--help`` option's text and the value types (``<path>``, ``<int>``, ...) for the
  catalog's ``cli.ui.*`` (:data:`RICH_LABELS`, :data:`TYPE_LABELS`).

Typer's labels are module constants of :mod:`typer.rich_utils` read when help is printed: they
are set for the run and restored after it, so a later run in the same process (the tests) gets
English again. In every language a boolean flag is shown as a flag, without the ``<bool>`` type
Typer prints beside it (``--dirty``, not ``--dirty <bool>``): it takes no value.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator
from typing import Any

from evalkit.i18n import CLI_HELP_ZH, Message, t

#: Typer's labels (module constants of typer.rich_utils) and their catalog texts.
RICH_LABELS = {
    "DEPRECATED_STRING": Message("cli.ui.rich.deprecated"),
    "DEFAULT_STRING": Message("cli.ui.rich.default"),
    "ENVVAR_STRING": Message("cli.ui.rich.envvar"),
    "REQUIRED_LONG_STRING": Message("cli.ui.rich.required"),
    "ARGUMENTS_PANEL_TITLE": Message("cli.ui.rich.arguments"),
    "OPTIONS_PANEL_TITLE": Message("cli.ui.rich.options"),
    "COMMANDS_PANEL_TITLE": Message("cli.ui.rich.commands"),
    "ERRORS_PANEL_TITLE": Message("cli.ui.rich.errors"),
    "ABORTED_TEXT": Message("cli.ui.rich.aborted"),
    "RICH_HELP": Message("cli.ui.rich.help"),
}

#: The value types Typer shows, by their English, and their catalog texts.
TYPE_LABELS = {
    "<path>": Message("cli.ui.type.path"),
    "<file>": Message("cli.ui.type.file"),
    "<directory>": Message("cli.ui.type.directory"),
    "<int>": Message("cli.ui.type.int"),
    "<int range>": Message("cli.ui.type.int_range"),
    "<float>": Message("cli.ui.type.float"),
    "<float range>": Message("cli.ui.type.float_range"),
    "<str>": Message("cli.ui.type.str"),
    "<text>": Message("cli.ui.type.text"),
    "<bool>": Message("cli.ui.type.bool"),
}


def _is_flag(param: Any) -> bool:
    return bool(getattr(param, "is_flag", False))


def _show_type(param: Any, lang: str) -> None:
    """Flags show no type; under zh the other types are shown in Chinese (an instance attribute
    overriding the class's method, so the usage line and messages keep the parameter's name)."""
    original = param.display_type_rich

    def display_type_rich(ctx: Any) -> str | None:
        if _is_flag(param):
            return None
        shown = original(ctx)
        return TYPE_LABELS[shown].zh if lang == "zh" and shown in TYPE_LABELS else shown

    param.display_type_rich = display_type_rich


def _usage_zh(command: Any) -> None:
    """The usage line as ``用法：evalkit synth [选项]``."""
    def format_usage(self: Any, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=t("cli.ui.usage", "zh"))

    command.format_usage = types.MethodType(format_usage, command)
    if getattr(command, "options_metavar", None) == "[OPTIONS]":
        command.options_metavar = t("cli.ui.options_metavar", "zh")
    if getattr(command, "subcommand_metavar", None) == "COMMAND [ARGS]...":
        command.subcommand_metavar = t("cli.ui.commands_metavar", "zh")


def _prepare(command: Any, lang: str, path: str = "") -> None:
    """Walk the command tree: types and flags in every language, texts and labels under zh."""
    zh = lang == "zh"
    if zh:
        command.help = CLI_HELP_ZH.get(path, command.help)
        _usage_zh(command)
    ctx_free = command.get_help_option(_HelpContext())
    params = [*command.params, *([ctx_free] if ctx_free is not None else [])]
    for param in params:
        key = f"{path}.{param.name}" if path else param.name
        if zh and key in CLI_HELP_ZH and hasattr(param, "help"):
            param.help = CLI_HELP_ZH[key]
        _show_type(param, lang)
    if zh and ctx_free is not None:
        ctx_free.help = t("cli.ui.help_option", "zh")
    for name, sub in getattr(command, "commands", {}).items():
        _prepare(sub, lang, f"{path} {name}".strip())


class _HelpContext:
    """The little of a Click context ``get_help_option`` reads (the help option names)."""

    help_option_names = ("--help",)


@contextlib.contextmanager
def localised_help(command: Any, lang: str) -> Iterator[None]:
    """Prepare ``command`` (a fresh Click command tree) for help in ``lang`` and, under zh, set
    Typer's labels for the duration of the run."""
    from typer import rich_utils

    _prepare(command, lang)
    saved = {name: getattr(rich_utils, name) for name in RICH_LABELS}
    if lang == "zh":
        for name, text in RICH_LABELS.items():
            setattr(rich_utils, name, text.zh)
    try:
        yield
    finally:
        for name, text in saved.items():
            setattr(rich_utils, name, text)
