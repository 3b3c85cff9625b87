"""evalkit.io."""
