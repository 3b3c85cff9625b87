"""evalkit.robust."""
