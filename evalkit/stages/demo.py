"""The demo evaluation cycle on the synthetic district (``evalkit demo`` / ``make demo``).

Synthesize the district (with the monitoring cases of :mod:`evalkit.synth.anomalies` injected:
ledger anomalies, a policy behind on execution, an off-track KPI), ingest it, run the demo studies
in ``studies/demo/`` (ex-post for the eight policies; ex-ante appraisal of two proposals, pooling
the ex-post evidence; monitoring of the current year; the portfolio), render every report in both
languages and formats, and return a one-screen summary. The studies are the files users copy; the
demo only points their warehouse and bundle paths at its own output folder.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evalkit.io import ingest_dir
from evalkit.report.bundle import write_bundle
from evalkit.report.provenance import collect
from evalkit.results import json_safe
from evalkit.stages.run import bundle_parts, load_tables, run_stage
from evalkit.study import load_study
from evalkit.synth import synthesize_district, write_district
from evalkit.synth.anomalies import inject_monitoring_cases

DEMO_STUDIES = Path(__file__).resolve().parents[2] / "studies" / "demo"
POLICIES = ("P01", "P02", "P03", "P04", "P05", "P06", "P07", "P08")
EX_ANTE = ("ex_ante_N01", "ex_ante_N02")


def _retarget(study, store: Path, bundles: Path):
    """Point a demo study at the demo's own warehouse and bundle folder."""
    update: dict[str, Any] = {"data": study.data.model_copy(update={"store": store})}
    if study.stage == "portfolio":
        update["bundles"] = tuple(bundles / Path(b).name for b in study.bundles)
    if study.stage == "ex_ante":
        update["evidence_bundles"] = tuple(bundles / Path(b).name for b in study.evidence_bundles)
    return study.model_copy(update=update)


def _run(name: str, store: Path, bundles: Path, tables, info, progress, timings, **overrides):
    t0 = time.perf_counter()
    study, sha = load_study(DEMO_STUDIES / f"{name}.yaml")
    study = _retarget(study, store, bundles)
    if overrides:
        study = study.model_copy(update=overrides)
    result = run_stage(study, tables, progress)
    results, frames, figures = bundle_parts(result)
    results = {**results, "study": {"name": study.name, "stage": study.stage,
                                     "file": f"{name}.yaml", "sha256": sha,
                                     "report": study.report.model_dump()}}
    prov = collect(dataset_version=info["dataset_id"], dataset_sha256=info["sha256"],
                   study_sha256=sha, seeds={"study": study.inference.seed})
    out = bundles / name
    if out.exists():
        import shutil

        shutil.rmtree(out)
    write_bundle(out, stage=study.stage, results=results, tables=frames, figures=figures,
                 provenance=prov, created=info["created"])
    timings[name] = time.perf_counter() - t0
    return result, out


def render_bundles(bundle_dirs: list[Path], out: Path, langs: tuple[str, ...],
                   formats: tuple[str, ...], progress: Callable[..., None] | None = None) -> list[Path]:
    """Render every bundle with its stage's template, in every language and format."""
    from evalkit.report.bundle import read_bundle
    from evalkit.report.render import render_report
    from evalkit.report.templates import template_for

    written: list[Path] = []
    jobs = [(b, lang) for b in bundle_dirs for lang in langs]
    for i, (b, lang) in enumerate(jobs):
        if progress:
            progress("reports", i, len(jobs))
        stage = read_bundle(b).stage
        written += render_report(template_for(stage), b, out / b.name, formats=formats, lang=lang)
    if progress:
        progress("reports", len(jobs), len(jobs))
    return written


def run_demo(out: Path, n_firms: int = 20000, seed: int = 7, start: int = 2016, end: int = 2025,
             progress: Callable[..., None] | None = None, bootstrap: int | None = None,
             render: bool = True, langs: tuple[str, ...] = ("zh", "en"),
             formats: tuple[str, ...] = ("html", "pdf")) -> dict[str, Any]:
    """Run the demo cycle into ``out``. Returns the summary: ``rows`` (label -> text),
    ``ranking`` (one row per policy), ``timings`` (stage -> seconds) and ``paths``."""
    out = Path(out).resolve()
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
    if store.exists():
        store.unlink()
    ingest = ingest_dir(data_dir, store=store, progress=progress)
    timings["ingest"] = time.perf_counter() - t0
    tables, info = load_tables(store, ingest.version.dataset_id)
    over = {} if bootstrap is None else {"inference": None}
    results = {}
    for pid in POLICIES:
        if progress:
            progress("ex-post evaluations", POLICIES.index(pid), len(POLICIES))
        kw = {}
        if over:
            study, _ = load_study(DEMO_STUDIES / f"ex_post_{pid}.yaml")
            kw["inference"] = study.inference.model_copy(update={"bootstrap": bootstrap})
        results[pid], _ = _run(f"ex_post_{pid}", store, bundles, tables, info, None, timings, **kw)
    if progress:
        progress("ex-post evaluations", len(POLICIES), len(POLICIES))
    for name in EX_ANTE:
        _run(name, store, bundles, tables, info, None, timings)
    _run("monitor", store, bundles, tables, info, None, timings)
    portfolio, _ = _run("portfolio", store, bundles, tables, info, None, timings)
    reports_dir = out / "reports"
    if render:
        t0 = time.perf_counter()
        written = render_bundles(sorted(p for p in bundles.iterdir() if p.is_dir()), reports_dir,
                                 langs, formats, progress)
        timings["reports"] = time.perf_counter() - t0
    ranking = portfolio.ranking.tidy()
    recs = portfolio.recommendations.table.set_index("policy_id")
    grades = {s.policy_id: s for s in portfolio.scorecards}
    rows = []
    for r in ranking.itertuples():
        card = grades[r.term]
        rows.append({"policy": r.term, "metric": r.estimate, "conf_low": r.conf_low,
                     "conf_high": r.conf_high, "rank": f"{r.rank_low}-{r.rank_high}",
                     "score": card.score, "grade": card.grade,
                     "action": recs.loc[r.term, "action"]})
    ledger = tables["disbursements"]
    summary_rows = {
        "dataset": f"{info['dataset_id']} ({info['sha256'][:12]})",
        "firms": f"{len(tables['firms']):,}",
        "firm-years": f"{len(tables['firm_years']):,}",
        "policies": f"{len(tables['policies']):,}",
        "disbursed (CNY million)": f"{ledger['amount'].sum() / 1e6:,.1f}",
        "warehouse": str(store),
        "bundles": str(bundles),
    }
    if render:
        summary_rows["reports"] = f"{len(written)} files in {reports_dir}"
    return {"rows": summary_rows, "ranking": rows, "timings": timings,
            "paths": {"out": str(out), "store": str(store), "bundles": str(bundles)}}
