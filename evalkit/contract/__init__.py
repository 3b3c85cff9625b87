"""evalkit.contract: what a stage hands to a report, below both.

:mod:`evalkit.contract.bundle` is the results-bundle format (layout, manifest, checksums);
:mod:`evalkit.contract.models` the typed results of each stage (pydantic models of
``results.json``); :mod:`evalkit.contract.provenance` the record of what produced it. Stages
write bundles through this package and reports read them through it; neither imports the
other for it (see ARCHITECTURE.md).
"""
