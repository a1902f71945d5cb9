"""The suite runs against the real services in CI; these tests prove it."""

import pytest
from celery.contrib.testing.worker import start_worker
from celery.exceptions import TimeoutError as CeleryTimeout
from django.db import connection

from config.celery import app
from recommendations.tasks import accelerator_probe


@pytest.mark.postgres
@pytest.mark.django_db
def test_database_is_postgresql_with_the_constraints_the_models_declare():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'consent_one_active_per_purpose'")
        (definition,) = cursor.fetchone()
    assert "UNIQUE" in definition
    assert "WHERE (revoked_at IS NULL)" in definition


@pytest.fixture
def real_broker():
    """Send tasks through Redis instead of running them in-process."""
    app.conf.task_always_eager = False
    try:
        yield app
    finally:
        app.conf.task_always_eager = True


@pytest.mark.celery_worker
def test_training_queue_task_is_consumed_only_by_a_worker_listening_on_gpu(real_broker):
    with start_worker(real_broker, pool="solo", queues=["default"], perform_ping_check=False, loglevel="WARNING"):
        result = accelerator_probe.delay()
        with pytest.raises(CeleryTimeout):
            result.get(timeout=3)
    with start_worker(real_broker, pool="solo", queues=["gpu"], perform_ping_check=False, loglevel="WARNING"):
        payload = result.get(timeout=30)
    assert payload["routing_key"] == "gpu"
