"""Example data shipped with evalkit, for notebooks, docs and tests.

:func:`load_dataset` reads one of the public panels below (copies of ``tests/reference``, whose
``PROVENANCE*.md`` files give their source and checksums; a test keeps the copies identical):

==================== ========================================================================
``mpdta``            county teen employment, 500 counties x 2003-2007 (Callaway & Sant'Anna
                     2021; R ``did``): ``year, countyreal, lpop, lemp, first.treat, treat``
``ehec``             Medicaid expansion, state x year (R ``HonestDiD`` README):
                     ``stfips, year, dins, yexp2, W``
``california_prop99`` cigarette sales, 39 states x 1970-2000 (Abadie et al. 2010; R
                     ``synthdid``): ``State, Year, PacksPerCapita, treated``
``castle``           castle-doctrine laws, 50 states x 2000-2010 (Cheng & Hoekstra 2013):
                     ``sid, year, l_homicide, post``
==================== ========================================================================

:func:`demo_district` synthesizes the demo district (``data/SYNTH.md``) as the tables the
warehouse hands the stages, and :func:`demo_study` reads one of the demo studies
(``studies/demo/``) as a study object, so that a notebook runs a stage in memory::

    tables = demo_district(n_firms=2000)
    result = evalkit.run_stage(demo_study("ex_post_P01"), tables)

(:func:`evalkit.io.load_dataset` is a different thing: it reads a dataset version back from a
warehouse.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.errors import ConfigError, check_choice
from evalkit.i18n import Message

__all__ = ["DATASETS", "demo_district", "demo_study", "load_dataset"]

HERE = Path(__file__).resolve().parent
DATASETS = ("mpdta", "ehec", "california_prop99", "castle")


def load_dataset(name: str) -> pd.DataFrame:
    """One of the example panels of :data:`DATASETS` as a DataFrame (see the module doc)."""
    check_choice("dataset", name, DATASETS)
    return pd.read_csv(HERE / f"{name}.csv")


def demo_district(n_firms: int = 2000, seed: int = 7, start: int = 2016,
                  end: int = 2025) -> dict[str, pd.DataFrame]:
    """The six tables of the synthetic demo district (:func:`evalkit.synth.synthesize_district`)
    with the monitoring cases of the demo injected, as ``evalkit demo`` builds it."""
    from evalkit.synth import synthesize_district
    from evalkit.synth.anomalies import inject_monitoring_cases

    district = synthesize_district(n_firms=n_firms, start=start, end=end, seed=seed)
    district, _ = inject_monitoring_cases(district, seed=seed)
    return district.tables()


def demo_study(name: str, bootstrap: int | None = None, **changes: Any) -> Any:
    """The demo study ``studies/demo/<name>.yaml`` as a study object (``bootstrap`` overrides
    the number of bootstrap draws of an ex-post study; ``changes`` replace top-level keys)."""
    import yaml

    from evalkit.demo import DEMO_STUDIES
    from evalkit.study import _MODELS

    path = DEMO_STUDIES / f"{name}.yaml"
    if not path.is_file():
        names = sorted(p.stem for p in DEMO_STUDIES.glob("*.yaml"))
        raise ConfigError(Message("errors.datasets.demo_study_demo_studies", name=name,
                                  names=', '.join(names)))
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if bootstrap is not None:
        doc.setdefault("inference", {})["bootstrap"] = int(bootstrap)
    doc.update(changes)
    return _MODELS[doc["stage"]](**doc)
