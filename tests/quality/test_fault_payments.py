"""Payment webhooks that arrive twice at once, late, or before the shopper's browser comes back:
always exactly one order, paid at most once, and the shopper's entitlement granted once."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from commerce.models import Entitlement, Order, Payment, WebhookDelivery
from commerce.services.payments import orders_expire_stale, webhook_receive
from tests.factories import UserFactory
from tests.factories.catalog import sellable_book
from tests.factories.commerce import checkout_for, webhook_for


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_webhook_delivered_twice_at_the_same_moment_pays_the_order_once() -> None:
    shopper, book = UserFactory(), sellable_book(price="60.00")
    result = checkout_for(shopper, book)
    body, headers = webhook_for(result.payment, "pay")
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def deliver() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(webhook_receive(provider_name="sandbox", body=body, headers=headers).outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["captured", "replayed"]
    assert Order.objects.filter(user=shopper).count() == 1
    assert Order.objects.get(user=shopper).status == Order.Status.PAID
    assert WebhookDelivery.objects.count() == 1
    assert Entitlement.objects.filter(user=shopper).count() == 1


@pytest.mark.django_db
def test_a_webhook_arriving_after_the_order_expired_is_refunded_not_a_second_order(
    django_capture_on_commit_callbacks,
) -> None:
    shopper, book = UserFactory(), sellable_book(price="60.00")
    result = checkout_for(shopper, book)
    Order.objects.filter(pk=result.order.pk).update(created_at=timezone.now() - timedelta(days=1))
    assert orders_expire_stale() == 1
    body, headers = webhook_for(result.payment, "pay")
    with django_capture_on_commit_callbacks(execute=True):
        outcome = webhook_receive(provider_name="sandbox", body=body, headers=headers).outcome
    assert outcome == "late_payment_refunding"
    result.order.refresh_from_db()
    result.payment.refresh_from_db()
    assert result.order.status == Order.Status.EXPIRED
    assert result.payment.status == Payment.Status.REFUNDED
    assert Order.objects.filter(user=shopper).count() == 1
    assert not Entitlement.objects.filter(user=shopper).exists()


@pytest.mark.django_db
def test_a_webhook_before_the_browser_returns_leaves_one_paid_order_and_the_return_changes_nothing(
    django_capture_on_commit_callbacks,
) -> None:
    shopper, book = UserFactory(), sellable_book(price="60.00")
    key = uuid.uuid4().hex
    result = checkout_for(shopper, book, key=key, return_url="/orders/done/")
    body, headers = webhook_for(result.payment, "pay")
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_receive(provider_name="sandbox", body=body, headers=headers).outcome == "captured"
    browser = Client()
    browser.force_login(shopper)
    # The shopper's browser comes back to the hosted page, and clicks pay on it again.
    back = browser.post(result.redirect_url, {"outcome": "pay"})
    assert back.status_code == 302
    # The storefront retries the checkout with the same idempotency key: the first order comes back.
    again = checkout_for(shopper, book, key=key, return_url="/orders/done/")
    assert again.order.pk == result.order.pk
    assert Order.objects.filter(user=shopper).count() == 1
    assert Order.objects.get(user=shopper).status == Order.Status.PAID
    assert Entitlement.objects.filter(user=shopper).count() == 1
    assert WebhookDelivery.objects.count() == 1
