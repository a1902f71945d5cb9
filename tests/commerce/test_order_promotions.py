"""Promotions through the whole life of an order: priced and redeemed at checkout, recorded on
payment, released when the order is abandoned or refunded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from commerce.attribution import order_line_attribution_check
from commerce.errors import CheckoutInvalid, CouponHeldByUnpaidOrder
from commerce.models import CartCoupon, Order
from commerce.services import RefundTarget, checkout_create, order_cancel, orders_expire_stale, refund_create
from commerce.services.checkout import CheckoutLine
from promotions.attribution import Attribution, Touch
from promotions.errors import CouponExhausted, CouponNotApplicable
from promotions.models import CampaignConversion, Coupon, Redemption, ReferralCommission
from promotions.services.referrals import referral_link_create
from tests.factories import UserFactory
from tests.factories.catalog import sellable_book
from tests.factories.commerce import cart_with, checkout_cart, checkout_for, deliver, order_paid_for, webhook_for
from tests.factories.promotions import CampaignFactory, CouponFactory, OfferFactory, ReferralProgrammeFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _coupon_state(code: str) -> tuple[int, list[str]]:
    coupon = Coupon.objects.get(codes__code=code)
    return coupon.used, sorted(Redemption.objects.filter(coupon=coupon).values_list("status", flat=True))


def _referral(buyer_attribution_days_ago: int = 1) -> tuple[Attribution, object]:
    """A platform-wide 10% referral programme, a promoter's link, and a shopper's visit through it."""
    ReferralProgrammeFactory(commission_percent=D("10"))
    book = sellable_book(price="10.00")
    link = referral_link_create(promoter=UserFactory(), product=book.product)
    visit = Touch(
        at=timezone.now() - timedelta(days=buyer_attribution_days_ago),
        landing_path="/products/x/",
        utm_source="wechat",
        utm_medium="share",
        utm_campaign="spring-reading",
        ref=link.code,
    )
    return Attribution(first=visit, last=visit, referral=visit), link


# --- Checkout -------------------------------------------------------------------


def test_coupon_discount_is_split_over_the_lines_and_adds_up_to_the_order_discount(shopper):
    books = [sellable_book(price=p) for p in ("19.99", "29.99", "49.99")]
    CouponFactory(code="TENOFF", kind=Coupon.Kind.FIXED_AMOUNT, value=D("10.00"))
    cart_with(shopper, *books, codes=["tenoff"])
    order = checkout_cart(shopper).order
    lines = list(order.lines.order_by("pk"))
    assert order.subtotal == D("99.97")
    assert order.discount == D("10.00")
    assert sum(line.discount for line in lines) == order.discount
    assert all(line.price_paid == line.list_price - line.discount for line in lines)
    assert sum(line.price_paid for line in lines) == order.total == D("89.97")
    assert order.payment.amount == order.total
    # Dearer lines take more of it, never less than a cheaper one.
    assert lines[0].discount <= lines[1].discount <= lines[2].discount
    assert all(line.attribution["coupon_codes"] == ["TENOFF"] for line in lines)
    assert Redemption.objects.get(order_number=order.number).discount == D("10.00")


def test_bundle_offer_applies_at_checkout_without_any_code(shopper, course, book):
    offer = OfferFactory(kind="cross_discount", percent_off=D("50"), group_size=None, group_price=None)
    offer.trigger_products.set([course.product])
    offer.target_products.set([book.product])
    order = checkout_for(shopper, course, book).order
    book_line = order.lines.get(variant=book)
    assert (order.discount, book_line.discount, book_line.price_paid) == (D("30.00"), D("30.00"), D("30.00"))
    assert book_line.attribution["offer_ids"] == [offer.pk]
    assert order.lines.get(variant=course).discount == D("0.00")


def test_checkout_uses_the_codes_held_in_the_cart_unless_told_otherwise(shopper, book):
    CouponFactory(code="FIVE", kind=Coupon.Kind.FIXED_AMOUNT, value=D("5.00"))
    cart_with(shopper, book, codes=["FIVE"])
    assert checkout_cart(shopper, coupon_codes=[]).order.discount == D("0.00")
    assert checkout_cart(shopper).order.discount == D("5.00")


def test_used_up_coupon_stops_checkout_with_a_clear_error_and_nothing_is_saved(shopper, book):
    CouponFactory(code="ONLYONE", kind=Coupon.Kind.FIXED_AMOUNT, value=D("5.00"), usage_limit=1)
    order_paid_for(UserFactory(), sellable_book(), coupon_codes=["ONLYONE"])
    cart_with(shopper, book, codes=["ONLYONE"])
    with pytest.raises(CouponExhausted) as raised:
        checkout_cart(shopper)
    assert raised.value.code == "coupon_used_up" and raised.value.status_code == 409
    assert "used up" in raised.value.message
    assert not Order.objects.filter(user=shopper).exists()
    assert _coupon_state("ONLYONE") == (1, ["active"])


def test_a_once_per_user_coupon_held_by_an_unpaid_order_names_that_order(shopper, book):
    CouponFactory(code="WELCOME", kind=Coupon.Kind.PERCENTAGE, value=D("20"), per_user_limit=1)
    cart_with(shopper, book, codes=["WELCOME"])
    first = checkout_cart(shopper).order
    with pytest.raises(CouponHeldByUnpaidOrder) as raised:
        checkout_cart(shopper)
    assert first.number in raised.value.message and raised.value.status_code == 409
    assert Order.objects.filter(user=shopper).count() == 1
    # Once that order is cancelled the coupon is free for the next checkout.
    order_cancel(order=first, actor=shopper)
    assert checkout_cart(shopper).order.discount == D("12.00")


def test_used_up_coupon_error_reads_in_chinese_on_the_chinese_site(shopper, book):
    CouponFactory(code="ONLYONE", kind=Coupon.Kind.FIXED_AMOUNT, value=D("5.00"), usage_limit=1)
    order_paid_for(UserFactory(), sellable_book(), coupon_codes=["ONLYONE"])
    with translation.override("zh-hans"), pytest.raises(CouponExhausted) as raised:
        checkout_for(shopper, book, coupon_codes=["ONLYONE"])
    assert raised.value.message == "优惠券 ONLYONE 已被领用完毕，请移除后再结算。"


def test_promotions_learn_from_commerce_whether_an_order_is_the_first(shopper, book):
    from promotions.hooks import user_is_first_order

    assert user_is_first_order(shopper)
    checkout_for(shopper, sellable_book())  # unpaid: still no first order
    assert user_is_first_order(shopper)
    order_paid_for(shopper, book)
    assert not user_is_first_order(shopper)


def test_first_order_coupon_is_refused_on_the_second_order(shopper, book):
    CouponFactory(code="FIRST", kind=Coupon.Kind.FIXED_AMOUNT, value=D("8.00"), first_order_only=True)
    first = order_paid_for(shopper, sellable_book(), coupon_codes=["FIRST"])
    assert first.discount == D("8.00")
    with pytest.raises(CouponNotApplicable, match="first order"):
        checkout_for(shopper, book, coupon_codes=["FIRST"])
    assert Order.objects.filter(user=shopper).count() == 1


def test_a_coupon_that_no_longer_covers_the_cart_stops_checkout(shopper, book, course):
    coupon = CouponFactory(code="COURSES", kind=Coupon.Kind.PERCENTAGE, value=D("10"))
    coupon.products.set([course.product])
    with pytest.raises(CouponNotApplicable, match="COURSES"):
        checkout_for(shopper, book, coupon_codes=["COURSES"])
    assert not Order.objects.exists() and not Redemption.objects.exists()


# --- Attribution ----------------------------------------------------------------


def test_utm_and_referral_visits_are_copied_onto_every_order_line(shopper, book, course):
    attribution, link = _referral()
    order = checkout_for(shopper, book, course, attribution=attribution).order
    lines = list(order.lines.all())
    assert len(lines) == 2
    for line in lines:
        assert line.attribution["utm"] == {
            "utm_source": "wechat",
            "utm_medium": "share",
            "utm_campaign": "spring-reading",
        }
        assert line.attribution["referral_code"] == link.code
        assert line.attribution["touches"]["referral"]["ref"] == link.code
        assert line.attribution["touches"]["first"]["landing_path"] == "/products/x/"
        assert line.line_ref == f"{order.number}-{line.variant_id}"
        assert order_line_attribution_check(line.attribution) == []


def test_line_is_credited_to_the_campaign_whose_coupon_discounted_it(shopper, book):
    campaign = CampaignFactory()
    CouponFactory(code="JOINT", campaign=campaign, kind=Coupon.Kind.FIXED_AMOUNT, value=D("6.00"))
    line = checkout_for(shopper, book, coupon_codes=["JOINT"]).order.lines.get()
    assert line.attribution["campaign_id"] == campaign.pk
    assert line.attribution["campaign_reason"] == "promotion"
    assert line.attribution["campaign_discount"] == "6.00"


def test_callers_may_not_name_the_campaign_that_pays_for_a_sale(shopper, book):
    with pytest.raises(CheckoutInvalid, match="campaign_id"):
        checkout_create(
            user=shopper,
            lines=[CheckoutLine(variant=book, attribution={"campaign_id": 1})],
            idempotency_key="campaign",
        )
    assert not Order.objects.exists()


def test_an_apps_utm_is_kept_as_the_latest_visit(shopper, book):
    line = CheckoutLine(variant=book, attribution={"utm": {"utm_source": "app", "utm_id": "dropped"}})
    stored = checkout_create(user=shopper, lines=[line], idempotency_key="app").order.lines.get()
    assert stored.attribution["utm"] == {"utm_source": "app"}
    assert stored.attribution["touches"]["last"]["utm_source"] == "app"


# --- Payment ------------------------------------------------------------------------


def test_payment_records_the_conversion_and_commission_once_even_if_the_webhook_is_replayed(shopper, book):
    attribution, link = _referral()
    campaign = CampaignFactory()
    CouponFactory(code="JOINT", campaign=campaign, kind=Coupon.Kind.FIXED_AMOUNT, value=D("10.00"))
    result = checkout_for(shopper, book, coupon_codes=["JOINT"], attribution=attribution)
    body, headers = webhook_for(result.payment, "pay")
    from commerce.services import webhook_receive

    outcomes = [webhook_receive(provider_name="sandbox", body=body, headers=headers).outcome for _ in range(3)]
    assert outcomes == ["captured", "replayed", "replayed"]
    assert deliver(result.payment, "pay") == "already_final"  # a second success event, another id
    conversion = CampaignConversion.objects.get()
    assert (conversion.campaign, conversion.revenue, conversion.discount) == (campaign, D("50.00"), D("10.00"))
    commission = ReferralCommission.objects.get()
    assert (commission.promoter, commission.base_amount, commission.amount) == (link.promoter, D("50.00"), D("5.00"))
    assert commission.line_ref == result.order.lines.get().line_ref


def test_paid_order_takes_its_used_codes_out_of_the_cart(shopper, book, course):
    CouponFactory(code="USED", kind=Coupon.Kind.FIXED_AMOUNT, value=D("1.00"))
    cart_with(shopper, book, codes=["USED"])
    deliver(checkout_cart(shopper).payment, "pay")
    assert not CartCoupon.objects.filter(cart__user=shopper).exists()


@pytest.mark.parametrize("outcome", ["fail", "cancel"])
def test_failed_or_cancelled_payment_releases_the_coupon_for_another_shopper(shopper, book, outcome):
    CouponFactory(code="SOLO", kind=Coupon.Kind.FIXED_AMOUNT, value=D("5.00"), usage_limit=1)
    result = checkout_for(shopper, book, coupon_codes=["SOLO"])
    assert _coupon_state("SOLO") == (1, ["active"])
    assert deliver(result.payment, outcome) in {"failed", "cancelled"}
    assert _coupon_state("SOLO") == (0, ["released"])
    assert checkout_for(UserFactory(), book, coupon_codes=["SOLO"]).order.discount == D("5.00")


def test_expired_unpaid_order_releases_its_coupon(shopper, book):
    CouponFactory(code="LATE", kind=Coupon.Kind.FIXED_AMOUNT, value=D("5.00"), usage_limit=1)
    order = checkout_for(shopper, book, coupon_codes=["LATE"]).order
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert orders_expire_stale() == 1
    assert _coupon_state("LATE") == (0, ["released"])
    assert Redemption.objects.get().release_reason == "expired"


# --- Refunds ------------------------------------------------------------------------


def test_full_refund_releases_the_coupons_and_voids_the_commission(shopper, book, course):
    attribution, _link = _referral()
    CouponFactory(code="BACK", kind=Coupon.Kind.FIXED_AMOUNT, value=D("20.00"), usage_limit=1)
    order = order_paid_for(shopper, book, course, coupon_codes=["BACK"], attribution=attribution)
    assert ReferralCommission.objects.filter(status="pending").count() == 2
    refund_create(order=order, reason="changed my mind", idempotency_key="all", requested_by=shopper)
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert set(ReferralCommission.objects.values_list("status", "amount")) == {("void", D("0.00"))}
    assert _coupon_state("BACK") == (0, ["released"])


def test_partial_refund_of_a_bundle_item_reduces_the_lines_commission_and_keeps_the_coupon(shopper, bundle, book):
    attribution, _link = _referral()
    CouponFactory(code="KEEP", kind=Coupon.Kind.FIXED_AMOUNT, value=D("10.00"))
    order = order_paid_for(shopper, bundle, coupon_codes=["KEEP"], attribution=attribution)
    line = order.lines.get()
    assert line.price_paid == D("140.00")
    commission = ReferralCommission.objects.get()
    assert commission.amount == D("14.00")
    item = line.items.get(variant=book)  # 140 split 60:140 → 42.00 for the book
    refund_create(
        order=order,
        reason="already had the book",
        idempotency_key="book",
        requested_by=shopper,
        targets=[RefundTarget(line=line, item=item)],
    )
    commission.refresh_from_db()
    assert (commission.status, commission.refunded_amount, commission.amount) == ("pending", D("42.00"), D("9.80"))
    assert _coupon_state("KEEP") == (1, ["active"])
