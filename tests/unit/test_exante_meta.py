"""Evidence pooling: DerSimonian-Laird by hand, selection by instrument/objective, no evidence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from evalkit.errors import DataError
from evalkit.exante.meta import evidence_rows, no_evidence_reason, pool, project_from_evidence


def _ev(pid, instrument, objective, fr, fr_se, att=None, att_se=None, outcome="tax_paid"):
    """The parts of ExPostResult.to_dict() the projection reads."""
    out = {"policy": {"policy_id": pid, "instrument": instrument, "objective": objective,
                      "name_en": pid},
           "fiscal": {"tidy": {"term": ["fiscal_return_total", "fiscal_return_district"],
                               "estimate": [fr * 2, fr], "std_error": [fr_se * 2, fr_se]}},
           "outcomes": {}}
    if att is not None:
        out["outcomes"][outcome] = {"simple": {"overall_att": att, "overall_se": att_se}}
    return out


def _dl(y, s):
    """DerSimonian & Laird (1986) written out."""
    w = 1 / s ** 2
    mu_fe = np.sum(w * y) / w.sum()
    q = np.sum(w * (y - mu_fe) ** 2)
    k = y.size
    tau2 = max(0.0, (q - (k - 1)) / (w.sum() - np.sum(w ** 2) / w.sum()))
    wr = 1 / (s ** 2 + tau2)
    mu = np.sum(wr * y) / wr.sum()
    return mu, np.sqrt(1 / wr.sum()), tau2, max(0.0, (q - (k - 1)) / q)


def test_pool_matches_dersimonian_laird_by_hand():
    y = np.array([1.4, 0.45, 1.5, 2.0, 0.9])
    s = np.array([0.3, 0.2, 0.4, 0.5, 0.25])
    p = pool("fr", list("abcde"), y, s)
    mu, se, tau2, i2 = _dl(y, s)
    assert p.mean == pytest.approx(mu, rel=1e-10)
    assert p.se == pytest.approx(se, rel=1e-10)
    assert p.tau2 == pytest.approx(tau2, rel=1e-10) and tau2 > 0
    assert p.i2 == pytest.approx(i2, rel=1e-10)
    half = stats.t.ppf(0.975, 3) * np.sqrt(tau2 + se ** 2)
    assert (p.pred_low, p.pred_high) == pytest.approx((mu - half, mu + half), rel=1e-10)
    assert p.pred_low < p.conf_low < p.conf_high < p.pred_high


def test_between_policy_variance_is_truncated_at_zero():
    """Q < k - 1 (estimates closer than their standard errors imply): tau^2 = 0 and the pooled
    estimate is the fixed-effect one, inside the range of the estimates."""
    y = np.array([6.617, 2.256])
    s = np.array([4.738, 0.889])
    p = pool("fr", ["a", "b"], y, s)
    mu, se, tau2, _ = _dl(y, s)
    assert tau2 == 0.0 and p.tau2 == 0.0 and p.i2 == 0.0
    assert p.mean == pytest.approx(mu, rel=1e-10) and y.min() < p.mean < y.max()
    assert p.se == pytest.approx(se, rel=1e-10)
    assert all(w > 0 for w in p.weights)


def test_single_study_is_reported_not_pooled():
    p = pool("fr", ["a"], np.array([1.2]), np.array([0.3]))
    assert p.k == 1 and p.mean == 1.2 and p.i2 is None and "one past policy" in p.note


def test_projection_uses_matching_policies_only_and_adjusts():
    ev = [_ev("A", "award", "innovation", 1.5, 0.3, att=100.0, att_se=20.0),
          _ev("B", "grant", "innovation", 0.5, 0.2, att=40.0, att_se=10.0),
          _ev("C", "award", "headquarters", 5.0, 1.0),
          _ev("D", "rent_subsidy", "service", 0.0, 0.1)]
    rows = evidence_rows(ev, "award", "innovation", "tax_paid")
    assert list(rows["policy_id"]) == ["A", "B", "C"]
    assert list(rows["match"]) == ["instrument and objective", "objective", "instrument"]
    proj = project_from_evidence(ev, "award", "innovation", "tax_paid", 1e6,
                                 np.random.default_rng(0), leakage=0.5, displacement=0.2,
                                 admin_share=0.05)
    fr = proj.fiscal_return
    assert fr.k == 3 and fr.policies == ("A", "B", "C")
    mu, *_ = _dl(np.array([1.5, 0.5, 5.0]), np.array([0.3, 0.2, 1.0]))
    assert fr.mean == pytest.approx(mu)
    adj = 0.5 * 0.8
    est, lo, hi = proj.projected_fiscal_return
    assert est == pytest.approx(mu * adj)
    assert lo < est < hi
    assert mu * adj < 1.05  # a finite MVPF: 1 / (1 + admin - FR)
    assert proj.mvpf[0] == pytest.approx(1 / (1.05 - mu * adj))
    assert proj.additional_tax_per_year[0] == pytest.approx(est * 1e6)
    assert proj.effect.k == 2  # C has no tax_paid effect
    json.dumps(proj.to_dict())


def test_mvpf_is_infinite_when_the_policy_pays_for_itself():
    ev = [_ev("A", "award", "open", 3.0, 0.1), _ev("B", "award", "open", 3.2, 0.1)]
    proj = project_from_evidence(ev, "award", "open", "tax_paid", 1e6, np.random.default_rng(0))
    assert proj.mvpf[0] == np.inf and proj.mvpf[2] == np.inf


def test_no_evidence_gives_none_and_a_reason():
    assert project_from_evidence([], "award", "open", "tax_paid", 1e6,
                                 np.random.default_rng(0)) is None
    assert "no ex-post evaluations" in no_evidence_reason([], "award", "open")
    other = [_ev("D", "rent_subsidy", "service", 0.0, 0.1)]
    assert project_from_evidence(other, "award", "open", "tax_paid", 1e6,
                                 np.random.default_rng(0)) is None
    assert "none of the 1" in no_evidence_reason(other, "award", "open")


def test_malformed_evidence_is_a_data_error():
    with pytest.raises(DataError, match="evidence item 0"):
        evidence_rows([{"kind": "ex_post"}], "award", "open", "tax_paid")
