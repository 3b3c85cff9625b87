"""Real-data case studies run through evalkit's ordinary ingest, study and report path.

* :mod:`evalkit.examples.jobtraining`: the Michigan job-training grants (Holzer, Block, Cheatham
  & Knott 1993), the firm panel shipped as ``linearmodels.datasets.jobtraining``.
"""
