"""The ex-ante report's sentences, tables and figures (``reports/ex_ante.qmd``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from evalkit.contract.models import ExAnteResults
from evalkit.disclosure import Rule, suppress
from evalkit.escape import markdown as md
from evalkit.i18n import t
from evalkit.numbers import (
    money,
    money_unit,
    number,
    outcome_label,
    percent,
)
from evalkit.report.suppression import ex_ante_cost_reason, rule_of
from evalkit.report.views import common

# ----------------------------------------------------------------------------- ex-ante

def ex_ante_summary(results: ExAnteResults, lang: str) -> str:
    """The appraisal's conclusion, the eligible population and cost against budget, the
    evidence from similar policies and the evaluability of the policy."""
    checklist = results.checklist
    conclusion = results.conclusion
    zh_en = (checklist.conclusion_zh or md(conclusion), checklist.conclusion_en or md(conclusion))
    score = getattr(checklist, "score", None)
    score = checklist.total if score is None else score
    lines = [t("report.ex_ante.conclusion", lang, conclusion=zh_en[0 if lang == "zh" else 1],
               score=common.fmt(score, lang, 1))]
    reasons = checklist.reasons_zh if lang == "zh" else checklist.reasons_en
    if reasons:
        lines.append("\n".join(f"- {md(r)}" for r in reasons))
    sim = results.microsim
    hidden = ex_ante_cost_reason(results, rule_of(results))
    central = next(s for s in sim.scenarios if s["name"] == sim.central)
    lines.append(t("report.ex_ante.summary", lang, eligible=number(sim.n_eligible, lang),
                   share=percent(sim.n_eligible / max(sim.n_firms or 0, 1), lang),
                   take_up=percent(central["take_up"], lang, 0),
                   cost=common._hide(money(central["cost"], lang), hidden),
                   ci=common._hide(common.ci(central["cost_low"], central["cost_high"], lang,
                               lambda v: money(common.as_float(v), lang)), hidden),
                   budget=money(common.as_float(sim.budget), lang),
                   covers=t("report.ex_ante.covers." + ("yes" if sim.budget_covers_central
                                                        else "no"), lang)))
    ev = results.evidence
    if ev:
        eff = ev["effect"]
        outcome = results.proposal.main_outcome or "tax_paid"

        def show(v: Any) -> str:
            return common.outcome_value(v, outcome, lang)

        lines.append(t("report.ex_ante.evidence", lang,
                       policies=("、" if lang == "zh" else ", ").join(md(p) for p in
                                                                     eff["policies"]),
                       effect=show(eff["mean"]), ci=common.ci(eff["conf_low"], eff["conf_high"], lang,
                                                       show)))
    else:
        lines.append(t("report.ex_ante.no_evidence", lang))
    designs = results.evaluability.designs
    if designs:
        d = designs[0]
        lines.append(t("report.ex_ante.mde", lang, design=label_design(d["label"], lang),
                       mde=common.outcome_value(d["mde"], d.get("outcome", "tax_paid"), lang)))
    return "\n\n".join(lines) + "\n"


def label_design(name: str, lang: str) -> str:
    try:
        return t(f"report.ex_ante.design.{name}", lang)
    except KeyError:
        return md(name)


def cost_table(cost_by_year: pd.DataFrame, lang: str,
               results: ExAnteResults | None = None) -> str:
    """Projected cost per year and scenario against the budget; the projections rest on the
    eligible firms' awards and are hidden when those fail the disclosure rule (``results``
    given; the budget is a public figure)."""
    rule = rule_of(results)
    hidden = ex_ante_cost_reason(results, rule) if results is not None else None
    cols = ["budget"] if hidden else ["cost", "cost_low", "cost_high", "budget"]
    div, unit = money_unit(cost_by_year[cols].abs().to_numpy().ravel(), lang)
    digits = common.column_digits(cost_by_year[cols].abs().to_numpy().ravel().tolist(), div)
    out = pd.DataFrame({
        "year": cost_by_year["year"].astype(str),
        "scenario": [t(f"report.ex_ante.scenario.{s}", lang) for s in cost_by_year["scenario"]],
        "cost": [common._hide(number(v / div, lang, digits), hidden) for v in cost_by_year["cost"]],
        "ci": [common._hide(t("report.common.range", lang, lo=number(lo / div, lang, digits),
                       hi=number(hi / div, lang, digits)), hidden)
               for lo, hi in zip(cost_by_year["cost_low"], cost_by_year["cost_high"],
                                 strict=True)],
        "budget": [number(v / div, lang, digits) for v in cost_by_year["budget"]],
    })
    return common._table(out, [t("report.example.axis.year", lang), t("report.ex_ante.col.scenario", lang),
                        t("report.ex_ante.col.cost", lang, unit=unit),
                        t("report.common.col.ci", lang),
                        t("report.monitor.col.appropriation", lang, unit=unit)],
                  ["left", "left", "right", "right", "right"],
                  common._footnote(rule, [hidden], lang))


def eligible_cells(frame: pd.DataFrame, rule: Rule | None = None):
    """Award totals per group under the disclosure rule: fewer than ``min_firms`` eligible firms,
    or (bundles with ``max_award``) one award above ``dominance`` of the group's total; the
    groups add up to the published projected cost, so hidden groups get complements."""
    rule = rule or Rule()
    if "max_award" in frame.columns:
        return suppress(frame, "eligible", ["award_total"], max_col="max_award",
                        min_firms=rule.min_firms, dominance=rule.dominance)
    return common._min_firms_only(frame, "eligible", ["award_total"], rule=rule)


def eligible_table(frame: pd.DataFrame, lang: str, kind: str = "size_class",
                   results: ExAnteResults | None = None) -> str:
    """Eligible firms per group and their awards (:func:`eligible_cells` decides what is
    hidden)."""
    cells = eligible_cells(frame, rule_of(results))
    div, unit = money_unit(cells.frame["award_total"].tolist(), lang)
    digits = common.column_digits(cells.frame["award_total"].tolist(), div)
    shown = cells.display({"award_total": lambda v: number(v / div, lang, digits)})
    out = pd.DataFrame({
        "group": [common.label(kind, g, lang) for g in frame["group"]],
        "firms": [number(v, lang) for v in frame["firms"]],
        "eligible": [number(v, lang) for v in frame["eligible"]],
        "share": [percent(v, lang) for v in frame["eligible_share"]],
        "award": shown["award_total"],
    })
    return common._table(out, [t("report.ex_ante.col.group", lang), t("report.common.col.firms", lang),
                        t("report.ex_ante.col.eligible", lang), t("report.ex_ante.col.share", lang),
                        t("report.ex_ante.col.award", lang, unit=unit)],
                  ["left", "right", "right", "right", "right"], cells.footnote(lang))


def checklist_table(scores: pd.DataFrame, lang: str) -> str:
    out = pd.DataFrame({
        "dimension": [md(x) for x in scores[f"name_{lang}"]],
        "points": [f"{number(p, lang, 1)} / {number(w, lang, 0)}"
                   for p, w in zip(scores["points"], scores["weight"], strict=True)],
        "share": [percent(v, lang, 0) for v in scores["share"]],
    })
    return common._table(out, [t("report.ex_ante.col.dimension", lang),
                        t("report.ex_ante.col.points", lang), t("report.ex_ante.col.share", lang)],
                  ["left", "right", "right"])


def draw_power(ax, curves: Mapping[str, pd.DataFrame], outcome: str, lang: str) -> None:
    """Power against the true effect, one line per design, with the 80% line."""
    import seaborn as sns

    frames = []
    for name, frame in curves.items():
        frames.append(frame.assign(design=label_design(name, lang)))
    data = pd.concat(frames, ignore_index=True)
    is_money = outcome in common.MONEY_OUTCOMES
    div, unit = money_unit(data["effect"].abs().tolist(), lang) if is_money else (1.0, "")
    data = data.assign(effect=data["effect"] / div)
    sns.lineplot(data=data, x="effect", y="power", hue="design", marker="o", markersize=3, ax=ax)
    ax.axhline(0.8, color="black", linestyle=":", linewidth=0.8)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(t("report.ex_ante.axis.effect", lang, unit=unit) if is_money
                  else outcome_label(outcome, lang))
    ax.set_ylabel(t("report.ex_ante.axis.power", lang))
    ax.legend(title="", frameon=False, loc="lower right")
