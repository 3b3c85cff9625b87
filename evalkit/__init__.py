"""evalkit: evaluation of enterprise subsidy policies.

Ex-ante appraisal, in-progress monitoring and ex-post causal evaluation of a district's subsidy
policies, their fiscal effectiveness and the portfolio decision, ending in reproducible reports.
See ARCHITECTURE.md at the repository root for the layers and the bundle contract.
"""

__version__ = "0.1.0"
