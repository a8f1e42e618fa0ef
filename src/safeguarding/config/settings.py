"""Django settings: one module, behaviour switched by environment variables."""

from __future__ import annotations

import datetime as dt
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
# The demo on this machine over plain http (`make run` sets it): cookies without Secure, no HSTS, and
# `safeguarding totp` may print a demo account's current code. Never set it on a server others use.
LOCAL_DEMO = _env_bool("SAFEGUARDING_LOCAL_DEMO", False)
_PLAIN_HTTP = DEBUG or LOCAL_DEMO
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
# A refused form gets a page in the service's layout with the way back to it (issue 16).
CSRF_FAILURE_VIEW = "safeguarding.accounts.views.csrf_failure"
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "safeguarding.core",
    "safeguarding.accounts",
    "safeguarding.accounts.security",
    "safeguarding.audit",
    "safeguarding.people",
    "safeguarding.exchange",
    "safeguarding.linkage",
    "safeguarding.support",
    "safeguarding.frontdoor",
    "safeguarding.screening",
    "safeguarding.earlywarning",
    "safeguarding.contexts",
    "safeguarding.panel",
    "safeguarding.justice",
    "safeguarding.clocks",
    "safeguarding.mace",
    "safeguarding.notifications",
    "safeguarding.dataprotection",
    "django_q",
    "safeguarding.workflows",
    "safeguarding.insight",
    "safeguarding.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "safeguarding.core.middleware.StaticFilesMiddleware",  # WhiteNoise, and MoJ Frontend's images at /assets/
    "safeguarding.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After the user is known: its not-found page is the hub's own.
    "safeguarding.core.middleware.ControlCharactersMiddleware",
    "safeguarding.audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "safeguarding.accounts.middleware.SignInRequiredMiddleware",
    "safeguarding.accounts.middleware.PersonsHiddenOncePerRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
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
                "safeguarding.accounts.context_processors.hidden_persons",
                "safeguarding.accounts.context_processors.session_timeout",
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
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: the hub's queries are short and answered by indexes, and when the planner's
    # estimates are off (tables just loaded, statistics not yet gathered) JIT spent up to a second
    # compiling a query that runs in milliseconds (docs/decisions.md). Options in DATABASE_URL come after
    # this, so a deployment may set jit back on.
    pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    pg_options["options"] = " ".join(filter(None, ["-c jit=off", pg_options.get("options", "")]))

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
    # As long as the sign-in form accepts (200), wherever a password is set.
    {"NAME": "safeguarding.accounts.passwords.MaximumLengthValidator", "OPTIONS": {"max_length": 200}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # zxcvbn's estimate of how many guesses the password would take (3: at least 10^8).
    {"NAME": "safeguarding.accounts.passwords.StrengthValidator", "OPTIONS": {"min_score": 3}},
]

# Signing in: the password, then the second factor (docs/security.md). The first backend refuses
# a username or address that is locked out before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "safeguarding.accounts.single_sign_on.SingleSignOnBackend",
]
# Repeated failures lock the username, and separately the address, for a while. Failures while locked
# do not extend it, so the page's "for N minutes" stays true.
AXES_FAILURE_LIMIT = int(os.environ.get("SIGN_IN_FAILURE_LIMIT", "5"))
# An address is often a whole office's (a council's network, a proxy): it is locked only after this many
# failures against any usernames in the cool-off (accounts.lockout_handler), a username after the above.
SIGN_IN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("SIGN_IN_ADDRESS_FAILURE_LIMIT", "50"))
SIGN_IN_LOCKOUT_MINUTES = int(os.environ.get("SIGN_IN_LOCKOUT_MINUTES", "15"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=SIGN_IN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True  # the failures against the username that signed in only (the handler)
AXES_HANDLER = "safeguarding.accounts.lockout_handler.OwnFailuresClearedHandler"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "safeguarding.accounts.lockout.username_of"
AXES_CLIENT_IP_CALLABLE = "safeguarding.accounts.lockout.address_of"
AXES_LOCKOUT_CALLABLE = "safeguarding.accounts.views.locked_out"
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the audit trail
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False

# Two-factor authentication: an authenticator app (TOTP) and backup codes, through django-otp.
OTP_TOTP_ISSUER = "Safeguarding Hub"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Sessions end after 30 minutes without activity, when the browser closes, and in any case 10 hours
# after signing in; the sign-in page then says which.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", "1800"))
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("SESSION_ABSOLUTE_SECONDS", str(10 * 60 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
# The page warns this long before the session ends, with "Stay signed in" (GOV.UK timeout warning).
SESSION_TIMEOUT_WARNING_SECONDS = int(os.environ.get("SESSION_TIMEOUT_WARNING_SECONDS", "120"))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# Outside the development server and the local demo, cookies go only over HTTPS and browsers are told
# (HSTS) to use nothing else for a year. Django sends HSTS only on HTTPS requests.
SECURE_COOKIES = _env_bool("SECURE_COOKIES", not _PLAIN_HTTP)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if _PLAIN_HTTP else str(365 * 24 * 60 * 60)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", False)
if _env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The address of the reverse proxy in front of `safeguarding serve`, if any (e.g. 127.0.0.1): a request from
# it is taken to come from the address its X-Forwarded-For names, so that sign-in lockout and the audit
# trail see each user's own address, not the proxy's. Requests from anywhere else keep their own address,
# and any X-Forwarded-* they carry is dropped.
TRUSTED_PROXY = os.environ.get("TRUSTED_PROXY", "").strip()

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True
DATE_FORMAT = "j F Y"
# GOV.UK dates wherever a value is shown with no format of its own (issue 16): en-GB's own formats
# ("11 Jul 2012, 2:30 p.m.") would otherwise win over DATE_FORMAT.
FORMAT_MODULE_PATH = ["safeguarding.core.formats"]
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
    ("cytoscape", FRONTEND_DIR / "cytoscape" / "dist"),
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
# MoJ Frontend's stylesheet asks for its images at /assets/images/ too (core.middleware.StaticFilesMiddleware).
_MOJ_IMAGES = FRONTEND_DIR / "@ministryofjustice" / "frontend" / "moj" / "assets" / "images"
HUB_ROOT_ASSETS = [(_MOJ_IMAGES, "assets/images")] if _MOJ_IMAGES.exists() else []

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_in_one_line": {"()": "safeguarding.core.logs.ClientErrorsInOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # django-axes warns of every failed sign-in; the audit trail already records each one.
    # A page refused (403) or not found (404) is one line, not a traceback (core.logs).
    "loggers": {"axes": {"level": "ERROR"}, "django.request": {"filters": ["client_errors_in_one_line"]}},
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
# How old a health record of a child on a plan may be and still be told to those working with them
# (an extract can arrive weeks late; older ones are on the child's record, not news).
HEALTH_NOTICE_DAYS = int(os.environ.get("HEALTH_NOTICE_DAYS", "28"))
NRM_CONCLUSIVE_TARGET_DAYS = int(os.environ.get("NRM_CONCLUSIVE_TARGET_DAYS", "45"))

# The partnership's name, shown in the header.
PARTNERSHIP_NAME = os.environ.get("PARTNERSHIP_NAME", "Eastwood Safeguarding Children Partnership")

# What one imported extract may expand to (README, "Importing an agency's extract"). A nightly
# county extract is 1-2 GB of CSV and zips to a third or a tenth of that; these leave room for
# growth and refuse, with the limit named, what only a mistake or an attack produces.
IMPORT_MAX_EXTRACT_BYTES = int(os.environ.get("IMPORT_MAX_EXTRACT_BYTES", str(10 * 1024**3)))  # all files, unzipped
IMPORT_MAX_COMPRESSION_RATIO = float(os.environ.get("IMPORT_MAX_COMPRESSION_RATIO", "100"))  # unzipped / zipped
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "50000000"))  # rows in all files together
IMPORT_MAX_BLANK_LINES = int(os.environ.get("IMPORT_MAX_BLANK_LINES", "10000"))  # in a row, before a file is refused
# Processes that validate a large file's rows while the importer reads on (0: validate in the importer alone).
IMPORT_WORKERS = int(os.environ.get("IMPORT_WORKERS", str(min(os.cpu_count() or 1, 4))))


# Single sign-on through OpenID Connect, one block of variables per provider (docs/security.md):
# SSO_PROVIDERS=entra,other and SSO_ENTRA_CLIENT_ID, SSO_ENTRA_GROUPS, ... Read by accounts.single_sign_on.
_SSO_FIELDS = (
    "name", "client_id", "client_secret", "authorization_endpoint", "token_endpoint", "userinfo_endpoint",
    "jwks_endpoint", "issuer", "sign_algo", "scopes", "groups_claim", "groups", "mfa_amr",
)  # fmt: skip
SSO_PROVIDERS: dict[str, dict[str, str]] = {
    _key: {f: os.environ[f"SSO_{_key.upper()}_{f.upper()}"] for f in _SSO_FIELDS if f"SSO_{_key.upper()}_{f.upper()}" in os.environ}
    for _key in (p.strip().lower() for p in os.environ.get("SSO_PROVIDERS", "").split(",") if p.strip())
}

# Lists (issue 16): rows on each page of a list, and the most rows a list may be downloaded with as
# CSV at once (narrow its filters for more).
LIST_PAGE_SIZE = int(os.environ.get("LIST_PAGE_SIZE", "50"))
LIST_DOWNLOAD_MAX_ROWS = int(os.environ.get("LIST_DOWNLOAD_MAX_ROWS", "50000"))
