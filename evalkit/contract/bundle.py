"""Results bundles: what a stage hands to a report.

Layout of a bundle directory::

    manifest.json        format, stage, created (Unix seconds), provenance, files -> sha256 and size
    results.json         JSON-safe results (numbers, labels, small arrays): the stage's
                         results model (:mod:`evalkit.contract.models`) as JSON
    tables/NAME.parquet  tidy tables
    figures/NAME.png|svg pre-drawn figures

The manifest lists the SHA-256 of every other file; :func:`read_bundle` refuses a bundle whose
files do not match it, so a report is always rendered from exactly what the stage wrote.
Writing is deterministic: same inputs, same bytes (sorted keys, no wall-clock time unless the
caller passes none for ``created``).
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from evalkit.contract.models import StageResults, dump_results, parse_results
from evalkit.errors import ConfigError, DataError
from evalkit.i18n import Message
from evalkit.io.safefs import replace_dir

FORMAT = "evalkit-bundle/1"
MANIFEST = "manifest.json"
RESULTS = "results.json"
FIGURE_SUFFIXES = (".png", ".svg")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False)
            + "\n").encode("utf-8")


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


_KINDS = {"table": Message("labels.bundle.table"), "figure": Message("labels.bundle.figure")}


def _check_name(kind: str, name: str) -> None:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ConfigError(Message("errors.contract.bundle.name_plain_file",
                                  kind=_KINDS.get(kind, kind), name=name))


def write_bundle(out_dir: Path, *, stage: str, results: Mapping[str, Any] | StageResults,
                 tables: Mapping[str, pd.DataFrame] | None = None,
                 figures: Mapping[str, bytes | Path] | None = None,
                 provenance: Mapping[str, Any] | None = None,
                 created: int | None = None, replace: bool = False) -> Path:
    """Write a bundle into ``out_dir``. Returns the manifest path.

    ``out_dir`` must be absent or empty or, with ``replace``, an earlier bundle (a folder holding
    nothing but a manifest and the files it lists, :func:`is_bundle_dir`): nothing evalkit did
    not write is ever deleted. The bundle is written into a sibling temporary folder and renamed
    into place, so a failure leaves ``out_dir`` as it was.

    ``results`` is the stage's results model (:mod:`evalkit.contract.models`) or a JSON-safe
    mapping (see :func:`evalkit.results.json_safe`); ``tables`` maps a name
    to a DataFrame; ``figures`` maps a file name ending in .png/.svg to bytes or a file;
    ``provenance`` is what :func:`evalkit.contract.provenance.collect` returns; ``created`` is Unix
    seconds (pass the study's SOURCE_DATE_EPOCH for reproducible bytes; default: now).
    """
    out_dir = Path(out_dir)
    check_bundle_dir(out_dir, replace)
    payload: dict[str, bytes] = {}
    if isinstance(results, StageResults):
        results = dump_results(results)
    try:
        payload[RESULTS] = _json_bytes(results)
    except (TypeError, ValueError) as e:
        raise DataError(Message("errors.contract.bundle.results_json_safe", e=e),
                        fix=Message("errors.contract.bundle.fix_pass_them_through_json")) from e
    for name, frame in sorted((tables or {}).items()):
        _check_name("table", name)
        payload[f"tables/{name}.parquet"] = _parquet_bytes(frame)
    for name, fig in sorted((figures or {}).items()):
        _check_name("figure", name)
        if not name.endswith(FIGURE_SUFFIXES):
            raise ConfigError(Message("errors.contract.bundle.figure_end_one", name=name,
                                      figure_suffixes=FIGURE_SUFFIXES))
        payload[f"figures/{name}"] = fig if isinstance(fig, bytes) else Path(fig).read_bytes()
    manifest = {
        "format": FORMAT,
        "stage": stage,
        "created": int(time.time()) if created is None else int(created),
        "provenance": dict(provenance or {}),
        "files": {p: {"sha256": sha256_bytes(b), "bytes": len(b)} for p, b in sorted(payload.items())},
    }
    try:
        payload[MANIFEST] = _json_bytes(manifest)
    except (TypeError, ValueError) as e:
        raise DataError(Message("errors.contract.bundle.provenance_json_safe", e=e)) from e

    def fill(folder: Path) -> None:
        for rel, data in payload.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    out = replace_dir(out_dir, fill, is_bundle_dir)
    return out / MANIFEST


def check_bundle_dir(out_dir: Path, replace: bool = False) -> None:
    """Refuse, before any work, a bundle folder :func:`write_bundle` would refuse: a file, a
    non-empty folder (with ``replace``: one that is not an earlier bundle)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise DataError(Message("errors.contract.bundle.bundle_path_folder"), file=str(out_dir),
                        fix=Message("errors.common.fix_give_folder_name"))
    if not (out_dir.is_dir() and any(out_dir.iterdir())):
        return
    if not replace:
        raise ConfigError(Message("errors.contract.bundle.bundle_directory_empty_give",
                                  out_dir=out_dir))
    if not is_bundle_dir(out_dir):
        raise DataError(Message("errors.contract.bundle.folder_empty_results_bundle"),
                        file=str(out_dir),
                        fix=Message("errors.contract.bundle.fix_give_new_empty_folder"))


def is_bundle_dir(path: Path) -> bool:
    """Whether ``path`` holds a bundle and nothing else: a manifest of this format and only the
    files it lists (their content is not checked: evalkit wrote them, it may replace them)."""
    try:
        manifest = json.loads((Path(path) / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return False
    listed = set(manifest.get("files", {})) | {MANIFEST}
    return all(p.relative_to(path).as_posix() in listed
               for p in Path(path).rglob("*") if not p.is_dir())


@dataclass(frozen=True)
class Bundle:
    """A verified bundle. ``model`` is its results as the stage's typed model (validated when
    first read); ``results`` the same as the raw mapping; ``table(name)`` reads a Parquet table;
    ``figure(name)`` is a file path."""

    path: Path
    manifest: Mapping[str, Any]
    results: Mapping[str, Any]
    manifest_sha256: str

    @property
    def stage(self) -> str:
        return self.manifest["stage"]

    @cached_property
    def model(self) -> StageResults:
        """The results as the stage's model (:mod:`evalkit.contract.models`); a
        :class:`~evalkit.errors.DataError` names the file and the field that does not fit."""
        return parse_results(self.stage, self.results, str(self.path / RESULTS))

    @property
    def name(self) -> str:
        """The bundle's folder name (how a later stage records it)."""
        return self.path.name

    @property
    def created(self) -> int:
        return int(self.manifest["created"])

    @property
    def provenance(self) -> Mapping[str, Any]:
        return self.manifest.get("provenance", {})

    def table_names(self) -> list[str]:
        return sorted(p[len("tables/"):-len(".parquet")] for p in self.manifest["files"]
                      if p.startswith("tables/"))

    def table(self, name: str) -> pd.DataFrame:
        rel = f"tables/{name}.parquet"
        if rel not in self.manifest["files"]:
            have = self.table_names()
            raise DataError(Message("errors.contract.bundle.bundle_table", path=self.path,
                                    name=name, have=have))
        return pq.read_table(self.path / rel).to_pandas()

    def figure(self, name: str) -> Path:
        rel = f"figures/{name}"
        if rel not in self.manifest["files"]:
            raise DataError(Message("errors.contract.bundle.bundle_figure", path=self.path,
                                    name=name))
        return self.path / rel


def read_bundle(path: Path) -> Bundle:
    """Open and verify a bundle: every listed file present with its SHA-256, no unlisted file."""
    path = Path(path)
    mpath = path / MANIFEST
    if not mpath.is_file():
        raise DataError(Message("errors.contract.bundle.results_bundle_manifest_json"),
                        file=str(path),
                        fix=Message("errors.contract.bundle.fix_pass_directory_written_evalkit"))
    raw = mpath.read_bytes()
    try:
        manifest = json.loads(raw)
    except json.JSONDecodeError as e:
        raise DataError(Message("errors.contract.bundle.manifest_valid_json", e=e),
                        file=str(mpath)) from None
    if manifest.get("format") != FORMAT:
        raise DataError(Message("errors.contract.bundle.unknown_bundle_format_expected",
                                get=manifest.get('format'), format=FORMAT), file=str(mpath))
    files = manifest.get("files", {})
    for rel, meta in files.items():
        f = path / rel
        if not f.is_file():
            raise DataError(Message("errors.contract.bundle.file_listed_manifest_missing"),
                            file=str(f))
        if sha256_file(f) != meta["sha256"]:
            raise DataError(Message("errors.contract.bundle.sha_does_match_manifest"), file=str(f))
    listed = set(files) | {MANIFEST}
    extra = sorted(str(p.relative_to(path)) for p in path.rglob("*")
                   if p.is_file() and p.relative_to(path).as_posix() not in listed)
    if extra:
        raise DataError(Message("errors.contract.bundle.files_listed_manifest", extra=extra),
                        file=str(path))
    results = json.loads((path / RESULTS).read_bytes()) if RESULTS in files else {}
    return Bundle(path.resolve(), MappingProxyType(manifest), MappingProxyType(results),
                  sha256_bytes(raw))


@dataclass(frozen=True, eq=False)
class MemoryBundle:
    """A stage's results held in memory, read as a :class:`Bundle` is (``model``, ``table``,
    ``provenance``): what a later stage takes instead of a bundle folder, so that a notebook can
    chain stages without writing files. ``name`` stands for the folder name; there is no
    manifest (``manifest_sha256`` is None)."""

    name: str
    model: StageResults = field(repr=False)
    tables: Mapping[str, pd.DataFrame] = field(repr=False)
    provenance: Mapping[str, Any] = field(repr=False)
    manifest_sha256: None = None

    @property
    def stage(self) -> str:
        return self.model.STAGE

    @property
    def path(self) -> Path:
        return Path(self.name)

    def table_names(self) -> list[str]:
        return sorted(self.tables)

    def table(self, name: str) -> pd.DataFrame:
        if name not in self.tables:
            raise DataError(Message("errors.contract.bundle.results_table_they", name=self.name,
                                    name_2=name, table_names=self.table_names()))
        return self.tables[name]


def memory_bundle(stage: str, results: Mapping[str, Any] | StageResults,
                  tables: Mapping[str, pd.DataFrame] | None = None, *, name: str,
                  provenance: Mapping[str, Any] | None = None) -> MemoryBundle:
    """A :class:`MemoryBundle` of ``stage``'s results (validated by its model)."""
    return MemoryBundle(name, parse_results(stage, results, f"{stage} results {name}"),
                        dict(tables or {}), dict(provenance or {}))


def read_results(path: Path, stage: str | None = None) -> StageResults:
    """The typed results of the bundle at ``path`` (verified as :func:`read_bundle` does);
    with ``stage``, refuse a bundle of another stage."""
    b = read_bundle(path)
    if stage is not None and b.stage != stage:
        raise DataError(Message("errors.contract.bundle.bundle_bundle_expected", stage=b.stage,
                                stage_2=stage), file=str(b.path))
    return b.model
