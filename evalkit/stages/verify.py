"""``evalkit verify``: recompute a results bundle from the warehouse and confirm every file matches.

A bundle records in its manifest the study file and warehouse it came from (``provenance.study_file``,
the study's file name, and ``provenance.store``, relative to the study file; written by
:func:`evalkit.stages.run.run_study`) and the SHA-256 of every file it holds. The study is found
beside the bundle (:func:`find_study`), so a folder holding studies, bundles and warehouse (the
demo's output) verifies wherever it is copied. :func:`verify_report_dir` re-runs that study with
the same code path as ``evalkit run`` into a temporary folder and compares, file by file:

* the file on disk against the manifest (was the bundle edited after it was written?), and
* the recomputed file against the manifest (does the warehouse still give the same numbers?).

and the provenance of the data: the dataset version, its SHA-256, its date (the manifest's
``created``), the study file's SHA-256 and the seeds must equal the recomputation's, and the
dataset's SHA-256 is recomputed from the rows the warehouse holds now (so a forged manifest, or a
warehouse edited in place with its ``datasets`` row rewritten, fails). Differences in the record
of the software (a later git commit, another package version) cannot change the data a bundle
came from and are reported as notes; a changed number shows in the files.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.contract.bundle import MANIFEST, sha256_file
from evalkit.errors import ConfigError, DataError
from evalkit.i18n import Message
from evalkit.io.warehouse import content_sha256
from evalkit.results import Result, canonical
from evalkit.stages.run import load_tables, run_study
from evalkit.study import load_study

#: Provenance of the data: must equal the recomputation's (``created`` is the manifest's own).
DATA_KEYS = ("dataset_version", "dataset_sha256", "created", "study_sha256", "seeds")
#: Provenance of the software: differences are notes.
SOFTWARE_KEYS = ("evalkit_version", "git", "python", "packages")
PROVENANCE_KEYS = DATA_KEYS + SOFTWARE_KEYS


@dataclass(frozen=True)
class FileCheck:
    """One bundle file: its SHA-256 in the manifest, on disk and recomputed (None if absent)."""

    path: str
    manifest: str | None
    on_disk: str | None
    recomputed: str | None

    @property
    def ok(self) -> bool:
        return self.manifest is not None and self.manifest == self.on_disk == self.recomputed

    @property
    def reason(self) -> str:
        if self.ok:
            return "matches"
        if self.manifest is None:
            return "not in the bundle's manifest (recomputation wrote it)"
        if self.recomputed is None:
            return "listed in the manifest but not produced by the recomputation"
        if self.on_disk is None:
            return "listed in the manifest but missing from the bundle"
        if self.on_disk != self.manifest:
            return "changed after the bundle was written (SHA-256 differs from the manifest)"
        return "the recomputation gives different bytes"


@dataclass(frozen=True)
class ProvenanceCheck:
    """One entry of the data's provenance: the bundle's value and the recomputation's."""

    key: str
    bundle: Any
    recomputed: Any

    @property
    def ok(self) -> bool:
        return self.bundle == self.recomputed


@dataclass(frozen=True, eq=False, repr=False)
class VerifyResult(Result):
    """The outcome of :func:`verify_report_dir`."""

    bundle: Path
    study_file: Path
    store: Path
    files: tuple[FileCheck, ...]
    notes: tuple[str, ...]
    provenance: tuple[ProvenanceCheck, ...] = ()

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files) and all(p.ok for p in self.provenance)

    @property
    def provenance_mismatches(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.provenance if not p.ok)

    @property
    def matched(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files if f.ok)

    @property
    def mismatched(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files if not f.ok)

    def summary(self) -> str:
        if self.ok:
            head = (f"{self.bundle}: all {len(self.files)} files and the data's provenance "
                    "match the recomputation")
        else:
            head = (f"{self.bundle}: {len(self.mismatched)} of {len(self.files)} files and "
                    f"{len(self.provenance_mismatches)} provenance entries do not match")
        lines = [head]
        lines += [f"  {f.path}: {f.reason}" for f in self.files if not f.ok]
        lines += [f"  provenance {p.key}: bundle {p.bundle!r}, recomputed {p.recomputed!r}"
                  for p in self.provenance if not p.ok]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def tidy(self) -> pd.DataFrame:
        """One row per bundle file (``term`` its path) and per provenance entry
        (``provenance:<key>``), with ``ok`` and the reason; no estimates (NaN columns)."""
        rows = [{"term": f.path, "ok": f.ok, "reason": f.reason} for f in self.files]
        rows += [{"term": f"provenance:{p.key}", "ok": p.ok,
                  "reason": "" if p.ok else f"bundle {p.bundle!r}, recomputed {p.recomputed!r}"}
                 for p in self.provenance]
        return canonical(pd.DataFrame(rows, columns=["term", "ok", "reason"]))

    def to_dict(self) -> dict[str, Any]:
        return {"bundle": str(self.bundle), "study_file": str(self.study_file),
                "store": str(self.store), "ok": self.ok,
                "files": [{"path": f.path, "ok": f.ok, "reason": f.reason,
                           "manifest": f.manifest, "on_disk": f.on_disk,
                           "recomputed": f.recomputed} for f in self.files],
                "provenance": [{"key": p.key, "ok": p.ok, "bundle": p.bundle,
                                "recomputed": p.recomputed} for p in self.provenance],
                "notes": list(self.notes)}


def find_bundle(path: Path) -> Path:
    """The bundle a path stands for: the folder itself when it holds ``manifest.json``, else its
    single sub-folder that does (a report folder the bundle was copied into)."""
    path = Path(path)
    if (path / MANIFEST).is_file():
        return path
    if path.is_dir():
        inner = sorted(p.parent for p in path.glob(f"*/{MANIFEST}"))
        if len(inner) == 1:
            return inner[0]
        if len(inner) > 1:
            raise ConfigError(Message("errors.stages.verify.holds_several_bundles_pass", path=path,
                                      inner=[str(p) for p in inner]))
    raise DataError(Message("errors.stages.verify.results_bundle_here_manifest"), file=str(path),
                    fix=Message("errors.stages.verify.fix_pass_bundle_folder_written"))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_bytes())
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(Message("errors.stages.verify.cannot_read", name=path.name, e=e),
                        file=str(path)) from None


#: How many folders up from a bundle :func:`find_study` looks (the bundle, ``bundles/``, the
#: output folder, its parent).
STUDY_SEARCH_DEPTH = 4


def find_study(bundle: Path, name: str, sha256: str | None = None) -> Path | None:
    """The study file a bundle records by ``name`` (:func:`evalkit.stages.run.run_study` records
    the file name; older bundles an absolute path, used as it is): the file of that name in the
    bundle's folder or one of the :data:`STUDY_SEARCH_DEPTH` folders above it, or in a
    ``studies/`` folder of one of them (the demo's layout). The nearest whose SHA-256 is the
    recorded one wins; else the nearest of that name (verify then reports the changed study);
    None if there is none."""
    if Path(name).is_absolute():
        return Path(name)
    found = []
    for folder in [bundle, *bundle.parents][:STUDY_SEARCH_DEPTH]:
        for candidate in (folder / name, folder / "studies" / name):
            if candidate.is_file():
                found.append(candidate)
    matching = [c for c in found if sha256 and sha256_file(c) == sha256]
    return (matching or found or [None])[0]


def _sources(bundle: Path, manifest: dict[str, Any],
             study: Path | None = None) -> tuple[Path, Path]:
    """The study file (``study`` if given, else :func:`find_study`) and the warehouse (as the
    bundle recorded it, relative to the study file) a bundle was computed from."""
    prov = manifest.get("provenance") or {}
    name = prov.get("study_file")
    if not name:
        results = bundle / "results.json"
        name = (_read_json(results).get("study") or {}).get("file") if results.is_file() else None
        if name and not Path(name).is_absolute():
            name = None
    store = prov.get("store")
    if not name or not store:
        raise DataError(Message("errors.stages.verify.bundle_does_record_study"), file=str(bundle),
                        fix=Message("errors.stages.verify.fix_re_run_study_evalkit"))
    if study is None:
        study = find_study(bundle, name, prov.get("study_sha256"))
    if study is None:
        raise DataError(Message("errors.stages.verify.study_file_bundle_computed", name=name),
                        file=str(bundle),
                        fix=Message("errors.stages.verify.fix_pass_study_looked_bundle", name=name,
                                    study_search_depth=STUDY_SEARCH_DEPTH - 1))
    store_path = Path(store)
    if not store_path.is_absolute():
        store_path = Path(study).absolute().parent / store_path
    return Path(study), store_path


def recorded_store(bundle: Path) -> Path:
    """The warehouse a bundle was computed from, as its manifest records it: an absolute path as
    it is, a relative one (:func:`evalkit.stages.run.run_study`) relative to the study file found
    beside the bundle (:func:`find_study`)."""
    return _sources(Path(bundle), _read_json(Path(bundle) / MANIFEST))[1]


def _without_review(path: Path) -> str | None:
    """SHA-256 of a portfolio bundle's results without its review-state snapshot (``review``),
    or None when the file is absent or holds no review state."""
    if not path.is_file():
        return None
    data = _read_json(path)
    if not isinstance(data, dict) or "review" not in data:
        return None
    data = {k: v for k, v in data.items() if k != "review"}
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, allow_nan=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_report_dir(path: Path | str, study: Path | str | None = None) -> VerifyResult:
    """Recompute the bundle at ``path`` (a bundle, or a folder holding one) from its study and
    warehouse, and compare every file's SHA-256 with the manifest and the file on disk.
    ``study`` names the study file when it is not beside the bundle (:func:`find_study`)."""
    bundle = find_bundle(Path(path)).resolve()
    manifest = _read_json(bundle / MANIFEST)
    study_file, store = _sources(bundle, manifest, None if study is None else Path(study))
    if not study_file.is_file():
        raise DataError(Message("errors.stages.verify.study_file_bundle_computed_2"),
                        file=str(study_file),
                        fix=Message("errors.stages.verify.fix_restore_sha_manifest"))
    prov = manifest.get("provenance") or {}
    notes: list[str] = []
    parsed, _ = load_study(study_file)
    if Path(parsed.data.store).resolve() != store.resolve():
        notes.append(f"the study now reads the warehouse {parsed.data.store}; the bundle came "
                     f"from {store}")
    if not prov.get("dataset_version"):
        raise DataError(Message("errors.stages.verify.bundle_does_record_dataset"),
                        file=str(bundle),
                        fix=Message("errors.stages.verify.fix_re_run_study_evalkit_2"))
    tables, info = load_tables(parsed.data.store, str(prov["dataset_version"]))
    rows_sha = content_sha256(tables)      # the rows as stored now, not the recorded hash
    with tempfile.TemporaryDirectory(prefix="evalkit-verify-") as tmp:
        out = run_study(study_file, Path(tmp) / "bundle", tables=(tables, info))
        again = _read_json(out / MANIFEST)
        recomputed = {rel: sha256_file(out / rel) for rel in again.get("files", {})}
        review_free = _without_review(out / "results.json")
    listed = {rel: meta.get("sha256") for rel, meta in manifest.get("files", {}).items()}
    # a portfolio bundle's review state is a snapshot of the review log when the stage ran;
    # decisions recorded since change it, not the computation (the log is verified by
    # `evalkit review verify`): the rest of results.json must match
    rel = "results.json"
    if (review_free is not None and recomputed.get(rel) != listed.get(rel)
            and review_free == _without_review(bundle / rel)):
        recomputed[rel] = listed.get(rel)
        notes.append("results.json: the review state differs from the recomputation's (decisions "
                     "recorded since the portfolio stage ran; `evalkit review verify` checks the "
                     "log); everything else matches")
    checks = []
    for rel in sorted(set(listed) | set(recomputed)):
        disk = bundle / rel
        checks.append(FileCheck(rel, listed.get(rel),
                                sha256_file(disk) if disk.is_file() else None,
                                recomputed.get(rel)))
    new_prov = again.get("provenance") or {}
    data = [ProvenanceCheck(k, manifest.get(k) if k == "created" else prov.get(k),
                            again.get(k) if k == "created" else new_prov.get(k))
            for k in DATA_KEYS]
    data.append(ProvenanceCheck("dataset_sha256 (recomputed from the rows)",
                                prov.get("dataset_sha256"), rows_sha))
    for key in SOFTWARE_KEYS:
        if prov.get(key) != new_prov.get(key):
            notes.append(f"provenance {key} differs: bundle {prov.get(key)!r}, "
                         f"recomputation {new_prov.get(key)!r}")
    return VerifyResult(bundle, study_file, store, tuple(checks), tuple(notes), tuple(data))
