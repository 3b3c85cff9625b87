"""Publishing a cycle and making accounts: what ``evalkit serve`` and the evaluator's page do."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from evalkit.errors import ConfigError, DataError
from evalkit.i18n import Message
from evalkit.web import logbook
from evalkit.web.models import ROLES, Cycle, Profile

ROLE_NAMES = tuple(r for r, _ in ROLES)


def publish_cycle(bundle: str | Path, reports: str | Path | None, user,
                  recompute: bool = True) -> Cycle:
    """Publish a portfolio bundle: its SHA-256 manifest and those of its ex-post bundles are
    checked, then (``recompute``) the bundle is recomputed from its study and warehouse with
    ``evalkit verify`` and must match. The same manifest is published once."""
    from evalkit.stages.decisions import open_cycle
    from evalkit.stages.verify import verify_report_dir

    bundle = Path(bundle).absolute()
    cyc = open_cycle(bundle)
    existing = Cycle.objects.filter(manifest_sha256=cyc.manifest_sha256).first()
    if existing is not None:
        return existing
    logbook.evidence_bundles(cyc)            # SHA-checks the ex-post bundles it names
    if reports and not Path(reports).is_dir():
        raise DataError(Message("errors.web.publish.such_reports_folder"), file=str(reports),
                        fix=Message("errors.web.publish.fix_give_folder_evalkit_demo"))
    summary, ok = "", False
    if recompute:
        with logbook.LOCK:                   # the warehouse, opened as the pages open it
            result = verify_report_dir(bundle)
        summary, ok = result.summary(), result.ok
        if not ok:
            raise DataError(Message("errors.web.publish.bundle_mismatch",
                                    summary=summary.splitlines()[0]), file=str(bundle),
                            fix=Message("errors.web.publish.fix_rerun_publish"))
    with transaction.atomic():
        return Cycle.objects.create(name=cyc.name, bundle=str(bundle),
                                    reports=str(Path(reports).absolute()) if reports else "",
                                    store=str(cyc.store.absolute()),
                                    manifest_sha256=cyc.manifest_sha256, verified=ok,
                                    verify_summary=summary, published_by=user)


def create_account(username: str, role: str, password: str, department: str = ""):
    """An account with ``role``; the password must pass Django's validators (no defaults).
    An admin account may use Django's admin (account management)."""
    if role not in ROLE_NAMES:
        raise ConfigError(Message("errors.web.publish.role_one", role_names=', '.join(ROLE_NAMES),
                                  role=role))
    if (role == "department") != bool(department.strip()):
        raise ConfigError(Message("errors.web.publish.department_account_needs_department"))
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ConfigError(Message("errors.web.publish.account_exists", username=username))
    user = User(username=username, is_staff=role == "admin", is_superuser=role == "admin")
    try:
        validate_password(password, user)
    except ValidationError as exc:
        msg = " ".join(exc.messages)
        raise ConfigError(Message("errors.web.publish.password_refused", msg=msg)) from None
    with transaction.atomic():
        user.set_password(password)
        user.save()
        Profile.objects.create(user=user, role=role, department=department.strip())
    return user


#: The demo's accounts: name, role, department.
DEMO_ACCOUNTS = (("reviewer", "reviewer", ""), ("evaluator", "evaluator", ""),
                 ("auditor", "auditor", ""), ("admin", "admin", ""),
                 ("kewei", "department", "区科委"), ("shangwu", "department", "区商务委"))


def demo_accounts() -> dict[str, str]:
    """Create the demo accounts that do not exist yet, each with a random password; returns
    name -> password of those created (printed once by ``evalkit serve --demo``)."""
    User = get_user_model()
    made = {}
    for name, role, dept in DEMO_ACCOUNTS:
        if User.objects.filter(username=name).exists():
            continue
        password = secrets.token_urlsafe(12)
        create_account(name, role, password, dept)
        made[name] = password
    return made
