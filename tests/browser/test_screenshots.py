"""Screenshots of the main storefront pages at desktop and phone widths, in both languages
(``make screenshots`` writes them to var/screenshots/). Each page is also checked for what a
screenshot would show as broken: a horizontal scrollbar on a phone, or an untranslated page."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.browser.conftest import DESKTOP, PHONE, check_and_shoot, login, new_page
from tests.factories import UserFactory
from tests.factories.catalog import ReviewFactory, sellable_book, sellable_course
from tests.factories.commerce import order_paid_for
from tests.factories.promotions import CouponFactory, OfferFactory
from tests.factories.storefront import shop_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("width_name", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_the_storefront(chromium, live_server, password, language, width_name, viewport):
    world = shop_world()
    ReviewFactory(product=world.ebook.product, rating=5, title="读完很受启发", body="每一章都有可以马上做的练习。")
    owner = UserFactory(email="owner@example.com", display_name="王小明")
    order_paid_for(owner, world.course, world.ebook)
    shopper = UserFactory(email="shopper@example.com")
    # Enough of a shelf for the recommendation rows, and an offer and a coupon for the cart.
    flow = sellable_book(title="心流：最优体验心理学", slug="flow", price="59.00")
    grit = sellable_book(title="坚毅", slug="grit", price="45.00")
    happiness = sellable_course(title="哈佛幸福课精讲", slug="happiness-lectures", price="129.00")
    for variant in (flow, grit, happiness):
        variant.product.topics.add(world.subtopic)
    offer = OfferFactory(
        kind="cross_discount", name="课书同读", name_en="Course and book", percent_off=D("50"), group_size=None
    )
    offer.trigger_products.set([world.bundle.product])
    offer.target_products.set([flow.product])
    CouponFactory(code="READ10", kind="percentage", value=D("10"))

    page = new_page(chromium, live_server, language=language, viewport=viewport)
    pages = [
        ("home", "/"),
        ("search", "/search/?q=心理"),
        ("product-course", f"/products/{world.course.product.slug}/"),
        ("product-book", f"/products/{world.ebook.product.slug}/"),
        ("bundle", f"/products/{world.bundle.product.slug}/"),
    ]
    shots = []
    for name, path in pages:
        page.goto(f"{live_server.url}{path}")
        shots.append((name, path))
        check_and_shoot(page, name, language, width_name, viewport)

    login(page, live_server, shopper.email, password)
    page.goto(f"{live_server.url}/products/{world.bundle.product.slug}/")
    page.click(".buy-box .offer-form button")
    page.wait_for_url("**/cart/")
    page.goto(f"{live_server.url}/products/flow/")
    page.click(".buy-box .offer-form button")
    page.wait_for_url("**/cart/")
    page.fill("#coupon-code", "read10")
    page.click(".coupon-form button")
    page.wait_for_url("**/cart/")
    check_and_shoot(page, "cart", language, width_name, viewport)
    page.context.close()

    page = new_page(chromium, live_server, language=language, viewport=viewport)
    login(page, live_server, owner.email, password)
    for name, path in [
        ("library", "/library/"),
        ("chapter", f"/products/{world.ebook.product.slug}/chapters/2/"),
        ("lesson", f"/products/{world.course.product.slug}/lessons/2/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        check_and_shoot(page, name, language, width_name, viewport)
    page.context.close()
