"""WSGI entry point of the review workspace."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalkit.web.settings")
application = get_wsgi_application()
