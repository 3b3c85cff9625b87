"""One translation table for every user-facing label and sentence (Chinese and English).

``t(key, lang, **fmt)`` looks a key up and formats it. Reports and the CLI use the same table, so a
label reads the same everywhere. Missing keys are a programming error (``KeyError``), caught by
tests that walk every key used.
"""

from __future__ import annotations

from evalkit.errors import check_choice

LANGS = ("zh", "en")

STRINGS: dict[str, dict[str, str]] = {
    # CLI
    "cli.error": {"en": "error", "zh": "错误"},
    "cli.internal": {
        "en": "internal error: {exc}. This is a bug in evalkit; details in {log}",
        "zh": "内部错误：{exc}。这是 evalkit 的缺陷，详情见 {log}",
    },
    "cli.synth.done": {"en": "Wrote the synthetic district to {out}", "zh": "合成辖区数据已写入 {out}"},
    "cli.synth.faults": {"en": "{n} injected faults listed in {path}", "zh": "注入的 {n} 处错误已记录于 {path}"},
    "cli.table": {"en": "table", "zh": "数据表"},
    "cli.file": {"en": "file", "zh": "文件"},
    "cli.encoding": {"en": "encoding", "zh": "编码"},
    "cli.read": {"en": "read", "zh": "读取"},
    "cli.accepted": {"en": "accepted", "zh": "接收"},
    "cli.quarantined": {"en": "quarantined", "zh": "隔离"},
    "cli.warnings": {"en": "warnings", "zh": "警告"},
    "cli.validate.title": {"en": "Validation of {path}", "zh": "{path} 校验结果"},
    "cli.quarantine.written": {
        "en": "Rejected rows with their reasons: {path}",
        "zh": "被拒绝的行及原因：{path}",
    },
    "cli.ingest.new": {
        "en": "Ingested as dataset {id} (sha256 {sha}) into {store}",
        "zh": "已入库为数据集版本 {id}（sha256 {sha}），仓库 {store}",
    },
    "cli.ingest.same": {
        "en": "Identical to dataset {id} already in {store}; nothing added",
        "zh": "与仓库 {store} 中的数据集版本 {id} 完全相同，未新增",
    },
    "cli.datasets.title": {"en": "Dataset versions in {store}", "zh": "{store} 中的数据集版本"},
    "cli.datasets.none": {"en": "No datasets in {store}", "zh": "{store} 中没有数据集"},
    "cli.demo.summary": {"en": "Demo district summary", "zh": "示范辖区概览"},
    "cli.demo.firms": {"en": "firms", "zh": "企业数"},
    "cli.demo.firm_years": {"en": "firm-years", "zh": "企业年度记录"},
    "cli.demo.policies": {"en": "policies", "zh": "政策数"},
    "cli.demo.disbursed": {"en": "disbursed (CNY million)", "zh": "拨付总额（万元）"},
    "cli.demo.seconds": {"en": "took {s:.1f} s", "zh": "用时 {s:.1f} 秒"},
    "cli.step.synth": {"en": "Synthesizing the district", "zh": "生成合成辖区"},
    "cli.step.validate": {"en": "Validating", "zh": "校验"},
    "cli.step.ingest": {"en": "Ingesting", "zh": "入库"},
}


def t(key: str, lang: str = "en", **fmt: object) -> str:
    """The text of ``key`` in ``lang`` ('zh' or 'en'), formatted with ``fmt``."""
    check_choice("lang", lang, LANGS)
    text = STRINGS[key][lang]
    return text.format(**fmt) if fmt else text
