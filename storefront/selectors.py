"""Reads that compose the catalogue, commerce and insights into what the pages show.

Every selector here runs a fixed number of queries, whatever the size of the
catalogue (tests/storefront/test_query_counts.py holds them to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

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
    variant_list_sellable,
)
from commerce.models import Order, OrderLine
from commerce.selectors import library_list
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
    every item is sellable) is the costliest part of a listing: it is done once per
    page with this index, and every list on the page filters by its ids."""

    territory: str
    variant_ids: list[int]
    product_ids: list[int]


def sellable_index(*, territory: str) -> SellableIndex:
    rows = list(variant_list_sellable(territory=territory).values_list("pk", "product_id"))
    return SellableIndex(
        territory=territory,
        variant_ids=[variant_id for variant_id, _ in rows],
        product_ids=sorted({product_id for _, product_id in rows}),
    )


def product_cards(*, territory: str, index: SellableIndex | None = None) -> QuerySet[Product]:
    """Sellable products ready for a card: ``price_from`` (cheapest sellable price),
    ``items_total`` (bundles), ``sellable_variants``, owner, credits and topics, in four
    queries for any number of cards (plus one for the index when it is not given)."""
    index = index or sellable_index(territory=territory)
    cheapest = (
        Variant.objects.filter(product=OuterRef("pk"), pk__in=index.variant_ids).order_by("price").values("price")[:1]
    )
    return (
        Product.objects.filter(status=Product.Status.PUBLISHED, pk__in=index.product_ids)
        .annotate(price_from=Subquery(cheapest), items_total=_items_total())
        .select_related("owner")
        .prefetch_related(
            Prefetch(
                "variants",
                queryset=Variant.objects.filter(pk__in=index.variant_ids).order_by("price", "pk"),
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
    popular: list[Product]


def home_rows(*, territory: str, size: int = 8) -> HomeRows:
    index = sellable_index(territory=territory)
    cards = product_cards(territory=territory, index=index)
    return HomeRows(
        featured_bundles=list(
            cards.filter(kind=Product.Kind.BUNDLE).order_by("-is_featured", "-created_at", "-pk")[:6]
        ),
        new_courses=list(cards.filter(kind=Product.Kind.COURSE).order_by("-published_on", "-created_at", "-pk")[:size]),
        new_books=list(cards.filter(kind=Product.Kind.BOOK).order_by("-published_on", "-created_at", "-pk")[:size]),
        popular=list(product_list_popular(territory=territory, index=index)[:size]),
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


def product_list_search(*, territory: str, filters: SearchFilters) -> QuerySet[Product]:
    """Sellable products matching every filter given, in the order asked for
    (relevance when there is a query, newest otherwise)."""
    index = sellable_index(territory=territory)
    products = product_cards(territory=territory, index=index)
    if filters.kind:
        products = products.filter(kind=filters.kind)
    if filters.format:
        in_format = Variant.objects.filter(product=OuterRef("pk"), pk__in=index.variant_ids, format=filters.format)
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


def product_languages() -> list[str]:
    """The languages the published catalogue is in, for the search filter."""
    return sorted(
        set(Product.objects.filter(status=Product.Status.PUBLISHED).values_list("language", flat=True).distinct())
    )


def topic_get(*, slug: str) -> Topic | None:
    return Topic.objects.select_related("parent").filter(slug=slug).first()


def bundle_list_containing(*, product: Product, territory: str, limit: int = 3) -> list[Product]:
    """Sellable bundles that include one of ``product``'s variants, with their items
    (variant, product, and that product's credits) prefetched."""
    contains = BundleItem.objects.filter(bundle=OuterRef("pk"), variant__product=product)
    return list(
        product_cards(territory=territory)
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


@dataclass(frozen=True)
class BundleView:
    lines: list[BundleLine]
    items_total: Decimal
    price: Decimal | None
    saving: Decimal
    saving_percent: int


def bundle_view(*, bundle: Product, bundle_variant: Variant | None, sellable_ids: set[int]) -> BundleView:
    """Each item of ``bundle`` with its standalone price, and what the bundle saves.

    ``bundle.bundle_items`` must be prefetched with variant and product."""
    lines = [
        BundleLine(
            item=item,
            product=item.variant.product,
            variant=item.variant,
            standalone_price=item.variant.price,
            sellable=item.variant_id in sellable_ids,
        )
        for item in bundle.bundle_items.all()
    ]
    total = sum((line.standalone_price for line in lines), Decimal("0.00"))
    price = bundle_variant.price if bundle_variant is not None else None
    saving = max(total - price, Decimal("0.00")) if price is not None else Decimal("0.00")
    percent = int((saving / total * 100).to_integral_value()) if total else 0
    return BundleView(lines=lines, items_total=total, price=price, saving=saving, saving_percent=percent)


def bundle_item_products(*, bundle: Product) -> QuerySet[Product]:
    """The products inside ``bundle`` with what their rows show (credits; course and book)."""
    return (
        Product.objects.filter(variants__in_bundles__bundle=bundle)
        .select_related("course", "book")
        .prefetch_related(Prefetch("credits", queryset=ProductContributor.objects.select_related("contributor")))
        .annotate(
            lesson_count=Count("course__lessons", distinct=True), chapter_count=Count("book__chapters", distinct=True)
        )
    )


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
