"""evalkit.io: read district exports, validate them row by row, load them into a warehouse.

``validate_dir(DIR)`` checks a folder of table files (CSV in UTF-8 or GBK, .xlsx, Parquet; Chinese
or English headers) and returns a :class:`ValidationReport`; ``ingest_dir(DIR, store=FILE)``
checks and loads the accepted rows into a DuckDB file as a new dataset version (atomically);
``list_datasets`` and ``load_dataset`` read the warehouse back.
"""

from evalkit.io.readers import RawTable, read_table_file
from evalkit.io.reasons import QUARANTINE_REASONS, REASONS, WARNING_REASONS
from evalkit.io.validate import TableReport, ValidationReport, validate_dir
from evalkit.io.warehouse import (
    DatasetVersion,
    IngestResult,
    SourceFile,
    content_sha256,
    ingest_dir,
    list_datasets,
    load_dataset,
    load_problems,
)

__all__ = [
    "QUARANTINE_REASONS",
    "REASONS",
    "WARNING_REASONS",
    "DatasetVersion",
    "IngestResult",
    "RawTable",
    "SourceFile",
    "TableReport",
    "ValidationReport",
    "content_sha256",
    "ingest_dir",
    "list_datasets",
    "load_dataset",
    "load_problems",
    "read_table_file",
    "validate_dir",
]
