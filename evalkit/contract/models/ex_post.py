"""The ex-post stage's results (:class:`evalkit.stages.ex_post.ExPostResult.to_dict`): the
design, per outcome the staggered-DiD evidence (Callaway & Sant'Anna 2021 aggregations, the
pre-trend and dip checks, TWFE for comparison), the fiscal metrics and the disclosure basis."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from evalkit.contract.models.base import Number, Section, StageResults


class Policy(Section):
    policy_id: str
    name_zh: str | None = None
    name_en: str | None = None
    instrument: str | None = None
    objective: str | None = None
    department: str | None = None


class Aggte(Section):
    """An ``aggte()`` result (R did's names: ``overall_att``, ``overall_se``, ``alp``)."""

    type: str | None = None
    overall_att: Number = None
    overall_se: Number = None
    alp: Number = None
    crit_val_egt: Number = None
    n_units: int | None = None
    #: column-oriented event/group estimates: term, estimate, std_error, conf_low, ...
    estimates: dict[str, list[Any]] = Field(default_factory=dict)


class Pretrend(Section):
    """The joint pre-trend test (:func:`evalkit.robust.pretrend.pretrend_test`)."""

    p_value: Number = None
    stat: Number = None
    df: int | None = None
    alpha: Number = None


class Dip(Section):
    """The Ashenfelter-dip check at event time -1."""

    detected: bool | None = None
    estimate: Number = None
    std_error: Number = None
    p_value: Number = None
    event: int | None = None


class Balance(Section):
    """The pseudo-outcome test of selection on the design's selection covariates
    (:mod:`evalkit.robust.selection_balance`)."""

    detected: bool | None = None
    estimate: Number = None
    p_value: Number = None
    n_treated: int | None = None
    #: the main outcome's gate: the selection covariates' own histories differ too (absent in
    #: bundles written before it and for the other outcomes: ``detected`` gates)
    gates: bool | None = None
    decision_columns: dict[str, Any] | None = None

    @property
    def fails(self) -> bool:
        """Whether this test fails the identification check (``gates``, else ``detected``)."""
        return bool(self.detected if self.gates is None else self.gates)


class Total(Section):
    estimate: Number = None
    std_error: Number = None
    conf_int: list[Number] | None = None


class Twfe(Section):
    estimate: Number = None
    std_error: Number = None


class OutcomeEvidence(Section):
    """One outcome's evidence (``ExPostOutcome.to_dict``)."""

    outcome: str
    scale: str | None = None
    covariates: list[str] = Field(default_factory=list)
    note: str | None = None
    note_zh: str | None = None
    fallback: Any = None
    n_notes: int | None = None
    strata: Any = None
    dip: Dip | None = None
    balance: Balance | None = None
    att_gt: dict[str, list[Any]] | None = None
    simple: Aggte
    dynamic: Aggte | None = None
    group: Aggte | None = None
    total: Total | None = None
    pretrend: Pretrend | None = None
    twfe: Twfe | None = None


class Fiscal(Section):
    """The fiscal metrics (:class:`evalkit.fiscal.metrics.FiscalResult.to_dict`)."""

    policy_id: str | None = None
    alpha: Number = None
    cost: dict[str, Any] | None = None
    flags: dict[str, Any] = Field(default_factory=dict)
    mvpf: list[dict[str, Any]] = Field(default_factory=list)
    tidy: dict[str, list[Any]] | None = None
    tax: dict[str, Any] | None = None

    def metric(self, term: str) -> dict[str, Any] | None:
        """The ``tidy`` row of one metric (estimate, std_error, conf_low, ...), or None."""
        tidy = self.tidy or {}
        terms = list(tidy.get("term", []))
        if term not in terms:
            return None
        i = terms.index(term)
        return {k: v[i] for k, v in tidy.items()}


class Disclosure(Section):
    """The firms behind the report's numbers (:func:`evalkit.stages.ex_post.disclosure_basis`):
    ``treated`` ({n, outcomes: {outcome: basis}}), ``cohorts`` (cohort year as a string ->
    the same), ``payments`` (the recipients' basis)."""

    treated: dict[str, Any] | None = None
    cohorts: dict[str, dict[str, Any]] | None = None
    payments: dict[str, Any] | None = None


class ExPostResults(StageResults):
    STAGE: ClassVar[str] = "ex_post"

    kind: Literal["ex_post"] = "ex_post"
    policy: Policy
    main_outcome: str
    #: cohort (first treated year as a string; "0" for the comparison firms) -> firms
    cohort_sizes: dict[str, int]
    n_firms: int | None = None
    n_excluded_other_policy: int | None = None
    window: list[int] | None = None
    outcomes: dict[str, OutcomeEvidence]
    fiscal: Fiscal | None = None
    options: dict[str, Any] | None = None
    #: the firms each number rests on (:func:`evalkit.stages.ex_post.disclosure_basis`)
    disclosure: Disclosure | None = None
    small_sample: dict[str, Any] | None = None

    @property
    def policy_id(self) -> str:
        return self.policy.policy_id

    @property
    def main(self) -> OutcomeEvidence:
        """The main outcome's evidence."""
        return self.outcomes[self.main_outcome]

    @property
    def n_treated(self) -> int:
        """Firms in the treated cohorts (every cohort but "0")."""
        return sum(v for k, v in self.cohort_sizes.items() if k != "0")
