"""Scenario mode of the synthetic district: each policy's effect size, take-up and award size
drawn at random, so that a decision rule is scored on many configurations, not tuned to one.

A :class:`Scenario` holds three multipliers per policy, applied on top of the policy's design in
:mod:`evalkit.synth.policies`:

- ``effect``: the true effects in log points (all outcomes but the R&D crowding-out) are
  multiplied by it; drawn uniformly on [0, 2.5] (0 = a policy that does nothing);
- ``uptake``: the expected number of awards a year (application policies) or the take-up share
  of firms with the triggering event (capped at 1); log-uniform on [0.4, 2.5];
- ``award``: each firm's award (so the policy's budget and its fiscal return), log-uniform on
  [0.5, 1] (never above the per-firm cap the policies table publishes).

The draws come from their own generator, seeded by the district's seed, so a district without
scenario is unchanged; the truth records the scenario (``truth["scenario"]``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evalkit.synth.policies import POLICY_IDS

__all__ = ["Scenario", "draw_scenario"]


@dataclass(frozen=True)
class Scenario:
    effect: dict[str, float]
    uptake: dict[str, float]
    award: dict[str, float]

    def to_dict(self) -> dict[str, dict[str, float]]:
        return {"effect": dict(self.effect), "uptake": dict(self.uptake),
                "award": dict(self.award)}


def draw_scenario(seed: int) -> Scenario:
    """The scenario of the district with this seed (deterministic)."""
    rng = np.random.default_rng([int(seed), 20261207])
    k = len(POLICY_IDS)
    effect = rng.uniform(0.0, 2.5, k)
    uptake = np.exp(rng.uniform(np.log(0.4), np.log(2.5), k))
    award = np.exp(rng.uniform(np.log(0.5), 0.0, k))
    return Scenario({p: float(v) for p, v in zip(POLICY_IDS, effect, strict=True)},
                    {p: float(v) for p, v in zip(POLICY_IDS, uptake, strict=True)},
                    {p: float(v) for p, v in zip(POLICY_IDS, award, strict=True)})
