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

# Stage reports (reports/ex_post.qmd, portfolio.qmd, ex_ante.qmd, monitor.qmd) and
# evalkit/report/stage_views.py.
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
        "zh": "受助企业的{outcome}平均提高 {att}（每家企业每年，{ci}，p = {p}）。",
        "en": "Subsidised firms' {outcome} rose by {att} per firm and year ({ci}, p = {p})."},
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
    "report.ex_post.design.text": {
        "zh": "采用 Callaway 与 Sant'Anna（2021）的交错双重差分：按首次获得补贴的年份将受助企业分为批次（队列），每一批次与同期{controls}的企业比较，再按批次规模加权汇总。对照企业为未获得任何政策补贴的企业；因同时获得其他政策补贴而排除 {n_excluded} 家企业。各批次规模及其对主要指标的平均效应见 @tbl-cohorts。",
        "en": "The evaluation uses the staggered difference-in-differences of Callaway and Sant'Anna (2021): subsidised firms are grouped into cohorts by the year of their first payment, each cohort is compared with {controls} firms over the same years, and the cohort effects are averaged with cohort-size weights. Comparison firms received no subsidy from any policy; {n_excluded} firms were left out because they received other policies' subsidies. @tbl-cohorts lists the cohorts and their average effect on the main outcome."},
    "report.ex_post.controls.notyettreated": {"zh": "尚未受助", "en": "not-yet-subsidised"},
    "report.ex_post.controls.nevertreated": {"zh": "从未受助", "en": "never-subsidised"},
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
        "zh": "受助前各期效应的联合检验未拒绝平行趋势（χ²({df}) = {stat}，p = {p}）。这不能证明趋势平行：以本样本的精度，检验能以 80% 的概率发现每年 {slope} 的线性趋势差异，更小的差异可能未被发现。",
        "en": "The joint test of the pre-payment effects does not reject parallel trends (χ²({df}) = {stat}, p = {p}). This does not prove the trends are parallel: with this sample's precision the test detects a linear trend difference of {slope} a year with 80% probability, and smaller ones may go unnoticed."},
    "report.ex_post.pretrend.fail_title": {"zh": "事前趋势检验拒绝平行趋势", "en": "The pre-trend test rejects parallel trends"},
    "report.ex_post.pretrend.fail": {
        "zh": "受助前各期效应联合显著（χ²({df}) = {stat}，p = {p}）：受助企业在获得补贴之前的走势已与对照企业不同，例如申请补贴前业绩暂时下滑（Ashenfelter 下沉）。此时受助后的差异不能全部归因于补贴，本报告的效应与财政回报可能有偏，应结合敏感性分析（如 HonestDiD）审慎使用。",
        "en": "The pre-payment effects are jointly significant (χ²({df}) = {stat}, p = {p}): subsidised firms were already moving differently from comparison firms before the subsidy, for example a temporary dip in performance just before applying (an Ashenfelter dip). The difference after payment cannot then be attributed wholly to the subsidy; the effects and fiscal returns in this report may be biased and should be used with a sensitivity analysis (e.g. HonestDiD)."},
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
        "zh": "技术说明（{outcome}）：{note}",
        "en": "Technical note ({outcome}): {note}"},
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
        "zh": "@fig-ranking 给出各政策的{metric}及其 95% 置信区间；右侧为排名置信集（Mogstad、Romano、Shaikh 与 Wilhelm 2024），它以 95% 的概率同时覆盖所有政策的真实排名。置信集越宽，排名越不确定。",
        "en": "@fig-ranking shows each policy's {metric} with its 95% confidence interval; on the right is its rank confidence set (Mogstad, Romano, Shaikh and Wilhelm 2024), which covers the true ranks of all policies at once with 95% probability. The wider the set, the less certain the rank."},
    "report.portfolio.fig.ranking": {"zh": "各政策的财政回报及排名置信集", "en": "Policies' fiscal returns and rank confidence sets"},
    "report.portfolio.axis.rank_set": {"zh": "排名 {lo}—{hi}", "en": "rank {lo}-{hi}"},
    "report.portfolio.legend.grade": {"zh": "绩效等级", "en": "Grade"},
    "report.portfolio.scorecards.title": {"zh": "绩效评分", "en": "Scorecards"},
    "report.portfolio.scorecards.text": {
        "zh": "按财政部项目支出绩效评价指标体系（决策、过程、产出、效益，满分 100 分）评分，90 分及以上为优、80—90 分为良、60—80 分为中、60 分以下为差（@tbl-scorecards）。@fig-scoreheat 给出各项指标的得分率。",
        "en": "Scored on the Ministry of Finance's project-expenditure framework (decision, process, output and effect; 100 points): 90 and above is excellent (优), 80-90 good (良), 60-80 fair (中) and below 60 poor (差) (@tbl-scorecards). @fig-scoreheat shows the share of each indicator's points earned."},
    "report.portfolio.tbl.scorecards": {"zh": "绩效评分（分项得分/满分）", "en": "Scorecards (points earned / available)"},
    "report.portfolio.col.decision": {"zh": "决策", "en": "Decision"},
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
        "zh": "审核记录（哈希链{chain}）中本年度共有 {n} 条决定，见 @tbl-review。",
        "en": "The review log (hash chain {chain}) holds {n} decisions for this cycle; see @tbl-review."},
    "report.portfolio.review.intact": {"zh": "完整", "en": "intact"},
    "report.portfolio.review.broken": {"zh": "在第 {seq} 条处被改动", "en": "altered at entry {seq}"},
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


def t(key: str, lang: str = "en", **fmt: object) -> str:
    """The text of ``key`` in ``lang`` ('zh' or 'en'), formatted with ``fmt``."""
    check_choice("lang", lang, LANGS)
    text = STRINGS[key][lang]
    return text.format(**fmt) if fmt else text
