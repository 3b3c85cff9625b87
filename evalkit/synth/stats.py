"""Descriptive statistics of a synthetic district (the tables of ``data/SYNTH.md``).

Regenerate the tables of ``data/SYNTH.md`` with::

    .venv/bin/python -m evalkit.synth.stats --firms 20000 --start 2016 --end 2025 --seed 7

Money in the tables is in CNY million (``subsidy_totals`` with two decimals) unless a column
says otherwise.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from evalkit.io.schemas import AREAS, CLUSTERS, SIZE_CLASSES
from evalkit.synth.district import District

MILLION = 1e6


def district_statistics(d: District) -> dict[str, pd.DataFrame]:
    """Tables describing the district, by name (each a DataFrame with a plain index)."""
    firms, fy = d.firms, d.firm_years
    out: dict[str, pd.DataFrame] = {}

    ct = pd.crosstab(firms["cluster"].astype(str), firms["size_class"].astype(str))
    ct = ct.reindex(index=list(CLUSTERS), columns=list(SIZE_CLASSES), fill_value=0)
    ct["total"] = ct.sum(axis=1)
    ct.loc["total"] = ct.sum(axis=0)
    out["firms_by_cluster_size"] = ct.rename_axis("cluster").reset_index()

    area = firms["area"].astype(str).value_counts().reindex(list(AREAS), fill_value=0)
    out["firms_by_area"] = pd.DataFrame({
        "area": area.index, "firms": area.to_numpy(),
        "share_percent": np.round(100 * area.to_numpy() / len(firms), 1)})

    reg = firms.set_index("firm_id")["year_registered"]
    ex = firms.set_index("firm_id")["year_exited"]
    years = np.sort(fy["year"].unique())
    g = fy.groupby("year")
    panel = pd.DataFrame({
        "year": years,
        "active_firms": g.size().reindex(years).to_numpy(),
        "entrants": [int((reg == y).sum()) for y in years],
        "exits": [int((ex == y).sum()) for y in years],
        "high_tech": g["high_tech"].sum().reindex(years).to_numpy(),
        "listed": g["listed"].sum().reindex(years).to_numpy(),
        "headquarters": g["headquarters"].sum().reindex(years).to_numpy(),
        "revenue_bn": np.round(g["revenue"].sum().reindex(years).to_numpy() / 1e9, 1),
        "tax_bn": np.round(g["tax_paid"].sum().reindex(years).to_numpy() / 1e9, 2),
        "rd_bn": np.round(g["rd_expense"].sum().reindex(years).to_numpy() / 1e9, 2),
        "invention_patents": g["invention_patents"].sum().reindex(years).to_numpy(),
        "pct_applications": g["pct_applications"].sum().reindex(years).to_numpy(),
    })
    out["panel_by_year"] = panel

    qs = (0.10, 0.25, 0.50, 0.75, 0.90, 0.99)
    q = g["revenue"].quantile(list(qs)).unstack().reindex(years)
    rq = pd.DataFrame({"year": years})
    for p in qs:
        rq[f"p{round(p * 100):d}"] = np.round(q[p].to_numpy() / MILLION, 2)
    rq["mean"] = np.round(g["revenue"].mean().reindex(years).to_numpy() / MILLION, 2)
    out["revenue_quantiles"] = rq

    led = d.disbursements
    pol = list(d.policies["policy_id"].astype(str))
    led_year = led["date"].astype(str).str[:4].astype(int)
    tot = led.groupby([led["policy_id"].astype(str), led_year])["amount"].sum().unstack(
        fill_value=0.0)
    paid_years = [y for y in years if y >= int(led_year.min())] if len(led) else []
    tot = tot.reindex(index=pol, columns=paid_years, fill_value=0.0)
    tot["total"] = tot.sum(axis=1)
    tot.loc["total"] = tot.sum(axis=0)
    tot = np.round(tot / MILLION, 2)
    tot.columns = [str(c) for c in tot.columns]
    out["subsidy_totals"] = tot.rename_axis("policy_id").reset_index()

    bud = d.budgets.pivot(index="policy_id", columns="year", values="appropriation")
    spent = led.groupby([led["policy_id"].astype(str), led_year])["amount"].sum().unstack()
    bud.index = bud.index.astype(str)
    ex_rate = (100 * spent.reindex_like(bud).fillna(0.0) / bud).round(1)
    ex_rate = ex_rate.reindex(index=pol)
    ex_rate.columns = [str(c) for c in ex_rate.columns]
    out["budget_execution_percent"] = ex_rate.rename_axis("policy_id").reset_index()

    t = d.truth["policies"]
    out["policies_truth"] = pd.DataFrame({
        "policy_id": pol,
        "awarded_firms": [t[p]["n_treated"] for p in pol],
        "committed_m": [round(t[p]["fiscal"]["subsidy_committed"] / MILLION, 2) for p in pol],
        "disbursed_m": [round(t[p]["fiscal"]["subsidy_disbursed"] / MILLION, 2) for p in pol],
        "att_revenue_m": [round(t[p]["att_overall"]["revenue"] / MILLION, 3) for p in pol],
        "att_rd_expense_m": [round(t[p]["att_overall"]["rd_expense"] / MILLION, 3) for p in pol],
        "att_employees": [round(t[p]["att_overall"]["employees"], 2) for p in pol],
        "true_fiscal_return": [None if t[p]["fiscal"]["fiscal_return"] is None
                               else round(t[p]["fiscal"]["fiscal_return"], 3) for p in pol],
    })
    return out


def _cell(v) -> str:
    if v is None or (isinstance(v, float | np.floating) and np.isnan(v)):
        return ""
    if isinstance(v, float | np.floating):
        return f"{float(v):.2f}"
    if isinstance(v, int | np.integer):
        return str(int(v))
    return str(v)


def to_markdown(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured markdown table of ``frame`` (no index)."""
    head = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    sep = "|" + "|".join(" --- " for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |"
            for row in frame.itertuples(index=False, name=None)]
    return "\n".join([head, sep, *body])


def statistics_markdown(d: District) -> str:
    """Every table of :func:`district_statistics` as markdown, each under ``### <name>``."""
    parts = []
    for name, frame in district_statistics(d).items():
        parts.append(f"### {name}\n\n{to_markdown(frame)}\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    from evalkit.synth.district import synthesize_district

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, default=20000)
    ap.add_argument("--start", type=int, default=2016)
    ap.add_argument("--end", type=int, default=2025)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    d = synthesize_district(n_firms=a.firms, start=a.start, end=a.end, seed=a.seed)
    print(statistics_markdown(d))


if __name__ == "__main__":
    main()
