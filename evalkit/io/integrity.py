"""Is a stored dataset version still what was ingested? A cheap per-table checksum, checked on load.

At ingest each data table of the new version gets ``(rows, sum of DuckDB's row hash)`` over its
stored rows (:func:`table_checksums`), kept in ``datasets.checksums`` with a *probe*: DuckDB's
hash of fixed values, so that a DuckDB whose hash function differs is recognised. On every load
(:func:`evalkit.io.warehouse.load_dataset`) the checksums are computed again in DuckDB (one
aggregate scan of the version's rows, far cheaper than re-serialising them for the SHA-256) and
compared: a cell edited, a row deleted or inserted in place is reported with the table. When the
probe differs (another DuckDB) or the version predates checksums, the exact check is used
instead: the version's content SHA-256 recomputed from the loaded rows
(:func:`evalkit.io.warehouse.content_sha256`) against the recorded one.

What this guards against: a warehouse edited in place by SQL or another tool, after which
``datasets`` would still show the ingest's SHA-256 and a new run would record it. It does not
guard against someone who also rewrites the ``datasets`` row; a bundle's recorded SHA-256, which
``evalkit verify`` recomputes from the rows, anchors the data outside the warehouse.
"""

from __future__ import annotations

import json

import duckdb

from evalkit.errors import DataError
from evalkit.i18n import Message
from evalkit.io.schemas import TABLE_ORDER, TABLES

#: Fixed values whose DuckDB hash identifies the hash function the checksums were made with.
_PROBE_SQL = "SELECT CAST(hash('evalkit', 1, 2.5, DATE '2020-01-01', true, NULL) AS VARCHAR)"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def probe(con: duckdb.DuckDBPyConnection) -> str:
    return str(con.execute(_PROBE_SQL).fetchone()[0])


def table_checksums(con: duckdb.DuckDBPyConnection, dataset_id: str) -> dict:
    """``{"probe": ..., "tables": {name: [rows, hash sum]}}`` of one version's stored rows (every
    data table, so that rows inserted into a table the version lacks are seen too)."""
    tables = {}
    for name in TABLE_ORDER:
        cols = ", ".join(_q(c) for c in TABLES[name].column_names)
        n, total = con.execute(
            f"SELECT count(*), CAST(coalesce(sum(hash({cols})), 0) AS VARCHAR) "
            f"FROM {_q(name)} WHERE dataset_id = ?", [dataset_id]).fetchone()
        tables[name] = [int(n), str(total)]
    return {"probe": probe(con), "tables": tables}


def changed_tables(con: duckdb.DuckDBPyConnection, dataset_id: str,
                   stored: str | None) -> list[str] | None:
    """The tables of a version whose rows no longer match the checksums recorded at ingest;
    ``None`` when no usable checksum was recorded (older warehouse, another DuckDB)."""
    if not stored:
        return None
    recorded = json.loads(stored)
    if recorded.get("probe") != probe(con):
        return None
    now = table_checksums(con, dataset_id)["tables"]
    return [t for t in TABLE_ORDER if now.get(t) != recorded["tables"].get(t)]


def edited_error(store: str, dataset_id: str, tables: list[str]) -> DataError:
    where = ", ".join(tables)
    return DataError(Message("errors.io.integrity.dataset_changed_after_ingested",
                             dataset_id=dataset_id, where=where), file=store,
                     fix=Message("errors.io.integrity.fix_restore_warehouse_backup_ingest"))
