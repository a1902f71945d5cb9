"""Granting and revoking what a user may use."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from catalog.models import Variant
from commerce.models import Entitlement, Order, OrderLine, OrderLineItem, Refund
from commerce.selectors import DIGITAL_FORMATS


def entitlements_grant(*, order: Order) -> list[Entitlement]:
    """Grant the products of every line of the paid ``order``: the product of a
    digital line; the bundle and each digital item's product for a bundle line.

    Caller holds the user's row lock (so no other order of the user is being
    captured) and has moved the order to paid."""
    rows: list[Entitlement] = []
    for line in order.lines.select_related("variant").prefetch_related("items").order_by("pk"):
        if line.format == Variant.Format.PRINT:
            continue
        seen: set[int] = set()
        if line.format == Variant.Format.BUNDLE:
            for item in line.items.all():
                if item.format in DIGITAL_FORMATS and item.product_id not in seen:
                    seen.add(item.product_id)
                    rows.append(
                        Entitlement(user_id=order.user_id, product_id=item.product_id, order_line=line, line_item=item)
                    )
        if line.product_id not in seen:
            rows.append(Entitlement(user_id=order.user_id, product_id=line.product_id, order_line=line))
    # Row by row, not bulk: a unique violation must name the row and roll everything back.
    for row in rows:
        row.save()
    return rows


def entitlements_revoke(*, refund: Refund, line: OrderLine, items: Iterable[OrderLineItem] | None = None) -> int:
    """Revoke what ``refund`` gives back of ``line``: the items named (one item of a
    bundle), or the whole line. A bundle's own entitlement goes once every item
    of it has been refunded. Caller holds the order's lock."""
    now = timezone.now()
    active = Entitlement.objects.filter(order_line=line, revoked_at__isnull=True)
    if items is None:
        return active.update(revoked_at=now, revoked_by=refund)
    item_ids = [item.pk for item in items]
    count = active.filter(line_item_id__in=item_ids).update(revoked_at=now, revoked_by=refund)
    line.refresh_from_db(fields=["refunded_amount", "price_paid"])
    if line.refunded_amount >= line.price_paid:
        count += active.filter(line_item__isnull=True).update(revoked_at=now, revoked_by=refund)
    return count
