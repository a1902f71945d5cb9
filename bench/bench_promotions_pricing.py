"""Coupon validation + cart pricing: a 20-line cart with 50 active offers, against the same cart with none."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bench.common import Figure, median_time
from promotions.pricing import CartLine, CouponTerms, OfferTerms, ProductRange, ShopperFacts, cart_price, names

AT = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
WINDOW = {"valid_from": AT - timedelta(days=1), "valid_to": AT + timedelta(days=1)}
SHOPPER = ShopperFacts(user_id=1, is_first_order=False, territory="CN")


def _cart(rng: random.Random) -> list[CartLine]:
    return [
        CartLine(
            ref=f"L{i}",
            variant_id=i,
            product_id=i,
            owner_id=1 + i % 4,
            format="course" if i % 5 == 0 else "ebook",
            unit_price=Decimal(rng.randint(900, 29900)) / 100,
            quantity=1 + (i % 7 == 0),
            topic_ids=frozenset({i % 6}),
            title=f"Item {i}",
        )
        for i in range(20)
    ]


def _offers(rng: random.Random) -> list[OfferTerms]:
    offers = []
    for k in range(50):
        if k % 2 == 0:
            offers.append(
                OfferTerms(
                    offer_id=k + 1,
                    name=names(f"优惠{k}", f"Offer {k}"),
                    kind="cross_discount",
                    currency="CNY",
                    trigger=ProductRange(product_ids=frozenset(rng.sample(range(40), 3))),
                    target=ProductRange(product_ids=frozenset(rng.sample(range(40), 4))),
                    percent_off=Decimal(rng.randint(5, 50)),
                    priority=k % 5,
                    **WINDOW,
                )
            )
        else:
            offers.append(
                OfferTerms(
                    offer_id=k + 1,
                    name=names(f"优惠{k}", f"Offer {k}"),
                    kind="group_price",
                    currency="CNY",
                    group=ProductRange(owner_ids=frozenset({1 + k % 4}), topic_ids=frozenset({k % 6, (k + 1) % 6})),
                    group_size=2 + k % 3,
                    group_price=Decimal(rng.randint(5000, 30000)) / 100,
                    priority=k % 5,
                    **WINDOW,
                )
            )
    return offers


def _coupons() -> list[CouponTerms]:
    return [
        CouponTerms(
            coupon_id=1,
            code="SPRING",
            name=names("春季券", "Spring"),
            kind="percentage",
            value=Decimal("10"),
            currency="CNY",
            priority=2,
            **WINDOW,
        ),
        CouponTerms(
            coupon_id=2,
            code="TWENTY",
            name=names("满减券", "Twenty off"),
            kind="fixed_amount",
            value=Decimal("20"),
            currency="CNY",
            min_spend=Decimal("100"),
            **WINDOW,
        ),
        CouponTerms(
            coupon_id=3,
            code="VIP",
            name=names("会员券", "VIP"),
            kind="percentage",
            value=Decimal("25"),
            currency="CNY",
            exclusive=True,
            **WINDOW,
        ),
    ]


def run() -> list[Figure]:
    rng = random.Random(20261111)
    cart, offers, coupons = _cart(rng), _offers(rng), _coupons()
    applicable = cart_price(lines=cart, shopper=SHOPPER, coupons=coupons, offers=offers, at=AT)
    repeats = 20

    def no_offers() -> None:
        for _ in range(repeats):
            cart_price(lines=cart, shopper=SHOPPER, coupons=coupons, at=AT)

    def with_offers() -> None:
        for _ in range(repeats):
            cart_price(lines=cart, shopper=SHOPPER, coupons=coupons, offers=offers, at=AT)

    reference = median_time(no_offers)
    measured = median_time(with_offers)
    applied = sum(1 for a in applicable.adjustments if a.kind == "offer")
    return [
        Figure("20 lines, 3 codes, no offers (reference)", reference, unit_count=repeats),
        Figure(
            f"20 lines, 3 codes, 50 offers ({applied} applied, {applicable.options_considered} combinations weighed)",
            measured,
            reference_s=reference,
            unit_count=repeats,
        ),
    ]
