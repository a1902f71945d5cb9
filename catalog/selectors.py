"""Reads of the catalogue. Every selector that lists what can be bought honours rights."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Exists,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.utils import timezone

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
from users.models import Partner

DEFAULT_TERRITORY = "CN"


def _territory_regex(code: str) -> str:
    return rf"(^|\s){code}(\s|$)"


def rights_in_force_q(*, territory: str, on: date) -> Q:
    """Rights rows that cover ``territory`` on ``on``."""
    code = territory.upper()
    if not (len(code) == 2 and code.isalpha()):
        raise ValueError(f"territory must be an ISO 3166-1 alpha-2 code, got {territory!r}")
    covers_territory = (Q(territories="WORLD") | Q(territories__regex=_territory_regex(code))) & ~Q(
        excluded_territories__regex=_territory_regex(code)
    )
    in_period = (Q(valid_from__isnull=True) | Q(valid_from__lte=on)) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    return covers_territory & in_period


def _plain_variant_sellable_q(*, territory: str, on: date, prefix: str = "") -> Q:
    rights = Rights.objects.filter(
        rights_in_force_q(territory=territory, on=on),
        # formats is empty (all formats) or lists the variant's format among space-separated
        # values; no format value is a substring of another, so containment is exact.
        Q(formats="") | Q(formats__contains=OuterRef(f"{prefix}format")),
        product=OuterRef(f"{prefix}product"),
    )
    return Q(**{f"{prefix}is_active": True, f"{prefix}product__status": Product.Status.PUBLISHED}) & Q(Exists(rights))


def variant_sellable_q(*, territory: str = DEFAULT_TERRITORY, on: date | None = None) -> Q:
    """Variants that may be sold to a shopper in ``territory`` on ``on`` (today by default).

    A plain variant needs its product published and a rights row in force for its
    territory, date and format. A bundle variant needs its bundle published and
    every item it contains sellable."""
    on = on or timezone.localdate()
    plain = Q(~Q(format=Variant.Format.BUNDLE)) & _plain_variant_sellable_q(territory=territory, on=on)
    sellable_items = Variant.objects.filter(
        _plain_variant_sellable_q(territory=territory, on=on), ~Q(format=Variant.Format.BUNDLE)
    ).values("pk")
    unsellable_item = BundleItem.objects.filter(bundle=OuterRef("product")).exclude(variant__in=sellable_items)
    has_items = BundleItem.objects.filter(bundle=OuterRef("product"))
    bundle = (
        Q(format=Variant.Format.BUNDLE, is_active=True, product__status=Product.Status.PUBLISHED)
        & Q(Exists(has_items))
        & ~Q(Exists(unsellable_item))
    )
    return plain | bundle


def variant_list_sellable(*, territory: str = DEFAULT_TERRITORY, on: date | None = None) -> QuerySet[Variant]:
    return Variant.objects.filter(variant_sellable_q(territory=territory, on=on))


def product_list_sellable(*, territory: str = DEFAULT_TERRITORY, on: date | None = None) -> QuerySet[Product]:
    """Published products with at least one variant that can be sold in ``territory`` on ``on``."""
    sellable = variant_list_sellable(territory=territory, on=on).filter(product=OuterRef("pk"))
    return Product.objects.filter(status=Product.Status.PUBLISHED).filter(Exists(sellable))


def variant_is_sellable(*, variant: Variant, territory: str = DEFAULT_TERRITORY, on: date | None = None) -> bool:
    return variant_list_sellable(territory=territory, on=on).filter(pk=variant.pk).exists()


# --- Public catalogue: listings, search, detail, topics, reviews ------------------------------------


def territory_normalize(raw: str | None) -> str:
    """An upper-case ISO 3166-1 alpha-2 code; ``ValueError`` for anything else."""
    code = (raw or DEFAULT_TERRITORY).strip().upper()
    if not (len(code) == 2 and code.isalpha() and code.isascii()):
        raise ValueError(code)
    return code


def product_list_public(*, territory: str = DEFAULT_TERRITORY, on: date | None = None) -> QuerySet[Product]:
    """Sellable products as a shopper's listing shows them, in a fixed number of queries.

    Each product carries ``price_from`` (its cheapest sellable price, for ordering) and
    ``sellable_variants`` (prefetched); owner and credits come along."""
    on = on or timezone.localdate()
    sellable = variant_list_sellable(territory=territory, on=on)
    cheapest = sellable.filter(product=OuterRef("pk")).order_by("price").values("price")[:1]
    return (
        product_list_sellable(territory=territory, on=on)
        .annotate(price_from=Subquery(cheapest))
        .select_related("owner")
        .prefetch_related(
            Prefetch("variants", queryset=sellable.order_by("price", "pk"), to_attr="sellable_variants"),
            Prefetch("credits", queryset=ProductContributor.objects.select_related("contributor")),
            Prefetch("topics", queryset=Topic.objects.order_by("position", "slug")),
        )
    )


def _contributor_names(product_ref: str = "pk") -> Subquery:
    from django.contrib.postgres.aggregates import StringAgg

    names = (
        ProductContributor.objects.filter(product=OuterRef(product_ref))
        .values("product")
        .annotate(names=StringAgg("contributor__name", delimiter=" "))
        .values("names")
    )
    return Subquery(names, output_field=TextField())


def product_search(*, queryset: QuerySet[Product], query: str) -> QuerySet[Product]:
    """``queryset`` narrowed to products matching ``query`` in title, subtitle, contributor
    names or description, best matches first (annotated ``search_rank``).

    On PostgreSQL the words are matched with full-text search (title weighs most), and,
    because Chinese is not split into words there, also as a substring; elsewhere (SQLite,
    the embedded default) only as a case-insensitive substring."""
    query = " ".join(query.split())[:200]
    if not query:
        return queryset
    by_contributor = Exists(
        ProductContributor.objects.filter(product=OuterRef("pk"), contributor__name__icontains=query)
    )
    substring = (
        Q(title__icontains=query) | Q(subtitle__icontains=query) | Q(description__icontains=query) | Q(by_contributor)
    )
    if connection.vendor != "postgresql":
        rank = Case(
            When(title__icontains=query, then=Value(1.0)),
            When(Q(subtitle__icontains=query) | Q(by_contributor), then=Value(0.5)),
            default=Value(0.1),
            output_field=FloatField(),
        )
        return queryset.filter(substring).annotate(search_rank=rank)

    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    vector = (
        SearchVector("title", weight="A", config="simple")
        + SearchVector("subtitle", weight="B", config="simple")
        + SearchVector(_contributor_names(), weight="B", config="simple")
        + SearchVector("description", weight="C", config="simple")
    )
    words = SearchQuery(query, search_type="websearch", config="simple")
    exact_title = Case(When(title__icontains=query, then=Value(1.0)), default=Value(0.0), output_field=FloatField())
    return (
        queryset.annotate(search_document=vector)
        .filter(Q(search_document=words) | substring)
        .annotate(search_rank=SearchRank(vector, words) + exact_title)
    )


def topic_descendant_ids(*, slug: str) -> list[int]:
    """The ids of the topic ``slug`` and every topic below it (one query); empty if there is none."""
    rows = list(Topic.objects.values_list("pk", "slug", "parent_id"))
    children: dict[int | None, list[int]] = {}
    root = None
    for pk, topic_slug, parent_id in rows:
        children.setdefault(parent_id, []).append(pk)
        if topic_slug == slug:
            root = pk
    if root is None:
        return []
    found, todo = [], [root]
    while todo:
        pk = todo.pop()
        found.append(pk)
        todo.extend(children.get(pk, []))
    return found


def topic_tree() -> list[Topic]:
    """Root topics in order, each with ``tree_children`` filled in down the whole tree (one query)."""
    topics = list(Topic.objects.order_by("position", "slug"))
    by_parent: dict[int | None, list[Topic]] = {}
    for topic in topics:
        by_parent.setdefault(topic.parent_id, []).append(topic)
    for topic in topics:
        topic.tree_children = by_parent.get(topic.pk, [])  # type: ignore[attr-defined]
    return by_parent.get(None, [])


def _product_detail_prefetches(*, lessons: QuerySet[Lesson], variants: QuerySet[Variant]) -> list[Prefetch[Any]]:
    return [
        Prefetch("variants", queryset=variants),
        Prefetch("credits", queryset=ProductContributor.objects.select_related("contributor")),
        Prefetch("topics", queryset=Topic.objects.order_by("position", "slug")),
        Prefetch("course__lessons", queryset=lessons),
        Prefetch("book__chapters", queryset=Chapter.objects.order_by("number")),
        Prefetch(
            "bundle_items",
            queryset=BundleItem.objects.select_related("variant", "variant__product").order_by("position", "pk"),
        ),
        Prefetch("rights", queryset=Rights.objects.order_by("pk")),
    ]


def product_get_public(*, slug: str) -> Product | None:
    """A published product with everything its page shows, in a fixed number of queries."""
    lessons = Lesson.objects.order_by("position").prefetch_related(
        Prefetch(
            "supplements",
            queryset=LessonSupplement.objects.select_related("chapter", "chapter__book__product").order_by("pk"),
        )
    )
    return (
        Product.objects.filter(slug=slug, status=Product.Status.PUBLISHED)
        .select_related("owner", "course", "book")
        .prefetch_related(*_product_detail_prefetches(lessons=lessons, variants=Variant.objects.filter(is_active=True)))
        .first()
    )


def variant_sellable_ids(
    *, variants: Sequence[Variant], territory: str = DEFAULT_TERRITORY, on: date | None = None
) -> set[int]:
    """Which of ``variants`` can be sold in ``territory`` on ``on`` (one query)."""
    pks = [v.pk for v in variants]
    if not pks:
        return set()
    return set(variant_list_sellable(territory=territory, on=on).filter(pk__in=pks).values_list("pk", flat=True))


def review_list_for_product(*, product: Product) -> QuerySet[Review]:
    return Review.objects.filter(product=product).select_related("user").order_by("-created_at", "-pk")


# --- A partner's own catalogue ---------------------------------------------------------------------


def product_list_for_partner(*, partner: Partner) -> QuerySet[Product]:
    """Every product ``partner`` owns, drafts and withdrawn ones included."""
    return (
        Product.objects.filter(owner=partner)
        .select_related("owner")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.order_by("price", "pk"), to_attr="all_variants"),
        )
        .order_by("-updated_at", "-pk")
    )


def product_get_for_partner(*, partner: Partner, slug: str) -> Product | None:
    """``partner``'s own product ``slug`` in any status; ``None`` if it has none (another
    partner's product does not exist for it)."""
    lessons = Lesson.objects.order_by("position")
    return (
        Product.objects.filter(owner=partner, slug=slug)
        .select_related("owner", "course", "book")
        .prefetch_related(*_product_detail_prefetches(lessons=lessons, variants=Variant.objects.all()))
        .first()
    )
