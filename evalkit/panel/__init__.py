"""Firm x year panels and staggered adoption designs."""

from evalkit.panel.design import StaggeredDesign, first_award_year, policy_window
from evalkit.panel.panel import Panel

__all__ = ["Panel", "StaggeredDesign", "first_award_year", "policy_window"]
