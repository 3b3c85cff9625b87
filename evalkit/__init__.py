"""evalkit: evaluation of enterprise subsidy policies.

Ex-ante appraisal, in-progress monitoring and ex-post causal evaluation of a district's subsidy
policies, their fiscal effectiveness and the portfolio decision, ending in reproducible reports.
See ARCHITECTURE in the repository for how the stages fit together.
"""

__version__ = "0.1.0"
