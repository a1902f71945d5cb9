"""Redemption under parallel checkouts, on PostgreSQL: limits hold exactly."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from promotions.errors import CouponAlreadyUsed, CouponExhausted
from promotions.models import Coupon, Redemption
from promotions.services.coupons import coupon_redeem
from tests.factories import UserFactory
from tests.factories.promotions import CouponFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(attempts: list[tuple[object, str]], code: str, workers: int = 40) -> list[str]:
    """Run every (user, order_number) redemption at once; each thread uses its own connection."""
    start = threading.Barrier(workers)

    def redeem(arg: tuple[int, tuple[object, str]]) -> str:
        index, (user, order_number) = arg
        try:
            if index < workers:
                start.wait(timeout=30)
            coupon_redeem(code=code, user=user, order_number=order_number, discount=Decimal("10.00"))
            return "ok"
        except CouponExhausted as exc:
            return "used_up" if exc.code == "coupon_used_up" and "HUNDRED" in exc.message else "unclear"
        except CouponAlreadyUsed:
            return "already_used"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(redeem, enumerate(attempts)))


def test_200_parallel_redemptions_of_a_100_use_coupon_succeed_exactly_100_times():
    coupon = CouponFactory(code="HUNDRED", usage_limit=100, per_user_limit=1)
    users = [UserFactory() for _ in range(200)]
    outcomes = _race([(u, f"ZQ-{i}") for i, u in enumerate(users)], "HUNDRED")
    assert outcomes.count("ok") == 100
    assert outcomes.count("used_up") == 100
    coupon.refresh_from_db()
    assert coupon.used == 100
    assert Redemption.objects.filter(coupon=coupon, status=Redemption.Status.ACTIVE).count() == 100


def test_parallel_redemptions_by_one_user_of_a_once_per_user_coupon_succeed_once():
    coupon = CouponFactory(code="JUSTONCE", usage_limit=None, per_user_limit=1)
    user = UserFactory()
    outcomes = _race([(user, f"ZQ-{i}") for i in range(60)], "JUSTONCE", workers=30)
    assert outcomes.count("ok") == 1
    assert outcomes.count("already_used") == 59
    assert Coupon.objects.get(pk=coupon.pk).used == 1
    assert Redemption.objects.filter(coupon=coupon, user=user).count() == 1
