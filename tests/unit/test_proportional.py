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


def test_selection_covariates_enter_in_logs_with_a_zero_indicator():
    """design.selection_covariates: logs on the proportional scale (0 where the column is 0,
    with an indicator), the column itself on the level scale; a missing or negative column is
    refused naming it."""
    import pandas as pd

    from evalkit.panel.conditioning import selection_columns

    df = pd.DataFrame({"revenue": [10.0, 100.0, 1000.0], "rd_expense": [0.0, 5.0, 50.0]})
    out, names = selection_columns(df, ["revenue", "rd_expense"], logs=True)
    assert names == ["selection:log_revenue", "selection:log_rd_expense",
                     "selection:rd_expense>0"]
    np.testing.assert_allclose(out["selection:log_revenue"], np.log([10.0, 100.0, 1000.0]))
    np.testing.assert_allclose(out["selection:log_rd_expense"], [0.0, np.log(5.0), np.log(50.0)])
    assert out["selection:rd_expense>0"].tolist() == [0.0, 1.0, 1.0]
    lv, lv_names = selection_columns(df, ["revenue"], logs=False)
    assert lv_names == ["selection:revenue"] and lv["selection:revenue"].tolist() == [
        10.0, 100.0, 1000.0]
    with pytest.raises(DesignError, match="'sales' is not a column"):
        selection_columns(df, ["sales"], logs=True)
    with pytest.raises(DesignError, match="negative"):
        selection_columns(df.assign(revenue=[-1.0, 1.0, 2.0]), ["revenue"], logs=True)


def test_stage_conditions_on_the_selection_columns_at_the_base_period():
    """The stage's covariates hold the selection columns on the outcome's scale, and they
    change the estimate (the outcome regression uses them)."""
    from evalkit.stages.ex_post import _covariates, evaluate_outcome
    from tests.district_helpers import cohort_sizes, demo_study, district_tables, policy_sample

    tabs = district_tables(3000, 7)
    st = demo_study("P01")
    with_sel = st.model_copy(update={"design": st.design.model_copy(update={
        "scale": "auto", "selection_covariates": ("revenue", "employees", "rd_expense")})})
    without = st.model_copy(update={"design": st.design.model_copy(update={
        "scale": "auto", "selection_covariates": ()})})
    df = policy_sample(tabs, with_sel)
    _, names = _covariates(df, "tax_paid", with_sel, "proportional")
    assert {"selection:log_revenue", "selection:log_employees",
            "selection:log_rd_expense"} <= set(names)
    _, names_lvl = _covariates(df, "tax_paid", with_sel, "level")
    assert {"selection:revenue", "selection:employees", "selection:rd_expense"} <= set(names_lvl)
    # an outcome's own base level is conditioned on by cluster already: not entered twice
    _, names_rev = _covariates(df, "revenue", with_sel, "proportional")
    assert "selection:log_revenue" not in names_rev and "selection:log_employees" in names_rev
    for outcome in ("revenue", "rd_expense", "employees"):     # every demo outcome estimates
        ev = evaluate_outcome(df, outcome, with_sel, 7, cohort_sizes(df))
        assert np.isfinite(ev.simple.overall_att)
    a = evaluate_outcome(df, "tax_paid", with_sel, 7, cohort_sizes(df))
    b = evaluate_outcome(df, "tax_paid", without, 7, cohort_sizes(df))
    assert a.att_gt.options["covariates"] != b.att_gt.options["covariates"]
    assert abs(a.simple.overall_att - b.simple.overall_att) > 1e-6


def test_few_treated_firms_get_the_small_sample_interval_in_the_bundle():
    """inference.small_sample: auto gives the Welch t interval to a policy with fewer than 60
    treated firms, recorded in the results and published in the fiscal table; none keeps the
    analytic interval."""
    from scipy import stats

    from evalkit.stages.ex_post import bundle_parts, run_ex_post
    from tests.district_helpers import demo_study, district_tables

    tabs = district_tables(3000, 7)
    st = demo_study("P03")
    st = st.model_copy(update={"outcomes": ["tax_paid"], "main_outcome": "tax_paid"})
    res = run_ex_post(st, tabs)
    n1 = res.small_sample["n_treated"]
    assert res.small_sample["method"] == "welch" and 2 <= n1 < 60
    iv = res.small_sample["intervals"]["fiscal_return_total"]
    m = res.fiscal.metric("fiscal_return_total")
    assert iv["crit"] > stats.norm.ppf(0.975)        # a t with finite df
    assert iv["conf_high"] - iv["conf_low"] > 2 * stats.norm.ppf(0.975) * m.se
    results, tables, _ = bundle_parts(res)
    row = tables["fiscal"].set_index("term").loc["fiscal_return_total"]
    assert row["interval"] == "welch" and row["conf_low"] == pytest.approx(iv["conf_low"])
    assert results["small_sample"]["method"] == "welch"
    off = st.model_copy(update={"inference": st.inference.model_copy(
        update={"small_sample": "none"})})
    res_off = run_ex_post(off, tabs)
    assert res_off.small_sample == {}
    row_off = bundle_parts(res_off)[1]["fiscal"].set_index("term").loc["fiscal_return_total"]
    assert row_off["interval"] == "analytic"
    assert row_off["conf_low"] == pytest.approx(m.estimate - stats.norm.ppf(0.975) * m.se)


def test_design_statement_says_what_the_comparison_conditions_on_and_the_interval():
    """The ex-post report's design statement names the selection columns and the small-sample
    interval in plain words, in both languages."""
    from evalkit.report.views.ex_post import design_statement as view
    from tests import results_models

    def design_statement(res, lang):
        return view(results_models.ex_post(res), lang)

    results = {"main_outcome": "tax_paid",
               "outcomes": {"tax_paid": {"scale": "proportional", "simple": {"options": {}}}},
               "options": {"selection_covariates": ["revenue", "rd_expense"]},
               "small_sample": {"method": "welch", "n_treated": 23, "threshold": 60,
                                "intervals": {"fiscal_return_total": {"df": 21.7}}}}
    zh, en = design_statement(results, "zh"), design_statement(results, "en")
    assert "营业收入" in zh and "23 家" in zh and "Welch" in zh and "自由度约 22" in zh
    assert "only 23 supported firms" in en and "about 22 degrees of freedom" in en
    assert "looked alike" in en
    bare = design_statement({**results, "options": {}, "small_sample": {}}, "en")
    assert "looked alike" not in bare and "small-sample" not in bare


def test_a_single_treated_firm_gets_no_small_sample_interval():
    """One treated firm has no spread to correct (and the disclosure rule hides its numbers):
    the stage publishes no small-sample interval instead of failing."""
    from evalkit.stages.ex_post import small_sample_intervals
    from tests.district_helpers import demo_study

    assert small_sample_intervals(object(), ["F1"], demo_study("P03"), 7) == {}


def test_design_statement_reports_the_balance_test_instead_of_the_dip():
    """With selection covariates, the design statement gives the pseudo-outcome test's verdict
    (which gates) and not the dip check (which does not)."""
    from evalkit.report.views.ex_post import design_statement as view
    from tests import results_models

    def design_statement(res, lang):
        return view(results_models.ex_post(res), lang)

    ev = {"scale": "proportional", "simple": {"options": {}},
          "dip": {"detected": True, "estimate": -1.0, "p_value": 1e-6},
          "balance": {"detected": False, "estimate": -0.01, "p_value": 0.42, "n_treated": 40}}
    results = {"main_outcome": "tax_paid", "outcomes": {"tax_paid": ev},
               "options": {"selection_covariates": ["revenue"]}}
    en = design_statement(results, "en")
    assert "does not differ markedly" in en and "p = 0.42" in en and "Ashenfelter" not in en
    ev["balance"] = {"detected": True, "estimate": -0.1, "p_value": 1e-9, "n_treated": 40}
    zh = design_statement(results, "zh")
    assert "明显不同" in zh and "不对本政策排名" in zh
    # the outcome alone differs, the decision columns' histories do not: a shift from outside
    # the award decision, reported as such and not as a failed check
    ev["balance"]["gates"] = False
    en = design_statement(results, "en")
    assert "lasting shift" in en and "not treated as a failed identification" in en
    assert "neither ranks" not in en
    ev["balance"]["gates"] = True
    assert "neither ranks this policy" in design_statement(results, "en")
    ev["balance"]["n_treated"] = 2            # fewer firms than the disclosure rule allows
    assert "明显不同" not in design_statement(results, "zh")
