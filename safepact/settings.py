"""SafePact settings: one file, driven by the environment.

Safe defaults for a local demo (SQLite under ``var/``, DEBUG on, console email); with
``SAFEPACT_ENV=production`` the process refuses to start with an unsafe value.
See docs/configuration.md for every variable.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from safepact.lib.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SAFEPACT_VAR_DIR", str(BASE_DIR / "var")))

SAFEPACT_ENV = env_str("SAFEPACT_ENV", "development")
PRODUCTION = SAFEPACT_ENV == "production"
if SAFEPACT_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured("SAFEPACT_ENV must be development, production or test")

_DEV_SECRET = "django-insecure-safepact-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET)
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

if PRODUCTION:
    _problems = []
    if DEBUG:
        _problems.append("DEBUG is on")
    if SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50:
        _problems.append("SECRET_KEY is the development default or shorter than 50 characters")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        _problems.append("ALLOWED_HOSTS is empty or contains '*'")
    if _problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(_problems) + ".")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_countries",
    "django_htmx",
    "js_lib_htmx",
    "axes",
    "ninja",
    "safepact.lib",
    "safepact.accounts",
    "safepact.audit",
    "safepact.partnerships",
    "safepact.formation",
    "safepact.agreements",
    "safepact.notifications",
    "safepact.meetings",
    "safepact.continuity",
    "safepact.exchange",
    "safepact.registry",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "safepact.accounts.middleware.UserLanguageMiddleware",
    "safepact.audit.context.AuditContextMiddleware",
    "safepact.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "safepact.urls"
WSGI_APPLICATION = "safepact.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "safepact" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite under var/ by default, DATABASE_URL for PostgreSQL.
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "safepact.sqlite3")),
            # IMMEDIATE transactions serialise writers up front, so the audit chain
            # never forks and concurrent writers wait instead of failing.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
            # Kept between requests in production (opening the file and its WAL costs a request some
            # 2 ms); not by the development server, which starts a thread per request.
            "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60 if PRODUCTION else 0),
            "CONN_HEALTH_CHECKS": True,
            # Tests use a file as well (one per process), not the in-memory shared-cache database:
            # that one answers a second writer with "database table is locked" instead of waiting.
            "TEST": {"NAME": env_str("SQLITE_TEST_PATH", str(VAR_DIR / f"test-{os.getpid()}.sqlite3"))},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "partnerships:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Two-factor authentication: required for coordinators and law-enforcement officers.
# Always on in production; off by default in the local demo so a newcomer can log in at once.
SAFEPACT_REQUIRE_2FA = True if PRODUCTION else env_bool("SAFEPACT_REQUIRE_2FA", default=False)
OTP_TOTP_ISSUER = "SafePact"
# Re-authentication ("sudo") window for sensitive actions.
SAFEPACT_SUDO_SECONDS = env_int("SAFEPACT_SUDO_SECONDS", 600)
SAFEPACT_INVITATION_DAYS = env_int("SAFEPACT_INVITATION_DAYS", 14)

# Login rate limiting (django-axes): lock an email+IP pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "safepact.accounts.views.lockout"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False
# Reverse proxies in front of SafePact that append to X-Forwarded-For (0: none, use REMOTE_ADDR).
SAFEPACT_TRUSTED_PROXY_COUNT = env_int("SAFEPACT_TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "safepact.lib.client_ip.client_ip"

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 10)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=PRODUCTION)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Email: console backend by default, SMTP by settings.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "SafePact <noreply@safepact.invalid>")

# Internationalisation: English and Dutch, every string translatable.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "safepact" / "locale"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "Europe/Brussels")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "safepact" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500
# Bounds the SQL OFFSET: a huge one would overflow the database integer and answer 500.
NINJA_PAGINATION_MAX_OFFSET = 1_000_000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Test-only apps (a TLP-labelled demo model): installed under pytest, never in production use.
if "pytest" in sys.modules or env_bool("SAFEPACT_TEST_APPS"):
    INSTALLED_APPS.append("safepact.lib.tests.tlpdemo")

# Agreements: the folder of agreement templates (data files, one per type and language; a deployment may
# point this at its own copy). Notice periods for reminders are per-partnership agreement settings.
SAFEPACT_AGREEMENT_TEMPLATES_DIR = env_str(
    "SAFEPACT_AGREEMENT_TEMPLATES_DIR", str(BASE_DIR / "safepact" / "agreements" / "agreement_templates")
)

# Background work: django-tasks with the database backend (no broker). ``manage.py worker`` runs the
# periodic jobs when they are due and the queued tasks; see docs/operations.md.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
#: Periodic jobs (name -> local time of day). A deployment may move them (``SAFEPACT_SCHEDULE_<NAME>``,
#: e.g. ``SAFEPACT_SCHEDULE_DIGEST=07:30``).
SAFEPACT_SCHEDULE = {
    "notifications.digest": env_str("SAFEPACT_SCHEDULE_DIGEST", "07:00"),
    "continuity.daily": env_str("SAFEPACT_SCHEDULE_CONTINUITY", "06:00"),
    "formation.reminders": env_str("SAFEPACT_SCHEDULE_FORMATION", "06:10"),
    "agreements.reminders": env_str("SAFEPACT_SCHEDULE_AGREEMENTS", "06:20"),
    "exchange.daily": env_str("SAFEPACT_SCHEDULE_EXCHANGE", "06:30"),
    "registry.daily": env_str("SAFEPACT_SCHEDULE_REGISTRY", "06:40"),
}

# Information exchange. Retention per kind of item, in days: (floor, ceiling); a partnership chooses within
# them. The largest upload a partnership may allow, in MB. The Five Safes question sets (data files).
SAFEPACT_EXCHANGE_RETENTION = {
    "post": (env_int("SAFEPACT_RETENTION_POST_MIN", 30), env_int("SAFEPACT_RETENTION_POST_MAX", 3650)),
    "document": (
        env_int("SAFEPACT_RETENTION_DOCUMENT_MIN", 90),
        env_int("SAFEPACT_RETENTION_DOCUMENT_MAX", 3650),
    ),
    "request": (
        env_int("SAFEPACT_RETENTION_REQUEST_MIN", 30),
        env_int("SAFEPACT_RETENTION_REQUEST_MAX", 1825),
    ),
}
SAFEPACT_EXCHANGE_MAX_UPLOAD_MB = env_int("SAFEPACT_EXCHANGE_MAX_UPLOAD_MB", 100)
SAFEPACT_FIVE_SAFES_DIR = env_str(
    "SAFEPACT_FIVE_SAFES_DIR", str(BASE_DIR / "safepact" / "exchange" / "five_safes")
)

#: Jobs that run every so many minutes rather than once a day (name -> minutes).
SAFEPACT_INTERVALS = {
    "registry.escalate": env_int("SAFEPACT_INTERVAL_REGISTRY_ESCALATE", 10),
}

# Registry of stolen objects (docs/registry.md).
#: Checks per person and per organisation per minute (single checks, form and API), and identifiers per
#: organisation per day in batch checks.
SAFEPACT_REGISTRY_RATE_LIMITS = {
    "user_per_minute": env_int("SAFEPACT_REGISTRY_CHECKS_PER_USER_MINUTE", 60),
    "organisation_per_minute": env_int("SAFEPACT_REGISTRY_CHECKS_PER_ORGANISATION_MINUTE", 600),
    "batch_rows_per_day": env_int("SAFEPACT_REGISTRY_BATCH_ROWS_PER_DAY", 2_000_000),
}
#: A batch file: at most this many rows and megabytes.
SAFEPACT_REGISTRY_BATCH_MAX_ROWS = env_int("SAFEPACT_REGISTRY_BATCH_MAX_ROWS", 1_000_000)
SAFEPACT_REGISTRY_BATCH_MAX_MB = env_int("SAFEPACT_REGISTRY_BATCH_MAX_MB", 100)
#: The check log's retention (days): a partnership chooses within (floor, ceiling).
SAFEPACT_REGISTRY_RETENTION = (
    env_int("SAFEPACT_REGISTRY_RETENTION_MIN", 30),
    env_int("SAFEPACT_REGISTRY_RETENTION_MAX", 365),
)
#: Import files: at most this many megabytes.
SAFEPACT_REGISTRY_IMPORT_MAX_MB = env_int("SAFEPACT_REGISTRY_IMPORT_MAX_MB", 200)
