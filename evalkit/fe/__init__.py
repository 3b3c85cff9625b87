"""Fixed-effects internals: the numerics every regression with unit and period effects shares.

Used by the TWFE family (:mod:`evalkit.did.twfe`, :mod:`evalkit.did.sunab`,
:mod:`evalkit.did.imputation`, :mod:`evalkit.did.bacon`), the wild cluster bootstrap
(:mod:`evalkit.robust.wildboot`), the dose-response panel models (:mod:`evalkit.panelmodels`) and
the ex-ante power simulation (:mod:`evalkit.exante.power`). Arrays in, arrays out; no estimator
and no result object lives here (the role of pyfixest's and fixest's internals).

- :mod:`evalkit.fe.panel`: :func:`prepare_panel` (and :func:`panel_arrays`), the input checks
  of a (unit, period) panel.
- :mod:`evalkit.fe.codes`: integer codes of units, periods and clusters.
- :mod:`evalkit.fe.within`: the within transformation by alternating projections
  (:func:`demean_two_way`) and the degrees of freedom the absorbed effects take.
- :mod:`evalkit.fe.vcov`: the CR1 cluster-robust covariance (fixest/reghdfe small-sample
  convention) and the rank check of a demeaned design.
- :mod:`evalkit.fe.ols`: OLS with unit and period effects (linearmodels ``PanelOLS`` or the
  demeaning fast path) and the lean event-study kernel.
"""

from evalkit.fe.codes import cluster_codes, dense_codes, factor_codes
from evalkit.fe.ols import FAST_THRESHOLD, METHODS, event_study_ols, fit_ols_fe
from evalkit.fe.panel import panel_arrays, prepare_panel
from evalkit.fe.vcov import check_rank, cluster_vcov, cr1, rank_deficient
from evalkit.fe.within import demean_column, demean_two_way, fe_k_increment

__all__ = [
    "FAST_THRESHOLD", "METHODS", "check_rank", "cluster_codes", "cluster_vcov", "cr1",
    "demean_column", "demean_two_way", "dense_codes", "event_study_ols", "factor_codes",
    "fe_k_increment", "fit_ols_fe", "panel_arrays", "prepare_panel", "rank_deficient",
]
