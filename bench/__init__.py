"""Benchmarks of evalkit against peer libraries (run by hand: ``python -m bench``)."""
