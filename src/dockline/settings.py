"""Django settings, 12-factor style.

DOCKLINE_HOME  folder for the SQLite file and generated keys (default ./var)
DATABASE_URL   default sqlite:///$DOCKLINE_HOME/dockline.sqlite3; postgres://... for PostgreSQL
BROKER_URL     unset: the in-process runner; redis://... or amqp://...: Celery
SECRET_KEY     Django's signing key (generated into DOCKLINE_HOME when unset)
DOCKLINE_CREDENTIAL_KEYS  comma-separated Fernet keys, newest first (generated when unset)
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
HOME = Path(os.environ.get("DOCKLINE_HOME", "var")).resolve()
HOME.mkdir(parents=True, exist_ok=True)


def _persistent_secret(env: str, filename: str, make) -> str:
    """Read a secret from the environment, else from (or into) a file in DOCKLINE_HOME."""
    if os.environ.get(env):
        return os.environ[env]
    path = HOME / filename
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


SECRET_KEY = _persistent_secret("SECRET_KEY", "secret.key", lambda: secrets.token_urlsafe(50))
CREDENTIAL_KEYS = [
    k.strip()
    for k in _persistent_secret("DOCKLINE_CREDENTIAL_KEYS", "credential.keys", _fernet_key).split(",")
    if k.strip()
]
DEBUG = os.environ.get("DOCKLINE_DEBUG", "") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
BROKER_URL = os.environ.get("BROKER_URL", "")
# How long a claimed or running job holds its lease without a heartbeat; a dead worker's job is
# taken over after this. Heartbeats renew it every third of it while a job runs.
LEASE_SECONDS = float(os.environ.get("DOCKLINE_LEASE_SECONDS", "300"))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "dockline.accounts",
    "dockline.connections",
    "dockline.mapping",
    "dockline.orders",
    "dockline.shipments",
    "dockline.inventory",
    "dockline.warehouses",
    "dockline.sync",
    "dockline.webhooks",
    "dockline.platforms.bigcommerce",
    "dockline.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dockline.urls"
WSGI_APPLICATION = "dockline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{HOME / 'dockline.sqlite3'}"), conn_max_age=0
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # One test database per test process, so parallel test runs never share a file.
    DATABASES["default"]["TEST"] = {"NAME": str(HOME / f"test-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve app static files without a collectstatic step

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "dockline": {"handlers": ["console"], "level": os.environ.get("DOCKLINE_LOG_LEVEL", "WARNING")},
        # An unexpected error in a view (a 500) is written with its traceback, DEBUG or not.
        "django.request": {"handlers": ["console"], "level": "ERROR"},
    },
}

# Whether warehouses and stores may be on loopback or a private network (10/8, 192.168/16, ...).
# Off by default, so Test Connection cannot probe the internal network; link-local and cloud
# metadata addresses are refused whatever it says (dockline.core.addresses).
ALLOW_PRIVATE_ADDRESSES = os.environ.get("DOCKLINE_ALLOW_PRIVATE_ADDRESSES", "") == "1"

# Where stores reach this Dockline (webhooks, app install callbacks).
PUBLIC_URL = os.environ.get("DOCKLINE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
RATE_LIMIT_STORAGE = os.environ.get("DOCKLINE_RATE_LIMIT_STORAGE", "memory://")
