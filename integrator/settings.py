"""Django settings, read from the environment (see ``integrator.env`` and the README).

Without any environment the platform runs on its embedded default: SQLite under ``var/``, a Celery
broker on the local file system, local file storage, e-mails written as files. ``DATABASE_URL`` and
``REDIS_URL`` switch it to PostgreSQL and Redis, the production shape.
"""

import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from integrator.env import env_bool, env_choice, env_int, env_list, env_networks, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key is not None:
        if len(key) < 32:
            raise ImproperlyConfigured("SECRET_KEY is shorter than 32 characters.")
        return key
    # Embedded default: one random key per checkout, kept in var/ so sessions survive a restart.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
if SESSION_COOKIE_SECURE:
    # Behind HTTPS: browsers are told to come only over HTTPS, and the TLS-terminating proxy's
    # X-Forwarded-Proto says a request came over it (the proxy must set it, overwriting the client's).
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=60)  # seconds a login lasts
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tenants",
    "schematron",
    "directory",
    "invoices",
    "envelopes",
    "exports",
    "delivery",
    "earsiv",
    "signing",
    "archive",
    "pipeline",
    "reports",
    "uploads",
    "designs",
    "demo",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "integrator.middleware.PortalLanguageMiddleware",
    "integrator.middleware.ApiMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tenants.audit.AuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "integrator.middleware.ContentSecurityPolicyMiddleware",
    "integrator.middleware.TwoFactorRequiredMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it turns a locked-out login into the lockout page
]

ROOT_URLCONF = "integrator.urls"
WSGI_APPLICATION = "integrator.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

# --- Database ---------------------------------------------------------------------------------
_database_url = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'integrator.sqlite3'}")
try:
    _database = dj_database_url.parse(_database_url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0))
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from None
if _database["ENGINE"] not in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
    raise ImproperlyConfigured("DATABASE_URL must name PostgreSQL (postgres://) or SQLite (sqlite://).")
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take SQLite's write lock at BEGIN: writers queue, as row locks make
    # them do on PostgreSQL. The test database is a file too, so threads in tests really contend; one
    # per test run (by process), so two runs side by side do not share it.
    _database["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 30, "init_command": "PRAGMA journal_mode=WAL;"}
    _database["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker (Celery) --------------------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", ("redis", "rediss"))
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60)}
else:
    # A broker that needs no server: kombu's filesystem transport, one folder shared by all processes.
    (BROKER_DIR / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://localhost/"  # the host names nothing; without one kombu warns at every start
    CELERY_BROKER_TRANSPORT = "integrator.broker:Transport"  # kombu's, each message written whole (integrator.broker)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # kombu sleeps this long whenever the worker's prefetch is full, not only when the folder is
        # empty: at its default of 1 s a worker takes at most concurrency × prefetch tasks a second.
        "polling_interval": 0.1,
    }
# A queue per stage of the way, so that a backlog in one (a burst to validate) never keeps the
# others (packing, sending, polling) waiting behind it: a worker takes from all of them in turn,
# unless started for some only (`celery worker -Q validate,seal`); everything else goes to "celery".
CELERY_TASK_QUEUES = [Queue(name) for name in ("celery", "validate", "seal", "envelopes", "polls")]
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "pipeline.tasks.invoice_validate": {"queue": "validate"},
    "pipeline.tasks.invoice_seal": {"queue": "seal"},
    "pipeline.tasks.envelopes_pack": {"queue": "envelopes"},
    "pipeline.tasks.envelope_send": {"queue": "envelopes"},
    "pipeline.tasks.system_response_send": {"queue": "envelopes"},
    "pipeline.tasks.envelopes_poll": {"queue": "polls"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    "userlist-refresh": {"task": "envelopes.tasks.userlist_refresh", "schedule": crontab(minute=20, hour="*/6")},
}
CELERY_TIMEZONE = "Europe/Istanbul"

# --- Cache: Redis when there is one, otherwise in-process -------------------------------------
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -------------------------------------------------------------------------------------
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 10, minimum=8)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "login"
# An owner's invitation link (/invite/<token>/) can be used for this many days.
INVITATION_DAYS = env_int("INVITATION_DAYS", 7, minimum=1)
# Axes counts failed logins in the database (AccessAttempt, AccessFailureLog): LOGIN_FAILURES_ALLOWED
# wrong passwords for one username, or from one address, lock it for LOGIN_LOCKOUT_MINUTES, counted
# from the last failure before the lock (failures while locked do not prolong it). The address is
# read as for GİB's pushes: X-Forwarded-For only from GIB_PUSH_TRUSTED_PROXIES.
AUTHENTICATION_BACKENDS = ["accounts.backends.LoginAttemptsBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_FAILURES_ALLOWED = env_int("LOGIN_FAILURES_ALLOWED", 20, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
AXES_FAILURE_LIMIT = LOGIN_FAILURES_ALLOWED
AXES_COOLOFF_TIME = dt.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # successful logins are the audit log's; axes keeps the failures
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # one AccessFailureLog row per wrong password, beside the counting AccessAttempt
# Two-factor (django-otp's TOTP): the issuer name authenticator apps show beside the account.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "e-Fatura")

# --- Language and time: Turkish first, UTC stored, Istanbul shown -----------------------------
LANGUAGE_CODE = "tr"
LANGUAGES = [("tr", _("Turkish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Istanbul"
USE_I18N = True
USE_TZ = True

# --- Files ------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- The archive: every document, written once, kept ten years ---------------------------------
# The embedded default keeps files under ARCHIVE_DIR; production names an S3 bucket with versioning
# and Object Lock (AWS, MinIO, Ceph RGW alike: the endpoint says which; the primary copy stays in Türkiye).
ARCHIVE_STORE = env_str("ARCHIVE_STORE", "file")
if ARCHIVE_STORE not in ("file", "s3"):
    raise ImproperlyConfigured(f"ARCHIVE_STORE={ARCHIVE_STORE!r}: give file or s3.")
ARCHIVE_DIR = Path(env_str("ARCHIVE_DIR", str(VAR_DIR / "archive")))
ARCHIVE_S3_BUCKET = env_str("ARCHIVE_S3_BUCKET", "")
ARCHIVE_S3_ENDPOINT_URL = env_str("ARCHIVE_S3_ENDPOINT_URL", "")
ARCHIVE_S3_REGION = env_str("ARCHIVE_S3_REGION", "eu-central-1")
ARCHIVE_S3_ACCESS_KEY_ID = env_str("ARCHIVE_S3_ACCESS_KEY_ID", "")
ARCHIVE_S3_SECRET_ACCESS_KEY = env_str("ARCHIVE_S3_SECRET_ACCESS_KEY", "")
if ARCHIVE_STORE == "s3" and not ARCHIVE_S3_BUCKET:
    raise ImproperlyConfigured("ARCHIVE_STORE=s3 needs ARCHIVE_S3_BUCKET.")
ARCHIVE_WRITES_AT_ONCE = env_int("ARCHIVE_WRITES_AT_ONCE", 8, minimum=1)  # objects a worker writes at once (archive.services.Writes)
ARCHIVE_RETENTION_YEARS = env_int("ARCHIVE_RETENTION_YEARS", 10, minimum=10)  # TTK: 10 (VUK: 5)
# A period's export (a ZIP of its documents and their index) is kept this long for its download; the
# documents inside stay archived. On the file store the ZIPs live under EXPORT_DIR; in a bucket under handover/.
EXPORT_DIR = Path(env_str("EXPORT_DIR", str(VAR_DIR / "exports")))
EXPORT_KEEP_DAYS = env_int("EXPORT_KEEP_DAYS", 7, minimum=1)
CELERY_BEAT_SCHEDULE["archive-verify-sample"] = {"task": "archive.tasks.archive_verify_sample", "schedule": crontab(minute=40, hour=3)}
CELERY_BEAT_SCHEDULE["archive-verify-full"] = {"task": "archive.tasks.archive_verify_full", "schedule": crontab(minute=10, hour=2, day_of_week="sun")}
CELERY_BEAT_SCHEDULE["exports-sweep"] = {"task": "exports.tasks.exports_sweep", "schedule": 60.0}
# A bulk upload whose run shows no progress for this long (its worker died) is run again by beat's sweeper.
UPLOAD_STALE_SECONDS = env_int("UPLOAD_STALE_SECONDS", 300, minimum=1)
CELERY_BEAT_SCHEDULE["uploads-sweep"] = {"task": "uploads.tasks.uploads_sweep", "schedule": float(min(UPLOAD_STALE_SECONDS, 60))}
# A tenant's owners are warned once when its credits fall below this (each tenant may set its own).
CREDITS_LOW_DEFAULT = env_int("CREDITS_LOW_DEFAULT", 100, minimum=0)
CELERY_BEAT_SCHEDULE["exports-expire"] = {"task": "exports.tasks.exports_expire", "schedule": crontab(minute=20, hour=4)}
CELERY_BEAT_SCHEDULE["seals-warn"] = {"task": "signing.tasks.seals_warn", "schedule": crontab(minute=0, hour=9)}  # Istanbul's 09:00

# --- GİB's package (XSDs, schematron, XSLT): installed, never committed ---------------------
# `manage.py gib_package install [PATH]` installs from PATH, or from this default location.
GIB_PACKAGE_SOURCE = Path(env_str("GIB_PACKAGE_SOURCE", str(BASE_DIR.parent / "shared" / "gib")))
GIB_PACKAGES_ROOT = Path(env_str("GIB_PACKAGES_ROOT", str(VAR_DIR / "gib")))
# Larger documents are refused before parsing (GİB's own envelope limit is 5 MB).
UBL_VALIDATION_MAX_BYTES = env_int("UBL_VALIDATION_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)

# --- E-mail: by SMTP when a host is named, else written as .eml files under MAIL_DIR -------------
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)  # seconds, for connecting and for each reply
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "delivery.mail.EmlBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "e-fatura@localhost")

# --- Delivery: the PDF, e-mail and SMS to the buyer, the buyer's link (delivery) ---------------
# Where the embedded default writes the e-mails it would send (one .eml file each) when no SMTP host
# is named; with EMAIL_HOST they go by SMTP.
MAIL_DIR = Path(env_str("MAIL_DIR", str(VAR_DIR / "mail")))
# The address the buyer's link (/e/<token>) is built on, as buyers reach the portal.
PUBLIC_URL = (env_url("PUBLIC_URL", ("http", "https")) or "http://127.0.0.1:8000").rstrip("/")
# A delivery claimed by a worker that has not recorded a result after this many seconds is taken up
# again (the worker died); beat looks for due deliveries every DELIVERY_TICK seconds.
DELIVERY_CLAIM_SECONDS = env_int("DELIVERY_CLAIM_SECONDS", 300, minimum=1)
DELIVERY_TICK = env_int("DELIVERY_TICK", 30, minimum=1)
CELERY_BEAT_SCHEDULE["deliveries-due"] = {"task": "delivery.tasks.deliveries_due", "schedule": float(DELIVERY_TICK)}
# Drawing one PDF (the invoice's XSLT, then the layout) may take this many seconds and this much memory.
PDF_RENDER_SECONDS = env_int("PDF_RENDER_SECONDS", 20, minimum=1)
PDF_RENDER_MEMORY_MB = env_int("PDF_RENDER_MEMORY_MB", 1024, minimum=128)
# The buyer's link: an address that tried this many wrong tokens within the window (seconds) is refused for a while.
LINK_MISSES_ALLOWED = env_int("LINK_MISSES_ALLOWED", 20, minimum=1)
LINK_MISSES_WINDOW = env_int("LINK_MISSES_WINDOW", 600, minimum=1)
# SMS: the provider (netgsm, verimor, iletimerkezi), its API's address and the account. Unset, the
# local SMS gateway this project serves (at LOCAL_SMS_PATH on the platform's own address, as `make run`
# sets it), which speaks Netgsm's API.
LOCAL_SMS_PATH = "smsgateway"
SMS_PROVIDER = env_choice("SMS_PROVIDER", "netgsm", ("netgsm", "verimor", "iletimerkezi"))
SMS_URL = (env_url("SMS_URL", ("http", "https")) or f"http://127.0.0.1:8000/{LOCAL_SMS_PATH}/netgsm").rstrip("/")
SMS_USERNAME = env_str("SMS_USERNAME", "demo")
SMS_PASSWORD = env_str("SMS_PASSWORD", "demo")
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10, minimum=1)  # seconds, for connecting and for each read
# The sender name (başlık) an SMS goes out with when its tenant names none: registered with the
# provider, 1–11 letters, digits, spaces and . - characters.
SMS_HEADER = env_str("SMS_HEADER", "ENTEGRATOR")
if len(SMS_HEADER) > 11 or not SMS_HEADER.strip() or not all(c.isalnum() or c in " .-" for c in SMS_HEADER):
    raise ImproperlyConfigured(f"SMS_HEADER={SMS_HEADER!r}: a sender name is 1 to 11 letters, digits, spaces, dots or dashes.")
# The local SMS gateway is on unless SMS_URL names another service.
SMS_GATEWAY_ENABLED = env_bool("SMS_GATEWAY_ENABLED", env_str("SMS_URL") is None or f"/{LOCAL_SMS_PATH}/" in SMS_URL + "/")
if SMS_GATEWAY_ENABLED:
    INSTALLED_APPS.append("smsgateway")

# --- Seals ------------------------------------------------------------------------------------
# Keys and PINs are stored encrypted with this key (Fernet: 32 url-safe base64 bytes). Unset, it is
# derived from SECRET_KEY, so rotating SECRET_KEY then makes stored seals unreadable.
SEAL_ENCRYPTION_KEY = env_str("SEAL_ENCRYPTION_KEY")
# PEM bundle of the roots a seal must chain to (Kamu SM's public roots in production); unset, the
# local test root under VAR_DIR/pki, which the demo's seals come from.
SEAL_TRUST_ROOTS = env_str("SEAL_TRUST_ROOTS")
PKCS11_MODULE = env_str("PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")

# --- GİB's registered-user list (kayıtlı kullanıcı listesi) ------------------------------------
# Comma-separated http(s) URLs or paths whose names say which list they are (newUserPkList… /
# newUserGbList…); empty: no periodic refresh. Production:
#   https://merkez.efatura.gov.tr/EFaturaMerkez/newUserPkListxml.zip,https://merkez.efatura.gov.tr/EFaturaMerkez/newUserGbListxml.zip
GIB_USERLIST_SOURCE = env_list("GIB_USERLIST_SOURCE", [])
for _source in GIB_USERLIST_SOURCE:
    if ("pklist" in _source.lower()) == ("gblist" in _source.lower()):
        raise ImproperlyConfigured(f"GIB_USERLIST_SOURCE: {_source} does not say whether it is GİB's GB or PK list.")
GIB_USERLIST_TIMEOUT = env_int("GIB_USERLIST_TIMEOUT", 60, minimum=1)  # seconds, for connecting and each read

# --- GİB's EFaturaService ---------------------------------------------------------------------
# Where envelopes go and statuses come from. Unset: the local GİB hub this project serves (at
# LOCAL_HUB_PATH on the platform's own address, as `make run` sets it). GİB's services:
#   test https://merkeztest.efatura.gov.tr/EFaturaMerkez/services/EFatura
#   live https://merkez.efatura.gov.tr/EFaturaMerkez/services/EFatura
LOCAL_HUB_PATH = "gibhub/services/EFatura"
GIB_SERVICE_URL = env_url("GIB_SERVICE_URL", ("http", "https")) or f"http://127.0.0.1:8000/{LOCAL_HUB_PATH}"
# The local hub is on unless GIB_SERVICE_URL names another service: production talks to GİB and has none.
GIB_HUB_ENABLED = env_bool("GIB_HUB_ENABLED", env_str("GIB_SERVICE_URL") is None or LOCAL_HUB_PATH in GIB_SERVICE_URL)
GIB_TIMEOUT = env_int("GIB_TIMEOUT", 30, minimum=1)  # seconds, for connecting and for each read
# Seconds a whole call to the service may take, its answer read to the end: GIB_TIMEOUT bounds each
# read, and a server trickling its answer a byte at a time would never pass it.
GIB_CALL_DEADLINE = env_int("GIB_CALL_DEADLINE", 120, minimum=1)
# The WSDL, by default the one in the installed GİB package (wsdl/EFatura_Test.wsdl).
GIB_WSDL = env_str("GIB_WSDL")
# Mutual TLS: the integrator's client certificate and key (PEM paths) and the CA bundle to trust GİB by.
GIB_CLIENT_CERTIFICATE = env_str("GIB_CLIENT_CERTIFICATE")
GIB_CLIENT_KEY = env_str("GIB_CLIENT_KEY")
if bool(GIB_CLIENT_CERTIFICATE) != bool(GIB_CLIENT_KEY):
    raise ImproperlyConfigured("GIB_CLIENT_CERTIFICATE and GIB_CLIENT_KEY go together: set both or neither.")
for _name in ("GIB_WSDL", "GIB_CLIENT_CERTIFICATE", "GIB_CLIENT_KEY", "GIB_CA_BUNDLE"):
    if env_str(_name) and not Path(env_str(_name)).is_file():
        raise ImproperlyConfigured(f"{_name}: {env_str(_name)} is not a file.")
GIB_CA_BUNDLE = env_str("GIB_CA_BUNDLE")
# Who may push envelopes to our receiving endpoint (gib/services/EFatura). GIB_PUSH_ALLOWED_NETWORKS:
# comma-separated CIDRs, GİB's addresses in production; empty, anyone may (the embedded default and
# the local hub need that). GIB_PUSH_CLIENT_VERIFY_HEADER: the header a TLS-terminating proxy sets
# once it has verified GİB's client certificate (e.g. X-SSL-Client-Verify), which must then say
# SUCCESS; unset, no such check. GIB_PUSH_TRUSTED_PROXIES: the proxies (CIDRs) in front of us; only
# their X-Forwarded-For names the client, and once they are set only their verify header is believed.
# Without them the address that connected is the client's (behind a proxy: the proxy's).
GIB_PUSH_ALLOWED_NETWORKS = env_networks("GIB_PUSH_ALLOWED_NETWORKS")
GIB_PUSH_CLIENT_VERIFY_HEADER = env_str("GIB_PUSH_CLIENT_VERIFY_HEADER")
if GIB_PUSH_CLIENT_VERIFY_HEADER and not all(c.isascii() and (c.isalnum() or c == "-") for c in GIB_PUSH_CLIENT_VERIFY_HEADER):
    raise ImproperlyConfigured(f"GIB_PUSH_CLIENT_VERIFY_HEADER={GIB_PUSH_CLIENT_VERIFY_HEADER!r} is not a header name such as X-SSL-Client-Verify.")
GIB_PUSH_TRUSTED_PROXIES = env_networks("GIB_PUSH_TRUSTED_PROXIES")
# Polling an envelope's status: first after GIB_POLL_FIRST seconds, then twice as long each time, at
# most GIB_POLL_MAX apart; beat looks for due envelopes every GIB_POLL_TICK seconds.
GIB_POLL_FIRST = env_int("GIB_POLL_FIRST", 30, minimum=1)
GIB_POLL_MAX = env_int("GIB_POLL_MAX", 3600, minimum=1)
GIB_POLL_TICK = env_int("GIB_POLL_TICK", 15, minimum=1)
# How many times invoices GİB gave up delivering (1215) or the receiver refused (1230) are sent again.
GIB_RESENDS = env_int("GIB_RESENDS", 2, minimum=0)
# Work waiting longer than this (seconds) in a state a task should have moved it from is enqueued again.
PIPELINE_SWEEP_AFTER = env_int("PIPELINE_SWEEP_AFTER", 300, minimum=1)
# A validating or sealing task takes up to this many of the tenant's invoices waiting for the step.
PIPELINE_BATCH = env_int("PIPELINE_BATCH", 50, minimum=1)
# How long a tenant's validation waits, once queued, for invoices issued one by one to join its batch.
PIPELINE_LINGER_MS = env_int("PIPELINE_LINGER_MS", 250, minimum=0)
CELERY_BEAT_SCHEDULE["envelopes-poll"] = {"task": "pipeline.tasks.envelopes_poll", "schedule": float(GIB_POLL_TICK)}
CELERY_BEAT_SCHEDULE["pipeline-sweep"] = {"task": "pipeline.tasks.pipeline_sweep", "schedule": float(min(PIPELINE_SWEEP_AFTER, 60))}
if GIB_HUB_ENABLED:
    INSTALLED_APPS.append("gibhub")

# --- e-Arşiv reports to GİB -------------------------------------------------------------------
# The integrator's VKN: the report's hazırlayan. Unset, the local test world's.
INTEGRATOR_VKN = env_str("INTEGRATOR_VKN", "1111111114")
if not (len(INTEGRATOR_VKN) == 10 and INTEGRATOR_VKN.isdigit()):
    raise ImproperlyConfigured(f"INTEGRATOR_VKN={INTEGRATOR_VKN!r} is not a 10-digit VKN.")
# GİB's EArsivWs: test https://test.efatura.gov.tr/earsiv/services/EArsivWsPort (the WSDL's test
# address), live GİB's address. Unset: the local GİB hub's e-Arşiv service.
LOCAL_EARSIV_PATH = "gibhub/services/EArsivWs"
GIB_EARSIV_SERVICE_URL = env_url("GIB_EARSIV_SERVICE_URL", ("http", "https")) or f"http://127.0.0.1:8000/{LOCAL_EARSIV_PATH}"
GIB_EARSIV_WSDL = env_str("GIB_EARSIV_WSDL")  # unset: earsiv/EArsivWs.wsdl of the installed GİB package
if GIB_EARSIV_WSDL and not Path(GIB_EARSIV_WSDL).is_file():
    raise ImproperlyConfigured(f"GIB_EARSIV_WSDL={GIB_EARSIV_WSDL} is not a file.")
# At most this many invoices, cancellations and objections go into one bölüm of a day's report.
EARSIV_REPORT_PART_SIZE = env_int("EARSIV_REPORT_PART_SIZE", 5000, minimum=1)
# A day is reported by the end of the day this many days after it (Istanbul time): 1, the day after.
EARSIV_REPORT_DEADLINE_DAYS = env_int("EARSIV_REPORT_DEADLINE_DAYS", 1, minimum=0)
# Polling a report's status: first after, at most apart (doubling between), in seconds; beat's tick.
EARSIV_POLL_FIRST = env_int("EARSIV_POLL_FIRST", 60, minimum=1)
EARSIV_POLL_MAX = env_int("EARSIV_POLL_MAX", 3600, minimum=1)
EARSIV_TICK = env_int("EARSIV_TICK", 60, minimum=1)
# A report GİB failed is corrected and sent again this many times; then the tenant is told.
EARSIV_CORRECTIONS = env_int("EARSIV_CORRECTIONS", 3, minimum=0)
# A report a worker claimed (to build or send) and did not finish is taken up again after this.
EARSIV_CLAIM_SECONDS = env_int("EARSIV_CLAIM_SECONDS", 300, minimum=1)
CELERY_BEAT_SCHEDULE["earsiv-tick"] = {"task": "earsiv.tasks.earsiv_tick", "schedule": float(EARSIV_TICK)}

# --- API --------------------------------------------------------------------------------------
# Calls per API key (DRF's rate syntax: 1200/min, 50/s); counted in the cache, so per process on the
# embedded default and shared through Redis in production.
API_RATE = env_str("API_RATE", "1200/min")
# The largest body the API reads (an invoice's XML, a payload): larger ones get 413 unread.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", UBL_VALIDATION_MAX_BYTES, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
# Files one portal form may send (the bulk upload's many XML files; more go in a ZIP); Django's default is 100.
DATA_UPLOAD_MAX_NUMBER_FILES = 1000
API_UNAUDITED_PATHS = ["/api/schema/", "/api/docs/"]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tenants.api_auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.api_auth.HasApiKey"],
    "DEFAULT_THROTTLE_CLASSES": ["integrator.api.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": API_RATE},
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "integrator.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "e-Fatura / e-Arşiv integrator API",
    "DESCRIPTION": (
        "Issue invoices (JSON or UBL-TR XML), follow them to GİB's final code, read and answer incoming ones, "
        "and ask who is a registered e-Fatura user. Authenticate with `Authorization: Api-Key <key>`. "
        "Errors are `application/problem+json` with a stable `code`, in the language of `Accept-Language`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
}

# --- Webhooks (tenants.webhooks) --------------------------------------------------------------
# Tenants' URLs on loopback, private or link-local addresses are refused unless this is on (tests,
# a single-host setup): otherwise a tenant could make the platform post into its own network.
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10, minimum=1)  # seconds, for connecting and for the answer
WEBHOOK_ATTEMPTS = env_int("WEBHOOK_ATTEMPTS", 8, minimum=1)  # posts of one event before it is failed
CELERY_BEAT_SCHEDULE["webhooks-due"] = {"task": "tenants.tasks.webhooks_due", "schedule": 15.0}

# --- Logging ----------------------------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# --- Timestamps (RFC 3161) --------------------------------------------------------------------
# The TSA the seals are timestamped by: Kamu SM's in production, by default the local TSA that
# `manage.py run_tsa` serves. TSA_USERNAME/TSA_PASSWORD, when set, are sent as TSA_AUTH says: with
# HTTP Basic auth (basic), or in Kamu SM's `identity` header (kamusm: TSA_USERNAME is then the
# customer number); the local TSA then asks for the same pair, the same way.
TSA_URL = env_url("TSA_URL", ("http", "https")) or "http://127.0.0.1:8318/"
TSA_AUTH = env_choice("TSA_AUTH", "basic", ("basic", "kamusm"))
TSA_USERNAME = env_str("TSA_USERNAME")
TSA_PASSWORD = env_str("TSA_PASSWORD")
if TSA_PASSWORD and not TSA_USERNAME:
    raise ImproperlyConfigured("TSA_PASSWORD is set without TSA_USERNAME.")
if TSA_AUTH == "kamusm" and TSA_USERNAME:
    # Kamu SM's customer number is an int in its own client: digits only, below 2**31.
    if not (TSA_USERNAME.isascii() and TSA_USERNAME.isdigit() and int(TSA_USERNAME) < 2**31):
        raise ImproperlyConfigured("TSA_USERNAME must be the Kamu SM customer number (digits only) with TSA_AUTH=kamusm.")
    if not TSA_PASSWORD:
        raise ImproperlyConfigured("TSA_PASSWORD is required with TSA_AUTH=kamusm: it encrypts the identity header.")
TSA_TIMEOUT = env_int("TSA_TIMEOUT", 10, minimum=1)  # seconds, for connecting and for each read
# PEM bundle of the roots a TSA certificate must chain to; unset, the local root under VAR_DIR/pki.
TSA_TRUST_ROOTS = env_str("TSA_TRUST_ROOTS")
if TSA_TRUST_ROOTS and not Path(TSA_TRUST_ROOTS).is_file():
    raise ImproperlyConfigured(f"TSA_TRUST_ROOTS: {TSA_TRUST_ROOTS} is not a file.")
# The local TSA: the policy it stamps (2.999 is ITU-T's example arc: never mistaken for a real
# policy) and, instead of the local PKI's TSA, a key and certificate chain in PEM (as *_FILE).
TSA_POLICY_OID = env_str("TSA_POLICY_OID", "2.999.3161.1")
_arcs = TSA_POLICY_OID.split(".")
if len(_arcs) < 2 or _arcs[0] not in ("0", "1", "2") or not all(a.isascii() and a.isdigit() for a in _arcs):
    raise ImproperlyConfigured(f"TSA_POLICY_OID={TSA_POLICY_OID!r} is not an object identifier such as 2.999.3161.1.")
TSA_SERVER_KEY = env_str("TSA_SERVER_KEY")
TSA_SERVER_CERTIFICATE = env_str("TSA_SERVER_CERTIFICATE")
if bool(TSA_SERVER_KEY) != bool(TSA_SERVER_CERTIFICATE):
    raise ImproperlyConfigured("TSA_SERVER_KEY and TSA_SERVER_CERTIFICATE go together: set both (as *_FILE) or neither.")

# --- The local GİB hub (only while GIB_HUB_ENABLED) -------------------------------------------
# How it delivers an envelope to the receiver's integrator: tries before giving up (1215), the delay
# before the first retry (doubling after each), and each try's timeout, in seconds; and how long a
# delivered envelope waits for the receiver's system response before it shows 1220.
GIB_HUB_DELIVERY_ATTEMPTS = env_int("GIB_HUB_DELIVERY_ATTEMPTS", 5, minimum=1)
GIB_HUB_RETRY_DELAY = env_int("GIB_HUB_RETRY_DELAY", 60, minimum=0)
GIB_HUB_DELIVERY_TIMEOUT = env_int("GIB_HUB_DELIVERY_TIMEOUT", 30, minimum=1)
GIB_HUB_ANSWER_WAIT = env_int("GIB_HUB_ANSWER_WAIT", 3600, minimum=0)
# A worker's claim on an envelope (processing it, or a delivery try) lapses after this many seconds,
# and work due this long that nobody holds (its worker killed, its message lost) is enqueued again.
# Longer than a delivery try can last (connecting, then reading), or a second worker might post too.
GIB_HUB_STUCK_AFTER = env_int("GIB_HUB_STUCK_AFTER", 120, minimum=1)
if GIB_HUB_STUCK_AFTER < 2 * GIB_HUB_DELIVERY_TIMEOUT:
    raise ImproperlyConfigured(f"GIB_HUB_STUCK_AFTER={GIB_HUB_STUCK_AFTER} is shorter than a delivery try may last "
                               f"(2 × GIB_HUB_DELIVERY_TIMEOUT = {2 * GIB_HUB_DELIVERY_TIMEOUT} s).")
if GIB_HUB_ENABLED:
    CELERY_BEAT_SCHEDULE["gibhub-sweep-unanswered"] = {"task": "gibhub.tasks.sweep_unanswered", "schedule": 300.0}
    CELERY_BEAT_SCHEDULE["gibhub-sweep-stuck"] = {"task": "gibhub.tasks.sweep_stuck", "schedule": float(min(GIB_HUB_STUCK_AFTER, 60))}
