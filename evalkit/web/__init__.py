"""The finance bureau's review workspace (``evalkit serve``): a Django project.

Server-rendered pages in Chinese (English through Django's i18n) over published cycles: an
evaluator publishes a portfolio bundle (checked with :func:`evalkit.stages.verify.verify_report_dir`
and the bundles' SHA-256 manifests), reviewers decide on each recommendation, every decision is
appended to the warehouse's hash-chained review log through
:mod:`evalkit.stages.decisions` (the same code path as ``evalkit review record``), auditors
verify the log. The application database (accounts, sessions, cycles, self-evaluations, login
throttling) is SQLite beside the warehouse (WAL) or PostgreSQL (``EVALKIT_WEB_DATABASE_URL``).
Django's authentication, sessions, CSRF protection, password hashing, migrations and
translations are used as they are; repeated failed logins are throttled by django-axes.
See evalkit/web/README.md.
"""
