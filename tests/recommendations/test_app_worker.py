"""A real Celery worker on Redis, listening on the gpu queue, trains a model."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from recommendations.models import ModelVersion, TrainingRun
from recommendations.services import training_run_request
from recommendations.tasks import train_model
from tests.recommendations import app_fixtures

recsys_settings = app_fixtures.recsys_settings


@pytest.fixture
def real_broker():
    """Send tasks through Redis instead of running them in-process."""
    app.conf.task_always_eager = False
    try:
        yield app
    finally:
        app.conf.task_always_eager = True


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_the_gpu_queue_consumes_a_training_task_and_produces_a_version(recsys_settings, real_broker):
    from tests.factories.recommendations import recsys_world

    recsys_world(n_users=15, n_products=9, per_user=3)
    run = training_run_request(enqueue=False).run
    route = real_broker.amqp.router.route({}, train_model.name, args=(run.pk,))
    assert route["queue"].name == "gpu"
    result = train_model.delay(run.pk)
    with start_worker(real_broker, pool="solo", queues=["gpu"], perform_ping_check=False, loglevel="WARNING"):
        payload = result.get(timeout=120)
    run.refresh_from_db()
    assert run.state == TrainingRun.State.SUCCEEDED, run.error
    assert payload["version"] == run.model_version.tag
    assert ModelVersion.objects.filter(run=run).count() == 1
    assert run.worker  # the worker's name is recorded
