"""Recommendation rows on the home, product and cart pages: the recommender's lists with their model
version and slot (for the impression beacon and the ?rec= attribution links), and popular products
whenever the recommender has nothing or fails."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recommendations.store import StoredItem, StoredList, topm_store
from tests.factories import UserFactory
from tests.factories.catalog import sellable_book, sellable_course
from tests.factories.commerce import order_paid_for

pytestmark = pytest.mark.django_db


def _row(html: str, shelf: str) -> str:
    return html.split(f'id="shelf-{shelf}"', 1)[1].split("</section>", 1)[0]


def _titles(block: str) -> list[str]:
    return re.findall(r'class="product-card-title"><a [^>]*>([^<]+)</a>', block)


def _contexts(block: str) -> list[dict]:
    return [
        json.loads(raw.replace("&quot;", '"'))
        for raw in re.findall(r'data-track-impression [^>]*data-track-context="([^"]+)"', block)
    ]


def test_a_shopper_with_a_stored_list_sees_it_on_home_with_its_model_version(client, world, user):
    extra = sellable_book(title="心流", slug="flow")
    stored = [
        StoredItem(extra.product_id, 0.9, {"code": "because_bought", "product": world.course.product_id}),
        StoredItem(world.ebook.product_id, 0.5, {"code": "similar_taste"}),
    ]
    topm_store().write_many([StoredList(user.pk, "r12-two_tower", stored, timezone.now())])
    client.force_login(user)
    html = client.get("/?lang=en").content.decode()
    row = _row(html, "recommended")
    assert _titles(row)[:2] == ["心流", "幸福的方法"]
    assert "Picked from what you have studied and read." in row
    assert "Because you bought «积极心理学十二讲»" in row  # the reason under the card
    assert 'href="/products/flow/?rec=r12-two_tower:home_recommended"' in row
    first = _contexts(row)[0]
    assert first == {"slot": "home_recommended", "position": 1, "model_version": "r12-two_tower"}


def test_owned_products_are_left_out_of_a_shoppers_row(client, world, user):
    order_paid_for(user, world.ebook)
    topm_store().write_many(
        [StoredList(user.pk, "r12-two_tower", [StoredItem(world.ebook.product_id, 0.9, {})], timezone.now())]
    )
    client.force_login(user)
    assert "幸福的方法" not in _titles(_row(client.get("/").content.decode(), "recommended"))


def test_when_the_recommender_fails_the_row_is_popular_products_and_the_page_works(client, world, user, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("recommender down")

    monkeypatch.setattr("storefront.recommended.recommendations_for_user", broken)
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    row = _row(response.content.decode(), "recommended")
    assert len(_titles(row)) == 3
    assert "?rec=popularity:home_recommended" in row
    assert {c["model_version"] for c in _contexts(row)} == {"popularity"}


def test_anonymous_visitors_home_is_served_from_the_cache_without_queries(client, world):
    first = client.get("/").content.decode()
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/").content.decode()
    assert len(queries) == 0, [q["sql"] for q in queries]
    assert _titles(second) == _titles(first) and len(_titles(second)) >= 3


def test_a_course_page_offers_its_books_to_complete_it_and_similar_products(client, world):
    buyer = UserFactory()
    order_paid_for(buyer, world.course, world.ebook)  # learners who took the course read the book
    other = sellable_course(title="幸福课", slug="happiness-course")
    other.product.topics.add(world.subtopic)
    html = client.get("/products/positive-psychology-course/?lang=en").content.decode()
    complete = html.split('id="complete"', 1)[1].split("</section>", 1)[0]
    assert _titles(complete)[0] == "幸福的方法"
    assert "also bought this (1)" in complete  # bought together, with how many learners
    assert 'href="/products/happiness-book/?rec=popularity:product_complete"' in complete
    assert "Together for less: 积极心理学：课程＋书" in complete  # the bundle holding both
    similar = _row(html, "similar")
    assert "幸福课" in _titles(similar) and "幸福的方法" not in _titles(similar)  # not offered twice
    assert "积极心理学十二讲" not in _titles(similar)  # not the product itself
    assert "?rec=popularity:product_similar" in similar


def test_a_product_page_remembers_the_row_it_was_reached_from_for_the_cart(client, world):
    html = client.get("/products/happiness-book/?rec=r12-two_tower:home_recommended").content.decode()
    buy_box = html.split('class="buy-box', 1)[1].split("</aside>", 1)[0]
    assert buy_box.count('name="rec" value="r12-two_tower:home_recommended"') == 2  # one per format


def test_the_cart_recommends_what_is_not_in_it_yet(client, world):
    extra = sellable_book(title="心流", slug="flow")
    client.post("/cart/add/", {"variant": world.ebook.pk})
    html = client.get("/cart/").content.decode()
    row = _row(html, "cart-recommended")
    assert "幸福的方法" not in _titles(row)
    assert extra.product.title in _titles(row)
    assert {c["slot"] for c in _contexts(row)} == {"cart"}
    assert "?rec=popularity:cart" in row
