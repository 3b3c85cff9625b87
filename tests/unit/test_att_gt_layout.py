"""att_gt does not depend on the panel's row order or id type: the sorted balanced panel takes
the reshape-view fast path (``_blocked_pivot``), any other layout the general pivot."""

import numpy as np
import pytest

from evalkit.did import aggte, att_gt
from evalkit.synth.dgp import simulate_staggered


@pytest.fixture(scope="module")
def panels():
    df, _ = simulate_staggered(n_units=1500, seed=3)
    df = df.sort_values(["id", "year"]).reset_index(drop=True)
    shuffled = df.sample(frac=1.0, random_state=1).reset_index(drop=True)
    strings = df.assign(id=df["id"].map(lambda i: f"firm-{i:05d}"))
    return df, shuffled, strings


@pytest.mark.parametrize("est_method", ["dr", "ipw", "reg"])
@pytest.mark.parametrize("control_group", ["nevertreated", "notyettreated"])
def test_row_order_and_id_type_give_identical_results(panels, est_method, control_group):
    runs = [att_gt(p, "y", "year", "id", "g", covariates=["x1", "x2"], est_method=est_method,
                   control_group=control_group) for p in panels]
    base = runs[0]
    for r in runs[1:]:
        np.testing.assert_array_equal(r.group, base.group)
        np.testing.assert_array_equal(r.time, base.time)
        np.testing.assert_allclose(r.att, base.att, rtol=0, atol=1e-12)
        np.testing.assert_allclose(r.se, base.se, rtol=1e-12)
        # influence functions per unit, matched by id
        order_b = np.argsort(base.unit_ids.astype(str))
        order_r = np.argsort(r.unit_ids.astype(str)) if r is not runs[2] else np.argsort(
            np.array([int(s.split("-")[1]) for s in r.unit_ids]).astype(str))
        np.testing.assert_allclose(r.inf_func[order_r], base.inf_func[order_b], atol=1e-12)
    dyn = [aggte(r, "dynamic").overall_att for r in runs]
    assert max(dyn) - min(dyn) < 1e-12


def test_bootstrap_bands_do_not_depend_on_row_order(panels):
    sorted_, shuffled, _ = panels
    a = att_gt(sorted_, "y", "year", "id", "g", covariates=["x1", "x2"], bstrap=True,
               biters=199, cband=True, seed=5)
    b = att_gt(shuffled, "y", "year", "id", "g", covariates=["x1", "x2"], bstrap=True,
               biters=199, cband=True, seed=5)
    np.testing.assert_allclose(a.se, b.se, rtol=1e-10)
    assert a.crit_val == pytest.approx(b.crit_val, rel=1e-10)


def test_fast_path_is_taken_only_for_the_sorted_integer_layout(panels, monkeypatch):
    import importlib

    mod = importlib.import_module("evalkit.did.pre_process")   # where the pivot lives

    taken = []
    real = mod._blocked_pivot

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(mod, "_blocked_pivot", spy)
    sorted_, shuffled, strings = panels
    for p in (sorted_, shuffled, strings):
        att_gt(p, "y", "year", "id", "g", covariates=["x1", "x2"])
    # string ids never reach the integer check's success; shuffled rows fail the block checks
    assert taken[0] is True and taken[1] is False and taken[-1] is False
    # a block-aligned unbalanced panel (one firm misses a year) must fall back, with the
    # general pivot's message
    gap = sorted_.drop(index=sorted_.index[(sorted_["id"] == sorted_["id"].iloc[0])
                                           & (sorted_["year"] == sorted_["year"].max())])
    taken.clear()
    with pytest.warns(Warning):
        r = att_gt(gap, "y", "year", "id", "g", covariates=["x1", "x2"])
    assert taken == [False]
    assert r.n_units == sorted_["id"].nunique() - 1           # balanced: the short firm dropped
