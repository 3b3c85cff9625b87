"""docs/tutorial.ipynb runs from top to bottom (nbclient) and shows what it promises."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
#: seconds per cell; the demo-district cell (three ex-post studies on 2,000 firms) is the longest
CELL_TIMEOUT = 300


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out["text"])
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
            parts.append(out["data"].get("text/html", ""))
    return "".join(parts)


def test_tutorial_executes_on_mpdta_and_the_demo_district(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    nb = nbformat.read(ROOT / "docs" / "tutorial.ipynb", as_version=4)
    NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(o.get("output_type") != "error" for c in code for o in c.outputs)
    text = [_text(c) for c in code]
    assert "<ATTgtResult>" in text[1] and "<table>" in text[1]
    assert "<AggteResult>" in text[2] and "type 'dynamic'" in text[2]
    assert "DeltaRM" in text[3] or "relative" in text[3].lower()
    assert any("image/png" in o.get("data", {}) for o in code[5].outputs)
    assert "<ExPostResult>" in text[6] and "P01" in text[6]
    assert "<RankingResult>" in text[7]
    assert "<ReallocationResult>" in text[8]
