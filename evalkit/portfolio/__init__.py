"""evalkit.portfolio: MoF-style scorecard and grades, ranking with rank confidence sets,
classification, recommendations, the reallocation LP and the hash-chained review log."""

from evalkit.portfolio.classify import classify_policies
from evalkit.portfolio.process import budget_execution_rate, disbursement_timeliness
from evalkit.portfolio.ranking import RankingResult, rank_confidence_sets
from evalkit.portfolio.reallocate import ReallocationResult, reallocate
from evalkit.portfolio.recommend import ACTIONS, Recommendations, recommend
from evalkit.portfolio.review_log import (
    DECISIONS,
    audit_review_log,
    record_review,
    review_head,
    review_history,
    verify_review_log,
)
from evalkit.portfolio.scorecard import (
    DEFAULT_SCORECARD,
    ScorecardResult,
    ScorecardSpec,
    load_scorecard_spec,
    score_policy,
)

__all__ = [
    "ACTIONS",
    "DECISIONS",
    "DEFAULT_SCORECARD",
    "RankingResult",
    "ReallocationResult",
    "Recommendations",
    "ScorecardResult",
    "ScorecardSpec",
    "audit_review_log",
    "budget_execution_rate",
    "classify_policies",
    "disbursement_timeliness",
    "load_scorecard_spec",
    "rank_confidence_sets",
    "reallocate",
    "recommend",
    "record_review",
    "review_head",
    "review_history",
    "score_policy",
    "verify_review_log",
]
