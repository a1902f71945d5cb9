"""Reads for behaviour events."""

from __future__ import annotations

from collections.abc import Iterable

from catalog.models import Product, Variant


def product_ids_by_reference(
    *, slugs: Iterable[str] = (), isbns: Iterable[str] = ()
) -> tuple[dict[str, int], dict[str, int]]:
    """Published products named by slug, and by the ISBN-13 of one of their variants, in two queries."""
    slugs, isbns = set(slugs), set(isbns)
    by_slug: dict[str, int] = {}
    by_isbn: dict[str, int] = {}
    if slugs:
        by_slug = dict(
            Product.objects.filter(slug__in=slugs, status=Product.Status.PUBLISHED).values_list("slug", "pk")
        )
    if isbns:
        rows = Variant.objects.filter(isbn13__in=isbns, product__status=Product.Status.PUBLISHED).values_list(
            "isbn13", "product_id"
        )
        by_isbn = {isbn: product_id for isbn, product_id in rows if isbn}
    return by_slug, by_isbn


def product_ids_existing(*, ids: Iterable[int]) -> set[int]:
    wanted = set(ids)
    if not wanted:
        return set()
    return set(Product.objects.filter(pk__in=wanted, status=Product.Status.PUBLISHED).values_list("pk", flat=True))
