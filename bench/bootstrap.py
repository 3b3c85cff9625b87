"""Benchmark: the multiplier bootstrap alone, by block layout and threads (no peers).

Times :func:`evalkit.did.bootstrap.multiplier_draws` on the influence function of a
Callaway-Sant'Anna fit (dr, 2 covariates, never-treated controls; 10 years, 3 cohorts) for
several ``block_elems`` (weights drawn and multiplied at once per block of 64 draws) on one and
on two threads (``EVALKIT_THREADS``), so the effect of keeping each weight chunk in cache is
measured rather than asserted. Prints the median over ``--runs`` of each setting, all in one
process. Run by hand: ``python -m bench.bootstrap [--firms 200000] [--draws 999] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

BLOCK_ELEMS = (1 << 16, 1 << 18, 1 << 19, 1 << 21, 1 << 24)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=200_000)
    parser.add_argument("--draws", type=int, default=999)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    from evalkit.did import att_gt
    from evalkit.did.bootstrap import _row_groups, multiplier_draws
    from evalkit.synth.dgp import simulate_staggered

    data, _ = simulate_staggered(n_units=args.firms, seed=1)
    fit = att_gt(data, "y", "year", "id", "g", covariates=["x1", "x2"], est_method="dr")
    inf = np.asarray(fit.inf_func)
    t0 = time.perf_counter()
    groups = _row_groups([inf], inf.shape[0])
    grouping = time.perf_counter() - t0
    print(f"influence function {inf.shape[0]:,} x {inf.shape[1]}; row groups (rows x columns): "
          + ", ".join(f"{g.rows:,} x {g.values.shape[1]}" for g in groups)
          + f"; grouping {grouping * 1000:.0f} ms")
    print(f"{'block_elems':>12} {'units/chunk':>12} {'1 thread s':>11} {'2 threads s':>12}")
    before = os.environ.get("EVALKIT_THREADS")
    try:
        for elems in BLOCK_ELEMS:
            row = []
            for threads in ("1", "2"):
                os.environ["EVALKIT_THREADS"] = threads
                times = []
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    multiplier_draws(inf, np.random.default_rng(1), args.draws,
                                     block_elems=elems)
                    times.append(time.perf_counter() - t0)
                row.append(statistics.median(times))
            print(f"{elems:>12,} {elems // 64:>12,} {row[0]:>11.3f} {row[1]:>12.3f}")
    finally:
        if before is None:
            os.environ.pop("EVALKIT_THREADS", None)
        else:
            os.environ["EVALKIT_THREADS"] = before


if __name__ == "__main__":
    main()
