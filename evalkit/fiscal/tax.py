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
                raise ConfigError(f"tax {label} needs exactly the keys {list(_TAXES)}; "
                                  f"received {sorted(d)}",
                                  zh=f"税收 {label} 的键须恰为 {list(_TAXES)}；"
                                     f"收到的是 {sorted(d)}")
            if any(not 0.0 <= float(v) <= 1.0 for v in d.values()):
                raise ConfigError(f"tax {label} shares must lie in [0, 1]; received {d}",
                                  zh=f"税收 {label} 的比例须位于 [0, 1] 内；收到的是 {d}")
        if abs(sum(self.composition.values()) - 1.0) > 1e-9:
            raise ConfigError(f"tax composition must sum to 1; received {self.composition}",
                              zh=f"税种构成 composition 之和须为 1；收到的是 {self.composition}")
        for k in _TAXES:
            if self.district[k] > self.city[k] + 1e-12:
                raise ConfigError(f"the district cannot keep more {k} ({self.district[k]}) than "
                                  f"the city and district together ({self.city[k]})",
                                  zh=f"区留成的 {k} 比例（{self.district[k]}）不得高于"
                                     f"市、区合计留成比例（{self.city[k]}）")

    def with_district_share(self, share: float) -> TaxSharing:
        """This sharing with the district keeping ``share`` of all additional tax (a study's
        ``fiscal.district_share``): the district's share of each tax is the local (city and
        district) share scaled by ``share / retained('city')``, so the tax-by-tax pattern is
        kept. The district cannot keep more than the local government does."""
        local = self.retained("city")
        if not 0.0 <= float(share) <= local + 1e-12:
            raise ConfigError(f"fiscal.district_share {share} must lie between 0 and the share "
                              f"the city and district keep together ({local:.3f})",
                              zh=f"fiscal.district_share {share} 须介于 0 与市、区合计留成比例"
                                 f"（{local:.3f}）之间")
        scale = float(share) / local if local > 0 else 0.0
        return TaxSharing(dict(self.composition), {k: self.city[k] * scale for k in _TAXES},
                          dict(self.city))

    def retained(self, view: str) -> float:
        """Share of total additional tax kept by ``view`` ('total', 'city' or 'district')."""
        if view == "total":
            return 1.0
        shares = self.district if view == "district" else self.city
        return float(sum(self.composition[k] * shares[k] for k in _TAXES))
