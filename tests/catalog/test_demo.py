import time
from decimal import Decimal

import pytest

from catalog import demo
from catalog.isbn import isbn13_is_valid
from catalog.models import (
    BundleItem,
    Chapter,
    Lesson,
    LessonSupplement,
    Product,
    ProductContributor,
    Review,
    Rights,
    Topic,
    Variant,
)
from catalog.selectors import product_list_sellable
from users import demo as users_demo

pytestmark = pytest.mark.django_db

CATALOGUE_MODELS = [
    Topic,
    Product,
    ProductContributor,
    Variant,
    Lesson,
    Chapter,
    LessonSupplement,
    BundleItem,
    Rights,
    Review,
]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The demo accounts' Argon2 hashing is deliberately slow and not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo_world():
    users_demo.load()
    started = time.perf_counter()
    demo.load()
    return time.perf_counter() - started


def _rows() -> dict[str, list[dict]]:
    """Every catalogue row, with its primary key and timestamps."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in CATALOGUE_MODELS}


def _content() -> dict[str, list[tuple]]:
    """The catalogue by natural keys, independent of primary keys and load times."""
    return {
        "products": sorted(
            Product.objects.values_list(
                "slug", "kind", "owner__slug", "title", "status", "is_featured", "published_on", "rating_average"
            )
        ),
        "variants": sorted(Variant.objects.values_list("sku", "product__slug", "format", "isbn13", "price")),
        "lessons": sorted(
            Lesson.objects.values_list(
                "course__product__slug", "position", "title", "duration_seconds", "is_free_preview"
            )
        ),
        "chapters": sorted(
            Chapter.objects.values_list("book__product__slug", "number", "title", "page_start", "is_free_preview")
        ),
        "supplements": sorted(
            LessonSupplement.objects.values_list(
                "lesson__course__product__slug", "lesson__position", "chapter__book__product__slug", "chapter__number"
            )
        ),
        "reviews": sorted(Review.objects.values_list("user__email", "product__slug", "rating", "body")),
        "rights": sorted(Rights.objects.values_list("product__slug", "territories", "valid_from")),
    }


def test_demo_builds_a_believable_bilingual_catalogue(demo_world):
    courses = Product.objects.filter(kind=Product.Kind.COURSE)
    books = Product.objects.filter(kind=Product.Kind.BOOK)
    bundles = Product.objects.filter(kind=Product.Kind.BUNDLE)

    assert courses.count() >= 24
    assert books.count() >= 20
    assert bundles.count() >= 8
    assert set(courses.values_list("owner__slug", flat=True)) == {"zhiqiao"}
    assert set(books.values_list("owner__slug", flat=True)) == {"qingsong-press", "yuanshan-books"}
    assert courses.filter(language="en").exists()
    assert books.filter(language="en").exists()
    for course in courses.prefetch_related("course__lessons"):
        lessons = sorted(course.course.lessons.all(), key=lambda lesson: lesson.position)
        assert 6 <= len(lessons) <= 20, course.slug
        previews = [lesson.position for lesson in lessons if lesson.is_free_preview]
        assert previews in ([1], [1, 2]), course.slug
        assert all(lesson.duration_seconds > 0 and lesson.body for lesson in lessons)


def test_every_book_has_valid_isbns_formats_and_a_free_first_chapter(demo_world):
    book_variants = Variant.objects.filter(product__kind=Product.Kind.BOOK)
    assert book_variants.exists()
    assert all(isbn13_is_valid(isbn) for isbn in book_variants.values_list("isbn13", flat=True))
    assert set(book_variants.values_list("format", flat=True)) == {"ebook", "print", "audiobook"}
    assert set(book_variants.values_list("currency", flat=True)) == {"CNY"}
    for book in Product.objects.filter(kind=Product.Kind.BOOK).prefetch_related("book__chapters"):
        chapters = sorted(book.book.chapters.all(), key=lambda chapter: chapter.number)
        assert chapters[0].is_free_preview and len(chapters[0].excerpt) > 40, book.slug
        assert not any(chapter.is_free_preview for chapter in chapters[1:])


def test_contributors_cover_every_role_a_catalogue_needs(demo_world):
    roles = set(ProductContributor.objects.values_list("role", flat=True))
    assert {"author", "translator", "narrator", "instructor"} <= roles


def test_topics_form_a_tree_that_includes_the_shoppers_interests(demo_world):
    roots = Topic.objects.filter(parent__isnull=True)
    assert {"psychology", "management", "history", "technology", "literature", "economics", "language"} <= set(
        roots.values_list("slug", flat=True)
    )
    assert all(root.children.exists() for root in roots)
    assert all(topic.name_en for topic in Topic.objects.all())
    assert Topic.objects.filter(slug="finance").exists()


def test_bundles_join_a_course_with_books_and_save_money(demo_world):
    for bundle in Product.objects.filter(kind=Product.Kind.BUNDLE):
        items = list(BundleItem.objects.filter(bundle=bundle).select_related("variant__product"))
        kinds = [item.variant.product.kind for item in items]
        assert kinds[0] == "course" and set(kinds[1:]) == {"book"}, bundle.slug
        total = sum((item.variant.price for item in items), Decimal("0"))
        assert bundle.variants.get().price < total
    assert LessonSupplement.objects.count() >= 10


def test_rights_show_a_restricted_territory_and_a_future_start(demo_world):
    mainland_only = Product.objects.get(slug=demo.MAINLAND_ONLY)
    next_year = Product.objects.get(slug=demo.ON_SALE_NEXT_YEAR)

    assert mainland_only in product_list_sellable(territory="CN")
    assert mainland_only not in product_list_sellable(territory="HK")
    assert next_year not in product_list_sellable(territory="CN")
    start = next_year.rights.get().valid_from
    assert next_year in product_list_sellable(territory="CN", on=start)
    # Everything else is on sale in mainland China today.
    assert product_list_sellable(territory="CN").count() == Product.objects.count() - 1


def test_reviews_by_demo_shoppers_are_summed_up_on_the_products(demo_world):
    assert Review.objects.count() >= 20
    assert set(Review.objects.values_list("user__email", flat=True)) <= set(demo.SHOPPERS)
    for product in Product.objects.filter(reviews__isnull=False).distinct():
        ratings = list(product.reviews.values_list("rating", flat=True))
        assert product.rating_count == len(ratings)
        assert product.rating_average == (Decimal(sum(ratings)) / len(ratings)).quantize(Decimal("0.01"))


def test_running_the_demo_twice_changes_nothing(demo_world):
    before = _rows()
    demo.load()
    assert _rows() == before


def test_the_demo_is_deterministic(demo_world):
    first = _content()
    for model in [Review, LessonSupplement, BundleItem, Rights, Variant, Lesson, Chapter, ProductContributor]:
        model.objects.all().delete()
    Product.objects.all().delete()
    demo.load()
    assert _content() == first


def test_the_demo_loads_fast(demo_world):
    assert demo_world < 20


def test_the_demo_needs_the_demo_partners():
    with pytest.raises(RuntimeError, match="users demo"):
        demo.load()
