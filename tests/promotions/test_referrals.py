"""Referral (分销): who earns a line's commission, for how long, and what a refund does."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone

from promotions.attribution import Attribution, Touch
from promotions.errors import ReferralInvalid
from promotions.models import ReferralCommission
from promotions.services.referrals import (
    referral_commission_for_line,
    referral_commission_mark_paid,
    referral_commission_refund,
    referral_link_create,
)
from tests.factories import UserFactory
from tests.factories.catalog import sellable_book
from tests.factories.promotions import CouponFactory, ReferralProgrammeFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.fixture
def book():
    return sellable_book(price="100.00").product


@pytest.fixture
def programme():
    return ReferralProgrammeFactory(commission_percent=Decimal("10.00"), cookie_window_days=30)


def _clicked(code: str, days_ago: float) -> Attribution:
    touch = Touch(at=NOW - timedelta(days=days_ago), ref=code, landing_path="/")
    return Attribution(first=touch, last=touch, referral=touch)


def _earn(book, buyer, attribution=None, coupons=(), line="L1", paid="80.00"):
    return referral_commission_for_line(
        order_number="ZQ1",
        line_ref=line,
        buyer=buyer,
        product=book,
        amount_paid=Decimal(paid),
        attribution=attribution,
        promoter_coupons=coupons,
        at=NOW,
    )


def test_share_link_is_made_once_per_promoter_and_product(book, programme):
    promoter = UserFactory()
    first = referral_link_create(promoter=promoter, product=book)
    assert referral_link_create(promoter=promoter, product=book).pk == first.pk
    assert first.programme == programme


def test_share_link_needs_a_programme_covering_it(book):
    with pytest.raises(ReferralInvalid, match="No referral programme"):
        referral_link_create(promoter=UserFactory(), product=book)


def test_click_within_the_window_earns_the_commission_on_the_price_paid(book, programme):
    link = referral_link_create(promoter=UserFactory(), product=book)
    commission = _earn(book, UserFactory(), _clicked(link.code, days_ago=29))
    assert commission.amount == Decimal("8.00")  # 10% of the 80.00 actually paid, not the 100.00 list price
    assert commission.source == ReferralCommission.Source.LINK


def test_click_older_than_the_window_earns_nothing(book, programme):
    link = referral_link_create(promoter=UserFactory(), product=book)
    assert _earn(book, UserFactory(), _clicked(link.code, days_ago=31)) is None


def test_last_click_wins_between_two_promoters(book, programme):
    first = referral_link_create(promoter=UserFactory(), product=book)
    last = referral_link_create(promoter=UserFactory(), product=book)
    from promotions.attribution import attribution_merge

    journey = attribution_merge(_clicked(first.code, 5), Touch(at=NOW - timedelta(days=1), ref=last.code), now=NOW)
    assert _earn(book, UserFactory(), journey).link == last


def test_promoters_coupon_overrides_the_cookie(book, programme):
    cookie_link = referral_link_create(promoter=UserFactory(), product=book)
    coupon_link = referral_link_create(promoter=UserFactory(), product=book)
    coupon = CouponFactory(referral_link=coupon_link)
    commission = _earn(book, UserFactory(), _clicked(cookie_link.code, 1), coupons=[coupon])
    assert commission.link == coupon_link
    assert commission.source == ReferralCommission.Source.COUPON


def test_self_referral_earns_nothing_by_link_or_by_coupon(book, programme):
    promoter = UserFactory()
    link = referral_link_create(promoter=promoter, product=book)
    assert _earn(book, promoter, _clicked(link.code, 1)) is None
    assert _earn(book, promoter, coupons=[CouponFactory(referral_link=link)], line="L2") is None
    assert ReferralCommission.objects.count() == 0


def test_database_refuses_a_self_referral_commission(book, programme):
    promoter = UserFactory()
    link = referral_link_create(promoter=promoter, product=book)
    with pytest.raises(IntegrityError):
        ReferralCommission.objects.create(
            link=link,
            promoter=promoter,
            buyer=promoter,
            product=book,
            order_number="ZQ",
            line_ref="X",
            source="link",
            base_amount=Decimal(1),
            percent=Decimal(1),
            amount=Decimal("0.01"),
        )


def test_commission_is_recorded_once_per_line(book, programme):
    link = referral_link_create(promoter=UserFactory(), product=book)
    buyer = UserFactory()
    first = _earn(book, buyer, _clicked(link.code, 1))
    assert _earn(book, buyer, _clicked(link.code, 1)).pk == first.pk
    assert ReferralCommission.objects.count() == 1


def test_product_rate_overrides_the_programme_rate(book, programme):
    programme.rates.create(product=book, commission_percent=Decimal("25"))
    link = referral_link_create(promoter=UserFactory(), product=book)
    assert _earn(book, UserFactory(), _clicked(link.code, 1)).amount == Decimal("20.00")


def test_full_refund_voids_the_commission_and_partial_refund_reduces_it(book, programme):
    link = referral_link_create(promoter=UserFactory(), product=book)
    _earn(book, UserFactory(), _clicked(link.code, 1), line="A")
    _earn(book, UserFactory(), _clicked(link.code, 1), line="B")
    partial = referral_commission_refund(line_ref="A", refunded_amount=Decimal("20.00"))
    assert partial.amount == Decimal("6.00")
    assert partial.status == ReferralCommission.Status.PENDING
    full = referral_commission_refund(line_ref="B", refunded_amount=Decimal("80.00"))
    assert full.status == ReferralCommission.Status.VOID
    assert full.amount == 0


def test_paid_commission_is_not_changed_by_a_later_refund(book, programme):
    link = referral_link_create(promoter=UserFactory(), product=book)
    commission = _earn(book, UserFactory(), _clicked(link.code, 1))
    assert referral_commission_mark_paid(commission_ids=[commission.pk], payout_ref="PO-1") == 1
    after = referral_commission_refund(line_ref=commission.line_ref, refunded_amount=Decimal("80.00"))
    assert after.status == ReferralCommission.Status.PAID
    assert after.amount == Decimal("8.00")
