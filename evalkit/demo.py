"""The demo evaluation cycle on the synthetic district (``evalkit demo`` / ``make demo``).

Synthesize the district (with the monitoring cases of :mod:`evalkit.synth.anomalies` injected:
ledger anomalies, a policy behind on execution, an off-track KPI), ingest it, run the demo studies
in ``studies/demo/`` (ex-post for the eight policies; ex-ante appraisal of two proposals, pooling
the ex-post evidence; monitoring of the current year; the portfolio), render every report in both
languages and formats, and return a one-screen summary. The studies are the files users copy; the
demo writes copies into ``<out>/studies/`` with the warehouse and bundle paths pointed at its own
output folder, and runs those with :func:`evalkit.stages.run.run_study`, so every bundle can be
re-run and verified (``evalkit run``, ``evalkit verify``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from evalkit.contract.bundle import read_bundle
from evalkit.contract.provenance import relative_path
from evalkit.io import ingest_dir
from evalkit.io.safefs import claim_dir
from evalkit.report.index import write_index
from evalkit.results import json_safe
from evalkit.stages.run import load_tables, run_study
from evalkit.synth import synthesize_district, write_district
from evalkit.synth.anomalies import inject_monitoring_cases
from evalkit.yamledit import set_values

DEMO_STUDIES = Path(__file__).resolve().parents[1] / "studies" / "demo"
POLICIES = ("P01", "P02", "P03", "P04", "P05", "P06", "P07", "P08")
EX_ANTE = ("ex_ante_N01", "ex_ante_N02")


def write_demo_study(name: str, studies: Path, store: Path, bundles: Path,
                     bootstrap: int | None = None, dataset: str | None = None) -> Path:
    """Copy a demo study into ``studies`` with its warehouse and bundle paths pointed at the
    demo's output (and, if given, its bootstrap draws and dataset version), so every bundle
    records a study file that `evalkit run` and `evalkit verify` can re-run. The copy is the
    original's bytes (its comments kept) with those values changed in place, the paths relative
    to the copy (:func:`evalkit.yamledit.set_values`): the output folder can be moved."""
    text = (DEMO_STUDIES / f"{name}.yaml").read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    changes: dict[tuple[str, ...], Any] = {("data", "store"): relative_path(store, studies)}
    if dataset is not None:
        changes[("data", "dataset")] = dataset
    for key in ("bundles", "evidence_bundles"):
        if key in doc:
            changes[(key,)] = [relative_path(bundles / Path(b).name, studies) for b in doc[key]]
    if bootstrap is not None and doc["stage"] == "ex_post":
        changes[("inference", "bootstrap")] = int(bootstrap)
    studies.mkdir(parents=True, exist_ok=True)
    path = studies / f"{name}.yaml"
    header = (f"# Written by `evalkit demo` from studies/demo/{name}.yaml: its paths point at "
              "this output folder.\n")
    path.write_text(header + set_values(text, changes), encoding="utf-8")
    return path


def _run(name: str, out: Path, tables, timings: dict[str, float], bootstrap: int | None):
    t0 = time.perf_counter()
    store, bundles = out / "warehouse.duckdb", out / "bundles"
    study = write_demo_study(name, out / "studies", store, bundles, bootstrap,
                             tables[1]["dataset_id"])
    bundle = run_study(study, bundles / name, tables=tables)
    timings[name] = time.perf_counter() - t0
    return read_bundle(bundle)


def _render_one(job: tuple[Path, Path, str, tuple[str, ...]]) -> list[Path]:
    from evalkit.report.render import render_report
    from evalkit.report.templates import template_for

    bundle, out, lang, formats = job
    return render_report(template_for(read_bundle(bundle).stage), bundle, out / bundle.name,
                         formats=formats, lang=lang)


def render_bundles(bundle_dirs: list[Path], out: Path, langs: tuple[str, ...],
                   formats: tuple[str, ...], progress: Callable[..., None] | None = None,
                   workers: int = 2) -> list[Path]:
    """Render every bundle with its stage's template, in every language and format, on
    ``workers`` processes (each report's bytes do not depend on the order)."""
    from concurrent.futures import ProcessPoolExecutor

    jobs = [(b, out, lang, formats) for b in bundle_dirs for lang in langs]
    written: list[Path] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for i, paths in enumerate(pool.map(_render_one, jobs)):
            if progress:
                progress("reports", i, len(jobs))
            written += paths
    if progress:
        progress("reports", len(jobs), len(jobs))
    return written


def run_demo(out: Path, n_firms: int = 20000, seed: int = 7, start: int = 2016, end: int = 2025,
             progress: Callable[..., None] | None = None, bootstrap: int | None = None,
             render: bool = True, langs: tuple[str, ...] = ("zh", "en"),
             formats: tuple[str, ...] = ("html", "pdf")) -> dict[str, Any]:
    """Run the demo cycle into ``out``: a new or empty folder, or one an earlier demo wrote
    (it carries :data:`evalkit.io.safefs.MARKER`; a folder holding anything else is refused).
    The demo's warehouse is never deleted: the district is ingested into it (a version already
    there is reused, the studies are pinned to the version used) and reviews recorded in it are
    kept. Returns the summary: ``rows`` (what was written where, the district's size; printed by
:func:`evalkit.cli_summary.summary_lines`), ``ranking`` (one row per policy),
    ``timings`` (stage -> seconds) and ``paths``.

    Fonts and tools are checked first (:func:`evalkit.report.render.check_render_tools`): a
    missing one stops the demo before ``out`` is created or written to."""
    if render:
        from evalkit.report.render import check_render_tools

        check_render_tools(formats)
    out = claim_dir(Path(out).resolve(), "demo")
    data_dir, store, bundles = out / "data", out / "warehouse.duckdb", out / "bundles"
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    district = synthesize_district(n_firms=n_firms, start=start, end=end, seed=seed)
    district, manifest = inject_monitoring_cases(district, seed=seed)
    write_district(district, data_dir, dirty=False, seed=seed)
    (data_dir / "monitoring_cases.json").write_text(
        json.dumps(json_safe(manifest), ensure_ascii=False, sort_keys=True, indent=1) + "\n",
        encoding="utf-8")
    timings["synth"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # dated at the data's cut-off, not the wall clock: two runs give the same bytes
    cut = pd.Timestamp(district.meta["as_of"]).to_pydatetime()
    ingest = ingest_dir(data_dir, store=store, progress=progress, created_at=cut)
    timings["ingest"] = time.perf_counter() - t0
    loaded = load_tables(store, ingest.version.dataset_id)
    tables, info = loaded
    names = [f"ex_post_{pid}" for pid in POLICIES] + list(EX_ANTE) + ["monitor", "portfolio"]
    for i, name in enumerate(names):
        if progress:
            progress("studies", i, len(names))
        last = _run(name, out, loaded, timings, bootstrap)
    if progress:
        progress("studies", len(names), len(names))
    reports_dir = out / "reports"
    if render:
        t0 = time.perf_counter()
        done = sorted(p for p in bundles.iterdir() if p.is_dir() and not p.name.startswith("."))
        written = render_bundles(done, reports_dir, langs, formats, progress)
        timings["reports"] = time.perf_counter() - t0
    recs = last.table("recommendations").set_index("policy_id")
    names = tables["policies"].set_index("policy_id")
    rows = []
    for r in last.table("ranking").itertuples():
        rec = recs.loc[r.term]
        rows.append({"policy": r.term, "name_zh": str(names.loc[r.term, "name_zh"]),
                     "name_en": str(names.loc[r.term, "name_en"]), "metric": r.estimate,
                     "conf_low": r.conf_low, "conf_high": r.conf_high,
                     # rank 0: identification failed, not ranked ("re-evaluate")
                     "rank": f"{r.rank_low}-{r.rank_high}" if r.rank > 0 else "not identified",
                     "rank_order": int(r.rank), "rank_low": int(r.rank_low),
                     "rank_high": int(r.rank_high),
                     "score": float(rec["score"]), "grade": rec["grade"],
                     "action": rec["action"]})
    ledger = tables["disbursements"]
    summary_rows: dict[str, Any] = {
        "dataset": f"{info['dataset_id']} ({info['sha256'][:12]})",
        "firms": len(tables["firms"]), "firm_years": len(tables["firm_years"]),
        "policies": len(tables["policies"]),
        "disbursed": float(ledger["amount"].sum()),       # yuan
        "warehouse": str(store), "bundles": str(bundles),
    }
    if render:
        summary_rows["reports"] = len(written)
        summary_rows["reports_dir"] = str(reports_dir)
    summary_rows["index"] = str(write_index(out))
    return {"rows": summary_rows, "ranking": rows, "timings": timings,
            "paths": {"out": str(out), "store": str(store), "bundles": str(bundles)}}
