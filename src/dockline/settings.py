"""Django settings, 12-factor style.

DOCKLINE_HOME  folder for the SQLite file and generated keys (default ./var)
DATABASE_URL   default sqlite:///$DOCKLINE_HOME/dockline.sqlite3; postgres://... for PostgreSQL
BROKER_URL     unset: the in-process runner; redis://... or amqp://...: Celery
SECRET_KEY     Django's signing key (generated into DOCKLINE_HOME when unset)
DOCKLINE_CREDENTIAL_KEYS  comma-separated Fernet keys, newest first (generated when unset)
DOCKLINE_PUBLIC_URL       where people and stores reach Dockline; https:// turns on secure cookies, HSTS, CSP
DOCKLINE_TRUSTED_PROXIES  addresses/CIDRs of reverse proxies whose X-Forwarded-* headers are believed
DOCKLINE_WEB_WORKERS, DOCKLINE_WEB_THREADS, DOCKLINE_WEB_TIMEOUT  gunicorn processes, threads each, seconds
DOCKLINE_INVITE_DAYS      days an invitation link works (default 7)
EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS (1), DEFAULT_FROM_EMAIL
                          SMTP for invitation and password links; unset EMAIL_HOST: links are shown to copy
DOCKLINE_ALERTS_EVERY     seconds between alert checks and webhook sends (default 60); docs/alerts.md
DOCKLINE_METRICS_TOKEN, DOCKLINE_METRICS_NETWORKS  who may read /metrics (bearer token; CIDRs); neither: loopback
DOCKLINE_SCHEDULER_STALE  seconds without a scheduler tick before /healthz answers 503 (default 120)
DOCKLINE_LOG_FORMAT       json: one JSON object per log line, with connection and order ids

Generated secrets are created atomically (two processes starting together agree on one key) and
readable by their owner only; so is the SQLite file (and its -wal/-shm, which take its mode).
"""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
HOME = Path(os.environ.get("DOCKLINE_HOME", "var")).resolve()
HOME.mkdir(mode=0o700, parents=True, exist_ok=True)
# Where each generated-or-given secret came from ("environment", "file <path>", "file <path> (generated now)"):
# `dockline serve` uses it to say at start-up that a missing key file was just replaced.
SECRET_SOURCES: dict[str, str] = {}


def _persistent_secret(env: str, filename: str, make) -> str:
    """Read a secret from the environment, else from (or atomically into) a file in DOCKLINE_HOME.

    A new value is written to a private temporary file and hard-linked into place, which fails when
    another process got there first; everyone then reads the one file that won.
    """
    if os.environ.get(env):
        SECRET_SOURCES[env] = "environment"
        return os.environ[env]
    path = HOME / filename
    SECRET_SOURCES[env] = f"file {path}"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=HOME, prefix=f".{filename}.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as f:
                f.write(make())
                f.flush()
                os.fsync(f.fileno())
            os.link(tmp, path)
            SECRET_SOURCES[env] = f"file {path} (generated now)"
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def _private_file(path: Path) -> None:
    """Create `path` readable by its owner only, unless it exists already."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except (FileExistsError, FileNotFoundError):  # there already, or its folder is missing (SQLite will say)
        pass


def _csv(name: str, default: str = "") -> list[str]:
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


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
# Where stores and people reach this Dockline (webhooks, app install callbacks, links in messages).
PUBLIC_URL = os.environ.get("DOCKLINE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
_public = urlsplit(PUBLIC_URL)
ALLOWED_HOSTS = _csv("ALLOWED_HOSTS", "127.0.0.1,localhost")
if _public.hostname and _public.hostname not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_public.hostname)
CSRF_TRUSTED_ORIGINS = [f"{_public.scheme}://{_public.netloc}"] if _public.netloc else []
# Reverse proxies (addresses or CIDRs) whose X-Forwarded-For/-Proto are believed; from anyone else
# those headers are removed (dockline.accounts.middleware.TrustedProxyMiddleware).
TRUSTED_PROXIES = _csv("DOCKLINE_TRUSTED_PROXIES")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
HTTPS = _public.scheme == "https"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("DOCKLINE_HSTS_SECONDS", "31536000")) if HTTPS else 0
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
) if HTTPS else ""
# gunicorn (`dockline serve`): processes, threads per process, seconds before a stuck request is cut.
WEB_WORKERS = int(os.environ.get("DOCKLINE_WEB_WORKERS", "2"))
WEB_THREADS = int(os.environ.get("DOCKLINE_WEB_THREADS", "8"))
WEB_TIMEOUT = int(os.environ.get("DOCKLINE_WEB_TIMEOUT", "60"))
BROKER_URL = os.environ.get("BROKER_URL", "")
# How long a claimed or running job holds its lease without a heartbeat; a dead worker's job is
# taken over after this. Heartbeats renew it every third of it while a job runs.
LEASE_SECONDS = float(os.environ.get("DOCKLINE_LEASE_SECONDS", "300"))
# How long a store write that went unanswered may still be applied by the store (a stock push is in doubt
# until then and sent again); far less than a stock interval, so in practice the next run confirms it.
STALE_WRITE_SECONDS = float(os.environ.get("DOCKLINE_STALE_WRITE_SECONDS", "120"))

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
    "dockline.rules",
    "dockline.warehouses",
    "dockline.sync",
    "dockline.webhooks",
    "dockline.alerts",
    "dockline.platforms.bigcommerce",
    "dockline.web",
    "dockline.api",
    "ninja",  # serves the API docs page's scripts from here, not a CDN (the CSP allows only 'self')
]

MIDDLEWARE = [
    "dockline.accounts.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "dockline.accounts.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dockline.accounts.middleware.MembershipMiddleware",
    "dockline.accounts.middleware.TimezoneMiddleware",
    "dockline.accounts.middleware.UnreadableCredentialsMiddleware",
    "dockline.api.middleware.ApiKeyMiddleware",
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
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        _private_file(Path(DATABASES["default"]["NAME"]))
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
INVITE_DAYS = int(os.environ.get("DOCKLINE_INVITE_DAYS", "7"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") in ("1", "true", "True")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "dockline@localhost")
EMAIL_TIMEOUT = 30
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

# Requests each API key may make per minute (dockline.api.ratelimit).
API_RATE_LIMIT_PER_MINUTE = int(os.environ.get("DOCKLINE_API_RATE_LIMIT", "600"))
RATE_LIMIT_STORAGE = os.environ.get("DOCKLINE_RATE_LIMIT_STORAGE", "memory://")
# Failed logins are counted where every process sees them: the database, or Redis when the
# platform rate limits live there (or DOCKLINE_LOGIN_THROTTLE_STORAGE=redis://... says so).
LOGIN_THROTTLE_STORAGE = os.environ.get("DOCKLINE_LOGIN_THROTTLE_STORAGE") or (
    RATE_LIMIT_STORAGE if RATE_LIMIT_STORAGE.startswith(("redis://", "rediss://")) else "database")

# Alerts and monitoring (docs/alerts.md). How often the scheduler evaluates alert policies and sends
# webhook deliveries; who may read /metrics (a bearer token, and/or client networks); JSON logs.
ALERTS_EVERY_SECONDS = float(os.environ.get("DOCKLINE_ALERTS_EVERY", "60"))
METRICS_TOKEN = os.environ.get("DOCKLINE_METRICS_TOKEN", "")
METRICS_NETWORKS = [n.strip() for n in os.environ.get("DOCKLINE_METRICS_NETWORKS", "").split(",") if n.strip()]
# Seconds since the scheduler's last tick after which /healthz answers 503.
SCHEDULER_STALE_SECONDS = float(os.environ.get("DOCKLINE_SCHEDULER_STALE", "120"))
if os.environ.get("DOCKLINE_LOG_FORMAT", "") == "json":
    LOGGING["formatters"]["json"] = {"()": "dockline.core.logs.JsonFormatter"}
    LOGGING["handlers"]["console"]["formatter"] = "json"
