"""Behaviour shared by every environment.

The environment only switches things: ``DATABASE_URL`` (default: a SQLite
file), ``REDIS_URL`` (unset: local cache and in-process Celery tasks; set:
Redis cache, broker and result backend), ``DJANGO_SECRET_KEY``,
``DJANGO_DEBUG`` and ``ALLOWED_HOSTS``.
"""

from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

# Lets classes like ``admin.ModelAdmin[Model]`` be subscripted at run time for the type checker.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="django-insecure-zhiqiao-local-only")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Apps are listed in the direction of imports, lowest first (see DESIGN.md).
DOMAIN_APPS = [
    "core",
    "users",
    "catalog",
    "promotions",
    "commerce",
    "settlements",
    "insights",
    "recommendations",
    "storefront",
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    *DOMAIN_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (policy: CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Keeps the UTM parameters and referral code a shopper landed with (promotions.attribution).
    "promotions.middleware.AttributionMiddleware",
    # Writes the behaviour events a page recorded after the page has been sent.
    "insights.middleware.EventMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "users.context_processors.partner_memberships",
                "storefront.context_processors.storefront",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Re-use connections, and check them before use so that a restarted
# PostgreSQL is reconnected to without restarting the application.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite: wait for a competing writer instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Redis, Celery ---------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                # A Redis outage degrades the cache to misses; it never
                # turns a page into a server error.
                "IGNORE_EXCEPTIONS": True,
            },
            "KEY_PREFIX": "zq",
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "zhiqiao",
        }
    }

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without a broker, tasks run in-process, synchronously, at .delay() time.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = (
    Queue("default", Exchange("default"), routing_key="default"),
    Queue("gpu", Exchange("gpu"), routing_key="gpu"),
)
# Training runs on the GPU queue; everything else on the default queue.
CELERY_TASK_ROUTES = {
    "recommendations.tasks.train_*": {"queue": "gpu", "routing_key": "gpu"},
    "recommendations.tasks.accelerator_probe": {"queue": "gpu", "routing_key": "gpu"},
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(days=1)
# The longest task (a full retraining) must finish well inside the
# visibility timeout, or Redis would hand the same task to a second worker.
TRAINING_TIME_LIMIT_SECONDS = env.int("TRAINING_TIME_LIMIT_SECONDS", default=3 * 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": TRAINING_TIME_LIMIT_SECONDS + 3600}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": TRAINING_TIME_LIMIT_SECONDS + 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Retrain the recommender nightly (nothing is trained when the data have not changed), keep the
    # top-m lists of active users fresh, and fail training runs whose worker died.
    "recommendations-nightly-retrain": {
        "task": "recommendations.tasks.nightly_retrain",
        "schedule": crontab(hour=3, minute=30),
    },
    "recommendations-topm-incremental": {
        "task": "recommendations.tasks.refresh_topm_incremental",
        "schedule": timedelta(minutes=10),
    },
    "recommendations-training-sweep": {
        "task": "recommendations.tasks.training_runs_sweep",
        "schedule": timedelta(minutes=5),
    },
    "consent-expiry-sweep": {
        "task": "users.tasks.consent_expiry_sweep",
        "schedule": timedelta(hours=1),
    },
    "commerce-expire-unpaid-orders": {
        "task": "commerce.tasks.orders_expire_stale",
        "schedule": timedelta(minutes=5),
    },
    "insights-profiles-incremental": {"task": "insights.profiles_refresh", "schedule": timedelta(minutes=15)},
    "insights-profiles-full": {"task": "insights.profiles_refresh", "schedule": timedelta(days=1), "args": ["full"]},
    "insights-deletion-notices": {"task": "insights.deletion_notices_sweep", "schedule": timedelta(hours=1)},
    "insights-audit-retention": {"task": "insights.audit_purge_expired", "schedule": timedelta(days=1)},
    # Last month's settlement as a draft; idempotent, so checking every few hours is enough.
    "settlements-monthly-draft": {"task": "settlements.tasks.settle_previous_month", "schedule": timedelta(hours=6)},
}

# --- Payments ---------------------------------------------------------------

# Payment providers by name: each a commerce.payments.base.PaymentProvider subclass
# with its options. The first is the default. The sandbox's webhook secret is
# derived from SECRET_KEY unless PAYMENT_SANDBOX_WEBHOOK_SECRET is set.
PAYMENT_PROVIDERS = {
    "sandbox": {
        "class": "commerce.payments.sandbox.SandboxProvider",
        "options": {"webhook_secret": env.str("PAYMENT_SANDBOX_WEBHOOK_SECRET", default="")},
    },
}
# The provider a checkout uses when it names none (one of PAYMENT_PROVIDERS).
PAYMENT_DEFAULT_PROVIDER = env.str("PAYMENT_DEFAULT_PROVIDER", default="sandbox")
PAYMENT_WEBHOOK_TOLERANCE_SECONDS = 300
PAYMENT_TIMEOUT_MINUTES = env.int("PAYMENT_TIMEOUT_MINUTES", default=30)
REFUND_WINDOW_DAYS = env.int("REFUND_WINDOW_DAYS", default=14)
# Sort and hash memory for a settlement run's transaction on PostgreSQL (one backend, a few times a
# month): its window sums and line inserts sort every item of the period.
SETTLEMENT_WORK_MEM = env.str("SETTLEMENT_WORK_MEM", default="128MB")

# --- Storefront -------------------------------------------------------------

# Where shoppers are unless they choose otherwise: what is listed and sold follows its rights.
STOREFRONT_TERRITORY = env.str("STOREFRONT_TERRITORY", default="CN")

# --- Recommendations --------------------------------------------------------

# Every key and its default: recommendations/conf.py. The top-m store is Redis when
# REDIS_URL is set, else a database table.
RECOMMENDER: dict[str, object] = {
    "MODEL": env.str("RECOMMENDER_MODEL", default="tf_hybrid"),
    "TOPM_STORE": env.str("RECOMMENDER_TOPM_STORE", default="auto"),
}

# --- Auth -------------------------------------------------------------------

AUTH_USER_MODEL = "users.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "users:login"
LOGIN_REDIRECT_URL = "storefront:home"
LOGOUT_REDIRECT_URL = "storefront:home"
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="知桥 Zhiqiao <no-reply@zhiqiao.local>")

# --- I18n -------------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A form or query with more fields than this is refused (400) before any view sees it.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 10

# --- API --------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.api_auth.PartnerApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["users.api_auth.HasScopes"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "users.api_auth.PartnerApiKeyRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/minute"),
        "user": env.str("THROTTLE_USER", default="600/minute"),
        "partner_key": env.str("THROTTLE_PARTNER_KEY", default="1200/minute"),
        "auth": env.str("THROTTLE_AUTH", default="10/minute"),
    },
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Zhiqiao API",
    "DESCRIPTION": (
        "知桥 Zhiqiao: courses, books and bundles; partner catalogues, promotions, "
        "insights, recommendations and settlements. Browsers authenticate with the "
        "session; partner systems with `Authorization: Api-Key <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name get names of their own (no hash-suffixed enums, and no
    # schema warning in `check --deploy`).
    "ENUM_NAME_OVERRIDES": {
        "ProductKindEnum": "catalog.models.Product.Kind",
        "ProductStatusEnum": "catalog.models.Product.Status",
        "ContributorRoleEnum": "catalog.models.ProductContributor.Role",
        "VariantFormatEnum": "catalog.models.Variant.Format",
        "ImportJobFormatEnum": "catalog.models.ImportJob.Format",
        "ImportJobStatusEnum": "catalog.models.ImportJob.Status",
        "ImportJobSourceEnum": "catalog.models.ImportJob.Source",
        "MembershipRoleEnum": "users.models.Membership.Role",
        "ConsentPurposeEnum": "users.models.Consent.Purpose",
        "OrderStatusEnum": "commerce.models.Order.Status",
        "SalesChannelEnum": "commerce.models.Order.Channel",
        "SettledFormatEnum": "settlements.models.SETTLED_FORMATS",
    },
}

# --- Content Security Policy (django-csp) -------------------------------------

# Scripts only from our own static files (the storefront, the beacon, the admin, Swagger UI
# from drf_spectacular_sidecar); no inline script and no inline event handler. Inline style
# attributes stay allowed: bar widths and chart swatches are computed in templates.
# ``data:`` images are the charts drawn server-side and Swagger UI's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Logging ----------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_redis": {"level": "WARNING"},
    },
}

X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Brute force against logging in (users.login_throttle): failures per account and per client
# address inside one window, after which attempts are refused until the window ends.
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=30)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
