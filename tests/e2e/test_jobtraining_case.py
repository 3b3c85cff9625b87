"""The real-data case study end to end: the Michigan job-training grants (Holzer et al. 1993,
``linearmodels.datasets.jobtraining``) exported to the six tables, ingested, evaluated by the
committed study file through the CLI, and checked against a direct call on the raw frame.

Expected counts come from the raw data, not from evalkit: the ingest must quarantine exactly the
plant-years with a missing ``employ`` or ``sales``, the plants with no employment figure in any
year (no size class can be derived: 7), and the grants of those plants (3).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from linearmodels.datasets import jobtraining

from evalkit.cli import main
from evalkit.contract.bundle import read_bundle
from evalkit.did import aggte, att_gt
from evalkit.errors import DataWarning
from evalkit.examples.jobtraining import (
    NO_AMOUNT,
    POLICY_ID,
    export_jobtraining,
    pseudo_uscc,
    scrap_replication,
)
from evalkit.io import list_datasets, load_dataset
from evalkit.io.uscc import is_valid_uscc

ROOT = Path(__file__).resolve().parents[2]
STUDY = ROOT / "studies" / "examples" / "jobtraining.yaml"
SAME = 1e-10


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return jobtraining.load()


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """Export -> `evalkit ingest` -> `evalkit run` of the committed study (store moved to tmp)."""
    tmp = tmp_path_factory.mktemp("jobtraining")
    data = export_jobtraining(tmp / "data")
    store = tmp / "warehouse.duckdb"
    assert main(["ingest", str(data), "--store", str(store)]) == 0
    study = yaml.safe_load(STUDY.read_text(encoding="utf-8"))
    study["data"]["store"] = str(store)
    copy = tmp / "jobtraining.yaml"
    copy.write_text(yaml.safe_dump(study, allow_unicode=True), encoding="utf-8")
    bundle = tmp / "bundle"
    assert main(["run", str(copy), "--out", str(bundle)]) == 0
    # revenue (sales, USD) is left out of the committed study only because report templates
    # label money as CNY; the same design on both outcomes backs the README's revenue numbers
    both = tmp / "jobtraining_revenue.yaml"
    both.write_text(yaml.safe_dump({**study, "outcomes": ["employees", "revenue"]},
                                   allow_unicode=True), encoding="utf-8")
    assert main(["run", str(both), "--out", str(tmp / "bundle_revenue")]) == 0
    return {"data": data, "store": store, "bundle": read_bundle(bundle), "study": study,
            "bundle_revenue": read_bundle(tmp / "bundle_revenue")}


def test_ingest_accepts_what_exists_and_quarantines_the_rest(case, raw):
    counts = json.loads(list_datasets(case["store"])["counts"].iloc[0])
    missing_row = raw["employ"].isna() | raw["sales"].isna()
    no_employment = raw.groupby("fcode")["employ"].count() == 0
    grants = raw[raw["grant"] == 1]
    expected = {
        "firms": (157, 157 - int(no_employment.sum()), int(no_employment.sum())),
        "firm_years": (471, int((~missing_row).sum()), int(missing_row.sum())),
        "policies": (1, 1, 0), "budgets": (0, 0, 0), "kpi_targets": (0, 0, 0),
        "disbursements": (len(grants), int((~grants["fcode"].map(no_employment)).sum()),
                          int(grants["fcode"].map(no_employment).sum())),
    }
    got = {k: (v["read"], v["accepted"], v["quarantined"]) for k, v in counts.items()}
    assert got == expected
    # the numbers the README cites
    assert expected["firm_years"] == (471, 359, 112)
    assert expected["firms"] == (157, 150, 7) and expected["disbursements"] == (66, 63, 3)
    for read, acc, quar in got.values():
        assert read == acc + quar


def test_warehouse_holds_the_data_as_given(case, raw):
    tables = load_dataset(case["store"], "v1")
    fy = tables["firm_years"]
    ids = {pseudo_uscc(f): f for f in raw["fcode"].unique()}
    kept = raw.dropna(subset=["employ", "sales"]).set_index(["fcode", "year"]).sort_index()
    got = fy.assign(fcode=fy["firm_id"].map(ids), year=fy["year"].astype("int64"))
    got = got.set_index(["fcode", "year"]).sort_index()
    assert got.index.tolist() == kept.index.tolist()
    # money is US dollars exactly as given (no conversion), employees as given
    np.testing.assert_array_equal(got["revenue"].to_numpy(), kept["sales"].to_numpy())
    np.testing.assert_array_equal(got["employees"].to_numpy(dtype=float), kept["employ"].to_numpy())
    led = tables["disbursements"]
    assert (led["amount"] == 0).all() and (led["project_ref"] == NO_AMOUNT).all()
    assert set(led["policy_id"]) == {POLICY_ID}
    cohort = pd.to_datetime(led["date"]).dt.year.groupby(led["firm_id"].map(ids)).min()
    first_grant = raw[raw["grant"] == 1].groupby("fcode")["year"].min()
    assert cohort.sort_index().to_dict() == first_grant.loc[cohort.index].sort_index().to_dict()


def test_pseudo_codes_are_valid_and_keep_the_fcode_order(raw):
    codes = [pseudo_uscc(f) for f in np.sort(raw["fcode"].unique())]
    assert all(is_valid_uscc(c) and len(c) == 18 for c in codes)
    assert codes == sorted(codes) and len(set(codes)) == 157
    with pytest.raises(ValueError, match="6 digits"):
        pseudo_uscc(10**6)


def _direct(raw: pd.DataFrame, y: str, seed: int | None = None, rows: str = "accepted",
            unbalanced: bool = True):
    """att_gt on the raw linearmodels frame: the rows the ingest accepts (``accepted``) or every
    row with an employment figure (``employ``); bootstrap when ``seed`` is given."""
    subset = ["employ", "sales"] if rows == "accepted" else ["employ"]
    kept = raw.dropna(subset=subset).copy()
    g = raw[raw["grant"] == 1].groupby("fcode")["year"].min()
    kept["g"] = kept["fcode"].map(g).fillna(0).astype("int64")
    boot = {} if seed is None else {"bstrap": True, "biters": 999, "cband": True, "seed": seed}
    return att_gt(kept, y, "year", "fcode", "g", est_method="reg", control_group="nevertreated",
                  allow_unbalanced_panel=unbalanced, **boot)


@pytest.mark.parametrize("outcome,column,offset", [("employees", "employ", 0),
                                                   ("revenue", "sales", 1)])
def test_bundle_cells_equal_a_direct_att_gt_on_the_raw_frame(case, raw, outcome, column, offset):
    seed = case["study"]["inference"]["seed"] + offset  # the stage seeds outcome i with seed + i
    direct = _direct(raw, column, seed)
    bundle = case["bundle"] if outcome in case["study"]["outcomes"] else case["bundle_revenue"]
    cells = bundle.table(f"att_gt_{outcome}")
    assert list(zip(cells["group"], cells["time"], strict=True)) == [
        (1988, 1988), (1988, 1989), (1989, 1988), (1989, 1989)]
    np.testing.assert_allclose(cells["estimate"], direct.att, rtol=SAME, atol=SAME)
    # pseudo codes sort like fcode, so the units and hence the bootstrap draws line up too
    np.testing.assert_allclose(cells["std_error"], direct.se, rtol=SAME, atol=SAME)
    res = bundle.results
    assert res["cohort_sizes"] == {"0": 76, "1988": 29, "1989": 19} and res["n_firms"] == 124
    if outcome == "employees":  # the same cells whether or not revenue is evaluated too
        np.testing.assert_array_equal(cells["estimate"],
                                      case["bundle_revenue"].table("att_gt_employees")["estimate"])


def test_no_fiscal_or_placeholder_outcome_reaches_the_bundle(case):
    res = case["bundle"].results
    assert res["fiscal"] is None
    assert set(res["outcomes"]) == {"employees"} and res["main_outcome"] == "employees"
    assert set(case["bundle_revenue"].results["outcomes"]) == {"employees", "revenue"}
    assert case["bundle_revenue"].results["fiscal"] is None
    assert "fiscal" not in case["bundle"].table_names()


def test_the_numbers_the_readme_quotes(case, raw):
    overall = case["bundle"].table("overall").set_index("outcome")
    assert round(overall.loc["employees", "estimate"], 3) == 3.930
    assert round(overall.loc["employees", "std_error"], 3) == 4.682  # bootstrap (999 Mammen draws, seed 20240601)
    rev = case["bundle_revenue"].table("overall").set_index("outcome")
    assert round(rev.loc["revenue", "estimate"]) == -153116
    analytic = _direct(raw, "employ")
    np.testing.assert_allclose(analytic.se, [4.400, 6.670, 2.470, 8.797], atol=5e-4)
    assert round(aggte(analytic, "simple").overall_se, 3) == 4.643
    every = aggte(_direct(raw, "employ", rows="employ"), "simple")
    assert (round(every.overall_att, 3), round(every.overall_se, 3)) == (2.608, 3.897)
    assert every.n_units == 150
    with pytest.warns(DataWarning, match="dropped 9 of 124 units"):
        balanced = aggte(_direct(raw, "employ", unbalanced=False), "simple")
    assert (round(balanced.overall_att, 3), round(balanced.overall_se, 3)) == (3.941, 4.660)
    pre = case["bundle"].results["outcomes"]["employees"]["pretrend"]
    assert round(pre["p_value"], 2) == 0.45 and round(pre["stat"], 2) == 0.56


def test_scrap_rate_replication_matches_the_textbook():
    r = scrap_replication()
    assert (round(r.coef("grant"), 3), round(r.se("grant"), 3)) == (-0.252, 0.151)
    assert (round(r.coef("grant_1"), 3), round(r.se("grant_1"), 3)) == (-0.422, 0.210)
    assert r.n_obs == 162 and r.n_entities == 54
