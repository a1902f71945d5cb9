"""The Celery application.

Its whole configuration lives in Django settings under the ``CELERY_``
namespace, so the embedded default (tasks run in-process) and production
(workers on Redis) differ only by ``REDIS_URL``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("zhiqiao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
