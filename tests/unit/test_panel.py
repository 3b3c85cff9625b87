import pandas as pd
import pytest

from evalkit.errors import ConfigError, DataError, DesignError
from evalkit.io.uscc import make_uscc
from evalkit.panel import Panel, StaggeredDesign, first_award_year, policy_window

IDS = [make_uscc(f"9131010400000000{i}") for i in range(5)]


def _tables():
    firms = pd.DataFrame({"firm_id": IDS, "cluster": ["ai"] * 5, "area": ["xujiahui"] * 5})
    rows = [(f, y, 100.0 + i) for i, f in enumerate(IDS) for y in (2018, 2019, 2020)]
    rows = [r for r in rows if not (r[0] == IDS[4] and r[1] == 2020)]  # firm 4 exits
    fy = pd.DataFrame(rows, columns=["firm_id", "year", "revenue"])
    ledger = pd.DataFrame({
        "policy_id": ["P01", "P01", "P01", "P02"],
        "firm_id": [IDS[0], IDS[0], IDS[1], IDS[2]],
        "date": ["2019-03-01", "2020-03-01", "2020-05-01", "2019-06-01"],
        "amount": [1.0, 1.0, 1.0, 1.0],
    })
    return firms, fy, ledger


def test_panel_joins_attributes_and_detects_balance():
    firms, fy, _ = _tables()
    p = Panel.from_tables(firms, fy)
    assert p.n_firms == 5 and list(p.years) == [2018, 2019, 2020]
    assert not p.is_balanced()
    b, dropped = p.balanced()
    assert dropped == 1 and b.is_balanced() and b.n_firms == 4
    assert (p.data["cluster"] == "ai").all()


def test_panel_rejects_orphans_and_duplicates():
    firms, fy, _ = _tables()
    with pytest.raises(DataError, match="absent from the firms table"):
        Panel.from_tables(firms.iloc[1:], fy)
    with pytest.raises(DataError, match="appears twice"):
        Panel.from_tables(firms, pd.concat([fy, fy.iloc[:1]]))


def test_cohorts_from_first_disbursement_and_controls():
    firms, fy, ledger = _tables()
    assert first_award_year(ledger, "P01").to_dict() == {IDS[0]: 2019, IDS[1]: 2020}
    p = Panel.from_tables(firms, fy)
    d = StaggeredDesign.from_ledger(p, ledger, "P01")
    assert d.n_excluded_other_policy == 1  # IDS[2] was paid by P02
    assert IDS[2] not in set(d.data["firm_id"])
    assert d.cohort_sizes().to_dict() == {0: 2, 2019: 1, 2020: 1}
    keep = StaggeredDesign.from_ledger(p, ledger, "P01", controls="never_policy")
    assert keep.cohort_sizes().to_dict() == {0: 3, 2019: 1, 2020: 1}
    assert list(p.data.columns) == list(Panel.from_tables(firms, fy).data.columns)  # no mutation


def test_design_errors_are_clear():
    firms, fy, ledger = _tables()
    p = Panel.from_tables(firms, fy)
    with pytest.raises(DesignError, match="P09"):
        StaggeredDesign.from_ledger(p, ledger, "P09")
    with pytest.raises(ConfigError, match="never_any"):
        StaggeredDesign.from_ledger(p, ledger, "P01", controls="everyone")


def test_payments_outside_the_policy_window_define_no_cohort():
    firms, fy, ledger = _tables()
    # P01 runs from 2019-06-01: IDS[0]'s 2019-03-01 payment is early and IDS[3] was paid only
    # outside the window (2018): both left out, neither treated nor clean controls
    ledger = pd.concat([ledger, pd.DataFrame({"policy_id": ["P01"], "firm_id": [IDS[3]],
                                              "date": ["2018-01-15"], "amount": [1.0]})])
    policies = pd.DataFrame({"policy_id": ["P01", "P02"],
                             "start_date": [pd.Timestamp("2019-06-01"), pd.NaT],
                             "end_date": [pd.NaT, pd.NaT]})
    window = policy_window(policies, "P01")
    assert window == (pd.Timestamp("2019-06-01"), pd.Timestamp.max)      # open end
    assert policy_window(policies, "P02") is None and policy_window(policies, "P09") is None
    p = Panel.from_tables(firms, fy)
    for controls in ("never_any", "never_policy"):
        d = StaggeredDesign.from_ledger(p, ledger, "P01", controls=controls, window=window)
        assert d.n_payments_outside_window == 2
        assert not {IDS[0], IDS[3]} & set(d.data["firm_id"])
        g = d.data.drop_duplicates("firm_id").set_index("firm_id")["g"]
        assert g[IDS[1]] == 2020
    assert StaggeredDesign.from_ledger(p, ledger, "P01").n_payments_outside_window == 0
    with pytest.raises(DesignError, match="inside its window"):
        StaggeredDesign.from_ledger(p, ledger, "P01",
                                    window=(pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31")))


def test_panel_does_not_depend_on_row_order_and_rejects_duplicate_firms():
    firms, fy, _ = _tables()
    a = Panel.from_tables(firms, fy).data
    b = Panel.from_tables(firms.iloc[::-1], fy.sample(frac=1.0, random_state=3)).data
    pd.testing.assert_frame_equal(a, b)
    assert a["firm_id"].tolist() == sorted(a["firm_id"])          # (firm_id, year) order
    assert (a.groupby("firm_id")["year"].diff().dropna() > 0).all()
    assert a["unit"].tolist() == pd.factorize(a["firm_id"], sort=True)[0].tolist()
    with pytest.raises(DataError, match="twice in the firms table"):
        Panel.from_tables(pd.concat([firms, firms.iloc[:1]]), fy)
    # the first repeat in the table's order is the one named
    dup = pd.concat([fy, fy.iloc[[4]], fy.iloc[[1]]], ignore_index=True)
    with pytest.raises(DataError, match=rf"\({fy['firm_id'].iloc[4]}, {fy['year'].iloc[4]}\)"):
        Panel.from_tables(firms, dup)


def test_panel_accepts_integer_ids_and_rejects_missing_ones():
    firms = pd.DataFrame({"firm_id": [3, 1, 2], "cluster": ["a", "b", "c"]})
    fy = pd.DataFrame({"firm_id": [2, 1, 3, 1], "year": [2020, 2020, 2020, 2021]})
    d = Panel.from_tables(firms, fy).data
    assert d["firm_id"].tolist() == [1, 1, 2, 3] and d["cluster"].tolist() == ["b", "b", "c", "a"]
    assert d["unit"].tolist() == [0, 0, 1, 2]
    with pytest.raises(DataError, match="firm_id is missing"):
        Panel.from_tables(pd.DataFrame({"firm_id": ["a", None]}), fy.assign(firm_id="a"))
