"""Coupon codes in the cart: entering and removing them, the priced cart, and the cart API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone, translation
from rest_framework.test import APIClient

from commerce.errors import CartInvalid, CouponRefused
from commerce.models import MAX_CART_COUPONS, Cart, CartCoupon, Order
from commerce.selectors import cart_summary
from commerce.services import cart_add, cart_coupon_apply, cart_coupon_remove, cart_get_or_create, cart_merge
from promotions.models import Coupon, Redemption
from tests.factories import UserFactory
from tests.factories.catalog import sellable_book
from tests.factories.commerce import cart_with, order_paid_for
from tests.factories.promotions import CouponFactory, OfferFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def ten_off() -> Coupon:
    return CouponFactory(code="TEN", kind=Coupon.Kind.FIXED_AMOUNT, value=D("10.00"))


def test_entered_code_prices_the_cart_with_per_line_discounts_and_an_explanation_in_both_languages(
    shopper, book, course, ten_off
):
    cart = cart_with(shopper, book, course)
    cart_coupon_apply(cart=cart, code=" ten ")
    summary = cart_summary(cart=cart)
    assert summary.codes == ["TEN"] and summary.applied_codes == ["TEN"]
    assert (summary.subtotal, summary.coupon_discount, summary.discount, summary.total) == (
        D("200.00"),
        D("10.00"),
        D("10.00"),
        D("190.00"),
    )
    by_title = {line.product.title: line for line in summary.lines}
    # 10.00 split 60:140.
    assert (by_title["活法"].coupon_discount, by_title["心理学二十讲"].coupon_discount) == (D("3.00"), D("7.00"))
    assert by_title["活法"].total == D("57.00")
    assert summary.explanation is not None
    assert "TEN" in summary.explanation.en and "10.00" in summary.explanation.en
    assert "TEN" in summary.explanation.zh and summary.explanation.zh != summary.explanation.en
    assert summary.can_check_out
    assert not Redemption.objects.exists()  # pricing a cart redeems nothing


def test_bundle_offer_shows_in_the_cart_without_a_code(shopper, book, course):
    offer = OfferFactory(kind="cross_discount", percent_off=D("50"), group_size=None, group_price=None)
    offer.trigger_products.set([course.product])
    offer.target_products.set([book.product])
    summary = cart_summary(cart=cart_with(shopper, book, course))
    assert (summary.offer_discount, summary.total) == (D("30.00"), D("170.00"))
    assert [a.kind for a in summary.adjustments] == ["offer"]


@pytest.mark.parametrize(
    ("make", "reason", "words"),
    [
        (lambda: None, "unknown", "no coupon with the code NOPE"),
        (
            lambda: CouponFactory(
                code="NOPE", valid_from=timezone.now() - timedelta(days=9), valid_to=timezone.now() - timedelta(days=1)
            ),
            "expired",
            "expired",
        ),
        (lambda: CouponFactory(code="NOPE", usage_limit=1, used=1), "used_up", "used up"),
        (lambda: CouponFactory(code="NOPE", territories="HK"), "territory", "region"),
    ],
)
def test_a_code_that_cannot_apply_is_refused_with_the_reason_and_not_kept(shopper, book, make, reason, words):
    make()
    cart = cart_with(shopper, book)
    with pytest.raises(CouponRefused) as raised:
        cart_coupon_apply(cart=cart, code="nope")
    assert raised.value.code == f"coupon_{reason}"
    assert words in raised.value.message
    assert not CartCoupon.objects.exists()


def test_first_order_code_is_refused_once_the_shopper_has_bought(shopper, book):
    CouponFactory(code="HELLO", first_order_only=True)
    cart = cart_with(shopper, book)
    cart_coupon_apply(cart=cart, code="HELLO")  # no paid order yet: fine
    order_paid_for(shopper, sellable_book())
    cart_coupon_remove(cart=cart, code="hello")
    with pytest.raises(CouponRefused, match="first order"):
        cart_coupon_apply(cart=cart, code="HELLO")


def test_a_code_that_needs_more_in_the_cart_is_kept_with_the_reason_and_blocks_checkout(shopper, book):
    CouponFactory(code="BIG", kind=Coupon.Kind.FIXED_AMOUNT, value=D("30.00"), min_spend=D("100.00"))
    cart = cart_with(shopper, book)
    cart_coupon_apply(cart=cart, code="BIG")
    summary = cart_summary(cart=cart)
    [problem] = summary.code_problems
    assert (problem.code, problem.reason, problem.blocks_checkout) == ("BIG", "min_spend", True)
    assert "40.00" in problem.message.en  # what is missing
    assert summary.blocking_codes == ["BIG"] and not summary.can_check_out
    cart_add(cart=cart, variant=sellable_book(price="45.00"))
    summary = cart_summary(cart=cart)
    assert summary.code_problems == [] and summary.discount == D("30.00") and summary.can_check_out


def test_a_code_beaten_by_a_better_exclusive_one_does_not_block_checkout(shopper, book):
    CouponFactory(code="SMALL", kind=Coupon.Kind.FIXED_AMOUNT, value=D("5.00"))
    CouponFactory(code="HALF", kind=Coupon.Kind.PERCENTAGE, value=D("50"), exclusive=True)
    cart = cart_with(shopper, book, codes=["SMALL", "HALF"])
    summary = cart_summary(cart=cart)
    assert summary.applied_codes == ["HALF"] and summary.discount == D("30.00")
    [problem] = summary.code_problems
    assert (problem.code, problem.reason, problem.blocks_checkout) == ("SMALL", "not_combinable", False)
    assert summary.can_check_out


def test_entering_a_code_twice_keeps_one_and_the_cart_holds_a_few_at_most(shopper, book):
    cart = cart_with(shopper, book)
    for n in range(MAX_CART_COUPONS):
        CouponFactory(code=f"CODE{n}", kind=Coupon.Kind.FIXED_AMOUNT, value=D("1.00"))
        cart_coupon_apply(cart=cart, code=f"code{n}")
    cart_coupon_apply(cart=cart, code="CODE0")
    CouponFactory(code="ONEMORE")
    with pytest.raises(CartInvalid, match="up to 5"):
        cart_coupon_apply(cart=cart, code="ONEMORE")
    assert CartCoupon.objects.filter(cart=cart).count() == MAX_CART_COUPONS


def test_empty_code_is_refused(shopper):
    with pytest.raises(CartInvalid, match="Enter a coupon code"):
        cart_coupon_apply(cart=cart_get_or_create(user=shopper), code="  ")


def test_visitors_code_waits_for_login_and_comes_along_into_the_account_cart(book):
    CouponFactory(code="MEMBERS", kind=Coupon.Kind.FIXED_AMOUNT, value=D("6.00"), per_user_limit=1)
    session = SessionStore()
    anonymous = cart_get_or_create(session=session)
    cart_add(cart=anonymous, variant=book)
    cart_coupon_apply(cart=anonymous, code="MEMBERS")
    [problem] = cart_summary(cart=anonymous).code_problems
    assert problem.reason == "login_required" and "Log in" in problem.message.en
    user = UserFactory()
    report = cart_merge(source=anonymous, user=user)
    assert report.codes == ["MEMBERS"]
    assert cart_summary(cart=Cart.objects.get(user=user)).discount == D("6.00")


# --- API --------------------------------------------------------------------------------


@pytest.fixture
def api(shopper):
    client = APIClient()
    client.force_login(shopper)
    return client


def test_cart_api_enters_a_code_and_shows_the_priced_cart(api, book, course, ten_off):
    api.post("/api/v1/cart/", {"variant_id": book.pk}, format="json")
    api.post("/api/v1/cart/", {"variant_id": course.pk}, format="json")
    response = api.post("/api/v1/cart/coupons/", {"code": "ten"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["subtotal"], body["discount"], body["total"]) == ("200.00", "10.00", "190.00")
    assert body["codes"] == ["TEN"] and body["rejected_codes"] == []
    assert sorted(line["coupon_discount"] for line in body["lines"]) == ["3.00", "7.00"]
    [adjustment] = body["adjustments"]
    assert adjustment["code"] == "TEN"
    assert set(adjustment["line_amounts"]) == {str(line["id"]) for line in body["lines"]}
    assert set(body["explanation"]) == {"zh", "en"}
    removed = api.delete("/api/v1/cart/coupons/TEN/")
    assert removed.status_code == 200 and removed.json()["discount"] == "0.00"


def test_cart_api_refuses_an_unknown_code_in_the_shoppers_language(api, book):
    api.post("/api/v1/cart/", {"variant_id": book.pk}, format="json")
    en = api.post("/api/v1/cart/coupons/", {"code": "NOPE"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert en.status_code == 400
    assert en.json()["error"]["code"] == "coupon_unknown"
    assert "NOPE" in en.json()["error"]["message"]
    zh = api.post("/api/v1/cart/coupons/", {"code": "NOPE"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "优惠券" in zh.json()["error"]["message"]


def test_cart_api_shows_a_code_that_does_not_apply_yet_with_both_messages(api, book):
    CouponFactory(code="BIG", kind=Coupon.Kind.FIXED_AMOUNT, value=D("30.00"), min_spend=D("100.00"))
    api.post("/api/v1/cart/", {"variant_id": book.pk}, format="json")
    body = api.post("/api/v1/cart/coupons/", {"code": "BIG"}, format="json").json()
    [problem] = body["rejected_codes"]
    assert (problem["code"], problem["reason"], problem["blocks_checkout"]) == ("BIG", "min_spend", True)
    assert "40.00" in problem["message"]["en"] and "40.00" in problem["message"]["zh"]
    assert body["can_check_out"] is False


def test_checkout_api_charges_the_discounted_price_and_returns_line_attribution(api, book, ten_off):
    api.post("/api/v1/cart/", {"variant_id": book.pk}, format="json")
    api.post("/api/v1/cart/coupons/", {"code": "TEN"}, format="json")
    response = api.post(
        "/api/v1/checkout/",
        {"attribution": {"utm": {"utm_source": "app"}}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-coupon",
    )
    assert response.status_code == 201, response.json()
    order = response.json()["order"]
    assert (order["subtotal"], order["discount"], order["total"]) == ("60.00", "10.00", "50.00")
    assert response.json()["payment"]["amount"] == "50.00"
    [line] = order["lines"]
    assert (line["discount"], line["price_paid"]) == ("10.00", "50.00")
    assert line["attribution"]["coupon_codes"] == ["TEN"]
    assert line["attribution"]["utm"] == {"utm_source": "app"}


def test_checkout_api_reads_the_visit_the_site_recorded(api, book):
    api.get("/?utm_source=weibo&utm_campaign=autumn")  # the attribution middleware keeps it in the session
    api.post("/api/v1/cart/", {"variant_id": book.pk}, format="json")
    response = api.post("/api/v1/checkout/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k-visit")
    [line] = response.json()["order"]["lines"]
    assert line["attribution"]["utm"] == {"utm_source": "weibo", "utm_campaign": "autumn"}


def test_checkout_api_refuses_a_used_up_code_with_409_and_makes_no_order(api, shopper, book):
    CouponFactory(code="GONE", kind=Coupon.Kind.FIXED_AMOUNT, value=D("5.00"), usage_limit=1)
    api.post("/api/v1/cart/", {"variant_id": book.pk}, format="json")
    api.post("/api/v1/cart/coupons/", {"code": "GONE"}, format="json")
    order_paid_for(UserFactory(), sellable_book(), coupon_codes=["GONE"])  # someone else takes the last use
    response = api.post("/api/v1/checkout/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k-gone")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "coupon_used_up"
    assert not Order.objects.filter(user=shopper).exists()
