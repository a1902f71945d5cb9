from datetime import timedelta

import pytest
from django.utils import timezone

from commerce.models import Order, OrderLine, Payment, Refund
from commerce.selectors import user_owns
from commerce.services import orders_expire_stale
from tests.factories import UserFactory
from tests.factories.commerce import checkout_for, deliver, order_paid_for

pytestmark = pytest.mark.django_db


def test_unpaid_orders_expire_after_the_payment_timeout(shopper, book, course):
    stale = checkout_for(shopper, book).order
    fresh = checkout_for(shopper, course).order
    Order.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(minutes=31))
    assert orders_expire_stale() == 1
    assert orders_expire_stale() == 0
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == ("expired", "pending_payment")
    assert Payment.objects.get(order=stale).status == "cancelled"
    # Money arriving after expiry is given back, and grants nothing.
    assert deliver(stale.payment, "pay") == "late_payment_refunding"
    assert not user_owns(shopper, book.product)


def test_staff_refund_a_line_from_the_admin(client, shopper, book, course):
    order = order_paid_for(shopper, book, course)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    line = order.lines.get(variant=book)
    response = client.post(
        "/admin/commerce/orderline/",
        {"action": "refund_lines", "_selected_action": [line.pk]},
        follow=True,
    )
    assert response.status_code == 200
    refund = Refund.objects.get()
    assert (refund.status, refund.amount, refund.requested_by.is_staff) == ("succeeded", book.price, True)
    assert OrderLine.objects.get(pk=line.pk).refunded_amount == book.price
    assert not user_owns(shopper, book.product) and user_owns(shopper, course.product)


def test_admin_pages_of_an_order_render(client, shopper, bundle):
    order = order_paid_for(shopper, bundle)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/commerce/order/").status_code == 200
    page = client.get(f"/admin/commerce/order/{order.pk}/change/")
    assert page.status_code == 200 and order.number in page.content.decode()
    assert client.get(f"/admin/commerce/payment/{order.payment.pk}/change/").status_code == 200
