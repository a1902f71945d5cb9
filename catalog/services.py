"""Writes to the catalogue that more than one caller needs."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Avg, Count

from catalog.models import Product, Review
from users.models import User


def product_rating_refresh(*, product: Product) -> Product:
    """Recompute the stored rating summary of ``product`` from its reviews."""
    summary = Review.objects.filter(product=product).aggregate(avg=Avg("rating"), n=Count("pk"))
    average = Decimal(str(summary["avg"] or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    Product.objects.filter(pk=product.pk).update(rating_average=average, rating_count=summary["n"])
    product.rating_average, product.rating_count = average, summary["n"]
    return product


@transaction.atomic
def review_upsert(*, user: User, product: Product, rating: int, title: str = "", body: str = "") -> Review:
    """Create or replace ``user``'s one review of ``product`` and refresh the summary.

    Whether the user may review (owns the product) is the caller's rule: the
    catalogue does not know about purchases."""
    if not 1 <= int(rating) <= 5:
        raise ValueError("rating must be between 1 and 5")
    review, _created = Review.objects.update_or_create(
        user=user, product=product, defaults={"rating": rating, "title": title, "body": body}
    )
    product_rating_refresh(product=product)
    return review


@transaction.atomic
def review_delete(*, review: Review) -> None:
    product = review.product
    review.delete()
    product_rating_refresh(product=product)
