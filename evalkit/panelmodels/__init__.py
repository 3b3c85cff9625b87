"""evalkit.panelmodels."""
