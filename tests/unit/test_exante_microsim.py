"""Eligibility microsimulation: counts and costs against direct pandas, the realised ledger, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ConfigError
from evalkit.exante.microsim import eligibility_records, microsimulate
from evalkit.reference import sections_of
from evalkit.study import AwardTier, Proposal, Scenario
from evalkit.synth import synthesize_district

SCENARIOS = (Scenario(name="low", take_up=0.3), Scenario(name="central", take_up=0.5),
             Scenario(name="high", take_up=0.7))


@pytest.fixture(scope="module")
def d():
    return synthesize_district(n_firms=2000, seed=11)


def _proposal(**kw) -> Proposal:
    base = dict(policy_id="N1", name_zh="测试", name_en="test", instrument="grant",
                objective="innovation", eligibility_rule="employees >= 10", award=200_000,
                cap_per_firm=600_000, budget=10_000_000, years=(2026, 2028))
    base.update(kw)
    return Proposal(**base)


def _direct_latest(d) -> pd.DataFrame:
    """The latest year's firm-years joined with firms, computed directly."""
    fy = d.firm_years
    last = fy["year"].max()
    return fy[fy["year"] == last].merge(d.firms, on="firm_id")


def test_counts_and_costs_equal_direct_pandas(d):
    rule = ("employees >= 20 and rd_expense / revenue >= 0.02 and section in ['I', 'M'] "
            "and size_class != 'large'")
    prop = _proposal(eligibility_rule=rule, award=0.25, award_share_of="rd_expense",
                     cap_per_firm=400_000)
    res = microsimulate(prop, SCENARIOS, d.tables(), np.random.default_rng(1), n_draws=500)

    df = _direct_latest(d)
    sec = sections_of(df["industry_code"]).to_numpy()
    mask = ((df["employees"] >= 20) & (df["rd_expense"] / df["revenue"] >= 0.02)
            & np.isin(sec, ["I", "M"]) & (df["size_class"] != "large")).to_numpy()
    award = np.minimum(0.25 * df["rd_expense"].to_numpy(), 400_000.0)
    assert res.n_firms == len(df)
    assert res.n_eligible == int(mask.sum()) > 20
    assert res.award_total == pytest.approx(award[mask].sum(), rel=1e-12)
    assert res.award_capped == int((award[mask] >= 400_000).sum())
    for col in ("cluster", "area", "size_class"):
        direct = df.loc[mask].groupby(col).size()
        got = res.by_group[col].set_index("group")["eligible"]
        got = got[got > 0]
        assert got.to_dict() == direct.to_dict(), col
        assert res.by_group[col]["firms"].sum() == len(df)
    for s in SCENARIOS:
        sc = res.scenario(s.name)
        assert sc.cost == pytest.approx(s.take_up * award[mask].sum(), rel=1e-12)
        assert sc.cost_sd == pytest.approx(
            np.sqrt(s.take_up * (1 - s.take_up) * (award[mask] ** 2).sum()), rel=1e-12)
        assert sc.recipients == pytest.approx(s.take_up * mask.sum())
        assert sc.cost_low < sc.cost < sc.cost_high
    assert res.interval == (res.scenario("low").cost_low, res.scenario("high").cost_high)
    assert res.budget_covers_central == (0.5 * award[mask].sum() <= 10_000_000)
    assert len(res.cost_by_year) == 3 * len(SCENARIOS)
    json.dumps(res.to_dict())


def test_simulated_interval_matches_binomial_moments(d):
    prop = _proposal(eligibility_rule="employees >= 10")
    res = microsimulate(prop, SCENARIOS, d.tables(), np.random.default_rng(2), n_draws=4000)
    sc = res.scenario("central")
    # fixed award: cost = award x Binomial(n, p); the 95 % interval is about mean +- 1.96 sd
    assert sc.cost_low == pytest.approx(sc.cost - 1.96 * sc.cost_sd, rel=0.02)
    assert sc.cost_high == pytest.approx(sc.cost + 1.96 * sc.cost_sd, rel=0.02)


def test_unknown_field_names_the_field_and_the_known_fields(d):
    prop = _proposal(eligibility_rule="employes >= 10 and revenue > 0")
    with pytest.raises(ConfigError) as exc:
        microsimulate(prop, SCENARIOS, d.tables(), np.random.default_rng(0))
    msg = str(exc.value)
    assert "'employes'" in msg and "did you mean 'employees'" in msg
    assert "known fields:" in msg and "newly_high_tech" in msg and "section" in msg


def test_unknown_award_share_field_is_a_config_error(d):
    prop = _proposal(award=0.1, award_share_of="profit")
    with pytest.raises(ConfigError, match="profit"):
        microsimulate(prop, SCENARIOS, d.tables(), np.random.default_rng(0))


def test_derived_event_fields_equal_direct_computation(d):
    rec, year = eligibility_records(d.tables(), 2022)
    fy = d.firm_years
    cur = fy[fy["year"] == 2022].set_index("firm_id")
    prev = fy[fy["year"] == 2021].set_index("firm_id")
    was = prev["high_tech"].reindex(cur.index).fillna(False).astype(bool)
    newly = cur["high_tech"].astype(bool) & ~was
    got = rec.set_index("firm_id")["newly_high_tech"]
    assert year == 2022 and got.sum() == newly.sum() > 0
    assert (got.reindex(newly.index) == newly).all()


def _p02_like() -> Proposal:
    """The synthetic high-tech award's schedule, written as a proposal (see policies.P02)."""
    return _proposal(
        instrument="award",
        eligibility_rule="newly_high_tech and rd_expense / revenue >= 0.03 and employees >= 10",
        award=300_000, cap_per_firm=300_000, budget=5_000_000,
        award_tiers=(AwardTier(when="revenue < 50000000", award=200_000),
                     AwardTier(when="revenue < 200000000", award=250_000)))


@pytest.mark.parametrize("seed", [11, 12])
def test_cost_interval_covers_the_realised_cost_of_a_take_up_policy(seed):
    """P02's awards follow a take-up share (0.75 of the newly certified eligible firms, less
    where another award wins): the interval over take-up 0.6-0.9 covers each year's realised cost
    of the awards made on the previous year's records."""
    d = synthesize_district(n_firms=2000, seed=seed)
    led = d.disbursements
    paid_year = pd.to_datetime(led["date"]).dt.year
    first = led.assign(y=paid_year).groupby("firm_id")["y"].min()
    scen = (Scenario(name="low", take_up=0.6), Scenario(name="central", take_up=0.75),
            Scenario(name="high", take_up=0.9))
    covered, total_real, total_proj = [], 0.0, 0.0
    for y in range(2017, 2025):
        funded = set(first[first <= y].index)     # firms already awarded cannot apply again
        tables = dict(d.tables())
        tables["firm_years"] = d.firm_years[~d.firm_years["firm_id"].isin(funded)]
        res = microsimulate(_p02_like(), scen, tables, np.random.default_rng(y), year=y,
                            n_draws=1000)
        real = float(led.loc[(led["policy_id"] == "P02") & (paid_year == y + 1), "amount"].sum())
        covered.append(res.interval[0] <= real <= res.interval[1])
        total_real += real
        total_proj += res.scenario("central").cost
    assert all(covered), covered
    assert total_real == pytest.approx(total_proj, rel=0.2)
