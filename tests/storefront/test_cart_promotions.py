"""The cart and checkout pages with promotions: what each line saves, the combination chosen and
why (in the page's language), codes that do not apply and why, and the attribution checkout sends."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest

from commerce.models import CartCoupon, CartLine, Order, OrderLine
from commerce.selectors import cart_summary
from tests.factories.promotions import CouponFactory, OfferFactory

pytestmark = pytest.mark.django_db


def _add(client, variant, **extra):
    return client.post("/cart/add/", {"variant": variant.pk, **extra}, follow=True)


def _checkout(client) -> Order:
    page = client.get("/checkout/").content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    client.post("/checkout/", {"idempotency_key": key})
    return Order.objects.get()


@pytest.fixture
def half_price_book(world):
    """Buy the course, get the book at half price."""
    offer = OfferFactory(
        kind="cross_discount",
        name="课书同读",
        name_en="Course and book",
        percent_off=D("50"),
        group_size=None,
        group_price=None,
    )
    offer.trigger_products.set([world.course.product])
    offer.target_products.set([world.ebook.product])
    return offer


def _line_block(html: str, title: str) -> str:
    return next(block for block in html.split('<li class="cart-line')[1:] if title in block)


def test_each_line_shows_what_the_offer_took_off_it(client, world, half_price_book):
    _add(client, world.course)
    html = _add(client, world.ebook).content.decode()
    book = _line_block(html, "幸福的方法")
    assert '<s class="was">¥49.00</s>' in book and "¥24.50" in book
    assert "−¥24.50 · 课书同读" in book
    course = _line_block(html, "积极心理学十二讲")
    assert "<s class" not in course and "¥199.00" in course
    assert "¥223.50" in html.split('class="total-row"', 1)[1]  # 199.00 + 24.50


def test_the_chosen_combination_is_explained_in_the_page_language(client, world, half_price_book, user):
    client.force_login(user)
    _add(client, world.course)
    _add(client, world.ebook)
    explanation = cart_summary(cart=CartLine.objects.get(variant=world.course).cart).explanation
    assert explanation is not None and explanation.zh != explanation.en
    chinese = client.get("/cart/").content.decode()
    english = client.get("/cart/?lang=en").content.decode()
    assert "How this price was worked out" in english and explanation.en.split(".")[0] in english
    assert explanation.zh.split("。")[0] in chinese and explanation.en.split(".")[0] not in chinese
    checkout = client.get("/checkout/?lang=en").content.decode()
    assert explanation.en.split(".")[0] in checkout and "¥223.50" in checkout


def test_a_code_that_does_not_apply_is_shown_with_its_reason_and_holds_up_checkout(client, world, user):
    CouponFactory(code="BIG500", kind="fixed_amount", value=D("50.00"), min_spend=D("500.00"))
    client.force_login(user)
    client.cookies["django_language"] = "en"
    _add(client, world.ebook)
    html = client.post("/cart/coupons/", {"code": "big500"}, follow=True).content.decode()
    problems = html.split('class="plain code-problems', 1)[1].split("</ul>", 1)[0]
    assert "BIG500" in problems and "does not apply" in problems
    assert "500.00" in problems  # the reason names the minimum spend
    assert CartCoupon.objects.filter(code="BIG500").exists()  # kept: a bigger cart may reach it
    assert 'href="/checkout/"' not in html and "Remove the codes that do not apply" in html
    assert "¥49.00" in html.split('class="total-row"', 1)[1]


def test_a_code_left_out_for_a_better_combination_is_explained_and_checkout_goes_ahead(client, world, user):
    CouponFactory(code="HALF", kind="percentage", value=D("50"), exclusive=True)
    CouponFactory(code="TEN", kind="percentage", value=D("10"))
    client.force_login(user)
    _add(client, world.ebook)
    client.post("/cart/coupons/", {"code": "TEN"})
    html = client.post("/cart/coupons/", {"code": "HALF"}, follow=True).content.decode()
    problems = html.split('class="plain code-problems', 1)[1].split("</ul>", 1)[0]
    assert "<strong>TEN</strong>" in problems and "<strong>HALF</strong>" not in problems
    assert "更省钱" in problems  # why, in the page's language: Chinese
    assert "¥24.50" in html.split('class="total-row"', 1)[1]
    assert 'href="/checkout/"' in html


def test_checkout_stores_the_offer_discount_on_the_order_line(client, world, user, half_price_book):
    client.force_login(user)
    _add(client, world.course)
    _add(client, world.ebook)
    order = _checkout(client)
    assert order.total == D("223.50")
    book_line = order.lines.get(variant=world.ebook)
    assert (book_line.discount, book_line.price_paid) == (D("24.50"), D("24.50"))


def test_checkout_attributes_the_order_to_the_campaign_that_brought_the_shopper(client, world, user):
    client.get("/?utm_source=newsletter&utm_medium=email&utm_campaign=spring-reading")
    client.force_login(user)
    _add(client, world.ebook)
    order = _checkout(client)
    attribution = OrderLine.objects.get(order=order).attribution
    assert "spring-reading" in str(attribution) and "newsletter" in str(attribution)


def test_an_order_line_remembers_the_recommendation_the_product_was_reached_from(client, world, user):
    client.force_login(user)
    client.get(f"{world.ebook.product.get_absolute_url()}?rec=r7-two_tower:home_recommended")
    _add(client, world.ebook)
    _add(client, world.course, rec="r7-two_tower:cart")  # added straight from the cart page's row
    order = _checkout(client)
    book = order.lines.get(variant=world.ebook)
    course = order.lines.get(variant=world.course)
    assert (book.recommendation_model_version, book.recommendation_slot) == ("r7-two_tower", "home_recommended")
    assert (course.recommendation_model_version, course.recommendation_slot) == ("r7-two_tower", "cart")


def test_a_malformed_recommendation_reference_is_ignored(client, world, user):
    client.force_login(user)
    assert client.get(f"{world.ebook.product.get_absolute_url()}?rec=<script>").status_code == 200
    _add(client, world.ebook, rec="no colon here")
    line = _checkout(client).lines.get()
    assert line.recommendation_model_version is None and line.recommendation_slot is None
