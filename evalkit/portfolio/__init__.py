"""evalkit.portfolio."""
