"""Redis stops: the storefront, the cart and checkout, and recommendations keep answering from
the database (degraded, never a server error), nothing the shopper did is lost, and /healthz
says ``degraded``. A private Redis is started for the test and killed; the machine's shared
Redis is never touched."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings

from commerce.models import Order, Payment
from tests.factories.commerce import deliver
from tests.quality.conftest import World
from tests.quality.services import PrivateRedis, private_redis


@pytest.fixture
def redis_to_kill() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        caches = {
            "default": {
                **settings.CACHES["default"],
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": server.url,
                "OPTIONS": {
                    "CLIENT_CLASS": "django_redis.client.DefaultClient",
                    "SOCKET_CONNECT_TIMEOUT": 0.5,
                    "SOCKET_TIMEOUT": 0.5,
                    "IGNORE_EXCEPTIONS": True,
                },
            }
        }
        recommender = {**settings.RECOMMENDER, "TOPM_STORE": "redis", "TOPM_REDIS_URL": server.url}
        with override_settings(REDIS_URL=server.url, CACHES=caches, RECOMMENDER=recommender):
            yield server


def _health(client: Client) -> dict[str, Any]:
    response = client.get("/healthz")
    assert response.status_code == 200
    return response.json()


@pytest.mark.redis
@pytest.mark.django_db
def test_with_redis_stopped_shopping_and_recommendations_still_work_and_health_says_degraded(
    world: World, redis_to_kill: PrivateRedis, django_capture_on_commit_callbacks: Any
) -> None:
    shopper = Client()
    shopper.force_login(world.shopper)
    assert _health(shopper)["status"] == "ok"
    cache.set("probe", 1)
    assert cache.get("probe") == 1  # the cache really is the private Redis

    redis_to_kill.stop()

    health = _health(shopper)
    assert health["status"] == "degraded"
    assert health["checks"]["redis"]["ok"] is False
    assert health["checks"]["database"]["ok"] is True
    for path in ("/", world.a.product.get_absolute_url(), "/search/?q=Aurora"):
        assert shopper.get(path).status_code == 200, path

    added = shopper.post("/api/v1/cart/", {"variant_id": world.a.variant.pk}, content_type="application/json")
    assert added.status_code in {200, 201}, added.content
    with django_capture_on_commit_callbacks(execute=True):
        checkout = shopper.post(
            "/api/v1/checkout/", {"idempotency_key": "redis-down-1"}, content_type="application/json"
        )
    assert checkout.status_code == 201, checkout.content
    order = Order.objects.get(user=world.shopper)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(Payment.objects.get(order=order), "pay") == "captured"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID

    mine = shopper.get("/api/v1/recommendations/me")
    assert mine.status_code == 200, mine.content
    similar = shopper.get(f"/api/v1/recommendations/products/{world.a.product.pk}/similar")
    assert similar.status_code == 200, similar.content
    assert shopper.get("/api/v1/library/").status_code == 200
    assert Order.objects.filter(user=world.shopper).count() == 1
