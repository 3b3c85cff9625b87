"""The ex-post report's sentences, tables and figures (``reports/ex_post.qmd``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from evalkit.contract.models import ExPostResults, PortfolioResults
from evalkit.disclosure import MARK
from evalkit.escape import markdown as md
from evalkit.i18n import t
from evalkit.numbers import (
    money,
    money_unit,
    number,
    outcome_amount,
    outcome_label,
    percent,
)
from evalkit.plotting import draw_event_study as draw_event_study_frame
from evalkit.plotting import event_study_frame
from evalkit.report.views import common

# ----------------------------------------------------------------------------- ex-post

def cohort_frame(results: ExPostResults) -> pd.DataFrame:
    """One row per treated cohort: ``cohort, n_firms`` and the main outcome's group ATT with its
    interval (``att, conf_low, conf_high``)."""
    est = pd.DataFrame(results.main.group.estimates)
    est = est[est["term"] != "overall"].copy()
    est["cohort"] = pd.to_numeric(est["group"]).astype(int)
    sizes = {int(k): int(v) for k, v in results.cohort_sizes.items() if int(k) != 0}
    frame = pd.DataFrame({"cohort": sorted(sizes), "n_firms": [sizes[g] for g in sorted(sizes)]})
    frame = frame.merge(est[["cohort", "estimate", "conf_low", "conf_high"]], on="cohort",
                        how="left").rename(columns={"estimate": "att"})
    return frame


def cohort_table(results: ExPostResults, lang: str) -> str:
    """Cohorts, their firm counts and average effects; effects of cohorts failing the disclosure
    rule are hidden (and more, so they cannot be backed out of the overall effect:
    :func:`evalkit.report.suppression.cohort_cells`)."""
    from evalkit.report.suppression import ex_post_plan

    outcome = results.main_outcome
    cells = ex_post_plan(results).cohorts
    is_money = outcome in common.MONEY_OUTCOMES
    # units and decimals from the published cells only (a hidden one must not steer them)
    div, unit = money_unit(cells.frame["att"].abs().tolist(), lang) if is_money else (1.0, "")
    digits = common.column_digits(cells.frame["att"].tolist(), div) if is_money else 2
    shown = cells.display({"cohort": str, "n_firms": lambda v: number(v, lang),
                           "att": lambda v: number(v / div, lang, digits),
                           "conf_low": lambda v: number(v / div, lang, digits),
                           "conf_high": lambda v: number(v / div, lang, digits)})
    shown["ci"] = [s_lo if s_lo == s_hi and s_lo.startswith("—") else
                   t("report.common.range", lang, lo=s_lo, hi=s_hi)
                   for s_lo, s_hi in zip(shown["conf_low"], shown["conf_high"], strict=True)]
    n_control = int(results.cohort_sizes.get("0", 0))
    control = pd.DataFrame({"cohort": [t("report.ex_post.never", lang)],
                            "n_firms": [number(n_control, lang)], "att": [""], "ci": [""]})
    out = pd.concat([shown[["cohort", "n_firms", "att", "ci"]], control], ignore_index=True)
    att_head = (t("report.ex_post.col.cohort_att", lang, unit=unit) if is_money
                else t("report.ex_post.axis.effect_count", lang,
                       outcome=outcome_label(outcome, lang)))
    return common._table(out, [t("report.ex_post.col.cohort", lang), t("report.common.col.firms", lang),
                        att_head, t("report.common.col.ci", lang)],
                  ["left", "right", "right", "right"], cells.footnote(lang))


def with_unit(text: str, unit: str, lang: str) -> str:
    """'纳税总额（万元）' / 'tax paid (CNY million)'; ``text`` alone when ``unit`` is empty."""
    if not unit:
        return text
    return f"{text}（{unit}）" if lang == "zh" else f"{text} ({unit})"


def row_formatter(values: Sequence[Any], is_money: bool, lang: str,
                  scale: tuple[float, str] | None = None):
    """(unit, formatter) for one table row of amounts (money: in the table's unit ``scale`` =
    (divisor, unit) from :func:`table_scale`, else the unit fitting the row's largest value,
    with enough decimals for the row; counts: two decimals, no unit)."""
    if not is_money:
        return "", (lambda v: common.fmt(v, lang, 2))
    finite = [abs(common.as_float(v)) for v in values if math.isfinite(common.as_float(v))]
    div, unit = scale or money_unit(finite, lang)
    digits = common.column_digits(finite, div)

    def show(v: Any) -> str:
        x = common.as_float(v)
        return common.fmt(x, lang) if not math.isfinite(x) else number(x / div, lang, digits)

    return unit, show


def table_scale(rows: Sequence[tuple[Sequence[Any], bool]], lang: str) -> tuple[float, str]:
    """The one money unit of a table: (divisor, unit) fitting the largest published amount of
    its money rows (``rows``: (values, is_money), hidden rows passed with no values)."""
    values = [abs(common.as_float(v)) for vals, is_money in rows if is_money for v in vals
              if math.isfinite(common.as_float(v))]
    return money_unit(values, lang)


def unit_header(text: str, unit: str, lang: str) -> str:
    """'指标（金额单位：万元）' / 'Outcome (amounts in CNY million)': a table's money unit in its
    first column's header."""
    return t("report.common.amounts_in", lang, text=text, unit=unit)


def overall_table(results: ExPostResults, lang: str) -> str:
    """Overall ATT (simple aggregation) per outcome with SE, interval and p-value; money
    outcomes carry their unit in the outcome column; an outcome whose treated firms fail the
    disclosure rule has every number hidden."""
    from evalkit.report.suppression import ex_post_plan

    plan = ex_post_plan(results)
    cells = {}
    for name in common.outcome_order(results):
        est = results.outcomes[name].simple.estimates
        k = est["term"].index("overall")
        vals = [est[c][k] for c in ("estimate", "std_error", "conf_low", "conf_high")]
        cells[name] = (est, k, vals, plan.effects.get(name))
    scale = table_scale([([] if why else vals, name in common.MONEY_OUTCOMES)
                         for name, (_, _, vals, why) in cells.items()], lang)
    rows = []
    for name, (est, k, vals, why) in cells.items():
        _, show = row_formatter([] if why else vals, name in common.MONEY_OUTCOMES, lang, scale)
        rows.append({"outcome": outcome_label(name, lang),
                     "att": common._hide(show(vals[0]), why), "se": common._hide(show(vals[1]), why),
                     "ci": common._hide(t("report.common.range", lang, lo=show(vals[2]),
                                   hi=show(vals[3])), why),
                     "p": common._hide(common.pvalue(est["p_value"][k], lang), why)})
    frame = pd.DataFrame(rows)
    return common._table(frame, [unit_header(t("report.ex_post.col.outcome", lang), scale[1], lang),
                          t("report.ex_post.col.att", lang),
                          t("report.common.col.se", lang), t("report.common.col.ci", lang),
                          t("report.common.col.p", lang)],
                  ["left", "right", "right", "right", "right"],
                  common._footnote(plan.rule, list(plan.effects.values()), lang))


def twfe_table(results: ExPostResults, lang: str) -> str:
    """Both estimates per outcome; TWFE uses the same treated firms as the overall effect, so
    it is hidden with it."""
    from evalkit.report.suppression import ex_post_plan

    plan = ex_post_plan(results)
    cells = {}
    for name in common.outcome_order(results):
        ev = results.outcomes[name]
        cs = common.as_float(ev.simple.overall_att)
        tw = common.as_float(ev.twfe.estimate if ev.twfe is not None else None)
        cells[name] = (cs, tw, plan.effects.get(name))
    scale = table_scale([([] if why else [cs, tw, tw - cs], name in common.MONEY_OUTCOMES)
                         for name, (cs, tw, why) in cells.items()], lang)
    rows = []
    for name, (cs, tw, why) in cells.items():
        _, show = row_formatter([] if why else [cs, tw, tw - cs], name in common.MONEY_OUTCOMES,
                                lang, scale)
        rows.append({"outcome": outcome_label(name, lang),
                     "cs": common._hide(show(cs), why), "twfe": common._hide(show(tw), why),
                     "diff": common._hide(show(tw - cs), why)})
    return common._table(pd.DataFrame(rows),
                  [unit_header(t("report.ex_post.col.outcome", lang), scale[1], lang),
                   t("report.ex_post.col.cs", lang),
                   t("report.ex_post.col.twfe", lang), t("report.ex_post.col.diff", lang)],
                  ["left", "right", "right", "right"],
                  common._footnote(plan.rule, list(plan.effects.values()), lang))


def event_firm_counts(results: ExPostResults, events: Sequence[int]) -> dict[int, int]:
    """Number of treated firms behind each event-time estimate: firms of the cohorts g observed
    at year g + e inside the evaluation window (and with a base year in it for e < 0)."""
    lo, hi = (int(y) for y in results.window)
    sizes = {int(k): int(v) for k, v in results.cohort_sizes.items() if int(k) != 0}
    out = {}
    for e in events:
        out[int(e)] = sum(n for g, n in sizes.items()
                          if lo <= g + e <= hi and (e >= 0 or lo <= g + e - 1))
    return out


def dynamic_frame(results: ExPostResults, table: pd.DataFrame) -> pd.DataFrame:
    """The main outcome's event-study estimates with pointwise and uniform bands and the number
    of firms behind each; estimates failing the disclosure rule are dropped
    (:func:`evalkit.report.suppression.event_reasons`)."""
    from evalkit.report.suppression import event_reasons, rule_of

    dyn = results.main.dynamic
    crit = dyn.crit_val_egt
    frame = event_study_frame(table, 0.05 if dyn.alp is None else common.as_float(dyn.alp),
                              None if crit is None else common.as_float(crit))
    frame["n_firms"] = frame["event"].map(event_firm_counts(results, frame["event"].tolist()))
    hidden = event_reasons(results, frame["event"].tolist(), rule_of(results))
    return frame[[hidden[int(e)] is None for e in frame["event"]]].reset_index(drop=True)


def dynamic_events(data) -> list[int]:
    """The event times of a bundle's main-outcome event study (for the disclosure statement)."""
    table = data.table(f"dynamic_{data.model.main_outcome}")
    return sorted(int(e) for e in pd.to_numeric(table.loc[table["term"] != "overall", "event"]))


def draw_event_study(ax, frame: pd.DataFrame, outcome: str, lang: str) -> None:
    """Event study on ``ax`` from :func:`dynamic_frame`: thick pointwise intervals, thin uniform
    band, grey before payment and blue after, in the report language; an empty frame (every
    point hidden by the disclosure rule) gives an empty plot saying so."""
    if frame.empty:
        ax.text(0.5, 0.5, MARK, ha="center", va="center", fontsize=18, transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(t("report.ex_post.axis.event", lang))
        return
    is_money = outcome in common.MONEY_OUTCOMES
    div, unit = (money_unit(frame[["band_low", "band_high"]].abs().to_numpy().ravel(), lang)
                 if is_money else (1.0, ""))
    name = outcome_label(outcome, lang)
    draw_event_study_frame(ax, frame, {
        "pre": t("report.ex_post.legend.pre", lang), "post": t("report.ex_post.legend.post", lang),
        "x": t("report.ex_post.axis.event", lang),
        "y": (t("report.ex_post.axis.effect", lang, outcome=name, unit=unit) if is_money
              else t("report.ex_post.axis.effect_count", lang, outcome=name))}, scale=div)


def pretrend_result(results: ExPostResults) -> dict[str, Any] | None:
    """The main outcome's pre-trend test (its fields as the bundle holds them) with ``rejects``
    added, or None when there is none."""
    pre = results.main.pretrend
    if pre is None:
        return None
    alpha = 0.05 if pre.alpha is None else common.as_float(pre.alpha)
    return {**pre.model_dump(exclude_unset=True),
            "rejects": bool(common.as_float(pre.p_value) < alpha)}


def pretrend_text(results: ExPostResults, lang: str) -> str:
    """The paragraph on the pre-trend test, as a warning callout when it rejects."""
    from evalkit.report.suppression import ex_post_plan, suppressed_text

    pre = pretrend_result(results)
    if pre is None:
        return t("report.ex_post.pretrend.none", lang)
    outcome = results.main_outcome
    plan = ex_post_plan(results)
    if plan.effects.get(outcome):
        return suppressed_text(plan.effects[outcome], plan.rule, lang)
    values = {"df": int(pre["df"]), "stat": common.fmt(pre["stat"], lang, 2),
              "p": common.p_text(pre["p_value"], lang)}
    if pre["rejects"]:
        return ("::: {.callout-warning}\n## " + t("report.ex_post.pretrend.fail_title", lang)
                + "\n\n" + t("report.ex_post.pretrend.fail", lang, **values) + "\n:::\n")
    return t("report.ex_post.pretrend.pass", lang, slope=common.outcome_value(pre.get("slope_80"),
                                                                       outcome, lang), **values)


def fiscal_frame(results: ExPostResults, table: pd.DataFrame) -> pd.DataFrame:
    """The fiscal metrics in display order, with the MVPF rows' status added."""
    status = {f"mvpf_{m['view']}": m.get("status") for m in results.fiscal.mvpf}
    frame = table.copy()
    frame["status"] = frame["term"].map(status)
    order = {name: k for k, name in enumerate(common.METRIC_FORMS)}
    frame["_order"] = frame["term"].map(order).fillna(len(order))
    return frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def fiscal_text(results: ExPostResults, lang: str) -> str:
    """The paragraph on the subsidy's cost; the amounts are hidden when the recipients fail the
    disclosure rule (the count of recipients is shown)."""
    from evalkit.report.suppression import ex_post_plan

    fiscal = results.fiscal
    if fiscal is None:
        return t("report.ex_post.fiscal.none", lang)
    cost, plan = fiscal.cost, ex_post_plan(results)
    amount = (lambda v: MARK) if plan.cost else (lambda v: money(v, lang))
    sep = "" if lang == "zh" else " "
    sharing = sharing_text(results, lang)
    return t("report.ex_post.fiscal.text", lang, cost=amount(cost["total"]),
             n=number(cost["n_recipients"], lang), nominal=amount(cost["nominal"]),
             rate=percent(cost["discount_rate"], lang, 1), base=cost["base_year"]) + (
        sep + sharing if sharing else "") + (
        "\n\n" + common._footnote(plan.rule, [plan.cost], lang) if plan.cost else "")


def fiscal_flags(results: ExPostResults, lang: str) -> list[str]:
    """The notes on the fiscal metrics (one per flag), leaving out a flag on a metric the
    disclosure rule hides (a note on its interval would tell about it)."""
    from evalkit.report.suppression import ex_post_plan

    flags = (results.fiscal.flags if results.fiscal is not None else None) or {}
    hidden = ex_post_plan(results).fiscal if flags else {}
    out = []
    for key in sorted(flags):
        if hidden.get(key):
            continue
        try:
            text = t(f"report.ex_post.flag.{key}", lang)
        except KeyError:
            text = flags[key]
        out.append(t("report.ex_post.flags", lang, text=text))
    return out


def fiscal_table(results: ExPostResults, table: pd.DataFrame, lang: str) -> str:
    """The fiscal metrics; a metric is hidden when its recipients (cost) or treated firms
    (benefit) fail the disclosure rule."""
    from evalkit.report.suppression import ex_post_plan

    plan = ex_post_plan(results)
    frame = fiscal_frame(results, table)
    rows = []
    for r in frame.itertuples(index=False):
        key = f"report.metric.{r.term}"
        try:
            name = t(key, lang)
        except KeyError:
            name = str(r.term)
        vals = [r.estimate, r.conf_low, r.conf_high]
        why = plan.fiscal.get(r.term, "few")
        unit, show = row_formatter([] if why else vals, common.METRIC_FORMS.get(r.term) == "money",
                                   lang)
        rows.append({"metric": with_unit(name, unit, lang),
                     "estimate": common._hide(show(r.estimate), why),
                     "ci": common._hide(t("report.common.range", lang, lo=show(r.conf_low),
                                   hi=show(r.conf_high)), why),
                     "p": common._hide(common.pvalue(r.p_value, lang), why)})
    return common._table(pd.DataFrame(rows),
                  [t("report.ex_post.col.metric", lang), t("report.common.col.estimate", lang),
                   t("report.common.col.ci", lang), t("report.common.col.p", lang)],
                  ["left", "right", "right", "right"],
                  common._footnote(plan.rule, list(plan.fiscal.values()), lang))


def mvpf_sentences(results: ExPostResults, lang: str) -> list[str]:
    """One sentence per MVPF view; an infinite MVPF reads 'pays for itself'; a hidden one says
    it is not published."""
    from evalkit.report.suppression import ex_post_plan, suppressed_text

    plan = ex_post_plan(results)
    out = []
    for m in results.fiscal.mvpf:
        view = t(f"report.ex_post.view.{m['view']}", lang)
        why = plan.fiscal.get(f"mvpf_{m['view']}", "few")
        if why:
            out.append(f"{view}: {suppressed_text(why, plan.rule, lang)}" if lang == "en"
                       else f"{view}口径：{suppressed_text(why, plan.rule, lang)}")
        elif m.get("status") == "pays_for_itself" or math.isinf(common.as_float(m.get("estimate"))):
            out.append(t("report.ex_post.mvpf.pays", lang, view=view))
        else:
            out.append(t("report.ex_post.mvpf.finite", lang, view=view,
                         value=common.fmt(m["estimate"], lang), ci=common.ci(m["conf_low"], m["conf_high"],
                                                               lang)))
    return out


def fiscal_metric(results: ExPostResults, name: str) -> dict[str, float] | None:
    """One fiscal metric's estimate and interval from ``results.fiscal.tidy``."""
    row = results.fiscal.metric(name) if results.fiscal is not None else None
    if row is None:
        return None
    return {c: common.as_float(row[c]) for c in ("estimate", "std_error", "conf_low", "conf_high",
                                          "p_value")}


def verdict_key(conf_low: float, conf_high: float) -> str:
    """Which plain-language verdict a district fiscal return's interval supports."""
    if conf_low > 1:
        return "pays"
    if conf_low <= 0:
        return "none"
    if conf_high < 1:
        return "partial"
    return "unclear"


def ex_post_summary(results: ExPostResults, lang: str,
                    decision: Mapping[str, Any] | None = None) -> str:
    """The executive summary: the return per yuan, what it means, the main effect, the grade and
    recommendation (when the portfolio's decision is passed in) and the pre-trend caution."""
    from evalkit.report.suppression import ex_post_plan, suppressed_text

    plan = ex_post_plan(results)
    parts = []
    fr = fiscal_metric(results, "fiscal_return_district")
    hidden_fr = plan.fiscal.get("fiscal_return_district", "few") if fr is not None else None
    if hidden_fr:
        parts.append(t("report.ex_post.headline_hidden", lang,
                       why=suppressed_text(hidden_fr, plan.rule, lang)))
    elif fr is not None:
        parts.append(t("report.ex_post.headline", lang, ret=common.fmt(fr["estimate"], lang),
                       ci=common.ci(fr["conf_low"], fr["conf_high"], lang)))
        key = verdict_key(fr["conf_low"], fr["conf_high"])
        parts.append(t(f"report.ex_post.verdict.{key}", lang,
                       net=common.fmt(1 - fr["estimate"], lang)))
    main = results.main_outcome
    est = results.main.simple.estimates
    k = est["term"].index("overall")

    def show(v: Any) -> str:
        return common.outcome_value(v, main, lang)

    if plan.effects.get(main):
        parts.append(t("report.ex_post.main_effect_hidden", lang,
                       outcome=outcome_label(main, lang),
                       why=suppressed_text(plan.effects[main], plan.rule, lang)))
    else:
        parts.append(t("report.ex_post.main_effect", lang, outcome=outcome_label(main, lang),
                       att=show(est["estimate"][k]),
                       ci=common.ci(est["conf_low"][k], est["conf_high"][k], lang, show),
                       p=common.p_text(est["p_value"][k], lang)))
    sep = "" if lang == "zh" else " "
    text = sep.join(parts) + "\n\n"
    if decision is not None:
        text += t("report.ex_post.decision", lang, grade=common.label("grade", decision["grade"], lang),
                  score=number(decision["score"], lang, 1),
                  action=common.label("action", decision["action"], lang)) + "\n\n"
    else:
        text += t("report.ex_post.decision_elsewhere", lang) + "\n\n"
    pre = pretrend_result(results)
    if pre is not None and pre["rejects"] and not plan.effects.get(main):
        text += ("::: {.callout-warning}\n" + t("report.ex_post.pretrend_flag", lang)
                 + "\n:::\n")
    return text


def portfolio_decision(portfolio_results: PortfolioResults, policy_id: str
                       ) -> dict[str, Any] | None:
    """The grade, score and action of ``policy_id`` in a portfolio bundle's results."""
    table = portfolio_results.recommendations.table
    if policy_id not in table["policy_id"]:
        return None
    k = table["policy_id"].index(policy_id)
    return {"grade": table["grade"][k], "score": common.as_float(table["score"][k]),
            "action": table["action"][k]}


def technical_note(results: ExPostResults, lang: str) -> str:
    """The ex-post report's technical note: the outcomes with a note, and the notes in
    ``lang``; when the only note of every such outcome is the fall-back to the pooled
    base-period level, that is said in plain words. '' without notes."""
    outs = [results.outcomes[name] for name in common.outcome_order(results)]
    noted = [o for o in outs if o.note]
    if not noted:
        return ""
    if all(o.fallback == "pooled" and o.n_notes == 1 for o in noted):
        note = t("report.ex_post.note.singular", lang)
    else:
        note = ("；" if lang == "zh" else "; ").join(sorted({
            md((o.note_zh if lang == "zh" else None) or o.note) for o in noted}))
    names = ("、" if lang == "zh" else ", ").join(outcome_label(o.outcome, lang)
                                                 for o in noted)
    return t("report.ex_post.note_covariates", lang, outcome=names, note=note)


def _joined(items: Sequence[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


def covariate_words(results: ExPostResults, lang: str) -> list[str]:
    """The study's covariates in words: ``design.covariates``, the ``selection_covariates``
    (marked as the award criteria), the base-period level of ``design.base_outcome`` and the
    columns standing for it (``design.base_level_of``)."""
    opts = results.options or {}
    words = [outcome_label(c, lang) for c in opts.get("covariates") or []]
    words += [t("report.ex_post.cov.selection", lang, col=outcome_label(c, lang))
              for c in opts.get("selection_covariates") or []]
    base = opts.get("base_outcome") or "none"
    if base != "none":
        words.append(t(f"report.ex_post.cov.{base}", lang))
        for outcome, col in sorted((opts.get("base_level_of") or {}).items()):
            if outcome in results.outcomes:
                words.append(t("report.ex_post.cov.level_of", lang,
                               outcome=outcome_label(outcome, lang),
                               col=outcome_label(col, lang)))
    return words


def design_text(results: ExPostResults, lang: str) -> str:
    """The design section's paragraph, every sentence from the study as the bundle records it
    (``options``: the study's ``design``): the estimator and its estimation method, the
    comparison group (``controls`` and ``control_group``) and the firms it left out, the window
    and event-study range, the anticipation, the covariates, each outcome's scale and the
    clustering of the standard errors."""
    from evalkit.report.identity import comparison_words

    opts = results.options or {}
    sep = "" if lang == "zh" else " "
    parts = [t("report.ex_post.design.method", lang,
               est_method=t(f"report.ex_post.est_method.{opts.get('est_method', 'dr')}", lang)),
             t("report.ex_post.design.comparison", lang, group=comparison_words(opts, lang))]
    excluded = int(results.n_excluded_other_policy or 0)
    if opts.get("controls", "never_any") == "never_any":
        parts.append(t("report.ex_post.design.excluded", lang, n=number(excluded, lang)))
    start, end = results.window
    source = "study" if opts.get("window") else "data"
    parts.append(t("report.ex_post.design.window", lang, start=start, end=end,
                   source=t(f"report.ex_post.window.{source}", lang),
                   pre=abs(int(opts.get("min_e", -5))), post=int(opts.get("max_e", 5))))
    if int(opts.get("anticipation") or 0) > 0:
        parts.append(t("report.ex_post.design.anticipation", lang, k=int(opts["anticipation"])))
    covs = covariate_words(results, lang)
    parts.append(t("report.ex_post.design.covariates", lang, cols=_joined(covs, lang))
                 if covs else t("report.ex_post.design.no_covariates", lang))
    colon = "：" if lang == "zh" else ": "
    items = [outcome_label(name, lang) + colon
             + t(f"report.ex_post.scale.{results.outcomes[name].scale or 'level'}", lang)
             for name in common.outcome_order(results)]
    parts.append(t("report.ex_post.design.scales", lang,
                   items=("；" if lang == "zh" else "; ").join(items)))
    parts.append(t("report.ex_post.design.cluster", lang,
                   cluster=t(f"report.ex_post.cluster.{opts.get('cluster', 'firm')}", lang)))
    parts.append(t("report.ex_post.design.cohorts_ref", lang))
    return sep.join(parts)


def sharing_text(results: ExPostResults, lang: str) -> str:
    """The sentence on the administration cost and the district's share of the additional tax:
    the study's ``fiscal.district_share`` when it set one, else the default tax mix and
    retention shares the fiscal metrics used (:class:`evalkit.fiscal.tax.TaxSharing`)."""
    fiscal = results.fiscal
    tax = (fiscal.tax if fiscal is not None else None) or {}
    mix, district = tax.get("composition") or {}, tax.get("district") or {}
    if not mix or not district:
        return ""
    share = sum(float(mix[k]) * float(district[k]) for k in mix)
    if "district_share" in ((results.options or {}).get("fiscal") or {}):
        source = t("report.ex_post.sharing.study", lang)
    else:
        source = t("report.ex_post.sharing.default", lang,
                   **{k: percent(mix[k], lang, 0) for k in ("vat", "cit", "other")},
                   **{f"d_{k}": percent(district[k], lang, 0) for k in ("vat", "cit", "other")})
    admin = common.as_float((fiscal.cost or {}).get("admin_share", 0.0))
    return t("report.ex_post.fiscal.sharing", lang, admin=percent(admin, lang, 0),
             share=percent(share, lang, 1), source=source)


def design_statement(results: ExPostResults, lang: str) -> str:
    """The ex-post report's plain-words statement of the main outcome's scale (level or
    proportional parallel trends), of the inference used and of the Ashenfelter-dip check
    (its number shown only where the disclosure rule shows the event-time -1 estimate)."""
    main, ev = results.main_outcome, results.main
    scale = ev.scale or "level"
    text = t(f"report.ex_post.design.{scale}", lang, outcome=outcome_label(main, lang))
    opts = getattr(ev.simple, "options", None) or {}
    alp = common.as_float(opts.get("alp", 0.05))
    draws = int(opts.get("biters") or 0) if opts.get("bstrap") else 0
    boot = t("report.ex_post.design.boot", lang, draws=draws) if draws else ""
    level = f"{100 * (1 - alp):.0f}"
    sep = "" if lang == "zh" else " "
    text += sep + t("report.ex_post.design.inference", lang, level=level, boot=boot)
    chosen = (results.options or {}).get("selection_covariates") or []
    if chosen:
        joiner = "、" if lang == "zh" else ", "
        text += sep + t("report.ex_post.design.selection", lang,
                        cols=joiner.join(outcome_label(c, lang) for c in chosen))
    small = results.small_sample or {}
    iv = (small.get("intervals") or {}).get("fiscal_return_total")
    if iv:
        method = {"welch": "Welch / Bell-McCaffrey", "wild": "wild bootstrap-t"}[small["method"]]
        df = common.as_float(iv.get("df"))
        text += sep + t("report.ex_post.design.small_sample", lang, n=small["n_treated"],
                        threshold=small["threshold"], method=method,
                        df=f"{df:.0f}" if math.isfinite(df) else "-")
    from evalkit.report.suppression import event_reasons, rule_of

    dip, bal = ev.dip, ev.balance
    if bal is not None:
        # the design's own test of selection on its covariates gates instead of the dip check
        if int(bal.n_treated or 0) >= rule_of(results).min_firms:    # disclosure
            key = ("report.ex_post.design.balance_fail" if bal.fails
                   else "report.ex_post.design.balance_shift" if bal.detected
                   else "report.ex_post.design.balance_ok")
            pv = common.pvalue(bal.p_value, lang)
            text += sep + t(key, lang, outcome=outcome_label(main, lang),
                            p=f"p {pv}" if pv.startswith("<") else f"p = {pv}")
        return text
    if dip is not None and event_reasons(results, [-1], rule_of(results))[-1] is None:
        key = "report.ex_post.design.dip" if dip.detected else "report.ex_post.design.no_dip"
        text += sep + t(key, lang, outcome=outcome_label(main, lang),
                        est=outcome_amount(main, common.as_float(dip.estimate), lang),
                        p=common.p_text(dip.p_value, lang))
    return text
