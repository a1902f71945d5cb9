"""What a product page shows of the catalogue, read once per catalogue version.

A product page reads the product with its offers, people, topics, syllabus or
table of contents, bundle items and latest reviews: a dozen queries that give
the same answer to every visitor until the catalogue changes. They are run on
the first visit and the result kept in the cache under the catalogue version
(``storefront.cache``); what depends on the visitor (owning it, their review)
and on their territory (what is sellable there) is decided per request.

Only what the page shows is read: no lesson notes, no chapter text, and of a
reviewer only their display name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, QuerySet

from catalog.models import (
    BundleItem,
    Chapter,
    Lesson,
    LessonSupplement,
    Product,
    ProductContributor,
    Review,
    Topic,
    Variant,
)
from storefront.cache import cached, catalogue_key

REVIEWS_SHOWN = 10


@dataclass(frozen=True)
class ItemCounts:
    lessons: int = 0
    chapters: int = 0


@dataclass(frozen=True)
class ProductPage:
    product: Product  # with owner, course and book; credits, topics and active variants prefetched
    variants: list[Variant]
    lessons: list[Lesson]  # each with its supplements (chapter and book title)
    chapters: list[Chapter]
    bundle_items: list[BundleItem]  # each with variant and product, the product's credits prefetched
    item_counts: dict[int, ItemCounts] = field(default_factory=dict)  # lessons and chapters per item product
    reviews: list[Review] = field(default_factory=list)  # the latest, newest first

    @property
    def credits(self) -> list[ProductContributor]:
        return list(self.product.credits.all())

    @property
    def topics(self) -> list[Topic]:
        return list(self.product.topics.all())


def _credits() -> QuerySet[ProductContributor]:
    return ProductContributor.objects.select_related("contributor").order_by("position", "pk")


def _read(slug: str) -> ProductPage | None:
    supplements = LessonSupplement.objects.select_related("chapter__book__product").only(
        "lesson_id", "note", "chapter__title", "chapter__book__product__title", "chapter__book__product__slug"
    )
    product = (
        Product.objects.filter(slug=slug, status=Product.Status.PUBLISHED)
        .select_related("owner", "course", "book")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.filter(is_active=True).order_by("pk")),
            Prefetch("credits", queryset=_credits()),
            Prefetch("topics", queryset=Topic.objects.order_by("position", "slug")),
        )
        .first()
    )
    if product is None:
        return None
    lessons: list[Lesson] = []
    chapters: list[Chapter] = []
    items: list[BundleItem] = []
    counts: dict[int, ItemCounts] = {}
    if product.kind == Product.Kind.COURSE:
        lessons = list(
            Lesson.objects.filter(course_id=product.pk)
            .defer("body")
            .prefetch_related(Prefetch("supplements", queryset=supplements.order_by("pk")))
            .order_by("position")
        )
    elif product.kind == Product.Kind.BOOK:
        chapters = list(Chapter.objects.filter(book_id=product.pk).defer("excerpt").order_by("number"))
    else:
        items = list(
            BundleItem.objects.filter(bundle=product)
            .select_related("variant__product__course", "variant__product__book")
            .prefetch_related(Prefetch("variant__product__credits", queryset=_credits()))
            .order_by("position", "pk")
        )
        item_products = {item.variant.product_id for item in items}
        rows = (
            Product.objects.filter(pk__in=item_products)
            .annotate(
                n_lessons=Count("course__lessons", distinct=True), n_chapters=Count("book__chapters", distinct=True)
            )
            .values_list("pk", "n_lessons", "n_chapters")
        )
        counts = {pk: ItemCounts(lessons=n_lessons, chapters=n_chapters) for pk, n_lessons, n_chapters in rows}
    reviews = list(
        Review.objects.filter(product=product)
        .select_related("user")
        .only("product_id", "user_id", "rating", "title", "body", "created_at", "user__display_name")
        .order_by("-created_at", "-pk")[:REVIEWS_SHOWN]
    )
    return ProductPage(
        product=product,
        variants=list(product.variants.all()),
        lessons=lessons,
        chapters=chapters,
        bundle_items=items,
        item_counts=counts,
        reviews=reviews,
    )


def product_page_get(*, slug: str) -> ProductPage | None:
    """The published product ``slug`` as its page shows it; ``None`` if there is none."""
    digest = hashlib.sha256(slug.encode("utf-8")).hexdigest()[:32]
    return cached(catalogue_key("product-page", digest), lambda: _read(slug))
