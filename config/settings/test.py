"""Settings for the test suite: the same behaviour, the services from the environment."""

from config.settings.base import *  # noqa: F403
from config.settings.base import REST_FRAMEWORK

DEBUG = False
# Tests call tasks in-process unless a test starts a real worker itself.
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        "anon": "10000/minute",
        "user": "10000/minute",
        "partner_key": "10000/minute",
        "auth": "10000/minute",
    },
}
# The whole suite logs in from one address; tests of login throttling set their own limits.
LOGIN_FAILURES_PER_ACCOUNT = 1000
LOGIN_FAILURES_PER_ADDRESS = 10000
