"""The portfolio stage's results (:class:`evalkit.stages.portfolio.PortfolioResult.to_dict`):
scorecards, the ranking with rank confidence sets (Mogstad, Romano, Shaikh & Wilhelm 2024),
recommendations, the reallocation proposal and the review log's state when the stage ran.
Tables inside are column-oriented (column name -> values), as ``json_safe`` writes a frame."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from evalkit.contract.models.base import Number, Section, StageResults
from evalkit.contract.models.ex_post import Disclosure


class Ranking(Section):
    metric: str | None = None
    alpha: Number = None
    method: str | None = None
    plausibly_best: list[str] = Field(default_factory=list)
    plausibly_worst: list[str] = Field(default_factory=list)
    tidy: dict[str, list[Any]] = Field(default_factory=dict)


class Recommendations(Section):
    cycle: str | None = None
    metric: str | None = None
    table: dict[str, list[Any]] = Field(default_factory=dict)


class Reallocation(Section):
    total: Number = None
    max_change: Number = None
    objective: str | None = None
    table: dict[str, list[Any]] = Field(default_factory=dict)
    provenance: dict[str, Any] = Field(default_factory=dict)

    @property
    def hold_by_grade(self) -> str:
        """The grade hold the proposal used (``fair``, the only rule before it was recorded)."""
        return str(self.provenance.get("hold_by_grade", "fair"))


class Review(Section):
    """The review log's decisions on the recommendations
    (:func:`evalkit.portfolio.review_log.review_status`)."""

    state: str | None = None
    #: whether the log's hash chain checks out; the first broken entry; the chain's head
    intact: bool | None = None
    bad_seq: int | None = None
    head: Any = None
    pending: list[str] = Field(default_factory=list)
    rows: list[dict[str, Any]] = Field(default_factory=list)


class Scorecard(Section):
    policy_id: str
    score: Number = None
    grade: str | None = None
    grade_en: str | None = None
    #: points earned per level (decision, process, output, effect)
    by_level: dict[str, Any] = Field(default_factory=dict)
    #: the indicator rows (indicator, level, points, origin, ...): column-oriented as a stage
    #: writes them, or one record per indicator
    rows: dict[str, list[Any]] | list[dict[str, Any]] = Field(default_factory=dict)


class PortfolioProvenance(Section):
    #: the ex-post bundles by folder name, and their manifests' SHA-256
    bundles: list[str] = Field(default_factory=list)
    bundle_manifests: list[str | None] = Field(default_factory=list)


class BasisFiscal(Section):
    cost: dict[str, Any] | None = None


class PolicyBasis(Section):
    """What one policy's ex-post numbers rest on (``evalkit.stages.portfolio.policy_basis``):
    the fields of :class:`~evalkit.contract.models.ex_post.ExPostResults` the disclosure rule
    reads, under the same names."""

    disclosure: Disclosure | None = None
    cohort_sizes: dict[str, int]
    fiscal: BasisFiscal | None = None


class PortfolioResults(StageResults):
    STAGE: ClassVar[str] = "portfolio"

    kind: Literal["portfolio"] = "portfolio"
    cycle: str
    metric: str
    policies: dict[str, list[Any]] = Field(default_factory=dict)
    scorecards: list[Scorecard] = Field(default_factory=list)
    ranking: Ranking | None = None
    recommendations: Recommendations | None = None
    reallocation: Reallocation | None = None
    classification: dict[str, list[Any]] = Field(default_factory=dict)
    provenance: PortfolioProvenance | None = None      # type: ignore[assignment]
    #: per policy, what its ex-post numbers rest on (``evalkit.stages.portfolio.policy_basis``)
    disclosure: dict[str, PolicyBasis] = Field(default_factory=dict)
    review: Review | None = None
