"""Dirty mode: inject the faults real exports carry, and list every one in a manifest.

Faults (codes shared with the ingest's reasons):

========================  =========================================================  ==========
fault                     what is injected                                           expect
========================  =========================================================  ==========
``bad_uscc``              a firm id with a wrong check character                     quarantine
``duplicate_key``         an exact copy of a row placed later in the file (the      quarantine
                          later copy is the faulty row)
``unit_wan_in_yuan``      ``tax_paid`` typed in 万元 in a 元 column (10,000x too     warning
                          small against the firm's other years; reason unit_jump)
``not_a_number``          text such as ``暂无`` or ``1,2x3`` in a numeric cell        quarantine
``negative_value``        a money amount or head count with a minus sign             quarantine
``unknown_policy``        a ledger row pointing to a policy id that does not exist   quarantine
``missing_year``          a firm-year removed from the middle of a firm's series      warning
                          (file-level entry: row and column null, value = firm id;
                          reason year_gap)
``gbk_encoding``          ``firm_years.csv`` written in GB18030 with Chinese headers  accepted
                          and revenue in 万元 (``营业收入(万元)``)
========================  =========================================================  ==========

Rules that keep the manifest exact: each faulty firm-year belongs to a firm with no other fault;
row faults that quarantine a firm-year hit the firm's first year (so no gap or jump appears in
what is accepted); the unit fault and the removed year sit in the middle of series of at least
three years; ledger faults hit distinct rows. Manifest rows are physical rows of the written file
(header = row 1, first record = row 2), computed after every insertion and removal. Columns are
canonical names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.io.schemas import TABLES
from evalkit.io.uscc import ALPHABET

NOT_A_NUMBER = ("暂无", "1,2x3", "待补充", "见附件")
UNKNOWN_POLICIES = ("P09", "P10", "P00", "P18")
#: Number of injected faults of each kind per table: drawn uniformly in this range.
COUNT_RANGE = (5, 12)
WAN = "万元"


def _wrong_check(code: str, rng: np.random.Generator) -> str:
    others = [c for c in ALPHABET if c != code[17]]
    return code[:17] + others[int(rng.integers(0, len(others)))]


def _count(rng: np.random.Generator, available: int) -> int:
    return int(min(available, rng.integers(COUNT_RANGE[0], COUNT_RANGE[1] + 1)))


def _entry(table, file, row, column, value, fault, expect):
    return {"table": table, "file": file, "row": row, "column": column, "value": value,
            "fault": fault, "expect": expect}


def _finish(frame: pd.DataFrame, drop: set[int], dups: list[tuple[int, int]],
            rng: np.random.Generator) -> tuple[pd.DataFrame, dict[int, int]]:
    """Remove rows ``drop``, insert a copy of each ``(row, fault_id)`` at a random later position.

    Returns the final frame and fault_id -> physical row of the copy.
    """
    order: list[tuple[int, int]] = [(i, -1) for i in range(len(frame)) if i not in drop]
    for src, fid in dups:
        pos = next(k for k, (i, f) in enumerate(order) if i == src and f == -1)
        at = int(rng.integers(pos + 1, len(order) + 1))
        order.insert(at, (src, fid))
    out = frame.iloc[[i for i, _ in order]].reset_index(drop=True)
    rows = {f: k + 2 for k, (_, f) in enumerate(order) if f >= 0}
    return out, rows


def inject(rng: np.random.Generator, firm_years: pd.DataFrame, ledger: pd.DataFrame,
           fy_file: str = "firm_years.csv", ledger_file: str = "disbursements.csv",
           ) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    """Inject faults into text frames (every cell a str, canonical column names).

    ``firm_years`` must already be in its written form (revenue in 万元 for the GBK file).
    Returns the faulty firm_years and ledger text frames and the manifest entries (excluding the
    file-level ``gbk_encoding`` entry, which the writer adds).
    """
    faults: list[dict] = []
    fy = firm_years.copy()
    ids = fy["firm_id"].to_numpy()
    # positions of each firm's rows (firm_years are sorted by firm, then year)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    lengths = np.diff(np.r_[starts, ids.size])
    long_firms = rng.permutation(np.flatnonzero(lengths >= 3))
    taken = 0

    def take(k):
        nonlocal taken
        out = long_firms[taken:taken + k]
        taken += k
        return out

    fy_row_faults: list[tuple[int, dict]] = []  # (position in fy before edits, entry)
    drop: set[int] = set()
    dups: list[tuple[int, int]] = []
    avail = lambda: long_firms.size - taken  # noqa: E731

    for f in take(_count(rng, avail())):  # bad_uscc on the first year
        pos = starts[f]
        bad = _wrong_check(fy.at[pos, "firm_id"], rng)
        fy.at[pos, "firm_id"] = bad
        fy_row_faults.append((pos, _entry("firm_years", fy_file, None, "firm_id", bad,
                                          "bad_uscc", "quarantine")))
    for f in take(_count(rng, avail())):  # not_a_number on the first year
        pos = starts[f]
        col = ("revenue", "tax_paid", "employees")[int(rng.integers(0, 3))]
        text = NOT_A_NUMBER[int(rng.integers(0, len(NOT_A_NUMBER)))]
        fy.at[pos, col] = text
        fy_row_faults.append((pos, _entry("firm_years", fy_file, None, col, text,
                                          "not_a_number", "quarantine")))
    for f in take(_count(rng, avail())):  # negative_value on the first year
        pos = starts[f]
        col = ("revenue", "tax_paid", "employees")[int(rng.integers(0, 3))]
        text = "-" + fy.at[pos, col]
        fy.at[pos, col] = text
        fy_row_faults.append((pos, _entry("firm_years", fy_file, None, col, text,
                                          "negative_value", "quarantine")))
    # unit_wan_in_yuan: tax_paid of a middle year typed in 万元 (firm's tax >= 10,000 yuan there)
    cands = [f for f in long_firms[taken:]]
    n_unit = _count(rng, len(cands))
    chosen = []
    for f in cands:
        if len(chosen) == n_unit:
            break
        pos = starts[f] + int(rng.integers(1, lengths[f] - 1))
        if float(fy.at[pos, "tax_paid"]) >= 1e4:
            chosen.append((f, pos))
    used = {f for f, _ in chosen}
    long_firms = np.array([f for f in long_firms[:taken]] + [f for f, _ in chosen]
                          + [f for f in long_firms[taken:] if f not in used], dtype=int)
    taken += len(chosen)
    for _, pos in chosen:
        text = f"{float(fy.at[pos, 'tax_paid']) / 1e4:.4f}"
        fy.at[pos, "tax_paid"] = text
        fy_row_faults.append((pos, _entry("firm_years", fy_file, None, "tax_paid", text,
                                          "unit_wan_in_yuan", "warning")))
    for f in take(_count(rng, avail())):  # missing_year: drop a middle year
        pos = starts[f] + int(rng.integers(1, lengths[f] - 1))
        drop.add(int(pos))
        faults.append(_entry("firm_years", fy_file, None, None, str(ids[pos]), "missing_year",
                             "warning"))
    dup_entries: list[dict] = []
    for f in take(_count(rng, avail())):  # duplicate_key: copy a row later in the file
        pos = starts[f] + int(rng.integers(0, lengths[f]))
        dup_entries.append(_entry("firm_years", fy_file, None, None, None, "duplicate_key",
                                  "quarantine"))
        dups.append((int(pos), len(dup_entries) - 1))

    # physical rows: mark the single-row faults, then finish (drops and duplicates)
    fy["_fault"] = -1
    for k, (pos, _) in enumerate(fy_row_faults):
        fy.at[pos, "_fault"] = k
    fy_out, dup_rows = _finish(fy, drop, dups, rng)
    marks = fy_out["_fault"].to_numpy()
    for k, (_, entry) in enumerate(fy_row_faults):
        where = np.flatnonzero(marks == k)
        entry["row"] = int(where[0]) + 2
        faults.append(entry)
    for k, entry in enumerate(dup_entries):
        entry["row"] = dup_rows[k]
        faults.append(entry)
    fy_out = fy_out.drop(columns="_fault")
    # the duplicated copies must not carry the single-row fault marks: they come from clean rows
    # (a duplicated firm has no other fault), so nothing else to do.

    # --- ledger ------------------------------------------------------------------------------------
    led = ledger.copy()
    perm = rng.permutation(len(led))
    used_rows = 0
    led_row_faults: list[tuple[int, dict]] = []

    def take_rows(k):
        nonlocal used_rows
        out = perm[used_rows:used_rows + k]
        used_rows += k
        return out

    left = lambda: len(led) - used_rows  # noqa: E731
    for pos in take_rows(_count(rng, left())):
        bad = _wrong_check(led.at[pos, "firm_id"], rng)
        led.at[pos, "firm_id"] = bad
        led_row_faults.append((pos, _entry("disbursements", ledger_file, None, "firm_id", bad,
                                           "bad_uscc", "quarantine")))
    for pos in take_rows(_count(rng, left())):
        pid = UNKNOWN_POLICIES[int(rng.integers(0, len(UNKNOWN_POLICIES)))]
        led.at[pos, "policy_id"] = pid
        led_row_faults.append((pos, _entry("disbursements", ledger_file, None, "policy_id", pid,
                                           "unknown_policy", "quarantine")))
    for pos in take_rows(_count(rng, left())):
        text = NOT_A_NUMBER[int(rng.integers(0, len(NOT_A_NUMBER)))]
        led.at[pos, "amount"] = text
        led_row_faults.append((pos, _entry("disbursements", ledger_file, None, "amount", text,
                                           "not_a_number", "quarantine")))
    for pos in take_rows(_count(rng, left())):
        text = "-" + led.at[pos, "amount"]
        led.at[pos, "amount"] = text
        led_row_faults.append((pos, _entry("disbursements", ledger_file, None, "amount", text,
                                           "negative_value", "quarantine")))
    led_dups = [(int(pos), k) for k, pos in enumerate(take_rows(_count(rng, left())))]
    led["_fault"] = -1
    for k, (pos, _) in enumerate(led_row_faults):
        led.at[pos, "_fault"] = k
    led_out, led_dup_rows = _finish(led, set(), led_dups, rng)
    marks = led_out["_fault"].to_numpy()
    for k, (_, entry) in enumerate(led_row_faults):
        entry["row"] = int(np.flatnonzero(marks == k)[0]) + 2
        faults.append(entry)
    for k in range(len(led_dups)):
        faults.append(_entry("disbursements", ledger_file, led_dup_rows[k], None, None,
                             "duplicate_key", "quarantine"))
    led_out = led_out.drop(columns="_fault")
    assert tuple(led_out.columns) == TABLES["disbursements"].column_names
    faults.sort(key=lambda e: (e["file"], e["row"] if e["row"] is not None else 0, e["fault"],
                               e["value"] or ""))
    return fy_out, led_out, faults
