"""The ex-ante stage's results (:class:`evalkit.stages.ex_ante.ExAnteResult.to_dict`): the
proposal, the eligibility microsimulation, the projection from past ex-post evidence
(DerSimonian & Laird 1986 pooling), evaluability and the checklist's conclusion."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from evalkit.contract.models.base import Number, Section, StageResults


class Proposal(Section):
    policy_id: str
    name_zh: str | None = None
    name_en: str | None = None
    instrument: str | None = None
    objective: str | None = None
    main_outcome: str | None = None


class Microsim(Section):
    n_firms: int | None = None
    n_eligible: int
    central: str = "central"
    scenarios: list[dict[str, Any]] = Field(default_factory=list)
    award_top_share: Number = None
    budget: Number = None
    budget_covers_central: bool | None = None


class Evaluability(Section):
    designs: list[dict[str, Any]] = Field(default_factory=list)
    outcome: str | None = None
    recommended: str | None = None
    reason: str | None = None
    expected_effect: Number = None


class Checklist(Section):
    conclusion: str | None = None
    conclusion_zh: str | None = None
    conclusion_en: str | None = None
    total: Number = None
    reasons_zh: list[str] = Field(default_factory=list)
    reasons_en: list[str] = Field(default_factory=list)
    checks: list[dict[str, Any]] = Field(default_factory=list)
    #: column-oriented dimension scores (dimension, name_zh, name_en, points, weight, share)
    scores: dict[str, list[Any]] = Field(default_factory=dict)


class ExAnteResults(StageResults):
    STAGE: ClassVar[str] = "ex_ante"

    kind: Literal["ex_ante"] = "ex_ante"
    proposal: Proposal
    microsim: Microsim
    evidence: dict[str, Any] | None = None
    evidence_reason: str | None = None
    evaluability: Evaluability
    checklist: Checklist
    conclusion: str
