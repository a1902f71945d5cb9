"""A shopper's whole journey in a real browser, in English and in Chinese: search, open a
bundle, add it to the cart, log in, pay on the sandbox provider's page, find the items in
the library and read a chapter."""

from __future__ import annotations

import pytest

from commerce.models import Entitlement, Order
from tests.browser.conftest import PHONE, new_page
from tests.factories import UserFactory
from tests.factories.storefront import shop_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {
        "search": "Results for",
        "cart": "Your cart",
        "login": "Log in",
        "paid": "Payment confirmed",
        "library": "My library",
    },
    "zh-hans": {"search": "的搜索结果", "cart": "购物车", "login": "登录", "paid": "支付成功", "library": "我的书架"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_shopper_searches_buys_a_bundle_and_reads_a_chapter(chromium, live_server, password, language):
    world = shop_world()
    shopper = UserFactory(email=f"reader-{language}@example.com")
    text = TEXT[language]
    page = new_page(chromium, live_server, language=language)

    page.goto(f"{live_server.url}/")
    page.fill("#nav-q", "积极心理学")
    page.press("#nav-q", "Enter")
    page.wait_for_url("**/search/**")
    assert text["search"] in page.inner_text("h1")

    page.click(f"text={world.bundle.product.title}")
    page.wait_for_url(f"**/products/{world.bundle.product.slug}/")
    inside = page.inner_text(".bundle-contents")
    assert "¥248.00" in inside and "¥49.00" in inside  # each item's own price and the saving

    page.click(".buy-box .offer-form button")
    page.wait_for_url("**/cart/")
    assert world.bundle.product.title in page.inner_text(".cart-lines")
    assert page.inner_text(".nav-cart .count") == "1"

    page.click(".cart-summary a.button")
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=username]", shopper.email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit].wide")
    page.wait_for_url("**/checkout/")

    page.click("#pay-button")
    page.wait_for_url("**/pay/sandbox/**")
    page.click("button[value=pay]")
    page.wait_for_url("**/orders/**")
    page.wait_for_selector(".eyebrow.ok", timeout=20_000)  # paid, perhaps after a refresh or two
    assert text["paid"].lower() in page.inner_text(".order-confirmation").lower()

    order = Order.objects.get(user=shopper)
    assert order.status == Order.Status.PAID
    assert set(Entitlement.objects.filter(user=shopper).values_list("product_id", flat=True)) == {
        world.bundle.product_id,
        world.course.product_id,
        world.ebook.product_id,
    }

    page.click(".order-confirmation a.button")
    page.wait_for_url("**/library/")
    assert text["library"] in page.inner_text("h1")
    library = page.inner_text("main")
    assert world.course.product.title in library and world.ebook.product.title in library

    page.click("#lib-books ~ .library-grid a.button >> nth=0")
    page.wait_for_url(f"**/products/{world.ebook.product.slug}/chapters/1/")
    page.click(".reader-nav a[rel=next]")
    page.wait_for_url(f"**/products/{world.ebook.product.slug}/chapters/2/")
    assert "感恩日记的正文" in page.inner_text(".chapter-text")  # a chapter only owners can read
    page.context.close()


def test_a_phone_shopper_plays_a_free_lesson_from_the_menu(chromium, live_server):
    world = shop_world()
    page = new_page(chromium, live_server, language="en", viewport=PHONE)
    page.goto(f"{live_server.url}/products/{world.course.product.slug}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.click(".badge.free")
    page.wait_for_url("**/lessons/1/")
    assert page.locator("audio.media").count() == 1
    page.click(".nav-toggle-label")
    assert page.is_visible(".site-nav a[href='/courses/']")
    page.context.close()
