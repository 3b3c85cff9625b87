"""Study files: one YAML file declares one run of one stage (``evalkit run STUDY``).

Parsed once into pydantic models that reject unknown keys; every error names the key's path, and
for an unknown key the allowed keys. Paths inside a study are relative to the study file. See
``studies/README.md`` for a commented example of each stage.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from evalkit.errors import ConfigError
from evalkit.i18n import Bilingual, Join, Message, Text, t
from evalkit.io.schemas import OUTCOMES  # the outcome registry
from evalkit.yamlsafe import loads_yaml, read_yaml_bytes


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSource(_Strict):
    """Which warehouse and dataset version the study reads."""

    store: Path
    dataset: str = "latest"


class Inference(_Strict):
    seed: int = Field(7, ge=0, le=2**32 - 1)   # numpy's seed range
    bootstrap: int = Field(999, ge=0, le=100_000)
    alpha: float = Field(0.05, gt=0, lt=0.5)
    bootstrap_kind: Literal["mammen", "rademacher"] = "mammen"
    #: intervals of the fiscal metrics for few treated firms (evalkit.robust.small_sample):
    #: ``auto`` is the Welch / Bell-McCaffrey t interval below 60 treated firms and the
    #: analytic one otherwise; ``none`` always analytic; ``welch`` or ``wild`` always that one
    small_sample: Literal["auto", "none", "welch", "wild"] = "auto"


class Design(_Strict):
    """The ex-post estimator and its identification choices."""

    estimator: Literal["cs", "twfe", "sunab", "imputation"] = "cs"
    est_method: Literal["dr", "ipw", "reg"] = "dr"
    #: the scale of parallel trends: ``level`` (yuan), ``proportional`` (logs, mapped back to
    #: levels: evalkit.did.proportional), or ``auto``: proportional for outcomes strictly
    #: positive in every firm-year of the sample, level otherwise. The default stays ``level``:
    #: ``auto`` under-covers unless ``selection_covariates`` names the columns the awards were
    #: decided on (with them: 94 % coverage on seven demo districts; bench/README.md,
    #: "Decision quality")
    scale: Literal["auto", "level", "proportional", "poisson"] = "level"
    #: the scale of single outcomes, overriding ``scale`` (e.g. ``{invention_patents: poisson}``:
    #: ``poisson`` is the Poisson QMLE extended TWFE of evalkit.did.etwfe, for non-negative
    #: outcomes with zeros; no pre-trend or dip check, its cells are post-treatment only)
    scale_of: dict[str, Literal["auto", "level", "proportional", "poisson"]] = {}
    #: proportional scale: a firm attribute fixed before the award (``size_class``) within whose
    #: levels the proportional effect is estimated separately, so that effects differing by firm
    #: size are weighted by each size's level; ``none`` for one effect per cohort
    effect_strata: Literal["none", "size_class"] = "none"
    #: proportional scale: the post-treatment log effects pooled before the mapping to levels:
    #: over all post cells (``post``: most precise), by event time (``event``) or not (``none``)
    pooling: Literal["post", "event", "none"] = "post"
    control_group: Literal["nevertreated", "notyettreated"] = "nevertreated"
    controls: Literal["never_any", "never_policy"] = "never_any"
    covariates: tuple[str, ...] = ()
    #: the firm-year columns on which awards were decided in the year before the award
    #: (eligibility thresholds, application scores: revenue, employees, R&D), entered at each
    #: cell's base period on the outcome's scale -- logarithms on the proportional scale, with an
    #: indicator of zero where a column has zeros -- so that parallel trends are assumed only
    #: among firms that looked alike when the award was decided (evalkit.panel.conditioning)
    selection_covariates: tuple[str, ...] = ()
    base_outcome: Literal["none", "level", "level_by_cluster"] = "none"
    #: the base-period level that stands for an outcome's scale (default: the outcome itself),
    #: e.g. ``{invention_patents: rd_expense}``: patents are driven by R&D, and a noisy count is a
    #: poor (mean-reverting) covariate
    base_level_of: dict[str, str] = {}
    anticipation: int = Field(0, ge=0, le=5)
    base_period: Literal["varying", "universal"] = "varying"
    window: tuple[int, int] | None = None
    balance: Literal["balanced", "unbalanced"] = "balanced"
    cluster: Literal["firm", "area", "industry_section"] = "firm"
    min_e: int = -5
    max_e: int = 5

    @field_validator("estimator")
    @classmethod
    def _estimator_runs(cls, v):
        # sunab, twfe and imputation are in evalkit.did, but the ex-post stage's fiscal metrics
        # and the portfolio's joint ranking need per-firm influence contributions of every
        # (cohort, year) effect, which only the Callaway-Sant'Anna engine gives
        if v != "cs":
            raise ConfigError(Message("errors.study.ex_post_stage_runs", v=v))
        return v

    @field_validator("window")
    @classmethod
    def _window_order(cls, v):
        if v is not None and v[0] >= v[1]:
            raise ConfigError(Message("errors.study.window_start_before_end", v=v[0], v_2=v[1]))
        return v


class Fiscal(_Strict):
    """Fiscal settings (see evalkit.fiscal): discounting, administration cost and tax sharing.

    Each stage reads some of them (:data:`FISCAL_READ`); a study that sets one its stage does
    not read is refused, so that no setting is silently ignored."""

    discount_rate: float = Field(0.035, ge=0, le=0.5)
    base_year: int | None = None
    admin_cost_share: float = Field(0.0, ge=0, le=1)
    #: the district's share of all additional tax (default: evalkit.fiscal.tax's tax mix and
    #: retention shares, 0.235); the district's share of each tax is scaled to give it
    district_share: float | None = Field(None, ge=0, le=1)
    leakage: float = Field(0.0, ge=0, le=1)
    displacement: float = Field(0.0, ge=0, le=1)


#: The fiscal settings each stage reads (ex ante: the projection from evidence bundles; ex post:
#: the cost, its discounting and the district's tax share).
FISCAL_READ = {"ex_ante": ("admin_cost_share", "leakage", "displacement"),
               "ex_post": ("discount_rate", "base_year", "admin_cost_share", "district_share")}


def _fiscal_read(stage: str, fiscal: Fiscal) -> None:
    unread = sorted(set(fiscal.model_fields_set) - set(FISCAL_READ[stage]))
    if unread:
        keys = ", ".join(f"fiscal.{k}" for k in unread)
        read = ", ".join(FISCAL_READ[stage])
        raise ConfigError(Message("errors.study.used_stage_reads_remove", keys=keys, stage=stage,
                                  read=read))


class DisclosureSettings(_Strict):
    """The disclosure rule every report of the study applies (evalkit.disclosure): a
    number resting on fewer than ``min_firms`` firms, or with one firm above ``dominance`` of
    it, is not published."""

    min_firms: int = Field(3, ge=1)
    dominance: float = Field(0.85, gt=0, le=1)


class ReportSettings(_Strict):
    languages: tuple[Literal["zh", "en"], ...] = ("zh", "en")
    formats: tuple[Literal["html", "pdf"], ...] = ("html", "pdf")
    #: what the data can and cannot show, by language; printed under the executive summary
    notes: dict[Literal["zh", "en"], str] = {}
    disclosure: DisclosureSettings = DisclosureSettings()


class Qualitative(_Strict):
    """An evaluator's score on a qualitative indicator, with the evidence for it."""

    score: float = Field(ge=0, le=1, description="share of the indicator's weight earned, 0-1")
    evidence: str = Field(min_length=1)


class _StudyBase(_Strict):
    name: str
    data: DataSource
    inference: Inference = Inference()
    report: ReportSettings = ReportSettings()


class HonestDiD(_Strict):
    """HonestDiD sensitivity of outcomes' event studies (Rambachan & Roth 2023, relative
    magnitudes; evalkit.robust.honestdid): robust intervals for the average post-award effect
    when post-award violations of parallel trends may be up to ``mbar`` times the largest
    pre-award one, and the breakdown value of ``mbar``."""

    outcomes: tuple[str, ...] = Field(min_length=1)
    mbar: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0)

    @field_validator("mbar")
    @classmethod
    def _mbar(cls, v):
        if not v or any(m < 0 for m in v) or 1.0 not in v:
            raise ConfigError(Message("errors.study.mbar_values_include", v=list(v)))
        return tuple(sorted(set(v)))


class Robustness(_Strict):
    """Optional robustness analyses of an ex-post study (off unless set)."""

    honestdid: HonestDiD | None = None


class ExPostStudy(_StudyBase):
    stage: Literal["ex_post"]
    policy: str
    outcomes: tuple[str, ...] = ("revenue", "tax_paid", "rd_expense", "employees", "invention_patents")
    main_outcome: str = "tax_paid"
    design: Design = Design()
    fiscal: Fiscal = Fiscal()
    robustness: Robustness = Robustness()

    @model_validator(mode="after")
    def _main_in_outcomes(self):
        for o in self.outcomes:
            if o not in OUTCOMES:
                raise ConfigError(Message("errors.study.outcome_firm_year_outcome", o=o,
                                          outcomes=', '.join(OUTCOMES)))
        if self.main_outcome not in self.outcomes:
            raise ConfigError(Message("errors.study.main_outcome_one_outcomes",
                                      main_outcome=self.main_outcome,
                                      outcomes=list(self.outcomes)))
        _fiscal_read("ex_post", self.fiscal)
        honest = self.robustness.honestdid
        for o in honest.outcomes if honest else ():
            if o not in self.outcomes:
                raise ConfigError(Message("errors.study.robustness_honestdid_outcomes_one", o=o,
                                          outcomes=list(self.outcomes)))
            if self.design.scale_of.get(o, self.design.scale) == "poisson":
                raise ConfigError(Message("errors.study.robustness_honestdid_outcomes_estimated",
                                          o=o))
        return self


class Scenario(_Strict):
    name: str
    take_up: float = Field(ge=0, le=1)


class AwardTier(_Strict):
    """One band of a tiered award schedule (按档奖励): firms whose record satisfies ``when`` (a
    rule in evalkit's safe grammar) get ``award``; the first matching band applies."""

    when: str = Field(min_length=1)
    award: float = Field(ge=0)


class Proposal(_Strict):
    """A proposed (or renewed) policy for ex-ante appraisal."""

    policy_id: str
    name_zh: str
    name_en: str
    instrument: Literal["grant", "award", "voucher", "rent_subsidy", "talent_subsidy"]
    objective: Literal["innovation", "service", "headquarters", "open", "flow"]
    eligibility_rule: str
    award: float = Field(gt=0, description="award per firm and year, yuan")
    award_share_of: str | None = Field(None, description="if set, award is this share of the named field")
    cap_per_firm: float = Field(gt=0)
    budget: float = Field(gt=0, description="annual budget, yuan")
    years: tuple[int, int]
    main_outcome: str = "tax_paid"
    targets: dict[str, float] = {}
    award_tiers: tuple[AwardTier, ...] = Field(
        (), description="tiered schedule; the first band whose rule holds sets the award "
                        "(yuan, or the share when award_share_of is set); others get award")


class ExAnteStudy(_StudyBase):
    stage: Literal["ex_ante"]
    proposal: Proposal
    scenarios: tuple[Scenario, ...] = (Scenario(name="low", take_up=0.3), Scenario(name="central", take_up=0.5),
                                       Scenario(name="high", take_up=0.7))
    evidence_bundles: tuple[Path, ...] = ()
    checklist: dict[str, Qualitative] = {}
    fiscal: Fiscal = Fiscal()
    data_year: int | None = Field(None, description="firm-year data used for eligibility; "
                                                    "default the latest year in the data")
    exclude_funded: bool = Field(False, description="leave out firms already funded by any "
                                                    "policy in the ledger")
    power_draws: int = Field(200, ge=20, le=10_000)
    power: float = Field(0.8, gt=0.5, lt=1)

    @model_validator(mode="after")
    def _fiscal_used(self):
        _fiscal_read("ex_ante", self.fiscal)
        return self


class MonitorStudy(_StudyBase):
    stage: Literal["monitor"]
    year: int
    as_of: str = Field(description="ISO date of the data cut, e.g. 2025-07-31")
    policies: tuple[str, ...] = ()
    amber: float = Field(0.10, gt=0, lt=1)
    red: float = Field(0.20, gt=0, lt=1)
    interim_outcome: str | None = Field(None, description="outcome of the interim event "
                                                          "study; default each policy's first KPI")
    indicators: Path | None = Field(None, description="the district's indicator definitions "
                                     "(format of data/kpi_indicators.csv); default that file")

    @model_validator(mode="after")
    def _thresholds(self):
        if self.red <= self.amber:
            raise ConfigError(Message("errors.study.red_exceed_amber", red=self.red,
                                      amber=self.amber))
        return self


class ScoreEntry(_Strict):
    """One scorecard input entered by evaluators: a qualitative share or band with evidence, or a
    quantitative actual (and optionally its target)."""

    share: float | None = Field(None, ge=0, le=1)
    band: Literal["high", "mid", "low"] | None = None
    evidence: str | None = None
    actual: float | None = None
    target: float | None = None

    def as_input(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class PortfolioStudy(_StudyBase):
    stage: Literal["portfolio"]
    cycle: str = Field(description="budget cycle the recommendations are for, e.g. 2026")
    bundles: tuple[Path, ...]
    metric: str = "fiscal_return_district"
    scorecard: Path | None = None
    #: scorecard inputs per policy id (``"*"``: every policy, unless overridden) and indicator id
    entries: dict[str, dict[str, ScoreEntry]] = {}
    next_year_total: float | None = Field(None, gt=0)
    max_change: float = Field(0.3, gt=0, le=1)
    #: the MoF use-of-results rule in the proposal: which grades are never raised. ``poor``
    #: (default): a policy the rules reduce or suspend (差, or its metric's interval below 0);
    #: ``fair``: also 中 (the strict reading; true is accepted for it); ``none``: only a failed
    #: identification check holds a policy (false). The grade labels the policy either way.
    hold_by_grade: Literal["poor", "fair", "none"] = "poor"
    rank_method: Literal["gaussian", "bootstrap"] = "gaussian"

    @field_validator("hold_by_grade", mode="before")
    @classmethod
    def _hold_from_bool(cls, v: Any) -> Any:
        """``true`` / ``false`` (the earlier yes/no switch) read as ``fair`` / ``none``."""
        return {True: "fair", False: "none"}.get(v, v) if isinstance(v, bool) else v
    #: combine ex-post bundles computed from different dataset versions (refused by default:
    #: their estimates would rest on different data)
    allow_mixed_datasets: bool = False


Study = Annotated[ExPostStudy | ExAnteStudy | MonitorStudy | PortfolioStudy, Field(discriminator="stage")]
_ADAPTER = TypeAdapter(Study)
_MODELS = {"ex_post": ExPostStudy, "ex_ante": ExAnteStudy, "monitor": MonitorStudy, "portfolio": PortfolioStudy}


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys allowed at the parent of ``loc`` (walking nested models)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or current is None:
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        current = next((a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
    return sorted(getattr(current, "model_fields", {})) if current is not None else []


#: pydantic's complaints about a value's type or range that the catalog gives in Chinese
#: (``errors.study.pydantic.<type>``, formatted with ``err["ctx"]``); other types keep
#: pydantic's English text.
_PYDANTIC_TYPES = frozenset({
    "bool_parsing", "bool_type", "date_from_datetime_parsing", "date_parsing", "date_type",
    "dict_type", "enum", "float_parsing", "float_type", "greater_than",
    "greater_than_equal", "int_from_float", "int_parsing", "int_type", "less_than",
    "less_than_equal", "list_type", "literal_error", "string_too_short", "string_type",
    "too_long", "too_short", "tuple_type",
})


def _pydantic_message(err: dict, english: str) -> str | Text:
    """pydantic's message, with its Chinese for :data:`_PYDANTIC_TYPES`; a study's own check (a
    :class:`ConfigError` pydantic wraps) carries its Chinese."""
    own = err.get("ctx", {}).get("error")
    if getattr(own, "zh", None):
        return Bilingual(english, own.zh)
    if err["type"] not in _PYDANTIC_TYPES:
        return english
    ctx = {k: ((int(v) if v.is_integer() else repr(v)) if isinstance(v, float) else v)
           for k, v in (err.get("ctx") or {}).items()}
    if isinstance(ctx.get("expected"), str):      # "'dr', 'ipw' or 'reg'" -> "'dr'、'ipw'、'reg'"
        ctx["expected"] = ctx["expected"].replace(" or ", ", ").replace(", ", "、")
    try:
        return Bilingual(english, t(f"errors.study.pydantic.{err['type']}", "zh", **ctx))
    except (KeyError, IndexError):
        return english


def _format_errors(exc: ValidationError, path: Path, model: type[BaseModel] | None) -> Join:
    """The validation errors as one line in either language; pydantic's own complaints about a
    value's type or range are translated by error type (:func:`_pydantic_message`, others stay
    as pydantic gives them) and the study's own checks carry their Chinese."""
    lines: list[Message] = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if p not in _MODELS)
        where = ".".join(str(p) for p in loc) or Message("errors.study.top_level")
        if err["type"] == "extra_forbidden" and model is not None:
            lines.append(Message("errors.study.unknown_key", path=path, where=where,
                                 allowed=", ".join(_allowed_keys(model, loc))))
        elif err["type"] == "missing":
            lines.append(Message("errors.study.missing_key", path=path, where=where))
        else:
            msg = _pydantic_message(err, err["msg"].removeprefix("Value error, "))
            lines.append(Message("errors.study.invalid_value", path=path, where=where, msg=msg,
                                 received=err.get("input")))
    return Join("common.sep.semicolon", lines)



def load_study(path: Path | str) -> tuple[Any, str]:
    """Parse a study file; returns (study model, SHA-256 of the file's bytes).

    Relative paths in the study are resolved against the study file's folder.
    """
    path = Path(path)
    what = Message("labels.file.study")
    raw = read_yaml_bytes(path, what)
    doc = loads_yaml(raw, path, what)
    if not isinstance(doc, dict):
        raise ConfigError(Message("errors.study.study_yaml_mapping_stage", path=path))
    stage = doc.get("stage")
    model = _MODELS.get(stage)
    if model is None:
        stages = ", ".join(_MODELS)
        raise ConfigError(Message("errors.study.stage_one", path=path, stages=stages, stage=stage))
    try:
        study = _ADAPTER.validate_python(doc)
    except ValidationError as exc:
        raise ConfigError(Message("errors.study.validation_errors",
                                  errors=_format_errors(exc, path, model))) from None
    return _resolve_paths(study, path.parent), hashlib.sha256(raw).hexdigest()


def _resolve_paths(study, base: Path):
    def res(p: Path) -> Path:
        return p if p.is_absolute() else (base / p).resolve()

    updates: dict[str, Any] = {"data": study.data.model_copy(update={"store": res(study.data.store)})}
    if isinstance(study, PortfolioStudy):
        updates["bundles"] = tuple(res(b) for b in study.bundles)
        if study.scorecard is not None:
            updates["scorecard"] = res(study.scorecard)
    if isinstance(study, ExAnteStudy):
        updates["evidence_bundles"] = tuple(res(b) for b in study.evidence_bundles)
    if isinstance(study, MonitorStudy) and study.indicators is not None:
        updates["indicators"] = res(study.indicators)
    return study.model_copy(update=updates)
