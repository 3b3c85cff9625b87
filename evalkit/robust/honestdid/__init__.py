"""HonestDiD: robust confidence sets for event-study effects under limited violations of
parallel trends.

Rambachan & Roth (2023), "A More Credible Approach to Parallel Trends", Review of Economic
Studies 90(5): 2555-2591; the conditional and hybrid tests are those of Andrews, Roth & Pakes
(2023, "Inference for Linear Conditional Moment Inequalities", REStud). The reference
implementation is the R package ``HonestDiD`` (Rambachan & Roth); this module follows its
definitions (``createSensitivityResults``, ``createSensitivityResults_relativeMagnitudes``,
``constructOriginalCS``, ``findOptimalFLCI``, the ARP test with nuisance parameters) with its own
numerics:

* The ARP linear program ``eta(y) = min_d max_i (y_i - X_i d) / sd_i`` is solved through its dual:
  ``eta(y) = max_v v'y`` over the vertices ``v`` of ``{g >= 0, [sd, X]' g = e_1}``. The vertices
  are enumerated once per restriction set, so the test runs vectorised over the whole theta grid
  and over the least-favourable simulation draws, and the conditioning interval ``[v_lo, v_up]``
  of the test is exact (R finds it by bisection over linear programs).
* The least-favourable critical value uses the same 1000 normal draws as R (Mersenne-Twister seeded
  with ``set.seed(0)``, inversion, and ``mvtnorm::rmvnorm``'s eigen square root) unless the
  caller passes a ``numpy.random.Generator``.
* The FLCI solves R's convex programme (minimum worst-case bias given the standard deviation
  ``h``, then the ``h`` minimising the half-length) with ``scipy.optimize`` (SLSQP, bounded Brent),
  and uses the exact folded-normal quantile instead of R's 10^6-draw simulation.

Shapes: ``betahat`` ``(numPrePeriods + numPostPeriods,)`` event-study coefficients ordered by
event time with the reference period removed; ``sigma`` its covariance ``(K, K)``; ``l_vec``
``(numPostPeriods,)`` weights defining the target ``theta = l_vec' tau_post``.

Modules, as the R package's files: :mod:`~evalkit.robust.honestdid.restrictions` (the sets
Delta), :mod:`~evalkit.robust.honestdid.arp` (the conditional/hybrid test),
:mod:`~evalkit.robust.honestdid.conditional` (its confidence sets),
:mod:`~evalkit.robust.honestdid.flci`, :mod:`~evalkit.robust.honestdid.sensitivity` (the tables
and :class:`HonestDiDResult`), :mod:`~evalkit.robust.honestdid.adapter` (:func:`honest_did`) and
:mod:`~evalkit.robust.honestdid.draws` (R's random draws).
"""

from evalkit.robust.honestdid.adapter import honest_did
from evalkit.robust.honestdid.conditional import RM_METHODS, conditional_cs_rm, conditional_cs_sd
from evalkit.robust.honestdid.flci import flci
from evalkit.robust.honestdid.restrictions import (
    MAX_VERTEX_COMBINATIONS,
    create_A_RM,
    create_A_SD,
)
from evalkit.robust.honestdid.sensitivity import (
    SD_METHODS,
    HonestDiDResult,
    original_cs,
    sensitivity_rm,
    sensitivity_sd,
)

__all__ = [
    "MAX_VERTEX_COMBINATIONS", "RM_METHODS", "SD_METHODS", "HonestDiDResult",
    "conditional_cs_rm", "conditional_cs_sd", "create_A_RM", "create_A_SD", "flci",
    "honest_did", "original_cs", "sensitivity_rm", "sensitivity_sd",
]
