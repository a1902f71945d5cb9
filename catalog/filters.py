"""Filters of the public catalogue listing (``GET /api/v1/catalog/products/``).

The territory and date that decide what is sellable are not filters: the view builds
the sellable queryset for them first (``catalog.selectors.product_list_public``), and
these narrow it down.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from catalog.models import Product, Variant
from catalog.selectors import (
    DEFAULT_TERRITORY,
    product_search,
    territory_normalize,
    topic_descendant_ids,
    variant_list_sellable,
)

ORDERINGS: dict[str, tuple[Any, ...]] = {
    "newest": ("-created_at", "-pk"),
    "oldest": ("created_at", "pk"),
    "price": (F("price_from").asc(nulls_last=True), "pk"),
    "-price": (F("price_from").desc(nulls_last=True), "pk"),
    "rating": ("-rating_average", "-rating_count", "pk"),
    "title": ("title", "pk"),
    "-title": ("-title", "pk"),
}
ORDERING_CHOICES = [
    ("relevance", _("Best match (with q)")),
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("price", _("Price, low to high")),
    ("-price", _("Price, high to low")),
    ("rating", _("Best rated")),
    ("title", _("Title, A–Z")),
    ("-title", _("Title, Z–A")),
]


def validate_territory(value: str) -> None:
    try:
        territory_normalize(value)
    except ValueError:
        raise ValidationError(
            _("%(value)s is not a territory: use an ISO 3166-1 two-letter code such as CN, HK or US."),
            params={"value": value},
            code="invalid_territory",
        ) from None


class ProductFilter(django_filters.FilterSet):
    territory = django_filters.CharFilter(
        method="filter_scope",
        validators=[validate_territory],
        label=_("Where the shopper buys (ISO 3166-1 alpha-2); CN when left out"),
    )
    on = django_filters.DateFilter(method="filter_scope", label=_("Sellable on this date; today when left out"))
    q = django_filters.CharFilter(
        method="filter_search", max_length=200, label=_("Search title, subtitle, contributor and description")
    )
    kind = django_filters.ChoiceFilter(choices=Product.Kind.choices)
    format = django_filters.ChoiceFilter(
        choices=Variant.Format.choices, method="filter_format", label=_("Has a sellable variant in this format")
    )
    topic = django_filters.CharFilter(method="filter_topic", max_length=64, label=_("Topic slug (with its subtopics)"))
    language = django_filters.CharFilter(field_name="language", max_length=8, label=_("Language (ISO 639-1)"))
    owner = django_filters.CharFilter(field_name="owner__slug", max_length=64, label=_("Owner (partner slug)"))
    price_min = django_filters.NumberFilter(field_name="price_from", lookup_expr="gte", min_value=0)
    price_max = django_filters.NumberFilter(field_name="price_from", lookup_expr="lte", min_value=0)
    featured = django_filters.BooleanFilter(field_name="is_featured")
    ordering = django_filters.ChoiceFilter(choices=ORDERING_CHOICES, method="filter_ordering", empty_label=None)

    class Meta:
        model = Product
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        return product_search(queryset=queryset, query=value)

    def filter_format(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        sellable = variant_list_sellable(
            territory=self.form.cleaned_data.get("territory") or DEFAULT_TERRITORY,
            on=self.form.cleaned_data.get("on"),
        )
        return queryset.filter(Exists(sellable.filter(product=OuterRef("pk"), format=value)))

    def filter_scope(self, queryset: QuerySet[Product], name: str, value: Any) -> QuerySet[Product]:
        # The view has already built the sellable listing for the territory and date.
        return queryset

    def filter_topic(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        ids = topic_descendant_ids(slug=value)
        tagged = Product.topics.through.objects.filter(product_id=OuterRef("pk"), topic_id__in=ids)
        return queryset.filter(Exists(tagged)) if ids else queryset.none()

    def filter_ordering(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        # Applied in ``filter_queryset`` after every other filter, so that ``q`` has ranked first.
        return queryset

    def filter_queryset(self, queryset: QuerySet[Product]) -> QuerySet[Product]:
        queryset = super().filter_queryset(queryset)
        ordering = self.form.cleaned_data.get("ordering") or ""
        searching = bool(self.form.cleaned_data.get("q"))
        if ordering in ORDERINGS:
            return queryset.order_by(*ORDERINGS[ordering])
        if searching:
            return queryset.order_by("-search_rank", "-rating_count", "pk")
        return queryset.order_by("-is_featured", "-created_at", "-pk")
