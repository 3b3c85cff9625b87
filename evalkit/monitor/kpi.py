"""Performance-target tracking (绩效目标实现程度, the other half of 双监控) and the district KPI tracker.

What each indicator means is reference data, not code: ``data/kpi_indicators.csv`` (read through
:func:`evalkit.reference.load_kpi_indicators`; a district gives its own table in the same format
through the monitoring study's ``indicators``) says, per indicator key of ``kpi_targets``, how it
is measured (``measure``), from which firm-year column (``source``), over which industry clusters
(``clusters``, empty: all firms), its unit and whether higher or lower is better (``direction``).
A target whose indicator the table does not define, or whose column the data lack, is listed as
not measured with the reason.

Every measurable row of ``kpi_targets`` gets an **actual** value in the monitored year (or the
latest year with data) and the value its **trajectory** expects then:

* ``count_true`` (firms with a flag true, e.g. certified high-tech firms) and ``sum`` (a column
  summed over firms, e.g. PCT applications in the year): the linear path from the baseline
  (``baseline`` in ``baseline_year``) to the target in ``target_year``;
* cumulative counts (``new_true``: firms whose flag first turned true after the baseline year;
  ``policy_firms`` = distinct firms paid by the policy up to as_of): the linear path from 0 at the
  baseline (for policies: the year before the policy's first payment) to the target, counting the
  elapsed share of the current year;
* growth rates (``cluster_growth``: the clusters' summed ``source`` since the baseline year as a
  compound annual rate; ``supported_growth``: mean year-on-year growth of ``source`` summed over
  the firms the policy has paid, from the year after its first payment): the target rate itself;
* ``policy_execution``: disbursed / appropriated over the policy's completed budget years.

Shortfall = ``1 - actual / expected`` for indicators where higher is better, ``actual / expected
- 1`` where lower is better; status green / amber / red by the study's thresholds. Actions follow
the deviation: a missed performance target is corrected (amber) and then funding is suspended
(red) (:data:`TARGET_ACTIONS`); the budget execution rate is a spending indicator and takes the
spending actions of :mod:`evalkit.monitor.execution` (urge, then reduce or recover idle funds), and
a rate above 100 % (spent more than appropriated) is red with the overspending action. Every row
names its ``period`` (the year or years its actual covers) and carries the indicator's names and
units (``name_zh``, ``name_en``, ``unit_zh``, ``unit_en``) from the reference table.

Disclosure basis (for the report, :mod:`evalkit.report.suppression`): an actual summed or averaged
over firms' amounts (PCT applications, cluster revenue, supported firms' growth, the policy's
payments) carries ``n_firms`` and ``top_share`` (:func:`evalkit.disclosure.firm_basis` of
the amounts it is computed from); counts of firms carry none (NaN): a count is not a firm's
figure.

Projection to the target year (levels and counts): OLS trend of the annual series since the
baseline year (log-linear for levels, linear for cumulative counts) with its 1 - alpha **prediction**
interval (statsmodels ``get_prediction(...).summary_frame``); growth indicators project the summed
series the same way and convert to the implied compound rate since the baseline year.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import statsmodels.api as sm

from evalkit.disclosure import firm_basis
from evalkit.i18n import Message
from evalkit.monitor.execution import parse_as_of, rate_status, spending_action, year_elapsed
from evalkit.panel.growth import historical_growth
from evalkit.reference import load_kpi_indicators

__all__ = ["TARGET_ACTIONS", "project_series", "target_action", "track_kpis"]

#: Missed performance targets: (key, its text) by status.
TARGET_ACTIONS = {"green": ("continue", Message("monitor.action.continue")),
                  "amber": ("correct", Message("monitor.action.correct")),
                  "red": ("suspend", Message("monitor.action.suspend"))}


def target_action(status: str) -> dict[str, str]:
    """``action, action_zh, action_en`` for a performance-target status (module doc)."""
    key, text = TARGET_ACTIONS[status]
    return {"action": key, "action_zh": text.zh, "action_en": text.en}


def _shortfall(actual: float, expected: float, direction: str) -> float:
    """How far ``actual`` falls behind ``expected`` as a share (module doc); NaN if
    ``expected`` is not positive."""
    if not expected > 0:
        return np.nan
    return actual / expected - 1.0 if direction == "lower" else 1.0 - actual / expected


def _years(first: int, last: int) -> str:
    """The years an actual covers: ``"2024"`` or ``"2021-2024"``."""
    return str(last) if first == last else f"{first}-{last}"


def _meets(value: float, target: float, direction: str) -> bool:
    return bool(value <= target) if direction == "lower" else bool(value >= target)


def project_series(series: pd.Series, target_year: int, log: bool, alpha: float = 0.05
                   ) -> tuple[float, float, float] | None:
    """(prediction, low, high) of a trend regression of ``series`` (indexed by year) at
    ``target_year``; None with fewer than 3 usable points."""
    s = series.dropna()
    if log:
        s = s[s > 0]
    if len(s) < 3:
        return None
    x = sm.add_constant(s.index.to_numpy(dtype=float))
    y = np.log(s.to_numpy(dtype=float)) if log else s.to_numpy(dtype=float)
    fit = sm.OLS(y, x).fit()
    frame = fit.get_prediction(np.array([[1.0, float(target_year)]])).summary_frame(alpha=alpha)
    vals = (float(frame["mean"].iloc[0]), float(frame["obs_ci_lower"].iloc[0]),
            float(frame["obs_ci_upper"].iloc[0]))
    return tuple(np.exp(vals)) if log else vals  # type: ignore[return-value]


def _first_year_true(fy: pd.DataFrame, col: str) -> pd.Series:
    """First year each firm has ``col`` true (firms never true absent)."""
    flag = fy[col].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return fy.loc[flag].groupby("firm_id")["year"].min()


def _row(t, d=None, **kw) -> dict:
    """One output row for target ``t`` and its definition ``d`` (None: not defined)."""
    base = {"indicator": str(t.indicator), "level": str(t.level),
            "policy_id": None if pd.isna(t.policy_id) else str(t.policy_id), "unit": str(t.unit),
            "target": float(t.target), "target_year": int(t.target_year),
            "baseline": None if pd.isna(t.baseline) else float(t.baseline),
            "baseline_year": None if pd.isna(t.baseline_year) else int(t.baseline_year),
            "measured": True, "actual": np.nan, "actual_year": None, "expected": np.nan,
            "shortfall": np.nan, "status": None, "action_zh": None, "action_en": None,
            "projected": np.nan, "projected_low": np.nan, "projected_high": np.nan,
            "projected_meets_target": None, "note": None, "n_firms": np.nan,
            "top_share": np.nan, "period": None, "action": None,
            "name_zh": str(t.indicator) if d is None else d["name_zh"],
            "name_en": str(t.indicator) if d is None else d["name_en"],
            "unit_zh": str(t.unit) if d is None else d["unit_zh"],
            "unit_en": str(t.unit) if d is None else d["unit_en"],
            "direction": "higher" if d is None else d["direction"]}
    base.update(kw)
    return base


def _basis(rows: pd.DataFrame, col: str) -> dict:
    """``n_firms`` and ``top_share`` of an actual computed from ``rows[col]``."""
    b = firm_basis(pd.to_numeric(rows[col], errors="coerce"), rows["firm_id"].astype(str).tolist())
    return {"n_firms": b["n"], "top_share": b["top_share"]}


def _linear_expected(baseline: float, target: float, b_year: float, t_year: int, now: float
                     ) -> float:
    if t_year <= b_year:
        return target
    return baseline + (target - baseline) * min(1.0, (now - b_year) / (t_year - b_year))


def track_kpis(tables: dict[str, pd.DataFrame], year: int, as_of: str, amber: float = 0.10,
               red: float = 0.20, policies: list[str] | None = None, alpha: float = 0.05,
               indicators: pd.DataFrame | None = None
               ) -> tuple[pd.DataFrame, dict[str, dict[int, float]]]:
    """Track every KPI target (module doc). ``indicators``: the definitions
    (:func:`evalkit.reference.load_kpi_indicators`; default ``data/kpi_indicators.csv``).
    Returns (table, annual series by indicator key)."""
    cut: date = parse_as_of(as_of)
    frac = year_elapsed(cut)
    defs = (load_kpi_indicators() if indicators is None else indicators).set_index("indicator")
    fy = tables["firm_years"].loc[tables["firm_years"]["year"] <= int(year)]
    firms = tables["firms"]
    led = tables["disbursements"]
    led_date = pd.to_datetime(led["date"], errors="coerce")
    led = led.loc[led_date <= pd.Timestamp(cut)]
    led_year = led_date[led_date <= pd.Timestamp(cut)].dt.year
    last_year = int(fy["year"].max())
    targets = tables["kpi_targets"]
    if policies:
        targets = targets.loc[targets["policy_id"].isna() | targets["policy_id"].isin(policies)]
    rows, series = [], {}
    for t in targets.itertuples(index=False):
        ind, pid = str(t.indicator), (None if pd.isna(t.policy_id) else str(t.policy_id))
        key = ind if pid is None else f"{pid}:{ind}"
        if ind not in defs.index:
            rows.append(_row(t, measured=False, note="indicator not defined in the indicator "
                                                     "table (kpi_indicators.csv)"))
            continue
        d = defs.loc[ind]
        measure, src, direction = d["measure"], d["source"], d["direction"]
        if (d["level"] == "policy") != (pid is not None):
            rows.append(_row(t, d, measured=False, note=f"a {d['level']} indicator given "
                                                        f"{'with' if pid else 'without'} a policy"))
            continue
        kind, s, basis = None, None, {}
        if d["level"] == "district":
            sub = fy
            if d["clusters"]:
                if "cluster" not in firms.columns:
                    rows.append(_row(t, d, measured=False, note="firms have no cluster column"))
                    continue
                sub = fy.merge(firms[["firm_id", "cluster"]], on="firm_id")
                sub = sub.loc[sub["cluster"].isin(d["clusters"])]
            if src not in sub.columns:
                rows.append(_row(t, d, measured=False, note=f"firm_years has no column {src}"))
                continue
        if measure in ("count_true", "sum"):
            g = sub.groupby("year")[src]
            s = (g.apply(lambda v: int(v.astype("boolean").fillna(False).sum()))
                 if measure == "count_true" else g.sum()).astype(float)
            kind = "level"
            if measure == "sum":
                now_rows = sub.loc[sub["year"] == min(int(year), int(s.dropna().index.max()))
                                   ] if len(s.dropna()) else sub.iloc[:0]
                basis = _basis(now_rows, src)
        elif measure == "new_true":
            first = _first_year_true(sub, src)
            b_year = int(t.baseline_year) if not pd.isna(t.baseline_year) else int(t.target_year) - 5
            years = range(b_year, last_year + 1)
            s = pd.Series({y: float(((first > b_year) & (first <= y)).sum()) for y in years})
            kind = "count"
        elif measure == "cluster_growth":
            s = sub.groupby("year")[src].sum().astype(float)
            kind = "growth"
            basis = _basis(sub, src)
        elif measure == "policy_firms":
            mine = led.loc[led["policy_id"] == pid]
            first = mine.assign(y=led_year[mine.index]).groupby("firm_id")["y"].min()
            if first.empty:
                rows.append(_row(t, d, measured=False, note="the policy has no payments yet"))
                continue
            y0 = int(first.min())
            s = pd.Series({y: float((first <= y).sum()) for y in range(y0, int(year) + 1)})
            kind = "policy_count"
        elif measure == "policy_execution":
            b = tables["budgets"]
            b = b.loc[(b["policy_id"] == pid) & (b["year"] < int(year))]
            if b.empty or b["appropriation"].sum() <= 0:
                rows.append(_row(t, d, measured=False, note="no completed budget year"))
                continue
            b_years = b["year"].astype(int)
            mine = led.loc[(led["policy_id"] == pid) & led_year.isin(set(b_years))]
            actual = 100.0 * float(mine["amount"].sum()) / float(b["appropriation"].sum())
            sf = _shortfall(actual, float(t.target), direction)
            overspent = actual > 100.0
            st = "red" if overspent else rate_status(sf, amber, red)
            period = _years(int(b_years.min()), int(b_years.max()))
            rows.append(_row(t, d, **_basis(mine, "amount"), actual=actual,
                             actual_year=int(b_years.max()), expected=float(t.target),
                             shortfall=sf, status=st, **spending_action(st, overspent),
                             period=period,
                             note=("disbursed more than appropriated in " if overspent
                                   else "completed budget years ") + period))
            continue
        elif measure == "supported_growth":
            mine = led.loc[led["policy_id"] == pid]
            if mine.empty or src not in fy.columns:
                rows.append(_row(t, d, measured=False,
                                 note="no supported firms or no such outcome"))
                continue
            y0 = int(led_year[mine.index].min())
            hist = historical_growth(fy, mine["firm_id"].unique(), src)
            hist = hist[hist.index > y0]
            series[key] = {int(k): float(v) for k, v in hist.items()}
            if hist.empty:
                rows.append(_row(t, d, measured=False,
                                 note="no full year after the first payment"))
                continue
            actual = float(hist.mean())
            target = float(t.target)
            sf = _shortfall(actual, target, direction)
            st = rate_status(sf, amber, red)
            paid = fy.loc[fy["firm_id"].isin(mine["firm_id"].unique())
                          & (fy["year"] >= int(hist.index.min()) - 1)
                          & (fy["year"] <= int(hist.index.max()))]
            period = _years(int(hist.index.min()), int(hist.index.max()))
            rows.append(_row(t, d, **_basis(paid, src), actual=actual,
                             actual_year=int(hist.index.max()), expected=target, shortfall=sf,
                             status=st, **target_action(st), period=period,
                             note=f"mean year-on-year growth {period}"))
            continue
        s = s.dropna().sort_index()
        if s.empty:
            rows.append(_row(t, d, measured=False, note="no data up to the monitoring year"))
            continue
        series[key] = {int(k): float(v) for k, v in s.items()}
        target, t_year = float(t.target), int(t.target_year)
        now_year = min(int(year), int(s.index.max()))
        actual = float(s.loc[now_year])
        if kind == "growth":
            b_year = int(t.baseline_year) if not pd.isna(t.baseline_year) else int(s.index.min())
            if b_year not in s.index or now_year <= b_year or not s.loc[b_year] > 0:
                rows.append(_row(t, d, measured=False, note="no data in the baseline year"))
                continue
            base_rev = float(s.loc[b_year])
            rate = 100.0 * ((actual / base_rev) ** (1.0 / (now_year - b_year)) - 1.0)
            sf = _shortfall(rate, target, direction)
            proj = project_series(s.loc[s.index >= b_year], t_year, log=True, alpha=alpha)
            p = None if proj is None else tuple(
                100.0 * ((v / base_rev) ** (1.0 / (t_year - b_year)) - 1.0) for v in proj)
            st = rate_status(sf, amber, red)
            rows.append(_row(t, d, **basis, actual=rate, actual_year=now_year, expected=target,
                             shortfall=sf, status=st, **target_action(st),
                             period=_years(b_year, now_year),
                             projected=np.nan if p is None else p[0],
                             projected_low=np.nan if p is None else p[1],
                             projected_high=np.nan if p is None else p[2],
                             projected_meets_target=None if p is None
                             else _meets(p[0], target, direction),
                             note=f"compound growth of {src} since {b_year}"))
            continue
        if kind == "policy_count":
            b_year, baseline = float(s.index.min()) - 1.0, 0.0
            now = (float(now_year) - 1.0 + frac) if now_year == cut.year else float(now_year)
            expected = _linear_expected(baseline, target, b_year, t_year, now)
            period = (f"{int(s.index.min())}-01-01/{cut.isoformat()}" if now_year == cut.year
                      else f"{int(s.index.min())}-{now_year}")
        else:
            b_year = float(t.baseline_year) if not pd.isna(t.baseline_year) else float(s.index.min())
            baseline = float(t.baseline) if not pd.isna(t.baseline) else float(s.loc[int(b_year)])
            expected = _linear_expected(baseline, target, b_year, t_year, float(now_year))
            period = str(now_year) if kind == "level" else _years(int(b_year) + 1, now_year)
        sf = _shortfall(actual, expected, direction)
        st = rate_status(sf, amber, red)
        fit_from = s.loc[s.index >= (int(b_year) if kind != "policy_count" else s.index.min())]
        proj = project_series(fit_from, t_year, log=(kind == "level"), alpha=alpha)
        rows.append(_row(t, d, **basis, actual=actual, actual_year=now_year, expected=expected,
                         shortfall=sf, status=st, **target_action(st), period=period,
                         projected=np.nan if proj is None else proj[0],
                         projected_low=np.nan if proj is None else proj[1],
                         projected_high=np.nan if proj is None else proj[2],
                         projected_meets_target=None if proj is None
                         else _meets(proj[0], target, direction)))
    return pd.DataFrame(rows), series
