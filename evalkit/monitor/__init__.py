"""evalkit.monitor: in-progress monitoring (双监控).

:mod:`.execution` budget execution against time progress; :mod:`.kpi` target attainment and the
district KPI tracker; :mod:`.interim` interim event studies; :mod:`.anomalies` ledger checks.
:func:`evalkit.stages.monitor.run_monitor` orchestrates them.
"""
