"""Properties of discount computation that must hold for any cart, offers and coupons."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promotions.pricing import ProductRange, ShopperFacts, cart_price
from tests.promotions.builders import NOW, coupon, cross_offer, group_offer, line

pytestmark = pytest.mark.fuzz

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")),
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

cents = st.integers(min_value=0, max_value=50_000).map(lambda c: Decimal(c) / 100)
products = st.integers(min_value=1, max_value=6)


@st.composite
def carts(draw: st.DrawFn) -> list:
    count = draw(st.integers(min_value=1, max_value=8))
    return [
        line(
            f"l{i}",
            str(draw(cents)),
            product=draw(products),
            owner=draw(st.integers(min_value=1, max_value=3)),
            qty=draw(st.integers(min_value=1, max_value=3)),
        )
        for i in range(count)
    ]


@st.composite
def offer_sets(draw: st.DrawFn) -> list:
    offers = []
    for k in range(draw(st.integers(min_value=0, max_value=5))):
        if draw(st.booleans()):
            offers.append(
                cross_offer(
                    k + 1,
                    trigger=set(draw(st.sets(products, min_size=1, max_size=3))),
                    target=set(draw(st.sets(products, min_size=1, max_size=3))),
                    percent=str(draw(st.integers(min_value=1, max_value=100))),
                    priority=draw(st.integers(min_value=0, max_value=3)),
                )
            )
        else:
            offers.append(
                group_offer(
                    k + 1,
                    size=draw(st.integers(min_value=2, max_value=4)),
                    price=str(draw(cents)),
                    owners=set(draw(st.sets(st.integers(min_value=1, max_value=3), max_size=2))),
                    priority=draw(st.integers(min_value=0, max_value=3)),
                )
            )
    return offers


@st.composite
def coupon_sets(draw: st.DrawFn) -> list:
    coupons = []
    for k in range(draw(st.integers(min_value=0, max_value=4))):
        kind = draw(st.sampled_from(["percentage", "fixed_amount", "bundle_price"]))
        value = (
            str(draw(st.integers(min_value=1, max_value=100)))
            if kind == "percentage"
            else str(draw(cents.filter(lambda v: v > 0)))
        )
        wanted = draw(st.sets(products, min_size=2 if kind == "bundle_price" else 0, max_size=3))
        coupons.append(
            coupon(
                f"C{k}",
                kind,
                value,
                coupon_id=k + 1,
                product_range=ProductRange(product_ids=frozenset(wanted)),
                exclusive=draw(st.booleans()),
                priority=draw(st.integers(min_value=0, max_value=3)),
                min_spend=draw(st.sampled_from([Decimal(0), Decimal("50.00")])),
                max_units_per_order=draw(st.sampled_from([None, 1, 2])),
            )
        )
    return coupons


SHOPPER = ShopperFacts(user_id=1, is_first_order=True, territory="CN")


@FUZZ
@given(lines=carts(), offers=offer_sets(), coupons=coupon_sets())
def test_discounts_are_bounded_and_add_up_to_the_cent(lines, offers, coupons):
    priced = cart_price(lines=lines, shopper=SHOPPER, coupons=coupons, offers=offers, at=NOW)
    assert priced.total >= 0
    assert priced.total <= priced.subtotal
    assert priced.discount >= 0
    assert sum((pl.discount for pl in priced.lines), Decimal(0)) == priced.discount
    for pl in priced.lines:
        assert Decimal(0) <= pl.discount <= pl.subtotal
        assert pl.total == pl.total.quantize(Decimal("0.01"))
    for adjustment in priced.adjustments:
        assert sum(adjustment.line_amounts.values(), Decimal(0)) == adjustment.amount
        assert adjustment.amount > 0


@FUZZ
@given(lines=carts(), offers=offer_sets(), coupons=coupon_sets())
def test_pricing_is_deterministic_whatever_the_order_of_inputs(lines, offers, coupons):
    one = cart_price(lines=lines, shopper=SHOPPER, coupons=coupons, offers=offers, at=NOW)
    two = cart_price(lines=lines, shopper=SHOPPER, coupons=coupons[::-1], offers=offers[::-1], at=NOW)
    assert one.discount == two.discount
    assert [(a.kind, a.source_id, a.amount) for a in one.adjustments] == [
        (a.kind, a.source_id, a.amount) for a in two.adjustments
    ]


@FUZZ
@given(lines=carts(), offers=offer_sets())
def test_offers_never_cost_the_shopper_more_than_no_offers(lines, offers):
    with_offers = cart_price(lines=lines, shopper=SHOPPER, offers=offers, at=NOW)
    without = cart_price(lines=lines, shopper=SHOPPER, at=NOW)
    assert with_offers.total <= without.total
    # Any single offer alone never beats the chosen combination.
    for offer in offers:
        alone = cart_price(lines=lines, shopper=SHOPPER, offers=[offer], at=NOW)
        assert with_offers.discount >= alone.discount
