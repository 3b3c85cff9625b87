"""Benchmark: Callaway-Sant'Anna att_gt + aggte(dynamic), dr, 2 covariates, 999 bootstrap draws.

Compares evalkit with csdid 0.4.3 and diff-diff 3.13.0 (those installed) on balanced panels from
evalkit.synth.dgp (10 years, 3 cohorts + never treated) of 20,000 and 200,000 units. Each library
run is a fresh subprocess reading the same Parquet file; it reports the wall time spent in the
estimator and its peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``). Prints
the median of ``--runs`` runs and the ratios to evalkit. Run by hand: ``python -m bench.did``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SIZES = (20_000, 200_000)
BITERS = 999

CHILD = r'''
import json, resource, sys, time, warnings, io, contextlib
warnings.simplefilter("ignore")
import pandas as pd
lib, path = sys.argv[1], sys.argv[2]
data = pd.read_parquet(path)
t0 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    if lib == "evalkit":
        from evalkit.did import aggte, att_gt
        r = att_gt(data, "y", "year", "id", "g", covariates=["x1", "x2"], est_method="dr",
                   bstrap=True, biters=BITERS, cband=True, seed=1)
        a = aggte(r, type="dynamic")
        est = a.overall_att
    elif lib == "csdid":
        from csdid.att_gt import ATTgt
        o = ATTgt(yname="y", gname="g", idname="id", tname="year", xformla="y~x1+x2",
                  data=data, control_group="nevertreated", biters=BITERS, cband=True)
        o.fit(est_method="dr", bstrap=True)
        o.aggte(typec="dynamic")
        est = float(o.atte["overall_att"])
    elif lib == "diff-diff":
        from diff_diff import CallawaySantAnna
        m = CallawaySantAnna(estimation_method="dr", n_bootstrap=BITERS, seed=1, cband=True)
        res = m.fit(data, outcome="y", unit="id", time="year", first_treat="g",
                    covariates=["x1", "x2"], aggregate="event_study")
        est = float(getattr(res, "overall_att", float("nan")))
elapsed = time.perf_counter() - t0
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mb": peak_mb, "estimate": est}))
'''.replace("BITERS", str(BITERS))

LIBRARIES = {"evalkit": "evalkit", "csdid": "csdid", "diff-diff": "diff_diff"}


def run_one(lib: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, lib, str(path)], capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--libs", nargs="*", default=list(LIBRARIES))
    args = parser.parse_args(argv)
    from evalkit.synth.dgp import simulate_staggered

    libs = [lib for lib in args.libs if importlib.util.find_spec(LIBRARIES[lib]) is not None]
    missing = sorted(set(args.libs) - set(libs))
    if missing:
        print(f"not installed, skipped: {', '.join(missing)}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            data, _ = simulate_staggered(n_units=n, seed=2024)
            path = Path(tmp) / f"panel_{n}.parquet"
            data.drop(columns="y0").to_parquet(path)
            for lib in libs:
                runs = [run_one(lib, path) for _ in range(args.runs)]
                ok = [r for r in runs if "error" not in r]
                if not ok:
                    rows.append((n, lib, None, None, None, runs[0]["error"]))
                    continue
                rows.append((n, lib, statistics.median(r["seconds"] for r in ok),
                             statistics.median(r["peak_mb"] for r in ok), ok[0]["estimate"], ""))
    print(f"\nCallaway-Sant'Anna dr, 2 covariates, {BITERS} bootstrap draws + dynamic aggte; "
          f"median of {args.runs} runs")
    print(f"{'units':>8} {'library':<10} {'seconds':>8} {'peak MB':>8} {'x time':>7} "
          f"{'x mem':>6} {'overall ATT':>12}")
    for n in args.sizes:
        base = next((r for r in rows if r[0] == n and r[1] == "evalkit" and r[2]), None)
        for r in (r for r in rows if r[0] == n):
            if r[2] is None:
                print(f"{n:>8} {r[1]:<10} failed: {r[5]}")
                continue
            xt = r[2] / base[2] if base else float("nan")
            xm = r[3] / base[3] if base else float("nan")
            print(f"{n:>8} {r[1]:<10} {r[2]:>8.2f} {r[3]:>8.0f} {xt:>7.2f} {xm:>6.2f} "
                  f"{r[4]:>12.5f}")
    print("x time / x mem: the library's median time / peak memory divided by evalkit's")


if __name__ == "__main__":
    main()
