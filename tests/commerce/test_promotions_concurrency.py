"""Coupon limits under parallel checkouts on PostgreSQL: every thread has its own connection and
goes through commerce's real checkout service (cart → order → payment)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import translation

from commerce.errors import CouponHeldByUnpaidOrder
from commerce.models import Order, OrderLine, Payment
from promotions.errors import CouponExhausted
from promotions.models import Coupon, Redemption
from tests.factories import UserFactory
from tests.factories.catalog import sellable_book
from tests.factories.commerce import cart_with, checkout_cart
from tests.factories.promotions import CouponFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal
# Well under PostgreSQL's default 100 connections, which other test runs share.
WORKERS = 40


def _parallel(work: Callable[[int], Any], count: int, workers: int = WORKERS) -> list[Any]:
    """``work(i)`` for i in 0..count-1 on ``workers`` threads, the first ``workers`` released together;
    each result or the exception raised. Every thread closes its own connection."""
    start = threading.Barrier(min(workers, count))

    def run(i: int) -> Any:
        try:
            if i < workers:
                start.wait(timeout=60)
            with translation.override("en"):
                return work(i)
        except Exception as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, range(count)))


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    yield
    connection.close()


def _outcomes(results: Sequence[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        key = "order" if hasattr(r, "order") else type(r).__name__
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_200_parallel_checkouts_redeem_a_100_use_coupon_exactly_100_times():
    book = sellable_book(price="59.90")
    coupon = CouponFactory(code="HUNDRED", kind=Coupon.Kind.FIXED_AMOUNT, value=D("20.00"), usage_limit=100)
    shoppers = [UserFactory() for _ in range(200)]
    for shopper in shoppers:
        cart_with(shopper, book, codes=["HUNDRED"])

    results = _parallel(lambda i: checkout_cart(shoppers[i]), len(shoppers))

    assert _outcomes(results) == {"order": 100, "CouponExhausted": 100}, _outcomes(results)
    refusals = [r for r in results if isinstance(r, CouponExhausted)]
    assert all(r.code == "coupon_used_up" and r.status_code == 409 for r in refusals)
    assert all(r.message == "Coupon HUNDRED has been used up. Remove it to check out." for r in refusals)
    # Exactly the winners have orders, each charged the discounted price, nobody a wrong one.
    winners = {r.order.user_id for r in results if hasattr(r, "order")}
    assert set(Order.objects.values_list("user_id", flat=True)) == winners
    assert set(Order.objects.values_list("subtotal", "discount", "total")) == {(D("59.90"), D("20.00"), D("39.90"))}
    assert set(OrderLine.objects.values_list("discount", "price_paid")) == {(D("20.00"), D("39.90"))}
    assert Payment.objects.count() == 100 and set(Payment.objects.values_list("amount", flat=True)) == {D("39.90")}
    coupon.refresh_from_db()
    assert coupon.used == 100
    redeemed = set(Redemption.objects.filter(coupon=coupon, status="active").values_list("order_number", flat=True))
    assert redeemed == set(Order.objects.values_list("number", flat=True))


def test_parallel_checkouts_by_one_shopper_get_a_once_per_user_coupon_once():
    shopper = UserFactory()
    book = sellable_book(price="80.00")
    coupon = CouponFactory(code="JUSTONCE", kind=Coupon.Kind.PERCENTAGE, value=D("25"), per_user_limit=1)
    cart_with(shopper, book, codes=["JUSTONCE"])

    # Different idempotency keys: as many separate checkouts (tabs, devices) as threads.
    results = _parallel(lambda i: checkout_cart(shopper, key=f"tab-{i}"), 30, workers=30)

    assert _outcomes(results) == {"order": 1, "CouponHeldByUnpaidOrder": 29}, _outcomes(results)
    [order] = Order.objects.all()
    assert (order.subtotal, order.discount, order.total) == (D("80.00"), D("20.00"), D("60.00"))
    assert all(order.number in r.message for r in results if isinstance(r, CouponHeldByUnpaidOrder))
    coupon.refresh_from_db()
    assert coupon.used == 1
    assert Redemption.objects.filter(coupon=coupon, user=shopper).count() == 1
