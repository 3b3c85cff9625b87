"""Invariances of att_gt / aggte (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.did import aggte, att_gt
from evalkit.synth.dgp import simulate_staggered

METHODS = st.sampled_from(["dr", "ipw", "reg"])
CONTROLS = st.sampled_from(["nevertreated", "notyettreated"])
SEEDS = st.integers(0, 10_000)
PROP = settings(max_examples=12, deadline=None)
KINDS = ("simple", "group", "dynamic", "calendar")


def _panel(seed):
    data, _ = simulate_staggered(n_units=240, periods=tuple(range(2015, 2021)),
                                 cohorts=(2017, 2019), seed=seed)
    return data


def _fit(data, method, control, y="y"):
    return att_gt(data, y, "year", "id", "g", covariates=["x1", "x2"], est_method=method,
                  control_group=control)


@PROP
@given(seed=SEEDS, method=METHODS, control=CONTROLS,
       shift=st.floats(-1e3, 1e3, allow_nan=False))
def test_adding_a_constant_leaves_att_unchanged(seed, method, control, shift):
    data = _panel(seed)
    base = _fit(data, method, control)
    moved = _fit(data.assign(y=data.y + shift), method, control)
    np.testing.assert_allclose(moved.att, base.att, atol=1e-8 * (1 + abs(shift)))
    np.testing.assert_allclose(moved.se, base.se, atol=1e-8 * (1 + abs(shift)))


@PROP
@given(seed=SEEDS, method=METHODS, control=CONTROLS,
       c=st.floats(-50, 50, allow_nan=False).filter(lambda v: abs(v) > 1e-3))
def test_scaling_y_scales_att_and_se(seed, method, control, c):
    data = _panel(seed)
    base = _fit(data, method, control)
    scaled = _fit(data.assign(y=data.y * c), method, control)
    np.testing.assert_allclose(scaled.att, c * base.att, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(scaled.se, abs(c) * base.se, rtol=1e-8)
    for kind in KINDS:
        a, b = aggte(base, type=kind), aggte(scaled, type=kind)
        assert b.overall_att == pytest.approx(c * a.overall_att, rel=1e-8, abs=1e-10)
        assert b.overall_se == pytest.approx(abs(c) * a.overall_se, rel=1e-8)


@PROP
@given(seed=SEEDS, method=METHODS, control=CONTROLS, perm_seed=SEEDS)
def test_relabelling_and_reordering_units_changes_nothing(seed, method, control, perm_seed):
    data = _panel(seed)
    base = _fit(data, method, control)
    rng = np.random.default_rng(perm_seed)
    ids = data.id.unique()
    new = dict(zip(ids, rng.permutation(10 * len(ids))[: len(ids)] + 7, strict=True))
    shuffled = data.assign(id=data.id.map(new)).sample(frac=1.0, random_state=perm_seed)
    other = _fit(shuffled, method, control)
    np.testing.assert_allclose(other.att, base.att, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(other.se, base.se, rtol=1e-9)
    # the influence function follows the unit, whatever its label
    back = pd.DataFrame(other.inf_func, index=other.unit_ids)
    mapped = back.loc[[new[i] for i in base.unit_ids]].to_numpy()
    np.testing.assert_allclose(mapped, base.inf_func, atol=1e-10)


@PROP
@given(seed=SEEDS, method=METHODS, control=CONTROLS)
def test_influence_functions_average_to_zero_and_aggregate_linearly(seed, method, control):
    data = _panel(seed)
    before = data.copy(deep=True)
    res = _fit(data, method, control)
    pd.testing.assert_frame_equal(data, before)          # caller's data never mutated
    assert np.all(np.abs(res.inf_func.mean(axis=0)) < 1e-10)
    w, G = res.unit_weights, res.unit_group
    glist = np.unique(res.group)
    pg = {g: np.mean(w * (g == G)) for g in glist}
    for kind in KINDS:
        agg = aggte(res, type=kind)
        assert abs(agg.inf_func_overall.mean()) < 1e-10
        assert np.all(np.abs(agg.inf_func_egt.mean(axis=0)) < 1e-10)
    # simple: IF = sum_k (pg_k/s) IF_k + weight-estimation term (R did's wif), rebuilt here
    post = res.group <= res.time
    p = np.array([pg[g] for g in res.group[post]])
    s = p.sum()
    a = res.att[post]
    lead = res.inf_func[:, post] @ (p / s)
    ind = np.column_stack([w * (g == G) for g in res.group[post]])
    wif = (ind - p) / s - np.outer((ind - p).sum(axis=1), p / s**2)
    expected = lead + wif @ a
    simple = aggte(res, type="simple")
    np.testing.assert_allclose(simple.inf_func_overall, expected, atol=1e-12)
    assert simple.overall_att == pytest.approx(np.dot(a, p) / s)
    # group: each cohort's IF is the plain mean of its post-cell IFs (no estimated weights)
    grp = aggte(res, type="group")
    for j, g in enumerate(grp.egt):
        sel = (res.group == g) & post
        np.testing.assert_allclose(grp.inf_func_egt[:, j], res.inf_func[:, sel].mean(axis=1),
                                   atol=1e-12)


@settings(max_examples=6, deadline=None)
@given(seed=SEEDS, boot_seed=SEEDS)
def test_bootstrap_same_seed_same_bands(seed, boot_seed):
    data = _panel(seed)
    a = att_gt(data, "y", "year", "id", "g", bstrap=True, cband=True, biters=199, seed=boot_seed)
    b = att_gt(data, "y", "year", "id", "g", bstrap=True, cband=True, biters=199, seed=boot_seed)
    np.testing.assert_array_equal(a.tidy().conf_low, b.tidy().conf_low)
    assert a.crit_val == b.crit_val >= 1.959
    da, db = aggte(a, type="dynamic"), aggte(b, type="dynamic")
    np.testing.assert_array_equal(da.tidy().conf_high, db.tidy().conf_high)
    assert da.crit_val_egt >= 1.959
