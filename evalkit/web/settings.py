"""Django settings of the review workspace, from the environment.

``EVALKIT_WEB_HOME``          folder of the application database and its secret key (default:
                              the current folder; ``evalkit serve`` sets it beside the warehouse)
``EVALKIT_WEB_DATABASE_URL``  ``postgresql://user:password@host:port/name`` (a socket folder as
                              ``?host=/path``) or ``sqlite:////abs/path.sqlite3``; default
                              ``HOME/evalkit-web.sqlite3`` in WAL mode
``EVALKIT_WEB_ALLOWED_HOSTS`` comma-separated (default ``127.0.0.1,localhost``)
``EVALKIT_WEB_SESSION_MINUTES`` idle minutes before a session expires (default 30)
``EVALKIT_WEB_DEBUG``         ``1`` for Django's debug pages (never in production)

The secret key is generated once into ``HOME/evalkit-web.secret`` (mode 600) and read from there;
there is no default key, and a key file others can read is refused.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from evalkit.web.config import database_from_url, secret_key

HOME = Path(os.environ.get("EVALKIT_WEB_HOME", ".")).absolute()
BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = secret_key(HOME)
DEBUG = os.environ.get("EVALKIT_WEB_DEBUG") == "1"
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("EVALKIT_WEB_ALLOWED_HOSTS",
                                                   "127.0.0.1,localhost").split(",") if h.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "axes",
    "evalkit.web.apps.WebConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "evalkit.web.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "evalkit.web.urls"
WSGI_APPLICATION = "evalkit.web.wsgi.application"

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.template.context_processors.i18n",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
        "evalkit.web.views.role_context",
    ]},
}]

DATABASES = {"default": database_from_url(os.environ.get("EVALKIT_WEB_DATABASE_URL"), HOME)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's password hashing and validation as they are
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cycles"
LOGOUT_REDIRECT_URL = "login"

# sessions expire after idle minutes and with the browser
SESSION_COOKIE_AGE = int(os.environ.get("EVALKIT_WEB_SESSION_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "SAMEORIGIN"       # the reports open in the workspace's own frames only
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# repeated failed logins: locked for AXES_COOLOFF_TIME after AXES_FAILURE_LIMIT failures of one
# account name from one address (django-axes)
AXES_FAILURE_LIMIT = int(os.environ.get("EVALKIT_WEB_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "loggers": {"axes": {"level": "WARNING"}, "django": {"handlers": ["console"],
                                                               "level": "WARNING"}}}
