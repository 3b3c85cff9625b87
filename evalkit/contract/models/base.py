"""What every stage-results model shares: the pydantic configuration, the number type, and the
one way a results mapping becomes a model and a model becomes the bundle's ``results.json``.

The models describe the JSON a stage writes (``Result.to_dict()`` through
:func:`evalkit.results.json_safe`), not a new format: a field is declared where a reader uses it,
everything else is kept as it came (``extra="allow"``), and :func:`dump_results` gives back
exactly the mapping that was validated (fields absent from the input stay absent; integers stay
integers, floats floats; infinities stay the strings ``"inf"``/``"-inf"`` that ``json_safe``
writes). A results file read into its model and written again has the same bytes
(``tests/contract/test_results_models.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, StrictFloat, StrictInt, ValidationError

from evalkit.errors import DataError
from evalkit.i18n import Message

#: A number as a bundle stores it: an int or a float as written, an infinity as the string
#: ``"inf"``/``"-inf"`` (JSON has none); ``None`` is a missing value (``json_safe`` writes NaN as
#: null). Read it with :func:`as_float`.
Number = StrictInt | StrictFloat | Literal["inf", "-inf"] | None


def as_float(x: Number) -> float:
    """A bundle number as a float (None -> NaN, 'inf' -> inf)."""
    return float("nan") if x is None else float(x)


class Section(BaseModel):
    """A part of a stage's results: the declared fields typed, the rest kept as written."""

    model_config = ConfigDict(extra="allow", frozen=True, protected_namespaces=())


class StageResults(Section):
    """The results of one stage (``results.json`` of its bundle). ``STAGE`` names the stage."""

    STAGE: ClassVar[str] = ""

    #: ``run_study`` adds the study's record (name, stage, file, sha256, report settings);
    #: a stage's own ``to_dict()`` has the study's name here.
    study: StudyRecord | str | None = None
    provenance: dict[str, Any] | None = None

    @property
    def report_settings(self) -> dict[str, Any]:
        """The study's ``report`` settings as ``run_study`` recorded them ({} where none)."""
        report = self.study.report if isinstance(self.study, StudyRecord) else None
        return dict(report or {})

    @property
    def disclosure_settings(self) -> dict[str, Any]:
        """The study's ``report.disclosure`` settings ({} where the study set none)."""
        return dict(self.report_settings.get("disclosure") or {})

    def study_note(self, lang: str) -> str | None:
        """The study's note for the report in ``lang`` (``report.notes``), if any."""
        return (self.report_settings.get("notes") or {}).get(lang)


class StudyRecord(Section):
    name: str
    stage: str
    file: str | None = None
    sha256: str | None = None
    report: dict[str, Any] | None = None


StageResults.model_rebuild()


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def validate_results(model: type[StageResults], data: Mapping[str, Any] | StageResults,
                     source: str) -> StageResults:
    """``data`` (a ``results.json`` mapping) as ``model``; a :class:`~evalkit.errors.DataError`
    naming ``source`` (the file) and the first field that does not fit otherwise."""
    if isinstance(data, model):
        return data
    if isinstance(data, StageResults):
        data = dump_results(data)
    try:
        return model.model_validate(dict(data))
    except ValidationError as e:
        err = e.errors()[0]
        where = _field(err["loc"])
        n = e.error_count()
        more = Message("errors.contract.models.base.and_more", n=n - 1) if n > 1 else ""
        if err["type"] == "missing":
            raise DataError(Message("errors.contract.models.base.lack_field", stage=model.STAGE,
                                    where=where, more=more), file=source, column=where,
                            fix=Message("errors.contract.models.base.fix_rerun_stage")) from None
        raise DataError(Message("errors.contract.models.base.field_malformed", stage=model.STAGE,
                                where=where, msg=err["msg"], more=more), file=source, column=where,
                        fix=Message("errors.contract.models.base.fix_rerun_stage")) from None


M = TypeVar("M", bound="Section")


def as_model(data: M | Mapping[str, Any], model: type[M]) -> M:
    """``data`` as ``model``: returned as it is when it is one, else validated (a results
    mapping as ``to_dict()`` gives it, for callers holding one)."""
    if isinstance(data, model):
        return data
    if issubclass(model, StageResults):
        return validate_results(model, data, f"{model.STAGE} results")
    return model.model_validate(dict(data))


def dump_results(model: StageResults) -> dict[str, Any]:
    """The JSON-safe mapping ``model`` was validated from (what ``results.json`` holds)."""
    return model.model_dump(mode="python", exclude_unset=True)
