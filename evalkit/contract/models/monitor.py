"""The monitoring stage's results (:class:`evalkit.stages.monitor.MonitorResult.to_dict`):
budget execution with its traffic lights, KPI tracking, anomaly checks and, per policy, the
interim event study."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from evalkit.contract.models.base import Section, StageResults


class Anomalies(Section):
    checks: dict[str, Any] = Field(default_factory=dict)
    counts: dict[str, Any] = Field(default_factory=dict)
    findings: list[dict[str, Any]] = Field(default_factory=list)
    concentration: dict[str, Any] | None = None
    #: as_of, definitions, n_records and ``basis`` (per check: the firms behind its amount)
    provenance: dict[str, Any] | None = None


class Interim(Section):
    """One policy's interim event study (``evalkit.monitor.interim``)."""

    policy_id: str | None = None
    outcome: str | None = None
    dynamic: dict[str, Any] | None = None
    pretrend: dict[str, Any] | None = None
    pretrend_rejects: bool | None = None
    last_year: int | None = None
    cohort_sizes: dict[str, int] = Field(default_factory=dict)
    conditioning: Any = None
    reason: str | None = None
    reason_zh: str | None = None


class MonitorResults(StageResults):
    STAGE: ClassVar[str] = "monitor"

    kind: Literal["monitor"] = "monitor"
    year: int
    as_of: str
    execution: list[dict[str, Any]]
    kpis: list[dict[str, Any]] = Field(default_factory=list)
    kpi_series: dict[str, dict[str, Any]] = Field(default_factory=dict)
    monthly: list[dict[str, Any]] = Field(default_factory=list)
    anomalies: Anomalies | None = None
    interim: dict[str, Interim] = Field(default_factory=dict)
    policies: list[dict[str, Any]] = Field(default_factory=list)
    thresholds: dict[str, Any] = Field(default_factory=dict)
