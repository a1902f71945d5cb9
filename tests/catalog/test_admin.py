from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Product, Rights, Variant
from catalog.services import review_upsert
from tests.factories import PartnerFactory, UserFactory
from tests.factories.catalog import (
    ContributorFactory,
    CreditFactory,
    TopicFactory,
    VariantFactory,
    bundle_of,
    rich_book,
    rich_course,
    sellable_book,
    sellable_course,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/catalog/product/"


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _titles(response) -> set[str]:
    assert response.status_code == 200
    return {str(p.title) for p in response.context["cl"].result_list}


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_changelist_queries_do_not_grow_with_products(staff_client):
    for _ in range(3):
        rich_book(chapters=2)
        rich_course(lessons=2)
    TopicFactory(slug="psychology")
    urls = [CHANGELIST, CHANGELIST + "?format=ebook&territory=CN&topic=psychology", CHANGELIST + "?q=Product"]
    few = [_queries(staff_client, url) for url in urls]
    for _ in range(27):
        variant = rich_book(chapters=5, topics=2)
        VariantFactory(product=variant.product, format=Variant.Format.PRINT)
        rich_course(lessons=6)

    many = [_queries(staff_client, url) for url in urls]

    assert many == few
    assert staff_client.get(CHANGELIST).context["cl"].result_count == 60


def test_changelist_shows_formats_prices_and_a_storefront_link(staff_client):
    variant = sellable_book(title="心流", slug="flow", price="39.90")
    VariantFactory(product=variant.product, format=Variant.Format.PRINT, price=Decimal("68.00"))

    html = staff_client.get(CHANGELIST).content.decode()

    assert "39.90–68.00 CNY" in html
    assert variant.product.get_absolute_url() in html


def test_search_finds_title_contributor_and_exact_isbn(staff_client):
    sellable_book(title="人类简史")
    by_author = sellable_book(title="Other")
    CreditFactory(product=by_author.product, contributor=ContributorFactory(name="尤瓦尔·赫拉利"))
    by_isbn = sellable_book(title="With ISBN")
    Variant.objects.filter(pk=by_isbn.pk).update(isbn13="9787508647357")

    assert _titles(staff_client.get(CHANGELIST, {"q": "简史"})) == {"人类简史"}
    assert _titles(staff_client.get(CHANGELIST, {"q": "赫拉利"})) == {"Other"}
    assert _titles(staff_client.get(CHANGELIST, {"q": "9787508647357"})) == {"With ISBN"}


def test_filters_by_kind_format_owner_status_topic_rights_and_featured(staff_client):
    publisher = PartnerFactory(slug="qingsong")
    topic = TopicFactory(slug="history")
    child = TopicFactory(slug="ancient-history", parent=topic)
    course = sellable_course(title="Course")
    audio = sellable_book(title="Audio", fmt=Variant.Format.AUDIOBOOK, owner=publisher)
    audio.product.topics.add(child)
    draft = sellable_book(title="Draft", status=Product.Status.DRAFT, is_featured=True)
    Rights.objects.filter(product=draft.product).update(territories="CN")
    lapsed = sellable_book(title="Lapsed")
    Rights.objects.filter(product=lapsed.product).update(valid_to=timezone.localdate() - timezone.timedelta(days=1))

    assert _titles(staff_client.get(CHANGELIST, {"kind__exact": "course"})) == {course.product.title}
    assert _titles(staff_client.get(CHANGELIST, {"format": "audiobook"})) == {"Audio"}
    assert _titles(staff_client.get(CHANGELIST, {"owner__id__exact": publisher.pk})) == {"Audio"}
    assert _titles(staff_client.get(CHANGELIST, {"status__exact": "draft"})) == {"Draft"}
    assert _titles(staff_client.get(CHANGELIST, {"topic": "history"})) == {"Audio"}
    assert _titles(staff_client.get(CHANGELIST, {"is_featured__exact": "1"})) == {"Draft"}
    assert "Draft" not in _titles(staff_client.get(CHANGELIST, {"territory": "HK"}))
    assert "Draft" in _titles(staff_client.get(CHANGELIST, {"territory": "CN"}))
    assert _titles(staff_client.get(CHANGELIST, {"territory": "none"})) == {"Lapsed"}


def test_bulk_publish_publishes_what_can_be_sold_and_says_why_not_the_rest(staff_client):
    ready = sellable_book(title="Ready", status=Product.Status.DRAFT)
    empty = Product.objects.create(kind="book", owner=ready.product.owner, title="Empty", slug="empty")

    response = staff_client.post(
        CHANGELIST,
        {"action": "publish", "_selected_action": [ready.product_id, empty.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    ready.product.refresh_from_db()
    empty.refresh_from_db()
    assert ready.product.status == Product.Status.PUBLISHED
    assert empty.status == Product.Status.DRAFT
    page = response.content.decode()
    assert "Empty has no active variant" in page


def test_bulk_withdraw_and_feature(staff_client):
    a, b = sellable_book(title="A"), sellable_book(title="B")
    ids = [a.product_id, b.product_id]

    staff_client.post(CHANGELIST, {"action": "withdraw", "_selected_action": ids})
    staff_client.post(CHANGELIST, {"action": "feature", "_selected_action": ids})

    assert set(Product.objects.values_list("status", "is_featured")) == {(Product.Status.WITHDRAWN, True)}


def test_product_pages_show_the_inlines_of_their_kind(staff_client):
    course = sellable_course(title="Course")
    book = sellable_book(title="Book")
    bundle = bundle_of(course, book, title="Bundle")

    course_page = staff_client.get(f"{CHANGELIST}{course.product_id}/change/").content.decode()
    book_page = staff_client.get(f"{CHANGELIST}{book.product_id}/change/").content.decode()
    bundle_page = staff_client.get(f"{CHANGELIST}{bundle.product_id}/change/").content.decode()

    assert f"/admin/catalog/course/{course.product_id}/change/" in course_page
    assert "bundle_items" not in course_page
    assert f"/admin/catalog/book/{book.product_id}/change/" in book_page
    assert "bundle_items-TOTAL_FORMS" in bundle_page
    assert f"{course.price} {course.currency}" in bundle_page
    assert staff_client.get(f"{CHANGELIST}add/").status_code == 200


def test_course_and_book_pages_edit_lessons_and_chapters(staff_client):
    course = sellable_course(lessons=4)
    book = sellable_book()
    from tests.factories.catalog import add_chapters

    add_chapters(book.product.book, count=3)

    course_page = staff_client.get(f"/admin/catalog/course/{course.product_id}/change/")
    book_page = staff_client.get(f"/admin/catalog/book/{book.product_id}/change/")

    assert course_page.status_code == 200
    assert 'name="lessons-TOTAL_FORMS" value="4"' in course_page.content.decode()
    assert 'name="chapters-TOTAL_FORMS" value="3"' in book_page.content.decode()


def test_lesson_and_chapter_pages_link_supplements(staff_client):
    course = sellable_course(lessons=1)
    lesson = course.product.course.lessons.get()
    response = staff_client.get(f"/admin/catalog/lesson/{lesson.pk}/change/")
    assert response.status_code == 200
    assert "supplements-TOTAL_FORMS" in response.content.decode()


def test_removing_a_review_in_the_admin_refreshes_the_rating(staff_client):
    product = sellable_book().product
    low = review_upsert(user=UserFactory(), product=product, rating=1)
    review_upsert(user=UserFactory(), product=product, rating=5)

    staff_client.post(f"/admin/catalog/review/{low.pk}/delete/", {"post": "yes"})

    product.refresh_from_db()
    assert (product.rating_average, product.rating_count) == (Decimal("5.00"), 1)


def test_topic_contributor_and_review_lists_render(staff_client):
    root = TopicFactory(name="心理学")
    TopicFactory(name="积极心理学", parent=root)
    CreditFactory()
    review_upsert(user=UserFactory(), product=sellable_book().product, rating=4)

    topics = staff_client.get("/admin/catalog/topic/").content.decode()
    assert "心理学 › 积极心理学" in topics
    assert staff_client.get("/admin/catalog/contributor/").status_code == 200
    assert staff_client.get("/admin/catalog/review/").status_code == 200
    assert staff_client.get("/admin/catalog/variant/?q=SKU").status_code == 200


def test_rights_with_a_made_up_territory_are_refused_in_the_admin(staff_client):
    from catalog.admin import RightsForm

    form = RightsForm(data={"territories": "China", "excluded_territories": "", "formats": "ebook"})
    assert not form.is_valid()
    assert "China" in str(form.errors["territories"])
    assert RightsForm(data={"territories": "CN HK", "excluded_territories": "", "formats": "ebook"}).is_valid()
    reversed_period = RightsForm(
        data={"territories": "WORLD", "formats": "", "valid_from": "2027-01-01", "valid_to": "2026-01-01"}
    )
    assert not reversed_period.is_valid()
