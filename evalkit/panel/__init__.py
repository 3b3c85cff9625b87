"""evalkit.panel."""
