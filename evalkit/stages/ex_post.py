"""Ex-post evaluation (事后评价) of one policy: causal effects on firms and fiscal metrics.

Orchestration only: the sample comes from :class:`evalkit.panel.StaggeredDesign` (cohort = year
of first disbursement; clean never-subsidised controls by default), effects from the
Callaway & Sant'Anna (2021) engine (:func:`evalkit.did.att_gt`, :func:`evalkit.did.aggte`), the
pre-trend check from :func:`evalkit.robust.pretrends.pretrend_test`, the TWFE comparison from
:func:`evalkit.did.twfe.twfe`, and fiscal metrics from :func:`evalkit.fiscal.fiscal_metrics`.

Covariates enter as in R ``did``: each (g, t) cell uses their values in the earlier of its two
periods. ``design.base_outcome`` adds the outcome's own base-period level (``level``), or that
level interacted with the firm's cluster plus cluster dummies (``level_by_cluster``): with
multiplicative, cluster-specific growth, untreated changes in levels are proportional to the
base level within a cluster, so this makes the outcome regression correctly specified.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.contract.bundle import MemoryBundle, memory_bundle
from evalkit.did import aggte, att_gt
from evalkit.did.etwfe import etwfe
from evalkit.did.proportional import att_gt_proportional, positive_share
from evalkit.did.results import AggteResult, ATTgtResult
from evalkit.did.twfe import twfe
from evalkit.errors import ConfigError, DataWarning, DesignError, EvalkitWarning
from evalkit.fiscal.cost import policy_cost
from evalkit.fiscal.effects import total_effect
from evalkit.fiscal.linear import LinearEstimate
from evalkit.fiscal.metrics import OUTCOMES as FISCAL_OUTCOMES
from evalkit.fiscal.metrics import FiscalResult, fiscal_metrics
from evalkit.fiscal.tax import TaxSharing
from evalkit.i18n import Message
from evalkit.panel import Panel, StaggeredDesign, policy_window
from evalkit.panel.conditioning import (
    base_level_columns,
    dummy_columns,
    first_nonsingular,
    selection_columns,
)
from evalkit.reference import sections_of
from evalkit.results import Result, canonical, json_safe
from evalkit.robust.pretrends import PretrendResult, pretrend_test
from evalkit.robust.selection_balance import decision_column_balance, selection_balance
from evalkit.robust.small_sample import SMALL_TREATED, resolve_method, small_sample_interval
from evalkit.study import ExPostStudy

CATEGORICAL = ("cluster", "area", "size_class", "section")
CLUSTER_COLUMN = {"firm": None, "area": "area", "industry_section": "section"}


@dataclass(frozen=True, eq=False)
class OutcomeEvaluation:
    """The causal evidence on one outcome."""

    outcome: str
    att_gt: ATTgtResult
    simple: AggteResult
    dynamic: AggteResult
    group: AggteResult
    total: LinearEstimate | None
    pretrend: PretrendResult | None
    twfe_estimate: float | None
    twfe_se: float | None
    covariates: tuple[str, ...]
    note: str | None = None
    note_zh: str | None = None
    #: None, or the conditioning used after the study's covariates were singular in a cell:
    #: "pooled" (the base-period level pooled over clusters) or "none"
    fallback: str | None = None
    n_notes: int = 0
    #: the scale of parallel trends used: "level" or "proportional" (evalkit.did.proportional)
    scale: str = "level"
    strata: str | None = None
    #: the Ashenfelter-dip check (:func:`dip_check`), or None without an event time -1
    dip: dict[str, Any] | None = None
    #: with ``design.selection_covariates``: the pseudo-outcome test of selection on them
    #: (:func:`evalkit.robust.selection_balance.selection_balance`), else None
    balance: dict[str, Any] | None = None
    #: with ``robustness.honestdid`` naming the outcome: the HonestDiD sensitivity
    #: (:func:`evalkit.stages.ex_post_honestdid.honestdid_evidence`), else None (and not in the
    #: bundle)
    honestdid: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return json_safe({
            "outcome": self.outcome,
            "covariates": list(self.covariates),
            "note": self.note,
            "note_zh": self.note_zh or self.note,
            "fallback": self.fallback,
            "n_notes": self.n_notes,
            "scale": self.scale,
            "strata": self.strata,
            "dip": self.dip,
            "balance": self.balance,
            "att_gt": self.att_gt.tidy(),
            "simple": self.simple.to_dict(),
            "dynamic": self.dynamic.to_dict(),
            "group": self.group.to_dict(),
            "total": None if self.total is None else {
                "estimate": self.total.estimate, "std_error": self.total.se,
                "conf_int": list(self.total.conf_int(self.simple.alp))},
            "pretrend": None if self.pretrend is None else self.pretrend.to_dict(),
            "twfe": {"estimate": self.twfe_estimate, "std_error": self.twfe_se},
            **({"honestdid": self.honestdid} if self.honestdid is not None else {}),
        })


@dataclass(frozen=True, eq=False, repr=False)
class ExPostResult(Result):
    """An ex-post evaluation: design, per-outcome evidence, fiscal metrics."""

    study_name: str
    policy: dict[str, Any]
    main_outcome: str
    cohort_sizes: dict[int, int]
    n_firms: int
    n_excluded_other_policy: int
    window: tuple[int, int]
    outcomes: dict[str, OutcomeEvaluation]
    fiscal: FiscalResult | None
    options: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    #: what each published number rests on, for the report's disclosure control
    #: (:func:`disclosure_basis`)
    disclosure: dict[str, Any] = field(default_factory=dict)
    #: the small-sample intervals of the fiscal metrics (:func:`small_sample_intervals`):
    #: ``{"method", "n_treated", "threshold", "intervals": {metric: interval}}``
    small_sample: dict[str, Any] = field(default_factory=dict)

    @property
    def main(self) -> OutcomeEvaluation:
        return self.outcomes[self.main_outcome]

    def tidy(self) -> pd.DataFrame:
        """Overall ATT per outcome (simple aggregation) in the canonical tidy columns."""
        frames = []
        for name, ev in self.outcomes.items():
            t = ev.simple.tidy().iloc[:1].copy()
            t["term"] = f"att_{name}"
            frames.append(canonical(t, outcome=name))
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> str:
        lines = [f"Ex-post evaluation of {self.policy['policy_id']} ({self.policy['name_en']}), "
                 f"{self.window[0]}-{self.window[1]}, {self.n_firms:,} firms"]
        for name, ev in self.outcomes.items():
            lines.append(f"  {name:<18} ATT {ev.simple.overall_att:>14,.1f} "
                         f"(SE {ev.simple.overall_se:,.1f})")
        if self.fiscal is not None:
            lines.append(self.fiscal.summary())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return json_safe({
            "kind": "ex_post",
            "study": self.study_name,
            "policy": self.policy,
            "main_outcome": self.main_outcome,
            "cohort_sizes": {str(k): v for k, v in self.cohort_sizes.items()},
            "n_firms": self.n_firms,
            "n_excluded_other_policy": self.n_excluded_other_policy,
            "window": list(self.window),
            "outcomes": {k: v.to_dict() for k, v in self.outcomes.items()},
            "fiscal": None if self.fiscal is None else self.fiscal.to_dict(),
            "options": self.options,
            "provenance": self.provenance,
            "disclosure": self.disclosure,
            "small_sample": self.small_sample,
        })


def disclosure_basis(df: pd.DataFrame, outcomes: list[str], ledger: pd.DataFrame,
                     policy_id: str, window: tuple[int, int]) -> dict[str, Any]:
    """The firms behind the report's numbers (:func:`evalkit.disclosure.firm_basis`):

    * ``treated``: the treated firms of the estimation sample, behind every overall effect, the
      TWFE estimate, the pre-trend test and the benefit side of the fiscal metrics; per outcome
      ``{n, magnitude, top_share}`` with each firm's magnitude its summed absolute outcome over
      the window (an effect on an outcome one firm dominates would show that firm's change);
    * ``cohorts``: the same per cohort (keys are years as strings), behind the cohort effects
      and, combined over the cohorts observed at an event time, the event-study points;
    * ``payments``: the policy's recipients in the window and the largest one's share of the
      money paid, behind the cost and every fiscal metric.
    """
    from evalkit.disclosure import firm_basis

    treated = df.loc[df["g"] > 0]

    def per_outcome(rows: pd.DataFrame) -> dict[str, Any]:
        out = {o: firm_basis(rows[o].astype(float), rows["firm_id"].astype(str).tolist())
               for o in outcomes}
        return {"n": int(rows["firm_id"].nunique()), "outcomes": out}

    led = ledger.loc[ledger["policy_id"].astype(str) == str(policy_id)]
    year = pd.to_datetime(led["date"], errors="coerce").dt.year
    led = led.loc[(year >= window[0]) & (year <= window[1])]
    return json_safe({
        "treated": per_outcome(treated),
        "cohorts": {str(int(g)): per_outcome(rows)
                    for g, rows in treated.groupby("g", sort=True)},
        "payments": firm_basis(pd.to_numeric(led["amount"], errors="coerce"),
                               led["firm_id"].astype(str).tolist()),
    })


def estimation_sample(tables: dict[str, pd.DataFrame], study: ExPostStudy) -> tuple[StaggeredDesign, pd.DataFrame]:
    """The firm-year rows of the policy's treated firms and its controls, within the window."""
    policies = tables["policies"]
    if study.policy not in set(policies["policy_id"]):
        raise ConfigError(Message("errors.stages.ex_post.policy_dataset_policies",
                                  policy=study.policy, policy_id=sorted(policies['policy_id'])))
    fy = tables["firm_years"]
    missing = [o for o in study.outcomes if o not in fy.columns]
    if missing:
        raise ConfigError(Message("errors.stages.ex_post.outcomes_columns_firm_years",
                                  missing=missing))
    panel = Panel.from_tables(tables["firms"], fy)
    design = StaggeredDesign.from_ledger(panel, tables["disbursements"], study.policy,
                                         controls=study.design.controls,
                                         window=policy_window(policies, study.policy))
    df = design.data
    years = (int(df["year"].min()), int(df["year"].max()))
    if study.design.window is not None:
        lo, hi = study.design.window
        if lo < years[0] or hi > years[1]:
            raise ConfigError(Message("errors.stages.ex_post.design_window_lies_outside", lo=lo,
                                      hi=hi, years=years[0], years_2=years[1]))
        df = df[(df["year"] >= lo) & (df["year"] <= hi)]
    df = df.copy()
    df["section"] = sections_of(df["industry_code"]).to_numpy()
    return design, df.reset_index(drop=True)


def outcome_scale(df: pd.DataFrame, outcome: str, study: ExPostStudy) -> str:
    """``level``, ``proportional`` or ``poisson``: the study's ``design.scale_of[outcome]`` or
    ``design.scale``, with ``auto`` resolved to proportional when the outcome is strictly
    positive in every firm-year of the sample, level otherwise."""
    scale = study.design.scale_of.get(outcome, study.design.scale)
    if scale == "auto":
        return "proportional" if positive_share(df[outcome]) == 1.0 else "level"
    return scale


def base_level(df: pd.DataFrame, outcome: str, study: ExPostStudy,
               scale: str) -> tuple[str, pd.Series]:
    """The column that stands for ``outcome``'s base-period level (``design.base_level_of``)
    and its values: as they are, or their logarithm, named ``log_<column>``, on the
    proportional scale (where the outcome itself enters in logs)."""
    level_col = study.design.base_level_of.get(outcome, outcome)
    if level_col not in df.columns:
        raise ConfigError(Message("errors.stages.ex_post.design_base_level_column",
                                  outcome=outcome, level_col=level_col))
    level = pd.to_numeric(df[level_col], errors="coerce").astype(float)
    if scale != "proportional":
        return level_col, level
    if (level <= 0).any():
        raise ConfigError(Message("errors.stages.ex_post.design_base_level_values",
                                  outcome=outcome, level_col=level_col))
    return f"log_{level_col}", np.log(level)


def _covariates(df: pd.DataFrame, outcome: str, study: ExPostStudy,
                scale: str = "level") -> tuple[pd.DataFrame, list[str]]:
    """Numeric covariate columns for one outcome (categoricals expanded to dummies), the
    selection variables (:func:`evalkit.panel.conditioning.selection_columns`), then the
    base-period level of :func:`evalkit.panel.conditioning.base_level_columns` (its logarithm
    on the proportional scale, where the outcome itself enters in logs)."""
    parts = []
    names: list[str] = []
    for c in study.design.covariates:
        if c not in df.columns:
            raise ConfigError(Message("errors.stages.ex_post.covariate_column_panel_columns", c=c,
                                      columns=sorted(df.columns)))
        if c in CATEGORICAL:
            frame, added = dummy_columns(df, c)
        else:
            frame = pd.DataFrame({c: pd.to_numeric(df[c], errors="coerce").astype(float)},
                                 index=df.index)
            added = [c]
        parts.append(frame)
        names += added
    level_col, level = base_level(df, outcome, study, scale)
    # the column standing for the outcome's base level is conditioned on already (by cluster)
    chosen = [c for c in study.design.selection_covariates
              if study.design.base_outcome == "none"
              or c != study.design.base_level_of.get(outcome, outcome)]
    frame, added = selection_columns(df, chosen, logs=scale == "proportional")
    parts.append(frame)
    names += added
    source = df.assign(**{level_col: level}) if level_col not in df.columns else df
    frame, added = base_level_columns(source, level_col, study.design.base_outcome,
                                      cluster_dummies="cluster" not in study.design.covariates)
    parts.append(frame)
    names += added
    out = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=df.index)
    out = out.loc[:, ~out.columns.duplicated()]
    # drop duplicates and constant columns (they would make the design singular)
    names = list(dict.fromkeys(n for n in names if out[n].nunique() > 1))
    return out[names], names


def dip_check(dynamic: AggteResult, alpha: float) -> dict[str, Any] | None:
    """The Ashenfelter dip (Ashenfelter 1978; Heckman & Smith 1999): were the awarded firms'
    outcomes falling, relative to the comparison firms, in the year just before the award?

    A transitory fall that selected firms into the programme reverts afterwards, and a
    difference-in-differences from that year counts the recovery as the policy's effect. The
    check reads the event-study coefficient at e = -1 (the change into the base year against the
    comparison firms' change) and reports a dip when it is below zero with a two-sided p-value
    under ``alpha``. Unlike the joint pre-trend test, it does not fire on the steady pre-award
    growth differences that selection on the base-year level produces while post-award trends
    stay parallel. None when the event study has no e = -1."""
    keys = dynamic.egt.tolist()
    if -1 not in keys:
        return None
    k = keys.index(-1)
    est, se = float(dynamic.att_egt[k]), float(dynamic.se_egt[k])
    if not (np.isfinite(est) and np.isfinite(se)) or se <= 0:
        return None
    z = est / se
    p = float(2 * stats.norm.sf(abs(z)))
    return {"event": -1, "estimate": est, "std_error": se, "z": z, "p_value": p,
            "alpha": float(alpha), "detected": bool(est < 0 and p < alpha)}


def evaluate_outcome(df: pd.DataFrame, outcome: str, study: ExPostStudy, seed: int,
                     cohort_sizes: dict[Any, int], effects_only: bool = False) -> OutcomeEvaluation:
    """Callaway-Sant'Anna ATT(g,t), its aggregations, the pre-trend test and TWFE for one outcome
    (``effects_only``: without the total effect, the selection balance and TWFE, as a
    re-estimation for a sensitivity analysis needs)."""
    d, inf = study.design, study.inference
    scale = outcome_scale(df, outcome, study)
    cov_frame, covs = _covariates(df, outcome, study, scale)
    cluster = CLUSTER_COLUMN[d.cluster]
    frame = pd.concat([df[["firm_id", "year", "g", outcome] + ([cluster] if cluster else [])],
                       cov_frame], axis=1)
    if cluster:
        frame[cluster] = pd.factorize(frame[cluster], sort=True)[0]
    strata = "size_class" if scale == "proportional" and d.effect_strata == "size_class" else None
    if strata:
        frame[strata] = df[strata].to_numpy()

    def estimate(names: list[str]) -> ATTgtResult:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            if scale == "poisson":
                # cluster-specific proportional trends; etwfe takes time-invariant covariates
                dummies, dnames = dummy_columns(df, "cluster")
                return etwfe(pd.concat([frame[["firm_id", "year", "g", outcome]], dummies],
                                       axis=1), outcome, "year", "firm_id", "g",
                             covariates=dnames if names else (),
                             control_group=d.control_group, alp=inf.alpha,
                             allow_unbalanced_panel=d.balance == "unbalanced")
            if scale == "proportional":
                return att_gt_proportional(
                    frame, outcome, "year", "firm_id", "g", covariates=names, strata=strata,
                    pool=d.pooling,
                    control_group=d.control_group, est_method=d.est_method,
                    anticipation=d.anticipation, base_period=d.base_period,
                    clustervars=(cluster,) if cluster else (), bstrap=inf.bootstrap > 0,
                    n_draws=max(inf.bootstrap, 1), cband=inf.bootstrap > 0, alpha=inf.alpha,
                    rng=seed, allow_unbalanced_panel=d.balance == "unbalanced",
                    bootstrap_weights=inf.bootstrap_kind)
            return att_gt(frame, outcome, "year", "firm_id", "g", covariates=names,
                          control_group=d.control_group, est_method=d.est_method,
                          anticipation=d.anticipation, base_period=d.base_period,
                          clustervars=(cluster,) if cluster else (), bstrap=inf.bootstrap > 0,
                          n_draws=max(inf.bootstrap, 1), cband=inf.bootstrap > 0,
                          alpha=inf.alpha, rng=seed,
                          allow_unbalanced_panel=d.balance == "unbalanced",
                          bootstrap_weights=inf.bootstrap_kind)

    # A covariate can be constant within one cell's comparison group (few firms, no patents in
    # a cluster): then fall back to the pooled base-period level, then to no covariates, and say
    # so in the result. Any other design error is the user's to see.
    level_col, level = base_level(df, outcome, study, scale)
    frame[f"{level_col}_level"] = level
    pooled = [c for c in covs if ":cluster=" not in c and not c.startswith("cluster=")]
    if f"{level_col}_level" not in pooled and study.design.base_outcome != "none":
        pooled.append(f"{level_col}_level")
    attempts = [(covs, None, None),
                (pooled, "pooled", Message("stages.ex_post.fallback_pooled")),
                ([], "none", Message("stages.ex_post.fallback_none"))]
    notes: list[tuple[str, str]] = []      # (English, Chinese)
    k, res, exc = first_nonsingular(lambda attempt: estimate(list(attempt[0])), attempts)
    covs, fallback, used = list(attempts[k][0]), *attempts[k][1:]
    if exc is not None:
        notes = [Message("stages.ex_post.singular_covariates", covariates=attempts[0][0],
                         exc=exc, used=used).pair()]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EvalkitWarning)
        simple = aggte(res, "simple")
        dynamic = aggte(res, "dynamic", min_e=d.min_e, max_e=d.max_e)
        group = aggte(res, "group")
    for w in caught:  # kept in the result (and so in the report), not printed
        msg = w.message
        notes.append((str(msg), msg.text("zh") if isinstance(msg, EvalkitWarning) else str(msg)))
    pre = None
    if (dynamic.egt < 0).sum() >= 1:
        try:
            pre = pretrend_test(dynamic, alpha=inf.alpha)
        except DesignError as exc:  # e.g. a singular covariance of the pre-period coefficients
            notes.append(Message("stages.ex_post.no_pretrend_test", exc=exc).pair())
    note = "; ".join(en for en, _ in notes) or None
    note_zh = "；".join(zh for _, zh in notes) or None
    total = None
    if outcome in FISCAL_OUTCOMES and not effects_only:
        cells = [LinearEstimate.from_did(res, index=k) for k in range(len(res.att))]
        window = (int(df["year"].min()), int(df["year"].max()))
        per_year = outcome == "employees"
        total = total_effect(cells, cohort_sizes, window,
                             discount=study.fiscal.discount_rate,
                             base_year=study.fiscal.base_year or window[0], per_year=per_year,
                             name=f"total_{outcome}")
    balance = None
    if d.selection_covariates and scale in ("level", "proportional") and not effects_only:
        balance = selection_balance(frame, outcome, "year", "firm_id", "g", covs,
                                    log=scale == "proportional", alpha=inf.alpha)
        if balance is not None and outcome == study.main_outcome:
            cols = decision_column_balance(
                frame[["firm_id", "year", "g", *covs]], df, list(d.selection_covariates), covs,
                log=scale == "proportional", alpha=inf.alpha)
            balance["decision_columns"] = cols
            # the identification check fails only when the decision columns' history differs
            # too: a change of the outcome alone is a shift from outside the award decision
            # (high-tech certification lowers the income-tax rate a year before its award),
            # which the comparison from the base year removes; a reversion of what the award
            # followed shows in those columns (the dip voucher: revenue, p < 1e-70)
            balance["gates"] = bool(balance["detected"] and (
                not cols or any(v["detected"] for v in cols.values())))
    tw_est = tw_se = None
    try:
        if not effects_only:
            tw = twfe(frame, outcome, "year", "firm_id", gname="g", method="fast")
            tw_est, tw_se = float(tw.estimate[0]), float(tw.std_error[0])
    except DesignError:
        pass
    return OutcomeEvaluation(outcome, res, simple, dynamic, group, total, pre, tw_est, tw_se,
                             tuple(covs), note, note_zh, fallback, len(notes), scale, strata,
                             dip_check(dynamic, inf.alpha), balance)


def small_sample_intervals(fiscal: FiscalResult | None, treated_ids: Any, study: ExPostStudy,
                           seed: int) -> dict[str, Any]:
    """The fiscal metrics' intervals for few treated firms (``inference.small_sample``;
    :mod:`evalkit.robust.small_sample`): empty when the setting resolves to the analytic
    interval for this many treated firms (or there is a single one), else the method, the
    count, the threshold and one interval per metric with influence contributions."""
    n_treated = len(treated_ids)
    method = resolve_method(study.inference.small_sample, n_treated)
    if fiscal is None or method == "none" or n_treated < 2:
        return {}     # one treated firm: no interval to correct (the disclosure rule hides it)
    ids = {str(i) for i in treated_ids}

    def usable(m: LinearEstimate) -> bool:     # two treated firms among its contributions
        return (m.psi.size > 0 and np.isfinite(m.se) and m.se > 0
                and sum(str(i) in ids for i in m.psi.index) >= 2)

    intervals = {m.name: small_sample_interval(m, treated_ids, method=method,
                                               alpha=study.inference.alpha, rng=seed).to_dict()
                 for m in fiscal.metrics if usable(m)}
    return {"method": method, "n_treated": n_treated, "threshold": SMALL_TREATED,
            "intervals": intervals}


def tax_sharing(study: ExPostStudy) -> TaxSharing:
    """The tax sharing of the fiscal metrics: :class:`TaxSharing`'s defaults, with the district
    keeping the study's ``fiscal.district_share`` of all additional tax when it is set."""
    share = study.fiscal.district_share
    return TaxSharing() if share is None else TaxSharing().with_district_share(share)


def run_ex_post(study: ExPostStudy, tables: dict[str, pd.DataFrame],
                progress: Callable[..., None] | None = None) -> ExPostResult:
    """Run the ex-post evaluation declared by ``study`` on the dataset ``tables``."""
    design, df = estimation_sample(tables, study)
    if design.cohort_sizes().drop(0, errors="ignore").empty:
        raise DesignError(Message("errors.stages.ex_post.policy_treated_firms_window",
                                  policy=study.policy))
    treated = df[df["g"] > 0]
    sizes_gt = treated.groupby(["g", "year"])["firm_id"].nunique()
    cohort_sizes: dict[Any, int] = {(int(g), int(t)): int(n) for (g, t), n in sizes_gt.items()}
    cohort_sizes.update({int(g): int(n) for g, n in treated.groupby("g")["firm_id"].nunique().items()})
    outcomes: dict[str, OutcomeEvaluation] = {}
    rng_seed = int(study.inference.seed)
    for i, outcome in enumerate(study.outcomes):
        if progress:
            progress(f"{study.policy}: {outcome}", i, len(study.outcomes))
        outcomes[outcome] = evaluate_outcome(df, outcome, study, rng_seed + i, cohort_sizes)
        honest = study.robustness.honestdid
        if honest is not None and outcome in honest.outcomes:
            from evalkit.stages.ex_post_honestdid import honestdid_evidence

            outcomes[outcome] = replace(outcomes[outcome], honestdid=honestdid_evidence(
                df, outcome, study, rng_seed + i, cohort_sizes))
    if progress:
        progress(f"{study.policy}: {study.outcomes[-1]}", len(study.outcomes), len(study.outcomes))
    window = (int(df["year"].min()), int(df["year"].max()))
    fiscal = None
    totals = {k: v.total for k, v in outcomes.items() if v.total is not None}
    if "tax_paid" in totals:
        cost = policy_cost(tables["disbursements"], study.policy,
                           base_year=study.fiscal.base_year or window[0],
                           rate=study.fiscal.discount_rate, admin_share=study.fiscal.admin_cost_share,
                           window=window)
        fiscal = fiscal_metrics(study.policy, totals, cost,
                                rng=np.random.default_rng(rng_seed), tax=tax_sharing(study),
                                alpha=study.inference.alpha)
    small = small_sample_intervals(fiscal, treated["firm_id"].unique(), study, rng_seed)
    pol = tables["policies"].set_index("policy_id").loc[study.policy]
    policy = {"policy_id": study.policy, "name_zh": pol["name_zh"], "name_en": pol["name_en"],
              "instrument": pol["instrument"], "objective": pol["objective"],
              "department": pol["department"]}
    sizes = {int(g): int(n) for g, n in design.cohort_sizes().items()
             if g == 0 or g in set(df["g"])}
    return ExPostResult(
        study_name=study.name, policy=policy, main_outcome=study.main_outcome,
        cohort_sizes=sizes, n_firms=int(df["firm_id"].nunique()),
        n_excluded_other_policy=design.n_excluded_other_policy, window=window,
        outcomes=outcomes, fiscal=fiscal,
        options=json_safe({**study.design.model_dump(),
                           "fiscal": study.fiscal.model_dump(exclude_unset=True)}),
        disclosure=disclosure_basis(df, list(study.outcomes), tables["disbursements"],
                                    study.policy, window),
        small_sample=small,
        provenance={"estimator": "Callaway & Sant'Anna (2021) via evalkit.did.att_gt",
                    "seed": rng_seed,
                    "payments_outside_window": design.n_payments_outside_window},
    )


def bundle_parts(result: ExPostResult) -> tuple[dict, dict[str, pd.DataFrame], dict[str, bytes]]:
    """What an ex-post bundle holds: results JSON, tidy tables (with the per-firm influence
    contributions ``psi`` of every fiscal metric and total effect, which the portfolio stage
    combines across policies). No figure: the report draws the event study from the
    ``dynamic_<outcome>`` table."""
    from evalkit.fiscal.linear import stack_psi

    tables: dict[str, pd.DataFrame] = {"overall": result.tidy()}
    for name, ev in result.outcomes.items():
        tables[f"att_gt_{name}"] = ev.att_gt.tidy()
        tables[f"dynamic_{name}"] = ev.dynamic.tidy()
    estimates: list[LinearEstimate] = [ev.total for ev in result.outcomes.values()
                                       if ev.total is not None]
    if result.fiscal is not None:
        tables["fiscal"] = result.fiscal.tidy()
        # the fiscal metrics' published intervals: the small-sample ones where they apply
        tables["fiscal"]["interval"] = "analytic"
        for name, iv in (result.small_sample.get("intervals") or {}).items():
            row = tables["fiscal"]["term"] == name
            tables["fiscal"].loc[row, ["conf_low", "conf_high", "interval"]] = [
                iv["conf_low"], iv["conf_high"], iv["method"]]
        estimates += [m for m in result.fiscal.metrics if m.psi.size]
    if estimates:
        index, psi = stack_psi(estimates)
        frame = pd.DataFrame(psi, columns=[e.name for e in estimates])
        frame.insert(0, "firm_id", [str(i) for i in index])
        tables["psi"] = frame
        tables["metrics"] = pd.DataFrame({
            "name": [e.name for e in estimates],
            "estimate": [e.estimate for e in estimates],
            "std_error": [e.se for e in estimates]})
    return result.to_dict(), tables, {}


def in_memory(result: ExPostResult, name: str | None = None,
              provenance: dict[str, Any] | None = None) -> MemoryBundle:
    """``result`` as a later stage reads an ex-post bundle (the same results and tables
    :func:`bundle_parts` writes), without writing one; ``name`` defaults to ``ex_post_<policy>``
    and stands for the bundle's folder name."""
    results, tables, _ = bundle_parts(result)
    pid = result.policy.get("policy_id", "")
    return memory_bundle("ex_post", results, tables, name=name or f"ex_post_{pid}",
                         provenance=provenance)
