"""Simultaneous requests on PostgreSQL: threads with their own connections,
started together by a barrier, race through the real services."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from commerce.errors import RefundExceedsPaid, RefundInvalid
from commerce.models import Entitlement, Order, Payment, PaymentEvent, Refund, WebhookDelivery
from commerce.services import RefundTarget, refund_create, webhook_receive
from tests.factories import UserFactory
from tests.factories.catalog import sellable_book
from tests.factories.commerce import checkout_for, order_paid_for, webhook_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6


def _race(work: Callable[[int], Any], n: int = THREADS) -> list[Any]:
    """Run ``work(i)`` in ``n`` threads at once; each result or the exception it raised."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_simultaneous_deliveries_of_one_webhook_capture_once():
    user = UserFactory()
    result = checkout_for(user, sellable_book())
    body, headers = webhook_for(result.payment, "pay")
    outcomes = _race(lambda i: webhook_receive(provider_name="sandbox", body=body, headers=headers).outcome)
    assert sorted(outcomes) == ["captured"] + ["replayed"] * (THREADS - 1)
    assert Payment.objects.get().status == "succeeded"
    assert PaymentEvent.objects.filter(to_status="succeeded").count() == 1
    assert Entitlement.objects.count() == 1 and WebhookDelivery.objects.count() == 1


def test_simultaneous_success_events_with_different_ids_capture_once():
    user = UserFactory()
    result = checkout_for(user, sellable_book())
    signed = [webhook_for(result.payment, "pay") for _ in range(THREADS)]
    outcomes = _race(
        lambda i: webhook_receive(provider_name="sandbox", body=signed[i][0], headers=signed[i][1]).outcome
    )
    assert sorted(outcomes) == ["already_final"] * (THREADS - 1) + ["captured"]
    assert Entitlement.objects.count() == 1
    assert Order.objects.get().events.filter(to_status="paid").count() == 1


def test_simultaneous_checkouts_with_one_key_make_one_order_and_one_payment():
    user = UserFactory()
    variant = sellable_book()
    key = uuid.uuid4().hex
    results = _race(lambda i: checkout_for(user, variant, key=key))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.order.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert Order.objects.count() == 1 and Payment.objects.count() == 1


def test_simultaneous_refunds_never_exceed_the_amount_paid():
    user = UserFactory()
    order = order_paid_for(user, sellable_book(price="88.80"))
    line = order.lines.get()

    def refund(i: int) -> Refund:
        return refund_create(
            order=order, reason="race", idempotency_key=f"k{i}", requested_by=None, targets=[RefundTarget(line=line)]
        )

    results = _race(refund)
    succeeded = [r for r in results if isinstance(r, Refund) and r.status == "succeeded"]
    refused = [r for r in results if isinstance(r, RefundInvalid | RefundExceedsPaid)]
    assert len(succeeded) == 1 and len(refused) == THREADS - 1, results
    order.refresh_from_db()
    assert order.refunded_total == order.total == Decimal("88.80")
    assert not Entitlement.objects.filter(revoked_at__isnull=True).exists()
