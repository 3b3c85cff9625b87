"""Disclosure control over every number a stage report publishes, and the report's disclosure
statement generated from what was hidden.

Each published number is decided on the firms it rests on, as the stage recorded them in its
bundle (:func:`evalkit.disclosure.firm_basis`; fields documented where the stages build
them), under the study's :class:`~evalkit.disclosure.Rule` (fewer than ``min_firms`` firms
or one firm above ``dominance`` of the magnitude: not published):

* ex post (``results.disclosure``, :func:`evalkit.stages.ex_post.disclosure_basis`): overall
  effects, TWFE and the pre-trend test on the treated firms and their share of the outcome;
  cohort effects on each cohort, with complementary suppression against the overall effect;
  event-study points on the cohorts observed at that event time; the cost on the recipients and
  their shares of the money paid; each fiscal metric on both (benefit and cost);
* monitoring: amounts disbursed per policy and month on that year's recipients and their shares
  (``recipients``/``top_share`` columns of the execution and monthly tables), KPI actuals on the
  firms they sum or average (``n_firms``/``top_share``), anomaly amounts per check on the firms
  concerned (``anomalies.provenance.basis``), interim effects on the subsidised firms;
* portfolio: each policy's ranked metric on its ex-post basis (``results.disclosure``),
  spending per policy on its recipients (``max_firm_spend``);
* ex ante: the projected cost on the eligible firms.

:class:`Hidden` records one suppressed item; :func:`statement` writes the disclosure section from
the list the same functions produce that the report's tables use, so the statement lists exactly
what the tables hid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from evalkit.contract.models import (
    ExAnteResults,
    ExPostResults,
    MonitorResults,
    PortfolioResults,
    StageResults,
    as_model,
)
from evalkit.contract.models.portfolio import PolicyBasis
from evalkit.disclosure import MARK, Rule, SuppressedTable, suppress, union_basis
from evalkit.i18n import t
from evalkit.numbers import percent

#: The firm outcome each fiscal metric's benefit side is computed from.
METRIC_OUTCOME = {"fiscal_return_total": "tax_paid", "fiscal_return_city": "tax_paid",
                  "fiscal_return_district": "tax_paid", "mvpf_district": "tax_paid",
                  "mvpf_city": "tax_paid", "mvpf_total": "tax_paid",
                  "revenue_per_yuan": "revenue", "rd_additionality": "rd_expense",
                  "cost_per_job": "employees", "patents_per_million": "invention_patents"}


@dataclass(frozen=True)
class Hidden:
    """One suppressed item: where in the report (a table's or section's title), which row or
    number, and why ('few', 'dominant' or 'complementary')."""

    where: str
    item: str
    reason: str


def reason_text(reason: str, rule: Rule, lang: str) -> str:
    return t(f"report.disclosure.reason.{reason}", lang, min_firms=rule.min_firms,
             share=percent(rule.dominance, lang, 0))


def statement(rule: Rule, hidden: Sequence[Hidden], lang: str) -> str:
    """The disclosure section: the rule, then every item hidden and why (or that none was)."""
    lines = [rule.text(lang), ""]
    if not hidden:
        lines.append(t("report.disclosure.none", lang, min_firms=rule.min_firms,
                       share=percent(rule.dominance, lang, 0)))
    else:
        lines.append(t("report.disclosure.some", lang, n=len(hidden)))
        lines.append("")
        sep = "：" if lang == "zh" else ": "
        for h in hidden:
            why = reason_text(h.reason, rule, lang)
            lines.append(f"- {h.where}{sep}{h.item}" + (f"（{why}）" if lang == "zh"
                                                        else f" ({why})"))
    return "\n".join(lines) + "\n"


def suppressed_text(reason: str, rule: Rule, lang: str) -> str:
    """The sentence standing in for a suppressed sentence or paragraph."""
    return t("report.disclosure.sentence", lang, mark=MARK, why=reason_text(reason, rule, lang))


# ----------------------------------------------------------------------------- ex post

#: What the ex-post disclosure functions read: an ex-post bundle's results, or the part of them
#: the portfolio bundle keeps per policy (same field names: ``disclosure``, ``cohort_sizes``,
#: ``fiscal.cost``).
Basis = ExPostResults | PolicyBasis


def rule_of(results: StageResults | Mapping[str, Any] | None) -> Rule:
    """The disclosure rule a bundle's study set (typed results or a raw mapping)."""
    if isinstance(results, StageResults):
        return Rule.of_settings(results.disclosure_settings)
    return Rule.of(results)


def _treated_basis(results: Basis, outcome: str) -> dict[str, Any]:
    """The treated firms behind an overall effect on ``outcome``; bundles written before the
    basis was recorded fall back to the cohort sizes (count rule only)."""
    treated = results.disclosure.treated if results.disclosure is not None else None
    n = sum(int(v) for k, v in results.cohort_sizes.items() if str(k) != "0")
    if treated:  # the smaller count of the two the bundle records, to be safe
        return {**{k: v for k, v in (treated["outcomes"].get(outcome) or {}).items()},
                "n": min(n, int(treated["n"]))}
    return {"n": n, "top_share": None}


def _cohort_basis(results: Basis, cohort: int, outcome: str) -> dict[str, Any]:
    cohorts = (results.disclosure.cohorts if results.disclosure is not None else None) or {}
    c = cohorts.get(str(int(cohort)))
    n = int(results.cohort_sizes.get(str(int(cohort)), 0))
    if c:
        return {**{k: v for k, v in (c["outcomes"].get(outcome) or {}).items()},
                "n": min(n, int(c["n"]))}
    return {"n": n, "top_share": None, "magnitude": 0.0}


def payments_basis(results: Basis) -> dict[str, Any] | None:
    """The recipients behind the cost (and so every fiscal metric)."""
    if results.disclosure is not None and results.disclosure.payments:
        return results.disclosure.payments
    cost = results.fiscal.cost if results.fiscal is not None else None
    return {"n": int(cost["n_recipients"]), "top_share": None} if cost else None


def cohort_cells(results: ExPostResults, frame: pd.DataFrame, rule: Rule
                 ) -> SuppressedTable:
    """The cohort table's cells (``frame``: one row per cohort with ``cohort, n_firms, att,
    conf_low, conf_high``) under the rule, with complementary suppression against the published
    overall effect (a size-weighted average of the cohort effects)."""
    main = results.main_outcome
    bases = [_cohort_basis(results, g, main) for g in frame["cohort"]]
    cells = frame.assign(
        _magnitude=[float(b.get("magnitude") or 0.0) for b in bases],
        _top=[float(b.get("magnitude") or 0.0) * float(b.get("top_share") or 0.0)
              for b in bases])
    return suppress(cells, "n_firms", ["att", "conf_low", "conf_high"], max_col="_top",
                    total_col="_magnitude", min_firms=rule.min_firms,
                    dominance=rule.dominance)


def effect_reason(results: ExPostResults, outcome: str, rule: Rule,
                  cohort_total_hidden: bool = False) -> str | None:
    """Why the overall effect on ``outcome`` (and its TWFE counterpart) is hidden, or None."""
    why = rule.reason(_treated_basis(results, outcome))
    if why is None and cohort_total_hidden and outcome == results.main_outcome:
        return "complementary"
    return why


def event_reasons(results: ExPostResults, events: Sequence[int], rule: Rule
                  ) -> dict[int, str | None]:
    """Why each event-time estimate of the main outcome is hidden (None: shown): it rests on
    the cohorts g observed at g + e inside the window (with a base year in it for e < 0)."""
    lo, hi = (int(y) for y in results.window)
    cohorts = [int(k) for k in results.cohort_sizes if int(k) != 0]
    main = results.main_outcome
    out = {}
    for e in events:
        gs = [g for g in cohorts if lo <= g + e <= hi and (e >= 0 or lo <= g + e - 1)]
        basis = union_basis([_cohort_basis(results, g, main) for g in gs])
        out[int(e)] = rule.reason(basis) if basis["n"] else "few"
    return out


def fiscal_reason(results: Basis, metric: str, rule: Rule) -> str | None:
    """Why a fiscal metric is hidden: it rests on the recipients' payments (cost) and on the
    treated firms' outcome (benefit)."""
    outcome = METRIC_OUTCOME.get(metric, "tax_paid")
    return rule.reason(payments_basis(results), _treated_basis(results, outcome))


@dataclass(frozen=True)
class ExPostPlan:
    """What the ex-post report hides, computed once from the bundle: the cohort cells, the
    reason per overall effect, per fiscal metric and for the cost."""

    rule: Rule
    cohorts: SuppressedTable
    effects: dict[str, str | None]
    fiscal: dict[str, str | None]
    cost: str | None

    def hidden(self, results: ExPostResults, lang: str,
               events: Sequence[int] = ()) -> list[Hidden]:
        from evalkit.numbers import outcome_label

        out = []
        where = t("report.ex_post.tbl.cohorts", lang)
        for g, why in zip(self.cohorts.frame["cohort"], self.cohorts.reasons, strict=True):
            if why:
                out.append(Hidden(where, t("report.disclosure.item.cohort", lang, g=int(g)),
                                  why))
        for name, why in self.effects.items():
            if why:
                out.append(Hidden(t("report.disclosure.where.effects", lang),
                                  outcome_label(name, lang), why))
        for e, why in event_reasons(results, events, self.rule).items():
            if why:
                out.append(Hidden(t("report.disclosure.where.event", lang),
                                  t("report.disclosure.item.event", lang, e=e), why))
        if self.cost:
            out.append(Hidden(t("report.ex_post.fiscal.title", lang),
                              t("report.disclosure.item.cost", lang), self.cost))
        for metric, why in self.fiscal.items():
            if why:
                try:
                    name = t(f"report.metric.{metric}", lang)
                except KeyError:
                    name = metric
                out.append(Hidden(t("report.ex_post.tbl.fiscal", lang), name, why))
        return out


def ex_post_plan(results: ExPostResults | Mapping[str, Any]) -> ExPostPlan:
    from evalkit.report.views.ex_post import cohort_frame

    results = as_model(results, ExPostResults)
    rule = rule_of(results)
    cohorts = cohort_cells(results, cohort_frame(results), rule)
    effects = {o: effect_reason(results, o, rule, cohort_total_hidden=cohorts.total_hidden)
               for o in results.outcomes}
    fiscal = results.fiscal
    terms = list((fiscal.tidy or {}).get("term", [])) if fiscal is not None else []
    return ExPostPlan(rule, cohorts, effects, {m: fiscal_reason(results, m, rule) for m in terms},
                      rule.reason(payments_basis(results)) if fiscal is not None else None)


# ----------------------------------------------------------------------------- monitoring

def row_reasons(frame: pd.DataFrame, rule: Rule, n_col: str = "recipients",
                share_col: str = "top_share") -> list[str | None]:
    """The rule per row of a table carrying each row's basis in ``n_col``/``share_col``; rows
    without a basis (NaN count: not computed from firms) pass; a table without the columns
    (a bundle written before they existed) fails every row."""
    if n_col not in frame.columns:
        return ["few"] * len(frame)
    out: list[str | None] = []
    for n, s in zip(frame[n_col], frame[share_col] if share_col in frame.columns
                    else [None] * len(frame), strict=True):
        if n is None or (isinstance(n, float) and math.isnan(n)):
            out.append(None)
            continue
        share = None if s is None or (isinstance(s, float) and math.isnan(s)) else float(s)
        out.append(rule.reason({"n": int(n), "top_share": share}))
    return out


def burnup_reasons(monthly: pd.DataFrame, rule: Rule) -> dict[str, str | None]:
    """Per policy: why its cumulative payment curve is left out of the burn-up chart (None:
    drawn). Every point and every month's step must pass, else the month's payments could be
    read off the difference of two points."""
    out: dict[str, str | None] = {}
    for pid, rows in monthly.groupby("policy_id", sort=True):
        why = None
        for cols in (("recipients", "top_share"), ("month_recipients", "month_top_share")):
            reasons = [r for r in row_reasons(rows, rule, *cols) if r]
            if reasons:
                why = "dominant" if "dominant" in reasons and "few" not in reasons else "few"
                break
        out[str(pid)] = why
    return out


def monitor_hidden(results: MonitorResults | Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                   lang: str) -> list[Hidden]:
    from evalkit.report.views import common, monitor

    results = as_model(results, MonitorResults)
    rule = rule_of(results)
    out = []
    execution = tables["execution"]
    for pid, why in zip(execution["policy_id"], row_reasons(execution, rule), strict=True):
        if why:
            out.append(Hidden(t("report.monitor.tbl.exec", lang),
                              t("report.disclosure.item.disbursed", lang, pid=pid), why))
    for pid, why in burnup_reasons(tables["monthly"], rule).items():
        if why:
            out.append(Hidden(t("report.monitor.fig.burnup", lang), pid, why))
    kpis = monitor.kpi_rows(tables["kpis"])
    for r, why in zip(kpis.itertuples(index=False), row_reasons(kpis, rule, "n_firms"),
                      strict=True):
        if why:
            who = t("report.monitor.district", lang) if pd.isna(r.policy_id) else r.policy_id
            out.append(Hidden(t("report.monitor.tbl.kpis", lang),
                              f"{common.md(getattr(r, f'name_{lang}'))} ({who})", why))
    frame = monitor.interim_frame(results)
    if not frame.empty:
        cells = monitor.interim_cells(frame, rule)
        for pid, why in zip(frame["policy"], cells.reasons, strict=True):
            if why:
                out.append(Hidden(t("report.monitor.tbl.interim", lang), pid, why))
    anomalies = monitor.anomaly_cells(results, tables["anomalies"], lang, rule)
    for check, why in zip(anomalies.frame["check"], anomalies.reasons, strict=True):
        if why:
            out.append(Hidden(t("report.monitor.tbl.anomalies", lang), check, why))
    return out


# ----------------------------------------------------------------------------- portfolio

def policy_metric_reason(results: PortfolioResults, pid: str, rule: Rule) -> str | None:
    """Why the ranked metric of ``pid`` is hidden in the portfolio report (its ex-post basis,
    recorded by the portfolio stage as ``results.disclosure[pid]``; a policy without one is
    not known to be safe and is hidden)."""
    basis = results.disclosure.get(pid)
    if basis is None:
        return "few"
    return fiscal_reason(basis, results.metric, rule)


def portfolio_hidden(results: PortfolioResults | Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                     lang: str) -> list[Hidden]:
    from evalkit.report.views import portfolio

    results = as_model(results, PortfolioResults)
    rule = rule_of(results)
    out = []
    for pid in sorted(tables["ranking"]["term"]):
        why = policy_metric_reason(results, pid, rule)
        if why:
            out.append(Hidden(t("report.portfolio.fig.ranking", lang), pid, why))
    cells = portfolio.classification_cells(tables["classification"], rule)
    for pid, why in zip(tables["classification"]["policy_id"], cells.reasons, strict=True):
        if why:
            out.append(Hidden(t("report.portfolio.tbl.class", lang),
                              t("report.disclosure.item.spend", lang, pid=pid), why))
    return out


# ----------------------------------------------------------------------------- ex ante

def ex_ante_cost_reason(results: ExAnteResults, rule: Rule) -> str | None:
    """The projected cost rests on the eligible firms (their awards under the proposal's rule);
    ``microsim.award_top_share`` is the largest award's share of the total where recorded."""
    sim = results.microsim
    return rule.reason({"n": int(sim.n_eligible), "top_share": sim.award_top_share})


def ex_ante_hidden(results: ExAnteResults | Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                   lang: str) -> list[Hidden]:
    from evalkit.report.views import common, ex_ante

    results = as_model(results, ExAnteResults)
    rule = rule_of(results)
    out = []
    why = ex_ante_cost_reason(results, rule)
    if why:
        out.append(Hidden(t("report.ex_ante.tbl.cost", lang),
                          t("report.disclosure.item.cost", lang), why))
    frame = tables["eligible_by_size_class"]
    cells = ex_ante.eligible_cells(frame, rule)
    for g, why in zip(frame["group"], cells.reasons, strict=True):
        if why:
            out.append(Hidden(t("report.ex_ante.tbl.eligible", lang),
                              common.label("size_class", g, lang), why))
    return out


def disclosure_statement(data, lang: str) -> str:
    """The disclosure section of any stage report, from its bundle ``data``."""
    res = data.model if data.stage != "example" else data.results
    rule = rule_of(res)
    if data.stage == "ex_post":
        from evalkit.report.views.ex_post import dynamic_events

        hidden = ex_post_plan(res).hidden(res, lang, dynamic_events(data))
    elif data.stage == "monitor":
        hidden = monitor_hidden(res, {n: data.table(n) for n in ("execution", "monthly", "kpis",
                                                                 "anomalies")}, lang)
    elif data.stage == "portfolio":
        hidden = portfolio_hidden(res, {n: data.table(n) for n in ("ranking", "classification")},
                                  lang)
    elif data.stage == "ex_ante":
        hidden = ex_ante_hidden(res, {"eligible_by_size_class":
                                      data.table("eligible_by_size_class")}, lang)
    elif data.stage == "example":
        table = data.table("by_industry")
        cells = suppress(table, "n_firms", "total", max_col="max_firm_total",
                         min_firms=rule.min_firms, dominance=rule.dominance)
        hidden = [Hidden(t("report.example.tbl.industry", lang), str(name), why)
                  for name, why in zip(table[f"industry_{lang}"], cells.reasons, strict=True)
                  if why]
    else:
        hidden = []
    return statement(rule, hidden, lang)
