"""Starting the workspace: Django set up for a home folder, migrations applied, and the WSGI
application served by waitress (``evalkit serve``)."""

from __future__ import annotations

import os
from pathlib import Path


def setup(home: str | Path) -> None:
    """Configure Django for the application database and key in ``home`` (unless the
    environment names them) and apply the migrations."""
    os.environ["EVALKIT_WEB_HOME"] = str(Path(home).absolute())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalkit.web.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def serve(host: str = "127.0.0.1", port: int = 8000, threads: int = 8) -> None:
    """Serve the workspace until interrupted."""
    import waitress

    from evalkit.web.wsgi import application

    waitress.serve(application, host=host, port=port, threads=threads, ident="evalkit",
                   clear_untrusted_proxy_headers=True)
