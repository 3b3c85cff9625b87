"""Who keeps the extra tax: the tax split and the district / city retention shares.

``tax_paid`` in the firm-year table is total tax. Additional tax ``T`` caused by a policy is split
into VAT, corporate income tax (CIT) and other taxes by a composition ``(c_vat, c_cit, c_other)``
(shares of total tax, summing to 1); each tax is retained by a level of government with share
``s``. The revenue kept by a level is ``T * sum_k c_k s_k``, so its fiscal return is the total
fiscal return times that constant.

Defaults (stated assumptions, set them from the district's fiscal system):

* composition: VAT 0.50, CIT 0.30, other 0.20 of total tax paid by firms;
* city view (Shanghai city + district, i.e. the local government): VAT 0.50 (the 2016 50/50
  central-local VAT split), CIT 0.40 (60/40 central-local), other 0.50;
* district view: half of the local share, VAT 0.25, CIT 0.20, other 0.25.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from evalkit.errors import ConfigError
from evalkit.i18n import Message

__all__ = ["TaxSharing"]

_TAXES = ("vat", "cit", "other")


@dataclass(frozen=True)
class TaxSharing:
    composition: dict = field(default_factory=lambda: {"vat": 0.50, "cit": 0.30, "other": 0.20})
    district: dict = field(default_factory=lambda: {"vat": 0.25, "cit": 0.20, "other": 0.25})
    city: dict = field(default_factory=lambda: {"vat": 0.50, "cit": 0.40, "other": 0.50})

    def __post_init__(self) -> None:
        for label in ("composition", "district", "city"):
            d = getattr(self, label)
            if set(d) != set(_TAXES):
                raise ConfigError(Message("errors.fiscal.tax.tax_needs_exactly_keys", label=label,
                                          taxes=list(_TAXES), d=sorted(d)))
            if any(not 0.0 <= float(v) <= 1.0 for v in d.values()):
                raise ConfigError(Message("errors.fiscal.tax.tax_shares_lie", label=label, d=d))
        if abs(sum(self.composition.values()) - 1.0) > 1e-9:
            raise ConfigError(Message("errors.fiscal.tax.tax_composition_sum",
                                      composition=self.composition))
        for k in _TAXES:
            if self.district[k] > self.city[k] + 1e-12:
                raise ConfigError(Message("errors.fiscal.tax.district_cannot_keep_more", k=k,
                                          district=self.district[k], city=self.city[k]))

    def with_district_share(self, share: float) -> TaxSharing:
        """This sharing with the district keeping ``share`` of all additional tax (a study's
        ``fiscal.district_share``): the district's share of each tax is the local (city and
        district) share scaled by ``share / retained('city')``, so the tax-by-tax pattern is
        kept. The district cannot keep more than the local government does."""
        local = self.retained("city")
        if not 0.0 <= float(share) <= local + 1e-12:
            raise ConfigError(Message("errors.fiscal.tax.fiscal_district_share_lie", share=share,
                                      local=local))
        scale = float(share) / local if local > 0 else 0.0
        return TaxSharing(dict(self.composition), {k: self.city[k] * scale for k in _TAXES},
                          dict(self.city))

    def retained(self, view: str) -> float:
        """Share of total additional tax kept by ``view`` ('total', 'city' or 'district')."""
        if view == "total":
            return 1.0
        shares = self.district if view == "district" else self.city
        return float(sum(self.composition[k] * shares[k] for k in _TAXES))
