"""Synthesize the district: the six tables, the treated potential outcomes and the known truth.

>>> d = synthesize_district(n_firms=20000, start=2016, end=2025, seed=7)   # doctest: +SKIP

The generator is documented module by module: :mod:`~evalkit.synth.population` (firms and Y(0)),
:mod:`~evalkit.synth.policies` (the eight policies and their true effects),
:mod:`~evalkit.synth.treatment` (who is awarded when, Y(1)), :mod:`~evalkit.synth.ledger` (ledger
and budgets), :mod:`~evalkit.synth.targets` (KPI targets). ``data/SYNTH.md`` describes the result.

Truth (``District.truth``, written to ``truth.json``), per policy and outcome (revenue, tax_paid,
rd_expense, employees, invention_patents; levels in yuan, persons, counts):

- ``att_gt``: the exact **sample** ATT(g, t) = mean over the cohort-g firms alive in year t of
  Y(1) - Y(0) (written values), for every year t of the window (0 for t < g), with ``n``;
- ``att_event`` (by e = t - g, weighted by firm-years), ``att_overall`` (mean over all treated
  firm-years with t >= g), ``att_by_size`` (by the size class in g - 1);
- ``fiscal``: additional tax = sum over treated firm-years t >= g of tax_paid(1) - tax_paid(0),
  window each cohort's award year through ``end`` (full years); subsidy = the ledger's payments up
  to the as-of date; ``fiscal_return`` = additional tax per yuan of subsidy disbursed;
- ``ranking_by_fiscal_return``: policy ids, best first.

No estimator or stage may read the truth; only tests and benchmarks do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError
from evalkit.i18n import Message
from evalkit.io.schemas import FIVE_TYPES, TABLES
from evalkit.reference import classify_size
from evalkit.synth import params as P
from evalkit.synth.ledger import award_totals, build_budgets, build_ledger
from evalkit.synth.names import make_firm_ids, make_names
from evalkit.synth.policies import OUTCOMES, POLICIES
from evalkit.synth.population import build_population
from evalkit.synth.scenario import draw_scenario
from evalkit.synth.targets import build_kpi_targets
from evalkit.synth.treatment import assign, outcomes, written_y0

TRUTH_SCHEMA = "evalkit.synth.truth/1"
#: The policies' first award years are defined for a window starting in this year and shift with it.
DESIGN_START = 2016
SIZE_ORDER = ("large", "medium", "small", "micro")


@dataclass(frozen=True)
class District:
    """The synthetic district: six canonical tables, the truth and the generator's metadata.

    ``potential`` holds, for every firm-year of every awarded firm, ``y0_<outcome>`` and
    ``y1_<outcome>`` (tests and benchmarks only; it is never written to the data files).
    """

    firms: pd.DataFrame
    firm_years: pd.DataFrame
    policies: pd.DataFrame
    budgets: pd.DataFrame
    disbursements: pd.DataFrame
    kpi_targets: pd.DataFrame
    truth: dict
    meta: dict
    potential: pd.DataFrame = field(repr=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The six tables by canonical name, in load order."""
        return {name: getattr(self, name) for name in TABLES}


def policy_start_years(start: int, end: int) -> dict[str, int]:
    """First award year of each policy: the seed design's year shifted with the window's start."""
    return {s.policy_id: int(min(end, max(start + 1, s.start_year + (start - DESIGN_START))))
            for s in POLICIES}


def _check(n_firms: int, start: int, end: int, seed: int) -> None:
    for name, v in (("n_firms", n_firms), ("start", start), ("end", end), ("seed", seed)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise ConfigError(Message("errors.synth.district.integer", name=name, v=v))
    if n_firms < 50:
        raise ConfigError(Message("errors.synth.district.n_firms_least", n_firms=n_firms))
    if end - start < 4:
        raise ConfigError(Message("errors.synth.district.window_span_least_years", start=start,
                                  end=end))
    if seed < 0:
        raise ConfigError(Message("errors.synth.district.seed_non_negative", seed=seed))


def synthesize_district(n_firms: int = 20000, start: int = 2016, end: int = 2025,
                        seed: int = 7, scenario: bool = False) -> District:
    """Generate the synthetic Xuhui-like district (deterministic for a given seed).
    ``scenario=True`` draws each policy's effect size, take-up and award size at random
    (:mod:`evalkit.synth.scenario`; recorded in the truth)."""
    _check(n_firms, start, end, seed)
    sc = draw_scenario(seed) if scenario else None
    rng = np.random.default_rng(seed)
    r_pop, r_names, r_treat, r_out, r_ledger, r_budget, r_tags = rng.spawn(7)
    as_of = np.datetime64(f"{end}-07-31")
    start_years = policy_start_years(start, end)

    pop = build_population(r_pop, n_firms, start, end)
    firm_ids = np.sort(make_firm_ids(r_names, n_firms))
    y0 = written_y0(pop)
    a = assign(r_treat, pop, y0, as_of, start_years, None if sc is None else sc.uptake)
    years = pop.years
    n, T = pop.alive.shape
    rows = np.arange(n)
    kpre = np.clip(a.cohort - years[0] - 1, 0, T - 1)
    lag = {k: y0[k][rows, kpre] for k in ("revenue", "rd_expense", "employees", "tax_paid")}
    award = award_totals(r_ledger, a, lag, None if sc is None else sc.award)
    obs, y1 = outcomes(r_out, pop, y0, a, start_years, award,
                       None if sc is None else sc.effect)

    fi, ti = np.nonzero(pop.alive)  # firm-major: sorted by firm_id, then year

    firm_years = pd.DataFrame({
        "firm_id": pd.array(firm_ids[fi], dtype="string"),
        "year": years[ti].astype("int64"),
        "revenue": obs.revenue[fi, ti].astype("float64"),
        "tax_paid": obs.tax[fi, ti].astype("float64"),
        "rd_expense": obs.rd[fi, ti].astype("float64"),
        "employees": obs.employees[fi, ti].astype("int64"),
        "invention_patents": obs.patents[fi, ti].astype("int64"),
        "pct_applications": pop.pct[fi, ti].astype("int64"),
        "high_tech": pop.high_tech[fi, ti].astype(bool),
        "listed": pop.listed[fi, ti].astype(bool),
        "headquarters": pop.headquarters[fi, ti].astype(bool),
    })

    # firm-level size class: the national standard applied to the firm's latest active year
    last = T - 1 - np.argmax(pop.alive[:, ::-1], axis=1)
    size_class = classify_size(pop.industry_code, obs.revenue[rows, last],
                               obs.employees[rows, last])
    ever_listed = pop.listed.any(axis=1)
    names = make_names(r_names, pop.industry_word, ever_listed)
    tags = _five_type_tags(r_tags, pop)
    firms = pd.DataFrame({
        "firm_id": pd.array(firm_ids, dtype="string"),
        "name": pd.array(names, dtype="string"),
        "industry_code": pd.array(pop.industry_code, dtype="string"),
        "cluster": pd.array(pop.cluster, dtype="string"),
        "area": pd.array(pop.area, dtype="string"),
        "five_type_tags": pd.array(tags, dtype="string"),
        "size_class": pd.array(size_class, dtype="string"),
        "year_registered": pop.year_registered.astype("int64"),
        "year_exited": pd.array(np.where(pop.year_exited > 0, pop.year_exited, 0), dtype="Int64"),
    })
    firms.loc[pop.year_exited == 0, "year_exited"] = pd.NA

    policies = _policies_table(start_years, end)

    ledger, payments = build_ledger(r_ledger, firm_ids, a, award, as_of)
    budgets = build_budgets(r_budget, payments, end, as_of, start_years)
    kpi_targets = build_kpi_targets(firms, firm_years, n_firms, start, end, start_years)

    potential = _potential(firm_ids, pop, a, y0, y1)
    meta = {
        "generator": "evalkit.synth", "seed": int(seed), "n_firms": int(n_firms),
        "start": int(start), "end": int(end), "as_of": str(as_of),
        "reference_firms": P.REFERENCE_FIRMS, "scale": n_firms / P.REFERENCE_FIRMS,
        "policy_start_years": start_years,
    }
    if sc is not None:
        meta["scenario"] = sc.to_dict()
    truth = _truth(meta, potential, ledger, payments, start, end)
    if sc is not None:
        truth["scenario"] = sc.to_dict()
    d = District(firms, firm_years, policies, budgets, ledger, kpi_targets, truth, meta, potential)
    for name, table in d.tables().items():
        if tuple(table.columns) != TABLES[name].column_names:  # pragma: no cover - invariant
            raise AssertionError(f"{name} columns {tuple(table.columns)} differ from the schema")
    return d


def _five_type_tags(rng: np.random.Generator, pop) -> np.ndarray:
    """';'-joined five-type tags (None when a firm has none), in FIVE_TYPES order."""
    n = pop.cluster.size
    flow = np.isin(pop.cluster, P.FLOW_CLUSTERS) & (rng.random(n) < 0.5)
    has = {
        "innovation": np.isin(pop.cluster, P.INNOVATIVE_CLUSTERS) | pop.high_tech.any(axis=1),
        "service": np.isin(pop.cluster, P.SERVICE_CLUSTERS),
        "headquarters": pop.headquarters.any(axis=1),
        "open": pop.open_type | pop.listed.any(axis=1),
        "flow": flow,
    }
    out = np.full(n, "", dtype=object)
    for tag in FIVE_TYPES:
        m = has[tag]
        out[m] = np.where(out[m] == "", tag, out[m] + ";" + tag)
    return np.where(out == "", None, out).astype(object)


def _policies_table(start_years: dict[str, int], end: int) -> pd.DataFrame:
    recs = []
    for s in POLICIES:
        recs.append({
            "policy_id": s.policy_id, "name_zh": s.name_zh, "name_en": s.name_en,
            "department": s.department, "objective": s.objective, "instrument": s.instrument,
            "start_date": f"{start_years[s.policy_id]}-01-01", "end_date": f"{end}-12-31",
            "eligibility_rule": s.eligibility_rule, "cap_per_firm": float(s.cap_per_firm),
            "kpis": ";".join(s.kpis),
        })
    out = pd.DataFrame(recs)
    for c in out.columns:
        out[c] = out[c].astype("float64" if c == "cap_per_firm" else "string")
    return out


def _potential(firm_ids, pop, a, y0, y1) -> pd.DataFrame:
    treated = np.flatnonzero(a.cohort > 0)
    alive = pop.alive[treated]
    fi_local, ti = np.nonzero(alive)
    fi = treated[fi_local]
    out = pd.DataFrame({
        "firm_id": pd.array(firm_ids[fi], dtype="string"),
        "year": pop.years[ti].astype("int64"),
        "policy_id": pd.array(a.policy[fi], dtype="string"),
        "g": a.cohort[fi].astype("int64"),
        "size_pre": pd.array(a.size_pre[fi], dtype="string"),
    })
    for o in OUTCOMES:
        out[f"y0_{o}"] = y0[o][fi, ti]
        out[f"y1_{o}"] = y1[o][fi, ti]
    return out


def _records(frame: pd.DataFrame, keys: list[str]) -> list[dict]:
    cols = [*keys, "att", "n"]
    return [{k: (int(v) if k != "att" else float(v)) for k, v in zip(cols, row, strict=True)}
            for row in frame[cols].itertuples(index=False, name=None)]


def _truth(meta: dict, pot: pd.DataFrame, ledger: pd.DataFrame, payments: pd.DataFrame,
           start: int, end: int) -> dict:
    diffs = pd.DataFrame({o: pot[f"y1_{o}"].astype(float) - pot[f"y0_{o}"].astype(float)
                          for o in OUTCOMES})
    diffs["policy_id"] = pot["policy_id"].to_numpy()
    diffs["g"] = pot["g"].to_numpy()
    diffs["t"] = pot["year"].to_numpy()
    diffs["e"] = diffs["t"] - diffs["g"]
    diffs["size_pre"] = pot["size_pre"].to_numpy()
    post = diffs[diffs["e"] >= 0]
    window = (f"additional tax_paid in each cohort's award year g through {end} (full calendar "
              f"years, t >= g) divided by the ledger's payments up to {meta['as_of']}")
    policies: dict[str, dict] = {}
    for spec in POLICIES:
        pid = spec.policy_id
        mine = diffs[diffs["policy_id"] == pid]
        mine_post = post[post["policy_id"] == pid]
        firm_counts = pot[pot["policy_id"] == pid].drop_duplicates("firm_id").groupby("g").size()
        att_gt, att_event, overall, by_size = {}, {}, {}, {}
        for o in OUTCOMES:
            gt = mine.groupby(["g", "t"], sort=True)[o].agg(["mean", "size"]).reset_index()
            gt["e"] = gt["t"] - gt["g"]
            gt["att"] = np.where(gt["e"] < 0, 0.0, gt["mean"])
            gt["n"] = gt["size"]
            att_gt[o] = _records(gt, ["g", "t", "e"])
            ev = mine_post.groupby("e", sort=True)[o].agg(["mean", "size"]).reset_index()
            ev = ev.rename(columns={"mean": "att", "size": "n"})
            att_event[o] = _records(ev, ["e"])
            overall[o] = float(mine_post[o].mean()) if len(mine_post) else 0.0
            sz = mine_post.groupby("size_pre")[o].agg(["mean", "size"])
            by_size[o] = {s: {"att": float(sz.loc[s, "mean"]), "n": int(sz.loc[s, "size"])}
                          for s in SIZE_ORDER if s in sz.index}
        extra_tax = float(mine_post["tax_paid"].sum())
        disbursed = float(ledger.loc[ledger["policy_id"] == pid, "amount"].sum())
        pay = payments[payments["policy_id"] == pid]
        committed = float(pay.drop_duplicates("project_ref")["award"].sum())
        by_year = mine_post.groupby("t")["tax_paid"].sum()
        ef = spec.effect
        policies[pid] = {
            "name_zh": spec.name_zh, "name_en": spec.name_en, "story": ef.story,
            "effect_model": {"base_log_points": dict(ef.base), "ramp_years": dict(ef.ramp),
                             "cohort_slope": ef.cohort_slope, "size_multiplier": dict(ef.size),
                             "path_by_event_time": {k: list(v) for k, v in ef.path.items()},
                             "rd_crowd_out_per_yuan_of_tranche": ef.crowd_out_per_yuan,
                             "tax_paid": "moves with revenue"},
            "n_treated": int(firm_counts.sum()),
            "cohort_sizes": {str(int(g)): int(c) for g, c in firm_counts.items()},
            "att_gt": att_gt, "att_event": att_event, "att_overall": overall,
            "att_by_size": by_size,
            "fiscal": {
                "additional_tax": extra_tax,
                "additional_tax_by_year": {str(int(t)): float(v) for t, v in by_year.items()},
                "subsidy_disbursed": disbursed, "subsidy_committed": committed,
                "fiscal_return": extra_tax / disbursed if disbursed > 0 else None,
                "fiscal_return_committed": extra_tax / committed if committed > 0 else None,
                "unit": "yuan of additional tax_paid per yuan of subsidy disbursed",
                "window": window,
            },
            "ledger": {"payments": int(pay["paid"].sum()),
                       "late_payments": int((pay["late"] & pay["paid"]).sum()),
                       "unpaid_at_as_of": float(pay.loc[~pay["paid"], "amount"].sum())},
        }
    ranked = sorted((p for p in policies if policies[p]["fiscal"]["fiscal_return"] is not None),
                    key=lambda p: (-policies[p]["fiscal"]["fiscal_return"], p))
    return {
        "schema": TRUTH_SCHEMA,
        "meta": meta,
        "as_of": meta["as_of"],
        "outcomes": list(OUTCOMES),
        "design": {
            "treatment": "each firm receives at most one award; cohort g = award year; awards "
                         "of the final year only up to as_of",
            "comparison_group": "firms never awarded any policy (clean controls for every "
                                "policy)",
            "eligibility": "each policy's eligibility_rule holds on the awardee's firm-year "
                           "record of year g - 1",
            "selection": "logit on lagged observables (log revenue, R&D intensity, high-tech "
                         "status, cluster); event policies need the event in g - 1 "
                         "(P02 first certification, P03 HQ recognition, P05 listing); P07 "
                         "favours firms whose revenue fell > 15 % in g - 1",
            "parallel_trends": "Y(0) grows multiplicatively with cluster-specific trends and a "
                               "2020 shock: in levels, parallel trends hold conditional on "
                               "baseline size and cluster, not unconditionally; P07 violates "
                               "them through a transitory dip in g - 1 (Ashenfelter dip)",
            "size_pre": "size class (GB national standard via evalkit.reference.classify_size) "
                        "in year g - 1",
            "rd_expense": "the firm's own R&D expense; awards are never included in it",
            "exit": "exit does not depend on treatment",
            "att_definition": "sample mean of Y(1) - Y(0) over cohort-g firms alive in year t, "
                              "written (rounded) values, levels",
        },
        "policies": policies,
        "ranking_by_fiscal_return": ranked,
    }
