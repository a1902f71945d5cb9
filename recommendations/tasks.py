"""Recommendation tasks. Training tasks (``train_*``) are routed to the ``gpu`` queue."""

from __future__ import annotations

import os
import socket
from typing import Any

from celery import Task, shared_task


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
