"""Coverage of the small-sample intervals on a known-truth multiplicative, heavy-tailed panel.

Firms' untreated log outcome is a lognormal firm effect (sd 1.55, the synthetic district's
FIRM_EFFECT_SD) plus a common year effect, a random walk (sd 0.10), transitory noise (sd 0.06)
and rare dips (-0.35 log points, probability 0.04); the award multiplies the outcome by
exp(delta_i), delta_i ~ N(0.08, 0.05^2). 20, 40 or 80 treated firms in two cohorts (2019, 2020),
400 never-treated comparison firms, 2015-2022. The total effect over the window (the quantity the
fiscal return divides by the subsidy) is estimated by the proportional design (pooled post
cells) and :func:`evalkit.fiscal.effects.total_effect`. Two truths:

* ``sample``: the tax the treated firms themselves added, sum of y - y0 over their post years
  (the definition of ``data/truth.json``);
* ``population``: its expectation given the year effects (the superpopulation mean effect).

Table and command: bench/README.md, "Small treated groups".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.did.proportional import att_gt_proportional
from evalkit.fiscal.effects import total_effect
from evalkit.fiscal.linear import LinearEstimate
from evalkit.robust.small_sample import small_sample_interval

YEARS = np.arange(2015, 2023)
COHORTS = (2019, 2020)
N_CONTROL = 400
REPS = 250


def panel(n1: int, rng: np.random.Generator):
    n = n1 + N_CONTROL
    k = np.arange(YEARS.size)
    lam = rng.normal(0, 0.05, YEARS.size).cumsum()
    log_y0 = (rng.normal(np.log(4e6), 1.55, n)[:, None] + lam[None]
              + rng.normal(0, 0.10, (n, YEARS.size)).cumsum(1)
              + rng.normal(0, 0.06, (n, YEARS.size))
              + np.where(rng.random((n, YEARS.size)) < 0.04, -0.35, 0.0))
    g = np.zeros(n, dtype=int)
    g[:n1] = np.where(np.arange(n1) < n1 // 2, COHORTS[0], COHORTS[1])
    delta = rng.normal(0.08, 0.05, n)
    post = (g[:, None] > 0) & (YEARS[None] >= g[:, None])
    y0 = np.exp(log_y0)
    y = y0 * np.exp(delta[:, None] * post)
    sample = float(((y - y0) * post).sum())
    mean_y0 = (np.exp(np.log(4e6) + 1.55 ** 2 / 2 + lam + 0.005 * (k + 1) + 0.0018)
               * (0.96 + 0.04 * np.exp(-0.35)))
    gain = np.exp(0.08 + 0.05 ** 2 / 2) - 1
    population = float(sum((g == c).sum() * mean_y0[c <= YEARS].sum() for c in COHORTS) * gain)
    ids = np.arange(n).astype(str)
    df = pd.DataFrame({"firm_id": np.repeat(ids, YEARS.size), "year": np.tile(YEARS, n),
                       "g": np.repeat(g, YEARS.size), "y": y.ravel()})
    return df, ids[:n1], {c: int((g == c).sum()) for c in COHORTS}, sample, population


def coverage(n1: int, reps: int = REPS, seed: int = 0) -> dict[str, dict[str, float]]:
    """Share of replications whose 95 % interval covers each truth, per method; and the
    median width relative to the analytic interval."""
    rng = np.random.default_rng([seed, n1])
    hits = {m: {"sample": 0, "population": 0} for m in ("analytic", "welch", "wild")}
    widths: dict[str, list[float]] = {"welch": [], "wild": []}
    for r in range(reps):
        df, treated, sizes, sample, population = panel(n1, rng)
        res = att_gt_proportional(df, "y", "year", "firm_id", "g", est_method="reg")
        cells = [LinearEstimate.from_did(res, index=k) for k in range(res.att.size)]
        total = total_effect(cells, sizes, (int(YEARS[0]), int(YEARS[-1])))
        lo, hi = total.conf_int(0.05)
        ivs = {"analytic": (lo, hi)}
        for m in ("welch", "wild"):
            s = small_sample_interval(total, treated, method=m, B=1999, seed=r)
            ivs[m] = (s.conf_low, s.conf_high)
            widths[m].append((s.conf_high - s.conf_low) / (hi - lo))
        for m, (a, b) in ivs.items():
            hits[m]["sample"] += a <= sample <= b
            hits[m]["population"] += a <= population <= b
    out = {m: {k: v / reps for k, v in h.items()} for m, h in hits.items()}
    for m, w in widths.items():
        out[m]["width"] = float(np.median(w))
    return out


@pytest.mark.slow
def test_small_sample_coverage():
    table = {n1: coverage(n1) for n1 in (20, 40, 80)}
    print("\ntreated  method    sample  population  width")
    for n1, rows in table.items():
        for m, r in rows.items():
            print(f"{n1:>7}  {m:<8}  {r['sample']:.3f}   {r['population']:.3f}      "
                  f"{r.get('width', 1.0):.3f}")
    for n1, rows in table.items():
        # the district's truth (the treated firms' own added tax) is covered
        assert rows["welch"]["sample"] >= 0.93, (n1, rows)
        assert rows["wild"]["sample"] >= 0.92, (n1, rows)
        # welch is never narrower than the analytic interval
        assert rows["welch"]["width"] >= 1.0
        assert rows["welch"]["population"] >= rows["analytic"]["population"]
