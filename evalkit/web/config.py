"""Settings read from the environment: the database URL and the secret key file."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from evalkit.errors import ConfigError
from evalkit.i18n import Message

DB_NAME = "evalkit-web.sqlite3"
KEY_NAME = "evalkit-web.secret"


def database_from_url(url: str | None, home: Path) -> dict:
    """Django's ``DATABASES['default']`` for ``url``: ``sqlite:///PATH`` or
    ``postgresql://USER:PASSWORD@HOST:PORT/NAME?host=SOCKET_DIR``; none: SQLite beside the
    warehouse (``home``) in WAL mode, writes taken with ``BEGIN IMMEDIATE`` so that concurrent
    writers queue instead of failing."""
    if not url:
        return _sqlite(home / DB_NAME)
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return _sqlite(Path(unquote(parts.path)))
    if parts.scheme in ("postgres", "postgresql"):
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return {"ENGINE": "django.db.backends.postgresql",
                "NAME": unquote(parts.path.lstrip("/")),
                "USER": unquote(parts.username or ""),
                "PASSWORD": unquote(parts.password or ""),
                "HOST": query.get("host") or parts.hostname or "",
                "PORT": str(parts.port or query.get("port") or ""),
                "CONN_MAX_AGE": 0, "ATOMIC_REQUESTS": False}
    raise ConfigError(Message("errors.web.config.evalkit_web_database_url", url=url))


def _sqlite(path: Path) -> dict:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path),
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                        "transaction_mode": "IMMEDIATE", "timeout": 30}}


def secret_key(home: Path) -> str:
    """The key in ``home/evalkit-web.secret``, generated once (mode 600); a key file that group
    or others may read is refused."""
    path = home / KEY_NAME
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:       # another process made it meanwhile
            fd = None
        if fd is not None:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(secrets.token_urlsafe(64) + "\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(Message("errors.web.config.secret_key_file_may", path=path, mode=mode))
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 50:
        raise ConfigError(Message("errors.web.config.secret_key_too_short", path=path))
    return key
