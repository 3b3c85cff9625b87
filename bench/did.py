"""Benchmark: Callaway-Sant'Anna att_gt + aggregations, dr, 2 covariates, never-treated controls.

Compares evalkit with csdid 0.4.3 and diff-diff 3.13.0 (those installed) on balanced panels from
:func:`evalkit.synth.dgp.simulate_staggered` (10 years, 3 cohorts + never treated). Each library
run is a fresh subprocess reading the same Parquet file. Reported per run:

* ``fit s``: wall time of the estimation (ATT(g,t), standard errors, bootstrap if any, the
  simple and dynamic aggregations), the library already imported;
* ``import s``: time to import the library (scipy.stats dominates for every library here);
* ``process s``: wall time of the whole subprocess (Python start, pandas, reading the Parquet
  file, import, estimation);
* ``peak MB``: peak resident memory of the subprocess from the import of the library to the
  end of the estimation (Linux ``VmHWM``, restarted through ``/proc/self/clear_refs`` once the
  data is read, so the transient peak of Parquet decoding is not counted), the data included;
  ``data MB``: resident memory once the data is read (the part common to every library);
* the simple overall ATT (post-treatment cells weighted by cohort size, R ``aggte(type =
  "simple")``; diff-diff's ``overall_att``), to check that the libraries agree.

Prints medians over ``--runs`` runs and each peer's ratio to evalkit (peer / evalkit: > 1 means
evalkit is faster or lighter). Run by hand: ``python -m bench.did [--sizes 20000 200000]
[--biters 999] [--runs 3]``; ``--biters 0`` benchmarks analytic standard errors.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (20_000, 200_000)
BITERS = 999

#: Read the panel, then restart the peak-memory counter, so every library's peak counts the
#: same resident data and none of the Parquet decoding transient (shared with bench.twfe).
LOAD_PANEL = r'''
data = pd.read_parquet(path)
import gc
gc.collect()
import pyarrow as pa   # return the Parquet decoder's cached buffers: data MB is then the frame
pa.default_memory_pool().release_unused()
def status_mb(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) / 1024 for l in f if l.startswith(key + ":"))
load_mb = status_mb("VmRSS")
with open("/proc/self/clear_refs", "w") as f:   # restart the peak (VmHWM) after reading
    f.write("5")
'''

CHILD = r'''
import json, resource, sys, time, warnings, io, contextlib
warnings.simplefilter("ignore")
import pandas as pd
lib, path, biters = sys.argv[1], sys.argv[2], int(sys.argv[3])
''' + LOAD_PANEL + r'''t0 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    if lib == "evalkit":
        from evalkit.did import aggte, att_gt
    elif lib == "csdid":
        from csdid.att_gt import ATTgt
    elif lib == "diff-diff":
        from diff_diff import CallawaySantAnna
t1 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    if lib == "evalkit":
        r = att_gt(data, "y", "year", "id", "g", covariates=["x1", "x2"], est_method="dr",
                   bstrap=biters > 0, biters=max(biters, 1), cband=biters > 0, seed=1)
        aggte(r, type="dynamic")
        est = aggte(r, type="simple").overall_att
    elif lib == "csdid":
        o = ATTgt(yname="y", gname="g", idname="id", tname="year", xformla="y~x1+x2",
                  data=data, control_group="nevertreated", biters=max(biters, 1),
                  cband=biters > 0)
        o.fit(est_method="dr", bstrap=biters > 0)
        o.aggte(typec="dynamic")
        o.aggte(typec="simple")
        est = float(o.atte["overall_att"])
    elif lib == "diff-diff":
        m = CallawaySantAnna(estimation_method="dr", n_bootstrap=biters, seed=1,
                             cband=biters > 0)
        res = m.fit(data, outcome="y", unit="id", time="year", first_treat="g",
                    covariates=["x1", "x2"], aggregate="event_study")
        est = float(res.overall_att)
t2 = time.perf_counter()
peak_mb = status_mb("VmHWM")
print(json.dumps({"seconds": t2 - t1, "import": t1 - t0, "peak_mb": peak_mb, "load_mb": load_mb, "estimate": est}))
'''

LIBRARIES = {"evalkit": "evalkit", "csdid": "csdid", "diff-diff": "diff_diff"}


def run_child(code: str, args: list[str]) -> dict:
    """Run ``code`` in a fresh interpreter; its last stdout line is a JSON dict. Adds the
    subprocess wall time as ``process``."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=False)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit code {out.returncode}"}
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["process"] = wall
    return res


def median_runs(code: str, args: list[str], runs: int, keep: list | None = None) -> dict:
    """Median of each numeric field over ``runs`` runs (first error if every run failed);
    non-numeric fields of each successful run are appended to ``keep``."""
    results = [run_child(code, args) for _ in range(runs)]
    ok = [r for r in results if "error" not in r]
    if not ok:
        return results[0]
    numeric = [k for k, v in ok[0].items() if isinstance(v, int | float)]
    if keep is not None:
        keep.extend(v for r in ok for k, v in r.items() if k not in numeric)
    return {k: statistics.median(r[k] for r in ok) for k in numeric}


def print_table(title: str, rows: list[dict], fields: list[tuple[str, str, str]],
                base_key: str = "evalkit", ratio_fields: tuple[str, ...] = ()) -> None:
    """Rows grouped by ``size``; ``fields`` (key, header, format); ratios peer / evalkit."""
    print(f"\n{title}")
    head = f"{'size':>9} {'library':<13}" + "".join(f" {h:>10}" for _, h, _ in fields)
    names = {k: h for k, h, _ in fields}
    head += "".join(f" {'x ' + names[f].split()[0]:>10}" for f in ratio_fields)
    print(head)
    for size in dict.fromkeys(r["size"] for r in rows):
        group = [r for r in rows if r["size"] == size]
        base = next((r for r in group if r["library"] == base_key and "error" not in r), None)
        for r in group:
            if "error" in r:
                print(f"{size:>9} {r['library']:<13} failed: {r['error'][:70]}")
                continue
            line = f"{size:>9} {r['library']:<13}"
            line += "".join(f" {format(r[k], fmt):>10}" for k, _, fmt in fields)
            for f in ratio_fields:
                ratio = r[f] / base[f] if base and base[f] else float("nan")
                line += f" {ratio:>10.2f}"
            print(line)


def installed(wanted: list[str], modules: dict[str, str]) -> list[str]:
    """The wanted libraries whose module can be imported; prints the others."""
    libs = [lib for lib in wanted if importlib.util.find_spec(modules[lib]) is not None]
    missing = sorted(set(wanted) - set(libs))
    if missing:
        print(f"not installed, skipped: {', '.join(missing)}")
    return libs


def panel_files(sizes: list[int], folder: str):
    """Yield (n, Parquet path) of a balanced known-truth panel of n firms x 10 years for each size
    (one at a time, so only one panel is in memory)."""
    from evalkit.synth.dgp import simulate_staggered

    for n in sizes:
        data, _ = simulate_staggered(n_units=n, seed=2024)
        path = Path(folder) / f"panel_{n}.parquet"
        data.drop(columns="y0").to_parquet(path)
        del data
        yield n, path


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--biters", type=int, default=BITERS,
                        help="bootstrap draws (0: analytic standard errors)")
    parser.add_argument("--libs", nargs="*", default=list(LIBRARIES))
    args = parser.parse_args(argv)
    libs = installed(args.libs, LIBRARIES)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, path in panel_files(args.sizes, tmp):
            for lib in libs:
                res = median_runs(CHILD, [lib, str(path), str(args.biters)], args.runs)
                rows.append({"size": n, "library": lib, **res})
                print(f"  {n:>9} {lib:<10} {json.dumps(res)}", flush=True)
    for n in args.sizes:
        base = next((r for r in rows if r["size"] == n and r["library"] == "evalkit"
                     and "error" not in r), None)
        for r in rows:
            if r["size"] == n and base and "error" not in r:
                r["diff"] = r["estimate"] - base["estimate"]
    what = (f"{args.biters} bootstrap draws + uniform bands" if args.biters
            else "analytic standard errors")
    print_table(f"Callaway-Sant'Anna dr, 2 covariates, {what}, simple + dynamic aggregation; "
                f"firms x 10 years; median of {args.runs} runs", rows,
                [("seconds", "fit s", ".2f"), ("import", "import s", ".2f"),
                 ("process", "process s", ".2f"), ("peak_mb", "peak MB", ".0f"),
                 ("load_mb", "data MB", ".0f"),
                 ("estimate", "simple ATT", ".6f"), ("diff", "- evalkit", ".1e")],
                ratio_fields=("seconds", "process", "peak_mb"))
    print("x fit / x process / x peak: the peer's median divided by evalkit's")
    return rows


if __name__ == "__main__":
    main()
