"""Cart, checkout, order confirmation, library, order history and reviews through the pages."""

from __future__ import annotations

import re

import pytest

from catalog.models import Rights
from commerce.models import CartLine, Order, Payment
from insights.models import Event
from tests.factories import UserFactory
from tests.factories.commerce import deliver, order_paid_for

pytestmark = pytest.mark.django_db


def _add(client, variant, **extra):
    return client.post("/cart/add/", {"variant": variant.pk, **extra}, follow=True)


def test_an_anonymous_shopper_fills_a_cart_and_sees_it(client, world):
    response = _add(client, world.bundle)
    assert response.redirect_chain[-1][0] == "/cart/"
    html = response.content.decode()
    assert "积极心理学：课程＋书" in html and "¥199.00" in html
    assert re.search(r'<span class="count"[^>]*>1</span>', html)  # the header badge
    assert Event.objects.get(kind=Event.Kind.ADD_TO_CART).product == world.bundle.product


def test_the_cart_merges_into_the_account_at_login(client, world, user, password):
    _add(client, world.course)
    client.post("/accounts/login/", {"username": user.email, "password": password})
    assert list(CartLine.objects.filter(cart__user=user).values_list("variant_id", flat=True)) == [world.course.pk]


def test_a_product_without_rights_here_cannot_be_added(client, world):
    Rights.objects.filter(product=world.course.product).update(territories="US")
    client.cookies["django_language"] = "en"
    response = _add(client, world.course)
    assert "not available in your region" in response.content.decode()
    assert not CartLine.objects.exists()


def test_an_owned_product_cannot_be_bought_twice(client, world, user):
    order_paid_for(user, world.ebook)
    client.force_login(user)
    client.cookies["django_language"] = "en"
    response = _add(client, world.bundle)
    assert "You already own «幸福的方法»" in response.content.decode()
    assert not CartLine.objects.exists()


def test_cart_lines_can_be_removed_and_print_quantities_changed(client, world):
    _add(client, world.print_book)
    line = CartLine.objects.get()
    client.post(f"/cart/lines/{line.pk}/", {"action": "update", "quantity": "3"})
    line.refresh_from_db()
    assert line.quantity == 3
    response = client.post(f"/cart/lines/{line.pk}/", {"action": "update", "quantity": "many"}, follow=True)
    assert response.status_code == 200
    client.post(f"/cart/lines/{line.pk}/", {"action": "remove"})
    assert not CartLine.objects.exists()


def test_checkout_needs_an_account(client, world):
    _add(client, world.bundle)
    response = client.get("/checkout/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/checkout/")


def test_a_double_submitted_checkout_makes_one_order_and_one_payment(client, world, user):
    client.force_login(user)
    _add(client, world.bundle)
    page = client.get("/checkout/").content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    first = client.post("/checkout/", {"idempotency_key": key})
    second = client.post("/checkout/", {"idempotency_key": key})
    assert first["Location"] == second["Location"]
    assert first["Location"].startswith("/pay/sandbox/")
    assert Order.objects.count() == 1 and Payment.objects.count() == 1


def test_paying_leads_to_the_confirmation_and_the_library(client, world, user):
    client.force_login(user)
    _add(client, world.bundle)
    page = client.get("/checkout/").content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    client.post("/checkout/", {"idempotency_key": key})
    order = Order.objects.get()
    back = client.get(f"/checkout/return/{key}/")
    assert back["Location"] == f"/orders/{order.number}/"
    waiting = client.get(back["Location"]).content.decode()
    assert 'http-equiv="refresh"' in waiting
    deliver(order.payment, "pay")
    done = client.get(f"/orders/{order.number}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Payment confirmed" in done and 'http-equiv="refresh"' not in done
    library = client.get("/library/").content.decode()
    assert "积极心理学十二讲" in library and "幸福的方法" in library
    assert "/products/positive-psychology-course/lessons/1/" in library
    assert "/products/happiness-book/chapters/1/" in library


def test_a_failed_payment_says_nothing_was_charged(client, world, user):
    client.force_login(user)
    _add(client, world.course)
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', client.get("/checkout/").content.decode()).group(1)
    client.post("/checkout/", {"idempotency_key": key})
    order = Order.objects.get()
    deliver(order.payment, "fail")
    html = client.get(f"/orders/{order.number}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This order was not paid" in html


def test_orders_are_private(client, world, user):
    order = order_paid_for(UserFactory(), world.course)
    client.force_login(user)
    assert client.get(f"/orders/{order.number}/").status_code == 404
    assert order.number not in client.get("/orders/").content.decode()


def test_order_history_lists_the_shoppers_orders(client, world, user):
    order = order_paid_for(user, world.course)
    client.force_login(user)
    html = client.get("/orders/").content.decode()
    assert order.number in html and "积极心理学十二讲" in html


def test_only_owners_may_review_and_a_review_updates_the_rating(client, world, user):
    client.force_login(user)
    refused = client.get("/products/happiness-book/review/")
    assert refused["Location"] == "/products/happiness-book/"
    order_paid_for(user, world.ebook)
    empty = client.post("/products/happiness-book/review/", {"title": "好"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Choose from one to five stars." in empty.content.decode()
    response = client.post("/products/happiness-book/review/", {"rating": "4", "title": "好书", "body": "推荐。"})
    assert response["Location"] == "/products/happiness-book/#reviews"
    world.ebook.product.refresh_from_db()
    assert world.ebook.product.rating_count == 1 and str(world.ebook.product.rating_average) == "4.00"
    assert Event.objects.get(kind=Event.Kind.RATING).context == {"rating": 4}
    assert "推荐。" in client.get("/products/happiness-book/").content.decode()


def test_personal_pages_need_login(client, world):
    for url in ["/library/", "/orders/", "/checkout/", "/products/happiness-book/review/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_robots_txt_points_at_the_sitemap_and_keeps_private_pages_out(client):
    text = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in text
    assert "Disallow: /cart/" in text and "Disallow: /library/" in text


def test_sitemap_index_and_sections(client, world):
    index = client.get("/sitemap.xml").content.decode()
    for section in ["pages", "products", "topics"]:
        assert f"/sitemap-{section}.xml" in index
    products = client.get("/sitemap-products.xml").content.decode()
    assert "/products/positive-psychology-bundle/" in products and "<lastmod>" in products
    assert "/topics/psychology/" in client.get("/sitemap-topics.xml").content.decode()


def test_a_coupon_entered_in_the_cart_lowers_the_total_and_the_payment(client, world, user):
    from decimal import Decimal

    from tests.factories.promotions import CouponFactory

    CouponFactory(kind="percentage", value=Decimal("10"), code="SPRING10")
    client.force_login(user)
    _add(client, world.bundle)
    cart = client.post("/cart/coupons/", {"code": "spring10"}, follow=True).content.decode()
    assert "SPRING10" in cart
    assert "¥179.10" in cart  # 199.00 less 10 %
    page = client.get("/checkout/").content.decode()
    assert "¥179.10" in page
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    client.post("/checkout/", {"idempotency_key": key})
    assert Order.objects.get().total == Decimal("179.10")


def test_an_unknown_coupon_is_explained(client, world):
    client.cookies["django_language"] = "en"
    _add(client, world.course)
    html = client.post("/cart/coupons/", {"code": "NOPE"}, follow=True).content.decode()
    assert "There is no coupon with the code NOPE" in html
    removed = client.post("/cart/coupons/", {"code": "NOPE", "action": "remove"}, follow=True)
    assert removed.status_code == 200
