"""evalkit.panelmodels: linearmodels wrappers for dose-response panels and the Hausman test."""

from evalkit.panelmodels.dose_response import DoseResponseResult, dose_response, plot_dose_response
from evalkit.panelmodels.hausman import HausmanResult, classic_hausman, hausman_test

__all__ = [
    "DoseResponseResult",
    "HausmanResult",
    "classic_hausman",
    "dose_response",
    "hausman_test",
    "plot_dose_response",
]
