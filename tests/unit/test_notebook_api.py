"""The notebook API: lazy verbs, shipped datasets, and plotting that leaves a notebook's
matplotlib backend and rcParams alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import evalkit as ek
from evalkit.datasets import DATASETS

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, **env: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT), **env}, timeout=300,
                         cwd=ROOT, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_import_is_lazy_and_lists_the_verbs():
    out = _run("import sys, evalkit\n"
               "print(sorted(m for m in ('pandas', 'numpy', 'scipy', 'matplotlib') "
               "if m in sys.modules))")
    assert out.strip() == "[]"
    for verb in ("att_gt", "aggte", "twfe_event_study", "bacon", "honest_did", "pretrend_test",
                 "synthdid", "fiscal_metrics", "rank_confidence_sets", "load_dataset"):
        assert verb in ek.__all__ and verb in dir(ek)
        assert callable(getattr(ek, verb))
    with pytest.raises(AttributeError):
        ek.no_such_verb  # noqa: B018
    import evalkit.robust as robust

    assert robust.honest_did is ek.honest_did and "synthdid" in dir(robust)


@pytest.mark.parametrize("name", DATASETS)
def test_shipped_datasets_are_the_reference_copies(name):
    shipped = (ROOT / "evalkit" / "datasets" / f"{name}.csv").read_bytes()
    assert shipped == (ROOT / "tests" / "reference" / f"{name}.csv").read_bytes()
    assert len(ek.load_dataset(name)) > 100


def test_a_result_displays_its_summary_not_its_arrays():
    gt = ek.att_gt(ek.load_dataset("mpdta"), "lemp", "year", "countyreal", "first.treat",
                   est_method="reg")
    text = repr(gt)
    assert text.startswith("<ATTgtResult>\nGroup-time average treatment effects")
    assert len(text) < 2500 and "array(" not in text
    assert "<table>" in gt._repr_html_()


def test_plotting_keeps_the_notebooks_backend_and_rcparams():
    code = """
import matplotlib
matplotlib.rcParams["axes.grid"] = False
import matplotlib.pyplot as plt
before = dict(matplotlib.rcParams)
backend = matplotlib.get_backend()
import evalkit as ek
from evalkit.robust.plots import sensitivity_plot, synthdid_trajectories_plot
from evalkit.robust.pretrends import plot_pretrend_power
from evalkit.style.theme import theme
mp = ek.load_dataset("mpdta")
es = ek.aggte(ek.att_gt(mp, "lemp", "year", "countyreal", "first.treat", est_method="reg"),
              type="dynamic")
ax = ek.plot_event_study(es)
assert ax.figure.axes == [ax]
sensitivity_plot(ek.honest_did(es, values=[0.5], e=0, refine=False, breakdown=False))
plot_pretrend_power(ek.pretrend_test(es))
sp = ek.load_dataset("california_prop99")
synthdid_trajectories_plot(ek.synthdid(sp, unit="State", time="Year", outcome="PacksPerCapita",
                                       treated="treated", se_method=None))
with theme():
    assert matplotlib.rcParams["svg.hashsalt"] == "evalkit"
after = dict(matplotlib.rcParams)
changed = sorted(k for k in before if str(before[k]) != str(after[k]))
print(matplotlib.get_backend() == backend, changed, plt.get_fignums())
"""
    out = _run(code, MPLBACKEND="svg")
    assert out.strip().splitlines()[-1] == "True [] []"
