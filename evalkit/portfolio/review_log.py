"""The finance bureau's review log: append-only, hash-chained, in a DuckDB file.

Table ``review_log(seq, recommendation_id, decision, comment, reviewer, timestamp, prev_hash,
hash)``. Row n's ``hash`` is the SHA-256 (hex) of the canonical JSON of its fields ``seq,
recommendation_id, decision, comment, reviewer, timestamp`` (sorted keys, UTF-8, no spaces)
followed by ``prev_hash`` (the previous row's hash; 64 zeros for the first row). Any edit of
a stored row, or a deleted / inserted row in the middle, breaks the chain, which
:func:`verify_review_log` reports with the first bad ``seq``. Deleting the *latest* rows leaves a
valid shorter chain: keep the head hash (:func:`review_head`) elsewhere (e.g. in the report) to
detect that. SQL is parameterised throughout. A review is written under the store's write lock
(:func:`evalkit.io.safefs.store_lock`): an ingest, which replaces the file, waits for it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from evalkit.errors import ConfigError, check_choice
from evalkit.io import safefs

__all__ = ["DECISIONS", "GENESIS", "record_review", "review_head", "review_history",
           "verify_review_log"]

DECISIONS = ("accept", "modify", "reject")
GENESIS = "0" * 64
_COLUMNS = ("seq", "recommendation_id", "decision", "comment", "reviewer", "timestamp",
            "prev_hash", "hash")
_DDL = """CREATE TABLE IF NOT EXISTS review_log (
    seq BIGINT PRIMARY KEY, recommendation_id VARCHAR NOT NULL, decision VARCHAR NOT NULL,
    comment VARCHAR NOT NULL, reviewer VARCHAR NOT NULL, timestamp VARCHAR NOT NULL,
    prev_hash VARCHAR NOT NULL, hash VARCHAR NOT NULL)"""

Store = str | Path | duckdb.DuckDBPyConnection


@contextmanager
def _connect(store: Store, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to ``store``; ``write``: under the store's write lock, which ingests take too
    (an ingest replaces the file, so a review written meanwhile would be lost)."""
    if isinstance(store, duckdb.DuckDBPyConnection):
        yield store
        return
    with safefs.store_lock(store) if write else nullcontext():
        if write:
            safefs.sweep_temps(Path(store))
        con = safefs.connect(store, read_only=False)
        try:
            yield con
        finally:
            con.close()


def row_hash(row: dict, prev_hash: str) -> str:
    """SHA-256 of the canonical JSON of the row's content fields, then ``prev_hash``."""
    content = {k: row[k] for k in _COLUMNS[:6]}
    content["seq"] = int(content["seq"])
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((text + prev_hash).encode("utf-8")).hexdigest()


def record_review(store: Store, recommendation_id: str, decision: str, comment: str,
                  reviewer: str, timestamp: datetime | str | None = None) -> dict:
    """Append one review; returns the stored row. ``timestamp`` defaults to now (UTC, ISO)."""
    check_choice("decision", decision, DECISIONS)
    for nm, v in (("recommendation_id", recommendation_id), ("reviewer", reviewer)):
        if not str(v).strip():
            raise ConfigError(f"{nm} must not be empty", zh=f"{nm} 不得为空")
    if timestamp is None:
        ts = datetime.now(UTC).isoformat(timespec="seconds")
    elif isinstance(timestamp, datetime):
        ts = timestamp.isoformat(timespec="seconds")
    else:
        ts = str(timestamp)
    with _connect(store, write=True) as con:
        con.execute(_DDL)
        con.execute("BEGIN TRANSACTION")
        try:
            last = con.execute("SELECT seq, hash FROM review_log ORDER BY seq DESC LIMIT 1"
                               ).fetchone()
            seq, prev = (1, GENESIS) if last is None else (int(last[0]) + 1, str(last[1]))
            row = {"seq": seq, "recommendation_id": str(recommendation_id),
                   "decision": decision, "comment": str(comment or ""),
                   "reviewer": str(reviewer), "timestamp": ts, "prev_hash": prev}
            row["hash"] = row_hash(row, prev)
            con.execute(f"INSERT INTO review_log ({', '.join(_COLUMNS)}) VALUES "
                        f"({', '.join('?' for _ in _COLUMNS)})", [row[c] for c in _COLUMNS])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return row


def review_history(store: Store) -> pd.DataFrame:
    """All reviews in ``seq`` order (empty frame with the columns when none)."""
    with _connect(store) as con:
        con.execute(_DDL)
        df = con.execute(f"SELECT {', '.join(_COLUMNS)} FROM review_log ORDER BY seq").df()
    return df


def review_head(store: Store) -> str:
    """Hash of the latest row (the genesis value for an empty log)."""
    h = review_history(store)
    return GENESIS if h.empty else str(h["hash"].iloc[-1])


def verify_review_log(store: Store) -> tuple[bool, int | None]:
    """Recompute the chain. Returns ``(True, None)`` or ``(False, first_bad_seq)``: the first
    row whose seq is out of sequence, whose ``prev_hash`` is not the previous row's hash, or whose
    hash does not match its content."""
    h = review_history(store)
    prev = GENESIS
    for k, rec in enumerate(h.to_dict(orient="records"), start=1):
        seq = int(rec["seq"])
        if seq != k or rec["prev_hash"] != prev or row_hash(rec, prev) != rec["hash"]:
            return False, seq
        prev = rec["hash"]
    return True, None
