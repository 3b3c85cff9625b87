"""Monitoring cases injected into a synthetic district, with a manifest of what monitoring must find.

:func:`inject_monitoring_cases` returns a new :class:`~evalkit.synth.District` (the input is not
modified) with

* ledger anomalies (:data:`PER_KIND` of each kind; definitions in :mod:`evalkit.monitor.anomalies`):
  ``duplicate_project`` (a copy of a first-tranche payment booked under a second policy with the
  same project_ref, a few days later), ``over_cap`` (a payment of 1.5 x the policy's cap to a firm
  the ledger never paid), ``paid_after_exit`` (a payment in the year after a firm's exit year),
  ``zero_revenue`` (a firm-year's revenue set to 0 and a payment in that year), ``out_of_window``
  (a payment in a year before the policy's start date);
* one policy clearly behind on budget execution in the final year (its final-year appropriation
  raised so that execution is :data:`BEHIND_RATIO` of the share its own disbursement calendar
  expects by as_of, :func:`evalkit.monitor.execution.expected_share`), chosen as the policy with
  the best execution against its calendar so that the change is what makes it red;
* one district KPI off track (``high_tech_enterprises``: target raised to
  :data:`OFF_TRACK_FACTOR` x the final year's actual count).

Every injected record is placed so that it triggers only its own check: recipients are firms the
clean ledger never paid, each used once, active with positive revenue in the payment year (except
the exited ones), amounts within the cap (except over_cap), dates inside the policy window (except
out_of_window) and before the final year (so budget execution is untouched). The manifest lists
every injected record id, and the record ids each check must flag because of the injection
(``expected_flags``; a duplicated project also flags the original's records). The clean district
may hold anomalies of its own (e.g. later tranches paid after a firm's exit); the manifest does
not list those.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from evalkit.monitor.execution import MIN_EXPECTED, disbursement_calendar, expected_share
from evalkit.synth.district import District

__all__ = ["BEHIND_RATIO", "OFF_TRACK_FACTOR", "PER_KIND", "inject_monitoring_cases"]

PER_KIND = 3
BEHIND_RATIO = 0.4
OFF_TRACK_FACTOR = 1.5
OFF_TRACK_KPI = "high_tech_enterprises"


def _date(rng: np.random.Generator, year: int) -> str:
    return str(np.datetime64(f"{year}-01-01") + int(rng.integers(0, 330)))


def inject_monitoring_cases(district: District, seed: int) -> tuple[District, dict]:
    """Inject the monitoring cases (module doc); returns (district, manifest)."""
    rng = np.random.default_rng(seed)
    led = district.disbursements.copy()
    fy = district.firm_years.copy()
    firms = district.firms
    pol = district.policies.set_index("policy_id")
    start = pd.to_datetime(pol["start_date"]).dt.year
    end_year = int(district.meta["end"])
    first_year = int(fy["year"].min())
    paid_firms = set(led["firm_id"])
    used: set[str] = set()
    new_rows: list[dict] = []
    next_id = [len(led) + 1]
    injected: dict[str, list[str]] = {k: [] for k in ("duplicate_project", "over_cap",
                                                       "paid_after_exit", "zero_revenue",
                                                       "out_of_window")}
    expected: dict[str, set[str]] = {k: set() for k in (*injected, "multi_policy_firm_year")}

    def add(policy_id, firm_id, date, amount, project_ref) -> str:
        rid = f"R{next_id[0]:07d}"
        next_id[0] += 1
        new_rows.append({"record_id": rid, "policy_id": policy_id, "firm_id": firm_id,
                         "date": date, "amount": float(amount), "tranche": 1,
                         "project_ref": project_ref})
        return rid

    # candidate clean firm-years: never paid, positive revenue, before the final year
    clean = fy.loc[~fy["firm_id"].isin(paid_firms) & (fy["revenue"] > 0)
                   & (fy["year"] < end_year), ["firm_id", "year"]]
    clean = clean.sample(frac=1.0, random_state=np.random.RandomState(seed % 2**32))

    def pick(years_ok) -> tuple[str, int]:
        for firm, year in clean.itertuples(index=False):
            if firm not in used and years_ok(int(year)):
                used.add(firm)
                return str(firm), int(year)
        raise RuntimeError("no clean firm-year left for an injected case")  # pragma: no cover

    policies = list(pol.index)

    # duplicate_project: a first tranche booked again under another policy
    led_year = pd.to_datetime(led["date"]).dt.year
    alive = set(zip(fy.loc[fy["revenue"] > 0, "firm_id"], fy.loc[fy["revenue"] > 0, "year"],
                    strict=True))
    cand = led.loc[(led["tranche"] == 1) & (led_year < end_year)]
    cand = cand.iloc[rng.permutation(len(cand))]
    for rec in cand.itertuples(index=False):
        if len(injected["duplicate_project"]) == PER_KIND:
            break
        y = int(str(rec.date)[:4])
        if rec.firm_id in used or (rec.firm_id, y) not in alive:
            continue
        others = [p for p in policies if p != rec.policy_id and start[p] <= y
                  and pol.loc[p, "cap_per_firm"] >= rec.amount]
        if not others:
            continue
        other = others[int(rng.integers(len(others)))]
        day = min(np.datetime64(rec.date) + int(rng.integers(3, 20)),
                  np.datetime64(f"{y}-12-31"))
        rid = add(other, rec.firm_id, str(day), rec.amount, rec.project_ref)
        used.add(rec.firm_id)
        injected["duplicate_project"].append(rid)
        same_ref = led.loc[led["project_ref"] == rec.project_ref, "record_id"]
        expected["duplicate_project"] |= set(same_ref) | {rid}
        same_year = led.loc[(led["firm_id"] == rec.firm_id) & (led_year == y), "record_id"]
        expected["multi_policy_firm_year"] |= set(same_year) | {rid}

    for i in range(PER_KIND):
        # over_cap
        p = policies[int(rng.integers(len(policies)))]
        firm, y = pick(lambda yy, p=p: yy >= start[p])
        rid = add(p, firm, _date(rng, y), 1.5 * pol.loc[p, "cap_per_firm"], f"{p}-{y}-X{i:03d}")
        injected["over_cap"].append(rid)
        # zero_revenue
        p = policies[int(rng.integers(len(policies)))]
        firm, y = pick(lambda yy, p=p: yy >= start[p])
        fy.loc[(fy["firm_id"] == firm) & (fy["year"] == y), "revenue"] = 0.0
        rid = add(p, firm, _date(rng, y), round(0.3 * pol.loc[p, "cap_per_firm"], -3),
                  f"{p}-{y}-Z{i:03d}")
        injected["zero_revenue"].append(rid)
        # out_of_window: a policy that starts after the first data year
        late = [q for q in policies if start[q] > first_year]
        p = late[int(rng.integers(len(late)))]
        firm, y = pick(lambda yy, p=p: yy < start[p])
        rid = add(p, firm, _date(rng, y), round(0.3 * pol.loc[p, "cap_per_firm"], -3),
                  f"{p}-{y}-W{i:03d}")
        injected["out_of_window"].append(rid)

    # paid_after_exit: never-paid firms whose exit year + 1 is before the final year
    ex = firms.loc[firms["year_exited"].notna() & ~firms["firm_id"].isin(paid_firms | used)]
    ex = ex.loc[ex["year_exited"].astype("int64") + 1 < end_year]
    ex = ex.iloc[rng.permutation(len(ex))]
    for i, rec in enumerate(ex.head(PER_KIND).itertuples(index=False)):
        y = int(rec.year_exited) + 1
        ok = [q for q in policies if start[q] <= y]
        p = ok[int(rng.integers(len(ok)))]
        used.add(rec.firm_id)
        rid = add(p, rec.firm_id, _date(rng, y), round(0.3 * pol.loc[p, "cap_per_firm"], -3),
                  f"{p}-{y}-E{i:03d}")
        injected["paid_after_exit"].append(rid)

    for k, ids in injected.items():
        expected[k] |= set(ids)
    add_df = pd.DataFrame(new_rows)
    new_led = pd.concat([led, add_df], ignore_index=True)
    for c in led.columns:
        new_led[c] = new_led[c].astype(led[c].dtype)

    # behind on execution in the final year
    as_of = pd.Timestamp(district.meta["as_of"])
    d = pd.to_datetime(new_led["date"])
    ytd = new_led.loc[(d.dt.year == end_year) & (d <= as_of)].groupby("policy_id")["amount"].sum()
    budgets = district.budgets.copy()
    fin = budgets.loc[budgets["year"] == end_year].set_index("policy_id")["appropriation"]
    cut = as_of.date()
    due = pd.Series({p: expected_share(disbursement_calendar(new_led, p, end_year)[0], cut)
                          for p in fin.index})
    rate = ytd.reindex(fin.index).fillna(0.0) / fin
    rel = (rate / due.where(due >= MIN_EXPECTED)).dropna()
    behind = str(rel.sort_values(ascending=False, kind="stable").index[0])
    new_app = math.ceil(float(ytd.get(behind, 0.0)) / (BEHIND_RATIO * float(due[behind]))
                        / 1e4) * 1e4
    m = (budgets["policy_id"] == behind) & (budgets["year"] == end_year)
    old_app = float(budgets.loc[m, "appropriation"].iloc[0])
    budgets.loc[m, "appropriation"] = max(new_app, old_app)

    # off-track KPI
    kpi = district.kpi_targets.copy()
    actual = int(fy.loc[fy["year"] == end_year, "high_tech"].astype(bool).sum())
    km = (kpi["indicator"] == OFF_TRACK_KPI) & kpi["policy_id"].isna()
    old_target = float(kpi.loc[km, "target"].iloc[0])
    kpi.loc[km, "target"] = float(math.ceil(OFF_TRACK_FACTOR * actual))

    out = dataclasses.replace(district, firm_years=fy, budgets=budgets, disbursements=new_led,
                              kpi_targets=kpi)
    manifest = {
        "seed": int(seed),
        "injected_records": injected,
        "expected_flags": {k: sorted(v) for k, v in expected.items()},
        "zero_revenue_firm_years": [
            {"record_id": r["record_id"], "year": int(r["date"][:4])}
            for r in new_rows if r["record_id"] in injected["zero_revenue"]],
        "behind_execution": {"policy_id": behind, "year": end_year,
                             "appropriation_before": old_app,
                             "appropriation_after": float(budgets.loc[m, "appropriation"].iloc[0]),
                             "expected_status": "red"},
        "off_track_kpi": {"indicator": OFF_TRACK_KPI, "target_before": old_target,
                          "target_after": float(kpi.loc[km, "target"].iloc[0]),
                          "actual": actual, "expected_status": "red"},
    }
    return out, manifest
