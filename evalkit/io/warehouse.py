"""The warehouse: one DuckDB file holding versioned datasets.

Tables:

* ``datasets(dataset_id, sha256, created_at, source_files JSON, counts JSON)``, one row per
  version, ``dataset_id`` = ``v1``, ``v2``, ... in order of ingest;
* one table per data table (``firms``, ``firm_years``, ...) with a leading ``dataset_id``;
* ``quarantine(dataset_id, table_name, file, row, column, value, reason, message, message_zh)``,
  the rejected rows of each version (every problem of each row, the message in English and
  Chinese), and ``warnings`` (same columns) for the accepted rows that were flagged.

An ingest is atomic and has the store to itself: under the store's write lock
(:func:`evalkit.io.safefs.store_lock`, the file ``<store>.lock``, which reviews take too) a
write-ahead log left by a crashed writer is folded into the store, temporary copies left by killed
ingests are deleted, the store is copied to a temporary file in the same folder, the new version is
written into the copy inside one transaction, the copy is closed, given the store's permissions and
``os.replace``-d onto the store. On any failure the copy is deleted and the store is left
byte-for-byte unchanged; a second ingest or review waits for the first.

A version's ``sha256`` is over the accepted content in a canonical serialisation (tables in load
order, canonical columns, rows sorted by key, the CSV text pandas' ``to_csv`` writes): ingesting
identical content again adds nothing and returns the version already stored. The text is built
with Arrow (floats by DuckDB, exactly as ``repr``), a block of rows at a time in threads, and the
key order is computed once from integer ranks and shared by the hash and the write.

Queries pass values as parameters; rows enter DuckDB as Arrow tables through ``register``
(``INSERT ... SELECT``), never through SQL text or Python objects.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.errors import DataError
from evalkit.i18n import Message
from evalkit.io import safefs
from evalkit.io.arrowtext import arrow_strings, float_text
from evalkit.io.integrity import changed_tables, edited_error, table_checksums
from evalkit.io.schemas import TABLE_ORDER, TABLES, Table
from evalkit.io.validate import PROBLEM_COLUMNS, Progress, ValidationReport, validate_dir
from evalkit.results import Result

SQL_TYPES = {
    "str": "VARCHAR", "uscc": "VARCHAR", "category": "VARCHAR", "tags": "VARCHAR",
    "rule": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "money": "DOUBLE",
    "bool": "BOOLEAN", "date": "DATE",
}
PROBLEM_TABLES = ("quarantine", "warnings")


@dataclass(frozen=True)
class SourceFile:
    table: str
    file: str
    encoding: str | None
    sha256: str
    rows_read: int


@dataclass(frozen=True)
class DatasetVersion:
    dataset_id: str
    sha256: str
    created_at: str                      # ISO 8601, UTC
    source_files: tuple[SourceFile, ...]
    counts: dict

    def to_dict(self) -> dict:
        return {
            "dataset_id": self.dataset_id, "sha256": self.sha256, "created_at": self.created_at,
            "source_files": [vars(s) for s in self.source_files], "counts": self.counts,
        }


@dataclass(frozen=True, eq=False, repr=False)
class IngestResult(Result):
    """``report``: the validation; ``version``: the stored version (new or already present);
    ``is_new``: whether this ingest added it."""

    report: ValidationReport
    version: DatasetVersion
    is_new: bool
    store: str

    def tidy(self) -> pd.DataFrame:
        """The validation's per-table counts (:meth:`ValidationReport.tidy`)."""
        return self.report.tidy()

    def to_dict(self) -> dict:
        return {"report": self.report.to_dict(), "version": self.version.to_dict(),
                "is_new": self.is_new, "store": self.store}

    def summary(self) -> str:
        state = "new version" if self.is_new else "identical to the stored version"
        return (f"{self.report.summary()}\n{self.version.dataset_id} "
                f"(sha256 {self.version.sha256[:12]}): {state} in {self.store}")


def _q(name: str) -> str:
    """Quote an identifier taken from the schema (never from data)."""
    return '"' + name.replace('"', '""') + '"'


def _ranks(s: pd.Series) -> np.ndarray:
    """Sort rank of each value (equal values share one), missing values last."""
    codes, uniq = pd.factorize(s, sort=True)
    return np.where(codes < 0, len(uniq), codes)


def canonical_order(table: Table, df: pd.DataFrame) -> np.ndarray:
    """Row positions sorting ``df`` by key, missing values last, ties in input order."""
    if len(df) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.lexsort([_ranks(df[k]) for k in reversed(table.key)])


def canonical_frame(table: Table, df: pd.DataFrame) -> pd.DataFrame:
    """The accepted rows in canonical column order, sorted by key."""
    out = df[list(table.column_names)]
    return out.iloc[canonical_order(table, out)].reset_index(drop=True)


def arrow_column(kind: str, s: pd.Series) -> pa.ChunkedArray | pa.Array:
    """A canonical column as Arrow, without Python objects."""
    if kind in ("str", "uscc", "category", "tags", "rule"):
        return arrow_strings(s.astype("str"))
    if kind == "int":
        v = s.astype("Int64")
        return pa.array(v.to_numpy(dtype=np.int64, na_value=0), mask=v.isna().to_numpy())
    if kind in ("float", "money"):
        return pa.array(s.to_numpy(dtype=np.float64, na_value=np.nan))
    if kind == "bool":
        v = s.astype("boolean")
        return pa.array(v.to_numpy(dtype=bool, na_value=False), mask=v.isna().to_numpy())
    v = s.astype("datetime64[us]").to_numpy()
    return pa.array(v, mask=np.isnat(v))


def _csv_cells(kind: str, s: pd.Series, col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The cells pandas' ``to_csv(na_rep="\\N")`` writes for a canonical column."""
    if kind in ("str", "uscc", "category", "tags", "rule"):
        text = col.cast(pa.large_string())
        special = pc.match_substring_regex(text, '[,"\n]')   # csv's QUOTE_MINIMAL
        if pc.any(special).as_py():
            q, nothing = pa.scalar('"', pa.large_string()), pa.scalar("", pa.large_string())
            quoted = pc.binary_join_element_wise(q, pc.replace_substring(text, '"', '""'), q,
                                                 nothing)
            text = pc.if_else(special, quoted, text)
    elif kind == "int":
        text = pc.cast(col, pa.string())
    elif kind in ("float", "money"):
        text = float_text(s.to_numpy(dtype=np.float64, na_value=np.nan))
    elif kind == "bool":
        text = pc.if_else(col, "True", "False")
    else:  # dates: each distinct day written once, as pandas writes it
        enc = pc.dictionary_encode(pa.chunked_array([col]) if isinstance(col, pa.Array)
                                   else col).combine_chunks()
        days = pd.Series(enc.dictionary.to_numpy(zero_copy_only=False)).dt.strftime("%Y-%m-%d")
        text = pa.array(days.tolist(), pa.string()).take(enc.indices)
    text = pc.fill_null(text, "\\N").cast(pa.large_string())
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _csv_bytes(lines: pa.ChunkedArray | pa.Array):
    """The concatenated bytes of a string array, chunk by chunk (no copy)."""
    chunks = lines.chunks if isinstance(lines, pa.ChunkedArray) else [lines]
    for ch in chunks:
        if len(ch) == 0:
            continue
        off = np.frombuffer(ch.buffers()[1], dtype=np.int32 if ch.type == pa.string()
                            else np.int64)[ch.offset:ch.offset + len(ch) + 1]
        yield memoryview(ch.buffers()[2])[off[0]:off[-1]]


_HASH_BLOCK = 1 << 20


def _block_lines(table: Table, block: pd.DataFrame) -> pa.Array:
    """The CSV lines (each ending in ``\\n``) of a block of canonical rows."""
    cells = [_csv_cells(c.kind, block[c.name], arrow_column(c.kind, block[c.name]))
             for c in table.columns]
    comma, newline, nothing = (pa.scalar(t, pa.large_string()) for t in (",", "\n", ""))
    lines = pc.binary_join_element_wise(*cells, comma)
    return pc.binary_join_element_wise(lines, newline, nothing)


def _in_threads(fn, args: list[tuple], ahead: int = 2):
    """``fn(*a)`` for each ``a``, in order, up to ``ahead`` computed at once in threads (Arrow,
    numpy and DuckDB release the GIL); at most ``ahead`` results are held."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=ahead) as pool:
        pending: deque = deque()
        for a in args:
            pending.append(pool.submit(fn, *a))
            if len(pending) > ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def canonical_orders(accepted: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """:func:`canonical_order` of every accepted table, computed once per ingest."""
    return {name: canonical_order(TABLES[name], df) for name, df in accepted.items()}


def content_sha256(accepted: dict[str, pd.DataFrame],
                   orders: dict[str, np.ndarray] | None = None) -> str:
    """SHA-256 of the accepted content in its canonical serialisation: per table in load order
    ``== name``, then the CSV text pandas writes for the canonical frame (``to_csv(index=False,
    lineterminator="\\n", na_rep="\\N")``, dates as YYYY-MM-DD). The text is built with Arrow, a
    block of rows at a time. ``orders``: the tables' :func:`canonical_orders`, if known."""
    h = hashlib.sha256()
    for name in TABLE_ORDER:
        if name not in accepted:
            continue
        table = TABLES[name]
        df = accepted[name]
        order = orders[name] if orders is not None else canonical_order(table, df)
        h.update(f"== {name}\n".encode())
        h.update((",".join(table.column_names) + "\n").encode())
        for lines in _in_threads(_block_lines, [(table, df.iloc[order[i:i + _HASH_BLOCK]])
                                                for i in range(0, len(df), _HASH_BLOCK)]):
            for part in _csv_bytes(lines):
                h.update(part)
    return h.hexdigest()


def _create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS datasets (dataset_id VARCHAR PRIMARY KEY, "
                "sha256 VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, source_files JSON, "
                "counts JSON)")
    con.execute("ALTER TABLE datasets ADD COLUMN IF NOT EXISTS checksums JSON")
    for name in TABLE_ORDER:
        t = TABLES[name]
        cols = ", ".join(f"{_q(c.name)} {SQL_TYPES[c.kind]}" for c in t.columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {_q(name)} (dataset_id VARCHAR NOT NULL, {cols})")
    for name in PROBLEM_TABLES:
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} (dataset_id VARCHAR NOT NULL, "
                    'table_name VARCHAR, file VARCHAR, "row" BIGINT, "column" VARCHAR, '
                    "value VARCHAR, reason VARCHAR, message VARCHAR, message_zh VARCHAR)")
        # a warehouse written before messages were kept in Chinese too
        con.execute(f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS message_zh VARCHAR")


def _insert(con: duckdb.DuckDBPyConnection, table: str, dataset_id: str,
            df: pd.DataFrame, columns: list[str]) -> None:
    """Append ``df[columns]`` to ``table`` under ``dataset_id``, through Arrow (no copy of the
    rows into Python objects); the rows keep their order."""
    if table in TABLES:
        kinds = {c.name: c.kind for c in TABLES[table].columns}
        frame = pa.table({c: arrow_column(kinds[c], df[c]) for c in columns})
    else:
        frame = pa.Table.from_pandas(df[columns], preserve_index=False)
    con.register("_evalkit_frame", frame)
    try:
        names = ", ".join(_q(c) for c in columns)
        con.execute(f"INSERT INTO {_q(table)} (dataset_id, {names}) SELECT ?, {names} "
                    "FROM _evalkit_frame", [dataset_id])
    finally:
        con.unregister("_evalkit_frame")


def _find_version(store: Path, sha: str) -> DatasetVersion | None:
    if not store.exists():
        return None
    con = _connect(store, read_only=True)
    try:
        if not _has_table(con, "datasets"):
            return None
        rows = con.execute("SELECT dataset_id FROM datasets WHERE sha256 = ?", [sha]).fetchall()
        # a version edited in place no longer holds this content: ingest it again
        rows = [r for r in rows if not version_changes(con, r[0])]
    finally:
        con.close()
    return _version(store, rows[0][0]) if rows else None


def _connect(store: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    return safefs.connect(store, read_only=read_only)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                            [name]).fetchone()[0])


def _version(store: Path, dataset_id: str) -> DatasetVersion:
    frame = list_datasets(store)
    row = frame[frame["dataset_id"] == dataset_id].iloc[0]
    return DatasetVersion(
        dataset_id=row["dataset_id"], sha256=row["sha256"],
        created_at=pd.Timestamp(row["created_at"]).isoformat(),
        source_files=tuple(SourceFile(**s) for s in json.loads(row["source_files"])),
        counts=json.loads(row["counts"]),
    )


def _write_version(con: duckdb.DuckDBPyConnection, report: ValidationReport, sha: str,
                   created_at: _dt.datetime, progress: Progress | None,
                   orders: dict[str, np.ndarray]) -> str:
    _create_schema(con)
    ids = [r[0] for r in con.execute("SELECT dataset_id FROM datasets").fetchall()]
    dataset_id = f"v{max((int(i[1:]) for i in ids), default=0) + 1}"
    sources = [vars(SourceFile(name, Path(tr.file).name, tr.encoding, tr.sha256, tr.n_read))
               for name, tr in report.tables.items()]
    counts = json.loads(report.counts().set_index("table")[
        ["read", "accepted", "quarantined", "warnings"]].to_json(orient="index"))
    con.execute("INSERT INTO datasets (dataset_id, sha256, created_at, source_files, counts) "
                "VALUES (?, ?, ?, ?, ?)",
                [dataset_id, sha, created_at, json.dumps(sources, ensure_ascii=False),
                 json.dumps(counts)])
    total = len(report.tables) + len(PROBLEM_TABLES)
    for i, (name, tr) in enumerate(report.tables.items()):
        if progress:
            progress("write", i, total)
        table = TABLES[name]
        cols = list(table.column_names)
        _insert(con, name, dataset_id,
                tr.accepted[cols].iloc[orders[name]].reset_index(drop=True),
                list(table.column_names))
    for j, (name, frame) in enumerate((("quarantine", report.quarantine),
                                       ("warnings", report.warnings))):
        if progress:
            progress("write", len(report.tables) + j, total)
        _insert(con, name, dataset_id, frame, ["table_name", *PROBLEM_COLUMNS])
    con.execute("UPDATE datasets SET checksums = ? WHERE dataset_id = ?",
                [json.dumps(table_checksums(con, dataset_id)), dataset_id])
    if progress:
        progress("write", total, total)
    return dataset_id


def ingest_dir(path: str | Path, store: str | Path, progress: Progress | None = None,
               created_at: _dt.datetime | None = None) -> IngestResult:
    """Validate the folder ``path`` and load its accepted rows into ``store`` as a new version.

    Atomic: the store either gains the whole version or stays byte-for-byte unchanged. Content
    identical to a stored version adds nothing (``is_new=False``). ``created_at`` (naive UTC)
    dates the version, default now; the demo dates its synthetic data at their cut-off, so that
    two runs give the same bundles (their ``created`` is the version's date).
    """
    store = Path(store)
    report = validate_dir(path, progress=progress)
    if progress:
        progress("hash", 0, 1)
    orders = canonical_orders(report.accepted)
    sha = content_sha256(report.accepted, orders)
    if progress:
        progress("hash", 1, 1)
    safefs.check_store_file(store)
    with safefs.store_lock(store):
        safefs.sweep_temps(store)
        safefs.checkpoint(store)
        existing = _find_version(store, sha)
        if existing is not None:
            return IngestResult(report, existing, False, str(store))
        dataset_id = _write_copy(store, report, sha, progress, orders, created_at)
        version = _version(store, dataset_id)
    return IngestResult(report, version, True, str(store))


def _write_copy(store: Path, report: ValidationReport, sha: str, progress: Progress | None,
                orders: dict[str, np.ndarray], created_at: _dt.datetime | None = None) -> str:
    """Write the new version into a copy of ``store`` and rename the copy onto it (under the
    store's lock, WAL already folded in). Returns the new version's id."""
    tmp = safefs.temp_name(store)
    try:
        if store.exists():
            shutil.copyfile(store, tmp)
        con = _connect(tmp, read_only=False)
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                dataset_id = _write_version(
                    con, report, sha,
                    created_at or _dt.datetime.now(_dt.UTC).replace(tzinfo=None), progress, orders)
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(duckdb.Error):   # a failed COMMIT ended it already
                    con.execute("ROLLBACK")
                raise
            con.execute("CHECKPOINT")
        finally:
            con.close()
        safefs.keep_mode(store, tmp)
        os.replace(tmp, store)
    except BaseException as exc:
        for p in (tmp, safefs.wal_path(tmp)):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        if isinstance(exc, duckdb.Error):   # full disk, ...: named after the store
            fault = safefs.environment_error(exc, store, name_path=True)
            if fault is not None:
                raise fault from exc
        if isinstance(exc, OSError) and exc.errno is not None:
            raise type(exc)(exc.errno, exc.strerror, str(store)) from exc
        raise
    with contextlib.suppress(FileNotFoundError):
        safefs.wal_path(tmp).unlink()
    return dataset_id


def list_datasets(store: str | Path) -> pd.DataFrame:
    """The versions in ``store``, oldest first: dataset_id, sha256, created_at, source_files,
    counts (JSON text). Empty if the store does not exist yet."""
    store = Path(store)
    columns = ["dataset_id", "sha256", "created_at", "source_files", "counts"]
    if not store.exists():
        return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
    con = _connect(store, read_only=True)
    try:
        if not _has_table(con, "datasets"):
            return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
        df = con.execute(
            "SELECT dataset_id, sha256, created_at, CAST(source_files AS VARCHAR) AS "
            "source_files, CAST(counts AS VARCHAR) AS counts FROM datasets "
            "ORDER BY CAST(substr(dataset_id, 2) AS INTEGER)").df()
    finally:
        con.close()
    return df


def load_dataset(store: str | Path, version: str | None = None) -> dict[str, pd.DataFrame]:
    """The accepted tables of one version (the latest by default), canonical columns and dtypes."""
    store = Path(store)
    versions = list_datasets(store)
    if versions.empty:
        raise DataError(Message("errors.io.warehouse.warehouse_holds_datasets"), file=str(store),
                        fix=Message("errors.io.warehouse.fix_ingest_folder_first_evalkit"))
    ids = versions["dataset_id"].tolist()
    if version is None:
        version = ids[-1]
    if version not in ids:
        raise DataError(Message("errors.io.warehouse.dataset_version", version=version),
                        file=str(store),
                        fix=Message("errors.io.warehouse.fix_use_one", ids=', '.join(ids)))
    con = _connect(store, read_only=True)
    try:
        out = _read_tables(con, version)
        changed = version_changes(con, version, out)
    finally:
        con.close()
    if changed:
        raise edited_error(str(store), version, changed)
    return out


def _read_tables(con: duckdb.DuckDBPyConnection, version: str) -> dict[str, pd.DataFrame]:
    counts = json.loads(con.execute("SELECT CAST(counts AS VARCHAR) FROM datasets "
                                    "WHERE dataset_id = ?", [version]).fetchone()[0])
    out: dict[str, pd.DataFrame] = {}
    for name in TABLE_ORDER:
        if name not in counts:
            continue
        table = TABLES[name]
        cols = ", ".join(_q(c) for c in table.column_names)
        df = con.execute(f"SELECT {cols} FROM {_q(name)} WHERE dataset_id = ?",
                         [version]).df()
        out[name] = canonical_dtypes(table, df)
    return out


def version_changes(con: duckdb.DuckDBPyConnection, dataset_id: str,
                    loaded: dict[str, pd.DataFrame] | None = None) -> list[str]:
    """The tables of a stored version that changed since its ingest (empty: intact), by the
    checksums of :mod:`evalkit.io.integrity`; without usable checksums (an older warehouse,
    another DuckDB), by the content SHA-256 of the version's tables (``loaded``, read if not
    given) against the recorded one."""
    have = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_name = 'datasets'").fetchall()}
    sums = "CAST(checksums AS VARCHAR)" if "checksums" in have else "NULL"
    sha, stored = con.execute(f"SELECT sha256, {sums} FROM datasets WHERE dataset_id = ?",
                              [dataset_id]).fetchone()
    changed = changed_tables(con, dataset_id, stored)
    if changed is not None:
        return changed
    if loaded is None:
        loaded = _read_tables(con, dataset_id)
    return [] if content_sha256(loaded) == sha else ["(content SHA-256)"]


def dataset_status(store: str | Path) -> dict[str, list[str]]:
    """For each version of ``store``: the tables changed since its ingest (empty: intact)."""
    store = Path(store)
    ids = list_datasets(store)["dataset_id"].tolist()
    if not ids:
        return {}
    con = _connect(store, read_only=True)
    try:
        return {i: version_changes(con, i) for i in ids}
    finally:
        con.close()


def load_problems(store: str | Path, version: str | None = None,
                  kind: str = "quarantine") -> pd.DataFrame:
    """The quarantine (``kind="quarantine"``) or warnings of one version (latest by default)."""
    from evalkit.errors import check_choice

    check_choice("kind", kind, PROBLEM_TABLES)
    store = Path(store)
    ids = list_datasets(store)["dataset_id"].tolist()
    if not ids:
        raise DataError(Message("errors.io.warehouse.warehouse_holds_datasets"), file=str(store),
                        fix=Message("errors.io.warehouse.fix_ingest_folder_first"))
    version = ids[-1] if version is None else version
    con = _connect(store, read_only=True)
    try:
        return con.execute(
            f'SELECT table_name, file, "row", "column", value, reason, message, message_zh '
            f'FROM {kind} WHERE dataset_id = ? ORDER BY table_name, file, "row"',
            [version]).df()
    finally:
        con.close()


def canonical_dtypes(table: Table, df: pd.DataFrame) -> pd.DataFrame:
    """Cast a frame read back from DuckDB to the canonical dtypes of validation."""
    df = df.copy()
    for c in table.columns:
        s = df[c.name]
        if c.kind == "int":
            df[c.name] = s.astype("Int64")
        elif c.kind in ("float", "money"):
            df[c.name] = s.astype("float64")
        elif c.kind == "bool":
            df[c.name] = s.astype(bool) if c.required else s.astype("boolean")
        elif c.kind == "date":
            df[c.name] = pd.to_datetime(s).astype("datetime64[us]")
        else:
            df[c.name] = s.astype("str")
    return df
