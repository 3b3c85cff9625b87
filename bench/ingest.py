"""Benchmark: ``evalkit ingest`` of a large firm-year table (CSV in UTF-8, and Parquet).

Formats: ``csv`` (UTF-8, fields quoted only where needed), ``csv-quoted`` (every field quoted,
as some exports write it), ``csv-gb18030`` (the same text in GB18030, what Chinese Excel
writes as "CSV"), ``parquet``; ``--format`` picks (default csv and parquet).

Generates a folder with ``firms`` (rows / 10 firms) and ``firm_years`` (those firms x 10 years,
2016-2025) with valid unified social credit codes and a few deliberate faults in every 20,000
firm-years, so that the quarantine and warning paths run: wrong check characters (``bad_uscc``),
``n/a`` and ``1,234.5`` amounts (CSV), negative counts, repeated keys, amounts typed in 万元
(``unit_jump``), empty years (``missing_required``), firms missing from the firms table
(``unknown_firm``), a row with an extra field (CSV ``wrong_field_count``), 是/否 booleans (CSV).
The CSV is text as an export writes it; the Parquet file has typed columns (strings, int64,
float64, bool).

Each run is a fresh subprocess calling :func:`evalkit.io.ingest_dir` (what ``evalkit ingest``
calls) into a new warehouse file. Reported per run, from the library's progress callback:

* ``read s``: reading and decoding the files (``read`` step);
* ``check s``: converting every column and running every row check, quarantine and warnings
  included (``validate`` step);
* ``hash s``: the content hash and the look-up of an identical stored version;
* ``write s``: the atomic warehouse write (copy, insert, checkpoint, rename);
* ``total s``: the whole of ``ingest_dir``; ``rows/s``: rows read (both tables) / ``total s``;
* ``peak MB``: peak resident memory (Linux ``VmHWM``) over the whole call, and per stage
  (the counter is restarted through ``/proc/self/clear_refs`` at each stage boundary).

Prints medians over ``--runs`` runs. Run by hand:
``python -m bench.ingest [--rows 10000000] [--format csv parquet] [--runs 3]
[--profile out.html] [--data DIR]`` (``--profile`` runs pyinstrument on one in-process ingest
instead; ``--data`` keeps the generated folders in ``DIR`` and reuses them).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from bench.did import median_runs

ROWS = 10_000_000
YEARS = tuple(range(2016, 2026))
#: one fault of each kind per this many firm-years
FAULT_EVERY = 20_000

CHILD = r'''
import json, sys, time
from pathlib import Path
folder, store = sys.argv[1], sys.argv[2]
Path(store).unlink(missing_ok=True)
def status_mb(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) / 1024 for l in f if l.startswith(key + ":"))
def restart_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
from evalkit.io import ingest_dir
marks = []          # (stage, time, peak MB of the stage that ends here)
state = {"stage": None}
def mark(stage):
    if stage != state["stage"]:
        marks.append((stage, time.perf_counter(), status_mb("VmHWM")))
        restart_peak()
        state["stage"] = stage
def progress(step, done=None, total=None):
    if step == "read":
        mark("read")
    elif step == "validate":
        mark("check")
    elif step == "hash":
        mark("hash")
    elif step == "write":
        mark("write")
    if step == "validate" and done is not None and total is not None and done == total:
        mark("hash")
restart_peak()
t0 = time.perf_counter()
res = ingest_dir(folder, store=store, progress=progress)
marks.append(("end", time.perf_counter(), status_mb("VmHWM")))
out = {"total": marks[-1][1] - t0}
peak = 0.0
for (stage, t, _), (_, t_next, peak_mb) in zip(marks, marks[1:]):
    out[stage] = out.get(stage, 0.0) + t_next - t
    out[stage + "_mb"] = max(out.get(stage + "_mb", 0.0), peak_mb)
    peak = max(peak, peak_mb)
out["peak_mb"] = peak
out["rows"] = sum(tr.n_read for tr in res.report.tables.values())
out["quarantined"] = sum(tr.n_quarantined for tr in res.report.tables.values())
out["warnings"] = sum(len(tr.warnings) for tr in res.report.tables.values())
out["rows_per_s"] = out["rows"] / out["total"]
out["sha"] = res.version.sha256
assert res.is_new
Path(store).unlink()
print(json.dumps(out))
'''


# ------------------------------------------------------------------------------ the data


def firm_codes(index: np.ndarray) -> np.ndarray:
    """Distinct valid USCCs (``S18`` bytes) for firm numbers ``index``: Xuhui prefix, a base-31
    body from a bijection of the number, GB 32100-2015 check character."""
    from evalkit.io.uscc import ALPHABET, WEIGHTS

    alpha = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    n = len(index)
    vals = np.zeros((n, 17), dtype=np.int64)
    vals[:, :8] = [alpha.tolist().index(ord(c)) for c in "91310104"]
    x = (index.astype(np.int64) * 7919 + 12345) % (31**9)
    for k in range(16, 7, -1):
        vals[:, k] = x % 31
        x //= 31
    check = (31 - (vals * np.asarray(WEIGHTS)).sum(axis=1) % 31) % 31
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, :17] = alpha[vals]
    chars[:, 17] = alpha[check]
    return chars.view("S18").ravel()


def _wrong_check(codes: np.ndarray) -> np.ndarray:
    chars = codes.view(np.uint8).reshape(-1, 18).copy()
    chars[:, 17] = np.where(chars[:, 17] == ord("0"), ord("1"), ord("0"))
    return chars.view("S18").ravel()


def _strings(values: np.ndarray):
    import pyarrow as pa

    return pa.array(values).cast(pa.string())


def firm_tables(rows: int, seed: int = 2024) -> tuple[dict, dict]:
    """(firms, firm_years) as dicts of typed columns (numpy / pyarrow) plus fault positions."""
    from evalkit.io.schemas import AREAS, CLUSTERS, SIZE_CLASSES

    rng = np.random.default_rng(seed)
    n_firms = max(rows // len(YEARS), 10)
    ids = firm_codes(np.arange(n_firms))
    firms = {
        "firm_id": ids,
        "name": np.char.add("企业", np.arange(n_firms).astype("U")),
        "industry_code": rng.choice(["6511", "7320", "6311", "2710", "7240"], n_firms),
        "cluster": rng.choice(CLUSTERS, n_firms),
        "area": rng.choice(AREAS, n_firms),
        "five_type_tags": rng.choice(["innovation;open", "", "service", "headquarters"],
                                     n_firms),
        "size_class": rng.choice(SIZE_CLASSES, n_firms),
        "year_registered": rng.integers(1990, 2016, n_firms),
        "year_exited": np.full(n_firms, np.nan),
    }
    n = n_firms * len(YEARS)
    firm = np.repeat(np.arange(n_firms), len(YEARS))
    level = np.exp(rng.normal(15, 1.5, n_firms))[firm]
    revenue = np.round(level * np.exp(rng.normal(0, 0.1, n)), 2)
    fy = {
        "firm_id": ids[firm],
        "year": np.tile(np.asarray(YEARS, dtype=np.int64), n_firms),
        "revenue": revenue,
        "tax_paid": np.round(revenue * 0.05, 2),
        "rd_expense": np.round(revenue * rng.uniform(0, 0.1, n), 2),
        "employees": rng.integers(1, 2000, n),
        "invention_patents": rng.poisson(1.0, n),
        "pct_applications": rng.poisson(0.2, n),
        "high_tech": rng.random(n) < 0.3,
        "listed": rng.random(n) < 0.02,
        "headquarters": rng.random(n) < 0.05,
    }
    # faults: positions spread over the table, disjoint per kind
    k = max(n // FAULT_EVERY, 1)
    pos = rng.choice(n - 1, size=(8, k), replace=False) + 1
    faults = dict(zip(("bad_uscc", "text_number", "negative", "duplicate", "unit_jump",
                       "missing_year", "extra_field", "chinese_bool"), pos, strict=True))
    fy["firm_id"][faults["bad_uscc"]] = _wrong_check(fy["firm_id"][faults["bad_uscc"]])
    fy["employees"][faults["negative"]] = -3
    dup = faults["duplicate"]
    fy["firm_id"][dup] = fy["firm_id"][dup - 1]
    fy["year"][dup] = fy["year"][dup - 1]
    fy["revenue"][faults["unit_jump"]] = np.round(fy["revenue"][faults["unit_jump"]] / 1e4, 6)
    dropped = rng.choice(n_firms, size=max(n_firms // (FAULT_EVERY // 10), 1), replace=False)
    keep = np.ones(n_firms, dtype=bool)
    keep[dropped] = False
    firms = {c: v[keep] for c, v in firms.items()}   # their firm-years are unknown_firm
    return firms, fy | {"_faults": faults}


def write_folder(folder: Path, rows: int, fmt: str) -> Path:
    """Write ``firms`` and ``firm_years`` (``.parquet`` or ``.csv``) into ``folder``; returns it."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    firms, fy = firm_tables(rows)
    faults = fy.pop("_faults")
    if fmt == "parquet":
        ft = pa.table({c: (_strings(v) if v.dtype.kind in "SU" else pa.array(v))
                       for c, v in firms.items()})
        ft = ft.set_column(ft.column_names.index("year_exited"), "year_exited",
                           pa.nulls(len(ft), pa.int64()))
        cols = {c: (_strings(v) if v.dtype.kind == "S" else pa.array(v)) for c, v in fy.items()}
        year = np.ones(len(fy["year"]), dtype=bool)
        year[faults["missing_year"]] = False
        cols["year"] = pa.array(fy["year"], mask=~year)
        pq.write_table(ft, folder / "firms.parquet")
        pq.write_table(pa.table(cols), folder / "firm_years.parquet")
        return folder
    import pyarrow.compute as pc

    def text(v: np.ndarray):
        if v.dtype == bool:
            return pc.if_else(pa.array(v), "True", "False")
        if v.dtype.kind == "f":
            return pc.if_else(pc.is_nan(pa.array(v)), "", pa.array(v).cast(pa.string()))
        return _strings(v)

    ft = pa.table({c: text(v) for c, v in firms.items()})
    cols = {c: text(v) for c, v in fy.items()}

    def put(col: str, where: np.ndarray, value: str) -> None:
        arr = cols[col].to_numpy(zero_copy_only=False).astype(object)
        arr[where] = value
        cols[col] = pa.array(arr, pa.string())

    put("revenue", faults["text_number"][::2], "n/a")
    put("revenue", faults["text_number"][1::2], "@GROUPED@")
    put("year", faults["missing_year"], "")
    put("pct_applications", faults["extra_field"], "@EXTRA@")
    put("high_tech", faults["chinese_bool"], "是")
    quoted = fmt == "csv-quoted"
    opts = pacsv.WriteOptions(quoting_style="all_valid" if quoted else "none")
    pacsv.write_csv(ft, folder / "firms.csv", opts)
    path = folder / "firm_years.csv"
    pacsv.write_csv(pa.table(cols), path, opts)
    data = path.read_bytes()
    if quoted:
        data = data.replace(b'"@EXTRA@"', b'"0","1"').replace(b'"@GROUPED@"', b'"1,234.5"')
    else:
        data = data.replace(b"@EXTRA@", b"0,1").replace(b"@GROUPED@", b'"1,234.5"')
    path.write_bytes(data)
    if fmt == "csv-gb18030":   # what a Chinese Excel "CSV" export writes: GBK/GB18030 text
        for name in ("firms.csv", "firm_years.csv"):
            text = (folder / name).read_bytes().decode("utf-8")
            (folder / name).write_bytes(text.encode("gb18030"))
    return folder


# ------------------------------------------------------------------------------ running


def profile(folder: Path, out: str) -> None:
    """One in-process ingest under pyinstrument; writes an HTML profile and prints the text."""
    from pyinstrument import Profiler

    from evalkit.io import ingest_dir

    with tempfile.TemporaryDirectory() as tmp:
        prof = Profiler(interval=0.005)
        prof.start()
        ingest_dir(folder, store=Path(tmp) / "w.duckdb")
        prof.stop()
    Path(out).write_text(prof.output_html(), encoding="utf-8")
    print(prof.output_text(unicode=False, color=False, show_all=False))


FIELDS = [("read", "read s", ".2f"), ("check", "check s", ".2f"), ("hash", "hash s", ".2f"),
          ("write", "write s", ".2f"), ("total", "total s", ".2f"),
          ("process", "process s", ".2f"), ("rows_per_s", "rows/s", ",.0f"),
          ("read_mb", "read MB", ",.0f"), ("check_mb", "check MB", ",.0f"),
          ("write_mb", "write MB", ",.0f"), ("peak_mb", "peak MB", ",.0f")]


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--format", nargs="*", default=["csv", "parquet"],
                        choices=["csv", "csv-quoted", "csv-gb18030", "parquet"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", help="write a pyinstrument HTML profile here instead")
    parser.add_argument("--data", help="keep the generated folders here (reused when present)")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.format:
            folder = Path(args.data or tmp) / f"{fmt}_{args.rows}"
            if not (args.data and folder.is_dir()):
                write_folder(folder, args.rows, fmt)
            size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
            if args.profile:
                profile(folder, args.profile.replace(".html", f"_{fmt}.html"))
                continue
            shas: list = []
            med = median_runs(CHILD, [str(folder), str(Path(tmp) / f"{fmt}.duckdb")], args.runs,
                              keep=shas)
            if "error" in med:
                results.append({"format": fmt, "error": med["error"]})
                print(f"  {fmt}: failed: {med['error']}", flush=True)
                continue
            row = {"format": fmt, "MB on disk": size, **med, "sha": shas[0]}
            results.append(row)
            print(f"  {fmt} {json.dumps(row)}", flush=True)
    if args.profile:
        return results
    print(f"\nevalkit ingest: firms ({args.rows // len(YEARS):,}) + firm_years "
          f"({args.rows:,} rows); median of {args.runs} runs")
    print(f"{'format':<11} {'disk MB':>8} {'rows':>11} {'quar.':>7} {'warn.':>7}"
          + "".join(f" {h:>10}" for _, h, _ in FIELDS))
    for r in results:
        if "error" in r:
            print(f"{r['format']:<11} failed: {r['error'][:90]}")
            continue
        print(f"{r['format']:<11} {r['MB on disk']:>8,.0f} {r['rows']:>11,.0f} "
              f"{r['quarantined']:>7,.0f} {r['warnings']:>7,.0f}"
              + "".join(f" {format(r[k], f):>10}" for k, _, f in FIELDS))
    return results


if __name__ == "__main__":
    main()
