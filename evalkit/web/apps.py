"""The review workspace's Django application."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "evalkit.web"
    label = "evalkit_web"
    verbose_name = "evalkit review workspace"
    default_auto_field = "django.db.models.BigAutoField"
