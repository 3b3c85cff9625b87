"""Validate a folder of table files: every row is accepted or quarantined with a reason.

:func:`validate_dir` reads each table file (:mod:`evalkit.io.readers`), converts every column
(:mod:`evalkit.io.convert`) and runs the row checks, table by table in ``schemas.TABLE_ORDER``:

1. cell checks: ``missing_required``, ``not_a_number``, ``bad_uscc``, ``bad_category``,
   ``bad_date``, ``negative_value``, ``bad_rule`` (policies' eligibility rules, parsed by
   :func:`evalkit.rules.parse_rule`), ``wrong_field_count`` (a CSV row that cannot be split);
2. ``duplicate_key`` among rows whose key cells are valid: the first occurrence is kept, later
   copies are quarantined (even if the first is rejected for another reason: the key is then
   ambiguous);
3. referential checks against the *accepted* rows of the referenced table (``unknown_firm``,
   ``unknown_policy``).

A row failing any check is quarantined; the quarantine lists every problem of the row, one line
each (``file, row, column, value, reason, message``; :mod:`evalkit.io.problems`). Accepted
rows then get warnings (accepted, listed; :mod:`evalkit.io.plausibility`): ``unit_jump`` (a
firm's money value 3,000-30,000 times above or below the firm's median: 万元 typed into a 元
column), ``outside_policy_window`` (a payment dated outside its policy's start and end dates:
the money was paid, so the row is kept and the monitoring stage reports it as a ledger
anomaly), ``cap_exceeded`` (a firm's total from a policy above the
policy's per-firm cap) and ``year_gap`` (a firm missing a year inside its observed span).

For every table ``read == accepted + quarantined`` (checked here; a failure is a bug).

Columns are converted in threads (the work is in Arrow and numpy, which release the GIL); keys
and firms are grouped by integer codes (``pd.factorize``), references checked with Arrow's
``is_in``; Python objects are made only for the quarantined and flagged cells.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalkit import escape
from evalkit.errors import DataError, EvalkitError
from evalkit.i18n import Bilingual, Message
from evalkit.io import safefs
from evalkit.io.arrowtext import arrow_strings, str_series
from evalkit.io.convert import Converted, convert_column
from evalkit.io.plausibility import plausibility_warnings
from evalkit.io.problems import (
    PROBLEM_COLUMNS,
    cell_text,
    empty_problems,
    group_codes,
    problem_messages,
    value_at,
)
from evalkit.io.readers import SUFFIXES, RawTable, read_table_file
from evalkit.io.schemas import TABLE_ORDER, TABLES, Column, Table
from evalkit.results import Result, canonical

Progress = Callable[[str, int, int], None]

#: File stems in a data folder that are evalkit's own output, not tables.
OWN_OUTPUT_STEMS = ("quarantine",)
_REFERENCE_REASON = {"firms": "unknown_firm", "policies": "unknown_policy"}


@dataclass(frozen=True)
class TableReport:
    """The outcome for one table file.

    ``accepted``: the accepted rows, canonical columns and dtypes (money in yuan).
    ``quarantined``: one line per problem (a row may have several), columns
    ``file, row, column, value, reason, message``; ``warnings`` likewise, for accepted rows.
    ``n_read == n_accepted + n_quarantined`` always holds.
    """

    table: str
    file: str
    encoding: str | None
    sha256: str
    n_read: int
    accepted: pd.DataFrame
    quarantined: pd.DataFrame
    warnings: pd.DataFrame
    units: Mapping[str, float]
    headers: Mapping[str, str]

    @property
    def n_accepted(self) -> int:
        return len(self.accepted)

    @property
    def n_quarantined(self) -> int:
        return int(self.quarantined["row"].nunique())


@dataclass(frozen=True, eq=False, repr=False)
class ValidationReport(Result):
    """The outcome of validating a folder: one :class:`TableReport` per table, in load order."""

    directory: str
    tables: Mapping[str, TableReport]
    skipped_checks: tuple[str, ...] = field(default=())

    @property
    def quarantine(self) -> pd.DataFrame:
        """Every problem of every quarantined row, with a leading ``table_name`` column."""
        return _stack({k: v.quarantined for k, v in self.tables.items()})

    @property
    def warnings(self) -> pd.DataFrame:
        return _stack({k: v.warnings for k, v in self.tables.items()})

    @property
    def accepted(self) -> dict[str, pd.DataFrame]:
        return {k: v.accepted for k, v in self.tables.items()}

    def counts(self) -> pd.DataFrame:
        """One row per table: file, encoding, read, accepted, quarantined, warnings."""
        return pd.DataFrame([
            {"table": k, "file": Path(v.file).name, "encoding": v.encoding,
             "read": v.n_read, "accepted": v.n_accepted, "quarantined": v.n_quarantined,
             "warnings": len(v.warnings)}
            for k, v in self.tables.items()
        ], columns=["table", "file", "encoding", "read", "accepted", "quarantined", "warnings"])

    def write_quarantine(self, path: str | Path, protect: tuple[Path, ...] = ()) -> Path:
        """Write the quarantine (and the warnings, reason tells them apart) as UTF-8 CSV with a
        byte-order mark, so that Excel shows the Chinese text. Every text cell goes through
        :func:`evalkit.escape.cell`: a rejected value such as ``=HYPERLINK(...)`` is shown as
        text, not evaluated as a formula. Written to a sibling temporary file and renamed;
        never over an input file, ``protect`` (e.g. the warehouse) or a file
        that is not an earlier quarantine CSV (:func:`check_quarantine_path`)."""
        path = Path(path)
        check_quarantine_path(path, (*(Path(t.file) for t in self.tables.values()), *protect))
        q = self.quarantine.assign(severity="quarantine")
        w = self.warnings.assign(severity="warning")
        frame = pd.concat([q, w], ignore_index=True)
        frame = frame.map(escape.cell)
        frame.columns = [escape.cell(str(c)) for c in frame.columns]
        safefs.atomic_write_bytes(path, frame.to_csv(index=False).encode("utf-8-sig"))
        return path

    def tidy(self) -> pd.DataFrame:
        """:meth:`counts` with ``term`` the table name (no estimates: NaN statistics)."""
        return canonical(self.counts().rename(columns={"table": "term"}))

    def summary(self) -> str:
        lines = [f"{k}: read {v.n_read:,} = accepted {v.n_accepted:,} + quarantined "
                 f"{v.n_quarantined:,} ({len(v.warnings):,} warnings)"
                 for k, v in self.tables.items()]
        lines += [f"check skipped: {s}" for s in self.skipped_checks]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "directory": self.directory,
            "counts": json.loads(self.counts().to_json(orient="records")),
            "skipped_checks": list(self.skipped_checks),
        }


_QUARANTINE_HEAD = "\ufefftable_name,".encode()


def _is_quarantine_csv(path: Path) -> bool:
    """Whether ``path`` is empty or a quarantine CSV evalkit wrote (its header)."""
    with open(path, "rb") as f:
        head = f.read(len(_QUARANTINE_HEAD))
    return head in (b"", _QUARANTINE_HEAD)


def check_quarantine_path(path: Path, protect: tuple[Path, ...] = ()) -> None:
    """Refuse a quarantine path that is a folder, one of ``protect`` (the input files, the
    warehouse) or an existing file other than an earlier quarantine CSV (:class:`DataError`)."""
    safefs.check_replaceable(Path(path), list(protect), _is_quarantine_csv,
                             Message("labels.file.quarantine"))


def _stack(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = [f.assign(table_name=k) for k, f in frames.items() if len(f)]
    if not parts:
        return empty_problems().assign(table_name=pd.Series(dtype="str"))[
            ["table_name", *PROBLEM_COLUMNS]]
    out = pd.concat(parts, ignore_index=True)
    return out[["table_name", *PROBLEM_COLUMNS]]


def find_table_files(directory: str | Path) -> dict[str, Path]:
    """The table files of a folder, by table name. Hidden files, Excel lock files (``~$``) and
    evalkit's own ``quarantine.csv`` are ignored; any other CSV/XLSX/Parquet file must name a
    table."""
    from evalkit.io.aliases import load_aliases

    d = Path(directory)
    if not d.is_dir():
        raise DataError(Message("errors.io.validate.folder"), file=str(d),
                        fix=Message("errors.io.validate.fix_give_folder_holding_table"))
    found: dict[str, Path] = {}
    for p in sorted(d.iterdir()):
        if (not p.is_file() or p.suffix.lower() not in SUFFIXES or p.name.startswith((".", "~$"))
                or p.stem.lower() in OWN_OUTPUT_STEMS):
            continue
        name = load_aliases().table_for_stem(p.stem, str(p))
        if name in found:
            raise DataError(Message("errors.io.validate.two_files_hold_table", name=name,
                                    name_2=found[name].name, name_3=p.name), file=str(p),
                            fix=Message("errors.io.validate.fix_keep_one_file_per"))
        found[name] = p
    if not found:
        raise DataError(Message("errors.io.validate.folder_holds_table_files"), file=str(d),
                        fix=Message("errors.io.validate.fix_put_tables_there_csv"))
    return {name: found[name] for name in TABLE_ORDER if name in found}


def rule_checker() -> Callable[[str], None] | None:
    """``evalkit.rules.parse_rule`` if that module exists, else ``None`` (check skipped)."""
    if importlib.util.find_spec("evalkit.rules") is None:
        return None
    return importlib.import_module("evalkit.rules").parse_rule


def validate_dir(path: str | Path, progress: Progress | None = None) -> ValidationReport:
    """Read and check every table file in ``path``; see the module docstring for the checks."""
    files = find_table_files(path)
    parse_rule = rule_checker()
    skipped = () if parse_rule is not None else (
        "bad_rule: eligibility rules were not parsed (evalkit.rules is not installed)",)
    raws: dict[str, RawTable] = {}
    for i, (name, p) in enumerate(files.items()):
        if progress:
            progress("read", i, len(files))
        raws[name] = read_table_file(p, table=name)
    if progress:
        progress("read", len(files), len(files))
    reports: dict[str, TableReport] = {}
    for i, name in enumerate(list(raws)):
        if progress:
            progress("validate", i, len(files))
        raw = raws.pop(name)                 # the text is not needed once checked
        reports[name] = check_table(raw, {k: v.accepted for k, v in reports.items()}, parse_rule)
        del raw
    if progress:
        progress("validate", len(files), len(files))
    return ValidationReport(str(path), MappingProxyType(reports), skipped)


@dataclass
class _Found:
    """Problems found in one table, by row position."""

    raw: RawTable
    parts: list[tuple[np.ndarray, str | None, str, object, object]] = field(default_factory=list)

    def add(self, mask: np.ndarray, column: str | None, reason: str, detail: object = "",
            value: object = None) -> None:
        if mask.any():
            self.parts.append((mask, column, reason, detail, value))

    def bad_rows(self, n: int) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        for mask, *_ in self.parts:
            out |= mask
        return out

    def frame(self) -> pd.DataFrame:
        raw = self.raw
        file = raw.file
        cols: dict[str, list] = {k: [] for k in ("pos", "row", "column", "value", "reason",
                                                  "detail")}
        for mask, column, reason, detail, value in self.parts:
            pos = np.flatnonzero(mask)
            cols["pos"].extend(pos.tolist())
            cols["row"].extend(raw.rows[pos].tolist())
            cols["column"].extend([column] * len(pos))
            cols["value"].extend(value_at(value, pos) if value is not None
                                 else cell_text(raw, column, pos))
            cols["reason"].extend([reason] * len(pos))
            cols["detail"].extend(value_at(detail, pos))
        for row, nfields in raw.bad_rows:
            for k, v in (("pos", -1), ("row", row), ("column", None),
                         ("value", str(raw.n_header_fields)), ("reason", "wrong_field_count"),
                         ("detail", nfields)):
                cols[k].append(v)
        df = pd.DataFrame(cols)
        if df.empty:
            return empty_problems()
        df = df.assign(**problem_messages(raw, df["reason"], df["row"], df["column"], df["value"],
                                   df["detail"]))
        df["file"] = file
        df = df.sort_values(["row", "pos"], kind="stable")
        out = df[list(PROBLEM_COLUMNS)].reset_index(drop=True)
        return out.astype({"file": "str", "row": "Int64", "column": "str", "value": "str",
                           "reason": "str", "message": "str", "message_zh": "str"})


def check_table(raw: RawTable, accepted: Mapping[str, pd.DataFrame],
                parse_rule: Callable[[str], None] | None = None) -> TableReport:
    """Check one table read by :func:`read_table_file` against the already accepted tables."""
    schema = TABLES[raw.table]
    n = len(raw.frame)
    found = _Found(raw)

    def convert(col: Column) -> Converted:
        if col.name in raw.frame:
            text = raw.frame[col.name]
            return convert_column(text, col, raw.header_map.units.get(col.name, 1.0))
        # an optional column the file does not have
        empty = str_series(pc.cast(pa.nulls(n), pa.large_string()).fill_null(""))
        return convert_column(empty, replace(col, required=False))

    # columns convert independently; Arrow and numpy release the GIL, so threads use every core
    with ThreadPoolExecutor(max_workers=min(len(schema.columns), os.cpu_count() or 1)) as pool:
        conv = dict(zip(schema.column_names, pool.map(convert, schema.columns), strict=True))
    for col in schema.columns:
        for p in conv[col.name].problems:
            found.add(p.mask, col.name, p.reason, p.detail)
    _check_flagged(raw, found)
    if schema.name == "policies":
        _check_policies(raw, conv, found, parse_rule)
    _check_keys(schema, raw, conv, found)
    for column, ref_table, ref_column in schema.references:
        if ref_table not in accepted:
            raise DataError(Message("errors.io.validate.refers_but_folder_table", name=schema.name,
                                    ref_table=ref_table), file=raw.path,
                            fix=Message("errors.io.validate.fix_add_file_folder",
                                        ref_table=ref_table))
        values = conv[column].values
        ok = ~conv[column].bad & values.notna().to_numpy()
        known = pc.is_in(arrow_strings(values),
                         value_set=arrow_strings(accepted[ref_table][ref_column]).combine_chunks())
        unknown = ok & ~np.asarray(pc.fill_null(known, False).to_numpy(zero_copy_only=False),
                                   dtype=bool)
        found.add(unknown, column, _REFERENCE_REASON[ref_table])
    bad = found.bad_rows(n)
    keep = np.flatnonzero(~bad)
    acc = pd.DataFrame({c: conv[c].values if len(keep) == n else _rows(conv[c].values, keep, bad)
                        for c in schema.column_names}, copy=False)
    acc = acc.reset_index(drop=True)
    for col in schema.columns:
        if col.kind == "bool" and col.required:
            acc[col.name] = acc[col.name].astype(bool)
    quarantined = found.frame()
    del conv, found
    warnings = plausibility_warnings(schema, raw, acc, keep, accepted)
    n_quarantined = int(quarantined["row"].nunique())
    if raw.n_read != len(acc) + n_quarantined:
        raise RuntimeError(f"internal: {raw.file}: read {raw.n_read} != accepted {len(acc)} + "
                           f"quarantined {n_quarantined}")
    return TableReport(
        table=schema.name, file=raw.path, encoding=raw.encoding, sha256=raw.sha256,
        n_read=raw.n_read, accepted=acc, quarantined=quarantined, warnings=warnings,
        units=MappingProxyType(dict(raw.header_map.units)),
        headers=MappingProxyType(dict(raw.header_map.headers)),
    )


def _check_flagged(raw: RawTable, found: _Found) -> None:
    """The cells the reader flagged (an Excel formula without a saved value), in the columns
    the table uses; the row is quarantined with the reader's reason."""
    columns = raw.header_map.columns
    for row, position, reason in raw.flagged:
        column = columns[position] if position < len(columns) else None
        at = np.searchsorted(raw.rows, row)
        if column is None or at >= len(raw.rows) or raw.rows[at] != row:
            continue                      # a column the table does not read, or a blank row
        mask = np.zeros(len(raw.rows), dtype=bool)
        mask[at] = True
        found.add(mask, column, reason)


def _rows(values: pd.Series, keep: np.ndarray, bad: np.ndarray) -> pd.Series:
    """The accepted rows of a converted column: Arrow strings by ``take``, numpy and masked
    arrays by a boolean mask (the fastest for each)."""
    arr = values.array
    arr = arr.take(keep) if hasattr(arr, "__arrow_array__") and values.dtype == "str" else arr[~bad]
    return pd.Series(arr, copy=False)


def _check_policies(raw: RawTable, conv: dict[str, Converted], found: _Found,
                    parse_rule: Callable[[str], None] | None) -> None:
    start, end = conv["start_date"].values, conv["end_date"].values
    reversed_ = (start.notna() & end.notna() & (end < start)).to_numpy()
    start_text = start.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)

    def detail(pos: np.ndarray) -> list[Message]:
        return [Message("reasons.detail.before_start_date", date=d) for d in start_text[pos]]

    found.add(reversed_, "end_date", "bad_date", detail)
    if parse_rule is None:
        return
    rules = conv["eligibility_rule"].values
    problems: dict[str, Bilingual] = {}
    for text in pd.unique(rules.dropna()):
        try:
            parse_rule(text)
        except EvalkitError as exc:
            problems[text] = Bilingual(str(exc), exc.text("zh"))
    if problems:
        mask = rules.isin(list(problems)).to_numpy()
        found.add(mask, "eligibility_rule", "bad_rule", rules.map(problems).astype(object))


def _key_text(conv: dict[str, Converted], key: list[str], raw: RawTable
              ) -> Callable[[np.ndarray], list[str]]:
    def text(pos: np.ndarray) -> list[str]:
        parts = []
        for k in key:
            if k in raw.frame:
                v = conv[k].values.iloc[pos].astype("str").fillna("")
                parts.append(v.tolist())
            else:
                parts.append([""] * len(pos))
        return ["|".join(p) for p in zip(*parts, strict=True)]
    return text


def _check_keys(schema: Table, raw: RawTable, conv: dict[str, Converted], found: _Found) -> None:
    key = list(schema.key)
    valid = np.ones(len(raw.frame), dtype=bool)
    for k in key:
        valid &= ~conv[k].bad
    if not valid.any():
        return
    where = np.flatnonzero(valid)
    codes = group_codes([conv[k].values for k in key])
    if len(where) < len(valid):
        codes = pd.factorize(codes[where])[0].astype(np.int64)   # numbered among valid rows
    dup = pd.Series(codes).duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    first_row = raw.rows[where[~dup]]        # codes count first appearances: 0, 1, 2, ...
    mask = np.zeros(len(raw.frame), dtype=bool)
    mask[where[dup]] = True
    row_of = np.full(len(raw.frame), -1, dtype=np.int64)
    row_of[where] = first_row[codes]

    def detail(pos: np.ndarray) -> list[str]:
        return [str(r) for r in row_of[pos].tolist()]

    found.add(mask, "+".join(key), "duplicate_key", detail, value=_key_text(conv, key, raw))


