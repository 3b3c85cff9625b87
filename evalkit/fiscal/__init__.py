"""evalkit.fiscal."""
