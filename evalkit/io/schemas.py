"""The data model: the six tables a district's exports are read into.

One :class:`Table` per table, one :class:`Column` per field, each with its Chinese and English
name. Readers map headers onto these canonical names through ``data/aliases.csv``; validation
checks values against the ``kind`` and ``allowed`` of each column. Money is stored in yuan.
``data/SCHEMA.md`` documents the same model for people.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CLUSTERS = (
    "ai", "life_health", "culture_creative", "modern_finance", "information_services",
    "professional_services", "rd_services", "intelligent_manufacturing", "other",
)
AREAS = ("binjiang", "caohejing", "xujiahui", "huajing", "other")
FIVE_TYPES = ("innovation", "service", "headquarters", "open", "flow")
SIZE_CLASSES = ("large", "medium", "small", "micro")
INSTRUMENTS = ("grant", "award", "voucher", "rent_subsidy", "talent_subsidy")
KPI_LEVELS = ("district", "policy")
#: Calendar years accepted in any year column.
YEAR_RANGE = (1900, 2100)
#: The largest money amount accepted, in yuan after unit scaling (10^15: a thousand trillion
#: yuan, several times China's GDP); beyond it a value is an entry or unit error.
MONEY_MAX = 1e15

#: Column kinds. ``money`` is float64 yuan and accepts 元/万元/亿元 unit suffixes in headers;
#: ``tags`` is a ';'-separated subset of ``allowed``; ``date`` is an ISO calendar date.
KINDS = ("str", "uscc", "int", "float", "money", "bool", "date", "category", "tags", "rule")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    zh: str
    en: str
    required: bool = True
    nonnegative: bool = False
    allowed: tuple[str, ...] = ()
    #: plausible (low, high) of a number, inclusive (calendar years: :data:`YEAR_RANGE`)
    bounds: tuple[float, float] | None = None
    #: a firm-year outcome a policy is evaluated on (:data:`OUTCOMES`)
    outcome: bool = False
    #: an outcome a fiscal metric is built on (:data:`FISCAL_OUTCOMES`)
    fiscal: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    en: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    #: (column, referenced table, referenced column)
    references: tuple[tuple[str, str, str], ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


FIRMS = Table(
    "firms", "企业名录", "firms",
    (
        Column("firm_id", "uscc", "统一社会信用代码", "unified social credit code"),
        Column("name", "str", "企业名称", "firm name"),
        Column("industry_code", "str", "行业代码", "industry class (GB/T 4754-2017)"),
        Column("cluster", "category", "产业集群", "industry cluster", allowed=CLUSTERS),
        Column("area", "category", "功能区", "area", allowed=AREAS),
        Column("five_type_tags", "tags", "五型经济标签", "five-type economy tags",
               required=False, allowed=FIVE_TYPES),
        Column("size_class", "category", "企业规模", "size class", allowed=SIZE_CLASSES),
        Column("year_registered", "int", "注册年份", "year registered", bounds=YEAR_RANGE),
        Column("year_exited", "int", "注销年份", "year exited", required=False, bounds=YEAR_RANGE),
    ),
    key=("firm_id",),
)

FIRM_YEARS = Table(
    "firm_years", "企业年度数据", "firm-years",
    (
        Column("firm_id", "uscc", "统一社会信用代码", "unified social credit code"),
        Column("year", "int", "年份", "year", bounds=YEAR_RANGE),
        Column("revenue", "money", "营业收入", "operating revenue", nonnegative=True,
               outcome=True, fiscal=True),
        Column("tax_paid", "money", "纳税总额", "tax paid", nonnegative=True, outcome=True,
               fiscal=True),
        Column("rd_expense", "money", "研发费用", "R&D expense", nonnegative=True, outcome=True,
               fiscal=True),
        Column("employees", "int", "从业人员", "employees", nonnegative=True, outcome=True,
               fiscal=True),
        Column("invention_patents", "int", "发明专利授权数", "invention patents granted",
               nonnegative=True, outcome=True, fiscal=True),
        Column("pct_applications", "int", "PCT专利申请数", "PCT applications", nonnegative=True,
               outcome=True),
        Column("high_tech", "bool", "高新技术企业", "high-tech enterprise"),
        Column("listed", "bool", "上市企业", "listed"),
        Column("headquarters", "bool", "总部企业", "headquarters"),
    ),
    key=("firm_id", "year"),
    references=(("firm_id", "firms", "firm_id"),),
)

#: The outcome registry: the firm-year columns a study may evaluate a policy on, in column
#: order. Their labels and units are the columns' own (``zh``, ``en``, ``kind``; see
#: :func:`evalkit.numbers.outcome_label`).
OUTCOMES = tuple(c.name for c in FIRM_YEARS.columns if c.outcome)
#: The outcomes a fiscal metric is built on (:mod:`evalkit.fiscal.metrics`: tax, revenue, R&D,
#: jobs, patents), which are also those the synthetic district simulates policy effects on:
#: every outcome but PCT applications.
FISCAL_OUTCOMES = tuple(c.name for c in FIRM_YEARS.columns if c.fiscal)

POLICIES = Table(
    "policies", "政策", "policies",
    (
        Column("policy_id", "str", "政策编号", "policy id"),
        Column("name_zh", "str", "政策名称", "policy name (Chinese)"),
        Column("name_en", "str", "政策英文名称", "policy name (English)"),
        Column("department", "str", "主管部门", "department"),
        Column("objective", "category", "政策目标类别", "objective (five-type economy)",
               allowed=FIVE_TYPES),
        Column("instrument", "category", "政策工具", "instrument", allowed=INSTRUMENTS),
        Column("start_date", "date", "开始日期", "start date"),
        Column("end_date", "date", "结束日期", "end date"),
        Column("eligibility_rule", "rule", "申报条件", "eligibility rule"),
        Column("cap_per_firm", "money", "单户上限", "per-firm cap", nonnegative=True),
        Column("kpis", "str", "绩效指标", "KPIs targeted", required=False),
    ),
    key=("policy_id",),
)

BUDGETS = Table(
    "budgets", "预算", "budgets",
    (
        Column("policy_id", "str", "政策编号", "policy id"),
        Column("year", "int", "年份", "year", bounds=YEAR_RANGE),
        Column("appropriation", "money", "预算金额", "appropriation", nonnegative=True),
    ),
    key=("policy_id", "year"),
    references=(("policy_id", "policies", "policy_id"),),
)

DISBURSEMENTS = Table(
    "disbursements", "拨付台账", "disbursement ledger",
    (
        Column("record_id", "str", "记录编号", "record id"),
        Column("policy_id", "str", "政策编号", "policy id"),
        Column("firm_id", "uscc", "统一社会信用代码", "unified social credit code"),
        Column("date", "date", "拨付日期", "disbursement date"),
        Column("amount", "money", "拨付金额", "amount", nonnegative=True),
        Column("tranche", "int", "拨付批次", "tranche"),
        Column("project_ref", "str", "项目编号", "project reference", required=False),
    ),
    key=("record_id",),
    references=(("policy_id", "policies", "policy_id"), ("firm_id", "firms", "firm_id")),
)

KPI_TARGETS = Table(
    "kpi_targets", "绩效目标", "KPI targets",
    (
        Column("indicator", "str", "指标", "indicator"),
        Column("level", "category", "层级", "level", allowed=KPI_LEVELS),
        Column("policy_id", "str", "政策编号", "policy id", required=False),
        Column("target", "float", "目标值", "target"),
        Column("unit", "str", "单位", "unit"),
        Column("target_year", "int", "目标年份", "target year", bounds=YEAR_RANGE),
        Column("baseline", "float", "基期值", "baseline", required=False),
        Column("baseline_year", "int", "基期年份", "baseline year", required=False, bounds=YEAR_RANGE),
    ),
    key=("indicator", "level", "policy_id", "target_year"),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (FIRMS, FIRM_YEARS, POLICIES, BUDGETS, DISBURSEMENTS, KPI_TARGETS)
}
#: Load order: referenced tables first.
TABLE_ORDER = ("firms", "firm_years", "policies", "budgets", "disbursements", "kpi_targets")
