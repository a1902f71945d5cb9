"""A Celery worker is killed (SIGKILL) in the middle of training: the active model keeps
serving, the run is marked failed once its heartbeat is stale, and a retry succeeds.

The worker is a real process on the ``gpu`` queue, on Redis, against the test database (so this
needs PostgreSQL: the worker is another process and must see the test's rows)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from config.celery import app
from recommendations.models import ModelVersion, TrainingRun
from recommendations.selectors import recommendations_for_user
from recommendations.services import (
    training_run_execute,
    training_run_request,
    training_run_retry,
    training_runs_sweep_stale,
)
from tests.factories.recommendations import recsys_world
from tests.recommendations import app_fixtures

ROOT = Path(__file__).resolve().parents[2]
recsys_settings = app_fixtures.recsys_settings
WORKER_ARGS = ["-Q", "gpu", "-P", "solo", "-n", "faults@%h", "--without-gossip", "--without-mingle", "-l", "WARNING"]


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def gpu_worker(recsys_settings: dict[str, Any]) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Starts a worker process on the gpu queue; from then on tasks go through Redis."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "RECOMMENDER_TOPM_STORE": "database",
    }
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        app.conf.task_always_eager = False
        app.control.purge()
        worker = subprocess.Popen(  # noqa: S603 (our own Celery app)
            [sys.executable, "-m", "celery", "-A", "config", "worker", *WORKER_ARGS],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=30)
        if started:
            app.control.purge()
        app.conf.task_always_eager = True


def _wait_for_state(run: TrainingRun, state: str, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.state == state:
            return
        time.sleep(0.2)
    raise AssertionError(f"run {run.pk} stayed {run.state}, never {state}")


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_training_leaves_the_active_model_serving_and_the_run_can_be_retried(
    gpu_worker: Callable[[], subprocess.Popen[bytes]],
) -> None:
    world = recsys_world(n_users=30, n_products=16, per_user=4)
    first = training_run_request(enqueue=False).run
    active = training_run_execute(run_id=first.pk).model_version  # in-process: lists refreshed at once
    assert active is not None and active.is_active
    worker = gpu_worker()

    # The main model takes long enough (TensorFlow) for the worker to be killed while it trains.
    doomed = training_run_request(model_name="tf_hybrid", params={"epochs": 30}, enqueue=True).run
    _wait_for_state(doomed, TrainingRun.State.RUNNING, timeout=180)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    app.conf.task_always_eager = True

    shopper = Client()
    shopper.force_login(world.users[0])
    assert shopper.get("/api/v1/recommendations/me").status_code == 200
    served = recommendations_for_user(user=world.users[0], m=5, slot="home")
    assert (served.source, served.model_version) == ("model", active.tag)
    assert ModelVersion.objects.get(is_active=True) == active

    # Once the heartbeat is older than the limit, the sweep marks the run failed.
    assert doomed.pk in training_runs_sweep_stale(now=timezone.now() + timedelta(hours=2))
    doomed.refresh_from_db()
    assert doomed.state == TrainingRun.State.FAILED
    assert doomed.error

    retried = training_run_retry(run=doomed, enqueue=False)
    assert retried.state == TrainingRun.State.QUEUED
    done = training_run_execute(run_id=doomed.pk)
    assert done.state == TrainingRun.State.SUCCEEDED, done.error
    assert ModelVersion.objects.filter(run=done).exists()
