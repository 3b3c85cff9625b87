"""Decision quality on known-truth districts (issue 14; ``../shared/notes/decision-quality.md``).

``python -m bench.decision --districts 20 --firms 20000 [--scenario] [--scale level proportional]``

For each synthetic district (seed s), every policy is evaluated ex post by the ex-post stage
(main outcome tax_paid and the jobs outcome the scorecard reads; analytic standard errors), the
portfolio stage builds its one budget proposal, and the proposal is scored against the truth:

- DV = sum_p change_p r_p / max_c sum_p c_p r_p (the oracle: a fractional knapsack within
  +-max_change of each current budget, sum zero), r_p the true fiscal return;
- coverage of the 95 % fiscal-return intervals (flagged policies apart);
- whether the truly best policy is in the plausibly-best set; whether a flagged policy is
  ranked first or raised.

The truth is read only here, never by a stage.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ROOT / "studies" / "demo"
POLICIES = ("P01", "P02", "P03", "P04", "P05", "P06", "P07", "P08")


def oracle_gain(r: np.ndarray, current: np.ndarray, max_change: float) -> float:
    """max sum c_p r_p s.t. sum c_p = 0, |c_p| <= max_change current_p (fractional knapsack)."""
    from evalkit.portfolio.reallocate import reallocate

    frame = pd.DataFrame({"policy_id": [f"p{i:03d}" for i in range(r.size)], "current": current,
                          "estimate": r, "capacity": np.nan})
    res = reallocate(frame, max_change=max_change)
    return float(np.dot(res.table["change"].to_numpy(), r))


def decision_value(change: np.ndarray, r: np.ndarray, current: np.ndarray,
                   max_change: float) -> float:
    best = oracle_gain(r, current, max_change)
    return float(np.dot(change, r) / best) if best > 0 else float("nan")


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(lambda c: c.astype("str") if isinstance(c.dtype, pd.StringDtype) else c)


def run_district(seed: int, n_firms: int, scale: str, scenario: bool, work: Path,
                 reuse: bool = False) -> dict:
    """Evaluate one district end to end; returns the per-policy rows and the scores."""
    from evalkit.contract.bundle import read_bundle, write_bundle
    from evalkit.portfolio.reallocate import reallocate
    from evalkit.stages import ex_post as xp
    from evalkit.stages import portfolio as pf
    from evalkit.study import ExPostStudy, PortfolioStudy
    from evalkit.synth import synthesize_district

    d = synthesize_district(n_firms=n_firms, seed=seed, **({"scenario": True} if scenario else {}))
    tables = {k: _plain(v) for k, v in d.tables().items()}
    truth = d.truth
    bundles = []
    for pid in POLICIES:
        cfg = yaml.safe_load((STUDIES / f"ex_post_{pid}.yaml").read_text(encoding="utf-8"))
        cfg["outcomes"] = ["tax_paid", "employees"]
        cfg["inference"]["bootstrap"] = 0
        for part in scale.split(","):
            if part == "default" or part.startswith("hold_by_grade="):
                continue
            key, _, value = part.partition("=") if "=" in part else ("scale", "=", part)
            # a list value is written with "+": selection_covariates=revenue+employees
            cfg["design"][key] = value.split("+") if "+" in value else value
        study = ExPostStudy(**cfg)
        out = work / f"s{seed}_{pid}"
        bundles.append(out)
        if reuse and (out / "results.json").is_file():
            continue    # --reuse: the ex-post bundle of an earlier run with --keep
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = xp.run_ex_post(study, tables)
        results, frames, _ = xp.bundle_parts(res)
        write_bundle(out, stage="ex_post", results=results, tables=frames, figures={},
                     provenance={}, created=0)
    pcfg = yaml.safe_load((STUDIES / "portfolio.yaml").read_text(encoding="utf-8"))
    pcfg["bundles"] = [str(b) for b in bundles]
    for part in scale.split(","):
        if part.startswith("hold_by_grade="):
            pcfg["hold_by_grade"] = yaml.safe_load(part.partition("=")[2])
    study = PortfolioStudy(**pcfg)
    port = pf.run_portfolio(study, tables)
    realloc = port.reallocation.table.set_index("policy_id")
    rec = port.recommendations.table.set_index("policy_id")
    rank = port.ranking.tidy().set_index("term")
    pids = list(realloc.index)
    r = np.array([truth["policies"][p]["fiscal"]["fiscal_return"] for p in pids], dtype=float)
    current = realloc["current"].to_numpy(dtype=float)
    change = realloc["change"].to_numpy(dtype=float)
    rec_change = rec.loc[pids, "budget_change"].to_numpy(dtype=float) * current
    rec_change = rec_change - current * rec_change.sum() / current.sum()
    mc = float(port.reallocation.max_change)
    share = None
    metrics = {}
    for b, p in zip(bundles, POLICIES, strict=True):
        bd = read_bundle(b)
        m = bd.table("metrics").set_index("name")
        est = float(m.loc["fiscal_return_total", "estimate"])
        se = float(m.loc["fiscal_return_total", "std_error"])
        dist = float(m.loc["fiscal_return_district", "estimate"])
        share = dist / est if est else share
        pre = bd.results["outcomes"]["tax_paid"].get("pretrend") or {}
        metrics[p] = (est, se, pre.get("p_value"))
    rows = []
    flags = set(rec.index[rec["evidence_flag"].astype(str) != ""])
    for i, p in enumerate(pids):
        est, se, pv = metrics[p]
        rows.append({"seed": seed, "policy": p, "truth": r[i], "estimate": est, "se": se,
                     "covered": abs(est - r[i]) <= 1.96 * se, "flagged": p in flags,
                     "pretrend_p": pv, "current": current[i], "change": change[i],
                     "rank": int(rank.loc[p, "rank"]),
                     "plausibly_best": bool(rank.loc[p, "plausibly_best"])})
    # the same rule fed the true returns with the estimated uncertainty: how far the
    # information allows (issue 14, item 6)
    fed = pf.proposal_inputs(pids, rank.assign(estimate=r * share).rename_axis("term"),
                             realloc["current"], {p: ("", "") for p in flags},
                             port.recommendations.table.assign(
                                 action=port.recommendations.table["rule_action"]),
                             hold_by_grade=study.hold_by_grade)
    fed_change = reallocate(fed, max_change=mc, use="posterior_mean").table.set_index(
        "policy_id").loc[pids, "change"].to_numpy(dtype=float)
    # the rule's holds (flags frozen, grades) with the true returns and no shrinkage: the most
    # any estimate could reach under this rule
    bound_change = reallocate(fed, max_change=mc, use="estimate").table.set_index(
        "policy_id").loc[pids, "change"].to_numpy(dtype=float)
    best = pids[int(np.argmax(r))]
    # the truly best of the policies whose identification holds (a flagged policy is never
    # ranked, so never plausibly best)
    ident = [i for i, p in enumerate(pids) if p not in flags]
    best_ident = pids[ident[int(np.argmax(r[ident]))]] if ident else None
    first = rank[rank["rank"] > 0]["rank"].idxmin() if (rank["rank"] > 0).any() else None
    score = {"seed": seed, "dv_realloc": decision_value(change, r, current, mc),
             "dv_recommend": decision_value(rec_change, r, current, mc),
             "dv_truth_fed": decision_value(fed_change, r, current, mc),
             "dv_rule_bound": decision_value(bound_change, r, current, mc),
             "best_in_set": bool(rank.loc[best, "plausibly_best"]),
             "best_identified_in_set": best_ident is None
             or bool(rank.loc[best_ident, "plausibly_best"]),
             "best_flagged": best in flags,
             "flagged_first": first is not None and first in flags,
             "flagged_raised": bool(any(change[i] > 1e-6 and p in flags
                                        for i, p in enumerate(pids)))}
    return {"rows": rows, "score": score}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--districts", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=101)
    ap.add_argument("--seeds", type=int, nargs="*")
    ap.add_argument("--firms", type=int, default=20000)
    ap.add_argument("--scale", nargs="+", default=["default"])
    ap.add_argument("--scenario", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--keep", type=Path, help="keep the districts' bundles in this folder")
    ap.add_argument("--reuse", action="store_true",
                    help="with --keep: reuse the ex-post bundles found there (portfolio rules)")
    args = ap.parse_args(argv)
    seeds = args.seeds or list(range(args.first_seed, args.first_seed + args.districts))
    out = {}
    for scale in args.scale:
        rows, scores = [], []
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp) if args.keep is None else args.keep / scale.replace("/", "_")
            work.mkdir(parents=True, exist_ok=True)
            for s in seeds:
                res = run_district(s, args.firms, scale, args.scenario, work,
                                   reuse=args.reuse and args.keep is not None)
                rows += res["rows"]
                scores.append(res["score"])
                sc = res["score"]
                print(f"[{scale}] seed {s}: DV realloc {sc['dv_realloc']:.2f}, recommend "
                      f"{sc['dv_recommend']:.2f}, truth-fed {sc['dv_truth_fed']:.2f}, rule bound "
                      f"{sc['dv_rule_bound']:.2f}, best in set {sc['best_in_set']}, flagged "
                      f"first {sc['flagged_first']}, raised {sc['flagged_raised']}", flush=True)
        rows_df, sc_df = pd.DataFrame(rows), pd.DataFrame(scores)
        unflag = rows_df[~rows_df["flagged"]]
        summary = {
            "scale": scale, "districts": len(seeds), "scenario": args.scenario,
            "coverage_unflagged": float(unflag["covered"].mean()),
            "coverage_flagged": float(rows_df[rows_df["flagged"]]["covered"].mean())
            if rows_df["flagged"].any() else None,
            "median_se": float(rows_df["se"].median()),
            "dv_mean": float(sc_df["dv_realloc"].mean()),
            "dv_nonneg_share": float((sc_df["dv_realloc"] >= 0).mean()),
            "dv_recommend_mean": float(sc_df["dv_recommend"].mean()),
            "dv_truth_fed_mean": float(sc_df["dv_truth_fed"].mean()),
            "dv_rule_bound_mean": float(sc_df["dv_rule_bound"].mean()),
            "best_in_set": float(sc_df["best_in_set"].mean()),
            "best_identified_in_set": float(sc_df["best_identified_in_set"].mean()),
            "best_flagged": int(sc_df["best_flagged"].sum()),
            "flagged_first": int(sc_df["flagged_first"].sum()),
            "flagged_raised": int(sc_df["flagged_raised"].sum()),
            "seconds": time.perf_counter() - t0,
        }
        print(json.dumps(summary, indent=1))
        print(rows_df.groupby("policy")[["truth", "estimate", "se", "covered", "flagged"]].mean())
        out[scale] = {"summary": summary, "rows": rows, "scores": scores}
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=float), encoding="utf-8")


if __name__ == "__main__":
    main()
