"""The Michigan job-training grants as evalkit's six tables (a real-data case study).

Source: H. Holzer, R. Block, M. Cheatham and J. Knott (1993), "Are Training Subsidies Effective?
The Michigan Experience", *Industrial and Labor Relations Review* 46: 625-636; the firm panel
shipped as ``linearmodels.datasets.jobtraining`` (157 Michigan manufacturing plants, 1987-1989,
471 plant-years; Wooldridge's JTRAIN). 36 plants received a grant in 1988, 30 in 1989, 91 never.

:func:`export_jobtraining` writes the six tables with canonical headers so that the data go
through the same ``evalkit ingest`` / ``evalkit run`` / ``evalkit report`` path as a district's
exports. Nothing is invented; where the data model requires a value the data do not have, the
value written is a labelled placeholder (see ``PLACEHOLDERS``) that the case study never uses:

* **Firm ids.** ``firm_id`` is a *pseudo* unified social credit code built from ``fcode`` by
  :func:`pseudo_uscc`: ``91`` + ``000000`` (no administrative division) + ``000`` + the 6-digit
  fcode + the GB 32100-2015 check character. It is a key mapping, not a registration. Codes sort
  in fcode order.
* **Money is US dollars.** ``revenue`` holds ``sales`` (annual sales, USD) exactly as given,
  under the canonical header; no exchange-rate conversion. Everything evalkit labels 元 / CNY is
  USD in this case study.
* **Not in the data, but required by the schema** (``firm_years``): ``tax_paid``, ``rd_expense``,
  ``invention_patents``, ``pct_applications`` are written as 0 and ``high_tech``, ``listed``,
  ``headquarters`` as false. They are placeholders, not observations: the study uses only
  ``employees`` and ``revenue``, and no fiscal metric is computed.
* **Industry.** The plants are manufacturing (GB/T 4754 section C); the class is unknown. The
  code written is ``4190`` (其他未列明制造业, other manufacturing n.e.c., in division 41 其他制造业),
  the residual, least specific class of section C. Only "section C" is a fact.
* **Firm attributes.** ``cluster`` and ``area`` are ``other``; ``year_registered`` is 1987, the
  first year of the panel (the registration year is unknown); ``size_class`` applies only the
  employee criterion of the 工业 group of ``data/size_thresholds.csv`` to the plant's first
  observed employment (the revenue criterion is in yuan, the data in USD). Plants with no
  employment figure in any year get no size class and are therefore quarantined by the ingest,
  with their firm-years and grants (``unknown_firm``).
* **The ledger.** The data record *who* got a grant and *when* (``grant = 1`` in 1988 or 1989),
  not the amount. Each grant is one disbursement dated 1 January of its year (only the year is
  known; cohorts use only the year) with ``amount = 0`` and ``project_ref = "amount not in public
  data"``, so no per-yuan (here per-dollar) metric can be computed. ``policies.cap_per_firm`` is 0
  for the same reason; the policy window 1988-01-01 to 1989-12-31 spans the years in which the
  data record grants; the eligibility rule ``true`` means "not modelled" (firms applied).
* **Budgets and KPI targets** are not in the data: both files hold the header only.
* **Missing values.** ``employ`` or ``sales`` is missing in 112 of the 471 plant-years. Those
  rows are written with the empty cell and rejected by the ingest (``missing_required``): the
  quarantine lists them, nothing is dropped here.

Run ``python -m evalkit.examples.jobtraining OUT`` to write the folder; see
``reports/examples/README.md`` for the whole case study.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.io.schemas import TABLES
from evalkit.io.uscc import make_uscc
from evalkit.reference import load_size_thresholds, size_group_of

__all__ = [
    "INDUSTRY_CODE",
    "PLACEHOLDERS",
    "POLICY_ID",
    "SOURCE",
    "build_tables",
    "export_jobtraining",
    "grant_cohorts",
    "load_jobtraining",
    "pseudo_uscc",
    "scrap_replication",
]

SOURCE = ("Holzer, Block, Cheatham & Knott (1993), Are Training Subsidies Effective? The Michigan "
          "Experience, Industrial and Labor Relations Review 46: 625-636; data: "
          "linearmodels.datasets.jobtraining")
POLICY_ID = "MJTP"
#: GB/T 4754-2017 4190 其他未列明制造业: the residual class of section C (the true class is unknown)
INDUSTRY_CODE = "4190"
#: registration authority 9, entity type 1, administrative division 000000 (none), then 000
USCC_PREFIX = "91" + "000000" + "000"
NO_AMOUNT = "amount not in public data"
#: Fields the schema requires that the data do not have, and the placeholder written for them.
PLACEHOLDERS = {
    "firm_years.tax_paid": "0", "firm_years.rd_expense": "0",
    "firm_years.invention_patents": "0", "firm_years.pct_applications": "0",
    "firm_years.high_tech": "false", "firm_years.listed": "false",
    "firm_years.headquarters": "false",
    "firms.cluster": "other", "firms.area": "other", "firms.year_registered": "1987",
    "firms.industry_code": INDUSTRY_CODE,
    "policies.cap_per_firm": "0", "policies.eligibility_rule": "true",
    "policies.objective": "innovation",
    "disbursements.amount": "0", "disbursements.date": "YYYY-01-01 (only the year is known)",
}


def load_jobtraining() -> pd.DataFrame:
    """The linearmodels frame, unchanged: 471 rows (157 ``fcode`` x 1987-1989), 30 columns."""
    from linearmodels.datasets import jobtraining

    return jobtraining.load()


def pseudo_uscc(fcode: int) -> str:
    """The 18-character pseudo unified social credit code of a plant (a key mapping only)."""
    fcode = int(fcode)
    if not 0 <= fcode < 10**6:
        raise ValueError(f"fcode {fcode} does not have at most 6 digits")
    return make_uscc(f"{USCC_PREFIX}{fcode:06d}")


def grant_cohorts(raw: pd.DataFrame) -> pd.Series:
    """Year of each plant's grant (first year with ``grant == 1``), 0 if never; index fcode."""
    first = raw.loc[raw["grant"] == 1].groupby("fcode")["year"].min()
    return first.reindex(np.sort(raw["fcode"].unique())).fillna(0).astype("int64").rename("g")


def _size_class(first_employees: pd.Series) -> pd.Series:
    """The employee criterion of the 工业 size classes; empty where employment is unknown."""
    thresholds = load_size_thresholds().set_index("group").loc[size_group_of(INDUSTRY_CODE)]
    e = first_employees
    out = pd.Series("micro", index=e.index, dtype="str")
    out[e >= thresholds["employees_small"]] = "small"
    out[e >= thresholds["employees_medium"]] = "medium"
    out[e >= thresholds["employees_large"]] = "large"
    out[e.isna()] = ""
    return out


def _text(values: pd.Series, fmt) -> pd.Series:
    return pd.Series([("" if pd.isna(v) else fmt(v)) for v in values], index=values.index,
                     dtype="str")


def build_tables(raw: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The six tables as text frames with canonical headers (what :func:`export_jobtraining`
    writes). ``raw`` defaults to :func:`load_jobtraining`."""
    raw = load_jobtraining() if raw is None else raw
    raw = raw.sort_values(["fcode", "year"], kind="stable").reset_index(drop=True)
    fcodes = np.sort(raw["fcode"].unique())
    ids = pd.Series([pseudo_uscc(f) for f in fcodes], index=fcodes)
    first_emp = raw.dropna(subset=["employ"]).groupby("fcode")["employ"].first().reindex(fcodes)

    firms = pd.DataFrame({
        "firm_id": ids.to_numpy(),
        "name": [f"Michigan manufacturing plant fcode {f}" for f in fcodes],
        "industry_code": INDUSTRY_CODE,
        "cluster": "other",
        "area": "other",
        "five_type_tags": "",
        "size_class": _size_class(first_emp).to_numpy(),
        "year_registered": "1987",
        "year_exited": "",
    })
    n = len(raw)
    firm_years = pd.DataFrame({
        "firm_id": raw["fcode"].map(ids).to_numpy(),
        "year": raw["year"].astype(str).to_numpy(),
        # sales in US dollars, exactly as given (repr is the shortest exact round trip)
        "revenue": _text(raw["sales"], lambda v: repr(float(v))).to_numpy(),
        "tax_paid": ["0"] * n,
        "rd_expense": ["0"] * n,
        "employees": _text(raw["employ"], lambda v: str(int(v))).to_numpy(),
        "invention_patents": ["0"] * n,
        "pct_applications": ["0"] * n,
        "high_tech": ["false"] * n,
        "listed": ["false"] * n,
        "headquarters": ["false"] * n,
    })
    if not np.array_equal(raw["employ"].dropna(), raw["employ"].dropna().round()):
        raise ValueError("employ holds non-integer values; the schema's employees is an int")
    policies = pd.DataFrame([{
        "policy_id": POLICY_ID,
        "name_zh": "密歇根州企业职业培训补助（Holzer 等 1993 年数据，美元）",
        "name_en": "Michigan job-training grants (Holzer et al. 1993 data, USD)",
        "department": "State of Michigan (see Holzer et al. 1993)",
        "objective": "innovation",
        "instrument": "grant",
        "start_date": "1988-01-01",
        "end_date": "1989-12-31",
        "eligibility_rule": "true",
        "cap_per_firm": "0",
        "kpis": "",
    }])
    grants = raw.loc[raw["grant"] == 1, ["fcode", "year"]]
    disbursements = pd.DataFrame({
        "record_id": [f"{POLICY_ID}-{f}-{y}" for f, y in zip(grants["fcode"], grants["year"],
                                                             strict=True)],
        "policy_id": POLICY_ID,
        "firm_id": grants["fcode"].map(ids).to_numpy(),
        "date": [f"{y}-01-01" for y in grants["year"]],
        "amount": "0",
        "tranche": "1",
        "project_ref": NO_AMOUNT,
    })
    if grants["fcode"].duplicated().any():
        raise ValueError("a plant has more than one grant year; the ledger would need tranches")
    empty = {name: pd.DataFrame({c: pd.Series(dtype="str") for c in TABLES[name].column_names})
             for name in ("budgets", "kpi_targets")}
    out = {"firms": firms, "firm_years": firm_years, "policies": policies, **empty,
           "disbursements": disbursements}
    return {name: out[name][list(TABLES[name].column_names)] for name in TABLES}


def export_jobtraining(out_dir: str | Path) -> Path:
    """Write the six tables as UTF-8 CSV files (``firms.csv`` ... ``kpi_targets.csv``) and a
    ``PROVENANCE.md`` into ``out_dir``; returns the folder."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in build_tables().items():
        frame.to_csv(out / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
    lines = [f"# Michigan job-training grants as evalkit tables\n\nSource: {SOURCE}.\n",
             "Money (`revenue`) is **US dollars** as given (`sales`), not yuan. `firm_id` is a "
             "pseudo unified social credit code built from `fcode` (a key mapping, not a "
             "registration). Grant amounts are not in the public data: every disbursement has "
             "amount 0.\n", "Placeholders the schema forces (never used by the case study):\n"]
    lines += [f"- `{k}` = `{v}`" for k, v in PLACEHOLDERS.items()]
    (out / "PROVENANCE.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def scrap_replication(cov_type: str = "unadjusted"):
    """Wooldridge's Example 14.1: FE (plant and year effects) of ``lscrap`` on ``grant`` and
    ``grant_1`` over the plants with scrap rates (54 plants, 162 rows), via
    :func:`evalkit.panelmodels.dose_response`. Textbook: -0.252 (0.151), -0.422 (0.210)."""
    from evalkit.panelmodels import dose_response

    raw = load_jobtraining().dropna(subset=["lscrap", "grant_1"])
    return dose_response(raw, "lscrap", ["grant", "grant_1"], "fcode", "year", cov_type=cov_type)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m evalkit.examples.jobtraining OUT_DIR", file=sys.stderr)
        return 2
    out = export_jobtraining(args[0])
    for name, frame in build_tables().items():
        print(f"{name:<14} {len(frame):>4} rows -> {out / (name + '.csv')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
