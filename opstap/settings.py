"""Opstap settings: everything that differs between machines comes from the environment.

`OPSTAP_ENV=production` turns on the strict mode: no generated secrets, secure cookies,
DEBUG off. Development generates its secrets once under `var/` so that `make run` needs
nothing but Python.
"""

from __future__ import annotations

import datetime
import os
import secrets
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OPSTAP_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_str(name: str, default: str | None = None) -> str | None:
    """A setting from the environment, or from the file named by NAME_FILE (docker secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


OPSTAP_ENV = os.environ.get("OPSTAP_ENV", "development")
if OPSTAP_ENV not in {"production", "development"}:
    raise ImproperlyConfigured(f"OPSTAP_ENV must be production or development, not {OPSTAP_ENV!r}")
PRODUCTION = OPSTAP_ENV == "production"


def development_secret(name: str, make: callable) -> str:  # type: ignore[valid-type]
    """A secret from the environment; in development, one generated once under var/."""
    value = env_str(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set in production (or {name}_FILE).")
    path = VAR_DIR / name.lower()
    if not path.exists():
        path.write_text(make(), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = development_secret("SECRET_KEY", lambda: secrets.token_urlsafe(50))
# Field encryption keys, newest first: new values use the first, old values stay readable
# until `opstap rotatekeys` re-encrypts them.
FIELD_ENCRYPTION_KEYS = env_list(
    "OPSTAP_FIELD_KEYS",
    [development_secret("OPSTAP_FIELD_KEYS", lambda: Fernet.generate_key().decode())],
)
# The key for the keyed hash of national numbers (exact lookup without decrypting).
LOOKUP_HASH_KEY = development_secret("OPSTAP_HASH_KEY", lambda: secrets.token_urlsafe(32))

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # First, so Opstap's registration templates win over the admin's look-alikes.
    "opstap.core",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "simple_history",
    "opstap.clients",
    "opstap.journeys",
    "opstap.activities",
    "opstap.coaching",
    "opstap.referrals",
    "opstap.reporting",
    "opstap.imports",
    "opstap.lending",
    "opstap.plans",
    "opstap.privacy",
    "opstap.demo",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "opstap.core.security_headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "opstap.core.middleware.ActiveOrganisationMiddleware",
    "opstap.core.signin.SignInPolicyMiddleware",
    "opstap.core.access_log.FileAccessMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout raised while signing in into our page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "opstap.urls"
WSGI_APPLICATION = "opstap.wsgi.application"

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
                "opstap.core.context_processors.opstap",
            ],
            "builtins": ["opstap.core.templatetags.opstap_format"],
        },
    },
]

# The embedded default is SQLite under var/; DATABASE_URL selects PostgreSQL in production.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "opstap.sqlite3",
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait
                # (busy timeout) instead of failing halfway through a transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "opstap.core.signin.EmailBackend",
]

# Signing in (docs/security.md, "Signing in").
# Failed attempts per account and, separately, per network address before a lockout.
AXES_FAILURE_LIMIT = env_int("OPSTAP_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("OPSTAP_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "opstap.core.signin.lockout_username"
AXES_LOCKOUT_CALLABLE = "opstap.core.signin.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Behind a reverse proxy, the client's address comes from X-Forwarded-For (one proxy).
AXES_IPWARE_PROXY_COUNT = env_int("OPSTAP_PROXY_COUNT", 0) or None
# Password-reset e-mails per hour, per address and per network address.
OPSTAP_RESET_LIMIT = env_int("OPSTAP_RESET_LIMIT", 5)
# A second factor for every member whose roles open client files; the demo logins' domain
# may be exempted for a local demo (`make run` does), never on a real server.
OPSTAP_MFA_REQUIRED = env_bool("OPSTAP_MFA_REQUIRED", True)
OPSTAP_MFA_EXEMPT_DOMAINS = [d.lower() for d in env_list("OPSTAP_MFA_EXEMPT_DOMAINS", [])]
OTP_TOTP_ISSUER = "Opstap"
# Minutes without a request before the session ends (a warning comes two minutes before).
OPSTAP_IDLE_MINUTES = env_int("OPSTAP_IDLE_MINUTES", 30)
# How long a confirmation of one's password lasts for the most sensitive actions.
OPSTAP_REAUTH_MINUTES = env_int("OPSTAP_REAUTH_MINUTES", 10)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "opstap" / "locale"]
FORMAT_MODULE_PATH = ["opstap.formats"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    # Client documents live outside the web root and are only served through an
    # access-checked view; nothing under PRIVATE_MEDIA_ROOT has a public URL.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(Path(env_str("OPSTAP_DOCUMENTS_DIR") or VAR_DIR / "documents")),
            "base_url": None,
        },
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
DOCUMENT_MAX_BYTES = env_int("OPSTAP_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "opstap@localhost")

SESSION_COOKIE_AGE = env_int("OPSTAP_SESSION_SECONDS", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The browser may load only Opstap's own files: no inline script or style, no eval, no
# frames, no plugins, forms post only here. docs/security.md says how to add a script or a
# style without breaking it; tests/browser fails on any violation the browser reports.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
        "form-action": [CSP_SELF],
        "base-uri": [CSP_NONE],
        "object-src": [CSP_NONE],
    },
}
# Set by opstap.core.security_headers (Django has no setting for these two). Each browser
# feature maps to the origins allowed to use it: none for everything Opstap never needs.
# Passkeys (publickey-credentials-*) keep the browser's default, this origin only.
CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

CLIENTS_PER_PAGE = 25

# Background tasks (the close of business) through the Django tasks API. The database
# backend needs no extra service: `opstap db_worker` runs them. To run them in-process
# instead: OPSTAP_TASKS_BACKEND=django_tasks.backends.immediate.ImmediateBackend.
TASKS = {
    "default": {
        "BACKEND": env_str("OPSTAP_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}


# CSV downloads in the reader's spreadsheet dialect, per language (opstap/core/csv_export.py,
# docs/exports.md): Dutch and French Excel split on ";", read "1234,50" as a number and need a
# UTF-8 byte-order mark. Per language from the environment, e.g. OPSTAP_CSV_DELIMITER_NL=","
# (or "tab"), OPSTAP_CSV_BOM_NL=false, OPSTAP_CSV_DECIMAL_NL=".".
def env_csv_dialect(code: str, delimiter: str, bom: bool, decimal: str) -> dict[str, object]:
    name = code.upper()
    delimiter = env_str(f"OPSTAP_CSV_DELIMITER_{name}") or delimiter
    delimiter = "\t" if delimiter.lower() == "tab" else delimiter
    decimal = env_str(f"OPSTAP_CSV_DECIMAL_{name}") or decimal
    if len(delimiter) != 1 or delimiter in '"\r\n' or decimal not in {",", "."}:
        raise ImproperlyConfigured(
            f"OPSTAP_CSV_DELIMITER_{name} must be one character (or tab) and "
            f"OPSTAP_CSV_DECIMAL_{name} a comma or a dot, not {delimiter!r} and {decimal!r}"
        )
    if delimiter == decimal:
        raise ImproperlyConfigured(
            f"OPSTAP_CSV_DELIMITER_{name} and OPSTAP_CSV_DECIMAL_{name} must differ"
        )
    return {
        "delimiter": delimiter,
        "bom": env_bool(f"OPSTAP_CSV_BOM_{name}", bom),
        "decimal": decimal,
    }


OPSTAP_CSV_DIALECT = {
    "nl": env_csv_dialect("nl", delimiter=";", bom=True, decimal=","),
    "fr": env_csv_dialect("fr", delimiter=";", bom=True, decimal=","),
    "en": env_csv_dialect("en", delimiter=",", bom=False, decimal="."),
}
