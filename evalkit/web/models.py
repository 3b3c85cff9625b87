"""Accounts' roles, published cycles and departments' self-evaluations. Decisions are not
stored here: they live in the warehouse's hash-chained review log
(:mod:`evalkit.portfolio.review_log`), which the pages read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

ROLES = (
    ("department", _("department")),
    ("evaluator", _("evaluator")),
    ("reviewer", _("reviewer")),
    ("auditor", _("auditor")),
    ("admin", _("admin")),
)


class Profile(models.Model):
    """An account's role; a department account also names its department (e.g. 区科委)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="profile")
    role = models.CharField(max_length=16, choices=ROLES)
    department = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.user.username} ({self.role})"


class Cycle(models.Model):
    """A published cycle: a portfolio bundle (read, never recomputed), the folder of its
    rendered reports, and the outcome of the checks made on publication."""

    name = models.CharField(max_length=32)
    bundle = models.CharField(max_length=1024)
    reports = models.CharField(max_length=1024, blank=True, default="")
    store = models.CharField(max_length=1024)
    manifest_sha256 = models.CharField(max_length=64)
    verified = models.BooleanField(default=False)
    verify_summary = models.TextField(blank=True, default="")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["manifest_sha256"],
                                               name="one_cycle_per_manifest")]

    def __str__(self) -> str:
        return f"{self.name} ({self.manifest_sha256[:12]})"


class SelfEvaluation(models.Model):
    """A department's self-score (share of the weight, 0-100 %) of one entered scorecard
    indicator of one of its policies, with its evidence. A later submission supersedes an
    earlier one (rows are kept)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="self_evaluations")
    policy_id = models.CharField(max_length=32)
    indicator = models.CharField(max_length=64)
    share = models.DecimalField(max_digits=5, decimal_places=2)
    evidence = models.TextField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cycle", "policy_id", "indicator", "-submitted_at", "-id"]
