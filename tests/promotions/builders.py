"""Plain builders for the pricing engine's inputs (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from promotions.pricing import CartLine, CouponTerms, OfferTerms, ProductRange, ShopperFacts, names

NOW = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
SHOPPER = ShopperFacts(user_id=7, is_first_order=False, territory="CN")


def line(
    ref: str,
    price: str,
    *,
    product: int | None = None,
    owner: int = 1,
    fmt: str = "ebook",
    qty: int = 1,
    topics: frozenset[int] = frozenset(),
) -> CartLine:
    return CartLine(
        ref=ref,
        variant_id=int(product or abs(hash(ref)) % 10_000),
        product_id=product if product is not None else abs(hash(ref)) % 10_000,
        owner_id=owner,
        format=fmt,
        unit_price=Decimal(price),
        quantity=qty,
        topic_ids=topics,
        title=f"Title {ref}",
    )


def coupon(
    code: str, kind: str = "percentage", value: str = "10", *, coupon_id: int | None = None, **kw: Any
) -> CouponTerms:
    kw.setdefault("valid_from", NOW - timedelta(days=1))
    kw.setdefault("valid_to", NOW + timedelta(days=1))
    return CouponTerms(
        coupon_id=coupon_id if coupon_id is not None else abs(hash(code)) % 100_000,
        code=code,
        name=names(f"券{code}", f"Coupon {code}"),
        kind=kind,
        value=Decimal(value),
        currency="CNY",
        **kw,
    )


def cross_offer(
    offer_id: int, *, trigger: set[int], target: set[int], percent: str, priority: int = 0, **kw: Any
) -> OfferTerms:
    kw.setdefault("valid_from", NOW - timedelta(days=1))
    kw.setdefault("valid_to", NOW + timedelta(days=1))
    return OfferTerms(
        offer_id=offer_id,
        name=names(f"优惠{offer_id}", f"Offer {offer_id}"),
        kind="cross_discount",
        currency="CNY",
        trigger=ProductRange(product_ids=frozenset(trigger)),
        target=ProductRange(product_ids=frozenset(target)),
        percent_off=Decimal(percent),
        priority=priority,
        **kw,
    )


def group_offer(
    offer_id: int,
    *,
    size: int,
    price: str,
    owners: set[int] | None = None,
    products: set[int] | None = None,
    priority: int = 0,
    **kw: Any,
) -> OfferTerms:
    kw.setdefault("valid_from", NOW - timedelta(days=1))
    kw.setdefault("valid_to", NOW + timedelta(days=1))
    return OfferTerms(
        offer_id=offer_id,
        name=names(f"优惠{offer_id}", f"Offer {offer_id}"),
        kind="group_price",
        currency="CNY",
        group=ProductRange(owner_ids=frozenset(owners or ()), product_ids=frozenset(products or ())),
        group_size=size,
        group_price=Decimal(price),
        priority=priority,
        **kw,
    )
