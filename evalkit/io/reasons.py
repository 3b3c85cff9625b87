"""Why a row is quarantined or flagged: the one list of reason codes, in Chinese and English.

Every problem ingest finds in a row carries one of these codes. ``severity`` says what happens
to the row: ``"quarantine"`` rejects it (it goes to the quarantine with file, row, column, value
and reason), ``"warning"`` accepts it and lists it among the warnings.

Messages are one line: ``file:row:column: what is wrong (what to do)``, built by :func:`message`.
``what`` and ``fix`` are templates formatted with ``value`` (the cell text) and ``detail``
(reason-specific: the expected check character, the first row of a duplicated key, the policy's
window, ...). A detail with words in it is a :class:`Bilingual` pair, so the Chinese message is
Chinese throughout; numbers, dates and row numbers are plain values.
"""

from __future__ import annotations

from dataclasses import dataclass

from evalkit.errors import check_choice

SEVERITIES = ("quarantine", "warning")


@dataclass(frozen=True)
class Bilingual:
    """A message detail in English and Chinese (``str()`` gives the English)."""

    en: str
    zh: str

    def __str__(self) -> str:
        return self.en

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Reason:
    code: str
    severity: str
    what_en: str
    fix_en: str
    what_zh: str
    fix_zh: str


_REASONS = (
    Reason("missing_required", "quarantine",
           "a required value is missing", "fill in the value or remove the row",
           "缺少必填值", "补全该值或删除该行"),
    Reason("not_a_number", "quarantine",
           "{value!r} is not a number{detail}",
           "write a plain number such as 1234.5 or 1,234.5, or leave the cell empty if unknown",
           "{value!r} 不是数字{detail}",
           "请填写数字，如 1234.5 或 1,234.5；未知时留空"),
    Reason("bad_uscc", "quarantine",
           "{value!r} is not a valid unified social credit code: {detail}",
           "copy the 18-character code from the business licence (GB 32100-2015)",
           "{value!r} 不是有效的统一社会信用代码：{detail}",
           "请按营业执照填写18位统一社会信用代码（GB 32100-2015）"),
    Reason("bad_category", "quarantine",
           "{value!r} is not an accepted value",
           "use one of: {detail}",
           "{value!r} 不是可接受的取值",
           "请使用以下取值之一：{detail}"),
    Reason("bad_date", "quarantine",
           "{value!r} is not a valid date{detail}",
           "write dates as YYYY-MM-DD",
           "{value!r} 不是有效日期{detail}",
           "日期请写作 YYYY-MM-DD"),
    Reason("negative_value", "quarantine",
           "{value} is negative",
           "money amounts and counts cannot be negative; correct the sign",
           "{value} 为负数",
           "金额和人数不能为负，请更正"),
    Reason("duplicate_key", "quarantine",
           "key {value} repeats row {detail}",
           "remove the repeated row; the first occurrence is kept",
           "主键 {value} 与第 {detail} 行重复",
           "请删除重复行；保留首次出现的行"),
    Reason("unknown_firm", "quarantine",
           "firm {value} is not among the accepted firms",
           "add the firm to the firms table or correct the code",
           "企业 {value} 不在已接收的企业名录中",
           "请在企业名录中补充该企业或更正代码"),
    Reason("unknown_policy", "quarantine",
           "policy {value} is not among the accepted policies",
           "add the policy to the policies table or correct the id",
           "政策 {value} 不在已接收的政策清单中",
           "请在政策清单中补充该政策或更正编号"),
    Reason("outside_policy_window", "warning",
           "date {value} is outside the policy's window {detail}",
           "check the date, or the policy's start and end dates",
           "日期 {value} 不在政策执行期 {detail} 内",
           "请核对拨付日期或政策起止日期"),
    Reason("bad_rule", "quarantine",
           "eligibility rule {value!r} does not parse: {detail}",
           "write the rule in evalkit's rule grammar, e.g. revenue >= 1e7 and employees < 300",
           "申报条件 {value!r} 无法解析：{detail}",
           "请按 evalkit 规则语法填写，例如 revenue >= 1e7 and employees < 300"),
    Reason("wrong_field_count", "quarantine",
           "the row has {detail} fields, the header has {value}",
           "check for an unquoted comma or a missing cell in this row",
           "该行有 {detail} 个字段，表头有 {value} 个",
           "请检查该行是否有未加引号的逗号或缺少单元格"),
    Reason("out_of_range", "quarantine",
           "{value} is out of range{detail}",
           "check the value and the unit in the column header",
           "{value} 超出可接受范围{detail}",
           "请核对该数值及表头中的单位"),
    Reason("formula_without_value", "quarantine",
           "the cell holds a formula whose result was not saved in the file",
           "open the file in Excel, let it calculate and save it again, or paste the values",
           "该单元格是公式，文件中未保存其计算结果",
           "请在 Excel 中打开该文件、重新计算后保存，或粘贴为数值"),
    Reason("unit_jump", "warning",
           "{value} is about 10,000 times off the firm's median {detail}",
           "check whether the value was entered in 万元 instead of 元",
           "{value} 与该企业中位数 {detail} 相差约一万倍",
           "请核对是否把万元数填进了元列"),
    Reason("cap_exceeded", "warning",
           "the firm's total {value} from this policy exceeds its per-firm cap {detail}",
           "check the ledger against the policy's per-firm cap",
           "该企业从本政策获得的合计 {value} 超过单户上限 {detail}",
           "请对照政策单户上限核对台账"),
    Reason("year_gap", "warning",
           "firm {value} has no row for year(s) {detail} inside its observed span",
           "add the missing year(s) or confirm the firm reported nothing",
           "企业 {value} 在观测期内缺少年份 {detail}",
           "请补充缺失年份的数据或确认该企业当年无数据"),
)

REASONS: dict[str, Reason] = {r.code: r for r in _REASONS}
QUARANTINE_REASONS = tuple(r.code for r in _REASONS if r.severity == "quarantine")
WARNING_REASONS = tuple(r.code for r in _REASONS if r.severity == "warning")
LANGS = ("en", "zh")


def location(file: str | None, row: int | None, column: str | None) -> str:
    """``file:row:column`` with the missing parts left out."""
    parts = [str(p) for p in (file, row, column) if p is not None and p == p and p != ""]
    return ":".join(parts)


def message(code: str, file: str | None, row: int | None, column: str | None,
            value: object = "", detail: object = "", lang: str = "en") -> str:
    """The one-line message ``file:row:column: what is wrong (what to do)``."""
    check_choice("reason", code, tuple(REASONS))
    check_choice("lang", lang, LANGS)
    r = REASONS[code]
    what = r.what_en if lang == "en" else r.what_zh
    fix = r.fix_en if lang == "en" else r.fix_zh
    value = "" if value is None else value
    detail = "" if detail is None else detail
    if isinstance(detail, Bilingual):
        detail = detail.text(lang)
    text = what.format(value=value, detail=detail)
    fix_text = fix.format(value=value, detail=detail)
    line = f"{location(file, row, column)}: {text} ({fix_text})"
    return " ".join(line.split())  # one line, whatever the cell held
