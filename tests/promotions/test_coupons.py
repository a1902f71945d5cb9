"""Coupons in the database: creation rules, batch codes, redemption limits, release."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone

from promotions.errors import CouponAlreadyUsed, CouponExhausted, CouponNotApplicable, CouponNotFound, PromotionInvalid
from promotions.models import Coupon, CouponCode, Redemption
from promotions.services.coupons import coupon_codes_generate, coupon_create, coupon_redeem, coupon_release
from tests.factories import UserFactory
from tests.factories.promotions import CouponFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def _coupon(**kw):
    kw.setdefault("name", "双十一")
    kw.setdefault("kind", Coupon.Kind.PERCENTAGE)
    kw.setdefault("value", Decimal("10"))
    kw.setdefault("valid_from", NOW - timedelta(days=1))
    kw.setdefault("valid_to", NOW + timedelta(days=1))
    return coupon_create(**kw)


def test_single_code_is_stored_upper_case():
    coupon = _coupon(code="spring-26")
    assert list(coupon.codes.values_list("code", flat=True)) == ["SPRING-26"]


def test_code_already_taken_is_refused_and_nothing_is_saved():
    _coupon(code="SAME")
    before = Coupon.objects.count()
    with pytest.raises(PromotionInvalid, match="already in use"):
        _coupon(code="same")
    assert Coupon.objects.count() == before


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"value": Decimal("120")}, "100%"),
        ({"value": Decimal("0")}, "more than zero"),
        ({"valid_to": NOW - timedelta(days=2)}, "after it starts"),
        ({"kind": Coupon.Kind.BUNDLE_PRICE, "value": Decimal("99")}, "two products"),
        ({"code": "a b"}, "not a usable code"),
    ],
)
def test_bad_coupon_is_refused_with_a_reason(kw, message):
    with pytest.raises(PromotionInvalid, match=message):
        _coupon(**kw)


def test_database_refuses_used_beyond_the_limit():
    coupon = CouponFactory(usage_limit=1)
    with pytest.raises(IntegrityError):
        Coupon.objects.filter(pk=coupon.pk).update(used=2)


def test_batch_generation_makes_unique_single_use_codes_and_reports_progress():
    coupon = CouponFactory()
    seen = []
    codes = coupon_codes_generate(
        coupon=coupon, count=2500, prefix="zq", length=8, progress=lambda d, t: seen.append((d, t))
    )
    assert len(codes) == len(set(codes)) == 2500
    assert all(c.startswith("ZQ") and len(c) == 10 for c in codes)
    assert CouponCode.objects.filter(coupon=coupon, max_uses=1).count() == 2500
    assert seen[-1] == (2500, 2500)
    assert len(seen) >= 3


def test_redeem_counts_a_use_and_a_replay_returns_the_same_redemption():
    coupon = CouponFactory(code="ONCE", usage_limit=5)
    user = UserFactory()
    first = coupon_redeem(code="once", user=user, order_number="ZQ1", discount=Decimal("5.00"))
    again = coupon_redeem(code="ONCE", user=user, order_number="ZQ1", discount=Decimal("5.00"))
    assert first.pk == again.pk
    coupon.refresh_from_db()
    assert coupon.used == 1


def test_second_use_by_same_user_is_rejected():
    CouponFactory(code="PERUSER", per_user_limit=1)
    user = UserFactory()
    coupon_redeem(code="PERUSER", user=user, order_number="ZQ1", discount=Decimal("1"))
    with pytest.raises(CouponAlreadyUsed):
        coupon_redeem(code="PERUSER", user=user, order_number="ZQ2", discount=Decimal("1"))
    coupon_redeem(code="PERUSER", user=UserFactory(), order_number="ZQ3", discount=Decimal("1"))


def test_two_uses_per_user_take_two_slots():
    CouponFactory(code="TWICE", per_user_limit=2)
    user = UserFactory()
    slots = [
        coupon_redeem(code="TWICE", user=user, order_number=f"ZQ{i}", discount=Decimal("1")).use_number for i in (1, 2)
    ]
    assert slots == [1, 2]
    with pytest.raises(CouponAlreadyUsed):
        coupon_redeem(code="TWICE", user=user, order_number="ZQ3", discount=Decimal("1"))


def test_exhausted_coupon_is_refused_as_used_up():
    CouponFactory(code="LAST", usage_limit=1)
    coupon_redeem(code="LAST", user=UserFactory(), order_number="ZQ1", discount=Decimal("1"))
    with pytest.raises(CouponExhausted) as exc:
        coupon_redeem(code="LAST", user=UserFactory(), order_number="ZQ2", discount=Decimal("1"))
    assert exc.value.code == "coupon_used_up"
    assert Redemption.objects.filter(order_number="ZQ2").count() == 0


def test_single_use_batch_code_cannot_be_used_twice():
    coupon = CouponFactory(per_user_limit=None)
    (code,) = coupon_codes_generate(coupon=coupon, count=1)
    coupon_redeem(code=code, user=UserFactory(), order_number="ZQ1", discount=Decimal("1"))
    with pytest.raises(CouponExhausted):
        coupon_redeem(code=code, user=UserFactory(), order_number="ZQ2", discount=Decimal("1"))
    coupon.refresh_from_db()
    assert coupon.used == 1


def test_unknown_and_expired_codes_are_refused():
    with pytest.raises(CouponNotFound):
        coupon_redeem(code="NOPE", user=UserFactory(), order_number="ZQ1", discount=Decimal("1"))
    CouponFactory(code="OLD", valid_from=NOW - timedelta(days=3), valid_to=NOW - timedelta(days=1))
    with pytest.raises(CouponNotApplicable):
        coupon_redeem(code="OLD", user=UserFactory(), order_number="ZQ1", discount=Decimal("1"))


def test_release_gives_the_use_back_once():
    coupon = CouponFactory(code="BACK", usage_limit=1, per_user_limit=1)
    user = UserFactory()
    coupon_redeem(code="BACK", user=user, order_number="ZQ1", discount=Decimal("1"))
    assert coupon_release(order_number="ZQ1", reason="payment_failed") == 1
    assert coupon_release(order_number="ZQ1", reason="payment_failed") == 0
    coupon.refresh_from_db()
    assert coupon.used == 0
    # The same customer may use it again, and the total limit is free again.
    again = coupon_redeem(code="BACK", user=user, order_number="ZQ2", discount=Decimal("1"))
    assert again.use_number == 1
    assert Redemption.objects.get(order_number="ZQ1").status == Redemption.Status.RELEASED
