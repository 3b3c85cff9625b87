"""Benchmark: the ex-post stage's Callaway-Sant'Anna calls on the synthetic demo district.

Builds the district (``evalkit.synth.synthesize_district(n_firms, seed=7)``), loads the demo
studies ``studies/demo/ex_post_P0*.yaml`` and runs :func:`evalkit.stages.ex_post.run_ex_post`
for each policy, timing the whole stage and, separately, the time spent inside ``att_gt`` and
``aggte`` (wrapped in place for the run). Prints per-policy and total seconds. Run by hand:
``python -m bench.ex_post [--firms 20000] [--policies P01 P02]``; ``--profile out.html`` writes a
pyinstrument profile of the whole run (pyinstrument must be installed).
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_studies(policies: list[str] | None):
    from evalkit.study import load_study

    out = []
    for path in sorted((ROOT / "studies" / "demo").glob("ex_post_P*.yaml")):
        study, _ = load_study(path)
        if policies and study.policy not in policies:
            continue
        out.append(study)
    return out


def run(n_firms: int, policies: list[str] | None, profile: str | None = None) -> dict:
    import evalkit.stages.ex_post as stage
    from evalkit.synth import synthesize_district

    t0 = time.perf_counter()
    from evalkit.io.schemas import TABLES
    from evalkit.io.warehouse import canonical_dtypes

    # the dtypes the stage receives from the warehouse (evalkit.io.warehouse.load_dataset)
    tables = {name: canonical_dtypes(TABLES[name], df) if name in TABLES else df
              for name, df in synthesize_district(n_firms=n_firms, seed=7).tables().items()}
    t_synth = time.perf_counter() - t0
    studies = load_studies(policies)
    spent: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)

    def timed(name, fn):
        def wrapper(*args, **kw):
            s = time.perf_counter()
            try:
                return fn(*args, **kw)
            finally:
                spent[name] += time.perf_counter() - s
                calls[name] += 1
        return wrapper

    orig = {name: getattr(stage, name) for name in ("att_gt", "aggte", "twfe", "pretrend_test",
                                                     "fiscal_metrics", "total_effect")}
    for name, fn in orig.items():
        setattr(stage, name, timed(name, fn))
    profiler = None
    if profile:
        from pyinstrument import Profiler
        profiler = Profiler(interval=0.002)
        profiler.start()
    per_policy = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for study in studies:
                s = time.perf_counter()
                stage.run_ex_post(study, tables)
                per_policy[study.policy] = time.perf_counter() - s
    finally:
        for name, fn in orig.items():
            setattr(stage, name, fn)
        if profiler is not None:
            profiler.stop()
            Path(profile).write_text(profiler.output_html())
            print(profiler.output_text(unicode=False, color=False, show_all=False))
    return {"synth": t_synth, "per_policy": per_policy, "spent": dict(spent),
            "calls": dict(calls)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=20_000)
    parser.add_argument("--policies", nargs="*", default=None)
    parser.add_argument("--profile", default=None, help="write a pyinstrument HTML profile")
    args = parser.parse_args(argv)
    r = run(args.firms, args.policies, args.profile)
    total = sum(r["per_policy"].values())
    print(f"\nex-post stage on the synthetic district, {args.firms:,} firms "
          f"(district built in {r['synth']:.1f} s)")
    print(f"{'policy':<8} {'seconds':>8}")
    for p, s in r["per_policy"].items():
        print(f"{p:<8} {s:>8.2f}")
    print(f"{'total':<8} {total:>8.2f}")
    print(f"\n{'function':<16} {'calls':>6} {'seconds':>8} {'per call':>9}")
    for name, s in sorted(r["spent"].items(), key=lambda kv: -kv[1]):
        print(f"{name:<16} {r['calls'][name]:>6} {s:>8.2f} {s / r['calls'][name]:>9.3f}")


if __name__ == "__main__":
    main()
