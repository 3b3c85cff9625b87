"""Gross to net additional impact, following UK appraisal practice (HM Treasury Green Book;
Homes & Communities Agency *Additionality Guide*, 4th ed., 2014).

Net additional impact = gross x (1 - leakage) x (1 - displacement) x (1 - substitution) x
multiplier. Deadweight (what the treated firms would have done anyway) is not an assumption here:
the causal estimate (DiD) already nets it out, so ``gross`` is the causal effect on the treated.
When the observed outcome total of the treated firms is given, deadweight is reported as
``observed - causal effect`` with its share of the observed total. Leakage, displacement,
substitution and the multiplier are stated assumptions; each step scales the estimate, so the
influence function scales with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evalkit.errors import ConfigError
from evalkit.fiscal.linear import LinearEstimate
from evalkit.i18n import Message
from evalkit.results import Result, json_safe, tidy_frame

__all__ = ["AdditionalityTable", "additionality_table"]


@dataclass(frozen=True, eq=False, repr=False)
class AdditionalityTable(Result):
    """Steps from the causal (deadweight-netted) estimate to the net additional impact."""

    steps: tuple[LinearEstimate, ...]
    assumptions: dict
    deadweight: float | None
    deadweight_share: float | None
    alpha: float = 0.05
    provenance: dict = field(default_factory=dict)

    @property
    def net(self) -> LinearEstimate:
        return self.steps[-1]

    def tidy(self) -> pd.DataFrame:
        return tidy_frame([s.name for s in self.steps], [s.estimate for s in self.steps],
                          [s.se for s in self.steps], self.alpha)

    def summary(self) -> str:
        t = self.tidy()
        lines = [f"{r.term:<28} {r.estimate:>16,.2f}  [{r.conf_low:,.2f}, {r.conf_high:,.2f}]"
                 for r in t.itertuples()]
        if self.deadweight is not None:
            lines.append(f"deadweight (observed - causal): {self.deadweight:,.2f} "
                         f"({self.deadweight_share:.1%} of the observed total)")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"tidy": self.tidy(), "assumptions": self.assumptions,
                          "deadweight": self.deadweight, "deadweight_share": self.deadweight_share,
                          "provenance": self.provenance})


def additionality_table(gross: LinearEstimate, leakage: float = 0.0, displacement: float = 0.0,
                        substitution: float = 0.0, multiplier: float = 1.0,
                        observed_total: float | None = None,
                        alpha: float = 0.05) -> AdditionalityTable:
    """Gross (causal) -> net additional impact. Shares in [0, 1], multiplier >= 1 is usual
    (any positive value is accepted)."""
    for nm, v in (("leakage", leakage), ("displacement", displacement),
                  ("substitution", substitution)):
        if not 0.0 <= float(v) <= 1.0:
            raise ConfigError(Message("errors.fiscal.additionality.lie", nm=nm, v=v))
    if not float(multiplier) > 0.0:
        raise ConfigError(Message("errors.fiscal.additionality.multiplier_positive",
                                  multiplier=multiplier))
    s0 = gross.renamed("gross (causal, net of deadweight)")
    s1 = (s0 * (1 - leakage)).renamed("after leakage")
    s2 = (s1 * (1 - displacement)).renamed("after displacement")
    s3 = (s2 * (1 - substitution)).renamed("after substitution")
    s4 = (s3 * multiplier).renamed("net additional (x multiplier)")
    dw = dws = None
    if observed_total is not None:
        dw = float(observed_total) - gross.estimate
        dws = dw / float(observed_total) if observed_total else None
    assumptions = {"leakage": leakage, "displacement": displacement,
                   "substitution": substitution, "multiplier": multiplier}
    return AdditionalityTable((s0, s1, s2, s3, s4), assumptions, dw, dws, alpha,
                              {"method": "UK additionality (HCA Additionality Guide 2014)",
                               "gross": gross.name})
