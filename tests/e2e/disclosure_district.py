"""A synthetic district whose ledger leaves four policies with few or dominated recipients, for
the disclosure tests (issue 18, item 10): P01 keeps 1 recipient, P02 2, P03 3 and P04 all of
its recipients with one firm holding 91 % of the money paid. Built with :mod:`evalkit.synth`,
then run through the stages' own code path (``run_study``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import yaml

DEMO_STUDIES = Path(__file__).resolve().parents[2] / "studies" / "demo"
KEEP = {"P01": 1, "P02": 2, "P03": 3}
DOMINATED = "P04"
DOMINANT_SHARE = 0.91
MONITOR_YEAR, AS_OF = 2025, "2025-07-31"


def small_ledger(ledger: pd.DataFrame) -> pd.DataFrame:
    """The ledger with P01-P03 cut to 1, 2, 3 recipients (the firms paid most often, at least
    one of them paid in the monitored year before the as-of date) and one P04 firm scaled up to
    hold 91 % of P04's payments."""
    led = ledger.copy()
    dates = pd.to_datetime(led["date"])
    in_year = (dates.dt.year == MONITOR_YEAR) & (dates <= pd.Timestamp(AS_OF))
    keep = pd.Series(True, index=led.index)
    for pid, k in KEEP.items():
        mine = led["policy_id"] == pid
        counts = led.loc[mine].groupby("firm_id").size()
        paid_now = set(led.loc[mine & in_year, "firm_id"])
        order = sorted(counts.index, key=lambda f: (f not in paid_now, -counts[f], f))
        keep &= ~mine | led["firm_id"].isin(order[:k])
    led = led.loc[keep].copy()
    mine = led["policy_id"] == DOMINATED
    per_firm = led.loc[mine].groupby("firm_id")["amount"].sum()
    paid_now = set(led.loc[mine & in_year.loc[led.index], "firm_id"])
    big = sorted(per_firm.index, key=lambda f: (f not in paid_now, f))[0]
    rest = float(per_firm.drop(big).sum())
    factor = DOMINANT_SHARE / (1 - DOMINANT_SHARE) * rest / float(per_firm[big])
    rows = mine & (led["firm_id"] == big)
    led.loc[rows, "amount"] = (led.loc[rows, "amount"] * factor).round(2)
    return led.reset_index(drop=True)


def build(out: Path, n_firms: int = 1500, bootstrap: int = 0) -> dict[str, Path]:
    """Synthesize, edit the ledger, ingest and run the ex-post studies of P01-P04, monitoring
    and the portfolio; returns the bundle folders by name."""
    from evalkit.io import ingest_dir
    from evalkit.stages.run import run_study
    from evalkit.synth import synthesize_district, write_district

    d = synthesize_district(n_firms=n_firms, seed=7)
    d = dataclasses.replace(d, disbursements=small_ledger(d.disbursements))
    write_district(d, out / "data", dirty=False, seed=7)
    store = out / "warehouse.duckdb"
    ingest_dir(out / "data", store=store)
    studies, bundles = out / "studies", out / "bundles"
    studies.mkdir()
    done = {}

    def run(stem: str, edit) -> None:
        doc = yaml.safe_load((DEMO_STUDIES / f"{stem}.yaml").read_text(encoding="utf-8"))
        doc["data"]["store"] = str(store)
        edit(doc)
        path = studies / f"{stem}.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        done[stem] = run_study(path, bundles / stem)

    def ex_post(doc):
        doc.setdefault("inference", {})["bootstrap"] = bootstrap

    for pid in (*KEEP, DOMINATED, "P05"):
        run(f"ex_post_{pid}", ex_post)
    run("monitor", lambda doc: None)
    run("portfolio", lambda doc: doc.update(bundles=[str(done[f"ex_post_{p}"])
                                                     for p in (*KEEP, DOMINATED, "P05")]))
    return done
