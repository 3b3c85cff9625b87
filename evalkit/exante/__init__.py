"""evalkit.exante: the pieces of an ex-ante appraisal (事前绩效评估).

:mod:`.microsim` eligibility microsimulation and cost; :mod:`.meta` effect and fiscal-return
projection from past evaluations; :mod:`.power` and :mod:`.evaluability` minimum detectable effects;
:mod:`.checklist` the five-dimension checklist. :func:`evalkit.stages.ex_ante.run_ex_ante`
orchestrates them.
"""
