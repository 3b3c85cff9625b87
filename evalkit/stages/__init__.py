"""evalkit.stages."""
