"""Build a policy's estimation sample from the synthetic district exactly as the ex-post stage.

Used by tests that check evalkit's robustness tools against the district's known truth
(``data/SYNTH.md``). The sample and the covariates come from ``evalkit.stages.ex_post``
(``estimation_sample``, ``_covariates``) with the demo study of the policy
(``studies/demo/ex_post_P0*.yaml``), so the tests see what ``evalkit run`` sees.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from evalkit.errors import EvalkitWarning
from evalkit.reference import classify_size
from evalkit.stages.ex_post import (
    OutcomeEvaluation,
    _covariates,
    estimation_sample,
    evaluate_outcome,
)
from evalkit.study import ExPostStudy
from evalkit.synth import synthesize_district

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ROOT / "studies" / "demo"


@functools.lru_cache(maxsize=4)
def district_tables(n_firms: int = 20000, seed: int = 7) -> dict[str, pd.DataFrame]:
    """The six tables of ``synthesize_district(n_firms, seed=seed)``.

    Text columns are converted to pandas' default ``str`` dtype, the dtype the warehouse hands
    the stages: ``_covariates`` multiplies a float column by ``cluster == level``, which fails
    for the nullable ``string`` dtype the synthesizer emits (a bool[pyarrow] mask).
    """
    d = synthesize_district(n_firms=n_firms, seed=seed)

    def plain(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.apply(lambda c: c.astype("str") if isinstance(c.dtype, pd.StringDtype)
                           else c)

    return {name: plain(t) for name, t in d.tables().items()}


def demo_study(policy: str) -> ExPostStudy:
    """The demo ex-post study of ``policy`` (bootstrap off: analytic standard errors)."""
    cfg = yaml.safe_load((STUDIES / f"ex_post_{policy}.yaml").read_text(encoding="utf-8"))
    cfg["inference"]["bootstrap"] = 0
    return ExPostStudy(**cfg)


def policy_sample(tables: dict[str, pd.DataFrame], study: ExPostStudy) -> pd.DataFrame:
    """The ex-post stage's firm-year sample: treated firms (cohort ``g``) and clean controls."""
    return estimation_sample(tables, study)[1]


def estimation_frame(df: pd.DataFrame, outcome: str, study: ExPostStudy,
                     extra: tuple[str, ...] = ()) -> tuple[pd.DataFrame, list[str]]:
    """``firm_id, year, g, <outcome>`` + the stage's covariate columns (+ ``extra`` columns)."""
    cov, names = _covariates(df, outcome, study)
    frame = pd.concat([df[["firm_id", "year", "g", outcome, *extra]], cov], axis=1)
    return frame, names


def cohort_sizes(df: pd.DataFrame) -> dict:
    """Cohort sizes by (g, t) and by g, as ``run_ex_post`` passes them to ``evaluate_outcome``."""
    treated = df[df["g"] > 0]
    out: dict = {(int(g), int(t)): int(n) for (g, t), n
                 in treated.groupby(["g", "year"])["firm_id"].nunique().items()}
    out.update({int(g): int(n) for g, n in treated.groupby("g")["firm_id"].nunique().items()})
    return out


def evaluate(df: pd.DataFrame, outcome: str, study: ExPostStudy) -> OutcomeEvaluation:
    """The ex-post stage's evidence on one outcome (Callaway-Sant'Anna with the study's design
    and covariate fallbacks, its dynamic aggregation over [min_e, max_e] and pre-trend test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        return evaluate_outcome(df, outcome, study, int(study.inference.seed), cohort_sizes(df))


def size_before_award(df: pd.DataFrame) -> pd.Series:
    """Per firm: the NBS size class in the year before the award (g - 1), from its observed
    revenue and employees, as the synthesizer assigns the effect (``treatment.py``: size of
    Y(0) in g - 1; before the award observed = Y(0)). Never-treated firms get ``"control"``.
    Index ``firm_id``."""
    firm = df.groupby("firm_id", sort=True)["g"].first()
    prev = df[(df["g"] > 0) & (df["year"] == df["g"] - 1)]
    size = pd.Series(np.asarray(classify_size(prev["industry_code"].to_numpy(),
                                              prev["revenue"].to_numpy(dtype=float),
                                              prev["employees"].to_numpy(dtype=float))),
                     index=prev["firm_id"].to_numpy())
    out = pd.Series("control", index=firm.index, dtype=object)
    out.loc[size.index] = size.to_numpy()
    return out
