from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Lesson, LessonSupplement, Product, Rights, Topic, Variant
from catalog.services import review_upsert
from tests.factories import PartnerFactory, UserFactory
from tests.factories.catalog import (
    ContributorFactory,
    CreditFactory,
    ReviewFactory,
    TopicFactory,
    VariantFactory,
    add_chapters,
    bundle_of,
    rich_book,
    rich_course,
    sellable_book,
    sellable_course,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/catalog/products/"


def _slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [p["slug"] for p in response.json()["results"]]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


# --- Listing -------------------------------------------------------------------------------------


def test_listing_shows_only_sellable_products(client):
    sellable = sellable_book(slug="on-sale")
    sellable_book(slug="draft", status=Product.Status.DRAFT)
    no_rights = sellable_book(slug="no-rights")
    Rights.objects.filter(product=no_rights.product).delete()
    inactive = sellable_book(slug="inactive")
    Variant.objects.filter(pk=inactive.pk).update(is_active=False)

    assert _slugs(client.get(LIST)) == [sellable.product.slug]


def test_listing_item_carries_price_formats_contributors_and_rating(client):
    variant = rich_book(slug="rich", price="39.90")
    VariantFactory(product=variant.product, format=Variant.Format.PRINT, price=Decimal("59.00"))
    review_upsert(user=UserFactory(), product=variant.product, rating=4)

    item = client.get(LIST).json()["results"][0]

    assert item["price_from"] == {"amount": "39.90", "currency": "CNY"}
    assert sorted(item["formats"]) == ["ebook", "print"]
    assert {c["role"] for c in item["contributors"]} == {"author", "translator"}
    assert item["rating"] == {"average": "4.00", "count": 1}
    assert item["owner"]["slug"] == variant.product.owner.slug


def test_territory_parameter_filters_by_rights(client):
    everywhere = sellable_book(slug="everywhere")
    mainland = sellable_book(slug="mainland-only")
    Rights.objects.filter(product=mainland.product).update(territories="CN")
    not_hk = sellable_book(slug="not-in-hk")
    Rights.objects.filter(product=not_hk.product).update(territories="WORLD", excluded_territories="HK")

    assert set(_slugs(client.get(LIST, {"territory": "HK"}))) == {everywhere.product.slug}
    assert set(_slugs(client.get(LIST, {"territory": "cn"}))) == {"everywhere", "mainland-only", "not-in-hk"}


def test_rights_starting_later_are_not_sold_until_then(client):
    later = sellable_book(slug="coming-soon")
    start = timezone.localdate() + timedelta(days=30)
    Rights.objects.filter(product=later.product).update(valid_from=start)

    assert _slugs(client.get(LIST)) == []
    assert _slugs(client.get(LIST, {"on": start.isoformat()})) == ["coming-soon"]


def test_bad_territory_gets_a_field_error_in_the_uniform_body(client):
    response = client.get(LIST, {"territory": "China"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert "territory" in error["fields"]
    assert "China" in error["fields"]["territory"][0]


def test_bad_territory_message_is_in_chinese_for_a_chinese_request(client):
    response = client.get(LIST, {"territory": "China"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["territory"][0]
    assert "China" in message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_filters_by_kind_format_language_owner_and_price(client):
    publisher = PartnerFactory(slug="qingsong")
    book = sellable_book(slug="ebook-zh", price="30.00", owner=publisher)
    audio = sellable_book(slug="audio-en", price="80.00", fmt=Variant.Format.AUDIOBOOK, language="en")
    course = sellable_course(slug="course", price="199.00")

    assert _slugs(client.get(LIST, {"kind": "course"})) == [course.product.slug]
    assert _slugs(client.get(LIST, {"format": "audiobook"})) == [audio.product.slug]
    assert _slugs(client.get(LIST, {"language": "en"})) == [audio.product.slug]
    assert _slugs(client.get(LIST, {"owner": "qingsong"})) == [book.product.slug]
    assert set(_slugs(client.get(LIST, {"price_min": "50", "price_max": "100"}))) == {audio.product.slug}


def test_format_filter_counts_only_formats_sellable_in_the_territory(client):
    variant = sellable_book(slug="ebook-world")
    VariantFactory(product=variant.product, format=Variant.Format.PRINT)
    Rights.objects.filter(product=variant.product).update(formats="ebook")
    Rights.objects.create(product=variant.product, territories="CN", formats="print")

    assert _slugs(client.get(LIST, {"format": "print", "territory": "CN"})) == ["ebook-world"]
    assert _slugs(client.get(LIST, {"format": "print", "territory": "US"})) == []


def test_topic_filter_includes_subtopics(client):
    psychology = TopicFactory(slug="psychology")
    positive = TopicFactory(slug="positive-psychology", parent=psychology)
    history = TopicFactory(slug="history")
    tagged_child = sellable_book(slug="flow")
    tagged_child.product.topics.add(positive)
    tagged_other = sellable_book(slug="rome")
    tagged_other.product.topics.add(history)

    assert _slugs(client.get(LIST, {"topic": "psychology"})) == ["flow"]
    assert _slugs(client.get(LIST, {"topic": "positive-psychology"})) == ["flow"]
    assert _slugs(client.get(LIST, {"topic": "no-such-topic"})) == []


def test_orderings(client):
    cheap = sellable_book(slug="b-cheap", title="Beta", price="10.00")
    dear = sellable_book(slug="a-dear", title="Alpha", price="90.00")
    middle = sellable_book(slug="c-middle", title="Gamma", price="50.00")
    Product.objects.filter(pk=middle.product_id).update(rating_average=Decimal("4.50"), rating_count=2)

    assert _slugs(client.get(LIST, {"ordering": "price"})) == ["b-cheap", "c-middle", "a-dear"]
    assert _slugs(client.get(LIST, {"ordering": "-price"})) == ["a-dear", "c-middle", "b-cheap"]
    assert _slugs(client.get(LIST, {"ordering": "title"})) == ["a-dear", "b-cheap", "c-middle"]
    assert _slugs(client.get(LIST, {"ordering": "rating"}))[0] == "c-middle"
    assert _slugs(client.get(LIST, {"ordering": "newest"})) == ["c-middle", "a-dear", "b-cheap"]
    assert cheap and dear


def test_unknown_ordering_is_a_field_error(client):
    response = client.get(LIST, {"ordering": "cheapest"})
    assert response.status_code == 400
    assert "ordering" in response.json()["error"]["fields"]


def test_search_matches_title_subtitle_contributor_and_description(client):
    sellable_book(slug="by-title", title="心流：最优体验心理学")
    sellable_book(slug="by-subtitle", title="Other", subtitle="关于心流的随笔")
    by_contributor = sellable_book(slug="by-contributor", title="Untitled")
    CreditFactory(product=by_contributor.product, contributor=ContributorFactory(name="米哈里·契克森米哈赖"))
    sellable_book(slug="by-description", title="Plain", description="<p>谈心流与专注。</p>")
    sellable_book(slug="unrelated", title="罗马史")

    assert set(_slugs(client.get(LIST, {"q": "心流"}))) == {"by-title", "by-subtitle", "by-description"}
    assert _slugs(client.get(LIST, {"q": "契克森米哈赖"})) == ["by-contributor"]
    assert _slugs(client.get(LIST, {"q": "心流"}))[0] == "by-title"


def test_search_is_case_insensitive_for_latin_text(client):
    sellable_book(slug="thinking", title="Thinking, Fast and Slow")
    assert _slugs(client.get(LIST, {"q": "thinking"})) == ["thinking"]


@pytest.mark.postgres
def test_postgres_full_text_search_matches_words_in_any_order(client):
    sellable_book(slug="flow", title="Flow: The Psychology of Optimal Experience")
    sellable_book(slug="other", title="Optimal Stopping")

    assert _slugs(client.get(LIST, {"q": "experience psychology"})) == ["flow"]
    assert _slugs(client.get(LIST, {"q": "optimal"}))[0] in {"flow", "other"}
    assert len(_slugs(client.get(LIST, {"q": "optimal"}))) == 2


def test_listing_queries_do_not_grow_with_products(client):
    for _ in range(3):
        rich_book(chapters=2)
        rich_course(lessons=2)
    few = _queries(client, LIST + "?page_size=100&q=Product&format=ebook&topic=topic-0&ordering=price")
    few_plain = _queries(client, LIST + "?page_size=100")
    for _ in range(27):
        rich_book(chapters=6, topics=2)
        rich_course(lessons=8)
    many = _queries(client, LIST + "?page_size=100&q=Product&format=ebook&topic=topic-0&ordering=price")
    many_plain = _queries(client, LIST + "?page_size=100")

    assert many == few
    assert many_plain == few_plain
    assert client.get(LIST + "?page_size=100").json()["count"] == 60


# --- Detail --------------------------------------------------------------------------------------


def test_course_detail_hides_media_and_notes_of_paid_lessons(client):
    variant = sellable_course(slug="course", lessons=3)
    Lesson.objects.filter(course__product=variant.product).update(media_ref="media/secret.m3u8", body="讲义")

    body = client.get(f"{LIST}course/").json()

    lessons = body["course"]["lessons"]
    assert [lesson["position"] for lesson in lessons] == [1, 2, 3]
    assert lessons[0]["is_free_preview"] is True
    assert lessons[0]["media_ref"] == "media/secret.m3u8"
    assert lessons[0]["notes"] == "讲义"
    assert all(lesson["media_ref"] is None and lesson["notes"] is None for lesson in lessons[1:])
    assert body["course"]["total_duration_seconds"] == 1800
    assert "secret" not in str(lessons[1:])


def test_book_detail_gives_text_only_of_free_preview_chapters(client):
    variant = sellable_book(slug="book")
    add_chapters(variant.product.book, count=3)

    chapters = client.get(f"{LIST}book/").json()["book"]["chapters"]

    assert [c["excerpt"] is not None for c in chapters] == [True, False, False]
    assert [c["number"] for c in chapters] == [1, 2, 3]


def test_detail_marks_each_variant_sellable_in_the_territory(client):
    variant = sellable_book(slug="book")
    print_variant = VariantFactory(product=variant.product, format=Variant.Format.PRINT, isbn13="9787300000003")
    Rights.objects.filter(product=variant.product).update(formats="ebook")
    Rights.objects.create(product=variant.product, territories="CN", formats="print")

    in_us = {v["format"]: v["sellable"] for v in client.get(f"{LIST}book/?territory=US").json()["variants"]}
    in_cn = {v["format"]: v["sellable"] for v in client.get(f"{LIST}book/?territory=CN").json()["variants"]}

    assert in_us == {"ebook": True, "print": False}
    assert in_cn == {"ebook": True, "print": True}
    assert print_variant.isbn13 in str(client.get(f"{LIST}book/").json()["variants"])


def test_bundle_detail_lists_items_with_standalone_prices_and_saving(client):
    course = sellable_course(slug="course", price="199.00")
    book = sellable_book(slug="book", price="49.00")
    bundle_of(course, book, price="199.00", slug="bundle")

    bundle = client.get(f"{LIST}bundle/").json()["bundle"]

    assert [(i["product_slug"], i["standalone_price"]) for i in bundle["items"]] == [
        ("course", "199.00"),
        ("book", "49.00"),
    ]
    assert bundle["items_total"] == "248.00"
    assert bundle["price"] == "199.00"
    assert bundle["saving"] == "49.00"


def test_course_detail_lists_lesson_supplements(client):
    course = sellable_course(slug="course", lessons=2)
    book = sellable_book(slug="book", title="心流")
    chapter = add_chapters(book.product.book, count=2)[1]
    lesson = Lesson.objects.get(course__product=course.product, position=2)
    LessonSupplement.objects.create(lesson=lesson, chapter=chapter, note="延伸阅读")

    lessons = client.get(f"{LIST}course/").json()["course"]["lessons"]

    assert lessons[1]["supplements"] == [
        {
            "book_title": "心流",
            "book_slug": "book",
            "chapter_number": 2,
            "chapter_title": "Chapter 2",
            "note": "延伸阅读",
        }
    ]


def test_draft_and_unknown_products_are_404(client):
    sellable_book(slug="draft", status=Product.Status.DRAFT)
    assert client.get(f"{LIST}draft/").status_code == 404
    response = client.get(f"{LIST}no-such-product/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_detail_queries_do_not_grow_with_lessons_chapters_or_contributors(client):
    small_book = rich_book(slug="small-book", chapters=2)
    small_course = rich_course(slug="small-course", lessons=2)
    big_book = rich_book(slug="big-book", chapters=30, topics=5)
    big_course = rich_course(slug="big-course", lessons=30)
    for _ in range(5):
        CreditFactory(product=big_book.product)
    big_chapter = big_book.product.book.chapters.first()
    for lesson in Lesson.objects.filter(course__product=big_course.product):
        LessonSupplement.objects.create(lesson=lesson, chapter=big_chapter)
    small_bundle = bundle_of(small_book, small_course, slug="small-bundle")
    big_bundle = bundle_of(big_book, big_course, *[sellable_book() for _ in range(5)], slug="big-bundle")

    for small, big in [(small_book, big_book), (small_course, big_course), (small_bundle, big_bundle)]:
        assert _queries(client, f"{LIST}{big.product.slug}/") == _queries(client, f"{LIST}{small.product.slug}/")


# --- Reviews and topics --------------------------------------------------------------------------


def test_reviews_are_listed_newest_first_without_email_addresses(client):
    variant = sellable_book(slug="book")
    ReviewFactory(product=variant.product, user=UserFactory(display_name="林晓"), rating=5, body="很好")
    ReviewFactory(product=variant.product, user=UserFactory(display_name="王磊"), rating=3, body="一般")

    body = client.get(f"{LIST}book/reviews/").json()

    assert [(r["author"], r["rating"]) for r in body["results"]] == [("王磊", 3), ("林晓", 5)]
    assert "@" not in str(body)


def test_reviews_of_an_unpublished_product_are_404(client):
    variant = sellable_book(slug="draft", status=Product.Status.DRAFT)
    ReviewFactory(product=variant.product)
    assert client.get(f"{LIST}draft/reviews/").status_code == 404


def test_topic_tree_nests_children_in_order(client):
    root = Topic.objects.create(slug="psychology", name="心理学", name_en="Psychology", position=1)
    Topic.objects.create(slug="social", name="社会心理学", parent=root, position=2)
    Topic.objects.create(slug="positive", name="积极心理学", parent=root, position=1)
    Topic.objects.create(slug="history", name="历史", position=2)

    with CaptureQueriesContext(connection) as ctx:
        tree = client.get("/api/v1/catalog/topics/").json()

    assert [t["slug"] for t in tree] == ["psychology", "history"]
    assert [c["slug"] for c in tree[0]["children"]] == ["positive", "social"]
    assert tree[1]["children"] == []
    assert len(ctx.captured_queries) <= 2


def test_public_catalogue_needs_no_login_and_accepts_partner_keys(client):
    from users.services import api_key_create

    sellable_book(slug="book")
    _key, raw = api_key_create(partner=PartnerFactory(), name="shop", scopes=["catalog:read"], created_by=None)
    assert client.get(LIST).status_code == 200
    assert client.get(LIST, HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 200


def test_schema_documents_the_catalogue(client):
    import yaml

    document = yaml.safe_load(client.get("/api/schema/").content)
    paths = document["paths"]
    assert "/api/v1/catalog/products/" in paths
    parameters = {p["name"] for p in paths["/api/v1/catalog/products/"]["get"]["parameters"]}
    assert {"q", "kind", "format", "topic", "territory", "on", "price_min", "price_max", "ordering"} <= parameters
    assert "patch" in paths["/api/v1/partners/{slug}/catalog/products/{product_slug}/"]
    assert "400" in paths["/api/v1/partners/{slug}/catalog/products/"]["post"]["responses"]


def test_rights_date_filter_ends_on_valid_to(client):
    variant = sellable_book(slug="ending")
    Rights.objects.filter(product=variant.product).update(valid_to=date(2026, 6, 30))

    assert _slugs(client.get(LIST, {"on": "2026-06-30"})) == ["ending"]
    assert _slugs(client.get(LIST, {"on": "2026-07-01"})) == []
