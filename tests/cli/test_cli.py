"""The command line: exit codes, one-line messages, no tracebacks, read = accepted + quarantined."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.cli import main

EVALKIT = [sys.executable, "-m", "evalkit"]


def run(args, cwd=None):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*EVALKIT, *args], capture_output=True, text=True, cwd=cwd, timeout=600,
                          env=env)


@pytest.fixture(scope="module")
def dirty_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "d"
    r = run(["synth", "--out", str(out), "--firms", "400", "--seed", "3", "--dirty"])
    assert r.returncode == 0, r.stderr
    return out


def test_help_lists_commands():
    r = run(["--help"])
    assert r.returncode == 0
    for cmd in ("synth", "validate", "ingest", "datasets", "run", "report", "review", "demo"):
        assert cmd in r.stdout


def test_validate_counts_add_up_and_quarantine_is_written(dirty_dir, tmp_path):
    q = tmp_path / "q.csv"
    r = run(["validate", str(dirty_dir), "--quarantine", str(q)])
    assert r.returncode == 0, r.stderr
    lines = re.findall(r"(\w+): read ([\d,]+) = accepted ([\d,]+) \+ quarantined ([\d,]+)", r.stdout)
    assert len(lines) == 6
    for _, read, acc, quar in lines:
        assert int(read.replace(",", "")) == int(acc.replace(",", "")) + int(quar.replace(",", ""))
    faults = json.loads((dirty_dir / "faults.json").read_text(encoding="utf-8"))["faults"]
    n_quarantine = sum(f["expect"] == "quarantine" for f in faults)
    total_q = sum(int(x[3].replace(",", "")) for x in lines)
    assert total_q >= n_quarantine > 0
    assert q.exists() and q.read_text(encoding="utf-8-sig").count("\n") >= n_quarantine


def test_ingest_twice_adds_one_version(dirty_dir, tmp_path):
    store = tmp_path / "w.duckdb"
    assert run(["ingest", str(dirty_dir), "--store", str(store)]).returncode == 0
    before = store.read_bytes()
    r = run(["ingest", str(dirty_dir), "--store", str(store)])
    assert r.returncode == 0 and "nothing added" in r.stdout
    assert store.read_bytes() == before
    r = run(["datasets", "--store", str(store)])
    assert r.stdout.count("v1") == 1 and "v2" not in r.stdout


def test_bad_input_is_one_line_exit_2_no_traceback(tmp_path):
    r = run(["validate", str(tmp_path / "missing")])
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "firms.csv").write_text("统一社会信用代码,企业名称\n123,x\n", encoding="utf-8")
    r = run(["validate", str(bad)])
    assert r.returncode == 2 and "firms.csv" in r.stderr and "Traceback" not in r.stderr


def test_chinese_messages(tmp_path):
    r = run(["--lang", "zh", "validate", str(tmp_path / "missing")])
    assert r.returncode == 2 and "错误" in r.stderr


def test_chinese_problem_lines_are_chinese_throughout(dirty_dir, tmp_path):
    # quarantined rows and warnings (some without a row number) in Chinese, details included
    r = run(["--lang", "zh", "validate", str(dirty_dir), "--quarantine", str(tmp_path / "q.csv")])
    assert r.returncode == 0, r.stderr
    assert "内部错误" not in r.stdout + r.stderr and "Traceback" not in r.stderr
    problems = [ln.strip() for ln in r.stdout.splitlines() if re.match(r"\s+\S+\.csv:", ln)]
    assert len(problems) >= 15
    assert all(re.search(r"[\u4e00-\u9fff]", ln) for ln in problems)
    english = re.compile(r"is not|check character|characters|whole number|before the start|"
                         r"times off|has no row|policy P")
    assert not [ln for ln in problems if english.search(ln)]
    quarantine = (tmp_path / "q.csv").read_text(encoding="utf-8-sig")
    assert "message_zh" in quarantine.splitlines()[0]


def test_unknown_language_is_bad_input():
    assert main(["--lang", "fr", "datasets", "--store", "x.duckdb"]) == 2


def test_internal_failure_exit_1_with_log(monkeypatch, capsys):
    import evalkit.io as io

    def boom(*a, **k):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(io, "list_datasets", boom)
    code = main(["datasets", "--store", "x.duckdb"])
    err = capsys.readouterr().err
    assert code == 1 and "ZeroDivisionError" in err and "Traceback" not in err
    log = Path(re.search(r"(\S+evalkit-\S+\.log)", err.replace("\n", "")).group(1))
    assert "ZeroDivisionError" in log.read_text(encoding="utf-8")


def _study(tmp_path, body: str) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(body, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def store(dirty_dir, tmp_path_factory):
    s = tmp_path_factory.mktemp("store") / "w.duckdb"
    assert run(["ingest", str(dirty_dir), "--store", str(s)]).returncode == 0
    return s


@pytest.mark.parametrize("body, expected", [
    ("stage: ex_post\nname: x\ndata: {{store: {store}}}\npolicy: P01\ndesign: {{estimater: cs}}\n",
     "unknown key 'design.estimater'; allowed here:"),
    ("stage: ex_post\nname: x\ndata: {{store: {store}}}\npolicy: P99\n", "policy 'P99' is not in the dataset"),
    ("stage: ex_post\nname: x\ndata: {{store: {store}}}\npolicy: P01\noutcomes: [profit]\nmain_outcome: profit\n",
     "outcome 'profit' is not a firm-year outcome"),
    ("stage: ex_post\nname: x\ndata: {{store: {store}}}\npolicy: P01\ndesign: {{window: [2001, 2010]}}\n",
     "lies outside the data's years"),
    ("stage: expost\nname: x\n", "'stage' must be one of"),
])
def test_invalid_studies_give_one_clear_message(tmp_path, store, body, expected):
    p = _study(tmp_path, body.format(store=store))
    r = run(["run", str(p), "--out", str(tmp_path / "b")])
    assert r.returncode == 2, r.stderr
    assert expected in " ".join(r.stderr.split()), r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("body, expected", [
    ("stage: ex_post\nname: x\ndata: {{store: {store}}}\npolicy: P01\ndesign: {{estimater: cs}}\n",
     "未知键 'design.estimater'；此处允许的键："),
    ("stage: ex_post\nname: x\ndata: {{store: {store}}}\npolicy: P99\n", "数据集中没有政策 'P99'"),
    ("stage: ex_post\nname: x\ndata: {{store: {store}}}\npolicy: P01\noutcomes: [profit]\n"
     "main_outcome: profit\n", "结果变量 'profit' 不是企业年度指标"),
    ("stage: ex_post\nname: x\ndata: {{store: {store}}}\npolicy: P01\n"
     "design: {{window: [2001, 2010]}}\n", "超出数据的年份范围"),
    ("stage: expost\nname: x\n", "'stage' 须为"),
    ("stage: ex_post\nname: x\ndata: {{store: {store}}}\npolicy: P01\ndesign: {{est_method: xx}}\n",
     "'design.est_method'：须为 'dr'、'ipw'、'reg' 之一（收到的是 'xx'）"),
    ("stage: monitor\nname: m\ndata: {{store: {store}}}\nyear: abc\nas_of: '2025-07-31'\n"
     "amber: -1\n", "'year'：须为整数（收到的是 'abc'）"),
])
def test_invalid_studies_are_explained_in_chinese(tmp_path, store, body, expected):
    p = _study(tmp_path, body.format(store=store))
    r = run(["--lang", "zh", "run", str(p), "--out", str(tmp_path / "b")])
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    text = " ".join(r.stderr.split())
    assert text.startswith("错误") and expected in text, r.stderr
    assert not re.search(r"\b(must|is not|unknown key|outside)\b", text), r.stderr


@pytest.mark.parametrize("args, expected", [
    (["synth"], "错误：缺少选项 '--out'"),
    (["synth", "--out", "x", "--faults"], "错误：没有选项 --faults"),
    (["validate"], "错误：缺少参数 'path'"),
    (["synth", "--out", "x", "--firms", "abc"], "错误：选项 '--firms' 的取值无效：须为整数"),
    (["synth", "--out", "x", "--firms", "10"], "错误：选项 '--firms' 的取值无效：须不小于 50"),
    (["nosuch"], "错误：没有命令 'nosuch'"),
])
def test_usage_errors_in_chinese(tmp_path, args, expected):
    r = run(["--lang", "zh", *args], cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert expected in r.stderr and "查看帮助" in r.stderr, r.stderr
    assert "Error:" not in r.stderr and "Try '" not in r.stderr
    english = run(args, cwd=tmp_path)                       # English stays the parser's own
    assert english.returncode == 2 and "Error:" in english.stderr


def test_help_in_chinese_covers_every_command_and_option():
    import typer

    import evalkit.cli as cli
    from evalkit.i18n import CLI_HELP_ZH

    command = typer.main.get_command(cli.app)
    needed = []

    def walk(cmd, path=""):
        needed.append(path)
        needed.extend(f"{path}.{p.name}" if path else p.name for p in cmd.params)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(command)
    assert sorted(set(needed) - set(CLI_HELP_ZH)) == []
    assert sorted(set(CLI_HELP_ZH) - set(needed)) == []          # no stale entries
    r = run(["--lang", "zh", "review", "record", "--help"])
    assert r.returncode == 0 and CLI_HELP_ZH["review record"] in r.stdout
    assert CLI_HELP_ZH["review record.recommendation"] in r.stdout
    assert "Record a decision" in run(["review", "record", "--help"]).stdout


def test_the_message_language_is_the_root_option_only():
    from evalkit.cli import _root_lang

    assert _root_lang(["--lang", "zh", "nosuch"]) == "zh"
    assert _root_lang(["--lang", "zh", "--lang", "en", "nosuch"]) == "en"   # the last one wins
    assert _root_lang(["--lang=zh", "x"]) == "zh" and _root_lang(["--lang"]) == "en"
    assert _root_lang(["report", "b", "--lang", "zh"]) == "en"      # the report's languages
    assert _root_lang(["--lang", "zh,en", "x"]) == "en"
    assert main(["datasets", "--store", Path("/nonexistent/x.duckdb")]) in (0, 2)  # a Path arg


@pytest.mark.parametrize("args, expected", [
    ([], "错误：缺少命令"),
    (["datasets", "--store", "s.duckdb", "extra"], "错误：多余的参数（extra）"),
    (["synth", "--out"], "错误：选项 '--out' 需要一个取值"),
    (["synth", "--out", "x", "--firm", "5"], "（"),
])
def test_more_usage_errors_in_chinese(tmp_path, args, expected):
    r = run(["--lang", "zh", *args], cwd=tmp_path)
    assert r.returncode == 2 and expected in r.stderr and "Error:" not in r.stderr, r.stderr


def test_a_group_without_subcommand_shows_help_without_an_empty_error():
    r = run(["--lang", "zh", "review"])
    assert r.returncode == 2 and "错误：" not in r.stderr and "记录对一条建议的决定" in r.stdout
