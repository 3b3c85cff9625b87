"""Typed stage results: one pydantic model per stage's ``results.json``.

The models are the contract between the stages that write bundles and the reports, the web
workspace and the later stages that read them: :class:`ExPostResults`,
:class:`PortfolioResults`, :class:`MonitorResults`, :class:`ExAnteResults`. They are written
and read through :mod:`evalkit.contract.bundle` only (``write_bundle(results=model)``,
``Bundle.model``, :func:`evalkit.contract.bundle.read_results`), with
:func:`validate_results` and :func:`dump_results` from here; a model dumps to exactly the JSON
it was read from, so the bundle's bytes do not depend on whether a stage wrote a dict or a model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.contract.models.base import (
    Number,
    Section,
    StageResults,
    StudyRecord,
    as_float,
    as_model,
    dump_results,
    validate_results,
)
from evalkit.contract.models.ex_ante import ExAnteResults
from evalkit.contract.models.ex_post import ExPostResults, OutcomeEvidence
from evalkit.contract.models.monitor import MonitorResults
from evalkit.contract.models.portfolio import PortfolioResults
from evalkit.errors import DataError
from evalkit.i18n import Message

__all__ = ["MODELS", "ExAnteResults", "ExPostResults", "MonitorResults", "Number",
           "OutcomeEvidence", "PortfolioResults", "Section", "StageResults", "StudyRecord",
           "as_float", "as_model", "dump_results", "model_for", "parse_results", "validate_results"]

#: stage name -> its results model
MODELS: dict[str, type[StageResults]] = {
    m.STAGE: m for m in (ExAnteResults, MonitorResults, ExPostResults, PortfolioResults)}


def model_for(stage: str) -> type[StageResults]:
    """The results model of ``stage``."""
    if stage not in MODELS:
        raise DataError(Message("errors.contract.models.results_model_stage_known", stage=stage,
                                models=sorted(MODELS)))
    return MODELS[stage]


def parse_results(stage: str, data: Mapping[str, Any] | StageResults,
                  source: str = "results.json") -> StageResults:
    """``data`` as ``stage``'s results model (errors name ``source`` and the field)."""
    return validate_results(model_for(stage), data, source)
