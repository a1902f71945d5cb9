"""Home, listings, topics and search: only what can be sold here, filtered and sorted."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from catalog.models import Product, Rights
from tests.factories.catalog import ReviewFactory, sellable_book, sellable_course

pytestmark = pytest.mark.django_db


def _titles(response) -> list[str]:
    return re.findall(r'class="product-card-title"><a [^>]*>([^<]+)</a>', response.content.decode())


def _jsonld(response) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S)
    return [json.loads(b) for b in blocks]


def test_home_shows_featured_bundles_new_courses_and_new_books(client, world):
    html = client.get("/").content.decode()
    assert 'id="shelf-bundles"' in html and "积极心理学：课程＋书" in html
    assert 'id="shelf-courses"' in html and "积极心理学十二讲" in html
    assert 'id="shelf-books"' in html and "幸福的方法" in html


def test_home_recommended_row_defaults_to_popular_products_and_is_tracked(client, world):
    ReviewFactory(product=world.ebook.product, rating=5)
    world.ebook.product.rating_count = 1
    world.ebook.product.save()
    response = client.get("/")
    html = response.content.decode()
    row = html.split('id="shelf-recommended"', 1)[1].split("</section>", 1)[0]
    assert "幸福的方法" in row.split("product-card-title", 2)[1]  # the best reviewed comes first
    assert "data-track-impression" in row and "home_recommended" in row
    # Until a model serves the shopper, the row is the popularity fallback, and says so in its links.
    assert f'href="{world.ebook.product.get_absolute_url()}?rec=popularity:home_recommended"' in row


def test_a_product_without_rights_here_is_not_listed_anywhere(client, world):
    hidden = sellable_book(title="只在美国出售", slug="us-only")
    Rights.objects.filter(product=hidden.product).update(territories="US")
    for url in ["/", "/books/", "/search/?q=只在美国", "/topics/psychology/"]:
        assert "只在美国出售" not in client.get(url).content.decode(), url
    assert "us-only" not in client.get("/sitemap-products.xml").content.decode()


def test_the_shopper_can_choose_their_region(client, world):
    hidden = sellable_book(title="Only in America", slug="us-only")
    Rights.objects.filter(product=hidden.product).update(territories="US")
    assert "Only in America" not in client.get("/books/").content.decode()
    client.post("/region/", {"territory": "US", "next": "/books/"})
    assert "Only in America" in client.get("/books/").content.decode()
    bad = client.post("/region/", {"territory": "<script>", "next": "https://evil.example/"}, follow=True)
    assert bad.redirect_chain[0][0] == "/"
    assert "Only in America" in client.get("/books/").content.decode()  # the earlier choice stands


def test_unpublished_products_are_not_listed(client, world):
    Product.objects.filter(pk=world.course.product_id).update(status=Product.Status.DRAFT)
    assert "积极心理学十二讲" not in _titles(client.get("/courses/"))
    assert client.get("/products/positive-psychology-course/").status_code == 404
    # the bundle needs every item sellable
    assert "积极心理学：课程＋书" not in _titles(client.get("/bundles/"))


def test_listing_pages_list_their_kind_only(client, world):
    assert _titles(client.get("/courses/")) == ["积极心理学十二讲"]
    assert _titles(client.get("/books/")) == ["幸福的方法"]
    assert _titles(client.get("/bundles/")) == ["积极心理学：课程＋书"]


def test_search_finds_by_title_and_contributor(client, world):
    assert _titles(client.get("/search/?q=幸福的方法")) == ["幸福的方法"]
    assert _titles(client.get("/search/?q=幸福"))[0] == "幸福的方法"  # a title match ranks above a description match
    assert _titles(client.get("/search/?q=Ben-Shahar")) == ["幸福的方法"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=course", ["积极心理学十二讲", "English Course"]),
        ("format=print", ["幸福的方法"]),
        ("format=ebook&kind=bundle", []),
        ("price_min=150", ["积极心理学：课程＋书", "积极心理学十二讲"]),
        ("price_max=60", ["幸福的方法"]),
        ("language=en", ["English Course"]),
        ("rating=4", ["幸福的方法"]),
        ("topic=psychology&kind=book", ["幸福的方法"]),  # a parent topic includes its children
    ],
)
def test_search_filters(client, world, query, expected):
    english = sellable_course(title="English Course", slug="english-course", language="en", price="120.00")
    english.product.topics.clear()
    book = world.ebook.product
    book.rating_average, book.rating_count = Decimal("4.50"), 2
    book.save()
    assert sorted(_titles(client.get(f"/search/?{query}"))) == sorted(expected)


def test_search_sorts_by_price(client, world):
    ascending = _titles(client.get("/search/?sort=price_asc"))
    assert ascending == ["幸福的方法", "积极心理学：课程＋书", "积极心理学十二讲"] or ascending[0] == "幸福的方法"
    assert _titles(client.get("/search/?sort=price_desc"))[-1] == "幸福的方法"


def test_a_bad_filter_is_explained_and_ignored(client, world):
    response = client.get("/search/?price_min=abc&price_max=60&kind=spaceship", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a number." in html
    assert "Select a valid choice." in html
    assert len(_titles(response)) == 1  # price_max still applies


def test_listings_carry_an_itemlist_and_paginate(client, world):
    for i in range(30):
        sellable_book(title=f"Extra {i}", slug=f"extra-{i}")
    first = client.get("/books/")
    data = next(d for d in _jsonld(first) if d["@type"] == "ItemList")
    assert len(data["itemListElement"]) == 24
    assert data["itemListElement"][0]["position"] == 1
    second = client.get("/books/?page=2")
    assert len(_titles(second)) == 31 - 24
    assert next(d for d in _jsonld(second) if d["@type"] == "ItemList")["itemListElement"][0]["position"] == 25


def test_topic_pages_list_the_topic_and_its_subtopics(client, world):
    response = client.get("/topics/psychology/")
    assert response.status_code == 200
    assert len(_titles(response)) == 3
    assert "/topics/positive-psychology/" in response.content.decode()
    assert client.get("/topics/nope/").status_code == 404
    assert "Psychology" in client.get("/topics/?lang=en").content.decode()


def test_search_results_are_not_indexed_but_listings_are(client, world):
    assert 'name="robots" content="noindex' in client.get("/search/?q=幸福").content.decode()
    assert 'name="robots"' not in client.get("/books/").content.decode()
