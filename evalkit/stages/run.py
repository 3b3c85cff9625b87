"""``evalkit run STUDY``: parse a study, run its stage on its dataset, write the results bundle.

Bundles are reproducible: the manifest's ``created`` time is the dataset version's ingest time
(not the wall clock), so the same study on the same dataset version gives the same bytes. They
hold no path of the machine: the study is recorded by its file name and the warehouse relative to
the study file (``evalkit verify`` finds the study beside the bundle, see
:func:`evalkit.report.verify.find_study`), so a bundle written into another folder, or copied
elsewhere with its study and warehouse, has the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.contract.bundle import check_bundle_dir, write_bundle
from evalkit.contract.models import parse_results
from evalkit.contract.provenance import collect, relative_path
from evalkit.errors import ConfigError
from evalkit.i18n import Message
from evalkit.io import list_datasets, load_dataset
from evalkit.stages import ex_ante, ex_post, monitor, portfolio
from evalkit.study import load_study


def _run_ex_ante(study, tables, progress):
    return ex_ante.run_ex_ante(study, tables, study.evidence_bundles)


def _run_monitor(study, tables, progress):
    return monitor.run_monitor(study, tables)


@dataclass(frozen=True)
class Stage:
    """How ``evalkit run`` runs one stage: ``run(study, tables, progress)`` -> result, and
    ``bundle_parts(result)`` -> (results JSON, tables, figures) of its bundle."""
    run: Callable[..., Any]
    bundle_parts: Callable[[Any], tuple[dict, dict[str, pd.DataFrame], dict[str, bytes]]]


#: The stages, in the order of the evaluation cycle: the one place a stage is dispatched from.
STAGES: dict[str, Stage] = {
    "ex_ante": Stage(_run_ex_ante, ex_ante.bundle_parts),
    "monitor": Stage(_run_monitor, monitor.bundle_parts),
    "ex_post": Stage(ex_post.run_ex_post, ex_post.bundle_parts),
    "portfolio": Stage(portfolio.run_portfolio, portfolio.bundle_parts),
}


def load_tables(store: Path, dataset: str) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The six tables of one dataset version and the version's record (id, sha256, created)."""
    if not Path(store).exists():
        raise ConfigError(Message("errors.stages.run.warehouse_does_exist_ingest", store=store))
    versions = list_datasets(store)
    version = None if dataset == "latest" else dataset
    tables = load_dataset(store, version)
    row = versions.iloc[-1] if version is None else versions[versions["dataset_id"] == version].iloc[0]
    created = pd.Timestamp(row["created_at"])
    info = {"dataset_id": str(row["dataset_id"]), "sha256": str(row["sha256"]),
            "created": int(created.timestamp()) if not pd.isna(created) else 0}
    return tables, info


def run_stage(study, tables: dict[str, pd.DataFrame], progress: Callable[..., None] | None = None):
    """Run the stage a study declares; returns its results object."""
    return STAGES[study.stage].run(study, tables, progress)


def run_study(path: Path | str, out: Path | str, progress: Callable[..., None] | None = None,
              overwrite: bool = True, dataset: str | None = None,
              tables: tuple[dict[str, pd.DataFrame], dict[str, Any]] | None = None) -> Path:
    """Run the study at ``path`` and write its bundle to ``out``; returns the bundle folder.

    ``out`` must be new or empty or (``overwrite``) an earlier bundle, which is then replaced
    whole; a folder holding anything else is refused, never deleted (:func:`write_bundle`).
    ``dataset`` pins a dataset version instead of the study's (``evalkit verify`` recomputes on
    the version a bundle recorded). ``tables`` = (tables, version record) already loaded from the
    study's warehouse, so that a cycle of studies reads the warehouse once.
    """
    study, study_sha = load_study(path)
    out = Path(out).absolute()
    check_bundle_dir(out, replace=overwrite)
    if tables is None:
        tables = load_tables(study.data.store, dataset or study.data.dataset)
    tables, info = tables
    result = run_stage(study, tables, progress)
    results, frames, figures = STAGES[study.stage].bundle_parts(result)
    # written through the stage's results model: what the bundle holds is what readers expect
    results = parse_results(study.stage, {
        **results, "study": {"name": study.name, "stage": study.stage, "file": Path(path).name,
                             "sha256": study_sha, "report": study.report.model_dump()}},
        f"{study.stage} results of {Path(path).name}")
    prov = collect(dataset_version=info["dataset_id"], dataset_sha256=info["sha256"],
                   study_sha256=study_sha, seeds={"study": study.inference.seed})
    # the study by its file name, the warehouse relative to the study: no path of this machine
    prov["store"] = relative_path(study.data.store, Path(path).parent)
    prov["study_file"] = Path(path).name
    write_bundle(out, stage=study.stage, results=results, tables=frames, figures=figures,
                 provenance=prov, created=info["created"], replace=overwrite)
    return out
