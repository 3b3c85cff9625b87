"""evalkit.did: staggered difference-in-differences (Callaway & Sant'Anna 2021, Poisson extended
TWFE of Wooldridge 2023, and diagnostics)."""

from evalkit.did.aggte import aggte
from evalkit.did.att_gt import att_gt
from evalkit.did.drdid import drdid_panel, reg_did_panel, std_ipw_panel
from evalkit.did.etwfe import ETWFEResult, etwfe
from evalkit.did.plot import plot_event_study
from evalkit.did.results import AggteResult, ATTgtResult

__all__ = [
    "ATTgtResult",
    "AggteResult",
    "ETWFEResult",
    "aggte",
    "att_gt",
    "drdid_panel",
    "etwfe",
    "plot_event_study",
    "reg_did_panel",
    "std_ipw_panel",
]
