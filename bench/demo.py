"""Time each stage of the full demo cycle (issue 8): ``python -m bench.demo [--firms 20000]``.

Runs :func:`evalkit.demo.run_demo` once (synthesize, ingest, 8 ex-post studies, 2 ex-ante
appraisals, monitoring, the portfolio, and the 24 reports: 12 bundles x zh/en x HTML+PDF) and
prints the wall time of every stage, their sum and the whole. Bar: under 3 minutes at 20,000
firms on a 2-core machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from evalkit.demo import run_demo


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=20000)
    parser.add_argument("--no-reports", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="evalkit-bench-demo-") as tmp:
        t0 = time.perf_counter()
        summary = run_demo(Path(tmp) / "demo", n_firms=args.firms, render=not args.no_reports)
        total = time.perf_counter() - t0
    timings = summary["timings"]
    groups = {"synthesize": ["synth"], "ingest": ["ingest"],
              "ex-post (8 policies)": [k for k in timings if k.startswith("ex_post_")],
              "ex-ante (2 proposals)": [k for k in timings if k.startswith("ex_ante_")],
              "monitoring": ["monitor"], "portfolio": ["portfolio"], "reports (24)": ["reports"]}
    print(f"demo cycle, {args.firms:,} firms x 10 years")
    print(f"{'stage':<24}{'seconds':>10}")
    rows = {}
    for name, keys in groups.items():
        secs = sum(timings.get(k, 0.0) for k in keys)
        rows[name] = secs
        print(f"{name:<24}{secs:>10.1f}")
    for k in sorted(k for k in timings if k.startswith("ex_post_")):
        print(f"  {k:<22}{timings[k]:>10.1f}")
    print(f"{'whole demo':<24}{total:>10.1f}")
    rows["whole demo"] = total
    return rows


if __name__ == "__main__":
    main()
