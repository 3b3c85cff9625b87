"""The monitoring report's sentences, tables and figures (``reports/monitor.qmd``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.contract.models import MonitorResults, as_model
from evalkit.disclosure import MARK, Rule, suppress
from evalkit.escape import markdown as md
from evalkit.escape import matplotlib as mpl_text
from evalkit.i18n import t
from evalkit.numbers import (
    money_unit,
    number,
    outcome_amount,
    outcome_label,
    percent,
)
from evalkit.report.suppression import rule_of
from evalkit.report.views.common import (
    _footnote,
    _hide,
    _min_firms_only,
    _table,
    as_float,
    column_digits,
    fmt,
    label,
    p_text,
    policy_cell,
    policy_names,
)

# ----------------------------------------------------------------------------- monitoring

def monitor_summary(results: MonitorResults, anomalies: pd.DataFrame, lang: str) -> str:
    execution = pd.DataFrame(results.execution)
    counts = execution["status"].value_counts()
    join = "、" if lang == "zh" else ", "
    lines = [t("report.monitor.summary", lang, year=md(results.year),
               as_of=md(results.as_of),
               elapsed=percent(float(execution["elapsed"].iloc[0]), lang, 0),
               n=len(execution), red=int(counts.get("red", 0)),
               amber=int(counts.get("amber", 0)), green=int(counts.get("green", 0)))]
    red = execution.loc[execution["status"] == "red", "policy_id"].tolist()
    if red:
        lines.append(t("report.monitor.red", lang, pids=join.join(md(p) for p in red)))
    if len(anomalies):
        names = results.anomalies.checks
        checks = join.join(md(names.get(c, {}).get(lang, c)) for c in
                           sorted(set(anomalies["check"])))
        lines.append(t("report.monitor.anomalies", lang, n=len(anomalies), checks=checks))
    else:
        lines.append(t("report.monitor.no_anomalies", lang))
    if results.interim:
        lines.append(interim_summary(results, lang))
    return "\n\n".join(lines) + "\n"


def execution_table(execution: pd.DataFrame, lang: str,
                    results: MonitorResults | None = None) -> str:
    """Appropriation (a budget figure, always shown), amount disbursed and execution rate per
    policy; the last two are hidden when that year's recipients fail the disclosure rule
    (``results`` gives the study's rule). Status and action stay: they are the monitoring
    decision, a band of the rate rather than a firm's figure."""
    from evalkit.report.suppression import row_reasons

    rule = rule_of(results)
    why = row_reasons(execution, rule)
    shown_amounts = (execution["appropriation"].abs().tolist()
                     + [abs(v) for v, w in zip(execution["disbursed"], why, strict=True)
                        if not w])
    div, unit = money_unit(shown_amounts, lang)
    digits = column_digits(shown_amounts, div)
    out = pd.DataFrame({
        "policy": [policy_cell(p, policy_names(results, lang)) for p in execution["policy_id"]],
        "appropriation": [number(v / div, lang, digits) for v in execution["appropriation"]],
        "disbursed": [_hide(number(v / div, lang, digits), w)
                      for v, w in zip(execution["disbursed"], why, strict=True)],
        "rate": [_hide(percent(v, lang, 0), w)
                 for v, w in zip(execution["execution_rate"], why, strict=True)],
        "status": [label("status", s, lang) for s in execution["status"]],
        "period": [md(p) for p in execution["period"]],
        "action": [md(a) for a in execution[f"action_{lang}"]],
    })
    return _table(out, [t("report.common.col.policy", lang),
                        t("report.monitor.col.appropriation", lang, unit=unit),
                        t("report.monitor.col.disbursed", lang, unit=unit),
                        t("report.monitor.col.rate", lang), t("report.monitor.col.status", lang),
                        t("report.monitor.col.period", lang),
                        t("report.monitor.col.action", lang)],
                  ["left", "right", "right", "right", "left", "left", "left"],
                  _footnote(rule, why, lang))


def burnup_note(monthly: pd.DataFrame, lang: str,
                results: MonitorResults | None = None) -> str:
    """The sentence under the burn-up chart naming the policies left out by the disclosure
    rule ('' when none)."""
    from evalkit.report.suppression import burnup_reasons

    hidden = [p for p, w in burnup_reasons(monthly, rule_of(results)).items() if w]
    if not hidden:
        return ""
    return t("report.disclosure.fig_note", lang, pids=("、" if lang == "zh" else ", ").join(md(p) for p in hidden))


def draw_burnup(ax, monthly: pd.DataFrame, lang: str,
                results: MonitorResults | None = None) -> None:
    """Cumulative execution by month per policy (solid) and its own planned path (dashed, its
    past years' disbursement calendar or the even plan without history); a policy
    whose cumulative or monthly payments fail the disclosure rule is not drawn
    (:func:`evalkit.report.suppression.burnup_reasons`)."""
    import seaborn as sns

    from evalkit.report.suppression import burnup_reasons

    hidden = {p for p, w in burnup_reasons(monthly, rule_of(results)).items() if w}
    monthly = monthly[~monthly["policy_id"].astype(str).isin(hidden)]
    monthly = monthly.assign(policy_id=[mpl_text(p) for p in monthly["policy_id"]])
    sns.lineplot(data=monthly, x="month", y="cumulative_rate", hue="policy_id", ax=ax,
                 linewidth=1.4)
    sns.lineplot(data=monthly, x="month", y="planned_rate", hue="policy_id", ax=ax,
                 linewidth=0.9, linestyle="--", legend=False)
    ax.set_xticks(range(1, 13))
    ax.set_xlim(1, 12)
    ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    ax.set_xlabel(t("report.monitor.axis.month", lang))
    ax.set_ylabel(t("report.monitor.axis.rate", lang))
    ax.legend(title="", frameon=False, ncol=2, fontsize=8, loc="upper left")


def kpi_rows(kpis: pd.DataFrame) -> pd.DataFrame:
    """The KPI rows in the table's order (red first)."""
    return kpis.sort_values(["status", "indicator"], key=lambda s: s.map(
        {"red": 0, "amber": 1, "green": 2}).fillna(3) if s.name == "status" else s)


def kpi_table(kpis: pd.DataFrame, lang: str, results: MonitorResults | None = None) -> str:
    """Targets (public) and actuals; an actual summed or averaged over firms' amounts is hidden
    when those firms fail the disclosure rule (``n_firms``/``top_share`` columns); the status
    stays (a band, and the monitoring decision)."""
    from evalkit.report.suppression import row_reasons

    rule = rule_of(results)
    rows = kpi_rows(kpis)
    why = row_reasons(rows, rule, "n_firms")
    out = pd.DataFrame({
        "indicator": [md(k) for k in rows[f"name_{lang}"].astype(str)],
        "policy": [t("report.monitor.district", lang) if pd.isna(p)
                   else policy_cell(p, policy_names(results, lang)) for p in rows["policy_id"]],
        "unit": [md(u) for u in rows[f"unit_{lang}"]],
        "target": [f"{fmt(v, lang, 1)} ({int(y)})"
                   for v, y in zip(rows["target"], rows["target_year"], strict=True)],
        "actual": [_hide(fmt(v, lang, 1), w) for v, w in zip(rows["actual"], why, strict=True)],
        "status": [label("status", s, lang) for s in rows["status"]],
        "period": [md(p) if isinstance(p, str) else "" for p in rows["period"]],
    })
    return _table(out, [t("report.monitor.col.indicator", lang), t("report.common.col.policy", lang),
                        t("report.monitor.col.unit", lang),
                        t("report.monitor.col.target_year", lang),
                        t("report.monitor.col.actual", lang),
                        t("report.monitor.col.status", lang), t("report.monitor.col.period", lang)],
                  ["left", "left", "left", "right", "right", "left", "left"],
                  _footnote(rule, why, lang))




def interim_frame(results: MonitorResults) -> pd.DataFrame:
    """One row per monitored policy: ``policy, outcome, last_year, n_firms`` (subsidised firms in
    the interim sample), the interim average effect after payment (``att``, ``conf_low``,
    ``conf_high``: the dynamic aggregation's overall effect, pointwise 95 %), the pre-trend
    test's ``p_value`` and ``rejects``, the ``conditioning`` used and ``reason_en/zh`` (why an
    effect is missing or what was left out)."""
    rows = []
    level = 95.0
    for pid in sorted(results.interim):
        v = results.interim[pid]
        d, pre = v.dynamic, v.pretrend
        att = se = np.nan
        crit = 1.96
        if d is not None:
            att, se = as_float(d["overall_att"]), as_float(d["overall_se"])
            alp = as_float(d.get("alp", 0.05))
            crit = float(stats.norm.ppf(1 - alp / 2))
            level = 100 * (1 - alp)
        rows.append({"policy": pid, "outcome": v.outcome, "last_year": v.last_year,
                     "n_firms": int(sum(v.cohort_sizes.values())), "att": att,
                     "conf_low": att - crit * se, "conf_high": att + crit * se,
                     "p_value": np.nan if pre is None else as_float(pre["p_value"]),
                     "rejects": bool(v.pretrend_rejects),
                     "conditioning": v.conditioning,
                     "reason_en": v.reason, "reason_zh": v.reason_zh})
    columns = ["policy", "outcome", "last_year", "n_firms", "att", "conf_low", "conf_high",
               "p_value", "rejects", "conditioning", "reason_en", "reason_zh"]
    return pd.DataFrame(rows, columns=columns).assign(level=level)


def interim_cells(frame: pd.DataFrame, rule: Rule | None = None):
    """The interim rows under the minimum-firms rule (the bundle records no firm shares for
    interim effects); one policy per row, no total to recover a hidden row from, so no
    secondary suppression."""
    return _min_firms_only(frame, "n_firms", ["att", "conf_low", "conf_high", "p_value"],
                           secondary=False, rule=rule)


def interim_table(results: MonitorResults | Mapping[str, Any], lang: str) -> str:
    """The interim effects (:func:`interim_frame`), labelled interim; effects of policies with
    fewer than 3 subsidised firms in the sample are suppressed; reasons as footnotes."""
    results = as_model(results, MonitorResults)
    frame = interim_frame(results)
    if frame.empty:
        return t("report.monitor.interim.none", lang) + "\n"
    cells = interim_cells(frame, rule_of(results))
    missing = t("report.missing", lang)
    effect, interval = [], []
    for k, row in frame.iterrows():
        if bool(cells.suppressed.iloc[k]):
            effect.append(MARK)
            interval.append(MARK)
        elif math.isnan(row["att"]):
            effect.append(missing)
            interval.append(missing)
        else:
            effect.append(outcome_amount(row["outcome"], row["att"], lang))
            interval.append(t("report.common.range", lang,
                              lo=outcome_amount(row["outcome"], row["conf_low"], lang),
                              hi=outcome_amount(row["outcome"], row["conf_high"], lang)))
    verdict = [MARK if hidden else missing if math.isnan(p) else
               t("report.monitor.interim.rejects" if r else "report.monitor.interim.passes", lang,
                 p=p_text(p, lang))
               for p, r, hidden in zip(frame["p_value"], frame["rejects"], cells.suppressed,
                                       strict=True)]
    out = pd.DataFrame({
        "policy": [policy_cell(p, policy_names(results, lang)) for p in frame["policy"]],
        "outcome": [md(outcome_label(o, lang)) for o in frame["outcome"]],
        "firms": frame["n_firms"].astype(str),
        "effect": effect, "interval": interval, "pretrend": verdict,
        "conditioning": [label("conditioning", c, lang) if isinstance(c, str) else missing
                         for c in frame["conditioning"]],
    })
    notes = [f"{md(pid)}: {md(why)}" for pid, why in zip(frame["policy"], frame[f"reason_{lang}"],
                                                  strict=True) if isinstance(why, str) and why]
    footnote = "\n".join(x for x in [cells.footnote(lang),
                                     *(f"\n{t('report.monitor.interim.note', lang)}{n}"
                                       for n in notes)] if x)
    return _table(out, [t("report.common.col.policy", lang),
                        t("report.monitor.col.outcome", lang),
                        t("report.monitor.col.firms", lang),
                        t("report.monitor.col.interim_effect", lang),
                        t("report.monitor.col.interval", lang,
                          level=f"{frame['level'].iloc[0]:g}"),
                        t("report.monitor.col.pretrend", lang),
                        t("report.monitor.col.conditioning", lang)],
                  ["left", "left", "right", "right", "left", "left", "left"], footnote)


def interim_summary(results: MonitorResults | Mapping[str, Any], lang: str) -> str:
    """The interim label and the policies whose pre-trend test rejects."""
    results = as_model(results, MonitorResults)
    frame = interim_frame(results)
    if frame.empty:
        return t("report.monitor.interim.none", lang)
    hidden = interim_cells(frame, rule_of(results)).suppressed.to_numpy()   # suppressed policies are not named
    bad = [md(p) for p in frame.loc[frame["rejects"].to_numpy() & ~hidden, "policy"]]
    join = "、" if lang == "zh" else ", "
    key = "report.monitor.interim.flag" if bad else "report.monitor.interim.no_flag"
    return t(key, lang, pids=join.join(bad), n=len(frame))


def anomaly_cells(results: MonitorResults, anomalies: pd.DataFrame, lang: str,
                  rule: Rule | None = None):
    """Per check: findings, records and the flagged amount, under the disclosure rule on the
    firms behind the amount (``anomalies.provenance.basis``; bundles without it fall back to
    the records, at least as many as the firms). The checks add up to no published total."""
    rule = rule or rule_of(results)
    checks = results.anomalies.checks
    basis = ((results.anomalies.provenance or {}).get("basis")) or {}
    rows = []
    for key in sorted(checks):
        sub = anomalies[anomalies["check"] == key]
        records = int(sub["n_records"].sum()) if len(sub) else 0
        amount = float(sub["amount"].sum()) if len(sub) else 0.0
        b = basis.get(key) or {"n": records, "top_share": 0.0}
        rows.append({"check": checks[key].get(lang, key), "findings": len(sub),
                     "records": records, "amount": amount, "_n": int(b["n"]),
                     "_top": amount * float(b.get("top_share") or 0.0)})
    frame = pd.DataFrame(rows)
    return suppress(frame, "_n", ["amount"], max_col="_top", min_firms=rule.min_firms,
                    dominance=rule.dominance)


def anomaly_table(results: MonitorResults, anomalies: pd.DataFrame, lang: str) -> str:
    """Irregularities per check (no record ids): findings, records and amount; the amount is
    hidden when its firms fail the disclosure rule (:func:`anomaly_cells`)."""
    cells = anomaly_cells(results, anomalies, lang)
    frame = cells.frame.assign(amount=[float(v) for v in
                                       cells.frame["amount"].fillna(0.0)])
    div, unit = money_unit(frame["amount"].tolist(), lang)
    digits = column_digits(frame["amount"].tolist(), div)
    shown = cells.display({"amount": lambda v: number(v / div, lang, digits)})
    shown.loc[frame["records"] == 0, "amount"] = "0"
    out = pd.DataFrame({"check": [md(c) for c in frame["check"]], "findings": frame["findings"].astype(str),
                        "records": frame["records"].astype(str), "amount": shown["amount"]})
    return _table(out, [t("report.monitor.col.check", lang), t("report.monitor.col.findings", lang),
                        t("report.monitor.col.records", lang),
                        t("report.monitor.col.amount", lang, unit=unit)],
                  ["left", "right", "right", "right"], cells.footnote(lang))
