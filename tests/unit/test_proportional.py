"""The proportional-scale design (evalkit.did.proportional) on multiplicative known-truth panels."""

import numpy as np
import pandas as pd
import pytest

from evalkit.did import aggte, att_gt
from evalkit.did.proportional import att_gt_proportional
from evalkit.errors import DesignError


def _panel(seed: int, n: int = 1500, tau: float = 0.10, years=range(2015, 2023)):
    """Lognormal firm sizes (heavy-tailed levels), common multiplicative growth, a random walk
    in logs, cohorts 2018/2020 assigned at random, a proportional effect tau from the award
    year on. Returns the panel and the true level ATT of each post (g, t) cell."""
    rng = np.random.default_rng(seed)
    years = np.array(list(years))
    size = rng.normal(14.0, 1.5, n)
    g = rng.choice([0, 2018, 2020], size=n, p=[0.6, 0.2, 0.2])
    walk = np.cumsum(rng.normal(0.0, 0.08, (n, years.size)), axis=1)
    logy0 = size[:, None] + 0.05 * np.arange(years.size)[None, :] + walk \
        + rng.normal(0, 0.05, (n, years.size))
    post = (g[:, None] > 0) & (years[None, :] >= g[:, None])
    y0 = np.exp(logy0)
    y = y0 * np.exp(tau * post)
    df = pd.DataFrame({"id": np.repeat(np.arange(n), years.size), "year": np.tile(years, n),
                       "g": np.repeat(g, years.size), "y": y.ravel()})
    truth = {}
    for c in (2018, 2020):
        for j, t in enumerate(years):
            if t >= c:
                m = g == c
                truth[(c, int(t))] = float((y[m, j] - y0[m, j]).mean())
    return df, truth


def test_level_cells_centre_on_the_truth_and_cover():
    """Over replications the pooled level cells' simple aggregate is centred on the true level
    effect and its 95 % interval covers at about the nominal rate (28 of 30 or more)."""
    errors, covered = [], 0
    for rep in range(30):
        df, truth = _panel(100 + rep)
        res = att_gt_proportional(df, "y", "year", "id", "g", est_method="reg",
                                  control_group="nevertreated")
        s = aggte(res, "simple")
        cells = res.post & np.isfinite(res.att)
        sizes = np.array([(df.drop_duplicates("id")["g"] == gg).sum() for gg in res.group[cells]])
        true = np.average([truth[(int(a), int(b))] for a, b in
                           zip(res.group[cells], res.time[cells], strict=True)], weights=sizes)
        errors.append((s.overall_att - true) / s.overall_se)
        covered += abs(s.overall_att - true) <= 1.96 * s.overall_se
    assert abs(np.mean(errors)) < 0.5, np.mean(errors)
    assert covered >= 26, covered


def test_more_precise_than_levels_on_heavy_tailed_outcomes():
    """On heavy-tailed levels the proportional design's standard error is well below the
    level design's (the reason it exists)."""
    df, _ = _panel(7, n=3000)
    prop = aggte(att_gt_proportional(df, "y", "year", "id", "g", est_method="reg"), "simple")
    level = aggte(att_gt(df, "y", "year", "id", "g", est_method="reg"), "simple")
    assert prop.overall_se < 0.6 * level.overall_se, (prop.overall_se, level.overall_se)


def test_unpooled_cells_equal_the_mapping_of_the_log_cells():
    """pool='none': each level cell is m(g,t) (1 - exp(-theta(g,t))) of att_gt on log(y)."""
    df, _ = _panel(3, n=800)
    res = att_gt_proportional(df, "y", "year", "id", "g", est_method="reg", pool="none")
    logs = att_gt(df.assign(ly=np.log(df["y"])), "ly", "year", "id", "g", est_method="reg")
    for k in range(res.att.size):
        g, t = int(res.group[k]), int(res.time[k])
        j = int(np.flatnonzero((logs.group == g) & (logs.time == t))[0])
        m = df[(df["g"] == g) & (df["year"] == t)]["y"].mean()
        assert res.att[k] == pytest.approx(m * (1 - np.exp(-logs.att[j])), rel=1e-10)


def test_rejects_non_positive_outcomes():
    df, _ = _panel(1, n=300)
    df.loc[5, "y"] = 0.0
    with pytest.raises(DesignError, match="strictly positive"):
        att_gt_proportional(df, "y", "year", "id", "g")


def test_stage_scales_per_outcome():
    """design.scale_of puts one outcome on the Poisson extended TWFE, auto puts the strictly
    positive tax on the proportional scale; both give a total effect for the fiscal metrics."""
    from evalkit.did.etwfe import ETWFEResult
    from evalkit.stages.ex_post import evaluate_outcome
    from tests.district_helpers import cohort_sizes, demo_study, district_tables, policy_sample

    tabs = district_tables(3000, 7)
    st = demo_study("P02")
    st = st.model_copy(update={"design": st.design.model_copy(
        update={"scale": "auto", "scale_of": {"invention_patents": "poisson"}})})
    df = policy_sample(tabs, st)
    pat = evaluate_outcome(df, "invention_patents", st, 7, cohort_sizes(df))
    tax = evaluate_outcome(df, "tax_paid", st, 7, cohort_sizes(df))
    assert pat.scale == "poisson" and isinstance(pat.att_gt, ETWFEResult)
    assert pat.total is not None and np.isfinite(pat.total.se)
    assert tax.scale == "proportional" and tax.att_gt.options["scale"] == "proportional"
    assert tax.dip is not None and "detected" in tax.dip
