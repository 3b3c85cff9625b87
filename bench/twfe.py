"""Benchmark: TWFE event study with firm and year effects, standard errors clustered by firm.

``y_it = a_i + l_t + sum_{e != -1} mu_e 1[t - g_i = e] + u_it`` on balanced panels from
:func:`evalkit.synth.dgp.simulate_staggered` (10 years, 3 cohorts + never treated; 17 relative-
time dummies). Libraries, each in a fresh subprocess reading the same Parquet file:

* ``evalkit``: :func:`evalkit.did.twfe.twfe_event_study` with ``method="fast"`` (alternating-
  projection demeaning, then OLS and CR1 clustered errors);
* ``linearmodels``: ``PanelOLS(entity_effects=True, time_effects=True)``, clustered by entity;
* ``pyfixest``: ``feols("y ~ i(rel, ref=-1) | id + year", vcov={"CRV1": "id"})``.

Reports the fit's wall time (design built inside), import time, whole-process time, peak
resident memory from the import to the end of the fit (as in :mod:`bench.did`; the resident
data, common to all, is shown separately) and the largest absolute difference of the 17 coefficients from evalkit's.
Run by hand: ``python -m bench.twfe [--sizes 100000 1000000] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile

from bench.did import LOAD_PANEL, installed, median_runs, panel_files, print_table

SIZES = (100_000, 1_000_000)

CHILD = r'''
import json, resource, sys, time, warnings, io, contextlib
warnings.simplefilter("ignore")
import numpy as np
import pandas as pd
lib, path = sys.argv[1], sys.argv[2]
''' + LOAD_PANEL + r'''t0 = time.perf_counter()
if lib == "evalkit":
    from evalkit.did.twfe import twfe_event_study
elif lib == "linearmodels":
    from linearmodels.panel import PanelOLS
elif lib == "pyfixest":
    import pyfixest as pf
t1 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    if lib == "evalkit":
        r = twfe_event_study(data, "y", "year", "id", "g", method="fast")
        coef = {t[2:]: float(b) for t, b in zip(r.terms, r.estimate)}
    else:
        rel = np.where(data["g"].to_numpy() > 0, data["year"].to_numpy() - data["g"].to_numpy(),
                       -1)
        if lib == "linearmodels":
            events = [e for e in np.unique(rel) if e != -1]
            X = pd.DataFrame({f"e{e}": (rel == e).astype(float) for e in events})
            X.index = pd.MultiIndex.from_arrays([data["id"].to_numpy(), data["year"].to_numpy()])
            y = pd.Series(data["y"].to_numpy(), index=X.index)
            fit = PanelOLS(y, X, entity_effects=True, time_effects=True).fit(
                cov_type="clustered", cluster_entity=True)
            coef = {k[1:]: float(v) for k, v in fit.params.items()}
        else:
            df = data[["id", "year", "y"]].assign(rel=rel)
            fit = pf.feols("y ~ i(rel, ref=-1) | id + year", data=df, vcov={"CRV1": "id"})
            coef = {}
            for k, v in fit.coef().items():
                e = k.split("::")[-1].rstrip("]").rstrip(")")
                coef[str(int(float(e)))] = float(v)
t2 = time.perf_counter()
peak_mb = status_mb("VmHWM")
print(json.dumps({"seconds": t2 - t1, "import": t1 - t0, "peak_mb": peak_mb, "load_mb": load_mb, "coef": coef}))
'''

LIBRARIES = {"evalkit": "evalkit", "linearmodels": "linearmodels", "pyfixest": "pyfixest"}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--libs", nargs="*", default=list(LIBRARIES))
    args = parser.parse_args(argv)
    libs = installed(args.libs, LIBRARIES)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, path in panel_files(args.sizes, tmp):
            for lib in libs:
                coefs: list[dict] = []
                res = median_runs(CHILD, [lib, str(path)], args.runs, keep=coefs)
                rows.append({"size": n, "library": lib, **res,
                             "coef": coefs[0] if coefs else None})
                print(f"  {n:>9} {lib:<12} {json.dumps({k: v for k, v in res.items()})}",
                      flush=True)
    for n in args.sizes:
        base = next((r for r in rows if r["size"] == n and r["library"] == "evalkit"
                     and r.get("coef")), None)
        for r in rows:
            if r["size"] == n and base and r.get("coef"):
                keys = set(base["coef"]) | set(r["coef"])
                r["diff"] = max(abs(base["coef"].get(k, float("nan"))
                                    - r["coef"].get(k, float("nan"))) for k in keys)
    print_table(f"TWFE event study, firm + year effects, 17 event-time dummies, CR1 clustered "
                f"by firm; firms x 10 years; median of {args.runs} runs", rows,
                [("seconds", "fit s", ".2f"), ("import", "import s", ".2f"),
                 ("process", "process s", ".2f"), ("peak_mb", "peak MB", ".0f"),
                 ("load_mb", "data MB", ".0f"),
                 ("diff", "max |dcoef|", ".1e")],
                ratio_fields=("seconds", "process", "peak_mb"))
    print("max |dcoef|: largest absolute difference of the event-time coefficients from "
          "evalkit's; x: the peer's median divided by evalkit's")
    return rows


if __name__ == "__main__":
    main()
