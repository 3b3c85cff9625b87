import numpy as np
import pytest

from evalkit.did import aggte, att_gt
from evalkit.fiscal import LinearEstimate, total_effect
from evalkit.synth.dgp import simulate_staggered


@pytest.fixture(scope="module")
def fitted():
    data, truth = simulate_staggered(n_units=600, periods=tuple(range(2016, 2023)),
                                     cohorts=(2019, 2021), seed=4)
    res = att_gt(data, "y", "year", "id", "g", covariates=["x1", "x2"])
    return data, truth, res


def test_from_did_cells_reproduce_att_gt_se(fitted):
    _, _, res = fitted
    for k in range(res.att.size):
        cell = LinearEstimate.from_did(res, k)
        assert (cell.group, cell.time) == (int(res.group[k]), int(res.time[k]))
        assert cell.estimate == pytest.approx(res.att[k])
        assert cell.se == pytest.approx(res.se[k], rel=1e-10)
    by_key = LinearEstimate.from_did(res, (2021, 2022))
    assert by_key.name == "ATT(2021,2022)" and by_key.n_firms == res.n_units


def test_from_did_aggte_overall_and_keys(fitted):
    _, _, res = fitted
    agg = aggte(res, type="group")
    ov = LinearEstimate.from_did(agg)
    assert ov.estimate == pytest.approx(agg.overall_att)
    assert ov.se == pytest.approx(agg.overall_se, rel=1e-10)
    g19 = LinearEstimate.from_did(agg, 2019)
    assert g19.se == pytest.approx(agg.se_egt[list(agg.egt).index(2019)], rel=1e-10)


def test_from_did_relabel_and_sum_within_clusters(fitted):
    _, _, res = fitted
    labels = [f"c{int(u) % 50}" for u in np.asarray(res.unit_ids)]
    cl = LinearEstimate.from_did(res, 0, firm_ids=labels)
    assert cl.n_firms == 50
    inf = res.inf_func[:, 0] / res.n_units
    sums = {}
    for lab, v in zip(labels, inf, strict=True):
        sums[lab] = sums.get(lab, 0.0) + v
    assert cl.se == pytest.approx(np.sqrt(sum(v * v for v in sums.values())))


def test_total_effect_from_att_gt_covers_known_total(fitted):
    _, truth, res = fitted
    cells = [LinearEstimate.from_did(res, k) for k in range(res.att.size)]
    sizes = truth["group_size"]
    tot = total_effect(cells, sizes, (2019, 2022))
    true_total = sum(sizes[g] * truth["att_gt"][(g, t)] for (g, t) in truth["att_gt"]
                     if t >= g and 2019 <= t <= 2022)
    expected = sum(sizes[int(g)] * a for g, t, a in zip(res.group, res.time, res.att, strict=True)
                   if t >= g)
    assert tot.estimate == pytest.approx(expected)
    lo, hi = tot.conf_int(0.01)
    assert lo <= true_total <= hi
