"""The finance bureau's review log: append-only, hash-chained, in a DuckDB file, its head anchored
in a second, append-only file.

Table ``review_log(seq, recommendation_id, decision, comment, reviewer, timestamp, prev_hash,
hash, os_user, cycle, amount_wan, bundle_sha256)``. Row n's ``hash`` is the SHA-256 (hex) of the
canonical JSON of its fields ``seq, recommendation_id, decision, comment, reviewer, timestamp``
(and each of ``os_user, cycle, amount_wan, bundle_sha256`` that the row records; sorted keys,
UTF-8, no spaces) followed by ``prev_hash`` (the previous row's hash; 64
zeros for the first row). Any edit of a stored row, or a deleted / inserted row in the middle,
breaks the chain, which :func:`verify_review_log` reports with the first bad ``seq``.

A chain alone cannot show that its newest rows were deleted, that it was emptied or dropped, or
that it was rewritten and every hash recomputed. So each :func:`record_review` also appends
``seq<TAB>hash<TAB>timestamp`` to the *anchor file* (by default ``<store>.review-anchors`` beside
the warehouse, see :func:`anchor_path`), and the new head hash is printed by ``evalkit review
record``, shown in the portfolio report and written by ``evalkit review export``.
:func:`audit_review_log` checks the chain against every anchor it finds and against a head the
user passes (from a report, an export, an e-mail): a truncated, emptied, dropped or recomputed log,
and a row appended (or backdated) outside :func:`record_review`, no longer matches. What it cannot
detect: someone who rewrites both the store and the anchor file consistently, when no head was
kept elsewhere. SQL is parameterised throughout; reading never writes (the store is opened
read-only, so an archived read-only copy can be audited).
A review is written under the store's write lock
(:func:`evalkit.io.safefs.store_lock`): an ingest, which replaces the file, waits for it.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from evalkit.errors import ConfigError, DataError, check_choice
from evalkit.i18n import Message
from evalkit.io import safefs

__all__ = ["DECISIONS", "GENESIS", "ReviewAudit", "anchor_path", "audit_review_log",
           "export_review_log", "read_anchors", "record_review", "review_head", "review_history",
           "verify_review_log"]

DECISIONS = ("accept", "modify", "reject")
GENESIS = "0" * 64
ANCHOR_SUFFIX = ".review-anchors"
#: Optional fields, hashed when a row records them (older rows lack them): the OS user, and for a
#: decision taken on a published cycle (:mod:`evalkit.stages.decisions`) the cycle, the
#: adopted amount (万元, a decimal string) and the SHA-256 of the bundle's manifest.
_OPTIONAL = ("os_user", "cycle", "amount_wan", "bundle_sha256")
_COLUMNS = ("seq", "recommendation_id", "decision", "comment", "reviewer", "timestamp",
            "prev_hash", "hash", *_OPTIONAL)
_HASHED = ("seq", "recommendation_id", "decision", "comment", "reviewer", "timestamp")
_DDL = """CREATE TABLE IF NOT EXISTS review_log (
    seq BIGINT PRIMARY KEY, recommendation_id VARCHAR NOT NULL, decision VARCHAR NOT NULL,
    comment VARCHAR NOT NULL, reviewer VARCHAR NOT NULL, timestamp VARCHAR NOT NULL,
    prev_hash VARCHAR NOT NULL, hash VARCHAR NOT NULL, os_user VARCHAR, cycle VARCHAR,
    amount_wan VARCHAR, bundle_sha256 VARCHAR)"""
#: A reviewer is named, not described: letters (any script), digits, and . · ' - _ @ or spaces
#: between them, at most 64 characters. Who the person is (accounts, roles) is the workspace's.
_REVIEWER = re.compile(r"[^\W_](?:[\w .·'@-]{0,62}[^\W_])?")
_HEX64 = re.compile(r"[0-9a-f]{64}")

Store = str | Path | duckdb.DuckDBPyConnection


def _missing_store(store: Path) -> DataError:
    return DataError(Message("errors.common.such_warehouse"), file=str(store),
                     fix=Message("errors.portfolio.review_log.fix_check_store_path_file"))


@contextmanager
def _connect(store: Store, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to ``store``; a path is opened read-only for reading, and a missing one is
    refused then (never created). Writing happens under the store's write lock, which ingests
    take too (an ingest replaces the file, so a review written meanwhile would be lost)."""
    if isinstance(store, duckdb.DuckDBPyConnection):
        yield store
        return
    path = Path(store)
    if read_only and not path.is_file():
        raise _missing_store(path)
    with nullcontext() if read_only else safefs.store_lock(store):
        if not read_only:
            safefs.sweep_temps(path)
        try:
            con = safefs.connect(store, read_only=read_only)
        except duckdb.Error as exc:
            raise DataError(Message("errors.common.cannot_open_warehouse", exc=exc),
                            file=str(path),
                            fix=Message("errors.portfolio.review_log.fix_give_duckdb_file_written")) from None
        try:
            yield con
        finally:
            con.close()


def anchor_path(store: str | Path, anchors: str | Path | None = None) -> Path:
    """The anchor file: ``anchors`` if given, else ``<store>.review-anchors`` beside the store."""
    return Path(anchors) if anchors is not None else Path(f"{store}{ANCHOR_SUFFIX}")


def row_hash(row: dict, prev_hash: str) -> str:
    """SHA-256 of the canonical JSON of the row's content fields, then ``prev_hash``."""
    content = {k: row[k] for k in _HASHED}
    content["seq"] = int(content["seq"])
    for key in _OPTIONAL:                   # absent from rows written before they were recorded
        value = row.get(key)
        if isinstance(value, str):
            content[key] = value
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((text + prev_hash).encode("utf-8")).hexdigest()


def check_reviewer(reviewer: str) -> str:
    """The reviewer's name, stripped; a :class:`ConfigError` unless it has the form of a name."""
    name = str(reviewer).strip()
    if not _REVIEWER.fullmatch(name):
        raise ConfigError(Message("errors.portfolio.review_log.reviewer_name_use_letters",
                                  reviewer=reviewer))
    return name


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):     # no login name (a container without a passwd entry)
        return ""


def _append_anchor(path: Path, row: dict) -> None:
    """Append ``seq, hash, timestamp`` to the anchor file and flush it to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{row['seq']}\t{row['hash']}\t{row['timestamp']}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _parse_time(ts: str) -> datetime | None:
    try:
        t = datetime.fromisoformat(str(ts))
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def record_review(store: Store, recommendation_id: str, decision: str, comment: str,
                  reviewer: str, timestamp: datetime | str | None = None,
                  anchors: str | Path | None = None, *, cycle: str | None = None,
                  amount_wan: str | None = None, bundle_sha256: str | None = None,
                  must_exist: bool = False) -> dict:
    """Append one review; returns the stored row (its ``hash`` is the new head).

    ``cycle``, ``amount_wan`` and ``bundle_sha256`` are recorded (and hashed) when given; the
    checks that make them meaningful are :func:`evalkit.stages.decisions.record_decision`'s.
    With ``must_exist`` a store path that is not a file is refused instead of created.

    ``timestamp`` defaults to now (UTC, ISO) and may not precede the latest entry's. The head is
    appended to the anchor file (:func:`anchor_path`; for an open connection only when
    ``anchors`` is given). The OS user running the command is recorded with the reviewer."""
    check_choice("decision", decision, DECISIONS)
    if not str(recommendation_id).strip():
        raise ConfigError(Message("errors.portfolio.review_log.recommendation_id_empty"))
    name = check_reviewer(reviewer)
    if timestamp is None:
        ts = None   # taken under the write lock: a writer that waited is not "in the past"
    elif isinstance(timestamp, datetime):
        ts = timestamp.isoformat(timespec="seconds")
    else:
        ts = str(timestamp)
    if ts is not None and _parse_time(ts) is None:
        raise ConfigError(Message("errors.portfolio.review_log.timestamp_iso_time", ts=ts))
    anchor = (anchor_path(store, anchors) if not isinstance(store, duckdb.DuckDBPyConnection)
              else (Path(anchors) if anchors is not None else None))
    if must_exist and not isinstance(store, duckdb.DuckDBPyConnection) \
            and not Path(store).is_file():
        raise _missing_store(Path(store))
    with _connect(store, read_only=False) as con:
        con.execute(_DDL)
        for column in _OPTIONAL:
            con.execute(f"ALTER TABLE review_log ADD COLUMN IF NOT EXISTS {column} VARCHAR")
        con.execute("BEGIN TRANSACTION")
        try:
            last = con.execute("SELECT seq, hash, timestamp FROM review_log "
                               "ORDER BY seq DESC LIMIT 1").fetchone()
            if ts is None:
                ts = datetime.now(UTC).isoformat(timespec="seconds")
            seq, prev = (1, GENESIS) if last is None else (int(last[0]) + 1, str(last[1]))
            latest = _parse_time(last[2]) if last is not None else None
            if latest is not None and latest > _parse_time(ts):
                raise ConfigError(Message("errors.portfolio.review_log.timestamp_precedes_latest_entry",
                                          ts=ts, last=last[2]))
            row = {"seq": seq, "recommendation_id": str(recommendation_id),
                   "decision": decision, "comment": str(comment or ""),
                   "reviewer": name, "timestamp": ts, "prev_hash": prev, "os_user": _os_user(),
                   "cycle": cycle, "amount_wan": amount_wan, "bundle_sha256": bundle_sha256}
            row["hash"] = row_hash(row, prev)
            con.execute(f"INSERT INTO review_log ({', '.join(_COLUMNS)}) VALUES "
                        f"({', '.join('?' for _ in _COLUMNS)})", [row[c] for c in _COLUMNS])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        if anchor is not None:   # still under the write lock: anchors stay in seq order
            _append_anchor(anchor, row)
    return row


def _has_log(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_name = 'review_log'").fetchone()[0])


def review_history(store: Store) -> pd.DataFrame:
    """All reviews in ``seq`` order (empty frame with the columns when none). Read-only."""
    with _connect(store, read_only=True) as con:
        if not _has_log(con):
            return pd.DataFrame({c: pd.Series(dtype="str") for c in _COLUMNS})
        have = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'review_log'"
        ).fetchall()}
        cols = ", ".join(c if c in have else f"NULL AS {c}" for c in _COLUMNS)
        df = con.execute(f"SELECT {cols} FROM review_log ORDER BY seq").df()
    for column in _OPTIONAL:
        df[column] = df[column].astype(object).where(df[column].notna(), None)
    return df


def review_head(store: Store) -> str:
    """Hash of the latest row (the genesis value for an empty log)."""
    h = review_history(store)
    return GENESIS if h.empty else str(h["hash"].iloc[-1])


def _chain_break(h: pd.DataFrame) -> int | None:
    prev, prev_time = GENESIS, None
    for k, rec in enumerate(h.to_dict(orient="records"), start=1):
        seq = int(rec["seq"])
        if seq != k or rec["prev_hash"] != prev or row_hash(rec, prev) != rec["hash"]:
            return seq
        t = _parse_time(rec["timestamp"])
        if t is None or (prev_time is not None and t < prev_time):   # backdated
            return seq
        prev, prev_time = rec["hash"], t
    return None


def verify_review_log(store: Store) -> tuple[bool, int | None]:
    """Recompute the chain. Returns ``(True, None)`` or ``(False, first_bad_seq)``: the first
    row whose seq is out of sequence, whose ``prev_hash`` is not the previous row's hash, whose
    hash does not match its content, or whose time precedes the previous row's."""
    bad = _chain_break(review_history(store))
    return bad is None, bad


def read_anchors(path: Path) -> list[tuple[int, str]]:
    """The ``(seq, hash)`` lines of an anchor file (none if it does not exist)."""
    if not path.is_file():
        return []
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].isdigit() or not _HEX64.fullmatch(parts[1]):
            raise DataError(Message("errors.portfolio.review_log.review_log_anchor_line"),
                            file=str(path), row=i,
                            fix=Message("errors.portfolio.review_log.fix_restore_anchor_file_backup"))
        out.append((int(parts[0]), parts[1]))
    return out


@dataclass(frozen=True)
class ReviewAudit:
    """The outcome of :func:`audit_review_log`: ``problems`` as (English, Chinese) pairs."""

    n: int
    head: str
    anchors: int
    anchor_file: str | None
    head_given: bool = False
    problems: tuple[tuple[str, str], ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def anchored(self) -> bool:
        """Whether the head was checked against something kept outside the store."""
        return self.anchors > 0 or self.head_given


def audit_review_log(store: str | Path, anchors: str | Path | None = None,
                     head: str | None = None) -> ReviewAudit:
    """Check the chain, every anchor in the anchor file and (if given) a head kept elsewhere.

    Reported: a broken chain (:func:`verify_review_log`); an anchored entry that is missing
    (newest rows deleted, log emptied or its table dropped) or whose hash differs (rows
    rewritten, hashes recomputed); entries after the last anchor (appended outside evalkit); a
    ``head`` that is not the hash of any entry. The store must exist; it is opened read-only."""
    store = Path(store)
    if not store.is_file():
        raise _missing_store(store)
    with _connect(store, read_only=True) as con:
        dropped = not _has_log(con)
        h = review_history(con)
    path = anchor_path(store, anchors)
    marks = read_anchors(path)
    if anchors is not None and not path.is_file():
        raise DataError(Message("errors.portfolio.review_log.such_anchor_file"), file=str(path),
                        fix=Message("errors.portfolio.review_log.fix_check_anchors_path"))
    problems: list[tuple[str, str]] = []
    bad = _chain_break(h)
    if bad is not None:
        problems.append((f"the hash chain breaks at entry {bad}", f"哈希链在第 {bad} 条处断开"))
    hashes = h["hash"].astype(str).tolist()
    n = len(hashes)
    if dropped and marks:
        problems.append((f"the review_log table is missing but {len(marks)} entries were anchored",
                         f"review_log 表不存在，但锚点文件记录了 {len(marks)} 条"))
    for seq, digest in marks:
        if seq > n:
            if not dropped:
                problems.append((f"anchored entry {seq} is missing (entries {n + 1}-{seq} were "
                                 "deleted)", f"锚定的第 {seq} 条缺失（第 {n + 1}-{seq} 条已被删除）"))
            break
        if hashes[seq - 1] != digest:
            problems.append((f"entry {seq} differs from its anchor (the log was rewritten)",
                             f"第 {seq} 条与其锚点不符（审核记录被改写）"))
            break
    last = max((s for s, _ in marks), default=0)
    if marks and n > last:
        problems.append((f"entries {last + 1}-{n} were not anchored (added outside evalkit)",
                         f"第 {last + 1}-{n} 条没有锚点（不是由 evalkit 记录的）"))
    if head is not None:
        head = head.strip().lower()
        if head == GENESIS and n == 0:
            pass
        elif head not in hashes:
            problems.append((f"the head {head[:12]}... given is not in the log (entries were "
                             "deleted or rewritten)",
                             f"所给链头 {head[:12]}... 不在审核记录中（记录被删除或改写）"))
    return ReviewAudit(n=n, head=hashes[-1] if hashes else GENESIS,
                       anchors=len(marks), anchor_file=str(path) if path.is_file() else None,
                       head_given=head is not None,
                       problems=tuple(problems))


def export_review_log(store: str | Path, out: str | Path, anchors: str | Path | None = None
                      ) -> dict:
    """Write the log, its head and the audit's verdict to ``out`` (JSON, UTF-8); returns it."""
    audit = audit_review_log(store, anchors)
    h = review_history(store)
    doc = {"store": str(store), "head": audit.head, "entries": len(h), "intact": audit.ok,
           "problems": [en for en, _ in audit.problems], "anchor_file": audit.anchor_file,
           "log": json.loads(h.to_json(orient="records", force_ascii=False))}
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    return doc


def review_status(store: str | Path | None, recommendation_ids: list[str]) -> dict[str, Any]:
    """The review log's entries for a cycle's recommendations, read-only and JSON-safe, as the
    portfolio stage stores them in its bundle (``results['review']``) for the report:
    ``{'state': 'no_store' | 'none' | 'reviewed', 'rows': [row, ...], 'intact': bool,
    'bad_seq': int | None, 'problems': [(en, zh)], 'head': hash, 'anchored': bool,
    'pending': [ids]}``. ``intact`` is :func:`audit_review_log`'s verdict (the chain and its
    anchors); the head lets a reader check the log later. Decisions recorded after the stage ran
    reach the report when the portfolio study is run again."""
    ids = list(recommendation_ids)
    if not store or not Path(store).is_file():
        return {"state": "no_store", "rows": [], "pending": ids}
    history = review_history(store)
    if history.empty:
        return {"state": "none", "rows": [], "pending": ids}
    _, bad = verify_review_log(store)
    audit = audit_review_log(store)
    rows = history[history["recommendation_id"].isin(set(ids))].reset_index(drop=True)
    if rows.empty:
        return {"state": "none", "rows": [], "pending": ids}
    decided = set(rows["recommendation_id"])
    rows = rows.astype(object).where(rows.notna(), None)
    return {"state": "reviewed", "rows": [{k: (str(v) if k == "timestamp" and v is not None
                                               else v) for k, v in r.items()}
                                          for r in rows.to_dict("records")],
            "intact": audit.ok, "bad_seq": bad, "problems": [list(p) for p in audit.problems],
            "head": audit.head, "anchored": audit.anchored,
            "pending": [i for i in ids if i not in decided]}
