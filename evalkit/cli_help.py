"""The command line's help in the user's language, Typer's and Click's own labels included.

:func:`localised_help` prepares the command tree of one run (the objects are built afresh for
each run) and, for ``--lang zh``, swaps

* our help texts for the Chinese of :data:`evalkit.i18n.CLI_HELP_ZH`;
* the labels Typer and Click print themselves: ``Usage:``, ``[OPTIONS]``, ``COMMAND [ARGS]...``,
  the panels ``Options`` / ``Arguments`` / ``Commands``, ``[required]``, ``[default: ...]``,
  the ``--help`` option's text and the value types (``<path>``, ``<int>``, ...) for
  :data:`LABELS_ZH`.

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

from evalkit.i18n import CLI_HELP_ZH

#: Typer's labels (module constants of typer.rich_utils) in Chinese.
RICH_LABELS_ZH = {
    "DEPRECATED_STRING": "（已弃用）",
    "DEFAULT_STRING": "[默认：{}]",
    "ENVVAR_STRING": "[环境变量：{}]",
    "REQUIRED_LONG_STRING": "[必填]",
    "ARGUMENTS_PANEL_TITLE": "参数",
    "OPTIONS_PANEL_TITLE": "选项",
    "COMMANDS_PANEL_TITLE": "命令",
    "ERRORS_PANEL_TITLE": "错误",
    "ABORTED_TEXT": "已中止。",
    "RICH_HELP": "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。",
}

#: Click's labels of the usage line and the help option, and the value types Typer shows.
LABELS_ZH = {
    "usage": "用法：",
    "[OPTIONS]": "[选项]",
    "COMMAND [ARGS]...": "命令 [参数]...",
    "help": "显示此帮助并退出。",
    "<path>": "<路径>",
    "<file>": "<文件>",
    "<directory>": "<文件夹>",
    "<int>": "<整数>",
    "<int range>": "<整数>",
    "<float>": "<数值>",
    "<float range>": "<数值>",
    "<str>": "<文本>",
    "<text>": "<文本>",
    "<bool>": "<是/否>",
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
        return LABELS_ZH.get(shown, shown) if lang == "zh" and shown else shown

    param.display_type_rich = display_type_rich


def _usage_zh(command: Any) -> None:
    """The usage line as ``用法：evalkit synth [选项]``."""
    def format_usage(self: Any, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=LABELS_ZH["usage"])

    command.format_usage = types.MethodType(format_usage, command)
    if getattr(command, "options_metavar", None) == "[OPTIONS]":
        command.options_metavar = LABELS_ZH["[OPTIONS]"]
    if getattr(command, "subcommand_metavar", None) == "COMMAND [ARGS]...":
        command.subcommand_metavar = LABELS_ZH["COMMAND [ARGS]..."]


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
        ctx_free.help = LABELS_ZH["help"]
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
    saved = {name: getattr(rich_utils, name) for name in RICH_LABELS_ZH}
    if lang == "zh":
        for name, text in RICH_LABELS_ZH.items():
            setattr(rich_utils, name, text)
    try:
        yield
    finally:
        for name, text in saved.items():
            setattr(rich_utils, name, text)
