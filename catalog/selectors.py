"""Reads of the catalogue. Every selector that lists what can be bought honours rights."""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from catalog.models import BundleItem, Product, Rights, Variant

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
