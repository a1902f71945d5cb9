"""Suite-wide fixtures and the service markers.

Tests marked ``postgres``, ``redis`` or ``celery_worker`` need the real
service. Where it is missing they are skipped on a developer's machine and
fail in CI (``CI=true``), so a green CI run proves they ran.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.factories import PASSWORD, UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _redis_problem() -> str | None:
    if not settings.REDIS_URL:
        return "REDIS_URL is not set"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        return f"Redis at REDIS_URL does not answer: {exc}"
    return None


def _service_problem(marker: str) -> str | None:
    if marker == "postgres":
        if connection.vendor != "postgresql":
            return f"DATABASE_URL points at {connection.vendor}, not PostgreSQL"
        return None
    if marker in {"redis", "celery_worker"}:
        return _redis_problem()
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in ("postgres", "redis", "celery_worker"):
        if item.get_closest_marker(marker) is None:
            continue
        problem = _service_problem(marker)
        if problem:
            message = f"needs {marker}: {problem}"
            if IN_CI:
                pytest.fail(message, pytrace=False)
            pytest.skip(message)


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = settings.DATABASES["default"]
    where = db.get("HOST") or db.get("NAME")
    redis_line = settings.REDIS_URL or "not configured (local cache, in-process tasks)"
    if settings.REDIS_URL:
        redis_line += " (reachable)" if _redis_problem() is None else " (NOT reachable)"
    return [
        f"zhiqiao database: {connection.vendor} at {where} (test database test_{db.get('NAME', '')})",
        f"zhiqiao redis: {redis_line}",
        f"zhiqiao CI mode: {IN_CI} (missing services {'fail' if IN_CI else 'skip'})",
    ]


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def user(db: None):  # type: ignore[no-untyped-def]
    return UserFactory()


@pytest.fixture
def client_logged_in(client: Client, user) -> Client:  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """One browser for the whole run: Playwright's sync API allows one instance per thread."""
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail(f"Chromium is not installed at {CHROMIUM}")
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
