"""Django settings, built from the validated environment in :mod:`nentang.config.env`.

Nothing here reads ``os.environ`` directly: add a variable to ``env.VARIABLES`` and
``env.Config`` instead, so it is validated and documented.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from nentang.config import env

CONFIG = env.read()

PACKAGE_DIR = Path(__file__).resolve().parent.parent
HOME = CONFIG.home

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)
BASE_URL = CONFIG.base_url

# Contexts of nentang, in dependency order. `nentang demo` loads their demo data in
# this order, and the import-linter contracts in pyproject.toml mirror this list.
NENTANG_APPS = [
    "nentang.kernel",
    "nentang.web",
    "nentang.addresses",
    "nentang.identity",
    "nentang.audit",
    "nentang.postal",
    "nentang.publicservices",
    "nentang.smartcity",
    "nentang.opendata",
    "nentang.payments",
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "oauth2_provider",
    "django_countries",  # ISO 3166-1 names in Vietnamese (identity: nationality)
    *NENTANG_APPS,
    # The OpenID Connect provider of the identity context (its own app for its admin,
    # demo loader and templates; its tables are identity's).
    "nentang.identity.oidc",
    # Adapters between contexts, installed when Django starts (config/wiring/apps.py).
    "nentang.config.wiring",
]

# Django's and whitenoise's middleware run through nentang.kernel.async_middleware:
# the same classes, without a thread hop per hook under ASGI (docs/performance.md).
MIDDLEWARE = [
    "nentang.kernel.observability.middleware.RequestContextMiddleware",
    "nentang.kernel.errors.middleware.ProblemMiddleware",
    "nentang.kernel.security.SecurityHeadersMiddleware",
    "nentang.kernel.async_middleware.SecurityMiddleware",
    "nentang.kernel.async_middleware.WhiteNoiseMiddleware",
    "nentang.kernel.errors.middleware.BodyLimitMiddleware",
    "nentang.kernel.async_middleware.SessionMiddleware",
    "nentang.web.middleware.LocaleMiddleware",
    "nentang.kernel.async_middleware.CommonMiddleware",
    "nentang.kernel.async_middleware.CsrfViewMiddleware",
    "nentang.kernel.async_middleware.AuthenticationMiddleware",
    # Below sessions and auth: notes "last active" on the e-ID session list.
    "nentang.identity.middleware.SessionActivityMiddleware",
    "nentang.kernel.async_middleware.MessageMiddleware",
    # Below auth and messages: staff sessions reach nothing before their second factor.
    "nentang.identity.middleware.StaffSecondFactorMiddleware",
    "nentang.kernel.async_middleware.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# The OpenID provider's machine endpoints (token, revocation, introspection, userinfo):
# called by programs with their own credentials, they need no session, CSRF token,
# language, messages or htmx. Under ASGI they are served by this shorter chain
# (kernel/observability/lean.py; docs/performance.md). The rest of the provider —
# authorization, logout, the pages — uses sessions and stays on MIDDLEWARE.
NENTANG_MACHINE_PATHS = ("/oidc/token", "/oidc/revoke", "/oidc/introspect", "/oidc/userinfo")
NENTANG_MACHINE_MIDDLEWARE = [
    "nentang.kernel.observability.middleware.RequestContextMiddleware",
    "nentang.kernel.errors.middleware.ProblemMiddleware",
    "nentang.kernel.security.SecurityHeadersMiddleware",
    "nentang.kernel.async_middleware.SecurityMiddleware",
    "nentang.kernel.errors.middleware.BodyLimitMiddleware",
    "nentang.kernel.async_middleware.CommonMiddleware",  # Content-Length, host checks
    "nentang.kernel.async_middleware.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "nentang.config.urls"
ASGI_APPLICATION = "nentang.config.asgi.application"
WSGI_APPLICATION = "nentang.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "nentang.web.context_processors.platform",
                "nentang.identity.views.context.passkeys",
            ],
        },
    }
]


def _database(db: env.Database) -> dict[str, Any]:
    if db.engine == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": db.name,
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue on
                # busy_timeout instead of failing with "database is locked" mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA temp_store=MEMORY;"
                    "PRAGMA mmap_size=134217728;"
                ),
            },
            "TEST": {"NAME": str(Path(db.name).with_name("test_" + Path(db.name).name))},
        }
    options: dict[str, Any] = {}
    extra = dict(db.options)
    pool = env.parse_bool("NENTANG_DATABASE_URL", extra.pop("pool", "true"))
    if pool:
        options["pool"] = {
            "min_size": env.parse_positive_int(
                "NENTANG_DATABASE_URL", extra.pop("pool_min_size", "2")
            ),
            "max_size": env.parse_positive_int(
                "NENTANG_DATABASE_URL", extra.pop("pool_max_size", "20")
            ),
            "timeout": 10,
        }
    # Fixed statements of hot requests are prepared on the server (kernel.prepared); a
    # psycopg threshold no statement reaches by count means "only when a cursor asks".
    # Off (None, Django's default) with ?prepared_statements=false, e.g. behind a pooler
    # in transaction mode. The ORM's client-side cursor never prepares either way.
    if env.parse_bool("NENTANG_DATABASE_URL", extra.pop("prepared_statements", "true")):
        options["prepare_threshold"] = 2**31 - 1
    options.update(extra)  # e.g. sslmode=require
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": db.name,
        "USER": db.user,
        "PASSWORD": db.password,
        "HOST": db.host,
        "PORT": db.port,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": not pool,
        "OPTIONS": options,
    }


DATABASES = {"default": _database(CONFIG.database)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "webhooks"],
    }
}

AUTH_USER_MODEL = "identity.Account"
# The one backend of every login (admin included): throttling, lockout, security events
# (identity.services.login). ModelBackend would let a login bypass them: not listed.
AUTHENTICATION_BACKENDS = ["nentang.identity.auth.AccountBackend"]
# Argon2id first (OWASP); the others only verify passwords hashed before and rehash them.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# Django's rules; the first two speak our words (identity/passwords.py: Django's
# Vietnamese catalogue lacks the length message and names the "username" field).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "nentang.identity.passwords.UserAttributeSimilarityValidator"},
    {
        "NAME": "nentang.identity.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Internationalisation: Vietnamese first, English available.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
# Each context keeps its catalogue in <context>/locale/. Listing them here too makes
# nentang's words win over those of Django's bundled apps, whose catalogues otherwise
# rank first by INSTALLED_APPS order (the admin's "Log out" is "Thoát"; ours, "Đăng xuất").
LOCALE_PATHS = [
    path
    for app in NENTANG_APPS
    if (path := PACKAGE_DIR / app.rsplit(".", 1)[-1] / "locale").is_dir()
]
LANGUAGE_COOKIE_NAME = "nentang_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(mode=0o700, exist_ok=True)  # whitenoise expects it, even serving from finders
MEDIA_URL = "/media/"
MEDIA_ROOT = HOME / "uploads"
# Uploads (portraits) are personal data: owner-only, whatever the umask.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Serve straight from the app directories: no collectstatic step on a fresh machine.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_MAX_AGE = 3600

# Request limits. The ASGI wrapper and BodyLimitMiddleware answer 413 beyond this.
NENTANG_MAX_BODY_BYTES = CONFIG.max_body_bytes
DATA_UPLOAD_MAX_MEMORY_SIZE = CONFIG.max_body_bytes
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

NENTANG_OUTBOUND_ALLOW_NETWORKS = CONFIG.outbound_allow_networks
NENTANG_WEBHOOK_MAX_ATTEMPTS = CONFIG.webhook_max_attempts
NENTANG_IDEMPOTENCY_TTL_HOURS = CONFIG.idempotency_ttl_hours
NENTANG_AUDIT_CHECKPOINT_SECONDS = CONFIG.audit_checkpoint_seconds
NENTANG_AUDIT_WITNESS = CONFIG.audit_witness
NENTANG_SMARTCITY_MQTT_BROKER = CONFIG.smartcity_mqtt_broker
NENTANG_SMARTCITY_MQTT_WORKERS = CONFIG.smartcity_mqtt_workers
# How long a process gathers audited commits before it asks the task queue, once for all
# of them, whether an integration run is waiting (audit.services.tlog.integration_soon);
# 0 asks after every commit, inline (the tests: one connection, the test's transaction).
NENTANG_AUDIT_SCHEDULE_SECONDS = 0.05
# The same for commits that emitted outbox events: whether a dispatch is waiting
# (kernel.events, kernel.doorbell); 0 asks after every commit, inline (the tests).
NENTANG_OUTBOX_SCHEDULE_SECONDS = 0.05
NENTANG_QUEUE_STALL_SECONDS = CONFIG.queue_stall_seconds
NENTANG_SECURITY_EVENTS_MIN_DAYS = CONFIG.security_events_min_days
NENTANG_DEMO_PERCENT = CONFIG.demo_percent
NENTANG_DEMO_LARGE = CONFIG.demo_large
NENTANG_METRICS_ALLOW_NETWORKS = CONFIG.metrics_allow_networks
NENTANG_METRICS_TOKEN = CONFIG.metrics_token
NENTANG_TRUSTED_PROXIES = CONFIG.trusted_proxies
NENTANG_METRICS_DIR = HOME / "metrics"

# Security headers and cookies.
_https = urlsplit(BASE_URL).scheme == "https"
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "nentang_session"
CSRF_COOKIE_NAME = "nentang_csrf"
CSRF_TRUSTED_ORIGINS = [BASE_URL]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if _https:
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True  # names under the platform's host are the platform's
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Plain http is redirected to the public https URL, except the probes a load
    # balancer or Prometheus calls on the private address.
    SECURE_SSL_REDIRECT = True
    SECURE_SSL_HOST = urlsplit(BASE_URL).netloc
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Django looks for its security, clickjacking and CSRF middleware by name; ours extend
# them under other names (kernel.async_middleware), so these three warnings are false.
# kernel.checks runs Django's security checks on our middleware instead (and warns as
# nentang.W001–W003 should one of ours stop extending Django's). security.W021 (HSTS
# preload) is a decision for the owner of the registrable domain, who submits it to the
# browsers' preload list for every name under it, not for one host.
SILENCED_SYSTEM_CHECKS = ["security.W001", "security.W002", "security.W003", "security.W021"]

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "nentang.kernel.observability.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "nentang.kernel.observability.logs.JsonFormatter"},
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": CONFIG.log_format,
            "filters": ["request_context"],
        },
    },
    "root": {"handlers": ["console"], "level": CONFIG.log_level},
    "loggers": {
        # Our own access log line carries the same facts with the request id.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        # httpx logs full URLs at INFO, query tokens included; our client logs redacted ones.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_PER_PAGE = 50

# OpenID Connect provider: django-oauth-toolkit with nentang's validator and server
# (src/nentang/identity/oidc/). The issuer is BASE_URL; signing keys live in
# $NENTANG_HOME/oidc/ (generated on first use, rotated with `nentang keys rotate`).
# THE login of the platform (password, second factor, passkeys): identity/web/.
LOGIN_URL = "identity_web:login"
# DOT's application model is swappable; migrations that reference it need the setting.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER: dict[str, Any] = {
    "OIDC_ENABLED": True,
    "OAUTH2_VALIDATOR_CLASS": "nentang.identity.oidc.validator.Validator",
    "OAUTH2_SERVER_CLASS": "nentang.identity.oidc.server.Server",
    "SCOPES_BACKEND_CLASS": "nentang.identity.oidc.scopes.ScopesBackend",
    # Placeholders: the scopes backend answers from the registry in oidc/scopes.py.
    "SCOPES": {"openid": "OpenID Connect"},
    "DEFAULT_SCOPES": ["openid"],
    # Public clients must use PKCE (S256); the validator decides per client.
    "PKCE_REQUIRED": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 600,
    "ID_TOKEN_EXPIRE_SECONDS": 600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 12 * 3600,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    # 256-bit tokens from secrets.token_urlsafe (oauthlib's default: ~179 bits, slower).
    "ACCESS_TOKEN_GENERATOR": "nentang.identity.oidc.common.token_new",
    "REFRESH_TOKEN_GENERATOR": "nentang.identity.oidc.common.token_new",
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_ACCEPT_EXPIRED_TOKENS": True,
    "OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS": True,
    # RFC 9700 gates: implicit and password grants refused, "plain" PKCE refused.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    # Access and refresh tokens stored as SHA-256 digests only (RFC 9700 4.14 / issue 8).
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
}
