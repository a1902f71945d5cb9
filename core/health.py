"""Liveness and dependency checks behind ``/healthz``."""

from __future__ import annotations

import time
from typing import Any

import redis
from django.conf import settings
from django.db import connection


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # any failure of a dependency is a reportable state, not a crash
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300], "ms": _ms(started)}
    return {"ok": True, "ms": _ms(started)}


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _redis() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        client.ping()
    finally:
        client.close()


def health_report() -> dict[str, Any]:
    """``ok`` when every dependency answers; ``degraded`` when only Redis is down
    (pages still work, from the database); ``down`` when the database is."""
    checks: dict[str, Any] = {"database": _timed(_database)}
    checks["database"]["vendor"] = connection.vendor
    if settings.REDIS_URL:
        checks["redis"] = _timed(_redis)
    if not checks["database"]["ok"]:
        status = "down"
    elif not all(c["ok"] for c in checks.values()):
        status = "degraded"
    else:
        status = "ok"
    return {"status": status, "checks": checks}
