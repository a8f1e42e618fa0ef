"""Django settings: one module, behaviour switched by environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
DATA_DIR = Path(os.environ.get("SAFEGUARDING_DATA_DIR", PROJECT_DIR / "data"))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Use SECRET_KEY from the environment; otherwise keep one generated key in the data folder."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "safeguarding.core",
    "safeguarding.accounts",
    "safeguarding.audit",
    "safeguarding.people",
    "safeguarding.exchange",
    "safeguarding.linkage",
    "safeguarding.frontdoor",
    "safeguarding.screening",
    "safeguarding.earlywarning",
    "safeguarding.panel",
    "safeguarding.clocks",
    "safeguarding.mace",
    "safeguarding.notifications",
    "safeguarding.dataprotection",
    "django_q",
    "safeguarding.workflows",
    "safeguarding.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "safeguarding.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "safeguarding.audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "safeguarding.accounts.middleware.SignInRequiredMiddleware",
]

ROOT_URLCONF = "safeguarding.config.urls"
WSGI_APPLICATION = "safeguarding.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "safeguarding.accounts.context_processors.navigation",
            ],
        },
    },
]
FORM_RENDERER = "safeguarding.core.forms.GovukFormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'safeguarding.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets pages read while an import writes; IMMEDIATE transactions take the write lock at
    # BEGIN, so two writers queue instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:sign-in"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions end after 30 minutes without activity, and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", "1800"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_COOKIES = _env_bool("SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", False)
if _env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
FRONTEND_DIR = Path(os.environ.get("FRONTEND_NODE_MODULES", PROJECT_DIR / "node_modules"))
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
for _prefix, _path in (
    ("govuk", FRONTEND_DIR / "govuk-frontend" / "dist" / "govuk"),
    ("moj", FRONTEND_DIR / "@ministryofjustice" / "frontend" / "moj"),
    ("htmx", FRONTEND_DIR / "htmx.org" / "dist"),
):
    if _path.exists():
        STATICFILES_DIRS.append((_prefix, _path))  # type: ignore[arg-type]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
# GOV.UK Frontend's stylesheet asks for its fonts and images at /assets/.
_GOVUK_DIST = FRONTEND_DIR / "govuk-frontend" / "dist" / "govuk"
WHITENOISE_ROOT = _GOVUK_DIST if _GOVUK_DIST.exists() else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Record linkage: pairs at or above the upper threshold link automatically; pairs from the lower
# threshold up to it go to a person for review.
LINKAGE_LOWER_THRESHOLD = float(os.environ.get("LINKAGE_LOWER_THRESHOLD", "0.80"))
LINKAGE_UPPER_THRESHOLD = float(os.environ.get("LINKAGE_UPPER_THRESHOLD", "0.95"))
# Where `safeguarding link` keeps the scored pairs between runs, so that a run compares only the records
# that changed (a cache holding personal data: keep it on the hub's own disk, like the database).
LINKAGE_STORE_DIR = Path(os.environ.get("LINKAGE_STORE_DIR", DATA_DIR / "linkage"))
# `safeguarding link --engine spark`: local mode by default, or a cluster's master URL.
LINKAGE_SPARK_MASTER = os.environ.get("SPARK_MASTER", "local[2]")

# Long work started from a page (testing a rule against history) and scheduled work (clocks,
# reminders, escalations, the scan after an import) run in the background worker, a process of its
# own (`safeguarding worker`, Django-Q2 with its queue in the hub's database); "inline" runs a job at
# once where it is started (the tests), "thread" on a thread of the web server (browser tests, whose
# database another process cannot open).
HUB_BACKGROUND_JOBS = os.environ.get("HUB_BACKGROUND_JOBS", "queue")
Q_CLUSTER = {
    "name": "safeguarding",
    "orm": "default",  # the queue is a table in the hub's own database: nothing else to run
    "workers": int(os.environ.get("WORKER_PROCESSES", "1")),  # a small server: one job at a time
    "timeout": int(os.environ.get("WORKER_JOB_TIMEOUT", "1800")),  # a test against history at 5M events: ~1 min
    "retry": int(os.environ.get("WORKER_RETRY_SECONDS", "2400")),  # a failed job is tried again after this
    "max_attempts": int(os.environ.get("WORKER_MAX_ATTEMPTS", "3")),
    "ack_failures": False,  # a job that fails stays on the queue to be retried, then is kept as failed
    "save_limit": 500,
    "catch_up": False,  # a schedule missed while the worker was stopped runs once, not once per miss
    "poll": 2,
    "label": "Background jobs",
}

# E-mail: printed to the console unless an SMTP server is configured.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "safeguarding-hub@localhost")
# The hub's address as users reach it, for the links in e-mails.
HUB_BASE_URL = os.environ.get("HUB_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# The partnership's settings for the panel, plans and statutory clocks (DOMAIN.md, workflow).
PANEL_REVIEW_WEEKS = int(os.environ.get("PANEL_REVIEW_WEEKS", "12"))
ACTION_REMINDER_WORKING_DAYS = int(os.environ.get("ACTION_REMINDER_WORKING_DAYS", "2"))
# Overdue actions and clocks go to the owner's agency safeguarding manager at once, and to the
# strategic group (partnership managers) once this many working days overdue.
ESCALATE_TO_STRATEGIC_WORKING_DAYS = int(os.environ.get("ESCALATE_TO_STRATEGIC_WORKING_DAYS", "5"))
# Overdue clocks are chased (escalated, on work lists) while due within this many days; older ones
# stay in the record and the figures.
CLOCK_CHASE_DAYS = int(os.environ.get("CLOCK_CHASE_DAYS", "28"))
NRM_CONCLUSIVE_TARGET_DAYS = int(os.environ.get("NRM_CONCLUSIVE_TARGET_DAYS", "45"))

# The partnership's name, shown in the header.
PARTNERSHIP_NAME = os.environ.get("PARTNERSHIP_NAME", "Eastwood Safeguarding Children Partnership")
