import json
import math

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ConfigError, DataError
from evalkit.fiscal import (
    LinearEstimate,
    TaxSharing,
    additionality_table,
    discount_factors,
    fiscal_metrics,
    mvpf,
    policy_cost,
    total_effect,
)


def _ledger():
    return pd.DataFrame({
        "policy_id": ["P1", "P1", "P1", "P2"],
        "firm_id": ["a", "b", "a", "c"],
        "date": ["2020-03-01", "2021-06-30", "2022-01-15", "2021-01-01"],
        "amount": [1_000_000.0, 2_000_000.0, 1_035_000.0, 5.0],
    })


def test_discount_factors_compound_both_ways():
    f = discount_factors([2019, 2020, 2022], base_year=2020, rate=0.035)
    assert f == pytest.approx({2019: 1.035, 2020: 1.0, 2022: 1 / 1.035**2})
    with pytest.raises(ConfigError, match="discount_rate"):
        discount_factors([2020], 2020, rate=1.5)


def test_policy_cost_discounts_and_adds_admin():
    c = policy_cost(_ledger(), "P1", base_year=2020, rate=0.035, admin_share=0.05)
    sub = 1_000_000 + 2_000_000 / 1.035 + 1_035_000 / 1.035**2
    assert c.nominal == pytest.approx(4_035_000)
    assert c.subsidy == pytest.approx(sub)
    assert c.admin == pytest.approx(0.05 * sub) and c.total == pytest.approx(1.05 * sub)
    assert c.n_recipients == 2 and c.by_year == {2020: 1e6, 2021: 2e6, 2022: 1_035_000}
    w = policy_cost(_ledger(), "P1", base_year=2020, window=(2021, 2021))
    assert w.nominal == 2e6 and w.n_recipients == 1


def test_policy_cost_errors_name_the_row():
    bad = _ledger()
    bad.loc[1, "date"] = "not a date"
    with pytest.raises(DataError) as e:
        policy_cost(bad, "P1", 2020)
    assert e.value.location.row == 3 and e.value.location.column == "date"
    with pytest.raises(DataError, match="no rows"):
        policy_cost(_ledger(), "P9", 2020)
    with pytest.raises(ConfigError, match="admin_share"):
        policy_cost(_ledger(), "P1", 2020, admin_share=1.2)


def test_tax_sharing_default_retention_and_validation():
    t = TaxSharing()
    assert t.retained("total") == 1.0
    assert t.retained("district") == pytest.approx(0.5 * 0.25 + 0.3 * 0.2 + 0.2 * 0.25)
    assert t.retained("city") == pytest.approx(0.5 * 0.5 + 0.3 * 0.4 + 0.2 * 0.5)
    with pytest.raises(ConfigError, match="sum to 1"):
        TaxSharing(composition={"vat": 0.5, "cit": 0.5, "other": 0.5})
    with pytest.raises(ConfigError, match="cannot keep more"):
        TaxSharing(district={"vat": 0.9, "cit": 0.2, "other": 0.2})


# ---------------------------------------------------------------- MVPF
def _fe(est, se):
    return LinearEstimate(est, pd.Series([se], index=["f"]) if se else None, "fe")


def test_mvpf_finite_point_and_degenerate_interval():
    r = mvpf(100.0, 100.0, _fe(50.0, 0.0), np.random.default_rng(0))
    assert r.estimate == pytest.approx(2.0) and r.status == "finite"
    assert r.conf_low == pytest.approx(2.0) and r.conf_high == pytest.approx(2.0)


def test_mvpf_infinite_when_policy_pays_for_itself():
    r = mvpf(100.0, 100.0, _fe(150.0, 0.0), np.random.default_rng(0))
    assert r.estimate == math.inf and r.status == "pays_for_itself"
    assert r.conf_low == math.inf and r.conf_high == math.inf
    exact = mvpf(100.0, 100.0, _fe(100.0, 0.0), np.random.default_rng(0))   # net cost exactly 0
    assert exact.estimate == math.inf


def test_mvpf_negative_when_beneficiaries_lose():
    w = LinearEstimate(-50.0, None, "w")
    r = mvpf(w, 100.0, _fe(0.0, 0.0), np.random.default_rng(0))
    assert r.estimate == pytest.approx(-0.5) and r.status == "finite"
    both = mvpf(LinearEstimate(-10.0, None, "w"), 100.0, _fe(150.0, 0.0), np.random.default_rng(0))
    assert math.isnan(both.estimate) and both.status == "both_negative"
    assert both.status_ci == "too_many_dropped" and both.dropped_share == 1.0
    assert (both.conf_low, both.conf_high) == (-math.inf, math.inf)


def test_mvpf_interval_with_infinite_upper_limit():
    # FE ~ N(90, 10): P(net cost <= 0) = P(FE >= 100) = 0.16 > 0.025 -> upper limit +inf;
    # MVPF = 100 / (100 - FE) increases in FE -> lower limit at FE's 2.5 % quantile.
    r = mvpf(100.0, 100.0, _fe(90.0, 10.0), np.random.default_rng(1), n_sim=200_000)
    assert r.estimate == pytest.approx(10.0)
    assert r.conf_high == math.inf
    assert r.conf_low == pytest.approx(100 / (100 - (90 - 1.959964 * 10)), rel=0.01)
    assert r.dropped_share == 0.0
    assert json.loads(json.dumps(__import__("evalkit.results").results.json_safe(r)))[
        "conf_high"] == "inf"


def test_mvpf_percentiles_adjusted_for_dropped_share():
    # WTP ~ N(1, 0.5) and FE ~ N(100, 1) with cost 100: about half of draws pay for themselves
    # (+inf), ~1.1 % have both WTP and net cost negative (dropped).
    w = LinearEstimate(1.0, pd.Series([0.5], index=["a"]), "w")
    fe = LinearEstimate(100.0, pd.Series([1.0], index=["b"]), "fe")
    r = mvpf(w, 100.0, fe, np.random.default_rng(7), n_sim=100_000, alpha=0.10)
    assert 0.005 < r.dropped_share < 0.02 and r.status_ci == "ok"
    z = np.random.default_rng(7).multivariate_normal([1.0, 100.0], np.diag([0.25, 1.0]),
                                                     size=100_000, method="eigh")
    wd, nc = z[:, 0], 100.0 - z[:, 1]
    assert np.mean((wd < 0) & (nc < 0)) == pytest.approx(r.dropped_share)
    val = np.where(nc <= 0, np.where(wd > 0, np.inf, np.nan), wd / np.where(nc > 0, nc, 1.0))
    kept = ~((wd < 0) & (nc < 0))
    # lower tail = (alpha - d) / 2 of ALL draws: the dropped share is split between the tails
    below = kept & (val < r.conf_low)
    assert below.mean() == pytest.approx((0.10 - r.dropped_share) / 2, abs=0.001)
    # the upper limit falls in the +inf mass (half the draws pay for themselves)
    assert r.conf_high == math.inf and 0 < r.conf_low < 1


def test_mvpf_rejects_bad_options():
    with pytest.raises(ConfigError, match="alpha"):
        mvpf(1.0, 1.0, _fe(0.0, 0.0), np.random.default_rng(0), alpha=1.5)


# ---------------------------------------------------------------- metrics
def _effects():
    ids = [f"f{i}" for i in range(4)]
    mk = lambda v, s, n: LinearEstimate(v, pd.Series(np.full(4, s / 2), index=ids), n)  # noqa: E731
    return {"tax_paid": mk(2_000_000.0, 400_000.0, "tax"),
            "revenue": mk(30_000_000.0, 5e6, "rev"),
            "rd_expense": mk(-500_000.0, 1e5, "rd"),
            "employees": mk(40.0, 10.0, "jobs"),
            "invention_patents": mk(6.0, 2.0, "pat")}


def test_fiscal_metrics_hand_computed():
    cost = policy_cost(_ledger(), "P1", base_year=2020, rate=0.0, admin_share=0.1)
    s = 4_035_000.0
    res = fiscal_metrics("P1", _effects(), cost, np.random.default_rng(0), n_sim=2000)
    td = res.tidy().set_index("term")
    assert td.loc["fiscal_return_total", "estimate"] == pytest.approx(2e6 / s)
    assert td.loc["fiscal_return_total", "std_error"] == pytest.approx(4e5 / s)
    assert td.loc["fiscal_return_district", "estimate"] == pytest.approx(0.235 * 2e6 / s)
    assert td.loc["fiscal_return_city", "estimate"] == pytest.approx(0.47 * 2e6 / s)
    assert td.loc["revenue_per_yuan", "estimate"] == pytest.approx(3e7 / s)
    assert td.loc["rd_additionality", "estimate"] == pytest.approx(-5e5 / s)   # crowds out
    assert td.loc["cost_per_job", "estimate"] == pytest.approx(1.1 * s / 40)
    assert td.loc["cost_per_job", "std_error"] == pytest.approx(1.1 * s / 40**2 * 10)
    assert td.loc["patents_per_million", "estimate"] == pytest.approx(6 / (s / 1e6))
    # MVPF, district view: WTP = subsidy, net cost = 1.1 s - 0.235 * 2e6
    assert td.loc["mvpf_district", "estimate"] == pytest.approx(s / (1.1 * s - 0.235 * 2e6))
    # the results protocol: canonical columns first, then the policy
    assert list(res.tidy().columns)[:7] == ["term", "estimate", "std_error", "conf_low",
                                            "conf_high", "p_value", "policy_id"]
    assert "cost_per_job" not in res.flags
    d = json.loads(json.dumps(res.to_dict()))
    assert d["policy_id"] == "P1" and "fiscal_return_district" in d["tidy"]["term"]
    assert "subsidy" in res.summary()


def test_fiscal_metrics_flags_insignificant_jobs_and_reports_infinite_mvpf():
    eff = _effects()
    ids = eff["employees"].psi.index
    eff["employees"] = LinearEstimate(5.0, pd.Series(np.full(4, 5.0), index=ids), "jobs")
    eff["tax_paid"] = LinearEstimate(2e7, pd.Series(np.full(4, 1.0), index=ids), "tax")
    cost = policy_cost(_ledger(), "P1", base_year=2020, rate=0.0)
    res = fiscal_metrics("P1", eff, cost, np.random.default_rng(0), n_sim=500)
    assert "cost_per_job" in res.flags
    m = {r.view: r for r in res.mvpf}
    assert m["total"].estimate == math.inf and m["district"].estimate == math.inf
    assert json.loads(json.dumps(res.to_dict()))["mvpf"][0]["estimate"] == "inf"
    with pytest.raises(ConfigError, match="effects must be keyed"):
        fiscal_metrics("P1", {"taxes": eff["tax_paid"]}, cost, np.random.default_rng(0))


def test_additionality_table_gross_to_net():
    g = LinearEstimate(1000.0, pd.Series([100.0], index=["a"]), "jobs")
    t = additionality_table(g, leakage=0.1, displacement=0.2, substitution=0.05, multiplier=1.5,
                            observed_total=4000.0)
    expected = 1000 * 0.9 * 0.8 * 0.95 * 1.5
    assert t.net.estimate == pytest.approx(expected)
    assert t.net.se == pytest.approx(100 * expected / 1000)
    assert t.deadweight == pytest.approx(3000.0) and t.deadweight_share == pytest.approx(0.75)
    assert t.tidy()["estimate"].tolist() == pytest.approx(
        [1000, 900, 720, 684, 1026])
    assert json.loads(json.dumps(t.to_dict()))["assumptions"]["leakage"] == 0.1
    with pytest.raises(ConfigError, match="displacement"):
        additionality_table(g, displacement=1.2)


# ---------------------------------------------------------------- coverage by simulation
def _simulate_cells(rng, n_per=(150, 150), n_never=300, years=(2018, 2019, 2020, 2021),
                    cohorts=(2019, 2020), tau=None):
    """Firm tax panel with known cell effects; ATT(g, t) by difference in mean changes against
    the never-treated from base year g - 1, with exact influence functions."""
    groups = np.r_[np.repeat(cohorts, n_per), np.zeros(n_never, int)]
    n = groups.size
    ids = np.array([f"f{i:04d}" for i in range(n)])
    a = rng.normal(5e5, 1e5, n)
    lam = {y: 1e4 * k for k, y in enumerate(years)}
    y = {t: a + lam[t] + rng.normal(0, 5e4, n) for t in years}
    for g in cohorts:
        for t in years:
            if t >= g:
                m = groups == g
                y[t][m] += tau[(g, t)] + rng.normal(0, 3e4, m.sum())   # heterogeneous effects
    cells = []
    for g in cohorts:
        for t in years:
            if t < g:
                continue
            d = y[t] - y[g - 1]
            tr, co = groups == g, groups == 0
            mt, mc = d[tr].mean(), d[co].mean()
            psi = np.zeros(n)
            psi[tr] = (d[tr] - mt) / tr.sum()
            psi[co] = -(d[co] - mc) / co.sum()
            cells.append(LinearEstimate(mt - mc, pd.Series(psi, index=ids), f"ATT({g},{t})",
                                        group=g, time=t))
    return cells, {g: n_per[k] for k, g in enumerate(cohorts)}


def test_fiscal_return_interval_covers_truth_in_simulation():
    tau = {(2019, 2019): 2e4, (2019, 2020): 4e4, (2019, 2021): 5e4,
           (2020, 2020): 1e4, (2020, 2021): 3e4}
    ledger = pd.DataFrame({"policy_id": "P", "firm_id": ["x", "y"],
                           "date": ["2019-05-01", "2020-05-01"], "amount": [8e6, 6e6]})
    cost = policy_cost(ledger, "P", base_year=2019, rate=0.035)
    factors = discount_factors(range(2019, 2022), 2019, 0.035)
    retained = TaxSharing().retained("district")
    truth = retained * sum(150 * v * factors[t] for (g, t), v in tau.items()) / cost.subsidy
    rng = np.random.default_rng(2024)
    reps, hits, ests = 200, 0, []
    for _ in range(reps):
        cells, sizes = _simulate_cells(rng, tau=tau)
        tot = total_effect(cells, sizes, (2019, 2021), discount=0.035, base_year=2019)
        res = fiscal_metrics("P", {"tax_paid": tot}, cost, rng, n_sim=200)
        fr = res.metric("fiscal_return_district")
        lo, hi = fr.conf_int()
        hits += lo <= truth <= hi
        ests.append(fr.estimate)
    coverage = hits / reps
    print(f"fiscal return (district) 95% CI coverage: {coverage:.3f} over {reps} reps")
    assert 0.92 <= coverage <= 0.98, coverage
    assert abs(np.mean(ests) - truth) < 0.05 * truth      # unbiased
