"""The pseudo-outcome test of selection on the design's covariates
(evalkit.robust.selection_balance) and the portfolio gate that reads it."""

import numpy as np
import pandas as pd
import pytest

from evalkit.robust.selection_balance import selection_balance


def _panel(select_on: str, seed: int = 3, n: int = 6000) -> pd.DataFrame:
    """log y = permanent random walk + transitory noise; one cohort awarded in 2014 on the
    year-2013 values: its level (``level``) or a fall into 2013 (``dip``)."""
    rng = np.random.default_rng(seed)
    years = np.arange(2010, 2017)
    perm = np.cumsum(rng.normal(0, 0.1, (n, years.size)), axis=1) + rng.normal(0, 1, (n, 1))
    y = perm + rng.normal(0, 0.08, (n, years.size))
    k = list(years).index(2013)
    if select_on == "level":
        score = 1.5 * (y[:, k] - y[:, k].mean())
    else:
        score = np.where(y[:, k] - y[:, k - 1] < -0.1, 3.0, 0.0)
    p = 1 / (1 + np.exp(-(score - 3.0)))
    g = np.where(rng.random(n) < p, 2014, 0)
    return pd.DataFrame({"id": np.repeat(np.arange(n), years.size),
                         "year": np.tile(years, n), "g": np.repeat(g, years.size),
                         "y": np.exp(y).ravel(), "x": y.ravel()})


def test_selection_on_the_covariate_passes_and_on_the_history_is_detected():
    ok = selection_balance(_panel("level"), "y", "year", "id", "g", ["x"], log=True)
    assert ok is not None and ok["cohorts"] == 1 and ok["n_treated"] > 100
    assert not ok["detected"] and abs(ok["z"]) < 2.5
    # without the covariate the selected firms' rise into 2013 shows
    raw = selection_balance(_panel("level"), "y", "year", "id", "g", [], log=True)
    assert raw["detected"] and raw["estimate"] > 0
    dip = selection_balance(_panel("dip"), "y", "year", "id", "g", ["x"], log=True)
    assert dip["detected"] and dip["estimate"] < -0.05


def test_no_cohort_with_two_earlier_years_gives_none():
    df = _panel("level")
    assert selection_balance(df[df["year"] >= 2013], "y", "year", "id", "g", ["x"]) is None


def test_decision_columns_tell_a_reversion_from_a_shift_outside_the_decision():
    """Awards decided on revenue ``x``: when they follow a fall of it into 2013 (dip), the
    decision column's own history differs; when the awarded firms' tax alone drops in 2013 and
    stays down (a certification's lower tax rate), the outcome differs and the column does not."""
    from evalkit.robust.selection_balance import decision_column_balance

    dip = _panel("dip")
    cols = decision_column_balance(dip[["id", "year", "g", "x"]].rename(columns={"id": "firm_id"}),
                                   dip.assign(rev=np.exp(dip["x"])), ["rev"], ["x"], log=True)
    assert cols["rev"]["detected"] and cols["rev"]["estimate"] < -0.05
    assert cols["rev"]["alpha"] == pytest.approx(0.05) and cols["rev"]["scale"] == "log"

    lvl = _panel("level")
    awarded = (lvl["g"] == 2014) & (lvl["year"] >= 2013)
    tax = lvl["y"] * np.where(awarded, 0.85, 1.0)           # a lasting drop from 2013 on
    frame = lvl[["id", "year", "g", "x"]].rename(columns={"id": "firm_id"}).assign(tax=tax)
    main = selection_balance(frame, "tax", "year", "firm_id", "g", ["x"], log=True)
    assert main["detected"] and main["estimate"] < -0.1
    cols = decision_column_balance(frame[["firm_id", "year", "g", "x"]],
                                   lvl.assign(rev=np.exp(lvl["x"]), emp=lvl["x"] + 10),
                                   ["rev", "emp"], ["x"], log=True)
    assert not any(v["detected"] for v in cols.values()), cols
    assert all(v["alpha"] == pytest.approx(0.025) for v in cols.values())   # Bonferroni


@pytest.mark.parametrize(("balance", "dip", "flagged"), [
    ({"detected": True, "gates": False, "estimate": -0.1, "p_value": 1e-9}, None, False),
    ({"detected": True, "gates": True, "estimate": -0.1, "p_value": 1e-9}, None, True),
    ({"detected": True, "estimate": -0.1, "p_value": 1e-9}, None, True),
    ({"detected": False, "estimate": -0.01, "p_value": 0.4},
     {"detected": True, "estimate": -0.2, "p_value": 1e-6}, False),
    (None, {"detected": True, "estimate": -0.2, "p_value": 1e-6}, True),
])
def test_the_portfolio_gate_reads_the_balance_test_when_the_design_has_one(balance, dip, flagged):
    from evalkit.contract.models import ExPostResults
    from evalkit.stages.portfolio import evidence_flags

    ev = {"outcome": "tax_paid", "simple": {}, "scale": "proportional", "dip": dip,
          "balance": balance, "pretrend": None}
    results = ExPostResults.model_validate({
        "policy": {"policy_id": "P01"}, "main_outcome": "tax_paid", "cohort_sizes": {},
        "outcomes": {"tax_paid": ev}})
    flags = evidence_flags([results], 0.05)
    assert ("P01" in flags) is flagged
    if balance is not None and flagged:
        assert "pseudo-outcome" in flags["P01"][0] and "伪结果检验" in flags["P01"][1]


def test_the_award_coefficient_and_its_hc1_error_match_statsmodels():
    import statsmodels.api as sm

    from evalkit.robust.selection_balance import _award_coefficient

    rng = np.random.default_rng(1)
    n = 500
    x = rng.normal(size=(n, 3))
    d = (rng.random(n) < 0.2).astype(float)
    y = 0.3 * d + x @ [1.0, 2.0, 3.0] + rng.normal(size=n) * (1 + d)
    b, se = _award_coefficient(y, d, x)
    ref = sm.OLS(y, np.column_stack([np.ones(n), d, x])).fit(cov_type="HC1")
    assert b == pytest.approx(ref.params[1], abs=1e-12)
    assert se == pytest.approx(ref.bse[1], rel=1e-10)
