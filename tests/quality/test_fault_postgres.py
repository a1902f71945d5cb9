"""PostgreSQL restarts under a running application: Gunicorn keeps its persistent connection
(CONN_MAX_AGE), and the very next request after the restart succeeds without restarting the
application, because connections are health-checked at the start of each request. A private
PostgreSQL is started for the test in a temporary folder; the machine's own is never touched."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.quality.services import PrivatePostgres, free_port, private_postgres, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def _get(port: int, path: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": "127.0.0.1"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 (loopback only)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def app_on_private_postgres() -> Iterator[tuple[int, PrivatePostgres]]:
    with private_postgres() as server:
        port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": server.url,
            "DB_CONN_MAX_AGE": "600",
            "REDIS_URL": "",
        }
        gunicorn = Path(sys.executable).parent / "gunicorn"
        app = subprocess.Popen(  # noqa: S603 (our own application on loopback)
            [str(gunicorn), "config.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "60"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port, timeout=60)
            yield port, server
        finally:
            app.terminate()
            app.wait(timeout=30)


@pytest.mark.postgres
def test_the_first_request_after_a_postgres_restart_succeeds_without_restarting_the_app(
    app_on_private_postgres: tuple[int, PrivatePostgres],
) -> None:
    port, server = app_on_private_postgres
    for _warm in range(3):
        status, body = _get(port, "/healthz")
        assert status == 200 and body["checks"]["database"]["ok"], body

    server.restart()

    status, body = _get(port, "/healthz")
    assert status == 200, body
    assert body["checks"]["database"]["ok"] is True
    assert body["status"] == "ok"
