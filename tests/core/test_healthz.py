import socket

import pytest

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    """A local port nothing listens on: a Redis that has been stopped."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_reports_database(client):
    body = client.get("/healthz").json()
    assert body["checks"]["database"]["ok"] is True


def test_healthz_without_redis_configured_is_ok(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert "redis" not in response.json()["checks"]


def test_healthz_reports_stopped_redis_as_degraded(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["ok"] is False
    assert "Connection" in body["checks"]["redis"]["error"]


@pytest.mark.redis
def test_healthz_with_live_redis_is_ok(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["checks"]["redis"]["ok"] is True


@pytest.mark.redis
def test_pages_and_throttled_api_still_answer_when_redis_cache_is_down(client, settings, user, password):
    """The cache (and throttling that counts in it) fails open; nothing turns into a 500."""
    from django.core.cache import caches

    port = _closed_port()
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2, "IGNORE_EXCEPTIONS": True},
        }
    }
    assert caches["default"].get("anything") is None  # really pointing at the stopped Redis
    assert client.get("/").status_code == 200
    login = client.post(
        "/api/v1/auth/login/", {"email": user.email, "password": password}, content_type="application/json"
    )
    assert login.status_code == 200
