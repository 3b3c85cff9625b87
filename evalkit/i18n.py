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
    "cli.usage.help": {"en": "Try '{command} --help' for help.", "zh": "运行 '{command} --help' 查看帮助。"},
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
    "cli.datasets.intact": {"en": "intact", "zh": "完整"},
    "cli.datasets.edited": {"en": "EDITED after ingest: {tables}", "zh": "入库后被改动：{tables}"},
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
        "en": "the review log was altered: {problems}", "zh": "审核记录被改动：{problems}"},
    "cli.review.ok": {"en": "Review log intact: {n} entries match their hash chain and anchors",
                      "zh": "审核记录完整：{n} 条记录均与哈希链及锚点一致"},
    "cli.review.head": {"en": "Head of the log: {head}", "zh": "审核记录链头：{head}"},
    "cli.serve.demo": {"en": "Published the demo cycle {name}; demo accounts (passwords shown "
                              "once):", "zh": "已发布演示年度 {name}；演示账号（密码仅显示一次）："},
    "cli.serve.publishing": {
        "en": "Publishing the demo cycle (recomputed with evalkit verify); the demo accounts "
              "follow once it is published",
        "zh": "正在发布演示年度（用 evalkit verify 重新计算核对）；发布后显示演示账号"},
    "cli.serve.listening": {"en": "Review workspace at {url} (Ctrl+C stops it)",
                            "zh": "审核工作台地址：{url}（按 Ctrl+C 停止）"},
    "cli.demo.serve": {
        "en": "Review workspace: evalkit serve --demo {out}  (prints the demo accounts' passwords; "
              "more accounts: evalkit serve --demo {out} createuser NAME --role reviewer)",
        "zh": "审核工作台：evalkit serve --demo {out}（启动时显示演示账号密码；"
              "新增账号：evalkit serve --demo {out} createuser 账号名 --role reviewer）"},
    "cli.serve.created": {"en": "Account {name} ({role}) created", "zh": "已创建账号 {name}（{role}）"},
    "cli.review.unanchored": {
        "en": "No anchor file beside the store and no --head given: deleted newest entries "
              "cannot be detected",
        "zh": "数据仓库旁没有锚点文件，也未给出 --head：无法发现最新记录被删除"},
    "cli.review.exported": {"en": "{n} entries written to {out}",
                            "zh": "已将 {n} 条记录写入 {out}"},
    "cli.demo.ranking": {"en": "Policies ranked by district fiscal return (yuan of district tax per yuan)",
                         "zh": "按区级财政回报排序（每元补贴带来的区级税收）"},
    "cli.demo.col.policy": {"en": "policy", "zh": "政策"},
    "cli.demo.col.metric": {"en": "return", "zh": "回报"},
    "cli.demo.col.95% CI": {"en": "95% CI", "zh": "95% 置信区间"},
    "cli.demo.col.rank set": {"en": "rank set", "zh": "排名区间"},
    "cli.demo.col.score": {"en": "score", "zh": "得分"},
    "cli.demo.col.grade": {"en": "grade", "zh": "等级"},
    "cli.demo.col.action": {"en": "action", "zh": "建议"},
    "cli.demo.dataset": {"en": "dataset", "zh": "数据集版本"},
    "cli.demo.warehouse": {"en": "warehouse", "zh": "数据仓库"},
    "cli.demo.bundles": {"en": "bundles", "zh": "结果包"},
    "cli.demo.reports": {"en": "reports", "zh": "报告"},
    "cli.demo.reports_value": {"en": "{n} files in {path}", "zh": "{n} 个文件，位于 {path}"},
    "cli.demo.index": {"en": "open first", "zh": "请先打开"},
    "cli.demo.unranked": {"en": "unranked", "zh": "未排名"},
    "cli.demo.unranked_note": {
        "en": "unranked: the policy failed its identification check (pre-trends or dip); it is "
              "re-evaluated before it is ranked.",
        "zh": "未排名：该政策未通过识别检验（事前趋势或事前下滑检验），须重新评价后再排名。"},
    "cli.balance": {"en": "{table}: read {read} = accepted {accepted} + quarantined {quarantined}",
                    "zh": "{table}：读取 {read} = 接收 {accepted} + 隔离 {quarantined}"},
    "cli.problems.quarantine": {"en": "{n} rows quarantined (first {shown}):",
                                "zh": "共隔离 {n} 行（显示前 {shown} 行）："},
    "cli.problems.warning": {"en": "{n} warnings (first {shown}):",
                             "zh": "共 {n} 条警告（显示前 {shown} 条）："},
    "cli.verify.failed": {"en": "{n} files or provenance entries differ from their recomputation",
                          "zh": "{n} 个文件或来源信息条目与重新计算的结果不一致"},
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
        "zh": "本报告的每一个数字都经过保密审查：由少于 {min_firms} 家企业计算得出、或单一企业占比超过 {share} 的数字（包括合计、平均效应、财政指标和监测表格）不予公布，以 {mark} 标记；如被隐去的数字可由合计或其他数字相减得出，则另隐去一个数字（或合计）。",
        "en": "Every number in this report was checked for disclosure: a number computed from fewer than {min_firms} firms, or where one firm holds more than {share} of it (totals, average effects, fiscal metrics and monitoring tables included), is not published and is marked {mark}; where a hidden number could be recovered by subtraction from a total or other numbers, a second number (or the total) is hidden too.",
    },
    "report.disclosure.none": {
        "zh": "本报告没有需要隐去的数字：所公布的每个数字均基于至少 {min_firms} 家企业，且没有单一企业占比超过 {share}。",
        "en": "No number in this report had to be hidden: every number shown rests on at least {min_firms} firms, none of which holds more than {share} of it.",
    },
    "report.disclosure.some": {
        "zh": "本报告隐去了以下 {n} 项数字：",
        "en": "The following {n} items were hidden:",
    },
    "report.disclosure.reason.few": {"zh": "企业少于 {min_firms} 家", "en": "fewer than {min_firms} firms"},
    "report.disclosure.reason.dominant": {"zh": "单一企业占比超过 {share}", "en": "one firm holds more than {share}"},
    "report.disclosure.reason.complementary": {
        "zh": "为防止由合计或其他数字倒推出被隐去的数字而一并隐去",
        "en": "hidden so that another hidden number cannot be recovered by subtraction"},
    "report.disclosure.sentence": {"zh": "{mark} 按保密规则不予公布（{why}）。", "en": "{mark} Not published under the disclosure rule ({why})."},
    "report.disclosure.where.effects": {"zh": "总体平均效应、TWFE 比较与平行趋势检验", "en": "Overall effects, TWFE comparison and parallel-trends test"},
    "report.disclosure.where.event": {"zh": "动态效应图", "en": "Event-study figure"},
    "report.disclosure.item.cohort": {"zh": "{g} 年批次的效应", "en": "effect of the {g} cohort"},
    "report.disclosure.item.event": {"zh": "第 {e} 年的效应", "en": "effect at event time {e}"},
    "report.disclosure.item.cost": {"zh": "补贴金额", "en": "the amount paid"},
    "report.disclosure.item.disbursed": {"zh": "{pid} 的已拨付金额与执行率", "en": "{pid}: amount disbursed and execution rate"},
    "report.disclosure.item.spend": {"zh": "{pid} 的资金额与主要集群占比", "en": "{pid}: spending and main-cluster share"},
    "report.disclosure.fig_note": {"zh": "图中未画出按保密规则不予公布的政策：{pids}。", "en": "Not drawn under the disclosure rule: {pids}."},
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

# Stage reports (reports/ex_post.qmd, portfolio.qmd, ex_ante.qmd, monitor.qmd) and
# evalkit/report/views/.
STRINGS.update({
    "report.common.summary": {"zh": "执行摘要", "en": "Executive summary"},
    "report.common.policy_line": {
        "zh": "**政策**：{pid} {name}（{department}，{instrument}，{objective}）",
        "en": "**Policy**: {pid} {name} ({department}; {instrument}; {objective})"},
    "report.common.ci": {"zh": "95% 置信区间 {lo} 至 {hi}", "en": "95% CI {lo} to {hi}"},
    "report.common.ci_level": {"zh": "{level}% 置信区间 {lo} 至 {hi}",
                               "en": "{level}% CI {lo} to {hi}"},
    "report.common.infinity": {"zh": "∞", "en": "∞"},
    "report.common.yes": {"zh": "是", "en": "yes"},
    "report.common.no": {"zh": "否", "en": "no"},
    "report.common.col.policy": {"zh": "政策", "en": "Policy"},
    "report.common.col.estimate": {"zh": "估计值", "en": "Estimate"},
    "report.common.col.se": {"zh": "标准误", "en": "Std. error"},
    "report.common.col.ci": {"zh": "95% 置信区间", "en": "95% CI"},
    "report.common.col.p": {"zh": "p 值", "en": "p-value"},
    "report.common.col.firms": {"zh": "企业数", "en": "Firms"},
    "report.common.range": {"zh": "{lo} 至 {hi}", "en": "{lo} to {hi}"},
    "report.glossary.title": {"zh": "术语解释", "en": "Glossary"},
    "report.glossary.did.name": {"zh": "交错双重差分", "en": "staggered difference-in-differences"},
    "report.glossary.did.text": {
        "zh": "比较受助企业在受助前后的变化与同期对照企业的变化，两者之差即补贴的效应；企业在不同年份开始受助时，逐批次分别比较再汇总（Callaway 与 Sant'Anna 2021）。",
        "en": "compares how subsidised firms changed after their first payment with how comparison firms changed over the same years; the difference is the subsidy's effect. When firms start in different years, each cohort is compared separately and the results are averaged (Callaway and Sant'Anna 2021)."},
    "report.glossary.comparison.name": {"zh": "对照企业", "en": "comparison firms"},
    "report.glossary.comparison.text": {
        "zh": "用来代表“若无补贴会怎样”的企业；本报告对照企业的范围见“评价设计与样本”一节。",
        "en": "the firms that stand for what would have happened without the subsidy; which firms they are is stated in the design section."},
    "report.glossary.cohort.name": {"zh": "批次（队列）", "en": "cohort"},
    "report.glossary.cohort.text": {
        "zh": "同一年首次获得补贴的受助企业。",
        "en": "the subsidised firms first paid in the same year."},
    "report.glossary.parallel_trends.name": {"zh": "平行趋势", "en": "parallel trends"},
    "report.glossary.parallel_trends.text": {
        "zh": "评价的关键假设：若无补贴，受助企业与对照企业的指标会同步变化。该假设无法直接证明，只能用受助前的走势检验。",
        "en": "the key assumption: without the subsidy, subsidised and comparison firms would have moved alike. It cannot be proved, only checked on the years before payment."},
    "report.glossary.proportional.name": {"zh": "比例平行趋势", "en": "proportional parallel trends"},
    "report.glossary.proportional.text": {
        "zh": "平行趋势的一种形式：假定若无补贴两组企业按相同的百分比增长，而不是增减相同的金额；企业规模差异大时更合理、更精确。",
        "en": "a form of parallel trends in which the two groups would have grown by the same percentage rather than the same amount; more plausible and more precise when firm sizes differ a lot."},
    "report.glossary.ci.name": {"zh": "置信区间", "en": "confidence interval"},
    "report.glossary.ci.text": {
        "zh": "在给定的可信程度（通常 95%）下，真实效应可能所在的范围；区间越窄，估计越精确；区间包含 0 表示无法排除没有效应。",
        "en": "the range in which the true effect plausibly lies, at a stated confidence (usually 95%); a narrower interval is a more precise estimate, and one containing 0 cannot rule out no effect."},
    "report.glossary.pvalue.name": {"zh": "p 值", "en": "p-value"},
    "report.glossary.pvalue.text": {
        "zh": "若实际上没有效应，仅凭偶然得到至少这么大差异的概率；p 值小于 0.05 通常视为统计上显著。p < 0.001 表示该概率小于千分之一。",
        "en": "the chance of a difference at least this large arising by luck alone if there were no effect; below 0.05 is usually called statistically significant. p < 0.001 means less than one in a thousand."},
    "report.glossary.event_study.name": {"zh": "事件研究", "en": "event study"},
    "report.glossary.event_study.text": {
        "zh": "按距首次受助的年数逐年列出效应：受助前的年份检验平行趋势，受助后的年份显示效应如何随时间变化。",
        "en": "the effect year by year, counted from the first payment: the years before check parallel trends, the years after show how the effect evolves."},
    "report.glossary.uniform_band.name": {"zh": "联合置信带", "en": "simultaneous (uniform) band"},
    "report.glossary.uniform_band.text": {
        "zh": "同时覆盖事件研究所有年份的置信带，比逐年区间宽；判断“整条曲线”时应看它，而不是逐年区间。",
        "en": "a band that covers every year of the event study at once; wider than the year-by-year intervals, and the one to read when judging the whole curve."},
    "report.glossary.pretrend.name": {"zh": "事前趋势检验", "en": "pre-trend test"},
    "report.glossary.pretrend.text": {
        "zh": "检验受助前各年的效应是否都接近零；被拒绝说明两组企业在受助前已走势不同，效应可能有偏。未被拒绝不等于证明了平行趋势。",
        "en": "tests whether the effects in the years before payment are all close to zero; a rejection means the groups already moved differently and the effects may be biased. Not rejecting does not prove parallel trends."},
    "report.glossary.dip.name": {"zh": "阿申费尔特下沉", "en": "Ashenfelter dip"},
    "report.glossary.dip.text": {
        "zh": "企业在申请补贴前业绩暂时下滑、之后自然回升；若不加以区分，会把自然回升误算为补贴的效果。",
        "en": "a temporary fall in performance just before applying, followed by a natural recovery that would otherwise be counted as the subsidy's effect."},
    "report.glossary.honestdid.name": {"zh": "HonestDiD 敏感性分析", "en": "HonestDiD sensitivity analysis"},
    "report.glossary.honestdid.text": {
        "zh": "在平行趋势只近似成立时，给出效应可能的范围（Rambachan 与 Roth 2023）。",
        "en": "gives the range of effects consistent with parallel trends holding only approximately (Rambachan and Roth 2023)."},
    "report.glossary.twfe.name": {"zh": "双向固定效应（TWFE）", "en": "two-way fixed effects (TWFE)"},
    "report.glossary.twfe.text": {
        "zh": "传统的回归做法：控制企业和年份后估计一个平均效应；补贴分批发放且效应随时间变化时可能有偏，本报告仅作比较。",
        "en": "the conventional regression with firm and year effects; it can be biased when payments start in different years and effects change over time, so it is shown only for comparison."},
    "report.glossary.fiscal_return.name": {"zh": "财政回报", "en": "fiscal return"},
    "report.glossary.fiscal_return.text": {
        "zh": "每 1 元补贴带来的新增税收（元）；区级口径只计区级财政留成的部分。大于 1 表示税收超过补贴。",
        "en": "the additional tax per yuan of subsidy; the district view counts only the share the district keeps. Above 1 means the tax exceeds the subsidy."},
    "report.glossary.mvpf.name": {"zh": "公共资金边际价值（MVPF）", "en": "marginal value of public funds (MVPF)"},
    "report.glossary.mvpf.text": {
        "zh": "受助企业获得的价值除以政府的净成本（补贴减去新增税收）；净成本为负时政策自我融资，记为 ∞（Hendren 与 Sprung-Keyser 2020）。",
        "en": "the value to recipients divided by the government's net cost (subsidy minus extra tax); when the net cost is negative the policy pays for itself, shown as ∞ (Hendren and Sprung-Keyser 2020)."},
    "report.glossary.small_sample.name": {"zh": "小样本区间", "en": "small-sample interval"},
    "report.glossary.small_sample.text": {
        "zh": "受助企业很少时采用的更宽、更稳妥的区间（t 分布，自由度按样本调整），避免大样本公式夸大精度。",
        "en": "a wider, safer interval used when there are few subsidised firms (a t distribution with adjusted degrees of freedom), so that the large-sample formula does not overstate precision."},
    "report.glossary.bootstrap.name": {"zh": "乘数自助法", "en": "multiplier bootstrap"},
    "report.glossary.bootstrap.text": {
        "zh": "对每家企业的贡献随机加权、重复计算数百次，以得到区间和联合置信带。",
        "en": "reweights each firm's contribution at random and recomputes hundreds of times to obtain the intervals and the simultaneous band."},
    "report.glossary.disclosure.name": {"zh": "数据保密规则（—*）", "en": "disclosure rule (—*)"},
    "report.glossary.disclosure.text": {
        "zh": "依据过少企业或由单一企业主导的数字不予公布，以 —* 表示，以免推算出个别企业的数据。",
        "en": "numbers resting on too few firms, or dominated by one firm, are not published and show as —*, so that no single firm's data can be worked out."},
    "report.glossary.eb.name": {"zh": "经验贝叶斯收缩", "en": "empirical-Bayes shrinkage"},
    "report.glossary.eb.text": {
        "zh": "把估计不精确的政策的回报向全部政策的平均值拉近，避免因偶然的高估而奖励最不确定的政策。",
        "en": "pulls the return of an imprecisely estimated policy toward the average of all policies, so a lucky high estimate is not rewarded."},
    "report.glossary.rank_set.name": {"zh": "排名置信集", "en": "rank confidence set"},
    "report.glossary.rank_set.text": {
        "zh": "考虑估计误差后，一项政策的真实排名可能落在的名次范围（例如第 2 至第 5 名）；范围重叠的政策无法可靠地区分先后。",
        "en": "the range of places a policy's true rank may take once estimation error is counted (e.g. 2nd to 5th); policies whose ranges overlap cannot be told apart reliably."},
    "report.glossary.scorecard.name": {"zh": "绩效评分", "en": "scorecard"},
    "report.glossary.scorecard.text": {
        "zh": "按决策、过程、产出、效果四个层次的指标打分（满分 100）；部分指标由数据测算，部分由评价人员依据证据填报。",
        "en": "scores on decision, process, output and effect indicators (100 points in all); some indicators are measured from data, others entered by evaluators with their evidence."},
    "report.glossary.grade.name": {"zh": "绩效等级", "en": "grade"},
    "report.glossary.grade.text": {
        "zh": "按总分划分的等级（优、良、中、差），用于预算结果运用。",
        "en": "the band of the total score (优 excellent, 良 good, 中 fair, 差 poor) that budget decisions use."},
    "report.glossary.reallocation.name": {"zh": "预算再分配", "en": "reallocation"},
    "report.glossary.reallocation.text": {
        "zh": "在每项政策预算变动不超过上限的前提下，把资金从回报低的政策移向回报高的政策；总额不变。",
        "en": "moves money from lower- to higher-return policies, each budget changing by no more than the cap; the total stays the same."},
    "report.glossary.eligible.name": {"zh": "符合条件的企业", "en": "eligible firms"},
    "report.glossary.eligible.text": {
        "zh": "按申报条件，用最近一年的企业数据判断可以申请的企业。",
        "en": "the firms that meet the eligibility rule on the latest year of firm data."},
    "report.glossary.take_up.name": {"zh": "申领率", "en": "take-up"},
    "report.glossary.take_up.text": {
        "zh": "符合条件的企业中实际申请并获得补贴的比例；按低、中、高情景测算。",
        "en": "the share of eligible firms that apply and are paid; projected under low, central and high scenarios."},
    "report.glossary.microsim.name": {"zh": "微观模拟", "en": "microsimulation"},
    "report.glossary.microsim.text": {
        "zh": "逐家企业套用申报条件和补贴标准，加总得到资金需求。",
        "en": "applies the eligibility rule and award schedule firm by firm and adds up the cost."},
    "report.glossary.evidence.name": {"zh": "已有评价证据", "en": "evidence from past evaluations"},
    "report.glossary.evidence.text": {
        "zh": "同类已评价政策的效应，按精度加权合并，用来预测新政策可能的效果。",
        "en": "the effects of similar policies already evaluated, pooled with weights by precision, used to project the new policy's likely effect."},
    "report.glossary.mde.name": {"zh": "最小可检测效应", "en": "minimum detectable effect"},
    "report.glossary.mde.text": {
        "zh": "以给定样本量，事后评价有较大把握（统计功效）发现的最小效应；比它小的效应很可能测不出来。",
        "en": "the smallest effect a later evaluation with this many firms would find with good probability (power); smaller effects would likely go unnoticed."},
    "report.glossary.power.name": {"zh": "统计功效", "en": "power"},
    "report.glossary.power.text": {
        "zh": "若效应确实存在，评价能够发现它的概率（通常要求 80%）。",
        "en": "the probability that an evaluation finds an effect that is really there (usually 80% is required)."},
    "report.glossary.execution.name": {"zh": "执行率", "en": "execution rate"},
    "report.glossary.execution.text": {
        "zh": "截至数据日期已拨付金额占年度预算的比例，与按往年拨付节奏应达到的进度比较。",
        "en": "the share of the year's appropriation paid so far, compared with the progress the policy's usual payment calendar implies."},
    "report.glossary.traffic_light.name": {"zh": "红黄绿灯", "en": "red / amber / green"},
    "report.glossary.traffic_light.text": {
        "zh": "偏离预期进度或目标的程度：绿为正常，黄需关注，红需采取措施（措施见表中“处理建议”）。",
        "en": "how far a policy is from its expected progress or target: green on track, amber to watch, red to act on (the table gives the action)."},
    "report.glossary.kpi.name": {"zh": "绩效指标", "en": "performance indicator"},
    "report.glossary.kpi.text": {
        "zh": "政策或全区的目标值及其实际值，按年度和单位列出。",
        "en": "a target of the policy or the district and its actual value, with year and unit."},
    "report.glossary.interim.name": {"zh": "中期估计", "en": "interim estimate"},
    "report.glossary.interim.text": {
        "zh": "政策执行期间、数据尚不完整时的初步效应估计，不是最终评价结论。",
        "en": "a preliminary effect estimated while the policy is running and data are incomplete; not the final evaluation."},
    "report.glossary.anomaly.name": {"zh": "拨付异常", "en": "payment irregularity"},
    "report.glossary.anomaly.text": {
        "zh": "拨付记录中的可疑情况，如超出政策期限、超过单户上限或重复拨付，需要核查。",
        "en": "a questionable entry in the payment records, such as a payment outside the policy's dates, above the per-firm cap or made twice; to be checked."},
    "report.common.amounts_in": {"zh": "{text}（金额单位：{unit}）", "en": "{text} (amounts in {unit})"},
    "report.common.per_yuan": {"zh": "{x} 元", "en": "{x} yuan"},
    "report.common.est_note": {
        "zh": "本报告只呈现结果包中的数字，不重新估计；结果包由 evalkit run 按研究配置文件生成。",
        "en": "This report presents the numbers in its results bundle and does not re-estimate them; the bundle was written by evalkit run from the study file."},
    "report.outcome.per_firm_year": {"zh": "（每家企业每年）", "en": " (per firm and year)"},
    # ex-post
    "report.ex_post.title": {"zh": "政策事后评价报告", "en": "Ex-post policy evaluation report"},
    "report.ex_post.window": {"zh": "评价期 {start}—{end} 年；样本 {n_firms} 家企业，其中受助企业 {n_treated} 家，对照企业 {n_control} 家。",
                              "en": "Evaluation period {start}-{end}; {n_firms} firms, of which {n_treated} subsidised and {n_control} comparison firms."},
    "report.ex_post.headline": {
        "zh": "每 1 元补贴为区级财政带来 {ret} 元税收（{ci}）。",
        "en": "Each yuan of subsidy brought the district {ret} yuan of tax ({ci})."},
    "report.ex_post.verdict.pays": {
        "zh": "区级税收回报超过补贴本身：就区级财政而言，该政策自负盈亏。",
        "en": "The district's tax return exceeds the subsidy: for the district budget the policy pays for itself."},
    "report.ex_post.verdict.partial": {
        "zh": "回报显著为正，但低于补贴成本：区级财政每投入 1 元净支出约 {net} 元。",
        "en": "The return is positive but below the cost: the district's net outlay is about {net} yuan per yuan of subsidy."},
    "report.ex_post.verdict.unclear": {
        "zh": "回报显著为正；在现有精度下无法判断能否收回全部补贴成本。",
        "en": "The return is positive; with the present precision it cannot be told whether it recovers the full cost."},
    "report.ex_post.verdict.none": {
        "zh": "回报与零在统计上无显著差别：没有证据表明补贴提高了区级税收。",
        "en": "The return is not distinguishable from zero: there is no evidence the subsidy raised district tax."},
    "report.ex_post.main_effect": {
        "zh": "受助企业的{outcome}平均提高 {att}（每家企业每年，{ci}，{p}）。",
        "en": "Subsidised firms' {outcome} rose by {att} per firm and year ({ci}, {p})."},
    "report.ex_post.headline_hidden": {
        "zh": "区级财政回报：{why}",
        "en": "The district's fiscal return: {why}"},
    "report.ex_post.main_effect_hidden": {
        "zh": "受助企业{outcome}的平均效应：{why}",
        "en": "The average effect on subsidised firms' {outcome}: {why}"},
    "report.ex_post.decision": {
        "zh": "**绩效等级**：{grade}（{score} 分）；**预算建议**：{action}。",
        "en": "**Grade**: {grade} ({score} points); **budget recommendation**: {action}."},
    "report.ex_post.decision_elsewhere": {
        "zh": "绩效等级与预算建议见本年度政策组合评价报告（与其他政策统一评分、排序）。",
        "en": "The grade and budget recommendation are in this cycle's portfolio report, where all policies are scored and ranked together."},
    "report.ex_post.pretrend_flag": {
        "zh": "注意：事前趋势检验拒绝了平行趋势假设（见下文），上述效应可能有偏。",
        "en": "Caution: the pre-trend test rejects parallel trends (see below); the effects above may be biased."},
    "report.ex_post.design.title": {"zh": "评价设计与样本", "en": "Design and sample"},
    "report.ex_post.design.method": {
        "zh": "采用 Callaway 与 Sant'Anna（2021）的交错双重差分（{est_method}）：按首次获得补贴的年份将受助企业分为批次（队列），每一批次与同期的对照企业比较，再按批次规模加权汇总。",
        "en": "The evaluation uses the staggered difference-in-differences of Callaway and Sant'Anna (2021), {est_method}: subsidised firms are grouped into cohorts by the year of their first payment, each cohort is compared with the comparison firms over the same years, and the cohort effects are averaged with cohort-size weights."},
    "report.ex_post.est_method.dr": {"zh": "双重稳健估计，Sant'Anna 与 Zhao 2020", "en": "doubly robust (Sant'Anna and Zhao 2020)"},
    "report.ex_post.est_method.ipw": {"zh": "逆概率加权估计", "en": "inverse probability weighting"},
    "report.ex_post.est_method.reg": {"zh": "结果回归估计", "en": "outcome regression"},
    "report.ex_post.design.comparison": {
        "zh": "对照企业为{group}。", "en": "Comparison firms are {group}."},
    "report.ex_post.design.excluded": {
        "zh": "因获得其他政策补贴而排除 {n} 家企业。",
        "en": "{n} firms were left out because other policies paid them."},
    "report.ex_post.comparison.never_any.nevertreated": {
        "zh": "从未获得任何政策补贴的企业", "en": "firms never paid by any policy"},
    "report.ex_post.comparison.never_any.notyettreated": {
        "zh": "未获得任何其他政策补贴、且当年尚未获得本政策补贴的企业（含从未获得的企业）",
        "en": "firms paid by no other policy and not yet paid by this one (including firms never paid)"},
    "report.ex_post.comparison.never_policy.nevertreated": {
        "zh": "从未获得本政策补贴的企业（可能获得过其他政策的补贴）",
        "en": "firms never paid by this policy (they may have received other policies' subsidies)"},
    "report.ex_post.comparison.never_policy.notyettreated": {
        "zh": "当年尚未获得本政策补贴的企业（含从未获得的企业，可能获得过其他政策的补贴）",
        "en": "firms not yet paid by this policy (including firms never paid; they may have received other policies' subsidies)"},
    "report.ex_post.subtitle.comparison": {"zh": "对照组：{group}", "en": "Comparison group: {group}"},
    "report.ex_post.design.window": {
        "zh": "评价期为 {start}—{end} 年（{source}）；事件研究覆盖获补前 {pre} 年至获补后 {post} 年。",
        "en": "The evaluation period is {start}-{end} ({source}); the event study covers {pre} years before to {post} years after the first payment."},
    "report.ex_post.window.study": {"zh": "研究配置 design.window 指定", "en": "set by the study's design.window"},
    "report.ex_post.window.data": {"zh": "数据覆盖的全部年份", "en": "all years of the data"},
    "report.ex_post.design.anticipation": {
        "zh": "假定企业在获补前 {k} 年已预期到补贴，比较的基期相应提前。",
        "en": "Firms are assumed to anticipate the award {k} year(s) ahead, and the base period is moved back accordingly."},
    "report.ex_post.design.covariates": {
        "zh": "协变量（取各比较单元基期的值）：{cols}。",
        "en": "Covariates (at each comparison's base period): {cols}."},
    "report.ex_post.design.no_covariates": {
        "zh": "未使用协变量（无条件平行趋势）。", "en": "No covariates (unconditional parallel trends)."},
    "report.ex_post.cov.selection": {"zh": "{col}（获补决定依据）", "en": "{col} (the award criterion)"},
    "report.ex_post.cov.level": {"zh": "各指标自身的基期水平", "en": "each outcome's own base-period level"},
    "report.ex_post.cov.level_by_cluster": {
        "zh": "各指标自身的基期水平与产业集群的交互项及产业集群",
        "en": "each outcome's own base-period level by industry cluster, and the clusters"},
    "report.ex_post.cov.level_of": {"zh": "{outcome}以{col}的基期水平代表", "en": "{outcome} represented by the base-period {col}"},
    "report.ex_post.design.scales": {
        "zh": "各指标的估计尺度：{items}。", "en": "Scale of each outcome: {items}."},
    "report.ex_post.scale.level": {"zh": "水平值（金额）", "en": "levels"},
    "report.ex_post.scale.proportional": {"zh": "比例（比例平行趋势）", "en": "proportional (proportional parallel trends)"},
    "report.ex_post.scale.poisson": {"zh": "泊松准极大似然", "en": "Poisson QMLE"},
    "report.ex_post.design.cluster": {
        "zh": "标准误在{cluster}层面聚类。", "en": "Standard errors are clustered by {cluster}."},
    "report.ex_post.cluster.firm": {"zh": "企业", "en": "firm"},
    "report.ex_post.cluster.area": {"zh": "街道（区域）", "en": "area"},
    "report.ex_post.cluster.industry_section": {"zh": "行业门类", "en": "industry section"},
    "report.ex_post.design.cohorts_ref": {
        "zh": "各批次规模及其对主要指标的平均效应见 @tbl-cohorts。",
        "en": "@tbl-cohorts lists the cohorts and their average effect on the main outcome."},
    "report.ex_post.fiscal.sharing": {
        "zh": "行政成本按补贴的 {admin} 计入；区级财政留成新增税收的 {share}（{source}）。",
        "en": "Administration costs are counted at {admin} of the subsidy; the district keeps {share} of the additional tax ({source})."},
    "report.ex_post.sharing.study": {"zh": "研究配置 fiscal.district_share 指定", "en": "set by the study's fiscal.district_share"},
    "report.ex_post.sharing.default": {
        "zh": "税种构成为增值税 {vat}、企业所得税 {cit}、其他税 {other}，区级分别留成 {d_vat}、{d_cit}、{d_other}",
        "en": "a tax mix of VAT {vat}, corporate income tax {cit} and other taxes {other}, of which the district keeps {d_vat}, {d_cit} and {d_other}"},
    "report.ex_post.tbl.cohorts": {"zh": "受助批次及其对主要指标的平均效应", "en": "Cohorts and their average effect on the main outcome"},
    "report.ex_post.col.cohort": {"zh": "批次（首次受助年份）", "en": "Cohort (first year paid)"},
    "report.ex_post.col.cohort_att": {"zh": "平均效应（{unit}）", "en": "Average effect ({unit})"},
    "report.ex_post.never": {"zh": "对照企业", "en": "Comparison firms"},
    "report.ex_post.effects.title": {"zh": "对企业的效应", "en": "Effects on firms"},
    "report.ex_post.effects.text": {
        "zh": "@tbl-overall 列出各指标的总体平均处理效应（受助后各年的平均值）；@fig-event 给出主要指标逐年的动态效应。",
        "en": "@tbl-overall gives the overall average effect on each outcome (averaged over the years after the first payment); @fig-event shows the effect on the main outcome year by year."},
    "report.ex_post.tbl.overall": {"zh": "各指标的总体平均处理效应（每家企业每年）", "en": "Overall average effect on each outcome (per firm and year)"},
    "report.ex_post.col.outcome": {"zh": "指标", "en": "Outcome"},
    "report.ex_post.col.att": {"zh": "平均效应", "en": "Average effect"},
    "report.ex_post.fig.event": {"zh": "主要指标的动态效应（事件研究）：粗线为逐点 95% 置信区间，细线为一致（同时）95% 置信带", "en": "Dynamic effect on the main outcome (event study): thick bars are pointwise 95% intervals, thin bars the uniform (simultaneous) 95% band"},
    "report.ex_post.axis.event": {"zh": "距首次受助的年数", "en": "Years since first payment"},
    "report.ex_post.axis.effect": {"zh": "{outcome}效应（{unit}）", "en": "Effect on {outcome} ({unit})"},
    "report.ex_post.axis.effect_count": {"zh": "{outcome}效应", "en": "Effect on {outcome}"},
    "report.ex_post.legend.pre": {"zh": "受助前", "en": "Before payment"},
    "report.ex_post.legend.post": {"zh": "受助后", "en": "After payment"},
    "report.ex_post.event_note": {
        "zh": "受助前（e < 0）的估计应接近零：它们检验的是受助企业与对照企业在受助前是否走势相同。",
        "en": "The estimates before payment (e < 0) should be close to zero: they check whether subsidised and comparison firms moved alike before the subsidy."},
    "report.ex_post.pretrend.title": {"zh": "平行趋势检验", "en": "Parallel-trends test"},
    "report.ex_post.pretrend.pass": {
        "zh": "受助前各期效应的联合检验未拒绝平行趋势（χ²({df}) = {stat}，{p}）。这不能证明趋势平行：以本样本的精度，检验能以 80% 的概率发现每年 {slope} 的线性趋势差异，更小的差异可能未被发现。",
        "en": "The joint test of the pre-payment effects does not reject parallel trends (χ²({df}) = {stat}, {p}). This does not prove the trends are parallel: with this sample's precision the test detects a linear trend difference of {slope} a year with 80% probability, and smaller ones may go unnoticed."},
    "report.ex_post.pretrend.fail_title": {"zh": "事前趋势检验拒绝平行趋势", "en": "The pre-trend test rejects parallel trends"},
    "report.ex_post.pretrend.fail": {
        "zh": "受助前各期效应联合显著（χ²({df}) = {stat}，{p}）：受助企业在获得补贴之前的走势已与对照企业不同，例如申请补贴前业绩暂时下滑（Ashenfelter 下沉）。此时受助后的差异不能全部归因于补贴，本报告的效应与财政回报可能有偏，应结合敏感性分析（如 HonestDiD）审慎使用。",
        "en": "The pre-payment effects are jointly significant (χ²({df}) = {stat}, {p}): subsidised firms were already moving differently from comparison firms before the subsidy, for example a temporary dip in performance just before applying (an Ashenfelter dip). The difference after payment cannot then be attributed wholly to the subsidy; the effects and fiscal returns in this report may be biased and should be used with a sensitivity analysis (e.g. HonestDiD)."},
    "report.ex_post.pretrend.none": {
        "zh": "样本中没有受助前的期数，无法进行平行趋势检验。",
        "en": "The sample has no periods before payment, so parallel trends cannot be tested."},
    "report.ex_post.twfe.title": {"zh": "与传统双向固定效应估计的比较", "en": "Comparison with the two-way fixed-effects estimate"},
    "report.ex_post.twfe.text": {
        "zh": "传统双向固定效应（TWFE）回归在补贴分批次发放、效应随时间变化时会用已受助企业作对照，可能得出有偏甚至符号相反的结果（Goodman-Bacon 2021）。@tbl-twfe 将其与本报告采用的估计比较；两者差异大时，以本报告的估计为准。",
        "en": "A conventional two-way fixed-effects (TWFE) regression uses already-subsidised firms as comparisons when payments start in different years and effects change over time, which can bias it or even flip its sign (Goodman-Bacon 2021). @tbl-twfe compares it with the estimate used in this report; where they differ, the latter is the one to use."},
    "report.ex_post.tbl.twfe": {"zh": "交错双重差分与 TWFE 估计的比较（每家企业每年）", "en": "Staggered DiD and TWFE estimates compared (per firm and year)"},
    "report.ex_post.col.cs": {"zh": "交错双重差分", "en": "Staggered DiD"},
    "report.ex_post.col.twfe": {"zh": "TWFE", "en": "TWFE"},
    "report.ex_post.col.diff": {"zh": "差异", "en": "Difference"},
    "report.ex_post.fiscal.title": {"zh": "财政绩效", "en": "Fiscal performance"},
    "report.ex_post.fiscal.text": {
        "zh": "补贴成本为 {cost}（{n} 家受助企业，名义拨付 {nominal}，按 {rate} 折现至 {base} 年）。@tbl-fiscal 列出各项财政指标及其 95% 置信区间。",
        "en": "The subsidy cost {cost} ({n} recipients; {nominal} paid, discounted at {rate} to {base}). @tbl-fiscal lists the fiscal metrics with their 95% confidence intervals."},
    "report.common.study_note": {"zh": "关于本数据", "en": "About this data"},
    "report.ex_post.fiscal.none": {
        "zh": "本评价未包含纳税指标，未计算财政回报。",
        "en": "The evaluation has no tax outcome, so no fiscal return was computed."},
    "report.ex_post.tbl.fiscal": {"zh": "财政绩效指标", "en": "Fiscal metrics"},
    "report.ex_post.col.metric": {"zh": "指标", "en": "Metric"},
    "report.ex_post.mvpf.text": {
        "zh": "公共资金边际价值（MVPF）为受助企业获得的价值与财政净成本之比（Hendren 与 Sprung-Keyser 2020）。",
        "en": "The marginal value of public funds (MVPF) is the value to recipients divided by the net cost to the budget (Hendren and Sprung-Keyser 2020)."},
    "report.ex_post.mvpf.pays": {
        "zh": "按{view}口径，增加的税收超过补贴，财政净成本为负：政策自我融资（MVPF = ∞）。",
        "en": "Counting {view} tax, the extra tax exceeds the subsidy and the net cost is negative: the policy pays for itself (MVPF = ∞)."},
    "report.ex_post.mvpf.finite": {
        "zh": "按{view}口径，MVPF 为 {value}（{ci}）。",
        "en": "Counting {view} tax, the MVPF is {value} ({ci})."},
    "report.ex_post.view.district": {"zh": "区级", "en": "district"},
    "report.ex_post.view.city": {"zh": "区级加市级", "en": "district and city"},
    "report.ex_post.view.total": {"zh": "全口径", "en": "all"},
    "report.ex_post.flags": {"zh": "说明：{text}", "en": "Note: {text}"},
    "report.ex_post.flag.cost_per_job": {
        "zh": "就业效应的置信区间包含 0，每个就业岗位的成本无上界，其区间不可靠。",
        "en": "The jobs effect's interval includes 0, so the cost per job is unbounded and its interval unreliable."},
    "report.ex_post.note_covariates": {
        "zh": "技术说明（{outcome}）：{note}。",
        "en": "Technical note ({outcome}): {note}."},
    "report.ex_post.design.level": {
        "zh": "估计方法：{outcome}的效应按金额（水平值）估计，假定若无补贴，受资助企业与对照企业的{outcome}每年增减的金额相同（水平平行趋势）。大企业的波动在金额上占主导，因此该估计的区间较宽。",
        "en": "Method: the effect on {outcome} is estimated in levels, assuming that without the subsidy the supported and comparison firms' {outcome} would have changed by the same amount (parallel trends in levels). Large firms' swings dominate amounts, so the interval is wide."},
    "report.ex_post.design.proportional": {
        "zh": "估计方法：{outcome}的效应按比例估计，假定若无补贴，受资助企业与对照企业的{outcome}会以相同的百分比增长（比例平行趋势）；每家企业权重相同，再按受资助企业的实际金额换算为金额效应。企业规模差异很大时，这比按金额估计精确得多。",
        "en": "Method: the effect on {outcome} is estimated as a proportion, assuming that without the subsidy the supported and comparison firms' {outcome} would have grown by the same percentage (proportional parallel trends); every firm counts equally, and the percentage is turned back into an amount through the supported firms' actual levels. With firms of very different sizes this is much more precise than estimating in amounts."},
    "report.ex_post.design.dip": {
        "zh": "识别检验：获补前一年，受资助企业的{outcome}相对对照企业明显下降（事件时间 −1 的估计为 {est}，{p}；阿申费尔特下沉）。补贴后的回升可能部分是本会自然出现的恢复，因此组合评价不对本政策排名、不增加其预算，建议重新评估。",
        "en": "Identification check: in the year before the award the supported firms' {outcome} fell markedly relative to the comparison firms (event time −1: {est}, {p}; an Ashenfelter dip). Part of the later rise may be a recovery that would have happened anyway, so the portfolio review neither ranks this policy nor raises its budget, and recommends re-evaluating it."},
    "report.ex_post.design.no_dip": {
        "zh": "识别检验：获补前一年未见受资助企业的{outcome}相对对照企业明显下降（无阿申费尔特下沉）。",
        "en": "Identification check: no marked fall of the supported firms' {outcome} relative to the comparison firms in the year before the award (no Ashenfelter dip)."},
    "report.ex_post.design.poisson": {
        "zh": "估计方法：{outcome}的效应用泊松准极大似然扩展双向固定效应模型估计（Wooldridge 2023），假定若无补贴，受资助企业与对照企业的{outcome}均值会以相同的百分比变化；允许取值为零，效应按受资助企业的平均边际效应换算为金额。",
        "en": "Method: the effect on {outcome} is estimated with the Poisson quasi-maximum-likelihood extended two-way fixed-effects model (Wooldridge 2023), assuming that without the subsidy the supported and comparison firms' mean {outcome} would have changed by the same percentage; zeros are allowed, and the effect is turned into an amount as the average partial effect on the supported firms."},
    "report.ex_post.design.inference": {
        "zh": "区间为 {level}% 置信区间，由企业层面的影响函数计算{boot}。",
        "en": "Intervals are {level}% confidence intervals from firm-level influence functions{boot}."},
    "report.ex_post.design.selection": {
        "zh": "补贴是按获补前一年的{cols}决定的，这些指标的暂时波动在获补后会自然回落或回升；因此比较只在获补前一年这些指标相近的企业之间进行（以其为协变量）。",
        "en": "Awards were decided on the year-before-award {cols}, whose temporary swings revert afterwards; so the comparison is made only among firms that looked alike on them in that year (they are covariates)."},
    "report.ex_post.design.balance_ok": {
        "zh": "识别检验：在获补前一年上述指标相同的企业中，受资助企业此前一年{outcome}的变化与对照企业无明显差别（{p}），与“补贴只按这些指标发放”的假定相符。",
        "en": "Identification check: among firms alike on those columns in the year before the award, the supported firms' change in {outcome} into that year does not differ markedly from the comparison firms' ({p}), as the assumption that awards followed only those columns implies."},
    "report.ex_post.design.balance_fail": {
        "zh": "识别检验：即使在获补前一年上述指标相同的企业中，受资助企业此前一年{outcome}的变化也与对照企业明显不同（{p}）：补贴还取决于这些指标以外的历史，估计的效应可能包含本会自然出现的回归，因此组合评价不对本政策排名、不增加其预算，建议重新评估。",
        "en": "Identification check: even among firms alike on those columns in the year before the award, the supported firms' change in {outcome} into that year differs markedly from the comparison firms' ({p}): awards followed history beyond those columns, and the effect may count a reversion that would have happened anyway, so the portfolio review neither ranks this policy nor raises its budget, and recommends re-evaluating it."},
    "report.ex_post.design.balance_shift": {
        "zh": "识别检验：在获补前一年上述指标相同的企业中，受资助企业此前一年{outcome}的变化与对照企业不同（{p}），但这些指标本身此前的变化并无差别：补贴并非追随这些指标的暂时波动，{outcome}的变化来自补贴决定之外的持久变动（例如高新技术企业认定后所得税率降低），以获补前一年为基期的比较已将其扣除，因此不作为识别失败处理。",
        "en": "Identification check: among firms alike on those columns in the year before the award, the supported firms' change in {outcome} into that year differs from the comparison firms' ({p}), but the columns' own earlier change does not: the awards did not follow a temporary swing in them, and the change in {outcome} is a lasting shift from outside the award decision (such as the lower income-tax rate that comes with high-tech certification), which the comparison from the year before the award removes; so it is not treated as a failed identification."},
    "report.ex_post.design.small_sample": {
        "zh": "受资助企业只有 {n} 家（少于 {threshold} 家），财政指标的区间采用小样本 t 区间（{method}，自由度约 {df}），比大样本区间更宽。",
        "en": "With only {n} supported firms (fewer than {threshold}), the fiscal metrics' intervals are small-sample t intervals ({method}, about {df} degrees of freedom), wider than the large-sample ones."},
    "report.ex_post.design.boot": {
        "zh": "（乘数自助法 {draws} 次）",
        "en": " (multiplier bootstrap, {draws} draws)"},
    "report.portfolio.proposal.criterion": {
        "zh": "预算方案：按各政策财政回报的经验贝叶斯后验均值排序（估计越不精确，越向全部政策的平均值收缩，避免奖励最不确定的估计），在每项政策 ±{cap} 的范围内把资金从回报最低的政策移向最高的政策。识别检验未通过的政策（补贴还取决于选择协变量以外的历史，或获补前一年结果明显下降，即阿申费尔特下沉；按金额估计时还包括处理前趋势检验未通过）不参与排名，在重新评估前维持现有预算（既不按其估计值增加，也不按其削减）。{grades}建议表中的预算变动即为该方案的变动。",
        "en": "Budget proposal: policies are ordered by the empirical-Bayes posterior mean of their fiscal return (a less precise estimate is pulled further toward the average of all policies, so the most uncertain estimate is not rewarded), and money moves, within ±{cap} of each budget, from the lowest to the highest. A policy that failed its identification check (awards followed history beyond the selection covariates, or its outcome fell markedly in the year before the award, an Ashenfelter dip; on the level scale also a failed pre-trend test) is not ranked and keeps its current budget until it is re-evaluated: neither raised nor cut on its estimate. {grades}The recommendation table's budget changes are this proposal's."},
    "report.portfolio.proposal.grades.poor": {
        "zh": "绩效等级为“差”或财政回报区间整体低于零的政策不增加预算；等级为“中”的政策若证据显示其回报较高，可以增加预算，但仍须按等级整改（其等级主要反映产出数量、执行率等对照自身目标的完成情况，而非财政回报）。",
        "en": "A policy graded 差, or whose return interval lies below zero, gets no increase; a policy graded 中 may be raised where the evidence puts its return high, and is still to be improved as its grade says (the grade mostly reflects delivery against its own targets, such as output quantity and execution, not its return). "},
    "report.portfolio.proposal.grades.fair": {
        "zh": "绩效等级为“中”“差”的政策不增加预算。",
        "en": "A policy graded 中 or 差 gets no increase. "},
    "report.portfolio.proposal.grades.none": {
        "zh": "绩效等级不限制预算增加（仅作为整改依据）。",
        "en": "Grades do not limit increases (they direct improvement only). "},
    "report.ex_post.note.singular": {
        "zh": "按产业集群区分的基期水平协变量在部分批次中共线，改用统一的基期水平作为协变量",
        "en": "the base-period level by cluster was collinear in some cohorts, so the pooled base-period level was used as the covariate"},
    "report.metric.fiscal_return_total": {"zh": "每元补贴带来的税收（全口径，元）", "en": "Tax per yuan of subsidy, all levels (yuan)"},
    "report.metric.fiscal_return_city": {"zh": "每元补贴带来的税收（区级加市级，元）", "en": "Tax per yuan of subsidy, district and city (yuan)"},
    "report.metric.fiscal_return_district": {"zh": "每元补贴带来的区级税收（元）", "en": "District tax per yuan of subsidy (yuan)"},
    "report.metric.revenue_per_yuan": {"zh": "每元补贴带来的营业收入（元）", "en": "Revenue per yuan of subsidy (yuan)"},
    "report.metric.rd_additionality": {"zh": "研发投入撬动率（每元补贴新增研发投入，元）", "en": "R&D additionality (extra R&D yuan per yuan of subsidy)"},
    "report.metric.cost_per_job": {"zh": "每个新增就业岗位的补贴成本", "en": "Subsidy cost per additional job"},
    "report.metric.patents_per_million": {"zh": "每百万元补贴新增发明专利（件）", "en": "Extra invention patents per CNY 1 million of subsidy"},
    "report.metric.mvpf_district": {"zh": "MVPF（区级）", "en": "MVPF (district)"},
    "report.metric.mvpf_city": {"zh": "MVPF（区级加市级）", "en": "MVPF (district and city)"},
    "report.metric.mvpf_total": {"zh": "MVPF（全口径）", "en": "MVPF (all levels)"},
    # portfolio
    "report.portfolio.title": {"zh": "政策组合评价报告", "en": "Policy portfolio review"},
    "report.portfolio.cycle": {"zh": "预算年度 {cycle}；参评政策 {n} 项。", "en": "Budget cycle {cycle}; {n} policies reviewed."},
    "report.portfolio.summary.top": {
        "zh": "按{metric}排序，{top} 位列第一（{est}，{ci}），但其排名置信集为第 {lo}—{hi} 位：数据只能确定 {best} 可能是最优的政策，{worst} 可能是最差的。",
        "en": "Ranked by {metric}, {top} comes first ({est}, {ci}), but its rank confidence set is {lo}-{hi}: the data can only say that {best} may be the best policy and {worst} may be the worst."},
    "report.portfolio.summary.actions": {"zh": "预算建议：{actions}。", "en": "Budget recommendations: {actions}."},
    "report.portfolio.summary.action_item": {"zh": "{action} {pids}", "en": "{action} {pids}"},
    "report.portfolio.summary.sep": {"zh": "；", "en": "; "},
    "report.portfolio.summary.realloc": {
        "zh": "在下年度预算总额 {total} 不变的前提下，建议在政策间调整 {moved}（每项政策变动不超过 {cap}），详见 @tbl-realloc。",
        "en": "Keeping next year's total of {total}, the proposal moves {moved} between policies (no policy changes by more than {cap}); see @tbl-realloc."},
    "report.portfolio.summary.flagged": {
        "zh": "资金量大、活跃度高、需重点评价的政策：{pids}。",
        "en": "Policies with large funds and high activity, singled out for a dedicated evaluation: {pids}."},
    "report.portfolio.summary.no_flag": {"zh": "没有政策同时属于资金量大、活跃度高。", "en": "No policy has both large funds and high activity."},
    "report.portfolio.ranking.title": {"zh": "政策排序", "en": "Ranking"},
    "report.portfolio.ranking.text": {
        "zh": "@fig-ranking 给出各政策的{metric}及其 95% 置信区间（粗线，逐项）与 95% 联合置信带（细浅线：以 95% 的概率同时覆盖所有政策的真实值，把组合作为整体解读时应以此为准）；右侧为排名置信集（Mogstad、Romano、Shaikh 与 Wilhelm 2024），它以 95% 的概率同时覆盖所有政策的真实排名。置信集越宽，排名越不确定。",
        "en": "@fig-ranking shows each policy's {metric} with its 95% confidence interval (thick, one policy at a time) and the 95% simultaneous band (thin, light: covers the true values of all policies at once with 95% probability, the one to use when the portfolio is read as a whole); on the right is its rank confidence set (Mogstad, Romano, Shaikh and Wilhelm 2024), which covers the true ranks of all policies at once with 95% probability. The wider the set, the less certain the rank."},
    "report.portfolio.fig.ranking": {"zh": "各政策的财政回报及排名置信集", "en": "Policies' fiscal returns and rank confidence sets"},
    "report.portfolio.axis.rank_set": {"zh": "排名 {lo}—{hi}", "en": "rank {lo}-{hi}"},
    "report.portfolio.legend.grade": {"zh": "绩效等级", "en": "Grade"},
    "report.portfolio.scorecards.title": {"zh": "绩效评分", "en": "Scorecards"},
    "report.portfolio.scorecards.text": {
        "zh": "按财政部项目支出绩效评价指标体系（决策、过程、产出、效益，满分 100 分）评分，90 分及以上为优、80—90 分为良、60—80 分为中、60 分以下为差（@tbl-scorecards）。@fig-scoreheat 给出各项指标的得分率。",
        "en": "Scored on the Ministry of Finance's project-expenditure framework (decision, process, output and effect; 100 points): 90 and above is excellent (优), 80-90 good (良), 60-80 fair (中) and below 60 poor (差) (@tbl-scorecards). @fig-scoreheat shows the share of each indicator's points earned."},
    "report.portfolio.tbl.scorecards": {"zh": "绩效评分（分项得分/满分）", "en": "Scorecards (points earned / available)"},
    "report.portfolio.col.decision": {"zh": "决策", "en": "Decision"},
    "report.portfolio.col.indicator": {"zh": "指标", "en": "Indicator"},
    "report.portfolio.col.level": {"zh": "层次", "en": "Level"},
    "report.portfolio.col.weight": {"zh": "分值", "en": "Points"},
    "report.portfolio.col.origin": {"zh": "数据来源", "en": "Where the value comes from"},
    "report.portfolio.tbl.origins": {"zh": "评分指标：由数据测算或由评价人员填报", "en": "Scorecard indicators: measured from data or entered by evaluators"},
    "report.portfolio.origin.measured": {"zh": "数据测算（{source}）", "en": "measured ({source})"},
    "report.portfolio.origin.entered": {"zh": "评价人员填报", "en": "entered by evaluators"},
    "report.portfolio.origin.mixed": {"zh": "数据测算（{source}）；{pids} 为评价人员填报", "en": "measured ({source}); entered by evaluators for {pids}"},
    "report.portfolio.origin.points": {
        "zh": "满分 {total} 分中，{measured} 分的指标由数据测算，{entered} 分的指标由评价人员依据证据填报（见 @tbl-origins）；填报的分数反映评价人员的判断，不是数据的测量结果。",
        "en": "Of the {total} points, indicators worth {measured} are measured from data and indicators worth {entered} are entered by evaluators with their evidence (@tbl-origins); entered scores are the evaluators' judgement, not measurements."},
    "report.portfolio.origin.evidence": {"zh": "评价人员填报指标的依据：", "en": "The evidence evaluators gave for the entered indicators:"},
    "report.portfolio.origin.no_evidence": {"zh": "（未提供依据）", "en": "(no evidence given)"},
    "report.portfolio.source.ledger": {"zh": "拨付台账与预算", "en": "payment ledger and budgets"},
    "report.portfolio.source.causal": {"zh": "事后评价的因果估计", "en": "ex-post causal estimate"},
    "report.portfolio.source.manual": {"zh": "事后评价结果包", "en": "the ex-post results bundle"},
    "report.portfolio.col.process": {"zh": "过程", "en": "Process"},
    "report.portfolio.col.output": {"zh": "产出", "en": "Output"},
    "report.portfolio.col.effect": {"zh": "效益", "en": "Effect"},
    "report.portfolio.col.score": {"zh": "总分", "en": "Score"},
    "report.portfolio.col.grade": {"zh": "等级", "en": "Grade"},
    "report.portfolio.fig.scoreheat": {"zh": "各项指标得分率", "en": "Share of each indicator's points earned"},
    "report.portfolio.recs.title": {"zh": "预算建议", "en": "Recommendations"},
    "report.portfolio.recs.text": {
        "zh": "建议依据财政部绩效评价结果应用规则：优、良维持或扩大，中调整完善，差压减或暂停（@tbl-recs）。",
        "en": "The recommendations follow the Ministry of Finance's rules for using evaluation results: excellent and good are maintained or expanded, fair revised, poor reduced or suspended (@tbl-recs)."},
    "report.portfolio.tbl.recs": {"zh": "预算建议及理由", "en": "Recommendations and their rationale"},
    "report.portfolio.col.id": {"zh": "编号", "en": "ID"},
    "report.portfolio.col.action": {"zh": "建议", "en": "Recommendation"},
    "report.portfolio.col.change": {"zh": "预算变动", "en": "Budget change"},
    "report.portfolio.col.rationale": {"zh": "理由", "en": "Rationale"},
    "report.portfolio.rationale": {
        "zh": "{grade}（{score} 分）；回报 {est}（{ci}）；排名第 {rank} 位，置信集 {lo}—{hi}{flags}",
        "en": "{grade} ({score} points); return {est} ({ci}); rank {rank}, set {lo}-{hi}{flags}"},
    "report.portfolio.flag.best": {"zh": "；可能最优", "en": "; plausibly best"},
    "report.portfolio.rationale.unranked": {
        "zh": "{grade}（{score} 分）；回报 {est}（{ci}）；识别检验未通过，不参与排名，需重新评估{flags}",
        "en": "{grade} ({score} points); return {est} ({ci}); identification check failed: not ranked, re-evaluate{flags}"},
    "report.portfolio.axis.unranked": {"zh": "未排名（识别未通过）", "en": "not ranked (not identified)"},
    "report.portfolio.flag.worst": {"zh": "；可能最差", "en": "; plausibly worst"},
    "report.portfolio.realloc.title": {"zh": "预算再分配方案", "en": "Reallocation"},
    "report.portfolio.realloc.text": {
        "zh": "在总额不变、每项政策变动不超过 {cap} 的约束下，使预期{metric}合计最大（线性规划）。这是测算参考，不替代预算审议。",
        "en": "Within an unchanged total and a change of at most {cap} per policy, the proposal maximises the expected total {metric} (a linear programme). It is a reference for the budget discussion, not a substitute for it."},
    "report.portfolio.tbl.realloc": {"zh": "下年度预算再分配方案", "en": "Proposed budget reallocation for next year"},
    "report.portfolio.col.current": {"zh": "本年预算（{unit}）", "en": "This year ({unit})"},
    "report.portfolio.col.proposed": {"zh": "建议预算（{unit}）", "en": "Proposed ({unit})"},
    "report.portfolio.col.delta": {"zh": "变动（{unit}）", "en": "Change ({unit})"},
    "report.portfolio.col.delta_share": {"zh": "变动比例", "en": "Change (%)"},
    "report.portfolio.total": {"zh": "合计", "en": "Total"},
    "report.portfolio.class.title": {"zh": "政策分类", "en": "Classification"},
    "report.portfolio.class.text": {
        "zh": "按五型经济目标和主要受益产业集群分类；资金量与受助企业数均居前四分之一的政策标记为资金量大、活跃度高，需开展专项评价（@tbl-class）。",
        "en": "Policies are classified by their five-type-economy objective and the industry cluster receiving most of the money; those in the top quarter of both spending and number of recipients are flagged large fund, high activity for a dedicated evaluation (@tbl-class)."},
    "report.portfolio.tbl.class": {"zh": "政策分类与资金活跃度", "en": "Classification, spending and activity"},
    "report.portfolio.col.objective": {"zh": "目标类别", "en": "Objective"},
    "report.portfolio.col.cluster": {"zh": "主要产业集群（资金占比）", "en": "Main cluster (share of money)"},
    "report.portfolio.col.spend": {"zh": "拨付金额（{unit}）", "en": "Disbursed ({unit})"},
    "report.portfolio.col.recipients": {"zh": "受助企业数", "en": "Recipients"},
    "report.portfolio.col.flag": {"zh": "资金量大、活跃度高", "en": "Large fund, high activity"},
    "report.portfolio.review.title": {"zh": "审核状态", "en": "Review status"},
    "report.portfolio.review.none": {
        "zh": "财政局尚未审核本年度的建议（审核记录中没有 {cycle} 年度的条目）。",
        "en": "The finance bureau has not yet reviewed this cycle's recommendations (the review log has no entry for {cycle})."},
    "report.portfolio.review.no_store": {
        "zh": "尚未审核：结果包未记录审核记录所在的数据仓库。",
        "en": "Not yet reviewed: the bundle does not record the warehouse holding the review log."},
    "report.portfolio.review.text": {
        "zh": "审核记录（哈希链{chain}）中本年度共有 {n} 条决定：",
        "en": "The review log (hash chain {chain}) holds {n} decisions for this cycle:"},
    "report.portfolio.review.intact": {"zh": "完整", "en": "intact"},
    "report.portfolio.review.broken": {"zh": "在第 {seq} 条处被改动", "en": "altered at entry {seq}"},
    "report.portfolio.review.unanchored_broken": {
        "zh": "与其锚点不符（记录被删除或改写）",
        "en": "not matching its anchors (entries deleted or rewritten)"},
    "report.portfolio.review.head": {
        "zh": "审核记录链头哈希为 `{head}`（可用 `evalkit review verify --head` 核对）。",
        "en": "The head of the review log is `{head}` (check it with `evalkit review verify "
              "--head`)."},
    "report.portfolio.tbl.review": {"zh": "财政局审核决定", "en": "The finance bureau's decisions"},
    "report.portfolio.col.decision_taken": {"zh": "决定", "en": "Decision"},
    "report.portfolio.col.reviewer": {"zh": "审核人", "en": "Reviewer"},
    "report.portfolio.col.date": {"zh": "时间", "en": "Date"},
    "report.portfolio.col.comment": {"zh": "意见", "en": "Comment"},
    "report.portfolio.pending": {"zh": "待审核 {n} 条：{ids}。", "en": "{n} awaiting review: {ids}."},
    "report.value.action.expand": {"zh": "扩大", "en": "expand"},
    "report.value.action.maintain": {"zh": "维持", "en": "maintain"},
    "report.value.action.revise": {"zh": "调整完善", "en": "revise"},
    "report.value.action.reduce": {"zh": "压减", "en": "reduce"},
    "report.value.action.suspend": {"zh": "暂停", "en": "suspend"},
    "report.value.decision.accept": {"zh": "采纳", "en": "accepted"},
    "report.value.decision.modify": {"zh": "修改后采纳", "en": "modified"},
    "report.value.decision.reject": {"zh": "不采纳", "en": "rejected"},
    "report.value.grade.优": {"zh": "优", "en": "excellent (优)"},
    "report.value.grade.良": {"zh": "良", "en": "good (良)"},
    "report.value.grade.中": {"zh": "中", "en": "fair (中)"},
    "report.value.grade.差": {"zh": "差", "en": "poor (差)"},
    "report.value.objective.innovation": {"zh": "创新型", "en": "innovation"},
    "report.value.objective.service": {"zh": "服务型", "en": "service"},
    "report.value.objective.headquarters": {"zh": "总部型", "en": "headquarters"},
    "report.value.objective.open": {"zh": "开放型", "en": "open"},
    "report.value.objective.flow": {"zh": "流量型", "en": "flow"},
    "report.value.instrument.grant": {"zh": "资助", "en": "grant"},
    "report.value.instrument.award": {"zh": "奖励", "en": "award"},
    "report.value.instrument.voucher": {"zh": "服务券", "en": "voucher"},
    "report.value.instrument.rent_subsidy": {"zh": "租金补贴", "en": "rent subsidy"},
    "report.value.instrument.talent_subsidy": {"zh": "人才补贴", "en": "talent subsidy"},
    "report.value.cluster.ai": {"zh": "人工智能", "en": "artificial intelligence"},
    "report.value.cluster.life_health": {"zh": "生命健康", "en": "life and health"},
    "report.value.cluster.culture_creative": {"zh": "文化创意", "en": "culture and creative"},
    "report.value.cluster.modern_finance": {"zh": "现代金融", "en": "modern finance"},
    "report.value.cluster.information_services": {"zh": "信息服务", "en": "information services"},
    "report.value.cluster.professional_services": {"zh": "专业服务", "en": "professional services"},
    "report.value.cluster.rd_services": {"zh": "研发服务", "en": "R&D services"},
    "report.value.cluster.intelligent_manufacturing": {"zh": "智能制造", "en": "intelligent manufacturing"},
    "report.value.cluster.other": {"zh": "其他", "en": "other"},
})

# Ex-ante and monitoring reports (reports/ex_ante.qmd, monitor.qmd).
STRINGS.update({
    "report.ex_ante.title": {"zh": "政策事前绩效评估报告", "en": "Ex-ante policy appraisal report"},
    "report.ex_ante.conclusion": {"zh": "**评估结论：{conclusion}**（评分 {score} 分）。", "en": "**Conclusion: {conclusion}** (score {score} points)."},
    "report.ex_ante.summary": {
        "zh": "按申报的资格条件，{eligible} 家企业符合条件（占 {share}）。中情景（申领率 {take_up}）下年度资金需求 {cost}（{ci}），年度预算 {budget}，{covers}。",
        "en": "Under the proposed eligibility rule {eligible} firms qualify ({share} of all firms). At the central take-up of {take_up} the annual cost is {cost} ({ci}) against a budget of {budget}; {covers}."},
    "report.ex_ante.covers.yes": {"zh": "预算足以覆盖", "en": "the budget covers it"},
    "report.ex_ante.covers.no": {"zh": "预算不足以覆盖", "en": "the budget does not cover it"},
    "report.ex_ante.evidence": {
        "zh": "同类政策（{policies}）事后评价的合并效应为每家企业每年 {effect}（{ci}）。",
        "en": "Ex-post evaluations of similar policies ({policies}) give a pooled effect of {effect} per firm and year ({ci})."},
    "report.ex_ante.no_evidence": {"zh": "没有可比的同类政策事后评价证据。", "en": "No ex-post evidence from similar policies is available."},
    "report.ex_ante.mde": {
        "zh": "可评估性：按{design}设计，事后评价能以 80% 的把握发现的最小效应为每家企业每年 {mde}。",
        "en": "Evaluability: with the {design} design, the ex-post evaluation would detect an effect of {mde} per firm and year with 80% power."},
    "report.ex_ante.cost.title": {"zh": "资金需求测算", "en": "Cost"},
    "report.ex_ante.cost.text": {
        "zh": "@tbl-cost 按低、中、高三种申领率情景测算各年度资金需求：符合条件企业数乘以申领率与奖补标准（受单户上限约束），与年度预算对照。",
        "en": "@tbl-cost gives the annual cost under low, central and high take-up: eligible firms times take-up times the award (within the per-firm cap), against the annual budget."},
    "report.ex_ante.eligible.text": {
        "zh": "@tbl-eligible 按国家统计局企业规模划分列出符合资格规则的企业及全部申领时的奖补总额。",
        "en": "@tbl-eligible lists the firms that meet the eligibility rule by NBS size class, with the awards if all of them applied."},
    "report.ex_ante.checklist.text": {
        "zh": "@tbl-checklist 逐项列出事前评估要点的得分及依据。",
        "en": "@tbl-checklist scores each point of the appraisal checklist and gives its basis."},
    "report.ex_ante.power.text": {
        "zh": "@fig-power 给出事后评价在不同真实效应下的检验功效；功效达到研究设定水平（默认 80%）时的效应即最小可检测效应。",
        "en": "@fig-power shows the power of the ex-post evaluation against the true effect; the effect at the study's required power (80% by default) is the minimum detectable effect."},
    "report.ex_ante.tbl.cost": {"zh": "不同申领率情景下的年度资金需求", "en": "Annual cost under take-up scenarios"},
    "report.ex_ante.col.scenario": {"zh": "情景", "en": "Scenario"},
    "report.ex_ante.col.cost": {"zh": "资金需求（{unit}）", "en": "Cost ({unit})"},
    "report.ex_ante.scenario.low": {"zh": "低", "en": "low"},
    "report.ex_ante.scenario.central": {"zh": "中", "en": "central"},
    "report.ex_ante.scenario.high": {"zh": "高", "en": "high"},
    "report.ex_ante.eligible.title": {"zh": "符合条件的企业", "en": "Eligible firms"},
    "report.ex_ante.tbl.eligible": {"zh": "按规模划分的符合条件企业", "en": "Eligible firms by size class"},
    "report.ex_ante.col.group": {"zh": "企业规模", "en": "Size class"},
    "report.ex_ante.col.eligible": {"zh": "符合条件企业", "en": "Eligible"},
    "report.ex_ante.col.share": {"zh": "占比", "en": "Share"},
    "report.ex_ante.col.award": {"zh": "最高奖补总额（{unit}）", "en": "Awards at full take-up ({unit})"},
    "report.ex_ante.checklist.title": {"zh": "评估要点", "en": "Appraisal checklist"},
    "report.ex_ante.tbl.checklist": {"zh": "事前评估要点得分", "en": "Appraisal checklist scores"},
    "report.ex_ante.col.dimension": {"zh": "评估维度", "en": "Dimension"},
    "report.ex_ante.col.points": {"zh": "得分/满分", "en": "Points"},
    "report.ex_ante.col.basis": {"zh": "依据", "en": "Basis"},
    "report.ex_ante.power.title": {"zh": "可评估性", "en": "Evaluability"},
    "report.ex_ante.fig.power": {"zh": "事后评价的检验功效（按真实效应大小）", "en": "Power of the ex-post evaluation by true effect size"},
    "report.ex_ante.axis.effect": {"zh": "每家企业每年的真实效应（{unit}）", "en": "True effect per firm and year ({unit})"},
    "report.ex_ante.axis.power": {"zh": "检验功效", "en": "Power"},
    "report.ex_ante.design.all_at_once": {"zh": "一次性实施", "en": "all at once"},
    "report.ex_ante.design.phased_by_area": {"zh": "分片区分批实施", "en": "phased by area"},
    "report.value.size_class.large": {"zh": "大型", "en": "large"},
    "report.value.size_class.medium": {"zh": "中型", "en": "medium"},
    "report.value.size_class.small": {"zh": "小型", "en": "small"},
    "report.value.size_class.micro": {"zh": "微型", "en": "micro"},
    "report.value.status.green": {"zh": "绿", "en": "green"},
    "report.value.status.amber": {"zh": "黄", "en": "amber"},
    "report.value.status.red": {"zh": "红", "en": "red"},
    # KPI indicators of the district's target table (kpi_targets.indicator); other keys are shown as they are
    "report.monitor.title": {"zh": "政策执行监控报告", "en": "Policy monitoring report"},
    "report.monitor.summary": {
        "zh": "{year} 年执行情况（数据截至 {as_of}，全年已过 {elapsed}）：{n} 项政策中红灯 {red} 项、黄灯 {amber} 项、绿灯 {green} 项。",
        "en": "Execution in {year} (data up to {as_of}, {elapsed} of the year elapsed): of {n} policies, {red} are red, {amber} amber and {green} green."},
    "report.monitor.red": {"zh": "预算执行红灯：{pids}，处理建议见预算执行表。", "en": "Red on budget execution: {pids}; the budget execution table gives the action for each."},
    "report.monitor.anomalies": {"zh": "资金台账核查发现 {n} 项疑点（{checks}），见 @tbl-anomalies。", "en": "Checks of the payment ledger found {n} irregularities ({checks}); see @tbl-anomalies."},
    "report.monitor.exec.title": {"zh": "预算执行", "en": "Budget execution"},
    "report.monitor.exec.text": {
        "zh": "执行率与各政策自身的拨付节奏比较：按其最近三个有拨付年份中截至同一日期已拨付的比例（没有往年拨付记录的政策按时间进度）。落后于该进度 {amber} 以上为黄灯（督促加快支出进度），{red} 以上为红灯（调减预算或收回闲置资金）；拨付超过年度预算为红灯（停止超预算拨付并核查）（@tbl-exec）。@fig-burnup 对比各政策累计拨付与其拨付节奏。",
        "en": "Execution is compared with each policy's own disbursement calendar: the share of its payments made by the same date in its last three years with payments (time progress for a policy without such history). More than {amber} behind that is amber (urge faster disbursement), more than {red} red (reduce the appropriation or recover idle funds); paying more than the appropriation is red (stop payments above the appropriation and review) (@tbl-exec). @fig-burnup compares cumulative payments with each policy's calendar."},
    "report.monitor.tbl.exec": {"zh": "各政策预算执行情况", "en": "Budget execution by policy"},
    "report.monitor.col.appropriation": {"zh": "年度预算（{unit}）", "en": "Budget ({unit})"},
    "report.monitor.col.disbursed": {"zh": "已拨付（{unit}）", "en": "Paid ({unit})"},
    "report.monitor.col.rate": {"zh": "执行率", "en": "Execution"},
    "report.monitor.col.status": {"zh": "状态", "en": "Status"},
    "report.monitor.col.action": {"zh": "处理建议", "en": "Action"},
    "report.monitor.col.period": {"zh": "状态所属年度", "en": "Status for"},
    "report.monitor.col.unit": {"zh": "单位", "en": "Unit"},
    "report.monitor.col.target_year": {"zh": "目标（目标年份）", "en": "Target (target year)"},
    "report.monitor.fig.burnup": {"zh": "累计拨付进度（实线）与各政策往年拨付节奏（虚线；无往年记录的按月均衡）", "en": "Cumulative payments (solid) against each policy's past disbursement calendar (dashed; an even plan where it has no history)"},
    "report.monitor.axis.month": {"zh": "月份", "en": "Month"},
    "report.monitor.axis.rate": {"zh": "累计执行率", "en": "Cumulative execution"},
    "report.monitor.kpi.title": {"zh": "绩效目标跟踪", "en": "Performance targets"},
    "report.monitor.tbl.kpis": {"zh": "绩效目标完成情况", "en": "Progress against performance targets"},
    "report.monitor.col.indicator": {"zh": "指标", "en": "Indicator"},
    "report.monitor.col.target": {"zh": "目标", "en": "Target"},
    "report.monitor.col.actual": {"zh": "实际", "en": "Actual"},
    "report.monitor.district": {"zh": "全区", "en": "district"},
    "report.monitor.interim.title": {"zh": "中期效应（中期估计）", "en": "Interim effects (INTERIM)"},
    "report.monitor.interim.text": {
        "zh": "**{label}。** @tbl-interim 用截至上一完整年度的数据和截至监控时点的拨付记录，估计各政策对受资助企业的平均效应（拨付后各年的平均，事件研究），并检验拨付前是否已有差异（预趋势检验）。控制变量为基期的结果变量水平（按产业集群分别设定，必要时合并）。中期估计样本小、时期短，只用于及早发现问题；预趋势检验拒绝的政策，其中期估计不可采信，应在事后评价中重点核查。",
        "en": "**{label}.** @tbl-interim estimates each policy's average effect on subsidised firms (the average over the years after payment, from an event study) on the annual data up to the last complete year and the payments up to the monitoring date, and tests for differences before payment (pre-trend test). The comparison conditions on the outcome's base-period level (by industry cluster, pooled where a cluster is too thin). Interim estimates rest on few firms and few years and serve to spot problems early; where the pre-trend test rejects, the interim estimate cannot be trusted and the ex-post evaluation should look into it."},
    "report.monitor.interim.flag": {
        "zh": "中期估计中，{pids} 的预趋势检验拒绝平行趋势（共 {n} 项政策），其中期效应不可采信。",
        "en": "In the interim estimates the pre-trend test rejects parallel trends for {pids} (of {n} policies); their interim effects cannot be trusted."},
    "report.monitor.interim.no_flag": {
        "zh": "中期估计中，{n} 项政策的预趋势检验均未拒绝平行趋势。",
        "en": "In the interim estimates no pre-trend test rejects parallel trends ({n} policies)."},
    "report.monitor.interim.rejects": {"zh": "拒绝（{p}）", "en": "rejects ({p})"},
    "report.monitor.interim.passes": {"zh": "未拒绝（{p}）", "en": "not rejected ({p})"},
    "report.monitor.interim.note": {"zh": "说明：", "en": "Note: "},
    "report.monitor.tbl.interim": {"zh": "各政策的中期效应（中期估计，非最终评价结论）", "en": "Interim effects by policy (INTERIM, not the evaluation)"},
    "report.monitor.col.outcome": {"zh": "结果变量", "en": "Outcome"},
    "report.monitor.col.firms": {"zh": "受资助企业", "en": "Subsidised firms"},
    "report.monitor.col.interim_effect": {"zh": "中期平均效应", "en": "Interim average effect"},
    "report.monitor.col.interval": {"zh": "{level}% 置信区间", "en": "{level}% interval"},
    "report.monitor.interim.none": {"zh": "本期没有可做中期估计的政策。", "en": "No policy to estimate interim effects for."},
    "report.monitor.col.pretrend": {"zh": "预趋势检验", "en": "Pre-trend test"},
    "report.monitor.col.conditioning": {"zh": "控制变量", "en": "Conditioning"},
    "report.value.conditioning.level_by_cluster": {"zh": "基期水平×产业集群", "en": "base level by cluster"},
    "report.value.conditioning.level": {"zh": "基期水平", "en": "base level"},
    "report.value.conditioning.none": {"zh": "无", "en": "none"},
    "report.monitor.anom.title": {"zh": "资金疑点核查", "en": "Ledger checks"},
    "report.monitor.tbl.anomalies": {"zh": "资金台账疑点汇总", "en": "Irregularities found in the payment ledger"},
    "report.monitor.col.check": {"zh": "核查项", "en": "Check"},
    "report.monitor.col.findings": {"zh": "疑点数", "en": "Findings"},
    "report.monitor.col.records": {"zh": "涉及拨付记录", "en": "Payment records"},
    "report.monitor.col.amount": {"zh": "涉及金额（{unit}）", "en": "Amount ({unit})"},
    "report.monitor.anom.note": {
        "zh": "逐笔疑点清单（拨付记录编号）另行送主管部门核查，不在本报告中公开。",
        "en": "The record-by-record list goes to the supervising department separately and is not published in this report."},
    "report.monitor.no_anomalies": {"zh": "资金台账核查未发现疑点。", "en": "The ledger checks found no irregularities."},
})


#: The command line's help in Chinese (``evalkit --lang zh ... --help``), keyed by command path
#: ("" for the root, "review record") and ``path.param`` for an option or argument; the English
#: help is the one written next to each command in :mod:`evalkit.cli`.
CLI_HELP_ZH: dict[str, str] = {
    "": "评估企业扶持政策：生成演示数据、校验、导入、估计、出具报告。",
    "lang": "提示信息的语言：zh 或 en。",
    "synth": "生成一个带已知真值（truth.json）的徐汇式模拟区县。",
    "synth.out": "写出六张数据表和 truth.json 的文件夹。",
    "synth.firms": "企业数量。",
    "synth.start": "起始年份。",
    "synth.end": "结束年份。",
    "synth.seed": "随机数种子。",
    "synth.dirty": "注入真实导出数据中常见的错误。",
    "validate": "校验一个文件夹中的数据表（不导入）；被拒绝的行逐条列出原因。",
    "validate.path": "存放数据表的文件夹（CSV、XLSX、Parquet）。",
    "validate.quarantine": "被拒绝行的写出位置（CSV）。",
    "ingest": "校验并将文件夹导入数据仓库，作为新的数据集版本（全部成功或全部不导入）。",
    "ingest.path": "存放数据表的文件夹。",
    "ingest.store": "DuckDB 数据仓库文件。",
    "ingest.quarantine": "被拒绝行的写出位置（CSV）。",
    "datasets": "列出数据仓库中的数据集版本。",
    "datasets.store": "DuckDB 数据仓库文件。",
    "run": "运行一项研究（ex_ante、monitor、ex_post 或 portfolio），写出结果包。",
    "run.study": "研究配置文件（YAML），见 studies/README.md。",
    "run.out": "结果包的文件夹。",
    "report": "用该阶段的 Quarto 模板渲染结果包（HTML 和/或 PDF，中文和/或英文）。",
    "report.bundle": "`evalkit run` 写出的结果包。",
    "report.out": "渲染报告的文件夹。",
    "report.format": "以逗号分隔：html,pdf。",
    "report.lang": "报告语言，以逗号分隔：zh,en。",
    "report.engine": "auto、quarto 或 fallback。",
    "verify": "依据研究配置和数据仓库重新计算结果包，确认每个数字一致。",
    "verify.path": "结果包，或包含结果包的报告文件夹。",
    "verify.study": "研究配置文件（不在结果包旁时指定）。",
    "demo": "在模拟区县上运行完整的评价流程，并打印一屏摘要。",
    "demo.out": "存放演示数据、数据仓库、结果包和报告的文件夹。",
    "demo.firms": "演示区县的企业数量。",
    "demo.seed": "随机数种子。",
    "demo.bootstrap": "覆盖研究配置中的自助法抽样次数。",
    "demo.reports": "渲染报告。",
    "review": "财政部门对建议的审核记录（只追加、哈希链）。",
    "review record": "记录对一条建议的决定（须为本轮结果包中的建议）；打印审核记录的新链头哈希。",
    "review record.anchors": "审核记录链头的锚点文件（默认：数据仓库旁的 STORE.review-anchors）。",
    "review record.bundle": "本轮的政策组合结果包；建议编号须为其中的建议之一。",
    "review record.store": "存放审核记录的数据仓库（默认：结果包记录的数据仓库）；须已存在。",
    "review record.recommendation": "建议编号，如 2026-01。",
    "review record.decision": "accept（采纳）、modify（修改）或 reject（否决）。",
    "review record.reviewer": "决定人。",
    "review record.comment": "理由（修改和否决时必填）。",
    "review record.amount": "修改时采纳的预算金额（万元）。",
    "serve": "启动财政局审核工作台（中文界面，可切换英文）；除非另行指定，只监听 127.0.0.1。",
    "serve.store": "各年度所用的数据仓库；应用数据库及其密钥存放在其旁。",
    "serve.demo": "`evalkit demo` 写出的文件夹：发布其年度并创建演示账号。",
    "serve.host": "监听地址。",
    "serve.port": "监听端口。",
    "serve createuser": "创建带角色的账号；密码通过提示输入（没有默认密码）。",
    "serve createuser.username": "账号名。",
    "serve createuser.role": "department（部门）、evaluator（评价组）、reviewer（财政局审核）、auditor（审计）或 admin（管理员）。",
    "serve createuser.department": "部门账号所属部门，如 区科委。",
    "serve createuser.password_stdin": "从标准输入读取密码，而不是提示输入。",
    "review list": "显示审核历史（以只读方式打开数据仓库）。",
    "review list.store": "存放审核记录的数据仓库（DuckDB）。",
    "review verify": "校验哈希链、锚点及另行保存的链头：历史记录的任何修改、删除或插入都会被报告"
                     "（退出码 2）。以只读方式打开数据仓库。",
    "review verify.store": "存放审核记录的数据仓库（DuckDB）。",
    "review verify.head": "另行保存的链头哈希（报告或导出文件中）；它必须在审核记录中。",
    "review verify.anchors": "审核记录链头的锚点文件（默认：数据仓库旁的 STORE.review-anchors）。",
    "review export": "导出审核记录及其链头哈希（以只读方式打开数据仓库）。",
    "review export.store": "存放审核记录的数据仓库（DuckDB）。",
    "review export.out": "要写出的 JSON 文件：审核记录、链头及校验结论。",
    "review export.anchors": "审核记录链头的锚点文件（默认：数据仓库旁的 STORE.review-anchors）。",
}


# The demo output's index page (evalkit/report/index.py).
STRINGS.update({
    "report.index.title": {
        "zh": "政策评价演示结果",
        "en": "Policy evaluation demo: results"},
    "report.index.switch": {
        "zh": "English",
        "en": "中文"},
    "report.index.intro": {
        "zh": "本文件夹是 evalkit 在模拟区县上完成的一轮完整评价：事后评价、事前评估、事中监控和政策组合（预算建议）。所有报告均有中文和英文版，HTML 可在浏览器中阅读，PDF 可打印。",
        "en": "This folder holds one full evaluation cycle evalkit ran on a synthetic district: ex-post evaluations, ex-ante appraisals, in-progress monitoring and the portfolio (budget proposal). Every report is in Chinese and English: HTML to read in a browser, PDF to print."},
    "report.index.first": {
        "zh": "请先打开",
        "en": "Open first"},
    "report.index.first_text": {
        "zh": "政策组合报告：各项政策的评分、排名（含不确定性）及下一预算年度的建议。其余报告是这些建议的依据。",
        "en": "The portfolio report: every policy's score, its rank (with its uncertainty) and the recommendations for the next budget year. The other reports are the evidence behind them."},
    "report.index.reports": {
        "zh": "全部报告",
        "en": "All reports"},
    "report.index.col_stage": {
        "zh": "阶段",
        "en": "Stage"},
    "report.index.col_subject": {
        "zh": "政策 / 内容",
        "en": "Policy / subject"},
    "report.index.col_zh": {
        "zh": "中文",
        "en": "Chinese"},
    "report.index.col_en": {
        "zh": "英文",
        "en": "English"},
    "report.index.none": {
        "zh": "报告尚未生成（演示以 --no-reports 运行）；可用 evalkit report 生成。",
        "en": "No reports were rendered (the demo ran with --no-reports); render them with evalkit report."},
    "report.index.next": {
        "zh": "财政局下一步决定什么",
        "en": "What the finance bureau decides next"},
    "report.index.next_text": {
        "zh": "对政策组合报告中的每条建议作出决定：采纳（accept）、修改（modify）或不采纳（reject）。决定记录在数据仓库的审核记录中（只追加、哈希链，可事后核验）。在本文件夹中运行：",
        "en": "Decide on each recommendation of the portfolio report: accept, modify or reject. A decision is recorded in the warehouse's review log (append-only, hash-chained, verifiable later). Run in this folder:"},
    "report.index.recs": {
        "zh": "待决定的建议",
        "en": "Recommendations to decide"},
    "report.index.col_id": {
        "zh": "建议编号",
        "en": "Recommendation"},
    "report.index.col_action": {
        "zh": "建议",
        "en": "Proposed action"},
    "report.index.then": {
        "zh": "记录后可查看和核验审核记录：",
        "en": "Then list and check the review log:"},
    "report.index.audit": {
        "zh": "核验与复算",
        "en": "Checking the numbers"},
    "report.index.audit_text": {
        "zh": "每份报告都来自 bundles/ 中的一个结果包；任何人都可以用研究配置（studies/）和数据仓库重新计算并核对每个文件（本文件夹复制到别处后同样可以）：",
        "en": "Every report comes from a results bundle in bundles/; anyone can recompute it from its study (studies/) and the warehouse and compare every file (also after this folder is copied elsewhere):"},
    "report.index.folders": {
        "zh": "文件夹",
        "en": "Folders"},
    "report.index.folder.data": {
        "zh": "模拟区县的六张数据表、已知真值（truth.json）",
        "en": "the synthetic district's six tables and its known truth (truth.json)"},
    "report.index.folder.studies": {
        "zh": "本次运行的研究配置（可复制修改后用 evalkit run 运行）",
        "en": "the studies of this run (copy one, edit it, run it with evalkit run)"},
    "report.index.folder.bundles": {
        "zh": "结果包（报告所依据的数字、表格和图）",
        "en": "results bundles (the numbers, tables and figures reports show)"},
    "report.index.folder.reports": {
        "zh": "报告（HTML 与 PDF）",
        "en": "reports (HTML and PDF)"},
    "report.index.folder.warehouse": {
        "zh": "数据仓库（数据集版本与审核记录）",
        "en": "the warehouse (dataset versions and the review log)"},
    "report.index.stage.portfolio": {
        "zh": "政策组合与预算建议",
        "en": "Portfolio and budget proposal"},
    "report.index.stage.ex_post": {
        "zh": "事后评价",
        "en": "Ex-post evaluation"},
    "report.index.stage.ex_ante": {
        "zh": "事前绩效评估",
        "en": "Ex-ante appraisal"},
    "report.index.stage.monitor": {
        "zh": "事中绩效运行监控",
        "en": "In-progress monitoring"},
    "report.index.subject.portfolio": {
        "zh": "{cycle} 年度预算：全部政策",
        "en": "{cycle} budget: all policies"},
    "report.index.subject.monitor": {
        "zh": "{year} 年执行情况（截至 {as_of}）",
        "en": "{year} execution (data to {as_of})"},
    "report.index.subject.proposal": {
        "zh": "拟出台：{name}",
        "en": "Proposed: {name}"},
    "report.index.reviewer": {
        "zh": "姓名",
        "en": "your-name"},
    "report.index.comment": {
        "zh": "理由",
        "en": "why"},
})


def t(key: str, lang: str = "en", **fmt: object) -> str:
    """The text of ``key`` in ``lang`` ('zh' or 'en'), formatted with ``fmt``."""
    check_choice("lang", lang, LANGS)
    text = STRINGS[key][lang]
    return text.format(**fmt) if fmt else text
