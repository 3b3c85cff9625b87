"""Turn the contents of a stage's results bundle into the sentences, tables and figures of its
report (``reports/ex_post.qmd``, ``portfolio.qmd``, ...).

Presentation only: every number shown here was computed by the stage and stored in the bundle;
nothing is estimated. Tables come back as markdown pipe tables (with the disclosure footnote below
them when a cell is suppressed); figures are drawn on a themed matplotlib Axes. Every label comes
from :mod:`evalkit.i18n` and every amount goes through :mod:`evalkit.report.numbers`.

Text from data or a study (policy ids and names, departments, cycles, KPI names, notes, review
comments, category values without a translation) enters markdown only through
:func:`evalkit.escape.markdown` (``md``) and figure labels only through
:func:`evalkit.escape.matplotlib`: it is shown as written and never read as markup.

Disclosure control (see :mod:`evalkit.report.disclosure` and
:mod:`evalkit.report.suppression`): every number shown is decided on the firms it rests on (their
number and the largest one's share, as the stage recorded them in the bundle) under the study's
rule; a hidden number reads ``—*`` (or its sentence says it is not published) and the report's
disclosure statement lists it.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.escape import markdown as md
from evalkit.escape import matplotlib as mpl_text
from evalkit.i18n import t
from evalkit.io.schemas import FIRM_YEARS
from evalkit.report.disclosure import MARK, Rule, suppress
from evalkit.report.numbers import (
    money,
    money_unit,
    number,
    outcome_amount,
    outcome_label,
    percent,
)
from evalkit.report.tables import markdown_table

#: Outcomes (firm-year columns) measured in yuan; the others are counts.
MONEY_OUTCOMES = tuple(c.name for c in FIRM_YEARS.columns if c.kind == "money")
LEVELS = ("decision", "process", "output", "effect")
#: How each fiscal metric is shown: 'ratio' (yuan per yuan), 'money' (yuan), 'count'.
METRIC_FORMS = {"fiscal_return_total": "ratio", "fiscal_return_city": "ratio",
                "fiscal_return_district": "ratio", "revenue_per_yuan": "ratio",
                "rd_additionality": "ratio", "cost_per_job": "money",
                "patents_per_million": "count", "mvpf_district": "ratio", "mvpf_city": "ratio",
                "mvpf_total": "ratio"}


# ----------------------------------------------------------------------------- small formatters

def as_float(x: Any) -> float:
    """A bundle number as float: JSON keeps infinities as the strings 'inf' / '-inf', missing
    values as None."""
    if x is None:
        return math.nan
    if isinstance(x, str):
        return float(x)  # 'inf', '-inf', 'nan'
    return float(x)


def fmt(x: Any, lang: str, digits: int = 2) -> str:
    """A plain number; infinities as ∞ / -∞, missing as the missing mark."""
    v = as_float(x)
    if math.isinf(v):
        return ("-" if v < 0 else "") + t("report.common.infinity", lang)
    return number(v, lang, digits)


def pvalue(p: Any, lang: str) -> str:
    v = as_float(p)
    if math.isnan(v):
        return t("report.missing", lang)
    return "<\u00a00.001" if v < 0.001 else f"{v:.3f}"


def ci(lo: Any, hi: Any, lang: str, show=None) -> str:
    """'95% CI a to b' in the report's language; ``show`` formats each bound."""
    show = show or (lambda v: fmt(v, lang))
    return t("report.common.ci", lang, lo=show(lo), hi=show(hi))


def label(kind: str, value: Any, lang: str) -> str:
    """A category value (action, grade, objective, instrument, cluster, decision) translated;
    unknown values are shown as they are (escaped for markdown)."""
    key = f"report.value.{kind}.{value}"
    try:
        return t(key, lang)
    except KeyError:
        return md(value)


def money_digits(scaled: float) -> int:
    """Decimals that keep about three significant digits of an amount already in its unit."""
    a = abs(scaled)
    if not math.isfinite(a) or a >= 100:
        return 1 if a < 1000 else 0
    if a >= 10:
        return 1
    if a >= 1:
        return 2
    return 3


def money_auto(yuan: Any, lang: str) -> str:
    """:func:`evalkit.report.numbers.money` with enough decimals for small amounts
    (CNY 0.27 million rather than CNY 0.3 million)."""
    v = as_float(yuan)
    if math.isnan(v):
        return t("report.missing", lang)
    div, _ = money_unit([v], lang)
    return money(v, lang, max(money_digits(v / div), 2 if div == 1e8 else 1))


def column_digits(values: Sequence[float], div: float) -> int:
    """Decimals for a money column shown in one unit: enough for its largest entry."""
    finite = [abs(v) / div for v in values if v is not None and math.isfinite(v)]
    return money_digits(max(finite)) if finite else 1


def outcome_value(x: Any, outcome: str, lang: str) -> str:
    """An effect on ``outcome``: money with its unit, else a count with two decimals."""
    if outcome in MONEY_OUTCOMES:
        return money_auto(x, lang)
    return fmt(x, lang, 2)


def metric_value(x: Any, name: str, lang: str) -> str:
    form = METRIC_FORMS.get(name, "ratio")
    if form == "money":
        v = as_float(x)
        return fmt(v, lang) if math.isinf(v) else money_auto(v, lang)
    return fmt(x, lang, 2)


def policy_name(policy: Mapping[str, Any], lang: str) -> str:
    return str(policy.get(f"name_{lang}") or policy.get("name_en") or policy["policy_id"])


def policy_line(policy: Mapping[str, Any], lang: str) -> str:
    return t("report.common.policy_line", lang, pid=md(policy["policy_id"]),
             name=md(policy_name(policy, lang)), department=md(policy.get("department", "")),
             instrument=label("instrument", policy.get("instrument"), lang),
             objective=label("objective", policy.get("objective"), lang))


def display_width(text: str) -> int:
    """Width of ``text`` in monospace columns (CJK and full-width characters count two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text))


#: Text width of the PDF page in monospace columns (A4, 2.3 cm margins, 10.5 pt): the budget
#: :func:`_table` shares out between columns.
TABLE_COLUMNS = 88
CELL_PADDING = 3


def _header_need(header: str) -> int:
    words = str(header).split()
    full = display_width(header)
    if len(words) > 1 and full > 24:  # may wrap at spaces, into two lines at most
        return max(max(display_width(w) for w in words), math.ceil(full / 2))
    return min(full, 16)


def column_widths(frame: pd.DataFrame, headers: Sequence[str],
                  budget: int = TABLE_COLUMNS) -> list[int]:
    """Widths (in monospace columns) for a table's columns: each column's widest cell, with only
    the widest columns cut down (to a common cap) when the table would not fit ``budget``."""
    need = [max([_header_need(headers[k])] + [display_width(v) for v in
                                              frame.iloc[:, k].astype(str)] + [1])
            + CELL_PADDING for k in range(frame.shape[1])]
    if sum(need) <= budget:
        return need
    cap = max(need)
    while cap > 4 and sum(min(w, cap) for w in need) > budget:
        cap -= 1
    return [min(w, cap) for w in need]


def _table(frame: pd.DataFrame, headers: Sequence[str], align: Sequence[str],
           footnote: str = "") -> str:
    """A pipe table whose separator dashes give each column the room it needs: pandoc takes
    relative column widths from them once a line is longer than 72 characters, and equal dashes
    would give a short number column as much room as a long text column."""
    text = markdown_table(frame, headers=headers, align=align)
    lines = text.split("\n")
    widths = column_widths(frame, headers)
    ends = {"left": (":", "-"), "right": ("-", ":"), "center": (":", ":")}
    lines[1] = "|" + "|".join(ends[a][0] + "-" * max(w - 2, 1) + ends[a][1]
                              for a, w in zip(align, widths, strict=True)) + "|"
    text = "\n".join(lines)
    return text + ("\n" + footnote + "\n" if footnote else "")


def _min_firms_only(frame: pd.DataFrame, count_col: str, value_cols: Sequence[str],
                    secondary: bool = True, rule: Rule | None = None):
    """:func:`suppress` with the minimum-firms rule only, for cells whose bundle records no
    firm shares; ``secondary=False`` for rows that add up to no total (one policy each)."""
    rule = rule or Rule()
    return suppress(frame.assign(_no_total=0.0), count_col, list(value_cols),
                    max_col="_no_total", secondary=secondary, min_firms=rule.min_firms,
                    dominance=rule.dominance)


def _hide(shown: str, why: str | None) -> str:
    return MARK if why else shown


def _footnote(rule: Rule, reasons: Sequence[str | None], lang: str) -> str:
    """The disclosure footnote under a table when any of its cells is hidden."""
    if not any(reasons):
        return ""
    return t("report.disclosure.footnote", lang, mark=MARK, min_firms=rule.min_firms,
             share=percent(rule.dominance, lang, 0))


# ----------------------------------------------------------------------------- ex-post

def cohort_frame(results: Mapping[str, Any]) -> pd.DataFrame:
    """One row per treated cohort: ``cohort, n_firms`` and the main outcome's group ATT with its
    interval (``att, conf_low, conf_high``)."""
    main = results["outcomes"][results["main_outcome"]]
    est = pd.DataFrame(main["group"]["estimates"])
    est = est[est["term"] != "overall"].copy()
    est["cohort"] = pd.to_numeric(est["group"]).astype(int)
    sizes = {int(k): int(v) for k, v in results["cohort_sizes"].items() if int(k) != 0}
    frame = pd.DataFrame({"cohort": sorted(sizes), "n_firms": [sizes[g] for g in sorted(sizes)]})
    frame = frame.merge(est[["cohort", "estimate", "conf_low", "conf_high"]], on="cohort",
                        how="left").rename(columns={"estimate": "att"})
    return frame


def cohort_table(results: Mapping[str, Any], lang: str) -> str:
    """Cohorts, their firm counts and average effects; effects of cohorts failing the disclosure
    rule are hidden (and more, so they cannot be backed out of the overall effect:
    :func:`evalkit.report.suppression.cohort_cells`)."""
    from evalkit.report.suppression import ex_post_plan

    outcome = results["main_outcome"]
    cells = ex_post_plan(results).cohorts
    is_money = outcome in MONEY_OUTCOMES
    # units and decimals from the published cells only (a hidden one must not steer them)
    div, unit = money_unit(cells.frame["att"].abs().tolist(), lang) if is_money else (1.0, "")
    digits = column_digits(cells.frame["att"].tolist(), div) if is_money else 2
    shown = cells.display({"cohort": str, "n_firms": lambda v: number(v, lang),
                           "att": lambda v: number(v / div, lang, digits),
                           "conf_low": lambda v: number(v / div, lang, digits),
                           "conf_high": lambda v: number(v / div, lang, digits)})
    shown["ci"] = [s_lo if s_lo == s_hi and s_lo.startswith("—") else
                   t("report.common.range", lang, lo=s_lo, hi=s_hi)
                   for s_lo, s_hi in zip(shown["conf_low"], shown["conf_high"], strict=True)]
    n_control = int(results["cohort_sizes"].get("0", 0))
    control = pd.DataFrame({"cohort": [t("report.ex_post.never", lang)],
                            "n_firms": [number(n_control, lang)], "att": [""], "ci": [""]})
    out = pd.concat([shown[["cohort", "n_firms", "att", "ci"]], control], ignore_index=True)
    att_head = (t("report.ex_post.col.cohort_att", lang, unit=unit) if is_money
                else t("report.ex_post.axis.effect_count", lang,
                       outcome=outcome_label(outcome, lang)))
    return _table(out, [t("report.ex_post.col.cohort", lang), t("report.common.col.firms", lang),
                        att_head, t("report.common.col.ci", lang)],
                  ["left", "right", "right", "right"], cells.footnote(lang))


def outcome_order(results: Mapping[str, Any]) -> list[str]:
    """The evaluated outcomes, main outcome first, then in the data schema's column order."""
    schema = [c.name for c in FIRM_YEARS.columns]
    rest = sorted((o for o in results["outcomes"] if o != results["main_outcome"]),
                  key=lambda o: (schema.index(o) if o in schema else len(schema), o))
    return [results["main_outcome"], *rest]


def with_unit(text: str, unit: str, lang: str) -> str:
    """'纳税总额（万元）' / 'tax paid (CNY million)'; ``text`` alone when ``unit`` is empty."""
    if not unit:
        return text
    return f"{text}（{unit}）" if lang == "zh" else f"{text} ({unit})"


def row_formatter(values: Sequence[Any], is_money: bool, lang: str):
    """(unit, formatter) for one table row of amounts shown in a single unit (money: the unit
    fitting the row's largest value, with enough decimals; counts: two decimals, no unit)."""
    if not is_money:
        return "", (lambda v: fmt(v, lang, 2))
    finite = [abs(as_float(v)) for v in values if math.isfinite(as_float(v))]
    div, unit = money_unit(finite, lang)
    digits = column_digits(finite, div)

    def show(v: Any) -> str:
        x = as_float(v)
        return fmt(x, lang) if not math.isfinite(x) else number(x / div, lang, digits)

    return unit, show


def overall_table(results: Mapping[str, Any], lang: str) -> str:
    """Overall ATT (simple aggregation) per outcome with SE, interval and p-value; money
    outcomes carry their unit in the outcome column; an outcome whose treated firms fail the
    disclosure rule has every number hidden."""
    from evalkit.report.suppression import ex_post_plan

    plan = ex_post_plan(results)
    rows = []
    for name in outcome_order(results):
        est = results["outcomes"][name]["simple"]["estimates"]
        k = est["term"].index("overall")
        vals = [est[c][k] for c in ("estimate", "std_error", "conf_low", "conf_high")]
        why = plan.effects.get(name)
        unit, show = row_formatter([] if why else vals, name in MONEY_OUTCOMES, lang)
        rows.append({"outcome": with_unit(outcome_label(name, lang), unit, lang),
                     "att": _hide(show(vals[0]), why), "se": _hide(show(vals[1]), why),
                     "ci": _hide(t("report.common.range", lang, lo=show(vals[2]),
                                   hi=show(vals[3])), why),
                     "p": _hide(pvalue(est["p_value"][k], lang), why)})
    frame = pd.DataFrame(rows)
    return _table(frame, [t("report.ex_post.col.outcome", lang), t("report.ex_post.col.att", lang),
                          t("report.common.col.se", lang), t("report.common.col.ci", lang),
                          t("report.common.col.p", lang)],
                  ["left", "right", "right", "right", "right"],
                  _footnote(plan.rule, list(plan.effects.values()), lang))


def twfe_table(results: Mapping[str, Any], lang: str) -> str:
    """Both estimates per outcome; TWFE uses the same treated firms as the overall effect, so
    it is hidden with it."""
    from evalkit.report.suppression import ex_post_plan

    plan = ex_post_plan(results)
    rows = []
    for name in outcome_order(results):
        ev = results["outcomes"][name]
        cs = as_float(ev["simple"]["overall_att"])
        tw = as_float((ev.get("twfe") or {}).get("estimate"))
        why = plan.effects.get(name)
        unit, show = row_formatter([] if why else [cs, tw, tw - cs], name in MONEY_OUTCOMES,
                                   lang)
        rows.append({"outcome": with_unit(outcome_label(name, lang), unit, lang),
                     "cs": _hide(show(cs), why), "twfe": _hide(show(tw), why),
                     "diff": _hide(show(tw - cs), why)})
    return _table(pd.DataFrame(rows),
                  [t("report.ex_post.col.outcome", lang), t("report.ex_post.col.cs", lang),
                   t("report.ex_post.col.twfe", lang), t("report.ex_post.col.diff", lang)],
                  ["left", "right", "right", "right"],
                  _footnote(plan.rule, list(plan.effects.values()), lang))


def event_firm_counts(results: Mapping[str, Any], events: Sequence[int]) -> dict[int, int]:
    """Number of treated firms behind each event-time estimate: firms of the cohorts g observed
    at year g + e inside the evaluation window (and with a base year in it for e < 0)."""
    lo, hi = (int(y) for y in results["window"])
    sizes = {int(k): int(v) for k, v in results["cohort_sizes"].items() if int(k) != 0}
    out = {}
    for e in events:
        out[int(e)] = sum(n for g, n in sizes.items()
                          if lo <= g + e <= hi and (e >= 0 or lo <= g + e - 1))
    return out


def dynamic_frame(results: Mapping[str, Any], table: pd.DataFrame) -> pd.DataFrame:
    """The main outcome's event-study estimates with pointwise and uniform bands and the number
    of firms behind each; estimates failing the disclosure rule are dropped
    (:func:`evalkit.report.suppression.event_reasons`)."""
    from evalkit.did.plot import event_study_frame
    from evalkit.report.suppression import event_reasons

    dyn = results["outcomes"][results["main_outcome"]]["dynamic"]
    crit = dyn.get("crit_val_egt")
    frame = event_study_frame(table, float(dyn.get("alp", 0.05)),
                              None if crit is None else as_float(crit))
    frame["n_firms"] = frame["event"].map(event_firm_counts(results, frame["event"].tolist()))
    hidden = event_reasons(results, frame["event"].tolist(), Rule.of(results))
    return frame[[hidden[int(e)] is None for e in frame["event"]]].reset_index(drop=True)


def dynamic_events(data) -> list[int]:
    """The event times of a bundle's main-outcome event study (for the disclosure statement)."""
    table = data.table(f"dynamic_{data.results['main_outcome']}")
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
    from evalkit.did.plot import draw_event_study as draw

    is_money = outcome in MONEY_OUTCOMES
    div, unit = (money_unit(frame[["band_low", "band_high"]].abs().to_numpy().ravel(), lang)
                 if is_money else (1.0, ""))
    name = outcome_label(outcome, lang)
    draw(ax, frame, {"pre": t("report.ex_post.legend.pre", lang),
                     "post": t("report.ex_post.legend.post", lang),
                     "x": t("report.ex_post.axis.event", lang),
                     "y": (t("report.ex_post.axis.effect", lang, outcome=name, unit=unit)
                           if is_money else t("report.ex_post.axis.effect_count", lang,
                                              outcome=name))}, scale=div)


def pretrend_result(results: Mapping[str, Any]) -> dict[str, Any] | None:
    """The main outcome's pre-trend test with ``rejects`` added, or None when there is none."""
    pre = results["outcomes"][results["main_outcome"]].get("pretrend")
    if not pre:
        return None
    p = as_float(pre.get("p_value"))
    return {**pre, "rejects": bool(p < float(pre.get("alpha", 0.05)))}


def pretrend_text(results: Mapping[str, Any], lang: str) -> str:
    """The paragraph on the pre-trend test, as a warning callout when it rejects."""
    from evalkit.report.suppression import ex_post_plan, suppressed_text

    pre = pretrend_result(results)
    if pre is None:
        return t("report.ex_post.pretrend.none", lang)
    outcome = results["main_outcome"]
    plan = ex_post_plan(results)
    if plan.effects.get(outcome):
        return suppressed_text(plan.effects[outcome], plan.rule, lang)
    values = {"df": int(pre["df"]), "stat": fmt(pre["stat"], lang, 2),
              "p": pvalue(pre["p_value"], lang)}
    if pre["rejects"]:
        return ("::: {.callout-warning}\n## " + t("report.ex_post.pretrend.fail_title", lang)
                + "\n\n" + t("report.ex_post.pretrend.fail", lang, **values) + "\n:::\n")
    return t("report.ex_post.pretrend.pass", lang, slope=outcome_value(pre.get("slope_80"),
                                                                       outcome, lang), **values)


def fiscal_frame(results: Mapping[str, Any], table: pd.DataFrame) -> pd.DataFrame:
    """The fiscal metrics in display order, with the MVPF rows' status added."""
    status = {f"mvpf_{m['view']}": m.get("status") for m in results["fiscal"].get("mvpf", [])}
    frame = table.copy()
    frame["status"] = frame["term"].map(status)
    order = {name: k for k, name in enumerate(METRIC_FORMS)}
    frame["_order"] = frame["term"].map(order).fillna(len(order))
    return frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def fiscal_text(results: Mapping[str, Any], lang: str) -> str:
    """The paragraph on the subsidy's cost; the amounts are hidden when the recipients fail the
    disclosure rule (the count of recipients is shown)."""
    from evalkit.report.suppression import ex_post_plan

    fiscal = results.get("fiscal")
    if not fiscal:
        return t("report.ex_post.fiscal.none", lang)
    cost, plan = fiscal["cost"], ex_post_plan(results)
    amount = (lambda v: MARK) if plan.cost else (lambda v: money(v, lang))
    return t("report.ex_post.fiscal.text", lang, cost=amount(cost["total"]),
             n=number(cost["n_recipients"], lang), nominal=amount(cost["nominal"]),
             rate=percent(cost["discount_rate"], lang, 1), base=cost["base_year"]) + (
        "\n\n" + _footnote(plan.rule, [plan.cost], lang) if plan.cost else "")


def fiscal_flags(results: Mapping[str, Any], lang: str) -> list[str]:
    """The notes on the fiscal metrics (one per flag), leaving out a flag on a metric the
    disclosure rule hides (a note on its interval would tell about it)."""
    from evalkit.report.suppression import ex_post_plan

    fiscal = results.get("fiscal") or {}
    flags = fiscal.get("flags") or {}
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


def fiscal_table(results: Mapping[str, Any], table: pd.DataFrame, lang: str) -> str:
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
        unit, show = row_formatter([] if why else vals, METRIC_FORMS.get(r.term) == "money",
                                   lang)
        rows.append({"metric": with_unit(name, unit, lang),
                     "estimate": _hide(show(r.estimate), why),
                     "ci": _hide(t("report.common.range", lang, lo=show(r.conf_low),
                                   hi=show(r.conf_high)), why),
                     "p": _hide(pvalue(r.p_value, lang), why)})
    return _table(pd.DataFrame(rows),
                  [t("report.ex_post.col.metric", lang), t("report.common.col.estimate", lang),
                   t("report.common.col.ci", lang), t("report.common.col.p", lang)],
                  ["left", "right", "right", "right"],
                  _footnote(plan.rule, list(plan.fiscal.values()), lang))


def mvpf_sentences(results: Mapping[str, Any], lang: str) -> list[str]:
    """One sentence per MVPF view; an infinite MVPF reads 'pays for itself'; a hidden one says
    it is not published."""
    from evalkit.report.suppression import ex_post_plan, suppressed_text

    plan = ex_post_plan(results)
    out = []
    for m in results["fiscal"].get("mvpf", []):
        view = t(f"report.ex_post.view.{m['view']}", lang)
        why = plan.fiscal.get(f"mvpf_{m['view']}", "few")
        if why:
            out.append(f"{view}: {suppressed_text(why, plan.rule, lang)}" if lang == "en"
                       else f"{view}口径：{suppressed_text(why, plan.rule, lang)}")
        elif m.get("status") == "pays_for_itself" or math.isinf(as_float(m.get("estimate"))):
            out.append(t("report.ex_post.mvpf.pays", lang, view=view))
        else:
            out.append(t("report.ex_post.mvpf.finite", lang, view=view,
                         value=fmt(m["estimate"], lang), ci=ci(m["conf_low"], m["conf_high"],
                                                               lang)))
    return out


def fiscal_metric(results: Mapping[str, Any], name: str) -> dict[str, float] | None:
    """One fiscal metric's estimate and interval from ``results['fiscal']['tidy']``."""
    fiscal = results.get("fiscal")
    if not fiscal:
        return None
    tidy = fiscal["tidy"]
    if name not in tidy["term"]:
        return None
    k = tidy["term"].index(name)
    return {c: as_float(tidy[c][k]) for c in ("estimate", "std_error", "conf_low", "conf_high",
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


def ex_post_summary(results: Mapping[str, Any], lang: str,
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
        parts.append(t("report.ex_post.headline", lang, ret=fmt(fr["estimate"], lang),
                       ci=ci(fr["conf_low"], fr["conf_high"], lang)))
        key = verdict_key(fr["conf_low"], fr["conf_high"])
        parts.append(t(f"report.ex_post.verdict.{key}", lang,
                       net=fmt(1 - fr["estimate"], lang)))
    main = results["main_outcome"]
    est = results["outcomes"][main]["simple"]["estimates"]
    k = est["term"].index("overall")

    def show(v: Any) -> str:
        return outcome_value(v, main, lang)

    if plan.effects.get(main):
        parts.append(t("report.ex_post.main_effect_hidden", lang,
                       outcome=outcome_label(main, lang),
                       why=suppressed_text(plan.effects[main], plan.rule, lang)))
    else:
        parts.append(t("report.ex_post.main_effect", lang, outcome=outcome_label(main, lang),
                       att=show(est["estimate"][k]),
                       ci=ci(est["conf_low"][k], est["conf_high"][k], lang, show),
                       p=pvalue(est["p_value"][k], lang)))
    sep = "" if lang == "zh" else " "
    text = sep.join(parts) + "\n\n"
    if decision is not None:
        text += t("report.ex_post.decision", lang, grade=label("grade", decision["grade"], lang),
                  score=number(decision["score"], lang, 1),
                  action=label("action", decision["action"], lang)) + "\n\n"
    else:
        text += t("report.ex_post.decision_elsewhere", lang) + "\n\n"
    pre = pretrend_result(results)
    if pre is not None and pre["rejects"] and not plan.effects.get(main):
        text += ("::: {.callout-warning}\n" + t("report.ex_post.pretrend_flag", lang)
                 + "\n:::\n")
    return text


def portfolio_decision(portfolio_results: Mapping[str, Any], policy_id: str
                       ) -> dict[str, Any] | None:
    """The grade, score and action of ``policy_id`` in a portfolio bundle's results."""
    table = portfolio_results["recommendations"]["table"]
    if policy_id not in table["policy_id"]:
        return None
    k = table["policy_id"].index(policy_id)
    return {"grade": table["grade"][k], "score": as_float(table["score"][k]),
            "action": table["action"][k]}


# ----------------------------------------------------------------------------- portfolio

def policy_names(results: Mapping[str, Any], lang: str) -> dict[str, str]:
    pol = pd.DataFrame(results["policies"])
    return {r["policy_id"]: policy_name(r, lang) for r in pol.to_dict(orient="records")}


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


def portfolio_summary(results: Mapping[str, Any], ranking: pd.DataFrame,
                      recommendations: pd.DataFrame, reallocation: Mapping[str, Any],
                      lang: str) -> str:
    from evalkit.report.suppression import policy_metric_reason

    metric = results["metric"]
    rule = Rule.of(results)
    ranked = ranking[ranking["rank"] > 0]    # rank 0: identification failed, not ranked
    top = (ranked if len(ranked) else ranking).sort_values("rank").iloc[0]
    hidden = policy_metric_reason(results, str(top["term"]), rule)
    join = "、" if lang == "zh" else ", "
    best = join.join(md(p) for p in ranking.loc[ranking["plausibly_best"], "term"])
    worst = join.join(md(p) for p in ranking.loc[ranking["plausibly_worst"], "term"])
    lines = [t("report.portfolio.cycle", lang, cycle=md(results["cycle"]), n=len(ranking))]
    lines.append(t("report.portfolio.summary.top", lang, metric=metric_name(metric, lang, False),
                   top=md(top["term"]), est=_hide(fmt(top["estimate"], lang), hidden),
                   ci=_hide(ci(top["conf_low"], top["conf_high"], lang), hidden),
                   lo=int(top["rank_low"]), hi=int(top["rank_high"]), best=best or "—",
                   worst=worst or "—"))
    items = []
    from evalkit.portfolio.recommend import ACTIONS

    for action in ACTIONS:
        pids = recommendations.loc[recommendations["action"] == action, "policy_id"].tolist()
        if pids:
            items.append(t("report.portfolio.summary.action_item", lang,
                           action=label("action", action, lang),
                           pids=join.join(md(p) for p in pids)))
    lines.append(t("report.portfolio.summary.actions", lang,
                   actions=t("report.portfolio.summary.sep", lang).join(items)))
    table = pd.DataFrame(reallocation["table"])
    moved = float(table["change"].clip(lower=0).sum())
    lines.append(t("report.portfolio.summary.realloc", lang,
                   total=money(float(table["current"].sum()), lang), moved=money(moved, lang),
                   cap=percent(as_float(reallocation["max_change"]), lang, 0)))
    flagged = [p for p, f in zip(results["classification"]["policy_id"],
                                 results["classification"]["large_fund_high_activity"],
                                 strict=True) if f]
    lines.append(t("report.portfolio.summary.flagged", lang,
                   pids=join.join(md(p) for p in flagged)) if flagged
                 else t("report.portfolio.summary.no_flag", lang))
    return "\n\n".join(lines) + "\n"


def grades_of(results: Mapping[str, Any]) -> dict[str, str]:
    return {s["policy_id"]: s["grade"] for s in results["scorecards"]}


def draw_ranking(ax, ranking: pd.DataFrame, grades: Mapping[str, str], names: Mapping[str, str],
                 metric: str, lang: str, results: Mapping[str, Any] | None = None) -> None:
    """Forest plot: each policy's metric with its 95% interval (thick) and the simultaneous band
    (thin, light; when the ranking table has it), best at the top, colour by grade, the rank
    confidence set written at the right. A policy whose metric the disclosure rule hides
    (``results`` given: :func:`evalkit.report.suppression.policy_metric_reason`) keeps its row
    and rank set, without point or interval."""
    import seaborn as sns

    from evalkit.report.suppression import policy_metric_reason

    if results is not None:
        rule = Rule.of(results)
        hide = [policy_metric_reason(results, str(p), rule) is not None for p in ranking["term"]]
        cols = [c for c in ranking.columns if c.startswith(("estimate", "conf_"))]
        ranking = ranking.copy()
        ranking.loc[hide, cols] = np.nan
    order = ranking.sort_values("rank", ascending=False).reset_index(drop=True)
    y = np.arange(len(order))
    palette = {"优": "#1b7837", "良": "#5aae61", "中": "#f1a340", "差": "#c0392b"}
    hue = [label("grade", grades.get(p, ""), lang) for p in order["term"]]
    colors = {label("grade", g, lang): c for g, c in palette.items()}
    band = "conf_low_simultaneous" in order.columns
    if band:
        ax.hlines(y, order["conf_low_simultaneous"], order["conf_high_simultaneous"],
                  color="#bbbbbb", linewidth=1)
    ax.hlines(y, order["conf_low"], order["conf_high"], color="#555555", linewidth=2)
    sns.scatterplot(x=order["estimate"].to_numpy(), y=y, hue=hue, palette=colors,
                    hue_order=[label("grade", g, lang) for g in palette
                               if label("grade", g, lang) in hue],
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


def scorecard_frame(results: Mapping[str, Any]) -> pd.DataFrame:
    """One row per policy: points per level, level maxima, score and grade."""
    rows = []
    for s in results["scorecards"]:
        r = pd.DataFrame(s["rows"])
        avail = r.groupby("level")["weight"].sum()
        row = {"policy_id": s["policy_id"], "score": float(s["score"]), "grade": s["grade"]}
        for lv in LEVELS:
            row[lv] = float(s["by_level"].get(lv, 0.0))
            row[f"{lv}_max"] = float(avail.get(lv, 0.0))
        rows.append(row)
    return pd.DataFrame(rows)


def scorecard_table(results: Mapping[str, Any], lang: str) -> str:
    frame = scorecard_frame(results)
    out = pd.DataFrame({"policy": [md(p) for p in frame["policy_id"]]})
    for lv in LEVELS:
        out[lv] = [f"{number(v, lang, 1)} / {number(m, lang, 0)}"
                   for v, m in zip(frame[lv], frame[f"{lv}_max"], strict=True)]
    out["score"] = [number(v, lang, 1) for v in frame["score"]]
    out["grade"] = [label("grade", g, lang) for g in frame["grade"]]
    return _table(out, [t("report.common.col.policy", lang)]
                  + [t(f"report.portfolio.col.{lv}", lang) for lv in LEVELS]
                  + [t("report.portfolio.col.score", lang), t("report.portfolio.col.grade", lang)],
                  ["left", "right", "right", "right", "right", "right", "left"])


def draw_scorecard_heatmap(ax, results: Mapping[str, Any], lang: str) -> None:
    """Share of each indicator's points earned (rows: indicators, columns: policies)."""
    import seaborn as sns

    shares, names = {}, None
    for s in results["scorecards"]:
        r = pd.DataFrame(s["rows"])
        shares[mpl_text(s["policy_id"])] = r["share"].astype(float).to_numpy()
        names = [mpl_text(x) for x in (r[lang] if lang in r.columns else r["indicator"])]
    frame = pd.DataFrame(shares, index=names)
    sns.heatmap(frame, ax=ax, vmin=0, vmax=1, cmap="RdYlGn", annot=True, fmt=".0%",
                annot_kws={"fontsize": 7}, cbar=False, linewidths=0.5, linecolor="white")
    ax.tick_params(axis="y", labelsize=8)
    ax.tick_params(axis="x", labelsize=9)
    ax.set_xlabel("")
    ax.set_ylabel("")


def recommendation_table(recommendations: pd.DataFrame, metric: str, lang: str,
                         results: Mapping[str, Any] | None = None) -> str:
    """Recommendations with their rationale; the metric's estimate and interval read ``—*`` for
    a policy whose metric the disclosure rule hides (``results`` given)."""
    from evalkit.report.suppression import policy_metric_reason

    rule = Rule.of(results)
    rows = []
    for r in recommendations.itertuples(index=False):
        flags = ((t("report.portfolio.flag.best", lang) if r.plausibly_best else "")
                 + (t("report.portfolio.flag.worst", lang) if r.plausibly_worst else ""))
        hidden = (policy_metric_reason(results, str(r.policy_id), rule)
                  if results is not None else None)
        key = "report.portfolio.rationale" if int(r.rank) > 0 else \
            "report.portfolio.rationale.unranked"
        why = t(key, lang, grade=label("grade", r.grade, lang),
                score=number(r.score, lang, 1), est=_hide(fmt(r.metric_estimate, lang), hidden),
                ci=_hide(ci(r.metric_conf_low, r.metric_conf_high, lang), hidden),
                rank=int(r.rank),
                lo=int(r.rank_low), hi=int(r.rank_high), flags=flags)
        rows.append({"id": md(r.recommendation_id), "policy": md(r.policy_id),
                     "action": label("action", r.action, lang),
                     "change": f"{100 * float(r.budget_change):+.0f}%", "why": why})
    return _table(pd.DataFrame(rows),
                  [t("report.portfolio.col.id", lang), t("report.common.col.policy", lang),
                   t("report.portfolio.col.action", lang), t("report.portfolio.col.change", lang),
                   t("report.portfolio.col.rationale", lang)],
                  ["left", "left", "left", "right", "left"])


def reallocation_table(reallocation: Mapping[str, Any], lang: str) -> str:
    table = pd.DataFrame(reallocation["table"])
    cols = ["current", "proposed", "change"]
    div, unit = money_unit(table[cols].abs().to_numpy().ravel(), lang)
    digits = column_digits(table[cols].abs().to_numpy().ravel().tolist(), div)
    # the changes sum to zero up to rounding: show 0, not -0
    total = {c: float(np.round(table[c].sum(), 2)) + 0.0 for c in cols}
    out = pd.DataFrame({"policy": [md(p) for p in table["policy_id"]]})
    for c in cols:
        out[c] = [number(v / div, lang, digits) for v in table[c]]
    out["share"] = [f"{100 * as_float(v):+.0f}%" for v in table["change_share"]]
    tot = pd.DataFrame({"policy": [f"**{t('report.portfolio.total', lang)}**"],
                        **{c: [number(total[c] / div, lang, digits)] for c in cols},
                        "share": [""]})
    out = pd.concat([out, tot], ignore_index=True)
    return _table(out, [t("report.common.col.policy", lang),
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
    return _min_firms_only(frame, "recipients", ["spend", "main_cluster_share"],
                           secondary=False, rule=rule)


def classification_table(classification: pd.DataFrame, lang: str,
                         results: Mapping[str, Any] | None = None) -> str:
    """Objective, main cluster, spending and recipients per policy (:func:`classification_cells`
    decides what is hidden)."""
    frame = classification.copy()
    cells = classification_cells(frame, Rule.of(results))
    div, unit = money_unit(cells.frame["spend"].tolist(), lang)
    digits = column_digits(cells.frame["spend"].tolist(), div)
    shown = cells.display({"spend": lambda v: number(v / div, lang, digits),
                           "main_cluster_share": lambda v: percent(v, lang, 0),
                           "recipients": lambda v: number(v, lang)})
    out = pd.DataFrame({
        "policy": [md(p) for p in frame["policy_id"]],
        "objective": [label("objective", v, lang) for v in frame["objective"]],
        "cluster": [f"{label('cluster', c, lang)} ({s})" if lang == "en" else
                    f"{label('cluster', c, lang)}（{s}）"
                    for c, s in zip(frame["main_cluster"], shown["main_cluster_share"],
                                    strict=True)],
        "spend": shown["spend"], "recipients": shown["recipients"],
        "flag": [t("report.common.yes", lang) if f else "" for f in
                 frame["large_fund_high_activity"]],
    })
    return _table(out, [t("report.common.col.policy", lang),
                        t("report.portfolio.col.objective", lang),
                        t("report.portfolio.col.cluster", lang),
                        t("report.portfolio.col.spend", lang, unit=unit),
                        t("report.portfolio.col.recipients", lang),
                        t("report.portfolio.col.flag", lang)],
                  ["left", "left", "left", "right", "right", "center"], cells.footnote(lang))


def review_status(store: str | None, cycle: str, recommendation_ids: Sequence[str]
                  ) -> dict[str, Any]:
    """The review log's entries for this cycle's recommendations, read without writing to the
    warehouse: ``{'state': 'no_store' | 'none' | 'reviewed', 'rows': DataFrame, 'intact': bool,
    'bad_seq': int | None, 'problems': [(en, zh)], 'head': hash, 'anchored': bool,
    'pending': [ids]}``. ``intact`` is :func:`evalkit.portfolio.review_log.audit_review_log`'s
    verdict (the chain and its anchors); the head lets a reader check the log later."""
    from pathlib import Path

    if not store or not Path(store).is_file():
        return {"state": "no_store", "rows": pd.DataFrame(), "pending": list(recommendation_ids)}
    from evalkit.portfolio.review_log import audit_review_log, review_history, verify_review_log

    history = review_history(store)
    if history.empty:
        return {"state": "none", "rows": pd.DataFrame(), "pending": list(recommendation_ids)}
    _, bad = verify_review_log(store)
    audit = audit_review_log(store)
    ids = set(recommendation_ids)
    rows = history[history["recommendation_id"].isin(ids)].reset_index(drop=True)
    if rows.empty:
        return {"state": "none", "rows": rows, "pending": list(recommendation_ids)}
    decided = set(rows["recommendation_id"])
    return {"state": "reviewed", "rows": rows, "intact": audit.ok, "bad_seq": bad,
            "problems": list(audit.problems), "head": audit.head, "anchored": audit.anchored,
            "pending": [i for i in recommendation_ids if i not in decided]}


def review_table(rows: pd.DataFrame, lang: str) -> str:
    out = pd.DataFrame({
        "id": [md(x) for x in rows["recommendation_id"]],
        "decision": [label("decision", d, lang) for d in rows["decision"]],
        "reviewer": [md(x) for x in rows["reviewer"]],
        "date": [md(str(x)[:10]) for x in rows["timestamp"]],
        "comment": [md(x) for x in rows["comment"]],
    })
    return _table(out, [t("report.portfolio.col.id", lang),
                        t("report.portfolio.col.decision_taken", lang),
                        t("report.portfolio.col.reviewer", lang),
                        t("report.portfolio.col.date", lang),
                        t("report.portfolio.col.comment", lang)],
                  ["left", "left", "left", "left", "left"])


def review_text(review: Mapping[str, Any], cycle: str, lang: str) -> str:
    """The review-status section: 'not yet reviewed', or the decisions taken so far (a plain
    table: reviewers are officials, not firms) and the recommendations still pending."""
    if review["state"] == "no_store":
        return t("report.portfolio.review.no_store", lang) + "\n"
    if review["state"] == "none":
        return t("report.portfolio.review.none", lang, cycle=md(cycle)) + "\n"
    if review["intact"]:
        chain = t("report.portfolio.review.intact", lang)
    elif review.get("bad_seq") is not None:
        chain = t("report.portfolio.review.broken", lang, seq=review["bad_seq"])
    else:
        chain = t("report.portfolio.review.unanchored_broken", lang)
    text = t("report.portfolio.review.text", lang, chain=chain, n=len(review["rows"]))
    text += "\n\n" + review_table(review["rows"], lang)
    if review.get("head"):
        text += "\n" + t("report.portfolio.review.head", lang, head=review["head"]) + "\n"
    if review["pending"]:
        join = "、" if lang == "zh" else ", "
        text += "\n" + t("report.portfolio.pending", lang, n=len(review["pending"]),
                         ids=join.join(md(i) for i in review["pending"])) + "\n"
    return text


# ----------------------------------------------------------------------------- ex-ante

def ex_ante_summary(results: Mapping[str, Any], lang: str) -> str:
    """The appraisal's conclusion, the eligible population and cost against budget, the
    evidence from similar policies and the evaluability of the policy."""
    from evalkit.exante.checklist import CONCLUSIONS

    checklist = results["checklist"]
    conclusion = results["conclusion"]
    zh_en = CONCLUSIONS.get(conclusion, (md(conclusion), md(conclusion)))
    score = checklist.get("score", checklist.get("total"))
    lines = [t("report.ex_ante.conclusion", lang, conclusion=zh_en[0 if lang == "zh" else 1],
               score=fmt(score, lang, 1))]
    reasons = checklist.get(f"reasons_{lang}") or []
    if reasons:
        lines.append("\n".join(f"- {md(r)}" for r in reasons))
    from evalkit.report.suppression import ex_ante_cost_reason

    sim = results["microsim"]
    hidden = ex_ante_cost_reason(results, Rule.of(results))
    central = next(s for s in sim["scenarios"] if s["name"] == sim.get("central", "central"))
    lines.append(t("report.ex_ante.summary", lang, eligible=number(sim["n_eligible"], lang),
                   share=percent(sim["n_eligible"] / max(sim["n_firms"], 1), lang),
                   take_up=percent(central["take_up"], lang, 0),
                   cost=_hide(money(central["cost"], lang), hidden),
                   ci=_hide(ci(central["cost_low"], central["cost_high"], lang,
                               lambda v: money(as_float(v), lang)), hidden),
                   budget=money(sim["budget"], lang),
                   covers=t("report.ex_ante.covers." + ("yes" if sim["budget_covers_central"]
                                                        else "no"), lang)))
    ev = results.get("evidence")
    if ev:
        eff = ev["effect"]
        outcome = results["proposal"].get("main_outcome", "tax_paid")

        def show(v: Any) -> str:
            return outcome_value(v, outcome, lang)

        lines.append(t("report.ex_ante.evidence", lang,
                       policies=("、" if lang == "zh" else ", ").join(md(p) for p in
                                                                     eff["policies"]),
                       effect=show(eff["mean"]), ci=ci(eff["conf_low"], eff["conf_high"], lang,
                                                       show)))
    else:
        lines.append(t("report.ex_ante.no_evidence", lang))
    designs = results["evaluability"]["designs"]
    if designs:
        d = designs[0]
        lines.append(t("report.ex_ante.mde", lang, design=label_design(d["label"], lang),
                       mde=outcome_value(d["mde"], d.get("outcome", "tax_paid"), lang)))
    return "\n\n".join(lines) + "\n"


def label_design(name: str, lang: str) -> str:
    try:
        return t(f"report.ex_ante.design.{name}", lang)
    except KeyError:
        return md(name)


def cost_table(cost_by_year: pd.DataFrame, lang: str,
               results: Mapping[str, Any] | None = None) -> str:
    """Projected cost per year and scenario against the budget; the projections rest on the
    eligible firms' awards and are hidden when those fail the disclosure rule (``results``
    given; the budget is a public figure)."""
    from evalkit.report.suppression import ex_ante_cost_reason

    rule = Rule.of(results)
    hidden = ex_ante_cost_reason(results, rule) if results is not None else None
    cols = ["budget"] if hidden else ["cost", "cost_low", "cost_high", "budget"]
    div, unit = money_unit(cost_by_year[cols].abs().to_numpy().ravel(), lang)
    digits = column_digits(cost_by_year[cols].abs().to_numpy().ravel().tolist(), div)
    out = pd.DataFrame({
        "year": cost_by_year["year"].astype(str),
        "scenario": [t(f"report.ex_ante.scenario.{s}", lang) for s in cost_by_year["scenario"]],
        "cost": [_hide(number(v / div, lang, digits), hidden) for v in cost_by_year["cost"]],
        "ci": [_hide(t("report.common.range", lang, lo=number(lo / div, lang, digits),
                       hi=number(hi / div, lang, digits)), hidden)
               for lo, hi in zip(cost_by_year["cost_low"], cost_by_year["cost_high"],
                                 strict=True)],
        "budget": [number(v / div, lang, digits) for v in cost_by_year["budget"]],
    })
    return _table(out, [t("report.example.axis.year", lang), t("report.ex_ante.col.scenario", lang),
                        t("report.ex_ante.col.cost", lang, unit=unit),
                        t("report.common.col.ci", lang),
                        t("report.monitor.col.appropriation", lang, unit=unit)],
                  ["left", "left", "right", "right", "right"],
                  _footnote(rule, [hidden], lang))


def eligible_cells(frame: pd.DataFrame, rule: Rule | None = None):
    """Award totals per group under the disclosure rule: fewer than ``min_firms`` eligible firms,
    or (bundles with ``max_award``) one award above ``dominance`` of the group's total; the
    groups add up to the published projected cost, so hidden groups get complements."""
    rule = rule or Rule()
    if "max_award" in frame.columns:
        return suppress(frame, "eligible", ["award_total"], max_col="max_award",
                        min_firms=rule.min_firms, dominance=rule.dominance)
    return _min_firms_only(frame, "eligible", ["award_total"], rule=rule)


def eligible_table(frame: pd.DataFrame, lang: str, kind: str = "size_class",
                   results: Mapping[str, Any] | None = None) -> str:
    """Eligible firms per group and their awards (:func:`eligible_cells` decides what is
    hidden)."""
    cells = eligible_cells(frame, Rule.of(results))
    div, unit = money_unit(cells.frame["award_total"].tolist(), lang)
    digits = column_digits(cells.frame["award_total"].tolist(), div)
    shown = cells.display({"award_total": lambda v: number(v / div, lang, digits)})
    out = pd.DataFrame({
        "group": [label(kind, g, lang) for g in frame["group"]],
        "firms": [number(v, lang) for v in frame["firms"]],
        "eligible": [number(v, lang) for v in frame["eligible"]],
        "share": [percent(v, lang) for v in frame["eligible_share"]],
        "award": shown["award_total"],
    })
    return _table(out, [t("report.ex_ante.col.group", lang), t("report.common.col.firms", lang),
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
    return _table(out, [t("report.ex_ante.col.dimension", lang),
                        t("report.ex_ante.col.points", lang), t("report.ex_ante.col.share", lang)],
                  ["left", "right", "right"])


def draw_power(ax, curves: Mapping[str, pd.DataFrame], outcome: str, lang: str) -> None:
    """Power against the true effect, one line per design, with the 80% line."""
    import seaborn as sns

    frames = []
    for name, frame in curves.items():
        frames.append(frame.assign(design=label_design(name, lang)))
    data = pd.concat(frames, ignore_index=True)
    is_money = outcome in MONEY_OUTCOMES
    div, unit = money_unit(data["effect"].abs().tolist(), lang) if is_money else (1.0, "")
    data = data.assign(effect=data["effect"] / div)
    sns.lineplot(data=data, x="effect", y="power", hue="design", marker="o", markersize=3, ax=ax)
    ax.axhline(0.8, color="black", linestyle=":", linewidth=0.8)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(t("report.ex_ante.axis.effect", lang, unit=unit) if is_money
                  else outcome_label(outcome, lang))
    ax.set_ylabel(t("report.ex_ante.axis.power", lang))
    ax.legend(title="", frameon=False, loc="lower right")


# ----------------------------------------------------------------------------- monitoring

def monitor_summary(results: Mapping[str, Any], anomalies: pd.DataFrame, lang: str) -> str:
    execution = pd.DataFrame(results["execution"])
    counts = execution["status"].value_counts()
    join = "、" if lang == "zh" else ", "
    lines = [t("report.monitor.summary", lang, year=md(results["year"]),
               as_of=md(results["as_of"]),
               elapsed=percent(float(execution["elapsed"].iloc[0]), lang, 0),
               n=len(execution), red=int(counts.get("red", 0)),
               amber=int(counts.get("amber", 0)), green=int(counts.get("green", 0)))]
    red = execution.loc[execution["status"] == "red", "policy_id"].tolist()
    if red:
        lines.append(t("report.monitor.red", lang, pids=join.join(md(p) for p in red)))
    if len(anomalies):
        names = results["anomalies"]["checks"]
        checks = join.join(md(names.get(c, {}).get(lang, c)) for c in
                           sorted(set(anomalies["check"])))
        lines.append(t("report.monitor.anomalies", lang, n=len(anomalies), checks=checks))
    else:
        lines.append(t("report.monitor.no_anomalies", lang))
    if results.get("interim"):
        lines.append(interim_summary(results, lang))
    return "\n\n".join(lines) + "\n"


def execution_table(execution: pd.DataFrame, lang: str,
                    results: Mapping[str, Any] | None = None) -> str:
    """Appropriation (a budget figure, always shown), amount disbursed and execution rate per
    policy; the last two are hidden when that year's recipients fail the disclosure rule
    (``results`` gives the study's rule). Status and action stay: they are the monitoring
    decision, a band of the rate rather than a firm's figure."""
    from evalkit.report.suppression import row_reasons

    rule = Rule.of(results)
    why = row_reasons(execution, rule)
    shown_amounts = (execution["appropriation"].abs().tolist()
                     + [abs(v) for v, w in zip(execution["disbursed"], why, strict=True)
                        if not w])
    div, unit = money_unit(shown_amounts, lang)
    digits = column_digits(shown_amounts, div)
    out = pd.DataFrame({
        "policy": [md(p) for p in execution["policy_id"]],
        "appropriation": [number(v / div, lang, digits) for v in execution["appropriation"]],
        "disbursed": [_hide(number(v / div, lang, digits), w)
                      for v, w in zip(execution["disbursed"], why, strict=True)],
        "rate": [_hide(percent(v, lang, 0), w)
                 for v, w in zip(execution["execution_rate"], why, strict=True)],
        "status": [label("status", s, lang) for s in execution["status"]],
        "action": [md(a) for a in execution[f"action_{lang}"]],
    })
    return _table(out, [t("report.common.col.policy", lang),
                        t("report.monitor.col.appropriation", lang, unit=unit),
                        t("report.monitor.col.disbursed", lang, unit=unit),
                        t("report.monitor.col.rate", lang), t("report.monitor.col.status", lang),
                        t("report.monitor.col.action", lang)],
                  ["left", "right", "right", "right", "left", "left"],
                  _footnote(rule, why, lang))


def burnup_note(monthly: pd.DataFrame, lang: str,
                results: Mapping[str, Any] | None = None) -> str:
    """The sentence under the burn-up chart naming the policies left out by the disclosure
    rule ('' when none)."""
    from evalkit.report.suppression import burnup_reasons

    hidden = [p for p, w in burnup_reasons(monthly, Rule.of(results)).items() if w]
    if not hidden:
        return ""
    return t("report.disclosure.fig_note", lang, pids=("、" if lang == "zh" else ", ").join(md(p) for p in hidden))


def draw_burnup(ax, monthly: pd.DataFrame, lang: str,
                results: Mapping[str, Any] | None = None) -> None:
    """Cumulative execution by month per policy (solid) and the even plan (dashed); a policy
    whose cumulative or monthly payments fail the disclosure rule is not drawn
    (:func:`evalkit.report.suppression.burnup_reasons`)."""
    import seaborn as sns

    from evalkit.report.suppression import burnup_reasons

    hidden = {p for p, w in burnup_reasons(monthly, Rule.of(results)).items() if w}
    plan = monthly.drop_duplicates("month").sort_values("month")
    monthly = monthly[~monthly["policy_id"].astype(str).isin(hidden)]
    monthly = monthly.assign(policy_id=[mpl_text(p) for p in monthly["policy_id"]])
    sns.lineplot(data=monthly, x="month", y="cumulative_rate", hue="policy_id", ax=ax,
                 linewidth=1.4)
    ax.plot(plan["month"], plan["planned_rate"], color="black", linestyle="--", linewidth=1)
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


def kpi_table(kpis: pd.DataFrame, lang: str, results: Mapping[str, Any] | None = None) -> str:
    """Targets (public) and actuals; an actual summed or averaged over firms' amounts is hidden
    when those firms fail the disclosure rule (``n_firms``/``top_share`` columns); the status
    stays (a band, and the monitoring decision)."""
    from evalkit.report.suppression import row_reasons

    rule = Rule.of(results)
    rows = kpi_rows(kpis)
    why = row_reasons(rows, rule, "n_firms")
    out = pd.DataFrame({
        "indicator": [label("indicator", k, lang) for k in rows["indicator"].astype(str)],
        "policy": [t("report.monitor.district", lang) if pd.isna(p) else md(p)
                   for p in rows["policy_id"]],
        "target": [fmt(v, lang, 1) for v in rows["target"]],
        "actual": [_hide(fmt(v, lang, 1), w) for v, w in zip(rows["actual"], why, strict=True)],
        "status": [label("status", s, lang) for s in rows["status"]],
    })
    return _table(out, [t("report.monitor.col.indicator", lang), t("report.common.col.policy", lang),
                        t("report.monitor.col.target", lang), t("report.monitor.col.actual", lang),
                        t("report.monitor.col.status", lang)],
                  ["left", "left", "right", "right", "left"], _footnote(rule, why, lang))


def technical_note(results: Mapping[str, Any], lang: str) -> str:
    """The ex-post report's technical note: the outcomes with a note, and the notes in
    ``lang``; when the only note of every such outcome is the fall-back to the pooled
    base-period level, that is said in plain words. '' without notes."""
    outs = [results["outcomes"][name] for name in outcome_order(results)]
    noted = [o for o in outs if o.get("note")]
    if not noted:
        return ""
    if all(o.get("fallback") == "pooled" and o.get("n_notes") == 1 for o in noted):
        note = t("report.ex_post.note.singular", lang)
    else:
        key = "note_zh" if lang == "zh" else "note"
        note = ("；" if lang == "zh" else "; ").join(sorted({md(o.get(key) or o["note"])
                                                             for o in noted}))
    names = ("、" if lang == "zh" else ", ").join(outcome_label(o["outcome"], lang)
                                                 for o in noted)
    return t("report.ex_post.note_covariates", lang, outcome=names, note=note)


def interim_frame(results: Mapping[str, Any]) -> pd.DataFrame:
    """One row per monitored policy: ``policy, outcome, last_year, n_firms`` (subsidised firms in
    the interim sample), the interim average effect after payment (``att``, ``conf_low``,
    ``conf_high``: the dynamic aggregation's overall effect, pointwise 95 %), the pre-trend
    test's ``p_value`` and ``rejects``, the ``conditioning`` used and ``reason_en/zh`` (why an
    effect is missing or what was left out)."""
    rows = []
    level = 95.0
    for pid in sorted(results["interim"]):
        v = results["interim"][pid]
        d, pre = v.get("dynamic"), v.get("pretrend")
        att = se = np.nan
        crit = 1.96
        if d is not None:
            att, se = as_float(d["overall_att"]), as_float(d["overall_se"])
            alp = as_float(d.get("alp", 0.05))
            crit = float(stats.norm.ppf(1 - alp / 2))
            level = 100 * (1 - alp)
        rows.append({"policy": pid, "outcome": v["outcome"], "last_year": v["last_year"],
                     "n_firms": int(sum(v["cohort_sizes"].values())), "att": att,
                     "conf_low": att - crit * se, "conf_high": att + crit * se,
                     "p_value": np.nan if pre is None else as_float(pre["p_value"]),
                     "rejects": bool(v.get("pretrend_rejects")),
                     "conditioning": v.get("conditioning"),
                     "reason_en": v.get("reason"), "reason_zh": v.get("reason_zh")})
    columns = ["policy", "outcome", "last_year", "n_firms", "att", "conf_low", "conf_high",
               "p_value", "rejects", "conditioning", "reason_en", "reason_zh"]
    return pd.DataFrame(rows, columns=columns).assign(level=level)


def interim_cells(frame: pd.DataFrame, rule: Rule | None = None):
    """The interim rows under the minimum-firms rule (the bundle records no firm shares for
    interim effects); one policy per row, no total to recover a hidden row from, so no
    secondary suppression."""
    return _min_firms_only(frame, "n_firms", ["att", "conf_low", "conf_high", "p_value"],
                           secondary=False, rule=rule)


def interim_table(results: Mapping[str, Any], lang: str) -> str:
    """The interim effects (:func:`interim_frame`), labelled interim; effects of policies with
    fewer than 3 subsidised firms in the sample are suppressed; reasons as footnotes."""
    frame = interim_frame(results)
    if frame.empty:
        return t("report.monitor.interim.none", lang) + "\n"
    cells = interim_cells(frame, Rule.of(results))
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
    def p_text(p: float) -> str:
        shown = pvalue(p, lang)
        return f"p {shown}" if shown.startswith("<") else f"p = {shown}"

    verdict = [MARK if hidden else missing if math.isnan(p) else
               t("report.monitor.interim.rejects" if r else "report.monitor.interim.passes", lang,
                 p=p_text(p))
               for p, r, hidden in zip(frame["p_value"], frame["rejects"], cells.suppressed,
                                       strict=True)]
    out = pd.DataFrame({
        "policy": [md(p) for p in frame["policy"]],
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


def interim_summary(results: Mapping[str, Any], lang: str) -> str:
    """The interim label and the policies whose pre-trend test rejects."""
    frame = interim_frame(results)
    if frame.empty:
        return t("report.monitor.interim.none", lang)
    hidden = interim_cells(frame, Rule.of(results)).suppressed.to_numpy()   # suppressed policies are not named
    bad = [md(p) for p in frame.loc[frame["rejects"].to_numpy() & ~hidden, "policy"]]
    join = "、" if lang == "zh" else ", "
    key = "report.monitor.interim.flag" if bad else "report.monitor.interim.no_flag"
    return t(key, lang, pids=join.join(bad), n=len(frame))


def anomaly_cells(results: Mapping[str, Any], anomalies: pd.DataFrame, lang: str,
                  rule: Rule | None = None):
    """Per check: findings, records and the flagged amount, under the disclosure rule on the
    firms behind the amount (``anomalies.provenance.basis``; bundles without it fall back to
    the records, at least as many as the firms). The checks add up to no published total."""
    rule = rule or Rule.of(results)
    checks = results["anomalies"]["checks"]
    basis = ((results["anomalies"].get("provenance") or {}).get("basis")) or {}
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


def anomaly_table(results: Mapping[str, Any], anomalies: pd.DataFrame, lang: str) -> str:
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


def design_statement(results: Mapping[str, Any], lang: str) -> str:
    """The ex-post report's plain-words statement of the main outcome's scale (level or
    proportional parallel trends), of the inference used and of the Ashenfelter-dip check
    (its number shown only where the disclosure rule shows the event-time -1 estimate)."""
    main = results["main_outcome"]
    ev = results["outcomes"][main]
    scale = ev.get("scale") or "level"
    text = t(f"report.ex_post.design.{scale}", lang, outcome=outcome_label(main, lang))
    opts = (ev.get("simple") or {}).get("options") or {}
    alp = as_float(opts.get("alp", 0.05))
    draws = int(opts.get("biters") or 0) if opts.get("bstrap") else 0
    boot = t("report.ex_post.design.boot", lang, draws=draws) if draws else ""
    level = f"{100 * (1 - alp):.0f}"
    sep = "" if lang == "zh" else " "
    text += sep + t("report.ex_post.design.inference", lang, level=level, boot=boot)
    dip = ev.get("dip")
    from evalkit.report.suppression import event_reasons

    if dip and event_reasons(results, [-1], Rule.of(results))[-1] is None:   # disclosure
        key = "report.ex_post.design.dip" if dip.get("detected") else "report.ex_post.design.no_dip"
        pv = pvalue(dip["p_value"], lang)
        text += sep + t(key, lang, outcome=outcome_label(main, lang),
                        est=outcome_amount(main, as_float(dip["estimate"]), lang),
                        p=f"p {pv}" if pv.startswith("<") else f"p = {pv}")
    return text
