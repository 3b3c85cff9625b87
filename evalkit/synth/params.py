"""Calibration of the synthetic district: clusters, industries, areas and economic parameters.

Every number that shapes the synthetic district lives here, named, so that ``data/SYNTH.md`` can
point at it. The district at ``n_firms=20000`` is calibrated to stand for Xuhui's register of firms
with annual reports: its high-tech-enterprise count, PCT applications, listings and new regional
headquarters are of the order of the seed document's targets (1,000 high-tech enterprises and 450
PCT applications by 2025, 30 listings and 50 regional headquarters over 2021-25); counts scale with
``n_firms / 20000`` (:data:`REFERENCE_FIRMS`).
"""

from __future__ import annotations

from dataclasses import dataclass

from evalkit.io.schemas import AREAS, CLUSTERS

#: The population size the calibration refers to; counts scale with n_firms / REFERENCE_FIRMS.
REFERENCE_FIRMS = 20000
#: Revenue (yuan) of a median firm in the first year before cluster shifts.
BASE_REVENUE = 4.0e6
#: Standard deviation of the firm effect in log revenue (heavy right tail: lognormal).
FIRM_EFFECT_SD = 1.55
#: Entrants are smaller: their firm effect is shifted by this many log points.
ENTRANT_SHIFT = -0.6
#: Share of firms registered after the first year (entrants).
ENTRANT_SHARE = 0.30
#: Permanent (random-walk) and transitory shocks to log revenue, per year.
RW_SD = 0.10
TRANSITORY_SD = 0.06
#: Rare transitory revenue dips (one year, fully reverting): probability and size in log points.
DIP_PROB = 0.04
DIP_SIZE = -0.35
#: Share of the 2020 shock still present in 2021 (the rest recovers).
SHOCK_PERSISTENCE_2021 = 0.4
SHOCK_YEAR = 2020
#: Exit hazard: logistic(EXIT_BASE + EXIT_SIZE * firm effect + EXIT_SHOCK * [2020 or 2021]).
EXIT_BASE = -3.55
EXIT_SIZE = -0.35
EXIT_SHOCK = 0.45
#: Employees: log emp = log(BASE_REVENUE / revenue_per_worker) + ELASTICITY * (log R - log R0).
EMPLOYMENT_ELASTICITY = 0.85
EMPLOYEE_FIRM_SD = 0.35
EMPLOYEE_NOISE_SD = 0.05
#: R&D: intensity of firms that do R&D, lognormal around the cluster median.
RD_FIRM_SD = 0.6
RD_NOISE_SD = 0.12
#: Tax: tax / revenue around the cluster rate, firm-specific; high-tech firms pay HIGH_TECH_TAX x.
TAX_FIRM_SD = 0.3
TAX_NOISE_SD = 0.08
HIGH_TECH_TAX = 0.9
#: Patents: Poisson mean = cluster coefficient x (R&D in million yuan) ** PATENT_ELASTICITY.
PATENT_ELASTICITY = 0.8
PATENT_FIRM_SD = 0.5
#: PCT applications: Poisson mean = PCT_PER_PATENT x patent mean for open-type innovators.
PCT_PER_PATENT = 0.35
#: High-tech enterprise certification (高新技术企业): initial stock and yearly hazard among
#: eligible firms; eligibility per the certification rules in notes/public-finance.md.
HIGH_TECH_INITIAL = 0.45
HIGH_TECH_HAZARD = 0.075
HIGH_TECH_MIN_EMPLOYEES = 10
#: Headquarters and listings: initial stock and new recognitions per year at REFERENCE_FIRMS.
HQ_INITIAL = 75
HQ_NEW_PER_YEAR = 10.0
HQ_MIN_REVENUE = 1.0e8
LISTED_INITIAL = 45
LISTED_NEW_PER_YEAR = 6.5
LISTED_MIN_REVENUE = 5.0e7


@dataclass(frozen=True)
class ClusterParams:
    """Economic parameters of one cluster (shares sum to one over the clusters)."""

    share: float
    revenue_shift: float      # log points relative to BASE_REVENUE
    growth: float             # trend growth of log revenue per year
    shock_2020: float         # log points in 2020 (partly persisting into 2021)
    revenue_per_worker: float # yuan per employee at BASE_REVENUE
    rd_share: float           # share of firms doing any R&D
    rd_intensity: float       # median R&D / revenue among them
    tax_rate: float           # median tax paid / revenue
    patents_per_rd: float     # invention patents per (million yuan R&D) ** PATENT_ELASTICITY
    open_share: float         # share of firms with international business (open-type)
    areas: tuple[float, ...]  # probabilities over AREAS
    industries: tuple[tuple[str, float, tuple[str, ...]], ...]  # (GB/T 4754 class, weight, name words)


CLUSTER_PARAMS: dict[str, ClusterParams] = {
    "ai": ClusterParams(
        0.07, 0.0, 0.065, -0.02, 6.0e5, 0.85, 0.090, 0.050, 0.50, 0.35,
        (0.35, 0.40, 0.10, 0.05, 0.10),
        (("6511", 0.20, ("智能科技",)), ("6512", 0.10, ("人工智能技术",)),
         ("6513", 0.35, ("软件技术", "智联科技")), ("6520", 0.15, ("芯片设计", "微电子设计")),
         ("6532", 0.20, ("物联网技术",))),
    ),
    "life_health": ClusterParams(
        0.07, 0.2, 0.060, 0.00, 6.0e5, 0.85, 0.120, 0.055, 0.35, 0.40,
        (0.10, 0.30, 0.10, 0.35, 0.15),
        (("2710", 0.10, ("化学制药",)), ("2720", 0.15, ("药业",)), ("2761", 0.15, ("生物制药",)),
         ("3581", 0.10, ("医疗设备",)), ("3589", 0.05, ("医疗器械",)),
         ("5151", 0.10, ("医药",)), ("5154", 0.10, ("医疗用品",)),
         ("7340", 0.25, ("医学科技", "生物医药科技"))),
    ),
    "culture_creative": ClusterParams(
        0.12, -0.3, 0.050, -0.12, 5.0e5, 0.30, 0.020, 0.050, 0.10, 0.15,
        (0.40, 0.10, 0.25, 0.05, 0.20),
        (("7251", 0.15, ("网络广告",)), ("7259", 0.15, ("广告",)), ("7492", 0.15, ("设计",)),
         ("8730", 0.15, ("影视文化", "影业")), ("6572", 0.20, ("数字娱乐", "动漫游戏")),
         ("8810", 0.10, ("文化艺术",)), ("8621", 0.10, ("文化传播",))),
    ),
    "modern_finance": ClusterParams(
        0.09, 0.6, 0.055, -0.03, 2.0e6, 0.15, 0.010, 0.080, 0.05, 0.30,
        (0.30, 0.05, 0.45, 0.02, 0.18),
        (("6621", 0.05, ("金融服务",)), ("6712", 0.10, ("证券经纪",)), ("6720", 0.10, ("基金管理",)),
         ("6731", 0.15, ("创业投资",)), ("6739", 0.15, ("股权投资基金管理", "私募基金管理")),
         ("6811", 0.05, ("保险代理",)), ("6930", 0.10, ("支付服务",)),
         ("6940", 0.15, ("金融信息服务",)), ("6920", 0.15, ("投资控股",))),
    ),
    "information_services": ClusterParams(
        0.12, 0.0, 0.060, -0.01, 7.0e5, 0.60, 0.050, 0.050, 0.30, 0.20,
        (0.15, 0.50, 0.15, 0.05, 0.15),
        (("6429", 0.15, ("网络科技",)), ("6431", 0.10, ("网络平台",)), ("6432", 0.10, ("互联网服务",)),
         ("6450", 0.10, ("数据服务", "大数据科技")), ("6531", 0.20, ("信息系统", "信息技术")),
         ("6540", 0.10, ("系统运维",)), ("6550", 0.10, ("云计算技术",)),
         ("6560", 0.15, ("信息咨询", "数字科技"))),
    ),
    "professional_services": ClusterParams(
        0.18, -0.2, 0.050, -0.06, 4.0e5, 0.10, 0.015, 0.060, 0.05, 0.15,
        (0.10, 0.10, 0.45, 0.05, 0.30),
        (("7211", 0.10, ("企业管理",)), ("7212", 0.15, ("投资管理", "资产管理")),
         ("7221", 0.10, ("法律咨询",)), ("7231", 0.15, ("财务咨询", "税务咨询")),
         ("7232", 0.10, ("市场调研",)), ("7239", 0.15, ("商务咨询", "管理咨询")),
         ("7263", 0.10, ("人力资源",)), ("7269", 0.15, ("人才服务",))),
    ),
    "rd_services": ClusterParams(
        0.08, -0.2, 0.060, -0.04, 4.5e5, 0.90, 0.140, 0.045, 0.45, 0.20,
        (0.10, 0.45, 0.10, 0.15, 0.20),
        (("7310", 0.15, ("新材料科技", "科学技术")), ("7320", 0.20, ("工程技术", "科技发展")),
         ("7452", 0.20, ("检测技术", "检测服务")), ("7484", 0.15, ("工程设计",)),
         ("7520", 0.15, ("知识产权服务",)), ("7530", 0.15, ("科技服务",))),
    ),
    "intelligent_manufacturing": ClusterParams(
        0.05, 0.5, 0.050, -0.06, 5.0e5, 0.80, 0.045, 0.045, 0.60, 0.35,
        (0.05, 0.45, 0.02, 0.35, 0.13),
        (("3491", 0.20, ("机器人",)), ("3961", 0.15, ("智能穿戴",)), ("3962", 0.15, ("车载电子",)),
         ("3973", 0.15, ("半导体",)), ("4011", 0.20, ("自动化设备", "智能装备")),
         ("3911", 0.15, ("电脑",))),
    ),
    "other": ClusterParams(
        0.22, 0.1, 0.045, -0.10, 6.0e5, 0.05, 0.010, 0.050, 0.05, 0.08,
        (0.08, 0.08, 0.30, 0.14, 0.40),
        (("5211", 0.15, ("百货",)), ("5212", 0.10, ("超市",)), ("6210", 0.15, ("餐饮管理",)),
         ("7010", 0.10, ("置业", "房地产开发")), ("7020", 0.15, ("物业管理",)),
         ("5181", 0.20, ("贸易", "商贸")), ("6110", 0.15, ("酒店管理",))),
    ),
}

assert tuple(CLUSTER_PARAMS) == CLUSTERS
assert all(len(p.areas) == len(AREAS) for p in CLUSTER_PARAMS.values())

#: Clusters whose firms may hold high-tech-enterprise certification.
INNOVATIVE_CLUSTERS = ("ai", "life_health", "information_services", "rd_services",
                       "intelligent_manufacturing")
#: Service clusters (five-type "service" tag).
SERVICE_CLUSTERS = ("culture_creative", "modern_finance", "information_services",
                    "professional_services", "rd_services")
#: Flow-type clusters (platforms, payments, data, digital content).
FLOW_CLUSTERS = ("information_services", "modern_finance", "culture_creative")

#: Characters of the synthetic brand names (上海<brand><industry word>有限公司).
BRAND_CHARS = ("华创新联达通盛泰安恒瑞博智云源微远宏嘉汇鼎启明星辰越峰睿天海中凯元正和德美润佳融信鑫"
               "晨锐腾颐弘")


def high_tech_rd_threshold(revenue):
    """R&D / revenue needed for high-tech certification (高新技术企业认定管理办法): 5 % for revenue up
    to 50 m yuan, 4 % up to 200 m, 3 % above (notes/public-finance.md). Vectorised."""
    import numpy as np

    revenue = np.asarray(revenue, dtype=float)
    return np.where(revenue <= 5e7, 0.05, np.where(revenue <= 2e8, 0.04, 0.03))
