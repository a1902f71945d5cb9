"""Refunded totals add up exactly, to the cent, on every database (SQLite sums decimals as floats)."""

from decimal import Decimal

import pytest

from commerce.models import Order, OrderLine, Payment, Refund
from commerce.services import RefundTarget, refund_create
from tests.factories import UserFactory
from tests.factories.catalog import bundle_of, sellable_book
from tests.factories.commerce import order_paid_for

pytestmark = pytest.mark.django_db


def test_refunding_31_55_then_157_33_of_a_188_88_bundle_is_exactly_188_88():
    shopper = UserFactory()
    cheap = sellable_book(price="31.55", title="小册子")
    dear = sellable_book(price="157.33", title="大部头")
    bundle = bundle_of(cheap, dear, price="188.88", title="两本套装")
    order = order_paid_for(shopper, bundle)
    line = order.lines.get()
    items = {item.variant_id: item for item in line.items.all()}
    assert (items[cheap.pk].share, items[dear.pk].share) == (Decimal("31.55"), Decimal("157.33"))

    first = refund_create(
        order=order,
        reason="r",
        idempotency_key="a",
        requested_by=shopper,
        targets=[RefundTarget(line=line, item=items[cheap.pk])],
    )
    second = refund_create(
        order=order,
        reason="r",
        idempotency_key="b",
        requested_by=shopper,
        targets=[RefundTarget(line=line, item=items[dear.pk])],
    )

    assert (first.status, second.status) == (Refund.Status.SUCCEEDED, Refund.Status.SUCCEEDED)
    line = OrderLine.objects.get(pk=line.pk)
    assert line.refunded_amount == line.price_paid == Decimal("188.88")
    order = Order.objects.get(pk=order.pk)
    assert order.refunded_total == order.total == Decimal("188.88")
    assert order.status == Order.Status.REFUNDED
    payment = Payment.objects.get(order=order)
    assert payment.refunded_amount == Decimal("188.88")
    assert payment.status == Payment.Status.REFUNDED
