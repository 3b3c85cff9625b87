"""Hand-made stage results as the typed models the report views read: the tests write only the
fields they are about; the fields every real bundle has and these tests do not look at (the
policy, the cohort sizes, each outcome's name and simple aggregation, the cycle and metric) are
filled in here."""

from __future__ import annotations

import copy
from typing import Any

from evalkit.contract.models import ExPostResults, MonitorResults, PortfolioResults


def ex_post(results: dict[str, Any]) -> ExPostResults:
    d = copy.deepcopy(results)
    d.setdefault("policy", {"policy_id": "P01"})
    d.setdefault("cohort_sizes", {})
    d.setdefault("outcomes", {})
    d.setdefault("main_outcome", next(iter(d["outcomes"]), "tax_paid"))
    for name, out in d["outcomes"].items():
        out.setdefault("outcome", name)
        out.setdefault("simple", {})
    return ExPostResults.model_validate(d)


def portfolio(results: dict[str, Any]) -> PortfolioResults:
    return PortfolioResults.model_validate({"cycle": "2026", "metric": "fiscal_return_district",
                                            **copy.deepcopy(results)})


def monitor(results: dict[str, Any]) -> MonitorResults:
    return MonitorResults.model_validate({"year": 2025, "as_of": "2025-07-31", "execution": [],
                                          **copy.deepcopy(results)})
