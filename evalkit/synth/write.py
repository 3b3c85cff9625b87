"""Write a synthetic district to a folder: six CSV tables, ``truth.json`` (and ``faults.json``).

Clean files are UTF-8 with the canonical English headers, one record per line (``\\n``), money in
yuan with at most two decimals, booleans ``True``/``False``, missing values as empty cells.
``truth.json`` is written with sorted keys and indent 1, so the bytes depend only on the seed.

With ``dirty=True`` the faults of :mod:`evalkit.synth.faults` are injected and listed in
``faults.json``; ``firm_years.csv`` is then written in GB18030 with the Chinese headers of
:mod:`evalkit.io.schemas`, revenue as ``营业收入(万元)`` in 万元 with six decimals (exact to the fen)
and booleans as 是/否.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError
from evalkit.i18n import Message
from evalkit.io.safefs import atomic_write_bytes
from evalkit.io.schemas import TABLES
from evalkit.synth import faults as F
from evalkit.synth.district import District

GBK_ENCODING = "gb18030"
REVENUE_WAN_HEADER = "营业收入(万元)"


def _csv_text(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


def _as_text(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).astype(object)


def truth_json(d: District) -> str:
    """The truth as deterministic JSON text."""
    return json.dumps(d.truth, sort_keys=True, indent=1, ensure_ascii=False,
                      allow_nan=False) + "\n"


def _gbk_firm_years(fy: pd.DataFrame, text: pd.DataFrame) -> pd.DataFrame:
    """The text frame of firm_years as the GBK export writes it (canonical column names)."""
    out = text.copy()
    out["revenue"] = np.char.mod("%.6f", fy["revenue"].to_numpy(dtype=float) / 1e4).astype(object)
    for c in ("high_tech", "listed", "headquarters"):
        out[c] = np.where(fy[c].to_numpy(dtype=bool), "是", "否").astype(object)
    return out


def write_district(d: District, out_dir: str | Path, dirty: bool = False, seed: int = 7,
                   progress: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Write the district's tables and truth to ``out_dir`` (created if missing).

    Returns the written paths by name (the six table names, ``truth`` and, when dirty,
    ``faults``). ``seed`` drives the fault injection only. ``progress`` is called with the name of
    each step before it runs.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError(Message("errors.synth.write.seed_non_negative_integer", seed=seed))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    step = progress or (lambda _name: None)
    paths: dict[str, Path] = {}
    texts = {}
    for name, frame in d.tables().items():
        step(f"write {name}")
        texts[name] = _csv_text(frame)

    faults: list[dict] = []
    fy_bytes = None
    if dirty:
        step("inject faults")
        rng = np.random.default_rng([seed, 20251]).spawn(1)[0]
        fy_text = _gbk_firm_years(d.firm_years, _as_text(texts["firm_years"]))
        led_text = _as_text(texts["disbursements"])
        fy_dirty, led_dirty, faults = F.inject(rng, fy_text, led_text)
        headers = {c.name: c.zh for c in TABLES["firm_years"].columns}
        headers["revenue"] = REVENUE_WAN_HEADER
        fy_bytes = _csv_text(fy_dirty.rename(columns=headers)).encode(GBK_ENCODING)
        texts["disbursements"] = _csv_text(led_dirty)
        faults.append(F._entry("firm_years", "firm_years.csv", None, None, None, "gbk_encoding",
                               "accepted"))

    for name, text in texts.items():
        path = out / f"{name}.csv"
        if name == "firm_years" and fy_bytes is not None:
            atomic_write_bytes(path, fy_bytes)
        else:
            atomic_write_bytes(path, text.encode("utf-8"))
        paths[name] = path
    step("write truth")
    paths["truth"] = out / "truth.json"
    atomic_write_bytes(paths["truth"], truth_json(d).encode("utf-8"))
    stale = out / "faults.json"
    if dirty:
        atomic_write_bytes(stale, (json.dumps({"faults": faults}, sort_keys=True, indent=1,
                                              ensure_ascii=False) + "\n").encode("utf-8"))
        paths["faults"] = stale
    elif stale.exists():
        stale.unlink()  # a clean write must not leave an old manifest describing other files
    return paths
