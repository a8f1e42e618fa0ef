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


def _audit_chain_key() -> str:
    """The key of the audit trail's chain (an HMAC over each row): from AUDIT_CHAIN_KEY, or the file
    AUDIT_CHAIN_KEY_FILE names (by default one generated in the data folder). Keep it outside the
    database, ideally on other storage: whoever can write to the database cannot then rewrite the
    trail and make it verify."""
    if key := os.environ.get("AUDIT_CHAIN_KEY"):
        return key
    key_file = Path(os.environ.get("AUDIT_CHAIN_KEY_FILE", DATA_DIR / "audit-chain.key"))
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


AUDIT_CHAIN_KEY = _audit_chain_key()
# Where `safeguarding audit anchor` appends the chain's latest head (one JSON line each time), for
# `audit verify` to check the trail against: a rewrite of the whole trail, key and all, no longer
# matches the heads written before it. Keep it on other storage than the database (or ship its lines
# to a log store) and run the anchor on a schedule.
AUDIT_ANCHOR_FILE = Path(os.environ.get("AUDIT_ANCHOR_FILE", DATA_DIR / "audit-anchors.jsonl"))
# Besides the scheduled `audit anchor`, the hub anchors by itself every this many rows (0: never).
AUDIT_ANCHOR_EVERY = int(os.environ.get("AUDIT_ANCHOR_EVERY", "1000"))
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
    "safeguarding.support",
    "safeguarding.frontdoor",
    "safeguarding.screening",
    "safeguarding.earlywarning",
    "safeguarding.panel",
    "safeguarding.dataprotection",
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
# At most this many uncertain pairs wait for people after a run, besides every pair that involves a child
# the partnership is working with (an alert, a concern, a plan, a panel referral): the rest of the review
# band is left to the model (kept apart), the likeliest matches queued first.
LINKAGE_REVIEW_LIMIT = int(os.environ.get("LINKAGE_REVIEW_LIMIT", "2000"))
# `safeguarding link --engine spark`: local mode by default, or a cluster's master URL
# (spark://host:7077, yarn, k8s://...); the hub is the driver (README, "On a partnership's Spark cluster").
LINKAGE_SPARK_MASTER = os.environ.get("SPARK_MASTER", "local[2]")
# The driver's memory (the hub's process: it sends the records and collects the scored pairs), and the
# partitions Spark splits the pairs into (a few per core the cluster gives the run).
LINKAGE_SPARK_DRIVER_MEMORY = os.environ.get("SPARK_DRIVER_MEMORY", "4g")
LINKAGE_SPARK_PARTITIONS = int(os.environ.get("LINKAGE_SPARK_PARTITIONS", "8"))

# Long work started from a page (testing a rule against history) runs on a background thread of
# the web server, one job at a time, and the page shows its progress; "inline" runs it in the request.
HUB_BACKGROUND_JOBS = os.environ.get("HUB_BACKGROUND_JOBS", "thread")

# The partnership's name, shown in the header.
PARTNERSHIP_NAME = os.environ.get("PARTNERSHIP_NAME", "Eastwood Safeguarding Children Partnership")

# What one imported extract may expand to (README, "Importing an agency's extract"). A nightly
# county extract is 1-2 GB of CSV and zips to a third or a tenth of that; these leave room for
# growth and refuse, with the limit named, what only a mistake or an attack produces.
IMPORT_MAX_EXTRACT_BYTES = int(os.environ.get("IMPORT_MAX_EXTRACT_BYTES", str(10 * 1024**3)))  # all files, unzipped
IMPORT_MAX_COMPRESSION_RATIO = float(os.environ.get("IMPORT_MAX_COMPRESSION_RATIO", "100"))  # unzipped / zipped
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "50000000"))  # rows in all files together
IMPORT_MAX_BLANK_LINES = int(os.environ.get("IMPORT_MAX_BLANK_LINES", "10000"))  # in a row, before a file is refused
