"""evalkit.did."""
