"""Issue 5: each policy's estimated fiscal return against the district's true value, over ten
independently drawn districts (slow; about two minutes).

For every seed the eight demo ex-post studies run on ``synthesize_district(20000, seed)`` with
the outcomes ``tax_paid`` and the study's main outcome, analytic standard errors and no
discounting (the truth is in nominal yuan: additional tax over the disbursed subsidy). The
voucher P07 is built to violate parallel trends (an Ashenfelter dip); the evaluation must flag
it, as the portfolio does, by the pre-trend test of the main outcome, and it is not expected to
cover. For the seven others (whether or not their pre-trend test rejects: it rejects more
often than 5 % -- for P02's patents in every district -- and excluding them would flatter the
coverage):

* pointwise: the 95 % interval of ``fiscal_return_total`` covers the truth. Measured when this
  test was written: 64 of 70 policy-districts (91 %). The shortfall from 95 % is the heavy right
  tail of firms' tax in levels (a handful of very large firms carries the total, and the
  normal approximation of its sampling distribution is rough); the bound below is what a
  correct procedure with that shortfall passes (the binomial chance of 85 % or less out of 70
  at 91 % is about 4 %; at 95 %, under 0.1 %);
* simultaneously: the portfolio's sup-t band (:func:`evalkit.portfolio.ranking.
  rank_confidence_sets`, joint covariance from the shared firm-level influence functions) covers
  the seven policies of a district at once. Measured: 8 of 10 districts (seed 1, where
  three policies sharing the same comparison firms are all off by 2-3 standard errors, and
  seed 10 miss); a 95 % procedure falls to 7 or fewer with probability 1 %.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from evalkit.errors import EvalkitWarning
from evalkit.portfolio.ranking import rank_confidence_sets
from evalkit.stages.ex_post import run_ex_post
from evalkit.synth import synthesize_district
from tests.district_helpers import demo_study

pytestmark = pytest.mark.slow

SEEDS = range(1, 11)
POLICIES = [f"P0{i}" for i in range(1, 9)]


def _study(pid: str):
    s = demo_study(pid)
    return s.model_copy(update={
        "outcomes": list(dict.fromkeys(["tax_paid", s.main_outcome])),
        "fiscal": s.fiscal.model_copy(update={"discount_rate": 0.0})})


def evaluate_districts(seeds=SEEDS) -> list[tuple[int, list[dict]]]:
    """Per seed, per policy: the fiscal-return estimate, the truth and the pre-trend flag."""
    from tests.district_helpers import district_tables
    out = []
    for seed in seeds:
        tables = district_tables(20000, seed)
        truth = synthesize_district(20000, seed=seed).truth
        rows = []
        for pid in POLICIES:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EvalkitWarning)
                res = run_ex_post(_study(pid), tables)
            pre = res.outcomes[res.main_outcome].pretrend
            rows.append({"policy": pid, "estimate": res.fiscal.metric("fiscal_return_total"),
                         "truth": truth["policies"][pid]["fiscal"]["fiscal_return"],
                         "pretrend_p": None if pre is None else pre.p_value,
                         "flagged": pre is not None and pre.p_value < 0.05})
        out.append((seed, rows))
    return out


@pytest.fixture(scope="module")
def runs():
    return evaluate_districts()


def test_the_dip_policy_is_flagged_by_its_pretrend_test(runs):
    flagged = [next(r for r in rows if r["policy"] == "P07")["flagged"] for _, rows in runs]
    assert sum(flagged) >= 9, flagged


def test_pointwise_intervals_cover_the_true_fiscal_return(runs):
    hits, misses = 0, []
    for seed, rows in runs:
        for r in rows:
            if r["policy"] == "P07":
                continue
            lo, hi = r["estimate"].conf_int(0.05)
            if lo <= r["truth"] <= hi:
                hits += 1
            else:
                misses.append((seed, r["policy"], round(r["estimate"].estimate, 3), r["truth"]))
    n = hits + len(misses)
    assert n == 70
    assert hits / n >= 0.85, (hits, n, misses)


def test_simultaneous_band_covers_every_policy_but_the_dip(runs):
    covered = []
    for seed, rows in runs:
        keep = [r for r in rows if r["policy"] != "P07"]
        ranking = rank_confidence_sets([r["estimate"].renamed(r["policy"]) for r in keep],
                                       rng=np.random.default_rng(seed), n_draws=20_000)
        t = ranking.tidy().set_index("term")
        ok = all(t.loc[r["policy"], "conf_low_simultaneous"] <= r["truth"]
                 <= t.loc[r["policy"], "conf_high_simultaneous"] for r in keep)
        covered.append((seed, ok))
    assert sum(ok for _, ok in covered) >= 8, covered
