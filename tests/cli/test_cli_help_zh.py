"""`evalkit --lang zh ... --help` is Chinese throughout, Typer's and Click's own labels included,
and boolean flags are shown as flags (no value type) in every language."""

import re

import pytest
import typer

import evalkit.cli as cli
from evalkit.cli import main

#: What Typer and Click print in English by themselves (never part of our Chinese help texts).
ENGLISH_LABELS = ("Usage", "Options", "Arguments", "Commands", "[required]", "default:",
                  "Show this message", "[OPTIONS]", "COMMAND", "[ARGS]", "env var", "<bool>",
                  "<path>", "<int", "<str>", "<float", "range>", "Try ")


def _command_paths() -> list[list[str]]:
    paths = []

    def walk(cmd, path):
        paths.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(cli.app), [])
    return paths


def _help(capsys, monkeypatch, args) -> str:
    monkeypatch.setenv("COLUMNS", "200")
    capsys.readouterr()
    assert main([*args, "--help"]) == 0
    return capsys.readouterr().out


#: Subcommands whose group callback refuses to run without inputs, so that `--help` never reaches
#: them through the command line (`evalkit serve createuser --help` asks for --store): their help
#: is printed through Click's contexts with the same localisation.
BEHIND_A_CALLBACK = {("serve", "createuser")}


def _help_through_contexts(capsys, monkeypatch, path) -> str:
    from evalkit.cli_help import localised_help

    monkeypatch.setenv("COLUMNS", "200")
    command = typer.main.get_command(cli.app)
    capsys.readouterr()
    with localised_help(command, "zh"):
        ctx = command.make_context("evalkit", ["--lang", "zh"], resilient_parsing=True)
        cmd = command
        for name in path:
            cmd = cmd.commands[name]
            ctx = cmd.make_context(name, [], parent=ctx, resilient_parsing=True)
        cmd.format_help(ctx, ctx.make_formatter())
    return capsys.readouterr().out


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "evalkit")
def test_chinese_help_has_no_english_click_labels(capsys, monkeypatch, path):
    out = (_help_through_contexts(capsys, monkeypatch, path) if tuple(path) in BEHIND_A_CALLBACK
           else _help(capsys, monkeypatch, ["--lang", "zh", *path]))
    found = [label for label in ENGLISH_LABELS if label in out]
    assert found == [], out
    assert "用法：" in out and "选项" in out


def test_every_command_is_scanned():
    names = {" ".join(p) for p in _command_paths()}
    assert {"", "synth", "demo", "review", "review record", "verify"} <= names


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_boolean_flags_are_shown_without_a_value_type(capsys, monkeypatch, lang):
    out = _help(capsys, monkeypatch, ["--lang", lang, "synth"])
    dirty = next(line for line in out.splitlines() if "--dirty" in line)
    helpline = next(line for line in out.splitlines() if "--help" in line)
    assert not re.search(r"<[^>]+>", dirty + helpline), out
    # options taking a value still show their type
    firms = next(line for line in out.splitlines() if "--firms" in line)
    assert re.search(r"<[^>]+>", firms)


def test_chinese_required_and_default_labels(capsys, monkeypatch):
    out = _help(capsys, monkeypatch, ["--lang", "zh", "synth"])
    assert "[必填]" in out and "[默认：20000]" in out and "显示此帮助并退出" in out
    assert "用法：evalkit synth [选项]" in out


def test_english_help_is_english_again_after_a_chinese_run(capsys, monkeypatch):
    _help(capsys, monkeypatch, ["--lang", "zh", "synth"])
    out = _help(capsys, monkeypatch, ["synth"])
    assert "Usage:" in out and "Options" in out and "[required]" in out and "用法" not in out
