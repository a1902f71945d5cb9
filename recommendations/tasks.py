"""Recommendation tasks. Training tasks (``train_*``) are routed to the ``gpu`` queue.

Each task loads what it needs by id and calls one service; each is safe to run
twice (a redelivered training task finds its run no longer queued; a top-m
chunk rewrites the same lists).
"""

from __future__ import annotations

import os
import socket
from typing import Any

from celery import Task, chord, shared_task
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from recommendations.conf import recsys_setting


@shared_task(bind=True)
def accelerator_probe(self: Task) -> dict[str, Any]:
    """Report which worker took the task, from which queue, and whether it sees a GPU.

    Operators run it to check that a worker is listening on the ``gpu`` queue."""
    delivery = getattr(self.request, "delivery_info", None) or {}
    return {
        "hostname": socket.gethostname(),
        "worker": self.request.hostname,
        "routing_key": delivery.get("routing_key"),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "nvidia_device_present": os.path.exists("/dev/nvidia0"),
    }


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def train_model(self: Task, run_id: int) -> dict[str, Any]:
    """Train the model of a queued run (see ``services.training_run_execute``)."""
    from recommendations.services import training_run_execute

    run = training_run_execute(run_id=run_id, worker=str(self.request.hostname or socket.gethostname()))
    version = getattr(run, "model_version", None) if run.state == "succeeded" else None
    return {"run": run.pk, "state": run.state, "version": version.tag if version else None}


@shared_task
def nightly_retrain() -> dict[str, Any]:
    """The nightly retrain of the configured model (a no-op when the data have not changed).

    Only asks for the run (on the default queue); ``train_model`` does the work on ``gpu``."""
    from recommendations.models import TrainingRun
    from recommendations.services import training_run_request, training_runs_sweep_stale

    training_runs_sweep_stale()
    request = training_run_request(trigger=TrainingRun.Trigger.SCHEDULE)
    return {"run": request.run.pk, "state": request.run.state, "created": request.created}


@shared_task
def training_runs_sweep() -> list[int]:
    from recommendations.services import training_runs_sweep_stale

    return training_runs_sweep_stale()


@shared_task
def refresh_topm_chunk(version_id: int, first_user_id: int, last_user_id: int) -> int:
    """Recompute the lists of the active users with ids in [first, last]; returns how many."""
    from recommendations.models import ModelVersion
    from recommendations.topm import topm_refresh_range

    version = ModelVersion.objects.get(pk=version_id)
    return topm_refresh_range(version=version, first_user_id=first_user_id, last_user_id=last_user_id).users


@shared_task
def refresh_topm_done(counts: list[int], version_id: int, started_at: str) -> int:
    from recommendations.models import ModelVersion
    from recommendations.topm import topm_refresh_finish

    started = parse_datetime(started_at) or timezone.now()
    total = sum(int(c) for c in counts)
    topm_refresh_finish(version=ModelVersion.objects.get(pk=version_id), started_at=started, users=total)
    return total


@shared_task
def refresh_topm(version_id: int) -> int:
    """Recompute every active user's list with ``version_id``: one chunk inline, more as a Celery group.

    Returns the number of chunks."""
    from recommendations.models import ModelVersion
    from recommendations.topm import topm_user_ranges

    version = ModelVersion.objects.filter(pk=version_id, is_active=True).first()
    if version is None:
        return 0  # superseded before its refresh ran; the newer version refreshes everyone
    started = timezone.now().isoformat()
    ranges = topm_user_ranges(chunk_size=int(recsys_setting("TOPM_CHUNK_USERS")))
    header = [refresh_topm_chunk.s(version_id, first, last) for first, last in ranges]
    if len(header) <= 1 or refresh_topm.app.conf.task_always_eager:
        counts = [refresh_topm_chunk(version_id, first, last) for first, last in ranges]
        refresh_topm_done(counts, version_id, started)
    else:
        chord(header)(refresh_topm_done.s(version_id, started))
    return len(ranges)


@shared_task
def refresh_topm_incremental() -> int:
    """Recompute the lists of users with new activity since the last refresh of the active version."""
    from recommendations.models import ModelVersion
    from recommendations.topm import topm_refresh_incremental

    version = ModelVersion.objects.filter(is_active=True).first()
    return 0 if version is None else topm_refresh_incremental(version=version)
