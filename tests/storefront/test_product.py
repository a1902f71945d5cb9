"""Product, bundle, lesson and chapter pages: what they show, to whom, and what search engines read."""

from __future__ import annotations

import json
import re

import pytest

from catalog.models import Rights
from insights.models import Event
from tests.factories import UserFactory
from tests.factories.commerce import order_paid_for
from tests.factories.storefront import isbn

pytestmark = pytest.mark.django_db


def _jsonld(response) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S)
    return [json.loads(b) for b in blocks]


def _main_node(response) -> dict:
    return next(d for d in _jsonld(response) if "Product" in d["@type"])


def test_course_page_shows_the_syllabus_with_free_previews_and_course_structured_data(client, world):
    response = client.get("/products/positive-psychology-course/")
    html = response.content.decode()
    assert "什么是幸福" in html and "与压力相处" in html
    assert 'href="/products/positive-psychology-course/lessons/1/"' in html
    assert 'href="/products/positive-psychology-course/lessons/2/"' not in html  # locked for non-owners
    assert "课后读这一章" not in html and "感恩日记" in html  # the supplement chapter is named
    node = _main_node(response)
    assert node["@type"] == ["Course", "Product"]
    assert node["provider"]["name"] == "学而出版社"
    assert node["offers"]["price"] == "199.00" and node["offers"]["priceCurrency"] == "CNY"
    assert "<script>alert" not in html  # the description is sanitised


def test_book_page_shows_formats_samples_and_book_share_card(client, world):
    response = client.get("/products/happiness-book/")
    html = response.content.decode()
    assert "¥49.00" in html and "¥68.00" in html
    assert isbn(1) in html and isbn(2) in html
    assert 'href="/products/happiness-book/chapters/1/"' in html
    assert '<meta property="og:type" content="book">' in html
    assert '<meta property="book:author" content="Tal Ben-Shahar">' in html
    assert f'<meta property="book:isbn" content="{isbn(1)}">' in html
    node = _main_node(response)
    assert node["@type"] == ["Book", "Product"]
    assert {e["isbn"] for e in node["workExample"]} == {isbn(1), isbn(2)}
    assert node["offers"]["@type"] == "AggregateOffer" and node["offers"]["lowPrice"] == "49.00"
    assert node["author"][0]["name"] == "Tal Ben-Shahar"


def test_aggregate_rating_appears_once_there_are_reviews(client, world):
    assert "aggregateRating" not in _main_node(client.get("/products/happiness-book/"))
    from catalog.services import review_upsert

    review_upsert(user=UserFactory(), product=world.ebook.product, rating=4)
    node = _main_node(client.get("/products/happiness-book/"))
    assert node["aggregateRating"]["ratingValue"] == "4.00" and node["aggregateRating"]["ratingCount"] == 1


def test_bundle_page_shows_each_item_its_price_alone_and_the_saving(client, world):
    response = client.get("/products/positive-psychology-bundle/")
    html = response.content.decode()
    inside = html.split('id="inside"', 1)[1]
    assert "积极心理学十二讲" in inside and "幸福的方法" in inside
    assert "¥199.00" in inside and "¥49.00" in inside  # each item alone
    assert "¥248.00" in inside  # bought separately
    assert "¥49.00 (20%)" in inside  # the saving
    assert response.context["bundle"].saving_percent == 20


def test_course_and_book_pages_offer_the_bundle_that_completes_them(client, world):
    for slug in ["positive-psychology-course", "happiness-book"]:
        html = client.get(f"/products/{slug}/").content.decode()
        section = html.split('id="complete"', 1)[1]
        assert "/products/positive-psychology-bundle/" in section, slug


def test_a_product_not_sold_here_says_so_and_offers_no_cart_button(client, world):
    Rights.objects.filter(product=world.ebook.product).update(territories="US")
    response = client.get("/products/happiness-book/")
    html = response.content.decode()
    assert "cart/add" not in html
    assert "不在你所在的地区（CN）销售" in html
    assert "offers" not in _main_node(response)


def test_pages_have_canonical_and_alternate_language_links(client, world):
    html = client.get("/products/happiness-book/").content.decode()
    assert '<link rel="canonical" href="http://testserver/products/happiness-book/">' in html
    assert '<link rel="alternate" hreflang="en" href="http://testserver/products/happiness-book/?lang=en">' in html
    assert '<link rel="alternate" hreflang="zh-Hans" href="http://testserver/products/happiness-book/">' in html
    assert 'hreflang="x-default"' in html
    english = client.get("/products/happiness-book/?lang=en").content.decode()
    assert 'lang="en"' in english and "Add to cart" in english
    assert '<link rel="canonical" href="http://testserver/products/happiness-book/?lang=en">' in english
    # the language switcher leads to the page without the language parameter
    assert 'name="next" type="hidden" value="/products/happiness-book/"' in english


def test_free_preview_lesson_plays_for_anyone_and_is_recorded(client, world):
    response = client.get("/products/positive-psychology-course/lessons/1/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<audio class="media"' in html and "/media/lessons/lesson-1.mp3" in html
    assert "第1讲的笔记" in html
    assert Event.objects.filter(kind=Event.Kind.PREVIEW, product=world.course.product).count() == 1


def test_a_locked_lesson_sends_visitors_to_log_in_and_non_owners_to_the_product(client, world, user):
    response = client.get("/products/positive-psychology-course/lessons/3/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(user)
    response = client.get("/products/positive-psychology-course/lessons/3/")
    assert response["Location"] == "/products/positive-psychology-course/"


def test_owners_play_every_lesson_and_read_every_chapter(client, world, user):
    order_paid_for(user, world.bundle)
    client.force_login(user)
    video = client.get("/products/positive-psychology-course/lessons/3/").content.decode()
    assert '<video class="media"' in video and "lesson-3.mp4" in video
    chapter = client.get("/products/happiness-book/chapters/3/")
    assert chapter.status_code == 200 and "简化生活的正文" in chapter.content.decode()
    assert not Event.objects.filter(kind=Event.Kind.PREVIEW).exists()  # owners are not previewing


def test_missing_lessons_and_chapters_are_404(client, world):
    assert client.get("/products/positive-psychology-course/lessons/99/").status_code == 404
    assert client.get("/products/happiness-book/chapters/99/").status_code == 404
    assert client.get("/products/happiness-book/lessons/1/").status_code == 404
    assert client.get("/products/no-such-thing/").status_code == 404


def test_the_chapter_reader_links_to_the_next_chapter_only_for_owners(client, world):
    html = client.get("/products/happiness-book/chapters/1/").content.decode()
    assert "/products/happiness-book/chapters/2/" not in html.split("reader-nav", 1)[1].split("</nav>", 1)[0]
