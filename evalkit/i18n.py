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
    "cli.run.done": {"en": "Results bundle written to {bundle}", "zh": "结果包已写入 {bundle}"},
    "cli.review.recorded": {
        "en": "Recorded #{seq}: {id} -> {decision}", "zh": "已记录第 {seq} 条：{id} -> {decision}"},
    "cli.review.tampered": {
        "en": "the review log was altered at entry {seq}", "zh": "审核记录在第 {seq} 条处被改动"},
    "cli.review.ok": {"en": "Review log intact: every entry matches its hash chain",
                      "zh": "审核记录完整：每一条均与哈希链一致"},
    "cli.demo.ranking": {"en": "Policies ranked by district fiscal return (yuan of district tax per yuan)",
                         "zh": "按区级财政回报排序（每元补贴带来的区级税收）"},
    "cli.demo.col.policy": {"en": "policy", "zh": "政策"},
    "cli.demo.col.metric": {"en": "return", "zh": "回报"},
    "cli.demo.col.95% CI": {"en": "95% CI", "zh": "95% 置信区间"},
    "cli.demo.col.rank set": {"en": "rank set", "zh": "排名区间"},
    "cli.demo.col.score": {"en": "score", "zh": "得分"},
    "cli.demo.col.grade": {"en": "grade", "zh": "等级"},
    "cli.demo.col.action": {"en": "recommendation", "zh": "建议"},
    "cli.step.synth": {"en": "Synthesizing the district", "zh": "生成合成辖区"},
    "cli.step.validate": {"en": "Validating", "zh": "校验"},
    "cli.step.ingest": {"en": "Ingesting", "zh": "入库"},
}

# Reports (evalkit.report, reports/*.qmd and reports/_partials/*.qmd). Keys under "report.".
# Templates use them through the {{< t KEY >}} shortcode or evalkit.i18n.t in cells; strings used
# through the shortcode contain no double quote (they may sit inside quoted YAML).
STRINGS.update({
    "report.xref.fig": {"zh": "图 {n}", "en": "Figure {n}"},
    "report.xref.tbl": {"zh": "表 {n}", "en": "Table {n}"},
    "report.caption.fig": {"zh": "图 {n}　{caption}", "en": "Figure {n}: {caption}"},
    "report.caption.tbl": {"zh": "表 {n}　{caption}", "en": "Table {n}: {caption}"},
    "report.callout.note": {"zh": "注意", "en": "Note"},
    "report.callout.tip": {"zh": "提示", "en": "Tip"},
    "report.callout.important": {"zh": "重要", "en": "Important"},
    "report.callout.warning": {"zh": "警告", "en": "Warning"},
    "report.callout.caution": {"zh": "当心", "en": "Caution"},
    "report.unit.wan_yuan": {"zh": "万元", "en": "CNY 10,000"},
    "report.unit.yi_yuan": {"zh": "亿元", "en": "CNY 100 million"},
    "report.unit.cny_million": {"zh": "百万元", "en": "CNY million"},
    "report.missing": {"zh": "—", "en": "—"},
    "report.disclosure.title": {"zh": "数据保密说明", "en": "Disclosure control"},
    "report.disclosure.rule": {
        "zh": "本报告不披露任何单个企业的数据。由少于 {min_firms} 家企业构成、或单一企业占合计 {share} 以上的表格单元格不予显示，以 {mark} 标记。",
        "en": "This report shows no single firm's data. Table cells built from fewer than {min_firms} firms, or where one firm holds more than {share} of the total, are suppressed and marked {mark}.",
    },
    "report.disclosure.footnote": {
        "zh": "{mark} 按保密规则不予显示：企业少于 {min_firms} 家、单一企业占比超过 {share}，或为防止由合计倒推而一并隐去。",
        "en": "{mark} suppressed under the disclosure rule: fewer than {min_firms} firms, one firm above {share} of the total, or hidden so that another suppressed cell cannot be derived from the total.",
    },
    "report.provenance.title": {"zh": "附录：可复现信息", "en": "Appendix: provenance"},
    "report.provenance.intro": {
        "zh": "以下信息足以复现本报告中的每一个数字。",
        "en": "The following is enough to reproduce every number in this report.",
    },
    "report.provenance.item": {"zh": "项目", "en": "Item"},
    "report.provenance.value": {"zh": "内容", "en": "Value"},
    "report.provenance.stage": {"zh": "评价阶段", "en": "Evaluation stage"},
    "report.provenance.dataset_version": {"zh": "数据集版本", "en": "Dataset version"},
    "report.provenance.dataset_sha256": {"zh": "数据集 SHA-256", "en": "Dataset SHA-256"},
    "report.provenance.study_sha256": {"zh": "研究配置文件 SHA-256", "en": "Study file SHA-256"},
    "report.provenance.evalkit_version": {"zh": "evalkit 版本", "en": "evalkit version"},
    "report.provenance.git_commit": {"zh": "代码提交（git）", "en": "Code commit (git)"},
    "report.provenance.python": {"zh": "Python 版本", "en": "Python version"},
    "report.provenance.seeds": {"zh": "随机数种子", "en": "Random seeds"},
    "report.provenance.render_engine": {"zh": "渲染引擎", "en": "Render engine"},
    "report.provenance.bundle_sha256": {"zh": "结果包清单 SHA-256", "en": "Results bundle manifest SHA-256"},
    "report.provenance.packages": {"zh": "软件包版本", "en": "Package versions"},
    "report.provenance.not_recorded": {"zh": "未记录", "en": "not recorded"},
    "report.provenance.dirty": {"zh": "（含未提交的修改）", "en": " (with uncommitted changes)"},
    "report.example.title": {"zh": "示例报告：补贴拨付概览", "en": "Example report: subsidy disbursement overview"},
    "report.example.summary.title": {"zh": "执行摘要", "en": "Executive summary"},
    "report.example.summary.text": {
        "zh": "{start}—{end} 年，{n_policies} 项政策共向 {n_firms} 家企业拨付补贴 {total}。拨付逐年变化见 @fig-disbursed，分行业汇总见 @tbl-industry。",
        "en": "From {start} to {end}, {n_policies} policies disbursed {total} to {n_firms} firms. @fig-disbursed shows disbursement by year and @tbl-industry the totals by industry.",
    },
    "report.example.evidence.title": {"zh": "拨付情况", "en": "Disbursement"},
    "report.example.fig.disbursed": {"zh": "各政策年度拨付金额", "en": "Disbursement by policy and year"},
    "report.example.tbl.industry": {"zh": "分行业拨付汇总", "en": "Disbursement by industry"},
    "report.example.axis.year": {"zh": "年份", "en": "Year"},
    "report.example.axis.amount": {"zh": "拨付金额（{unit}）", "en": "Disbursed ({unit})"},
    "report.example.legend.policy": {"zh": "政策", "en": "Policy"},
    "report.example.col.industry": {"zh": "行业", "en": "Industry"},
    "report.example.col.firms": {"zh": "企业数", "en": "Firms"},
    "report.example.col.amount": {"zh": "拨付金额（{unit}）", "en": "Disbursed ({unit})"},
    "report.example.note": {
        "zh": "本报告为示例，用于演示模板的各项功能；数字来自一个小型结果包。",
        "en": "This is an example report demonstrating the template features; its numbers come from a small results bundle.",
    },
})


def t(key: str, lang: str = "en", **fmt: object) -> str:
    """The text of ``key`` in ``lang`` ('zh' or 'en'), formatted with ``fmt``."""
    check_choice("lang", lang, LANGS)
    text = STRINGS[key][lang]
    return text.format(**fmt) if fmt else text
