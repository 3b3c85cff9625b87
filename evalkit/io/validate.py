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
   ``unknown_policy``) and, for the ledger, ``outside_policy_window``.

A row failing any check is quarantined; the quarantine lists every problem of the row, one line
each (``file, row, column, value, reason, message``). Accepted rows then get warnings (accepted,
listed): ``unit_jump`` (a firm's money value 3,000-30,000 times above or below the firm's
median: 万元 typed into a 元 column), ``cap_exceeded`` (a firm's total from a policy above the
policy's per-firm cap) and ``year_gap`` (a firm missing a year inside its observed span).

For every table ``read == accepted + quarantined`` (checked here; a failure is a bug).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from evalkit.errors import DataError, EvalkitError
from evalkit.io.convert import Converted, convert_column
from evalkit.io.readers import SUFFIXES, RawTable, read_table_file
from evalkit.io.reasons import message
from evalkit.io.schemas import TABLE_ORDER, TABLES, Table

Progress = Callable[[str, int, int], None]

PROBLEM_COLUMNS = ("file", "row", "column", "value", "reason", "message")
#: File stems in a data folder that are evalkit's own output, not tables.
OWN_OUTPUT_STEMS = ("quarantine",)
UNIT_JUMP_RANGE = (3e3, 3e4)
_REFERENCE_REASON = {"firms": "unknown_firm", "policies": "unknown_policy"}


def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame({
        "file": pd.Series(dtype="str"), "row": pd.Series(dtype="Int64"),
        "column": pd.Series(dtype="str"), "value": pd.Series(dtype="str"),
        "reason": pd.Series(dtype="str"), "message": pd.Series(dtype="str"),
    })


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


@dataclass(frozen=True)
class ValidationReport:
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

    def write_quarantine(self, path: str | Path) -> Path:
        """Write the quarantine (and the warnings, reason tells them apart) as UTF-8 CSV with a
        byte-order mark, so that Excel shows the Chinese text."""
        path = Path(path)
        q = self.quarantine.assign(severity="quarantine")
        w = self.warnings.assign(severity="warning")
        pd.concat([q, w], ignore_index=True).to_csv(path, index=False, encoding="utf-8-sig")
        return path

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


def _stack(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = [f.assign(table_name=k) for k, f in frames.items() if len(f)]
    if not parts:
        return _empty_problems().assign(table_name=pd.Series(dtype="str"))[
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
        raise DataError("not a folder", file=str(d), fix="give the folder holding the table files")
    found: dict[str, Path] = {}
    for p in sorted(d.iterdir()):
        if (not p.is_file() or p.suffix.lower() not in SUFFIXES or p.name.startswith((".", "~$"))
                or p.stem.lower() in OWN_OUTPUT_STEMS):
            continue
        name = load_aliases().table_for_stem(p.stem, str(p))
        if name in found:
            raise DataError(f"two files hold the table {name}: {found[name].name} and {p.name}",
                            file=str(p), fix="keep one file per table")
        found[name] = p
    if not found:
        raise DataError("the folder holds no table files", file=str(d),
                        fix="put the tables there as CSV, .xlsx or .parquet, named e.g. firms.csv")
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
    for i, (name, raw) in enumerate(raws.items()):
        if progress:
            progress("validate", i, len(raws))
        reports[name] = check_table(raw, {k: v.accepted for k, v in reports.items()}, parse_rule)
    if progress:
        progress("validate", len(raws), len(raws))
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
            if value is None:
                vals = raw.frame[column].to_numpy(dtype=object)[pos]
            elif isinstance(value, pd.Series):
                vals = value.to_numpy(dtype=object)[pos]
            else:
                vals = [value] * len(pos)
            cols["value"].extend(vals)
            cols["reason"].extend([reason] * len(pos))
            det = (detail.to_numpy(dtype=object)[pos] if isinstance(detail, pd.Series)
                   else [detail] * len(pos))
            cols["detail"].extend(det)
        for row, nfields in raw.bad_rows:
            for k, v in (("pos", -1), ("row", row), ("column", None),
                         ("value", str(raw.n_header_fields)), ("reason", "wrong_field_count"),
                         ("detail", nfields)):
                cols[k].append(v)
        df = pd.DataFrame(cols)
        if df.empty:
            return _empty_problems()
        headers = raw.header_map.headers
        df["message"] = [
            message(r, file, row, headers.get(c, c) if c else None, v, d)
            for r, row, c, v, d in zip(df["reason"], df["row"], df["column"], df["value"],
                                       df["detail"], strict=True)
        ]
        df["file"] = file
        df = df.sort_values(["row", "pos"], kind="stable")
        out = df[list(PROBLEM_COLUMNS)].reset_index(drop=True)
        return out.astype({"file": "str", "row": "Int64", "column": "str", "value": "str",
                           "reason": "str", "message": "str"})


def check_table(raw: RawTable, accepted: Mapping[str, pd.DataFrame],
                parse_rule: Callable[[str], None] | None = None) -> TableReport:
    """Check one table read by :func:`read_table_file` against the already accepted tables."""
    schema = TABLES[raw.table]
    n = len(raw.frame)
    conv: dict[str, Converted] = {}
    found = _Found(raw)
    for col in schema.columns:
        if col.name in raw.frame:
            text = raw.frame[col.name]
            conv[col.name] = convert_column(text, col, raw.header_map.units.get(col.name, 1.0))
        else:  # an optional column the file does not have
            conv[col.name] = convert_column(pd.Series([""] * n, dtype="str"),
                                            replace(col, required=False))
        for p in conv[col.name].problems:
            found.add(p.mask, col.name, p.reason, p.detail)
    if schema.name == "policies":
        _check_policies(raw, conv, found, parse_rule)
    _check_keys(schema, raw, conv, found)
    for column, ref_table, ref_column in schema.references:
        if ref_table not in accepted:
            raise DataError(f"{schema.name} refers to {ref_table}, but the folder has no "
                            f"{ref_table} table", file=raw.path,
                            fix=f"add the {ref_table} file to the folder")
        values = conv[column].values
        ok = ~conv[column].bad & values.notna().to_numpy()
        unknown = ok & ~values.isin(accepted[ref_table][ref_column]).to_numpy()
        found.add(unknown, column, _REFERENCE_REASON[ref_table])
    if schema.name == "disbursements":
        _check_window(conv, accepted["policies"], found)

    bad = found.bad_rows(n)
    keep = np.flatnonzero(~bad)
    acc = pd.DataFrame({c: conv[c].values for c in schema.column_names}).iloc[keep]
    acc = acc.reset_index(drop=True)
    for col in schema.columns:
        if col.kind == "bool" and col.required:
            acc[col.name] = acc[col.name].astype(bool)
    quarantined = found.frame()
    warnings = _warnings(schema, raw, acc, keep, accepted)
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


def _check_policies(raw: RawTable, conv: dict[str, Converted], found: _Found,
                    parse_rule: Callable[[str], None] | None) -> None:
    start, end = conv["start_date"].values, conv["end_date"].values
    reversed_ = (start.notna() & end.notna() & (end < start)).to_numpy()
    detail = pd.Series(" (before the start date " + start.dt.strftime("%Y-%m-%d").fillna("")
                       + ")", index=start.index, dtype="str")
    found.add(reversed_, "end_date", "bad_date", detail)
    if parse_rule is None:
        return
    rules = conv["eligibility_rule"].values
    problems: dict[str, str] = {}
    for text in pd.unique(rules.dropna()):
        try:
            parse_rule(text)
        except EvalkitError as exc:
            problems[text] = str(exc)
    if problems:
        mask = rules.isin(list(problems)).to_numpy()
        found.add(mask, "eligibility_rule", "bad_rule", rules.map(problems).astype("str"))


def _check_keys(schema: Table, raw: RawTable, conv: dict[str, Converted], found: _Found) -> None:
    key = list(schema.key)
    valid = np.ones(len(raw.frame), dtype=bool)
    for k in key:
        valid &= ~conv[k].bad
    if not valid.any():
        return
    keys = pd.DataFrame({k: conv[k].values for k in key}).iloc[np.flatnonzero(valid)]
    keys["_row"] = raw.rows[valid]
    dup = keys.duplicated(subset=key, keep="first").to_numpy()
    if not dup.any():
        return
    first = keys.groupby(key, dropna=False, sort=False)["_row"].transform("first")
    mask = np.zeros(len(raw.frame), dtype=bool)
    mask[np.flatnonzero(valid)[dup]] = True
    detail = pd.Series("", index=raw.frame.index, dtype="str")
    detail.iloc[np.flatnonzero(valid)] = first.astype(str).to_numpy()
    text = pd.Series("", index=raw.frame.index, dtype="str")
    for i, k in enumerate(key):
        part = (conv[k].values.astype("str").fillna("") if k in raw.frame
                else pd.Series("", index=raw.frame.index, dtype="str"))
        text = part if i == 0 else text + "|" + part
    found.add(mask, "+".join(key), "duplicate_key", detail, value=text)


def _check_window(conv: dict[str, Converted], policies: pd.DataFrame, found: _Found) -> None:
    pol = policies.set_index("policy_id")
    pid = conv["policy_id"].values
    start = pid.map(pol["start_date"])
    end = pid.map(pol["end_date"])
    date = conv["date"].values
    outside = (date.notna() & start.notna() & end.notna()
               & ((date < start) | (date > end))).to_numpy()
    detail = (start.dt.strftime("%Y-%m-%d").fillna("") + ".."
              + end.dt.strftime("%Y-%m-%d").fillna("")).astype("str")
    found.add(outside, "date", "outside_policy_window", detail)


# ---------------------------------------------------------------------------------- warnings


def _warning_frame(raw: RawTable, rows, columns, values, reasons, details) -> pd.DataFrame:
    if len(reasons) == 0:
        return _empty_problems()
    headers = raw.header_map.headers
    df = pd.DataFrame({"file": raw.file, "row": pd.array(rows, dtype="Int64"),
                       "column": columns, "value": values, "reason": reasons})
    df["message"] = [
        message(r, raw.file, None if pd.isna(row) else int(row), headers.get(c, c), v, d)
        for r, row, c, v, d in zip(reasons, df["row"], columns, values, details, strict=True)
    ]
    return df.astype({"file": "str", "column": "str", "value": "str", "reason": "str",
                      "message": "str"})


def _warnings(schema: Table, raw: RawTable, acc: pd.DataFrame, keep: np.ndarray,
              accepted: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    parts = []
    if schema.name == "firm_years" and len(acc):
        parts.append(_unit_jumps(schema, raw, acc, keep))
        parts.append(_year_gaps(raw, acc))
    if schema.name == "disbursements" and len(acc):
        parts.append(_caps(raw, acc, keep, accepted["policies"]))
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty_problems()
    return pd.concat(parts, ignore_index=True)


def _unit_jumps(schema: Table, raw: RawTable, acc: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    lo, hi = UNIT_JUMP_RANGE
    rows, cols, vals, dets = [], [], [], []
    for col in schema.columns:
        if col.kind != "money":
            continue
        v = acc[col.name].to_numpy(dtype=np.float64, na_value=np.nan)
        positive = v > 0
        med = (pd.Series(np.where(positive, v, np.nan)).groupby(acc["firm_id"].to_numpy())
               .transform("median").to_numpy())
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = v / med
            inv = med / v
        jump = positive & (((ratio >= lo) & (ratio <= hi)) | ((inv >= lo) & (inv <= hi)))
        pos = np.flatnonzero(jump)
        if len(pos) == 0:
            continue
        rows.extend(raw.rows[keep[pos]].tolist())
        cols.extend([col.name] * len(pos))
        vals.extend(raw.frame[col.name].to_numpy(dtype=object)[keep[pos]].tolist())
        dets.extend(f"{m:,.0f}" for m in med[pos])
    return _warning_frame(raw, rows, cols, vals, ["unit_jump"] * len(rows), dets)


def _year_gaps(raw: RawTable, acc: pd.DataFrame) -> pd.DataFrame:
    g = acc.groupby("firm_id", sort=True)["year"].agg(["min", "max", "nunique"])
    gaps = g[(g["max"] - g["min"] + 1) > g["nunique"]]
    if gaps.empty:
        return _empty_problems()
    sub = acc[acc["firm_id"].isin(gaps.index)]
    seen = sub.groupby("firm_id")["year"].agg(lambda s: set(s.tolist()))
    firms, dets = [], []
    for firm, row in gaps.iterrows():
        missing = sorted(set(range(int(row["min"]), int(row["max"]) + 1)) - seen[firm])
        firms.append(firm)
        dets.append(", ".join(str(y) for y in missing))
    return _warning_frame(raw, [None] * len(firms), ["year"] * len(firms), firms,
                          ["year_gap"] * len(firms), dets)


def _caps(raw: RawTable, acc: pd.DataFrame, keep: np.ndarray,
          policies: pd.DataFrame) -> pd.DataFrame:
    cap = acc["policy_id"].map(policies.set_index("policy_id")["cap_per_firm"])
    led = pd.DataFrame({"firm_id": acc["firm_id"], "policy_id": acc["policy_id"],
                        "date": acc["date"], "amount": acc["amount"], "cap": cap,
                        "row": raw.rows[keep]})
    led = led.sort_values(["firm_id", "policy_id", "date", "row"], kind="stable")
    grp = led.groupby(["firm_id", "policy_id"], sort=False)["amount"]
    led["cum"] = grp.cumsum()
    led["total"] = grp.transform("sum")
    over = led[led["total"] > led["cap"]]
    if over.empty:
        return _empty_problems()
    first = over[over["cum"] > over["cap"]].groupby(["firm_id", "policy_id"], sort=False).head(1)
    return _warning_frame(
        raw, first["row"].tolist(), ["amount"] * len(first),
        [f"{t:,.2f}" for t in first["total"]], ["cap_exceeded"] * len(first),
        [f"{c:,.2f} (policy {p})" for c, p in zip(first["cap"], first["policy_id"],
                                                  strict=True)])
