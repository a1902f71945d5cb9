"""The calls commerce makes: price a cart, apply promotions at checkout, record payment, release, refund."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from promotions.attribution import Attribution, Touch
from promotions.errors import CouponExhausted, CouponNotApplicable
from promotions.models import CampaignConversion, Coupon, Redemption, ReferralCommission
from promotions.services.checkout import (
    PaidLine,
    cart_price_for,
    order_line_attribution,
    promotion_checkout_apply,
    promotion_line_refunded,
    promotion_order_abandoned,
    promotion_order_paid,
)
from promotions.services.coupons import coupon_redeem
from promotions.services.referrals import referral_link_create
from tests.factories import UserFactory
from tests.factories.catalog import sellable_book, sellable_course
from tests.factories.promotions import CampaignFactory, CouponFactory, OfferFactory, ReferralProgrammeFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def campaign():
    return CampaignFactory(slug="reading-season")


@pytest.fixture
def cart():
    course = sellable_course(price="199.00")
    book = sellable_book(price="60.00")
    return course, book


def test_cart_is_priced_with_live_offers_and_entered_codes(campaign, cart):
    course, book = cart
    offer = OfferFactory(
        campaign=campaign, kind="cross_discount", percent_off=D("30"), group_size=None, group_price=None
    )
    offer.trigger_products.set([course.product])
    offer.target_products.set([book.product])
    CouponFactory(campaign=campaign, code="TEN", kind=Coupon.Kind.FIXED_AMOUNT, value=D("10"))
    priced = cart_price_for(items=[(course, 1), (book, 1)], user=UserFactory(), codes=["ten", "nope"])
    assert priced.offer_discount == D("18.00")
    assert priced.coupon_discount == D("10.00")
    assert priced.total == D("231.00")
    assert [r.reason for r in priced.rejected] == ["unknown"]


def test_offers_of_a_paused_campaign_do_not_apply(campaign, cart):
    course, book = cart
    campaign.status = "paused"
    campaign.save()
    offer = OfferFactory(
        campaign=campaign, kind="cross_discount", percent_off=D("30"), group_size=None, group_price=None
    )
    offer.trigger_products.set([course.product])
    offer.target_products.set([book.product])
    assert cart_price_for(items=[(course, 1), (book, 1)], user=None).discount == 0


def test_checkout_redeems_the_applied_coupons(campaign, cart):
    course, _book = cart
    CouponFactory(campaign=campaign, code="TEN", kind=Coupon.Kind.FIXED_AMOUNT, value=D("10"), usage_limit=5)
    user = UserFactory()
    priced = promotion_checkout_apply(order_number="ZQ1", user=user, items=[(course, 1)], codes=["TEN"])
    assert priced.total == D("189.00")
    redemption = Redemption.objects.get(order_number="ZQ1")
    assert redemption.discount == D("10.00")
    assert redemption.user == user


def test_checkout_with_a_used_up_coupon_fails_clearly_and_redeems_nothing(campaign, cart):
    course, _book = cart
    CouponFactory(campaign=campaign, code="LAST", kind=Coupon.Kind.FIXED_AMOUNT, value=D("10"), usage_limit=1)
    coupon_redeem(code="LAST", user=UserFactory(), order_number="ZQ0", discount=D("10"))
    with pytest.raises(CouponExhausted, match="used up"):
        promotion_checkout_apply(order_number="ZQ1", user=UserFactory(), items=[(course, 1)], codes=["LAST"])
    assert not Redemption.objects.filter(order_number="ZQ1").exists()


def test_checkout_with_a_first_order_coupon_on_a_repeat_order_is_refused(campaign, cart):
    course, _book = cart
    CouponFactory(campaign=campaign, code="HELLO", first_order_only=True)
    with pytest.raises(CouponNotApplicable, match="first order"):
        promotion_checkout_apply(
            order_number="ZQ1", user=UserFactory(), items=[(course, 1)], codes=["HELLO"], is_first_order=False
        )


def test_payment_records_the_conversion_and_the_referral_commission(campaign, cart):
    course, _book = cart
    campaign.products.add(course.product)
    ReferralProgrammeFactory(campaign=campaign, commission_percent=D("10"))
    link = referral_link_create(promoter=UserFactory(), campaign=campaign)
    CouponFactory(campaign=campaign, code="TEN", kind=Coupon.Kind.FIXED_AMOUNT, value=D("10"))
    buyer = UserFactory()
    now = timezone.now()
    touch = Touch(at=now - timedelta(days=2), ref=link.code, utm_campaign="reading-season")
    attribution = Attribution(first=touch, last=touch, referral=touch)
    priced = promotion_checkout_apply(order_number="ZQ1", user=buyer, items=[(course, 1)], codes=["TEN"])
    line_data = order_line_attribution(
        priced=priced, line_ref=str(course.pk), product_id=course.product_id, attribution=attribution
    )
    assert line_data["campaign_id"] == campaign.pk
    assert line_data["coupon_codes"] == ["TEN"]
    paid = [PaidLine(line_ref="ZQ1-1", product_id=course.product_id, amount_paid=D("189.00"), attribution=line_data)]
    summary = promotion_order_paid(order_number="ZQ1", buyer=buyer, lines=paid)
    again = promotion_order_paid(order_number="ZQ1", buyer=buyer, lines=paid)
    assert (summary.conversions, summary.commissions, summary.commission_total) == (1, 1, D("18.90"))
    assert again.conversions == 0
    conversion = CampaignConversion.objects.get()
    assert (conversion.revenue, conversion.discount) == (D("189.00"), D("10.00"))
    assert ReferralCommission.objects.get().amount == D("18.90")


def test_line_without_promotion_is_attributed_by_utm_campaign(campaign, cart):
    course, _book = cart
    priced = cart_price_for(items=[(course, 1)], user=None)
    touch = Touch(at=timezone.now(), utm_campaign="reading-season", utm_source="weibo")
    data = order_line_attribution(
        priced=priced,
        line_ref=str(course.pk),
        product_id=course.product_id,
        attribution=Attribution(first=touch, last=touch, referral=None),
    )
    assert data["campaign_id"] == campaign.pk
    assert data["campaign_reason"] == "utm"
    assert data["touches"]["last"]["utm_source"] == "weibo"


def test_failed_payment_releases_the_coupon(campaign, cart):
    course, _book = cart
    coupon = CouponFactory(campaign=campaign, code="TEN", kind=Coupon.Kind.FIXED_AMOUNT, value=D("10"), usage_limit=1)
    user = UserFactory()
    promotion_checkout_apply(order_number="ZQ1", user=user, items=[(course, 1)], codes=["TEN"])
    assert promotion_order_abandoned(order_number="ZQ1", reason="payment_expired") == 1
    coupon.refresh_from_db()
    assert coupon.used == 0
    # Released: the same shopper can use it on the next order.
    promotion_checkout_apply(order_number="ZQ2", user=user, items=[(course, 1)], codes=["TEN"])


def test_partial_refund_keeps_the_coupon_and_full_refund_releases_it(campaign, cart):
    course, _book = cart
    campaign.products.add(course.product)
    coupon = CouponFactory(campaign=campaign, code="TEN", kind=Coupon.Kind.FIXED_AMOUNT, value=D("10"))
    buyer = UserFactory()
    priced = promotion_checkout_apply(order_number="ZQ1", user=buyer, items=[(course, 1)], codes=["TEN"])
    data = order_line_attribution(
        priced=priced, line_ref=str(course.pk), product_id=course.product_id, attribution=None
    )
    promotion_order_paid(
        order_number="ZQ1",
        buyer=buyer,
        lines=[PaidLine(line_ref="ZQ1-1", product_id=course.product_id, amount_paid=D("189.00"), attribution=data)],
    )
    promotion_line_refunded(
        order_number="ZQ1", line_ref="ZQ1-1", refunded_amount=D("50.00"), order_fully_refunded=False
    )
    coupon.refresh_from_db()
    assert coupon.used == 1
    assert CampaignConversion.objects.get().refunded_amount == D("50.00")
    promotion_line_refunded(
        order_number="ZQ1", line_ref="ZQ1-1", refunded_amount=D("500.00"), order_fully_refunded=True
    )
    coupon.refresh_from_db()
    assert coupon.used == 0
    assert CampaignConversion.objects.get().refunded_amount == D("189.00")
