"""The synthetic district: schema, population, treatment, truth, ledger, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ConfigError
from evalkit.io.schemas import AREAS, CLUSTERS, FIVE_TYPES, INSTRUMENTS, SIZE_CLASSES, TABLES
from evalkit.io.uscc import is_valid_uscc
from evalkit.reference import classify_size, section_of
from evalkit.rules import parse_rule
from evalkit.synth import synthesize_district
from evalkit.synth.names import org_check
from evalkit.synth.params import CLUSTER_PARAMS
from evalkit.synth.policies import OUTCOMES, POLICIES, eligible

START, END = 2016, 2025


@pytest.fixture(scope="module")
def d():
    return synthesize_district(n_firms=20000, start=START, end=END, seed=7)


@pytest.fixture(scope="module")
def awards(d):
    """One row per awarded firm: firm_id, policy_id, g, size_pre."""
    return d.potential.drop_duplicates("firm_id")[["firm_id", "policy_id", "g", "size_pre"]]


def test_columns_and_dtypes_follow_the_schema(d):
    for name, table in d.tables().items():
        assert tuple(table.columns) == TABLES[name].column_names, name
        for col in TABLES[name].columns:
            s = table[col.name]
            if col.kind == "money":
                assert s.dtype == np.float64, (name, col.name)
            elif col.kind == "bool":
                assert s.dtype == bool, (name, col.name)
            elif col.kind == "int" and col.required:
                assert s.dtype == np.int64, (name, col.name)
            elif col.kind == "date":
                assert s.astype(str).str.fullmatch(r"\d{4}-\d{2}-\d{2}").all(), (name, col.name)


def test_firm_ids_are_valid_unique_xuhui_codes(d):
    ids = d.firms["firm_id"].astype(str)
    assert ids.is_unique
    assert all(is_valid_uscc(c) for c in ids)
    assert ids.str.startswith("91310104").all()
    assert set(d.firm_years["firm_id"].astype(str)) <= set(ids)
    assert set(d.disbursements["firm_id"].astype(str)) <= set(ids)


def test_organisation_code_check_matches_the_standard_example():
    # GB 11714-1997's worked example: D2143569 -> check character X
    assert org_check("D2143569") == "X"


def test_names_are_unique_chinese_company_names(d):
    names = d.firms["name"].astype(str)
    assert names.is_unique
    assert names.str.match(r"^上海.+有限公司$").all()


def test_categories_are_canonical_and_industries_fit_clusters(d):
    f = d.firms
    assert set(f["cluster"]) <= set(CLUSTERS) and set(f["area"]) <= set(AREAS)
    assert set(f["size_class"]) <= set(SIZE_CLASSES)
    tags = f["five_type_tags"].dropna().astype(str).str.split(";").explode()
    assert set(tags) <= set(FIVE_TYPES)
    assert set(d.policies["objective"]) <= set(FIVE_TYPES)
    assert set(d.policies["instrument"]) <= set(INSTRUMENTS)
    for cluster, p in CLUSTER_PARAMS.items():
        codes = set(f.loc[f["cluster"] == cluster, "industry_code"].astype(str))
        assert codes == {c for c, _, _ in p.industries}, cluster
    assert {section_of(c) for c in f["industry_code"].astype(str).unique()} >= {"C", "I", "J", "L", "M"}
    finance = f.loc[f["cluster"] == "modern_finance", "industry_code"].astype(str)
    assert finance.str[:2].isin(["66", "67", "68", "69"]).all()
    # every cluster is present with a plausible share
    shares = f["cluster"].value_counts(normalize=True)
    assert (shares > 0.03).all() and len(shares) == len(CLUSTERS)


def test_size_class_is_the_reference_classification_of_the_latest_year(d):
    last = d.firm_years.sort_values("year").drop_duplicates("firm_id", keep="last")
    last = last.merge(d.firms[["firm_id", "industry_code", "size_class"]], on="firm_id")
    expected = classify_size(last["industry_code"].astype(str).to_numpy(),
                             last["revenue"].to_numpy(), last["employees"].to_numpy())
    assert (np.asarray(expected) == last["size_class"].astype(str).to_numpy()).all()
    counts = d.firms["size_class"].value_counts()
    assert counts["micro"] > counts["small"] > counts["medium"] > counts["large"] > 0


def test_panel_is_unbalanced_with_rows_only_while_alive(d):
    f = d.firms.set_index("firm_id")
    fy = d.firm_years
    g = fy.groupby("firm_id")["year"].agg(["min", "max", "size"])
    g = g.join(f[["year_registered", "year_exited"]])
    first = np.maximum(g["year_registered"], START)
    last = np.where(g["year_exited"].isna(), END, g["year_exited"].fillna(0) - 1)
    assert (g["min"] == first).all() and (g["max"] == last).all()
    assert (g["size"] == g["max"] - g["min"] + 1).all()  # contiguous, no duplicates
    assert (g["year_registered"] > START).mean() > 0.15  # entry
    assert g["year_exited"].notna().mean() > 0.15  # exit
    assert not fy.duplicated(["firm_id", "year"]).any()
    assert len(f) == 20000 and fy["firm_id"].nunique() == 20000


def test_money_and_counts_are_nonnegative_and_consistent(d):
    fy = d.firm_years
    for c in ("revenue", "tax_paid", "rd_expense"):
        assert (fy[c] >= 0).all()
        assert (np.round(fy[c], 2) == fy[c]).all()
    assert (fy["revenue"] > 0).all() and (fy["employees"] >= 1).all()
    assert (fy[["invention_patents", "pct_applications"]] >= 0).all().all()
    ratio = fy["tax_paid"].sum() / fy["revenue"].sum()
    assert 0.03 < ratio < 0.09
    rd = fy.merge(d.firms[["firm_id", "cluster"]], on="firm_id")
    by = rd.groupby("cluster")["rd_expense"].sum() / rd.groupby("cluster")["revenue"].sum()
    assert by["rd_services"] > by["professional_services"] * 3 and by["ai"] > by["other"] * 3
    # patents follow R&D: firms without R&D have none
    assert (fy.loc[fy["rd_expense"] == 0, "invention_patents"] == 0).all()


def test_observed_outcomes_are_y1_after_the_award_and_y0_before(d):
    pot = d.potential
    m = pot.merge(d.firm_years, on=["firm_id", "year"], validate="one_to_one")
    assert len(m) == len(pot)
    for o in OUTCOMES:
        assert (m[f"y1_{o}"] == m[o]).all(), o
    pre = pot["year"] < pot["g"]
    for o in OUTCOMES:
        assert (pot.loc[pre, f"y1_{o}"] == pot.loc[pre, f"y0_{o}"]).all(), o


def test_truth_att_is_the_sample_mean_of_y1_minus_y0(d):
    pot = d.potential
    for spec in POLICIES:
        t = d.truth["policies"][spec.policy_id]
        mine = pot[pot["policy_id"] == spec.policy_id]
        assert t["n_treated"] == mine["firm_id"].nunique()
        for o in OUTCOMES:
            diff = (mine[f"y1_{o}"].astype(float) - mine[f"y0_{o}"].astype(float))
            exp = diff.groupby([mine["g"], mine["year"]]).agg(["mean", "size"])
            got = {(r["g"], r["t"]): r for r in t["att_gt"][o]}
            assert set(got) == set(exp.index)
            for (g, y), row in exp.iterrows():
                rec = got[(g, y)]
                assert rec["n"] == row["size"]
                if y < g:
                    assert rec["att"] == 0.0
                else:
                    assert rec["att"] == pytest.approx(row["mean"], rel=1e-12, abs=1e-9)
            post = mine["year"] >= mine["g"]
            assert t["att_overall"][o] == pytest.approx(diff[post].mean(), rel=1e-12, abs=1e-9)


def test_staggered_adoption_and_selection_on_observables(d, awards):
    for spec in POLICIES:
        cohorts = awards.loc[awards["policy_id"] == spec.policy_id, "g"]
        assert cohorts.nunique() >= 3, spec.policy_id
    assert awards["firm_id"].is_unique  # at most one award per firm
    fy = d.firm_years.assign(lr=np.log(d.firm_years["revenue"]))
    pre = fy.merge(awards, on="firm_id")
    pre = pre[pre["year"] == pre["g"] - 1]
    never = fy[~fy["firm_id"].isin(awards["firm_id"])]
    control = never.groupby("year")["lr"].mean()
    gap = pre["lr"].to_numpy() - control.reindex(pre["year"]).to_numpy()
    assert gap.mean() > 1.0  # awardees are much larger before the award
    rd_pre = (pre["rd_expense"] / pre["revenue"]).mean()
    assert rd_pre > 3 * (never["rd_expense"] / never["revenue"]).mean()


def test_awardees_meet_the_eligibility_rule_in_the_year_before(d, awards):
    fy = d.firm_years.merge(d.firms[["firm_id", "cluster", "industry_code"]], on="firm_id")
    pre = fy.merge(awards, on="firm_id")
    pre = pre[pre["year"] == pre["g"] - 1]
    assert len(pre) == len(awards)  # every awardee was alive the year before
    for spec in POLICIES:
        rows = pre[pre["policy_id"] == spec.policy_id].reset_index(drop=True)
        values = {c: rows[c].to_numpy() for c in rows.columns}
        values["cluster"] = rows["cluster"].astype(str).to_numpy()
        assert eligible(spec.policy_id, values).all(), spec.policy_id
        assert parse_rule(spec.eligibility_rule).evaluate(rows).all(), spec.policy_id
        # the rule binds: many never-awarded firm-years fail it
        assert not parse_rule(spec.eligibility_rule).evaluate(fy).all()


def test_rd_grant_crowds_out_private_rd(d):
    t = d.truth["policies"]["P01"]
    paying = [r for r in t["att_gt"]["rd_expense"] if r["e"] in (0, 1)]
    later = [r for r in t["att_gt"]["rd_expense"] if r["e"] >= 2]
    assert paying and all(r["att"] < 0 for r in paying)
    assert later and all(r["att"] == 0.0 for r in later)
    assert t["att_overall"]["rd_expense"] < 0 < t["att_overall"]["revenue"]
    # about 0.5 yuan of private R&D lost per yuan of grant (notes/public-finance.md)
    pot = d.potential[(d.potential["policy_id"] == "P01") & (d.potential["year"] >= d.potential["g"])]
    lost = (pot["y1_rd_expense"] - pot["y0_rd_expense"]).sum()
    assert -0.55 < lost / t["fiscal"]["subsidy_committed"] < -0.4


def test_rent_subsidy_does_nothing(d):
    t = d.truth["policies"]["P08"]
    assert t["n_treated"] > 100
    for o in OUTCOMES:
        assert all(r["att"] == 0.0 for r in t["att_gt"][o])
    assert t["fiscal"]["additional_tax"] == 0.0 and t["fiscal"]["fiscal_return"] == 0.0


def test_zhuanjingtexin_works_only_for_small_and_micro_firms(d):
    pot = d.potential[(d.potential["policy_id"] == "P06") & (d.potential["year"] >= d.potential["g"])]
    big = pot["size_pre"].isin(["medium", "large"])
    assert big.any() and (~big).any()
    for o in OUTCOMES:
        assert (pot.loc[big, f"y1_{o}"] == pot.loc[big, f"y0_{o}"]).all(), o
    small = pot[~big]
    assert (small["y1_revenue"] - small["y0_revenue"]).mean() > 0
    by_size = d.truth["policies"]["P06"]["att_by_size"]["revenue"]
    assert by_size["small"]["att"] > 0 and by_size["medium"]["att"] == 0.0


def test_voucher_follows_an_ashenfelter_dip(d, awards):
    fy = d.firm_years.assign(lr=np.log(d.firm_years["revenue"])).sort_values(["firm_id", "year"])
    fy["dlr"] = fy.groupby("firm_id")["lr"].diff()
    never = fy[~fy["firm_id"].isin(awards["firm_id"])].groupby("year")["dlr"].mean()
    v = fy.merge(awards[awards["policy_id"] == "P07"], on="firm_id")
    v["rel"] = v["dlr"].to_numpy() - never.reindex(v["year"]).to_numpy()
    by_e = v.groupby(v["year"] - v["g"])["rel"].mean()
    assert by_e[-1] < -0.10  # revenue fell in g - 1 relative to the never-treated
    assert by_e[0] > 0.05    # and bounced back in g,
    true_e0 = np.mean([r["att"] for r in d.truth["policies"]["P07"]["att_event"]["revenue"]
                       if r["e"] == 0])
    rev_pre = v.loc[v["year"] == v["g"] - 1, "revenue"].mean()
    assert by_e[0] > 3 * true_e0 / rev_pre  # far more than the true effect explains
    # the other policies show no such dip
    for p in ("P01", "P04", "P08"):
        w = fy.merge(awards[awards["policy_id"] == p], on="firm_id")
        rel = w["dlr"].to_numpy() - never.reindex(w["year"]).to_numpy()
        assert np.nanmean(rel[(w["year"] - w["g"]).to_numpy() == -1]) > -0.03, p


def test_effects_differ_by_cohort_and_event_time(d):
    ev = {r["e"]: r["att"] for r in d.truth["policies"]["P05"]["att_event"]["revenue"]}
    gt = d.truth["policies"]["P02"]["effect_model"]
    assert gt["ramp_years"]["revenue"] == 3 and gt["cohort_slope"] < 0
    # P02: relative effect (ATT / mean Y0) grows with event time
    pot = d.potential[d.potential["policy_id"] == "P02"]
    rel = ((pot["y1_revenue"] - pot["y0_revenue"]) / pot["y0_revenue"]).groupby(
        pot["year"] - pot["g"]).mean()
    assert rel[0] < rel[1] < rel[2]
    assert len(ev) >= 3


def test_ledger_tranches_caps_and_as_of(d, awards):
    led = d.disbursements
    assert led["record_id"].is_unique
    assert (led["date"].astype(str) <= f"{END}-07-31").all()
    pol = d.policies.set_index("policy_id")
    assert (led["date"].astype(str) >= pol.loc[led["policy_id"], "start_date"].to_numpy()).all()
    per_award = led.groupby(["policy_id", "firm_id"])["amount"].sum()
    caps = pol.loc[per_award.index.get_level_values(0), "cap_per_firm"].to_numpy()
    assert (per_award.to_numpy() <= caps).all()
    assert (led["amount"] > 0).all() and led["tranche"].max() >= 2
    # every ledger firm is an awardee of that policy, every awardee appears in the ledger
    m = led.merge(awards, on="firm_id", how="left", suffixes=("", "_award"))
    assert (m["policy_id"] == m["policy_id_award"]).all()
    assert set(awards["firm_id"]) == set(led["firm_id"])
    first = led[led["tranche"] == 1].merge(awards, on="firm_id")
    assert (first["date"].astype(str).str[:4].astype(int) == first["g"]).all()
    late = sum(p["ledger"]["late_payments"] for p in d.truth["policies"].values())
    assert late > 10
    # high-tech award on first certification: 200,000-300,000 yuan
    p02 = per_award.loc["P02"]
    assert p02.between(200_000, 300_000).all()


def test_budgets_and_kpi_targets(d):
    b = d.budgets
    assert not b.duplicated(["policy_id", "year"]).any() and (b["appropriation"] > 0).all()
    spent = d.disbursements.assign(year=d.disbursements["date"].astype(str).str[:4].astype(int))
    spent = spent.groupby(["policy_id", "year"])["amount"].sum()
    rate = spent / b.set_index(["policy_id", "year"])["appropriation"]
    full = rate[rate.index.get_level_values(1) < END]
    assert 0.75 < full.median() < 1.15 and (full > 1).any() and (full < 1).any()
    k = d.kpi_targets
    assert not k.duplicated(["indicator", "level", "policy_id", "target_year"]).any()
    dist = k[k["level"] == "district"].set_index("indicator")
    assert dist.loc["high_tech_enterprises", "target"] == 1000
    assert dist.loc["pct_applications", "target"] == 450
    assert dist.loc["new_listed_firms", "target"] == 30
    assert dist.loc["new_regional_headquarters", "target"] == 50
    assert set(k.loc[k["level"] == "policy", "policy_id"]) == {p.policy_id for p in POLICIES}
    small = synthesize_district(n_firms=2000, seed=3)
    ks = small.kpi_targets.set_index("indicator")
    assert ks.loc["high_tech_enterprises", "target"] == 100  # scaled with the population


def test_fiscal_truth_and_ranking(d):
    pot, led = d.potential, d.disbursements
    for spec in POLICIES:
        t = d.truth["policies"][spec.policy_id]["fiscal"]
        mine = pot[(pot["policy_id"] == spec.policy_id) & (pot["year"] >= pot["g"])]
        extra = (mine["y1_tax_paid"] - mine["y0_tax_paid"]).sum()
        paid = led.loc[led["policy_id"] == spec.policy_id, "amount"].sum()
        assert t["additional_tax"] == pytest.approx(extra, rel=1e-12)
        assert t["subsidy_disbursed"] == pytest.approx(paid, rel=1e-12)
        assert t["fiscal_return"] == pytest.approx(extra / paid, rel=1e-12)
    rank = d.truth["ranking_by_fiscal_return"]
    vals = [d.truth["policies"][p]["fiscal"]["fiscal_return"] for p in rank]
    assert sorted(rank) == sorted(p.policy_id for p in POLICIES)
    assert vals == sorted(vals, reverse=True)
    assert rank[-1] == "P08"
    assert d.truth["meta"]["as_of"] == f"{END}-07-31" == d.meta["as_of"]


def test_bad_arguments_raise_config_errors():
    with pytest.raises(ConfigError, match="n_firms"):
        synthesize_district(n_firms=10)
    with pytest.raises(ConfigError, match="window"):
        synthesize_district(n_firms=100, start=2020, end=2022)
    with pytest.raises(ConfigError, match="seed"):
        synthesize_district(n_firms=100, seed=-1)


def test_small_districts_and_other_windows_work():
    d = synthesize_district(n_firms=50, start=2010, end=2016, seed=1)
    assert len(d.firms) == 50
    assert d.firm_years["year"].between(2010, 2016).all()
    assert (d.disbursements["date"].astype(str) <= "2016-07-31").all()
    assert pd.Series(d.truth["ranking_by_fiscal_return"]).is_unique
