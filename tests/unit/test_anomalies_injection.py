"""Ledger anomaly checks find every injected anomaly and nothing else.

'Nothing else' is checked against the injection manifest plus what an independent pandas
computation (written here, row by row, separately from evalkit.monitor.anomalies) finds in the
clean ledger.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from evalkit.monitor.anomalies import CHECKS, concentration, ledger_anomalies
from evalkit.synth import synthesize_district
from evalkit.synth.anomalies import PER_KIND, inject_monitoring_cases


def _natural(tables) -> dict[str, set[str]]:
    """Anomalies of a ledger, computed independently with plain loops over records."""
    led = tables["disbursements"]
    firms = tables["firms"].set_index("firm_id")
    pol = tables["policies"].set_index("policy_id")
    revenue = {(f, int(y)): float(r) for f, y, r in
               zip(tables["firm_years"]["firm_id"], tables["firm_years"]["year"],
                   tables["firm_years"]["revenue"], strict=True)}
    out = {k: set() for k in CHECKS}
    recs = list(led.itertuples(index=False))
    by_ref, by_firm_year, totals = {}, {}, {}
    for r in recs:
        y = int(str(r.date)[:4])
        if isinstance(r.project_ref, str) and r.project_ref:
            by_ref.setdefault(r.project_ref, []).append(r)
        by_firm_year.setdefault((r.firm_id, y), []).append(r)
        totals[(r.policy_id, r.firm_id)] = totals.get((r.policy_id, r.firm_id), 0.0) + r.amount
        ex = firms.loc[r.firm_id, "year_exited"]
        if not pd.isna(ex) and y > int(ex):
            out["paid_after_exit"].add(r.record_id)
        if (r.firm_id, y) in revenue and revenue[(r.firm_id, y)] <= 0:
            out["zero_revenue"].add(r.record_id)
        if not (pol.loc[r.policy_id, "start_date"] <= str(r.date) <= pol.loc[r.policy_id,
                                                                              "end_date"]):
            out["out_of_window"].add(r.record_id)
    for rows in by_ref.values():
        if len({r.policy_id for r in rows}) > 1:
            out["duplicate_project"] |= {r.record_id for r in rows}
    for rows in by_firm_year.values():
        if len({r.policy_id for r in rows}) > 1:
            out["multi_policy_firm_year"] |= {r.record_id for r in rows}
    for r in recs:
        if totals[(r.policy_id, r.firm_id)] > pol.loc[r.policy_id, "cap_per_firm"] + 0.5:
            out["over_cap"].add(r.record_id)
    return out


@pytest.fixture(scope="module", params=[(2000, 3, 5), (3000, 8, 1)])
def case(request):
    n, seed, inj_seed = request.param
    clean = synthesize_district(n_firms=n, seed=seed)
    before = {k: v.copy() for k, v in clean.tables().items()}
    dirty, manifest = inject_monitoring_cases(clean, seed=inj_seed)
    for k, v in clean.tables().items():   # the input district is not modified
        pd.testing.assert_frame_equal(v, before[k])
    return clean, dirty, manifest


def test_finds_every_injected_anomaly_and_nothing_else(case):
    clean, dirty, manifest = case
    natural = _natural(clean.tables())
    found = ledger_anomalies(dirty.tables(), as_of=clean.meta["as_of"])
    for check in CHECKS:
        expected = natural[check] | set(manifest["expected_flags"][check])
        assert found.flagged(check) == expected, check
    for kind, ids in manifest["injected_records"].items():
        assert len(ids) == PER_KIND
        assert set(ids) <= found.flagged(kind), kind
        # each injected record triggers its own check and no other (duplicates also make a
        # multi-policy firm-year, by definition)
        others = set(CHECKS) - {kind} - ({"multi_policy_firm_year"}
                                         if kind == "duplicate_project" else set())
        for other in others:
            assert not set(ids) & found.flagged(other), (kind, other)


def test_clean_ledger_findings_equal_the_independent_computation(case):
    clean, _, _ = case
    natural = _natural(clean.tables())
    found = ledger_anomalies(clean.tables())
    for check in CHECKS:
        assert found.flagged(check) == natural[check], check
    # the synthetic ledger pays later tranches regardless of exit: natural cases exist
    assert natural["paid_after_exit"]
    assert not natural["duplicate_project"] and not natural["over_cap"]


def test_findings_list_record_ids_only(case):
    _, dirty, _ = case
    out = ledger_anomalies(dirty.tables()).to_dict()
    text = json.dumps(out, ensure_ascii=False)
    for fid in dirty.firms["firm_id"].head(500):
        assert fid not in text
    for name in dirty.firms["name"].head(500):
        assert name not in text
    assert all(r.startswith("R") for f in out["findings"] for r in f["record_ids"])


def test_concentration_by_hand():
    led = pd.DataFrame({"policy_id": ["A"] * 4 + ["B"] * 12,
                        "firm_id": ["x", "x", "y", "z"] + [f"f{i}" for i in range(12)],
                        "amount": [3.0, 1.0, 2.0, 2.0] + [1.0] * 12})
    c = concentration(led).set_index("policy_id")
    assert c.loc["A", "hhi"] == pytest.approx(0.5 ** 2 + 0.25 ** 2 + 0.25 ** 2)
    assert c.loc["A", "top10_share"] == pytest.approx(1.0)
    assert c.loc["A", "high"]  # HHI 0.375 > 0.25
    assert c.loc["B", "top10_share"] == pytest.approx(10 / 12)
    assert c.loc["B", "hhi"] == pytest.approx(1 / 12)
    assert c.loc["B", "high"]  # top-10 share above one half with more than 10 recipients
