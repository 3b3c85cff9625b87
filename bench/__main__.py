"""Run every benchmark: ``python -m bench [--runs 3] [--quick]`` (``make bench``).

1. Callaway-Sant'Anna, dr, 2 covariates, 999 bootstrap draws: 20,000 and 200,000 firms
   (evalkit, diff-diff, csdid) -- :mod:`bench.did`.
2. Callaway-Sant'Anna with analytic standard errors: 1,000,000 firms -- :mod:`bench.did`.
3. TWFE event study: 100,000 and 1,000,000 firms (evalkit, linearmodels, pyfixest) --
   :mod:`bench.twfe`.
4. Ingest of a 10,000,000-row firm-year table, CSV and Parquet -- :mod:`bench.ingest`.
5. The ex-post stage on the 20,000-firm synthetic district -- :mod:`bench.ex_post`.
6. Every stage of the demo cycle, reports included, at 20,000 firms -- :mod:`bench.demo`.
7. The multiplier bootstrap alone by block layout and threads (evalkit only) --
   :mod:`bench.bootstrap`.

``--quick`` runs one repetition at the smaller sizes only (a smoke test of the harness). Peers
missing from the environment are skipped with a note (install the ``bench`` extra). Every
library runs in its own subprocess; the ratios compare runs made in the same invocation.
"""

from __future__ import annotations

import argparse

from bench import bootstrap, demo, did, ex_post, ingest, twfe


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    runs = ["--runs", "1" if args.quick else str(args.runs)]
    did.main([*runs, "--sizes", *(["20000"] if args.quick else ["20000", "200000"])])
    did.main([*runs, "--biters", "0", "--sizes", "100000" if args.quick else "1000000"])
    twfe.main([*runs, "--sizes", *(["20000"] if args.quick else ["100000", "1000000"])])
    ingest.main([*runs, "--rows", "200000" if args.quick else "10000000"])
    ex_post.main(["--firms", "5000" if args.quick else "20000"])
    demo.main(["--firms", "2000" if args.quick else "20000"])
    bootstrap.main([*runs, "--firms", "20000" if args.quick else "200000"])


if __name__ == "__main__":
    main()
