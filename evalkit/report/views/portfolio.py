"""The portfolio report's sentences, tables and figures (``reports/portfolio.qmd``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.contract.models import PortfolioResults, as_model
from evalkit.contract.models.portfolio import Reallocation, Review
from evalkit.disclosure import Rule, suppress
from evalkit.escape import markdown as md
from evalkit.escape import matplotlib as mpl_text
from evalkit.i18n import t
from evalkit.numbers import (
    money,
    money_unit,
    number,
    percent,
)
from evalkit.portfolio.recommend import ACTIONS
from evalkit.report.views import common

# ----------------------------------------------------------------------------- portfolio

def metric_name(metric: str, lang: str, unit: bool = True) -> str:
    """The metric's label; ``unit=False`` drops a trailing '（元）' / ' (yuan)' for use in a
    sentence."""
    try:
        text = t(f"report.metric.{metric}", lang)
    except KeyError:
        return metric
    if not unit:
        for suffix in ("（元）", " (yuan)"):
            text = text.removesuffix(suffix)
        if lang == "en":
            text = text[:1].lower() + text[1:]
    return text


def portfolio_summary(results: PortfolioResults, ranking: pd.DataFrame,
                      recommendations: pd.DataFrame, reallocation: Reallocation,
                      lang: str) -> str:
    from evalkit.report.suppression import policy_metric_reason, rule_of

    metric = results.metric
    rule = rule_of(results)
    ranked = ranking[ranking["rank"] > 0]    # rank 0: identification failed, not ranked
    top = (ranked if len(ranked) else ranking).sort_values("rank").iloc[0]
    hidden = policy_metric_reason(results, str(top["term"]), rule)
    join = "、" if lang == "zh" else ", "
    names = common.policy_names(results, lang)
    best = join.join(common.policy_cell(p, names) for p in ranking.loc[ranking["plausibly_best"], "term"])
    worst = join.join(common.policy_cell(p, names) for p in ranking.loc[ranking["plausibly_worst"], "term"])
    lines = [t("report.portfolio.cycle", lang, cycle=md(results.cycle), n=len(ranking))]
    lines.append(t("report.portfolio.summary.top", lang, metric=metric_name(metric, lang, False),
                   top=common.policy_cell(top["term"], names), est=common._hide(common.fmt(top["estimate"], lang), hidden),
                   ci=common._hide(common.ci(top["conf_low"], top["conf_high"], lang), hidden),
                   lo=int(top["rank_low"]), hi=int(top["rank_high"]), best=best or "—",
                   worst=worst or "—"))
    items = []
    for action in ACTIONS:
        pids = recommendations.loc[recommendations["action"] == action, "policy_id"].tolist()
        if pids:
            items.append(t("report.portfolio.summary.action_item", lang,
                           action=common.label("action", action, lang),
                           pids=join.join(common.policy_cell(p, names) for p in pids)))
    lines.append(t("report.portfolio.summary.actions", lang,
                   actions=t("report.portfolio.summary.sep", lang).join(items)))
    table = pd.DataFrame(reallocation.table)
    moved = float(table["change"].clip(lower=0).sum())
    lines.append(t("report.portfolio.summary.realloc", lang,
                   total=money(float(table["current"].sum()), lang), moved=money(moved, lang),
                   cap=percent(common.as_float(reallocation.max_change), lang, 0)))
    classes = results.classification
    flagged = [p for p, f in zip(classes["policy_id"], classes["large_fund_high_activity"],
                                 strict=True) if f]
    lines.append(t("report.portfolio.summary.flagged", lang,
                   pids=join.join(common.policy_cell(p, names) for p in flagged)) if flagged
                 else t("report.portfolio.summary.no_flag", lang))
    return "\n\n".join(lines) + "\n"


def grades_of(results: PortfolioResults) -> dict[str, str]:
    return {s.policy_id: s.grade for s in results.scorecards}


def draw_ranking(ax, ranking: pd.DataFrame, grades: Mapping[str, str], names: Mapping[str, str],
                 metric: str, lang: str, results: PortfolioResults | None = None) -> None:
    """Forest plot: each policy's metric with its 95% interval (thick) and the simultaneous band
    (thin, light; when the ranking table has it), best at the top, colour by grade, the rank
    confidence set written at the right. A policy whose metric the disclosure rule hides
    (``results`` given: :func:`evalkit.report.suppression.policy_metric_reason`) keeps its row
    and rank set, without point or interval."""
    import seaborn as sns

    from evalkit.report.suppression import policy_metric_reason, rule_of

    if results is not None:
        rule = rule_of(results)
        hide = [policy_metric_reason(results, str(p), rule) is not None for p in ranking["term"]]
        cols = [c for c in ranking.columns if c.startswith(("estimate", "conf_"))]
        ranking = ranking.copy()
        ranking.loc[hide, cols] = np.nan
    order = ranking.sort_values("rank", ascending=False).reset_index(drop=True)
    y = np.arange(len(order))
    palette = {"优": "#1b7837", "良": "#5aae61", "中": "#f1a340", "差": "#c0392b"}
    hue = [common.label("grade", grades.get(p, ""), lang) for p in order["term"]]
    colors = {common.label("grade", g, lang): c for g, c in palette.items()}
    band = "conf_low_simultaneous" in order.columns
    if band:
        ax.hlines(y, order["conf_low_simultaneous"], order["conf_high_simultaneous"],
                  color="#bbbbbb", linewidth=1)
    ax.hlines(y, order["conf_low"], order["conf_high"], color="#555555", linewidth=2)
    sns.scatterplot(x=order["estimate"].to_numpy(), y=y, hue=hue, palette=colors,
                    hue_order=[common.label("grade", g, lang) for g in palette
                               if common.label("grade", g, lang) in hue],
                    s=70, zorder=3, ax=ax, edgecolor="black", linewidth=0.5)
    ax.axvline(0.0, color="black", linestyle="--", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels([mpl_text(f"{p} {names.get(p, '')}") for p in order["term"]])
    ax.set_xlabel(metric_name(metric, lang))
    ax.set_ylabel("")
    hi = float(order["conf_high_simultaneous" if band else "conf_high"].max())
    lo = float(min(order["conf_low_simultaneous" if band else "conf_low"].min(), 0.0))
    if not (math.isfinite(hi) and math.isfinite(lo)) or hi <= lo:  # every policy hidden
        lo, hi = 0.0, 1.0
    span = hi - lo
    ax.set_xlim(lo - 0.03 * span, hi + 0.32 * span)
    for yi, r in zip(y, order.itertuples(index=False), strict=True):
        ax.text(hi + 0.05 * span, yi,
                t("report.portfolio.axis.rank_set", lang, lo=int(r.rank_low), hi=int(r.rank_high))
                if int(r.rank) > 0 else t("report.portfolio.axis.unranked", lang),
                va="center", fontsize=9)
    ax.legend(title=t("report.portfolio.legend.grade", lang), loc="lower center",
              bbox_to_anchor=(0.5, 1.0), ncol=4, frameon=False, fontsize=8, title_fontsize=8)


def scorecard_frame(results: PortfolioResults) -> pd.DataFrame:
    """One row per policy: points per level, level maxima, score and grade."""
    rows = []
    for s in results.scorecards:
        r = pd.DataFrame(s.rows)
        avail = r.groupby("level")["weight"].sum()
        row = {"policy_id": s.policy_id, "score": common.as_float(s.score), "grade": s.grade}
        for lv in common.LEVELS:
            row[lv] = float(s.by_level.get(lv, 0.0))
            row[f"{lv}_max"] = float(avail.get(lv, 0.0))
        rows.append(row)
    return pd.DataFrame(rows)


def scorecard_table(results: PortfolioResults, lang: str) -> str:
    frame = scorecard_frame(results)
    names = common.policy_names(results, lang)
    out = pd.DataFrame({"policy": [common.policy_cell(p, names) for p in frame["policy_id"]]})
    for lv in common.LEVELS:
        out[lv] = [f"{number(v, lang, 1)} / {number(m, lang, 0)}"
                   for v, m in zip(frame[lv], frame[f"{lv}_max"], strict=True)]
    out["score"] = [number(v, lang, 1) for v in frame["score"]]
    out["grade"] = [common.label("grade", g, lang) for g in frame["grade"]]
    return common._table(out, [t("report.common.col.policy", lang)]
                  + [t(f"report.portfolio.col.{lv}", lang) for lv in common.LEVELS]
                  + [t("report.portfolio.col.score", lang), t("report.portfolio.col.grade", lang)],
                  ["left", "right", "right", "right", "right", "right", "left"])


def _origin(row: Mapping[str, Any]) -> str:
    """A scorecard row's origin ('entered' or 'measured'); bundles written before rows recorded
    it: qualitative indicators are entered, the others measured."""
    origin = row.get("origin")
    if origin in ("entered", "measured"):
        return str(origin)
    return "entered" if row.get("type") == "qualitative" else "measured"


def _source_words(source: str, lang: str) -> str:
    kind = str(source).split(":", 1)[0]
    try:
        return t(f"report.portfolio.source.{kind}", lang)
    except KeyError:
        return md(source)


def indicator_origins(results: PortfolioResults) -> pd.DataFrame:
    """One row per scorecard indicator: ``indicator, level, weight, zh, en, source`` and
    ``entered``, the policies whose value evaluators entered (sorted), ``n`` policies scored."""
    rows: dict[str, dict[str, Any]] = {}
    for card in results.scorecards:
        for r in pd.DataFrame(card.rows).to_dict(orient="records"):
            row = rows.setdefault(r["indicator"], {
                "indicator": r["indicator"], "level": r["level"], "weight": float(r["weight"]),
                "zh": r.get("zh", r["indicator"]), "en": r.get("en", r["indicator"]),
                "source": str(r.get("source") or ("manual" if r.get("type") == "qualitative"
                                                  else "")),
                "entered": [], "n": 0})
            row["n"] += 1
            if _origin(r) == "entered":
                row["entered"].append(str(card.policy_id))
    return pd.DataFrame(list(rows.values()))


def scorecard_origin_table(results: PortfolioResults, lang: str) -> str:
    """The scorecard's indicators with their points and where their values come from: measured
    from data (the payment ledger, the ex-post evaluations) or entered by evaluators (named
    policies when only some were entered)."""
    frame = indicator_origins(results)
    names = common.policy_names(results, lang)
    join = "、" if lang == "zh" else ", "
    origin = []
    for r in frame.itertuples(index=False):
        if len(r.entered) == r.n:
            origin.append(t("report.portfolio.origin.entered", lang))
        elif not r.entered:
            origin.append(t("report.portfolio.origin.measured", lang,
                            source=_source_words(r.source, lang)))
        else:
            origin.append(t("report.portfolio.origin.mixed", lang,
                            source=_source_words(r.source, lang),
                            pids=join.join(common.policy_cell(p, names) for p in r.entered)))
    out = pd.DataFrame({"indicator": [md(v) for v in frame[lang if lang in frame else "en"]],
                        "level": [t(f"report.portfolio.col.{lv}", lang) for lv in frame["level"]],
                        "weight": [number(w, lang, 0) for w in frame["weight"]],
                        "origin": origin})
    return common._table(out, [t("report.portfolio.col.indicator", lang),
                        t("report.portfolio.col.level", lang),
                        t("report.portfolio.col.weight", lang),
                        t("report.portfolio.col.origin", lang)],
                  ["left", "left", "right", "left"])


def scorecard_origin_text(results: PortfolioResults, lang: str) -> str:
    """The points measured from data and entered by evaluators (out of the full score), then
    the evidence evaluators gave for each entered indicator: once when every policy has the
    same, else per policy ('no evidence given' where an entry has none)."""
    frame = indicator_origins(results)
    entered = float(frame.loc[[len(e) == n for e, n in zip(frame["entered"], frame["n"],
                                                           strict=True)], "weight"].sum())
    total = float(frame["weight"].sum())
    text = t("report.portfolio.origin.points", lang, measured=number(total - entered, lang, 0),
             entered=number(entered, lang, 0), total=number(total, lang, 0)) + "\n\n"
    names = common.policy_names(results, lang)
    colon = "：" if lang == "zh" else ": "
    lines = []
    for r in frame.itertuples(index=False):
        if not r.entered:
            continue
        found: dict[str, str] = {}
        for card in results.scorecards:
            if str(card.policy_id) in r.entered:
                rows = pd.DataFrame(card.rows)
                row = rows.loc[rows["indicator"] == r.indicator].iloc[0]
                found[str(card.policy_id)] = str(row.get("evidence") or "").strip()
        title = md(getattr(r, lang) if lang in frame else r.en)
        shown = {p: md(e) if e else t("report.portfolio.origin.no_evidence", lang)
                 for p, e in found.items()}
        if len(set(shown.values())) == 1 and len(found) == r.n:
            lines.append(f"- **{title}**{colon}{next(iter(shown.values()))}")
        else:
            lines.append(f"- **{title}**")
            lines += [f"    - {common.policy_cell(p, names)}{colon}{e}" for p, e in sorted(shown.items())]
    if lines:
        text += t("report.portfolio.origin.evidence", lang) + "\n\n" + "\n".join(lines) + "\n"
    return text


def draw_scorecard_heatmap(ax, results: PortfolioResults, lang: str) -> None:
    """Share of each indicator's points earned (rows: indicators, columns: policies)."""
    import seaborn as sns

    shares, names = {}, None
    for s in results.scorecards:
        r = pd.DataFrame(s.rows)
        shares[mpl_text(s.policy_id)] = r["share"].astype(float).to_numpy()
        names = [mpl_text(x) for x in (r[lang] if lang in r.columns else r["indicator"])]
    frame = pd.DataFrame(shares, index=names)
    sns.heatmap(frame, ax=ax, vmin=0, vmax=1, cmap="RdYlGn", annot=True, fmt=".0%",
                annot_kws={"fontsize": 7}, cbar=False, linewidths=0.5, linecolor="white")
    ax.tick_params(axis="y", labelsize=8)
    ax.tick_params(axis="x", labelsize=9)
    ax.set_xlabel("")
    ax.set_ylabel("")


def recommendation_table(recommendations: pd.DataFrame, metric: str, lang: str,
                         results: PortfolioResults | None = None) -> str:
    """Recommendations with their rationale; the metric's estimate and interval read ``—*`` for
    a policy whose metric the disclosure rule hides (``results`` given)."""
    from evalkit.report.suppression import policy_metric_reason, rule_of

    rule = rule_of(results)
    names = common.policy_names(results, lang)
    rows = []
    for r in recommendations.itertuples(index=False):
        flags = ((t("report.portfolio.flag.best", lang) if r.plausibly_best else "")
                 + (t("report.portfolio.flag.worst", lang) if r.plausibly_worst else ""))
        hidden = (policy_metric_reason(results, str(r.policy_id), rule)
                  if results is not None else None)
        key = "report.portfolio.rationale" if int(r.rank) > 0 else \
            "report.portfolio.rationale.unranked"
        why = t(key, lang, grade=common.label("grade", r.grade, lang),
                score=number(r.score, lang, 1), est=common._hide(common.fmt(r.metric_estimate, lang), hidden),
                ci=common._hide(common.ci(r.metric_conf_low, r.metric_conf_high, lang), hidden),
                rank=int(r.rank),
                lo=int(r.rank_low), hi=int(r.rank_high), flags=flags)
        rows.append({"id": md(r.recommendation_id), "policy": common.policy_cell(r.policy_id, names),
                     "action": common.label("action", r.action, lang),
                     "change": f"{100 * float(r.budget_change):+.0f}%", "why": why})
    return common._table(pd.DataFrame(rows),
                  [t("report.portfolio.col.id", lang), t("report.common.col.policy", lang),
                   t("report.portfolio.col.action", lang), t("report.portfolio.col.change", lang),
                   t("report.portfolio.col.rationale", lang)],
                  ["left", "left", "left", "right", "left"])


def reallocation_table(reallocation: Reallocation, lang: str,
                       names: Mapping[str, str] | None = None) -> str:
    """Current and proposed budgets per policy in one money unit (named in the headers), with
    the policies' names beside their codes (``names``: :func:`policy_names`)."""
    names = names or {}
    table = pd.DataFrame(reallocation.table)
    cols = ["current", "proposed", "change"]
    div, unit = money_unit(table[cols].abs().to_numpy().ravel(), lang)
    digits = common.column_digits(table[cols].abs().to_numpy().ravel().tolist(), div)
    # the changes sum to zero up to rounding: show 0, not -0
    total = {c: float(np.round(table[c].sum(), 2)) + 0.0 for c in cols}
    out = pd.DataFrame({"policy": [common.policy_cell(p, names) for p in table["policy_id"]]})
    for c in cols:
        out[c] = [number(v / div, lang, digits) for v in table[c]]
    out["share"] = [f"{100 * common.as_float(v):+.0f}%" for v in table["change_share"]]
    tot = pd.DataFrame({"policy": [f"**{t('report.portfolio.total', lang)}**"],
                        **{c: [number(total[c] / div, lang, digits)] for c in cols},
                        "share": [""]})
    out = pd.concat([out, tot], ignore_index=True)
    return common._table(out, [t("report.common.col.policy", lang),
                        t("report.portfolio.col.current", lang, unit=unit),
                        t("report.portfolio.col.proposed", lang, unit=unit),
                        t("report.portfolio.col.delta", lang, unit=unit),
                        t("report.portfolio.col.delta_share", lang)],
                  ["left", "right", "right", "right", "right"])


def classification_cells(classification: pd.DataFrame, rule: Rule | None = None):
    """Spending per policy under the disclosure rule: a sum over recipients, hidden when fewer
    than ``min_firms`` firms received it or (when the bundle carries ``max_firm_spend``) one
    firm holds more than ``dominance`` of it; the policies add up to no published total."""
    rule = rule or Rule()
    frame = classification.copy()
    if "max_firm_spend" in frame.columns:
        return suppress(frame, "recipients", ["spend", "main_cluster_share"],
                        max_col="max_firm_spend", min_firms=rule.min_firms,
                        dominance=rule.dominance, secondary=False)
    return common._min_firms_only(frame, "recipients", ["spend", "main_cluster_share"],
                           secondary=False, rule=rule)


def classification_table(classification: pd.DataFrame, lang: str,
                         results: PortfolioResults | None = None) -> str:
    """Objective, main cluster, spending and recipients per policy (:func:`classification_cells`
    decides what is hidden)."""
    from evalkit.report.suppression import rule_of

    frame = classification.copy()
    cells = classification_cells(frame, rule_of(results))
    div, unit = money_unit(cells.frame["spend"].tolist(), lang)
    digits = common.column_digits(cells.frame["spend"].tolist(), div)
    shown = cells.display({"spend": lambda v: number(v / div, lang, digits),
                           "main_cluster_share": lambda v: percent(v, lang, 0),
                           "recipients": lambda v: number(v, lang)})
    out = pd.DataFrame({
        "policy": [common.policy_cell(p, common.policy_names(results, lang)) for p in frame["policy_id"]],
        "objective": [common.label("objective", v, lang) for v in frame["objective"]],
        "cluster": [f"{common.label('cluster', c, lang)} ({s})" if lang == "en" else
                    f"{common.label('cluster', c, lang)}（{s}）"
                    for c, s in zip(frame["main_cluster"], shown["main_cluster_share"],
                                    strict=True)],
        "spend": shown["spend"], "recipients": shown["recipients"],
        "flag": [t("report.common.yes", lang) if f else "" for f in
                 frame["large_fund_high_activity"]],
    })
    return common._table(out, [t("report.common.col.policy", lang),
                        t("report.portfolio.col.objective", lang),
                        t("report.portfolio.col.cluster", lang),
                        t("report.portfolio.col.spend", lang, unit=unit),
                        t("report.portfolio.col.recipients", lang),
                        t("report.portfolio.col.flag", lang)],
                  ["left", "left", "left", "right", "right", "center"], cells.footnote(lang))




def review_table(rows: pd.DataFrame | Sequence[Mapping[str, Any]], lang: str) -> str:
    rows = pd.DataFrame(rows, columns=["recommendation_id", "decision", "reviewer", "timestamp",
                                       "comment"])
    out = pd.DataFrame({
        "id": [md(x) for x in rows["recommendation_id"]],
        "decision": [common.label("decision", d, lang) for d in rows["decision"]],
        "reviewer": [md(x) for x in rows["reviewer"]],
        "date": [md(str(x)[:10]) for x in rows["timestamp"]],
        "comment": [md(x) for x in rows["comment"]],
    })
    return common._table(out, [t("report.portfolio.col.id", lang),
                        t("report.portfolio.col.decision_taken", lang),
                        t("report.portfolio.col.reviewer", lang),
                        t("report.portfolio.col.date", lang),
                        t("report.portfolio.col.comment", lang)],
                  ["left", "left", "left", "left", "left"])


def review_text(review: Review | Mapping[str, Any], cycle: str, lang: str) -> str:
    """The review-status section: 'not yet reviewed', or the decisions taken so far (a plain
    table: reviewers are officials, not firms) and the recommendations still pending.
    ``review`` is the portfolio bundle's ``results.review``
    (:func:`evalkit.portfolio.review_log.review_status`, read by the stage)."""
    review = as_model(review, Review)
    if review.state == "no_store":
        return t("report.portfolio.review.no_store", lang) + "\n"
    if review.state == "none":
        return t("report.portfolio.review.none", lang, cycle=md(cycle)) + "\n"
    if review.intact:
        chain = t("report.portfolio.review.intact", lang)
    elif review.bad_seq is not None:
        chain = t("report.portfolio.review.broken", lang, seq=review.bad_seq)
    else:
        chain = t("report.portfolio.review.unanchored_broken", lang)
    text = t("report.portfolio.review.text", lang, chain=chain, n=len(review.rows))
    text += "\n\n" + review_table(review.rows, lang)
    if review.head:
        text += "\n" + t("report.portfolio.review.head", lang, head=review.head) + "\n"
    if review.pending:
        join = "、" if lang == "zh" else ", "
        text += "\n" + t("report.portfolio.pending", lang, n=len(review.pending),
                         ids=join.join(md(i) for i in review.pending)) + "\n"
    return text
