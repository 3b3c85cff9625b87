"""evalkit.fiscal: fiscal return, MVPF, cost per job, additionality, all with intervals.

Every estimate is a :class:`LinearEstimate` (point estimate + firm-indexed influence function), so
metrics of several policies have a joint distribution (delta method or one shared multiplier
bootstrap).
"""

from evalkit.fiscal.additionality import AdditionalityTable, additionality_table
from evalkit.fiscal.cost import DEFAULT_DISCOUNT_RATE, PolicyCost, discount_factors, policy_cost
from evalkit.fiscal.effects import total_effect
from evalkit.fiscal.linear import (
    LinearEstimate,
    constant,
    delta_method,
    joint_cov,
    lincomb,
    ratio,
    stack_psi,
)
from evalkit.fiscal.metrics import OUTCOMES, VIEWS, FiscalResult, fiscal_metrics
from evalkit.fiscal.multiplier import BootstrapDraws, multiplier_bootstrap
from evalkit.fiscal.mvpf import MvpfResult, mvpf, mvpf_value
from evalkit.fiscal.tax import TaxSharing

__all__ = [
    "DEFAULT_DISCOUNT_RATE", "OUTCOMES", "VIEWS", "AdditionalityTable", "BootstrapDraws",
    "FiscalResult", "LinearEstimate", "MvpfResult", "PolicyCost", "TaxSharing",
    "additionality_table", "constant", "delta_method", "discount_factors", "fiscal_metrics",
    "joint_cov", "lincomb", "multiplier_bootstrap", "mvpf", "mvpf_value", "policy_cost", "ratio",
    "stack_psi", "total_effect",
]
