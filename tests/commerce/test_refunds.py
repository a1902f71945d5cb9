from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from commerce.errors import RefundInvalid
from commerce.models import Entitlement, Order, OrderLine, Payment, Refund
from commerce.selectors import entitlement_product_ids, user_owns
from commerce.services import RefundTarget, refund_create
from commerce.signals import order_refunded
from core.errors import NotAllowed
from tests.factories import UserFactory
from tests.factories.commerce import checkout_for, order_paid_for

pytestmark = pytest.mark.django_db


def _refund(order, *targets, key="r1", by=None, reason="changed my mind"):
    return refund_create(
        order=order,
        reason=reason,
        idempotency_key=key,
        requested_by=by or order.user,
        targets=list(targets) or None,
    )


def _item(order, variant):
    return order.lines.get().items.get(variant=variant)


def test_partial_refund_of_a_bundle_revokes_only_that_item(shopper, bundle, book, course):
    order = order_paid_for(shopper, bundle)
    line = order.lines.get()
    refund = _refund(order, RefundTarget(line=line, item=_item(order, book)))
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.amount == Decimal("45.00")  # the book's pro-rata share of 150.00
    assert entitlement_product_ids(shopper) == {bundle.product_id, course.product_id}
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    assert order.refunded_total == Decimal("45.00")
    assert order.payment.status == Payment.Status.PARTIALLY_REFUNDED


def test_refunding_the_last_item_of_a_bundle_revokes_the_bundle_too(shopper, bundle, book, course):
    order = order_paid_for(shopper, bundle)
    line = order.lines.get()
    _refund(order, RefundTarget(line=line, item=_item(order, book)), key="a")
    _refund(order, RefundTarget(line=line, item=_item(order, course)), key="b")
    assert entitlement_product_ids(shopper) == set()
    order.refresh_from_db()
    assert (order.status, order.refunded_total) == (Order.Status.REFUNDED, order.total)


def test_full_refund_revokes_everything_and_sends_one_signal(shopper, book, course, django_capture_on_commit_callbacks):
    received = []

    def handler(sender, refund, **kwargs):
        received.append(refund.amount)

    order_refunded.connect(handler)
    try:
        order = order_paid_for(shopper, book, course)
        with django_capture_on_commit_callbacks(execute=True):
            refund = _refund(order)
            _refund(order)  # the same key again
    finally:
        order_refunded.disconnect(handler)
    assert refund.amount == Decimal("200.00")
    assert received == [Decimal("200.00")]
    assert not user_owns(shopper, book.product) and not user_owns(shopper, course.product)
    assert list(Order.objects.get(pk=order.pk).events.values_list("to_status", flat=True)) == [
        "pending_payment",
        "paid",
        "refunded",
    ]


def test_same_refund_key_returns_the_first_refund(shopper, book):
    order = order_paid_for(shopper, book)
    first = _refund(order, key="once")
    second = _refund(order, key="once")
    assert first.pk == second.pk and Refund.objects.count() == 1


def test_refunds_never_exceed_the_amount_paid(shopper, book, course):
    order = order_paid_for(shopper, book, course)
    book_line = order.lines.get(variant=book)
    _refund(order, RefundTarget(line=book_line), key="a")
    with pytest.raises(RefundInvalid, match="活法"):
        _refund(order, RefundTarget(line=book_line), key="b")
    _refund(order, key="c")  # everything left: the course
    with pytest.raises(RefundInvalid):
        _refund(order, key="d")
    order.refresh_from_db()
    assert order.refunded_total == order.total == Decimal("200.00")
    assert sum(r.amount for r in Refund.objects.filter(status="succeeded")) == order.total


def test_database_refuses_a_refunded_total_above_the_total(shopper, book):
    order = order_paid_for(shopper, book)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(refunded_total=F("total") + Decimal("0.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.filter(order=order).update(refunded_amount=F("price_paid") + Decimal("0.01"))


@override_settings(
    PAYMENT_PROVIDERS={
        "sandbox": {"class": "commerce.payments.sandbox.SandboxProvider", "options": {"fail_refunds": True}}
    }
)
def test_declined_refund_releases_the_amount_and_keeps_the_product(shopper, book):
    order = order_paid_for(shopper, book)
    refund = _refund(order)
    assert refund.status == Refund.Status.FAILED
    assert "declined" in Refund.objects.get(pk=refund.pk).failure_message
    order.refresh_from_db()
    assert (order.status, order.refunded_total) == (Order.Status.PAID, Decimal("0.00"))
    assert order.lines.get().refunded_amount == 0
    assert user_owns(shopper, book.product)


def test_unpaid_order_cannot_be_refunded(shopper, book):
    order = checkout_for(shopper, book).order
    with pytest.raises(RefundInvalid, match=order.number):
        _refund(order)


def test_shopper_cannot_refund_someone_elses_order(shopper, book):
    order = order_paid_for(shopper, book)
    with pytest.raises(NotAllowed):
        _refund(order, by=UserFactory())
    assert not Refund.objects.exists()


def test_shopper_cannot_refund_after_the_window_but_staff_can(shopper, book):
    order = order_paid_for(shopper, book)
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=15))
    order.refresh_from_db()
    with pytest.raises(NotAllowed):
        _refund(order, key="late")
    assert _refund(order, key="staff", by=UserFactory(is_staff=True)).status == Refund.Status.SUCCEEDED


def test_refund_needs_a_reason(shopper, book):
    with pytest.raises(RefundInvalid):
        _refund(order_paid_for(shopper, book), reason="  ")


def test_refunded_product_can_be_bought_again(shopper, book):
    order = order_paid_for(shopper, book)
    _refund(order)
    again = order_paid_for(shopper, book)
    assert user_owns(shopper, book.product)
    assert Entitlement.objects.filter(user=shopper, product=book.product).count() == 2
    assert again.pk != order.pk
