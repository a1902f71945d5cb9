"""Reads that compose the catalogue, commerce and insights into what the pages show.

Every selector here runs a fixed number of queries, whatever the size of the
catalogue (tests/storefront/test_query_counts.py holds them to it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from typing import Protocol

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import BundleItem, Chapter, Lesson, Product, ProductContributor, Topic, Variant
from catalog.selectors import (
    product_search,
    topic_descendant_ids,
    topic_tree,
    variant_list_sellable,
)
from commerce.models import Order, OrderLine
from commerce.selectors import library_list
from storefront.cache import cached, catalogue_key
from storefront.sql import id_in
from users.models import User

PAID_STATUSES = [Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED]
POPULAR_WINDOW = timedelta(days=90)


def _items_total() -> Subquery:
    """The sum of the standalone prices of a bundle's items (NULL for other kinds)."""
    totals = (
        BundleItem.objects.filter(bundle=OuterRef("pk"))
        .values("bundle")
        .annotate(total=Sum("variant__price"))
        .values("total")
    )
    return Subquery(totals)


@dataclass(frozen=True)
class SellableIndex:
    """The ids of every variant and product that can be sold in one territory today.

    Deciding what is sellable (rights by territory, date and format; bundles whose
    every item is sellable) is the costliest part of a listing: it is decided once
    per territory and day and kept in the cache under the catalogue version
    (``storefront.cache``), and every list on a page filters by these ids."""

    territory: str
    variant_ids: tuple[int, ...]
    product_ids: tuple[int, ...]

    @cached_property
    def variant_set(self) -> frozenset[int]:
        return frozenset(self.variant_ids)


def _sellable_rows(territory: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    rows = list(variant_list_sellable(territory=territory).values_list("pk", "product_id"))
    return tuple(sorted(v for v, _p in rows)), tuple(sorted({p for _v, p in rows}))


def sellable_index(*, territory: str) -> SellableIndex:
    """What is sellable in ``territory`` today: from the cache, else one query."""
    variant_ids, product_ids = cached(catalogue_key("sellable", territory), lambda: _sellable_rows(territory))
    return SellableIndex(territory=territory, variant_ids=variant_ids, product_ids=product_ids)


def product_cards(*, territory: str, index: SellableIndex | None = None) -> QuerySet[Product]:
    """Sellable products ready for a card: ``price_from`` (cheapest sellable price),
    ``items_total`` (bundles), ``sellable_variants``, owner, credits and topics, in four
    queries for any number of cards (plus one for the index when the cache has none)."""
    index = index or sellable_index(territory=territory)
    cheapest = (
        Variant.objects.filter(id_in("pk", index.variant_ids), product=OuterRef("pk"))
        .order_by("price")
        .values("price")[:1]
    )
    return (
        Product.objects.filter(id_in("pk", index.product_ids), status=Product.Status.PUBLISHED)
        .annotate(price_from=Subquery(cheapest), items_total=_items_total())
        .select_related("owner")
        .prefetch_related(
            Prefetch(
                "variants",
                queryset=Variant.objects.filter(id_in("pk", index.variant_ids)).order_by("price", "pk"),
                to_attr="sellable_variants",
            ),
            Prefetch("credits", queryset=ProductContributor.objects.select_related("contributor")),
            Prefetch("topics", queryset=Topic.objects.order_by("position", "slug")),
        )
    )


def product_list_popular(*, territory: str, index: SellableIndex | None = None) -> QuerySet[Product]:
    """Sellable products, best sellers of the last 90 days first, then the best rated."""
    since = timezone.now() - POPULAR_WINDOW
    sales = (
        OrderLine.objects.filter(product=OuterRef("pk"), order__status__in=PAID_STATUSES, order__paid_at__gte=since)
        .values("product")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        product_cards(territory=territory, index=index)
        .annotate(recent_sales=Coalesce(Subquery(sales, output_field=IntegerField()), Value(0)))
        .order_by("-recent_sales", "-rating_count", "-rating_average", "-created_at", "-pk")
    )


@dataclass(frozen=True)
class HomeRows:
    featured_bundles: list[Product]
    new_courses: list[Product]
    new_books: list[Product]


def home_rows(*, territory: str, size: int = 8) -> HomeRows:
    index = sellable_index(territory=territory)
    cards = product_cards(territory=territory, index=index)
    return HomeRows(
        featured_bundles=list(
            cards.filter(kind=Product.Kind.BUNDLE).order_by("-is_featured", "-created_at", "-pk")[:6]
        ),
        new_courses=list(cards.filter(kind=Product.Kind.COURSE).order_by("-published_on", "-created_at", "-pk")[:size]),
        new_books=list(cards.filter(kind=Product.Kind.BOOK).order_by("-published_on", "-created_at", "-pk")[:size]),
    )


@dataclass(frozen=True)
class SearchFilters:
    q: str = ""
    kind: str = ""
    format: str = ""
    topic: str = ""
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    language: str = ""
    rating_min: Decimal | None = None
    sort: str = ""


SORTS = {
    "relevance": ("-search_rank", "-rating_count", "-pk"),
    "newest": ("-created_at", "-pk"),
    "price_asc": ("price_from", "pk"),
    "price_desc": ("-price_from", "-pk"),
    "rating": ("-rating_average", "-rating_count", "-pk"),
    "popular": ("-rating_count", "-rating_average", "-pk"),
}


def product_list_search(
    *, territory: str, filters: SearchFilters, index: SellableIndex | None = None
) -> QuerySet[Product]:
    """Sellable products matching every filter given, in the order asked for
    (relevance when there is a query, newest otherwise)."""
    index = index or sellable_index(territory=territory)
    products = product_cards(territory=territory, index=index)
    if filters.kind:
        products = products.filter(kind=filters.kind)
    if filters.format:
        in_format = Variant.objects.filter(
            id_in("pk", index.variant_ids), product=OuterRef("pk"), format=filters.format
        )
        products = products.filter(Exists(in_format))
    if filters.topic:
        products = products.filter(topics__in=topic_descendant_ids(slug=filters.topic)).distinct()
    if filters.price_min is not None:
        products = products.filter(price_from__gte=filters.price_min)  # type: ignore[misc]  # an annotation
    if filters.price_max is not None:
        products = products.filter(price_from__lte=filters.price_max)  # type: ignore[misc]  # an annotation
    if filters.language:
        products = products.filter(language=filters.language)
    if filters.rating_min is not None:
        products = products.filter(rating_average__gte=filters.rating_min, rating_count__gt=0)
    sort = filters.sort or ("relevance" if filters.q else "newest")
    if filters.q:
        products = product_search(queryset=products, query=filters.q)
    elif sort == "relevance":
        sort = "newest"
    return products.order_by(*SORTS.get(sort, SORTS["newest"]))


# A listing keeps the ids of its first 100 pages in the cache; later pages are read from the database.
MAX_CACHED_RESULTS = 2400


class ProductResults:
    """The ids of the products a listing shows, in order, for ``Paginator``.

    The first ``MAX_CACHED_RESULTS`` ids and the total are cached per territory,
    filters and catalogue version, so a repeated search (the same query, another
    page, the next visitor) runs neither the search nor the count again."""

    def __init__(self, *, territory: str, filters: SearchFilters, index: SellableIndex | None = None) -> None:
        self.territory = territory
        self.filters = filters
        self.index = index or sellable_index(territory=territory)
        # Names this result set in the cache (with the catalogue version): its pages are cached under it too.
        self.key = f"{territory}:{hashlib.sha256(repr(filters).encode()).hexdigest()[:32]}"
        self.ids, self.total = cached(catalogue_key("results", self.key), self._compute)

    def _queryset(self) -> QuerySet[Product]:
        return product_list_search(territory=self.territory, filters=self.filters, index=self.index)

    def _compute(self) -> tuple[list[int], int]:
        ids = list(self._queryset().values_list("pk", flat=True)[: MAX_CACHED_RESULTS + 1])
        if len(ids) <= MAX_CACHED_RESULTS:
            return ids, len(ids)
        return ids[:MAX_CACHED_RESULTS], self._queryset().count()

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, window: slice) -> list[int]:
        start, stop = window.start or 0, window.stop if window.stop is not None else self.total
        if stop <= len(self.ids) or len(self.ids) == self.total:
            return self.ids[start:stop]
        return list(self._queryset().values_list("pk", flat=True)[start:stop])


def product_cards_in_order(*, ids: Sequence[int], territory: str, index: SellableIndex | None = None) -> list[Product]:
    """The cards of the products ``ids``, in that order (four queries)."""
    if not ids:
        return []
    found = {p.pk: p for p in product_cards(territory=territory, index=index).filter(id_in("pk", ids))}
    return [found[pk] for pk in ids if pk in found]


def product_languages() -> list[str]:
    """The languages the published catalogue is in, for the search filter (cached with the catalogue)."""

    def compute() -> list[str]:
        published = Product.objects.filter(status=Product.Status.PUBLISHED).order_by()
        return sorted(set(published.values_list("language", flat=True).distinct()))

    return cached(catalogue_key("languages"), compute)


def topic_tree_cached() -> list[Topic]:
    """``catalog.selectors.topic_tree``, kept with the catalogue version."""
    return cached(catalogue_key("topic-tree"), topic_tree)


def topic_get(*, slug: str) -> Topic | None:
    return Topic.objects.select_related("parent").filter(slug=slug).first()


def bundle_list_containing(
    *, product: Product, territory: str, limit: int = 3, index: SellableIndex | None = None
) -> list[Product]:
    """Sellable bundles that include one of ``product``'s variants, with their items
    (variant, product, and that product's credits) prefetched."""
    contains = BundleItem.objects.filter(bundle=OuterRef("pk"), variant__product=product)
    return list(
        product_cards(territory=territory, index=index)
        .filter(kind=Product.Kind.BUNDLE)
        .filter(Exists(contains))
        .prefetch_related(
            Prefetch(
                "bundle_items",
                queryset=BundleItem.objects.select_related("variant", "variant__product").order_by("position", "pk"),
                to_attr="items",
            )
        )
        .order_by("-is_featured", "price_from", "-pk")[:limit]
    )


@dataclass(frozen=True)
class BundleLine:
    item: BundleItem
    product: Product
    variant: Variant
    standalone_price: Decimal
    sellable: bool
    lesson_count: int = 0
    chapter_count: int = 0


@dataclass(frozen=True)
class BundleView:
    lines: list[BundleLine]
    items_total: Decimal
    price: Decimal | None
    saving: Decimal
    saving_percent: int


class _Counts(Protocol):
    @property
    def lessons(self) -> int: ...

    @property
    def chapters(self) -> int: ...


def bundle_view(
    *,
    items: Sequence[BundleItem],
    bundle_variant: Variant | None,
    sellable_ids: set[int],
    counts: Mapping[int, _Counts] | None = None,
) -> BundleView:
    """Each of a bundle's ``items`` (with variant and product) with its standalone price, and
    what the bundle saves. ``counts`` gives each item product's number of lessons and chapters."""
    counts = counts or {}
    lines = []
    for item in items:
        count = counts.get(item.variant.product_id)
        lines.append(
            BundleLine(
                item=item,
                product=item.variant.product,
                variant=item.variant,
                standalone_price=item.variant.price,
                sellable=item.variant_id in sellable_ids,
                lesson_count=count.lessons if count else 0,
                chapter_count=count.chapters if count else 0,
            )
        )
    total = sum((line.standalone_price for line in lines), Decimal("0.00"))
    price = bundle_variant.price if bundle_variant is not None else None
    saving = max(total - price, Decimal("0.00")) if price is not None else Decimal("0.00")
    percent = int((saving / total * 100).to_integral_value()) if total else 0
    return BundleView(lines=lines, items_total=total, price=price, saving=saving, saving_percent=percent)


def order_for_checkout_key(*, user: User, idempotency_key: str) -> Order | None:
    """The user's own order made by the checkout with this key."""
    return Order.objects.filter(user=user, idempotency_key=idempotency_key).only("number").first()


@dataclass(frozen=True)
class LibraryShelves:
    courses: list[Product]
    books: list[Product]
    bundles: list[Product]

    @property
    def is_empty(self) -> bool:
        return not (self.courses or self.books or self.bundles)


def library_shelves(*, user: User) -> LibraryShelves:
    """What ``user`` is entitled to, by kind, each course with its lessons and each book with
    its chapters (titles only), for the library page; a fixed number of queries."""
    entitled = library_list(user=user)
    products: dict[int, Product] = {}
    for entitlement in entitled:
        products.setdefault(entitlement.product_id, entitlement.product)
    items = list(products.values())
    prefetch_related_objects(
        items,
        Prefetch("credits", queryset=ProductContributor.objects.select_related("contributor")),
        "course",
        "book",
        Prefetch(
            "course__lessons",
            queryset=Lesson.objects.only("pk", "course_id", "position", "title", "duration_seconds").order_by(
                "position"
            ),
        ),
        Prefetch(
            "book__chapters", queryset=Chapter.objects.only("pk", "book_id", "number", "title").order_by("number")
        ),
    )
    return LibraryShelves(
        courses=[p for p in items if p.kind == Product.Kind.COURSE],
        books=[p for p in items if p.kind == Product.Kind.BOOK],
        bundles=[p for p in items if p.kind == Product.Kind.BUNDLE],
    )
