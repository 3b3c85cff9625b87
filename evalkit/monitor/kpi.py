"""Performance-target tracking (绩效目标实现程度, the other half of 双监控) and the district KPI tracker.

Every row of ``kpi_targets`` that the firm data can measure gets an **actual** value in the
monitored year (or the latest year with data) and the value its **trajectory** expects then:

* level indicators (``high_tech_enterprises`` = certified firms, ``pct_applications`` = PCT
  applications in the year): the linear path from the baseline (``baseline`` in ``baseline_year``)
  to the target in ``target_year``;
* cumulative counts (``new_listed_firms``, ``new_regional_headquarters``: firms first listed /
  first recognised as headquarters after the baseline year; ``firms_supported`` = distinct firms
  paid by the policy up to as_of): the linear path from 0 at the baseline (for policies: the year
  before the policy's first payment) to the target, counting the elapsed share of the current year;
* growth rates (``percent a year``: cluster revenue growth ``*_growth`` since the baseline year as a
  compound annual rate; for policies ``<outcome>_growth_supported_firms`` = mean year-on-year growth
  of the outcome summed over the firms the policy has paid, from the year after its first payment):
  the target rate itself;
* ``budget_execution_rate`` (policy): cumulative disbursed / appropriated over completed years.

Shortfall = ``1 - actual / expected`` (levels, counts, rates); status green / amber / red by the
study's thresholds; indicators the data cannot measure are listed with the reason.

Disclosure basis (for the report, :mod:`evalkit.report.suppression`): an actual summed or averaged
over firms' amounts (PCT applications, cluster revenue, supported firms' growth, the policy's
payments) carries ``n_firms`` and ``top_share`` (:func:`evalkit.disclosure.firm_basis` of
the amounts it is computed from); counts of firms carry none (NaN): a count is not a firm's
figure.

Projection to the target year (levels and counts): OLS trend of the annual series since the
baseline year (log-linear for levels, linear for cumulative counts) with its 1 - alpha **prediction**
interval (statsmodels ``get_prediction(...).summary_frame``); growth indicators project the cluster
revenue the same way and convert to the implied compound rate since the baseline year.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import statsmodels.api as sm

from evalkit.disclosure import firm_basis
from evalkit.monitor.execution import ACTIONS, parse_as_of, rate_status, year_elapsed
from evalkit.panel.growth import historical_growth
from evalkit.synth.targets import GROWTH_TARGETS, MODERN_SERVICES

__all__ = ["GROWTH_CLUSTERS", "project_series", "track_kpis"]

#: Growth indicators of the seed plan and the clusters whose revenue they measure.
GROWTH_CLUSTERS = {ind: (MODERN_SERVICES if cl == "modern_services" else (cl,))
                   for ind, cl, _ in GROWTH_TARGETS}
LEVEL_FLAGS = {"high_tech_enterprises": ("high_tech", "count"),
               "pct_applications": ("pct_applications", "sum")}
NEW_FLAGS = {"new_listed_firms": "listed", "new_regional_headquarters": "headquarters"}


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


def _row(t, **kw) -> dict:
    base = {"indicator": str(t.indicator), "level": str(t.level),
            "policy_id": None if pd.isna(t.policy_id) else str(t.policy_id), "unit": str(t.unit),
            "target": float(t.target), "target_year": int(t.target_year),
            "baseline": None if pd.isna(t.baseline) else float(t.baseline),
            "baseline_year": None if pd.isna(t.baseline_year) else int(t.baseline_year),
            "measured": True, "actual": np.nan, "actual_year": None, "expected": np.nan,
            "shortfall": np.nan, "status": None, "action_zh": None, "action_en": None,
            "projected": np.nan, "projected_low": np.nan, "projected_high": np.nan,
            "projected_meets_target": None, "note": None, "n_firms": np.nan,
            "top_share": np.nan}
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
               red: float = 0.20, policies: list[str] | None = None, alpha: float = 0.05
               ) -> tuple[pd.DataFrame, dict[str, dict[int, float]]]:
    """Track every KPI target (module doc). Returns (table, annual series by indicator key)."""
    cut: date = parse_as_of(as_of)
    frac = year_elapsed(cut)
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
        kind, s, basis = None, None, {}
        if pid is None and ind in LEVEL_FLAGS:
            col, how = LEVEL_FLAGS[ind]
            g = fy.groupby("year")[col]
            s = (g.apply(lambda v: int(v.astype("boolean").fillna(False).sum())) if how == "count"
                 else g.sum()).astype(float)
            kind = "level"
            if how == "sum":
                now_rows = fy.loc[fy["year"] == min(int(year), int(s.dropna().index.max()))
                                  ] if len(s.dropna()) else fy.iloc[:0]
                basis = _basis(now_rows, col)
        elif pid is None and ind in NEW_FLAGS:
            first = _first_year_true(fy, NEW_FLAGS[ind])
            b_year = int(t.baseline_year) if not pd.isna(t.baseline_year) else int(t.target_year) - 5
            years = range(b_year, last_year + 1)
            s = pd.Series({y: float(((first > b_year) & (first <= y)).sum()) for y in years})
            kind = "count"
        elif pid is None and ind in GROWTH_CLUSTERS:
            sub = fy.merge(firms[["firm_id", "cluster"]], on="firm_id")
            sub = sub.loc[sub["cluster"].isin(GROWTH_CLUSTERS[ind])]
            s = sub.groupby("year")["revenue"].sum().astype(float)
            kind = "growth"
            basis = _basis(sub, "revenue")
        elif pid is not None and ind == "firms_supported":
            mine = led.loc[led["policy_id"] == pid]
            first = mine.assign(y=led_year[mine.index]).groupby("firm_id")["y"].min()
            if first.empty:
                rows.append(_row(t, measured=False, note="the policy has no payments yet"))
                continue
            y0 = int(first.min())
            s = pd.Series({y: float((first <= y).sum()) for y in range(y0, int(year) + 1)})
            kind = "policy_count"
        elif pid is not None and ind == "budget_execution_rate":
            b = tables["budgets"]
            b = b.loc[(b["policy_id"] == pid) & (b["year"] < int(year))]
            paid = led.loc[(led["policy_id"] == pid) & (led_year < int(year)), "amount"].sum()
            if b.empty or b["appropriation"].sum() <= 0:
                rows.append(_row(t, measured=False, note="no completed budget year"))
                continue
            actual = 100.0 * float(paid) / float(b["appropriation"].sum())
            sf = 1.0 - actual / float(t.target)
            st = rate_status(sf, amber, red)
            rows.append(_row(t, **_basis(led.loc[(led["policy_id"] == pid)
                                                 & (led_year < int(year))], "amount"),
                             actual=actual, actual_year=int(year) - 1, expected=float(t.target),
                             shortfall=sf, status=st, action_zh=ACTIONS[st][0],
                             action_en=ACTIONS[st][1], note="completed years up to "
                             f"{int(year) - 1}"))
            continue
        elif pid is not None and ind.endswith("_growth_supported_firms"):
            outcome = ind.removesuffix("_growth_supported_firms")
            mine = led.loc[led["policy_id"] == pid]
            if mine.empty or outcome not in fy.columns:
                rows.append(_row(t, measured=False, note="no supported firms or no such outcome"))
                continue
            y0 = int(led_year[mine.index].min())
            hist = historical_growth(fy, mine["firm_id"].unique(), outcome)
            hist = hist[hist.index > y0]
            series[key] = {int(k): float(v) for k, v in hist.items()}
            if hist.empty:
                rows.append(_row(t, measured=False, note="no full year after the first payment"))
                continue
            actual = float(hist.mean())
            target = float(t.target)
            sf = 1.0 - actual / target if target > 0 else np.nan
            st = rate_status(sf, amber, red)
            paid = fy.loc[fy["firm_id"].isin(mine["firm_id"].unique())
                          & (fy["year"] >= int(hist.index.min()) - 1)
                          & (fy["year"] <= int(hist.index.max()))]
            rows.append(_row(t, **_basis(paid, outcome), actual=actual, actual_year=int(hist.index.max()), expected=target,
                             shortfall=sf, status=st, action_zh=ACTIONS[st][0],
                             action_en=ACTIONS[st][1],
                             note=f"mean year-on-year growth {int(hist.index.min())}-"
                                  f"{int(hist.index.max())}"))
            continue
        else:
            rows.append(_row(t, measured=False, note="not measurable from firm_years and the "
                                                     "ledger"))
            continue
        s = s.dropna().sort_index()
        if s.empty:
            rows.append(_row(t, measured=False, note="no data up to the monitoring year"))
            continue
        series[key] = {int(k): float(v) for k, v in s.items()}
        target, t_year = float(t.target), int(t.target_year)
        now_year = min(int(year), int(s.index.max()))
        actual = float(s.loc[now_year])
        if kind == "growth":
            b_year = int(t.baseline_year) if not pd.isna(t.baseline_year) else int(s.index.min())
            if b_year not in s.index or now_year <= b_year:
                rows.append(_row(t, measured=False, note="no revenue in the baseline year"))
                continue
            base_rev = float(s.loc[b_year])
            rate = 100.0 * ((actual / base_rev) ** (1.0 / (now_year - b_year)) - 1.0)
            sf = 1.0 - rate / target if target > 0 else np.nan
            proj = project_series(s.loc[s.index >= b_year], t_year, log=True, alpha=alpha)
            p = None if proj is None else tuple(
                100.0 * ((v / base_rev) ** (1.0 / (t_year - b_year)) - 1.0) for v in proj)
            st = rate_status(sf, amber, red)
            rows.append(_row(t, **basis, actual=rate, actual_year=now_year, expected=target,
                             shortfall=sf,
                             status=st, action_zh=ACTIONS[st][0], action_en=ACTIONS[st][1],
                             projected=np.nan if p is None else p[0],
                             projected_low=np.nan if p is None else p[1],
                             projected_high=np.nan if p is None else p[2],
                             projected_meets_target=None if p is None else bool(p[0] >= target),
                             note=f"compound growth of cluster revenue since {b_year}"))
            continue
        if kind == "policy_count":
            b_year, baseline = float(s.index.min()) - 1.0, 0.0
            now = (float(now_year) - 1.0 + frac) if now_year == cut.year else float(now_year)
            expected = _linear_expected(baseline, target, b_year, t_year, now)
        else:
            b_year = float(t.baseline_year) if not pd.isna(t.baseline_year) else float(s.index.min())
            baseline = float(t.baseline) if not pd.isna(t.baseline) else float(s.loc[int(b_year)])
            expected = _linear_expected(baseline, target, b_year, t_year, float(now_year))
        sf = 1.0 - actual / expected if expected > 0 else np.nan
        st = rate_status(sf, amber, red)
        fit_from = s.loc[s.index >= (int(b_year) if kind != "policy_count" else s.index.min())]
        proj = project_series(fit_from, t_year, log=(kind == "level"), alpha=alpha)
        rows.append(_row(t, **basis, actual=actual, actual_year=now_year, expected=expected,
                         shortfall=sf, status=st, action_zh=ACTIONS[st][0], action_en=ACTIONS[st][1],
                         projected=np.nan if proj is None else proj[0],
                         projected_low=np.nan if proj is None else proj[1],
                         projected_high=np.nan if proj is None else proj[2],
                         projected_meets_target=None if proj is None else bool(proj[0] >= target)))
    return pd.DataFrame(rows), series
