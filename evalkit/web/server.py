"""Starting the workspace: Django set up for a home folder, migrations applied, and the WSGI
application served by waitress (``evalkit serve``).

Start-up is kept short (issue 15: the first page within 5 s of start): the server listens as
soon as Django is set up and migrated; the analysis stack the cycle pages need (pandas, scipy,
the review log) is imported and the demo's work (accounts, publication with its ``verify``
recomputation) is done in a background thread once the socket listens (:func:`serve`). A
cycle becomes visible only when its publication, recomputation included, has succeeded."""

from __future__ import annotations

import _thread
import os
import threading
from collections.abc import Callable
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


def warm() -> None:
    """Import what the cycle pages need (the review log, bundles, pandas and scipy), so that
    the first cycle page does not pay for it."""
    import importlib

    for module in ("evalkit.web.logbook", "evalkit.web.publish"):
        importlib.import_module(module)


def serve(host: str = "127.0.0.1", port: int = 8000, threads: int = 8,
          after_listening: Callable[[], None] | None = None) -> None:
    """Serve the workspace until interrupted (Ctrl+C). Once the socket listens, a background
    thread runs :func:`warm` and then ``after_listening`` (the demo's accounts and
    publication); if that fails, the server stops and its error is raised here (the CLI's
    exit 2 and one-line message for an :class:`evalkit.errors.EvalkitError`)."""
    import logging

    from waitress.server import create_server

    from evalkit.web.wsgi import application

    logging.basicConfig()          # waitress's warnings (queue depth) on stderr, as its serve()
    server = create_server(application, host=host, port=port, threads=threads, ident="evalkit",
                           clear_untrusted_proxy_headers=True)
    failed: list[BaseException] = []

    def prepare() -> None:
        from django.db import connections

        try:
            warm()
            if after_listening is not None:
                after_listening()
        except BaseException as exc:            # raised in the main thread below
            failed.append(exc)
            _thread.interrupt_main()             # waitress's loop stops on KeyboardInterrupt
        finally:
            connections.close_all()              # this thread's database connections

    threading.Thread(target=prepare, name="evalkit-serve-prepare", daemon=True).start()
    try:
        server.run()
    except KeyboardInterrupt:                    # before the loop caught it
        server.task_dispatcher.shutdown()
    if failed:
        raise failed[0]
